/*
 * options: the one option parser, driven by a bup-style optspec string.
 *
 * The optspec is both the table and the help text, as in bup:
 *
 *   bup split [-t] [-c] [-n name] OPTIONS [filenames...]    usage lines
 *   --
 *    Modes:                                                 section title
 *   t,tree     output a tree id                             flag
 *   n,name=    save the result under the given name         takes a value
 *   #,compress=  set compression level [1]                  -0..-9; default
 *
 * Parsing follows Python's getopt.gnu_getopt as bup uses it: clustered
 * short flags, "--long=value" or "--long value", unique prefixes of long
 * names, "--no-NAME" negation, options after operands, "--" ends options.
 * A bad option prints the usage text and "error: ..." to stderr and exits
 * 97 (EXIT_BAD_OPTION); -h, -?, --help and --usage print the usage and
 * exit 97 as bup does.
 *
 * Values are looked up by any of an option's names.  Typed accessors
 * (sizes with k/m/g/t, integers, dates) parse in one place and call
 * opt_fatal() on a bad value, naming the option.  The struct owns its
 * memory; opt_release() frees it.  args[] point into the caller's argv.
 */
#ifndef BUP_OPTIONS_H
#define BUP_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "strlist.h"

struct opt_def;

/* One option occurrence, in command-line order (for options whose
 * meaning depends on order, e.g. xstat's --include/--exclude-fields). */
struct opt_event {
	const char *name;	/* the option's last (long) name in the spec */
	const char *value;	/* NULL for flags */
	int negated;		/* given as --no-NAME */
};

struct options {
	const char *spec;
	struct opt_def *defs;
	int nr_defs;
	char **args;		/* operands, in order */
	int nr_args;
	struct opt_event *events;	/* every occurrence, in order */
	int nr_events;
	size_t alloc_events;
};

/* Parse argv[1..argc); dies (97) on a bad option. */
void opt_parse(struct options *o, const char *spec, int argc, char **argv);
void opt_release(struct options *o);

/* How many times a flag was given (0 if absent or negated with --no-). */
int opt_count(const struct options *o, const char *name);
/* The option's value (last one given), its [default], or NULL. */
const char *opt_str(const struct options *o, const char *name);
/* Was the option given on the command line at all? */
int opt_given(const struct options *o, const char *name);
/* bup's parse_num: "12", "1.5k", "3G" (powers of 1024); -1 if absent. */
int64_t opt_size(const struct options *o, const char *name);
/* Every value given for a repeatable option, in order (--no-NAME clears). */
const struct strlist *opt_values(const struct options *o, const char *name);
/* A plain integer; `dflt` if absent. */
long opt_int(const struct options *o, const char *name, long dflt);

/* Print usage and "error: <msg>" to stderr and exit 97. */
void opt_fatal(const struct options *o, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* The usage text (what -h prints); caller frees. */
char *opt_usage(const char *spec);

/* bup's parse_num on a string; 0 on success, -1 if malformed. */
int parse_num(const char *s, int64_t *out);

#endif
