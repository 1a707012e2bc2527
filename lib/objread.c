#include "objread.h"
#include "bigendian.h"
#include "packidx.h"
#include "strlist.h"
#include "usage.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rpack {
	struct packidx *idx;
	char *packpath;
	int fd;			/* -1 until first read */
	uint64_t size;		/* of the .pack */
	uint64_t *ends;		/* sorted object offsets, then size - 20 */
};

struct objreader {
	struct rpack *packs;
	size_t nr;
	size_t last;		/* the pack that answered last */
	struct libdeflate_decompressor *z;
	struct buf raw;		/* an object's packed bytes */
};

struct objreader *objreader_new(const char *repo_path)
{
	struct objreader *rd;
	struct strlist idxs = STRLIST_INIT;
	struct buf dir = BUF_INIT;

	buf_addf(&dir, "%s/objects/pack", repo_path);
	if (list_dir_suffix(dir.data, ".idx", &idxs) < 0 || !idxs.nr) {
		buf_release(&dir);
		strlist_clear(&idxs);
		return NULL;
	}
	rd = xcalloc(1, sizeof(*rd));
	rd->packs = xcalloc(idxs.nr, sizeof(*rd->packs));
	for (size_t i = 0; i < idxs.nr; i++) {
		struct rpack *p = &rd->packs[rd->nr];
		struct buf why = BUF_INIT;
		size_t n = strlen(idxs.items[i]);
		/* a bad idx is left to libgit2, which will complain */
		if (packidx_load(&p->idx, idxs.items[i], &why) < 0) {
			buf_release(&why);
			continue;
		}
		buf_reset(&why);
		buf_addf(&why, "%.*s.pack", (int)(n - 4), idxs.items[i]);
		p->packpath = buf_detach(&why, NULL);
		p->fd = -1;
		rd->nr++;
	}
	strlist_clear(&idxs);
	buf_release(&dir);
	buf_init(&rd->raw, 0);
	rd->z = libdeflate_alloc_decompressor();
	if (!rd->z)
		die("out of memory");
	return rd;
}

void objreader_free(struct objreader *rd)
{
	if (!rd)
		return;
	for (size_t i = 0; i < rd->nr; i++) {
		struct rpack *p = &rd->packs[i];
		packidx_free(p->idx);
		free(p->packpath);
		free(p->ends);
		if (p->fd >= 0)
			close(p->fd);
	}
	free(rd->packs);
	libdeflate_free_decompressor(rd->z);
	buf_release(&rd->raw);
	free(rd);
}

/*
 * The pack offset of entry i; UINT64_MAX (beyond any pack) if it names
 * a slot past the end of the idx's 64-bit offset table.
 */
static uint64_t idx_offset(const struct packidx *idx, uint32_t i)
{
	const uint8_t *ofs32, *ofs64, *end = idx->map + idx->map_len - 40;
	uint32_t o;

	if (idx->version == 1)
		return get_be32(idx->shas + (size_t)i * 24);
	ofs32 = idx->shas + (size_t)idx->nr * 24;	/* after shas and crcs */
	o = get_be32(ofs32 + (size_t)i * 4);
	if (!(o & 0x80000000u))
		return o;
	ofs64 = ofs32 + (size_t)idx->nr * 4;
	o &= 0x7fffffffu;
	if ((size_t)(end - ofs64) / 8 <= o)
		return UINT64_MAX;
	return get_be64(ofs64 + (size_t)o * 8);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int corrupt(const struct rpack *p, const char *what)
{
	return error("corrupt pack '%s': %s", p->packpath, what);
}

/*
 * Open the pack and sort its offsets, so an object's extent is known.
 * On failure the pack is left closed (the next read reports it again).
 */
static int open_pack(struct rpack *p)
{
	struct stat st;
	uint32_t n = p->idx->nr;
	int ret = 0;

	p->fd = open(p->packpath, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0)
		return error_errno("cannot open '%s'", p->packpath);
	if (fstat(p->fd, &st) < 0) {
		ret = error_errno("cannot stat '%s'", p->packpath);
		goto fail;
	}
	p->size = (uint64_t)st.st_size;
	if (p->size < 12 + 20) {
		ret = corrupt(p, "too short");
		goto fail;
	}
	p->ends = xmalloc(((size_t)n + 1) * sizeof(*p->ends));
	for (uint32_t i = 0; i < n; i++)
		p->ends[i] = idx_offset(p->idx, i);
	QSORT(p->ends, n, cmp_u64);
	p->ends[n] = p->size - 20;
	if (n && (p->ends[0] < 12 || p->ends[n - 1] >= p->ends[n])) {
		ret = corrupt(p, "offsets outside the pack");
		goto fail;
	}
	return 0;
fail:
	close(p->fd);
	p->fd = -1;
	free(p->ends);
	p->ends = NULL;
	return ret;
}

/* The offset after the object at `ofs`. */
static uint64_t object_end(const struct rpack *p, uint64_t ofs)
{
	size_t lo = 0, hi = p->idx->nr;	/* ends[hi] is the pack's end */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->ends[mid] <= ofs)
			lo = mid + 1;
		else
			hi = mid;
	}
	return p->ends[lo];
}

