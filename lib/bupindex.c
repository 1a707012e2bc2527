/* bupindex: bup's index file, v7 (FORMATS-2 §3.1-3.3). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/bupindex.h"
#include "lib/bupindex_meta.h"
#include "lib/ixwalk.h"
#include "lib/drecurse.h"
#include "lib/pyrepr.h"
#include "lib/usage.h"

const uint8_t ix_empty_sha[20];
const uint8_t ix_fake_sha[20] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static void put_time(uint8_t *p, int64_t ns)
{
	int64_t r = ns % 1000000000;

	if (r < 0)
		r += 1000000000;
	put_be(p, (uint64_t)floordiv(ns, 1000000000), 8);
	put_be(p + 8, (uint64_t)r, 8);
}

/*
 * Seconds and nanoseconds as one int64 of nanoseconds.  A time beyond
 * what that holds (years before 1678 or after 2262: a damaged index, or
 * a file dated so) saturates, the same way from the index and from
 * lstat, so such a file compares equal to its entry.
 */
static int64_t time_ns(int64_t s, int64_t ns)
{
	int64_t t;

	if (__builtin_mul_overflow(s, (int64_t)1000000000, &t))
		return s < 0 ? INT64_MIN : INT64_MAX;
	if (__builtin_add_overflow(t, ns, &t))
		return ns < 0 ? INT64_MIN : INT64_MAX;
	return t;
}

static int64_t get_time(const uint8_t *p)
{
	return time_ns((int64_t)get_be(p, 8), (int64_t)get_be(p + 8, 8));
}

void ixent_unpack(struct ixent *e, const uint8_t *p)
{
	e->dev = get_be(p, 8);
	e->ino = get_be(p + 8, 8);
	e->nlink = get_be(p + 16, 8);
	e->ctime = get_time(p + 24);
	e->mtime = get_time(p + 40);
	e->atime = get_time(p + 56);
	e->size = get_be(p + 72, 8);
	e->mode = (uint32_t)get_be(p + 80, 4);
	e->gitmode = (uint32_t)get_be(p + 84, 4);
	memcpy(e->sha, p + 88, 20);
	e->flags = (uint16_t)get_be(p + 108, 2);
	e->children_ofs = get_be(p + 110, 8);
	e->children_n = (uint32_t)get_be(p + 118, 4);
	e->meta_ofs = get_be(p + 122, 8);
}

void ixent_pack(const struct ixent *e, uint8_t *p)
{
	put_be(p, e->dev, 8);
	put_be(p + 8, e->ino, 8);
	put_be(p + 16, e->nlink, 8);
	put_time(p + 24, e->ctime);
	put_time(p + 40, e->mtime);
	put_time(p + 56, e->atime);
	put_be(p + 72, e->size, 8);
	put_be(p + 80, e->mode, 4);
	put_be(p + 84, e->gitmode, 4);
	memcpy(p + 88, e->sha, 20);
	put_be(p + 108, e->flags, 2);
	put_be(p + 110, e->children_ofs, 8);
	put_be(p + 118, e->children_n, 4);
	put_be(p + 122, e->meta_ofs, 8);
}

int ixent_sha_empty(const struct ixent *e)
{
	return !memcmp(e->sha, ix_empty_sha, 20);
}

static int64_t st_ns(const struct timespec *t)
{
	return time_ns((int64_t)t->tv_sec, (int64_t)t->tv_nsec);
}

int ixent_stale(const struct ixent *e, const struct stat *st, int check_device)
{
	if (e->size != (uint64_t)st->st_size)
		return 1;
	if (e->mtime != st_ns(&st->st_mtim))
		return 1;
	if (ixent_sha_empty(e) || !e->gitmode)
		return 1;
	if (e->ctime != st_ns(&st->st_ctim))
		return 1;
	if (e->ino != (uint64_t)st->st_ino || e->nlink != (uint64_t)st->st_nlink)
		return 1;
	if (!(e->flags & IX_EXISTS))
		return 1;
	if (check_device && e->dev != (uint64_t)st->st_dev)
		return 1;
	return 0;
}

