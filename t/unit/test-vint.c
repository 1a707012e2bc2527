/*
 * Unit tests for lib/vint: bup's examples (FORMATS-2 §0), round trips
 * and malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/vint.h"

static void check_vint(int64_t v, const char *bytes, size_t n)
{
	struct buf b = BUF_INIT;
	int64_t back = 12345;

	vint_encode(&b, v);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, bytes, n);
	assert_int_equal(vint_decode((const uint8_t *)b.data, b.len, &back), n);
	assert_true(back == v);
	buf_release(&b);
}

static void test_vint_examples(void **state)
{
	(void)state;
	check_vint(0, "\x00", 1);
	check_vint(-1, "\x41", 1);
	check_vint(63, "\x3f", 1);
	check_vint(64, "\x80\x01", 2);
	check_vint(-64, "\xc0\x01", 2);
	check_vint(040755, "\xad\x87\x02", 3);
	check_vint(1577934245, "\xa5\xf6\xea\xe0\x0b", 5);
}

static void test_vuint_examples(void **state)
{
	struct buf b = BUF_INIT;
	uint64_t v;
	(void)state;
	vuint_encode(&b, 0);
	vuint_encode(&b, 127);
	vuint_encode(&b, 128);
	vuint_encode(&b, 0x80000);
	assert_int_equal(b.len, 1 + 1 + 2 + 3);
	assert_memory_equal(b.data, "\x00\x7f\x80\x01\x80\x80\x20", 7);
	assert_int_equal(vuint_decode((const uint8_t *)b.data + 4, 3, &v), 3);
	assert_true(v == 0x80000);
	buf_release(&b);
}

static void test_round_trips(void **state)
{
	static const int64_t vals[] = {
		1, -2, 62, -63, 65, 127, 128, -129, 8191, 8192, 1 << 20,
		-(1LL << 40), INT64_MAX, INT64_MIN, INT64_MIN + 1, 999999999,
	};
	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(*vals); i++) {
		struct buf b = BUF_INIT;
		int64_t s;
		uint64_t u;
		vint_encode(&b, vals[i]);
		assert_int_equal(vint_decode((const uint8_t *)b.data, b.len, &s),
				 b.len);
		assert_true(s == vals[i]);
		buf_reset(&b);
		vuint_encode(&b, (uint64_t)vals[i]);
		assert_int_equal(vuint_decode((const uint8_t *)b.data, b.len, &u),
				 b.len);
		assert_true(u == (uint64_t)vals[i]);
		/* every proper prefix is short */
		for (size_t k = 0; k < b.len; k++)
			assert_int_equal(vuint_decode((const uint8_t *)b.data, k, &u), 0);
		buf_release(&b);
	}
}

static void test_bvec(void **state)
{
	struct buf b = BUF_INIT;
	const uint8_t *p;
	size_t n;
	(void)state;
	bvec_encode(&b, "ax/f", 4);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "\x04" "ax/f", 5);
	assert_int_equal(bvec_decode((const uint8_t *)b.data, b.len, &p, &n), 5);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "ax/f", 4);
	/* the length claims more than there is */
	assert_int_equal(bvec_decode((const uint8_t *)b.data, 4, &p, &n), 0);
	buf_release(&b);
}

static void test_malformed(void **state)
{
	uint64_t u;
	int64_t s;
	const uint8_t *p;
	size_t n;
	static const uint8_t cont[] = { 0x80, 0x80 };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0x7f };
	static const uint8_t bigbvec[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 'x' };
	(void)state;
	assert_int_equal(vuint_decode(NULL, 0, &u), 0);
	assert_int_equal(vint_decode(NULL, 0, &s), 0);
	assert_int_equal(vuint_decode(cont, sizeof(cont), &u), 0);
	assert_int_equal(vint_decode(cont, sizeof(cont), &s), 0);
	assert_int_equal(vuint_decode(huge, sizeof(huge), &u), 0);
	assert_int_equal(vint_decode(huge, sizeof(huge), &s), 0);
	assert_int_equal(bvec_decode(bigbvec, sizeof(bigbvec), &p, &n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vint_examples),
		cmocka_unit_test(test_vuint_examples),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_bvec),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
