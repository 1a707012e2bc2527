/*
 * vint: bup's variable-length integers (FORMATS-2 §0): vuint is
 * unsigned LEB128; vint is sign and magnitude (0x40 is the sign bit of
 * the first byte); bvec is a vuint length and the bytes.
 */
#ifndef BUP_VINT_H
#define BUP_VINT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

void vuint_encode(struct buf *out, uint64_t v);
void vint_encode(struct buf *out, int64_t v);
void bvec_encode(struct buf *out, const void *data, size_t len);

/* Each returns bytes consumed, or 0 if data[0..len) is malformed/short. */
size_t vuint_decode(const uint8_t *data, size_t len, uint64_t *v);
size_t vint_decode(const uint8_t *data, size_t len, int64_t *v);
/* *ptr points into data; no copy. */
size_t bvec_decode(const uint8_t *data, size_t len, const uint8_t **ptr,
		   size_t *n);

#endif
