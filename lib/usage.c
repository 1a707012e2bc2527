#include "usage.h"
#include "buf.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int debug_level;

static void default_report(const char *prefix, const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "%s%s\n", prefix, msg);
}

/*
 * The end of a fatal error: what the process wrote is flushed, and it
 * ends without exit()'s atexit handlers.  Those tear down libraries
 * (OpenSSL's among them) that the packwriter's and reader's threads may
 * still be using: on a full disk a worker then failed to start a SHA-1
 * and printed a second, misleading error.
 */
static void fatal_exit(int status)
{
	fflush(NULL);
	_exit(status);
}

static report_fn report = default_report;
static exit_fn exit_routine = fatal_exit;
/* what die() runs before the exit, last added first; then forgotten */
#define MAX_CLEANUPS 4
static pthread_mutex_t cleanup_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*cleanups[MAX_CLEANUPS])(void);
static int nr_cleanups;
static void (*died_meanwhile)(void);

void usage_set_report(report_fn fn) { report = fn ? fn : default_report; }
void usage_set_exit(exit_fn fn) { exit_routine = fn ? fn : fatal_exit; }

void usage_set_cleanup(void (*fn)(void))
{
	pthread_mutex_lock(&cleanup_lock);
	nr_cleanups = 0;
	if (fn)
		cleanups[nr_cleanups++] = fn;
	pthread_mutex_unlock(&cleanup_lock);
}

void usage_add_cleanup(void (*fn)(void))
{
	int i;

	pthread_mutex_lock(&cleanup_lock);
	for (i = 0; i < nr_cleanups && cleanups[i] != fn; i++)
		;
	if (i == nr_cleanups) {
		if (nr_cleanups == MAX_CLEANUPS)
			BUG("more than %d cleanups", MAX_CLEANUPS);
		cleanups[nr_cleanups++] = fn;
	}
	pthread_mutex_unlock(&cleanup_lock);
}

void usage_set_died_meanwhile(void (*fn)(void)) { died_meanwhile = fn; }

/*
 * One thread ends the process.  Another thread that dies meanwhile (the
 * first one's cleanup may make a worker fail) tells the died_meanwhile
 * hook (the cleanup may be waiting for that thread) and waits for the
 * end instead of running the cleanup and the exit a second time; the
 * thread already exiting may die again (in the cleanup) and goes on.
 */
static int exit_claimed;
static pthread_t exit_owner;

/* Is another thread than this one ending the process? */
static int exiting_elsewhere(void)
{
	return __atomic_load_n(&exit_claimed, __ATOMIC_SEQ_CST) &&
	       !pthread_equal(exit_owner, pthread_self());
}

static void claim_exit(void)
{
	int free_slot = 0;

	if (__atomic_compare_exchange_n(&exit_claimed, &free_slot, 1, 0,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		exit_owner = pthread_self();
		return;
	}
	if (!exiting_elsewhere())
		return;
	if (died_meanwhile)
		died_meanwhile();
	for (;;)
		pause();
}

static void vreport(const char *prefix, int err, const char *fmt, va_list ap)
{
	char msg[4096];
	int n;

	/*
	 * Once a thread is ending the process, what other threads report is
	 * the teardown under them (the cleanup removed the midx or bloom file
	 * the packwriter's finisher was writing), not a second failure: the
	 * one error line stays the one that mattered.
	 */
	if (exiting_elsewhere())
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	report(prefix, msg);
}

static NORETURN void do_exit(int status)
{
	void (*fn[MAX_CLEANUPS])(void);
	int n;

	claim_exit();
	pthread_mutex_lock(&cleanup_lock);
	n = nr_cleanups;
	memcpy(fn, cleanups, sizeof(fn));
	nr_cleanups = 0;
	pthread_mutex_unlock(&cleanup_lock);
	while (n > 0)
		fn[--n]();
	exit_routine(status);
	exit(status);
}

void exit_after_error(int status)
{
	do_exit(status);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", 0, fmt, ap);
	va_end(ap);
	do_exit(EXIT_ERRORS);
}

void die_status(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", 0, fmt, ap);
	va_end(ap);
	do_exit(status);
}

void die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", err, fmt, ap);
	va_end(ap);
	do_exit(EXIT_ERRORS);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", 0, fmt, ap);
	va_end(ap);
	return -1;
}

int error_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", err, fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("warning: ", 0, fmt, ap);
	va_end(ap);
}

void warning_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport("warning: ", err, fmt, ap);
	va_end(ap);
	errno = err;
}

void logmsg(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void bug_at(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "BUG: %s:%d: %s\n", file, line, msg);
	abort();
}
