#include "packlist.h"
#include "buf.h"
#include "strlist.h"
#include "usage.h"
#include "xio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void packlist_init(struct packlist *pl, const char *pack_dir)
{
	memset(pl, 0, sizeof(*pl));
	pl->dir = xstrdup(pack_dir);
}

void packlist_invalidate(struct packlist *pl)
{
	for (size_t i = 0; i < pl->nr; i++) {
		packidx_free(pl->ents[i].idx);
		midx_free(pl->ents[i].midx);
	}
	pl->nr = 0;
	bloom_free(pl->bloom);
	pl->bloom = NULL;
	pl->use_bloom = 0;
	pl->loaded = 0;
}

void packlist_release(struct packlist *pl)
{
	packlist_invalidate(pl);
	free(pl->ents);
	free(pl->dir);
	memset(pl, 0, sizeof(*pl));
}

static int by_count_desc(const void *a, const void *b)
{
	const struct packlist_entry *x = a, *y = b;
	return x->nr < y->nr ? 1 : x->nr > y->nr ? -1 : 0;
}

static void add_entry(struct packlist *pl, struct packidx *idx, struct midx *m)
{
	ALLOC_GROW(pl->ents, pl->nr + 1, pl->alloc);
	pl->ents[pl->nr].idx = idx;
	pl->ents[pl->nr].midx = m;
	pl->ents[pl->nr].nr = idx ? idx->nr : m->nr;
	pl->nr++;
}

/* What PackIdxList says about the midx files it leaves out. */
static void refresh_report(void *ctx, enum midx_pick_event ev,
			   const char *path, const char *detail)
{
	struct packlist *pl = ctx;
	switch (ev) {
	case MIDX_BROKEN:
		warning("ignoring %s", detail);
		break;
	case MIDX_INCOMPLETE:
		if (pl->verbose)
			warning("ignoring midx '%s': index '%s' is missing",
				path, detail);
		break;
	case MIDX_REDUNDANT:
		debug1("midx: ignoring redundant %s\n", path);
		break;
	}
}

int packlist_refresh(struct packlist *pl)
{
	struct strlist files = STRLIST_INIT;
	struct midx_picked picked = { 0 };
	struct buf why = BUF_INIT, path = BUF_INIT;

	packlist_invalidate(pl);
	pl->loaded = 1;
	if (access(pl->dir, F_OK) < 0)
		return 0;
	if (!pl->ignore_midx) {
		if (midx_pick(pl->dir, &picked, refresh_report, pl) < 0)
			warning_errno("cannot read '%s'", pl->dir);
		for (size_t i = 0; i < picked.nr; i++) {
			add_entry(pl, NULL, picked.midx[i]);
			picked.midx[i] = NULL;
		}
	}
	if (list_dir_suffix(pl->dir, ".idx", &files) < 0)
		warning_errno("cannot read '%s'", pl->dir);
	for (size_t i = 0; i < files.nr; i++) {
		struct packidx *idx;
		if (strlist_has(&picked.covered, path_basename(files.items[i])))
			continue;
		if (packidx_open(&idx, files.items[i]) < 0)
			continue;
		add_entry(pl, idx, NULL);
	}
	strlist_clear(&files);
	midx_picked_release(&picked);
	QSORT(pl->ents, pl->nr, by_count_desc);

	buf_addf(&path, "%s/bup.bloom", pl->dir);
	if (access(path.data, F_OK) == 0) {
		buf_reset(&why);
		if (bloom_open(&pl->bloom, path.data, &why) < 0) {
			warning("ignoring %s", why.data);
		} else if (pl->bloom->entries < packlist_total(pl)) {
			debug1("bloom: %s is behind the indexes; not used\n", path.data);
			bloom_free(pl->bloom);
			pl->bloom = NULL;
		}
	}
	pl->use_bloom = pl->bloom != NULL;
	debug1("PackIdxList: using %zu index%s.\n", pl->nr, pl->nr == 1 ? "" : "es");
	buf_release(&why);
	buf_release(&path);
	return 0;
}

