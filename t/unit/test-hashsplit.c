/*
 * Unit tests for lib/hashsplit: bup 0.33's chunking (FORMATS-1 §1.4),
 * with the golden vectors of §7.2-7.3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/hashsplit.h"
#include "lib/oid.h"
#include "lib/rollsum.h"

/* ---- inputs ---- */

/* `bup random -S seed len`: glibc srandom/random, 256 uint32 per KiB. */
static uint8_t *bup_random(unsigned seed, size_t len)
{
	uint8_t *out = malloc(len ? len : 1);
	uint32_t block[256];
	size_t pos = 0;
	assert_non_null(out);
	srandom(seed);
	while (pos < len) {
		for (int i = 0; i < 256; i++)
			block[i] = (uint32_t)random();
		size_t n = len - pos < sizeof(block) ? len - pos : sizeof(block);
		memcpy(out + pos, block, n);
		pos += n;
	}
	return out;
}

/* `yes di | head -c len` */
static uint8_t *yes_di(size_t len)
{
	uint8_t *out = malloc(len ? len : 1);
	assert_non_null(out);
	for (size_t i = 0; i < len; i++)
		out[i] = "di\n"[i % 3];
	return out;
}

static void assert_sha1(const void *data, size_t len, const char *hex)
{
	struct oid o;
	char h[OID_HEXSZ + 1];
	sha1_buf(data, len, o.hash);
	assert_string_equal(oid_to_hex(&o, h), hex);
}

/* ---- chunk recorder ---- */

struct chunk {
	size_t len;
	int level;
	uint64_t offset;
};

struct rec {
	struct chunk *c;
	size_t nr, alloc;
	uint64_t offset;
	int want_ids;		/* also hash the `bup split -b` output */
	struct sha1_ctx b_out;
	int stop_after;		/* return 1 from emit after this many (0: never) */
};

static void rec_init(struct rec *r, int want_ids)
{
	memset(r, 0, sizeof(*r));
	r->want_ids = want_ids;
	if (want_ids)
		sha1_init(&r->b_out);
}

static void rec_release(struct rec *r)
{
	free(r->c);
	if (r->want_ids)
		sha1_release(&r->b_out);
	memset(r, 0, sizeof(*r));
}

static void rec_push(struct rec *r, size_t len, int level)
{
	if (r->nr == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 256;
		r->c = realloc(r->c, r->alloc * sizeof(*r->c));
		assert_non_null(r->c);
	}
	r->c[r->nr].len = len;
	r->c[r->nr].level = level;
	r->c[r->nr].offset = r->offset;
	r->nr++;
	r->offset += len;
}

static int rec_emit(void *ctx, const uint8_t *data, size_t len, int level)
{
	struct rec *r = ctx;
	assert_true(len >= 1 && len <= HASHSPLIT_BLOB_MAX);
	rec_push(r, len, level);
	if (r->want_ids) {
		struct oid o;
		char hex[OID_HEXSZ + 2];
		oid_for_object(&o, OBJ_BLOB, data, len);
		oid_to_hex(&o, hex);
		hex[OID_HEXSZ] = '\n';
		sha1_update(&r->b_out, hex, OID_HEXSZ + 1);
	}
	if (r->stop_after && (int)r->nr >= r->stop_after)
		return 1;
	return 0;
}

static void rec_b_sha1(struct rec *r, const char *hex)
{
	struct oid o;
	char h[OID_HEXSZ + 1];
	sha1_final(&r->b_out, o.hash);
	r->want_ids = 0;
	assert_string_equal(oid_to_hex(&o, h), hex);
}

/* Feed `data` the bup way: full 8 MiB reads, the last one short. */
static void split_bup_reads(struct rec *r, unsigned fanout, const uint8_t *data,
			    size_t len)
{
	struct hashsplit hs;
	hashsplit_init(&hs, fanout, rec_emit, r);
	for (size_t pos = 0; pos < len;) {
		size_t n = len - pos < HASHSPLIT_READ_SIZE ? len - pos :
			   HASHSPLIT_READ_SIZE;
		assert_int_equal(hashsplit_feed_copy(&hs, data + pos, n), 0);
		pos += n;
	}
	assert_int_equal(hashsplit_finish(&hs), 0);
	hashsplit_release(&hs);
}

