/*
 * idx-fixture: what the idx, midx, bloom and packlist unit tests share:
 * a repeatable stream of random object ids, and .idx files written from
 * a list of ids (no pack behind them: the lookups only read the idx).
 * Header only (static inline), like helpers.h.
 *
 * The random stream's state is `test_rng`; a test sets its own seed in
 * its setup, before drawing any id.
 */
#ifndef BUP_TEST_IDX_FIXTURE_H
#define BUP_TEST_IDX_FIXTURE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/oid.h"
#include "lib/packidx.h"

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

#endif
