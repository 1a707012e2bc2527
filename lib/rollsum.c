#include "rollsum.h"

#include <immintrin.h>

uint32_t rollsum_sum(const uint8_t *buf, size_t len)
{
	struct rollsum r;
	rollsum_init(&r);
	for (size_t i = 0; i < len; i++)
		rollsum_roll(&r, buf[i]);
	return rollsum_digest(&r);
}

/*
 * A scan always starts with a fresh rollsum, whose window is 64 zero
 * bytes.  Writing x[k] for buf[k] (0 for k < 0), the state after byte i
 * is then a function of the last 64 bytes only:
 *
 *   s1(i) = 1984   + sum_{k=i-63..i} x[k]
 *   s2(i) = 124992 + sum_{k=i-63..i} (i-k+1) * x[k]
 *
 * (roll the recurrences of rollsum_add() forward to see it).  The scalar
 * scan starts from this state at any offset; the vector scan computes
 * s2 mod 2^16 for 16 positions at once from prefix sums.
 */
static void state_at(const uint8_t *buf, size_t i, uint32_t *s1, uint32_t *s2)
{
	uint32_t a = 0, b = 0;
	for (size_t k = i >= 63 ? i - 63 : 0; k <= i; k++) {
		a += buf[k];
		b += (uint32_t)(i - k + 1) * buf[k];
	}
	*s1 = ROLLSUM_WINDOWSIZE * ROLLSUM_CHAR_OFFSET + a;
	*s2 = ROLLSUM_WINDOWSIZE * (ROLLSUM_WINDOWSIZE - 1) * ROLLSUM_CHAR_OFFSET + b;
}

static int split_bits(uint32_t s1, uint32_t s2)
{
	uint32_t r = ((s1 << 16) | (s2 & 0xffff)) >> ROLLSUM_BLOBBITS;
	int b = ROLLSUM_BLOBBITS;
	while ((r >>= 1) & 1)
		b++;
	return b;
}

/* Scalar scan of positions [from, len), fresh rollsum at buf[0]. */
static size_t scan_scalar(const uint8_t *buf, size_t from, size_t len, int *bits)
{
	const uint32_t mask = ROLLSUM_BLOBSIZE - 1;
	uint32_t s1, s2;
	size_t i = from;

	if (from == 0) {
		s1 = ROLLSUM_WINDOWSIZE * ROLLSUM_CHAR_OFFSET;
		s2 = ROLLSUM_WINDOWSIZE * (ROLLSUM_WINDOWSIZE - 1) * ROLLSUM_CHAR_OFFSET;
	} else {
		state_at(buf, from - 1, &s1, &s2);
	}
	for (; i < len && i < ROLLSUM_WINDOWSIZE; i++) {
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
	if (bits)
		*bits = split_bits(s1, s2);
	return i + 1;
}

size_t rollsum_find_ofs_scalar(const uint8_t *buf, size_t len, int *bits)
{
	return scan_scalar(buf, 0, len, bits);
}

/* A vector scan found the split at `at`: the chunk length, and its bits. */
static size_t found(const uint8_t *buf, size_t at, int *bits)
{
	if (bits) {
		uint32_t s1, s2;
		state_at(buf, at, &s1, &s2);
		*bits = split_bits(s1, s2);
	}
	return at + 1;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* Inclusive prefix sum of 16 u16 lanes. */
__attribute__((target("avx2")))
static inline __m256i prefix16(__m256i v)
{
	const __m256i last = _mm256_set1_epi16(0x0f0e);
	v = _mm256_add_epi16(v, _mm256_slli_si256(v, 2));
	v = _mm256_add_epi16(v, _mm256_slli_si256(v, 4));
	v = _mm256_add_epi16(v, _mm256_slli_si256(v, 8));
	/* carry the low half's total into the high half */
	__m256i lo = _mm256_permute2x128_si256(v, v, 0x08);
	return _mm256_add_epi16(v, _mm256_shuffle_epi8(lo, last));
}

__attribute__((target("avx2")))
static size_t find_ofs_avx2(const uint8_t *buf, size_t len, int *bits)
{
	/* history of P and Q for the last 4 blocks (64 positions) */
	__m256i ph[4], qh[4];
	__m256i pc = _mm256_setzero_si256(), qc = _mm256_setzero_si256();
	const __m256i top = _mm256_set1_epi16(0x0f0e);
	const __m256i s2base = _mm256_set1_epi16((short)(124992 & 0xffff));
	const __m256i mask = _mm256_set1_epi16(ROLLSUM_BLOBSIZE - 1);
	size_t i = 0, blk = 0;

	for (int k = 0; k < 4; k++)
		ph[k] = qh[k] = _mm256_setzero_si256();
	for (; i + 16 <= len; i += 16, blk++) {
		__m256i x = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(buf + i)));
		__m256i p = _mm256_add_epi16(prefix16(x), pc);
		__m256i q = _mm256_add_epi16(prefix16(p), qc);
		unsigned slot = blk & 3;
		__m256i t = _mm256_sub_epi16(_mm256_sub_epi16(q, qh[slot]),
					     _mm256_slli_epi16(ph[slot], 6));
		t = _mm256_and_si256(_mm256_add_epi16(t, s2base), mask);
		unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(t, mask));
		if (m)
			return found(buf, i + (size_t)(__builtin_ctz(m) / 2), bits);
		ph[slot] = p;
		qh[slot] = q;
		/* broadcast the last lane as the next block's carry */
		pc = _mm256_shuffle_epi8(_mm256_permute2x128_si256(p, p, 0x11), top);
		qc = _mm256_shuffle_epi8(_mm256_permute2x128_si256(q, q, 0x11), top);
	}
	return scan_scalar(buf, i, len, bits);
}

