/* bup midx: merge pack indexes into a midx (FORMATS-1 §4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/midx.h"
#include "lib/options.h"
#include "lib/packidx.h"
#include "lib/repo.h"
#include "lib/strlist.h"
#include "lib/usage.h"

static const char midx_usage[] =
"bup midx [options...] <idxnames...>\n"
"--\n"
"o,output=  output midx filename (default: auto-generated)\n"
"a,auto     automatically use all existing .midx/.idx files as input\n"
"f,force    merge produce exactly one .midx containing all objects\n"
"p,print    print names of generated midx files\n"
"check      validate contents of the given midx files (with -a, all midx files)\n"
"max-files= maximum number of idx files to open at once [-1]\n"
"d,dir=     directory containing idx/midx files\n";

/* Every id of every idx it names is in the midx, and the ids are sorted. */
/* bup's add_error: the message padded to 70 columns. */
static void note_error(const char *msg)
{
	logmsg("%-70s\n", msg);
}

static int check_midx(const struct repo *repo, const char *path)
{
	char *nice = repo_rel(repo, path);
	char msg[1024];
	struct midx *m;
	struct buf why = BUF_INIT;
	int errors = 0;
	char dir[4096], hex[OID_HEXSZ + 1];
	const char *slash = strrchr(path, '/');

	logmsg("Checking %s.\n", nice);
	if (midx_open(&m, path, &why) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", nice, why.data);
		note_error(msg);
		buf_release(&why);
		free(nice);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	for (size_t n = 0; n < m->nr_names; n++) {
		struct packidx *ix;
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", dir, m->names[n]);
		if (packidx_open(&ix, p.data) < 0) {
			errors++;
			buf_release(&p);
			continue;
		}
		for (uint32_t i = 0; i < ix->nr; i++) {
			struct oid o;
			memcpy(o.hash, packidx_sha(ix, i), OID_RAWSZ);
			if (midx_find(m, &o) < 0) {
				char *sub = repo_rel(repo, m->names[n]);
				snprintf(msg, sizeof(msg), "%s: %s: %s missing from midx",
					 nice, sub, oid_to_hex(&o, hex));
				note_error(msg);
				free(sub);
				errors++;
			}
		}
		packidx_free(ix);
		buf_release(&p);
	}
	for (uint32_t i = 1; i < m->nr; i++)
		if (memcmp(m->shas + 20 * (size_t)(i - 1), m->shas + 20 * (size_t)i,
			   OID_RAWSZ) > 0) {
			snprintf(msg, sizeof(msg), "%s: ordering error at entry %u",
				 nice, i);
			note_error(msg);
			errors++;
			break;
		}
	midx_free(m);
	buf_release(&why);
	free(nice);
	return errors;
}

int cmd_midx(int argc, char **argv)
{
	struct options o;
	struct repo repo;
	const char *output, *dir_opt;
	char *dir;
	int auto_mode, force, print, errors = 0;
	long max_files;

	opt_parse(&o, midx_usage, argc, argv);
	auto_mode = opt_count(&o, "auto");
	force = opt_count(&o, "force");
	print = opt_count(&o, "print");
	output = opt_str(&o, "output");
	max_files = opt_int(&o, "max-files", -1);
	if (o.nr_args && (auto_mode || force))
		opt_fatal(&o, "you can't use -f/-a and also provide filenames");
	if (opt_count(&o, "check") && !o.nr_args && !auto_mode)
		opt_fatal(&o, "if using --check, you must provide filenames or -a");
	if (max_files >= 0 && max_files < 5)
		opt_fatal(&o, "--max-files must be at least 5");
	repo_open(&repo, NULL);
	dir_opt = opt_str(&o, "dir");
	dir = dir_opt ? xstrdup(dir_opt) : repo_path(&repo, "objects/pack");

	if (opt_count(&o, "check")) {
		struct strlist names = STRLIST_INIT;
		if (o.nr_args)
			for (int i = 0; i < o.nr_args; i++)
				strlist_add(&names, o.args[i]);
		else if (list_dir_suffix(dir, ".midx", &names) < 0)
			die_errno("cannot read '%s'", dir);
		for (size_t i = 0; i < names.nr; i++)
			errors += check_midx(&repo, names.items[i]);
		strlist_clear(&names);
		if (!errors)
			logmsg("All tests passed.\n");
	} else if (o.nr_args) {
		struct buf written = BUF_INIT;
		int r = midx_merge(dir, output, o.args, (size_t)o.nr_args, 0, 0,
				   &written, NULL);
		if (r < 0)
			errors++;
		else if (r > 0 && print)
			printf("%s\n", written.data);
		buf_release(&written);
	} else if (auto_mode || force) {
		debug1("midx: scanning %s\n", dir);
		/* bup 0.33 never passes -p on in this mode: nothing printed */
		if (midx_maintain(dir, output, auto_mode, force, (int)max_files,
				  0) < 0)
			errors++;
	} else {
		opt_fatal(&o, "you must use -f or -a or provide input filenames");
	}
	free(dir);
	repo_close(&repo);
	opt_release(&o);
	if (errors) {
		logmsg("WARNING: %d errors encountered.\n", errors);
		return EXIT_ERRORS;
	}
	return EXIT_OK;
}
