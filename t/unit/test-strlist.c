/*
 * Unit tests for lib/strlist: an owned list of strings, and
 * list_dir_suffix (bup's glob of dir/STAR<suffix>: no dot files).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/strlist.h"
#include "t/unit/helpers.h"

static char tmpdir[] = "/tmp/test-strlist-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(tmpdir);
}

static void touch(const char *dir, const char *name)
{
	char p[1024];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void test_strlist_add_has(void **state)
{
	struct strlist l = STRLIST_INIT;
	char s[16];
	(void)state;
	assert_int_equal(l.nr, 0);
	assert_false(strlist_has(&l, "a"));
	strcpy(s, "alpha");
	strlist_add(&l, s);
	/* a copy: changing the source does not change the list */
	strcpy(s, "beta");
	assert_true(strlist_has(&l, "alpha"));
	assert_false(strlist_has(&l, "beta"));
	assert_true(l.items[0] != s);
	strlist_add(&l, s);
	strlist_add(&l, "");
	strlist_add(&l, "alpha");	/* duplicates are kept */
	assert_int_equal(l.nr, 4);
	assert_string_equal(l.items[0], "alpha");
	assert_string_equal(l.items[1], "beta");
	assert_string_equal(l.items[2], "");
	assert_string_equal(l.items[3], "alpha");
	assert_true(strlist_has(&l, ""));
	/* whole strings only */
	assert_false(strlist_has(&l, "alph"));
	assert_false(strlist_has(&l, "alphabet"));
	assert_false(strlist_has(&l, "Alpha"));
	strlist_clear(&l);
}

static void test_strlist_grow(void **state)
{
	struct strlist l = STRLIST_INIT;
	char s[32];
	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "item-%d", i);
		strlist_add(&l, s);
	}
	assert_int_equal(l.nr, 1000);
	assert_true(l.alloc >= 1000);
	for (int i = 0; i < 1000; i += 37) {
		snprintf(s, sizeof(s), "item-%d", i);
		assert_string_equal(l.items[i], s);
		assert_true(strlist_has(&l, s));
	}
	assert_false(strlist_has(&l, "item-1000"));
	strlist_clear(&l);
}

static void test_strlist_owned_and_clear(void **state)
{
	struct strlist l = STRLIST_INIT;
	char *mine = xstrdup("owned");
	(void)state;
	strlist_add_owned(&l, mine);
	/* the very pointer is stored */
	assert_ptr_equal(l.items[0], mine);
	assert_true(strlist_has(&l, "owned"));
	strlist_clear(&l);
	assert_int_equal(l.nr, 0);
	assert_int_equal(l.alloc, 0);
	assert_null(l.items);
	assert_false(strlist_has(&l, "owned"));
	/* usable again after a clear, and clearing twice is fine */
	strlist_add(&l, "again");
	assert_int_equal(l.nr, 1);
	assert_true(strlist_has(&l, "again"));
	strlist_clear(&l);
	strlist_clear(&l);
	assert_int_equal(l.nr, 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_strlist_list_dir_suffix(void **state)
{
	char dir[512], want[1024], sub[600];
	struct strlist l = STRLIST_INIT;
	(void)state;
	snprintf(dir, sizeof(dir), "%s/pack", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	touch(dir, "pack-a.idx");
	touch(dir, "pack-b.idx");
	touch(dir, ".hidden.idx");	/* dot file: skipped */
	touch(dir, ".idx");		/* dot file: skipped */
	touch(dir, "pack-a.pack");
	touch(dir, "midx-1.midx");	/* ends in "idx" but not ".idx" */
	touch(dir, "x.idx.tmp");
	touch(dir, "x.IDX");
	touch(dir, "idx");
	snprintf(sub, sizeof(sub), "%s/dir.idx", dir);
	assert_int_equal(mkdir(sub, 0755), 0);	/* the glob lists it too */

	assert_int_equal(list_dir_suffix(dir, ".idx", &l), 0);
	qsort(l.items, l.nr, sizeof(*l.items), cmp_str);
	assert_int_equal(l.nr, 3);
	snprintf(want, sizeof(want), "%s/dir.idx", dir);
	assert_string_equal(l.items[0], want);
	snprintf(want, sizeof(want), "%s/pack-a.idx", dir);
	assert_string_equal(l.items[1], want);
	snprintf(want, sizeof(want), "%s/pack-b.idx", dir);
	assert_string_equal(l.items[2], want);

	/* it appends to the list */
	assert_int_equal(list_dir_suffix(dir, ".midx", &l), 0);
	assert_int_equal(l.nr, 4);
	snprintf(want, sizeof(want), "%s/midx-1.midx", dir);
	assert_true(strlist_has(&l, want));
	strlist_clear(&l);

	/* suffix "idx" also takes the .midx and the bare name */
	assert_int_equal(list_dir_suffix(dir, "idx", &l), 0);
	assert_int_equal(l.nr, 5);
	snprintf(want, sizeof(want), "%s/idx", dir);
	assert_true(strlist_has(&l, want));
	strlist_clear(&l);

	/* the empty suffix: every name but the dot files */
	assert_int_equal(list_dir_suffix(dir, "", &l), 0);
	assert_int_equal(l.nr, 8);
	for (size_t i = 0; i < l.nr; i++)
		assert_null(strstr(l.items[i], "/."));
	strlist_clear(&l);

	/* no match */
	assert_int_equal(list_dir_suffix(dir, ".bloom", &l), 0);
	assert_int_equal(l.nr, 0);
	/* a missing directory: -1, errno, list untouched */
	strlist_add(&l, "kept");
	snprintf(want, sizeof(want), "%s/nope", tmpdir);
	errno = 0;
	assert_int_equal(list_dir_suffix(want, ".idx", &l), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(l.nr, 1);
	strlist_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strlist_add_has),
		cmocka_unit_test(test_strlist_grow),
		cmocka_unit_test(test_strlist_owned_and_clear),
		cmocka_unit_test(test_strlist_list_dir_suffix),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
