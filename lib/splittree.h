/*
 * splittree: bup's tree of trees over a file's chunks (FORMATS-1 §2.2).
 *
 * Each chunk is added with its level; a level-L chunk closes the open
 * groups at depths 0..L-1, and no group holds more than 256 entries.  A
 * group of one entry is promoted, never wrapped in a tree.  Trees are
 * written through the pack writer as they close; entry names are the
 * hex offsets of their first byte, zero-padded to the width of the
 * tree's total size.
 */
#ifndef BUP_SPLITTREE_H
#define BUP_SPLITTREE_H

#include <stdint.h>

#include "oid.h"

struct packwriter;

struct split_entry {
	unsigned mode;
	struct oid oid;
	uint64_t size;
};

struct split_level {
	struct split_entry *ents;
	size_t nr, alloc;
};

struct splittree {
	struct packwriter *pw;
	struct split_level *levels;
	size_t nr_levels, alloc_levels;
};

void splittree_init(struct splittree *st, struct packwriter *pw);
void splittree_release(struct splittree *st);
/* Add a chunk already written as blob `oid`. */
void splittree_add(struct splittree *st, const struct oid *oid,
		   uint64_t size, int level);
/*
 * Close everything.  The top-level entries are left in *ents / *nr (owned
 * by the splittree until release).
 */
void splittree_finish(struct splittree *st, struct split_entry **ents,
		      size_t *nr);
/* Write a tree of `ents` named by offset; its id to *out. */
void splittree_write_tree(struct packwriter *pw,
			  const struct split_entry *ents, size_t nr,
			  struct oid *out);
/*
 * split_to_blob_or_tree: none gives the empty blob, one entry is used as
 * is, more are wrapped in a tree.  Returns the git mode.
 */
unsigned splittree_blob_or_tree(struct splittree *st, struct oid *out,
				uint64_t *size);

#endif
