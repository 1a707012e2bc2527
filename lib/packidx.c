#include "packidx.h"
#include "bigendian.h"
#include "buf.h"
#include "usage.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int packidx_load(struct packidx **out, const char *path, struct buf *why)
{
	struct packidx *idx;
	const uint8_t *m;
	size_t min, len;

	*out = NULL;
	if (map_file(path, 8 + 1024 + 40, "pack index", &m, &len, why) < 0)
		return -1;
	idx = xcalloc(1, sizeof(*idx));
	idx->path = xstrdup(path);
	idx->map = m;
	idx->map_len = len;
	if (!memcmp(m, "\377tOc", 4)) {
		uint32_t version = get_be32(m + 4);
		if (version != 2) {
			packidx_free(idx);
			return buf_addf(why, "'%s' has unsupported index version %u",
					path, version), -1;
		}
		idx->version = 2;
		idx->fanout = m + 8;
		idx->nr = get_be32(idx->fanout + 255 * 4);
		idx->shas = idx->fanout + 1024;
		min = 8 + 1024 + (size_t)idx->nr * 28 + 40;
	} else {
		idx->version = 1;
		idx->fanout = m;
		idx->nr = get_be32(idx->fanout + 255 * 4);
		idx->shas = idx->fanout + 1024;
		min = 1024 + (size_t)idx->nr * 24 + 40;
	}
	if (idx->map_len < min) {
		uint32_t nr = idx->nr;
		packidx_free(idx);
		return buf_addf(why, "'%s' is truncated (%u objects need %zu bytes)",
				path, nr, min), -1;
	}
	for (int i = 1; i < 256; i++)
		if (get_be32(idx->fanout + 4 * i) < get_be32(idx->fanout + 4 * (i - 1))) {
			packidx_free(idx);
			return buf_addf(why, "'%s' has a corrupt fanout table", path), -1;
		}
	*out = idx;
	return 0;
}

int packidx_open(struct packidx **out, const char *path)
{
	struct buf why = BUF_INIT;
	int r = packidx_load(out, path, &why);
	if (r < 0)
		warning("ignoring %s", why.data);
	buf_release(&why);
	return r;
}

void packidx_free(struct packidx *idx)
{
	if (!idx)
		return;
	if (idx->map)
		munmap((void *)idx->map, idx->map_len);
	free(idx->path);
	free(idx);
}

const uint8_t *packidx_sha(const struct packidx *idx, uint32_t i)
{
	if (idx->version == 2)
		return idx->shas + (size_t)i * 20;
	return idx->shas + (size_t)i * 24 + 4;
}

int64_t packidx_find_counted(const struct packidx *idx, const struct oid *oid,
			     uint64_t *steps)
{
	uint8_t b = oid->hash[0];
	uint32_t lo = b ? get_be32(idx->fanout + 4 * (b - 1)) : 0;
	uint32_t hi = get_be32(idx->fanout + 4 * b);
	uint64_t n = 1;		/* the fanout table is a step, as in bup */
	int64_t found = -1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(packidx_sha(idx, mid), oid->hash, OID_RAWSZ);
		n++;
		if (!c) {
			found = mid;
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (steps)
		*steps += n;
	return found;
}

int64_t packidx_find(const struct packidx *idx, const struct oid *oid)
{
	return packidx_find_counted(idx, oid, NULL);
}

static int ent_cmp(const void *a, const void *b)
{
	return oid_cmp(&((const struct packidx_entry *)a)->oid,
		       &((const struct packidx_entry *)b)->oid);
}

void packidx_sort(struct packidx_entry *ents, uint32_t nr)
{
	uint32_t i = 1;
	while (i < nr && oid_cmp(&ents[i - 1].oid, &ents[i].oid) <= 0)
		i++;
	if (i < nr)
		QSORT(ents, nr, ent_cmp);
}

/* Buffered writer that hashes what it writes. */
struct hashed_out {
	int fd;
	struct sha1_ctx sha;
	uint8_t buf[65536];
	size_t len;
	int err;
};

static void ho_flush(struct hashed_out *h)
{
	if (!h->err && h->len && write_in_full(h->fd, h->buf, h->len) < 0)
		h->err = errno;
	h->len = 0;
}

static void ho_write(struct hashed_out *h, const void *data, size_t len)
{
	sha1_update(&h->sha, data, len);
	while (len) {
		size_t n = sizeof(h->buf) - h->len;
		if (n > len)
			n = len;
		memcpy(h->buf + h->len, data, n);
		h->len += n;
		data = (const uint8_t *)data + n;
		len -= n;
		if (h->len == sizeof(h->buf))
			ho_flush(h);
	}
}

int packidx_write(int fd, struct packidx_entry *ents, uint32_t nr,
		  const uint8_t pack_sha[OID_RAWSZ])
{
	struct hashed_out *h = xmalloc(sizeof(*h));
	uint8_t b4[4], b8[8], digest[OID_RAWSZ];
	uint32_t fan = 0, nr64 = 0;
	int err;

	h->fd = fd;
	h->len = 0;
	h->err = 0;
	sha1_init(&h->sha);
	packidx_sort(ents, nr);
	ho_write(h, "\377tOc\0\0\0\2", 8);
	for (int b = 0, i = 0; b < 256; b++) {
		while ((uint32_t)i < nr && ents[i].oid.hash[0] == b)
			i++, fan++;
		put_be32(b4, fan);
		ho_write(h, b4, 4);
	}
	for (uint32_t i = 0; i < nr; i++)
		ho_write(h, ents[i].oid.hash, OID_RAWSZ);
	for (uint32_t i = 0; i < nr; i++) {
		put_be32(b4, ents[i].crc);
		ho_write(h, b4, 4);
	}
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t o = ents[i].offset;
		put_be32(b4, o > 0x7fffffff ? 0x80000000u | nr64++ : (uint32_t)o);
		ho_write(h, b4, 4);
	}
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t o = ents[i].offset;
		if (o <= 0x7fffffff)
			continue;
		put_be32(b8, (uint32_t)(o >> 32));
		put_be32(b8 + 4, (uint32_t)o);
		ho_write(h, b8, 8);
	}
	ho_write(h, pack_sha, OID_RAWSZ);
	sha1_final(&h->sha, digest);
	ho_flush(h);
	if (!h->err && write_in_full(fd, digest, OID_RAWSZ) < 0)
		h->err = errno;
	err = h->err;
	free(h);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
