/*
 * Unit tests for lib/bupindex: write/read round trip, children links,
 * header check, merge precedence (FORMATS-2 §3.1, §3.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/bupindex.h"
#include "lib/bupindex_meta.h"
#include "lib/xio.h"

static char dir[] = "/tmp/test-bupindex.XXXXXX";

static char *path(const char *name)
{
	static char p[8][256];
	static int k;
	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static struct stat fake_st(ino_t ino, int isdir, int64_t t)
{
	struct stat st;
	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_dev = 7;
	st.st_nlink = 1;
	st.st_mode = isdir ? 040755 : 0100644;
	st.st_size = 10 + ino;
	st.st_mtim.tv_sec = st.st_ctim.tv_sec = t;
	st.st_mtim.tv_nsec = st.st_ctim.tv_nsec = 5;
	return st;
}

/* write entries (descending) into a fresh index file */
static void write_index(const char *file, const char **names, int n,
			int64_t tmax, int fake)
{
	struct metastore *ms = metastore_open(path("meta"));
	struct bupindex_writer w;
	assert_non_null(ms);
	assert_int_equal(bupindex_writer_open(&w, file, ms, tmax), 0);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]);
		struct stat st = fake_st(i + 1, names[i][l - 1] == '/', 1000);
		bupindex_writer_add(&w, names[i], &st, 0, fake);
	}
	assert_int_equal(bupindex_writer_commit(&w), 0);
	assert_int_equal(metastore_close(ms), 0);
}

static const char *tree[] = { "/a/z", "/a/b/y", "/a/b/x", "/a/b/", "/a/" };

