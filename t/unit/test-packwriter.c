/*
 * Unit tests for lib/packwriter: packs written straight into a bare
 * repository (FORMATS-1 §3), checked with `git verify-pack` and against
 * the pack names of §7.4 (zlib mode gives bup 0.33's exact bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/hashsplit.h"
#include "lib/oid.h"
#include "lib/packwriter.h"
#include "lib/repo.h"
#include "lib/splittree.h"
#include "lib/tree.h"
#include "lib/usage.h"
#include "t/unit/helpers.h"

static char tmpdir[] = "/tmp/test-packwriter-XXXXXX";
static int repo_seq;

static int setup(void **state)
{
	(void)state;
	if (tmp_git_home(tmpdir))
		return -1;
	repo_global_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(tmpdir);
}

/* A fresh bare repository; `compressor` NULL leaves the config alone. */
static void new_repo(char *path, size_t n, const char *compressor)
{
	char cmd[1024];
	snprintf(path, n, "%s/repo%d", tmpdir, ++repo_seq);
	assert_int_equal(git_init_bare(path), 0);
	if (compressor) {
		snprintf(cmd, sizeof(cmd),
			 "git --git-dir='%s' config bup.packCompressor %s",
			 path, compressor);
		assert_int_equal(system(cmd), 0);
	}
}

static int count_files(const char *dir, const char *suffix, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);
		if (prefix && strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		if (l >= sl && !strcmp(de->d_name + l - sl, suffix))
			n++;
	}
	closedir(d);
	return n;
}

static int count_packs(const char *repo)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/objects/pack", repo);
	return count_files(dir, ".pack", "pack-");
}

static int count_idx(const char *repo)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/objects/pack", repo);
	return count_files(dir, ".idx", "pack-");
}

/* No temporary pack directories left behind. */
static void assert_no_tmp(const char *repo)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/objects", repo);
	assert_int_equal(count_files(dir, "", "pack-tmp-"), 0);
}

static int verify_packs(const char *repo)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/objects/pack' && for i in *.idx; do "
		 "[ -f \"$i\" ] || exit 3; "
		 "git verify-pack \"$i\" >/dev/null || exit 1; done", repo);
	return system(cmd);
}

static int git_has(const char *repo, const struct oid *o)
{
	char cmd[1024], hex[OID_HEXSZ + 1];
	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' cat-file -e %s", repo,
		 oid_to_hex(o, hex));
	return system(cmd) == 0;
}

