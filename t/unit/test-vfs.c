/*
 * Unit tests for lib/vfs: name demangling, save names and their
 * duplicate suffixes, and path resolution (//, ., trailing /, .. at the
 * root, symlinks, latest, ELOOP, ENOTDIR) on a small repository built
 * here object by object, plus listings with .bupm metadata and the
 * chunked-file reader (sequential, zero-copy, seeks, sizes).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/metadata.h"
#include "lib/oid.h"
#include "lib/repo.h"
#include "lib/tree.h"
#include "lib/usage.h"
#include "lib/vfs.h"
#include "t/unit/helpers.h"

static char tmpdir[] = "/tmp/test-vfs-XXXXXX";
static struct repo repo;
static struct vfs *vfs;
static git_odb *odb;

static struct oid put(git_object_t type, const void *data, size_t len)
{
	git_oid id;
	struct oid o;
	assert_int_equal(git_odb_write(&id, odb, data, len, type), 0);
	memcpy(o.hash, id.id, OID_RAWSZ);
	return o;
}

static struct oid blob(const char *s)
{
	return put(GIT_OBJECT_BLOB, s, strlen(s));
}

static struct oid tree(struct tree_builder *t)
{
	struct buf b = BUF_INIT;
	struct oid o;
	tree_encode(t, &b);
	o = put(GIT_OBJECT_TREE, b.data, b.len);
	buf_release(&b);
	tree_release(t);
	return o;
}

static void add(struct tree_builder *t, unsigned mode, const char *name,
		struct oid o)
{
	tree_add(t, mode, name, strlen(name), &o);
}

static void meta_record(struct buf *out, unsigned mode, int64_t size)
{
	struct metadata m;
	metadata_init(&m);
	m.has_common = 1;
	m.mode = mode;
	m.uid = 1000;
	m.gid = 100;
	m.mtime_s = 1234;
	m.size = size;
	metadata_encode(&m, out);
	metadata_release(&m);
}

static struct oid commit(struct oid t, const struct oid *parent, long when)
{
	struct buf b = BUF_INIT;
	char hex[OID_HEXSZ + 1];
	struct oid o;
	buf_addf(&b, "tree %s\n", oid_to_hex(&t, hex));
	if (parent)
		buf_addf(&b, "parent %s\n", oid_to_hex(parent, hex));
	buf_addf(&b, "author a <a@a> %ld +0000\ncommitter a <a@a> %ld +0000\n"
		 "\nsave\n", when, when);
	o = put(GIT_OBJECT_COMMIT, b.data, b.len);
	buf_release(&b);
	return o;
}

static struct oid chunked_tree, big_oid;

/*
 * The save tree:
 *   .bupm  a/ (f)  abs -> /b/latest/a  c.bup (chunked "hello world!")
 *   file  link -> file  loop1 -> loop2  loop2 -> loop1  up -> ../..
 *   x.bup.bupl  deep/ (no .bupm)  rootlink -> /  fifo (in .bupm only)
 */
static struct oid make_save_tree(void)
{
	struct tree_builder t = TREE_BUILDER_INIT, a = TREE_BUILDER_INIT,
		c = TREE_BUILDER_INIT, c2 = TREE_BUILDER_INIT,
		deep = TREE_BUILDER_INIT;
	struct buf bupm = BUF_INIT;

	add(&a, GIT_MODE_FILE, "f", blob("in a\n"));
	/* a two-level chunk tree: 0 -> (0 "hello", 5 " "), 6 "world!" */
	add(&c2, GIT_MODE_FILE, "0", blob("hello"));
	add(&c2, GIT_MODE_FILE, "5", blob(" "));
	add(&c, GIT_MODE_TREE, "0", tree(&c2));
	add(&c, GIT_MODE_FILE, "6", blob("world!"));
	chunked_tree = tree(&c);
	add(&deep, GIT_MODE_FILE, "g", blob("g\n"));

