/*
 * make-idx: fill a pack directory with synthetic pack indexes for
 * bench/lookup.
 *
 * usage: make-idx PACKDIR NPACKS NOBJ [SEED]
 *
 * Writes NPACKS idx v2 files (lib/packidx.c's packidx_write) of NOBJ
 * pseudo-random 20-byte ids each (splitmix64 from SEED, so the same
 * arguments give the same files), with made-up crcs and offsets.  Each
 * gets a matching pack-<sha>.pack: the 12-byte "PACK" header (version 2,
 * NOBJ objects) and a 20-byte trailer, sha1 of the header and the ids.
 * Both files are named by that trailer sha, which the idx also carries.
 * Only the idx files are read by lookups, `bup midx` and `bup bloom`;
 * the packs hold no objects.
 *
 * Files are written under temporary names and renamed, the idx last, so
 * an interrupted run leaves no half-written idx.  Prints one line:
 * packs=N objects=M seconds=S
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/oid.h"
#include "lib/packidx.h"

static uint64_t rng_state;

static uint64_t splitmix64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_random(uint8_t *p, size_t n)
{
	while (n) {
		uint64_t v = splitmix64();
		size_t k = n < 8 ? n : 8;
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "make-idx: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void write_all(int fd, const void *buf, size_t len, const char *path)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write", path);
		}
		p += n;
		len -= (size_t)n;
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

int main(int argc, char **argv)
{
	const char *dir;
	long npacks, nobj;
	unsigned long long seed = 1;
	struct packidx_entry *ents;
	struct timespec t0, t1;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: make-idx PACKDIR NPACKS NOBJ [SEED]\n");
		return 2;
	}
	dir = argv[1];
	npacks = strtol(argv[2], NULL, 10);
	nobj = strtol(argv[3], NULL, 10);
	if (argc == 5)
		seed = strtoull(argv[4], NULL, 10);
	if (npacks <= 0 || nobj <= 0 || nobj > 100000000L) {
		fprintf(stderr, "make-idx: bad NPACKS or NOBJ\n");
		return 2;
	}
	rng_state = seed * 0x2545f4914f6cdd1dULL + 12345;
	ents = calloc((size_t)nobj, sizeof(*ents));
	if (!ents) {
		fprintf(stderr, "make-idx: out of memory\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long p = 0; p < npacks; p++) {
		uint8_t hdr[12], trailer[OID_RAWSZ];
		char hex[OID_HEXSZ + 1], tmp[4096], path[4096];
		struct sha1_ctx c;
		uint64_t ofs = 12;
		int fd;

		memcpy(hdr, "PACK", 4);
		put_be32(hdr + 4, 2);
		put_be32(hdr + 8, (uint32_t)nobj);
		sha1_init(&c);
		sha1_update(&c, hdr, sizeof(hdr));
		for (long i = 0; i < nobj; i++) {
			fill_random(ents[i].oid.hash, OID_RAWSZ);
			sha1_update(&c, ents[i].oid.hash, OID_RAWSZ);
			ents[i].crc = (uint32_t)splitmix64();
			ents[i].offset = ofs;
			ofs += 20 + (splitmix64() & 1023);
		}
		sha1_final(&c, trailer);
		sha1_release(&c);
		for (int i = 0; i < OID_RAWSZ; i++)
			sprintf(hex + 2 * i, "%02x", trailer[i]);

		/* the pack: header + trailer */
		snprintf(tmp, sizeof(tmp), "%s/tmp-make-idx-%ld.pack", dir, p);
		snprintf(path, sizeof(path), "%s/pack-%s.pack", dir, hex);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0444);
		if (fd < 0)
			die("create", tmp);
		write_all(fd, hdr, sizeof(hdr), tmp);
		write_all(fd, trailer, sizeof(trailer), tmp);
		if (close(fd) < 0)
			die("close", tmp);
		if (rename(tmp, path) < 0)
			die("rename", path);

		/* the idx */
		snprintf(tmp, sizeof(tmp), "%s/tmp-make-idx-%ld.idx", dir, p);
		snprintf(path, sizeof(path), "%s/pack-%s.idx", dir, hex);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0444);
		if (fd < 0)
			die("create", tmp);
		if (packidx_write(fd, ents, (uint32_t)nobj, trailer) < 0)
			die("write idx", tmp);
		if (close(fd) < 0)
			die("close", tmp);
		if (rename(tmp, path) < 0)
			die("rename", path);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("packs=%ld objects=%lld seconds=%.3f\n", npacks,
	       (long long)npacks * nobj,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(ents);
	return 0;
}
