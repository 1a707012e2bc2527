/*
 * Unit tests for lib/bloom: bloom_maintain over idx files written with
 * packidx_write (FORMATS-1 §5.3, §5.4), membership (§5.2), the false
 * positive formula, and bloom_open rejecting broken files (§5.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/bloom.h"
#include "lib/bigendian.h"
#include "lib/buf.h"
#include "lib/oid.h"
#include "lib/packidx.h"
#include "lib/usage.h"
#include "lib/xio.h"
#include "t/unit/helpers.h"
#include "t/unit/idx-fixture.h"


static int setup(void **state)
{
	(void)state;
	return fixture_setup("bloom", 0xfedcba9876543210ull);
}

static int teardown(void **state)
{
	(void)state;
	return fixture_teardown();
}

/* §5.3: bits = bit_length(4 * expected) - 1 */
static int want_bits(uint64_t expected)
{
	uint64_t v = 4 * expected;
	int n = 0;
	while (v) {
		n++;
		v >>= 1;
	}
	return n - 1;
}

static struct bloom *open_ok(const char *path)
{
	struct bloom *b;
	struct buf why = BUF_INIT;
	if (bloom_open(&b, path, &why) < 0)
		fail_msg("bloom_open: %s", why.data);
	buf_release(&why);
	return b;
}

static void bloom_path(char *out, size_t n, const char *dir)
{
	snprintf(out, n, "%s/bup.bloom", dir);
}

static void assert_all_present(const struct bloom *b, const struct set *s,
			       int nsets)
{
	for (int k = 0; k < nsets; k++)
		for (uint32_t i = 0; i < s[k].nr; i++)
			if (bloom_contains(b, &s[k].ids[i]) != 1)
				fail_msg("id %u of set %d not in the filter", i, k);
}

/* Random ids: the share the filter claims stays near the formula. */
static void check_false_positives(const struct bloom *b)
{
	int n = 200000, yes = 0;
	double expect = bloom_pfalse_positive(b->bits, b->k, b->entries) / 100.0;
	for (int i = 0; i < n; i++) {
		struct oid o;
		random_oid(&o);
		yes += bloom_contains(b, &o);
	}
	/* mostly "no" */
	assert_true(yes < n / 20);
	double got = (double)yes / n;
	if (got > 2 * expect + 0.001 || got < expect / 2 - 0.001)
		fail_msg("false positives %.5f, formula %.5f", got, expect);
}

static void test_bloom_maintain_creates(void **state)
{
	char dir[512], path[600];
	struct set s[3];
	struct buf file = BUF_INIT;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s[0], 629);
	make_set(dir, &s[1], 195);
	make_set(dir, &s[2], 15);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	bloom_path(path, sizeof(path), dir);
	struct bloom *b = open_ok(path);
	/* 839 entries: 4*839 = 3356, bits 11; k 5 */
	assert_int_equal(b->bits, 11);
	assert_int_equal(b->bits, want_bits(839));
	assert_int_equal(b->k, 5);
	assert_int_equal(b->entries, 839);
	assert_int_equal(b->nr_names, 3);
	for (int i = 0; i < 3; i++)
		assert_true(bloom_has_name(b, base(s[i].path)));
	assert_false(bloom_has_name(b, "pack-nope.idx"));
	assert_all_present(b, s, 3);
	check_false_positives(b);

	/* the file: header, 2^bits table, names joined by NUL */
	assert_int_equal(read_file(path, &file), 0);
	assert_memory_equal(file.data, "BLOM\0\0\0\2\0\13\0\5", 12);
	assert_int_equal(get_be32((uint8_t *)file.data + 12), 839);
	size_t names = 0;
	for (int i = 0; i < 3; i++)
		names += strlen(base(s[i].path));
	assert_int_equal(file.len, 16 + 2048 + names + 2);
	/* the table is the ids' bits and nothing else */
	uint8_t *t = calloc(2048, 1);
	for (int i = 0; i < 3; i++)
		bloom_add_ids(t, 11, 5, s[i].ids[0].hash, s[i].nr, sizeof(struct oid));
	assert_memory_equal(file.data + 16, t, 2048);
	free(t);
	/* no temporary left */
	DIR *d = opendir(dir);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strstr(de->d_name, "tmp"))
			fail_msg("left behind: %s", de->d_name);
	closedir(d);
	bloom_free(b);
	buf_release(&file);
	for (int i = 0; i < 3; i++)
		free_set(&s[i]);
}

