/*
 * Unit tests for lib/tree: git tree encoding and git's name order
 * (FORMATS-1 §2.4).
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
#include "lib/oid.h"
#include "lib/tree.h"

static struct oid from_hex(const char *hex)
{
	struct oid o;
	assert_int_equal(oid_from_hex(&o, hex), 0);
	return o;
}

#define BLOB_A "2e65efe2a145dda7ee51d1741299f848e5bf752e"
#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

static void add(struct tree_builder *t, unsigned mode, const char *name,
		const char *hex)
{
	struct oid o = from_hex(hex);
	tree_add(t, mode, name, strlen(name), &o);
}

static void assert_tree_id(const struct buf *b, const char *want)
{
	struct oid o;
	char hex[OID_HEXSZ + 1];
	oid_for_object(&o, OBJ_TREE, b->data, b->len);
	assert_string_equal(oid_to_hex(&o, hex), want);
}

/* Append the expected encoding of one entry. */
static void expect(struct buf *b, const char *mode, const char *name,
		   const char *hex)
{
	struct oid o = from_hex(hex);
	buf_adds(b, mode);
	buf_addch(b, ' ');
	buf_adds(b, name);
	buf_addch(b, 0);
	buf_add(b, o.hash, OID_RAWSZ);
}

static void test_tree_empty(void **state)
{
	struct tree_builder t = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT;
	(void)state;
	tree_encode(&t, &b);
	assert_int_equal(b.len, 0);
	assert_tree_id(&b, EMPTY_TREE);
	tree_release(&t);
	buf_release(&b);
}

static void test_tree_single_entry_encoding(void **state)
{
	struct tree_builder t = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT;
	static const uint8_t want_prefix[] = "100644 0";
	(void)state;
	add(&t, GIT_MODE_FILE, "0", BLOB_A);
	tree_encode(&t, &b);
	/* "100644 0\0" + 20 raw bytes: 29 bytes */
	assert_int_equal(b.len, 29);
	assert_memory_equal(b.data, want_prefix, 8);
	assert_int_equal(b.data[8], 0);
	assert_int_equal((uint8_t)b.data[9], 0x2e);
	assert_int_equal((uint8_t)b.data[28], 0x2e);
	/* `bup split -t one.bin` (FORMATS-1 §7.2) */
	assert_tree_id(&b, "1f7af70d2e86de00c2ffa17c9b18b8a147e3668c");
	tree_release(&t);
	buf_release(&b);
}

static void test_tree_modes(void **state)
{
	struct tree_builder t = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT, w = BUF_INIT;
	(void)state;
	add(&t, GIT_MODE_TREE, "d", EMPTY_TREE);
	add(&t, GIT_MODE_EXEC, "e", BLOB_A);
	add(&t, GIT_MODE_SYMLINK, "l", BLOB_A);
	add(&t, GIT_MODE_FILE, "f", BLOB_A);
	tree_encode(&t, &b);
	/* octal without leading zeros: a tree is "40000" */
	expect(&w, "40000", "d", EMPTY_TREE);
	expect(&w, "100755", "e", BLOB_A);
	expect(&w, "100644", "f", BLOB_A);
	expect(&w, "120000", "l", BLOB_A);
	assert_int_equal(b.len, w.len);
	assert_memory_equal(b.data, w.data, w.len);
	tree_release(&t);
	buf_release(&b);
	buf_release(&w);
}

/*
 * git order: names compare bytewise, a tree's name as if it ended in
 * '/'.  So "a-b" < "a.b" < "a" (tree, "a/") < "a0", and a file "a"
 * sorts before all of them.
 */
static void test_tree_git_order(void **state)
{
	struct tree_builder t = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT, w = BUF_INIT;
	(void)state;
	add(&t, GIT_MODE_FILE, "a0", BLOB_A);
	add(&t, GIT_MODE_TREE, "a", EMPTY_TREE);
	add(&t, GIT_MODE_FILE, "a.b", BLOB_A);
	add(&t, GIT_MODE_FILE, "a-b", BLOB_A);
	add(&t, GIT_MODE_EXEC, "b", BLOB_A);
	add(&t, GIT_MODE_SYMLINK, "l", BLOB_A);
	tree_encode(&t, &b);
	expect(&w, "100644", "a-b", BLOB_A);
	expect(&w, "100644", "a.b", BLOB_A);
	expect(&w, "40000", "a", EMPTY_TREE);
	expect(&w, "100644", "a0", BLOB_A);
	expect(&w, "100755", "b", BLOB_A);
	expect(&w, "120000", "l", BLOB_A);
	assert_int_equal(b.len, w.len);
	assert_memory_equal(b.data, w.data, w.len);
	/* the id `git mktree` gives for the same entries */
	assert_tree_id(&b, "b1b440c518878fdcaf2f2bf544acebe8454b523b");
	tree_release(&t);
	buf_release(&b);
	buf_release(&w);
}

