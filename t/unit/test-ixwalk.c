/*
 * Unit tests for lib/ixwalk: the lazy index walk (bup's Reader.iter
 * with wantrecurse), prefixes, pruning, repack and find.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/bupindex.h"
#include "lib/bupindex_meta.h"
#include "lib/ixwalk.h"
#include "t/unit/helpers.h"

static char dir[] = "/tmp/test-ixwalk.XXXXXX";
static char ixname[300];

static const char *tree[] = {
	"/a/z", "/a/c/", "/a/b/y", "/a/b/x", "/a/b/", "/a/", "/T/q", "/T/",
};

static int setup(void **state)
{
	struct metastore *ms;
	struct bupindex_writer w;
	char meta[300];
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(ixname, sizeof(ixname), "%s/ix", dir);
	snprintf(meta, sizeof(meta), "%s/ix.meta", dir);
	ms = metastore_open(meta);
	if (!ms || bupindex_writer_open(&w, ixname, ms, INT64_MAX) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(tree) / sizeof(*tree); i++) {
		struct stat st;
		size_t l = strlen(tree[i]);
		memset(&st, 0, sizeof(st));
		st.st_ino = i + 1;
		st.st_nlink = 1;
		st.st_mode = tree[i][l - 1] == '/' ? 040755 : 0100644;
		st.st_mtim.tv_sec = st.st_ctim.tv_sec = 1000;
		bupindex_writer_add(&w, tree[i], &st, 0, 0);
	}
	if (bupindex_writer_commit(&w) < 0 || metastore_close(ms) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(dir);
}

static void walk(struct bupindex *ix, const char *name, ixwalk_want_fn want,
		 struct buf *out)
{
	struct ixwalk w;
	buf_reset(out);
	ixwalk_start(&w, ix, name, want, NULL);
	while (ixwalk_next(&w)) {
		buf_add(out, w.path.data, w.path.len);
		buf_addch(out, ' ');
	}
	ixwalk_release(&w);
}

static int want_not_b(void *ctx, struct ixwalk *w, const struct ixent *e)
{
	(void)ctx;
	(void)e;
	return strcmp(w->path.data, "/a/b/") != 0;
}

static void test_walk_all_and_prefixes(void **state)
{
	struct bupindex ix;
	struct buf out = BUF_INIT;
	(void)state;
	assert_int_equal(bupindex_open(&ix, ixname), 0);
	walk(&ix, NULL, NULL, &out);
	assert_string_equal(out.data, "/a/z /a/c/ /a/b/y /a/b/x /a/b/ /a/ /T/q /T/ / ");
	walk(&ix, "/a/b/", NULL, &out);
	assert_string_equal(out.data, "/a/b/y /a/b/x /a/b/ ");
	walk(&ix, "/a/b", NULL, &out);
	assert_string_equal(out.data, "/a/b/y /a/b/x /a/b/ ");
	walk(&ix, "/a/z", NULL, &out);
	assert_string_equal(out.data, "/a/z ");
	walk(&ix, "/nope/", NULL, &out);
	assert_string_equal(out.data, "");
	/* pruning: /a/b/ itself is still listed, its children are not */
	walk(&ix, NULL, want_not_b, &out);
	assert_string_equal(out.data, "/a/z /a/c/ /a/b/ /a/ /T/q /T/ / ");
	/* bupindex_iter agrees */
	{
		struct ixlist l = IXLIST_INIT;
		bupindex_iter(&ix, "/a/", &l);
		walk(&ix, "/a/", NULL, &out);
		assert_string_equal(out.data, "/a/z /a/c/ /a/b/y /a/b/x /a/b/ /a/ ");
		assert_int_equal(l.nr, 6);
		ixlist_release(&l);
	}
	buf_release(&out);
	bupindex_close(&ix);
}

