/*
 * deflate-limit: how fast could a split go if compressing were the only
 * work?  Cuts FILE into bup's chunks (before the clock starts), then
 * compresses every chunk with our compressor (lib/compress.h: libdeflate
 * at LEVEL with the store-if-random rule, as `bup split` does by
 * default) on NTHREADS threads, each taking a contiguous share.
 *
 * With "plain" as 4th argument, every chunk is deflated (libdeflate alone,
 * without the store-if-random rule): the "libdeflate level 1".
 *
 * usage: deflate-limit FILE [NTHREADS [LEVEL [plain]]]
 * prints: threads=N level=L chunks=C bytes=B out=O ratio=R compress_s=T MB/s=X
 * (MB = 10^6 bytes; the file is read into memory first.)
 */
#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/compress.h"
#include "lib/hashsplit.h"
#include "lib/xio.h"

struct chunk {
	size_t ofs, len;
};

struct chunks {
	const uint8_t *base;
	struct chunk *v;
	size_t nr, alloc;
};

struct job {
	const uint8_t *data;
	const struct chunk *v;
	size_t first, last;
	int level, plain;
	uint64_t out;
};

static int record(void *ctx, const uint8_t *data, size_t len, int level)
{
	struct chunks *c = ctx;
	ALLOC_GROW(c->v, c->nr + 1, c->alloc);
	c->v[c->nr].ofs = (size_t)(data - c->base);
	c->v[c->nr].len = len;
	c->nr++;
	return 0;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct compressor *c = compressor_new(COMPRESSOR_LIBDEFLATE, j->level);
	struct libdeflate_compressor *ld = libdeflate_alloc_compressor(j->level);
	size_t cap = compressor_bound(c, HASHSPLIT_BLOB_MAX);
	uint8_t *out = xmalloc(cap);
	for (size_t i = j->first; i < j->last; i++)
		j->out += j->plain ?
			libdeflate_zlib_compress(ld, j->data + j->v[i].ofs,
						 j->v[i].len, out, cap) :
			compressor_compress(c, j->data + j->v[i].ofs,
					    j->v[i].len, out, cap);
	free(out);
	libdeflate_free_compressor(ld);
	compressor_free(c);
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct buf data = BUF_INIT;
	struct chunks ch = { 0 };
	int nthreads = argc > 2 ? atoi(argv[2]) : 2;
	int level = argc > 3 ? atoi(argv[3]) : 1;
	int plain = argc > 4 && !strcmp(argv[4], "plain");
	size_t pos = 0;

	if (argc < 2 || nthreads < 1 || nthreads > 64) {
		fprintf(stderr, "usage: %s FILE [NTHREADS [LEVEL]]\n", argv[0]);
		return 2;
	}
	if (read_file(argv[1], &data) < 0) {
		fprintf(stderr, "%s: cannot read '%s': %s\n", argv[0], argv[1],
			strerror(errno));
		return 1;
	}
	/* bup's chunks: 8 MiB reads, each cut with the leftover in front */
	ch.base = (const uint8_t *)data.data;
	while (pos < data.len) {
		size_t n = data.len - pos > HASHSPLIT_READ_SIZE ?
			   HASHSPLIT_READ_SIZE : data.len - pos, rest;
		hashsplit_cut(ch.base + pos, n, 4, record, &ch, &rest);
		pos += rest ? rest : (n < HASHSPLIT_READ_SIZE ? n : 0);
		if (!rest && n < HASHSPLIT_READ_SIZE)
			break;
		if (n < HASHSPLIT_READ_SIZE) {
			if (rest < n)
				record(&ch, ch.base + pos, n - rest, 0);
			break;
		}
	}

	struct job *jobs = xcalloc((size_t)nthreads, sizeof(*jobs));
	pthread_t *tids = xcalloc((size_t)nthreads, sizeof(*tids));
	for (int t = 0; t < nthreads; t++) {
		jobs[t].data = ch.base;
		jobs[t].v = ch.v;
		jobs[t].level = level;
		jobs[t].plain = plain;
		jobs[t].first = ch.nr * (size_t)t / (size_t)nthreads;
		jobs[t].last = ch.nr * (size_t)(t + 1) / (size_t)nthreads;
	}
	double t0 = now();
	for (int t = 1; t < nthreads; t++)
		pthread_create(&tids[t], NULL, worker, &jobs[t]);
	worker(&jobs[0]);
	for (int t = 1; t < nthreads; t++)
		pthread_join(tids[t], NULL);
	double dt = now() - t0;

	uint64_t out = 0;
	for (int t = 0; t < nthreads; t++)
		out += jobs[t].out;
	printf("%sthreads=%d level=%d chunks=%zu bytes=%zu out=%llu ratio=%.3f "
	       "compress_s=%.4f MB/s=%.1f\n", plain ? "plain " : "", nthreads,
	       level, ch.nr, data.len,
	       (unsigned long long)out, data.len ? (double)out / data.len : 0.0,
	       dt, dt > 0 ? data.len / dt / 1e6 : 0.0);
	return 0;
}