static int read_at(struct objreader *rd, struct rpack *p, uint32_t i,
		   enum obj_type *type, struct buf *out)
{
	uint64_t ofs = idx_offset(p->idx, i), end, size;
	const uint8_t *q, *qend;
	size_t len, got;
	unsigned shift;
	int t;

	if (p->fd < 0 && open_pack(p) < 0)
		return -1;
	end = object_end(p, ofs);
	if (end <= ofs || end > p->size)
		return corrupt(p, "bad object offset");
	len = (size_t)(end - ofs);
	buf_reset(&rd->raw);
	buf_grow(&rd->raw, len);
	if (pread_in_full(p->fd, rd->raw.data, len, (off_t)ofs) < 0)
		return error_errno("cannot read '%s'", p->packpath);
	if (p->idx->version == 2) {
		const uint8_t *crcs = p->idx->shas + (size_t)p->idx->nr * 20;
		if (libdeflate_crc32(0, rd->raw.data, len) != get_be32(crcs + (size_t)i * 4))
			return corrupt(p, "CRC mismatch");
	}
	q = (const uint8_t *)rd->raw.data;
	qend = q + len;
	t = (*q >> 4) & 7;
	size = *q & 15;
	shift = 4;
	while (*q++ & 0x80) {
		if (q >= qend || shift > 60)
			return corrupt(p, "bad object header");
		size |= (uint64_t)(*q & 0x7f) << shift;
		shift += 7;
	}
	if (t < OBJ_COMMIT || t > OBJ_TAG)
		return 0;		/* a delta: libgit2's job */
	/* deflate expands at most 1032 times: a bigger size is a lie */
	if (size / 1032 > (uint64_t)(qend - q))
		return corrupt(p, "object size beyond what its data holds");
	buf_reset(out);
	buf_grow(out, (size_t)size + 1);
	if (libdeflate_zlib_decompress(rd->z, q, (size_t)(qend - q), out->data,
				       (size_t)size, &got) != LIBDEFLATE_SUCCESS ||
	    got != size)
		return corrupt(p, "bad compressed data");
	buf_setlen(out, (size_t)size);
	*type = (enum obj_type)t;
	return 1;
}

int objreader_read(struct objreader *rd, const struct oid *oid,
		   enum obj_type *type, struct buf *out)
{
	if (!rd)
		return 0;
	for (size_t k = 0; k < rd->nr; k++) {
		size_t n = (rd->last + k) % rd->nr;
		int64_t i = packidx_find(rd->packs[n].idx, oid);
		if (i >= 0) {
			rd->last = n;
			return read_at(rd, &rd->packs[n], (uint32_t)i, type, out);
		}
	}
	return 0;
}
