/*
 * savetree: the directories a save has open (bup's StackDir stack in
 * save_tree) and how each becomes a git tree when it is closed: its
 * entries deduplicated by name (first kept, the rest reported), a
 * `.bupm` of the directory's metadata then each non-directory's in
 * bytewise name order, split like file content, and the tree of
 * mangled names (FORMATS-2 §1.4-1.6).
 *
 * Metadata is held encoded; only the open directories are in memory.
 */
#ifndef BUP_SAVETREE_H
#define BUP_SAVETREE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "oid.h"

struct packwriter;

struct save_item {
	size_t name_ofs, name_len;	/* in the directory's names */
	size_t meta_ofs, meta_len;	/* in its metas; 0 len: a subtree */
	uint32_t mode, gitmode;
	struct oid oid;
};

struct save_dir {
	struct buf name;
	struct buf meta;	/* encoded metadata of the directory */
	struct save_item *items;
	size_t nr, alloc;
	struct buf names, metas;
};

struct savetree {
	struct packwriter *pw;
	struct save_dir *stack;
	size_t depth, alloc;
	int errors;		/* duplicate names reported */
};

void savetree_init(struct savetree *st, struct packwriter *pw);
void savetree_release(struct savetree *st);
/* Open a directory `name` (encoded metadata `meta`) inside the current one. */
void savetree_push(struct savetree *st, const char *name, size_t len,
		   const void *meta, size_t meta_len);
/* Add an entry to the current directory (meta NULL: a subtree). */
void savetree_add(struct savetree *st, const char *name, size_t len,
		  uint32_t mode, uint32_t gitmode, const struct oid *oid,
		  const void *meta, size_t meta_len);
/*
 * Close the current directory: use `force` as its tree if not NULL,
 * else write it (with `dir_meta` instead of its own metadata if not
 * NULL).  Adds it to its parent and sets *out.
 */
void savetree_pop(struct savetree *st, const struct oid *force,
		  const void *dir_meta, size_t dir_meta_len, struct oid *out);
/* Is the name of open directory i (0: the root) equal to name? */
static inline struct save_dir *savetree_dir(struct savetree *st, size_t i)
{
	return &st->stack[i];
}

/*
 * Split `data` as bup splits one file (8 MiB reads) and store it:
 * the empty blob, one blob or chunk tree, or a tree of them.  Returns the
 * git mode; the id goes to *out.
 */
uint32_t save_split_bytes(struct packwriter *pw, const uint8_t *data,
			  size_t len, struct oid *out);

#endif
