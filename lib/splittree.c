#include "splittree.h"
#include "buf.h"
#include "packwriter.h"
#include "tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PER_TREE 256

void splittree_init(struct splittree *st, struct packwriter *pw)
{
	memset(st, 0, sizeof(*st));
	st->pw = pw;
	ALLOC_GROW(st->levels, 1, st->alloc_levels);
	memset(st->levels, 0, sizeof(*st->levels));
	st->nr_levels = 1;
}

void splittree_release(struct splittree *st)
{
	for (size_t i = 0; i < st->nr_levels; i++)
		free(st->levels[i].ents);
	free(st->levels);
	memset(st, 0, sizeof(*st));
}

static void push(struct split_level *l, unsigned mode, const struct oid *oid,
		 uint64_t size)
{
	ALLOC_GROW(l->ents, l->nr + 1, l->alloc);
	l->ents[l->nr].mode = mode;
	l->ents[l->nr].oid = *oid;
	l->ents[l->nr].size = size;
	l->nr++;
}

void splittree_write_tree(struct packwriter *pw,
			  const struct split_entry *ents, size_t nr,
			  struct oid *out)
{
	struct tree_builder tb = TREE_BUILDER_INIT;
	struct buf b = BUF_INIT;
	uint64_t total = 0, ofs = 0;
	char name[32];
	int width;

	for (size_t i = 0; i < nr; i++)
		total += ents[i].size;
	width = snprintf(name, sizeof(name), "%llx", (unsigned long long)total);
	for (size_t i = 0; i < nr; i++) {
		int n = snprintf(name, sizeof(name), "%0*llx", width,
				 (unsigned long long)ofs);
		tree_add(&tb, ents[i].mode, name, (size_t)n, &ents[i].oid);
		ofs += ents[i].size;
	}
	tree_encode(&tb, &b);
	packwriter_write(pw, OBJ_TREE, b.data, b.len, out);
	buf_release(&b);
	tree_release(&tb);
}

static void squish(struct splittree *st, size_t n)
{
	size_t i = 0;
	while (i < n || st->levels[i].nr >= MAX_PER_TREE) {
		if (i + 1 >= st->nr_levels) {
			ALLOC_GROW(st->levels, i + 2, st->alloc_levels);
			memset(&st->levels[i + 1], 0, sizeof(*st->levels));
			st->nr_levels = i + 2;
		}
		struct split_level *l = &st->levels[i];
		if (l->nr == 1) {
			push(&st->levels[i + 1], l->ents[0].mode, &l->ents[0].oid,
			     l->ents[0].size);
		} else if (l->nr > 1) {
			struct oid t;
			uint64_t total = 0;
			for (size_t k = 0; k < l->nr; k++)
				total += l->ents[k].size;
			splittree_write_tree(st->pw, l->ents, l->nr, &t);
			push(&st->levels[i + 1], GIT_MODE_TREE, &t, total);
		}
		st->levels[i].nr = 0;
		i++;
	}
}

void splittree_add(struct splittree *st, const struct oid *oid,
		   uint64_t size, int level)
{
	push(&st->levels[0], GIT_MODE_FILE, oid, size);
	squish(st, (size_t)level);
}

void splittree_finish(struct splittree *st, struct split_entry **ents,
		      size_t *nr)
{
	squish(st, st->nr_levels - 1);
	*ents = st->levels[st->nr_levels - 1].ents;
	*nr = st->levels[st->nr_levels - 1].nr;
}

unsigned splittree_blob_or_tree(struct splittree *st, struct oid *out,
				uint64_t *size)
{
	struct split_entry *ents;
	size_t nr;

	splittree_finish(st, &ents, &nr);
	*size = 0;
	if (nr == 0) {
		packwriter_write(st->pw, OBJ_BLOB, "", 0, out);
		return GIT_MODE_FILE;
	}
	if (nr == 1) {
		*out = ents[0].oid;
		*size = ents[0].size;
		return ents[0].mode;
	}
	for (size_t i = 0; i < nr; i++)
		*size += ents[i].size;
	splittree_write_tree(st->pw, ents, nr, out);
	return GIT_MODE_TREE;
}
