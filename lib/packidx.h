/*
 * packidx: one git pack index (.idx v2, or v1) read through mmap.
 *
 * packidx_open() maps and checks the file (magic, version, size against
 * the object count); packidx_find() answers "is this id in the pack?"
 * with the fanout table and a binary search.  The struct owns the
 * mapping; packidx_free() unmaps it.  Writing an idx is packidx_write(),
 * used by the pack writer.
 */
#ifndef BUP_PACKIDX_H
#define BUP_PACKIDX_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "oid.h"

struct packidx {
	char *path;
	const uint8_t *map;
	size_t map_len;
	int version;		/* 1 or 2 */
	uint32_t nr;		/* objects */
	const uint8_t *fanout;	/* 256 BE32 */
	const uint8_t *shas;	/* v2: nr * 20; v1: nr * 24 (ofs + sha) */
};

/* 0, or -1 with the reason (naming the file) in `why`. */
int packidx_load(struct packidx **out, const char *path, struct buf *why);
/* The same, printing "warning: ignoring <reason>" on failure. */
int packidx_open(struct packidx **out, const char *path);
void packidx_free(struct packidx *idx);
/* Index of `oid` in the idx, or -1. */
int64_t packidx_find(const struct packidx *idx, const struct oid *oid);
/* The same, adding the search steps bup would count to *steps. */
int64_t packidx_find_counted(const struct packidx *idx, const struct oid *oid,
			     uint64_t *steps);
const uint8_t *packidx_sha(const struct packidx *idx, uint32_t i);

/* What the pack writer knows about each object it wrote. */
struct packidx_entry {
	struct oid oid;
	uint32_t crc;
	uint64_t offset;
};

/* Sort by object id, in place (quick if already sorted). */
void packidx_sort(struct packidx_entry *ents, uint32_t nr);

/*
 * Write an idx v2 for `ents` (sorted here, in place, unless they are) and the pack's
 * trailer `pack_sha` to the open file `fd` (from offset 0).  Returns 0 or
 * -1 with errno set.
 */
int packidx_write(int fd, struct packidx_entry *ents, uint32_t nr,
		  const uint8_t pack_sha[OID_RAWSZ]);

#endif