static void test_repack_and_find(void **state)
{
	struct bupindex ix;
	struct ixwalk w;
	struct ixent e;
	uint8_t sha[20];
	(void)state;
	memset(sha, 0x11, sizeof(sha));
	assert_int_equal(bupindex_open(&ix, ixname), 0);
	/* validate everything, walking */
	ixwalk_start(&w, &ix, NULL, NULL, NULL);
	while (ixwalk_next(&w)) {
		bupindex_entry_load(&ix, w.ofs, &e);
		ixent_validate(&e, 0100644, sha);
		ixwalk_repack(&w, &e);
	}
	ixwalk_release(&w);
	/* invalidating /a/b/x invalidates /a/b/, /a/ and / but not /T/ */
	assert_int_equal(ixwalk_find(&w, &ix, "/a/b/x"), 1);
	assert_string_equal(w.path.data, "/a/b/x");
	bupindex_entry_load(&ix, w.ofs, &e);
	e.flags &= ~IX_HASHVALID;
	ixwalk_repack(&w, &e);
	ixwalk_release(&w);
	{
		const char *invalid[] = { "/a/b/x", "/a/b/", "/a/", "/" };
		const char *valid[] = { "/a/b/y", "/a/z", "/T/", "/T/q", "/a/c/" };
		for (int i = 0; i < 4; i++) {
			assert_int_equal(ixwalk_find(&w, &ix, invalid[i]), 1);
			bupindex_entry_load(&ix, w.ofs, &e);
			assert_false(ixent_valid(&e));
			ixwalk_release(&w);
		}
		for (int i = 0; i < 5; i++) {
			assert_int_equal(ixwalk_find(&w, &ix, valid[i]), 1);
			bupindex_entry_load(&ix, w.ofs, &e);
			assert_true(ixent_valid(&e));
			ixwalk_release(&w);
		}
	}
	assert_int_equal(ixwalk_find(&w, &ix, "/a/b/w"), 0);
	ixwalk_release(&w);
	bupindex_close(&ix);
}

static void test_empty_index(void **state)
{
	struct bupindex ix;
	struct buf out = BUF_INIT;
	char name[300];
	(void)state;
	snprintf(name, sizeof(name), "%s/absent", dir);
	assert_int_equal(bupindex_open(&ix, name), 0);
	walk(&ix, NULL, NULL, &out);
	assert_string_equal(out.data, "");
	buf_release(&out);
	bupindex_close(&ix);
}

/*
 * A root without children whose children_ofs points past the file
 * (opening checks it only where there are children; found by fuzzing:
 * the walk then computed a range to drop from the mapping far outside
 * it) walks as the root alone, its frame inside the file.
 */
static void test_childless_root_bad_link(void **state)
{
	struct bupindex ix;
	struct ixwalk w;
	struct buf b = BUF_INIT;
	uint8_t ent[IX_ENTLEN], count[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	char name[300];
	(void)state;

	memset(ent, 0, sizeof(ent));
	memset(ent + 110, 0xff, 8);	/* children_ofs; children_n 0 */
	ent[117] = 0x38;
	buf_add(&b, IX_HDR, IX_HDRLEN);
	buf_add(&b, "/", 2);
	buf_add(&b, ent, sizeof(ent));
	buf_add(&b, count, sizeof(count));
	snprintf(name, sizeof(name), "%s/childless", dir);
	{
		FILE *f = fopen(name, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
		fclose(f);
	}

	assert_int_equal(bupindex_open(&ix, name), 0);
	ixwalk_start(&w, &ix, NULL, NULL, NULL);
	assert_int_equal(ixwalk_next(&w), 1);
	assert_string_equal(w.path.data, "/");
	assert_true(w.stack[0].lo <= ix.size && w.stack[0].next <= ix.size);
	assert_int_equal(ixwalk_next(&w), 0);
	ixwalk_release(&w);
	bupindex_close(&ix);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_all_and_prefixes),
		cmocka_unit_test(test_repack_and_find),
		cmocka_unit_test(test_empty_index),
		cmocka_unit_test(test_childless_root_bad_link),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
