/*
 * packlist: "does the repository already have object X?" over every
 * "does the repository already have object X?" over the .idx files in
 *
 * Lookups go through the list in order and move a hit to the front
 * (most recently used first).  The list is built at the first lookup and
 * rebuilt by packlist_refresh() after a pack is finished.  midx and bloom
 * files slot in here: the lookup order is bloom, then midx, then the idx
 * files not covered by a midx.
 */
#ifndef BUP_PACKLIST_H
#define BUP_PACKLIST_H

#include "oid.h"
#include "packidx.h"

struct packlist {
	char *dir;		/* objects/pack */
	struct packidx **idx;
	size_t nr, alloc;
	int loaded;
	int verbose;
};

void packlist_init(struct packlist *pl, const char *pack_dir);
void packlist_release(struct packlist *pl);
/* Drop what is loaded; the next lookup re-reads the directory. */
void packlist_invalidate(struct packlist *pl);
/* (Re)read the directory now; bad idx files are skipped with a warning. */
int packlist_refresh(struct packlist *pl);
int packlist_exists(struct packlist *pl, const struct oid *oid);

#endif
