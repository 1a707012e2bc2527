/*
 * Unit tests for lib/packlist: "does the repository have X?" over a
 * pack directory (FORMATS-1 §6) with only idx files, with a midx, with a
 * midx and bup.bloom, with a stale midx, in any MRU order; and every id
 * in sorted order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/bloom.h"
#include "lib/buf.h"
#include "lib/midx.h"
#include "lib/oid.h"
#include "lib/packidx.h"
#include "lib/packlist.h"
#include "lib/usage.h"
#include "t/unit/helpers.h"
#include "t/unit/idx-fixture.h"

static struct oid absent[2000];

static void make_absent(void)
{
	for (int i = 0; i < 2000; i++)
		random_oid(&absent[i]);
	/* near neighbours too: differing in the last bit only is done per
	 * test, where the present ids are known */
}

static int setup(void **state)
{
	(void)state;
	if (fixture_setup("packlist", 0x5555aaaa3333ccccull) < 0)
		return -1;
	make_absent();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fixture_teardown();
}

/* Three idx files, the third sharing 10 ids with the first. */
static void make_three(const char *dir, struct set *s)
{
	make_set(dir, &s[0], 700);
	make_set(dir, &s[1], 300);
	s[2].nr = 150;
	s[2].ids = malloc(150 * sizeof(struct oid));
	for (uint32_t i = 0; i < 150; i++)
		random_oid(&s[2].ids[i]);
	for (int i = 0; i < 10; i++)
		s[2].ids[i * 13] = s[0].ids[i * 50];
	s[2].path = write_idx(dir, s[2].ids, s[2].nr);
}

/* Every present id is found, every absent one is not, in a few orders. */
static void check_answers(struct packlist *pl, const struct set *s, int nsets)
{
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < nsets; k++) {
			int kk = round == 1 ? nsets - 1 - k : k;
			for (uint32_t i = 0; i < s[kk].nr; i++) {
				uint32_t ii = round == 2 ? (i * 7919) % s[kk].nr : i;
				if (packlist_exists(pl, &s[kk].ids[ii]) != 1)
					fail_msg("round %d: id %u of set %d not found",
						 round, ii, kk);
				/* interleave absent ones */
				if (ii % 5 == 0)
					assert_int_equal(packlist_exists(
						pl, &absent[(ii + round * 7) % 2000]), 0);
			}
		}
		for (int i = 0; i < 2000; i++)
			assert_int_equal(packlist_exists(pl, &absent[i]), 0);
		for (int k = 0; k < nsets; k++)
			for (uint32_t i = 0; i < s[k].nr; i += 7) {
				struct oid o = s[k].ids[i];
				o.hash[19] ^= 1;
				assert_int_equal(packlist_exists(pl, &o), 0);
			}
	}
}

static void test_packlist_idx_only(void **state)
{
	char dir[512];
	struct set s[3];
	struct packlist pl;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_three(dir, s);
	packlist_init(&pl, dir);
	assert_int_equal(pl.loaded, 0);
	/* the first lookup loads */
	assert_int_equal(packlist_exists(&pl, &s[1].ids[0]), 1);
	assert_int_equal(pl.loaded, 1);
	assert_int_equal(pl.nr, 3);
	assert_null(pl.bloom);
	for (size_t i = 0; i < pl.nr; i++) {
		assert_non_null(pl.ents[i].idx);
		assert_null(pl.ents[i].midx);
	}
	assert_int_equal(packlist_total(&pl), 700 + 300 + 150);
	check_answers(&pl, s, 3);
	assert_true(pl.stats.idx_searches > 0);
	assert_int_equal(pl.stats.midx_searches, 0);
	assert_int_equal(pl.stats.bloom_searches, 0);
	packlist_release(&pl);
	for (int i = 0; i < 3; i++)
		free_set(&s[i]);
}

