#include "packlist.h"
#include "buf.h"
#include "usage.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void packlist_init(struct packlist *pl, const char *pack_dir)
{
	memset(pl, 0, sizeof(*pl));
	pl->dir = xstrdup(pack_dir);
}

void packlist_invalidate(struct packlist *pl)
{
	for (size_t i = 0; i < pl->nr; i++)
		packidx_free(pl->idx[i]);
	pl->nr = 0;
	pl->loaded = 0;
}

void packlist_release(struct packlist *pl)
{
	packlist_invalidate(pl);
	free(pl->idx);
	free(pl->dir);
	memset(pl, 0, sizeof(*pl));
}

static int by_count_desc(const void *a, const void *b)
{
	const struct packidx *x = *(struct packidx *const *)a;
	const struct packidx *y = *(struct packidx *const *)b;
	return x->nr < y->nr ? 1 : x->nr > y->nr ? -1 : 0;
}

int packlist_refresh(struct packlist *pl)
{
	DIR *d;
	struct dirent *de;
	struct buf path = BUF_INIT;

	packlist_invalidate(pl);
	d = opendir(pl->dir);
	if (!d) {
		if (errno == ENOENT) {
			pl->loaded = 1;
			return 0;
		}
		return error_errno("cannot read '%s'", pl->dir);
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct packidx *idx;
		if (n < 5 || strcmp(de->d_name + n - 4, ".idx"))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", pl->dir, de->d_name);
		if (packidx_open(&idx, path.data) < 0) {
			warning("ignoring unusable index '%s'", path.data);
			continue;
		}
		ALLOC_GROW(pl->idx, pl->nr + 1, pl->alloc);
		pl->idx[pl->nr++] = idx;
	}
	closedir(d);
	buf_release(&path);
	qsort(pl->idx, pl->nr, sizeof(*pl->idx), by_count_desc);
	pl->loaded = 1;
	return 0;
}

int packlist_exists(struct packlist *pl, const struct oid *oid)
{
	if (!pl->loaded)
		packlist_refresh(pl);
	for (size_t i = 0; i < pl->nr; i++) {
		if (packidx_find(pl->idx[i], oid) >= 0) {
			if (i) {
				struct packidx *hit = pl->idx[i];
				memmove(pl->idx + 1, pl->idx, i * sizeof(*pl->idx));
				pl->idx[0] = hit;
			}
			return 1;
		}
	}
	return 0;
}