	meta_record(&bupm, 040700, -1);		/* the dir itself */
	/* by demangled name: abs c fifo file link loop1 loop2 rootlink up x.bup */
	meta_record(&bupm, 0120777, 11);
	meta_record(&bupm, 0100600, 12);
	meta_record(&bupm, 010644, -1);
	meta_record(&bupm, 0100755, 5);
	meta_record(&bupm, 0120777, 4);
	meta_record(&bupm, 0120777, 5);
	meta_record(&bupm, 0120777, 5);
	meta_record(&bupm, 0120777, 1);
	meta_record(&bupm, 0120777, 5);
	meta_record(&bupm, 0100644, 2);

	add(&t, GIT_MODE_FILE, ".bupm",
	    put(GIT_OBJECT_BLOB, bupm.data, bupm.len));
	add(&t, GIT_MODE_TREE, "a", tree(&a));
	add(&t, GIT_MODE_SYMLINK, "abs", blob("/b/latest/a"));
	add(&t, GIT_MODE_TREE, "c.bup", chunked_tree);
	add(&t, GIT_MODE_FILE, "fifo", blob(""));
	add(&t, GIT_MODE_FILE, "file", blob("file\n"));
	add(&t, GIT_MODE_SYMLINK, "link", blob("file"));
	add(&t, GIT_MODE_SYMLINK, "loop1", blob("loop2"));
	add(&t, GIT_MODE_SYMLINK, "loop2", blob("loop1"));
	add(&t, GIT_MODE_SYMLINK, "rootlink", blob("/"));
	add(&t, GIT_MODE_SYMLINK, "up", blob("../.."));
	add(&t, GIT_MODE_FILE, "x.bup.bupl", blob("x\n"));
	add(&t, GIT_MODE_TREE, "deep", tree(&deep));
	buf_release(&bupm);
	return tree(&t);
}

/* A chunked file of 100000 bytes in 1000-byte leaves, 10 per subtree. */
static struct oid make_big(void)
{
	struct tree_builder top = TREE_BUILDER_INIT;
	char data[1000], name[16];
	for (int s = 0; s < 10; s++) {
		struct tree_builder sub = TREE_BUILDER_INIT;
		for (int i = 0; i < 10; i++) {
			int n = s * 10 + i;
			memset(data, 'A' + n % 26, sizeof(data));
			data[0] = (char)n;
			snprintf(name, sizeof(name), "%04x", i * 1000);
			add(&sub, GIT_MODE_FILE, name,
			    put(GIT_OBJECT_BLOB, data, sizeof(data)));
		}
		snprintf(name, sizeof(name), "%05x", s * 10000);
		add(&top, GIT_MODE_TREE, name, tree(&sub));
	}
	return tree(&top);
}

static int setup(void **state)
{
	char cmd[256];
	struct oid t, c1, c2, c3;
	(void)state;
	if (tmp_git_home(tmpdir))
		return -1;
	setenv("TZ", "UTC", 1);
	repo_global_init();
	snprintf(cmd, sizeof(cmd), "%s/r", tmpdir);
	if (git_init_bare(cmd))
		return -1;
	repo_open(&repo, cmd);
	if (git_repository_odb(&odb, repo.git) < 0)
		return -1;
	t = make_save_tree();
	big_oid = make_big();
	c1 = commit(t, NULL, 0);
	c2 = commit(t, &c1, 0);
	c3 = commit(t, &c2, 60);
	repo_update_ref(&repo, "refs/heads/b", &c3, NULL, "test");
	repo_update_ref(&repo, "refs/tags/t1", &c1, NULL, "test");
	vfs = vfs_new(&repo);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vfs_free(vfs);
	git_odb_free(odb);
	repo_close(&repo);
	return rm_rf(tmpdir);
}