/* Enough ids for the threaded fill (lib/bloom.c's FILL_THREADS_FROM):
 * the same table as adding them one by one. */
static void test_bloom_maintain_big(void **state)
{
	char dir[512], path[600];
	struct set s[5];
	struct buf file = BUF_INIT;
	(void)state;
	new_dir(dir, sizeof(dir));
	for (int i = 0; i < 5; i++)
		make_set(dir, &s[i], 50000);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	bloom_path(path, sizeof(path), dir);
	struct bloom *b = open_ok(path);
	/* 250000 entries: 4 bytes each, 2^19 <= 10^6 < 2^20 */
	assert_int_equal(b->bits, 19);
	assert_int_equal(b->k, 5);
	assert_int_equal(b->entries, 250000);
	assert_int_equal(b->nr_names, 5);
	assert_all_present(b, s, 5);
	assert_int_equal(read_file(path, &file), 0);
	uint8_t *t = calloc((size_t)1 << 19, 1);
	for (int i = 0; i < 5; i++)
		bloom_add_ids(t, 19, 5, s[i].ids[0].hash, s[i].nr, sizeof(struct oid));
	assert_memory_equal(file.data + 16, t, (size_t)1 << 19);
	free(t);
	bloom_free(b);
	buf_release(&file);
	for (int i = 0; i < 5; i++)
		free_set(&s[i]);
}

/* Hand-computed bit positions of §5.2. */
static void test_bloom_bit_positions(void **state)
{
	uint8_t sha[20], t[1 << 12];
	(void)state;
	for (int i = 0; i < 20; i++)
		sha[i] = (uint8_t)(0x11 * (i + 1));
	/* k = 5, bits 12: w = BE32(sha[4j..]); v = w >> 20; b = (w >> 17) & 7 */
	memset(t, 0, sizeof(t));
	bloom_add_ids(t, 12, 5, sha, 1, 20);
	int set = 0;
	for (int j = 0; j < 5; j++) {
		uint32_t w = get_be32(sha + 4 * j);
		uint32_t v = w >> 20, b = (w >> 17) & 7;
		assert_true(t[v] & (1 << b));
	}
	for (size_t i = 0; i < sizeof(t); i++)
		set += __builtin_popcount(t[i]);
	assert_true(set >= 1 && set <= 5);
	/* k = 4: 40-bit words */
	memset(t, 0, sizeof(t));
	bloom_add_ids(t, 12, 4, sha, 1, 20);
	for (int j = 0; j < 4; j++) {
		uint64_t w = (uint64_t)get_be32(sha + 5 * j) << 8 | sha[5 * j + 4];
		uint64_t v = (w >> 28) & 0xfff, b = (w >> 25) & 7;
		assert_true(t[v] & (1 << b));
	}
}

static void test_bloom_k4_and_outpath(void **state)
{
	char dir[512], out[600];
	struct set s[2];
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s[0], 3000);
	make_set(dir, &s[1], 1000);
	snprintf(out, sizeof(out), "%s/other.bloom", dir);
	assert_int_equal(bloom_maintain(dir, out, 4, 1), 0);
	struct bloom *b = open_ok(out);
	assert_int_equal(b->k, 4);
	assert_int_equal(b->bits, want_bits(4000));	/* 16000: 13 */
	assert_int_equal(b->bits, 13);
	assert_int_equal(b->entries, 4000);
	assert_all_present(b, s, 2);
	check_false_positives(b);
	bloom_free(b);
	/* the default path was not written */
	char def[600];
	bloom_path(def, sizeof(def), dir);
	assert_int_equal(access(def, F_OK), -1);
	free_set(&s[0]);
	free_set(&s[1]);
}

