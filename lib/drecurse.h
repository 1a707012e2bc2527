/*
 * drecurse: bup's filesystem walk (FORMATS-2 §3.4) and the path helpers
 * it and the index share.
 *
 * The walk yields each top's subtree in descending name order,
 * post-order (a directory's contents before the directory), directory
 * names ending in '/'.  It reads directories through file descriptors
 * (openat/fstatat) instead of bup's fchdir, so the process's current
 * directory never changes.
 *
 * Exclusions: a path whose normpath is in `excluded_paths`, or that an
 * --exclude-rx regex matches anywhere (unanchored search).  bup compiles
 * these with Python's `re`; we use POSIX regcomp(REG_EXTENDED), so
 * Python-only syntax (\d, \w, \s, (?:...), lazy quantifiers, lookaround,
 * inline flags) is not understood or means something else, and a
 * pattern is matched against the raw bytes of the path (run in the C
 * locale for byte semantics).
 */
#ifndef BUP_DRECURSE_H
#define BUP_DRECURSE_H

#include <regex.h>
#include <sys/stat.h>

#include "buf.h"
#include "options.h"
#include "strlist.h"

/* Python's os.path.normpath, abspath and realpath; results are malloc'd. */
char *py_normpath(const char *p);
char *py_abspath(const char *p);
char *py_realpath(const char *p);
/* bup's resolve_parent: realpath, except a final symlink is kept. */
char *resolve_parent(const char *p);

struct exclude_rx {
	regex_t *rx;
	char **pattern;
	size_t nr, alloc;
};

/*
 * bup's parse_excludes / parse_rx_excludes from --exclude,
 * --exclude-from, --exclude-rx, --exclude-rx-from.  Paths come back
 * resolved, sorted and unique.  A bad file or regex is opt_fatal().
 */
void parse_excludes(const struct options *o, struct strlist *paths);
void parse_rx_excludes(const struct options *o, struct exclude_rx *rxs);
void exclude_rx_release(struct exclude_rx *rxs);
int should_rx_exclude(const struct exclude_rx *rxs, const char *path);

struct drecurse_opts {
	int xdev;
	const char *bup_dir;		/* NULL: none */
	const struct strlist *excluded_paths;	/* sorted (NULL: none) */
	const struct exclude_rx *exclude_rxs;	/* NULL: none */
	const struct strlist *xdev_exceptions;	/* NULL: none */
};

/* Called for each path; a nonzero return stops the walk. */
typedef int (*drecurse_fn)(void *ctx, const char *path, const struct stat *st);

/*
 * Walk `paths` in the order given.  Errors (unreadable entries,
 * directories that cannot be opened) are reported and counted in
 * *errors; the walk goes on.  Returns the callback's nonzero value or 0.
 */
int drecurse(char *const *paths, int n, const struct drecurse_opts *o,
	     drecurse_fn fn, void *ctx, int *errors);

#endif