/* Sorted by entry count, largest first; a hit moves to the front. */
static void test_packlist_order_and_mru(void **state)
{
	char dir[512];
	struct set s[3];
	struct packlist pl;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s[0], 50);
	make_set(dir, &s[1], 500);
	make_set(dir, &s[2], 200);
	packlist_init(&pl, dir);
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_int_equal(pl.nr, 3);
	assert_int_equal(pl.ents[0].nr, 500);
	assert_int_equal(pl.ents[1].nr, 200);
	assert_int_equal(pl.ents[2].nr, 50);
	/* a hit in the smallest moves it to the front */
	assert_int_equal(packlist_exists(&pl, &s[0].ids[3]), 1);
	assert_int_equal(pl.ents[0].nr, 50);
	assert_int_equal(pl.ents[1].nr, 500);
	assert_int_equal(pl.ents[2].nr, 200);
	/* a miss changes nothing */
	assert_int_equal(packlist_exists(&pl, &absent[0]), 0);
	assert_int_equal(pl.ents[0].nr, 50);
	assert_int_equal(packlist_exists(&pl, &s[2].ids[0]), 1);
	assert_int_equal(pl.ents[0].nr, 200);
	assert_int_equal(pl.ents[1].nr, 50);
	assert_int_equal(pl.ents[2].nr, 500);
	/* the answers do not depend on the order */
	check_answers(&pl, s, 3);
	/* invalidate: reloaded at the next lookup, sorted again */
	packlist_invalidate(&pl);
	assert_int_equal(pl.loaded, 0);
	assert_int_equal(pl.nr, 0);
	assert_int_equal(packlist_exists(&pl, &absent[1]), 0);
	assert_int_equal(pl.loaded, 1);
	assert_int_equal(pl.ents[0].nr, 500);
	packlist_release(&pl);
	for (int i = 0; i < 3; i++)
		free_set(&s[i]);
}

static void merge(const char *dir, char **in, size_t n, char *out, size_t outn)
{
	struct buf w = BUF_INIT;
	assert_int_equal(midx_merge(dir, NULL, in, n, 0, 0, &w, NULL), 1);
	snprintf(out, outn, "%s", w.data);
	buf_release(&w);
}

static void test_packlist_with_midx(void **state)
{
	char dir[512], m1[1024];
	struct set s[4];
	struct packlist pl;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_three(dir, s);
	char *in[] = { s[0].path, s[1].path, s[2].path };
	merge(dir, in, 3, m1, sizeof(m1));
	packlist_init(&pl, dir);
	assert_int_equal(packlist_refresh(&pl), 0);
	/* the midx covers all three idx: one entry */
	assert_int_equal(pl.nr, 1);
	assert_non_null(pl.ents[0].midx);
	assert_int_equal(packlist_total(&pl), 1150);
	check_answers(&pl, s, 3);
	assert_true(pl.stats.midx_searches > 0);

	/* a fourth idx not in the midx: midx + idx */
	make_set(dir, &s[3], 2000);
	packlist_invalidate(&pl);
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_int_equal(pl.nr, 2);
	assert_non_null(pl.ents[0].idx);	/* 2000 > 1150 */
	assert_non_null(pl.ents[1].midx);
	check_answers(&pl, s, 4);

	/* ignore_midx: the idx files only */
	pl.ignore_midx = 1;
	packlist_invalidate(&pl);
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_int_equal(pl.nr, 4);
	check_answers(&pl, s, 4);
	pl.ignore_midx = 0;

	/* a redundant smaller midx is not used */
	char m2[1024];
	char *in2[] = { s[0].path, s[1].path };
	merge(dir, in2, 2, m2, sizeof(m2));
	packlist_invalidate(&pl);
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_int_equal(pl.nr, 2);
	for (size_t i = 0; i < pl.nr; i++)
		if (pl.ents[i].midx)
			assert_string_equal(pl.ents[i].midx->path, m1);
	check_answers(&pl, s, 4);
	packlist_release(&pl);
	for (int i = 0; i < 4; i++)
		free_set(&s[i]);
}

