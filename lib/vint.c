/* TEMPORARY: replaced by the issue3-meta branch */
/* vint: bup's variable-length integers (FORMATS-2 §0). */
#include "lib/vint.h"

void vuint_encode(struct buf *out, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		buf_addch(out, c);
	} while (v);
}

void vint_encode(struct buf *out, int64_t v)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint8_t c = mag & 0x3f;
	if (v < 0)
		c |= 0x40;
	mag >>= 6;
	if (mag)
		c |= 0x80;
	buf_addch(out, c);
	if (mag)
		vuint_encode(out, mag);
}

void bvec_encode(struct buf *out, const void *data, size_t len)
{
	vuint_encode(out, len);
	buf_add(out, data, len);
}

size_t vuint_decode(const uint8_t *data, size_t len, uint64_t *v)
{
	uint64_t r = 0;
	for (size_t i = 0; i < len && i < 10; i++) {
		r |= (uint64_t)(data[i] & 0x7f) << (7 * i);
		if (!(data[i] & 0x80)) {
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

size_t vint_decode(const uint8_t *data, size_t len, int64_t *v)
{
	uint64_t mag, rest = 0;
	size_t n = 1;
	if (!len)
		return 0;
	mag = data[0] & 0x3f;
	if (data[0] & 0x80) {
		size_t m = vuint_decode(data + 1, len - 1, &rest);
		if (!m)
			return 0;
		n += m;
		mag |= rest << 6;
	}
	*v = (data[0] & 0x40) ? -(int64_t)mag : (int64_t)mag;
	return n;
}

size_t bvec_decode(const uint8_t *data, size_t len, const uint8_t **ptr,
		   size_t *n)
{
	uint64_t l;
	size_t m = vuint_decode(data, len, &l);
	if (!m || l > len - m)
		return 0;
	*ptr = data + m;
	*n = (size_t)l;
	return m + (size_t)l;
}
