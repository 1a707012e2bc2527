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
	/* lookups trust it: no count may exceed the next (nor the total) */
	for (size_t i = 1; i < (size_t)1 << m->bits; i++)
		if (get_be32(m->fanout + 4 * i) < get_be32(m->fanout + 4 * (i - 1))) {
			buf_addf(why, "'%s' has a corrupt fanout table", path);
			goto fail;
		}
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

/*
 * The fast merge.  With no id repeated the output is simply every id in
 * sorted order, and ids (SHA-1s) are spread evenly, so this is a radix
 * placement rather than a merge: the buckets are cut into slices, each
 * thread takes a contiguous range of slices, and for each slice of a few
 * thousand ids it
 *   - scans each input's run of ids in the slice, counting them by their
 *     top bits+8 bits (about one id per counter),
 *   - places each id at its counter's next slot, giving an order that is
 *     sorted but for the few ids sharing a counter (an insertion pass
 *     fixes those, and notices repeats),
 *   - and writes the slice's ids and which-entries straight to the file
 *     while they are still in cache.
 * If an id repeats, the caller redoes the whole file with bup's merge.
 */
#define SUB_BITS 8
#define SLICE_ENTRIES 16384
#define FLUSH_EVERY_NS 2000000
#define THREADS_FROM 200000	/* ids */
#define MAX_THREADS 8

struct fast_job {
	const struct cursor *in;
	size_t nin;
	size_t *pos;		/* per input: first entry not yet taken */
	int bits, fd;
	off_t sha_off, which_off;	/* where the two tables start */
	uint8_t *fan;		/* the fanout table (BE32), shared */
	uint32_t first, last;	/* buckets [first, last) */
	uint32_t per_slice;	/* buckets per slice */
	uint64_t base;		/* output index of the first id */
	int *stop;		/* set by any job that finds a repeat */
	int *finished;		/* jobs done */
	int dups, err;
};

struct slice_ent {
	uint8_t sha[OID_RAWSZ];
	uint32_t which;
};

static int slice_ent_cmp(const void *a, const void *b)
{
	return memcmp(a, b, OID_RAWSZ);
}

/* Sort a slice whose ids bunch together (never for real SHA-1s). */
static int sort_slice_slow(uint8_t *sha, uint8_t *which, size_t n)
{
	struct slice_ent *e = xmalloc((n ? n : 1) * sizeof(*e));
	int dups = 0;
	for (size_t k = 0; k < n; k++) {
		memcpy(e[k].sha, sha + 20 * k, 20);
		memcpy(&e[k].which, which + 4 * k, 4);
	}
	QSORT(e, n, slice_ent_cmp);
	for (size_t k = 0; k < n; k++) {
		if (k && !memcmp(e[k].sha, e[k - 1].sha, OID_RAWSZ))
			dups = 1;
		memcpy(sha + 20 * k, e[k].sha, 20);
		memcpy(which + 4 * k, &e[k].which, 4);
	}
	free(e);
	return dups;
}

/* get_be64() in one load */
static inline uint64_t key64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

/* Insertion pass over an almost sorted slice; 1 if an id repeats. */
static int sort_slice(uint8_t *sha, uint8_t *which, size_t n)
{
	int dups = 0;
	for (size_t k = 1; k < n; k++) {
		uint8_t *x = sha + 20 * k;
		uint64_t kx = key64(x), kp = key64(x - 20);
		uint8_t s[20], w[4];
		size_t m = k;
		int c;

		if (kp < kx)
			continue;
		if (kp == kx) {
			c = memcmp(x - 20, x, OID_RAWSZ);
			if (c < 0)
				continue;
			if (!c) {
				dups = 1;
				continue;
			}
		}
		memcpy(s, x, 20);
		memcpy(w, which + 4 * k, 4);
		while (m > 0) {
			uint64_t km = key64(sha + 20 * (m - 1));
			if (km != kx)
				c = km < kx ? -1 : 1;
			else
				c = memcmp(sha + 20 * (m - 1), s, OID_RAWSZ);
			if (!c)
				dups = 1;
			if (c <= 0)
				break;
			memcpy(sha + 20 * m, sha + 20 * (m - 1), 20);
			memcpy(which + 4 * m, which + 4 * (m - 1), 4);
			m--;
		}
		memcpy(sha + 20 * m, s, 20);
		memcpy(which + 4 * m, w, 4);
	}
	return dups;
}

