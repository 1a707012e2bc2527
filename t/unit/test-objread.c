/*
 * Unit tests for lib/objread and repo_read_object: objects written by the
 * pack writer read back whole; what is not in a pack (a loose object)
 * comes through libgit2; a damaged pack is reported, not misread.
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
#include <libdeflate.h>

#include "lib/buf.h"
#include "lib/objread.h"
#include "lib/oid.h"
#include "lib/packwriter.h"
#include "lib/repo.h"
#include "lib/usage.h"
#include "lib/xio.h"
#include "t/unit/helpers.h"

static char tmpdir[] = "/tmp/test-objread-XXXXXX";
static char repopath[1024];

static int setup(void **state)
{
	(void)state;
	if (tmp_git_home(tmpdir))
		return -1;
	snprintf(repopath, sizeof(repopath), "%s/repo", tmpdir);
	return git_init_bare(repopath);
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(tmpdir);
}

/* Some objects of every size class: empty, small, compressible, random. */
static void make_data(struct buf *b, int k)
{
	buf_reset(b);
	for (int i = 0; i < k * 997; i++)
		buf_addch(b, k % 2 ? (char)(rand() & 0xff) : (char)('a' + i % 7));
}

static void test_read_back(void **state)
{
	struct repo r;
	struct packwriter_opts po = PACKWRITER_OPTS_INIT;
	struct packwriter *pw;
	struct oid ids[40], missing;
	struct buf data = BUF_INIT, got = BUF_INIT;
	enum obj_type type;
	(void)state;

	repo_open(&r, repopath);
	pw = packwriter_new(&r, &po);
	srand(7);
	for (int k = 0; k < 40; k++) {
		make_data(&data, k);
		packwriter_write(pw, k == 39 ? OBJ_COMMIT : OBJ_BLOB, data.data,
				 data.len, &ids[k]);
	}
	packwriter_close(pw);
	repo_close(&r);

	repo_open(&r, repopath);
	srand(7);
	for (int k = 0; k < 40; k++) {
		make_data(&data, k);
		assert_int_equal(repo_read_object(&r, &ids[k], &type, &got), 0);
		assert_int_equal(type, k == 39 ? OBJ_COMMIT : OBJ_BLOB);
		assert_int_equal(got.len, data.len);
		assert_memory_equal(got.data, data.data, data.len);
		/* it came straight from the pack */
		assert_non_null(r.objects);
	}
	memset(missing.hash, 0x42, sizeof(missing.hash));
	assert_int_equal(repo_read_object(&r, &missing, &type, &got), -1);
	repo_close(&r);
	buf_release(&data);
	buf_release(&got);
}

static void test_loose_object_through_libgit2(void **state)
{
	struct repo r;
	struct oid id;
	struct buf got = BUF_INIT;
	enum obj_type type;
	char cmd[1200], hex[64];
	FILE *p;
	(void)state;

	snprintf(cmd, sizeof(cmd),
		 "printf 'loose one' | git --git-dir='%s' hash-object -w --stdin",
		 repopath);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(hex, sizeof(hex), p));
	pclose(p);
	assert_int_equal(oid_from_hex(&id, hex), 0);
	repo_open(&r, repopath);
	assert_int_equal(repo_read_object(&r, &id, &type, &got), 0);
	assert_int_equal(type, OBJ_BLOB);
	assert_int_equal(got.len, 9);
	assert_memory_equal(got.data, "loose one", 9);
	repo_close(&r);
	buf_release(&got);
}

/*
 * A repository `name` in tmpdir holding one pack of one 5000-byte blob
 * (its id to *id); the repository's path to `repo`, the pack's to `pack`.
 */
static void one_blob_repo(const char *name, struct oid *id, struct buf *repo,
			  struct buf *pack)
{
	struct repo r;
	struct packwriter_opts po = PACKWRITER_OPTS_INIT;
	struct packwriter *pw;
	struct buf data = BUF_INIT;
	char line[1200];
	FILE *p;

	buf_addf(repo, "%s/%s", tmpdir, name);
	assert_int_equal(git_init_bare(repo->data), 0);
	repo_open(&r, repo->data);
	pw = packwriter_new(&r, &po);
	for (int i = 0; i < 5000; i++)
		buf_addch(&data, (char)('a' + i % 13));
	packwriter_write(pw, OBJ_BLOB, data.data, data.len, id);
	packwriter_close(pw);
	repo_close(&r);
	buf_release(&data);

	snprintf(line, sizeof(line), "ls %s/objects/pack/*.pack", repo->data);
	p = popen(line, "r");
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	line[strcspn(line, "\n")] = 0;
	buf_adds(pack, line);
}

