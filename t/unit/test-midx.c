/*
 * Unit tests for lib/midx: merging idx files written with packidx_write
 * into a midx v4 (FORMATS-1 §4.1), finding ids in it (§4.2), and
 * rejecting broken files (§4.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/bigendian.h"
#include "lib/buf.h"
#include "lib/midx.h"
#include "lib/oid.h"
#include "lib/packidx.h"
#include "lib/usage.h"
#include "lib/xio.h"
#include "t/unit/helpers.h"
#include "t/unit/idx-fixture.h"


static int setup(void **state)
{
	(void)state;
	return fixture_setup("midx", 0x0123456789abcdefull);
}

static int teardown(void **state)
{
	(void)state;
	return fixture_teardown();
}

static struct midx *open_ok(const char *path)
{
	struct midx *m;
	struct buf why = BUF_INIT;
	if (midx_open(&m, path, &why) < 0)
		fail_msg("midx_open: %s", why.data);
	buf_release(&why);
	return m;
}

/* Sorted, fanout consistent with the ids, bits as §4.1 says. */
static void check_structure(const struct midx *m, uint64_t n, int bits)
{
	assert_int_equal(m->nr, n);
	assert_int_equal(m->bits, bits);
	for (uint32_t i = 1; i < m->nr; i++)
		assert_true(memcmp(m->shas + 20 * (i - 1), m->shas + 20 * i, 20) <= 0);
	uint32_t k = 0;
	for (uint32_t p = 0; p < (1u << bits); p++) {
		while (k < m->nr && midx_prefix(m->shas + 20 * k, bits) <= p)
			k++;
		assert_int_equal(get_be32(m->fanout + 4 * p), k);
	}
	assert_int_equal(get_be32(m->fanout + 4 * ((1u << bits) - 1)), n);
	/* the file is header + fanout + 24 per entry + names */
	size_t names = 0;
	for (size_t i = 0; i < m->nr_names; i++)
		names += strlen(m->names[i]) + (i ? 1 : 0);
	assert_int_equal(m->map_len, 12 + (4u << bits) + 24 * n + names);
}

static void check_finds(const struct midx *m, const struct set *sets, int nsets)
{
	for (int s = 0; s < nsets; s++)
		for (uint32_t i = 0; i < sets[s].nr; i++) {
			int64_t k = midx_find(m, &sets[s].ids[i]);
			if (k < 0)
				fail_msg("id %u of set %d not found", i, s);
			assert_memory_equal(m->shas + 20 * k, sets[s].ids[i].hash, 20);
			/* the source holds it (for a repeated id, one of them) */
			const char *src = midx_source(m, (uint32_t)k);
			int ok = 0;
			for (int t = 0; t < nsets && !ok; t++)
				if (!strcmp(src, base(sets[t].path)))
					for (uint32_t j = 0; j < sets[t].nr && !ok; j++)
						ok = oid_eq(&sets[t].ids[j], &sets[s].ids[i]);
			if (!ok)
				fail_msg("id %u of set %d: wrong source %s", i, s, src);
		}
	/* absent ids: random ones and near neighbours of present ones */
	for (int i = 0; i < 3000; i++) {
		struct oid o;
		random_oid(&o);
		assert_int_equal(midx_find(m, &o), -1);
	}
	for (int s = 0; s < nsets; s++)
		for (uint32_t i = 0; i < sets[s].nr; i += 3) {
			struct oid o = sets[s].ids[i];
			o.hash[19] ^= 0x01;
			assert_int_equal(midx_find(m, &o), -1);
			o = sets[s].ids[i];
			o.hash[5] ^= 0x80;
			assert_int_equal(midx_find(m, &o), -1);
		}
	struct oid lo, hi;
	memset(lo.hash, 0, 20);
	memset(hi.hash, 0xff, 20);
	assert_int_equal(midx_find(m, &lo), -1);
	assert_int_equal(midx_find(m, &hi), -1);
}

