/* bup index: the index of the filesystem that save uses (FORMATS-2 §3). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/bupindex.h"
#include "lib/bupindex_meta.h"
#include "lib/ixwalk.h"
#include "lib/drecurse.h"
#include "lib/hlinkdb.h"
#include "lib/metadata.h"
#include "lib/options.h"
#include "lib/repo.h"
#include "lib/usage.h"

static const char index_usage[] =
"bup index <-p|-m|-s|-u|--clear|--check> [options...] <filenames...>\n"
"--\n"
" Modes:\n"
"p,print    print the index entries for the given names (also works with -u)\n"
"m,modified print only added/deleted/modified files (implies -p)\n"
"s,status   print each filename with a status char (A/M/D) (implies -p)\n"
"u,update   recursively update the index entries for the given file/dir names (default if no mode is specified)\n"
"check      carefully check index file integrity\n"
"clear      clear the default index\n"
" Options:\n"
"H,hash     print the hash for each object next to its name\n"
"l,long     print more information about each file\n"
"no-check-device don't invalidate an entry if the containing device changes\n"
"fake-valid mark all index entries as up-to-date even if they aren't\n"
"fake-invalid mark all index entries as invalid\n"
"f,indexfile=  the name of the index file (normally BUP_DIR/bupindex)\n"
"exclude= a path to exclude from the backup (may be repeated)\n"
"exclude-from= skip --exclude paths in file (may be repeated)\n"
"exclude-rx= skip paths matching the unanchored regex (may be repeated)\n"
"exclude-rx-from= skip --exclude-rx patterns in file (may be repeated)\n"
"v,verbose  increase log output (can be used more than once)\n"
"x,xdev,one-file-system  don't cross filesystem boundaries\n";

static int nr_errors;

static double now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

struct update {
	struct bupindex ri;
	struct ixwalk old;	/* the old index under the top path */
	int have_old;		/* old is on an entry */
	size_t cur;
	struct bupindex_writer wi;
	struct metastore *ms;
	struct hlinkdb hl;
	int check_device, fake_valid, fake_invalid, verbose;
	uint64_t total;
	int64_t tmax;		/* ns: times after this are stored as this */
};

static void old_next(struct update *u)
{
	u->have_old = ixwalk_next(&u->old);
}

static int store_meta(struct update *u, const char *path,
		      const struct stat *st, uint64_t *ofs)
{
	struct metadata m;
	struct buf why = BUF_INIT, enc = BUF_INIT;
	metadata_init(&m);
	if (metadata_from_stat(&m, path, st, META_FOR_INDEX, &why) < 0) {
		logmsg("%s\n", why.data);
		nr_errors++;
		buf_release(&why);
		metadata_release(&m);
		return -1;
	}
	m.atime_s = m.mtime_s = m.ctime_s = 0;
	m.atime_ns = m.mtime_ns = m.ctime_ns = 0;
	metadata_encode(&m, &enc);
	*ofs = metastore_store(u->ms, enc.data, enc.len);
	buf_release(&enc);
	buf_release(&why);
	metadata_release(&m);
	return 0;
}

