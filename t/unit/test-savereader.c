/*
 * Unit tests for lib/savereader: read-ahead results equal a direct
 * split, paths the save passes are dropped, unread paths give NULL, and
 * open failures are reported on the last piece.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/hashsplit.h"
#include "lib/savereader.h"
#include "t/unit/helpers.h"

static char dir[] = "/tmp/test-savereader.XXXXXX";
static char paths[4][300];	/* descending: z, y (big), x, w (absent) */

static int setup(void **state)
{
	FILE *f;
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(paths[0], 300, "%s/z", dir);
	snprintf(paths[1], 300, "%s/y", dir);
	snprintf(paths[2], 300, "%s/x", dir);
	snprintf(paths[3], 300, "%s/w", dir);
	f = fopen(paths[0], "w");
	fputs("small\n", f);
	fclose(f);
	f = fopen(paths[1], "w");
	srand(7);
	for (int i = 0; i < 9 * 1024 * 1024; i++)	/* more than one 8 MiB block */
		fputc(rand() & 0xff, f);
	fclose(f);
	f = fopen(paths[2], "w");
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(dir);
}

static int plan(void *ctx, struct buf *path)
{
	int *i = ctx;
	if (*i >= 4)
		return 0;
	buf_reset(path);
	buf_adds(path, paths[(*i)++]);
	return 1;
}

/* A digest of a file's chunks: ids, lengths and levels. */
struct digest {
	struct buf b;
	int done, err, open_failed;
};

static void add_piece(void *ctx, struct sr_piece *p)
{
	struct digest *d = ctx;
	for (size_t i = 0; i < p->nr; i++) {
		char hex[OID_HEXSZ + 1];
		buf_addf(&d->b, "%s %u %d\n", oid_to_hex(&p->chunks[i].id, hex),
			 p->chunks[i].len, p->chunks[i].level);
	}
	if (p->last) {
		d->done = 1;
		d->err = p->err;
		d->open_failed = p->open_failed;
	}
	sr_piece_free(p);
}

static int hs_emit(void *ctx, const uint8_t *data, size_t len, int level)
{
	struct buf *b = ctx;
	struct oid id;
	char hex[OID_HEXSZ + 1];
	oid_for_object(&id, OBJ_BLOB, data, len);
	buf_addf(b, "%s %zu %d\n", oid_to_hex(&id, hex), len, level);
	return 0;
}

/* The reference: struct hashsplit fed by hashsplit_read_fd. */
static void reference(const char *path, struct buf *out)
{
	struct hashsplit hs;
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	hashsplit_init(&hs, 0, hs_emit, out);
	assert_int_equal(hashsplit_read_fd(&hs, fileno(f)), 0);
	hashsplit_finish(&hs);
	hashsplit_release(&hs);
	fclose(f);
}

static void test_read_ahead(void **state)
{
	int next = 0;
	struct savereader *r = savereader_start(plan, &next);
	struct digest d;
	struct buf want = BUF_INIT;
	(void)state;

	/* z is passed without reading: its result is dropped */
	memset(&d, 0, sizeof(d));
	buf_init(&d.b, 0);
	{
		struct sr_piece *p = savereader_take(r, paths[1]);
		assert_non_null(p);
		add_piece(&d, p);
		while (!d.done)
			add_piece(&d, savereader_next(r));
	}
	reference(paths[1], &want);
	assert_int_equal(d.err, 0);
	assert_string_equal(d.b.data, want.data);
	assert_true(want.len > 2000);	/* many chunks */

	/* x: empty, no chunks */
	buf_release(&d.b);
	memset(&d, 0, sizeof(d));
	buf_init(&d.b, 0);
	add_piece(&d, savereader_take(r, paths[2]));
	assert_true(d.done);
	assert_int_equal(d.b.len, 0);

	/* w: missing */
	buf_release(&d.b);
	memset(&d, 0, sizeof(d));
	buf_init(&d.b, 0);
	add_piece(&d, savereader_take(r, paths[3]));
	assert_int_equal(d.err, ENOENT);
	assert_true(d.open_failed);

	/* anything after the plan: not read ahead */
	assert_null(savereader_take(r, "/"));
	savereader_finish(r);
	buf_release(&want);
	buf_release(&d.b);
}

static void test_direct_read(void **state)
{
	struct digest d;
	struct buf want = BUF_INIT;
	(void)state;
	memset(&d, 0, sizeof(d));
	buf_init(&d.b, 0);
	savereader_read(paths[0], add_piece, &d);
	reference(paths[0], &want);
	assert_true(d.done);
	assert_string_equal(d.b.data, want.data);
	buf_release(&want);
	buf_release(&d.b);
}

static int plan_none(void *ctx, struct buf *path)
{
	(void)ctx;
	(void)path;
	return 0;
}

static void test_early_finish(void **state)
{
	int next = 0;
	struct savereader *r = savereader_start(plan, &next);
	(void)state;
	/* stop while the thread may be blocked on a full queue */
	savereader_finish(r);
	r = savereader_start(plan_none, NULL);
	assert_null(savereader_take(r, paths[0]));
	savereader_finish(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_ahead),
		cmocka_unit_test(test_direct_read),
		cmocka_unit_test(test_early_finish),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