static off_t file_size(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

static struct packwriter *writer(struct repo *r, int level)
{
	struct packwriter_opts o = PACKWRITER_OPTS_INIT;
	o.level = level;
	o.threads = 2;
	return packwriter_new(r, &o);
}

/* blob "a" then tree {0 -> blob}: `bup split -t one.bin` */
static void write_one_bin(struct packwriter *pw, struct oid *blob,
			  struct oid *tree)
{
	struct tree_builder tb = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT;
	packwriter_write(pw, OBJ_BLOB, "a", 1, blob);
	tree_add(&tb, GIT_MODE_FILE, "0", 1, blob);
	tree_encode(&tb, &b);
	packwriter_write(pw, OBJ_TREE, b.data, b.len, tree);
	tree_release(&tb);
	buf_release(&b);
}

static void pack_path(char *out, size_t n, const char *repo, const char *hex,
		      const char *ext)
{
	snprintf(out, n, "%s/objects/pack/pack-%s.%s", repo, hex, ext);
}

static void test_packwriter_header(void **state)
{
	uint8_t h[16];
	(void)state;
	assert_int_equal(pack_object_header(h, OBJ_BLOB, 1), 1);
	assert_int_equal(h[0], 0x31);
	assert_int_equal(pack_object_header(h, OBJ_TREE, 29), 2);
	assert_int_equal(h[0], 0xad);
	assert_int_equal(h[1], 0x01);
	assert_int_equal(pack_object_header(h, OBJ_BLOB, 0), 1);
	assert_int_equal(h[0], 0x30);
	assert_int_equal(pack_object_header(h, OBJ_COMMIT, 15), 1);
	assert_int_equal(h[0], 0x1f);
	assert_int_equal(pack_object_header(h, OBJ_COMMIT, 16), 2);
	assert_int_equal(h[0], 0x90);
	assert_int_equal(h[1], 0x01);
	/* 32768 = 0x8000: low 4 bits 0, then 0x800 = 0x10 | 0x80, 0x10 */
	assert_int_equal(pack_object_header(h, OBJ_BLOB, 32768), 3);
	assert_int_equal(h[0], 0xb0);
	assert_int_equal(h[1], 0x80);
	assert_int_equal(h[2], 0x10);
	assert_int_equal(pack_object_header(h, OBJ_TAG, 0xffffffffffffffffull), 10);
	assert_int_equal(h[0], 0xcf);
	for (int i = 1; i < 9; i++)
		assert_int_equal(h[i], 0xff);
	assert_int_equal(h[9], 0x0f);
}

/* FORMATS-1 §7.4: pack-c223be51... (82 B pack, 1128 B idx). */
static void test_packwriter_zlib_golden_one_bin(void **state)
{
	char repo_dir[512], p[1024];
	struct repo r;
	struct packwriter *pw;
	struct oid blob, tree;
	struct buf b = BUF_INIT;
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), "zlib");
	repo_open(&r, repo_dir);
	pw = writer(&r, 1);
	write_one_bin(pw, &blob, &tree);
	packwriter_close(pw);

	assert_int_equal(count_packs(repo_dir), 1);
	assert_int_equal(count_idx(repo_dir), 1);
	pack_path(p, sizeof(p), repo_dir,
		  "c223be5129dd5b0d3c6584f1219d720037ac049d", "pack");
	if (file_size(p) < 0) {
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "ls -l '%s/objects/pack' >&2", repo_dir);
		(void)system(cmd);
		fail_msg("pack-c223be5129dd5b0d3c6584f1219d720037ac049d.pack not written");
	}
	assert_int_equal(file_size(p), 82);
	pack_path(p, sizeof(p), repo_dir,
		  "c223be5129dd5b0d3c6584f1219d720037ac049d", "idx");
	assert_int_equal(file_size(p), 1128);
	/* the idx ends with its sha from §7.4 */
	FILE *f = fopen(p, "rb");
	uint8_t tail[20];
	struct oid want;
	assert_non_null(f);
	assert_int_equal(fseek(f, -20, SEEK_END), 0);
	assert_int_equal(fread(tail, 1, 20, f), 20);
	fclose(f);
	oid_from_hex(&want, "0bff8d58495908c03fe9e0003b0b7aba6401595a");
	assert_memory_equal(tail, want.hash, 20);

	assert_int_equal(verify_packs(repo_dir), 0);
	assert_true(git_has(repo_dir, &blob));
	assert_true(git_has(repo_dir, &tree));
	assert_no_tmp(repo_dir);
	buf_release(&b);
	repo_close(&r);
}

static void test_packwriter_zlib_golden_level9(void **state)
{
	char repo_dir[512], p[1024];
	struct repo r;
	struct packwriter *pw;
	struct oid blob, tree;
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), "zlib");
	repo_open(&r, repo_dir);
	pw = writer(&r, 9);
	write_one_bin(pw, &blob, &tree);
	packwriter_close(pw);
	pack_path(p, sizeof(p), repo_dir,
		  "9dc2fbbffcbe8c094648d542331d7865acbae2d5", "pack");
	assert_true(file_size(p) > 0);
	assert_int_equal(verify_packs(repo_dir), 0);
	repo_close(&r);
}

/* ---- rand5m / zero20m through the splitter (FORMATS-1 §7.4) ---- */

static uint8_t *bup_random(unsigned seed, size_t len)
{
	uint8_t *out = malloc(len);
	uint32_t block[256];
	assert_non_null(out);
	srandom(seed);
	for (size_t pos = 0; pos < len;) {
		for (int i = 0; i < 256; i++)
			block[i] = (uint32_t)random();
		size_t n = len - pos < sizeof(block) ? len - pos : sizeof(block);
		memcpy(out + pos, block, n);
		pos += n;
	}
	return out;
}

struct ctx {
	struct packwriter *pw;
	struct splittree *st;	/* NULL: -b mode */
	size_t chunks;
};

