/*
 * bup save: store the indexed paths as a tree (and commit) in the
 * repository (FORMATS-2 §1, §3.7).
 *
 * The index is walked lazily (lib/ixwalk.h), so memory holds only the
 * directories still open (lib/savetree.h).  Entries the index says are
 * saved, whose objects the repository has, are reused without reading
 * the filesystem; everything else is read fresh, stored, and its index
 * entry validated in place.  File contents are read, split and hashed
 * ahead of the walk on a second thread (lib/savereader.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/bupindex.h"
#include "lib/commit.h"
#include "lib/drecurse.h"
#include "lib/hashsplit.h"
#include "lib/hlinkdb.h"
#include "lib/ixwalk.h"
#include "lib/metadata.h"
#include "lib/options.h"
#include "lib/packwriter.h"
#include "lib/pyrepr.h"
#include "lib/progress.h"
#include "lib/repo.h"
#include "lib/savereader.h"
#include "lib/savetree.h"
#include "lib/splittree.h"
#include "lib/tree.h"
#include "lib/usage.h"
#include "lib/xio.h"

static const char save_usage[] =
"bup save [-tc] [-n name] <filenames...>\n"
"--\n"
"r,remote=  hostname:/path/to/repo of remote repository\n"
"t,tree     output a tree id\n"
"c,commit   output a commit id\n"
"n,name=    name of backup set to update (if any)\n"
"d,date=    date for the commit (seconds since the epoch)\n"
"v,verbose  increase log output (can be used more than once)\n"
"q,quiet    don't show progress meter\n"
"smaller=   only back up files smaller than n bytes\n"
"bwlimit=   maximum bytes/sec to transmit to server\n"
"f,indexfile=  the name of the index file (normally BUP_DIR/bupindex)\n"
"strip      strips the path to every filename given\n"
"strip-path= path-prefix to be stripped when saving\n"
"graft=     a graft point *old_path*=*new_path* (can be used more than once)\n"
"#,compress=  set compression level to # (0-9, 9 is highest) [1]\n";

/* One archive path component: its name and filesystem path (or none). */
struct comp {
	char *name;
	char *fs;		/* NULL: a directory --graft invents */
};

struct comps {
	struct comp *v;
	size_t nr, alloc;
};

struct graft {
	char *old, *new;	/* normpath'd resolve_parent of each side */
};

struct save {
	struct packwriter *pw;
	struct bupindex ix;
	/*
	 * The reader thread's plan walks the mapped index while the walk
	 * here rewrites entries in it (a directory just after its last
	 * file, when the plan may be on it; the ancestors of an entry
	 * left invalid): one at a time.
	 */
	pthread_mutex_t ix_lock;
	struct hlinkdb hl;
	const uint8_t *meta_map;	/* bupindex.meta */
	const char *meta_name;
	size_t meta_len;
	struct savetree tree;
	struct savereader *reader;
	/* pieces whose chunks the pack writer reads in place (see hold_piece) */
	struct sr_piece **held;
	size_t nr_held, alloc_held, held_bytes;

	int verbose, progress, strip;
	const char *strip_path;
	struct graft *grafts;
	size_t nr_grafts, alloc_grafts;
	char **sources;		/* as given, for --strip */
	int nr_sources;
	int64_t smaller;

	int errors;
	struct buf lastskip;	/* bup's lastskip_name */
	int have_lastskip;
	struct comp first_root;
	int have_first_root, root_collision;
	struct buf lastdir;

	/* progress */
	uint64_t total, count, subcount;
	uint64_t ftotal, fcount;
	double tstart, lastremain;
	int have_lastremain;
	double last_prog;
};

/* ---- errors ---- */

/* bup's add_error: the message padded to 70 columns, counted. */
static void add_error(struct save *s, const char *msg)
{
	logmsg("%-70s\n", msg);
	s->errors++;
}

static void add_oserror(struct save *s, int err, const char *path)
{
	struct buf m = BUF_INIT;
	py_oserror(&m, err, path);
	add_error(s, m.data);
	buf_release(&m);
}

static void set_lastskip(struct save *s, const char *name, size_t len)
{
	buf_reset(&s->lastskip);
	buf_add(&s->lastskip, name, len);
	s->have_lastskip = 1;
}

/* ---- path components (helpers.py) ---- */

static void comps_add(struct comps *c, const char *name, size_t nlen,
		      const char *fs, size_t flen)
{
	ALLOC_GROW(c->v, c->nr + 1, c->alloc);
	c->v[c->nr].name = xstrndup(name, nlen);
	c->v[c->nr].fs = fs ? xstrndup(fs, flen) : NULL;
	c->nr++;
}

static void comps_clear(struct comps *c)
{
	for (size_t i = 0; i < c->nr; i++) {
		free(c->v[i].name);
		free(c->v[i].fs);
	}
	c->nr = 0;
}

