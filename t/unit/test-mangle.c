/* Unit tests for lib/mangle (FORMATS-2 §1.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/mangle.h"

static const char *mangled(const char *name, uint32_t mode, uint32_t gitmode)
{
	static struct buf b = BUF_INIT;
	buf_reset(&b);
	mangle_name(&b, name, strlen(name), mode, gitmode);
	return b.data;
}

static void test_mangle(void **state)
{
	(void)state;
	assert_string_equal(mangled("x.bup", 0100644, 0100644), "x.bup.bupl");
	assert_string_equal(mangled("y.bupm", 0100644, 0100644), "y.bupm.bupl");
	assert_string_equal(mangled("z.bupl", 0100644, 0100644), "z.bupl.bupl");
	assert_string_equal(mangled("a.bup", 0100644, 040000), "a.bup.bup");
	assert_string_equal(mangled("big", 0100755, 040000), "big.bup");
	assert_string_equal(mangled("d.bup", 040755, 040000), "d.bup.bupl");
	assert_string_equal(mangled("l.bupX", 0120777, 0120000), "l.bupX.bupl");
	assert_string_equal(mangled("plain", 0100644, 0100644), "plain");
	assert_string_equal(mangled(".bup", 0100644, 0100644), ".bup.bupl");
	assert_string_equal(mangled("x.bupxy", 0100644, 0100644), "x.bupxy");
	assert_string_equal(mangled("bup", 0100644, 0100644), "bup");
	assert_string_equal(mangled("", 0100644, 0100644), "");
}

static void test_demangle(void **state)
{
	int kind;
	(void)state;
	assert_int_equal(demangle_name("x.bup.bupl", 10, 0100644, &kind), 5);
	assert_int_equal(kind, BUP_NORMAL);
	assert_int_equal(demangle_name("big.bup", 7, 040000, &kind), 3);
	assert_int_equal(kind, BUP_CHUNKED);
	assert_int_equal(demangle_name("m.bupm", 6, 040000, &kind), 1);
	assert_int_equal(kind, BUP_CHUNKED);
	assert_int_equal(demangle_name("m.bupm", 6, 0100644, &kind), 1);
	assert_int_equal(kind, BUP_NORMAL);
	assert_int_equal(demangle_name("plain", 5, 0100644, &kind), 5);
	assert_int_equal(kind, BUP_NORMAL);
	/* only the last suffix counts; a bare "bup" is no suffix */
	assert_int_equal(demangle_name("a.bup.bup", 9, 040000, &kind), 5);
	assert_int_equal(kind, BUP_CHUNKED);
	assert_int_equal(demangle_name("bup", 3, 0100644, &kind), 3);
	assert_int_equal(kind, BUP_NORMAL);
	/* mangling then demangling gives the name back */
	{
		const char *names[] = { "x.bup", "y.bupm", "a", "q.bupl", "b.bup" };
		for (size_t i = 0; i < 5; i++) {
			const char *m = mangled(names[i], 0100644, 0100644);
			assert_int_equal(demangle_name(m, strlen(m), 0100644, &kind),
					 strlen(names[i]));
			m = mangled(names[i], 0100644, 040000);
			assert_int_equal(demangle_name(m, strlen(m), 040000, &kind),
					 strlen(names[i]));
			assert_int_equal(kind, BUP_CHUNKED);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mangle),
		cmocka_unit_test(test_demangle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