static int emit(void *c_, const uint8_t *data, size_t len, int level)
{
	struct ctx *c = c_;
	struct oid o;
	packwriter_write(c->pw, OBJ_BLOB, data, len, &o);
	if (c->st)
		splittree_add(c->st, &o, len, level);
	c->chunks++;
	return 0;
}

static void split_into(struct packwriter *pw, const uint8_t *d, size_t len,
		       int tree_mode, struct oid *top, size_t *chunks)
{
	struct splittree st;
	struct hashsplit hs;
	struct ctx c = { pw, tree_mode ? &st : NULL, 0 };
	splittree_init(&st, pw);
	hashsplit_init(&hs, 16, emit, &c);
	for (size_t pos = 0; pos < len;) {
		size_t n = len - pos < HASHSPLIT_READ_SIZE ? len - pos :
			   HASHSPLIT_READ_SIZE;
		assert_int_equal(hashsplit_feed_copy(&hs, d + pos, n), 0);
		pos += n;
	}
	assert_int_equal(hashsplit_finish(&hs), 0);
	hashsplit_release(&hs);
	if (tree_mode) {
		struct split_entry *ents;
		size_t nr;
		splittree_finish(&st, &ents, &nr);
		splittree_write_tree(pw, ents, nr, top);
	}
	splittree_release(&st);
	if (chunks)
		*chunks = c.chunks;
}

static void assert_single_pack(const char *repo, const char *hex)
{
	char p[1024];
	pack_path(p, sizeof(p), repo, hex, "pack");
	if (file_size(p) <= 0) {
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "ls '%s/objects/pack' >&2", repo);
		(void)system(cmd);
		fail_msg("pack-%s.pack not written", hex);
	}
	assert_int_equal(count_packs(repo), 1);
	assert_int_equal(verify_packs(repo), 0);
}

/* Objects in the repository's packs, as git counts them. */
static int pack_objects(const char *repo)
{
	char cmd[1024];
	FILE *f;
	int total = 0, n;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/objects/pack' && for i in *.idx; do "
		 "git show-index < \"$i\" | wc -l; done", repo);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fscanf(f, "%d", &n) == 1)
		total += n;
	pclose(f);
	return total;
}

static void test_packwriter_zlib_golden_rand5m(void **state)
{
	size_t len = 5 << 20, chunks;
	uint8_t *d = bup_random(1, len);
	char repo_dir[512];
	struct repo r;
	struct packwriter *pw;
	struct packwriter_stats st;
	struct oid top;
	(void)state;

	/* split -b */
	new_repo(repo_dir, sizeof(repo_dir), "zlib");
	repo_open(&r, repo_dir);
	pw = writer(&r, 1);
	split_into(pw, d, len, 0, NULL, &chunks);
	packwriter_stats(pw, &st);
	assert_int_equal(chunks, 629);
	assert_int_equal(st.objects_skipped, 0);
	packwriter_close(pw);
	assert_single_pack(repo_dir, "bd76b48453e120dd47b6a6c612b8de7401bc6dc6");
	assert_int_equal(pack_objects(repo_dir), 629);
	repo_close(&r);

	/* split -t */
	new_repo(repo_dir, sizeof(repo_dir), "zlib");
	repo_open(&r, repo_dir);
	pw = writer(&r, 1);
	split_into(pw, d, len, 1, &top, NULL);
	packwriter_close(pw);
	char hex[41];
	assert_string_equal(oid_to_hex(&top, hex),
			    "bff4bb514fb16978768e4f694af4a6218d935bcf");
	assert_single_pack(repo_dir, "d42b1ad8ea2eddaf0b37aba6bc98c0fb249e9959");
	assert_true(git_has(repo_dir, &top));
	repo_close(&r);
	free(d);
}

/* zero20m: 640 chunks, one blob (the `also` set dedups inside a pack). */
static void test_packwriter_zlib_golden_zero20m(void **state)
{
	size_t len = 20 << 20;
	uint8_t *d = calloc(len, 1);
	char repo_dir[512];
	struct repo r;
	struct packwriter *pw;
	struct packwriter_stats st;
	struct oid top;
	(void)state;
	assert_non_null(d);
	new_repo(repo_dir, sizeof(repo_dir), "zlib");
	repo_open(&r, repo_dir);
	pw = writer(&r, 1);
	split_into(pw, d, len, 1, &top, NULL);
	packwriter_stats(pw, &st);
	/* 639 repeated blobs and the repeated 256-chunk subtree */
	assert_int_equal(st.objects_skipped, 639 + 1);
	packwriter_close(pw);
	assert_single_pack(repo_dir, "b7218d3ae5dce7295e3802e254a34f8daacdcc02");
	/* one blob, the 256-chunk subtree, the 128-chunk one, the top */
	assert_int_equal(pack_objects(repo_dir), 4);
	repo_close(&r);
	free(d);
}