static void test_round_trip(void **state)
{
	struct bupindex ix;
	struct ixlist l = IXLIST_INIT;
	const char *want[] = { "/a/z", "/a/b/y", "/a/b/x", "/a/b/", "/a/", "/" };
	struct ixent e;

	write_index(path("ix"), tree, 5, INT64_MAX, 0);
	assert_int_equal(bupindex_open(&ix, path("ix")), 0);
	assert_true(bupindex_exists(&ix));
	assert_int_equal(ix.count, 6);
	bupindex_iter(&ix, NULL, &l);
	assert_int_equal(l.nr, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(ixlist_name(&l, i), want[i]);
	bupindex_entry_load(&ix, l.items[1].ofs, &e);
	assert_int_equal(e.ino, 2);
	assert_int_equal(e.size, 12);
	assert_int_equal(e.mtime, 1000000000005LL);
	assert_int_equal(e.flags, IX_EXISTS);
	assert_true(ixent_sha_empty(&e));
	/* the root is blank and last in the file */
	bupindex_entry_load(&ix, l.items[5].ofs, &e);
	assert_int_equal(l.items[5].ofs, ix.size - 8 - 130);
	assert_int_equal(e.mode, 0);
	assert_int_equal(e.children_n, 1);
	assert_int_equal(bupindex_check(&ix, 0), 0);
	ixlist_release(&l);

	/* iteration under a name ends with the name itself */
	bupindex_iter(&ix, "/a/b/", &l);
	assert_int_equal(l.nr, 3);
	assert_string_equal(ixlist_name(&l, 2), "/a/b/");
	ixlist_release(&l);
	bupindex_iter(&ix, "/a/b/x", &l);
	assert_int_equal(l.nr, 1);
	ixlist_release(&l);
	bupindex_close(&ix);
}

static void test_children_links(void **state)
{
	struct bupindex ix;
	struct ixlist l = IXLIST_INIT;
	struct ixent e, c;

	write_index(path("ix"), tree, 5, INT64_MAX, 0);
	assert_int_equal(bupindex_open(&ix, path("ix")), 0);
	bupindex_forward(&ix, &l);
	/* file order: y x z b/ a/ / (a directory's children together,
	 * descending, written when the directory is) */
	assert_int_equal(l.nr, 6);
	assert_string_equal(ixlist_name(&l, 0), "y");
	assert_string_equal(ixlist_name(&l, 2), "z");
	assert_string_equal(ixlist_name(&l, 3), "b/");
	assert_string_equal(ixlist_name(&l, 4), "a/");
	bupindex_entry_load(&ix, l.items[4].ofs, &e);
	assert_int_equal(e.children_n, 2);
	/* children_ofs is the offset of the first child's name */
	assert_int_equal(e.children_ofs, l.items[2].ofs - 2);
	bupindex_entry_load(&ix, l.items[3].ofs, &c);
	assert_int_equal(c.children_n, 2);
	assert_int_equal(c.children_ofs, 8);
	ixlist_release(&l);
	bupindex_close(&ix);
}

static void test_header_and_corruption(void **state)
{
	struct bupindex ix;
	struct buf b = BUF_INIT;
	FILE *f;

	f = fopen(path("bad"), "w");
	fwrite("BUPI\0\0\0\x08xxxxxxxxxxxxxxxx", 1, 24, f);
	fclose(f);
	assert_int_equal(bupindex_open(&ix, path("bad")), 0);
	assert_false(bupindex_exists(&ix));	/* read as empty */
	bupindex_close(&ix);

	assert_int_equal(bupindex_open(&ix, path("absent")), 0);
	assert_false(bupindex_exists(&ix));
	bupindex_close(&ix);

	write_index(path("ix"), tree, 5, INT64_MAX, 0);
	assert_int_equal(read_file(path("ix"), &b), 0);
	f = fopen(path("trunc"), "w");
	fwrite(b.data, 1, b.len - 20, f);
	fclose(f);
	assert_int_equal(bupindex_open(&ix, path("trunc")), -1);
	bupindex_close(&ix);
	buf_release(&b);
}

/* Times too large for int64 nanoseconds (found by fuzzing: an overflow). */
static void test_time_out_of_range(void **state)
{
	static const uint8_t big[8] = { 0x10, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t small[8] = { 0xf0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ns_big[8] = { 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t p[IX_ENTLEN];
	struct ixent e;

	memset(p, 0, sizeof(p));
	memcpy(p + 24, big, 8);		/* ctime seconds 2^60 */
	memcpy(p + 40, small, 8);	/* mtime seconds -2^60 */
	memcpy(p + 56 + 8, ns_big, 8);	/* atime 0 s, INT64_MAX ns */
	p[56 + 7] = 1;			/* ... and 1 s */
	ixent_unpack(&e, p);
	assert_true(e.ctime == INT64_MAX);
	assert_true(e.mtime == INT64_MIN);
	assert_true(e.atime == INT64_MAX);
}

/*
 * A file dated after 2262 (or before 1678) saturates from lstat as from
 * the index, so an unchanged one is not stale; packing the saturated
 * values and reading them back gives them again.
 */
static void test_stat_time_out_of_range(void **state)
{
	uint8_t p[IX_ENTLEN];
	struct ixent e, back;
	struct stat st;

	memset(&e, 0, sizeof(e));
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0644;
	st.st_nlink = 1;
	st.st_mtim.tv_sec = 10000000000LL;	/* year 2286 */
	st.st_mtim.tv_nsec = 5;
	st.st_ctim.tv_sec = -10000000000LL;	/* year 1653 */
	st.st_atim.tv_sec = INT64_MAX;
	ixent_update_from_stat(&e, &st, 0);
	assert_true(e.mtime == INT64_MAX);
	assert_true(e.ctime == INT64_MIN);
	assert_true(e.atime == INT64_MAX);
	ixent_validate(&e, 0100644, ix_fake_sha);
	assert_int_equal(ixent_stale(&e, &st, 1), 0);
	ixent_pack(&e, p);
	ixent_unpack(&back, p);
	assert_true(back.mtime == INT64_MAX);
	assert_true(back.ctime == INT64_MIN);
	assert_int_equal(ixent_stale(&back, &st, 1), 0);
}

static void test_tmax_clamp(void **state)
{
	struct bupindex ix;
	struct ixlist l = IXLIST_INIT;
	struct ixent e;
	write_index(path("ix"), tree, 5, 999000000000LL, 1);
	assert_int_equal(bupindex_open(&ix, path("ix")), 0);
	bupindex_iter(&ix, NULL, &l);
	bupindex_entry_load(&ix, l.items[0].ofs, &e);
	assert_int_equal(e.mtime, 999000000000LL);
	assert_int_equal(e.ctime, 999000000000LL);
	assert_int_equal(e.gitmode, 0100644);
	assert_memory_equal(e.sha, ix_fake_sha, 20);
	assert_true(ixent_valid(&e));
	ixlist_release(&l);
	bupindex_close(&ix);
}

static void test_merge_precedence(void **state)
{
	struct bupindex a, b, m;
	struct ixlist l = IXLIST_INIT;
	struct metastore *ms;
	struct bupindex_writer w;
	const char *newer[] = { "/a/c", "/a/" };
	struct ixent e;

	/* a: valid (fake-valid) entries; b: a new file and a blank /a/ */
	write_index(path("a"), tree, 5, INT64_MAX, 1);
	ms = metastore_open(path("meta"));
	assert_int_equal(bupindex_writer_open(&w, path("b"), ms, INT64_MAX), 0);
	{
		struct stat st = fake_st(9, 0, 1000);
		bupindex_writer_add(&w, newer[0], &st, 0, 0);
	}
	assert_int_equal(bupindex_writer_commit(&w), 0);
	assert_int_equal(bupindex_open(&a, path("a")), 0);
	assert_int_equal(bupindex_open(&b, path("b")), 0);
	assert_int_equal(bupindex_writer_open(&w, path("m"), ms, INT64_MAX), 0);
	bupindex_merge(&a, &b, &w);
	assert_int_equal(bupindex_writer_commit(&w), 0);
	assert_int_equal(bupindex_open(&m, path("m")), 0);
	bupindex_iter(&m, NULL, &l);
	assert_int_equal(l.nr, 7);
	assert_string_equal(ixlist_name(&l, 0), "/a/z");
	assert_string_equal(ixlist_name(&l, 1), "/a/c");
	assert_string_equal(ixlist_name(&l, 5), "/a/");
	/* the invalid blank /a/ of b wins over the valid real one of a */
	bupindex_entry_load(&m, l.items[5].ofs, &e);
	assert_false(ixent_valid(&e));
	assert_true(ixent_fake(&e));
	/* a's valid /a/b/ is kept (b has none) */
	bupindex_entry_load(&m, l.items[4].ofs, &e);
	assert_true(ixent_valid(&e));
	assert_int_equal(bupindex_check(&m, 0), 0);
	ixlist_release(&l);

	/* equally invalid: the real entry wins over the blank one */
	bupindex_close(&m);
	assert_int_equal(bupindex_writer_open(&w, path("m2"), ms, INT64_MAX), 0);
	{
		/* invalidate a's /a/ first */
		struct ixlist la = IXLIST_INIT;
		bupindex_iter(&a, "/a/", &la);
		bupindex_entry_load(&a, la.items[la.nr - 1].ofs, &e);
		e.flags &= ~IX_HASHVALID;
		bupindex_repack(&a, &la, la.nr - 1, &e);
		ixlist_release(&la);
	}
	bupindex_merge(&a, &b, &w);
	assert_int_equal(bupindex_writer_commit(&w), 0);
	assert_int_equal(bupindex_open(&m, path("m2")), 0);
	bupindex_iter(&m, "/a/", &l);
	bupindex_entry_load(&m, l.items[l.nr - 1].ofs, &e);
	assert_false(ixent_fake(&e));
	assert_int_equal(e.ino, 5);
	ixlist_release(&l);
	bupindex_close(&m);
	bupindex_close(&a);
	bupindex_close(&b);
	metastore_close(ms);
}

static void test_repack_invalidates_ancestors(void **state)
{
	struct bupindex ix;
	struct ixlist l = IXLIST_INIT;
	struct ixent e;
	write_index(path("ix"), tree, 5, INT64_MAX, 1);
	assert_int_equal(bupindex_open(&ix, path("ix")), 0);
	bupindex_iter(&ix, "/a/b/", &l);	/* ancestors not listed */
	bupindex_entry_load(&ix, l.items[0].ofs, &e);
	ixent_set_deleted(&e);
	bupindex_repack(&ix, &l, 0, &e);
	ixlist_release(&l);
	bupindex_iter(&ix, NULL, &l);
	for (size_t i = 0; i < l.nr; i++) {
		bupindex_entry_load(&ix, l.items[i].ofs, &e);
		const char *n = ixlist_name(&l, i);
		if (!strcmp(n, "/a/z") || !strcmp(n, "/a/b/x"))
			assert_true(ixent_valid(&e));
		else
			assert_false(e.flags & IX_HASHVALID);
	}
	ixlist_release(&l);
	bupindex_close(&ix);
}

static void test_metastore_reuse(void **state)
{
	struct metastore *ms;
	unlink(path("m.meta"));
	ms = metastore_open(path("m.meta"));
	assert_int_equal(metastore_store(ms, "\x03\x01x\x00", 4), 0);
	/* offset 0 is never reused (bup's quirk) */
	assert_int_equal(metastore_store(ms, "\x03\x01x\x00", 4), 4);
	assert_int_equal(metastore_store(ms, "\x03\x01x\x00", 4), 4);
	assert_int_equal(metastore_store_empty(ms), 8);
	assert_int_equal(metastore_store(ms, "\x03\x01y\x00", 4), 9);
	metastore_close(ms);
	/* the reload stops at the first empty object */
	ms = metastore_open(path("m.meta"));
	assert_int_equal(metastore_store(ms, "\x03\x01x\x00", 4), 4);
	assert_int_equal(metastore_store(ms, "\x03\x01y\x00", 4), 13);
	metastore_close(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_children_links),
		cmocka_unit_test(test_header_and_corruption),
		cmocka_unit_test(test_time_out_of_range),
		cmocka_unit_test(test_tmax_clamp),
		cmocka_unit_test(test_stat_time_out_of_range),
		cmocka_unit_test(test_merge_precedence),
		cmocka_unit_test(test_repack_invalidates_ancestors),
		cmocka_unit_test(test_metastore_reuse),
	};
	int r;
	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	remove_tree(dir);
	return r;
}
