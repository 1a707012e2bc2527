/*
 * rollsum: bup's rolling checksum (a variant of rsync's Adler-style sum)
 * over a 64-byte window, and the split test built on it.
 *
 * Pure: no I/O, no allocation.  See FORMATS-1 §1.2-1.3.  The initial s2
 * is bup's (64*63*31), not what an all-zero window implies; the constant
 * offset stays in s2 forever and is part of the format.
 */
#ifndef BUP_ROLLSUM_H
#define BUP_ROLLSUM_H

#include <stddef.h>
#include <stdint.h>

#define ROLLSUM_WINDOWBITS 6
#define ROLLSUM_WINDOWSIZE (1 << ROLLSUM_WINDOWBITS)
#define ROLLSUM_CHAR_OFFSET 31
#define ROLLSUM_BLOBBITS 13
#define ROLLSUM_BLOBSIZE (1 << ROLLSUM_BLOBBITS)

struct rollsum {
	uint32_t s1, s2;
	uint8_t window[ROLLSUM_WINDOWSIZE];
	unsigned wofs;
};

static inline void rollsum_init(struct rollsum *r)
{
	r->s1 = ROLLSUM_WINDOWSIZE * ROLLSUM_CHAR_OFFSET;
	r->s2 = ROLLSUM_WINDOWSIZE * (ROLLSUM_WINDOWSIZE - 1) * ROLLSUM_CHAR_OFFSET;
	r->wofs = 0;
	for (int i = 0; i < ROLLSUM_WINDOWSIZE; i++)
		r->window[i] = 0;
}

static inline void rollsum_add(struct rollsum *r, uint8_t drop, uint8_t add)
{
	r->s1 += (uint32_t)add - drop;
	r->s2 += r->s1 - (uint32_t)ROLLSUM_WINDOWSIZE * (drop + ROLLSUM_CHAR_OFFSET);
}

static inline void rollsum_roll(struct rollsum *r, uint8_t ch)
{
	rollsum_add(r, r->window[r->wofs], ch);
	r->window[r->wofs] = ch;
	r->wofs = (r->wofs + 1) % ROLLSUM_WINDOWSIZE;
}

static inline uint32_t rollsum_digest(const struct rollsum *r)
{
	return (r->s1 << 16) | (r->s2 & 0xffff);
}

/* Digest of `len` bytes rolled into a fresh rollsum. */
uint32_t rollsum_sum(const uint8_t *buf, size_t len);

/*
 * Scan buf[0..len) with a fresh rollsum; return the length of the first
 * chunk (the index of the triggering byte + 1) and its bits in *bits, or
 * 0 if no byte triggers a split.
 */
size_t rollsum_find_ofs(const uint8_t *buf, size_t len, int *bits);
/*
 * The scans rollsum_find_ofs() picks from, exported for testing: the
 * portable byte-at-a-time one, 16 and 32 positions a step (each vector
 * scan falls back to the next simpler one on a CPU without its
 * instructions).
 */
size_t rollsum_find_ofs_scalar(const uint8_t *buf, size_t len, int *bits);
size_t rollsum_find_ofs_avx2(const uint8_t *buf, size_t len, int *bits);
size_t rollsum_find_ofs_avx512(const uint8_t *buf, size_t len, int *bits);

#endif