void ixent_update_from_stat(struct ixent *e, const struct stat *st,
			    uint64_t meta_ofs)
{
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->nlink = st->st_nlink;
	e->ctime = st_ns(&st->st_ctim);
	e->mtime = st_ns(&st->st_mtim);
	e->atime = st_ns(&st->st_atim);
	e->size = st->st_size;
	e->mode = st->st_mode;
	e->flags |= IX_EXISTS;
	e->meta_ofs = meta_ofs;
}

void ixent_validate(struct ixent *e, uint32_t gitmode, const uint8_t sha[20])
{
	e->gitmode = gitmode;
	memcpy(e->sha, sha, 20);
	e->flags |= IX_HASHVALID | IX_EXISTS;
}

void ixent_set_deleted(struct ixent *e)
{
	if (e->flags & IX_EXISTS)
		e->flags &= ~(IX_EXISTS | IX_HASHVALID);
}

int bytescmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

/* ---- reading ---- */

static int corrupt(struct bupindex *ix, const char *what)
{
	error("index file '%s' is corrupt (%s); "
	      "'bup index --clear' removes it", ix->filename, what);
	return -1;
}

static int find_sorted(const size_t *a, size_t n, size_t v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] == v)
			return (int)mid;
		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* One pass over the whole file: names and entries in bounds, the
 * layout ends at the footer with the root, children before parents. */
/*
 * Drop the pages of the map below `upto` (rounded down) once 8 MiB have
 * been passed: reading a huge index through then costs little resident
 * memory.  The pages stay in the page cache.
 */
static void drop_behind(struct bupindex *ix, size_t *dropped, size_t upto)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t end = upto / pg * pg;

	if (end >= *dropped + (8u << 20)) {
		madvise(ix->map + *dropped, end - *dropped, MADV_DONTNEED);
		*dropped = end;
	}
}

static int validate(struct bupindex *ix)
{
	size_t dropped = 0;
	size_t end = ix->size - IX_FOOTLEN, ofs = IX_HDRLEN, n = 0, alloc = 0;
	size_t *starts = NULL, last_name = 0;
	int ret = 0;

	if (ix->size < IX_HDRLEN + IX_FOOTLEN)
		return corrupt(ix, "truncated");
	while (ofs < end) {
		const uint8_t *eon = memchr(ix->map + ofs, 0, end - ofs);
		if (!eon || eon == ix->map + ofs ||
		    (size_t)(eon - ix->map) + 1 + IX_ENTLEN > end) {
			ret = corrupt(ix, "truncated or bad entry");
			goto out;
		}
		ALLOC_GROW(starts, n + 1, alloc);
		starts[n++] = ofs;
		last_name = ofs;
		ofs = (size_t)(eon - ix->map) + 1 + IX_ENTLEN;
		drop_behind(ix, &dropped, ofs);
	}
	dropped = 0;
	if (n != ix->count) {
		ret = corrupt(ix, "entry count does not match");
		goto out;
	}
	if (n && (ix->map[last_name] != '/' || ix->map[last_name + 1])) {
		ret = corrupt(ix, "the root is not last");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct ixent e;
		const uint8_t *eon = memchr(ix->map + starts[i], 0, end - starts[i]);
		int at;
		ixent_unpack(&e, eon + 1);
		drop_behind(ix, &dropped, starts[i]);
		if (!e.children_n)
			continue;
		at = e.children_ofs > end ? -1 : find_sorted(starts, n, e.children_ofs);
		if (at < 0 || (size_t)at + e.children_n > i) {
			ret = corrupt(ix, "bad children link");
			goto out;
		}
	}
out:
	free(starts);
	madvise(ix->map, ix->size, MADV_DONTNEED);
	return ret;
}