static void test_save_names(void **state)
{
	char name[32];
	char *names[7];
	const char *in[7] = { "a", "b", "b", "b", "a", "c", "c" };
	const char *want[7] = { "a", "b-2", "b-1", "b-0", "a", "c-1", "c-0" };
	(void)state;
	vfs_save_name(1700000000, name);
	assert_string_equal(name, "2023-11-14-221320");
	for (int i = 0; i < 7; i++)
		names[i] = xstrdup(in[i]);
	vfs_suffix_duplicates(names, 7);
	for (int i = 0; i < 7; i++) {
		assert_string_equal(names[i], want[i]);
		free(names[i]);
	}
	/* eleven equal names: -10 down to -00 */
	char *many[11];
	for (int i = 0; i < 11; i++)
		many[i] = xstrdup("n");
	vfs_suffix_duplicates(many, 11);
	assert_string_equal(many[0], "n-10");
	assert_string_equal(many[1], "n-09");
	assert_string_equal(many[10], "n-00");
	for (int i = 0; i < 11; i++)
		free(many[i]);
}

/* Resolve and return the joined path, with "!" appended if the leaf is missing. */
static int resolve_str(const char *path, int flags, struct buf *out,
		       struct vfs_error *err)
{
	struct vfs_path p = VFS_PATH_INIT;
	int rc = vfs_resolve(vfs, path, NULL, flags, &p, err);
	buf_reset(out);
	if (rc < 0)
		return rc;
	vfs_path_join(&p, out);
	if (!vfs_path_leaf(&p)->item)
		buf_addch(out, '!');
	vfs_path_release(&p);
	return 0;
}

static void expect_path(const char *path, int flags, const char *want)
{
	struct buf b = BUF_INIT;
	struct vfs_error err = VFS_ERROR_INIT;
	if (resolve_str(path, flags, &b, &err) < 0)
		fail_msg("resolve %s: errno %d %s", path, err.err, err.msg.data);
	if (strcmp(b.data, want))
		fail_msg("resolve %s: '%s', want '%s'", path, b.data, want);
	buf_release(&b);
	vfs_error_release(&err);
}

static void expect_error(const char *path, int flags, int errnum,
			 const char *msg_part)
{
	struct buf b = BUF_INIT;
	struct vfs_error err = VFS_ERROR_INIT;
	if (resolve_str(path, flags, &b, &err) == 0)
		fail_msg("resolve %s: no error, got '%s'", path, b.data);
	assert_int_equal(err.err, errnum);
	if (!strstr(err.msg.data, msg_part))
		fail_msg("resolve %s: message '%s' lacks '%s'", path,
			 err.msg.data, msg_part);
	assert_true(err.terminus.nr >= 1);
	buf_release(&b);
	vfs_error_release(&err);
}

static void test_resolve_names(void **state)
{
	(void)state;
	expect_path("/", 0, "");
	expect_path("", 0, "") ;
	expect_path(".", 0, "");
	expect_path("//b", 0, "/b");
	expect_path("b", 0, "/b");
	expect_path("/b/./latest", VFS_NOFOLLOW, "/b/latest");
	expect_path("/b/latest", 0, "/b/1970-01-01-000100");
	expect_path("/b/1970-01-01-000100/a/f", 0, "/b/1970-01-01-000100/a/f");
	expect_path("/b/1970-01-01-000000-1//a/./f", 0,
		    "/b/1970-01-01-000000-1/a/f");
	expect_path("/../..//b/..", 0, "");
	expect_path("/b/latest/a/../file", 0, "/b/1970-01-01-000100/file");
	/* missing names end in a NULL item */
	expect_path("/nosuch", 0, "/nosuch!");
	expect_path("/b/1970-01-01-000000", 0, "/b/1970-01-01-000000!");
	expect_path("/b/notasave", 0, "/b/notasave!");
	expect_path("/b/latest/zz/y", 0, "/b/1970-01-01-000100/zz!");
	/* demangled names only */
	expect_path("/b/latest/x.bup", 0, "/b/1970-01-01-000100/x.bup");
	expect_path("/b/latest/x.bup.bupl", 0,
		    "/b/1970-01-01-000100/x.bup.bupl!");
	expect_path("/b/latest/c", 0, "/b/1970-01-01-000100/c");
	expect_path("/.tag/t1/a", 0, "/.tag/t1/a");
}

