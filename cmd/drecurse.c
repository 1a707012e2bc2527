/* bup drecurse: print the paths the index walk would visit (§3.4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/drecurse.h"
#include "lib/options.h"
#include "lib/usage.h"

static const char drecurse_usage[] =
"bup drecurse <path>\n"
"--\n"
"x,xdev,one-file-system   don't cross filesystem boundaries\n"
"exclude= a path to exclude from the backup (can be used more than once)\n"
"exclude-from= a file that contains exclude paths (can be used more than once)\n"
"exclude-rx= skip paths matching the unanchored regex (may be repeated)\n"
"exclude-rx-from= skip --exclude-rx patterns in file (may be repeated)\n"
"q,quiet  don't actually print filenames\n"
"profile  run under the python profiler\n";

static int print_path(void *ctx, const char *path, const struct stat *st)
{
	if (!*(int *)ctx) {
		fputs(path, stdout);
		fputc('\n', stdout);
	}
	return 0;
}

static size_t split_comps(char *p, char ***out)
{
	size_t n = 0, alloc = 0;
	char *save = NULL;
	*out = NULL;
	for (char *t = strtok_r(p, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		ALLOC_GROW(*out, n + 1, alloc);
		(*out)[n++] = t;
	}
	return n;
}

/* os.path.relpath(path) against the current directory */
static char *relpath(const char *path)
{
	char *a = py_abspath(path), *c = py_abspath(".");
	char **pa, **pc;
	size_t na = split_comps(a, &pa), nc = split_comps(c, &pc), i = 0;
	struct buf out = BUF_INIT;

	while (i < na && i < nc && !strcmp(pa[i], pc[i]))
		i++;
	for (size_t k = i; k < nc; k++)
		buf_adds(&out, out.len ? "/.." : "..");
	for (size_t k = i; k < na; k++) {
		if (out.len)
			buf_addch(&out, '/');
		buf_adds(&out, pa[k]);
	}
	if (!out.len)
		buf_addch(&out, '.');
	free(pa);
	free(pc);
	free(a);
	free(c);
	return buf_detach(&out, NULL);
}

static int strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_drecurse(int argc, char **argv)
{
	struct options o;
	struct strlist excluded = STRLIST_INIT, rel = STRLIST_INIT;
	struct exclude_rx rxs = { 0 };
	struct drecurse_opts d = { 0 };
	int quiet, errors = 0;

	opt_parse(&o, drecurse_usage, argc, argv);
	if (o.nr_args != 1)
		opt_fatal(&o, "exactly one filename expected");
	parse_excludes(&o, &excluded);
	if (o.args[0][0] != '/') {
		for (size_t i = 0; i < excluded.nr; i++)
			strlist_add_owned(&rel, relpath(excluded.items[i]));
		/* keep them sorted for the lookup */
		QSORT(rel.items, rel.nr, strcmp_p);
	}
	parse_rx_excludes(&o, &rxs);
	quiet = opt_count(&o, "quiet");
	d.xdev = opt_count(&o, "xdev");
	d.excluded_paths = o.args[0][0] != '/' ? &rel : &excluded;
	d.exclude_rxs = &rxs;
	drecurse(o.args, 1, &d, print_path, &quiet, &errors);
	strlist_clear(&excluded);
	strlist_clear(&rel);
	exclude_rx_release(&rxs);
	opt_release(&o);
	if (errors) {
		fflush(stdout);
		logmsg("WARNING: %d errors encountered.\n", errors);
		return EXIT_ERRORS;
	}
	return 0;
}