static int starts_with(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* path_components: [('', '/'), ('a', '/a'), ('b', '/a/b'), ...] */
static void path_components(struct comps *out, const char *path)
{
	char *norm = py_abspath(path);
	const char *p = norm + 1;

	comps_add(out, "", 0, "/", 1);
	if (strcmp(norm, "/")) {
		for (;;) {
			const char *slash = strchr(p, '/');
			size_t n = slash ? (size_t)(slash - p) : strlen(p);
			comps_add(out, p, n, norm, (size_t)(p - norm) + n);
			if (!slash)
				break;
			p = slash + 1;
		}
	}
	free(norm);
}

static size_t *sort_len_keys;
static int cmp_len_desc(const void *a, const void *b)
{
	size_t la = sort_len_keys[*(const int *)a];
	size_t lb = sort_len_keys[*(const int *)b];
	if (la != lb)
		return la > lb ? -1 : 1;
	return *(const int *)a - *(const int *)b;	/* sorted() is stable */
}

/* stripped_path_components: the longest matching prefix becomes the root. */
static void stripped_path_components(struct comps *out, const char *path,
				     char **prefixes, int n)
{
	char *norm = py_abspath(path);
	int *order = xcalloc(n ? (size_t)n : 1, sizeof(*order));
	size_t *lens = xcalloc(n ? (size_t)n : 1, sizeof(*lens));

	for (int i = 0; i < n; i++) {
		order[i] = i;
		lens[i] = strlen(prefixes[i]);
	}
	sort_len_keys = lens;
	QSORT(order, (size_t)n, cmp_len_desc);
	for (int k = 0; k < n; k++) {
		char *bp = py_abspath(prefixes[order[k]]);
		size_t bl = strlen(bp);
		if (strcmp(bp, "/") && !strncmp(norm, bp, bl)) {
			struct buf prefix = BUF_INIT;
			const char *p = norm + bl;
			buf_add(&prefix, norm, bl);
			for (;;) {
				const char *slash = strchr(p, '/');
				size_t len = slash ? (size_t)(slash - p) : strlen(p);
				if (len)
					buf_addch(&prefix, '/');
				buf_add(&prefix, p, len);
				comps_add(out, p, len, prefix.data, prefix.len);
				if (!slash)
					break;
				p = slash + 1;
			}
			buf_release(&prefix);
			free(bp);
			goto out;
		}
		free(bp);
	}
	path_components(out, path);
out:
	free(norm);
	free(order);
	free(lens);
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

/* grafted_path_components (helpers.py), step by step. */
static void grafted_path_components(struct comps *out, const struct graft *g,
				    size_t nr, const char *path)
{
	char *clean = py_abspath(path);

	for (size_t i = 0; i < nr; i++) {
		const char *old = g[i].old, *new = g[i].new;
		struct comps cc = { 0 };
		struct buf grafted = BUF_INIT;
		size_t strip_count, nparts, k, start;
		const char *p, *last;

		if (strncmp(clean, old, strlen(old)))
			continue;
		/* re.sub('^' + old, new, clean), then one leading '/' */
		buf_adds(&grafted, new);
		buf_adds(&grafted, clean + strlen(old));
		p = grafted.data;
		while (*p == '/')
			p++;
		{
			struct buf t = BUF_INIT;
			buf_addch(&t, '/');
			buf_adds(&t, p);
			buf_release(&grafted);
			grafted = t;
		}
		path_components(&cc, clean);
		strip_count = !strcmp(old, "/") ? 0 : count_char(old, '/');
		/* result_prefix: the first count('/') pieces of grafted split on '/' */
		nparts = count_char(new, '/');
		p = grafted.data;
		for (k = 0; k < nparts; k++) {
			const char *slash = strchr(p, '/');
			size_t len = slash ? (size_t)(slash - p) : strlen(p);
			comps_add(out, p, len, NULL, 0);
			if (!slash) {
				k++;
				break;
			}
			p = slash + 1;
		}
		start = out->nr;	/* the graft point's index */
		for (size_t j = strip_count; j < cc.nr; j++)
			comps_add(out, cc.v[j].name, strlen(cc.v[j].name),
				  cc.v[j].fs, cc.v[j].fs ? strlen(cc.v[j].fs) : 0);
		/* the graft point is named by the end of new */
		last = strrchr(new, '/');
		last = last ? last + 1 : new;
		if (start < out->nr) {
			free(out->v[start].name);
			free(out->v[start].fs);
			out->v[start].name = xstrdup(last);
			out->v[start].fs = strip_count < cc.nr && cc.v[strip_count].fs ?
				xstrdup(cc.v[strip_count].fs) : NULL;
		}
		if (!strcmp(new, "/") && out->nr) {
			free(out->v[0].name);
			free(out->v[0].fs);
			memmove(out->v, out->v + 1, (out->nr - 1) * sizeof(*out->v));
			out->nr--;
		}
		comps_clear(&cc);
		free(cc.v);
		buf_release(&grafted);
		free(clean);
		return;
	}
	path_components(out, clean);
	free(clean);
}

/* ---- metadata ---- */

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static void set_time(int64_t ns, int64_t *s, uint32_t *n)
{
	*s = floordiv(ns, 1000000000);
	*n = (uint32_t)(ns - *s * 1000000000);
}

/* metadata.from_path(path, normalized=True), encoded; -1 after add_error. */
static int fresh_meta(struct save *s, const char *path, const char *hlink,
		      struct metadata *m)
{
	struct buf why = BUF_INIT;
	int before = metadata_nr_errors;

	if (metadata_from_path(m, path, META_FOR_SAVE, &why) < 0) {
		int err = errno;
		s->errors += metadata_nr_errors - before;
		add_oserror(s, err ? err : EIO, path);
		buf_release(&why);
		return -1;
	}
	s->errors += metadata_nr_errors - before;
	if (hlink)
		buf_adds(&m->hardlink_target, hlink);
	buf_release(&why);
	return 0;
}

static const char *hardlink_target(struct save *s, const struct ixent *e)
{
	const struct strlist *paths;
	if (S_ISDIR(e->mode) || e->nlink <= 1)
		return NULL;
	paths = hlinkdb_node_paths(&s->hl, e->dev, e->ino);
	return paths && paths->nr ? paths->items[0] : NULL;
}

/* ---- the index walk ---- */

static int already_saved(struct save *s, const struct ixent *e)
{
	struct oid id;
	if (!ixent_valid(e))
		return 0;
	memcpy(id.hash, e->sha, OID_RAWSZ);
	return packwriter_exists(s->pw, &id);
}

static int sha_missing(const struct ixent *e)
{
	return (e->flags & IX_SHAMISSING) || !(e->flags & IX_HASHVALID);
}

static int want_pre(void *ctx, struct ixwalk *w, const struct ixent *e)
{
	return !already_saved(ctx, e);
}

static int want_during(void *ctx, struct ixwalk *w, const struct ixent *e)
{
	return !already_saved(ctx, e) || sha_missing(e);
}

/* ---- progress (bup's progress_report) ---- */

static void progress_report(struct save *s, uint64_t n, int force)
{
	double now, elapsed, remain, pct, kps;
	uint64_t cc;
	long hours, mins, secs;
	char remainstr[64] = "", kpsstr[64] = "";

	s->subcount += n;
	if (!s->progress)
		return;
	now = progress_now();
	if (!force && now - s->last_prog <= 0.1)
		return;
	s->last_prog = now;
	cc = s->count + s->subcount;
	pct = s->total ? cc * 100.0 / s->total : 0;
	elapsed = now - s->tstart;
	kps = elapsed ? floor(cc / 1024.0 / elapsed) : 0;
	{
		double frac = pow(10, (int)(log10(kps + 1) - 1));
		kps = floor(kps / frac) * frac;
	}
	remain = cc ? elapsed / cc * (double)(s->total - cc) : 0.0;
	if (s->have_lastremain && s->lastremain && remain > s->lastremain &&
	    (remain - s->lastremain) / s->lastremain < 0.05)
		remain = s->lastremain;
	else {
		s->lastremain = remain;
		s->have_lastremain = 1;
	}
	hours = (long)(remain / 3600);
	mins = (long)(remain / 60 - hours * 60);
	secs = (long)(remain - hours * 3600 - mins * 60);
	if (elapsed >= 30) {
		snprintf(kpsstr, sizeof(kpsstr), "%ldk/s", (long)kps);
		if (hours)
			snprintf(remainstr, sizeof(remainstr), "%ldh%ldm", hours, mins);
		else if (mins)
			snprintf(remainstr, sizeof(remainstr), "%ldm%ld", mins, secs);
		else
			snprintf(remainstr, sizeof(remainstr), "%lds", secs);
	}
	logmsg("Saving: %.2f%% (%llu/%lluk, %llu/%llu files) %s %s\r", pct,
	       (unsigned long long)(cc / 1024), (unsigned long long)(s->total / 1024),
	       (unsigned long long)s->fcount, (unsigned long long)s->ftotal,
	       remainstr, kpsstr);
}

static void prepass(struct save *s, struct strlist *rps)
{
	for (size_t i = 0; i < rps->nr; i++) {
		struct ixwalk w;
		ixwalk_start(&w, &s->ix, rps->items[i], want_pre, s);
		while (ixwalk_next(&w)) {
			struct ixent e;
			int hashvalid, missing;
			if (!(s->ftotal % 10024)) {
				double now = progress_now();
				if (now - s->last_prog > 0.1) {
					logmsg("Reading index: %llu\r",
					       (unsigned long long)s->ftotal);
					s->last_prog = now;
				}
			}
			bupindex_entry_load(&s->ix, w.ofs, &e);
			hashvalid = already_saved(s, &e);
			/* set_sha_missing(not hashvalid) */
			missing = !hashvalid;
			if (missing != !!sha_missing(&e)) {
				e.flags = (e.flags & ~IX_SHAMISSING) |
					  (missing ? IX_SHAMISSING : 0);
				ixwalk_repack(&w, &e);
			}
			if (!s->smaller || (int64_t)e.size < s->smaller)
				if ((e.flags & IX_EXISTS) && !hashvalid)
					s->total += e.size;
			s->ftotal++;
		}
		ixwalk_release(&w);
	}
	logmsg("Reading index: %llu, done.\n", (unsigned long long)s->ftotal);
	s->last_prog = 0;
}

/* ---- one entry ---- */

static void split_path(const char *name, size_t len, size_t *dlen,
		       const char **file, size_t *flen)
{
	/* os.path.split: head without trailing slashes (unless all slashes) */
	size_t i = len;
	while (i && name[i - 1] != '/')
		i--;
	*file = name + i;
	*flen = len - i;
	*dlen = i;
	while (*dlen > 1 && name[*dlen - 1] == '/')
		(*dlen)--;
}

static int comps_name_cmp(struct save *s, const struct comps *c)
{
	/* [x.name for x in stack] vs [x[0] for x in dirp], bytewise */
	size_t n = s->tree.depth < c->nr ? s->tree.depth : c->nr;
	for (size_t i = 0; i < n; i++) {
		const struct buf *a = &s->tree.stack[i].name;
		int r = bytescmp(a->data, a->len, c->v[i].name, strlen(c->v[i].name));
		if (r)
			return r;
	}
	return s->tree.depth < c->nr ? -1 : s->tree.depth > c->nr;
}

static void encode_meta(const struct metadata *m, struct buf *out)
{
	buf_reset(out);
	metadata_encode(m, out);
}

static void pop_dir(struct save *s, const struct oid *force,
		    const void *dmeta, size_t dlen, struct oid *out)
{
	int before = s->tree.errors;
	savetree_pop(&s->tree, force, dmeta, dlen, out);
	s->errors += s->tree.errors - before;
}

struct content {
	struct save *s;
	struct splittree st;
	uint64_t size;
	int done, err, open_failed;
};

/*
 * The pack writer compresses chunks straight from the pieces the reader
 * filled: they are freed together once about a block's worth is held,
 * after the writer returns them (a short wait for the last few chunks,
 * once per 8 MiB, instead of copying every byte).
 */
#define HELD_BYTES HASHSPLIT_READ_SIZE
#define HELD_PIECES 1024

static void release_held(struct save *s)
{
	if (!s->nr_held)
		return;
	packwriter_return_borrowed(s->pw);
	for (size_t i = 0; i < s->nr_held; i++)
		sr_piece_free(s->held[i]);
	s->nr_held = 0;
	s->held_bytes = 0;
}

static void hold_piece(struct save *s, struct sr_piece *p)
{
	ALLOC_GROW(s->held, s->nr_held + 1, s->alloc_held);
	s->held[s->nr_held++] = p;
	s->held_bytes += p->cap;
	if (s->held_bytes >= HELD_BYTES || s->nr_held >= HELD_PIECES)
		release_held(s);
}

static void take_piece(void *ctx, struct sr_piece *p)
{
	struct content *c = ctx;
	for (size_t i = 0; i < p->nr; i++) {
		const struct sr_chunk *k = &p->chunks[i];
		packwriter_add_borrowed(c->s->pw, OBJ_BLOB, p->data + k->ofs,
					k->len, &k->id);
		splittree_add(&c->st, &k->id, k->len, k->level);
		c->size += k->len;
		progress_report(c->s, k->len, 0);
	}
	if (p->last) {
		c->done = 1;
		c->err = p->err;
		c->open_failed = p->open_failed;
	}
	hold_piece(c->s, p);
}

/* Read and store a regular file's content; -1 after add_error. */
static int save_content(struct save *s, const char *path, uint32_t *mode,
			struct oid *id, int64_t *size)
{
	struct content c;
	struct sr_piece *p;
	uint64_t treesize;

	memset(&c, 0, sizeof(c));
	c.s = s;
	splittree_init(&c.st, s->pw);
	p = savereader_take(s->reader, path);
	if (p) {
		take_piece(&c, p);
		while (!c.done)
			take_piece(&c, savereader_next(s->reader));
	} else {
		savereader_read(path, take_piece, &c);
	}
	if (c.err) {
		struct buf msg = BUF_INIT;
		py_repr_bytes(&msg, path, strlen(path));
		buf_adds(&msg, ": ");
		if (c.open_failed)
			py_oserror(&msg, c.err, path);
		else
			buf_addf(&msg, "[Errno %d] %s", c.err, strerror(c.err));
		add_error(s, msg.data);
		buf_release(&msg);
		splittree_release(&c.st);
		return -1;
	}
	*mode = splittree_blob_or_tree(&c.st, id, &treesize);
	*size = (int64_t)c.size;
	splittree_release(&c.st);
	return 0;
}

/*
 * The index is mapped; pages the walk has passed count in our RSS until
 * dropped.  Dropping them is safe (edits are in the page cache) and a
 * page needed again is read back from the cache.
 */
static void drop_mapped_pages(struct save *s)
{
	if (s->ix.map)
		madvise(s->ix.map, s->ix.size, MADV_DONTNEED);
	if (s->meta_map && s->meta_len)
		madvise((void *)s->meta_map, s->meta_len, MADV_DONTNEED);
}

/* ixwalk_repack(), under ix_lock: the plan may be reading the entry. */
static void repack(struct save *s, struct ixwalk *w, const struct ixent *e)
{
	pthread_mutex_lock(&s->ix_lock);
	ixwalk_repack(w, e);
	pthread_mutex_unlock(&s->ix_lock);
}

static void process(struct save *s, struct ixwalk *w)
{
	const char *name = w->path.data, *file;
	size_t len = w->path.len, dlen, flen;
	struct ixent e;
	int exists, hashvalid, wasmissing;
	uint64_t oldsize;
	char *dir;
	struct comps dirp = { 0 };
	struct metadata m;
	struct buf enc = BUF_INIT;

	bupindex_entry_load(&s->ix, w->ofs, &e);
	split_path(name, len, &dlen, &file, &flen);
	dir = xstrndup(name, dlen);
	exists = !!(e.flags & IX_EXISTS);
	hashvalid = already_saved(s, &e);
	wasmissing = sha_missing(&e);
	oldsize = e.size;
	metadata_init(&m);

	if (s->verbose) {
		char status = !exists ? 'D' : !hashvalid ?
			(ixent_sha_empty(&e) ? 'A' : 'M') : ' ';
		if (s->verbose >= 2) {
			logmsg("%c %-70s\n", status, path_msg(name));
		} else if (!S_ISDIR(e.mode) &&
			   (s->lastdir.len != dlen ||
			    memcmp(s->lastdir.data, dir, dlen))) {
			if (!starts_with(s->lastdir.data, dir)) {
				struct buf d = BUF_INIT;
				buf_adds(&d, dir);
				if (!dlen || dir[dlen - 1] != '/')
					buf_addch(&d, '/');
				logmsg("%c %-70s\n", status, path_msg(d.data));
				buf_release(&d);
			}
			buf_reset(&s->lastdir);
			buf_adds(&s->lastdir, dir);
		}
	}
	progress_report(s, 0, 0);
	s->fcount++;
	if (!(s->fcount % 65536))
		drop_mapped_pages(s);

	if (!exists)
		goto out;
	if (s->smaller && (int64_t)e.size >= s->smaller) {
		if (!hashvalid) {
			if (s->verbose)
				logmsg("skipping large file \"%s\"\n", path_msg(name));
			set_lastskip(s, name, len);
		}
		goto out;
	}

	if (s->strip)
		stripped_path_components(&dirp, dir, s->sources, s->nr_sources);
	else if (s->strip_path)
		stripped_path_components(&dirp, dir, (char **)&s->strip_path, 1);
	else if (s->nr_grafts)
		grafted_path_components(&dirp, s->grafts, s->nr_grafts, dir);
	else
		path_components(&dirp, dir);

	if (!s->have_first_root) {
		s->first_root.name = xstrdup(dirp.v[0].name);
		s->first_root.fs = dirp.v[0].fs ? xstrdup(dirp.v[0].fs) : NULL;
		s->have_first_root = 1;
	} else if (strcmp(s->first_root.name, dirp.v[0].name) ||
		   !s->first_root.fs != !dirp.v[0].fs ||
		   (s->first_root.fs && strcmp(s->first_root.fs, dirp.v[0].fs))) {
		s->root_collision = 1;
	}

	while (comps_name_cmp(s, &dirp) > 0) {
		struct oid t;
		pop_dir(s, NULL, NULL, 0, &t);
	}
	for (size_t i = s->tree.depth; i < dirp.nr; i++) {
		struct metadata dm;
		metadata_init(&dm);
		struct stat st;
		if (dirp.v[i].fs && !flen && hashvalid && i + 1 == dirp.nr &&
		    i > 0) {
			/*
			 * A saved directory: its tree is reused and this
			 * metadata never used, so (unlike bup) only check
			 * that it is still there.
			 */
			if (lstat(dirp.v[i].fs, &st) < 0) {
				add_oserror(s, errno, dirp.v[i].fs);
				set_lastskip(s, dirp.v[i].name, strlen(dirp.v[i].name));
			}
		} else if (dirp.v[i].fs && fresh_meta(s, dirp.v[i].fs, NULL, &dm) < 0) {
			set_lastskip(s, dirp.v[i].name, strlen(dirp.v[i].name));
			metadata_release(&dm);
			metadata_init(&dm);
		}
		encode_meta(&dm, &enc);
		savetree_push(&s->tree, dirp.v[i].name, strlen(dirp.v[i].name),
			      enc.data, enc.len);
		metadata_release(&dm);
	}

	if (!flen) {
		struct oid tree, old;
		int saved;
		if (s->tree.depth == 1)
			goto out;	/* the top: keep the root open */
		saved = already_saved(s, &e);
		memcpy(old.hash, e.sha, OID_RAWSZ);
		pop_dir(s, saved ? &old : NULL, NULL, 0, &tree);
		if (!saved) {
			if (s->have_lastskip &&
			    starts_with(s->lastskip.data, name))
				e.flags &= ~IX_HASHVALID;
			else
				ixent_validate(&e, GIT_MODE_TREE, tree.hash);
			repack(s, w, &e);
		}
		if (exists && wasmissing)
			s->count += oldsize;
		goto out;
	}

	if (hashvalid) {
		struct oid id;
		size_t used;
		const char *hl;
		if (e.meta_ofs >= s->meta_len ||
		    metadata_decode(&m, s->meta_map + e.meta_ofs,
				    s->meta_len - e.meta_ofs, &used) < 0)
			die("index metadata in '%s' is corrupt at offset %llu",
			    s->meta_name, (unsigned long long)e.meta_ofs);
		hl = hardlink_target(s, &e);
		buf_reset(&m.hardlink_target);
		if (hl)
			buf_adds(&m.hardlink_target, hl);
		set_time(e.atime, &m.atime_s, &m.atime_ns);
		set_time(e.mtime, &m.mtime_s, &m.mtime_ns);
		set_time(e.ctime, &m.ctime_s, &m.ctime_ns);
		encode_meta(&m, &enc);
		memcpy(id.hash, e.sha, OID_RAWSZ);
		savetree_add(&s->tree, file, flen, e.mode, e.gitmode, &id,
			     enc.data, enc.len);
	} else {
		struct oid id;
		uint32_t mode;
		int have_id = 0;
		if (fresh_meta(s, name, hardlink_target(s, &e), &m) < 0) {
			set_lastskip(s, name, len);
			goto out;
		}
		if ((e.mode & S_IFMT) != (m.mode & S_IFMT)) {
			struct buf msg = BUF_INIT;
			buf_add_path_msg(&msg, name);
			buf_adds(&msg, ": mode changed since indexing, skipping.");
			add_error(s, msg.data);
			buf_release(&msg);
			set_lastskip(s, name, len);
			goto out;
		}
		if (S_ISREG(e.mode)) {
			int64_t size;
			if (save_content(s, name, &mode, &id, &size) < 0)
				set_lastskip(s, name, len);
			else {
				m.size = size;
				have_id = 1;
			}
		} else if (S_ISLNK(e.mode)) {
			mode = GIT_MODE_SYMLINK;
			packwriter_write(s->pw, OBJ_BLOB, m.symlink_target.data,
					 m.symlink_target.len, &id);
			have_id = 1;
		} else {
			mode = GIT_MODE_FILE;
			packwriter_write(s->pw, OBJ_BLOB, "", 0, &id);
			have_id = 1;
		}
		if (have_id) {
			ixent_validate(&e, mode, id.hash);
			repack(s, w, &e);
			encode_meta(&m, &enc);
			savetree_add(&s->tree, file, flen, e.mode, e.gitmode, &id,
				     enc.data, enc.len);
		}
	}
	if (exists && wasmissing) {
		s->count += oldsize;
		s->subcount = 0;
	}
out:
	comps_clear(&dirp);
	free(dirp.v);
	metadata_release(&m);
	buf_release(&enc);
	free(dir);
}

/*
 * The files the walk will read, in its order, for the reader thread.  It
 * must not use the pack writer (not thread-safe), so it takes every valid
 * entry as saved; a file it skips wrongly is read by the walk itself.
 */
static int want_plan(void *ctx, struct ixwalk *w, const struct ixent *e)
{
	return !ixent_valid(e) || (e->flags & IX_SHAMISSING);
}

struct plan {
	struct save *s;
	struct strlist *rps;
	size_t src;
	struct ixwalk w;
	int started;
};

static int plan_next(void *ctx, struct buf *path)
{
	struct plan *p = ctx;
	struct save *s = p->s;

	for (;;) {
		struct ixent e;
		int more;
		if (!p->started) {
			if (p->src >= p->rps->nr)
				return 0;
			ixwalk_start(&p->w, &s->ix, p->rps->items[p->src],
				     want_plan, s);
			p->started = 1;
		}
		pthread_mutex_lock(&s->ix_lock);
		more = ixwalk_next(&p->w);
		if (more)
			bupindex_entry_load(&s->ix, p->w.ofs, &e);
		pthread_mutex_unlock(&s->ix_lock);
		if (!more) {
			ixwalk_release(&p->w);
			p->started = 0;
			p->src++;
			continue;
		}
		if (!S_ISREG(e.mode) || !(e.flags & IX_EXISTS) ||
		    (s->smaller && (int64_t)e.size >= s->smaller) ||
		    ixent_valid(&e))
			continue;
		buf_reset(path);
		buf_add(path, p->w.path.data, p->w.path.len);
		return 1;
	}
}

static void parse_grafts(struct save *s, const struct options *o)
{
	const struct strlist *g = opt_values(o, "graft");
	for (size_t i = 0; g && i < g->nr; i++) {
		const char *v = g->items[i], *eq = strchr(v, '=');
		char *old, *new, *r;
		if (!eq || strchr(eq + 1, '='))
			opt_fatal(o, "a graft point must be of the form old_path=new_path");
		if (eq == v || !eq[1])
			opt_fatal(o, "a graft point cannot be empty");
		old = xstrndup(v, (size_t)(eq - v));
		r = resolve_parent(old);
		free(old);
		old = py_normpath(r);
		free(r);
		r = resolve_parent(eq + 1);
		new = py_normpath(r);
		free(r);
		ALLOC_GROW(s->grafts, s->nr_grafts + 1, s->alloc_grafts);
		s->grafts[s->nr_grafts].old = old;
		s->grafts[s->nr_grafts].new = new;
		s->nr_grafts++;
	}
}

static char *with_suffix(const char *a, const char *b)
{
	struct buf x = BUF_INIT;
	buf_adds(&x, a);
	buf_adds(&x, b);
	return buf_detach(&x, NULL);
}

static void argv_repr(struct buf *out, int argc, char **argv)
{
	buf_addch(out, '[');
	for (int i = 0; i < argc; i++) {
		struct buf r = BUF_INIT;
		if (i)
			buf_adds(out, ", ");
		py_repr_bytes(&r, argv[i], strlen(argv[i]));
		buf_add(out, r.data + 1, r.len - 1);	/* without the b */
		buf_release(&r);
	}
	buf_addch(out, ']');
}

int cmd_save(int argc, char **argv)
{
	struct options o;
	struct save s;
	struct repo repo;
	struct packwriter_opts pwo = PACKWRITER_OPTS_INIT;
	struct strlist rps = STRLIST_INIT, shown = STRLIST_INIT;
	struct plan plan;
	const char *name, *date, *indexfile_opt;
	char *indexfile, *metaname, *hlname, refname[1024], hex[OID_HEXSZ + 1];
	struct oid parent, tree, commit;
	int have_parent = 0, want_tree, want_commit, processed = 0;
	int64_t when;
	struct buf why = BUF_INIT;

	opt_parse(&o, save_usage, argc, argv);
	memset(&s, 0, sizeof(s));
	buf_init(&s.lastskip, 0);
	buf_init(&s.lastdir, 0);
	want_tree = opt_count(&o, "tree");
	want_commit = opt_count(&o, "commit");
	name = opt_str(&o, "name");
	if (name && !*name)
		name = NULL;
	if (!(want_tree || want_commit || name))
		opt_fatal(&o, "use one or more of -t, -c, -n");
	if (!o.nr_args)
		opt_fatal(&o, "no filenames given");
	date = opt_str(&o, "date");
	if (date && (!*date || !strcmp(date, "0")))
		date = NULL;
	if (date) {
		if (parse_date_secs(date, &when) < 0)
			opt_fatal(&o, "invalid date format (should be a float): '%s'", date);
	} else {
		when = (int64_t)time(NULL);
	}
	s.verbose = opt_count(&o, "verbose");
	s.progress = isatty(2) && !opt_count(&o, "quiet");
	s.smaller = opt_str(&o, "smaller") ? opt_size(&o, "smaller") : 0;
	s.strip = opt_count(&o, "strip");
	s.strip_path = opt_str(&o, "strip-path");
	if (s.strip_path && !*s.strip_path)
		s.strip_path = NULL;
	if (s.strip && s.strip_path)
		opt_fatal(&o, "--strip is incompatible with --strip-path");
	if (opt_values(&o, "graft") && opt_values(&o, "graft")->nr) {
		if (s.strip)
			opt_fatal(&o, "--strip is incompatible with --graft");
		if (s.strip_path)
			opt_fatal(&o, "--strip-path is incompatible with --graft");
		parse_grafts(&s, &o);
	}
	if (opt_str(&o, "remote"))
		opt_fatal(&o, "-r/--remote is not supported yet");
	if (opt_str(&o, "bwlimit"))
		opt_fatal(&o, "--bwlimit is not supported yet (it needs --remote)");
	if (name && !valid_save_name(name))
		opt_fatal(&o, "'%s' is not a valid branch name", path_msg(name));
	pwo.level = (int)opt_int(&o, "compress", 1);
	if (pwo.level < 0 || pwo.level > 9)
		opt_fatal(&o, "invalid compression level %d (want 0-9)", pwo.level);
	s.sources = o.args;
	s.nr_sources = o.nr_args;

	repo_open(&repo, NULL);
	s.pw = packwriter_new(&repo, &pwo);
	if (name) {
		int r;
		snprintf(refname, sizeof(refname), "refs/heads/%s", name);
		r = repo_read_ref(&repo, refname, &parent);
		if (r < 0)
			exit_after_error(EXIT_ERRORS);
		have_parent = r;
	}

	indexfile_opt = opt_str(&o, "indexfile");
	indexfile = indexfile_opt && *indexfile_opt ? xstrdup(indexfile_opt) :
		repo_path(&repo, "bupindex");
	metaname = with_suffix(indexfile, ".meta");
	hlname = with_suffix(indexfile, ".hlink");
	if (access(metaname, F_OK) < 0 && errno == ENOENT) {
		struct buf r = BUF_INIT;
		py_repr_fspath(&r, indexfile, strlen(indexfile));
		logmsg("error: cannot access %s; have you run bup index?\n", r.data);
		packwriter_abort(s.pw);
		exit(EXIT_ERRORS);
	}
	s.meta_name = metaname;
	if (map_file(metaname, 0, "metadata store", &s.meta_map, &s.meta_len,
		     &why) < 0)
		die("%s", why.data);
	hlinkdb_init(&s.hl);
	if (hlinkdb_open(&s.hl, hlname) < 0)
		exit_after_error(EXIT_ERRORS);
	if (bupindex_open(&s.ix, indexfile) < 0)
		exit_after_error(EXIT_ERRORS);
	drop_mapped_pages(&s);	/* opening read the whole file */

	reduce_paths_caller(o.args, o.nr_args, &rps, &shown, &s.errors,
			    "reduce_paths");
	savetree_init(&s.tree, s.pw);
	if (s.progress) {
		prepass(&s, &rps);
		drop_mapped_pages(&s);
	}
	s.tstart = progress_now();

	memset(&plan, 0, sizeof(plan));
	plan.s = &s;
	plan.rps = &rps;
	pthread_mutex_init(&s.ix_lock, NULL);
	s.reader = savereader_start(plan_next, &plan);

	for (size_t i = 0; i < rps.nr; i++) {
		struct ixwalk w;
		int any = 0;
		ixwalk_start(&w, &s.ix, rps.items[i], want_during, &s);
		while (ixwalk_next(&w)) {
			any = 1;
			process(&s, &w);
		}
		if (!any) {
			/* bup yields the top alone when nothing under it is due */
			ixwalk_release(&w);
			if (ixwalk_find(&w, &s.ix, rps.items[i])) {
				process(&s, &w);
				any = 1;
			} else {
				struct buf msg = BUF_INIT;
				buf_adds(&msg, "cannot find ");
				py_repr_bytes(&msg, rps.items[i], strlen(rps.items[i]));
				add_error(&s, msg.data);
				buf_release(&msg);
			}
		}
		processed += any;
		ixwalk_release(&w);
	}
	release_held(&s);
	free(s.held);
	savereader_finish(s.reader);
	pthread_mutex_destroy(&s.ix_lock);

	if (s.progress) {
		double pct = s.total ? s.count * 100.0 / s.total : 100;
		logmsg("Saving: %.2f%% (%llu/%lluk, %llu/%llu files), done.    \n",
		       pct, (unsigned long long)(s.count / 1024),
		       (unsigned long long)(s.total / 1024),
		       (unsigned long long)s.fcount, (unsigned long long)s.ftotal);
	}
	if (!s.tree.depth) {
		error("nothing to save");
		packwriter_abort(s.pw);
		bupindex_close(&s.ix);
		exit(EXIT_ERRORS);
	}
	while (s.tree.depth > 1) {
		struct oid t;
		pop_dir(&s, NULL, NULL, 0, &t);
	}
	{
		struct buf empty = BUF_INIT;
		struct metadata m;
		metadata_init(&m);
		metadata_encode(&m, &empty);
		if (s.root_collision)
			pop_dir(&s, NULL, empty.data, empty.len, &tree);
		else
			pop_dir(&s, NULL, NULL, 0, &tree);
		metadata_release(&m);
		buf_release(&empty);
	}
	/*
	 * The index edits are durable before the commit names them.  They
	 * are only a cache (an entry counts as saved only if the repository
	 * has its object), so a failure is reported and counted, not fatal.
	 */
	if (bupindex_sync(&s.ix) < 0)
		s.errors++;

	if (want_tree)
		printf("%s\n", oid_to_hex(&tree, hex));
	if (want_commit || name) {
		struct buf msg = BUF_INIT;
		buf_adds(&msg, "bup save\n\nGenerated by command:\n");
		argv_repr(&msg, argc, argv);
		buf_addch(&msg, '\n');
		commit_write(s.pw, &tree, have_parent ? &parent : NULL, when,
			     msg.data, &commit);
		if (want_commit)
			printf("%s\n", oid_to_hex(&commit, hex));
		buf_release(&msg);
	}
	fflush(stdout);
	/* The objects are durable before any ref names them. */
	s.errors += packwriter_close(s.pw);
	if (name && repo_update_ref(&repo, refname, &commit,
				    have_parent ? &parent : NULL, NULL) < 0)
		s.errors++;

	bupindex_close(&s.ix);
	hlinkdb_release(&s.hl);
	savetree_release(&s.tree);
	repo_close(&repo);
	free(indexfile);
	free(metaname);
	free(hlname);
	strlist_clear(&rps);
	strlist_clear(&shown);
	buf_release(&why);
	opt_release(&o);
	if (s.errors) {
		logmsg("WARNING: %d errors encountered while saving.\n", s.errors);
		return EXIT_ERRORS;
	}
	return EXIT_OK;
}