static void merge_sets(const char *dir, struct set *sets, int n, int bits,
		       const char *outpath)
{
	char **inputs = calloc((size_t)n, sizeof(*inputs));
	struct buf written = BUF_INIT;
	uint64_t total = 0, want = 0;
	for (int i = 0; i < n; i++) {
		inputs[i] = sets[i].path;
		want += sets[i].nr;
	}
	assert_int_equal(midx_merge(dir, outpath, inputs, (size_t)n, 0, 0,
				    &written, &total), 1);
	assert_int_equal(total, want);
	if (outpath)
		assert_string_equal(written.data, outpath);
	else {
		/* midx-<sha1 of the input paths joined by NUL>.midx */
		struct sha1_ctx c;
		struct oid id;
		char hex[41], name[1200];
		sha1_init(&c);
		for (int i = 0; i < n; i++)
			sha1_update(&c, inputs[i], strlen(inputs[i]) + (i + 1 < n));
		sha1_final(&c, id.hash);
		sha1_release(&c);
		snprintf(name, sizeof(name), "%s/midx-%s.midx", dir, oid_to_hex(&id, hex));
		assert_string_equal(written.data, name);
	}
	struct midx *m = open_ok(written.data);
	check_structure(m, want, bits);
	/* the names: the inputs' basenames, in order */
	assert_int_equal(m->nr_names, (size_t)n);
	for (int i = 0; i < n; i++)
		assert_string_equal(m->names[i], base(sets[i].path));
	check_finds(m, sets, n);
	assert_true(midx_complete(m, dir, NULL));
	midx_free(m);
	buf_release(&written);
	free(inputs);
}

/* N = 839: pages 4, bits 2 (FORMATS-1 §4.1). */
static void test_midx_bits_839(void **state)
{
	char dir[512];
	struct set s[3];
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s[0], 629);
	make_set(dir, &s[1], 195);
	make_set(dir, &s[2], 15);
	merge_sets(dir, s, 3, 2, NULL);
	for (int i = 0; i < 3; i++)
		free_set(&s[i]);
}

/* N = 500: bits 1 (the auto-midx of §7.6). */
static void test_midx_bits_500(void **state)
{
	char dir[512];
	struct set s[5];
	(void)state;
	new_dir(dir, sizeof(dir));
	for (int i = 0; i < 5; i++)
		make_set(dir, &s[i], 100);
	merge_sets(dir, s, 5, 1, NULL);
	for (int i = 0; i < 5; i++)
		free_set(&s[i]);
}

/* Other sizes: bits = bit_length(pages - 1), pages = max(1, N*5/1024). */
static void test_midx_bits_more(void **state)
{
	static const struct { uint32_t a, b; int bits; } cases[] = {
		{ 1, 1, 0 },		/* 2: pages 0 -> 1 */
		{ 100, 104, 0 },	/* 204: pages 0 -> 1 */
		{ 100, 105, 0 },	/* 205: pages 1 */
		{ 200, 209, 0 },	/* 409: pages 1 */
		{ 200, 210, 1 },	/* 410: pages 2 */
		{ 400, 420, 2 },	/* 820: pages 4 */
		{ 400, 421, 2 },	/* 821: pages 4 */
		{ 1000, 229, 3 },	/* 1229: pages 6 */
		{ 20000, 12000, 8 },	/* 32000: pages 156 */
		{ 0, 3, 0 },		/* an empty idx among the inputs */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dir[512];
		struct set s[2];
		new_dir(dir, sizeof(dir));
		make_set(dir, &s[0], cases[i].a);
		make_set(dir, &s[1], cases[i].b);
		merge_sets(dir, s, 2, cases[i].bits, NULL);
		free_set(&s[0]);
		free_set(&s[1]);
	}
}

/* An id in two idx files: both copies are kept (N counts them) and
 * the id is still found. */