static void test_resolve_links(void **state)
{
	(void)state;
	expect_path("/b/latest/link", 0, "/b/1970-01-01-000100/file");
	expect_path("/b/latest/link", VFS_NOFOLLOW, "/b/1970-01-01-000100/link");
	/* an absolute target restarts at the root, and (as in bup 0.33)
	 * what followed the link in the path is dropped */
	expect_path("/b/latest/abs", 0, "/b/1970-01-01-000100/a");
	expect_path("/b/latest/abs/f", 0, "/b/1970-01-01-000100/a");
	expect_path("/b/latest/up", 0, "");
	expect_path("/b/latest/up/b/latest/file", 0, "/b/1970-01-01-000100/file");
	expect_path("/b/latest/up/", VFS_NOFOLLOW, "");
	/* a link to "/" ends the resolution there, whatever follows (bup) */
	expect_path("/b/latest/rootlink/b", 0, "");
	/* a trailing slash follows even with NOFOLLOW */
	expect_path("/b/latest/abs/", VFS_NOFOLLOW, "/b/1970-01-01-000100/a");
	expect_path("/b/latest/loop1", VFS_NOFOLLOW,
		    "/b/1970-01-01-000100/loop1");
	expect_error("/b/latest/loop1", 0, ELOOP,
		     "too many symlinks encountered while resolving b'/b/latest/loop1'");
	expect_error("/b/latest/loop1/x", VFS_NOFOLLOW, ELOOP, "too many");
}

static void test_resolve_notdir(void **state)
{
	(void)state;
	expect_error("/b/latest/file/x", 0, ENOTDIR,
		     "path b'/b/latest/file/x' ends internally in non-directory here: [(b'', Root(meta=16877)), (b'b', RevList(meta=<<class");
	expect_error("/b/latest/file/", 0, ENOTDIR, "resolves to non-directory");
	expect_error("/b/latest/file/.", 0, ENOTDIR, "resolves to non-directory");
	expect_error("/b/latest/link/", 0, ENOTDIR, "resolves to non-directory");
	expect_error("/b/latest/c/", 0, ENOTDIR, "Chunky(meta=<<class");
	/* relative paths start at the parent */
	struct vfs_path parent = VFS_PATH_INIT, p = VFS_PATH_INIT;
	struct vfs_error err = VFS_ERROR_INIT;
	struct buf b = BUF_INIT;
	assert_int_equal(vfs_resolve(vfs, "/b/latest/a", NULL, 0, &parent, &err), 0);
	assert_int_equal(vfs_resolve(vfs, "f", &parent, 0, &p, &err), 0);
	vfs_path_join(&p, &b);
	assert_string_equal(b.data, "/b/1970-01-01-000100/a/f");
	assert_int_equal(vfs_resolve(vfs, ".", &parent, 0, &p, &err), 0);
	assert_int_equal(p.nr, parent.nr);
	buf_release(&b);
	vfs_path_release(&p);
	vfs_path_release(&parent);
	vfs_error_release(&err);
}

static const struct vfs_entry *find(const struct vfs_dir *d, const char *n)
{
	for (size_t i = 0; i < d->nr; i++)
		if (!strcmp(d->ents[i].name, n))
			return &d->ents[i];
	fail_msg("no entry %s", n);
	return NULL;
}

