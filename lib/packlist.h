/*
 * packlist: "does the repository already have object X?" over the pack
 * indexes of objects/pack, all mmapped (bup's PackIdxList, FORMATS-1 §6).
 *
 * Built at the first lookup, and again after packlist_invalidate() (the
 * pack writer calls it when a pack is finished).  Building it: the
 * midx files midx_pick() keeps (every complete *.midx, biggest and newest
 * first, kept only if it covers an idx no kept midx covers; one naming a
 * missing idx is ignored, with a warning under verbose); then every *.idx
 * no kept midx covers; all sorted by entry count, largest first.  bup.bloom is used only if it is
 * valid and holds at least as many entries as all of those together.
 *
 * Lookup order: the bloom filter ("no" is final; after a "maybe" the
 * next lookup skips it, as bup does), then each midx/idx in list order,
 * moving a hit to the front.  Broken files (wrong magic or version,
 * truncated) are skipped with a warning naming them.
 */
#ifndef BUP_PACKLIST_H
#define BUP_PACKLIST_H

#include <stdint.h>

#include "bloom.h"
#include "midx.h"
#include "oid.h"
#include "packidx.h"

/* Searches and steps as bup counts them (bup memtest prints them). */
struct lookup_stats {
	int64_t bloom_searches, bloom_steps;
	int64_t midx_searches, midx_steps;
	int64_t idx_searches, idx_steps;
};

struct packlist_entry {
	struct packidx *idx;	/* one of idx or midx */
	struct midx *midx;
	uint32_t nr;
};

struct packlist {
	char *dir;		/* objects/pack */
	struct packlist_entry *ents;
	size_t nr, alloc;
	struct bloom *bloom;	/* NULL if absent, invalid or behind */
	int use_bloom;		/* skip it once after a "maybe" */
	int loaded;
	int verbose;
	int ignore_midx;
	struct lookup_stats stats;	/* for memtest */
};

void packlist_init(struct packlist *pl, const char *pack_dir);
void packlist_release(struct packlist *pl);
/* Drop what is loaded; the next lookup re-reads the directory. */
void packlist_invalidate(struct packlist *pl);
int packlist_refresh(struct packlist *pl);
int packlist_exists(struct packlist *pl, const struct oid *oid);
/*
 * Call fn() for every id of the loaded midx and idx files in sorted
 * order (duplicates included), until it returns non-zero (returned).
 */
int packlist_foreach_sorted(struct packlist *pl,
			    int (*fn)(void *ctx, const uint8_t *sha), void *ctx);
/* The same over some entries only. */
int packlist_entries_foreach(const struct packlist_entry *ents, size_t nr,
			     int (*fn)(void *ctx, const uint8_t *sha), void *ctx);
/* A merge over entries: every id in sorted order, duplicates included. */
struct packlist_run {
	const uint8_t *cur, *end;
	size_t stride;
};
struct packlist_iter {
	struct packlist_run *runs;	/* a heap */
	size_t nr;
};
void packlist_iter_init(struct packlist_iter *it,
			const struct packlist_entry *ents, size_t nr);
/* The next id (20 bytes, in the mapped files), or NULL at the end. */
const uint8_t *packlist_iter_next(struct packlist_iter *it);
void packlist_iter_release(struct packlist_iter *it);

/* Total entries over the loaded midx and idx files. */
uint64_t packlist_total(struct packlist *pl);

#endif
