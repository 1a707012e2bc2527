/* bupindex_meta: the bupindex.meta store (FORMATS-2 §3.5). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/bupindex_meta.h"
#include "lib/usage.h"
#include "lib/vint.h"
#include "lib/xio.h"

struct ms_slot {
	uint64_t hash;
	uint64_t ofs;		/* into the file */
	size_t bofs, len;	/* the bytes, in `keys` */
	int used;
};

struct metastore {
	char *filename;
	int fd;
	uint64_t end;		/* file size = next offset */
	struct buf keys;
	struct ms_slot *slots;
	size_t nr, cap;		/* cap: a power of two */
};

static uint64_t fnv(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct ms_slot *lookup(struct metastore *ms, const void *data,
			      size_t len, uint64_t h)
{
	size_t i = h & (ms->cap - 1);
	while (ms->slots[i].used) {
		struct ms_slot *s = &ms->slots[i];
		if (s->hash == h && s->len == len &&
		    !memcmp(ms->keys.data + s->bofs, data, len))
			return s;
		i = (i + 1) & (ms->cap - 1);
	}
	return &ms->slots[i];
}

static void remember(struct metastore *ms, const void *data, size_t len,
		     uint64_t ofs)
{
	uint64_t h = fnv(data, len);
	struct ms_slot *s;

	if ((ms->nr + 1) * 2 > ms->cap) {
		struct ms_slot *old = ms->slots;
		size_t oldcap = ms->cap;
		ms->cap = ms->cap ? ms->cap * 2 : 64;
		ms->slots = xcalloc(ms->cap, sizeof(*ms->slots));
		for (size_t i = 0; i < oldcap; i++) {
			if (!old[i].used)
				continue;
			*lookup(ms, ms->keys.data + old[i].bofs, old[i].len,
				old[i].hash) = old[i];
		}
		free(old);
	}
	s = lookup(ms, data, len, h);
	if (!s->used) {
		s->used = 1;
		s->hash = h;
		s->bofs = ms->keys.len;
		s->len = len;
		buf_add(&ms->keys, data, len);
		ms->nr++;
	}
	s->ofs = ofs;		/* a later identical object wins, as in a dict */
}

size_t metadata_object_len(const uint8_t *data, size_t len)
{
	size_t pos = 0;
	for (;;) {
		uint64_t tag;
		const uint8_t *body;
		size_t n = vuint_decode(data + pos, len - pos, &tag), blen;
		if (!n)
			return 0;
		pos += n;
		if (!tag)
			return pos;
		n = bvec_decode(data + pos, len - pos, &body, &blen);
		if (!n)
			return 0;
		pos += n;
	}
}

struct metastore *metastore_open(const char *filename)
{
	struct metastore *ms = xcalloc(1, sizeof(*ms));
	struct buf data = BUF_INIT;
	size_t pos = 0;

	ms->filename = xstrdup(filename);
	buf_init(&ms->keys, 0);
	ms->fd = open(filename, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (ms->fd < 0) {
		error_errno("cannot open '%s'", filename);
		free(ms->filename);
		free(ms);
		return NULL;
	}
	if (read_file(filename, &data) < 0) {
		error_errno("cannot read '%s'", filename);
		close(ms->fd);
		free(ms->filename);
		free(ms);
		return NULL;
	}
	ms->end = data.len;
	/* bup's reload: stops at the first empty object or a bad one. */
	while (pos < data.len) {
		size_t n = metadata_object_len((uint8_t *)data.data + pos,
					       data.len - pos);
		if (!n || (n == 1 && data.data[pos] == 0))
			break;
		remember(ms, data.data + pos, n, pos);
		pos += n;
	}
	buf_release(&data);
	return ms;
}

uint64_t metastore_store(struct metastore *ms, const void *data, size_t len)
{
	uint64_t ofs;
	struct ms_slot *s;

	if (ms->cap) {
		s = lookup(ms, data, len, fnv(data, len));
		if (s->used && s->ofs)	/* bup: `if ofs: return ofs` */
			return s->ofs;
	}
	ofs = ms->end;
	if (write_in_full(ms->fd, data, len) < 0)
		die_errno("cannot write to '%s'", ms->filename);
	ms->end += len;
	remember(ms, data, len, ofs);
	return ofs;
}

uint64_t metastore_store_empty(struct metastore *ms)
{
	static const uint8_t empty[1] = { 0 };
	return metastore_store(ms, empty, 1);
}

int metastore_sync(struct metastore *ms)
{
	if (fsync(ms->fd) < 0)
		return error_errno("cannot fsync '%s'", ms->filename);
	return 0;
}

int metastore_close(struct metastore *ms)
{
	int ret = 0;
	if (!ms)
		return 0;
	if (close(ms->fd) < 0)
		ret = error_errno("cannot close '%s'", ms->filename);
	buf_release(&ms->keys);
	free(ms->slots);
	free(ms->filename);
	free(ms);
	return ret;
}
