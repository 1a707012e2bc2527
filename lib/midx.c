#include "midx.h"
#include "bigendian.h"
#include "packidx.h"
#include "strlist.h"
#include "usage.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIDX_VERSION 4
#define MIDX_HEADER 12

int midx_open(struct midx **out, const char *path, struct buf *why)
{
	struct midx *m;
	const uint8_t *p;
	uint32_t version;
	size_t need, len;

	*out = NULL;
	if (map_file(path, MIDX_HEADER, "midx", &p, &len, why) < 0)
		return -1;
	m = xcalloc(1, sizeof(*m));
	m->path = xstrdup(path);
	m->map = p;
	m->map_len = len;
	version = get_be32(p + 4);
	if (memcmp(p, "MIDX", 4)) {
		buf_addf(why, "'%s' is not a midx (bad magic)", path);
		goto fail;
	}
	if (version != MIDX_VERSION) {
		buf_addf(why, "'%s' has midx version %u, not %u", path, version,
			 MIDX_VERSION);
		goto fail;
	}
	m->bits = (int)get_be32(p + 8);
	if (m->bits < 0 || m->bits > 30) {
		buf_addf(why, "'%s' has a bad bits value %d", path, m->bits);
		goto fail;
	}
	m->fanout = p + MIDX_HEADER;
	need = MIDX_HEADER + ((size_t)4 << m->bits);
	if (m->map_len < need) {
		buf_addf(why, "'%s' is truncated", path);
		goto fail;
	}
	m->nr = get_be32(m->fanout + (((size_t)1 << m->bits) - 1) * 4);
	m->shas = m->fanout + ((size_t)4 << m->bits);
	m->which = m->shas + (size_t)m->nr * 20;
	need += (size_t)m->nr * 24;
	if (m->map_len < need) {
		buf_addf(why, "'%s' is truncated (%u entries need %zu bytes)",
			 path, m->nr, need);
		goto fail;
	}
	/* names: "\0"-joined to the end of the file */
	m->names = split_names(p + need, m->map_len - need, &m->nr_names);
	for (uint32_t i = 0; i < m->nr; i++)
		if (get_be32(m->which + 4 * (size_t)i) >= m->nr_names) {
			buf_addf(why, "'%s' names an idx beyond its list", path);
			goto fail;
		}
	*out = m;
	return 0;
fail:
	midx_free(m);
	return -1;
}

void midx_free(struct midx *m)
{
	if (!m)
		return;
	if (m->map)
		munmap((void *)m->map, m->map_len);
	free_names(m->names, m->nr_names);
	free(m->path);
	free(m);
}

/*
 * bup's interpolation search over the prefix's range, on the first four
 * bytes of the ids (64-bit arithmetic: the end value can be 2^32).
 */
int64_t midx_find_counted(const struct midx *m, const struct oid *oid,
			  uint64_t *steps)
{
	uint32_t p = midx_prefix(oid->hash, m->bits);
	uint64_t start = p ? get_be32(m->fanout + 4 * (size_t)(p - 1)) : 0;
	uint64_t end = get_be32(m->fanout + 4 * (size_t)p);
	uint64_t startv = (uint64_t)p << (32 - m->bits);
	uint64_t endv = (uint64_t)(p + 1) << (32 - m->bits);
	uint64_t hashv = get_be32(oid->hash), n = 1;
	int64_t found = -1;

	if (!m->bits) {
		startv = 0;
		endv = (uint64_t)1 << 32;
	}
	while (start < end) {
		uint64_t mid = start + (hashv - startv) * (end - start - 1) /
				       (endv - startv);
		const uint8_t *v = m->shas + 20 * mid;
		int c = memcmp(v, oid->hash, OID_RAWSZ);
		n++;
		if (c < 0) {
			start = mid + 1;
			startv = get_be32(v);
		} else if (c > 0) {
			end = mid;
			endv = get_be32(v);
		} else {
			found = (int64_t)mid;
			break;
		}
	}
	if (steps)
		*steps += n;
	return found;
}

