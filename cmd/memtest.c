/* bup memtest: time and memory of object lookups, bup's report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "cmd/cmd.h"
#include "lib/options.h"
#include "lib/packlist.h"
#include "lib/repo.h"
#include "lib/usage.h"

static const char memtest_usage[] =
"bup memtest [-n elements] [-c cycles]\n"
"--\n"
"n,number=  number of objects per cycle [10000]\n"
"c,cycles=  number of cycles to run [100]\n"
"ignore-midx  ignore .midx files, use only .idx files\n"
"existing   test with existing objects instead of fake ones\n";

struct report {
	double last, last_u, last_s, start;
};

static double tv_secs(struct timeval tv)
{
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static double now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return tv_secs(tv);
}

/* One line of bup's table: count, RSS (MiB), MajFlt, user, sys, ms. */
static void report(struct report *r, long long count)
{
	struct rusage ru;
	double t = now();
	char c[32], f[5][32];

	getrusage(RUSAGE_SELF, &ru);
	snprintf(f[0], sizeof(f[0]), "%ld", ru.ru_maxrss / 1024);
	snprintf(f[1], sizeof(f[1]), "%ld", ru.ru_majflt);
	snprintf(f[2], sizeof(f[2]), "%d", (int)((tv_secs(ru.ru_utime) - r->last_u) * 1000));
	snprintf(f[3], sizeof(f[3]), "%d", (int)((tv_secs(ru.ru_stime) - r->last_s) * 1000));
	snprintf(f[4], sizeof(f[4]), "%d", (int)((t - r->last) * 1000));
	if (count >= 0) {
		snprintf(c, sizeof(c), "%lld", count);
		printf("%9s  %10s %10s %10s %10s %10s \n", c, f[0], f[1], f[2],
		       f[3], f[4]);
	} else {
		r->start = t;
		printf("%9s  %10s %10s %10s %10s %10s \n", "", "RSS", "MajFlt",
		       "user", "sys", "ms");
	}
	fflush(stdout);
	getrusage(RUSAGE_SELF, &ru);
	r->last_u = tv_secs(ru.ru_utime);
	r->last_s = tv_secs(ru.ru_stime);
	r->last = t;
}

/*
 * bup's random_sha: five random() words per id, seeded once from the
 * clock.  random_r() with its own 128-byte state gives the same sequence
 * as srandom()/random() without their lock, which cost a third of the
 * lookup time.
 */
struct rng {
	struct random_data data;
	char state[128];
};

static void rng_init(struct rng *r, unsigned seed)
{
	memset(r, 0, sizeof(*r));
	initstate_r(seed, r->state, sizeof(r->state), &r->data);
}

static void random_sha(struct oid *o, struct rng *r)
{
	for (int i = 0; i < OID_RAWSZ; i += 4) {
		int32_t v;
		random_r(&r->data, &v);
		uint32_t w = (uint32_t)v;
		memcpy(o->hash + i, &w, 4);
	}
}

/* Existing ids in sorted order, each once, over and over (bup's
 * foreverit over idxmerge). */
struct existing {
	const struct packlist_entry *ents;
	size_t nr;
	struct packlist_iter it;
	const uint8_t *last;
};

static const uint8_t *next_existing(struct existing *e)
{
	const uint8_t *sha;
	for (;;) {
		sha = packlist_iter_next(&e->it);
		if (!sha) {
			packlist_iter_release(&e->it);
			packlist_iter_init(&e->it, e->ents, e->nr);
			e->last = NULL;
			sha = packlist_iter_next(&e->it);
			if (!sha)
				return NULL;
		}
		if (!e->last || memcmp(sha, e->last, OID_RAWSZ)) {
			e->last = sha;
			return sha;
		}
	}
}

static void print_stat(const char *what, int64_t searches, int64_t steps)
{
	if (searches)
		printf("%s: %lld objects searched in %lld steps: avg %.3f steps/object\n",
		       what, (long long)searches, (long long)steps,
		       steps * 1.0 / (double)searches);
}

int cmd_memtest(int argc, char **argv)
{
	struct options o;
	struct repo repo;
	struct report r = { 0, 0, 0, 0 };
	struct existing ex;
	struct rng rng;
	long number, cycles;
	int existing;

	opt_parse(&o, memtest_usage, argc, argv);
	if (o.nr_args)
		opt_fatal(&o, "no arguments expected");
	number = opt_int(&o, "number", 10000);
	cycles = opt_int(&o, "cycles", 100);
	existing = opt_count(&o, "existing");
	repo_open(&repo, NULL);
	report(&r, -1);
	{
		/* bup seeds by drawing (and dropping) one id here */
		struct oid first;
		rng_init(&rng, (unsigned)time(NULL));
		random_sha(&first, &rng);
	}
	report(&r, 0);
	repo.packs.ignore_midx = opt_count(&o, "ignore-midx");
	packlist_refresh(&repo.packs);
	if (existing) {
		ex.ents = repo.packs.ents;
		ex.nr = repo.packs.nr;
		ex.last = NULL;
		packlist_iter_init(&ex.it, ex.ents, ex.nr);
		if (!packlist_total(&repo.packs))
			die("--existing: the repository has no objects");
	}
	for (long c = 0; c < cycles; c++) {
		for (long n = 0; n < number; n++) {
			struct oid id;
			if (existing) {
				memcpy(id.hash, next_existing(&ex), OID_RAWSZ);
				if (!packlist_exists(&repo.packs, &id))
					BUG("an existing object was not found");
			} else {
				random_sha(&id, &rng);
				if (packlist_exists(&repo.packs, &id))
					BUG("a random object id was found");
			}
		}
		report(&r, (long long)(c + 1) * number);
	}
	print_stat("bloom", repo.packs.stats.bloom_searches, repo.packs.stats.bloom_steps);
	print_stat("midx", repo.packs.stats.midx_searches, repo.packs.stats.midx_steps);
	print_stat("idx", repo.packs.stats.idx_searches, repo.packs.stats.idx_steps);
	printf("Total time: %.3fs\n", now() - r.start);
	if (existing)
		packlist_iter_release(&ex.it);
	repo_close(&repo);
	opt_release(&o);
	return EXIT_OK;
}
