/* savetree: open directories of a save and their trees and .bupm. */
#include "savetree.h"

#include <stdlib.h>
#include <string.h>

#include "hashsplit.h"
#include "mangle.h"
#include "packwriter.h"
#include "pyrepr.h"
#include "splittree.h"
#include "tree.h"
#include "usage.h"

void savetree_init(struct savetree *st, struct packwriter *pw)
{
	memset(st, 0, sizeof(*st));
	st->pw = pw;
}

static void dir_release(struct save_dir *d)
{
	buf_release(&d->name);
	buf_release(&d->meta);
	buf_release(&d->names);
	buf_release(&d->metas);
	free(d->items);
	memset(d, 0, sizeof(*d));
}

void savetree_release(struct savetree *st)
{
	for (size_t i = 0; i < st->depth; i++)
		dir_release(&st->stack[i]);
	free(st->stack);
	memset(st, 0, sizeof(*st));
}

void savetree_push(struct savetree *st, const char *name, size_t len,
		   const void *meta, size_t meta_len)
{
	struct save_dir *d;
	ALLOC_GROW(st->stack, st->depth + 1, st->alloc);
	d = &st->stack[st->depth++];
	memset(d, 0, sizeof(*d));
	buf_init(&d->name, len + 1);
	buf_init(&d->meta, meta_len);
	buf_init(&d->names, 0);
	buf_init(&d->metas, 0);
	buf_add(&d->name, name, len);
	buf_add(&d->meta, meta, meta_len);
}

void savetree_add(struct savetree *st, const char *name, size_t len,
		  uint32_t mode, uint32_t gitmode, const struct oid *oid,
		  const void *meta, size_t meta_len)
{
	struct save_dir *d = &st->stack[st->depth - 1];
	struct save_item *it;
	ALLOC_GROW(d->items, d->nr + 1, d->alloc);
	it = &d->items[d->nr++];
	it->name_ofs = d->names.len;
	it->name_len = len;
	buf_add(&d->names, name, len);
	it->meta_ofs = d->metas.len;
	it->meta_len = meta ? meta_len : 0;
	if (meta)
		buf_add(&d->metas, meta, meta_len);
	it->mode = mode;
	it->gitmode = gitmode;
	it->oid = *oid;
}

struct split_ctx {
	struct packwriter *pw;
	struct splittree tree;
};

static int emit_blob(void *ctx, const uint8_t *data, size_t len, int level)
{
	struct split_ctx *c = ctx;
	struct oid id;
	packwriter_write(c->pw, OBJ_BLOB, data, len, &id);
	splittree_add(&c->tree, &id, len, level);
	return 0;
}

uint32_t save_split_bytes(struct packwriter *pw, const uint8_t *data,
			  size_t len, struct oid *out)
{
	struct split_ctx c;
	size_t start = 0, end = 0, rest;
	uint64_t size;
	uint32_t mode;
	int fanbits = hashsplit_fanbits(0);

	c.pw = pw;
	splittree_init(&c.tree, pw);
	/* The remainder of each 8 MiB read is rescanned with the next. */
	while (end < len) {
		end = len - end > HASHSPLIT_READ_SIZE ? end + HASHSPLIT_READ_SIZE : len;
		hashsplit_cut(data + start, end - start, fanbits, emit_blob, &c, &rest);
		start += rest;
	}
	if (start < len)
		emit_blob(&c, data + start, len - start, 0);
	mode = splittree_blob_or_tree(&c.tree, out, &size);
	splittree_release(&c.tree);
	return mode;
}

static struct save_dir *sort_dir;

static int cmp_name(const void *a_, const void *b_)
{
	const struct save_item *a = *(struct save_item *const *)a_;
	const struct save_item *b = *(struct save_item *const *)b_;
	const char *an = sort_dir->names.data + a->name_ofs;
	const char *bn = sort_dir->names.data + b->name_ofs;
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(an, bn, n);
	if (c)
		return c;
	if (a->name_len != b->name_len)
		return a->name_len < b->name_len ? -1 : 1;
	return a < b ? -1 : a > b;	/* stable: first added first */
}

