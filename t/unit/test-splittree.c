/*
 * Unit tests for lib/splittree: bup's tree of trees over chunks
 * (FORMATS-1 §2.1-2.3), checked against the tree ids of §7.2.  The pack
 * writer is a noop one: it computes ids and writes nothing.
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
#include "lib/hashsplit.h"
#include "lib/oid.h"
#include "lib/packwriter.h"
#include "lib/splittree.h"
#include "lib/tree.h"

#define ZERO_CHUNK "12f3be4dd3b5a2b5146f36630acbf7e99e490797"
#define BLOB_A "2e65efe2a145dda7ee51d1741299f848e5bf752e"
#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#define EMPTY_BLOB "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"

static struct packwriter *noop_writer(void)
{
	struct packwriter_opts o = PACKWRITER_OPTS_INIT;
	struct packwriter *pw;
	o.noop = 1;
	pw = packwriter_new(NULL, &o);
	assert_non_null(pw);
	return pw;
}

static struct oid from_hex(const char *hex)
{
	struct oid o;
	assert_int_equal(oid_from_hex(&o, hex), 0);
	return o;
}

static void assert_oid(const struct oid *o, const char *want)
{
	char hex[OID_HEXSZ + 1];
	assert_string_equal(oid_to_hex(o, hex), want);
}

/* What `bup split -t` prints: tree(result), always (§2.3). */
static void finish_as_split_t(struct splittree *st, struct oid *out)
{
	struct split_entry *ents;
	size_t nr;
	splittree_finish(st, &ents, &nr);
	splittree_write_tree(st->pw, ents, nr, out);
}

static void test_splittree_zero20m(void **state)
{
	struct packwriter *pw = noop_writer();
	struct splittree st;
	struct oid zero = from_hex(ZERO_CHUNK), top;
	struct split_entry *ents;
	size_t nr;
	(void)state;
	splittree_init(&st, pw);
	for (int i = 0; i < 640; i++)
		splittree_add(&st, &zero, 32768, 0);
	splittree_finish(&st, &ents, &nr);
	/* 256 + 256 + 128 chunks under three subtrees */
	assert_int_equal(nr, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ents[i].mode, GIT_MODE_TREE);
	assert_int_equal(ents[0].size, 256 * 32768);
	assert_int_equal(ents[1].size, 256 * 32768);
	assert_int_equal(ents[2].size, 128 * 32768);
	assert_oid(&ents[0].oid, "c346be176670b646d7cc416a66c0e1673201f08a");
	assert_true(oid_eq(&ents[0].oid, &ents[1].oid));
	splittree_write_tree(pw, ents, nr, &top);
	assert_oid(&top, "d86e9133068f90be162f262eddef0b8339c16aec");
	splittree_release(&st);
	packwriter_close(pw);
}

/* The 256-entry subtree of zero20m, built by hand: names 000000..7f8000. */
static void test_splittree_names_256(void **state)
{
	struct packwriter *pw = noop_writer();
	struct split_entry ents[256];
	struct tree_builder tb = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT;
	struct oid got, want;
	char name[16];
	(void)state;
	for (int i = 0; i < 256; i++) {
		ents[i].mode = GIT_MODE_FILE;
		ents[i].oid = from_hex(ZERO_CHUNK);
		ents[i].size = 32768;
		/* total 0x800000: 6 hex digits */
		snprintf(name, sizeof(name), "%06x", i * 32768);
		tree_add(&tb, GIT_MODE_FILE, name, 6, &ents[i].oid);
	}
	tree_encode(&tb, &b);
	oid_for_object(&want, OBJ_TREE, b.data, b.len);
	splittree_write_tree(pw, ents, 256, &got);
	assert_true(oid_eq(&got, &want));
	assert_oid(&got, "c346be176670b646d7cc416a66c0e1673201f08a");
	tree_release(&tb);
	buf_release(&b);
	packwriter_close(pw);
}

