#include "vint.h"

void vuint_encode(struct buf *out, uint64_t v)
{
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		if (v)
			b |= 0x80;
		buf_addch(out, b);
	} while (v);
}

void vint_encode(struct buf *out, int64_t v)
{
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	uint8_t b = mag & 0x3f;

	if (v < 0)
		b |= 0x40;
	mag >>= 6;
	if (mag)
		b |= 0x80;
	buf_addch(out, b);
	if (mag)
		vuint_encode(out, mag);
}

void bvec_encode(struct buf *out, const void *data, size_t len)
{
	vuint_encode(out, len);
	buf_add(out, data, len);
}

/* Continue a LEB128 group sequence at data[i], shifting from `shift`. */
static size_t leb_rest(const uint8_t *data, size_t len, size_t i,
		       unsigned shift, uint64_t *v)
{
	for (; i < len; i++) {
		uint64_t bits = data[i] & 0x7f;
		if (shift >= 64 || (shift && bits >> (64 - shift)))
			return 0;	/* does not fit in 64 bits */
		*v |= bits << shift;
		shift += 7;
		if (!(data[i] & 0x80))
			return i + 1;
	}
	return 0;
}

size_t vuint_decode(const uint8_t *data, size_t len, uint64_t *v)
{
	*v = 0;
	return leb_rest(data, len, 0, 0, v);
}

size_t vint_decode(const uint8_t *data, size_t len, int64_t *v)
{
	uint64_t mag;
	size_t n = 1;

	if (!len)
		return 0;
	mag = data[0] & 0x3f;
	if (data[0] & 0x80) {
		n = leb_rest(data, len, 1, 6, &mag);
		if (!n)
			return 0;
	}
	if (data[0] & 0x40) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return 0;
		*v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > INT64_MAX)
			return 0;
		*v = (int64_t)mag;
	}
	return n;
}

size_t bvec_decode(const uint8_t *data, size_t len, const uint8_t **ptr,
		   size_t *n)
{
	uint64_t l;
	size_t used = vuint_decode(data, len, &l);

	if (!used || l > len - used)
		return 0;
	*ptr = data + used;
	*n = (size_t)l;
	return used + (size_t)l;
}