static void report_duplicate(struct savetree *st, struct save_dir *d,
			     const struct save_item *it)
{
	struct buf parent = BUF_INIT, msg = BUF_INIT;
	char *name = xstrndup(d->names.data + it->name_ofs, it->name_len);

	/* bup names the directories still open, not the one closing */
	for (size_t i = 0; i < st->depth; i++) {
		if (i)
			buf_addch(&parent, '/');
		buf_add(&parent, st->stack[i].name.data, st->stack[i].name.len);
	}
	buf_addch(&parent, '/');
	buf_adds(&msg, "error: ignoring duplicate path ");
	buf_add_path_msg(&msg, name);
	buf_adds(&msg, " in ");
	buf_add_path_msg(&msg, parent.data);
	logmsg("%-70s\n", msg.data);
	st->errors++;
	free(name);
	buf_release(&parent);
	buf_release(&msg);
}

static void write_dir(struct savetree *st, struct save_dir *d,
		      const void *dir_meta, size_t dir_meta_len, struct oid *out)
{
	struct save_item **order = xcalloc(d->nr ? d->nr : 1, sizeof(*order));
	char *drop = xcalloc(d->nr ? d->nr : 1, 1);
	struct tree_builder tb = TREE_BUILDER_INIT;
	struct buf bupm = BUF_INIT, tree = BUF_INIT, mangled = BUF_INIT;
	struct oid bupm_id;
	uint32_t bupm_mode;

	for (size_t i = 0; i < d->nr; i++)
		order[i] = &d->items[i];
	sort_dir = d;
	QSORT(order, d->nr, cmp_name);
	for (size_t i = 1; i < d->nr; i++) {
		const struct save_item *a = order[i - 1], *b = order[i];
		if (a->name_len == b->name_len &&
		    !memcmp(d->names.data + a->name_ofs,
			    d->names.data + b->name_ofs, a->name_len)) {
			drop[b - d->items] = 1;
			order[i] = (struct save_item *)a;	/* compare with the kept one */
		}
	}
	/* Errors in the order bup meets them: the order items were added. */
	for (size_t i = 0; i < d->nr; i++)
		if (drop[i])
			report_duplicate(st, d, &d->items[i]);
	/* .bupm: the directory, then non-directories by name (no '/' key:
	 * none of them is a directory). */
	buf_add(&bupm, dir_meta, dir_meta_len);
	for (size_t i = 0; i < d->nr; i++)
		order[i] = &d->items[i];
	QSORT(order, d->nr, cmp_name);
	for (size_t i = 0; i < d->nr; i++) {
		const struct save_item *it = order[i];
		if (drop[it - d->items] || it->mode == GIT_MODE_TREE)
			continue;
		buf_add(&bupm, d->metas.data + it->meta_ofs, it->meta_len);
	}
	bupm_mode = save_split_bytes(st->pw, (const uint8_t *)bupm.data, bupm.len,
				     &bupm_id);
	tree_add(&tb, bupm_mode, ".bupm", 5, &bupm_id);
	for (size_t i = 0; i < d->nr; i++) {
		const struct save_item *it = &d->items[i];
		if (drop[i])
			continue;
		buf_reset(&mangled);
		mangle_name(&mangled, d->names.data + it->name_ofs, it->name_len,
			    it->mode, it->gitmode);
		tree_add(&tb, it->gitmode, mangled.data, mangled.len, &it->oid);
	}
	tree_encode(&tb, &tree);
	packwriter_write(st->pw, OBJ_TREE, tree.data, tree.len, out);
	tree_release(&tb);
	buf_release(&bupm);
	buf_release(&tree);
	buf_release(&mangled);
	free(order);
	free(drop);
}

void savetree_pop(struct savetree *st, const struct oid *force,
		  const void *dir_meta, size_t dir_meta_len, struct oid *out)
{
	struct save_dir d = st->stack[--st->depth];

	if (force) {
		*out = *force;
	} else {
		if (!dir_meta) {
			dir_meta = d.meta.data;
			dir_meta_len = d.meta.len;
		}
		write_dir(st, &d, dir_meta, dir_meta_len, out);
	}
	if (st->depth)
		savetree_add(st, d.name.data, d.name.len, GIT_MODE_TREE,
			     GIT_MODE_TREE, out, NULL, 0);
	dir_release(&d);
}