/* Default compressor (libdeflate): a valid pack git can read. */
static void test_packwriter_libdeflate_valid(void **state)
{
	size_t len = 1 << 20, n = 0;
	uint8_t *d = bup_random(7, len);
	char repo_dir[512];
	struct repo r;
	struct packwriter *pw;
	struct oid ids[65];
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), NULL);
	repo_open(&r, repo_dir);
	pw = writer(&r, -1);
	for (size_t pos = 0; pos < len && n < 64; pos += 16384, n++)
		packwriter_write(pw, OBJ_BLOB, d + pos, 16384, &ids[n]);
	packwriter_write(pw, OBJ_BLOB, "", 0, &ids[n++]);
	for (size_t i = 0; i < n; i++)
		assert_true(packwriter_exists(pw, &ids[i]));
	packwriter_close(pw);
	assert_int_equal(count_packs(repo_dir), 1);
	assert_int_equal(verify_packs(repo_dir), 0);
	for (size_t i = 0; i < n; i++)
		assert_true(git_has(repo_dir, &ids[i]));
	assert_no_tmp(repo_dir);

	/* A new writer finds them in the pack and writes nothing. */
	pw = writer(&r, -1);
	for (size_t i = 0; i < n; i++)
		assert_true(packwriter_exists(pw, &ids[i]));
	struct oid absent;
	memset(absent.hash, 0x42, sizeof(absent.hash));
	assert_false(packwriter_exists(pw, &absent));
	for (size_t pos = 0, i = 0; i < n - 1; pos += 16384, i++) {
		struct oid o;
		packwriter_write(pw, OBJ_BLOB, d + pos, 16384, &o);
		assert_true(oid_eq(&o, &ids[i]));
	}
	struct packwriter_stats st;
	packwriter_stats(pw, &st);
	assert_int_equal(st.objects_written, 0);
	assert_int_equal(st.objects_skipped, n - 1);
	packwriter_close(pw);
	assert_int_equal(count_packs(repo_dir), 1);
	repo_close(&r);
	free(d);
}

/*
 * Borrowed objects are read in place until packwriter_return_borrowed():
 * scribbling over the buffer after it returns changes nothing in the pack.
 */
static void test_packwriter_borrowed(void **state)
{
	size_t len = 1 << 20, n = 0;
	uint8_t *d = bup_random(11, len);
	char repo_dir[512];
	struct repo r;
	struct packwriter *pw;
	struct packwriter_stats st;
	struct oid ids[300];
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), NULL);
	repo_open(&r, repo_dir);
	pw = writer(&r, -1);
	/* more objects than the ring holds, so some are written before
	 * the return and some after */
	for (size_t pos = 0; pos < len; pos += 4096, n++) {
		oid_for_object(&ids[n], OBJ_BLOB, d + pos, 4096);
		packwriter_add_borrowed(pw, OBJ_BLOB, d + pos, 4096, &ids[n]);
	}
	packwriter_return_borrowed(pw);
	memset(d, 0x5a, len);
	packwriter_stats(pw, &st);
	assert_int_equal(st.objects_written, n);
	packwriter_close(pw);
	assert_int_equal(verify_packs(repo_dir), 0);
	for (size_t i = 0; i < n; i++)
		assert_true(git_has(repo_dir, &ids[i]));
	repo_close(&r);
	free(d);
}

