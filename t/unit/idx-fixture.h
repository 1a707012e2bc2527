/*
 * idx-fixture: what the idx, midx, bloom and packlist unit tests share:
 * a repeatable stream of random object ids, .idx files written from a
 * list of ids (no pack behind them: the lookups only read the idx), and
 * a scratch directory with the last reported message.
 * Header only (static inline), like helpers.h.
 *
 * The random stream's state is `test_rng`; a test sets its own seed in
 * its setup, before drawing any id.
 */
#ifndef BUP_TEST_IDX_FIXTURE_H
#define BUP_TEST_IDX_FIXTURE_H

#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/oid.h"
#include "lib/packidx.h"
#include "lib/usage.h"
#include "t/unit/helpers.h"

static uint64_t test_rng = 1;

/* xorshift64: the next 32 pseudo-random bits of test_rng. */
static inline uint32_t rnd32(void)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return (uint32_t)(test_rng >> 11);
}

static inline void random_oid(struct oid *o)
{
	for (int i = 0; i < OID_RAWSZ; i++)
		o->hash[i] = (uint8_t)rnd32();
}

/* Write the idx of `ents` with trailer `pack_sha` to `path`. */
static inline void write_idx_file(const char *path, struct packidx_entry *ents,
				  uint32_t nr, const uint8_t pack_sha[20])
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(packidx_write(fd, ents, nr, pack_sha), 0);
	close(fd);
}

/*
 * An idx of `ids` in `dir`, named pack-<name>.idx with `name` as its
 * trailer: the SHA-1 of the ids with its last byte drawn at random
 * (distinct names for equal id lists; which of two idx files holding
 * one id a midx names depends on their names).  The path, to free.
 */
static inline char *write_idx(const char *dir, const struct oid *ids,
			      uint32_t nr)
{
	struct packidx_entry *e = calloc(nr ? nr : 1, sizeof(*e));
	char hex[OID_HEXSZ + 1], path[1024];
	struct oid name;

	for (uint32_t i = 0; i < nr; i++) {
		e[i].oid = ids[i];
		e[i].crc = i;
		e[i].offset = 12 + 100 * (uint64_t)i;
	}
	sha1_buf(ids, nr * sizeof(*ids), name.hash);
	name.hash[19] ^= (uint8_t)rnd32();
	snprintf(path, sizeof(path), "%s/pack-%s.idx", dir,
		 oid_to_hex(&name, hex));
	write_idx_file(path, e, nr, name.hash);
	free(e);
	return strdup(path);
}

/* A set of ids and the idx that holds them. */
struct set {
	struct oid *ids;
	uint32_t nr;
	char *path;
};

/* `nr` random ids in an idx in `dir`. */
static inline void make_set(const char *dir, struct set *s, uint32_t nr)
{
	s->ids = malloc((nr ? nr : 1) * sizeof(*s->ids));
	s->nr = nr;
	for (uint32_t i = 0; i < nr; i++)
		random_oid(&s->ids[i]);
	s->path = write_idx(dir, s->ids, nr);
}

static inline void free_set(struct set *s)
{
	free(s->ids);
	free(s->path);
}

/*
 * The scratch directory of the test program, /tmp/test-NAME-XXXXXX, and
 * the last message the code under test reported (through usage's
 * report hook) and the number of warnings.  A group's setup calls fixture_setup(), its teardown
 * fixture_teardown().  The including file includes <cmocka.h> first.
 */
static char tmpdir[64];
static char last_msg[4096];
static int nr_warnings __attribute__((unused));	/* reported so far */
static int dir_seq __attribute__((unused));

static inline void capture_report(const char *prefix, const char *msg)
{
	snprintf(last_msg, sizeof(last_msg), "%s%s", prefix, msg);
	if (!strcmp(prefix, "warning: "))
		nr_warnings++;
}

static inline int fixture_setup(const char *name, uint64_t seed)
{
	test_rng = seed;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-%s-XXXXXX", name);
	if (!mkdtemp(tmpdir))
		return -1;
	usage_set_report(capture_report);
	return 0;
}

static inline int fixture_teardown(void)
{
	usage_set_report(NULL);
	return rm_rf(tmpdir);
}

/* A new empty directory under the scratch directory; its path to out. */
static inline void new_dir(char *out, size_t n)
{
	snprintf(out, n, "%s/pack%d", tmpdir, ++dir_seq);
	assert_int_equal(mkdir(out, 0755), 0);
}

/* The last component of a path. */
static inline const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

#endif