int bupindex_open(struct bupindex *ix, const char *filename)
{
	uint8_t hdr[IX_HDRLEN];
	struct stat st;
	ssize_t n;

	memset(ix, 0, sizeof(*ix));
	ix->filename = xstrdup(filename);
	ix->fd = open(filename, O_RDWR | O_CLOEXEC);
	if (ix->fd < 0 && (errno == EACCES || errno == EROFS))
		ix->fd = open(filename, O_RDONLY | O_CLOEXEC);
	else
		ix->writable = 1;
	if (ix->fd < 0) {
		ix->writable = 0;
		if (errno == ENOENT)
			return 0;
		return error_errno("cannot open index file '%s'", filename);
	}
	n = read_in_full(ix->fd, hdr, sizeof(hdr));
	if (n < 0)
		return error_errno("cannot read index file '%s'", filename);
	if (n != IX_HDRLEN || memcmp(hdr, IX_HDR, IX_HDRLEN)) {
		struct buf got = BUF_INIT;
		for (ssize_t i = 0; i < n; i++) {
			if (hdr[i] >= 0x20 && hdr[i] < 0x7f && hdr[i] != '\\' && hdr[i] != '\'')
				buf_addch(&got, hdr[i]);
			else
				buf_addf(&got, "\\x%02x", hdr[i]);
		}
		logmsg("warning: %s: header: expected b'BUPI\\x00\\x00\\x00\\x07', got b'%s'\n",
		       filename, got.data);
		buf_release(&got);
		return 0;
	}
	if (fstat(ix->fd, &st) < 0)
		return error_errno("cannot stat index file '%s'", filename);
	ix->size = (size_t)st.st_size;
	if (ix->size < IX_HDRLEN + IX_FOOTLEN)
		return corrupt(ix, "truncated");
	ix->map = mmap(NULL, ix->size, PROT_READ | (ix->writable ? PROT_WRITE : 0),
		       MAP_SHARED, ix->fd, 0);
	if (ix->map == MAP_FAILED) {
		ix->map = NULL;
		return error_errno("cannot map index file '%s'", filename);
	}
	ix->count = get_be(ix->map + ix->size - IX_FOOTLEN, 8);
	if (validate(ix) < 0) {
		munmap(ix->map, ix->size);
		ix->map = NULL;
		return -1;
	}
	return 0;
}

int bupindex_sync(struct bupindex *ix)
{
	if (ix->map && ix->writable && msync(ix->map, ix->size, MS_SYNC) < 0)
		return error_errno("cannot write index file '%s'", ix->filename);
	return 0;
}

void bupindex_close(struct bupindex *ix)
{
	/*
	 * No msync: the edits reach the file after munmap all the same, and
	 * where they must be durable the caller has called bupindex_sync()
	 * and reported its failure; a second report here would come after
	 * the command had decided its outcome.
	 */
	if (ix->map)
		munmap(ix->map, ix->size);
	if (ix->fd >= 0)
		close(ix->fd);
	free(ix->filename);
	memset(ix, 0, sizeof(*ix));
	ix->fd = -1;
}

void ixlist_release(struct ixlist *l)
{
	free(l->items);
	free(l->nodes);
	buf_release(&l->names);
	memset(l, 0, sizeof(*l));
	buf_init(&l->names, 0);
}

static void list_add(struct ixlist *l, size_t ofs, const char *name,
		     size_t len, long node)
{
	struct ixitem *it;
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	it = &l->items[l->nr++];
	it->ofs = ofs;
	it->name_ofs = l->names.len;
	it->name_len = len;
	it->node = node;
	buf_add(&l->names, name, len);
	buf_addch(&l->names, 0);
}

static long node_add(struct ixlist *l, size_t ofs, long parent)
{
	ALLOC_GROW(l->nodes, l->nr_nodes + 1, l->alloc_nodes);
	l->nodes[l->nr_nodes].ofs = ofs;
	l->nodes[l->nr_nodes].parent = parent;
	return (long)l->nr_nodes++;
}