uint64_t packlist_total(struct packlist *pl)
{
	uint64_t n = 0;
	for (size_t i = 0; i < pl->nr; i++)
		n += pl->ents[i].nr;
	return n;
}

int packlist_exists(struct packlist *pl, const struct oid *oid)
{
	struct lookup_stats *st = &pl->stats;

	if (!pl->loaded)
		packlist_refresh(pl);
	if (pl->use_bloom) {
		uint64_t steps = 0;
		st->bloom_searches++;
		int maybe = bloom_contains_counted(pl->bloom, oid, &steps);
		st->bloom_steps += (int64_t)steps;
		if (!maybe)
			return 0;
		pl->use_bloom = 0;
	}
	/* bup counts a lookup as an idx search, less one per midx tried */
	st->idx_searches++;
	for (size_t i = 0; i < pl->nr; i++) {
		struct packlist_entry *e = &pl->ents[i];
		uint64_t steps = 0;
		int64_t hit;
		if (e->idx) {
			hit = packidx_find_counted(e->idx, oid, &steps);
			st->idx_steps += (int64_t)steps;
		} else {
			st->idx_searches--;
			st->midx_searches++;
			hit = midx_find_counted(e->midx, oid, &steps);
			st->midx_steps += (int64_t)steps;
		}
		if (hit >= 0) {
			if (i) {
				struct packlist_entry tmp = *e;
				memmove(pl->ents + 1, pl->ents, i * sizeof(*pl->ents));
				pl->ents[0] = tmp;
			}
			return 1;
		}
	}
	if (pl->bloom)
		pl->use_bloom = 1;
	return 0;
}

/* ---- every id, in sorted order (bup's idxmerge) ---- */

static int run_less(const struct packlist_run *a, const struct packlist_run *b)
{
	return memcmp(a->cur, b->cur, OID_RAWSZ) < 0;
}

static void sift_down(struct packlist_run *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && run_less(&h[l], &h[m]))
			m = l;
		if (r < n && run_less(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct packlist_run t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

void packlist_iter_init(struct packlist_iter *it,
			const struct packlist_entry *ents, size_t nr)
{
	it->runs = xcalloc(nr ? nr : 1, sizeof(*it->runs));
	it->nr = 0;
	for (size_t i = 0; i < nr; i++) {
		const struct packlist_entry *e = &ents[i];
		struct packlist_run *r = &it->runs[it->nr];
		if (!e->nr)
			continue;
		if (e->idx) {
			r->stride = e->idx->version == 2 ? 20 : 24;
			r->cur = packidx_sha(e->idx, 0);
		} else {
			r->stride = 20;
			r->cur = e->midx->shas;
		}
		r->end = r->cur + r->stride * e->nr;
		it->nr++;
	}
	for (size_t i = it->nr / 2; i-- > 0;)
		sift_down(it->runs, it->nr, i);
}

const uint8_t *packlist_iter_next(struct packlist_iter *it)
{
	const uint8_t *sha;
	if (!it->nr)
		return NULL;
	sha = it->runs[0].cur;
	it->runs[0].cur += it->runs[0].stride;
	if (it->runs[0].cur >= it->runs[0].end)
		it->runs[0] = it->runs[--it->nr];
	sift_down(it->runs, it->nr, 0);
	return sha;
}

void packlist_iter_release(struct packlist_iter *it)
{
	free(it->runs);
	it->runs = NULL;
	it->nr = 0;
}

int packlist_entries_foreach(const struct packlist_entry *ents, size_t nr,
			     int (*fn)(void *ctx, const uint8_t *sha), void *ctx)
{
	struct packlist_iter it;
	const uint8_t *sha;
	int r = 0;

	packlist_iter_init(&it, ents, nr);
	while (!r && (sha = packlist_iter_next(&it)))
		r = fn(ctx, sha);
	packlist_iter_release(&it);
	return r;
}

int packlist_foreach_sorted(struct packlist *pl,
			    int (*fn)(void *ctx, const uint8_t *sha), void *ctx)
{
	if (!pl->loaded)
		packlist_refresh(pl);
	return packlist_entries_foreach(pl->ents, pl->nr, fn, ctx);
}