/* Inclusive prefix sum of 32 u16 lanes. */
__attribute__((target("avx512f,avx512bw")))
static inline __m512i prefix32(__m512i v)
{
	/* element 8k+7 of the 128-bit lane one (two) below, for lanes >= 1 (2) */
	const __m512i below1 = _mm512_set_epi16(
		23, 23, 23, 23, 23, 23, 23, 23, 15, 15, 15, 15, 15, 15, 15, 15,
		7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m512i below2 = _mm512_set_epi16(
		15, 15, 15, 15, 15, 15, 15, 15, 7, 7, 7, 7, 7, 7, 7, 7,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	v = _mm512_add_epi16(v, _mm512_bslli_epi128(v, 2));
	v = _mm512_add_epi16(v, _mm512_bslli_epi128(v, 4));
	v = _mm512_add_epi16(v, _mm512_bslli_epi128(v, 8));
	v = _mm512_add_epi16(v, _mm512_maskz_permutexvar_epi16(0xffffff00u, below1, v));
	return _mm512_add_epi16(v, _mm512_maskz_permutexvar_epi16(0xffff0000u, below2, v));
}

/* The AVX2 scan with 32 positions a step (two blocks of history). */
__attribute__((target("avx512f,avx512bw")))
static size_t find_ofs_avx512(const uint8_t *buf, size_t len, int *bits)
{
	__m512i ph[2], qh[2];
	__m512i pc = _mm512_setzero_si512(), qc = _mm512_setzero_si512();
	const __m512i last = _mm512_set1_epi16(31);
	const __m512i s2base = _mm512_set1_epi16((short)(124992 & 0xffff));
	const __m512i mask = _mm512_set1_epi16(ROLLSUM_BLOBSIZE - 1);
	size_t i = 0, blk = 0;

	ph[0] = ph[1] = qh[0] = qh[1] = _mm512_setzero_si512();
	for (; i + 32 <= len; i += 32, blk++) {
		__m512i x = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(buf + i)));
		__m512i p = _mm512_add_epi16(prefix32(x), pc);
		__m512i q = _mm512_add_epi16(prefix32(p), qc);
		unsigned slot = blk & 1;
		__m512i t = _mm512_sub_epi16(_mm512_sub_epi16(q, qh[slot]),
					     _mm512_slli_epi16(ph[slot], 6));
		t = _mm512_and_si512(_mm512_add_epi16(t, s2base), mask);
		__mmask32 m = _mm512_cmpeq_epi16_mask(t, mask);
		if (m)
			return found(buf, i + (size_t)__builtin_ctz(m), bits);
		ph[slot] = p;
		qh[slot] = q;
		pc = _mm512_permutexvar_epi16(last, p);
		qc = _mm512_permutexvar_epi16(last, q);
	}
	return scan_scalar(buf, i, len, bits);
}

/*
 * __builtin_cpu_supports() tests bits libgcc set at startup: cheap, and
 * nothing cached here that the threads cutting at once (the reader
 * threads of split and save, and save's own) would race to fill.
 */
size_t rollsum_find_ofs_avx2(const uint8_t *buf, size_t len, int *bits)
{
	if (__builtin_cpu_supports("avx2"))
		return find_ofs_avx2(buf, len, bits);
	return scan_scalar(buf, 0, len, bits);
}

size_t rollsum_find_ofs_avx512(const uint8_t *buf, size_t len, int *bits)
{
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw"))
		return find_ofs_avx512(buf, len, bits);
	return rollsum_find_ofs_avx2(buf, len, bits);
}

size_t rollsum_find_ofs(const uint8_t *buf, size_t len, int *bits)
{
	return rollsum_find_ofs_avx512(buf, len, bits);
}
#else
size_t rollsum_find_ofs(const uint8_t *buf, size_t len, int *bits)
{
	return scan_scalar(buf, 0, len, bits);
}

size_t rollsum_find_ofs_avx2(const uint8_t *buf, size_t len, int *bits)
{
	return scan_scalar(buf, 0, len, bits);
}

size_t rollsum_find_ofs_avx512(const uint8_t *buf, size_t len, int *bits)
{
	return scan_scalar(buf, 0, len, bits);
}
#endif
