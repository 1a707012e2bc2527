/*
 * Unit tests for lib/oidset: the in-memory set of object ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/oidset.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t next64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_oid(struct oid *o)
{
	for (int i = 0; i < OID_RAWSZ; i += 4) {
		uint32_t v = (uint32_t)next64();
		memcpy(o->hash + i, &v, 4);
	}
}

static void test_oidset_empty(void **state)
{
	struct oidset s = OIDSET_INIT;
	struct oid o;
	(void)state;
	memset(o.hash, 0, OID_RAWSZ);
	assert_int_equal(oidset_contains(&s, &o), 0);
	assert_int_equal(s.nr, 0);
	oidset_clear(&s);
	oidset_clear(&s);
	assert_int_equal(oidset_contains(&s, &o), 0);
}

static void test_oidset_insert_contains_many(void **state)
{
	enum { N = 200000 };
	struct oidset s = OIDSET_INIT;
	struct oid *ids = malloc(N * sizeof(*ids));
	(void)state;
	assert_non_null(ids);
	for (int i = 0; i < N; i++)
		random_oid(&ids[i]);
	for (int i = 0; i < N; i++) {
		assert_int_equal(oidset_insert(&s, &ids[i]), 1);
		assert_int_equal(s.nr, (size_t)i + 1);
		/* a few earlier ones stay findable across rehashes */
		assert_true(oidset_contains(&s, &ids[i / 2]));
	}
	assert_true(s.cap >= 2 * s.nr);
	assert_int_equal(s.cap & (s.cap - 1), 0);
	for (int i = 0; i < N; i++)
		assert_true(oidset_contains(&s, &ids[i]));
	/* ids never inserted */
	for (int i = 0; i < N; i++) {
		struct oid o;
		random_oid(&o);
		assert_false(oidset_contains(&s, &o));
	}
	oidset_clear(&s);
	assert_int_equal(s.nr, 0);
	assert_false(oidset_contains(&s, &ids[0]));
	free(ids);
}

static void test_oidset_duplicates(void **state)
{
	struct oidset s = OIDSET_INIT;
	struct oid ids[1000];
	(void)state;
	for (int i = 0; i < 1000; i++)
		random_oid(&ids[i]);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 1000; i++)
			assert_int_equal(oidset_insert(&s, &ids[i]),
					 round == 0 ? 1 : 0);
	assert_int_equal(s.nr, 1000);
	oidset_clear(&s);
}

/* Ids sharing the bytes used as the hash differ only later. */
static void test_oidset_collisions(void **state)
{
	struct oidset s = OIDSET_INIT;
	struct oid o;
	(void)state;
	memset(o.hash, 0x5a, OID_RAWSZ);
	for (int i = 0; i < 3000; i++) {
		o.hash[18] = (uint8_t)(i >> 8);
		o.hash[19] = (uint8_t)i;
		assert_int_equal(oidset_insert(&s, &o), 1);
	}
	assert_int_equal(s.nr, 3000);
	for (int i = 0; i < 3000; i++) {
		o.hash[18] = (uint8_t)(i >> 8);
		o.hash[19] = (uint8_t)i;
		assert_true(oidset_contains(&s, &o));
		assert_int_equal(oidset_insert(&s, &o), 0);
	}
	o.hash[18] = 0xff;
	o.hash[19] = 0xff;
	assert_false(oidset_contains(&s, &o));
	/* the all-zero id is an ordinary member */
	memset(o.hash, 0, OID_RAWSZ);
	assert_false(oidset_contains(&s, &o));
	assert_int_equal(oidset_insert(&s, &o), 1);
	assert_true(oidset_contains(&s, &o));
	oidset_clear(&s);
}

/* Reusable after clear. */
static void test_oidset_clear_reuse(void **state)
{
	struct oidset s = OIDSET_INIT;
	struct oid a, b;
	(void)state;
	random_oid(&a);
	random_oid(&b);
	assert_int_equal(oidset_insert(&s, &a), 1);
	oidset_clear(&s);
	assert_false(oidset_contains(&s, &a));
	assert_int_equal(oidset_insert(&s, &b), 1);
	assert_int_equal(oidset_insert(&s, &a), 1);
	assert_int_equal(s.nr, 2);
	oidset_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oidset_empty),
		cmocka_unit_test(test_oidset_insert_contains_many),
		cmocka_unit_test(test_oidset_duplicates),
		cmocka_unit_test(test_oidset_collisions),
		cmocka_unit_test(test_oidset_clear_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
