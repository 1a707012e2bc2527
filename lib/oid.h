/*
 * oid: git object ids and the SHA-1 that makes them.
 *
 * struct oid is 20 raw bytes.  The SHA-1 is OpenSSL's libcrypto, which
 * uses the CPU's SHA instructions where present (about 1.4 GB/s here
 * against ~500 MB/s for a portable C SHA-1).  struct sha1_ctx wraps it so
 * no other module includes OpenSSL.
 */
#ifndef BUP_OID_H
#define BUP_OID_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define OID_RAWSZ 20
#define OID_HEXSZ 40

struct oid {
	uint8_t hash[OID_RAWSZ];
};

enum obj_type {
	OBJ_NONE = 0,
	OBJ_COMMIT = 1,
	OBJ_TREE = 2,
	OBJ_BLOB = 3,
	OBJ_TAG = 4,
};

struct sha1_ctx {
	void *md;		/* EVP_MD_CTX */
};

void sha1_init(struct sha1_ctx *c);
void sha1_update(struct sha1_ctx *c, const void *data, size_t len);
void sha1_final(struct sha1_ctx *c, uint8_t out[OID_RAWSZ]);
void sha1_release(struct sha1_ctx *c);
void sha1_buf(const void *data, size_t len, uint8_t out[OID_RAWSZ]);

const char *obj_type_name(enum obj_type t);
enum obj_type obj_type_from_name(const char *name);
/* The id git gives an object: sha1("<type> <len>\0" + data). */
void oid_for_object(struct oid *out, enum obj_type t, const void *data,
		    size_t len);

static inline int oid_cmp(const struct oid *a, const struct oid *b)
{
	return memcmp(a->hash, b->hash, OID_RAWSZ);
}
static inline int oid_eq(const struct oid *a, const struct oid *b)
{
	return !oid_cmp(a, b);
}
/* Writes 40 hex digits and a NUL into out[41]; returns out. */
char *oid_to_hex(const struct oid *o, char *out);
/* 0 if `hex` is exactly 40 hex digits (followed by NUL or not: len 40). */
int oid_from_hex(struct oid *o, const char *hex);
int is_hex_oid(const char *s, size_t len);

#endif
