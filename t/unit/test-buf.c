/*
 * Unit tests for lib/buf: the growable byte buffer and the checked
 * allocation helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/usage.h"

/* ---- capturing die() ---- */

static jmp_buf die_jmp;
static int die_status_seen;
static char die_msg[1024];

static void capture_report(const char *prefix, const char *msg)
{
	snprintf(die_msg, sizeof(die_msg), "%s%s", prefix, msg);
}

static void capture_exit(int status)
{
	die_status_seen = status;
	longjmp(die_jmp, 1);
}

static void assert_invariants(const struct buf *b)
{
	assert_non_null(b->data);
	assert_int_equal(b->data[b->len], 0);
	if (b->alloc)
		assert_true(b->len < b->alloc);
	else
		assert_int_equal(b->len, 0);
}

static void test_buf_init_empty(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	assert_invariants(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_ptr_equal(b.data, buf_empty);
	assert_string_equal(b.data, "");
	buf_release(&b);
	assert_ptr_equal(b.data, buf_empty);

	buf_init(&b, 100);
	assert_invariants(&b);
	assert_true(b.alloc >= 101);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_release(&b);
	assert_int_equal(b.alloc, 0);
	assert_ptr_equal(b.data, buf_empty);
}

static void test_buf_add_and_adds(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	buf_add(&b, "hello", 5);
	assert_invariants(&b);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "hello");
	buf_adds(&b, ", world");
	assert_string_equal(b.data, "hello, world");
	buf_add(&b, "", 0);
	assert_int_equal(b.len, 12);
	/* Binary data with NULs */
	buf_add(&b, "\0x\0", 3);
	assert_int_equal(b.len, 15);
	assert_memory_equal(b.data, "hello, world\0x\0", 16);
	assert_invariants(&b);
	buf_release(&b);

	/* buf_add of nothing to an empty buffer allocates nothing */
	buf_add(&b, "", 0);
	assert_int_equal(b.alloc, 0);
	assert_invariants(&b);
}

static void test_buf_addch_grows(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	for (int i = 0; i < 100000; i++) {
		buf_addch(&b, 'a' + i % 26);
		assert_int_equal(b.len, (size_t)i + 1);
	}
	assert_invariants(&b);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	buf_addch(&b, 0);
	assert_int_equal(b.len, 100001);
	assert_int_equal(b.data[100000], 0);
	assert_invariants(&b);
	buf_release(&b);
}

static void test_buf_addf(void **state)
{
	struct buf b = BUF_INIT;
	char big[5000];
	(void)state;
	buf_addf(&b, "%d-%s-%04x", 42, "x", 0xab);
	assert_string_equal(b.data, "42-x-00ab");
	buf_addf(&b, "%s", "");
	assert_string_equal(b.data, "42-x-00ab");
	/* Output longer than what is allocated. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	buf_addf(&b, "[%s]", big);
	assert_int_equal(b.len, 9 + 2 + 4999);
	assert_int_equal(b.data[9], '[');
	assert_int_equal(b.data[b.len - 1], ']');
	assert_int_equal(b.data[b.len - 2], 'z');
	assert_invariants(&b);
	/* Exactly filling the allocation */
	buf_reset(&b);
	size_t room = b.alloc - 1;
	char *fill = malloc(room + 1);
	assert_non_null(fill);
	memset(fill, 'q', room);
	fill[room] = 0;
	buf_addf(&b, "%s", fill);
	free(fill);
	assert_int_equal(b.len, room);
	assert_invariants(&b);
	buf_addf(&b, "%c", 'r');
	assert_int_equal(b.len, room + 1);
	assert_int_equal(b.data[room], 'r');
	assert_invariants(&b);
	buf_release(&b);

	/* From an unallocated buffer */
	buf_addf(&b, "%s", "");
	assert_int_equal(b.len, 0);
	assert_invariants(&b);
	buf_addf(&b, "%5d|", 7);
	assert_string_equal(b.data, "    7|");
	buf_release(&b);
}

static void test_buf_setlen_reset(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	buf_adds(&b, "abcdef");
	buf_setlen(&b, 3);
	assert_string_equal(b.data, "abc");
	assert_int_equal(b.len, 3);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_true(b.alloc > 0);
	buf_adds(&b, "xy");
	assert_string_equal(b.data, "xy");
	buf_release(&b);
	/* Reset of an unallocated buffer is fine */
	buf_reset(&b);
	assert_invariants(&b);
}

/*
 * Empty buffers of every thread share buf_empty: nothing may write it,
 * not even its NUL (a data race between threads resetting their own
 * empty buffers).  Mark it to see a write, and put the NUL back.
 */
static void test_buf_empty_never_written(void **state)
{
	struct buf b = BUF_INIT;
	char seen;
	(void)state;
	buf_empty[0] = 'x';
	buf_reset(&b);
	buf_setlen(&b, 0);
	buf_add(&b, "", 0);
	buf_adds(&b, "");
	buf_addf(&b, "%s", "");
	buf_consume(&b, 0);
	buf_release(&b);
	buf_init(&b, 0);
	seen = buf_empty[0];
	buf_empty[0] = 0;
	assert_int_equal(seen, 'x');
}

