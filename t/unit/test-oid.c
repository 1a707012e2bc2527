/*
 * Unit tests for lib/oid: hex conversion, SHA-1 and git object ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/oid.h"

static void hex_of(const struct oid *o, char out[OID_HEXSZ + 1])
{
	oid_to_hex(o, out);
}

static void test_oid_hex_round_trip(void **state)
{
	struct oid o, back;
	char hex[OID_HEXSZ + 1];
	(void)state;
	for (int i = 0; i < OID_RAWSZ; i++)
		o.hash[i] = (uint8_t)(i * 37 + 11);
	assert_ptr_equal(oid_to_hex(&o, hex), hex);
	assert_int_equal(strlen(hex), OID_HEXSZ);
	assert_int_equal(oid_from_hex(&back, hex), 0);
	assert_true(oid_eq(&o, &back));
	assert_int_equal(oid_cmp(&o, &back), 0);

	/* every byte value, in every position */
	for (int v = 0; v < 256; v++) {
		memset(o.hash, v, OID_RAWSZ);
		o.hash[v % OID_RAWSZ] = (uint8_t)(255 - v);
		hex_of(&o, hex);
		for (int k = 0; k < OID_HEXSZ; k++)
			assert_true((hex[k] >= '0' && hex[k] <= '9') ||
				    (hex[k] >= 'a' && hex[k] <= 'f'));
		assert_int_equal(oid_from_hex(&back, hex), 0);
		assert_memory_equal(o.hash, back.hash, OID_RAWSZ);
	}
}

static void test_oid_hex_known(void **state)
{
	struct oid o;
	char hex[OID_HEXSZ + 1];
	(void)state;
	memset(o.hash, 0, OID_RAWSZ);
	assert_string_equal(oid_to_hex(&o, hex),
			    "0000000000000000000000000000000000000000");
	memset(o.hash, 0xff, OID_RAWSZ);
	assert_string_equal(oid_to_hex(&o, hex),
			    "ffffffffffffffffffffffffffffffffffffffff");
	assert_int_equal(oid_from_hex(&o, "0123456789abcdef0123456789ABCDEF01234567"), 0);
	assert_int_equal(o.hash[0], 0x01);
	assert_int_equal(o.hash[7], 0xef);
	assert_int_equal(o.hash[15], 0xef);	/* upper case accepted */
	assert_int_equal(o.hash[19], 0x67);
	assert_string_equal(oid_to_hex(&o, hex),
			    "0123456789abcdef0123456789abcdef01234567");
}

static void test_oid_from_hex_bad(void **state)
{
	struct oid o;
	(void)state;
	assert_int_equal(oid_from_hex(&o, "g123456789abcdef0123456789abcdef01234567"), -1);
	assert_int_equal(oid_from_hex(&o, "0123456789abcdef0123456789abcdef0123456z"), -1);
	assert_int_equal(oid_from_hex(&o, "0123456789abcdef0123456789abcdef0123456"), -1);
	assert_int_equal(oid_from_hex(&o, ""), -1);
	assert_int_equal(oid_from_hex(&o, " 123456789abcdef0123456789abcdef01234567"), -1);
	/* extra characters after 40 digits are not looked at */
	assert_int_equal(oid_from_hex(&o, "0123456789abcdef0123456789abcdef01234567xyz"), 0);
}

static void test_oid_is_hex_oid(void **state)
{
	(void)state;
	assert_true(is_hex_oid("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", 40));
	assert_true(is_hex_oid("E69DE29BB2D1D6434B8B29AE775AD8C2E48C5391", 40));
	assert_false(is_hex_oid("e69de29bb2d1d6434b8b29ae775ad8c2e48c539", 39));
	assert_false(is_hex_oid("e69de29bb2d1d6434b8b29ae775ad8c2e48c53910", 41));
	assert_false(is_hex_oid("e69de29bb2d1d6434b8b29ae775ad8c2e48c539g", 40));
	assert_false(is_hex_oid("", 0));
}

static void assert_object_id(enum obj_type t, const void *data, size_t len,
			     const char *want)
{
	struct oid o;
	char hex[OID_HEXSZ + 1];
	oid_for_object(&o, t, data, len);
	assert_string_equal(oid_to_hex(&o, hex), want);
}

static void test_oid_for_object_known(void **state)
{
	(void)state;
	/* the empty blob and the empty tree */
	assert_object_id(OBJ_BLOB, "", 0,
			 "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	assert_object_id(OBJ_TREE, "", 0,
			 "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	assert_object_id(OBJ_BLOB, "a", 1,
			 "2e65efe2a145dda7ee51d1741299f848e5bf752e");
	assert_object_id(OBJ_BLOB, "hello\n", 6,
			 "ce013625030ba8dba906f756967f9e9ca394464a");
}

