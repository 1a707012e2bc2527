#include "usage.h"
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int debug_level;

static void default_report(const char *prefix, const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "%s%s\n", prefix, msg);
}

static report_fn report = default_report;
static exit_fn exit_routine = exit;
static void (*cleanup)(void);

void usage_set_report(report_fn fn) { report = fn ? fn : default_report; }
void usage_set_exit(exit_fn fn) { exit_routine = fn ? fn : exit; }
void usage_set_cleanup(void (*fn)(void)) { cleanup = fn; }

static void vreport(const char *prefix, int err, const char *fmt, va_list ap)
{
	char msg[4096];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	report(prefix, msg);
}

static NORETURN void do_exit(int status)
{
	void (*fn)(void) = cleanup;
	cleanup = NULL;
	if (fn)
		fn();
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
