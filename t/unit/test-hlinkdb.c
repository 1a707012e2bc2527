/*
 * Unit tests for lib/hlinkdb: the bupindex.hlink pickle (FORMATS-2
 * §3.6): our encoding, reading what Python 3 writes (§7 bytes, and
 * python3's own output when it is installed), bup's add/del rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/hlinkdb.h"
#include "lib/xio.h"

/* FORMATS-2 §7, with the path bytes as they appear there */
static const uint8_t gold[] =
	"\x80\x02}q\x00" "c_codecs\nencode\nq\x01X\x0e\x00\x00\x00" "65024:10952944"
	"q\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05]q\x06(h\x01X\x1b\x00\x00\x00"
	"/tmp/ceo/spec2/gold/src/hl2q\x07h\x03\x86q\x08Rq\x09h\x01X\x1b\x00\x00\x00"
	"/tmp/ceo/spec2/gold/src/hl1q\x0ah\x03\x86q\x0bRq\x0c" "es.";

static void test_python_bytes(void **state)
{
	struct hlinkdb h;
	struct buf err = BUF_INIT;
	const struct strlist *p;

	hlinkdb_init(&h);
	assert_int_equal(hlink_pickle_decode(&h, gold, sizeof(gold) - 1, &err), 0);
	p = hlinkdb_node_paths(&h, 65024, 10952944);
	assert_non_null(p);
	assert_int_equal(p->nr, 2);
	assert_string_equal(p->items[0], "/tmp/ceo/spec2/gold/src/hl2");
	assert_string_equal(p->items[1], "/tmp/ceo/spec2/gold/src/hl1");
	hlinkdb_release(&h);
	buf_release(&err);
}

static void test_rejects(void **state)
{
	struct hlinkdb h;
	struct buf err = BUF_INIT;
	hlinkdb_init(&h);
	/* truncated */
	assert_int_equal(hlink_pickle_decode(&h, gold, 40, &err), -1);
	buf_reset(&err);
	/* an opcode not in the list (BININT) */
	assert_int_equal(hlink_pickle_decode(&h, (const uint8_t *)"\x80\x02J\0\0\0\0.", 8, &err), -1);
	assert_non_null(strstr(err.data, "opcode"));
	hlinkdb_release(&h);
	buf_release(&err);
}

static void test_round_trip_and_rules(void **state)
{
	struct hlinkdb h, g;
	struct buf out = BUF_INIT, err = BUF_INIT;
	const struct strlist *p;

	hlinkdb_init(&h);
	hlinkdb_add_path(&h, "/x/a", 1, 2);
	hlinkdb_add_path(&h, "/x/b", 1, 2);
	hlinkdb_add_path(&h, "/x/\xff\xe9", 3, 4);	/* non-UTF-8 bytes */
	hlinkdb_add_path(&h, "/x/c", 5, 6);
	hlinkdb_del_path(&h, "/x/c");
	assert_null(hlinkdb_node_paths(&h, 5, 6));
	hlink_pickle_encode(&h, &out);
	assert_memory_equal(out.data, "\x80\x02}c_codecs\nencode\nX\x03\0\0\0" "1:2", 23);
	hlinkdb_init(&g);
	assert_int_equal(hlink_pickle_decode(&g, (uint8_t *)out.data, out.len, &err), 0);
	p = hlinkdb_node_paths(&g, 1, 2);
	assert_int_equal(p->nr, 2);
	assert_string_equal(p->items[1], "/x/b");
	p = hlinkdb_node_paths(&g, 3, 4);
	assert_string_equal(p->items[0], "/x/\xff\xe9");
	/* bup: re-adding a listed path replaces the node's list */
	hlinkdb_add_path(&g, "/x/a", 1, 2);
	p = hlinkdb_node_paths(&g, 1, 2);
	assert_int_equal(p->nr, 1);
	hlinkdb_release(&h);
	hlinkdb_release(&g);
	buf_release(&out);
	buf_release(&err);
}

static void test_python_reads_ours_and_we_read_python(void **state)
{
	char dir[] = "/tmp/test-hlinkdb.XXXXXX", cmd[1024], f1[300], f2[300];
	struct hlinkdb h;
	struct buf out = BUF_INIT, err = BUF_INIT, data = BUF_INIT;
	const struct strlist *p;
	FILE *f;

	if (system("python3 -c pass >/dev/null 2>&1")) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	snprintf(f1, sizeof(f1), "%s/ours", dir);
	snprintf(f2, sizeof(f2), "%s/theirs", dir);
	hlinkdb_init(&h);
	hlinkdb_add_path(&h, "/p/\xff" "1", 9, 10);
	hlinkdb_add_path(&h, "/p/2", 9, 10);
	hlink_pickle_encode(&h, &out);
	f = fopen(f1, "wb");
	fwrite(out.data, 1, out.len, f);
	fclose(f);
	hlinkdb_release(&h);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import pickle,sys; d=pickle.load(open(sys.argv[1],\"rb\"),encoding=\"bytes\");"
		 "assert d=={b\"9:10\":[b\"/p/\\xff1\",b\"/p/2\"]},d;"
		 "d[b\"1:1\"]=[b\"/q/\\xe9\"]*1;"
		 "pickle.dump(d,open(sys.argv[2],\"wb\"),2)' %s %s", f1, f2);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(read_file(f2, &data), 0);
	hlinkdb_init(&h);
	assert_int_equal(hlink_pickle_decode(&h, (uint8_t *)data.data, data.len, &err), 0);
	p = hlinkdb_node_paths(&h, 9, 10);
	assert_int_equal(p->nr, 2);
	assert_string_equal(p->items[0], "/p/\xff" "1");
	p = hlinkdb_node_paths(&h, 1, 1);
	assert_string_equal(p->items[0], "/q/\xe9");
	hlinkdb_release(&h);
	buf_release(&out);
	buf_release(&err);
	buf_release(&data);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_bytes),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_round_trip_and_rules),
		cmocka_unit_test(test_python_reads_ours_and_we_read_python),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
