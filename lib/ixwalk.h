/*
 * ixwalk: a lazy walk of the bupindex, as bup's Reader.iter(name,
 * wantrecurse) generator: entries under `name` in descending full-path
 * post-order (children before their directory), each directory's
 * children entered only if want() says so when the walk reaches it.
 *
 * Unlike bupindex_iter() nothing is collected: memory is the stack of
 * open directories, so a walk of millions of entries costs kilobytes.
 * The entry last returned can be rewritten in place (ixwalk_repack), and
 * its ancestors are invalidated as bup's ExistingEntry.repack() does.
 * The pages of a finished subtree are dropped from the mapping (they stay
 * in the page cache), so a walk of a huge index stays small in RSS.
 */
#ifndef BUP_IXWALK_H
#define BUP_IXWALK_H

#include <stddef.h>

#include "buf.h"
#include "bupindex.h"

struct ixwalk;
/* Recurse into entry `e` named w->path? (called only for directories) */
typedef int (*ixwalk_want_fn)(void *ctx, struct ixwalk *w,
			      const struct ixent *e);

struct ixwalk_frame {
	size_t entofs;		/* the directory's entry */
	uint32_t i, n;		/* next child, number of children */
	size_t next;		/* offset of the next child's basename */
	size_t child_ofs;	/* the child being visited (its entry) */
	size_t child_len;	/* its path length */
	int pending;		/* the child is visited; yield it next */
	size_t lo;		/* lowest offset of the subtree's entries */
};

struct ixwalk {
	struct bupindex *ix;
	struct buf path;	/* the current entry's full path */
	size_t ofs;		/* the current entry's 130 bytes */
	char *name, *dname;	/* the prefix asked for; NULL: all */
	size_t name_len, dname_len;
	ixwalk_want_fn want;
	void *ctx;
	struct ixwalk_frame *stack;
	size_t depth, alloc;
	int state;		/* 0 start, 1 walking, 2 root pending, 3 done */
};

/* Walk entries under `name` (NULL or "": all). */
void ixwalk_start(struct ixwalk *w, struct bupindex *ix, const char *name,
		  ixwalk_want_fn want, void *ctx);
/* 1 with w->path/w->ofs set to the next entry, 0 at the end. */
int ixwalk_next(struct ixwalk *w);
void ixwalk_release(struct ixwalk *w);
/*
 * Store `e` as the current entry; if it is not valid, clear
 * IX_HASHVALID in every ancestor up to the root (bup's repack()).
 */
void ixwalk_repack(struct ixwalk *w, const struct ixent *e);

/*
 * Start a walk of everything under `name` and stop at the entry named
 * exactly `name` (bup's Reader.find): 1 with `w` on it, or 0.  Either
 * way release `w` afterwards.
 */
int ixwalk_find(struct ixwalk *w, struct bupindex *ix, const char *name);

#endif