/* Build the tree we expect from (name, mode, hex) triples. */
static void expect_tree(struct oid *out, int n, const char *const *names,
			const unsigned *modes, const char *const *hexes)
{
	struct tree_builder tb = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT;
	for (int i = 0; i < n; i++) {
		struct oid o = from_hex(hexes[i]);
		tree_add(&tb, modes[i], names[i], strlen(names[i]), &o);
	}
	tree_encode(&tb, &b);
	oid_for_object(out, OBJ_TREE, b.data, b.len);
	tree_release(&tb);
	buf_release(&b);
}

/*
 * Names are hex offsets zero-padded to the width of the tree's total
 * size: 102400 (0x19000) bytes give 00000 08000 10000 18000.
 */
static void test_splittree_names_width(void **state)
{
	struct packwriter *pw = noop_writer();
	struct splittree st;
	struct oid zero = from_hex(ZERO_CHUNK), tail, top, want;
	(void)state;
	tail = from_hex("08e7df176454f3ee5eeda13efa0adaa54828dfd8");
	splittree_init(&st, pw);
	for (int i = 0; i < 3; i++)
		splittree_add(&st, &zero, 32768, 0);
	splittree_add(&st, &tail, 4096, 0);
	finish_as_split_t(&st, &top);
	{
		static const char *const names[] = { "00000", "08000", "10000", "18000" };
		static const unsigned modes[] = { 0100644, 0100644, 0100644, 0100644 };
		static const char *const hexes[] = { ZERO_CHUNK, ZERO_CHUNK, ZERO_CHUNK,
			"08e7df176454f3ee5eeda13efa0adaa54828dfd8" };
		expect_tree(&want, 4, names, modes, hexes);
	}
	assert_true(oid_eq(&top, &want));
	/* `bup split -t zero100k.bin` */
	assert_oid(&top, "887a1f46b23ad33d7ab55f36188b1d93f3575523");
	splittree_release(&st);

	/* Width edges: total 0xf is one digit, 0x10 two, 0 gives "0". */
	struct split_entry e[3];
	for (int i = 0; i < 3; i++) {
		e[i].mode = GIT_MODE_FILE;
		e[i].oid = from_hex(BLOB_A);
	}
	e[0].size = 5; e[1].size = 10;	/* 0xf */
	splittree_write_tree(pw, e, 2, &top);
	{
		static const char *const names[] = { "0", "5" };
		static const unsigned modes[] = { 0100644, 0100644 };
		static const char *const hexes[] = { BLOB_A, BLOB_A };
		expect_tree(&want, 2, names, modes, hexes);
	}
	assert_true(oid_eq(&top, &want));
	e[0].size = 6; e[1].size = 10;	/* 0x10 */
	splittree_write_tree(pw, e, 2, &top);
	{
		static const char *const names[] = { "00", "06" };
		static const unsigned modes[] = { 0100644, 0100644 };
		static const char *const hexes[] = { BLOB_A, BLOB_A };
		expect_tree(&want, 2, names, modes, hexes);
	}
	assert_true(oid_eq(&top, &want));
	e[0].size = 0;
	splittree_write_tree(pw, e, 1, &top);
	{
		static const char *const names[] = { "0" };
		static const unsigned modes[] = { 0100644 };
		static const char *const hexes[] = { BLOB_A };
		expect_tree(&want, 1, names, modes, hexes);
	}
	assert_true(oid_eq(&top, &want));
	/* subtrees keep mode 40000; offsets are relative to this tree */
	e[0].mode = GIT_MODE_TREE; e[0].oid = from_hex(EMPTY_TREE);
	e[0].size = 0x800000;
	e[1].size = 0x800000;
	e[2].size = 1;
	splittree_write_tree(pw, e, 3, &top);
	{
		static const char *const names[] = { "0000000", "0800000", "1000000" };
		static const unsigned modes[] = { 040000, 0100644, 0100644 };
		static const char *const hexes[] = { EMPTY_TREE, BLOB_A, BLOB_A };
		expect_tree(&want, 3, names, modes, hexes);
	}
	assert_true(oid_eq(&top, &want));
	packwriter_close(pw);
}