static void test_contents_meta(void **state)
{
	struct vfs_path p = VFS_PATH_INIT;
	struct vfs_error err = VFS_ERROR_INIT;
	struct vfs_dir d = VFS_DIR_INIT;
	const struct vfs_entry *e;
	(void)state;

	assert_int_equal(vfs_resolve(vfs, "/b/latest", NULL, 0, &p, &err), 0);
	const struct vfs_item *save = vfs_path_leaf(&p)->item;
	assert_int_equal(save->kind, VFS_COMMIT);
	assert_int_equal(save->meta_kind, VFS_META_REAL);
	assert_int_equal(save->meta.mode, 040700);
	assert_int_equal(save->meta.size, 0);
	vfs_contents(vfs, save, 0, &d);
	assert_string_equal(d.ents[0].name, ".");
	assert_int_equal(d.ents[0].item.meta.mode, 040700);
	e = find(&d, "c");
	assert_int_equal(e->item.kind, VFS_CHUNKY);
	assert_int_equal(e->item.meta.mode, 0100600);
	assert_int_equal(vfs_item_size(vfs, &e->item), 12);
	e = find(&d, "fifo");
	assert_true(S_ISFIFO(e->item.meta.mode));
	e = find(&d, "file");
	assert_int_equal(e->item.meta.mode, 0100755);
	e = find(&d, "x.bup");
	assert_int_equal(e->item.meta.size, 2);
	e = find(&d, "a");
	assert_int_equal(e->item.meta_kind, VFS_META_MODE);
	assert_int_equal(e->item.meta.mode, VFS_DEFAULT_DIR_MODE);
	for (size_t i = 0; i < d.nr; i++)
		assert_string_not_equal(d.ents[i].name, ".bupm");

	/* a tree without .bupm: default modes, augmented records */
	struct vfs_item deep = find(&d, "deep")->item;
	struct vfs_dir d2 = VFS_DIR_INIT;
	vfs_contents(vfs, &deep, 0, &d2);
	assert_int_equal(d2.nr, 2);
	assert_int_equal(d2.ents[1].item.meta.mode, VFS_DEFAULT_FILE_MODE);
	vfs_augment_meta(vfs, &d2.ents[1].item, 1);
	assert_int_equal(d2.ents[1].item.meta_kind, VFS_META_FAKE);
	assert_int_equal(d2.ents[1].item.meta.size, 2);
	vfs_dir_release(&d2);

	/* the branch: ".", saves, latest */
	vfs_contents(vfs, vfs_path_leaf(&p)->item, 0, &d2);
	vfs_dir_release(&d2);
	struct vfs_path bp = VFS_PATH_INIT;
	assert_int_equal(vfs_resolve(vfs, "/b", NULL, 0, &bp, &err), 0);
	vfs_contents(vfs, vfs_path_leaf(&bp)->item, 0, &d2);
	assert_int_equal(d2.nr, 5);
	assert_string_equal(d2.ents[1].name, "1970-01-01-000000-0");
	assert_string_equal(d2.ents[2].name, "1970-01-01-000000-1");
	assert_string_equal(d2.ents[3].name, "1970-01-01-000100");
	assert_string_equal(d2.ents[4].name, "latest");
	assert_int_equal(d2.ents[4].item.kind, VFS_FAKELINK);
	assert_string_equal(d2.ents[4].item.target.data, "1970-01-01-000100");
	vfs_dir_release(&d2);
	vfs_path_release(&bp);

	/* fill_dir_meta turns a save into a tree item with its record */
	struct vfs_item it;
	vfs_item_copy(&it, &d.ents[0].item);
	vfs_item_release(&it);

	vfs_dir_release(&d);
	vfs_path_release(&p);
	vfs_error_release(&err);
}

static void read_all(struct vfs_reader *r, struct buf *out)
{
	const uint8_t *d;
	size_t n;
	while ((n = vfs_reader_next(r, &d)))
		buf_add(out, d, n);
}

