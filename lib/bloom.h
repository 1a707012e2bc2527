/*
 * bloom: bup's bloom filter over the ids of a pack directory, version 2
 * (FORMATS-1 §5).  A "no" from bloom_contains() is certain, a "maybe"
 * needs a real lookup.  The table has 2^bits bytes; each id sets k (4 or
 * 5) bits taken from its own bytes.
 *
 * bloom_open() maps a file read-only and checks it.  bloom_maintain() is
 * `bup bloom`: it adds the idx files the filter lacks, or rebuilds it when
 * it no longer matches or would pass 1% false positives, writing a new
 * file and renaming it into place (bup updates in place; the bytes are
 * the same, and a crash cannot leave a half-written filter in use).
 */
#ifndef BUP_BLOOM_H
#define BUP_BLOOM_H

#include <stdint.h>

#include "buf.h"
#include "oid.h"

struct bloom {
	char *path;
	const uint8_t *map;
	size_t map_len;
	int bits, k;
	uint32_t entries;
	const uint8_t *table;	/* 2^bits bytes */
	char **names;		/* idx basenames */
	size_t nr_names;
};

/* 0, or -1 with the reason (naming the file) in `why`. */
int bloom_open(struct bloom **out, const char *path, struct buf *why);
void bloom_free(struct bloom *b);
/* 1: maybe present; 0: certainly absent. */
int bloom_contains(const struct bloom *b, const struct oid *oid);
/* The same, adding the bits tested to *steps. */
int bloom_contains_counted(const struct bloom *b, const struct oid *oid,
			   uint64_t *steps);
int bloom_has_name(const struct bloom *b, const char *basename);
/* Percentage of false positives after adding `more` entries. */
double bloom_pfalse_positive(int bits, int k, uint64_t entries);

/* Set the bits of `n` ids (20 bytes each, `stride` apart) in `table`. */
void bloom_add_ids(uint8_t *table, int bits, int k, const uint8_t *ids,
		   size_t n, size_t stride);

/*
 * `bup bloom` over `dir`: output `outpath` (NULL: dir/bup.bloom), k 4 or
 * 5 (0: automatic), force a rebuild.  Returns 0 or -1.
 */
int bloom_maintain(const char *dir, const char *outpath, int k, int force);

#endif