static int starts_with(const char *s, size_t slen, const char *p, size_t plen)
{
	return slen >= plen && !memcmp(s, p, plen);
}

/*
 * bup's Reader.iter as a list: the cursor's walk, with each entry's
 * ancestors recorded as nodes (shared by siblings) for bupindex_repack().
 */
void bupindex_iter(const struct bupindex *ix, const char *name,
		   struct ixlist *out)
{
	struct ixwalk c;
	long *dnode = NULL;		/* node of the frame at each depth */
	size_t *dofs = NULL, dalloc = 0, have = 0;

	ixwalk_start(&c, (struct bupindex *)ix, name, NULL, NULL);
	while (ixwalk_next(&c)) {
		long parent = -1, node;
		size_t d;
		if (c.depth + 1 > have) {
			ALLOC_GROW(dnode, c.depth + 1, dalloc);
			dofs = xrealloc(dofs, dalloc * sizeof(*dofs));
			while (have < dalloc)
				dofs[have++] = SIZE_MAX;
		}
		for (d = 0; d < c.depth; d++) {
			if (dofs[d] != c.stack[d].entofs) {
				dnode[d] = node_add(out, c.stack[d].entofs, parent);
				dofs[d] = c.stack[d].entofs;
			}
			parent = dnode[d];
		}
		/* a directory comes after its children: its node exists */
		if (dofs[d] == c.ofs) {
			node = dnode[d];
		} else {
			node = node_add(out, c.ofs, parent);
			dnode[d] = node;
			dofs[d] = c.ofs;
		}
		list_add(out, c.ofs, c.path.data, c.path.len, node);
	}
	free(dnode);
	free(dofs);
	ixwalk_release(&c);
}


void bupindex_forward(const struct bupindex *ix, struct ixlist *out)
{
	size_t ofs = IX_HDRLEN;
	if (!ix->map)
		return;
	while (ofs + IX_ENTLEN <= ix->size - IX_FOOTLEN) {
		const char *base = (const char *)ix->map + ofs;
		size_t blen = strlen(base);
		list_add(out, ofs + blen + 1, base, blen, -1);
		ofs += blen + 1 + IX_ENTLEN;
	}
}

void bupindex_entry_load(const struct bupindex *ix, size_t ofs, struct ixent *e)
{
	ixent_unpack(e, ix->map + ofs);
}

void bupindex_entry_store(struct bupindex *ix, size_t ofs, const struct ixent *e)
{
	if (!ix->writable)
		die("index file '%s' is read-only", ix->filename);
	ixent_pack(e, ix->map + ofs);
}

void bupindex_repack(struct bupindex *ix, const struct ixlist *l, size_t i,
		     const struct ixent *e)
{
	long node = l->items[i].node;
	struct ixent pe;
	int valid = ixent_valid(e);

	bupindex_entry_store(ix, l->items[i].ofs, e);
	while (node >= 0 && !valid && l->nodes[node].parent >= 0) {
		node = l->nodes[node].parent;
		bupindex_entry_load(ix, l->nodes[node].ofs, &pe);
		pe.flags &= ~IX_HASHVALID;
		bupindex_entry_store(ix, l->nodes[node].ofs, &pe);
		valid = 0;
	}
}

