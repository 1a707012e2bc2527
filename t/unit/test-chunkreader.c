/*
 * Unit tests for lib/chunkreader: the threaded splitter gives exactly the
 * chunks, levels and blob ids of struct hashsplit fed the same files
 * (FORMATS-1 §1.4, §1.5), reports read errors and stops when emit() asks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/chunkreader.h"
#include "lib/hashsplit.h"
#include "lib/oid.h"
#include "lib/usage.h"
#include "t/unit/helpers.h"

static char tmpdir[] = "/tmp/test-chunkreader-XXXXXX";
static char last_msg[4096];
static int nr_msgs;

static void capture_report(const char *prefix, const char *msg)
{
	snprintf(last_msg, sizeof(last_msg), "%s%s", prefix, msg);
	nr_msgs++;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	usage_set_report(capture_report);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	usage_set_report(NULL);
	return rm_rf(tmpdir);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/*
 * Mixed content: random stretches, runs of zeros (long runs without a
 * split: BLOB_MAX chunks) and repeated text, so levels > 0 and forced
 * 32 KiB cuts both occur.
 */
static void make_file(const char *path, size_t len, unsigned seed)
{
	uint8_t *d = malloc(len ? len : 1);
	size_t pos = 0;
	FILE *f;
	assert_non_null(d);
	rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed * 0x100000001b3ull);
	while (pos < len) {
		size_t n = 1 + rnd32() % 300000;
		uint32_t kind = rnd32() % 4;
		if (n > len - pos)
			n = len - pos;
		for (size_t i = 0; i < n; i++) {
			if (kind == 0)
				d[pos + i] = 0;
			else if (kind == 1)
				d[pos + i] = "the quick brown fox\n"[(pos + i) % 20];
			else
				d[pos + i] = (uint8_t)rnd32();
		}
		pos += n;
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, len, f), len);
	fclose(f);
	free(d);
}

struct rec {
	size_t len;
	int level;
	uint8_t data_sha[20];	/* the blob id of the bytes */
	int has_blob;
	int blob_ok;		/* the id passed equals data_sha */
};

struct recs {
	struct rec *v;
	size_t nr, alloc;
	uint64_t bytes;
	size_t stop_after;	/* return 7 from this call on (0: never) */
};

static void add_rec(struct recs *r, const uint8_t *data, size_t len, int level,
		    const struct oid *blob)
{
	ALLOC_GROW(r->v, r->nr + 1, r->alloc);
	struct rec *x = &r->v[r->nr++];
	memset(x, 0, sizeof(*x));
	x->len = len;
	x->level = level;
	struct oid id;
	oid_for_object(&id, OBJ_BLOB, data, len);
	memcpy(x->data_sha, id.hash, 20);
	if (blob) {
		x->has_blob = 1;
		x->blob_ok = oid_eq(blob, &id);
	}
	r->bytes += len;
}

static int hs_emit(void *ctx, const uint8_t *data, size_t len, int level)
{
	add_rec(ctx, data, len, level, NULL);
	return 0;
}

static int cr_emit(void *ctx, const uint8_t *data, size_t len, int level,
		   const struct oid *blob)
{
	struct recs *r = ctx;
	add_rec(r, data, len, level, blob);
	if (r->stop_after && r->nr >= r->stop_after)
		return 7;
	return 0;
}

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

