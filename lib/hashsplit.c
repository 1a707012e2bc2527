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

/*
 * bup 0.33's _splitbuf (FORMATS-1 §1.4).  Each scan starts with a fresh
 * rollsum, and a split found past BLOB_MAX gives a BLOB_MAX chunk and a
 * new scan from its end.  After 64 bytes a fresh scan's state equals the
 * stream's, so a split P found by an earlier scan is still the first one
 * at or past start+63 for any later start <= P-63: only the 63 bytes at
 * the new start need scanning again.  This keeps long runs without a
 * split (zeros before data in disk images) linear instead of quadratic,
 * with the same chunks.
 */
int hashsplit_cut(const uint8_t *buf, size_t len, int fanbits,
		  hashsplit_emit_fn emit, void *ctx, size_t *rest)
{
	const size_t fresh = ROLLSUM_WINDOWSIZE - 1;
	size_t start = 0, known = 0;	/* known: end of a split found earlier */
	int known_bits = 0, r;

	for (;;) {
		int bits;
		size_t ofs;
		if (known && known - 1 >= start + fresh) {
			ofs = rollsum_find_ofs(buf + start, fresh, &bits);
			if (!ofs) {
				ofs = known - start;
				bits = known_bits;
			}
		} else {
			ofs = rollsum_find_ofs(buf + start, len - start, &bits);
			if (!ofs)
				break;
			known = start + ofs;
			known_bits = bits;
		}
		if (ofs > HASHSPLIT_BLOB_MAX) {
			r = emit(ctx, buf + start, HASHSPLIT_BLOB_MAX, 0);
			start += HASHSPLIT_BLOB_MAX;
		} else {
			int level = fanbits ? (bits - ROLLSUM_BLOBBITS) / fanbits : 0;
			r = emit(ctx, buf + start, ofs, level);
			start += ofs;
		}
		if (r)
			return r;
	}
	while (len - start >= HASHSPLIT_BLOB_MAX) {
		r = emit(ctx, buf + start, HASHSPLIT_BLOB_MAX, 0);
		if (r)
			return r;
		start += HASHSPLIT_BLOB_MAX;
	}
	*rest = start;
	return 0;
}

int hashsplit_feed(struct hashsplit *hs, size_t n)
{
	size_t rest;
	int r;

	hs->len += n;
	hs->total += n;
	r = hashsplit_cut(hs->buf, hs->len, hs->fanbits, hs->emit, hs->ctx, &rest);
	if (r)
		return r;
	memmove(hs->buf, hs->buf + rest, hs->len - rest);
	hs->len -= rest;
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