int bupindex_check(const struct bupindex *ix, int verbose)
{
	struct ixlist l = IXLIST_INIT;
	size_t nseen = 0, aseen = 0, *seen = NULL;
	int ret = 0;

	logmsg("check: checking forward iteration...\n");
	bupindex_forward(ix, &l);
	for (size_t i = 0; i < l.nr; i++) {
		struct ixent e;
		const char *name = ixlist_name(&l, i);
		bupindex_entry_load(ix, l.items[i].ofs, &e);
		if (e.children_n) {
			if (verbose)
				logmsg("%08llx+%-4u '%s'\n",
				       (unsigned long long)e.children_ofs,
				       e.children_n, name);
			if (!e.children_ofs || name[strlen(name) - 1] != '/')
				goto bad;
			for (size_t j = 0; j < nseen; j++)
				if (seen[j] == e.children_ofs)
					goto bad;
			ALLOC_GROW(seen, nseen + 1, aseen);
			seen[nseen++] = e.children_ofs;
		}
		if ((e.flags & IX_HASHVALID) && (ixent_sha_empty(&e) || !e.gitmode))
			goto bad;
		if (i + 1 == l.nr && strcmp(name, "/"))
			goto bad;
		continue;
bad:
		logmsg("index error! at '%s'\n", name);
		ret = -1;
		goto out;
	}
	ixlist_release(&l);
	logmsg("check: checking normal iteration...\n");
	bupindex_iter(ix, NULL, &l);
	for (size_t i = 1; i < l.nr; i++) {
		if (bytescmp(ixlist_name(&l, i - 1), l.items[i - 1].name_len,
			     ixlist_name(&l, i), l.items[i].name_len) <= 0) {
			logmsg("index error! at '%s'\n", ixlist_name(&l, i));
			ret = -1;
			goto out;
		}
	}
	logmsg("check: passed.\n");
out:
	free(seen);
	ixlist_release(&l);
	return ret;
}

/* ---- writing ---- */

struct ixwriter_level {
	struct buf ename;	/* the level's full path ("" is the top) */
	struct buf list;	/* pending "basename\0entry" records */
	uint32_t n;
	uint64_t count;
};

static void out_add(struct bupindex_writer *w, const void *p, size_t n)
{
	buf_add(&w->out, p, n);
	w->ofs += n;
	if (w->out.len >= 65536) {
		if (write_in_full(w->af.fd, w->out.data, w->out.len) < 0)
			die_errno("cannot write '%s'", w->af.tmp.data);
		buf_reset(&w->out);
	}
}

int bupindex_writer_open(struct bupindex_writer *w, const char *filename,
			 struct metastore *ms, int64_t tmax)
{
	char *target = resolve_parent(filename);
	int r;

	memset(w, 0, sizeof(*w));
	buf_init(&w->out, 0);
	buf_init(&w->last, 0);
	{
		/* index temporaries of killed runs go first */
		char *dir = xstrdup(target), *slash = strrchr(dir, '/');
		if (slash) {
			*slash = 0;
			atomic_file_remove_stale(*dir ? dir : "/");
		} else {
			atomic_file_remove_stale(".");
		}
		free(dir);
	}
	r = atomic_file_open(&w->af, target);
	if (r < 0) {
		error_errno("cannot create a temporary file beside '%s'", target);
		free(target);
		return -1;
	}
	free(target);
	w->ms = ms;
	w->tmax = tmax;
	ALLOC_GROW(w->levels, 1, w->alloc_levels);
	memset(&w->levels[0], 0, sizeof(w->levels[0]));
	buf_init(&w->levels[0].ename, 0);
	buf_init(&w->levels[0].list, 0);
	w->nr_levels = 1;
	out_add(w, IX_HDR, IX_HDRLEN);
	return 0;
}

/* Level.write: the pending children; their offset and number. */
static void level_write(struct bupindex_writer *w, struct ixwriter_level *lv,
			struct ixwriter_level *parent, uint64_t *ofs, uint32_t *n)
{
	*ofs = w->ofs;
	*n = lv->n;
	if (lv->n) {
		out_add(w, lv->list.data, lv->list.len);
		if (parent)
			parent->count += lv->n + lv->count;
	}
}

static void level_append(struct ixwriter_level *lv, const char *base,
			 size_t blen, const struct ixent *e)
{
	uint8_t p[IX_ENTLEN];
	ixent_pack(e, p);
	buf_add(&lv->list, base, blen);
	buf_addch(&lv->list, 0);
	buf_add(&lv->list, p, IX_ENTLEN);
	lv->n++;
}

