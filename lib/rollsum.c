#include "rollsum.h"

uint32_t rollsum_sum(const uint8_t *buf, size_t len)
{
	struct rollsum r;
	rollsum_init(&r);
	for (size_t i = 0; i < len; i++)
		rollsum_roll(&r, buf[i]);
	return rollsum_digest(&r);
}

/*
 * The window is not kept as a ring here: the byte dropped at position i
 * is buf[i-64], or 0 during the first 64 bytes (the zero window).  This
 * is the same sum as rollsum_roll() and lets the compiler keep s1/s2 in
 * registers.
 */
size_t rollsum_find_ofs(const uint8_t *buf, size_t len, int *bits)
{
	uint32_t s1 = ROLLSUM_WINDOWSIZE * ROLLSUM_CHAR_OFFSET;
	uint32_t s2 = ROLLSUM_WINDOWSIZE * (ROLLSUM_WINDOWSIZE - 1) *
		      ROLLSUM_CHAR_OFFSET;
	const uint32_t mask = ROLLSUM_BLOBSIZE - 1;
	size_t i = 0, head = len < ROLLSUM_WINDOWSIZE ? len : ROLLSUM_WINDOWSIZE;

	for (; i < head; i++) {
		s1 += buf[i];
		s2 += s1 - ROLLSUM_WINDOWSIZE * ROLLSUM_CHAR_OFFSET;
		if ((s2 & mask) == mask)
			goto found;
	}
	for (; i < len; i++) {
		uint32_t drop = buf[i - ROLLSUM_WINDOWSIZE];
		s1 += buf[i] - drop;
		s2 += s1 - ROLLSUM_WINDOWSIZE * (drop + ROLLSUM_CHAR_OFFSET);
		if ((s2 & mask) == mask)
			goto found;
	}
	return 0;
found:
	if (bits) {
		uint32_t r = ((s1 << 16) | (s2 & 0xffff)) >> ROLLSUM_BLOBBITS;
		int b = ROLLSUM_BLOBBITS;
		while ((r >>= 1) & 1)
			b++;
		*bits = b;
	}
	return i + 1;
}
