/*
 * Unit tests for lib/packidx: writing idx v2 files (FORMATS-1 §3.7) and
 * reading them back (v2 and v1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/bigendian.h"
#include "lib/buf.h"
#include "lib/oid.h"
#include "lib/packidx.h"
#include "lib/usage.h"
#include "t/unit/helpers.h"
#include "t/unit/idx-fixture.h"


static int setup(void **state)
{
	(void)state;
	return fixture_setup("packidx", 0x1234567887654321ull);
}

static int teardown(void **state)
{
	(void)state;
	return fixture_teardown();
}

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static size_t slurp(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	assert_non_null(f);
	buf_reset(b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	fclose(f);
	return b->len;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* FORMATS-1 §7.4: the idx of `bup split -t one.bin`, byte for byte. */
static void test_packidx_golden_one_bin(void **state)
{
	struct packidx_entry e[2];
	struct oid pack, want_idx_sha;
	struct buf b = BUF_INIT;
	char path[512], hex[41];
	struct packidx *idx;
	(void)state;
	/* in pack order: blob then tree */
	oid_from_hex(&e[0].oid, "2e65efe2a145dda7ee51d1741299f848e5bf752e");
	e[0].crc = 0xd6189c8c;
	e[0].offset = 0x0c;
	oid_from_hex(&e[1].oid, "1f7af70d2e86de00c2ffa17c9b18b8a147e3668c");
	e[1].crc = 0xf814c28f;
	e[1].offset = 0x16;
	oid_from_hex(&pack, "c223be5129dd5b0d3c6584f1219d720037ac049d");
	path_of(path, sizeof(path), "one.idx");
	write_idx_file(path, e, 2, pack.hash);
	/* sorted in place */
	oid_to_hex(&e[0].oid, hex);
	assert_string_equal(hex, "1f7af70d2e86de00c2ffa17c9b18b8a147e3668c");

	assert_int_equal(slurp(path, &b), 1128);
	const uint8_t *m = (const uint8_t *)b.data;
	assert_memory_equal(m, "\377tOc\0\0\0\2", 8);
	for (int i = 0; i < 256; i++) {
		uint32_t want = i < 0x1f ? 0 : i < 0x2e ? 1 : 2;
		assert_int_equal(get_be32(m + 8 + 4 * i), want);
	}
	oid_to_hex((const struct oid *)(m + 0x408), hex);
	assert_string_equal(hex, "1f7af70d2e86de00c2ffa17c9b18b8a147e3668c");
	oid_to_hex((const struct oid *)(m + 0x41c), hex);
	assert_string_equal(hex, "2e65efe2a145dda7ee51d1741299f848e5bf752e");
	assert_int_equal(get_be32(m + 0x430), 0xf814c28f);
	assert_int_equal(get_be32(m + 0x434), 0xd6189c8c);
	assert_int_equal(get_be32(m + 0x438), 0x16);
	assert_int_equal(get_be32(m + 0x43c), 0x0c);
	assert_memory_equal(m + 0x440, pack.hash, 20);
	oid_from_hex(&want_idx_sha, "0bff8d58495908c03fe9e0003b0b7aba6401595a");
	assert_memory_equal(m + 0x454, want_idx_sha.hash, 20);

	assert_int_equal(packidx_open(&idx, path), 0);
	assert_non_null(idx);
	assert_int_equal(idx->version, 2);
	assert_int_equal(idx->nr, 2);
	assert_int_equal(packidx_find(idx, &e[0].oid), 0);
	assert_int_equal(packidx_find(idx, &e[1].oid), 1);
	assert_memory_equal(packidx_sha(idx, 1), e[1].oid.hash, 20);
	packidx_free(idx);
	buf_release(&b);
}