/* Feed with explicit block sizes (cycled); blocks[] ends with 0. */
static void split_blocks(struct rec *r, unsigned fanout, const uint8_t *data,
			 size_t len, const size_t *blocks)
{
	struct hashsplit hs;
	size_t bi = 0;
	hashsplit_init(&hs, fanout, rec_emit, r);
	for (size_t pos = 0; pos < len;) {
		size_t n = blocks[bi];
		if (!blocks[++bi])
			bi = 0;
		if (n > len - pos)
			n = len - pos;
		/* Also exercise the zero-copy hashsplit_space() path. */
		memcpy(hashsplit_space(&hs), data + pos, n);
		assert_int_equal(hashsplit_feed(&hs, n), 0);
		pos += n;
	}
	assert_int_equal(hashsplit_finish(&hs), 0);
	hashsplit_release(&hs);
}

/* ---- an independent reference of FORMATS-1 §1.4 ---- */

static size_t ref_find_ofs(const uint8_t *buf, size_t len, int *bits)
{
	struct rollsum r;
	rollsum_init(&r);
	for (size_t i = 0; i < len; i++) {
		rollsum_roll(&r, buf[i]);
		if ((r.s2 & 0x1fff) == 0x1fff) {
			uint32_t d = rollsum_digest(&r) >> 13;
			int b = 13;
			while ((d >>= 1) & 1)
				b++;
			*bits = b;
			return i + 1;
		}
	}
	return 0;
}

static void ref_split(struct rec *r, int fanbits, const uint8_t *data,
		      size_t len, const size_t *blocks)
{
	size_t start = 0, end = 0, bi = 0;	/* buffered: data[start..end) */
	while (end < len) {
		size_t n = blocks[bi];
		if (!blocks[++bi])
			bi = 0;
		if (n > len - end)
			n = len - end;
		end += n;
		for (;;) {
			int bits;
			size_t ofs = ref_find_ofs(data + start, end - start, &bits);
			if (!ofs)
				break;
			if (ofs > 32768) {
				rec_push(r, 32768, 0);
				start += 32768;
			} else {
				rec_push(r, ofs, (bits - 13) / fanbits);
				start += ofs;
			}
		}
		while (end - start >= 32768) {
			rec_push(r, 32768, 0);
			start += 32768;
		}
	}
	if (end > start)
		rec_push(r, end - start, 0);
}

static void assert_same_chunks(const struct rec *a, const struct rec *b)
{
	assert_int_equal(a->nr, b->nr);
	for (size_t i = 0; i < a->nr; i++) {
		assert_int_equal(a->c[i].len, b->c[i].len);
		assert_int_equal(a->c[i].level, b->c[i].level);
	}
}

/* ---- tests ---- */

static void test_hashsplit_fanbits(void **state)
{
	(void)state;
	assert_int_equal(hashsplit_fanbits(16), 4);
	assert_int_equal(hashsplit_fanbits(0), 4);
	assert_int_equal(hashsplit_fanbits(100), 6);
	assert_int_equal(hashsplit_fanbits(2), 1);
	assert_int_equal(hashsplit_fanbits(4), 2);
	assert_int_equal(hashsplit_fanbits(1), 0);
	assert_int_equal(hashsplit_fanbits(256), 8);
	assert_int_equal(hashsplit_fanbits(255), 7);
}

static void test_hashsplit_rand5m_input(void **state)
{
	uint8_t *d = bup_random(1, 5 << 20);
	(void)state;
	assert_sha1(d, 5 << 20, "101fc6e2575fb2520e564f070fa4396fc54b2f0b");
	free(d);
	d = bup_random(3, 100000);
	assert_sha1(d, 100000, "b83cead281d44975db83a7e378fed5634131d8d5");
	free(d);
	d = yes_di(100000);
	assert_sha1(d, 100000, "3d1825fdfb4f2b0282a9ebe3b4ff9de0eda04e77");
	free(d);
}

static void test_hashsplit_rand5m_chunks(void **state)
{
	static const size_t first_len[10] = {
		13777, 6232, 6196, 9212, 11318, 2009, 875, 15721, 5297, 59 };
	size_t len = 5 << 20, max_count = 0, hist[8] = { 0 };
	uint64_t total = 0;
	uint8_t *d = bup_random(1, len);
	struct rec r;
	(void)state;

	rec_init(&r, 1);
	split_bup_reads(&r, 16, d, len);
	assert_int_equal(r.nr, 629);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(r.c[i].len, first_len[i]);
		assert_int_equal(r.c[i].level, 0);
	}
	/* Chunk #25 (1-based) is the first level-1 chunk. */
	for (int i = 0; i < 24; i++)
		assert_int_equal(r.c[i].level, 0);
	assert_int_equal(r.c[24].len, 20354);
	assert_int_equal(r.c[24].level, 1);
	for (size_t i = 0; i < r.nr; i++) {
		assert_true(r.c[i].level >= 0 && r.c[i].level < 8);
		hist[r.c[i].level]++;
		if (r.c[i].len == 32768)
			max_count++;
		total += r.c[i].len;
	}
	assert_int_equal(hist[0], 600);
	assert_int_equal(hist[1], 26);
	assert_int_equal(hist[2], 3);
	assert_int_equal(max_count, 14);
	assert_int_equal(total, len);
	rec_b_sha1(&r, "09332936d4b0e343ce89dab5f687d34a1eaf2d78");
	rec_release(&r);
	free(d);
}

