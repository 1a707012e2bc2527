#include "bloom.h"
#include "bigendian.h"
#include "packidx.h"
#include "strlist.h"
#include "usage.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOOM_VERSION 2
#define BLOOM_HEADER 16
#define MAX_PFALSE_POSITIVE 1.0
#define MAX_BITS_EACH 32

static int max_bits(int k)
{
	return k == 4 ? 37 : 29;
}

int bloom_open(struct bloom **out, const char *path, struct buf *why)
{
	struct bloom *b;
	const uint8_t *p;
	size_t names_at, len;
	uint32_t version;

	*out = NULL;
	if (map_file(path, BLOOM_HEADER, "bloom filter", &p, &len, why) < 0)
		return -1;
	b = xcalloc(1, sizeof(*b));
	b->path = xstrdup(path);
	b->map = p;
	b->map_len = len;
	version = get_be32(p + 4);
	if (memcmp(p, "BLOM", 4)) {
		buf_addf(why, "'%s' is not a bloom filter (bad magic)", path);
		goto fail;
	}
	if (version != BLOOM_VERSION) {
		buf_addf(why, "'%s' has bloom version %u, not %u", path, version,
			 BLOOM_VERSION);
		goto fail;
	}
	b->bits = p[8] << 8 | p[9];
	b->k = p[10] << 8 | p[11];
	b->entries = get_be32(p + 12);
	if ((b->k != 4 && b->k != 5) || b->bits < 1 || b->bits > max_bits(b->k) ||
	    b->bits > 40) {
		buf_addf(why, "'%s' has bad parameters (bits %d, k %d)", path,
			 b->bits, b->k);
		goto fail;
	}
	if (b->map_len < BLOOM_HEADER + ((size_t)1 << b->bits)) {
		buf_addf(why, "'%s' is truncated", path);
		goto fail;
	}
	b->table = p + BLOOM_HEADER;
	names_at = BLOOM_HEADER + ((size_t)1 << b->bits);
	b->names = split_names(p + names_at, b->map_len - names_at, &b->nr_names);
	*out = b;
	return 0;
fail:
	bloom_free(b);
	return -1;
}

void bloom_free(struct bloom *b)
{
	if (!b)
		return;
	if (b->map)
		munmap((void *)b->map, b->map_len);
	free_names(b->names, b->nr_names);
	free(b->path);
	free(b);
}

int bloom_has_name(const struct bloom *b, const char *basename)
{
	for (size_t i = 0; i < b->nr_names; i++)
		if (!strcmp(b->names[i], basename))
			return 1;
	return 0;
}

/* Byte index and bit of hash function j for `sha` (FORMATS-1 §5.2). */
static inline void address(const uint8_t *sha, int j, int bits, int k,
			   uint64_t *v, int *bit)
{
	uint64_t mask = ((uint64_t)1 << bits) - 1;
	if (k == 5) {
		uint32_t w = get_be32(sha + 4 * j);
		*v = (w >> (32 - bits)) & mask;
		*bit = (int)((w >> (29 - bits)) & 7);
	} else {
		uint64_t w = (uint64_t)get_be32(sha + 5 * j) << 8 | sha[5 * j + 4];
		*v = (w >> (40 - bits)) & mask;
		*bit = (int)((w >> (37 - bits)) & 7);
	}
}

int bloom_contains_counted(const struct bloom *b, const struct oid *oid,
			   uint64_t *steps)
{
	for (int j = 0; j < b->k; j++) {
		uint64_t v;
		int bit;
		address(oid->hash, j, b->bits, b->k, &v, &bit);
		if (!(b->table[v] & (1 << bit))) {
			if (steps)
				*steps += (uint64_t)j + 1;
			return 0;
		}
	}
	if (steps)
		*steps += (uint64_t)b->k;
	return 1;
}

int bloom_contains(const struct bloom *b, const struct oid *oid)
{
	return bloom_contains_counted(b, oid, NULL);
}

