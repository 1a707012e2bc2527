/*
 * Unit tests for lib/progress: the status line is shown only when asked
 * and stderr is a terminal, at most ten times a second; the byte count
 * is kept either way.
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
#include <poll.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/progress.h"
#include "lib/xio.h"

static int saved_stderr = -1;

/* Point fd 2 at `fd` (until restore_stderr). */
static void redirect_stderr(int fd)
{
	fflush(stderr);
	saved_stderr = dup(2);
	assert_true(saved_stderr >= 0);
	assert_int_equal(dup2(fd, 2), 2);
}

static void restore_stderr(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
}

static int temp_file(char *path)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

static void test_progress_disabled_not_a_tty(void **state)
{
	char path[] = "/tmp/test-progress-XXXXXX";
	int fd = temp_file(path);
	struct progress p;
	struct buf b = BUF_INIT;
	(void)state;
	redirect_stderr(fd);
	progress_init(&p, "Reading", 1);
	int enabled = p.enabled;
	progress_update(&p, 4096);
	progress_update(&p, 1 << 20);
	p.last = 0;	/* as if long ago: still nothing */
	progress_update(&p, 1);
	progress_done(&p);
	restore_stderr();
	close(fd);
	assert_int_equal(enabled, 0);
	assert_int_equal(p.bytes, 4096 + (1 << 20) + 1);
	assert_string_equal(p.label, "Reading");
	assert_int_equal(read_file(path, &b), 0);
	assert_int_equal(b.len, 0);
	unlink(path);

	/* a pipe is not a tty either */
	int pp[2];
	assert_int_equal(pipe(pp), 0);
	redirect_stderr(pp[1]);
	progress_init(&p, "x", 1);
	enabled = p.enabled;
	progress_update(&p, 100);
	progress_done(&p);
	restore_stderr();
	close(pp[1]);
	char c;
	assert_int_equal(read(pp[0], &c, 1), 0);
	close(pp[0]);
	assert_int_equal(enabled, 0);
	buf_release(&b);
}

/* Open a pseudo-terminal; -1 if the system has none. */
static int open_pty(int *slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0)
		return -1;
	if (grantpt(m) < 0 || unlockpt(m) < 0) {
		close(m);
		return -1;
	}
	*slave = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (*slave < 0) {
		close(m);
		return -1;
	}
	return m;
}

static void drain(int m, struct buf *out)
{
	struct pollfd pfd = { m, POLLIN, 0 };
	char b[4096];
	while (poll(&pfd, 1, 200) > 0 && (pfd.revents & POLLIN)) {
		ssize_t n = read(m, b, sizeof(b));
		if (n <= 0)
			break;
		buf_add(out, b, (size_t)n);
	}
}

static void test_progress_tty(void **state)
{
	int s, m = open_pty(&s);
	struct progress p;
	struct buf b = BUF_INIT;
	(void)state;
	if (m < 0)
		skip();
	redirect_stderr(s);
	/* enabled = 0 wins over a tty */
	progress_init(&p, "Off", 0);
	int off = p.enabled;
	progress_update(&p, 10 << 10);
	progress_done(&p);
	progress_init(&p, "Saving", 1);
	int on = p.enabled;
	progress_update(&p, 2048);	/* shown: first update */
	progress_update(&p, 1024);	/* not shown: within 0.1 s */
	double t0 = p.last;
	p.last -= 1.0;			/* a second later */
	progress_update(&p, 1024);	/* shown */
	progress_done(&p);
	restore_stderr();
	drain(m, &b);
	close(s);
	close(m);
	assert_int_equal(off, 0);
	assert_int_equal(on, 1);
	assert_true(t0 > 0);
	assert_int_equal(p.bytes, 4096);
	assert_null(strstr(b.data, "Off"));
	if (!strstr(b.data, "Saving: 2 kbytes\r") ||
	    !strstr(b.data, "Saving: 4 kbytes\r") ||
	    strstr(b.data, "Saving: 3 kbytes") ||
	    !strstr(b.data, "Saving: 4 kbytes, done."))
		fail_msg("unexpected terminal output: '%s'", b.data);
	buf_release(&b);
}

static void test_progress_done_without_update(void **state)
{
	int s, m = open_pty(&s);
	struct progress p;
	struct buf b = BUF_INIT;
	(void)state;
	if (m < 0)
		skip();
	redirect_stderr(s);
	progress_init(&p, "Idle", 1);
	progress_done(&p);	/* nothing was shown: no "done" line */
	restore_stderr();
	drain(m, &b);
	close(s);
	close(m);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_progress_now(void **state)
{
	double a = progress_now(), b;
	(void)state;
	assert_true(a > 1.5e9);
	usleep(20000);
	b = progress_now();
	assert_true(b - a >= 0.015);
	assert_true(b - a < 5);
}

/* $BUP_TTY_WIDTH wins; without it and without a tty on stderr, 70. */
static void test_tty_width(void **state)
{
	int saved = dup(2), fd = open("/dev/null", O_WRONLY);
	(void)state;
	assert_true(saved >= 0 && fd >= 0);
	setenv("BUP_TTY_WIDTH", "123", 1);
	assert_int_equal(tty_width(), 123);
	setenv("BUP_TTY_WIDTH", "", 1);
	assert_int_equal(dup2(fd, 2), 2);
	assert_int_equal(tty_width(), 70);
	unsetenv("BUP_TTY_WIDTH");
	assert_int_equal(tty_width(), 70);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress_disabled_not_a_tty),
		cmocka_unit_test(test_progress_tty),
		cmocka_unit_test(test_progress_done_without_update),
		cmocka_unit_test(test_progress_now),
		cmocka_unit_test(test_tty_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
