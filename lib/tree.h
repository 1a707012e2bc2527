/*
 * tree: git tree objects as bup writes them (FORMATS-1 §2.4).
 *
 * A struct tree_builder collects entries (mode, name, id), then
 * tree_encode() sorts them in git order (tree names compare as if they
 * ended in '/') and writes "<octal mode> <name>\0<20-byte id>" for each.
 * The builder owns copies of the names.
 */
#ifndef BUP_TREE_H
#define BUP_TREE_H

#include "buf.h"
#include "oid.h"

#define GIT_MODE_FILE 0100644
#define GIT_MODE_EXEC 0100755
#define GIT_MODE_TREE 040000
#define GIT_MODE_SYMLINK 0120000

struct tree_entry {
	unsigned mode;
	char *name;
	size_t namelen;
	struct oid oid;
};

struct tree_builder {
	struct tree_entry *ents;
	size_t nr, alloc;
};

#define TREE_BUILDER_INIT { NULL, 0, 0 }

void tree_add(struct tree_builder *t, unsigned mode, const char *name,
	      size_t namelen, const struct oid *oid);
/* Sort and encode into `out` (appended). */
void tree_encode(struct tree_builder *t, struct buf *out);
void tree_clear(struct tree_builder *t);
void tree_release(struct tree_builder *t);

#endif