/* The fanout changes levels, never the chunk lengths. */
static void test_hashsplit_fanout_levels(void **state)
{
	size_t len = 5 << 20;
	uint8_t *d = bup_random(1, len);
	struct rec a, b;
	(void)state;
	rec_init(&a, 0);
	rec_init(&b, 0);
	split_bup_reads(&a, 16, d, len);
	split_bup_reads(&b, 2, d, len);
	assert_int_equal(a.nr, b.nr);
	for (size_t i = 0; i < a.nr; i++) {
		assert_int_equal(a.c[i].len, b.c[i].len);
		/* level = extra / fanbits: fanbits 1 gives extra itself */
		assert_int_equal(a.c[i].level, b.c[i].level / 4);
	}
	assert_int_equal(b.c[24].level, 6); /* bits 19: extra 6 */
	assert_int_equal(b.c[4].level, 1);	/* bits 14 */
	assert_int_equal(b.c[8].level, 2);	/* bits 15 */
	rec_release(&a);
	rec_release(&b);
	free(d);
}

static void test_hashsplit_rand100000(void **state)
{
	uint8_t *d = bup_random(3, 100000);
	struct rec r;
	(void)state;
	rec_init(&r, 1);
	split_bup_reads(&r, 16, d, 100000);
	assert_int_equal(r.nr, 12);
	rec_b_sha1(&r, "35b4e867f43e48e800fc31fcecce02f2e578234a");
	rec_release(&r);
	free(d);
}

static void test_hashsplit_seq200k(void **state)
{
	static const size_t first[5] = { 5085, 4050, 4853, 32768, 32768 };
	char *d = malloc(1288895 + 16);
	size_t len = 0;
	struct rec r;
	(void)state;
	assert_non_null(d);
	for (int i = 1; i <= 200000; i++)
		len += (size_t)sprintf(d + len, "%d\n", i);
	assert_int_equal(len, 1288895);
	assert_sha1(d, len, "17454322f38ec2b6b6b43587dee97fcabaf998b6");
	rec_init(&r, 1);
	split_bup_reads(&r, 16, (uint8_t *)d, len);
	for (int i = 0; i < 5; i++)
		assert_int_equal(r.c[i].len, first[i]);
	assert_int_equal(r.nr, 195);
	rec_b_sha1(&r, "ed3316441da9c1fd91389afcb0977b4b2fec977e");
	rec_release(&r);
	free(d);
}

/* No split anywhere in the buffer: 32768-byte cuts without a rescan. */
static void test_hashsplit_yesdi100k_one_read(void **state)
{
	uint8_t *d = yes_di(100000);
	struct rec r;
	(void)state;
	rec_init(&r, 1);
	split_bup_reads(&r, 16, d, 100000);
	assert_int_equal(r.nr, 4);
	assert_int_equal(r.c[0].len, 32768);
	assert_int_equal(r.c[1].len, 32768);
	assert_int_equal(r.c[2].len, 32768);
	assert_int_equal(r.c[3].len, 1696);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r.c[i].level, 0);
	rec_b_sha1(&r, "e52585b887e8a7ad221827f1928ef0bdf3a30ed9");
	rec_release(&r);
	free(d);
}

/*
 * The read-boundary rule: a leftover waits for the next read and is then
 * rescanned from its first byte with a fresh rollsum.  With a boundary at
 * 32768 the fresh scan at that offset finds a split 56 bytes in (what
 * main finds there); from 32824 none is found, so two 32768 cuts follow.
 */