static void test_oid_for_object_zero_chunk(void **state)
{
	uint8_t *z = calloc(32768, 1);
	(void)state;
	assert_non_null(z);
	/* bup's 32 KiB zero chunk (FORMATS-1 §7.2) and the 4 KiB tail */
	assert_object_id(OBJ_BLOB, z, 32768,
			 "12f3be4dd3b5a2b5146f36630acbf7e99e490797");
	assert_object_id(OBJ_BLOB, z, 4096,
			 "08e7df176454f3ee5eeda13efa0adaa54828dfd8");
	free(z);
}

/* The same as sha1("<type> <len>\0" + data) computed by hand. */
static void test_oid_for_object_matches_sha1(void **state)
{
	static const enum obj_type types[] = { OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_TAG };
	static const char *names[] = { "commit", "tree", "blob", "tag" };
	char data[300];
	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	for (int t = 0; t < 4; t++) {
		for (size_t len = 0; len < sizeof(data); len += 37) {
			char full[400];
			int n = sprintf(full, "%s %zu", names[t], len);
			struct oid a, b;
			memcpy(full + n + 1, data, len);
			sha1_buf(full, (size_t)n + 1 + len, b.hash);
			oid_for_object(&a, types[t], data, len);
			assert_true(oid_eq(&a, &b));
		}
	}
}

static void test_oid_sha1_incremental(void **state)
{
	struct sha1_ctx c;
	uint8_t one[OID_RAWSZ], two[OID_RAWSZ];
	char hex[OID_HEXSZ + 1];
	const char *s = "The quick brown fox jumps over the lazy dog";
	(void)state;
	sha1_buf(s, strlen(s), one);
	assert_string_equal(oid_to_hex((struct oid *)one, hex),
			    "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
	sha1_init(&c);
	for (const char *p = s; *p; p++)
		sha1_update(&c, p, 1);
	sha1_update(&c, "", 0);
	sha1_final(&c, two);
	assert_memory_equal(one, two, OID_RAWSZ);
	sha1_buf("", 0, one);
	assert_string_equal(oid_to_hex((struct oid *)one, hex),
			    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	/* release without final is safe, and after final too */
	sha1_init(&c);
	sha1_update(&c, "x", 1);
	sha1_release(&c);
	sha1_init(&c);
	sha1_final(&c, two);
	sha1_release(&c);
	assert_memory_equal(one, two, OID_RAWSZ);
}

static void test_oid_type_names(void **state)
{
	(void)state;
	assert_string_equal(obj_type_name(OBJ_COMMIT), "commit");
	assert_string_equal(obj_type_name(OBJ_TREE), "tree");
	assert_string_equal(obj_type_name(OBJ_BLOB), "blob");
	assert_string_equal(obj_type_name(OBJ_TAG), "tag");
	assert_int_equal(obj_type_from_name("commit"), OBJ_COMMIT);
	assert_int_equal(obj_type_from_name("tree"), OBJ_TREE);
	assert_int_equal(obj_type_from_name("blob"), OBJ_BLOB);
	assert_int_equal(obj_type_from_name("tag"), OBJ_TAG);
	assert_int_equal(obj_type_from_name("blobx"), OBJ_NONE);
	assert_int_equal(obj_type_from_name(""), OBJ_NONE);
	assert_int_equal(obj_type_from_name("Blob"), OBJ_NONE);
}

static void test_oid_cmp_order(void **state)
{
	struct oid a, b;
	(void)state;
	memset(a.hash, 0, OID_RAWSZ);
	memset(b.hash, 0, OID_RAWSZ);
	b.hash[19] = 1;
	assert_true(oid_cmp(&a, &b) < 0);
	assert_true(oid_cmp(&b, &a) > 0);
	assert_false(oid_eq(&a, &b));
	a.hash[0] = 0x80;	/* unsigned byte order */
	assert_true(oid_cmp(&a, &b) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oid_hex_round_trip),
		cmocka_unit_test(test_oid_hex_known),
		cmocka_unit_test(test_oid_from_hex_bad),
		cmocka_unit_test(test_oid_is_hex_oid),
		cmocka_unit_test(test_oid_for_object_known),
		cmocka_unit_test(test_oid_for_object_zero_chunk),
		cmocka_unit_test(test_oid_for_object_matches_sha1),
		cmocka_unit_test(test_oid_sha1_incremental),
		cmocka_unit_test(test_oid_type_names),
		cmocka_unit_test(test_oid_cmp_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