static void test_reader(void **state)
{
	struct vfs_reader *r;
	struct buf b = BUF_INIT;
	char small[7];
	(void)state;

	r = vfs_reader_open_oid(vfs, &chunked_tree);
	assert_int_equal(vfs_reader_size(r), 12);
	read_all(r, &b);
	assert_string_equal(b.data, "hello world!");
	assert_int_equal(vfs_reader_seek(r, 3), 0);
	buf_reset(&b);
	read_all(r, &b);
	assert_string_equal(b.data, "lo world!");
	assert_int_equal(vfs_reader_seek(r, 6), 0);
	assert_int_equal(vfs_reader_read(r, small, 6), 6);
	assert_memory_equal(small, "world!", 6);
	assert_int_equal(vfs_reader_read(r, small, 6), 0);
	assert_int_equal(vfs_reader_seek(r, 13), -1);
	assert_int_equal(errno, EINVAL);
	vfs_reader_close(r);

	r = vfs_reader_open_oid(vfs, &big_oid);
	assert_int_equal(vfs_reader_size(r), 100000);
	buf_reset(&b);
	read_all(r, &b);
	assert_int_equal(b.len, 100000);
	for (int n = 0; n < 100; n++) {
		assert_int_equal((unsigned char)b.data[n * 1000], n);
		assert_int_equal(b.data[n * 1000 + 999], 'A' + n % 26);
	}
	/* seeks land inside a leaf of a subtree */
	for (uint64_t ofs = 0; ofs < 100000; ofs += 7919) {
		char c[3];
		assert_int_equal(vfs_reader_seek(r, ofs), 0);
		size_t got = vfs_reader_read(r, c, 3);
		assert_true(got >= 1);
		assert_memory_equal(c, b.data + ofs, got);
		assert_int_equal(vfs_reader_tell(r), ofs + got);
	}
	vfs_reader_close(r);
	buf_release(&b);
}

/* The ls -l line options (metadata_format_summary_opts), as bup ls uses them. */
static void test_summary_opts(void **state)
{
	struct metadata m;
	struct buf b = BUF_INIT;
	struct summary_opts o = { 0 };
	static const struct { int64_t size; const char *want; } sizes[] = {
		{ 1023, "1023" }, { 1024, "1.0K" }, { 1048575, "1024.0K" },
		{ 1048576, "1.0M" }, { 1073741824, "1024.0M" },
		{ 5000000000LL, "4.7G" },
	};
	(void)state;
	metadata_init(&m);
	m.has_common = 1;
	m.mode = 0100755;
	m.uid = 7;
	m.gid = 8;
	buf_adds(&m.user, "u");
	m.size = 5;
	o.classify = 2;
	metadata_format_summary_opts(&m, "n", 1, &o, &b);
	assert_string_equal(b.data,
		"-rwxr-xr-x u/8                   5 1970-01-01 00:00 n*");
	buf_reset(&b);
	o.classify = 1;
	o.numeric_ids = 1;
	metadata_format_summary_opts(&m, "n", 1, &o, &b);
	assert_string_equal(b.data,
		"-rwxr-xr-x 7/8                   5 1970-01-01 00:00 n");
	buf_reset(&b);
	o.no_ids = 1;
	o.numeric_ids = 0;
	buf_reset(&m.user);
	metadata_format_summary_opts(&m, "n", 1, &o, &b);
	assert_string_equal(b.data,
		"-rwxr-xr-x ?/?                   5 1970-01-01 00:00 n");
	o.no_ids = 0;
	o.human_readable = 1;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char want[32];
		m.size = sizes[i].size;
		buf_reset(&b);
		metadata_format_summary_opts(&m, "n", 1, &o, &b);
		snprintf(want, sizeof(want), " %s ", sizes[i].want);
		if (!strstr(b.data, want))
			fail_msg("size %lld: '%s'", (long long)sizes[i].size,
				 b.data);
	}
	assert_string_equal(metadata_classification(010644, 1), "|");
	assert_string_equal(metadata_classification(0140755, 1), "=");
	assert_string_equal(metadata_classification(0100644, 1), "");
	buf_release(&b);
	metadata_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_names),
		cmocka_unit_test(test_resolve_names),
		cmocka_unit_test(test_resolve_links),
		cmocka_unit_test(test_resolve_notdir),
		cmocka_unit_test(test_contents_meta),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_summary_opts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
