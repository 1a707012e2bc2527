/*
 * Unit tests for lib/options: parse_num, opt_parse (as bup's
 * getopt.gnu_getopt-based Options) and opt_usage (bup's usage text; the
 * expected strings were produced by bup 0.33.7's options.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/options.h"
#include "lib/usage.h"

static const char usage_spec[] =
	"\n"
	"bup split [-t] [-c] [-n name] OPTIONS [--noop] [filenames...]\n"
	"bup split -b [filenames...]\n"
	"--\n"
	" Modes:\n"
	"b,blobs    output a series of blob ids\n"
	"t,tree     output a tree id\n"
	"n,name=    name of backup set to update (if any)\n"
	"#,compress=  set compression level to # (0-9, 9 is highest) [1]\n"
	"\n"
	" Other:\n"
	"v,verbose  increase log output (can be used more than once)\n"
	"max-pack-size=  maximum bytes in a single pack\n";

static const char spec[] =
	"bup split [-tcb] [-n name] [filenames...]\n"
	"--\n"
	" Modes:\n"
	"b,blobs    output a series of blob ids\n"
	"t,tree     output a tree id\n"
	"c,commit   output a commit id\n"
	"n,name=    name of backup set to update (if any)\n"
	"#,compress=  set compression level to # (0-9, 9 is highest) [1]\n"
	" Other:\n"
	"v,verbose  increase log output (can be used more than once)\n"
	"q,quiet    be quiet\n"
	"max-pack-size=  maximum bytes in a single pack\n"
	"max-pack-objects=  maximum number of objects in a single pack\n"
	"noop       split without writing\n"
	"d,date=    date for the commit (seconds since the epoch)\n"
	"fanout=    average number of blobs in a single tree [16]\n";

/* ---- parse_num ---- */

static int64_t num(const char *s)
{
	int64_t v = -12345;
	assert_int_equal(parse_num(s, &v), 0);
	return v;
}

static void test_options_parse_num_units(void **state)
{
	(void)state;
	assert_int_equal(num("1k"), 1024);
	assert_int_equal(num("1K"), 1024);
	assert_int_equal(num("1kb"), 1024);
	assert_int_equal(num("1KB"), 1024);
	assert_int_equal(num("1.5m"), 1572864);
	assert_int_equal(num("1.5M"), 1572864);
	assert_int_equal(num("2G"), 2147483648LL);
	assert_int_equal(num("2gb"), 2147483648LL);
	assert_int_equal(num("3t"), 3298534883328LL);
	assert_int_equal(num("3TB"), 3298534883328LL);
	assert_int_equal(num("12"), 12);
	assert_int_equal(num("12b"), 12);
	assert_int_equal(num("0"), 0);
	assert_int_equal(num("1 k"), 1024);	/* \s* between number and unit */
	assert_int_equal(num("1e3"), 1000);
	assert_int_equal(num("-1k"), -1024);
	assert_int_equal(num("0.5k"), 512);
	assert_int_equal(num("1.9"), 1);	/* int() truncates */
	assert_int_equal(num("1000000000"), 1000000000);
}

static void test_options_parse_num_bad(void **state)
{
	static const char *bad[] = {
		"", "abc", "k", "1x", "12q", "1kk", "1kbx", "1.5.2", "1e",
		"nan", "inf", "1 2",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 777;
		if (parse_num(bad[i], &v) != -1)
			fail_msg("parse_num(\"%s\") accepted it (gave %lld); bup "
				 "raises ValueError", bad[i], (long long)v);
	}
}

/* bup's regex takes "0", then rejects the unit "x10"; strtod would say 16. */
static void test_options_parse_num_hex_rejected(void **state)
{
	int64_t v = 777;
	(void)state;
	if (parse_num("0x10", &v) != -1)
		fail_msg("parse_num(\"0x10\") gave %lld; bup raises ValueError "
			 "(invalid unit 'x10')", (long long)v);
	v = 777;
	if (parse_num("0x1p4", &v) != -1)
		fail_msg("parse_num(\"0x1p4\") gave %lld; bup raises ValueError",
			 (long long)v);
}