/* How many ids ahead add_ids() asks for the bytes it will set. */
#define AHEAD 8

/* bloom_add_ids(), with atomic ORs if threads share the table. */
static inline void add_ids(uint8_t *table, int bits, int k, const uint8_t *ids,
			   size_t n, size_t stride, int shared)
{
	if (k == 5) {
		/* the common case, one 32-bit word per hash (bits <= 29) */
		const int s1 = 32 - bits, s2 = 29 - bits;
		for (size_t i = 0; i < n; i++, ids += stride) {
			if (i + AHEAD < n) {
				const uint8_t *a = ids + AHEAD * stride;
				for (int j = 0; j < 5; j++)
					__builtin_prefetch(table + (get_be32(a + 4 * j) >> s1), 1);
			}
			for (int j = 0; j < 5; j++) {
				uint32_t w = get_be32(ids + 4 * j);
				uint8_t bit = (uint8_t)(1 << ((w >> s2) & 7));
				if (shared)
					__atomic_fetch_or(table + (w >> s1), bit, __ATOMIC_RELAXED);
				else
					table[w >> s1] |= bit;
			}
		}
		return;
	}
	for (size_t i = 0; i < n; i++, ids += stride)
		for (int j = 0; j < k; j++) {
			uint64_t v;
			int bit;
			address(ids, j, bits, k, &v, &bit);
			if (shared)
				__atomic_fetch_or(table + v, (uint8_t)(1 << bit), __ATOMIC_RELAXED);
			else
				table[v] |= (uint8_t)(1 << bit);
		}
}

void bloom_add_ids(uint8_t *table, int bits, int k, const uint8_t *ids,
		   size_t n, size_t stride)
{
	add_ids(table, bits, k, ids, n, stride, 0);
}

double bloom_pfalse_positive(int bits, int k, uint64_t entries)
{
	double m = 8.0 * pow(2.0, bits);
	return 100.0 * pow(1.0 - exp(-(double)k * (double)entries / m), k);
}

/*
 * The bit table, in anonymous memory (zeroed) on huge pages where the
 * kernel gives them: the ids set bits all over it, and with 4 KiB pages
 * nearly every one is also a TLB miss.
 */
static uint8_t *table_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("out of memory for a bloom table of %zu bytes", len);
#ifdef MADV_HUGEPAGE
	madvise(p, len, MADV_HUGEPAGE);
#endif
	return p;
}

struct fill_job {
	uint8_t *table;
	int bits, k, shared;
	char **paths;
	size_t nr;
	int *failed;		/* per path: could not be opened */
};

static void *fill_job_run(void *arg)
{
	struct fill_job *j = arg;
	for (size_t i = 0; i < j->nr; i++) {
		struct packidx *ix;
		if (packidx_open(&ix, j->paths[i]) < 0) {
			j->failed[i] = 1;
			continue;
		}
		/* two calls, so that each is compiled for its case */
		if (j->shared)
			add_ids(j->table, j->bits, j->k, packidx_sha(ix, 0), ix->nr,
				ix->version == 2 ? 20 : 24, 1);
		else
			add_ids(j->table, j->bits, j->k, packidx_sha(ix, 0), ix->nr,
				ix->version == 2 ? 20 : 24, 0);
		packidx_free(ix);
	}
	return NULL;
}

#define FILL_THREADS_FROM 200000	/* ids */
#define MAX_FILL_THREADS 4

/*
 * Add the ids of the idx files `paths` (`sizes`, `count` in all, as
 * listed) to `table`; failed[i] is set for one that cannot be opened
 * now.  Big jobs are split over the CPUs by runs of idx files, all
 * setting bits in the one table with atomic ORs (a table per thread
 * would cost as much memory again, and as much time to OR together).
 */