static void test_packlist_with_bloom(void **state)
{
	char dir[512], m1[1024];
	struct set s[4];
	struct packlist pl;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_three(dir, s);
	char *in[] = { s[0].path, s[1].path, s[2].path };
	merge(dir, in, 3, m1, sizeof(m1));
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	packlist_init(&pl, dir);
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_non_null(pl.bloom);
	assert_int_equal(pl.use_bloom, 1);
	assert_int_equal(pl.bloom->entries, 1150);
	check_answers(&pl, s, 3);
	assert_true(pl.stats.bloom_searches > 0);

	/* the bloom answers "no" alone for most absent ids */
	memset(&pl.stats, 0, sizeof(pl.stats));
	for (int i = 0; i < 2000; i++)
		assert_int_equal(packlist_exists(&pl, &absent[i]), 0);
	assert_true(pl.stats.bloom_searches >= 1000);
	assert_true(pl.stats.midx_searches < 100);

	/* after a "maybe" the next lookup skips the bloom */
	memset(&pl.stats, 0, sizeof(pl.stats));
	assert_int_equal(packlist_exists(&pl, &s[0].ids[1]), 1);
	assert_int_equal(pl.stats.bloom_searches, 1);
	assert_int_equal(pl.use_bloom, 0);
	assert_int_equal(packlist_exists(&pl, &s[1].ids[1]), 1);
	assert_int_equal(pl.stats.bloom_searches, 1);
	/* a miss re-enables it */
	assert_int_equal(packlist_exists(&pl, &absent[5]), 0);
	assert_int_equal(pl.use_bloom, 1);

	/* an idx the bloom does not know: the bloom is behind, not used,
	 * and the new ids are found */
	make_set(dir, &s[3], 400);
	packlist_invalidate(&pl);
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_null(pl.bloom);
	assert_int_equal(pl.use_bloom, 0);
	check_answers(&pl, s, 4);
	/* brought up to date: used again */
	assert_int_equal(bloom_maintain(dir, NULL, 0, 0), 0);
	packlist_invalidate(&pl);
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_non_null(pl.bloom);
	check_answers(&pl, s, 4);

	/* a broken bloom is ignored with a warning naming it */
	char bp[1024];
	snprintf(bp, sizeof(bp), "%s/bup.bloom", dir);
	FILE *f = fopen(bp, "r+");
	assert_non_null(f);
	fputs("XXXX", f);
	fclose(f);
	nr_warnings = 0;
	packlist_invalidate(&pl);
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_null(pl.bloom);
	assert_int_equal(nr_warnings, 1);
	assert_non_null(strstr(last_msg, "bup.bloom"));
	check_answers(&pl, s, 4);
	packlist_release(&pl);
	for (int i = 0; i < 4; i++)
		free_set(&s[i]);
}

static void test_packlist_stale_midx(void **state)
{
	char dir[512], m1[1024];
	struct set s[3];
	struct packlist pl;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_three(dir, s);
	char *in[] = { s[0].path, s[1].path, s[2].path };
	merge(dir, in, 3, m1, sizeof(m1));
	/* the idx of s[1] goes (say, a gc): the midx names a missing idx */
	unlink(s[1].path);
	packlist_init(&pl, dir);
	nr_warnings = 0;
	assert_int_equal(packlist_refresh(&pl), 0);
	/* the midx is ignored (not deleted), the two idx left are used */
	assert_int_equal(access(m1, F_OK), 0);
	assert_int_equal(pl.nr, 2);
	for (size_t i = 0; i < pl.nr; i++)
		assert_non_null(pl.ents[i].idx);
	/* silent unless verbose */
	assert_int_equal(nr_warnings, 0);
	struct set left[2] = { s[0], s[2] };
	check_answers(&pl, left, 2);
	/* s[1]'s ids are gone with it */
	for (uint32_t i = 0; i < s[1].nr; i++)
		assert_int_equal(packlist_exists(&pl, &s[1].ids[i]), 0);

	pl.verbose = 1;
	packlist_invalidate(&pl);
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_int_equal(nr_warnings, 1);
	assert_non_null(strstr(last_msg, s[1].path));
	assert_int_equal(pl.nr, 2);
	packlist_release(&pl);
	for (int i = 0; i < 3; i++)
		free_set(&s[i]);
}

static void test_packlist_broken_files(void **state)
{
	char dir[512], p[1024];
	struct set s[2];
	struct packlist pl;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s[0], 100);
	make_set(dir, &s[1], 100);
	/* a broken idx and a broken midx */
	snprintf(p, sizeof(p), "%s/pack-broken.idx", dir);
	FILE *f = fopen(p, "w");
	fputs("not an idx at all", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/midx-broken.midx", dir);
	f = fopen(p, "w");
	assert_int_equal(fwrite("MIDX\0\0\0\5\0\0\0\0", 1, 12, f), 12);
	fclose(f);
	packlist_init(&pl, dir);
	nr_warnings = 0;
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_int_equal(pl.nr, 2);
	assert_int_equal(nr_warnings, 2);
	check_answers(&pl, s, 2);
	packlist_release(&pl);

	/* a pack directory that does not exist: nothing, no error */
	snprintf(p, sizeof(p), "%s/none", tmpdir);
	packlist_init(&pl, p);
	assert_int_equal(packlist_exists(&pl, &s[0].ids[0]), 0);
	assert_int_equal(pl.nr, 0);
	assert_int_equal(packlist_total(&pl), 0);
	packlist_release(&pl);
	free_set(&s[0]);
	free_set(&s[1]);
}

/*
 * A midx listed but gone when opened (a midx --auto removed it, as the
 * packwriter's finisher thread does while the next pack fills): skipped
 * without a warning.  A dangling symlink is such a name.
 */
