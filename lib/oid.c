#include "oid.h"
#include "usage.h"

#include <openssl/evp.h>
#include <stdio.h>

void sha1_init(struct sha1_ctx *c)
{
	c->md = EVP_MD_CTX_new();
	if (!c->md || !EVP_DigestInit_ex(c->md, EVP_sha1(), NULL))
		die("cannot initialise SHA-1");
}

void sha1_update(struct sha1_ctx *c, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(c->md, data, len);
}

void sha1_final(struct sha1_ctx *c, uint8_t out[OID_RAWSZ])
{
	unsigned int n = OID_RAWSZ;
	EVP_DigestFinal_ex(c->md, out, &n);
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

void sha1_release(struct sha1_ctx *c)
{
	if (c->md)
		EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

void sha1_buf(const void *data, size_t len, uint8_t out[OID_RAWSZ])
{
	unsigned int n = OID_RAWSZ;
	EVP_Digest(data, len, out, &n, EVP_sha1(), NULL);
}

static const char *type_names[] = { NULL, "commit", "tree", "blob", "tag" };

const char *obj_type_name(enum obj_type t)
{
	if (t < OBJ_COMMIT || t > OBJ_TAG)
		BUG("bad object type %d", (int)t);
	return type_names[t];
}

enum obj_type obj_type_from_name(const char *name)
{
	for (int t = OBJ_COMMIT; t <= OBJ_TAG; t++)
		if (!strcmp(type_names[t], name))
			return (enum obj_type)t;
	return OBJ_NONE;
}

void oid_for_object(struct oid *out, enum obj_type t, const void *data,
		    size_t len)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %zu", obj_type_name(t), len);
	struct sha1_ctx c;
	sha1_init(&c);
	sha1_update(&c, hdr, (size_t)n + 1);
	sha1_update(&c, data, len);
	sha1_final(&c, out->hash);
}

char *oid_to_hex(const struct oid *o, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < OID_RAWSZ; i++) {
		out[2 * i] = hex[o->hash[i] >> 4];
		out[2 * i + 1] = hex[o->hash[i] & 15];
	}
	out[OID_HEXSZ] = 0;
	return out;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int is_hex_oid(const char *s, size_t len)
{
	if (len != OID_HEXSZ)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

int oid_from_hex(struct oid *o, const char *hex)
{
	for (int i = 0; i < OID_RAWSZ; i++) {
		int hi = hexval((unsigned char)hex[2 * i]);
		int lo = hi < 0 ? -1 : hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		o->hash[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
