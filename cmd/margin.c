/* bup margin: how close the repository's object ids come to colliding. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/options.h"
#include "lib/packlist.h"
#include "lib/repo.h"
#include "lib/usage.h"

static const char margin_usage[] =
"bup margin\n"
"--\n"
"predict    Guess object offsets and report the maximum deviation\n"
"ignore-midx  Don't use midx files; use only plain pack idx files.\n";

#define POPULATION_OF_EARTH 6.7e9	/* bup's figure, as of 2010 */

struct longest {
	uint8_t last[OID_RAWSZ];
	int longmatch;
};

/* Leading bits two ids have in common (bup's bitmatch). */
static int bitmatch(const uint8_t *a, const uint8_t *b)
{
	int byte = 0, bit = 0;
	for (; byte < OID_RAWSZ; byte++)
		if (a[byte] != b[byte]) {
			for (bit = 0; bit < 8; bit++)
				if ((a[byte] ^ b[byte]) & (0x80 >> bit))
					break;
			break;
		}
	return byte * 8 + bit;
}

static int longest_step(void *ctx, const uint8_t *sha)
{
	struct longest *l = ctx;
	if (!memcmp(sha, l->last, OID_RAWSZ))
		return 0;
	int m = bitmatch(l->last, sha);
	if (m > l->longmatch)
		l->longmatch = m;
	memcpy(l->last, sha, OID_RAWSZ);
	return 0;
}

struct predict {
	uint64_t total, count, maxdiff;
};

static int predict_step(void *ctx, const uint8_t *sha)
{
	struct predict *p = ctx;
	uint64_t prefix = 0;
	for (int i = 0; i < 8; i++)
		prefix = prefix << 8 | sha[i];
	/* expected = prefix * total / 2^64, exactly */
	uint64_t expected = (uint64_t)(((unsigned __int128)prefix * p->total) >> 64);
	uint64_t diff = p->count > expected ? p->count - expected : expected - p->count;
	if (diff > p->maxdiff)
		p->maxdiff = diff;
	p->count++;
	return 0;
}

static void print_predict(const struct packlist_entry *ents, size_t nr)
{
	struct predict p = { 0, 0, 0 };
	for (size_t i = 0; i < nr; i++)
		p.total += ents[i].nr;
	packlist_entries_foreach(ents, nr, predict_step, &p);
	printf("%llu of %llu (%.3f%%) ", (unsigned long long)p.maxdiff,
	       (unsigned long long)p.total,
	       p.total ? p.maxdiff * 100.0 / (double)p.total : 0.0);
}

int cmd_margin(int argc, char **argv)
{
	struct options o;
	struct repo repo;

	opt_parse(&o, margin_usage, argc, argv);
	if (o.nr_args)
		opt_fatal(&o, "no arguments expected");
	repo_open(&repo, NULL);
	repo.packs.ignore_midx = opt_count(&o, "ignore-midx");
	packlist_refresh(&repo.packs);

	if (opt_count(&o, "predict")) {
		/* bup prints this and then fails on its own bug; we stop here */
		if (repo.packs.ignore_midx)
			for (size_t i = 0; i < repo.packs.nr; i++)
				print_predict(&repo.packs.ents[i], 1);
		else
			print_predict(repo.packs.ents, repo.packs.nr);
		printf("\n");
	} else {
		struct longest l = { { 0 }, 0 };
		uint64_t n = packlist_total(&repo.packs);
		packlist_foreach_sorted(&repo.packs, longest_step, &l);
		printf("%d\n", l.longmatch);
		fflush(stdout);
		logmsg("%d matching prefix bits\n", l.longmatch);
		/* bup's math.log(n, 2), which is log(n) / log(2), not log2(n) */
		double doublings = log((double)n) / log(2.0);
		double bpd = l.longmatch / doublings;
		logmsg("%.2f bits per doubling\n", bpd);
		int remain = 160 - l.longmatch;
		double rdoublings = remain / bpd;
		logmsg("%d bits (%.2f doublings) remaining\n", remain, rdoublings);
		double larger = pow(2.0, rdoublings);
		logmsg("%g times larger is possible\n", larger);
		logmsg("\nEveryone on earth could have %lld data sets like yours, "
		       "all in one\nrepository, and we would expect 1 object "
		       "collision.\n", (long long)(larger / POPULATION_OF_EARTH));
	}
	repo_close(&repo);
	opt_release(&o);
	return EXIT_OK;
}
