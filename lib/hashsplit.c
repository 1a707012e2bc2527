#include "hashsplit.h"
#include "buf.h"
#include "rollsum.h"
#include "xio.h"

#include <stdlib.h>
#include <string.h>

int hashsplit_fanbits(unsigned fanout)
{
	int bits = 0;
	if (!fanout)
		fanout = HASHSPLIT_DEFAULT_FANOUT;
	while (fanout >>= 1)
		bits++;
	return bits;
}

void hashsplit_init(struct hashsplit *hs, unsigned fanout,
		    hashsplit_emit_fn emit, void *ctx)
{
	hs->buf = xmalloc(HASHSPLIT_READ_SIZE + HASHSPLIT_BLOB_MAX);
	hs->len = 0;
	hs->fanbits = hashsplit_fanbits(fanout);
	hs->emit = emit;
	hs->ctx = ctx;
	hs->total = 0;
}

void hashsplit_release(struct hashsplit *hs)
{
	free(hs->buf);
	hs->buf = NULL;
}

uint8_t *hashsplit_space(struct hashsplit *hs)
{
	return hs->buf + hs->len;
}

/* bup 0.33's _splitbuf over everything buffered (FORMATS-1 §1.4). */
int hashsplit_feed(struct hashsplit *hs, size_t n)
{
	size_t start = 0, end;
	int r;

	hs->len += n;
	hs->total += n;
	end = hs->len;
	for (;;) {
		int bits;
		size_t ofs = rollsum_find_ofs(hs->buf + start, end - start, &bits);
		if (!ofs)
			break;
		if (ofs > HASHSPLIT_BLOB_MAX) {
			r = hs->emit(hs->ctx, hs->buf + start, HASHSPLIT_BLOB_MAX, 0);
			start += HASHSPLIT_BLOB_MAX;
		} else {
			int level = hs->fanbits ?
				(bits - ROLLSUM_BLOBBITS) / hs->fanbits : 0;
			r = hs->emit(hs->ctx, hs->buf + start, ofs, level);
			start += ofs;
		}
		if (r)
			return r;
	}
	while (end - start >= HASHSPLIT_BLOB_MAX) {
		r = hs->emit(hs->ctx, hs->buf + start, HASHSPLIT_BLOB_MAX, 0);
		if (r)
			return r;
		start += HASHSPLIT_BLOB_MAX;
	}
	memmove(hs->buf, hs->buf + start, end - start);
	hs->len = end - start;
	return 0;
}

int hashsplit_feed_copy(struct hashsplit *hs, const void *data, size_t n)
{
	memcpy(hashsplit_space(hs), data, n);
	return hashsplit_feed(hs, n);
}

int hashsplit_finish(struct hashsplit *hs)
{
	int r = 0;
	if (hs->len)
		r = hs->emit(hs->ctx, hs->buf, hs->len, 0);
	hs->len = 0;
	return r;
}

int hashsplit_read_fd(struct hashsplit *hs, int fd)
{
	for (;;) {
		ssize_t n = read_in_full(fd, hashsplit_space(hs),
					 HASHSPLIT_READ_SIZE);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		int r = hashsplit_feed(hs, (size_t)n);
		if (r)
			return r;
		if ((size_t)n < HASHSPLIT_READ_SIZE)
			return 0;
	}
}