static void test_midx_duplicate_id(void **state)
{
	char dir[512];
	struct set s[3];
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s[0], 300);
	make_set(dir, &s[1], 300);
	/* s[1] shares 20 ids with s[0], s[2] is a copy of s[1] */
	for (int i = 0; i < 20; i++)
		s[1].ids[i * 7] = s[0].ids[i * 11];
	unlink(s[1].path);
	free(s[1].path);
	s[1].path = write_idx(dir, s[1].ids, s[1].nr);
	s[2].ids = malloc(300 * sizeof(struct oid));
	memcpy(s[2].ids, s[1].ids, 300 * sizeof(struct oid));
	s[2].nr = 300;
	s[2].path = write_idx(dir, s[2].ids, 300);
	merge_sets(dir, s, 3, 2, NULL);	/* 900: pages 4 */

	/* each duplicate appears as many times as it is listed */
	char *in[] = { s[0].path, s[1].path, s[2].path };
	struct buf w = BUF_INIT;
	char out[600];
	snprintf(out, sizeof(out), "%s/dups.midx", dir);
	assert_int_equal(midx_merge(dir, out, in, 3, 0, 0, &w, NULL), 1);
	struct midx *m = open_ok(out);
	for (int i = 0; i < 20; i++) {
		const struct oid *o = &s[0].ids[i * 11];
		int64_t k = midx_find(m, o);
		assert_true(k >= 0);
		uint32_t lo = (uint32_t)k, hi = (uint32_t)k;
		while (lo > 0 && !memcmp(m->shas + 20 * (lo - 1), o->hash, 20))
			lo--;
		while (hi + 1 < m->nr && !memcmp(m->shas + 20 * (hi + 1), o->hash, 20))
			hi++;
		assert_int_equal(hi - lo + 1, 3);
		/* the three copies name the three idx files */
		int seen[3] = { 0, 0, 0 };
		for (uint32_t j = lo; j <= hi; j++)
			for (int t = 0; t < 3; t++)
				if (!strcmp(midx_source(m, j), base(s[t].path)))
					seen[t]++;
		assert_int_equal(seen[0], 1);
		assert_int_equal(seen[1], 1);
		assert_int_equal(seen[2], 1);
	}
	midx_free(m);
	buf_release(&w);
	for (int i = 0; i < 3; i++)
		free_set(&s[i]);
}

