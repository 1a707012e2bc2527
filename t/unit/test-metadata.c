/*
 * Unit tests for lib/metadata: decoding bup's golden .bupm bytes
 * (FORMATS-2 §7), byte-identical re-encoding, round trips of every
 * record, legacy records, and the text forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "lib/metadata.h"
#include "lib/vint.h"

/* gold:tmp/bup-spec2/gold/src/sub/.bupm, written by bup 0.33.7 */
static const uint8_t gold[] = {
	0x0a, 0x2c, 0xad, 0x87, 0x02, 0x00, 0x04, 0x72, 0x6f, 0x6f, 0x74, 0x00,
	0x04, 0x72, 0x6f, 0x6f, 0x74, 0x00, 0x8e, 0x95, 0x91, 0xb0, 0x0d, 0xab,
	0x92, 0x42, 0xa5, 0xf6, 0xea, 0xe0, 0x0b, 0x95, 0x9a, 0xef, 0x3a, 0x8b,
	0x95, 0x91, 0xb0, 0x0d, 0xdf, 0xb0, 0xb0, 0xe5, 0x01, 0x41, 0x06, 0x03,
	0x80, 0x80, 0x20, 0x00, 0x0a, 0x2d, 0xa4, 0x86, 0x04, 0x00, 0x04, 0x72,
	0x6f, 0x6f, 0x74, 0x00, 0x04, 0x72, 0x6f, 0x6f, 0x74, 0x00, 0xa5, 0xf6,
	0xea, 0xe0, 0x0b, 0x95, 0x9a, 0xef, 0x3a, 0xa5, 0xf6, 0xea, 0xe0, 0x0b,
	0x95, 0x9a, 0xef, 0x3a, 0x8b, 0x95, 0x91, 0xb0, 0x0d, 0xdf, 0xb0, 0xb0,
	0xe5, 0x01, 0x06, 0x06, 0x03, 0x80, 0x80, 0x20, 0x00,
};

static void test_gold_decode(void **state)
{
	struct metadata m;
	size_t used;
	(void)state;

	metadata_init(&m);
	assert_int_equal(metadata_decode(&m, gold, sizeof(gold), &used), 0);
	assert_int_equal(used, 0x34);
	assert_true(m.has_common);
	assert_int_equal(m.mode, 040755);
	assert_int_equal(m.uid, 0);
	assert_string_equal(m.user.data, "root");
	assert_string_equal(m.group.data, "root");
	assert_true(m.mtime_s == 1577934245);
	assert_int_equal(m.mtime_ns, 123456789);
	assert_true(m.size == -1);
	assert_true(m.linux_attr == 0x80000);
	assert_int_equal(m.path.len, 0);

	assert_int_equal(metadata_decode(&m, gold + used, sizeof(gold) - used,
					 &used), 0);
	assert_int_equal(used, sizeof(gold) - 0x34);
	assert_int_equal(m.mode, 0100644);
	assert_true(m.size == 6);
	assert_true(m.atime_s == 1577934245 && m.atime_ns == 123456789);
	metadata_release(&m);
}

static void test_gold_reencode(void **state)
{
	struct metadata m;
	struct buf out = BUF_INIT;
	size_t pos = 0, used;
	(void)state;

	metadata_init(&m);
	while (pos < sizeof(gold)) {
		assert_int_equal(metadata_decode(&m, gold + pos,
						 sizeof(gold) - pos, &used), 0);
		metadata_encode(&m, &out);
		pos += used;
	}
	assert_int_equal(out.len, sizeof(gold));
	assert_memory_equal(out.data, gold, sizeof(gold));
	metadata_release(&m);
	buf_release(&out);
}

static void fill(struct metadata *m)
{
	metadata_init(m);
	m->has_common = 1;
	m->mode = 0120777;
	m->uid = 1000;
	m->gid = 65534;
	buf_adds(&m->user, "u");
	buf_adds(&m->group, "nogroup");
	m->atime_s = -1;
	m->atime_ns = 999999999;
	m->mtime_s = -315619200;
	m->mtime_ns = 0;
	m->ctime_s = 1700000000;
	m->ctime_ns = 5;
	m->size = 7;
	buf_adds(&m->path, "ax/f");
	buf_adds(&m->symlink_target, "reg.txt");
	buf_adds(&m->hardlink_target, "/x/hl2");
	m->has_acl = 2;
	buf_adds(&m->acl[0], "u::rw-,u:nobody:r--,g::r--,m::r--,o::r--");
	buf_adds(&m->acl[1], "u::rw-,u:65534:r--,g::r--,m::r--,o::r--");
	m->linux_attr = 0x80010;
	metadata_add_xattr(m, "user.a", 6, "1", 1);
	metadata_add_xattr(m, "user.empty", 10, "", 0);
}