static void test_tree_file_vs_tree_same_name(void **state)
{
	struct tree_builder t = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT, w = BUF_INIT;
	(void)state;
	add(&t, GIT_MODE_TREE, "a", EMPTY_TREE);
	add(&t, GIT_MODE_FILE, "a.b", BLOB_A);
	add(&t, GIT_MODE_FILE, "a", BLOB_A);
	tree_encode(&t, &b);
	/* "a" < "a.b" < "a/" */
	expect(&w, "100644", "a", BLOB_A);
	expect(&w, "100644", "a.b", BLOB_A);
	expect(&w, "40000", "a", EMPTY_TREE);
	assert_int_equal(b.len, w.len);
	assert_memory_equal(b.data, w.data, w.len);
	tree_release(&t);
	buf_release(&b);
	buf_release(&w);
}

/* Names with bytes >= 0x80 sort after ASCII (unsigned compare). */
static void test_tree_high_bytes_and_prefixes(void **state)
{
	struct tree_builder t = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT, w = BUF_INIT;
	(void)state;
	add(&t, GIT_MODE_FILE, "\xc3\xa9", BLOB_A);
	add(&t, GIT_MODE_FILE, "z", BLOB_A);
	add(&t, GIT_MODE_FILE, "abc", BLOB_A);
	add(&t, GIT_MODE_FILE, "ab", BLOB_A);
	add(&t, GIT_MODE_TREE, "ab.bup", EMPTY_TREE);
	tree_encode(&t, &b);
	expect(&w, "100644", "ab", BLOB_A);
	expect(&w, "40000", "ab.bup", EMPTY_TREE);
	expect(&w, "100644", "abc", BLOB_A);
	expect(&w, "100644", "z", BLOB_A);
	expect(&w, "100644", "\xc3\xa9", BLOB_A);
	assert_int_equal(b.len, w.len);
	assert_memory_equal(b.data, w.data, w.len);
	tree_release(&t);
	buf_release(&b);
	buf_release(&w);
}

/* tree_add copies the name; namelen bounds it. */
static void test_tree_name_copied(void **state)
{
	struct tree_builder t = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT, w = BUF_INIT;
	char name[16];
	struct oid o = from_hex(BLOB_A);
	(void)state;
	strcpy(name, "dataXYZ");
	tree_add(&t, GIT_MODE_FILE, name, 4, &o);
	memset(name, 'Q', sizeof(name));
	assert_int_equal(t.nr, 1);
	assert_int_equal(t.ents[0].namelen, 4);
	assert_string_equal(t.ents[0].name, "data");
	tree_encode(&t, &b);
	expect(&w, "100644", "data", BLOB_A);
	assert_memory_equal(b.data, w.data, w.len);
	/* FORMATS-1 §7.5: the `split -n` wrapper tree */
	assert_tree_id(&b, "493a9a61fe47cd90f23dcecc198b9e2c019009a1");
	tree_release(&t);
	buf_release(&b);
	buf_release(&w);
}

static void test_tree_encode_appends_and_clear(void **state)
{
	struct tree_builder t = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT;
	(void)state;
	buf_adds(&b, "XY");
	add(&t, GIT_MODE_TREE, "data.bup",
	    "6da082fab544b6ac5c9c3d7211903da4e81fb3eb");
	tree_encode(&t, &b);
	assert_memory_equal(b.data, "XY40000 data.bup", 16);
	buf_consume(&b, 2);
	assert_tree_id(&b, "c81a42f5bb09205f43555268ba145d43b0e72c3b");
	/* clear keeps the builder usable */
	tree_clear(&t);
	assert_int_equal(t.nr, 0);
	buf_reset(&b);
	add(&t, GIT_MODE_FILE, "0", BLOB_A);
	tree_encode(&t, &b);
	assert_tree_id(&b, "1f7af70d2e86de00c2ffa17c9b18b8a147e3668c");
	tree_release(&t);
	assert_null(t.ents);
	buf_release(&b);
}

/* Many chunk names (same width) stay in offset order. */
static void test_tree_many_entries_sorted(void **state)
{
	struct tree_builder t = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT;
	struct oid o = from_hex(BLOB_A);
	char name[16];
	(void)state;
	for (int i = 255; i >= 0; i--) {
		int n = snprintf(name, sizeof(name), "%06x", i * 0x8000);
		tree_add(&t, GIT_MODE_FILE, name, (size_t)n, &o);
	}
	tree_encode(&t, &b);
	assert_int_equal(b.len, 256 * (7 + 6 + 1 + 20));
	for (int i = 0; i < 256; i++) {
		char want[16];
		snprintf(want, sizeof(want), "100644 %06x", i * 0x8000);
		assert_memory_equal(b.data + i * 34, want, 13);
	}
	tree_release(&t);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_empty),
		cmocka_unit_test(test_tree_single_entry_encoding),
		cmocka_unit_test(test_tree_modes),
		cmocka_unit_test(test_tree_git_order),
		cmocka_unit_test(test_tree_file_vs_tree_same_name),
		cmocka_unit_test(test_tree_high_bytes_and_prefixes),
		cmocka_unit_test(test_tree_name_copied),
		cmocka_unit_test(test_tree_encode_appends_and_clear),
		cmocka_unit_test(test_tree_many_entries_sorted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