/* A midx as an input: its names are spliced in, its which values shifted. */
static void test_midx_of_midx(void **state)
{
	char dir[512], out1[600], out2[600];
	struct set s[4];
	struct buf w = BUF_INIT;
	(void)state;
	new_dir(dir, sizeof(dir));
	for (int i = 0; i < 4; i++)
		make_set(dir, &s[i], 150 + 50 * (uint32_t)i);
	snprintf(out1, sizeof(out1), "%s/first.midx", dir);
	char *in1[] = { s[1].path, s[2].path };
	assert_int_equal(midx_merge(dir, out1, in1, 2, 0, 0, &w, NULL), 1);
	snprintf(out2, sizeof(out2), "%s/second.midx", dir);
	char *in2[] = { s[0].path, out1, s[3].path };
	assert_int_equal(midx_merge(dir, out2, in2, 3, 0, 0, NULL, NULL), 1);
	struct midx *m = open_ok(out2);
	assert_int_equal(m->nr_names, 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(m->names[i], base(s[i].path));
	check_structure(m, 150 + 200 + 250 + 300, 2);
	check_finds(m, s, 4);
	midx_free(m);

	/* a midx naming a missing idx is not merged (warned about) */
	struct buf why = BUF_INIT;
	unlink(s[2].path);
	last_msg[0] = 0;
	snprintf(out2, sizeof(out2), "%s/third.midx", dir);
	char *in3[] = { s[0].path, out1, s[3].path };
	assert_int_equal(midx_merge(dir, out2, in3, 3, 0, 0, NULL, NULL), 1);
	assert_non_null(strstr(last_msg, "warning: "));
	assert_non_null(strstr(last_msg, base(s[2].path)));
	m = open_ok(out2);
	assert_int_equal(m->nr_names, 2);
	assert_int_equal(m->nr, 150 + 300);
	struct set kept[2] = { s[0], s[3] };
	check_finds(m, kept, 2);
	midx_free(m);
	/* and midx_complete says which is missing */
	m = open_ok(out1);
	assert_false(midx_complete(m, dir, &why));
	assert_non_null(strstr(why.data, base(s[2].path)));
	midx_free(m);
	buf_release(&why);
	buf_release(&w);
	for (int i = 0; i < 4; i++)
		free_set(&s[i]);
}

/* Ids sharing their first bytes exercise the interpolation bounds. */
static void test_midx_close_ids(void **state)
{
	char dir[512];
	struct set s[2];
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s[0], 400);
	make_set(dir, &s[1], 400);
	/* groups of ids with equal first 2 and 3 bytes, at the ends of
	 * the prefix ranges */
	for (int i = 0; i < 40; i++) {
		s[0].ids[i].hash[0] = 0x00;
		s[0].ids[i].hash[1] = 0x00;
		s[1].ids[i].hash[0] = 0xff;
		s[1].ids[i].hash[1] = 0xff;
		if (i < 10) {
			s[0].ids[i].hash[2] = 0x00;
			s[1].ids[i].hash[2] = 0xff;
		}
		s[0].ids[40 + i].hash[0] = 0x80;
		s[0].ids[40 + i].hash[1] = 0x00;
		s[0].ids[40 + i].hash[2] = 0x00;
	}
	for (int k = 0; k < 2; k++) {
		unlink(s[k].path);
		free(s[k].path);
		s[k].path = write_idx(dir, s[k].ids, s[k].nr);
	}
	merge_sets(dir, s, 2, 2, NULL);
	free_set(&s[0]);
	free_set(&s[1]);
}

/*
 * Three or more ids with the same first four bytes: after the search has
 * narrowed to them, its start and end values are equal.
 */
static void test_midx_same_first_word(void **state)
{
	char dir[512];
	struct set s[1];
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, s, 300);
	for (int i = 0; i < 6; i++) {
		s[0].ids[i].hash[0] = 0x12;
		s[0].ids[i].hash[1] = 0x34;
		s[0].ids[i].hash[2] = 0x56;
		s[0].ids[i].hash[3] = 0x78;
		s[0].ids[i].hash[4] = (uint8_t)(0x10 * (i + 1));
	}
	unlink(s[0].path);
	free(s[0].path);
	s[0].path = write_idx(dir, s[0].ids, s[0].nr);
	char out[600];
	snprintf(out, sizeof(out), "%s/same.midx", dir);
	char *in[] = { s[0].path };
	assert_int_equal(midx_merge(dir, out, in, 1, 0, 0, NULL, NULL), 1);
	struct midx *m = open_ok(out);
	for (int i = 0; i < 6; i++)
		assert_true(midx_find(m, &s[0].ids[i]) >= 0);
	/* absent ones between them */
	struct oid o = s[0].ids[2];
	o.hash[4] = 0x25;
	assert_int_equal(midx_find(m, &o), -1);
	midx_free(m);
	free_set(&s[0]);
}

static void rewrite_set(const char *dir, struct set *s)
{
	unlink(s->path);
	free(s->path);
	s->path = write_idx(dir, s->ids, s->nr);
}

/*
 * Enough ids for the threaded merge (lib/midx.c's THREADS_FROM): plain
 * random ids; ids bunched under one prefix (a slice sorted the slow
 * way); and an id in two idx files far into the table (a thread gives
 * up, bup's merge redoes the file).
 */