static void test_round_trip_all_records(void **state)
{
	struct metadata m, back;
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t used;
	(void)state;

	fill(&m);
	metadata_encode(&m, &a);
	/* path record first, the length twice: 01 05 04 "ax/f" */
	assert_memory_equal(a.data, "\x01\x05\x04" "ax/f\x0a", 8);
	assert_int_equal(a.data[a.len - 1], 0);
	metadata_init(&back);
	assert_int_equal(metadata_decode(&back, (uint8_t *)a.data, a.len, &used), 0);
	assert_int_equal(used, a.len);
	assert_string_equal(back.path.data, "ax/f");
	assert_true(back.atime_s == -1 && back.atime_ns == 999999999);
	assert_true(back.mtime_s == -315619200);
	assert_string_equal(back.symlink_target.data, "reg.txt");
	assert_string_equal(back.hardlink_target.data, "/x/hl2");
	assert_int_equal(back.has_acl, 2);
	assert_string_equal(back.acl[1].data, "u::rw-,u:65534:r--,g::r--,m::r--,o::r--");
	assert_true(back.linux_attr == 0x80010);
	assert_int_equal(back.nr_xattrs, 2);
	assert_string_equal(back.xattrs[1].name.data, "user.empty");
	assert_int_equal(back.xattrs[1].value.len, 0);
	metadata_encode(&back, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	metadata_release(&m);
	metadata_release(&back);
	buf_release(&a);
	buf_release(&b);
}

static void test_empty_and_unknown(void **state)
{
	struct metadata m;
	struct buf b = BUF_INIT;
	size_t used;
	/* tag 5 (never written) and tag 99 are skipped */
	static const uint8_t unk[] = { 0x05, 0x02, 'h', 'i', 0x63, 0x00,
		0x01, 0x02, 0x01, 'p', 0x00 };
	(void)state;

	metadata_init(&m);
	metadata_encode(&m, &b);
	assert_int_equal(b.len, 1);
	assert_int_equal(b.data[0], 0);
	assert_int_equal(metadata_decode(&m, (uint8_t *)b.data, 1, &used), 0);
	assert_int_equal(used, 1);
	assert_false(m.has_common);
	assert_int_equal(metadata_decode(&m, unk, sizeof(unk), &used), 0);
	assert_int_equal(used, sizeof(unk));
	assert_string_equal(m.path.data, "p");
	/* truncated objects are malformed */
	assert_int_equal(metadata_decode(&m, unk, sizeof(unk) - 1, &used), -1);
	assert_int_equal(metadata_decode(&m, gold, 20, &used), -1);
	metadata_release(&m);
	buf_release(&b);
}

static void test_legacy_records(void **state)
{
	struct metadata m;
	struct buf rec = BUF_INIT, body = BUF_INIT;
	size_t used;
	(void)state;

	/* common v2: v3 without size; ACL v1: '\n' separated */
	vint_encode(&body, 0100600);
	vint_encode(&body, 1);
	bvec_encode(&body, "a", 1);
	vint_encode(&body, 2);
	bvec_encode(&body, "b", 1);
	vint_encode(&body, 0);
	vint_encode(&body, 10); vuint_encode(&body, 1);
	vint_encode(&body, 20); vuint_encode(&body, 2);
	vint_encode(&body, 30); vuint_encode(&body, 3);
	vuint_encode(&rec, 9);
	bvec_encode(&rec, body.data, body.len);
	buf_reset(&body);
	bvec_encode(&body, "u::rw-\ng::---", 13);
	bvec_encode(&body, "u::rw-\ng::---", 13);
	bvec_encode(&body, "", 0);
	bvec_encode(&body, "", 0);
	vuint_encode(&rec, 4);
	bvec_encode(&rec, body.data, body.len);
	vuint_encode(&rec, 0);

	metadata_init(&m);
	assert_int_equal(metadata_decode(&m, (uint8_t *)rec.data, rec.len, &used), 0);
	assert_int_equal(m.mode, 0100600);
	assert_true(m.size == -1);
	assert_true(m.ctime_s == 30 && m.ctime_ns == 3);
	assert_int_equal(m.has_acl, 2);
	assert_string_equal(m.acl[0].data, "u::rw-,g::---");
	metadata_release(&m);
	buf_release(&rec);
	buf_release(&body);
}

/*
 * A record of a common v3 object (mode 0100644, no owner names, size 5)
 * with the atime given, then the end record.
 */
static void common_with_atime(struct buf *rec, int64_t s, uint64_t ns)
{
	struct buf body = BUF_INIT;

	vint_encode(&body, 0100644);
	vint_encode(&body, 0);
	bvec_encode(&body, "", 0);
	vint_encode(&body, 0);
	bvec_encode(&body, "", 0);
	vint_encode(&body, 0);
	vint_encode(&body, s); vuint_encode(&body, ns);
	vint_encode(&body, 0); vuint_encode(&body, 0);
	vint_encode(&body, 0); vuint_encode(&body, 0);
	vint_encode(&body, 5);
	buf_reset(rec);
	vuint_encode(rec, 10);
	bvec_encode(rec, body.data, body.len);
	vuint_encode(rec, 0);
	buf_release(&body);
}

/*
 * A common record whose nanoseconds carry its seconds past INT64_MAX
 * (found by fuzzing: a signed overflow) is malformed.
 */
static void test_time_overflow(void **state)
{
	struct metadata m;
	struct buf rec = BUF_INIT;
	size_t used;
	(void)state;

	common_with_atime(&rec, INT64_MAX, 2000000000);
	metadata_init(&m);
	assert_int_equal(metadata_decode(&m, (uint8_t *)rec.data, rec.len, &used), -1);
	metadata_release(&m);
	/* one second less is still a time */
	common_with_atime(&rec, INT64_MAX - 2, 2000000001);
	metadata_init(&m);
	assert_int_equal(metadata_decode(&m, (uint8_t *)rec.data, rec.len, &used), 0);
	assert_true(m.atime_s == INT64_MAX && m.atime_ns == 1);
	metadata_release(&m);
	buf_release(&rec);
}

static void test_text_forms(void **state)
{
	struct metadata m;
	struct buf out = BUF_INIT;
	(void)state;

	fill(&m);
	metadata_format_detailed(&m, META_F_PATH | META_F_MODE |
				 META_F_LINK_TARGET | META_F_ATIME |
				 META_F_MTIME | META_F_CTIME, &out);
	/* negative times: bup adds 1 to the floored seconds */
	assert_string_equal(out.data,
			    "path: ax/f\n"
			    "mode: 120777 (lrwxrwxrwx)\n"
			    "link-target: reg.txt\n"
			    "atime: 0.999999999\n"
			    "mtime: -315619199\n"
			    "ctime: 1700000000.000000005");
	buf_reset(&out);
	metadata_format_detailed(&m, META_F_LINUX_ATTR | META_F_LINUX_XATTR |
				 META_F_POSIX1E_ACL | META_F_SIZE, &out);
	assert_string_equal(out.data,
			    "size: 7\n"
			    "linux-attr: 80010\n"
			    "linux-xattr: user.a -> 1\n"
			    "linux-xattr: user.empty -> \n"
			    "posix1e-acl: u::rw-,u:nobody:r--,g::r--,m::r--,o::r--\n");
	buf_reset(&out);
	assert_int_equal(metadata_field_bit("link-target"), META_F_LINK_TARGET);
	assert_int_equal(metadata_field_bit("nope"), 0);

	setenv("TZ", "UTC", 1);
	m.mtime_s = 1577934245;
	metadata_format_summary(&m, NULL, &out);
	assert_string_equal(out.data,
			    "lrwxrwxrwx u/nogroup             7 2020-01-02 03:04 ax/f -> reg.txt");
	buf_reset(&out);
	m.mode = 020644;
	m.rdev = (1 << 8) | 3;
	buf_reset(&m.symlink_target);
	buf_reset(&m.user);
	metadata_format_summary(&m, "dev", &out);
	/* bup's "%-10s %-11s %11s %16s %s" */
	assert_string_equal(out.data,
			    "crw-r--r-- 1000/nogroup         1,3 2020-01-02 03:04 dev");
	metadata_release(&m);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gold_decode),
		cmocka_unit_test(test_gold_reencode),
		cmocka_unit_test(test_round_trip_all_records),
		cmocka_unit_test(test_empty_and_unknown),
		cmocka_unit_test(test_legacy_records),
		cmocka_unit_test(test_time_overflow),
		cmocka_unit_test(test_text_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