/* Write n bytes at ofs into path (made writable: packs and idx are 0444). */
static void patch_file(const char *path, off_t ofs, const void *bytes, size_t n)
{
	int fd;

	assert_int_equal(chmod(path, 0644), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, ofs), (ssize_t)n);
	close(fd);
}

static void test_corrupt_pack_is_reported(void **state)
{
	struct repo r;
	struct oid id;
	struct buf repo = BUF_INIT, got = BUF_INIT, pack = BUF_INIT;
	enum obj_type type;
	(void)state;

	one_blob_repo("bad", &id, &repo, &pack);
	/* flip a byte inside the object's compressed data */
	patch_file(pack.data, 20, "\xff\xff", 2);

	repo_open(&r, repo.data);
	assert_int_equal(repo_read_object(&r, &id, &type, &got), -2);
	repo_close(&r);
	buf_release(&repo);
	buf_release(&got);
	buf_release(&pack);
}

static char last_msg[2048];
static void capture(const char *prefix, const char *msg)
{
	snprintf(last_msg, sizeof(last_msg), "%s%s", prefix, msg);
}

/*
 * An idx v2 entry whose offset names a slot beyond the 64-bit offset
 * table (found by fuzzing: it was read from outside the idx) makes the
 * pack corrupt, and stays so on the next read.
 */
static void test_bad_large_offset_is_reported(void **state)
{
	struct repo r;
	struct oid id;
	struct buf repo = BUF_INIT, got = BUF_INIT, pack = BUF_INIT;
	enum obj_type type;
	(void)state;

	one_blob_repo("bad64", &id, &repo, &pack);
	/* one object: its offset word follows the fanout, id and CRC */
	buf_setlen(&pack, pack.len - 4);	/* the .idx beside the .pack */
	buf_adds(&pack, "idx");
	patch_file(pack.data, 8 + 1024 + 20 + 4, "\x80\x10\x00\x00", 4);

	usage_set_report(capture);
	repo_open(&r, repo.data);
	for (int i = 0; i < 2; i++) {
		last_msg[0] = 0;
		assert_int_equal(repo_read_object(&r, &id, &type, &got), -2);
		assert_non_null(strstr(last_msg, "error: corrupt pack '"));
		assert_non_null(strstr(last_msg, "offsets outside the pack"));
	}
	repo_close(&r);
	usage_set_report(NULL);
	buf_release(&repo);
	buf_release(&got);
	buf_release(&pack);
}

/*
 * An object header claiming far more bytes than its compressed data can
 * hold (found by fuzzing: 2^50 bytes were allocated, and the read died
 * for want of memory) makes the pack corrupt.
 */
static void test_huge_object_size_is_reported(void **state)
{
	struct repo r;
	struct oid id;
	struct buf repo = BUF_INIT, got = BUF_INIT, pack = BUF_INIT;
	struct buf in = BUF_INIT, out = BUF_INIT;
	/* a blob of 2^50 bytes */
	static const uint8_t hdr[] = { 0xb0, 0x80, 0x80, 0x80, 0x80, 0x80,
				       0x80, 0x80, 0x01 };
	const uint8_t *q;
	uint8_t crc[4];
	enum obj_type type;
	uint32_t c;
	int fd;
	(void)state;

	one_blob_repo("huge", &id, &repo, &pack);
	assert_int_equal(read_file(pack.data, &in), 0);
	q = (const uint8_t *)in.data + 12;
	while (*q++ & 0x80)
		;
	buf_add(&out, in.data, 12);
	buf_add(&out, hdr, sizeof(hdr));
	buf_add(&out, q, in.data + in.len - (const char *)q);
	c = libdeflate_crc32(0, out.data + 12, out.len - 12 - 20);
	crc[0] = c >> 24, crc[1] = c >> 16, crc[2] = c >> 8, crc[3] = c;
	assert_int_equal(chmod(pack.data, 0644), 0);
	fd = open(pack.data, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, out.data, out.len), (ssize_t)out.len);
	close(fd);
	buf_setlen(&pack, pack.len - 4);
	buf_adds(&pack, "idx");
	patch_file(pack.data, 8 + 1024 + 20, crc, 4);

	usage_set_report(capture);
	repo_open(&r, repo.data);
	last_msg[0] = 0;
	assert_int_equal(repo_read_object(&r, &id, &type, &got), -2);
	assert_non_null(strstr(last_msg, "error: corrupt pack '"));
	assert_non_null(strstr(last_msg, "object size beyond"));
	repo_close(&r);
	usage_set_report(NULL);
	buf_release(&repo);
	buf_release(&got);
	buf_release(&pack);
	buf_release(&in);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_loose_object_through_libgit2),
		cmocka_unit_test(test_corrupt_pack_is_reported),
		cmocka_unit_test(test_bad_large_offset_is_reported),
		cmocka_unit_test(test_huge_object_size_is_reported),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