static void test_midx_big(void **state)
{
	char dir[512];
	struct set s[4];
	(void)state;
	for (int round = 0; round < 3; round++) {
		new_dir(dir, sizeof(dir));
		for (int i = 0; i < 4; i++)
			make_set(dir, &s[i], 60000);
		if (round == 1) {
			/* 3000 ids with equal first 4 bytes, 40 with equal
			 * first 3 in another input */
			for (int i = 0; i < 3000; i++)
				memcpy(s[0].ids[i].hash, "\x9a\xbc\xde\xf0", 4);
			for (int i = 0; i < 40; i++)
				memcpy(s[1].ids[i].hash, "\x9a\xbc\xde", 3);
			rewrite_set(dir, &s[0]);
			rewrite_set(dir, &s[1]);
		} else if (round == 2) {
			s[3].ids[7].hash[0] = 0xf7;
			s[2].ids[5] = s[3].ids[7];
			rewrite_set(dir, &s[2]);
			rewrite_set(dir, &s[3]);
		}
		char *in[] = { s[0].path, s[1].path, s[2].path, s[3].path };
		char out[600];
		snprintf(out, sizeof(out), "%s/big.midx", dir);
		assert_int_equal(midx_merge(dir, out, in, 4, 0, 0, NULL, NULL), 1);
		struct midx *m = open_ok(out);
		check_structure(m, 240000, 11);	/* pages 1171 */
		for (int k = 0; k < 4; k++)
			for (uint32_t i = 0; i < s[k].nr; i++) {
				int64_t at = midx_find(m, &s[k].ids[i]);
				assert_true(at >= 0);
				if (round == 2 && k == 2 && i == 5)
					continue;	/* the repeated id */
				assert_string_equal(midx_source(m, (uint32_t)at),
						    base(s[k].path));
			}
		midx_free(m);
		for (int i = 0; i < 4; i++)
			free_set(&s[i]);
	}
}

static void test_midx_merge_skips(void **state)
{
	char dir[512];
	struct set s[2];
	struct buf w = BUF_INIT;
	uint64_t total = 99;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s[0], 10);
	make_set(dir, &s[1], 10);
	char *in[] = { s[0].path, s[1].path };
	/* auto: fewer than 3 inputs and under 1024 objects */
	assert_int_equal(midx_merge(dir, NULL, in, 2, 1, 0, &w, &total), 0);
	assert_int_equal(total, 20);
	assert_int_equal(w.len, 0);
	/* force with a single input */
	assert_int_equal(midx_merge(dir, NULL, in, 1, 0, 1, &w, NULL), 0);
	assert_int_equal(w.len, 0);
	/* nothing was written */
	DIR *d = opendir(dir);
	struct dirent *de;
	int midxs = 0;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".midx") || strstr(de->d_name, "tmp"))
			midxs++;
	closedir(d);
	assert_int_equal(midxs, 0);
	/* explicit: written even for two small inputs */
	assert_int_equal(midx_merge(dir, NULL, in, 2, 0, 0, &w, NULL), 1);
	assert_true(w.len > 0);
	buf_release(&w);
	free_set(&s[0]);
	free_set(&s[1]);
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void assert_rejected(const char *dir, const char *name, const void *data,
			    size_t len, const char *reason)
{
	char path[1024];
	struct midx *m = (struct midx *)1;
	struct buf why = BUF_INIT;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	spit(path, data, len);
	assert_int_equal(midx_open(&m, path, &why), -1);
	assert_null(m);
	if (!strstr(why.data, path))
		fail_msg("%s: the reason does not name the file: %s", name, why.data);
	if (reason && !strstr(why.data, reason))
		fail_msg("%s: the reason does not say '%s': %s", name, reason,
			 why.data);
	buf_release(&why);
}