int64_t midx_find(const struct midx *m, const struct oid *oid)
{
	return midx_find_counted(m, oid, NULL);
}

const char *midx_source(const struct midx *m, uint32_t i)
{
	return m->names[get_be32(m->which + 4 * (size_t)i)];
}

int midx_complete(const struct midx *m, const char *dir, struct buf *missing)
{
	struct buf p = BUF_INIT;
	int ok = 1;
	for (size_t i = 0; i < m->nr_names && ok; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir, m->names[i]);
		if (access(p.data, F_OK) < 0) {
			ok = 0;
			if (missing)
				buf_add(missing, p.data, p.len);
		}
	}
	buf_release(&p);
	return ok;
}

/* ---- merging (bup's _do_midx and merge_into) ---- */

struct cursor {
	const uint8_t *cur, *end;	/* 20-byte ids */
	size_t stride;			/* 20, or 24 for a v1 idx */
	const uint8_t *which;		/* midx input: its which-table */
	uint32_t name_base;
};

/*
 * bup keeps the cursors sorted by current id, largest first, takes the
 * last (smallest), and puts the advanced cursor back with a binary
 * search.  The order of equal ids across inputs depends on exactly this,
 * so it is followed step by step.
 */
static void fix_order(struct cursor **c, ptrdiff_t *last)
{
	struct cursor *x = c[*last];
	ptrdiff_t low, mid, high;
	int cmp = 0;

	if (x->cur >= x->end) {
		(*last)--;
		return;
	}
	if (*last == 0)
		return;
	low = *last - 1;
	mid = *last;
	high = 0;
	while (low >= high) {
		mid = (low + high) / 2;
		cmp = memcmp(x->cur, c[mid]->cur, OID_RAWSZ);
		if (cmp < 0)
			high = mid + 1;
		else if (cmp > 0)
			low = mid - 1;
		else
			break;
	}
	if (cmp < 0)
		mid++;
	if (mid == *last)
		return;
	memmove(&c[mid + 1], &c[mid], (size_t)(*last - mid) * sizeof(*c));
	c[mid] = x;
}

static int bits_for(uint64_t total)
{
	uint64_t pages = total * 5 / 1024;	/* total / (4096 / 20.0) */
	int bits = 0;
	if (!pages)
		pages = 1;
	while (((uint64_t)1 << bits) < pages)
		bits++;
	return bits;
}

struct merge_input {
	struct packidx *idx;
	struct midx *midx;
};

static int first_sha_desc(const void *a, const void *b)
{
	const struct cursor *x = *(struct cursor *const *)a;
	const struct cursor *y = *(struct cursor *const *)b;
	return -memcmp(x->cur, y->cur, OID_RAWSZ);
}

/* A stable sort (insertion sort: the lists are short). */
static void stable_sort(struct cursor **c, size_t n,
			int (*cmp)(const void *, const void *))
{
	for (size_t i = 1; i < n; i++) {
		struct cursor *x = c[i];
		size_t j = i;
		while (j > 0 && cmp(&c[j - 1], &x) > 0) {
			c[j] = c[j - 1];
			j--;
		}
		c[j] = x;
	}
}

struct merge_out {
	int bits;
	uint64_t total;
	uint8_t *fan, *sha, *which;
};

static uint32_t cursor_which(const struct cursor *c)
{
	return c->which ? get_be32(c->which) + c->name_base : c->name_base;
}