static void test_bloom_incremental(void **state)
{
	char dir[512], path[600];
	struct set s[4];
	(void)state;
	new_dir(dir, sizeof(dir));
	bloom_path(path, sizeof(path), dir);
	make_set(dir, &s[0], 1000);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	struct bloom *b = open_ok(path);
	assert_int_equal(b->bits, 11);	/* 4000 */
	assert_int_equal(b->entries, 1000);
	bloom_free(b);

	/* a small addition: updated, same size, both sets in it */
	make_set(dir, &s[1], 10);
	assert_true(bloom_pfalse_positive(11, 5, 1010) <= 1.0);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	b = open_ok(path);
	assert_int_equal(b->bits, 11);
	assert_int_equal(b->entries, 1010);
	assert_int_equal(b->nr_names, 2);
	/* old names first, then the new one */
	assert_string_equal(b->names[0], base(s[0].path));
	assert_string_equal(b->names[1], base(s[1].path));
	assert_all_present(b, s, 2);
	bloom_free(b);

	/* nothing new: the file is left alone */
	struct stat st1, st2;
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);

	/* an addition that would pass 1% false positives: rebuilt bigger */
	make_set(dir, &s[2], 3000);
	assert_true(bloom_pfalse_positive(11, 5, 4010) > 1.0);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	b = open_ok(path);
	assert_int_equal(b->entries, 4010);
	assert_int_equal(b->bits, want_bits(4010));
	assert_int_equal(b->nr_names, 3);
	assert_all_present(b, s, 3);
	bloom_free(b);

	/* a listed idx deleted, another added: entries no longer match,
	 * rebuilt from what is there */
	unlink(s[1].path);
	make_set(dir, &s[3], 5);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	b = open_ok(path);
	assert_int_equal(b->entries, 1000 + 3000 + 5);
	assert_int_equal(b->nr_names, 3);
	assert_false(bloom_has_name(b, base(s[1].path)));
	struct set left[3] = { s[0], s[2], s[3] };
	assert_all_present(b, left, 3);
	bloom_free(b);

	/* -k differing from the file's: rebuilt with it */
	free_set(&s[1]);
	make_set(dir, &s[1], 1);
	assert_int_equal(bloom_maintain(dir, NULL, 4, 0), 0);
	b = open_ok(path);
	assert_int_equal(b->k, 4);
	assert_int_equal(b->entries, 4006);
	bloom_free(b);

	/* force: rebuilt even with nothing new */
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 1), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_ino != st2.st_ino);
	b = open_ok(path);
	assert_int_equal(b->k, 5);
	assert_int_equal(b->entries, 4006);
	bloom_free(b);
	for (int i = 0; i < 4; i++)
		free_set(&s[i]);
}

static void test_bloom_false_positive_formula(void **state)
{
	(void)state;
	/* 100 * (1 - exp(-k n / (8 * 2^bits)))^k */
	double m = 8.0 * 2048;
	double want = 100.0 * pow(1.0 - exp(-5.0 * 839 / m), 5);
	assert_true(fabs(bloom_pfalse_positive(11, 5, 839) - want) < 1e-9);
	assert_true(fabs(bloom_pfalse_positive(11, 5, 0)) < 1e-12);
	want = 100.0 * pow(1.0 - exp(-4.0 * 1e6 / (8.0 * 1048576)), 4);
	assert_true(fabs(bloom_pfalse_positive(20, 4, 1000000) - want) < 1e-9);
	/* grows with the entries, tends to 100% */
	assert_true(bloom_pfalse_positive(11, 5, 5000) >
		    bloom_pfalse_positive(11, 5, 4000));
	assert_true(bloom_pfalse_positive(4, 5, 100000000) > 99.9);
	/* the sizing rule keeps a fresh filter well under 1% */
	for (uint64_t n = 1; n < 100000000; n = n * 3 + 1) {
		int bits = want_bits(n);
		if (bits <= 29)
			assert_true(bloom_pfalse_positive(bits, 5, n) < 1.0);
	}
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void assert_rejected(const char *dir, const char *name, const void *data,
			    size_t len, const char *reason)
{
	char path[1024];
	struct bloom *b = (struct bloom *)1;
	struct buf why = BUF_INIT;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	spit(path, data, len);
	assert_int_equal(bloom_open(&b, path, &why), -1);
	assert_null(b);
	if (!strstr(why.data, path))
		fail_msg("%s: the reason does not name the file: %s", name, why.data);
	if (reason && !strstr(why.data, reason))
		fail_msg("%s: the reason does not say '%s': %s", name, reason,
			 why.data);
	buf_release(&why);
}

static void test_bloom_open_rejects(void **state)
{
	char dir[512], path[600];
	struct set s[1];
	struct buf f = BUF_INIT;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, s, 500);	/* bits 10 */
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	bloom_path(path, sizeof(path), dir);
	assert_int_equal(read_file(path, &f), 0);
	uint8_t *d = malloc(f.len);

	memcpy(d, f.data, f.len);
	d[3] = 'X';
	assert_rejected(dir, "magic.bloom", d, f.len, "magic");
	memcpy(d, f.data, f.len);
	d[7] = 1;
	assert_rejected(dir, "v1.bloom", d, f.len, "version");
	d[7] = 3;
	assert_rejected(dir, "v3.bloom", d, f.len, "version");
	memcpy(d, f.data, f.len);
	d[11] = 3;
	assert_rejected(dir, "k3.bloom", d, f.len, NULL);
	d[11] = 6;
	assert_rejected(dir, "k6.bloom", d, f.len, NULL);
	memcpy(d, f.data, f.len);
	d[9] = 0;
	assert_rejected(dir, "bits0.bloom", d, f.len, NULL);
	d[9] = 30;	/* above k=5's maximum of 29 */
	assert_rejected(dir, "bits30.bloom", d, f.len, NULL);
	/* a table bigger than the file */
	memcpy(d, f.data, f.len);
	d[9] = 11;
	assert_rejected(dir, "big.bloom", d, 16 + 1024, "truncated");
	assert_rejected(dir, "trunc.bloom", f.data, 16 + 1023, "truncated");
	assert_rejected(dir, "short.bloom", f.data, 15, NULL);
	assert_rejected(dir, "empty.bloom", f.data, 0, NULL);
	/* missing */
	struct bloom *b = (struct bloom *)1;
	struct buf why = BUF_INIT;
	snprintf(path, sizeof(path), "%s/absent.bloom", dir);
	assert_int_equal(bloom_open(&b, path, &why), -1);
	assert_null(b);
	assert_non_null(strstr(why.data, path));
	/* a table with no names at all still opens */
	snprintf(path, sizeof(path), "%s/nonames.bloom", dir);
	spit(path, f.data, 16 + 1024);
	b = open_ok(path);
	assert_int_equal(b->nr_names, 0);
	assert_int_equal(b->bits, 10);
	bloom_free(b);
	bloom_free(NULL);

	/* bloom_maintain replaces an invalid bup.bloom */
	bloom_path(path, sizeof(path), dir);
	spit(path, "garbage", 7);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	b = open_ok(path);
	assert_int_equal(b->entries, 500);
	assert_all_present(b, s, 1);
	bloom_free(b);
	buf_release(&why);
	buf_release(&f);
	free(d);
	free_set(&s[0]);
}

