/*
 * fuzz-objread: reading objects out of a pack (lib/objread).  The first
 * input byte picks what the rest is:
 *   even: one object's packed bytes (type/size header, zlib data); the
 *         harness puts them in a pack with a matching idx (right CRC)
 *         and reads the object back;
 *   odd:  a .idx file for the fixed three-object pack below; every id
 *         it lists (up to 64) is read.
 * A corrupt pack or idx reported as an error is a normal outcome; a
 * sanitizer report or a crash is a failure.
 */
#include <libdeflate.h>
#include <sys/stat.h>

#include "t/fuzz/fuzz.h"
#include "lib/bigendian.h"
#include "lib/objread.h"
#include "lib/packidx.h"

/* blobs "hello\n" and 40 x's and a tree, at offsets 12, 27 and 41 */
static const uint8_t fixed_pack[] = {
	0x50, 0x41, 0x43, 0x4b, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03,
	0x36, 0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xe7, 0x02, 0x00, 0x08,
	0x4b, 0x02, 0x1f, 0xb8, 0x02, 0x78, 0x9c, 0xab, 0xa8, 0x20, 0x0e, 0x00,
	0x00, 0x80, 0x97, 0x12, 0xc1, 0xad, 0x01, 0x78, 0x9c, 0x33, 0x34, 0x30,
	0x30, 0x33, 0x31, 0x51, 0x48, 0x63, 0x60, 0x60, 0x64, 0x62, 0x66, 0x61,
	0x65, 0x63, 0xe7, 0xe0, 0xe4, 0xe2, 0xe6, 0xe1, 0xe5, 0xe3, 0x17, 0x10,
	0x14, 0x12, 0x06, 0x00, 0x30, 0x40, 0x02, 0x74, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

static char repo[256], packdir[300], idxpath[400], packpath[400];

static void write_or_die(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write_in_full(fd, p, n) < 0) {
		perror(path);
		abort();
	}
	close(fd);
}

static void setup(void)
{
	if (*repo)
		return;
	snprintf(repo, sizeof(repo), "/dev/shm/bup-fuzz-%d-repo", (int)getpid());
	snprintf(packdir, sizeof(packdir), "%s/objects/pack", repo);
	if (mkdir_p(packdir, 0700) < 0) {
		perror(packdir);
		abort();
	}
	snprintf(idxpath, sizeof(idxpath), "%s/pack-1.idx", packdir);
	snprintf(packpath, sizeof(packpath), "%s/pack-1.pack", packdir);
}

static void read_all(const struct oid *ids, size_t nr)
{
	struct objreader *rd = objreader_new(repo);
	struct buf out = BUF_INIT;
	enum obj_type type;

	for (size_t i = 0; i < nr; i++)
		objreader_read(rd, &ids[i], &type, &out);
	objreader_free(rd);
	buf_release(&out);
}

static void one_object(const uint8_t *obj, size_t n)
{
	struct buf pack = BUF_INIT;
	struct packidx_entry e;
	uint8_t trailer[20] = { 0 };
	int fd;

	buf_add(&pack, "PACK\0\0\0\2\0\0\0\1", 12);
	buf_add(&pack, obj, n);
	buf_add(&pack, trailer, 20);
	write_or_die(packpath, pack.data, pack.len);
	buf_release(&pack);
	memset(&e, 0, sizeof(e));
	memset(e.oid.hash, 0x11, OID_RAWSZ);
	e.crc = libdeflate_crc32(0, obj, n);
	e.offset = 12;
	fd = open(idxpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || packidx_write(fd, &e, 1, trailer) < 0)
		abort();
	close(fd);
	read_all(&e.oid, 1);
}

static void given_idx(const uint8_t *idx, size_t n)
{
	struct packidx *p;
	struct buf why = BUF_INIT;
	struct oid ids[64];
	size_t nr = 0;

	write_or_die(packpath, fixed_pack, sizeof(fixed_pack));
	write_or_die(idxpath, idx, n);
	if (packidx_load(&p, idxpath, &why) == 0) {
		for (; nr < p->nr && nr < 64; nr++)
			memcpy(ids[nr].hash, packidx_sha(p, (uint32_t)nr), OID_RAWSZ);
		packidx_free(p);
	}
	buf_release(&why);
	read_all(ids, nr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	setup();
	FUZZ_TRY({
		if (data[0] & 1)
			given_idx(data + 1, size - 1);
		else
			one_object(data + 1, size - 1);
	});
	return 0;
}
