/*
 * Unit tests for lib/usage: what error()/warning()/die() report (through
 * usage_set_report), what they return, the exit status die() asks for
 * (through usage_set_exit) and the cleanup hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/usage.h"
#include "lib/xio.h"

static char last_prefix[64];
static char last_msg[8192];
static int nr_reports;

static void capture(const char *prefix, const char *msg)
{
	snprintf(last_prefix, sizeof(last_prefix), "%s", prefix);
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
	nr_reports++;
}

static jmp_buf exit_jmp;
static int exit_status = -1;
static int nr_exits;

static void fake_exit(int status)
{
	exit_status = status;
	nr_exits++;
	longjmp(exit_jmp, 1);
}

static int nr_cleanups;
static int cleanup_saw_reports;

static void cleanup_fn(void)
{
	nr_cleanups++;
	cleanup_saw_reports = nr_reports;
}

static void reset(void)
{
	last_prefix[0] = last_msg[0] = 0;
	nr_reports = 0;
	exit_status = -1;
	nr_exits = 0;
	nr_cleanups = 0;
}

static int setup(void **state)
{
	(void)state;
	usage_set_report(capture);
	usage_set_exit(fake_exit);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	usage_set_report(NULL);
	usage_set_exit(NULL);
	usage_set_cleanup(NULL);
	return 0;
}

static void test_usage_error(void **state)
{
	(void)state;
	reset();
	assert_int_equal(error("cannot open '%s' (%d)", "x.idx", 42), -1);
	assert_int_equal(nr_reports, 1);
	assert_string_equal(last_prefix, "error: ");
	assert_string_equal(last_msg, "cannot open 'x.idx' (42)");
	/* errno is not appended by error() */
	errno = ENOENT;
	assert_int_equal(error("plain"), -1);
	assert_string_equal(last_msg, "plain");
	assert_int_equal(nr_reports, 2);
	assert_int_equal(nr_exits, 0);
}

static void test_usage_warning(void **state)
{
	(void)state;
	reset();
	warning("ignoring '%s'", "bad.midx");
	assert_int_equal(nr_reports, 1);
	assert_string_equal(last_prefix, "warning: ");
	assert_string_equal(last_msg, "ignoring 'bad.midx'");
	assert_int_equal(nr_exits, 0);
	errno = EACCES;
	warning_errno("cannot read '%s'", "f");
	assert_string_equal(last_prefix, "warning: ");
	char want[256];
	snprintf(want, sizeof(want), "cannot read 'f': %s", strerror(EACCES));
	assert_string_equal(last_msg, want);
	/* errno is kept */
	assert_int_equal(errno, EACCES);
}

static void test_usage_error_errno(void **state)
{
	char want[256];
	(void)state;
	reset();
	errno = ENOENT;
	assert_int_equal(error_errno("cannot open '%s'", "/x/y"), -1);
	snprintf(want, sizeof(want), "cannot open '/x/y': %s", strerror(ENOENT));
	assert_string_equal(last_prefix, "error: ");
	assert_string_equal(last_msg, want);
	/* errno survives the report (callers may look at it) */
	assert_int_equal(errno, ENOENT);
	errno = ENOSPC;
	assert_int_equal(error_errno("write"), -1);
	snprintf(want, sizeof(want), "write: %s", strerror(ENOSPC));
	assert_string_equal(last_msg, want);
	assert_int_equal(errno, ENOSPC);
}

/* A report routine that clobbers errno must not change what is appended. */
static void clobbering(const char *prefix, const char *msg)
{
	capture(prefix, msg);
	errno = EBADF;
}

static void test_usage_errno_taken_first(void **state)
{
	char want[256];
	(void)state;
	reset();
	usage_set_report(clobbering);
	errno = EPERM;
	assert_int_equal(error_errno("x %s", strerror(EINTR)), -1);
	snprintf(want, sizeof(want), "x %s: %s", strerror(EINTR), strerror(EPERM));
	assert_string_equal(last_msg, want);
	assert_int_equal(errno, EPERM);
	usage_set_report(capture);
}