static void *fast_fill(void *arg)
{
	struct fast_job *j = arg;
	const int bits = j->bits, shift = 32 - bits - SUB_BITS;
	uint32_t *cnt = xmalloc(((size_t)j->per_slice << SUB_BITS) * sizeof(*cnt));
	size_t *endp = xcalloc(j->nin ? j->nin : 1, sizeof(*endp));
	uint8_t *osha = NULL, *owhich = NULL;
	size_t alloc = 0;
	uint64_t done = j->base;

	for (uint32_t cb = j->first; cb < j->last; cb += j->per_slice) {
		uint32_t ce = j->last - cb > j->per_slice ? cb + j->per_slice : j->last;
		uint32_t nsub = (ce - cb) << SUB_BITS, sub0 = cb << SUB_BITS;
		uint32_t sum = 0, maxc = 0;

		if (__atomic_load_n(j->stop, __ATOMIC_RELAXED))
			break;
		memset(cnt, 0, nsub * sizeof(*cnt));
		for (size_t i = 0; i < j->nin; i++) {
			const struct cursor *c = &j->in[i];
			const size_t stride = c->stride;
			const uint8_t *p = c->cur + j->pos[i] * stride, *start = p;
			for (; p < c->end; p += stride) {
				uint32_t v = get_be32(p);
				if (v >> (32 - bits) >= ce)
					break;
				cnt[(v >> shift) - sub0]++;
			}
			endp[i] = j->pos[i] + (size_t)(p - start) / stride;
		}
		for (uint32_t k = 0; k < nsub; k++) {
			uint32_t x = cnt[k];
			cnt[k] = sum;
			sum += x;
			if (x > maxc)
				maxc = x;
		}
		if (sum > alloc) {
			alloc = sum;
			free(osha);
			free(owhich);
			osha = xmalloc(20 * alloc);
			owhich = xmalloc(4 * alloc);
		}
		for (size_t i = 0; i < j->nin; i++) {
			const struct cursor *c = &j->in[i];
			const size_t stride = c->stride;
			const uint8_t *p = c->cur + j->pos[i] * stride;
			const uint8_t *e = c->cur + endp[i] * stride;
			if (c->which) {
				const uint8_t *w = c->which + 4 * j->pos[i];
				for (; p < e; p += stride, w += 4) {
					uint32_t k = cnt[(get_be32(p) >> shift) - sub0]++;
					memcpy(osha + 20 * (size_t)k, p, 20);
					put_be32(owhich + 4 * (size_t)k,
						 get_be32(w) + c->name_base);
				}
			} else {
				uint8_t w[4];
				put_be32(w, c->name_base);
				for (; p < e; p += stride) {
					uint32_t k = cnt[(get_be32(p) >> shift) - sub0]++;
					memcpy(osha + 20 * (size_t)k, p, 20);
					memcpy(owhich + 4 * (size_t)k, w, 4);
				}
			}
			j->pos[i] = endp[i];
		}
		/* cnt[k] is now the end of counter k's ids */
		for (uint32_t b = cb; b < ce; b++)
			put_be32(j->fan + 4 * (size_t)b,
				 (uint32_t)(done + cnt[((b - cb + 1) << SUB_BITS) - 1]));
		if (maxc > 1 && (maxc > 64 ? sort_slice_slow(osha, owhich, sum) :
					     sort_slice(osha, owhich, sum))) {
			j->dups = 1;
			__atomic_store_n(j->stop, 1, __ATOMIC_RELAXED);
			break;
		}
		if (pwrite_in_full(j->fd, osha, 20 * (size_t)sum,
				   j->sha_off + 20 * (off_t)done) < 0 ||
		    pwrite_in_full(j->fd, owhich, 4 * (size_t)sum,
				   j->which_off + 4 * (off_t)done) < 0) {
			j->err = errno;
			__atomic_store_n(j->stop, 1, __ATOMIC_RELAXED);
			break;
		}
		done += sum;
	}
	free(cnt);
	free(endp);
	free(osha);
	free(owhich);
	__atomic_add_fetch(j->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

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

static int nr_threads(uint64_t total)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (total < THREADS_FROM || n < 1)
		return 1;
	return n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/*
 * Write the tables of the midx to `fd` with the fast merge.  1 if done,
 * 0 if an id repeats (or the table is too small or too big for it),
 * -1 with errno on a write error.
 */
static int write_fast(int fd, const struct cursor *in, size_t nin,
		      int bits, uint64_t total)
{
	size_t fan_n = (size_t)1 << bits;
	struct fast_job jobs[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	int nt = nr_threads(total), started = -1, stop = 0, ret = 1, finished = 0;
	uint8_t *fan;
	uint64_t per;

	if (bits < 1 || bits + SUB_BITS > 32 || !total)
		return 0;
	if ((size_t)nt > fan_n)
		nt = (int)fan_n;
	per = SLICE_ENTRIES * (uint64_t)fan_n / total;
	if (per < 1)
		per = 1;
	if (per > 4096)
		per = 4096;
	fan = xmalloc(4 * fan_n);
	for (int t = 0; t < nt; t++) {
		struct fast_job *j = &jobs[t];
		memset(j, 0, sizeof(*j));
		j->in = in;
		j->nin = nin;
		j->bits = bits;
		j->fd = fd;
		j->sha_off = MIDX_HEADER + 4 * (off_t)fan_n;
		j->which_off = j->sha_off + 20 * (off_t)total;
		j->fan = fan;
		j->first = (uint32_t)(fan_n * (size_t)t / (size_t)nt);
		j->last = (uint32_t)(fan_n * (size_t)(t + 1) / (size_t)nt);
		j->per_slice = (uint32_t)per;
		j->stop = &stop;
		j->finished = &finished;
		j->pos = xcalloc(nin ? nin : 1, sizeof(*j->pos));
		for (size_t i = 0; i < nin; i++) {
			j->pos[i] = t ? first_at(&in[i], bits, j->first) : 0;
			j->base += j->pos[i];
		}
	}
	/*
	 * Small merges run here.  Big ones run on threads while this one
	 * starts the writeback of what they have written every few ms, so
	 * that most of the data is on disk when the final fsync comes.
	 */
	if (total >= THREADS_FROM)
		for (int t = 0; t < nt; t++) {
			if (pthread_create(&th[t], NULL, fast_fill, &jobs[t]) != 0)
				break;
			started = t;
		}
	for (int t = started + 1; t < nt; t++)
		fast_fill(&jobs[t]);
	while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < nt) {
		struct timespec ts = { 0, FLUSH_EVERY_NS };
		nanosleep(&ts, NULL);
		/* only a head start: the fsync reports any error */
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	}
	for (int t = 0; t <= started; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < nt; t++) {
		if (jobs[t].err && ret > 0) {
			errno = jobs[t].err;
			ret = -1;
		}
		if (jobs[t].dups && ret > 0)
			ret = 0;
		free(jobs[t].pos);
	}
	if (ret > 0) {
		uint8_t hdr[MIDX_HEADER];
		memcpy(hdr, "MIDX", 4);
		put_be32(hdr + 4, MIDX_VERSION);
		put_be32(hdr + 8, (uint32_t)bits);
		if (pwrite_in_full(fd, hdr, sizeof(hdr), 0) < 0 ||
		    pwrite_in_full(fd, fan, 4 * fan_n, MIDX_HEADER) < 0)
			ret = -1;
	}
	free(fan);
	return ret;
}

/* The same with bup's merge, built in memory (any input). */
static int write_like_bup(int fd, const struct cursor *in, size_t nin,
			  int bits, uint64_t total)
{
	size_t fan_n = (size_t)1 << bits;
	size_t size = MIDX_HEADER + 4 * fan_n + 24 * (size_t)total;
	struct cursor **order = xcalloc(nin ? nin : 1, sizeof(*order));
	struct merge_out mo;
	uint8_t *map;
	int r;

	/* populated up front: one fault per page costs more than the merge */
	map = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (map == MAP_FAILED) {
		free(order);
		return -1;
	}
	memcpy(map, "MIDX", 4);
	put_be32(map + 4, MIDX_VERSION);
	put_be32(map + 8, (uint32_t)bits);
	mo.bits = bits;
	mo.fan = map + MIDX_HEADER;
	mo.sha = mo.fan + 4 * fan_n;
	mo.which = mo.sha + 20 * (size_t)total;
	mo.total = total;
	merge_like_bup(in, order, nin, &mo);
	r = pwrite_in_full(fd, map, size, 0);
	munmap(map, size);
	free(order);
	return r;
}

/*
 * Merge the opened inputs `in` (from the `nr` paths `inputs`, the ones
 * that could not be opened left out) as midx_merge() does.
 */
static int merge_opened(const char *dir, const char *outpath,
			char *const *inputs, size_t nr,
			const struct merge_input *in, size_t nin, int auto_mode,
			int force, struct buf *written, uint64_t *total_out)
{
	struct cursor *cs = xcalloc(nin ? nin : 1, sizeof(*cs));
	struct buf out = BUF_INIT, namelist = BUF_INIT;
	struct atomic_file af;
	uint64_t total = 0;
	size_t size, nnames = 0;
	int ret = -1, bits, r;

	for (size_t i = 0; i < nin; i++) {
		struct cursor *c = &cs[i];
		c->name_base = (uint32_t)nnames;
		if (in[i].idx) {
			c->stride = in[i].idx->version == 2 ? 20 : 24;
			c->cur = packidx_sha(in[i].idx, 0);
			c->end = c->cur + c->stride * in[i].idx->nr;
			if (nnames++)
				buf_addch(&namelist, 0);
			buf_adds(&namelist, path_basename(in[i].idx->path));
			total += in[i].idx->nr;
		} else {
			c->stride = 20;
			c->cur = in[i].midx->shas;
			c->end = c->cur + 20 * (size_t)in[i].midx->nr;
			c->which = in[i].midx->which;
			for (size_t k = 0; k < in[i].midx->nr_names; k++) {
				if (nnames++)
					buf_addch(&namelist, 0);
				buf_adds(&namelist, in[i].midx->names[k]);
			}
			total += in[i].midx->nr;
		}
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
	size = MIDX_HEADER + ((size_t)4 << bits) + 24 * (size_t)total;

	/* the commit's rename replaces a midx of the same inputs (bup
	 * unlinks it first, which a failure then loses for nothing) */
	if (atomic_file_open(&af, out.data) < 0) {
		error_errno("cannot create a temporary file for '%s'", out.data);
		goto done;
	}
	/* the tables are written in slices, in any order, by the merge */
	r = ftruncate(af.fd, (off_t)(size + namelist.len));
	if (!r)
		r = pwrite_in_full(af.fd, namelist.data, namelist.len, (off_t)size);
	/* Without repeated ids the order is simply sorted order, which the
	 * fast merge makes quick; with repeats, bup's exact order. */
	if (!r && !(r = write_fast(af.fd, cs, nin, bits, total)))
		r = write_like_bup(af.fd, cs, nin, bits, total);
	if (r < 0) {
		error_errno("cannot write '%s'", af.tmp.data);
		atomic_file_abort(&af);
		goto done;
	}
	if (atomic_file_commit(&af) < 0) {
		error_errno("cannot write '%s'", out.data);
		goto done;
	}
	if (written)
		buf_add(written, out.data, out.len);
	ret = 1;
done:
	free(cs);
	buf_release(&out);
	buf_release(&namelist);
	return ret;
}

/*
 * Open one input of a merge, as bup's _do_midx does: an idx, or a midx
 * that names no missing idx (one that does is removed in auto and force
 * mode).  0, or -1 after a warning.
 */
static int open_input(const char *dir, const char *name, int auto_mode,
		      int force, struct merge_input *out)
{
	size_t n = strlen(name);
	struct buf why = BUF_INIT, missing = BUF_INIT;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (n > 4 && !strcmp(name + n - 4, ".idx"))
		return packidx_open(&out->idx, name);
	if (midx_open(&out->midx, name, &why) < 0) {
		warning("%s", why.data);
	} else if (!midx_complete(out->midx, dir, &missing)) {
		warning("midx '%s' refers to missing idx '%s'", name, missing.data);
		midx_free(out->midx);
		out->midx = NULL;
		if (auto_mode || force) {
			logmsg("Removing incomplete midx %s\n", name);
			unlink(name);
		}
	} else {
		ret = 0;
	}
	buf_release(&why);
	buf_release(&missing);
	return ret;
}

int midx_merge(const char *dir, const char *outpath, char *const *inputs,
	       size_t nr, int auto_mode, int force, struct buf *written,
	       uint64_t *total_out)
{
	struct merge_input *in = xcalloc(nr ? nr : 1, sizeof(*in));
	size_t nin = 0;
	int ret;

	for (size_t i = 0; i < nr; i++)
		if (open_input(dir, inputs[i], auto_mode, force, &in[nin]) == 0)
			nin++;
	ret = merge_opened(dir, outpath, inputs, nr, in, nin, auto_mode, force,
			   written, total_out);
	for (size_t i = 0; i < nin; i++) {
		packidx_free(in[i].idx);
		midx_free(in[i].midx);
	}
	free(in);
	return ret;
}

/* ---- which midx files to use (bup's do_midx_dir and PackIdxList) ---- */

struct picked {
	struct midx *m;
	double mtime;
};

static int by_size_newest(const void *a, const void *b)
{
	const struct picked *x = a, *y = b;
	if (x->m->nr != y->m->nr)
		return x->m->nr > y->m->nr ? -1 : 1;
	return x->mtime > y->mtime ? -1 : x->mtime < y->mtime ? 1 : 0;
}

int midx_pick(const char *dir, struct midx_picked *out, midx_pick_fn report,
	      void *ctx)
{
	struct strlist files = STRLIST_INIT;
	struct picked *cand = NULL;
	size_t ncand = 0, acand = 0;
	struct buf why = BUF_INIT;

	memset(out, 0, sizeof(*out));
	if (list_dir_suffix(dir, ".midx", &files) < 0)
		return -1;
	for (size_t i = 0; i < files.nr; i++) {
		struct midx *m;
		struct buf missing = BUF_INIT;
		struct stat st;
		buf_reset(&why);
		if (midx_open(&m, files.items[i], &why) < 0) {
			/* gone since listed: a midx --auto removed it (maybe
			 * ours, on the packwriter's finisher thread) */
			if (access(files.items[i], F_OK) < 0 && errno == ENOENT)
				continue;
			report(ctx, MIDX_BROKEN, files.items[i], why.data);
			continue;
		}
		if (!midx_complete(m, dir, &missing)) {
			report(ctx, MIDX_INCOMPLETE, files.items[i], missing.data);
			buf_release(&missing);
			midx_free(m);
			continue;
		}
		ALLOC_GROW(cand, ncand + 1, acand);
		cand[ncand].m = m;
		cand[ncand].mtime = stat(files.items[i], &st) == 0 ?
			st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9 : 0;
		ncand++;
	}
	/* biggest and newest first; drop the ones that add nothing */
	QSORT(cand, ncand, by_size_newest);
	for (size_t i = 0; i < ncand; i++) {
		struct midx *m = cand[i].m;
		int any = 0;
		for (size_t k = 0; k < m->nr_names; k++)
			if (!strlist_has(&out->covered, m->names[k])) {
				strlist_add(&out->covered, m->names[k]);
				any = 1;
			}
		if (!any) {
			report(ctx, MIDX_REDUNDANT, m->path, NULL);
			midx_free(m);
			continue;
		}
		ALLOC_GROW(out->midx, out->nr + 1, out->alloc);
		out->midx[out->nr++] = m;
	}
	free(cand);
	strlist_clear(&files);
	buf_release(&why);
	return 0;
}

void midx_picked_release(struct midx_picked *p)
{
	for (size_t i = 0; i < p->nr; i++)
		midx_free(p->midx[i]);
	free(p->midx);
	strlist_clear(&p->covered);
	memset(p, 0, sizeof(*p));
}

/* ---- `bup midx --auto` / `--force` (bup's do_midx_dir) ---- */

struct sized {
	uint64_t size;
	char *name;
	struct merge_input src;	/* still open from the listing, or none */
};

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

struct maintain_ctx {
	int auto_mode, force;
};

static void maintain_report(void *arg, enum midx_pick_event ev,
			    const char *path, const char *detail)
{
	struct maintain_ctx *c = arg;
	switch (ev) {
	case MIDX_BROKEN:
		warning("%s", detail);
		break;
	case MIDX_INCOMPLETE:
		warning("midx '%s' refers to missing idx '%s'", path, detail);
		if (c->auto_mode || c->force) {
			logmsg("Removing incomplete midx %s\n", path);
			unlink(path);
		}
		break;
	case MIDX_REDUNDANT:
		debug1("midx: %s is redundant\n", path);
		unlink(path);
		break;
	}
}

static void sized_free(struct sized *s)
{
	packidx_free(s->src.idx);
	midx_free(s->src.midx);
	free(s->name);
}

int midx_maintain(const char *dir, const char *outpath, int auto_mode,
		  int force, int max_files, int print_names)
{
	struct strlist idxs = STRLIST_INIT, existed = STRLIST_INIT;
	struct midx_picked picked = { 0 };
	struct maintain_ctx ctx = { auto_mode, force };
	struct sized *all = NULL;
	size_t nall = 0, aall = 0;
	int hwm = force ? 1 : 5, lwm = force ? 1 : 2, ret = 0;

	atomic_file_remove_stale(dir);

	if (max_files <= 0)
		max_files = (int)default_max_files();
	/* -f alone does not use the midx files there are */
	if (!(force && !auto_mode) &&
	    midx_pick(dir, &picked, maintain_report, &ctx) < 0)
		return error_errno("cannot read '%s'", dir);
	for (size_t i = 0; i < picked.nr; i++) {
		ALLOC_GROW(all, nall + 1, aall);
		memset(&all[nall], 0, sizeof(all[nall]));
		all[nall].size = picked.midx[i]->nr;
		all[nall].name = xstrdup(picked.midx[i]->path);
		all[nall].src.midx = picked.midx[i];
		picked.midx[i] = NULL;
		nall++;
	}
	if (list_dir_suffix(dir, ".idx", &idxs) < 0) {
		ret = error_errno("cannot read '%s'", dir);
		goto done;
	}
	for (size_t i = 0; i < idxs.nr; i++) {
		struct packidx *ix;
		if (strlist_has(&picked.covered, path_basename(idxs.items[i])))
			continue;
		if (packidx_open(&ix, idxs.items[i]) < 0)
			continue;
		ALLOC_GROW(all, nall + 1, aall);
		memset(&all[nall], 0, sizeof(all[nall]));
		all[nall].size = ix->nr;
		all[nall].name = xstrdup(idxs.items[i]);
		all[nall].src.idx = ix;
		nall++;
	}
	for (size_t i = 0; i < nall; i++)
		strlist_add(&existed, all[i].name);
	debug1("midx: %zu indexes; want no more than %d.\n", nall, hwm);
	while (nall > (size_t)hwm) {
		size_t cut = nall - (size_t)lwm + 1;
		struct sized *next = NULL;
		size_t nnext = 0, anext = 0;
		QSORT(all, nall, by_size_name);
		/* merge all[0..cut) in groups of max_files, keep the rest */
		for (size_t g = 0; g < cut; g += (size_t)max_files) {
			size_t n = cut - g < (size_t)max_files ? cut - g : (size_t)max_files;
			char **names = xcalloc(n, sizeof(*names));
			struct merge_input *in = xcalloc(n, sizeof(*in));
			struct buf w = BUF_INIT;
			uint64_t total = 0;
			size_t nin = 0;
			for (size_t k = 0; k < n; k++) {
				struct sized *s = &all[g + k];
				names[k] = s->name;
				/* a midx written by an earlier round */
				if (!s->src.idx && !s->src.midx &&
				    open_input(dir, s->name, auto_mode, force, &s->src) < 0)
					continue;
				in[nin++] = s->src;
			}
			int r = merge_opened(dir, outpath, names, n, in, nin,
					     auto_mode, force, &w, &total);
			free(names);
			free(in);
			if (r < 0)
				ret = -1;
			if (r > 0) {
				ALLOC_GROW(next, nnext + 1, anext);
				memset(&next[nnext], 0, sizeof(next[nnext]));
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
			sized_free(&all[k]);
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
		sized_free(&all[i]);
	free(all);
	midx_picked_release(&picked);
	strlist_clear(&idxs);
	strlist_clear(&existed);
	return ret;
}