static void test_packidx_round_trip(void **state)
{
	enum { N = 5000 };
	struct packidx_entry *e = malloc(N * sizeof(*e));
	struct oid *ids = malloc(N * sizeof(*ids));
	uint8_t pack_sha[20];
	char path[512];
	struct packidx *idx;
	struct buf b = BUF_INIT;
	struct oid digest;
	(void)state;
	assert_non_null(e);
	assert_non_null(ids);
	for (int i = 0; i < N; i++) {
		random_oid(&ids[i]);
		e[i].oid = ids[i];
		e[i].crc = rnd32();
		e[i].offset = 12 + (uint64_t)i * 100;
	}
	/* a few ids at the fanout extremes */
	memset(ids[0].hash, 0x00, 20);
	memset(ids[1].hash, 0xff, 20);
	e[0].oid = ids[0];
	e[1].oid = ids[1];
	memset(pack_sha, 0xab, sizeof(pack_sha));
	path_of(path, sizeof(path), "rt.idx");
	write_idx_file(path, e, N, pack_sha);

	assert_int_equal(slurp(path, &b), 8 + 1024 + 28 * N + 40);
	/* the trailer: pack sha, then sha1 of everything before */
	assert_memory_equal(b.data + b.len - 40, pack_sha, 20);
	sha1_buf(b.data, b.len - 20, digest.hash);
	assert_memory_equal(b.data + b.len - 20, digest.hash, 20);

	assert_int_equal(packidx_open(&idx, path), 0);
	assert_int_equal(idx->nr, N);
	assert_string_equal(idx->path, path);
	/* sorted, and the fanout counts match */
	for (uint32_t i = 1; i < idx->nr; i++)
		assert_true(memcmp(packidx_sha(idx, i - 1), packidx_sha(idx, i), 20) < 0);
	for (int i = 0; i < N; i++) {
		int64_t k = packidx_find(idx, &ids[i]);
		assert_true(k >= 0);
		assert_memory_equal(packidx_sha(idx, (uint32_t)k), ids[i].hash, 20);
		/* crc and offset travelled with the id */
		const uint8_t *m = idx->map;
		uint32_t crc = get_be32(m + 8 + 1024 + 20 * N + 4 * k);
		uint32_t ofs = get_be32(m + 8 + 1024 + 24 * N + 4 * k);
		int found = 0;
		for (int j = 0; j < N; j++)
			if (oid_eq(&e[j].oid, &ids[i])) {
				assert_int_equal(crc, e[j].crc);
				assert_int_equal(ofs, e[j].offset);
				found = 1;
				break;
			}
		assert_true(found);
	}
	/* absent ids: random, and neighbours of present ones */
	for (int i = 0; i < N; i++) {
		struct oid o;
		random_oid(&o);
		assert_int_equal(packidx_find(idx, &o), -1);
		o = ids[i];
		o.hash[19] ^= 1;
		assert_int_equal(packidx_find(idx, &o), -1);
	}
	packidx_free(idx);
	buf_release(&b);
	free(e);
	free(ids);
}

static void test_packidx_empty(void **state)
{
	uint8_t pack_sha[20] = { 1, 2, 3 };
	char path[512];
	struct packidx *idx;
	struct oid o;
	struct buf b = BUF_INIT;
	(void)state;
	path_of(path, sizeof(path), "empty.idx");
	write_idx_file(path, NULL, 0, pack_sha);
	assert_int_equal(slurp(path, &b), 8 + 1024 + 40);
	assert_int_equal(packidx_open(&idx, path), 0);
	assert_int_equal(idx->nr, 0);
	memset(o.hash, 0, 20);
	assert_int_equal(packidx_find(idx, &o), -1);
	memset(o.hash, 0xff, 20);
	assert_int_equal(packidx_find(idx, &o), -1);
	packidx_free(idx);
	buf_release(&b);
}

/* Offsets past 2^31 go to the 64-bit table, in sha order. */
static void test_packidx_large_offsets(void **state)
{
	struct packidx_entry e[3];
	uint8_t pack_sha[20] = { 0 };
	char path[512];
	struct buf b = BUF_INIT;
	struct packidx *idx;
	(void)state;
	memset(e, 0, sizeof(e));
	memset(e[0].oid.hash, 0x30, 20);
	e[0].offset = 0x123456789ull;
	memset(e[1].oid.hash, 0x10, 20);
	e[1].offset = 0x7fffffff;
	memset(e[2].oid.hash, 0x20, 20);
	e[2].offset = 0x80000000ull;
	path_of(path, sizeof(path), "big.idx");
	write_idx_file(path, e, 3, pack_sha);
	assert_int_equal(slurp(path, &b), 8 + 1024 + 28 * 3 + 8 * 2 + 40);
	const uint8_t *m = (const uint8_t *)b.data;
	const uint8_t *ofs = m + 8 + 1024 + 24 * 3;
	assert_int_equal(get_be32(ofs + 0), 0x7fffffff);	/* 0x10.. */
	assert_int_equal(get_be32(ofs + 4), 0x80000000);	/* 0x20.. -> [0] */
	assert_int_equal(get_be32(ofs + 8), 0x80000001);	/* 0x30.. -> [1] */
	assert_int_equal(get_be32(ofs + 12), 0);
	assert_int_equal(get_be32(ofs + 16), 0x80000000);
	assert_int_equal(get_be32(ofs + 20), 0x1);
	assert_int_equal(get_be32(ofs + 24), 0x23456789);
	assert_int_equal(packidx_open(&idx, path), 0);
	assert_int_equal(packidx_find(idx, &e[2].oid), 2);
	packidx_free(idx);
	buf_release(&b);
}

