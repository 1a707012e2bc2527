/*
 * midx: bup's multi-pack index, version 4 (FORMATS-1 §4).
 *
 * A midx lists the ids of several .idx files in one sorted table, with a
 * fanout over the top `bits` bits of each id and, per id, which idx holds
 * it.  midx_open() maps and checks one; midx_find() looks an id up.
 *
 * midx_merge() writes a midx from idx and midx files exactly as bup 0.33
 * does (same bits, order, which-table and name list), under a temporary
 * name, fsynced, then renamed.  midx_maintain() is `bup midx --auto` and
 * `--force` over a directory; the pack writer runs it after each pack.
 * midx_pick() chooses which midx files of a directory count, for both
 * midx_maintain() and the packlist's lookups.
 */
#ifndef BUP_MIDX_H
#define BUP_MIDX_H

#include <stdint.h>

#include "buf.h"
#include "oid.h"
#include "strlist.h"

struct midx {
	char *path;
	const uint8_t *map;
	size_t map_len;
	int bits;
	uint32_t nr;
	const uint8_t *fanout;	/* 2^bits BE32 */
	const uint8_t *shas;	/* nr * 20, sorted */
	const uint8_t *which;	/* nr BE32: index into names */
	char **names;		/* basenames of the .idx files */
	size_t nr_names;
};

/* 0, or -1 with the reason (naming the file) in `why`. */
int midx_open(struct midx **out, const char *path, struct buf *why);
void midx_free(struct midx *m);
int64_t midx_find(const struct midx *m, const struct oid *oid);
/* The same, adding the search steps bup would count to *steps. */
int64_t midx_find_counted(const struct midx *m, const struct oid *oid,
			  uint64_t *steps);
/* The idx basename holding entry i. */
const char *midx_source(const struct midx *m, uint32_t i);
/* Do all the idx files it names exist (in `dir`)?  The first missing
 * one goes to `missing` if not. */
int midx_complete(const struct midx *m, const char *dir, struct buf *missing);

/*
 * The midx files of `dir` worth using, as bup picks them both for lookups
 * and for `bup midx --auto`: every one that opens and names no missing
 * idx, biggest and newest first, kept only if it covers an idx that the
 * ones before it do not.  report() hears of each one left out (detail:
 * the reason for MIDX_BROKEN, the missing idx for MIDX_INCOMPLETE); what
 * to say or remove is the caller's policy.  0, or -1 with errno if the
 * directory cannot be read.
 */
enum midx_pick_event { MIDX_BROKEN, MIDX_INCOMPLETE, MIDX_REDUNDANT };
typedef void (*midx_pick_fn)(void *ctx, enum midx_pick_event ev,
			     const char *path, const char *detail);
struct midx_picked {
	struct midx **midx;	/* the ones kept, in that order */
	size_t nr, alloc;
	struct strlist covered;	/* basenames of the idx files they cover */
};
int midx_pick(const char *dir, struct midx_picked *out, midx_pick_fn report,
	      void *ctx);
/* Frees the midx still in out->midx (set an entry to NULL to keep it). */
void midx_picked_release(struct midx_picked *p);

/*
 * Merge `inputs` (.idx or .midx paths) into `outpath` (NULL: the default
 * name midx-<sha1 of the paths>.midx in `dir`).  With `auto_mode` or
 * `force` the merge is skipped when bup would skip it.  The name written
 * goes to `written` (if not NULL and a file was written).  Returns 1 if
 * written, 0 if skipped, -1 on error.
 */
int midx_merge(const char *dir, const char *outpath, char *const *inputs,
	       size_t nr, int auto_mode, int force, struct buf *written,
	       uint64_t *total);

/* `bup midx --auto` (auto_mode) or `--force` over `dir`. */
int midx_maintain(const char *dir, const char *outpath, int auto_mode,
		  int force, int max_files, int print_names);

/* The top `bits` bits of the id's first four bytes. */
static inline uint32_t midx_prefix(const uint8_t *sha, int bits)
{
	uint32_t v = (uint32_t)sha[0] << 24 | (uint32_t)sha[1] << 16 |
		     (uint32_t)sha[2] << 8 | sha[3];
	return bits ? v >> (32 - bits) : 0;
}

#endif