/* ---- opt_parse ---- */

struct parsed {
	struct options o;
	char *argv[32];
	int argc;
};

static void parse(struct parsed *p, const char *const *args)
{
	p->argc = 0;
	p->argv[p->argc++] = (char *)"bup-split";
	for (; *args; args++)
		p->argv[p->argc++] = (char *)*args;
	p->argv[p->argc] = NULL;
	opt_parse(&p->o, spec, p->argc, p->argv);
}

#define PARSE(p, ...) do { \
	static const char *const a_[] = { __VA_ARGS__, NULL }; \
	parse((p), a_); \
} while (0)

static void test_options_no_args(void **state)
{
	struct parsed p;
	static const char *const none[] = { NULL };
	(void)state;
	parse(&p, none);
	assert_int_equal(p.o.nr_args, 0);
	assert_int_equal(opt_count(&p.o, "t"), 0);
	assert_int_equal(opt_given(&p.o, "t"), 0);
	assert_null(opt_str(&p.o, "name"));
	/* defaults from a trailing [value] */
	assert_string_equal(opt_str(&p.o, "compress"), "1");
	assert_string_equal(opt_str(&p.o, "#"), "1");
	assert_int_equal(opt_given(&p.o, "compress"), 0);
	assert_string_equal(opt_str(&p.o, "fanout"), "16");
	assert_int_equal(opt_int(&p.o, "fanout", 3), 16);
	assert_int_equal(opt_int(&p.o, "d", 99), 99);
	assert_int_equal(opt_size(&p.o, "max-pack-size"), -1);
	opt_release(&p.o);
}

static void test_options_clustered_short_flags(void **state)
{
	struct parsed p;
	(void)state;
	PARSE(&p, "-tvv", "-bc");
	assert_int_equal(opt_count(&p.o, "t"), 1);
	assert_int_equal(opt_count(&p.o, "tree"), 1);
	assert_int_equal(opt_count(&p.o, "v"), 2);
	assert_int_equal(opt_count(&p.o, "verbose"), 2);
	assert_int_equal(opt_count(&p.o, "b"), 1);
	assert_int_equal(opt_count(&p.o, "c"), 1);
	assert_int_equal(opt_count(&p.o, "q"), 0);
	assert_int_equal(p.o.nr_args, 0);
	opt_release(&p.o);

	/* A value-taking option in a cluster takes the rest of it... */
	PARSE(&p, "-tnfoo", "x");
	assert_int_equal(opt_count(&p.o, "t"), 1);
	assert_string_equal(opt_str(&p.o, "name"), "foo");
	assert_string_equal(opt_str(&p.o, "n"), "foo");
	assert_int_equal(p.o.nr_args, 1);
	assert_string_equal(p.o.args[0], "x");
	opt_release(&p.o);

	/* ...or the next argument, even one starting with '-'. */
	PARSE(&p, "-vn", "-t", "y");
	assert_int_equal(opt_count(&p.o, "v"), 1);
	assert_string_equal(opt_str(&p.o, "name"), "-t");
	assert_int_equal(opt_count(&p.o, "t"), 0);
	assert_int_equal(p.o.nr_args, 1);
	assert_string_equal(p.o.args[0], "y");
	opt_release(&p.o);
}

