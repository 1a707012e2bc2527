/*
 * compress: how object bytes become the zlib streams inside a pack.
 *
 * COMPRESSOR_LIBDEFLATE (the default) deflates with libdeflate, the same
 * zlib stream format as zlib's at about 3.5x the speed, and stores
 * objects that look random (1 KiB samples at the start and the middle
 * within 0.1 bit per byte of random's order-0 entropy) as uncompressed
 * deflate blocks.
 * COMPRESSOR_ZLIB is zlib's compress2(), which gives bup 0.33's bytes.
 *
 * A struct compressor is used by one thread at a time.
 */
#ifndef BUP_COMPRESS_H
#define BUP_COMPRESS_H

#include <stddef.h>

enum pack_compressor {
	COMPRESSOR_LIBDEFLATE,
	COMPRESSOR_ZLIB,
};

struct compressor;

/* level 0..9; dies if the compressor cannot be allocated. */
struct compressor *compressor_new(enum pack_compressor kind, int level);
void compressor_free(struct compressor *c);
/* The most compressor_compress() can write for `len` input bytes. */
size_t compressor_bound(const struct compressor *c, size_t len);
/* Compress into out[0..cap); returns the length (dies on failure). */
size_t compressor_compress(struct compressor *c, const void *in, size_t len,
			   void *out, size_t cap);

#endif