/* The reference: struct hashsplit over the same files, as cmd/split does. */
static void reference(char **paths, size_t nr, unsigned fanout,
		      int keep_boundaries, struct recs *out)
{
	struct hashsplit hs;
	hashsplit_init(&hs, fanout, hs_emit, out);
	for (size_t i = 0; i < nr; i++) {
		int fd = open(paths[i], O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(hashsplit_read_fd(&hs, fd), 0);
		close(fd);
		if (keep_boundaries)
			assert_int_equal(hashsplit_finish(&hs), 0);
	}
	assert_int_equal(hashsplit_finish(&hs), 0);
	hashsplit_release(&hs);
}

static int run_cr(char **paths, size_t nr, unsigned fanout, int keep_boundaries,
		  int want_ids, struct recs *out)
{
	int *fds = calloc(nr ? nr : 1, sizeof(*fds));
	int ret;
	for (size_t i = 0; i < nr; i++) {
		fds[i] = open(paths[i], O_RDONLY);
		assert_true(fds[i] >= 0);
	}
	ret = chunkreader_run(fds, (const char *const *)paths, nr, fanout,
			      keep_boundaries, want_ids, cr_emit, NULL, out);
	for (size_t i = 0; i < nr; i++)
		close(fds[i]);
	free(fds);
	return ret;
}

static void assert_same(const struct recs *want, const struct recs *got,
			int want_ids)
{
	assert_int_equal(got->nr, want->nr);
	assert_int_equal(got->bytes, want->bytes);
	for (size_t i = 0; i < want->nr; i++) {
		const struct rec *a = &want->v[i], *b = &got->v[i];
		if (a->len != b->len || a->level != b->level ||
		    memcmp(a->data_sha, b->data_sha, 20))
			fail_msg("chunk %zu differs: len %zu/%zu level %d/%d",
				 i, a->len, b->len, a->level, b->level);
		if (want_ids) {
			assert_true(b->has_blob);
			if (!b->blob_ok)
				fail_msg("chunk %zu: wrong blob id", i);
		} else {
			assert_false(b->has_blob);
		}
	}
}

/* Blob ids: chunkreader's must be oid_for_object() of the chunk bytes. */
struct idcheck {
	size_t n, bad;
};

static int id_emit(void *ctx, const uint8_t *data, size_t len, int level,
		   const struct oid *blob)
{
	struct idcheck *c = ctx;
	struct oid o;
	(void)level;
	c->n++;
	if (!blob)
		c->bad++;
	else {
		oid_for_object(&o, OBJ_BLOB, data, len);
		if (!oid_eq(&o, blob))
			c->bad++;
	}
	return 0;
}

static size_t total_chunks_bytes(const struct recs *r)
{
	return r->bytes;
}

static off_t fsize(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

#define MiB (1u << 20)

static char *names[8];

static void make_inputs(void)
{
	static const size_t sizes[] = {
		100000,			/* short */
		0,			/* empty */
		8 * MiB,		/* exactly one block */
		8 * MiB + 12345,	/* a block and a bit */
		16 * MiB,		/* exactly two blocks */
		3 * MiB + 7,
		1,
	};
	static int made;
	if (made)
		return;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char p[512], n[32];
		snprintf(n, sizeof(n), "in%zu.bin", i);
		path_of(p, sizeof(p), n);
		make_file(p, sizes[i], (unsigned)i + 1);
		names[i] = strdup(p);
		assert_int_equal(fsize(p), (off_t)sizes[i]);
	}
	made = 1;
}

static void compare(char **paths, size_t nr, unsigned fanout, int kb,
		    int want_ids)
{
	struct recs want = { 0 }, got = { 0 };
	uint64_t total = 0;
	reference(paths, nr, fanout, kb, &want);
	assert_int_equal(run_cr(paths, nr, fanout, kb, want_ids, &got), 0);
	assert_same(&want, &got, want_ids);
	for (size_t i = 0; i < nr; i++)
		total += (uint64_t)fsize(paths[i]);
	assert_int_equal(total_chunks_bytes(&got), total);
	free(want.v);
	free(got.v);
}

static void test_chunkreader_single_files(void **state)
{
	(void)state;
	make_inputs();
	for (int i = 0; i < 7; i++)
		compare(&names[i], 1, 16, 0, 1);
}

static void test_chunkreader_one_stream(void **state)
{
	(void)state;
	make_inputs();
	/* all the files as one stream (chunks span files) */
	compare(names, 7, 16, 0, 1);
	/* files that end exactly on 8 MiB blocks, back to back */
	char *aligned[] = { names[2], names[4], names[2], names[0] };
	compare(aligned, 4, 16, 0, 1);
	char *aligned2[] = { names[0], names[2], names[1], names[4] };
	compare(aligned2, 4, 16, 0, 0);
}

static void test_chunkreader_keep_boundaries(void **state)
{
	struct recs got = { 0 };
	(void)state;
	make_inputs();
	compare(names, 7, 16, 1, 1);
	char *aligned[] = { names[2], names[4], names[2], names[6] };
	compare(aligned, 4, 16, 1, 1);
	compare(aligned, 4, 16, 1, 0);

	/* with keep_boundaries no chunk spans two files: the running byte
	 * count hits every file boundary */
	assert_int_equal(run_cr(aligned, 4, 16, 1, 0, &got), 0);
	uint64_t pos = 0, bound = 0;
	size_t f = 0, hits = 0;
	for (size_t i = 0; i < got.nr; i++) {
		pos += got.v[i].len;
		while (f < 4 && bound + (uint64_t)fsize(aligned[f]) <= pos) {
			bound += (uint64_t)fsize(aligned[f++]);
			if (bound == pos)
				hits++;
			else
				fail_msg("chunk %zu crosses the end of file %zu", i, f - 1);
		}
	}
	assert_int_equal(hits, 4);
	free(got.v);
}

static void test_chunkreader_fanouts(void **state)
{
	(void)state;
	make_inputs();
	char *two[] = { names[3], names[5] };
	compare(two, 2, 0, 0, 1);	/* 0: the default */
	compare(two, 2, 2, 0, 1);
	compare(two, 2, 256, 1, 0);
}

/* Open inputs 2, 3 and 4 (8 MiB, 8 MiB and a bit, 16 MiB). */
static void open_three(int fds[3], const char *nm[3])
{
	make_inputs();
	for (int i = 0; i < 3; i++) {
		nm[i] = names[2 + i];
		fds[i] = open(nm[i], O_RDONLY);
		assert_true(fds[i] >= 0);
	}
}

static void test_chunkreader_blob_ids(void **state)
{
	struct idcheck c = { 0, 0 };
	int fds[3];
	const char *nm[3];
	(void)state;
	open_three(fds, nm);
	assert_int_equal(chunkreader_run(fds, nm, 3, 16, 0, 1, id_emit, NULL, &c), 0);
	assert_true(c.n > 100);
	assert_int_equal(c.bad, 0);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

/*
 * done() comes after each block's chunks and before their memory is
 * reused: every chunk emitted since the last done() still holds its bytes
 * when done() runs (the reader is kept ahead, so it would have refilled a
 * block given back early).
 */
struct held {
	const uint8_t *p[4096];
	uint8_t sha[4096][20];
	size_t len[4096], nr, dones, chunks, bad;
};

static int held_emit(void *ctx, const uint8_t *data, size_t len, int level,
		     const struct oid *id)
{
	struct held *h = ctx;
	(void)level;
	(void)id;
	assert_true(h->nr < 4096);
	h->p[h->nr] = data;
	h->len[h->nr] = len;
	sha1_buf(data, len, h->sha[h->nr]);
	h->nr++;
	h->chunks++;
	usleep(h->chunks % 64 ? 0 : 1000);	/* let the reader run ahead */
	return 0;
}

static void held_done(void *ctx)
{
	struct held *h = ctx;
	uint8_t sha[20];
	for (size_t i = 0; i < h->nr; i++) {
		sha1_buf(h->p[i], h->len[i], sha);
		if (memcmp(sha, h->sha[i], 20))
			h->bad++;
	}
	h->nr = 0;
	h->dones++;
}

static void test_chunkreader_done_per_block(void **state)
{
	struct held *h = calloc(1, sizeof(*h));
	int fds[3];
	const char *nm[3];
	off_t size = 0;
	(void)state;
	open_three(fds, nm);
	for (int i = 0; i < 3; i++)
		size += fsize(nm[i]);
	assert_true(size > 3 * HASHSPLIT_READ_SIZE);
	assert_int_equal(chunkreader_run(fds, nm, 3, 16, 0, 1, held_emit,
					 held_done, h), 0);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	assert_int_equal(h->bad, 0);
	assert_int_equal(h->nr, 0);	/* the last chunks were released too */
	assert_true(h->dones >= (size_t)(size / HASHSPLIT_READ_SIZE));
	assert_true(h->chunks > h->dones);
	free(h);
}

static void test_chunkreader_empty(void **state)
{
	struct recs got = { 0 };
	(void)state;
	make_inputs();
	/* one empty file: no chunks */
	assert_int_equal(run_cr(&names[1], 1, 16, 0, 1, &got), 0);
	assert_int_equal(got.nr, 0);
	assert_int_equal(run_cr(&names[1], 1, 16, 1, 1, &got), 0);
	assert_int_equal(got.nr, 0);
	/* no files at all */
	assert_int_equal(run_cr(NULL, 0, 16, 0, 1, &got), 0);
	assert_int_equal(got.nr, 0);
	/* a one-byte file: one level-0 chunk */
	assert_int_equal(run_cr(&names[6], 1, 16, 0, 1, &got), 0);
	assert_int_equal(got.nr, 1);
	assert_int_equal(got.v[0].len, 1);
	assert_int_equal(got.v[0].level, 0);
	free(got.v);
}

static void test_chunkreader_read_error(void **state)
{
	int fds[2];
	const char *nm[2];
	struct recs got = { 0 };
	char sub[512];
	(void)state;
	make_inputs();
	path_of(sub, sizeof(sub), "a-directory");
	assert_int_equal(mkdir(sub, 0755), 0);
	nm[0] = names[0];
	nm[1] = sub;
	fds[0] = open(nm[0], O_RDONLY);
	fds[1] = open(sub, O_RDONLY | O_DIRECTORY);
	assert_true(fds[0] >= 0 && fds[1] >= 0);
	last_msg[0] = 0;
	nr_msgs = 0;
	assert_int_equal(chunkreader_run(fds, nm, 2, 16, 0, 1, cr_emit, NULL, &got), -1);
	/* reported once, naming the directory, with the errno text */
	assert_int_equal(nr_msgs, 1);
	assert_non_null(strstr(last_msg, "error: "));
	assert_non_null(strstr(last_msg, sub));
	assert_non_null(strstr(last_msg, strerror(EISDIR)));
	/* no chunk beyond the first file's bytes was made up */
	assert_true(got.bytes <= (uint64_t)fsize(names[0]));
	close(fds[0]);
	close(fds[1]);

	/* the directory first: nothing emitted */
	free(got.v);
	memset(&got, 0, sizeof(got));
	fds[0] = open(sub, O_RDONLY | O_DIRECTORY);
	nm[0] = sub;
	nr_msgs = 0;
	assert_int_equal(chunkreader_run(fds, nm, 1, 16, 1, 0, cr_emit, NULL, &got), -1);
	assert_int_equal(nr_msgs, 1);
	assert_int_equal(got.nr, 0);
	close(fds[0]);
	free(got.v);
}

static void test_chunkreader_emit_stops(void **state)
{
	struct recs want = { 0 };
	(void)state;
	make_inputs();
	char *in[] = { names[4], names[3], names[0] };
	reference(in, 3, 16, 0, &want);
	assert_true(want.nr > 600);
	/* stop at the first chunk, in the middle of a later batch, and at
	 * the very last one */
	size_t stops[] = { 1, 2, 300, want.nr - 1, want.nr };
	for (size_t s = 0; s < sizeof(stops) / sizeof(stops[0]); s++) {
		for (int ids = 0; ids < 2; ids++) {
			struct recs got = { 0 };
			got.stop_after = stops[s];
			nr_msgs = 0;
			assert_int_equal(run_cr(in, 3, 16, 0, ids, &got), 7);
			/* no further call after the non-zero result */
			assert_int_equal(got.nr, stops[s]);
			assert_int_equal(nr_msgs, 0);
			for (size_t i = 0; i < got.nr; i++) {
				assert_int_equal(got.v[i].len, want.v[i].len);
				assert_memory_equal(got.v[i].data_sha,
						    want.v[i].data_sha, 20);
			}
			free(got.v);
		}
	}
	free(want.v);
}

/* Reading from a pipe: short reads are joined into 8 MiB blocks. */
static void test_chunkreader_pipe(void **state)
{
	struct recs want = { 0 }, got = { 0 };
	int p[2];
	pid_t pid;
	(void)state;
	make_inputs();
	reference(&names[3], 1, 16, 0, &want);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(names[3], O_RDONLY);
		char b[4000];
		ssize_t n;
		close(p[0]);
		while ((n = read(fd, b, sizeof(b))) > 0)
			if (write(p[1], b, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	const char *nm[] = { "pipe" };
	assert_int_equal(chunkreader_run(&p[0], nm, 1, 16, 0, 1, cr_emit, NULL, &got), 0);
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	assert_same(&want, &got, 1);
	free(want.v);
	free(got.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunkreader_single_files),
		cmocka_unit_test(test_chunkreader_one_stream),
		cmocka_unit_test(test_chunkreader_keep_boundaries),
		cmocka_unit_test(test_chunkreader_fanouts),
		cmocka_unit_test(test_chunkreader_blob_ids),
		cmocka_unit_test(test_chunkreader_done_per_block),
		cmocka_unit_test(test_chunkreader_empty),
		cmocka_unit_test(test_chunkreader_read_error),
		cmocka_unit_test(test_chunkreader_emit_stops),
		cmocka_unit_test(test_chunkreader_pipe),
	};
	int r = cmocka_run_group_tests(tests, setup, teardown);
	for (int i = 0; i < 8; i++)
		free(names[i]);
	return r;
}