static void test_packwriter_duplicates_in_one_run(void **state)
{
	char repo_dir[512];
	struct repo r;
	struct packwriter *pw;
	struct packwriter_stats st;
	struct oid a, b, c;
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), NULL);
	repo_open(&r, repo_dir);
	pw = writer(&r, 1);
	packwriter_write(pw, OBJ_BLOB, "same", 4, &a);
	packwriter_write(pw, OBJ_BLOB, "same", 4, &b);
	/* the same bytes as another type are another object */
	packwriter_write(pw, OBJ_TREE, "", 0, &c);
	assert_true(oid_eq(&a, &b));
	packwriter_stats(pw, &st);
	assert_int_equal(st.objects_skipped, 1);
	packwriter_close(pw);
	assert_int_equal(verify_packs(repo_dir), 0);
	assert_int_equal(pack_objects(repo_dir), 2);
	repo_close(&r);
}

/* max_pack_objects finishes a pack after that many objects (§3.5). */
static void test_packwriter_rollover(void **state)
{
	char repo_dir[512];
	struct repo r;
	struct packwriter_opts o = PACKWRITER_OPTS_INIT;
	struct packwriter *pw;
	struct packwriter_stats st;
	struct oid ids[5];
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), NULL);
	repo_open(&r, repo_dir);
	o.max_pack_objects = 2;
	o.threads = 2;
	pw = packwriter_new(&r, &o);
	for (int i = 0; i < 5; i++) {
		char data[32];
		int n = snprintf(data, sizeof(data), "object %d", i);
		packwriter_write(pw, OBJ_BLOB, data, (size_t)n, &ids[i]);
	}
	packwriter_close(pw);
	assert_int_equal(count_packs(repo_dir), 3);
	assert_int_equal(count_idx(repo_dir), 3);
	assert_int_equal(verify_packs(repo_dir), 0);
	for (int i = 0; i < 5; i++)
		assert_true(git_has(repo_dir, &ids[i]));

	/* a byte limit: every object exceeds it, so one pack each */
	memset(&o, 0, sizeof(o));
	o.level = 1;
	o.max_pack_size = 10;
	o.threads = 1;
	pw = packwriter_new(&r, &o);
	for (int i = 0; i < 3; i++) {
		char data[32];
		struct oid x;
		int n = snprintf(data, sizeof(data), "another %d", i);
		packwriter_write(pw, OBJ_BLOB, data, (size_t)n, &x);
	}
	packwriter_stats(pw, &st);
	packwriter_close(pw);
	assert_int_equal(count_packs(repo_dir), 6);
	assert_int_equal(verify_packs(repo_dir), 0);
	assert_no_tmp(repo_dir);
	repo_close(&r);
}

/*
 * Full packs are finished on another thread while the next fills: an
 * object of a pack still being finished is known (not written twice),
 * and each object is in exactly one pack.
 */
static void test_packwriter_rollover_known(void **state)
{
	char repo_dir[512], cmd[1024];
	struct repo r;
	struct packwriter_opts o = PACKWRITER_OPTS_INIT;
	struct packwriter *pw;
	struct packwriter_stats st;
	struct oid ids[400];
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), NULL);
	repo_open(&r, repo_dir);
	o.max_pack_objects = 50;
	pw = packwriter_new(&r, &o);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 400; i++) {
			char data[32];
			struct oid x;
			int n = snprintf(data, sizeof(data), "rolling %d", i);
			packwriter_write(pw, OBJ_BLOB, data, (size_t)n,
					 round ? &x : &ids[i]);
			assert_true(packwriter_exists(pw, &ids[i]));
		}
	packwriter_return_borrowed(pw);	/* waits until all are written */
	packwriter_stats(pw, &st);
	assert_int_equal(st.objects_written, 400);
	assert_int_equal(st.objects_skipped, 400);
	packwriter_close(pw);
	assert_int_equal(count_packs(repo_dir), 8);
	assert_int_equal(verify_packs(repo_dir), 0);
	for (int i = 0; i < 400; i++)
		assert_true(git_has(repo_dir, &ids[i]));
	/* no object in two packs */
	snprintf(cmd, sizeof(cmd),
		 "for i in '%s'/objects/pack/*.idx; do git show-index < \"$i\"; done"
		 " | cut -d' ' -f2 | sort | uniq -d | grep -q . && exit 1; exit 0",
		 repo_dir);
	assert_int_equal(system(cmd), 0);
	assert_no_tmp(repo_dir);
	repo_close(&r);
}

/*
 * Many small objects with frequent waits for all of them (as save does
 * per batch of small files): workers sleep and wake thousands of times;
 * a lost wake-up would hang here, a double write would show in the count.
 */