static void level_pop(struct bupindex_writer *w)
{
	struct ixwriter_level *lv = &w->levels[--w->nr_levels];
	buf_release(&lv->ename);
	buf_release(&lv->list);
}

static void blank_entry(struct ixent *e, uint64_t meta_ofs)
{
	memset(e, 0, sizeof(*e));
	e->meta_ofs = meta_ofs;
}

/* The last component of a level's path ("a/" of "/x/a/", "/" of "/"). */
static const char *last_component(const struct buf *ename, size_t *len)
{
	size_t end = ename->len, i;
	if (end == 1)
		i = 0;
	else {
		i = end - 1;	/* the trailing '/' */
		while (i > 0 && ename->data[i - 1] != '/')
			i--;
	}
	*len = end - i;
	return ename->data + i;
}

/* _golevel: close levels not on `name`'s path, open those that are,
 * then write `e` (or a blank) with its children. */
static void golevel(struct bupindex_writer *w, const char *name, size_t nlen,
		    const struct ixent *newentry)
{
	uint64_t dflt = metastore_store_empty(w->ms);
	struct ixwriter_level *lv = &w->levels[w->nr_levels - 1];
	struct ixent n;
	size_t blen;
	const char *base;

	while (!starts_with(name, nlen, lv->ename.data, lv->ename.len)) {
		blank_entry(&n, dflt);
		n.flags |= IX_EXISTS;
		level_write(w, lv, lv - 1, &n.children_ofs, &n.children_n);
		base = last_component(&lv->ename, &blen);
		level_append(lv - 1, base, blen, &n);
		level_pop(w);
		lv = &w->levels[w->nr_levels - 1];
	}
	while (lv->ename.len < nlen) {
		size_t next = lv->ename.len;
		struct ixwriter_level *nl;
		const char *slash = memchr(name + next, '/', nlen - next);
		next = slash ? (size_t)(slash - name) + 1 : nlen;
		ALLOC_GROW(w->levels, w->nr_levels + 1, w->alloc_levels);
		nl = &w->levels[w->nr_levels++];
		memset(nl, 0, sizeof(*nl));
		buf_init(&nl->ename, 0);
		buf_init(&nl->list, 0);
		buf_add(&nl->ename, name, next);
		lv = nl;
	}
	if (newentry)
		n = *newentry;
	else
		blank_entry(&n, dflt);
	if (w->nr_levels > 1) {
		level_write(w, lv, lv - 1, &n.children_ofs, &n.children_n);
		base = last_component(&lv->ename, &blen);
		if (lv->ename.data[lv->ename.len - 1] != '/') {
			/* a leaf: its basename follows the last '/' */
			const char *s = memrchr(lv->ename.data, '/', lv->ename.len);
			base = s + 1;
			blen = lv->ename.len - (size_t)(s + 1 - lv->ename.data);
		}
		level_append(lv - 1, base, blen, &n);
		level_pop(w);
	} else {
		/* the top level: only written by flush */
		level_write(w, lv, NULL, &n.children_ofs, &n.children_n);
		w->count = lv->count ? lv->count + 1 : 0;
		level_pop(w);
	}
}

static void writer_add(struct bupindex_writer *w, const char *name,
		       size_t nlen, const struct ixent *e)
{
	if (w->last.len && bytescmp(w->last.data, w->last.len, name, nlen) <= 0)
		BUG("index entry '%s' must come before '%s'", name, w->last.data);
	buf_reset(&w->last);
	buf_add(&w->last, name, nlen);
	golevel(w, name, nlen, e);
}

static int64_t fixup_time(int64_t t, int64_t tmax)
{
	return t > tmax ? tmax : t;
}

