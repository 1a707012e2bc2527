/* ixwalk: bup's lazy Reader.iter over the mapped bupindex. */
#include "ixwalk.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int starts_with(const char *s, size_t slen, const char *p, size_t plen)
{
	return slen >= plen && !memcmp(s, p, plen);
}

static void push(struct ixwalk *w, size_t entofs)
{
	struct ixwalk_frame *f;
	struct ixent e;

	ixent_unpack(&e, w->ix->map + entofs);
	ALLOC_GROW(w->stack, w->depth + 1, w->alloc);
	f = &w->stack[w->depth++];
	memset(f, 0, sizeof(*f));
	f->entofs = entofs;
	f->n = e.children_n;
	/* opening checked children_ofs only where there are children:
	 * a childless root's may point anywhere */
	f->next = f->lo = f->n ? e.children_ofs : entofs;
}

/*
 * A directory's subtree (its children's block and, before it, theirs)
 * lies in [lo, end of its children's block): once walked, drop the whole
 * pages inside it from the mapping.  Shared mappings keep their edits.
 */
static void drop_subtree(struct ixwalk *w, const struct ixwalk_frame *f)
{
	const size_t min_drop = 1 << 20;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t start = (f->lo + pg - 1) / pg * pg, end = f->next / pg * pg;

	if (end >= start + min_drop)
		madvise(w->ix->map + start, end - start, MADV_DONTNEED);
}

void ixwalk_start(struct ixwalk *w, struct bupindex *ix, const char *name,
		  ixwalk_want_fn want, void *ctx)
{
	memset(w, 0, sizeof(*w));
	buf_init(&w->path, 256);
	w->ix = ix;
	w->want = want;
	w->ctx = ctx;
	if (name && *name) {
		size_t n = strlen(name);
		w->name = xstrdup(name);
		w->name_len = n;
		w->dname = xmalloc(n + 2);
		memcpy(w->dname, name, n + 1);
		if (name[n - 1] != '/') {
			w->dname[n] = '/';
			w->dname[n + 1] = 0;
		}
		w->dname_len = strlen(w->dname);
	}
	if (!ix->map || ix->size <= IX_HDRLEN + IX_ENTLEN) {
		w->state = 3;
		return;
	}
}

void ixwalk_release(struct ixwalk *w)
{
	buf_release(&w->path);
	free(w->name);
	free(w->dname);
	free(w->stack);
	memset(w, 0, sizeof(*w));
}

int ixwalk_next(struct ixwalk *w)
{
	size_t rootofs = w->ix->size - IX_FOOTLEN - IX_ENTLEN;

	if (w->state == 0) {
		buf_reset(&w->path);
		buf_addch(&w->path, '/');
		push(w, rootofs);
		w->stack[0].child_len = 1;
		w->state = 1;
	}
	while (w->state == 1 && w->depth) {
		struct ixwalk_frame *f = &w->stack[w->depth - 1];
		size_t plen = w->depth > 1 ? w->stack[w->depth - 2].child_len : 1;
		const char *base;
		size_t blen, cofs;
		struct ixent e;

		if (f->pending) {
			f->pending = 0;
			buf_setlen(&w->path, f->child_len);
			if (!w->name ||
			    (w->path.len == w->name_len &&
			     !memcmp(w->path.data, w->name, w->name_len)) ||
			    starts_with(w->path.data, w->path.len, w->dname,
					w->dname_len)) {
				w->ofs = f->child_ofs;
				return 1;
			}
			continue;
		}
		if (f->i == f->n) {
			drop_subtree(w, f);
			if (w->depth > 1 && f->lo < f[-1].lo)
				f[-1].lo = f->lo;
			w->depth--;
			continue;
		}
		base = (const char *)w->ix->map + f->next;
		blen = strlen(base);
		cofs = f->next + blen + 1;
		f->i++;
		f->next = cofs + IX_ENTLEN;
		f->child_ofs = cofs;
		buf_setlen(&w->path, plen);
		buf_add(&w->path, base, blen);
		f->child_len = w->path.len;
		f->pending = 1;
		ixent_unpack(&e, w->ix->map + cofs);
		if (!e.children_n)
			continue;
		if (!w->dname ||
		    starts_with(w->path.data, w->path.len, w->dname, w->dname_len) ||
		    (w->path.data[w->path.len - 1] == '/' &&
		     starts_with(w->dname, w->dname_len, w->path.data, w->path.len))) {
			if (!w->want || w->want(w->ctx, w, &e))
				push(w, cofs);
		}
	}
	if (w->state == 1) {
		w->state = 3;
		if (!w->dname || !strcmp(w->dname, "/")) {
			buf_reset(&w->path);
			buf_addch(&w->path, '/');
			w->ofs = rootofs;
			return 1;
		}
	}
	return 0;
}

void ixwalk_repack(struct ixwalk *w, const struct ixent *e)
{
	struct ixent pe;
	size_t d = w->depth;

	bupindex_entry_store(w->ix, w->ofs, e);
	if (ixent_valid(e))
		return;
	/* The frames on the stack are the current entry's ancestors. */
	if (w->ofs == w->ix->size - IX_FOOTLEN - IX_ENTLEN)
		return;
	while (d-- > 0) {
		bupindex_entry_load(w->ix, w->stack[d].entofs, &pe);
		pe.flags &= ~IX_HASHVALID;
		bupindex_entry_store(w->ix, w->stack[d].entofs, &pe);
	}
}

static int want_all(void *ctx, struct ixwalk *w, const struct ixent *e)
{
	return 1;
}

int ixwalk_find(struct ixwalk *w, struct bupindex *ix, const char *name)
{
	size_t n = strlen(name);

	ixwalk_start(w, ix, name, want_all, NULL);
	while (ixwalk_next(w))
		if (w->path.len == n && !memcmp(w->path.data, name, n))
			return 1;
	return 0;
}