static void test_packwriter_many_small(void **state)
{
	char repo_dir[512];
	struct repo r;
	struct packwriter_opts o = PACKWRITER_OPTS_INIT;
	struct packwriter *pw;
	struct packwriter_stats st;
	uint64_t n = 0;
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), NULL);
	repo_open(&r, repo_dir);
	o.threads = 2;
	pw = packwriter_new(&r, &o);
	for (int i = 0; i < 20000; i++) {
		char data[64];
		struct oid x;
		int len = snprintf(data, sizeof(data), "small object %d", i % 15000);
		packwriter_write(pw, OBJ_BLOB, data, (size_t)len, &x);
		if (i % (1 + i % 97) == 0)
			packwriter_return_borrowed(pw);
	}
	packwriter_return_borrowed(pw);
	packwriter_stats(pw, &st);
	n = st.objects_written;
	assert_int_equal(n, 15000);
	assert_int_equal(st.objects_skipped, 5000);
	packwriter_close(pw);
	assert_int_equal(verify_packs(repo_dir), 0);
	repo_close(&r);
}

static void test_packwriter_nothing_written_no_pack(void **state)
{
	char repo_dir[512];
	struct repo r;
	struct packwriter *pw;
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), NULL);
	repo_open(&r, repo_dir);
	pw = writer(&r, 1);
	packwriter_close(pw);
	assert_int_equal(count_packs(repo_dir), 0);
	assert_no_tmp(repo_dir);
	repo_close(&r);
}

static void test_packwriter_abort(void **state)
{
	char repo_dir[512];
	struct repo r;
	struct packwriter *pw;
	struct oid o;
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), NULL);
	repo_open(&r, repo_dir);
	pw = writer(&r, 1);
	for (int i = 0; i < 100; i++) {
		char data[32];
		int n = snprintf(data, sizeof(data), "abort %d", i);
		packwriter_write(pw, OBJ_BLOB, data, (size_t)n, &o);
	}
	packwriter_abort(pw);
	assert_int_equal(count_packs(repo_dir), 0);
	assert_int_equal(count_idx(repo_dir), 0);
	assert_no_tmp(repo_dir);
	assert_false(git_has(repo_dir, &o));
	repo_close(&r);
}

static void test_packwriter_noop(void **state)
{
	char repo_dir[512];
	struct repo r;
	struct packwriter_opts opts = PACKWRITER_OPTS_INIT;
	struct packwriter *pw;
	struct oid o;
	char hex[41];
	(void)state;
	new_repo(repo_dir, sizeof(repo_dir), NULL);
	repo_open(&r, repo_dir);
	opts.noop = 1;
	pw = packwriter_new(&r, &opts);
	packwriter_write(pw, OBJ_BLOB, "a", 1, &o);
	assert_string_equal(oid_to_hex(&o, hex),
			    "2e65efe2a145dda7ee51d1741299f848e5bf752e");
	packwriter_close(pw);
	assert_int_equal(count_packs(repo_dir), 0);
	assert_no_tmp(repo_dir);
	repo_close(&r);

	/* without a repository */
	pw = packwriter_new(NULL, &opts);
	packwriter_write(pw, OBJ_TREE, "", 0, &o);
	assert_string_equal(oid_to_hex(&o, hex),
			    "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	packwriter_close(pw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packwriter_header),
		cmocka_unit_test(test_packwriter_zlib_golden_one_bin),
		cmocka_unit_test(test_packwriter_zlib_golden_level9),
		cmocka_unit_test(test_packwriter_zlib_golden_rand5m),
		cmocka_unit_test(test_packwriter_zlib_golden_zero20m),
		cmocka_unit_test(test_packwriter_libdeflate_valid),
		cmocka_unit_test(test_packwriter_borrowed),
		cmocka_unit_test(test_packwriter_duplicates_in_one_run),
		cmocka_unit_test(test_packwriter_rollover),
		cmocka_unit_test(test_packwriter_rollover_known),
		cmocka_unit_test(test_packwriter_many_small),
		cmocka_unit_test(test_packwriter_nothing_written_no_pack),
		cmocka_unit_test(test_packwriter_abort),
		cmocka_unit_test(test_packwriter_noop),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