/* bup's merge_into, step by step (the cursors are not changed). */
static void merge_like_bup(const struct cursor *in, struct cursor **order,
			   size_t nin, struct merge_out *mo)
{
	struct cursor *cs = xcalloc(nin ? nin : 1, sizeof(*cs));
	size_t live = 0, fan_n = (size_t)1 << mo->bits;
	uint32_t count = 0, prefix = 0;
	ptrdiff_t last;

	memcpy(cs, in, nin * sizeof(*cs));
	/* empty inputs have nothing to take: leave them out */
	for (size_t i = 0; i < nin; i++)
		if (cs[i].cur < cs[i].end)
			order[live++] = &cs[i];
	stable_sort(order, live, first_sha_desc);
	last = (ptrdiff_t)live - 1;
	while (last >= 0) {
		struct cursor *c = order[last];
		uint32_t p = midx_prefix(c->cur, mo->bits);
		while (prefix < p)
			put_be32(mo->fan + 4 * prefix++, count);
		memcpy(mo->sha + 20 * (size_t)count, c->cur, 20);
		put_be32(mo->which + 4 * (size_t)count, cursor_which(c));
		c->cur += c->stride;
		if (c->which)
			c->which += 4;
		fix_order(order, &last);
		count++;
	}
	while (prefix < fan_n)
		put_be32(mo->fan + 4 * prefix++, count);
	free(cs);
}

struct bucket_ent {
	uint64_t key;		/* the id's first 8 bytes, big-endian */
	uint8_t sha[OID_RAWSZ];
	uint32_t which;
};

static int ent_less(const struct bucket_ent *a, const struct bucket_ent *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	return memcmp(a->sha, b->sha, OID_RAWSZ) < 0;
}

struct bucket_job {
	const struct cursor *in;
	size_t nin;
	const struct merge_out *mo;
	const uint32_t *start;	/* first output index of each bucket */
	uint32_t first, last;	/* buckets [first, last) */
	int dups;
};