/* An idx v1 (no magic): fanout, then (BE32 offset, sha) pairs. */
static void test_packidx_v1(void **state)
{
	enum { N = 300 };
	struct oid ids[N];
	struct buf b = BUF_INIT;
	char path[512];
	struct packidx *idx;
	(void)state;
	for (int i = 0; i < N; i++)
		random_oid(&ids[i]);
	/* sort (insertion sort is fine for 300) */
	for (int i = 1; i < N; i++)
		for (int j = i; j > 0 && oid_cmp(&ids[j - 1], &ids[j]) > 0; j--) {
			struct oid t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	for (int v = 0, i = 0; v < 256; v++) {
		while (i < N && ids[i].hash[0] == v)
			i++;
		uint8_t be[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16),
				  (uint8_t)(i >> 8), (uint8_t)i };
		buf_add(&b, be, 4);
	}
	for (int i = 0; i < N; i++) {
		uint8_t be[4] = { 0, 0, (uint8_t)(i >> 8), (uint8_t)i };
		buf_add(&b, be, 4);
		buf_add(&b, ids[i].hash, 20);
	}
	buf_add(&b, "0123456789012345678901234567890123456789", 40);
	path_of(path, sizeof(path), "v1.idx");
	spit(path, b.data, b.len);
	assert_int_equal(packidx_open(&idx, path), 0);
	assert_int_equal(idx->version, 1);
	assert_int_equal(idx->nr, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(packidx_find(idx, &ids[i]), i);
		assert_memory_equal(packidx_sha(idx, (uint32_t)i), ids[i].hash, 20);
		struct oid o = ids[i];
		o.hash[10] ^= 0x40;
		assert_int_equal(packidx_find(idx, &o), -1);
	}
	packidx_free(idx);
	buf_release(&b);
}

static void make_valid(struct buf *b, uint32_t n)
{
	struct packidx_entry *e = calloc(n ? n : 1, sizeof(*e));
	uint8_t pack_sha[20] = { 9 };
	char path[512];
	for (uint32_t i = 0; i < n; i++)
		random_oid(&e[i].oid);
	path_of(path, sizeof(path), "valid.idx");
	write_idx_file(path, e, n, pack_sha);
	slurp(path, b);
	free(e);
}

static void assert_rejected(const char *name, const void *data, size_t len,
			    const char *why)
{
	char path[512];
	struct packidx *idx = (struct packidx *)1;
	path_of(path, sizeof(path), name);
	spit(path, data, len);
	last_msg[0] = 0;
	assert_int_equal(packidx_open(&idx, path), -1);
	assert_null(idx);
	/* the message names the file */
	if (!strstr(last_msg, path))
		fail_msg("%s: message does not name the file: %s", why, last_msg);
}

static void test_packidx_reject_truncated(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	make_valid(&b, 100);
	assert_rejected("trunc1.idx", b.data, b.len - 1, "one byte short");
	assert_rejected("trunc2.idx", b.data, b.len - 40, "no trailer");
	assert_rejected("trunc3.idx", b.data, 8 + 1024 + 20 * 100, "no crc/ofs");
	assert_rejected("trunc4.idx", b.data, 100, "shorter than a fanout");
	assert_rejected("trunc5.idx", b.data, 0, "empty file");
	buf_release(&b);
}

static void test_packidx_reject_bad_version(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	make_valid(&b, 10);
	b.data[7] = 3;
	assert_rejected("v3.idx", b.data, b.len, "version 3");
	assert_non_null(strstr(last_msg, "version"));
	b.data[7] = 1;
	assert_rejected("v1magic.idx", b.data, b.len, "version 1 with magic");
	buf_release(&b);
}

static void test_packidx_reject_bad_fanout(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	make_valid(&b, 50);
	/* fanout[10] larger than fanout[11] */
	uint8_t *f = (uint8_t *)b.data + 8 + 4 * 10;
	f[0] = 0x7f;
	assert_rejected("fan.idx", b.data, b.len, "decreasing fanout");
	buf_release(&b);
}

static void test_packidx_missing_file(void **state)
{
	char path[512];
	struct packidx *idx = (struct packidx *)1;
	(void)state;
	path_of(path, sizeof(path), "nonexistent.idx");
	last_msg[0] = 0;
	assert_int_equal(packidx_open(&idx, path), -1);
	assert_null(idx);
	assert_non_null(strstr(last_msg, path));
	packidx_free(NULL);
}

static void test_packidx_write_error(void **state)
{
	struct packidx_entry e;
	uint8_t pack_sha[20] = { 0 };
	int fd = open("/dev/full", O_WRONLY);
	(void)state;
	if (fd < 0)
		skip();
	memset(&e, 0, sizeof(e));
	assert_int_equal(packidx_write(fd, &e, 1, pack_sha), -1);
	close(fd);
	/* a read-only descriptor */
	char path[512];
	path_of(path, sizeof(path), "ro.idx");
	spit(path, "", 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(packidx_write(fd, &e, 1, pack_sha), -1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packidx_golden_one_bin),
		cmocka_unit_test(test_packidx_round_trip),
		cmocka_unit_test(test_packidx_empty),
		cmocka_unit_test(test_packidx_large_offsets),
		cmocka_unit_test(test_packidx_v1),
		cmocka_unit_test(test_packidx_reject_truncated),
		cmocka_unit_test(test_packidx_reject_bad_version),
		cmocka_unit_test(test_packidx_reject_bad_fanout),
		cmocka_unit_test(test_packidx_missing_file),
		cmocka_unit_test(test_packidx_write_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