static void test_bloom_counted(void **state)
{
	char dir[512], path[600];
	struct set s[1];
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, s, 200);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	bloom_path(path, sizeof(path), dir);
	struct bloom *b = open_ok(path);
	uint64_t steps = 0;
	/* a present id tests all k bits */
	assert_int_equal(bloom_contains_counted(b, &s[0].ids[0], &steps), 1);
	assert_int_equal(steps, (uint64_t)b->k);
	/* an absent one stops at the first clear bit */
	struct oid o;
	int tries = 0;
	do {
		random_oid(&o);
		steps = 0;
		tries++;
	} while (bloom_contains_counted(b, &o, &steps) && tries < 100);
	assert_true(steps >= 1 && steps <= (uint64_t)b->k);
	bloom_free(b);
	free_set(&s[0]);
}

/* A directory with no idx: nothing is written. */
static void test_bloom_empty_dir(void **state)
{
	char dir[512], path[600];
	(void)state;
	new_dir(dir, sizeof(dir));
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	bloom_path(path, sizeof(path), dir);
	assert_int_equal(access(path, F_OK), -1);
	/* a missing directory: an error */
	snprintf(path, sizeof(path), "%s/no-such-dir", tmpdir);
	assert_int_equal(bloom_maintain(path, NULL, 0, 0), -1);
}

/* Only empty idx files: no filter is written (bup crashes here). */
static void test_bloom_only_empty_idx(void **state)
{
	char dir[512], path[600];
	struct set s;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s, 0);
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	bloom_path(path, sizeof(path), dir);
	assert_int_equal(access(path, F_OK), -1);
	free_set(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bloom_maintain_creates),
		cmocka_unit_test(test_bloom_maintain_big),
		cmocka_unit_test(test_bloom_bit_positions),
		cmocka_unit_test(test_bloom_k4_and_outpath),
		cmocka_unit_test(test_bloom_incremental),
		cmocka_unit_test(test_bloom_false_positive_formula),
		cmocka_unit_test(test_bloom_open_rejects),
		cmocka_unit_test(test_bloom_counted),
		cmocka_unit_test(test_bloom_empty_dir),
		cmocka_unit_test(test_bloom_only_empty_idx),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