static int visit(void *ctx, const char *path, const struct stat *st)
{
	struct update *u = ctx;
	size_t plen = strlen(path);
	struct ixent e;
	uint64_t meta_ofs;

	if (u->verbose >= 2 || (u->verbose == 1 && S_ISDIR(st->st_mode))) {
		fwrite(path, 1, plen, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	u->total++;

	/* deleted paths */
	while (u->have_old &&
	       bytescmp(u->old.path.data, u->old.path.len, path, plen) > 0) {
		bupindex_entry_load(&u->ri, u->old.ofs, &e);
		if (!ixent_deleted(&e)) {
			ixent_set_deleted(&e);
			ixwalk_repack(&u->old, &e);
			if (e.nlink > 1 && !S_ISDIR(e.mode))
				hlinkdb_del_path(&u->hl, u->old.path.data);
		}
		old_next(u);
	}
	if (u->have_old && u->old.path.len == plen &&
	    !memcmp(u->old.path.data, path, plen)) {
		int repack = 0;
		bupindex_entry_load(&u->ri, u->old.ofs, &e);
		if (ixent_stale(&e, st, u->check_device)) {
			if (store_meta(u, path, st, &meta_ofs) < 0) {
				old_next(u);
				return 0;
			}
			if (!S_ISDIR(e.mode) && e.nlink > 1)
				hlinkdb_del_path(&u->hl, path);
			if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
				hlinkdb_add_path(&u->hl, path, st->st_dev, st->st_ino);
			ixent_update_from_stat(&e, st, meta_ofs);
			/*
			 * Unlike bup, clamp updated entries as new ones are:
			 * a file changed again within the clock's tick (same
			 * mtime, same size) is then still seen as stale.
			 */
			if (e.mtime > u->tmax)
				e.mtime = u->tmax;
			if (e.ctime > u->tmax)
				e.ctime = u->tmax;
			e.flags &= ~IX_HASHVALID;
			repack = 1;
		}
		if (!(e.flags & IX_HASHVALID) && u->fake_valid) {
			if (ixent_sha_empty(&e)) {
				e.gitmode = 0100644;
				memcpy(e.sha, ix_fake_sha, 20);
			}
			e.flags |= IX_HASHVALID;
			repack = 1;
		}
		if (u->fake_invalid) {
			e.flags &= ~IX_HASHVALID;
			repack = 1;
		}
		if (repack)
			ixwalk_repack(&u->old, &e);
		old_next(u);
	} else {
		if (store_meta(u, path, st, &meta_ofs) < 0)
			return 0;
		bupindex_writer_add(&u->wi, path, st, meta_ofs, u->fake_valid);
		if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
			hlinkdb_add_path(&u->hl, path, st->st_dev, st->st_ino);
	}
	return 0;
}

static char *with_suffix(const char *a, const char *b)
{
	struct buf x = BUF_INIT;
	buf_adds(&x, a);
	buf_adds(&x, b);
	return buf_detach(&x, NULL);
}

static void update_index(const char *top, const struct strlist *excluded,
			 const struct exclude_rx *rxs, const char *indexfile,
			 int check, const struct strlist *xexcept,
			 const struct options *o, const char *bup_dir)
{
	struct update u;
	/* tmax: epoch ns, bup's (time.time() - 1) * 10**9 */
	int64_t tmax = (int64_t)floor((now() - 1) * 1e9);
	char *metaname = with_suffix(indexfile, ".meta");
	char *hlname = with_suffix(indexfile, ".hlink");
	struct drecurse_opts dopts = { 0 };
	char *tops[1] = { (char *)top };
	double start;

	memset(&u, 0, sizeof(u));
	u.tmax = tmax;
	u.check_device = !opt_count(o, "no-check-device");
	u.fake_valid = opt_count(o, "fake-valid");
	u.fake_invalid = opt_count(o, "fake-invalid");
	u.verbose = opt_count(o, "verbose");

	u.ms = metastore_open(metaname);
	if (!u.ms)
		exit_after_error(EXIT_ERRORS);
	hlinkdb_init(&u.hl);
	if (hlinkdb_open(&u.hl, hlname) < 0)
		exit_after_error(EXIT_ERRORS);
	if (bupindex_writer_open(&u.wi, indexfile, u.ms, tmax) < 0)
		exit_after_error(EXIT_ERRORS);
	if (bupindex_open(&u.ri, indexfile) < 0) {
		bupindex_writer_abort(&u.wi);
		exit_after_error(EXIT_ERRORS);
	}
	ixwalk_start(&u.old, &u.ri, top, NULL, NULL);
	old_next(&u);

	dopts.xdev = opt_count(o, "xdev");
	dopts.bup_dir = bup_dir;
	dopts.excluded_paths = excluded;
	dopts.exclude_rxs = rxs;
	dopts.xdev_exceptions = xexcept;
	start = now();
	drecurse(tops, 1, &dopts, visit, &u, &nr_errors);
	if (isatty(2)) {
		double el = now() - start;
		logmsg("Indexing: %llu, done (%d paths/s).\n",
		       (unsigned long long)u.total, el > 0 ? (int)(u.total / el) : 0);
	}
	if (hlinkdb_prepare_save(&u.hl) < 0)
		exit_after_error(EXIT_ERRORS);

	if (!bupindex_exists(&u.ri)) {
		if (bupindex_writer_commit(&u.wi) < 0)
			exit_after_error(EXIT_ERRORS);
	} else {
		/* entries changed in place may point to new metadata */
		if (metastore_sync(u.ms) < 0 || bupindex_sync(&u.ri) < 0)
			exit_after_error(EXIT_ERRORS);
		if (bupindex_writer_flush(&u.wi) < 0)
			exit_after_error(EXIT_ERRORS);
		if (u.wi.count) {
			struct bupindex wr;
			struct bupindex_writer mi;
			if (bupindex_open(&wr, bupindex_writer_tmpname(&u.wi)) < 0)
				exit_after_error(EXIT_ERRORS);
			if (check) {
				logmsg("check: before merging: oldfile\n");
				if (bupindex_check(&u.ri, u.verbose) < 0)
					exit_after_error(EXIT_ERRORS);
				logmsg("check: before merging: newfile\n");
				if (bupindex_check(&wr, u.verbose) < 0)
					exit_after_error(EXIT_ERRORS);
			}
			if (bupindex_writer_open(&mi, indexfile, u.ms, tmax) < 0)
				exit_after_error(EXIT_ERRORS);
			bupindex_merge(&u.ri, &wr, &mi);
			if (bupindex_writer_commit(&mi) < 0)
				exit_after_error(EXIT_ERRORS);
			bupindex_close(&wr);
		}
		bupindex_writer_abort(&u.wi);
	}
	if (hlinkdb_commit_save(&u.hl) < 0)
		exit_after_error(EXIT_ERRORS);
	if (metastore_close(u.ms) < 0)
		exit_after_error(EXIT_ERRORS);
	hlinkdb_release(&u.hl);
	ixwalk_release(&u.old);
	bupindex_close(&u.ri);
	free(metaname);
	free(hlname);
}

static void clear_index(const char *indexfile, int verbose)
{
	const char *suffixes[] = { "", ".meta", ".hlink" };
	for (int i = 0; i < 3; i++) {
		char *f = with_suffix(indexfile, suffixes[i]);
		if (unlink(f) < 0) {
			if (errno != ENOENT)
				die_errno("cannot remove '%s'", f);
		} else if (verbose) {
			logmsg("clear: removed %s\n", f);
		}
		free(f);
	}
}

static void check_or_die(const char *indexfile, int verbose)
{
	struct bupindex ix;
	if (bupindex_open(&ix, indexfile) < 0)
		exit_after_error(EXIT_ERRORS);
	if (bupindex_check(&ix, verbose) < 0) {
		bupindex_close(&ix);
		die("index file '%s' failed the check", indexfile);
	}
	bupindex_close(&ix);
}

static void print_index(const struct options *o, const char *indexfile)
{
	struct bupindex ix;
	struct strlist rps = STRLIST_INIT, shown = STRLIST_INIT;
	char *dflt[1] = { "" };
	int modified = opt_count(o, "modified"), status = opt_count(o, "status");
	int hash = opt_count(o, "hash"), lng = opt_count(o, "long");
	struct buf line = BUF_INIT;

	if (bupindex_open(&ix, indexfile) < 0)
		exit_after_error(EXIT_ERRORS);
	if (o->nr_args)
		reduce_paths(o->args, o->nr_args, &rps, &shown, &nr_errors);
	else
		reduce_paths(dflt, 1, &rps, &shown, &nr_errors);
	for (size_t p = 0; p < rps.nr; p++) {
		struct ixwalk c;
		const char *rp = rps.items[p];
		size_t rplen = strlen(rp), n = 0;
		ixwalk_start(&c, &ix, rp, NULL, NULL);
		while (ixwalk_next(&c)) {
			struct ixent e;
			const char *name = c.path.data;
			n++;
			bupindex_entry_load(&ix, c.ofs, &e);
			if (modified && (ixent_valid(&e) || ixent_deleted(&e) || !e.mode))
				continue;
			buf_reset(&line);
			if (status) {
				if (ixent_deleted(&e))
					buf_adds(&line, "D ");
				else if (!ixent_valid(&e))
					buf_adds(&line, ixent_sha_empty(&e) ? "A " : "M ");
				else
					buf_adds(&line, "  ");
			}
			if (hash) {
				for (int k = 0; k < 20; k++)
					buf_addf(&line, "%02x", e.sha[k]);
				buf_addch(&line, ' ');
			}
			if (lng)
				buf_addf(&line, "%07o %07o ", e.mode, e.gitmode);
			buf_adds(&line, shown.items[p]);
			buf_add(&line, name + rplen, c.path.len - rplen);
			if (!shown.items[p][0] && c.path.len == rplen)
				buf_adds(&line, "./");
			buf_addch(&line, '\n');
			fwrite(line.data, 1, line.len, stdout);
		}
		ixwalk_release(&c);
		if (!n) {
			/* bup raises Exception("cannot find %r") here */
			fflush(stdout);
			die("cannot find '%s' in the index '%s'", rp, indexfile);
		}
	}
	buf_release(&line);
	strlist_clear(&rps);
	strlist_clear(&shown);
	bupindex_close(&ix);
}

int cmd_index(int argc, char **argv)
{
	struct options o;
	int update, print;
	const char *opt_f;
	char *indexfile, *bup_dir;
	struct repo repo;
	int verbose;

	opt_parse(&o, index_usage, argc, argv);
	update = opt_count(&o, "update");
	print = opt_count(&o, "print") || opt_count(&o, "status") ||
		opt_count(&o, "modified");
	if (!(print || update || opt_count(&o, "check") || opt_count(&o, "clear")))
		update = 1;
	if ((opt_count(&o, "fake-valid") || opt_count(&o, "fake-invalid")) && !update)
		opt_fatal(&o, "--fake-{in,}valid are meaningless without -u");
	if (opt_count(&o, "fake-valid") && opt_count(&o, "fake-invalid"))
		opt_fatal(&o, "--fake-valid is incompatible with --fake-invalid");
	opt_f = opt_str(&o, "indexfile");
	if (opt_count(&o, "clear") && opt_f)
		opt_fatal(&o, "cannot clear an external index (via -f)");

	/*
	 * bup sleeps here to the next whole second (up to 1 s per run), a
	 * guard from when it stored whole seconds.  We store nanoseconds
	 * and clamp every entry's times to (start - 1 s), new or updated,
	 * so a file changed during or right after this run is always seen
	 * as changed by the next one; the sleep would add nothing.
	 */

	repo_open(&repo, NULL);
	verbose = opt_count(&o, "verbose");
	if (opt_f)
		indexfile = xstrdup(opt_f);
	else
		indexfile = repo_path(&repo, "bupindex");
	bup_dir = py_abspath(repo.path);

	if (opt_count(&o, "check")) {
		logmsg("check: starting initial check.\n");
		check_or_die(indexfile, verbose);
	}
	if (opt_count(&o, "clear")) {
		logmsg("clear: clearing index.\n");
		clear_index(indexfile, verbose);
	}
	fflush(stdout);

	if (update) {
		struct strlist excluded = STRLIST_INIT, rps = STRLIST_INIT;
		struct strlist shown = STRLIST_INIT, xexcept = STRLIST_INIT;
		struct exclude_rx rxs = { 0 };
		if (!o.nr_args)
			opt_fatal(&o, "update mode (-u) requested but no paths given");
		parse_excludes(&o, &excluded);
		parse_rx_excludes(&o, &rxs);
		/* unique_resolved_paths: the xdev exceptions */
		for (int i = 0; i < o.nr_args; i++) {
			struct strlist r1 = STRLIST_INIT, s1 = STRLIST_INIT;
			int dummy = 0;
			reduce_paths_caller(&o.args[i], 1, &r1, &s1, &dummy,
					    "unique_resolved_paths");
			nr_errors += dummy;
			for (size_t j = 0; j < r1.nr; j++)
				if (!strlist_has(&xexcept, r1.items[j]))
					strlist_add(&xexcept, r1.items[j]);
			strlist_clear(&r1);
			strlist_clear(&s1);
		}
		reduce_paths(o.args, o.nr_args, &rps, &shown, &nr_errors);
		for (size_t i = 0; i < rps.nr; i++)
			update_index(rps.items[i], &excluded, &rxs, indexfile,
				     opt_count(&o, "check"), &xexcept, &o, bup_dir);
		strlist_clear(&excluded);
		strlist_clear(&rps);
		strlist_clear(&shown);
		strlist_clear(&xexcept);
		exclude_rx_release(&rxs);
	}

	if (print)
		print_index(&o, indexfile);

	if (opt_count(&o, "check") && (print || update)) {
		logmsg("check: starting final check.\n");
		check_or_die(indexfile, verbose);
	}
	free(indexfile);
	free(bup_dir);
	repo_close(&repo);
	opt_release(&o);
	if (nr_errors) {
		fflush(stdout);
		logmsg("WARNING: %d errors encountered.\n", nr_errors);
		return EXIT_ERRORS;
	}
	return 0;
}