static void test_options_long_and_prefixes(void **state)
{
	struct parsed p;
	(void)state;
	PARSE(&p, "--tree", "--bl", "--verb", "--verbose", "--max-pack-s=10k",
	      "--max-pack-o", "7", "--fan=4");
	assert_int_equal(opt_count(&p.o, "t"), 1);
	assert_int_equal(opt_count(&p.o, "blobs"), 1);
	assert_int_equal(opt_count(&p.o, "v"), 2);
	assert_string_equal(opt_str(&p.o, "max-pack-size"), "10k");
	assert_int_equal(opt_size(&p.o, "max-pack-size"), 10240);
	assert_string_equal(opt_str(&p.o, "max-pack-objects"), "7");
	assert_int_equal(opt_int(&p.o, "max-pack-objects", 0), 7);
	assert_string_equal(opt_str(&p.o, "fanout"), "4");
	assert_int_equal(opt_given(&p.o, "fanout"), 1);
	assert_int_equal(p.o.nr_args, 0);
	opt_release(&p.o);

	/* exact match wins over being a prefix of a longer name */
	PARSE(&p, "--noop");
	assert_int_equal(opt_count(&p.o, "noop"), 1);
	opt_release(&p.o);
}

static void test_options_values_by_equals(void **state)
{
	struct parsed p;
	(void)state;
	PARSE(&p, "--name=a=b", "--date=", "-n", "second", "--max-pack-size",
	      "1.5m");
	/* the last value wins; '=' after the first is part of the value */
	assert_string_equal(opt_str(&p.o, "name"), "second");
	assert_int_equal(opt_count(&p.o, "name"), 2);
	assert_string_equal(opt_str(&p.o, "date"), "");
	assert_int_equal(opt_given(&p.o, "date"), 1);
	assert_int_equal(opt_size(&p.o, "max-pack-size"), 1572864);
	opt_release(&p.o);

	PARSE(&p, "--name=a=b");
	assert_string_equal(opt_str(&p.o, "n"), "a=b");
	opt_release(&p.o);
}

static void test_options_negation(void **state)
{
	struct parsed p;
	(void)state;
	PARSE(&p, "-vvv", "--no-verbose", "-t", "--no-t", "--no-quiet");
	assert_int_equal(opt_count(&p.o, "verbose"), 0);
	assert_int_equal(opt_given(&p.o, "verbose"), 1);
	assert_int_equal(opt_count(&p.o, "tree"), 0);	/* --no-t: prefix */
	assert_int_equal(opt_count(&p.o, "q"), 0);
	assert_int_equal(opt_given(&p.o, "q"), 1);
	opt_release(&p.o);

	/* counting starts again after a negation */
	PARSE(&p, "-v", "--no-verbose", "-v");
	assert_int_equal(opt_count(&p.o, "v"), 1);
	opt_release(&p.o);
}

static void test_options_digit_flag(void **state)
{
	struct parsed p;
	(void)state;
	PARSE(&p, "-9");
	assert_string_equal(opt_str(&p.o, "compress"), "9");
	assert_string_equal(opt_str(&p.o, "#"), "9");
	assert_int_equal(opt_int(&p.o, "compress", -1), 9);
	assert_int_equal(opt_given(&p.o, "compress"), 1);
	opt_release(&p.o);

	PARSE(&p, "-0");
	assert_int_equal(opt_int(&p.o, "compress", -1), 0);
	opt_release(&p.o);

	/* each digit is a flag; the last one wins (getopt clusters) */
	PARSE(&p, "-t12");
	assert_int_equal(opt_count(&p.o, "t"), 1);
	assert_string_equal(opt_str(&p.o, "compress"), "2");
	opt_release(&p.o);

	PARSE(&p, "--compress=5", "x");
	assert_string_equal(opt_str(&p.o, "compress"), "5");
	assert_int_equal(p.o.nr_args, 1);
	opt_release(&p.o);

	PARSE(&p, "-3", "--compress", "6");
	assert_string_equal(opt_str(&p.o, "compress"), "6");
	opt_release(&p.o);
}