static void test_midx_open_rejects(void **state)
{
	char dir[512], out[600];
	struct set s[2];
	struct buf b = BUF_INIT;
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, &s[0], 300);
	make_set(dir, &s[1], 200);
	snprintf(out, sizeof(out), "%s/good.midx", dir);
	char *in[] = { s[0].path, s[1].path };
	assert_int_equal(midx_merge(dir, out, in, 2, 0, 0, NULL, NULL), 1);
	assert_int_equal(read_file(out, &b), 0);
	/* the good one opens: bits 1 for 500 */
	struct midx *m = open_ok(out);
	assert_int_equal(m->bits, 1);
	midx_free(m);
	assert_memory_equal(b.data, "MIDX\0\0\0\4\0\0\0\1", 12);

	uint8_t *d = malloc(b.len);
	memcpy(d, b.data, b.len);
	d[0] = 'X';
	assert_rejected(dir, "magic.midx", d, b.len, "magic");
	memcpy(d, b.data, b.len);
	d[7] = 3;
	assert_rejected(dir, "v3.midx", d, b.len, "version");
	d[7] = 5;
	assert_rejected(dir, "v5.midx", d, b.len, "version");
	memcpy(d, b.data, b.len);
	d[4] = 1;	/* version 0x01000004 */
	assert_rejected(dir, "vbig.midx", d, b.len, "version");
	/* truncated: inside the ids, the which table, the fanout, the header */
	assert_rejected(dir, "t1.midx", b.data, 12 + 8 + 20 * 100, "truncated");
	assert_rejected(dir, "t2.midx", b.data, 12 + 8 + 20 * 500 + 4 * 499,
			"truncated");
	assert_rejected(dir, "t3.midx", b.data, 14, NULL);
	assert_rejected(dir, "t4.midx", b.data, 8, NULL);
	assert_rejected(dir, "empty.midx", b.data, 0, NULL);
	/* a huge bits value */
	memcpy(d, b.data, b.len);
	d[11] = 40;
	assert_rejected(dir, "bits.midx", d, b.len, NULL);
	/* a fanout count above the next (found by fuzzing: lookups read
	 * beyond the table) */
	memcpy(d, b.data, b.len);
	d[12] = 0x60;
	assert_rejected(dir, "fanout.midx", d, b.len, "fanout");
	/* a which value beyond the name list */
	memcpy(d, b.data, b.len);
	d[12 + 8 + 20 * 500 + 3] = 7;
	assert_rejected(dir, "which.midx", d, b.len, NULL);
	/* a missing file */
	struct buf why = BUF_INIT;
	snprintf(out, sizeof(out), "%s/absent.midx", dir);
	m = (struct midx *)1;
	assert_int_equal(midx_open(&m, out, &why), -1);
	assert_null(m);
	assert_non_null(strstr(why.data, out));
	buf_release(&why);
	midx_free(NULL);
	free(d);
	buf_release(&b);
	free_set(&s[0]);
	free_set(&s[1]);
}

static void test_midx_counted_steps(void **state)
{
	char dir[512], out[600];
	struct set s[1];
	(void)state;
	new_dir(dir, sizeof(dir));
	make_set(dir, s, 1000);
	snprintf(out, sizeof(out), "%s/steps.midx", dir);
	char *in[] = { s[0].path };
	assert_int_equal(midx_merge(dir, out, in, 1, 0, 0, NULL, NULL), 1);
	struct midx *m = open_ok(out);
	uint64_t steps = 0;
	for (uint32_t i = 0; i < s[0].nr; i++)
		assert_true(midx_find_counted(m, &s[0].ids[i], &steps) >= 0);
	/* at least the table step and one probe each; interpolation on
	 * uniform ids takes few */
	assert_true(steps >= 2 * s[0].nr);
	assert_true(steps < 6 * s[0].nr);
	midx_free(m);
	free_set(&s[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_midx_bits_839),
		cmocka_unit_test(test_midx_bits_500),
		cmocka_unit_test(test_midx_bits_more),
		cmocka_unit_test(test_midx_duplicate_id),
		cmocka_unit_test(test_midx_of_midx),
		cmocka_unit_test(test_midx_close_ids),
		cmocka_unit_test(test_midx_same_first_word),
		cmocka_unit_test(test_midx_big),
		cmocka_unit_test(test_midx_merge_skips),
		cmocka_unit_test(test_midx_open_rejects),
		cmocka_unit_test(test_midx_counted_steps),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
