/*
 * Unit tests for lib/savetree: .bupm order and content, mangled tree
 * names, duplicate names, forced trees, and save_split_bytes (with a
 * noop pack writer: ids only).
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
#include "lib/packwriter.h"
#include "lib/savetree.h"
#include "lib/tree.h"
#include "lib/usage.h"

static struct packwriter *noop_writer(void)
{
	struct packwriter_opts o = PACKWRITER_OPTS_INIT;
	o.noop = 1;
	return packwriter_new(NULL, &o);
}

static void oid_of(struct oid *o, enum obj_type t, const void *d, size_t n)
{
	oid_for_object(o, t, d, n);
}

static void test_split_bytes(void **state)
{
	struct packwriter *pw = noop_writer();
	struct oid id, want;
	uint8_t *big;
	(void)state;
	assert_int_equal(save_split_bytes(pw, (const uint8_t *)"", 0, &id), GIT_MODE_FILE);
	oid_of(&want, OBJ_BLOB, "", 0);
	assert_true(oid_eq(&id, &want));
	assert_int_equal(save_split_bytes(pw, (const uint8_t *)"abc", 3, &id), GIT_MODE_FILE);
	oid_of(&want, OBJ_BLOB, "abc", 3);
	assert_true(oid_eq(&id, &want));
	/* zeros never split: 32 KiB pieces, so a tree */
	big = calloc(1, 100000);
	assert_int_equal(save_split_bytes(pw, big, 100000, &id), GIT_MODE_TREE);
	free(big);
	packwriter_abort(pw);
}

static void test_dir_tree_and_bupm(void **state)
{
	struct packwriter *pw = noop_writer();
	struct savetree st;
	struct oid blob, sub, top, chunked, want;
	struct tree_builder tb = TREE_BUILDER_INIT;
	struct buf t = BUF_INIT, bupm = BUF_INIT;
	struct oid bupm_id;
	(void)state;

	oid_of(&blob, OBJ_BLOB, "x", 1);
	oid_of(&chunked, OBJ_TREE, "", 0);
	savetree_init(&st, pw);
	savetree_push(&st, "", 0, "R", 1);
	savetree_push(&st, "d", 1, "D", 1);
	savetree_add(&st, "f", 1, 0100644, 0100644, &blob, "F", 1);
	savetree_pop(&st, NULL, NULL, 0, &sub);
	savetree_add(&st, "z.bup", 5, 0100644, 0100644, &blob, "Z", 1);
	savetree_add(&st, "big", 3, 0100644, GIT_MODE_TREE, &chunked, "B", 1);
	savetree_add(&st, "a", 1, 0120777, 0120000, &blob, "A", 1);
	assert_int_equal(st.depth, 1);
	savetree_pop(&st, NULL, NULL, 0, &top);
	assert_int_equal(st.depth, 0);

	/* the subdirectory: .bupm = "D" + "F" */
	save_split_bytes(pw, (const uint8_t *)"DF", 2, &bupm_id);
	tree_add(&tb, 0100644, ".bupm", 5, &bupm_id);
	tree_add(&tb, 0100644, "f", 1, &blob);
	tree_encode(&tb, &t);
	oid_of(&want, OBJ_TREE, t.data, t.len);
	assert_true(oid_eq(&sub, &want));
	tree_clear(&tb);
	buf_reset(&t);

	/* the top: .bupm = dir, then a, big, z.bup by unmangled name; the
	 * subdirectory has no object there */
	buf_adds(&bupm, "RABZ");
	save_split_bytes(pw, (const uint8_t *)bupm.data, bupm.len, &bupm_id);
	tree_add(&tb, 0100644, ".bupm", 5, &bupm_id);
	tree_add(&tb, GIT_MODE_TREE, "d", 1, &sub);
	tree_add(&tb, 0100644, "z.bup.bupl", 10, &blob);
	tree_add(&tb, GIT_MODE_TREE, "big.bup", 7, &chunked);
	tree_add(&tb, 0120000, "a", 1, &blob);
	tree_encode(&tb, &t);
	oid_of(&want, OBJ_TREE, t.data, t.len);
	assert_true(oid_eq(&top, &want));

	tree_release(&tb);
	buf_release(&t);
	buf_release(&bupm);
	savetree_release(&st);
	packwriter_abort(pw);
}

static void test_duplicates_and_force(void **state)
{
	struct packwriter *pw = noop_writer();
	struct savetree st;
	struct oid b1, b2, top, forced, got, want;
	struct tree_builder tb = TREE_BUILDER_INIT;
	struct buf t = BUF_INIT;
	struct oid bupm_id;
	(void)state;

	oid_of(&b1, OBJ_BLOB, "1", 1);
	oid_of(&b2, OBJ_BLOB, "2", 1);
	memset(&forced, 0x42, sizeof(forced));
	savetree_init(&st, pw);
	savetree_push(&st, "", 0, "R", 1);
	savetree_push(&st, "s", 1, "S", 1);
	savetree_pop(&st, &forced, NULL, 0, &got);
	assert_true(oid_eq(&got, &forced));
	savetree_add(&st, "n", 1, 0100644, 0100644, &b1, "1", 1);
	savetree_add(&st, "n", 1, 0100644, 0100644, &b2, "2", 1);
	savetree_pop(&st, NULL, "E", 1, &top);
	/* reported on stderr ("error: ignoring duplicate path n in /") */
	assert_int_equal(st.errors, 1);

	/* the first n is kept; the root's metadata is the override */
	save_split_bytes(pw, (const uint8_t *)"E1", 2, &bupm_id);
	tree_add(&tb, 0100644, ".bupm", 5, &bupm_id);
	tree_add(&tb, GIT_MODE_TREE, "s", 1, &forced);
	tree_add(&tb, 0100644, "n", 1, &b1);
	tree_encode(&tb, &t);
	oid_of(&want, OBJ_TREE, t.data, t.len);
	assert_true(oid_eq(&top, &want));
	tree_release(&tb);
	buf_release(&t);
	savetree_release(&st);
	packwriter_abort(pw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_bytes),
		cmocka_unit_test(test_dir_tree_and_bupm),
		cmocka_unit_test(test_duplicates_and_force),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