void bupindex_writer_add(struct bupindex_writer *w, const char *name,
			 const struct stat *st, uint64_t meta_ofs, int fake)
{
	struct ixent e;
	memset(&e, 0, sizeof(e));
	if (st) {
		ixent_update_from_stat(&e, st, meta_ofs);
		e.flags = 0;
		e.mtime = fixup_time(e.mtime, w->tmax);
		e.ctime = fixup_time(e.ctime, w->tmax);
	} else {
		e.meta_ofs = metastore_store_empty(w->ms);
	}
	e.flags = IX_EXISTS;
	if (fake) {
		e.gitmode = 0100644;
		memcpy(e.sha, ix_fake_sha, 20);
		e.flags |= IX_HASHVALID;
	}
	writer_add(w, name, strlen(name), &e);
}

void bupindex_writer_add_ixentry(struct bupindex_writer *w, const char *name,
				 size_t name_len, const struct ixent *e)
{
	struct ixent c = *e;
	c.children_ofs = 0;
	c.children_n = 0;
	writer_add(w, name, name_len, &c);
}

int bupindex_writer_flush(struct bupindex_writer *w)
{
	uint8_t foot[8];
	if (w->flushed)
		return 0;
	if (w->nr_levels)
		golevel(w, "", 0, NULL);	/* sets w->count */
	put_be(foot, w->count, 8);
	out_add(w, foot, 8);
	if (write_in_full(w->af.fd, w->out.data, w->out.len) < 0)
		return error_errno("cannot write '%s'", w->af.tmp.data);
	buf_reset(&w->out);
	w->flushed = 1;
	return 0;
}

int bupindex_writer_commit(struct bupindex_writer *w)
{
	int ret = bupindex_writer_flush(w);
	char *target = xstrdup(w->af.target);

	/* the entries point into the metadata file: it goes first */
	if (!ret && w->ms && metastore_sync(w->ms) < 0)
		ret = -1;
	/* the commit removes the temporary file itself if it fails */
	if (ret)
		atomic_file_abort(&w->af);
	else if (atomic_file_commit(&w->af) < 0)
		ret = error_errno("cannot replace '%s'", target);
	free(target);
	bupindex_writer_abort(w);
	return ret;
}

void bupindex_writer_abort(struct bupindex_writer *w)
{
	if (w->af.fd >= 0 && w->af.target)
		atomic_file_abort(&w->af);
	while (w->nr_levels)
		level_pop(w);
	free(w->levels);
	w->levels = NULL;
	w->alloc_levels = 0;
	buf_release(&w->out);
	buf_release(&w->last);
}

/* ---- merge ---- */

/* Entry._cmp for the heap: smaller comes out first. */
static int merge_cmp(const char *an, size_t al, const struct ixent *a,
		     const char *bn, size_t bl, const struct ixent *b)
{
	int c = bytescmp(bn, bl, an, al);
	if (c)
		return c;
	c = ixent_valid(a) - ixent_valid(b);
	if (c)
		return c;
	return ixent_fake(a) - ixent_fake(b);
}

void bupindex_merge(struct bupindex *a, struct bupindex *b,
		    struct bupindex_writer *w)
{
	struct ixwalk ca, cb;
	struct buf prev = BUF_INIT;
	int have_a, have_b, have_prev = 0;

	ixwalk_start(&ca, a, NULL, NULL, NULL);
	ixwalk_start(&cb, b, NULL, NULL, NULL);
	have_a = ixwalk_next(&ca);
	have_b = ixwalk_next(&cb);
	while (have_a || have_b) {
		struct ixent ea, eb;
		struct ixwalk *c;
		int take_a;

		if (have_a)
			bupindex_entry_load(a, ca.ofs, &ea);
		if (have_b)
			bupindex_entry_load(b, cb.ofs, &eb);
		if (!have_a)
			take_a = 0;
		else if (!have_b)
			take_a = 1;
		else
			take_a = merge_cmp(ca.path.data, ca.path.len, &ea,
					   cb.path.data, cb.path.len, &eb) <= 0;
		c = take_a ? &ca : &cb;
		if (!have_prev || prev.len != c->path.len ||
		    memcmp(prev.data, c->path.data, prev.len)) {
			bupindex_writer_add_ixentry(w, c->path.data, c->path.len,
						    take_a ? &ea : &eb);
			buf_reset(&prev);
			buf_add(&prev, c->path.data, c->path.len);
			have_prev = 1;
		}
		if (take_a)
			have_a = ixwalk_next(&ca);
		else
			have_b = ixwalk_next(&cb);
	}
	ixwalk_release(&ca);
	ixwalk_release(&cb);
	buf_release(&prev);
}