static void test_usage_die(void **state)
{
	(void)state;
	reset();
	usage_set_cleanup(cleanup_fn);
	if (!setjmp(exit_jmp)) {
		die("repository '%s' is broken", "/r");
		fail_msg("die returned");
	}
	assert_int_equal(exit_status, EXIT_ERRORS);
	assert_int_equal(nr_exits, 1);
	assert_string_equal(last_prefix, "error: ");
	assert_string_equal(last_msg, "repository '/r' is broken");
	/* the cleanup ran once, after the message */
	assert_int_equal(nr_cleanups, 1);
	assert_int_equal(cleanup_saw_reports, 1);

	/* the cleanup is taken: a second die does not run it again */
	reset();
	if (!setjmp(exit_jmp))
		die_status(EXIT_NO_REPO, "repository '%s' does not exist", "/n");
	assert_int_equal(exit_status, 15);
	assert_string_equal(last_msg, "repository '/n' does not exist");
	assert_int_equal(nr_cleanups, 0);

	reset();
	usage_set_cleanup(cleanup_fn);
	errno = ENOTDIR;
	if (!setjmp(exit_jmp))
		die_errno("cannot stat '%s'", "p");
	char want[256];
	snprintf(want, sizeof(want), "cannot stat 'p': %s", strerror(ENOTDIR));
	assert_int_equal(exit_status, EXIT_ERRORS);
	assert_string_equal(last_prefix, "error: ");
	assert_string_equal(last_msg, want);
	assert_int_equal(nr_cleanups, 1);

	/* exit_after_error: no message, the status, the cleanup */
	reset();
	usage_set_cleanup(cleanup_fn);
	if (!setjmp(exit_jmp))
		exit_after_error(EXIT_FAIL);
	assert_int_equal(exit_status, 2);
	assert_int_equal(nr_reports, 0);
	assert_int_equal(nr_cleanups, 1);
	usage_set_cleanup(NULL);
}

/* the cleanups run last added first, each once, then are forgotten */
static char order[8];

static void cleanup_a(void) { strncat(order, "a", sizeof(order) - strlen(order) - 1); }
static void cleanup_b(void) { strncat(order, "b", sizeof(order) - strlen(order) - 1); }

static void test_usage_cleanups(void **state)
{
	(void)state;
	reset();
	order[0] = 0;
	usage_set_cleanup(NULL);
	usage_add_cleanup(cleanup_a);
	usage_add_cleanup(cleanup_b);
	usage_add_cleanup(cleanup_a);	/* there already */
	if (!setjmp(exit_jmp))
		die("x");
	assert_string_equal(order, "ba");
	order[0] = 0;
	if (!setjmp(exit_jmp))
		die("y");
	assert_string_equal(order, "");
	/* set: the only one */
	usage_add_cleanup(cleanup_a);
	usage_set_cleanup(cleanup_b);
	if (!setjmp(exit_jmp))
		die("z");
	assert_string_equal(order, "b");
}

/* die() removes the temporary files of atomic files not yet committed */
static void test_usage_die_removes_atomic_files(void **state)
{
	char dir[] = "/tmp/test-usage-XXXXXX", done[64], open_one[64];
	struct atomic_file a, b;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(done, sizeof(done), "%s/done", dir);
	snprintf(open_one, sizeof(open_one), "%s/open", dir);
	reset();
	usage_set_cleanup(NULL);
	assert_true(atomic_file_open(&a, done) >= 0);
	assert_true(atomic_file_open(&b, open_one) >= 0);
	assert_int_equal(atomic_file_commit(&a), 0);
	assert_int_equal(access(b.tmp.data, F_OK), 0);
	if (!setjmp(exit_jmp))
		die("disk full");
	assert_int_equal(access(b.tmp.data, F_OK), -1);
	assert_int_equal(access(open_one, F_OK), -1);
	assert_int_equal(access(done, F_OK), 0);
	atomic_file_abort(&b);
	unlink(done);
	assert_int_equal(rmdir(dir), 0);	/* nothing else left */
}