/* Index of the first entry of `c` whose prefix is at least `b`. */
static size_t first_at(const struct cursor *c, int bits, uint32_t b)
{
	size_t lo = 0, hi = (size_t)(c->end - c->cur) / c->stride;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (midx_prefix(c->cur + mid * c->stride, bits) < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define BUCKETS_PER_PASS 256

/*
 * Fill buckets [first, last), a few hundred at a time so the working set
 * stays in cache: take from every input (each read in order) the ids of
 * those buckets, scatter them into their buckets in a local array, sort
 * each bucket (a counting pass on the next 8 bits, then insertion), and
 * copy the result out in order.
 */
static void *fill_buckets(void *arg)
{
	struct bucket_job *j = arg;
	const struct merge_out *mo = j->mo;
	const int shift = 64 - mo->bits - 8;
	size_t *pos = xcalloc(j->nin ? j->nin : 1, sizeof(*pos));
	uint32_t fill[BUCKETS_PER_PASS + 1];
	struct bucket_ent *ents = NULL, *sorted = NULL;
	size_t alloc = 0, alloc2 = 0;

	for (size_t i = 0; i < j->nin; i++)
		pos[i] = first_at(&j->in[i], mo->bits, j->first);
	for (uint32_t cb = j->first; cb < j->last; cb += BUCKETS_PER_PASS) {
		uint32_t ce = j->last - cb > BUCKETS_PER_PASS ?
			      cb + BUCKETS_PER_PASS : j->last;
		uint32_t base = j->start[cb];
		size_t n = j->start[ce] - base;

		ALLOC_GROW(ents, n + 1, alloc);
		ALLOC_GROW(sorted, n + 1, alloc2);
		for (uint32_t b = cb; b < ce; b++)
			fill[b - cb] = j->start[b] - base;
		for (size_t i = 0; i < j->nin; i++) {
			const struct cursor *c = &j->in[i];
			size_t cnt = (size_t)(c->end - c->cur) / c->stride;
			for (; pos[i] < cnt; pos[i]++) {
				const uint8_t *p = c->cur + pos[i] * c->stride;
				uint32_t b = midx_prefix(p, mo->bits);
				if (b >= ce)
					break;
				struct bucket_ent *e = &ents[fill[b - cb]++];
				memcpy(e->sha, p, 20);
				e->key = get_be64(p);
				e->which = c->which ?
					get_be32(c->which + 4 * pos[i]) + c->name_base :
					c->name_base;
			}
		}
		for (uint32_t b = cb; b < ce; b++) {
			struct bucket_ent *be = ents + (j->start[b] - base);
			struct bucket_ent *bs = sorted + (j->start[b] - base);
			size_t bn = j->start[b + 1] - j->start[b], bin[257];
			memset(bin, 0, sizeof(bin));
			for (size_t k = 0; k < bn; k++)
				bin[((be[k].key >> shift) & 0xff) + 1]++;
			for (int k = 0; k < 256; k++)
				bin[k + 1] += bin[k];
			for (size_t k = 0; k < bn; k++)
				bs[bin[(be[k].key >> shift) & 0xff]++] = be[k];
			for (size_t k = 1; k < bn; k++) {
				struct bucket_ent x = bs[k];
				size_t m = k;
				while (m > 0 && ent_less(&x, &bs[m - 1])) {
					bs[m] = bs[m - 1];
					m--;
				}
				bs[m] = x;
			}
			for (size_t k = 1; k < bn; k++)
				if (!memcmp(bs[k].sha, bs[k - 1].sha, OID_RAWSZ))
					j->dups = 1;
		}
		uint8_t *osha = mo->sha + 20 * (size_t)base;
		uint8_t *owhich = mo->which + 4 * (size_t)base;
		for (size_t k = 0; k < n; k++) {
			memcpy(osha + 20 * k, sorted[k].sha, 20);
			put_be32(owhich + 4 * k, sorted[k].which);
		}
	}
	free(pos);
	free(ents);
	free(sorted);
	return NULL;
}

/*
 * The fast merge, on two threads.  Returns 0 (and the caller falls back
 * to bup's merge) if some id occurs more than once: only then does the
 * order depend on bup's algorithm.
 */
static int merge_bucketed(const struct cursor *in, size_t nin,
			  struct merge_out *mo)
{
	size_t fan_n = (size_t)1 << mo->bits;
	uint32_t *start = xcalloc(fan_n + 1, sizeof(*start));
	struct bucket_job jobs[2];
	pthread_t th;
	int dups, two = mo->total > 100000 && fan_n >= 2;

	if (mo->bits > 24) {
		free(start);
		return 0;
	}
	/* bucket sizes, then the fanout table */
	for (size_t i = 0; i < nin; i++)
		for (const uint8_t *p = in[i].cur; p < in[i].end; p += in[i].stride)
			start[midx_prefix(p, mo->bits) + 1]++;
	for (size_t b = 0; b < fan_n; b++) {
		start[b + 1] += start[b];
		put_be32(mo->fan + 4 * b, start[b + 1]);
	}
	for (int t = 0; t < 2; t++) {
		jobs[t].in = in;
		jobs[t].nin = nin;
		jobs[t].mo = mo;
		jobs[t].start = start;
		jobs[t].dups = 0;
	}
	jobs[0].first = 0;
	jobs[0].last = two ? (uint32_t)(fan_n / 2) : (uint32_t)fan_n;
	jobs[1].first = jobs[0].last;
	jobs[1].last = (uint32_t)fan_n;
	if (two && pthread_create(&th, NULL, fill_buckets, &jobs[1]) != 0)
		two = 0, jobs[0].last = (uint32_t)fan_n;
	fill_buckets(&jobs[0]);
	if (two)
		pthread_join(th, NULL);
	/* equal ids have equal prefixes: a repeat is always in one bucket */
	dups = jobs[0].dups || jobs[1].dups;
	free(start);
	return !dups;
}

int midx_merge(const char *dir, const char *outpath, char *const *inputs,
	       size_t nr, int auto_mode, int force, struct buf *written,
	       uint64_t *total_out)
{
	struct merge_input *in = xcalloc(nr ? nr : 1, sizeof(*in));
	struct cursor *cs = xcalloc(nr ? nr : 1, sizeof(*cs));
	struct cursor **order = xcalloc(nr ? nr : 1, sizeof(*order));
	struct strlist names = STRLIST_INIT;
	struct buf out = BUF_INIT, why = BUF_INIT;
	struct atomic_file af;
	uint64_t total = 0;
	size_t nin = 0;
	int ret = -1, bits;
	for (size_t i = 0; i < nr; i++) {
		const char *name = inputs[i];
		size_t n = strlen(name);
		struct cursor *c = &cs[nin];
		if (n > 4 && !strcmp(name + n - 4, ".idx")) {
			if (packidx_open(&in[nin].idx, name) < 0)
				continue;
			c->stride = in[nin].idx->version == 2 ? 20 : 24;
			c->cur = packidx_sha(in[nin].idx, 0);
			c->end = c->cur + c->stride * in[nin].idx->nr;
			c->name_base = (uint32_t)names.nr;
			strlist_add(&names, path_basename(name));
			total += in[nin].idx->nr;
		} else {
			struct buf missing = BUF_INIT;
			buf_reset(&why);
			if (midx_open(&in[nin].midx, name, &why) < 0) {
				warning("%s", why.data);
				continue;
			}
			if (!midx_complete(in[nin].midx, dir, &missing)) {
				warning("midx '%s' refers to missing idx '%s'",
					name, missing.data);
				midx_free(in[nin].midx);
				in[nin].midx = NULL;
				if (auto_mode || force) {
					logmsg("Removing incomplete midx %s\n", name);
					unlink(name);
				}
				buf_release(&missing);
				continue;
			}
			buf_release(&missing);
			c->stride = 20;
			c->cur = in[nin].midx->shas;
			c->end = c->cur + 20 * (size_t)in[nin].midx->nr;
			c->which = in[nin].midx->which;
			c->name_base = (uint32_t)names.nr;
			for (size_t k = 0; k < in[nin].midx->nr_names; k++)
				strlist_add(&names, in[nin].midx->names[k]);
			total += in[nin].midx->nr;
		}
		nin++;
	}
	if (total_out)
		*total_out = total;
	if ((auto_mode && total < 1024 && nr < 3) ||
	    ((auto_mode || force) && nr < 2) || (force && !total)) {
		debug1("midx: nothing to do.\n");
		ret = 0;
		goto done;
	}
	if (outpath) {
		buf_adds(&out, outpath);
	} else {
		/* midx-<sha1 of the input paths joined by NUL>.midx */
		struct sha1_ctx c;
		struct oid id;
		char hex[OID_HEXSZ + 1];
		sha1_init(&c);
		for (size_t i = 0; i < nr; i++)
			sha1_update(&c, inputs[i], strlen(inputs[i]) + (i + 1 < nr));
		sha1_final(&c, id.hash);
		buf_addf(&out, "%s/midx-%s.midx", dir, oid_to_hex(&id, hex));
	}
	bits = bits_for(total);
	debug1("midx: creating from %zu files (%llu objects), %d bits.\n", nr,
	       (unsigned long long)total, bits);

	/* the table, built in memory, then written in one go */
	size_t fan_n = (size_t)1 << bits;
	size_t size = MIDX_HEADER + 4 * fan_n + 24 * (size_t)total;
	struct buf namelist = BUF_INIT;
	struct merge_out mo;
	uint8_t *map;

	size_t maplen;

	for (size_t i = 0; i < names.nr; i++) {
		if (i)
			buf_addch(&namelist, 0);
		buf_adds(&namelist, names.items[i]);
	}
	maplen = size + namelist.len;
	/* Built in memory (populated up front: one fault per page costs
	 * more than the merge), then written with the names in one go. */
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (map == MAP_FAILED)
		die("out of memory building '%s'", out.data);
	memcpy(map, "MIDX", 4);
	put_be32(map + 4, MIDX_VERSION);
	put_be32(map + 8, (uint32_t)bits);
	memcpy(map + size, namelist.data, namelist.len);
	buf_release(&namelist);
	mo.bits = bits;
	mo.fan = map + MIDX_HEADER;
	mo.sha = mo.fan + 4 * fan_n;
	mo.which = mo.sha + 20 * (size_t)total;
	mo.total = total;
	/* Without repeated ids the order is simply sorted order, which the
	 * bucketed merge makes fast; with repeats, bup's exact order. */
	if (!merge_bucketed(cs, nin, &mo))
		merge_like_bup(cs, order, nin, &mo);
	unlink(out.data);
	if (atomic_file_open(&af, out.data) < 0) {
		error_errno("cannot create a temporary file for '%s'", out.data);
		munmap(map, maplen);
		goto done;
	}
	if (write_in_full(af.fd, map, maplen) < 0) {
		error_errno("cannot write '%s'", af.tmp.data);
		atomic_file_abort(&af);
		munmap(map, maplen);
		goto done;
	}
	munmap(map, maplen);
	if (atomic_file_commit(&af) < 0) {
		error_errno("cannot write '%s'", out.data);
		goto done;
	}
	if (written)
		buf_add(written, out.data, out.len);
	ret = 1;
done:
	for (size_t i = 0; i < nr; i++) {
		packidx_free(in[i].idx);
		midx_free(in[i].midx);
	}
	free(in);
	free(cs);
	free(order);
	strlist_clear(&names);
	buf_release(&out);
	buf_release(&why);
	return ret;
}

/* ---- `bup midx --auto` / `--force` (bup's do_midx_dir) ---- */

struct sized {
	uint64_t size;
	char *name;
	double mtime;
	struct strlist contents;	/* midx: the idx paths it covers */
};

static int by_size_newest(const void *a, const void *b)
{
	const struct sized *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->mtime > y->mtime ? -1 : x->mtime < y->mtime ? 1 : 0;
}

static int by_size_name(const void *a, const void *b)
{
	const struct sized *x = a, *y = b;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

static long default_max_files(void)
{
	struct rlimit rl;
	long mf = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		mf = (long)(rl.rlim_cur < rl.rlim_max ? rl.rlim_cur : rl.rlim_max);
	return mf > 32 ? mf - 20 : mf - 6;
}

int midx_maintain(const char *dir, const char *outpath, int auto_mode,
		  int force, int max_files, int print_names)
{
	struct strlist midxs = STRLIST_INIT, idxs = STRLIST_INIT, already = STRLIST_INIT;
	struct strlist existed = STRLIST_INIT;
	struct sized *all = NULL, *ms = NULL;
	size_t nall = 0, aall = 0, nms = 0, ams = 0;
	int hwm = force ? 1 : 5, lwm = force ? 1 : 2, ret = 0;
	struct buf why = BUF_INIT;

	if (max_files <= 0)
		max_files = (int)default_max_files();
	if (!(force && !auto_mode)) {
		if (list_dir_suffix(dir, ".midx", &midxs) < 0)
			return error_errno("cannot read '%s'", dir);
		for (size_t i = 0; i < midxs.nr; i++) {
			struct midx *m;
			struct buf missing = BUF_INIT;
			struct stat st;
			buf_reset(&why);
			if (midx_open(&m, midxs.items[i], &why) < 0) {
				warning("%s", why.data);
				continue;
			}
			if (!midx_complete(m, dir, &missing)) {
				warning("midx '%s' refers to missing idx '%s'",
					midxs.items[i], missing.data);
				if (auto_mode || force) {
					logmsg("Removing incomplete midx %s\n", midxs.items[i]);
					unlink(midxs.items[i]);
				}
				buf_release(&missing);
				midx_free(m);
				continue;
			}
			buf_release(&missing);
			ALLOC_GROW(ms, nms + 1, ams);
			memset(&ms[nms], 0, sizeof(ms[nms]));
			ms[nms].size = m->nr;
			ms[nms].name = midxs.items[i];
			ms[nms].mtime = stat(midxs.items[i], &st) == 0 ?
				st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9 : 0;
			for (size_t k = 0; k < m->nr_names; k++) {
				struct buf p = BUF_INIT;
				buf_addf(&p, "%s/%s", dir, m->names[k]);
				strlist_add_owned(&ms[nms].contents, buf_detach(&p, NULL));
			}
			nms++;
			midx_free(m);
		}
		/* biggest and newest first; drop the ones that add nothing */
		qsort(ms, nms, sizeof(*ms), by_size_newest);
		for (size_t i = 0; i < nms; i++) {
			int any = 0;
			for (size_t k = 0; k < ms[i].contents.nr; k++)
				if (!strlist_has(&already, ms[i].contents.items[k])) {
					strlist_add(&already, ms[i].contents.items[k]);
					any = 1;
				}
			if (!any) {
				debug1("midx: %s is redundant\n", ms[i].name);
				unlink(ms[i].name);
				strlist_add(&already, ms[i].name);
			}
		}
	}
	for (size_t i = 0; i < nms; i++) {
		if (strlist_has(&already, ms[i].name))
			continue;
		ALLOC_GROW(all, nall + 1, aall);
		all[nall].size = ms[i].size;
		all[nall].name = xstrdup(ms[i].name);
		nall++;
	}
	if (list_dir_suffix(dir, ".idx", &idxs) < 0) {
		ret = error_errno("cannot read '%s'", dir);
		goto done;
	}
	for (size_t i = 0; i < idxs.nr; i++) {
		struct packidx *ix;
		if (strlist_has(&already, idxs.items[i]))
			continue;
		if (packidx_open(&ix, idxs.items[i]) < 0)
			continue;
		ALLOC_GROW(all, nall + 1, aall);
		all[nall].size = ix->nr;
		all[nall].name = xstrdup(idxs.items[i]);
		nall++;
		packidx_free(ix);
	}
	for (size_t i = 0; i < nall; i++)
		strlist_add(&existed, all[i].name);
	debug1("midx: %zu indexes; want no more than %d.\n", nall, hwm);
	while (nall > (size_t)hwm) {
		size_t cut = nall - (size_t)lwm + 1;
		struct sized *next = NULL;
		size_t nnext = 0, anext = 0;
		qsort(all, nall, sizeof(*all), by_size_name);
		/* merge all[0..cut) in groups of max_files, keep the rest */
		for (size_t g = 0; g < cut; g += (size_t)max_files) {
			size_t n = cut - g < (size_t)max_files ? cut - g : (size_t)max_files;
			char **names = xcalloc(n, sizeof(*names));
			struct buf w = BUF_INIT;
			uint64_t total = 0;
			for (size_t k = 0; k < n; k++)
				names[k] = all[g + k].name;
			int r = midx_merge(dir, outpath, names, n, auto_mode, force,
					   &w, &total);
			free(names);
			if (r < 0)
				ret = -1;
			if (r > 0) {
				ALLOC_GROW(next, nnext + 1, anext);
				next[nnext].size = total;
				next[nnext].name = buf_detach(&w, NULL);
				nnext++;
			}
			buf_release(&w);
		}
		for (size_t k = cut; k < nall; k++) {
			ALLOC_GROW(next, nnext + 1, anext);
			next[nnext++] = all[k];
		}
		for (size_t k = 0; k < cut; k++)
			free(all[k].name);
		free(all);
		all = next;
		nall = nnext;
		aall = anext;
		if (ret < 0)
			break;
	}
	if (print_names)
		for (size_t i = 0; i < nall; i++)
			if (!strlist_has(&existed, all[i].name))
				printf("%s\n", all[i].name);
done:
	for (size_t i = 0; i < nall; i++)
		free(all[i].name);
	free(all);
	for (size_t i = 0; i < nms; i++)
		strlist_clear(&ms[i].contents);
	free(ms);
	strlist_clear(&midxs);
	strlist_clear(&idxs);
	strlist_clear(&already);
	strlist_clear(&existed);
	buf_release(&why);
	return ret;
}