static void test_hashsplit_yesdi100k_read_boundary(void **state)
{
	static const size_t blocks[] = { 32768, 67232, 0 };
	static const size_t want[] = { 32768, 56, 32768, 32768, 1640 };
	uint8_t *d = yes_di(100000);
	struct rec r;
	(void)state;
	rec_init(&r, 0);
	split_blocks(&r, 16, d, 100000, blocks);
	assert_int_equal(r.nr, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(r.c[i].len, want[i]);
	rec_release(&r);
	free(d);
}

/* readbound.bin (§7.2/7.3): the 56-byte chunk found only after read 3. */
static void test_hashsplit_readbound(void **state)
{
	size_t len = 4506 + 20000000;
	uint8_t *rnd = bup_random(3, 100000);
	uint8_t *d = malloc(len);
	struct rec r;
	int found56 = 0;
	(void)state;
	assert_non_null(d);
	memcpy(d, rnd, 4506);
	for (size_t i = 0; i < 20000000; i++)
		d[4506 + i] = "di\n"[i % 3];
	free(rnd);
	assert_sha1(d, len, "2e73db0713d63a29f17db54c0b76d671e605ecd4");

	rec_init(&r, 1);
	split_bup_reads(&r, 16, d, len);
	assert_int_equal(r.nr, 613);
	for (size_t i = 0; i < r.nr; i++)
		if (r.c[i].offset == 16748954) {
			assert_int_equal(r.c[i].len, 56);
			found56 = 1;
		}
	assert_true(found56);
	assert_int_equal(r.offset, len);
	rec_b_sha1(&r, "484ff9eb4c62ffad8a2394b8d498fcbc880d2faa");
	rec_release(&r);
	free(d);
}

/* The same file through hashsplit_read_fd (a file and a pipe). */
static void test_hashsplit_read_fd(void **state)
{
	size_t len = 4506 + 20000000;
	uint8_t *rnd = bup_random(3, 100000);
	uint8_t *d = malloc(len);
	char path[] = "/tmp/test-hashsplit-XXXXXX";
	struct rec want, got;
	struct hashsplit hs;
	int fd, p[2];
	pid_t pid;
	(void)state;
	assert_non_null(d);
	memcpy(d, rnd, 4506);
	for (size_t i = 0; i < 20000000; i++)
		d[4506 + i] = "di\n"[i % 3];
	free(rnd);
	rec_init(&want, 0);
	split_bup_reads(&want, 16, d, len);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, d, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	rec_init(&got, 0);
	hashsplit_init(&hs, 16, rec_emit, &got);
	assert_int_equal(hashsplit_read_fd(&hs, fd), 0);
	assert_int_equal(hashsplit_finish(&hs), 0);
	hashsplit_release(&hs);
	close(fd);
	assert_same_chunks(&want, &got);
	rec_release(&got);

	/* A pipe delivers short reads; the result must not change. */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		for (size_t pos = 0; pos < len;) {
			size_t n = len - pos < 65536 ? len - pos : 65536;
			ssize_t w = write(p[1], d + pos, n);
			if (w <= 0)
				_exit(1);
			pos += (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	rec_init(&got, 0);
	hashsplit_init(&hs, 16, rec_emit, &got);
	assert_int_equal(hashsplit_read_fd(&hs, p[0]), 0);
	assert_int_equal(hashsplit_finish(&hs), 0);
	hashsplit_release(&hs);
	close(p[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_same_chunks(&want, &got);
	rec_release(&got);
	rec_release(&want);
	free(d);
}

/*
 * Different read boundaries against the reference (which implements
 * §1.4 directly): random data, constant-period data and a mix, with
 * blocks smaller and larger than BLOB_MAX.
 */
static void test_hashsplit_read_boundaries_match_reference(void **state)
{
	static const size_t b1[] = { 1000, 0 };
	static const size_t b2[] = { 32768, 0 };
	static const size_t b3[] = { 40000, 7, 100000, 32767, 0 };
	static const size_t b4[] = { 65536 * 3 + 5, 0 };
	static const size_t b5[] = { 12345, 70000, 1, 0 };
	static const size_t *sets[] = { b1, b2, b3, b4, b5 };
	size_t len = 600000;
	uint8_t *d = bup_random(3, len);
	(void)state;
	/* Mix in a long no-split stretch and some zeros. */
	for (size_t i = 150000; i < 300000; i++)
		d[i] = "di\n"[i % 3];
	memset(d + 400000, 0, 90000);
	for (int fanout = 2; fanout <= 16; fanout *= 2) {
		for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
			struct rec a, b;
			rec_init(&a, 0);
			rec_init(&b, 0);
			split_blocks(&a, (unsigned)fanout, d, len, sets[s]);
			ref_split(&b, hashsplit_fanbits((unsigned)fanout), d,
				  len, sets[s]);
			assert_same_chunks(&a, &b);
			assert_int_equal(a.offset, len);
			rec_release(&a);
			rec_release(&b);
		}
	}
	free(d);
}

/*
 * Random data whose splits all fall within 32768 bytes: read boundaries
 * then change nothing (the leftover is always a chunk start).
 */
static void test_hashsplit_boundaries_irrelevant_when_splits_found(void **state)
{
	static const size_t small[] = { 4096, 0 };
	static const size_t odd[] = { 1, 33000, 5, 0 };
	size_t len = 300000;
	uint8_t *d = bup_random(1, len);
	struct rec a, b, c;
	(void)state;
	rec_init(&a, 0);
	rec_init(&b, 0);
	rec_init(&c, 0);
	split_bup_reads(&a, 16, d, len);
	/* Keep the prefix before the first 32768 cut. */
	for (size_t i = 0; i < a.nr; i++)
		if (a.c[i].len >= 32768) {
			len = a.c[i].offset;
			break;
		}
	assert_true(len > 100000);
	rec_release(&a);
	rec_init(&a, 0);
	split_bup_reads(&a, 16, d, len);
	for (size_t i = 0; i < a.nr; i++)
		assert_true(a.c[i].len < 32768);
	split_blocks(&b, 16, d, len, small);
	split_blocks(&c, 16, d, len, odd);
	assert_same_chunks(&a, &b);
	assert_same_chunks(&a, &c);
	rec_release(&a);
	rec_release(&b);
	rec_release(&c);
	free(d);
}

static void test_hashsplit_empty_input(void **state)
{
	struct rec r;
	struct hashsplit hs;
	(void)state;
	rec_init(&r, 0);
	hashsplit_init(&hs, 16, rec_emit, &r);
	assert_int_equal(hashsplit_feed(&hs, 0), 0);
	assert_int_equal(hashsplit_finish(&hs), 0);
	assert_int_equal(hashsplit_finish(&hs), 0);
	hashsplit_release(&hs);
	assert_int_equal(r.nr, 0);

	int p[2];
	assert_int_equal(pipe(p), 0);
	close(p[1]);
	hashsplit_init(&hs, 16, rec_emit, &r);
	assert_int_equal(hashsplit_read_fd(&hs, p[0]), 0);
	assert_int_equal(hashsplit_finish(&hs), 0);
	hashsplit_release(&hs);
	close(p[0]);
	assert_int_equal(r.nr, 0);
	rec_release(&r);
}

static void test_hashsplit_one_byte_and_zeros(void **state)
{
	struct rec r;
	uint8_t *z = calloc(102400, 1);
	(void)state;
	rec_init(&r, 1);
	split_bup_reads(&r, 16, (const uint8_t *)"a", 1);
	assert_int_equal(r.nr, 1);
	assert_int_equal(r.c[0].len, 1);
	assert_int_equal(r.c[0].level, 0);
	rec_b_sha1(&r, "dfe8923427f650233dd6a64385bd4516b59f9278");
	rec_release(&r);

	rec_init(&r, 1);
	split_bup_reads(&r, 16, z, 102400);
	assert_int_equal(r.nr, 4);
	assert_int_equal(r.c[0].len, 32768);
	assert_int_equal(r.c[1].len, 32768);
	assert_int_equal(r.c[2].len, 32768);
	assert_int_equal(r.c[3].len, 4096);
	rec_b_sha1(&r, "44f64227f2c3092160ed95787390a6745d156bda");
	rec_release(&r);
	free(z);
}

/* A non-zero emit() result stops the split and is returned. */
static void test_hashsplit_emit_error_propagates(void **state)
{
	uint8_t *d = bup_random(1, 1 << 20);
	struct rec r;
	struct hashsplit hs;
	(void)state;
	rec_init(&r, 0);
	r.stop_after = 3;
	hashsplit_init(&hs, 16, rec_emit, &r);
	assert_int_equal(hashsplit_feed_copy(&hs, d, 1 << 20), 1);
	assert_int_equal(r.nr, 3);
	hashsplit_release(&hs);
	rec_release(&r);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashsplit_fanbits),
		cmocka_unit_test(test_hashsplit_rand5m_input),
		cmocka_unit_test(test_hashsplit_rand5m_chunks),
		cmocka_unit_test(test_hashsplit_fanout_levels),
		cmocka_unit_test(test_hashsplit_rand100000),
		cmocka_unit_test(test_hashsplit_seq200k),
		cmocka_unit_test(test_hashsplit_yesdi100k_one_read),
		cmocka_unit_test(test_hashsplit_yesdi100k_read_boundary),
		cmocka_unit_test(test_hashsplit_readbound),
		cmocka_unit_test(test_hashsplit_read_fd),
		cmocka_unit_test(test_hashsplit_read_boundaries_match_reference),
		cmocka_unit_test(test_hashsplit_boundaries_irrelevant_when_splits_found),
		cmocka_unit_test(test_hashsplit_empty_input),
		cmocka_unit_test(test_hashsplit_one_byte_and_zeros),
		cmocka_unit_test(test_hashsplit_emit_error_propagates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
