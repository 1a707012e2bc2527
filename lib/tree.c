#include "tree.h"

#include <stdlib.h>
#include <string.h>

void tree_add(struct tree_builder *t, unsigned mode, const char *name,
	      size_t namelen, const struct oid *oid)
{
	struct tree_entry *e;
	ALLOC_GROW(t->ents, t->nr + 1, t->alloc);
	e = &t->ents[t->nr++];
	e->mode = mode;
	e->name = xstrndup(name, namelen);
	e->namelen = namelen;
	e->oid = *oid;
}

static int entry_cmp(const void *a_, const void *b_)
{
	const struct tree_entry *a = a_, *b = b_;
	size_t n = a->namelen < b->namelen ? a->namelen : b->namelen;
	int c = memcmp(a->name, b->name, n);
	if (c)
		return c;
	unsigned char ca = a->namelen > n ? (unsigned char)a->name[n] :
			   (a->mode == GIT_MODE_TREE ? '/' : 0);
	unsigned char cb = b->namelen > n ? (unsigned char)b->name[n] :
			   (b->mode == GIT_MODE_TREE ? '/' : 0);
	return (int)ca - (int)cb;
}

void tree_encode(struct tree_builder *t, struct buf *out)
{
	QSORT(t->ents, t->nr, entry_cmp);
	for (size_t i = 0; i < t->nr; i++) {
		struct tree_entry *e = &t->ents[i];
		buf_addf(out, "%o ", e->mode);
		buf_add(out, e->name, e->namelen);
		buf_addch(out, 0);
		buf_add(out, e->oid.hash, OID_RAWSZ);
	}
}

void tree_clear(struct tree_builder *t)
{
	for (size_t i = 0; i < t->nr; i++)
		free(t->ents[i].name);
	t->nr = 0;
}

void tree_release(struct tree_builder *t)
{
	tree_clear(t);
	free(t->ents);
	t->ents = NULL;
	t->alloc = 0;
}