static void test_splittree_one_chunk(void **state)
{
	struct packwriter *pw = noop_writer();
	struct splittree st;
	struct oid a = from_hex(BLOB_A), top;
	struct split_entry *ents;
	size_t nr;
	uint64_t size;
	(void)state;
	splittree_init(&st, pw);
	splittree_add(&st, &a, 1, 0);
	splittree_finish(&st, &ents, &nr);
	assert_int_equal(nr, 1);
	assert_int_equal(ents[0].mode, GIT_MODE_FILE);
	assert_true(oid_eq(&ents[0].oid, &a));
	splittree_write_tree(pw, ents, nr, &top);
	/* `bup split -t one.bin`: one entry named "0" */
	assert_oid(&top, "1f7af70d2e86de00c2ffa17c9b18b8a147e3668c");
	splittree_release(&st);

	/* split_to_blob_or_tree: one entry is used as is */
	splittree_init(&st, pw);
	splittree_add(&st, &a, 1, 3);	/* a high level changes nothing */
	assert_int_equal(splittree_blob_or_tree(&st, &top, &size), GIT_MODE_FILE);
	assert_true(oid_eq(&top, &a));
	assert_int_equal(size, 1);
	splittree_release(&st);
	packwriter_close(pw);
}

static void test_splittree_empty(void **state)
{
	struct packwriter *pw = noop_writer();
	struct splittree st;
	struct oid top;
	struct split_entry *ents;
	size_t nr;
	uint64_t size = 99;
	(void)state;
	splittree_init(&st, pw);
	splittree_finish(&st, &ents, &nr);
	assert_int_equal(nr, 0);
	splittree_write_tree(pw, ents, nr, &top);
	assert_oid(&top, EMPTY_TREE);
	splittree_release(&st);

	splittree_init(&st, pw);
	assert_int_equal(splittree_blob_or_tree(&st, &top, &size), GIT_MODE_FILE);
	assert_oid(&top, EMPTY_BLOB);
	assert_int_equal(size, 0);
	splittree_release(&st);
	packwriter_close(pw);
}

static void test_splittree_blob_or_tree_many(void **state)
{
	struct packwriter *pw = noop_writer();
	struct splittree st;
	struct oid zero = from_hex(ZERO_CHUNK), top;
	uint64_t size;
	(void)state;
	splittree_init(&st, pw);
	for (int i = 0; i < 640; i++)
		splittree_add(&st, &zero, 32768, 0);
	assert_int_equal(splittree_blob_or_tree(&st, &top, &size), GIT_MODE_TREE);
	assert_int_equal(size, 640 * 32768);
	assert_oid(&top, "d86e9133068f90be162f262eddef0b8339c16aec");
	splittree_release(&st);
	packwriter_close(pw);
}

/*
 * Levels: a level-L chunk closes the groups at depths 0..L-1; a group of
 * one entry is promoted, not wrapped.
 */
static void test_splittree_levels_shape(void **state)
{
	struct packwriter *pw = noop_writer();
	struct splittree st;
	struct oid a = from_hex(BLOB_A), z = from_hex(ZERO_CHUNK);
	struct oid t01, top, want;
	struct split_entry *ents;
	size_t nr;
	(void)state;
	splittree_init(&st, pw);
	splittree_add(&st, &a, 1, 0);
	splittree_add(&st, &z, 32768, 1);	/* closes {a, z} into a tree */
	splittree_add(&st, &a, 1, 1);		/* a group of one: promoted */
	splittree_add(&st, &z, 32768, 0);	/* left open at the end */
	splittree_finish(&st, &ents, &nr);
	/* level 1 holds: tree{a,z}, a, then the closing of the last group */
	assert_int_equal(nr, 3);
	{
		static const char *const names[] = { "0000", "0001" };
		static const unsigned modes[] = { 0100644, 0100644 };
		static const char *const hexes[] = { BLOB_A, ZERO_CHUNK };
		expect_tree(&t01, 2, names, modes, hexes);
	}
	assert_int_equal(ents[0].mode, GIT_MODE_TREE);
	assert_true(oid_eq(&ents[0].oid, &t01));
	assert_int_equal(ents[0].size, 32769);
	assert_int_equal(ents[1].mode, GIT_MODE_FILE);
	assert_true(oid_eq(&ents[1].oid, &a));
	assert_int_equal(ents[2].mode, GIT_MODE_FILE);
	assert_true(oid_eq(&ents[2].oid, &z));
	splittree_write_tree(pw, ents, nr, &top);
	{
		/* total 65538 = 0x10002: width 5 */
		static const char *names[3] = { "00000", "08001", "08002" };
		static const unsigned modes[] = { 040000, 0100644, 0100644 };
		char t01hex[41];
		const char *hexes[3] = { oid_to_hex(&t01, t01hex), BLOB_A, ZERO_CHUNK };
		expect_tree(&want, 3, names, modes, hexes);
	}
	assert_true(oid_eq(&top, &want));
	splittree_release(&st);
	packwriter_close(pw);
}