static void test_packlist_midx_gone(void **state)
{
	char dir[512], m1[1024], gone[1024];
	struct set s[3];
	struct packlist pl;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_three(dir, s);
	char *in[] = { s[0].path, s[1].path, s[2].path };
	merge(dir, in, 3, m1, sizeof(m1));
	snprintf(gone, sizeof(gone), "%s/midx-gone.midx", dir);
	assert_int_equal(symlink("midx-removed.midx", gone), 0);
	packlist_init(&pl, dir);
	nr_warnings = 0;
	assert_int_equal(packlist_refresh(&pl), 0);
	assert_int_equal(nr_warnings, 0);
	assert_int_equal(pl.nr, 1);
	assert_non_null(pl.ents[0].midx);
	check_answers(&pl, s, 3);
	packlist_release(&pl);
	for (int i = 0; i < 3; i++)
		free_set(&s[i]);
}

struct collect {
	uint8_t *ids;
	size_t nr, cap, stop_at;
};

static int collect(void *ctx, const uint8_t *sha)
{
	struct collect *c = ctx;
	assert_true(c->nr < c->cap);
	memcpy(c->ids + 20 * c->nr++, sha, 20);
	return c->stop_at && c->nr == c->stop_at ? 42 : 0;
}

static int cmp20(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

static void check_sorted_all(struct packlist *pl, const struct set *s, int nsets)
{
	size_t total = 0;
	for (int k = 0; k < nsets; k++)
		total += s[k].nr;
	struct collect c = { malloc(20 * (total + 1)), 0, total + 1, 0 };
	assert_int_equal(packlist_foreach_sorted(pl, collect, &c), 0);
	assert_int_equal(c.nr, total);
	/* exactly the multiset of ids, in order */
	uint8_t *want = malloc(20 * total);
	size_t n = 0;
	for (int k = 0; k < nsets; k++)
		for (uint32_t i = 0; i < s[k].nr; i++)
			memcpy(want + 20 * n++, s[k].ids[i].hash, 20);
	qsort(want, total, 20, cmp20);
	assert_memory_equal(c.ids, want, 20 * total);
	free(want);
	free(c.ids);
}

static void test_packlist_foreach_sorted(void **state)
{
	char dir[512], m1[1024];
	struct set s[4];
	struct packlist pl;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_three(dir, s);	/* 10 ids twice */
	packlist_init(&pl, dir);
	/* loads on first use */
	check_sorted_all(&pl, s, 3);
	/* count the duplicates */
	struct collect c = { malloc(20 * 1200), 0, 1200, 0 };
	assert_int_equal(packlist_foreach_sorted(&pl, collect, &c), 0);
	int dups = 0;
	for (size_t i = 1; i < c.nr; i++)
		dups += !memcmp(c.ids + 20 * (i - 1), c.ids + 20 * i, 20);
	assert_int_equal(dups, 10);
	free(c.ids);

	/* with a midx and an idx, and an empty idx */
	char *in[] = { s[0].path, s[1].path };
	merge(dir, in, 2, m1, sizeof(m1));
	make_set(dir, &s[3], 0);
	packlist_invalidate(&pl);
	check_sorted_all(&pl, s, 4);

	/* a non-zero result stops the walk and is returned */
	c.ids = malloc(20 * 1200);
	c.nr = 0;
	c.cap = 1200;
	c.stop_at = 17;
	assert_int_equal(packlist_foreach_sorted(&pl, collect, &c), 42);
	assert_int_equal(c.nr, 17);
	for (size_t i = 1; i < c.nr; i++)
		assert_true(memcmp(c.ids + 20 * (i - 1), c.ids + 20 * i, 20) <= 0);
	free(c.ids);

	/* the iterator over some entries only */
	struct packlist_iter it;
	const uint8_t *sha, *prev = NULL;
	size_t n = 0;
	packlist_iter_init(&it, pl.ents, 1);
	while ((sha = packlist_iter_next(&it))) {
		if (prev)
			assert_true(memcmp(prev, sha, 20) <= 0);
		prev = sha;
		n++;
	}
	assert_int_equal(n, pl.ents[0].nr);
	packlist_iter_release(&it);
	packlist_iter_init(&it, pl.ents, 0);
	assert_null(packlist_iter_next(&it));
	packlist_iter_release(&it);
	packlist_release(&pl);
	for (int i = 0; i < 4; i++)
		free_set(&s[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packlist_idx_only),
		cmocka_unit_test(test_packlist_order_and_mru),
		cmocka_unit_test(test_packlist_with_midx),
		cmocka_unit_test(test_packlist_with_bloom),
		cmocka_unit_test(test_packlist_stale_midx),
		cmocka_unit_test(test_packlist_broken_files),
		cmocka_unit_test(test_packlist_midx_gone),
		cmocka_unit_test(test_packlist_foreach_sorted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
