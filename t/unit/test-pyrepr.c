/*
 * Unit tests for lib/pyrepr: path_msg, Python's repr of bytes, of file
 * names and of path_msg, and the OSError text, as bup's messages show them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/pyrepr.h"

enum kind { BYTES, FSPATH, PATH_MSG };

static const char *repr(enum kind k, const char *s, size_t len)
{
	static struct buf b = BUF_INIT;
	buf_reset(&b);
	if (k == FSPATH)
		py_repr_fspath(&b, s, len);
	else if (k == PATH_MSG)
		py_repr_path_msg(&b, s, len);
	else
		py_repr_bytes(&b, s, len);
	return b.data;
}

static void test_path_msg(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	assert_string_equal(path_msg("/a/b"), "/a/b");
	assert_string_equal(path_msg("caf\xc3\xa9"), "caf\xc3\xa9");
	assert_string_equal(path_msg("non\xffutf8"), "non\\xffutf8");
	/* overlong, surrogate, above U+10FFFF, truncated: bytes one by one */
	assert_string_equal(path_msg("\xc0\xaf"), "\\xc0\\xaf");
	assert_string_equal(path_msg("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	assert_string_equal(path_msg("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	assert_string_equal(path_msg("\xe2\x82"), "\\xe2\\x82");
	assert_string_equal(path_msg("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
	buf_adds(&b, "x:");
	buf_add_path_msg(&b, "\xff/");
	assert_string_equal(b.data, "x:\\xff/");
	buf_release(&b);
}

static void test_repr_bytes(void **state)
{
	(void)state;
	assert_string_equal(repr(BYTES, "/a/b", 4), "b'/a/b'");
	assert_string_equal(repr(BYTES, "it's", 4), "b\"it's\"");
	assert_string_equal(repr(BYTES, "'\"", 2), "b'\\'\"'");
	assert_string_equal(repr(BYTES, "a\\b\t\n\r\x01\x7f\xff", 9),
			    "b'a\\\\b\\t\\n\\r\\x01\\x7f\\xff'");
	assert_string_equal(repr(BYTES, "\xc3\xa9", 2), "b'\\xc3\\xa9'");
	assert_string_equal(repr(BYTES, "a\0b", 3), "b'a\\x00b'");
}

static void test_repr_fspath(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	assert_string_equal(repr(FSPATH, "/a/b", 4), "'/a/b'");
	/* valid UTF-8 is shown as is, bad bytes as surrogates */
	assert_string_equal(repr(FSPATH, "caf\xc3\xa9", 5), "'caf\xc3\xa9'");
	assert_string_equal(repr(FSPATH, "non\xffutf8", 8), "'non\\udcffutf8'");
	assert_string_equal(repr(FSPATH, "\xed\xa0\x80", 3),
			    "'\\udced\\udca0\\udc80'");
	assert_string_equal(repr(FSPATH, "it's", 4), "\"it's\"");
	assert_string_equal(repr(FSPATH, "t\tn\n", 4), "'t\\tn\\n'");
	assert_string_equal(repr(FSPATH, "\xc2\x85", 2), "'\\x85'");
	py_oserror(&b, 2, "/nope");
	assert_string_equal(b.data, "[Errno 2] No such file or directory: '/nope'");
	buf_release(&b);
}

static void test_repr_path_msg(void **state)
{
	(void)state;
	assert_string_equal(repr(PATH_MSG, "/a/b", 4), "'/a/b'");
	assert_string_equal(repr(PATH_MSG, "it's", 4), "\"it's\"");
	assert_string_equal(repr(PATH_MSG, "n\xff\n", 3), "'n\\\\xff\\n'");
	assert_string_equal(repr(PATH_MSG, "\xc3\xa9", 2), "'\xc3\xa9'");
	assert_string_equal(repr(PATH_MSG, "\xc2\xad\x7f", 3), "'\\xad\\x7f'");
	assert_string_equal(repr(PATH_MSG, "", 0), "''");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_msg),
		cmocka_unit_test(test_repr_bytes),
		cmocka_unit_test(test_repr_fspath),
		cmocka_unit_test(test_repr_path_msg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