static void test_options_operands(void **state)
{
	struct parsed p;
	(void)state;
	/* gnu_getopt: options after operands are still options */
	PARSE(&p, "a", "-t", "b", "--verbose", "c", "-");
	assert_int_equal(opt_count(&p.o, "t"), 1);
	assert_int_equal(opt_count(&p.o, "v"), 1);
	assert_int_equal(p.o.nr_args, 4);
	assert_string_equal(p.o.args[0], "a");
	assert_string_equal(p.o.args[1], "b");
	assert_string_equal(p.o.args[2], "c");
	assert_string_equal(p.o.args[3], "-");
	opt_release(&p.o);
}

static void test_options_double_dash(void **state)
{
	struct parsed p;
	(void)state;
	PARSE(&p, "-v", "x", "--", "-t", "--bogus", "--", "y");
	assert_int_equal(opt_count(&p.o, "v"), 1);
	assert_int_equal(opt_count(&p.o, "t"), 0);
	assert_int_equal(p.o.nr_args, 5);
	assert_string_equal(p.o.args[0], "x");
	assert_string_equal(p.o.args[1], "-t");
	assert_string_equal(p.o.args[2], "--bogus");
	assert_string_equal(p.o.args[3], "--");
	assert_string_equal(p.o.args[4], "y");
	opt_release(&p.o);

	PARSE(&p, "--");
	assert_int_equal(p.o.nr_args, 0);
	opt_release(&p.o);
}

/* ---- bad options: they print usage + error and exit 97; run in a child ---- */

struct child_result {
	int status;		/* exit code, or -signal */
	char err[8192];
};

