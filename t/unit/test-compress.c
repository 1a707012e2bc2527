/*
 * Unit tests for lib/compress: zlib mode is compress2() byte for byte
 * (bup 0.33's pack bytes, FORMATS-1 §3.4); libdeflate mode is a zlib
 * stream any inflater reads, stores random-looking objects and deflates
 * the rest; level 0 stores.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "lib/compress.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static uint8_t *random_bytes(size_t len)
{
	uint8_t *d = malloc(len ? len : 1);
	assert_non_null(d);
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)rnd32();
	return d;
}

static uint8_t *text_bytes(size_t len)
{
	uint8_t *d = malloc(len ? len : 1);
	size_t pos = 0;
	unsigned line = 1;
	assert_non_null(d);
	while (pos < len) {
		char l[96];
		int n = snprintf(l, sizeof(l),
				 "line %u: the quick brown fox jumps over the lazy dog\n",
				 line++);
		for (int i = 0; i < n && pos < len; i++)
			d[pos++] = (uint8_t)l[i];
	}
	return d;
}

/* Compress with `c`, check the bound, return a malloc'd copy. */
static uint8_t *squeeze(struct compressor *c, const void *in, size_t len,
			size_t *out_len)
{
	size_t cap = compressor_bound(c, len);
	uint8_t *out = malloc(cap);
	assert_non_null(out);
	*out_len = compressor_compress(c, in, len, out, cap);
	assert_true(*out_len > 0);
	assert_true(*out_len <= cap);
	return out;
}

/* Inflate with zlib's uncompress and compare with the input. */
static void assert_inflates_to(const uint8_t *z, size_t zlen,
			       const uint8_t *want, size_t len)
{
	uLongf n = len + 1;
	uint8_t *back = malloc(len + 1);
	assert_non_null(back);
	assert_int_equal(uncompress(back, &n, z, zlen), Z_OK);
	assert_int_equal(n, len);
	assert_memory_equal(back, want, len);
	free(back);
}

static void test_compress_zlib_equals_compress2(void **state)
{
	static const size_t sizes[] = { 0, 1, 100, 4096, 65535, 65536, 300001 };
	(void)state;
	for (int level = 0; level <= 9; level++) {
		struct compressor *c = compressor_new(COMPRESSOR_ZLIB, level);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			for (int kind = 0; kind < 2; kind++) {
				size_t len = sizes[s], got_len;
				uint8_t *in = kind ? random_bytes(len) : text_bytes(len);
				uLongf zl = compressBound(len);
				uint8_t *want = malloc(zl);
				assert_int_equal(compress2(want, &zl, in, len, level), Z_OK);
				uint8_t *got = squeeze(c, in, len, &got_len);
				assert_int_equal(got_len, zl);
				assert_memory_equal(got, want, zl);
				assert_inflates_to(got, got_len, in, len);
				free(in);
				free(want);
				free(got);
			}
		}
		compressor_free(c);
	}
}

/* The "a" blob of FORMATS-1 §7.4 at level 1: 78 01 4b 04 00 00 62 00 62. */
static void test_compress_zlib_golden(void **state)
{
	static const uint8_t want[] = { 0x78, 0x01, 0x4b, 0x04, 0x00,
					0x00, 0x62, 0x00, 0x62 };
	struct compressor *c = compressor_new(COMPRESSOR_ZLIB, 1);
	size_t n;
	(void)state;
	uint8_t *got = squeeze(c, "a", 1, &n);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
	free(got);
	compressor_free(c);
}

static void test_compress_libdeflate_round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 511, 512, 4095, 4096, 4097,
					65535, 65536, 65537, 131070, 1 << 20 };
	(void)state;
	for (int level = 0; level <= 9; level++) {
		struct compressor *c = compressor_new(COMPRESSOR_LIBDEFLATE, level);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			for (int kind = 0; kind < 3; kind++) {
				size_t len = sizes[s], n;
				uint8_t *in = kind == 0 ? text_bytes(len) :
					      kind == 1 ? random_bytes(len) :
					      calloc(len ? len : 1, 1);
				uint8_t *z = squeeze(c, in, len, &n);
				/* a zlib header, check bits valid */
				assert_true(n >= 2 + 1 + 4);
				assert_int_equal(z[0] & 0x0f, 8);
				assert_int_equal(((z[0] << 8) | z[1]) % 31, 0);
				assert_inflates_to(z, n, in, len);
				free(in);
				free(z);
			}
		}
		compressor_free(c);
	}
}

/* Stored deflate: 2 bytes of header, 5 per 64 KiB block, 4 of adler. */
static size_t stored_size(size_t len)
{
	size_t blocks = len ? (len + 65534) / 65535 : 1;
	return 2 + 5 * blocks + len + 4;
}