/*
 * A thread that dies while another is ending the process: its
 * died_meanwhile hook runs (the cleanup may wait for it) and it waits,
 * its message dropped (it reports the teardown under it, and the one
 * error line stays the first thread's); the first thread's cleanup and
 * exit happen once.
 * In a child process, since it really exits.
 */
static int meanwhile_pipe[2];

static void *second_death(void *arg)
{
	(void)arg;
	die("second");
	return NULL;
}

static void meanwhile_hook(void)
{
	if (write(meanwhile_pipe[1], "m", 1) != 1)
		abort();
}

static void cleanup_waits_for_second(void)
{
	pthread_t t;
	char c;

	pthread_create(&t, NULL, second_death, NULL);
	if (read(meanwhile_pipe[0], &c, 1) != 1)
		abort();
	fprintf(stdout, "cleanup saw %c\n", c);
}

static void test_usage_died_meanwhile(void **state)
{
	int out[2], status;
	char got[256];
	ssize_t n;
	pid_t pid;
	(void)state;

	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		alarm(20);		/* a hang ends as SIGALRM */
		dup2(out[1], 1);
		dup2(out[1], 2);
		if (pipe(meanwhile_pipe) < 0)
			abort();
		usage_set_report(NULL);
		usage_set_exit(NULL);
		usage_set_died_meanwhile(meanwhile_hook);
		usage_set_cleanup(cleanup_waits_for_second);
		die("first");
	}
	close(out[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	n = read(out[0], got, sizeof(got) - 1);
	close(out[0]);
	assert_true(n > 0);
	got[n] = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_ERRORS);
	assert_string_equal(got, "error: first\ncleanup saw m\n");
}

static void test_usage_long_message(void **state)
{
	char *big = malloc(10000);
	(void)state;
	reset();
	memset(big, 'x', 9999);
	big[9999] = 0;
	assert_int_equal(error("%s", big), -1);
	assert_int_equal(nr_reports, 1);
	/* truncated, not overflowing: a prefix of the message */
	assert_true(strlen(last_msg) > 1000);
	assert_true(strlen(last_msg) < 9999);
	assert_int_equal(strspn(last_msg, "x"), strlen(last_msg));
	errno = EIO;
	assert_int_equal(error_errno("%s", big), -1);
	assert_true(strlen(last_msg) < 9999);
	free(big);
}

/* Capture what goes to fd 2 while fn runs. */
static void stderr_of(void (*fn)(void), struct buf *out)
{
	char path[] = "/tmp/test-usage-stderr-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	buf_reset(out);
	assert_int_equal(read_file(path, out), 0);
	unlink(path);
}

static void debug_calls(void)
{
	debug1("one %d\n", 1);
	debug2("two %d\n", 2);
}

static void default_report_call(void)
{
	usage_set_report(NULL);
	error("to stderr %s", "now");
	warning("careful");
	logmsg("raw %s\r", "line");
	usage_set_report(capture);
}

static void test_usage_debug_and_default(void **state)
{
	struct buf b = BUF_INIT;
	int old = debug_level;
	(void)state;
	debug_level = 0;
	stderr_of(debug_calls, &b);
	assert_int_equal(b.len, 0);
	debug_level = 1;
	stderr_of(debug_calls, &b);
	assert_string_equal(b.data, "one 1\n");
	debug_level = 2;
	stderr_of(debug_calls, &b);
	assert_string_equal(b.data, "one 1\ntwo 2\n");
	debug_level = old;

	/* NULL restores the default report: prefix, message, newline */
	reset();
	stderr_of(default_report_call, &b);
	assert_string_equal(b.data,
			    "error: to stderr now\nwarning: careful\nraw line\r");
	assert_int_equal(nr_reports, 0);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_error),
		cmocka_unit_test(test_usage_warning),
		cmocka_unit_test(test_usage_error_errno),
		cmocka_unit_test(test_usage_errno_taken_first),
		cmocka_unit_test(test_usage_die),
		cmocka_unit_test(test_usage_cleanups),
		cmocka_unit_test(test_usage_die_removes_atomic_files),
		cmocka_unit_test(test_usage_died_meanwhile),
		cmocka_unit_test(test_usage_long_message),
		cmocka_unit_test(test_usage_debug_and_default),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
