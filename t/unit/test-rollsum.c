/*
 * Unit tests for lib/rollsum: bup's rolling checksum (FORMATS-1 §1.2-1.3,
 * golden digests from §7.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/rollsum.h"

/* A small deterministic PRNG so failures are reproducible. */
static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ull;
}

static uint32_t rng_next(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void fill_random(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rng_next();
}

static void test_rollsum_init_digest(void **state)
{
	struct rollsum r;
	(void)state;
	rollsum_init(&r);
	assert_int_equal(r.s1, 1984);
	assert_int_equal(r.s2, 124992);
	assert_int_equal(r.wofs, 0);
	for (int i = 0; i < ROLLSUM_WINDOWSIZE; i++)
		assert_int_equal(r.window[i], 0);
	assert_int_equal(rollsum_digest(&r), 0x07c0e840);
	assert_int_equal(rollsum_sum((const uint8_t *)"", 0), 0x07c0e840);
}

static void test_rollsum_golden_a(void **state)
{
	(void)state;
	assert_int_equal(rollsum_sum((const uint8_t *)"a", 1), 0x0821e8a1);
}

static void test_rollsum_golden_bytes_0_255(void **state)
{
	uint8_t b[256];
	(void)state;
	for (int i = 0; i < 256; i++)
		b[i] = (uint8_t)i;
	assert_int_equal(rollsum_sum(b, sizeof(b)), 0x3fa0aae0);
}

static void test_rollsum_golden_zeros(void **state)
{
	uint8_t *z = calloc(100000, 1);
	(void)state;
	assert_non_null(z);
	assert_int_equal(rollsum_sum(z, 100000), 0x07c0e840);
	free(z);
}

static void test_rollsum_golden_quick_brown_fox(void **state)
{
	const char *s = "The quick brown fox jumps over the lazy dog";
	(void)state;
	assert_int_equal(rollsum_sum((const uint8_t *)s, strlen(s)), 0x179943e2);
}

/* The same digest byte by byte through rollsum_roll as via rollsum_sum. */
static void test_rollsum_roll_matches_sum(void **state)
{
	uint8_t buf[1000];
	struct rollsum r;
	(void)state;
	rng_seed(7);
	fill_random(buf, sizeof(buf));
	rollsum_init(&r);
	for (size_t i = 0; i < sizeof(buf); i++) {
		rollsum_roll(&r, buf[i]);
		assert_int_equal(rollsum_digest(&r), rollsum_sum(buf, i + 1));
	}
}

/*
 * Rolling a window equals recomputing: once at least 64 bytes have been
 * rolled, the state depends only on the last 64 bytes, so it equals a
 * fresh rollsum over exactly those 64 bytes (bup's s2 offset makes this
 * hold exactly, not just modulo a constant).
 */
static void test_rollsum_window_equals_recompute(void **state)
{
	(void)state;
	for (int round = 0; round < 8; round++) {
		size_t len = 64 + 5000 + (size_t)round * 97;
		uint8_t *buf = malloc(len);
		struct rollsum r;
		assert_non_null(buf);
		rng_seed(1000 + (uint64_t)round);
		fill_random(buf, len);
		rollsum_init(&r);
		for (size_t i = 0; i < len; i++) {
			rollsum_roll(&r, buf[i]);
			if (i + 1 >= ROLLSUM_WINDOWSIZE) {
				const uint8_t *w = buf + i + 1 - ROLLSUM_WINDOWSIZE;
				struct rollsum f;
				assert_int_equal(rollsum_digest(&r),
						 rollsum_sum(w, ROLLSUM_WINDOWSIZE));
				/* And the full state, not just the digest. */
				rollsum_init(&f);
				for (int k = 0; k < ROLLSUM_WINDOWSIZE; k++)
					rollsum_roll(&f, w[k]);
				assert_int_equal(r.s1, f.s1);
				assert_int_equal(r.s2, f.s2);
			}
		}
		free(buf);
	}
}

/* Bits 16..30 of the digest are exactly s1, and s1 stays in range. */
static void test_rollsum_digest_layout(void **state)
{
	uint8_t buf[4096];
	struct rollsum r;
	(void)state;
	rng_seed(99);
	fill_random(buf, sizeof(buf));
	memset(buf + 1000, 0xff, 200);
	memset(buf + 2000, 0x00, 200);
	rollsum_init(&r);
	for (size_t i = 0; i < sizeof(buf); i++) {
		rollsum_roll(&r, buf[i]);
		uint32_t d = rollsum_digest(&r);
		assert_true(r.s1 >= 1984 && r.s1 <= 18304);
		assert_int_equal(d >> 16, r.s1);
		assert_int_equal(d & 0xffff, r.s2 & 0xffff);
	}
}

/* The slow reference for find_ofs: roll byte by byte (FORMATS-1 §1.3). */
static size_t ref_find_ofs(const uint8_t *buf, size_t len, int *bits)
{
	struct rollsum r;
	rollsum_init(&r);
	for (size_t i = 0; i < len; i++) {
		rollsum_roll(&r, buf[i]);
		if ((r.s2 & (ROLLSUM_BLOBSIZE - 1)) == ROLLSUM_BLOBSIZE - 1) {
			uint32_t d = rollsum_digest(&r) >> ROLLSUM_BLOBBITS;
			int b = ROLLSUM_BLOBBITS;
			while ((d >>= 1) & 1)
				b++;
			*bits = b;
			return i + 1;
		}
	}
	*bits = -1;
	return 0;
}

typedef size_t (*scan_fn)(const uint8_t *, size_t, int *);

static void check_scan(scan_fn scan)
{
	size_t len = 1 << 20;
	uint8_t *buf = malloc(len);
	size_t found = 0, pos = 0;
	assert_non_null(buf);
	rng_seed(12345);
	fill_random(buf, len);
	/* Walk the buffer chunk by chunk, fresh each time, as the splitter. */
	while (pos < len) {
		int b1 = -7, b2 = -7;
		size_t o1 = scan(buf + pos, len - pos, &b1);
		size_t o2 = ref_find_ofs(buf + pos, len - pos, &b2);
		assert_int_equal(o1, o2);
		if (!o2)
			break;
		assert_int_equal(b1, b2);
		assert_true(b1 >= ROLLSUM_BLOBBITS);
		found++;
		pos += o2;
	}
	assert_true(found > 50);
	/* Also at odd offsets and short lengths (under the window size). */
	for (int i = 0; i < 2000; i++) {
		size_t off = rng_next() % (len - 1);
		size_t n = rng_next() % 3 == 0 ? rng_next() % 100 :
			   rng_next() % 40000;
		int b1 = -7, b2 = -7;
		if (off + n > len)
			n = len - off;
		size_t o1 = scan(buf + off, n, &b1);
		size_t o2 = ref_find_ofs(buf + off, n, &b2);
		assert_int_equal(o1, o2);
		if (o2)
			assert_int_equal(b1, b2);
	}
	free(buf);
}

/* Each scan (the one picked for this CPU and every variant) agrees. */
static void test_rollsum_find_ofs_matches_reference(void **state)
{
	(void)state;
	check_scan(rollsum_find_ofs);
	check_scan(rollsum_find_ofs_scalar);
	check_scan(rollsum_find_ofs_avx2);
	check_scan(rollsum_find_ofs_avx512);
}

/* bits may be NULL; the offset is still reported. */
static void test_rollsum_find_ofs_null_bits(void **state)
{
	uint8_t buf[65536];
	int b;
	(void)state;
	rng_seed(5);
	fill_random(buf, sizeof(buf));
	size_t o = ref_find_ofs(buf, sizeof(buf), &b);
	assert_true(o > 0);
	assert_int_equal(rollsum_find_ofs(buf, sizeof(buf), NULL), o);
}

/* A split in the first 64 bytes (while the window still holds zeros). */
static void test_rollsum_find_ofs_early_split(void **state)
{
	uint8_t buf[64];
	int hits = 0;
	(void)state;
	rng_seed(77);
	for (int round = 0; round < 200000 && hits < 5; round++) {
		int b1 = -7, b2 = -7;
		fill_random(buf, sizeof(buf));
		size_t o2 = ref_find_ofs(buf, sizeof(buf), &b2);
		size_t o1 = rollsum_find_ofs(buf, sizeof(buf), &b1);
		assert_int_equal(o1, o2);
		if (o2) {
			assert_int_equal(b1, b2);
			hits++;
		}
	}
	assert_true(hits > 0);
}

/* Digest bit 13 is ignored when counting bits (bup's quirk, §1.3). */
static void test_rollsum_bits_skip_bit13(void **state)
{
	size_t len = 4 << 20;
	uint8_t *buf = malloc(len);
	size_t pos = 0;
	int seen_bit13_set_bits13 = 0;
	(void)state;
	assert_non_null(buf);
	rng_seed(4242);
	fill_random(buf, len);
	while (pos < len) {
		int bits;
		struct rollsum r;
		size_t o = rollsum_find_ofs(buf + pos, len - pos, &bits);
		if (!o)
			break;
		rollsum_init(&r);
		for (size_t i = 0; i < o; i++)
			rollsum_roll(&r, buf[pos + i]);
		uint32_t d = rollsum_digest(&r);
		int expect = 13;
		for (int k = 14; k < 32 && ((d >> k) & 1); k++)
			expect++;
		assert_int_equal(bits, expect);
		if (((d >> 13) & 1) && !((d >> 14) & 1)) {
			assert_int_equal(bits, 13);
			seen_bit13_set_bits13++;
		}
		pos += o;
	}
	assert_true(seen_bit13_set_bits13 > 0);
	free(buf);
}

static void test_rollsum_zeros_never_split(void **state)
{
	size_t len = 1 << 20;
	uint8_t *z = calloc(len, 1);
	int bits = 12345;
	(void)state;
	assert_non_null(z);
	assert_int_equal(rollsum_find_ofs(z, len, &bits), 0);
	assert_int_equal(rollsum_find_ofs(z, 1, &bits), 0);
	assert_int_equal(rollsum_find_ofs(z, 0, &bits), 0);
	/* A rolling state over zeros stays at the initial digest. */
	struct rollsum r;
	rollsum_init(&r);
	for (size_t i = 0; i < 200000; i++) {
		rollsum_roll(&r, 0);
		assert_int_equal(rollsum_digest(&r), 0x07c0e840);
	}
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollsum_init_digest),
		cmocka_unit_test(test_rollsum_golden_a),
		cmocka_unit_test(test_rollsum_golden_bytes_0_255),
		cmocka_unit_test(test_rollsum_golden_zeros),
		cmocka_unit_test(test_rollsum_golden_quick_brown_fox),
		cmocka_unit_test(test_rollsum_roll_matches_sum),
		cmocka_unit_test(test_rollsum_window_equals_recompute),
		cmocka_unit_test(test_rollsum_digest_layout),
		cmocka_unit_test(test_rollsum_find_ofs_matches_reference),
		cmocka_unit_test(test_rollsum_find_ofs_null_bits),
		cmocka_unit_test(test_rollsum_find_ofs_early_split),
		cmocka_unit_test(test_rollsum_bits_skip_bit13),
		cmocka_unit_test(test_rollsum_zeros_never_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