static void test_compress_random_is_stored(void **state)
{
	static const size_t sizes[] = { 4096, 10000, 65535, 65536, 100000,
					1 << 20 };
	(void)state;
	for (int level = 1; level <= 9; level += 4) {
		struct compressor *c = compressor_new(COMPRESSOR_LIBDEFLATE, level);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t len = sizes[s], n;
			uint8_t *in = random_bytes(len);
			uint8_t *z = squeeze(c, in, len, &n);
			assert_int_equal(n, stored_size(len));
			/* the first block is a stored one holding our bytes */
			assert_int_equal(z[2] & 0x06, 0);
			assert_memory_equal(z + 7, in, len < 65535 ? len : 65535);
			assert_inflates_to(z, n, in, len);
			free(in);
			free(z);
		}
		compressor_free(c);
	}
}

static void test_compress_text_is_compressed(void **state)
{
	(void)state;
	for (int level = 1; level <= 9; level++) {
		struct compressor *c = compressor_new(COMPRESSOR_LIBDEFLATE, level);
		size_t len = 200000, n;
		uint8_t *in = text_bytes(len);
		uint8_t *z = squeeze(c, in, len, &n);
		assert_true(n < len / 3);
		assert_inflates_to(z, n, in, len);
		free(z);
		/* zeros shrink to almost nothing */
		memset(in, 0, len);
		z = squeeze(c, in, len, &n);
		assert_true(n < 1000);
		assert_inflates_to(z, n, in, len);
		free(z);
		/* short random objects (< 512 bytes) are not sampled: they
		 * still inflate back */
		free(in);
		in = random_bytes(300);
		z = squeeze(c, in, 300, &n);
		assert_inflates_to(z, n, in, 300);
		free(z);
		free(in);
		compressor_free(c);
	}
}

/*
 * Text of `len` bytes with random bytes at [at, at + n) and, if n2, at
 * [at2, at2 + n2) too; squeezed, it is stored or deflated as `stored` says.
 */
static void check_samples(struct compressor *c, size_t at, size_t n,
			  size_t at2, size_t n2, int stored)
{
	size_t len = 100000, zn;
	uint8_t *in = text_bytes(len), *r = random_bytes(n + n2), *z;
	memcpy(in + at, r, n);
	memcpy(in + at2, r + n, n2);
	z = squeeze(c, in, len, &zn);
	if (stored)
		assert_int_equal(zn, stored_size(len));
	else
		assert_true(zn < len / 2);
	assert_inflates_to(z, zn, in, len);
	free(z);
	free(in);
	free(r);
}

/* The samples are the start and the middle: text first then random
 * deflates, and so does random first then text (the middle is text);
 * random at both sample places is stored, text elsewhere or not. */
static void test_compress_samples_start_and_middle(void **state)
{
	struct compressor *c = compressor_new(COMPRESSOR_LIBDEFLATE, 1);
	(void)state;
	check_samples(c, 100000 - 8192, 8192, 0, 0, 0);	/* random tail */
	check_samples(c, 0, 8192, 0, 0, 0);		/* random head */
	check_samples(c, 0, 4096, 50000, 4096, 1);	/* at both samples */
	compressor_free(c);
}

static void test_compress_level0_stores(void **state)
{
	static const size_t sizes[] = { 0, 1, 1000, 65535, 65536, 200000 };
	struct compressor *c = compressor_new(COMPRESSOR_LIBDEFLATE, 0);
	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (int kind = 0; kind < 2; kind++) {
			size_t len = sizes[s], n;
			uint8_t *in = kind ? random_bytes(len) : text_bytes(len);
			uint8_t *z = squeeze(c, in, len, &n);
			/* text is not compressed at level 0 */
			assert_int_equal(n, stored_size(len));
			assert_int_equal(z[0], 0x78);
			assert_inflates_to(z, n, in, len);
			free(in);
			free(z);
		}
	}
	compressor_free(c);
	/* zlib level 0 stores too (and is compress2's bytes, see above) */
	c = compressor_new(COMPRESSOR_ZLIB, 0);
	uint8_t *in = text_bytes(100000);
	size_t n;
	uint8_t *z = squeeze(c, in, 100000, &n);
	assert_true(n >= 100000);
	assert_inflates_to(z, n, in, 100000);
	free(in);
	free(z);
	compressor_free(c);
}

static void test_compress_bound(void **state)
{
	(void)state;
	for (int kind = 0; kind < 2; kind++)
		for (int level = 0; level <= 9; level += 3) {
			struct compressor *c = compressor_new(
				kind ? COMPRESSOR_ZLIB : COMPRESSOR_LIBDEFLATE, level);
			size_t lens[] = { 0, 1, 65535, 65536, 1 << 22 };
			for (int i = 0; i < 5; i++) {
				assert_true(compressor_bound(c, lens[i]) >= stored_size(lens[i]));
				if (kind)
					assert_true(compressor_bound(c, lens[i]) >=
						    compressBound(lens[i]));
			}
			compressor_free(c);
		}
	compressor_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compress_zlib_equals_compress2),
		cmocka_unit_test(test_compress_zlib_golden),
		cmocka_unit_test(test_compress_libdeflate_round_trip),
		cmocka_unit_test(test_compress_random_is_stored),
		cmocka_unit_test(test_compress_text_is_compressed),
		cmocka_unit_test(test_compress_samples_start_and_middle),
		cmocka_unit_test(test_compress_level0_stores),
		cmocka_unit_test(test_compress_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
