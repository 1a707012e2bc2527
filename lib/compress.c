#include "compress.h"
#include "buf.h"
#include "usage.h"

#include <libdeflate.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SAMPLE_SIZE 1024

/* k * log2(k) for every count a sample can hold: filled once. */
static double klogk[SAMPLE_SIZE + 1];
static pthread_once_t klogk_once = PTHREAD_ONCE_INIT;

static void klogk_fill(void)
{
	for (int k = 1; k <= SAMPLE_SIZE; k++)
		klogk[k] = k * log2((double)k);
}

struct compressor {
	enum pack_compressor kind;
	int level;
	struct libdeflate_compressor *ld;
};

struct compressor *compressor_new(enum pack_compressor kind, int level)
{
	struct compressor *c = xcalloc(1, sizeof(*c));
	c->kind = kind;
	c->level = level;
	if (kind == COMPRESSOR_LIBDEFLATE && level > 0) {
		pthread_once(&klogk_once, klogk_fill);
		c->ld = libdeflate_alloc_compressor(level);
		if (!c->ld)
			die("cannot allocate a level %d compressor", level);
	}
	return c;
}

void compressor_free(struct compressor *c)
{
	if (!c)
		return;
	if (c->ld)
		libdeflate_free_compressor(c->ld);
	free(c);
}

static size_t stored_bound(size_t len)
{
	return len + 6 + 5 * (len / 65535 + 1);
}

size_t compressor_bound(const struct compressor *c, size_t len)
{
	size_t n = stored_bound(len);
	if (c->kind == COMPRESSOR_ZLIB) {
		size_t z = compressBound(len);
		return z > n ? z : n;
	}
	if (c->ld) {
		size_t d = libdeflate_zlib_compress_bound(c->ld, len);
		return d > n ? d : n;
	}
	return n;
}

/*
 * A zlib stream of stored (uncompressed) deflate blocks: what level 0
 * writes.  Any zlib reader, git and bup included, inflates it.
 */
static size_t zlib_store(uint8_t *out, const uint8_t *in, size_t len)
{
	size_t o = 0, done = 0;
	uint32_t adler = libdeflate_adler32(1, in, len);

	out[o++] = 0x78;
	out[o++] = 0x01;
	do {
		size_t n = len - done > 65535 ? 65535 : len - done;
		out[o++] = done + n == len;	/* BFINAL, BTYPE 00 */
		out[o++] = (uint8_t)n;
		out[o++] = (uint8_t)(n >> 8);
		out[o++] = (uint8_t)~n;
		out[o++] = (uint8_t)(~n >> 8);
		memcpy(out + o, in + done, n);
		o += n;
		done += n;
	} while (done < len);
	out[o++] = (uint8_t)(adler >> 24);
	out[o++] = (uint8_t)(adler >> 16);
	out[o++] = (uint8_t)(adler >> 8);
	out[o++] = (uint8_t)adler;
	return o;
}

/*
 * Does this sample of n bytes measure within 0.1 bit per byte of random's
 * order-0 entropy?  A sample of n random bytes measures about
 * 255 / (2 n ln 2) bits short of 8.
 */
static int sample_random(const uint8_t *in, size_t n)
{
	/* four histograms, so neighbouring equal bytes do not wait on
	 * each other's increments */
	uint16_t count[4][256];
	double sum = 0;
	size_t i;

	memset(count, 0, sizeof(count));
	for (i = 0; i + 4 <= n; i += 4) {
		count[0][in[i]]++;
		count[1][in[i + 1]]++;
		count[2][in[i + 2]]++;
		count[3][in[i + 3]]++;
	}
	for (; i < n; i++)
		count[0][in[i]]++;
	for (int k = 0; k < 256; k++)
		sum += klogk[count[0][k] + count[1][k] + count[2][k] +
			     count[3][k]];
	/* entropy = log2(n) - sum/n bits per byte */
	return log2((double)n) - sum / (double)n >=
	       8.0 - 255.0 / (2.0 * (double)n * M_LN2) - 0.1;
}

/*
 * Will deflating this object pay?  Random and already-compressed data
 * (media, archives, encrypted files) do not shrink, and deflating them
 * costs as much as deflating text.  Estimate the order-0 entropy of
 * 1 KiB at the start and, for objects of 2 KiB or more, 1 KiB in the
 * middle: if both measure as random, the object is stored as is.  (A
 * libdeflate call costs at least 7 us, mostly table set-up, and about
 * 3 ns a byte; a sample 0.3 us.  Text rarely passes the first sample,
 * and an object that is random only at its start is still deflated.)
 */
static int looks_random(const uint8_t *in, size_t len)
{
	if (len < 512)
		return 0;
	if (!sample_random(in, len < SAMPLE_SIZE ? len : SAMPLE_SIZE))
		return 0;
	return len < 2 * SAMPLE_SIZE ||
	       sample_random(in + len / 2, SAMPLE_SIZE);
}

size_t compressor_compress(struct compressor *c, const void *in, size_t len,
			   void *out, size_t cap)
{
	size_t n;

	if (cap < compressor_bound(c, len))
		BUG("compressor output buffer too small");
	if (c->kind == COMPRESSOR_ZLIB) {
		uLongf z = cap;
		if (compress2(out, &z, in, len, c->level) != Z_OK)
			die("zlib compression failed");
		return z;
	}
	if (!c->ld || looks_random(in, len))
		return zlib_store(out, in, len);
	n = libdeflate_zlib_compress(c->ld, in, len, out, cap);
	if (!n)
		die("libdeflate compression failed");
	return n;
}