static void run_child(struct child_result *r, const char *const *args)
{
	int p[2];
	pid_t pid;
	size_t n = 0;

	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct parsed pp;
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		setenv("BUP_TTY_WIDTH", "70", 1);
		alarm(2);	/* a hang becomes a failure, not a stuck run */
		parse(&pp, args);
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		ssize_t k = read(p[0], r->err + n, sizeof(r->err) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	r->err[n] = 0;
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

#define CHILD(r, ...) do { \
	static const char *const a_[] = { __VA_ARGS__, NULL }; \
	run_child((r), a_); \
} while (0)

static void assert_bad_option(struct child_result *r, const char *msg)
{
	char want[256];
	if (r->status == -SIGALRM)
		fail_msg("hung (killed after 2s) instead of printing "
			 "usage and \"error: %s\"", msg);
	assert_int_equal(r->status, EXIT_BAD_OPTION);
	assert_true(!strncmp(r->err, "usage: bup split", 16));
	snprintf(want, sizeof(want), "\nerror: %s\n", msg);
	if (!strstr(r->err, want))
		fail_msg("stderr lacks \"error: %s\"; got:\n%s", msg, r->err);
}

static void test_options_bad_short(void **state)
{
	struct child_result r;
	(void)state;
	CHILD(&r, "-x");
	assert_bad_option(&r, "option -x not recognized");
	CHILD(&r, "-tx");
	assert_bad_option(&r, "option -x not recognized");
	CHILD(&r, "-t", "-n");
	assert_bad_option(&r, "option -n requires argument");
}

/* '#' names the digit flags; "-#" itself is not an option in bup. */
static void test_options_bad_hash_flag(void **state)
{
	struct child_result r;
	(void)state;
	CHILD(&r, "-#");
	assert_bad_option(&r, "option -# not recognized");
}

static void test_options_bad_long(void **state)
{
	struct child_result r;
	(void)state;
	CHILD(&r, "--bogus");
	assert_bad_option(&r, "option --bogus not recognized");
	CHILD(&r, "--max-pack=1");
	assert_bad_option(&r, "option --max-pack not a unique prefix");
	CHILD(&r, "--no-");
	assert_bad_option(&r, "option --no- not a unique prefix");
	CHILD(&r, "--tree=1");
	assert_bad_option(&r, "option --tree must not have an argument");
	CHILD(&r, "--no-tree=1");
	assert_bad_option(&r, "option --no-tree must not have an argument");
	CHILD(&r, "--name");
	assert_bad_option(&r, "option --name requires argument");
}

static void test_options_help(void **state)
{
	static const char *const helps[][3] = {
		{ "-h", NULL }, { "-?", NULL }, { "--help", NULL },
		{ "--usage", NULL }, { "-th", NULL }, { "-t", "--help" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		struct child_result r;
		run_child(&r, helps[i]);
		if (r.status == -SIGALRM)
			fail_msg("%s: hung (killed after 2s)", helps[i][0]);
		if (r.status != EXIT_BAD_OPTION)
			fail_msg("%s: exit %d, want 97", helps[i][0], r.status);
		if (strncmp(r.err, "usage: bup split", 16))
			fail_msg("%s: no usage printed", helps[i][0]);
		if (strstr(r.err, "error"))
			fail_msg("%s: usage only expected, got:\n%s",
				 helps[i][0], r.err);
	}
}

/* Unique prefixes of the built-in --help/--usage work as getopt's. */
static void test_options_help_prefix(void **state)
{
	static const char *const helps[][2] = {
		{ "--he", NULL }, { "--usa", NULL }, { "--u", NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		struct child_result r;
		run_child(&r, helps[i]);
		if (r.status == -SIGALRM)
			fail_msg("%s: hung (killed after 2s)", helps[i][0]);
		if (r.status != EXIT_BAD_OPTION)
			fail_msg("%s: exit %d, want 97", helps[i][0], r.status);
		if (strncmp(r.err, "usage: bup split", 16))
			fail_msg("%s: no usage printed", helps[i][0]);
		if (strstr(r.err, "error"))
			fail_msg("%s: usage only expected (bup's getopt resolves "
				 "the prefix to --help/--usage), got an error:\n%s",
				 helps[i][0], strstr(r.err, "error"));
	}
}

static void test_options_opt_fatal(void **state)
{
	struct child_result r;
	(void)state;
	/* a bad size value dies naming the option */
	CHILD(&r, "--max-pack-size=12q");
	/* the parse succeeds; the child exits 0 without reading the value */
	assert_int_equal(r.status, 0);

	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct parsed pp;
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		alarm(2);
		PARSE(&pp, "--max-pack-size=12q");
		opt_size(&pp.o, "max-pack-size");
		_exit(0);
	}
	close(p[1]);
	size_t n = 0;
	for (;;) {
		ssize_t k = read(p[0], r.err + n, sizeof(r.err) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	r.err[n] = 0;
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 97);
	assert_non_null(strstr(r.err, "\nerror: "));
	assert_non_null(strstr(r.err, "max-pack-size"));
}

/* ---- opt_usage ---- */

/*
 * opt_usage() in a child with a time limit, so that a hang is reported
 * as a failure; returns the text (caller frees).
 */
static char *usage_text(const char *sp, const char *width)
{
	int p[2];
	pid_t pid;
	struct buf_ { char *d; size_t n, a; } b = { NULL, 0, 0 };
	int st;

	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *u;
		close(p[0]);
		setenv("BUP_TTY_WIDTH", width, 1);
		alarm(2);
		u = opt_usage(sp);
		if (write(p[1], u, strlen(u)) < 0)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		if (b.a - b.n < 4096) {
			b.a = b.a ? b.a * 2 : 8192;
			b.d = realloc(b.d, b.a);
			assert_non_null(b.d);
		}
		ssize_t k = read(p[0], b.d + b.n, b.a - b.n - 1);
		if (k <= 0)
			break;
		b.n += (size_t)k;
	}
	close(p[0]);
	b.d[b.n] = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("opt_usage() %s (signal %d)",
			 WTERMSIG(st) == SIGALRM ? "hung" : "crashed",
			 WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	return b.d;
}

static void test_options_usage_width70(void **state)
{
	char *u;
	(void)state;
	u = usage_text(usage_spec, "70");
	assert_string_equal(u,
		"usage: bup split [-t] [-c] [-n name] OPTIONS [--noop] [filenames...]\n"
		"   or: bup split -b [filenames...]\n"
		"\n"
		"Modes:\n"
		"    -b, --blobs           output a series of blob ids\n"
		"    -t, --tree            output a tree id\n"
		"    -n, --name ...        name of backup set to update (if any)\n"
		"    -#, --compress ...    set compression level to # (0-9, 9 is\n"
		"                            highest) [1]\n"
		"\n"
		"Other:\n"
		"    -v, --verbose         increase log output (can be used more than\n"
		"                            once)\n"
		"    --max-pack-size ...   maximum bytes in a single pack\n");
	free(u);
}

static void test_options_usage_width50(void **state)
{
	char *u;
	(void)state;
	u = usage_text(usage_spec, "50");
	assert_string_equal(u,
		"usage: bup split [-t] [-c] [-n name] OPTIONS [--noop] [filenames...]\n"
		"   or: bup split -b [filenames...]\n"
		"\n"
		"Modes:\n"
		"    -b, --blobs           output a series of blob\n"
		"                            ids\n"
		"    -t, --tree            output a tree id\n"
		"    -n, --name ...        name of backup set to\n"
		"                            update (if any)\n"
		"    -#, --compress ...    set compression level to\n"
		"                            # (0-9, 9 is highest)\n"
		"                            [1]\n"
		"\n"
		"Other:\n"
		"    -v, --verbose         increase log output (can\n"
		"                            be used more than\n"
		"                            once)\n"
		"    --max-pack-size ...   maximum bytes in a\n"
		"                            single pack\n");
	free(u);
}

static void test_options_usage_column(void **state)
{
	char *u;
	(void)state;
	u = usage_text("bup x\n--\n"
		       "b,blobs    text\n"
		       "a-very-long-option-name=  its text\n", "200");
	/* "    %-20s  " then the text; longer flags push the text right */
	assert_string_equal(u,
		"usage: bup x\n"
		"\n"
		"    -b, --blobs           text\n"
		"    --a-very-long-option-name ...  its text\n");
	free(u);
}

/*
 * An option without a description: bup's textwrap.wrap("") is empty, so
 * the line is an empty line (not the flag names).
 */
static void test_options_usage_no_description(void **state)
{
	char *u;
	(void)state;
	u = usage_text("bup x\n--\n"
		       "b,blobs    text\n"
		       "z\n"
		       "q,quiet  be quiet\n", "200");
	assert_string_equal(u,
		"usage: bup x\n"
		"\n"
		"    -b, --blobs           text\n"
		"\n"
		"    -q, --quiet           be quiet\n");
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_parse_num_units),
		cmocka_unit_test(test_options_parse_num_bad),
		cmocka_unit_test(test_options_parse_num_hex_rejected),
		cmocka_unit_test(test_options_no_args),
		cmocka_unit_test(test_options_clustered_short_flags),
		cmocka_unit_test(test_options_long_and_prefixes),
		cmocka_unit_test(test_options_values_by_equals),
		cmocka_unit_test(test_options_negation),
		cmocka_unit_test(test_options_digit_flag),
		cmocka_unit_test(test_options_operands),
		cmocka_unit_test(test_options_double_dash),
		cmocka_unit_test(test_options_bad_short),
		cmocka_unit_test(test_options_bad_hash_flag),
		cmocka_unit_test(test_options_bad_long),
		cmocka_unit_test(test_options_help),
		cmocka_unit_test(test_options_help_prefix),
		cmocka_unit_test(test_options_opt_fatal),
		cmocka_unit_test(test_options_usage_width70),
		cmocka_unit_test(test_options_usage_width50),
		cmocka_unit_test(test_options_usage_column),
		cmocka_unit_test(test_options_usage_no_description),
	};
	setenv("BUP_TTY_WIDTH", "70", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