/* ---- end to end with the splitter: rand5m at several fanouts ---- */

struct ctx {
	struct packwriter *pw;
	struct splittree *st;
};

static int emit(void *c_, const uint8_t *data, size_t len, int level)
{
	struct ctx *c = c_;
	struct oid o;
	packwriter_write(c->pw, OBJ_BLOB, data, len, &o);
	splittree_add(c->st, &o, len, level);
	return 0;
}

static void split_tree(const uint8_t *d, size_t len, unsigned fanout,
		       struct oid *top)
{
	struct packwriter *pw = noop_writer();
	struct splittree st;
	struct hashsplit hs;
	struct ctx c = { pw, &st };
	splittree_init(&st, pw);
	hashsplit_init(&hs, fanout, emit, &c);
	for (size_t pos = 0; pos < len;) {
		size_t n = len - pos < HASHSPLIT_READ_SIZE ? len - pos :
			   HASHSPLIT_READ_SIZE;
		assert_int_equal(hashsplit_feed_copy(&hs, d + pos, n), 0);
		pos += n;
	}
	assert_int_equal(hashsplit_finish(&hs), 0);
	hashsplit_release(&hs);
	finish_as_split_t(&st, top);
	splittree_release(&st);
	packwriter_close(pw);
}

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

static void test_splittree_rand5m(void **state)
{
	size_t len = 5 << 20;
	uint8_t *d = bup_random(1, len);
	struct oid top;
	(void)state;
	split_tree(d, len, 16, &top);
	assert_oid(&top, "bff4bb514fb16978768e4f694af4a6218d935bcf");
	split_tree(d, len, 0, &top);	/* --fanout=0 is the default */
	assert_oid(&top, "bff4bb514fb16978768e4f694af4a6218d935bcf");
	split_tree(d, len, 4, &top);
	assert_oid(&top, "d38f04196d0deab2eed505fc62984fd32829f00d");
	split_tree(d, len, 2, &top);
	assert_oid(&top, "48a9fa7b114aa6142ce9f9e72e727f46862e0980");
	split_tree(d, len, 100, &top);
	assert_oid(&top, "19807eb95809c71ae2c474a383d97874c0c346dd");
	free(d);
}

static void test_splittree_rand100000_and_yesdi(void **state)
{
	uint8_t *d = bup_random(3, 100000);
	struct oid top;
	(void)state;
	split_tree(d, 100000, 16, &top);
	assert_oid(&top, "6da082fab544b6ac5c9c3d7211903da4e81fb3eb");
	for (size_t i = 0; i < 100000; i++)
		d[i] = "di\n"[i % 3];
	split_tree(d, 100000, 16, &top);
	assert_oid(&top, "a228f87a0604889ed779f4e2b4cec349049d566e");
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splittree_zero20m),
		cmocka_unit_test(test_splittree_names_256),
		cmocka_unit_test(test_splittree_names_width),
		cmocka_unit_test(test_splittree_one_chunk),
		cmocka_unit_test(test_splittree_empty),
		cmocka_unit_test(test_splittree_blob_or_tree_many),
		cmocka_unit_test(test_splittree_levels_shape),
		cmocka_unit_test(test_splittree_rand5m),
		cmocka_unit_test(test_splittree_rand100000_and_yesdi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
