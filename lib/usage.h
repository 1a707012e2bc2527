/*
 * usage: the one error path.
 *
 * die()/die_errno() print "error: ..." on stderr and exit (EXIT_ERRORS
 * unless die_status() names another code).  error()/error_errno() print
 * and return -1, so `return error_errno("cannot open '%s'", path);` is one
 * line.  warning() prints "warning: ...".  BUG() is for impossible states.
 * debug1()/debug2() print only when the -D level (or BUP_DEBUG) is high
 * enough.  Messages are one line: lowercase start, subject quoted, and the
 * *_errno variants append ": <strerror>".
 *
 * The report routine can be swapped (usage_set_report) so unit tests can
 * capture messages; the exit routine can be swapped too.
 */
#ifndef BUP_USAGE_H
#define BUP_USAGE_H

#include <stdarg.h>

/* Exit codes, as bup 0.33 uses them. */
enum {
	EXIT_OK = 0,
	EXIT_ERRORS = 1,	/* errors collected, or boolean false */
	EXIT_FAIL = 2,
	EXIT_NO_REPO = 15,	/* "repository ... does not exist" */
	EXIT_BAD_OPTION = 97,
	EXIT_BAD_COMMAND = 99,
	EXIT_INTERRUPTED = 130,
};

#define NORETURN __attribute__((noreturn))
#define PRINTF(a, b) __attribute__((format(printf, a, b)))

NORETURN void die(const char *fmt, ...) PRINTF(1, 2);
NORETURN void die_errno(const char *fmt, ...) PRINTF(1, 2);
NORETURN void die_status(int status, const char *fmt, ...) PRINTF(2, 3);
/* Exit as die() does (running the cleanup) after an error already reported. */
NORETURN void exit_after_error(int status);
int error(const char *fmt, ...) PRINTF(1, 2);
int error_errno(const char *fmt, ...) PRINTF(1, 2);
void warning(const char *fmt, ...) PRINTF(1, 2);
void warning_errno(const char *fmt, ...) PRINTF(1, 2);
/* Print the message as is (no prefix), e.g. progress lines. */
void logmsg(const char *fmt, ...) PRINTF(1, 2);
NORETURN void bug_at(const char *file, int line, const char *fmt, ...) PRINTF(3, 4);
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)

extern int debug_level;
#define debug1(...) do { if (debug_level >= 1) logmsg(__VA_ARGS__); } while (0)
#define debug2(...) do { if (debug_level >= 2) logmsg(__VA_ARGS__); } while (0)

/* Replace where messages go (prefix is "error: " etc.); NULL restores. */
typedef void (*report_fn)(const char *prefix, const char *msg);
void usage_set_report(report_fn fn);
typedef void (*exit_fn)(int status);
void usage_set_exit(exit_fn fn);
/*
 * Called before exiting from die(): removes temp files etc., the last
 * added first, once.  usage_set_cleanup() makes fn the only one (NULL:
 * none); usage_add_cleanup() adds fn unless it is there already.  One
 * thread ends the process: another that dies meanwhile calls
 * died_meanwhile (a cleanup may be waiting for it), then waits for the
 * end.
 */
void usage_set_cleanup(void (*fn)(void));
void usage_add_cleanup(void (*fn)(void));
void usage_set_died_meanwhile(void (*fn)(void));

#endif