static void fill_table(uint8_t *table, int bits, int k, char **paths,
		       const uint32_t *sizes, size_t nr, uint64_t count,
		       int *failed)
{
	struct fill_job jobs[MAX_FILL_THREADS];
	pthread_t th[MAX_FILL_THREADS];
	int started[MAX_FILL_THREADS] = { 0 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nt = cpus > MAX_FILL_THREADS ? MAX_FILL_THREADS : cpus < 1 ? 1 : (int)cpus;
	size_t at = 0;
	uint64_t done = 0;

	if (count < FILL_THREADS_FROM || (size_t)nt > nr)
		nt = 1;
	/* contiguous runs of idx files with about count/nt ids each */
	for (int t = 0; t < nt; t++) {
		struct fill_job *j = &jobs[t];
		size_t from = at;
		uint64_t want = count * (uint64_t)(t + 1) / (uint64_t)nt;
		while (at < nr && (done < want || t == nt - 1))
			done += sizes[at++];
		j->table = table;
		j->bits = bits;
		j->k = k;
		j->shared = nt > 1;
		j->paths = paths + from;
		j->failed = failed + from;
		j->nr = at - from;
	}
	for (int t = 1; t < nt; t++)
		started[t] = pthread_create(&th[t], NULL, fill_job_run, &jobs[t]) == 0;
	fill_job_run(&jobs[0]);
	for (int t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			fill_job_run(&jobs[t]);
	}
}

static int write_bloom(const char *outpath, int bits, int k, uint64_t entries,
		       const uint8_t *table, const struct strlist *names)
{
	struct atomic_file af;
	struct buf list = BUF_INIT;
	uint8_t hdr[BLOOM_HEADER];
	int err;

	memcpy(hdr, "BLOM", 4);
	put_be32(hdr + 4, BLOOM_VERSION);
	hdr[8] = (uint8_t)(bits >> 8);
	hdr[9] = (uint8_t)bits;
	hdr[10] = 0;
	hdr[11] = (uint8_t)k;
	put_be32(hdr + 12, (uint32_t)entries);
	if (atomic_file_open(&af, outpath) < 0)
		return error_errno("cannot create a temporary file for '%s'", outpath);
	for (size_t i = 0; i < names->nr; i++) {
		if (i)
			buf_addch(&list, 0);
		buf_adds(&list, names->items[i]);
	}
	err = write_in_full(af.fd, hdr, sizeof(hdr)) ||
	      write_in_full(af.fd, table, (size_t)1 << bits) ||
	      write_in_full(af.fd, list.data, list.len);
	buf_release(&list);
	if (err) {
		error_errno("cannot write '%s'", af.tmp.data);
		atomic_file_abort(&af);
		return -1;
	}
	if (atomic_file_commit(&af) < 0)
		return error_errno("cannot write '%s'", outpath);
	return 0;
}

/* idx paths with their sizes */
struct sized_list {
	struct strlist paths;
	uint32_t *sizes;
	size_t alloc;
};

static void sized_add(struct sized_list *l, const char *path, uint32_t size)
{
	ALLOC_GROW(l->sizes, l->paths.nr + 1, l->alloc);
	l->sizes[l->paths.nr] = size;
	strlist_add(&l->paths, path);
}

static void sized_clear(struct sized_list *l)
{
	strlist_clear(&l->paths);
	free(l->sizes);
	l->sizes = NULL;
	l->alloc = 0;
}

int bloom_maintain(const char *dir, const char *outpath, int k, int force)
{
	struct strlist idxs = STRLIST_INIT, names = STRLIST_INIT;
	struct sized_list add = { STRLIST_INIT, NULL, 0 };
	struct sized_list rest = { STRLIST_INIT, NULL, 0 };
	struct bloom *old = NULL;
	struct buf why = BUF_INIT, out = BUF_INIT;
	uint64_t add_count = 0, rest_count = 0, entries = 0;
	uint8_t *table = NULL;
	size_t table_len = 0;
	int bits, ret = 0, rebuild, *failed = NULL;

	atomic_file_remove_stale(dir);
	if (outpath)
		buf_adds(&out, outpath);
	else
		buf_addf(&out, "%s/bup.bloom", dir);
	if (!force && access(out.data, F_OK) == 0 &&
	    bloom_open(&old, out.data, &why) < 0) {
		debug1("bloom: existing invalid bloom found, regenerating: %s\n",
		       why.data);
		old = NULL;
	}
	if (list_dir_suffix(dir, ".idx", &idxs) < 0) {
		ret = error_errno("cannot read '%s'", dir);
		goto done;
	}
	/* (not kept open: 500 maps would hold 30 MB of page-table entries) */
	for (size_t i = 0; i < idxs.nr; i++) {
		struct packidx *ix;
		if (packidx_open(&ix, idxs.items[i]) < 0)
			continue;
		if (old && bloom_has_name(old, path_basename(idxs.items[i]))) {
			sized_add(&rest, idxs.items[i], ix->nr);
			rest_count += ix->nr;
		} else {
			sized_add(&add, idxs.items[i], ix->nr);
			add_count += ix->nr;
		}
		packidx_free(ix);
	}
	if (!add.paths.nr) {
		debug1("bloom: nothing to do.\n");
		goto done;
	}
	rebuild = !old;
	if (old) {
		if (old->entries != rest_count) {
			debug1("bloom: size %u != idx total %llu, regenerating\n",
			       old->entries, (unsigned long long)rest_count);
			rebuild = 1;
		} else if (k && k != old->k) {
			debug1("bloom: new k %d != existing k %d, regenerating\n",
			       k, old->k);
			rebuild = 1;
		} else if (old->bits < max_bits(old->k) &&
			   bloom_pfalse_positive(old->bits, old->k,
						 old->entries + add_count) >
			   MAX_PFALSE_POSITIVE) {
			debug1("bloom: regenerating: adding %llu entries gives "
			       "%.2f%% false positives.\n",
			       (unsigned long long)add_count,
			       bloom_pfalse_positive(old->bits, old->k,
						     old->entries + add_count));
			rebuild = 1;
		}
	}
	if (rebuild) {
		/* everything, new ones first, as bup does (add += rest) */
		for (size_t i = 0; i < rest.paths.nr; i++)
			sized_add(&add, rest.paths.items[i], rest.sizes[i]);
		add_count += rest_count;
		uint64_t expected = add_count;
		if (!expected) {
			/* only empty idx files: nothing to filter (bup crashes) */
			debug1("bloom: no objects; nothing to do.\n");
			goto done;
		}
		bits = 0;
		while (((uint64_t)1 << (bits + 1)) <= expected * MAX_BITS_EACH / 8)
			bits++;
		if (!k)
			k = bits <= max_bits(5) ? 5 : 4;
		if (bits > max_bits(k)) {
			warning("bloom: max bits exceeded, non-optimal");
			bits = max_bits(k);
		}
		debug1("bloom: using 2^%d bytes and %d hash functions\n", bits, k);
		table_len = (size_t)1 << bits;
		table = table_alloc(table_len);
	} else {
		bits = old->bits;
		k = old->k;
		entries = old->entries;
		table_len = (size_t)1 << bits;
		table = table_alloc(table_len);
		memcpy(table, old->table, table_len);
		for (size_t i = 0; i < old->nr_names; i++)
			strlist_add(&names, old->names[i]);
	}
	failed = xcalloc(add.paths.nr, sizeof(*failed));
	fill_table(table, bits, k, add.paths.items, add.sizes, add.paths.nr,
		   add_count, failed);
	for (size_t i = 0; i < add.paths.nr; i++)
		if (!failed[i]) {
			strlist_add(&names, path_basename(add.paths.items[i]));
			entries += add.sizes[i];
		}
	ret = write_bloom(out.data, bits, k, entries, table, &names);
done:
	bloom_free(old);
	if (table)
		munmap(table, table_len);
	free(failed);
	sized_clear(&add);
	sized_clear(&rest);
	strlist_clear(&idxs);
	strlist_clear(&names);
	buf_release(&why);
	buf_release(&out);
	return ret;
}