static void test_buf_consume(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	buf_adds(&b, "0123456789");
	buf_consume(&b, 0);
	assert_string_equal(b.data, "0123456789");
	buf_consume(&b, 3);
	assert_string_equal(b.data, "3456789");
	assert_int_equal(b.len, 7);
	buf_consume(&b, 7);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_invariants(&b);
	buf_release(&b);
}

static void test_buf_detach(void **state)
{
	struct buf b = BUF_INIT;
	size_t len = 99;
	char *p;
	(void)state;
	buf_adds(&b, "owned");
	p = buf_detach(&b, &len);
	assert_int_equal(len, 5);
	assert_string_equal(p, "owned");
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_ptr_equal(b.data, buf_empty);
	free(p);

	/* Detaching an empty buffer still gives a freeable "" */
	p = buf_detach(&b, &len);
	assert_int_equal(len, 0);
	assert_non_null(p);
	assert_ptr_not_equal(p, buf_empty);
	assert_string_equal(p, "");
	free(p);

	buf_adds(&b, "x");
	p = buf_detach(&b, NULL);
	assert_string_equal(p, "x");
	free(p);
	/* The buffer is reusable after detach */
	buf_adds(&b, "again");
	assert_string_equal(b.data, "again");
	buf_release(&b);
}

static void test_buf_grow(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	buf_grow(&b, 1000);
	assert_true(b.alloc >= 1001);
	assert_int_equal(b.len, 0);
	assert_invariants(&b);
	char *before = b.data;
	size_t alloc = b.alloc;
	for (int i = 0; i < 1000; i++)
		buf_addch(&b, 'x');
	/* No reallocation was needed for what was reserved. */
	assert_ptr_equal(b.data, before);
	assert_int_equal(b.alloc, alloc);
	assert_invariants(&b);
	buf_release(&b);
}

static void test_buf_xstrdup(void **state)
{
	char *p;
	(void)state;
	p = xstrdup("hello");
	assert_string_equal(p, "hello");
	free(p);
	p = xstrndup("hello", 3);
	assert_string_equal(p, "hel");
	free(p);
	p = xstrndup("hi", 10);
	assert_string_equal(p, "hi");
	free(p);
	p = xstrndup("", 0);
	assert_string_equal(p, "");
	free(p);
}

static void test_buf_st_arith(void **state)
{
	(void)state;
	assert_int_equal(st_add(1, 2), 3);
	assert_int_equal(st_mult(6, 7), 42);
	assert_int_equal(st_mult(0, SIZE_MAX), 0);
	assert_int_equal(st_mult(SIZE_MAX, 0), 0);
	assert_int_equal(st_add(SIZE_MAX - 1, 1), SIZE_MAX);
}

static void test_buf_st_overflow_dies(void **state)
{
	(void)state;
	usage_set_report(capture_report);
	usage_set_exit(capture_exit);
	die_status_seen = -1;
	die_msg[0] = 0;
	if (!setjmp(die_jmp)) {
		st_add(SIZE_MAX, 1);
		fail_msg("st_add overflow did not die");
	}
	assert_int_equal(die_status_seen, EXIT_ERRORS);
	assert_non_null(strstr(die_msg, "error: "));
	assert_non_null(strstr(die_msg, "overflow"));

	die_status_seen = -1;
	if (!setjmp(die_jmp)) {
		st_mult(SIZE_MAX / 2 + 1, 2);
		fail_msg("st_mult overflow did not die");
	}
	assert_int_equal(die_status_seen, EXIT_ERRORS);
	usage_set_report(NULL);
	usage_set_exit(NULL);
}

static void test_buf_alloc_grow(void **state)
{
	int *arr = NULL;
	size_t nr = 0, alloc = 0;
	(void)state;
	for (int i = 0; i < 1000; i++) {
		ALLOC_GROW(arr, nr + 1, alloc);
		assert_true(alloc >= nr + 1);
		arr[nr++] = i;
	}
	for (int i = 0; i < 1000; i++)
		assert_int_equal(arr[i], i);
	assert_true(alloc >= 1000);
	free(arr);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* QSORT: sorts; no elements (and a NULL base) or one: nothing done */
static void test_buf_qsort(void **state)
{
	int v[] = { 3, -1, 2, 2, 0 }, one[] = { 7 };
	int *none = NULL;
	(void)state;

	QSORT(v, 5, cmp_int);
	assert_int_equal(v[0], -1);
	assert_int_equal(v[1], 0);
	assert_int_equal(v[2], 2);
	assert_int_equal(v[3], 2);
	assert_int_equal(v[4], 3);
	QSORT(none, 0, cmp_int);
	QSORT(one, 1, cmp_int);
	assert_int_equal(one[0], 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_init_empty),
		cmocka_unit_test(test_buf_add_and_adds),
		cmocka_unit_test(test_buf_addch_grows),
		cmocka_unit_test(test_buf_addf),
		cmocka_unit_test(test_buf_setlen_reset),
		cmocka_unit_test(test_buf_empty_never_written),
		cmocka_unit_test(test_buf_consume),
		cmocka_unit_test(test_buf_detach),
		cmocka_unit_test(test_buf_grow),
		cmocka_unit_test(test_buf_xstrdup),
		cmocka_unit_test(test_buf_st_arith),
		cmocka_unit_test(test_buf_st_overflow_dies),
		cmocka_unit_test(test_buf_alloc_grow),
		cmocka_unit_test(test_buf_qsort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