/* ---- paths ---- */

static char *slashappend_or_error(const char *p, int *errors, const char *caller)
{
	struct stat st;
	char *rp = resolve_parent(p);
	if (lstat(rp, &st) < 0) {
		/* bup's add_error(): Python's words, padded to 70 columns */
		struct buf msg = BUF_INIT;
		int err = errno;
		buf_addf(&msg, "%s: [Errno %d] %s: ", caller, err, strerror(err));
		py_repr_bytes(&msg, rp, strlen(rp));
		logmsg("%-70s\n", msg.data);
		buf_release(&msg);
		free(rp);
		(*errors)++;
		return NULL;
	}
	if (S_ISDIR(st.st_mode) && rp[0] && rp[strlen(rp) - 1] != '/') {
		size_t n = strlen(rp);
		rp = xrealloc(rp, n + 2);
		rp[n] = '/';
		rp[n + 1] = 0;
	}
	return rp;
}

struct rp_pair {
	char *rp, *p;
};

static int cmp_pair(const void *x, const void *y)
{
	const struct rp_pair *a = x, *b = y;
	int c = bytescmp(a->rp, strlen(a->rp), b->rp, strlen(b->rp));
	return c ? c : bytescmp(a->p, strlen(a->p), b->p, strlen(b->p));
}

void reduce_paths(char **paths, int n, struct strlist *rps,
		  struct strlist *shown, int *errors)
{
	reduce_paths_caller(paths, n, rps, shown, errors, "reduce_paths");
}

void reduce_paths_caller(char **paths, int n, struct strlist *rps,
			 struct strlist *shown, int *errors, const char *caller)
{
	struct rp_pair *x = xcalloc(n ? n : 1, sizeof(*x));
	int nx = 0;
	const char *prev = NULL;
	struct rp_pair *keep = xcalloc(n ? n : 1, sizeof(*keep));
	int nk = 0;

	for (int i = 0; i < n; i++) {
		char *rp = slashappend_or_error(paths[i], errors, caller);
		size_t pl = strlen(paths[i]);
		if (!rp)
			continue;
		x[nx].rp = rp;
		if (rp[strlen(rp) - 1] == '/' && pl && paths[i][pl - 1] != '/') {
			x[nx].p = xmalloc(pl + 2);
			memcpy(x[nx].p, paths[i], pl);
			x[nx].p[pl] = '/';
			x[nx].p[pl + 1] = 0;
		} else {
			x[nx].p = xstrdup(paths[i]);
		}
		nx++;
	}
	QSORT(x, nx, cmp_pair);
	for (int i = 0; i < nx; i++) {
		size_t pl = prev ? strlen(prev) : 0;
		if (prev && (!strcmp(prev, x[i].rp) ||
			     (prev[pl - 1] == '/' && !strncmp(x[i].rp, prev, pl)))) {
			free(x[i].rp);
			free(x[i].p);
			continue;
		}
		keep[nk++] = x[i];
		prev = x[i].rp;
	}
	/* reverse sort */
	for (int i = nk - 1; i >= 0; i--) {
		strlist_add_owned(rps, keep[i].rp);
		strlist_add_owned(shown, keep[i].p);
	}
	free(x);
	free(keep);
}
