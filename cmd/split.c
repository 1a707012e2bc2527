/* bup split: chunk files or stdin into the repository (FORMATS-1 §1-3). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/chunkreader.h"
#include "lib/commit.h"
#include "lib/hashsplit.h"
#include "lib/options.h"
#include "lib/packwriter.h"
#include "lib/progress.h"
#include "lib/repo.h"
#include "lib/splittree.h"
#include "lib/tree.h"
#include "lib/usage.h"

static const char split_usage[] =
"bup split [-t] [-c] [-n name] OPTIONS [--git-ids | filenames...]\n"
"bup split -b OPTIONS [--git-ids | filenames...]\n"
"bup split --copy OPTIONS [--git-ids | filenames...]\n"
"bup split --noop [-b|-t] OPTIONS [--git-ids | filenames...]\n"
"--\n"
" Modes:\n"
"b,blobs    output a series of blob ids.  Implies --fanout=0.\n"
"t,tree     output a tree id\n"
"c,commit   output a commit id\n"
"n,name=    save the result under the given name\n"
"noop       split the input, but throw away the result\n"
"copy       split the input, copy it to stdout, don't save to repo\n"
" Options:\n"
"r,remote=  remote repository path\n"
"d,date=    date for the commit (seconds since the epoch)\n"
"q,quiet    don't print progress messages\n"
"v,verbose  increase log output (can be used more than once)\n"
"git-ids    read a list of git object ids from stdin and split their contents\n"
"keep-boundaries  don't let one chunk span two input files\n"
"bench      print benchmark timings to stderr\n"
"max-pack-size=  maximum bytes in a single pack\n"
"max-pack-objects=  maximum number of objects in a single pack\n"
"fanout=    average number of blobs in a single tree\n"
"bwlimit=   maximum bytes/sec to transmit to server\n"
"#,compress=  set compression level to # (0-9, 9 is highest) [1]\n";

struct split_state {
	int blobs, want_tree, copy, hash_only;
	struct packwriter *pw;
	struct splittree tree;
	struct progress prog;
	uint64_t total;
	char hex[OID_HEXSZ + 2];
};

static int emit_chunk_id(void *ctx, const uint8_t *data, size_t len,
			 int level, const struct oid *id)
{
	struct split_state *s = ctx;
	struct oid oid;

	s->total += len;
	progress_update(&s->prog, len);
	if (s->copy) {
		if (fwrite(data, 1, len, stdout) != len)
			die_errno("cannot write to standard output");
		return 0;
	}
	if (s->hash_only)
		return 0;
	if (id) {
		/* from chunkreader_run(): the block stays until release_block() */
		oid = *id;
		packwriter_add_borrowed(s->pw, OBJ_BLOB, data, len, &oid);
	} else {
		packwriter_write(s->pw, OBJ_BLOB, data, len, &oid);
	}
	if (s->blobs) {
		oid_to_hex(&oid, s->hex);
		s->hex[OID_HEXSZ] = '\n';
		if (fwrite(s->hex, 1, OID_HEXSZ + 1, stdout) != OID_HEXSZ + 1)
			die_errno("cannot write to standard output");
	} else {
		splittree_add(&s->tree, &oid, len, level);
	}
	return 0;
}

static void release_block(void *ctx)
{
	struct split_state *s = ctx;
	packwriter_return_borrowed(s->pw);
}

static int emit_chunk(void *ctx, const uint8_t *data, size_t len, int level)
{
	return emit_chunk_id(ctx, data, len, level, NULL);
}

/* --git-ids: split the contents of the objects named on stdin. */
static int split_git_ids(struct repo *repo, struct hashsplit *hs,
			 int keep_boundaries)
{
	char line[1024];
	int errors = 0;
	git_odb *odb;

	if (git_repository_odb(&odb, repo->git) < 0)
		return report_git_error("cannot open the object database");
	while (fgets(line, sizeof(line), stdin)) {
		git_oid id;
		git_odb_object *obj;
		size_t n = strcspn(line, "\r\n");
		const uint8_t *p;
		size_t left;

		line[n] = 0;
		if (git_oid_fromstrn(&id, line, n) < 0 || n != OID_HEXSZ ||
		    git_odb_read(&obj, odb, &id) < 0) {
			error("object '%s' not found", line);
			errors++;
			continue;
		}
		p = git_odb_object_data(obj);
		left = git_odb_object_size(obj);
		while (left) {
			size_t k = left > HASHSPLIT_READ_SIZE ? HASHSPLIT_READ_SIZE : left;
			hashsplit_feed_copy(hs, p, k);
			p += k;
			left -= k;
		}
		git_odb_object_free(obj);
		if (keep_boundaries)
			hashsplit_finish(hs);
	}
	git_odb_free(odb);
	return errors;
}

static double now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

int cmd_split(int argc, char **argv)
{
	struct options o;
	struct split_state s;
	struct packwriter_opts pwo = PACKWRITER_OPTS_INIT;
	struct repo repo;
	struct hashsplit hs;
	struct oid tree, commit, parent;
	int have_repo = 0, have_parent = 0, writing, errors = 0, verbose;
	int want_commit, keep_boundaries, git_ids, *fds = NULL;
	const char *name, *date;
	int64_t fanout = 0, when;
	double start = now();
	char refname[1024], hex[OID_HEXSZ + 1];

	opt_parse(&o, split_usage, argc, argv);
	memset(&s, 0, sizeof(s));
	s.blobs = opt_count(&o, "blobs");
	s.want_tree = opt_count(&o, "tree");
	want_commit = opt_count(&o, "commit");
	name = opt_str(&o, "name");
	s.copy = opt_count(&o, "copy");
	keep_boundaries = opt_count(&o, "keep-boundaries");
	git_ids = opt_count(&o, "git-ids");
	verbose = opt_count(&o, "verbose");
	int noop = opt_count(&o, "noop");

	if (!(s.blobs || s.want_tree || want_commit || name || noop || s.copy))
		opt_fatal(&o, "use one or more of -b, -t, -c, -n, --noop, --copy");
	if (s.copy && (s.blobs || s.want_tree))
		opt_fatal(&o, "--copy is incompatible with -b, -t");
	if ((noop || s.copy) && (want_commit || name))
		opt_fatal(&o, "--noop and --copy are incompatible with -c, -n");
	if (s.blobs && (s.want_tree || want_commit || name))
		opt_fatal(&o, "-b is incompatible with -t, -c, -n");
	if (o.nr_args && git_ids)
		opt_fatal(&o, "don't provide filenames when using --git-ids");
	if (opt_str(&o, "remote"))
		opt_fatal(&o, "-r/--remote is not supported yet");
	if (opt_str(&o, "bwlimit"))
		opt_fatal(&o, "--bwlimit is not supported yet (it needs --remote)");
	pwo.max_pack_size = opt_size(&o, "max-pack-size");
	pwo.max_pack_objects = opt_size(&o, "max-pack-objects");
	if (opt_str(&o, "fanout"))
		fanout = opt_size(&o, "fanout");
	if (fanout == 1)
		opt_fatal(&o, "invalid --fanout value '1': must be 0 or at least 2");
	pwo.level = (int)opt_int(&o, "compress", 1);
	if (pwo.level < 0 || pwo.level > 9)
		opt_fatal(&o, "invalid compression level %d (want 0-9)", pwo.level);
	date = opt_str(&o, "date");
	/* bup's parser turns "0" into the integer 0, which bup then takes
	 * as "no date given", as it does "": both mean now. */
	if (date && (!*date || !strcmp(date, "0")))
		date = NULL;
	if (date) {
		if (parse_date_secs(date, &when) < 0)
			opt_fatal(&o, "invalid date format (should be a float): '%s'", date);
	} else {
		when = (int64_t)time(NULL);
	}
	if (name && !valid_save_name(name))
		opt_fatal(&o, "'%s' is not a valid branch name.", name);

	writing = !(noop || s.copy);
	s.hash_only = (noop && !s.blobs && !s.want_tree) || s.copy;
	if (writing || git_ids) {
		repo_open(&repo, NULL);
		repo.packs.verbose = verbose;
		have_repo = 1;
	}
	/* Open every input first: a missing file changes nothing. */
	if (!git_ids && o.nr_args) {
		fds = xcalloc((size_t)o.nr_args, sizeof(*fds));
		for (int i = 0; i < o.nr_args; i++) {
			fds[i] = open(o.args[i], O_RDONLY | O_CLOEXEC);
			if (fds[i] < 0)
				die_errno("cannot open '%s'", o.args[i]);
			posix_fadvise(fds[i], 0, 0, POSIX_FADV_SEQUENTIAL);
		}
	}
	if (name) {
		snprintf(refname, sizeof(refname), "refs/heads/%s", name);
		int r = repo_read_ref(&repo, refname, &parent);
		if (r < 0)
			return EXIT_ERRORS;
		have_parent = r;
	}

	pwo.noop = !writing;
	s.pw = packwriter_new(have_repo && writing ? &repo : NULL, &pwo);
	splittree_init(&s.tree, s.pw);
	progress_init(&s.prog, "Splitting", !opt_count(&o, "quiet"));

	if (git_ids) {
		hashsplit_init(&hs, s.blobs ? 0 : (unsigned)fanout, emit_chunk, &s);
		errors += split_git_ids(&repo, &hs, keep_boundaries);
		hashsplit_finish(&hs);
		hashsplit_release(&hs);
	} else {
		static int stdin_fd = 0;
		static const char *stdin_name = "<stdin>";
		const int *in = o.nr_args ? fds : &stdin_fd;
		const char *const *names = o.nr_args ?
			(const char *const *)o.args : &stdin_name;
		/* Reads, rolling checksum and blob ids run on a second thread. */
		if (chunkreader_run(in, names, o.nr_args ? (size_t)o.nr_args : 1,
				    s.blobs ? 0 : (unsigned)fanout,
				    keep_boundaries, !s.hash_only,
				    emit_chunk_id, release_block, &s))
			exit_after_error(EXIT_ERRORS);
	}
	progress_done(&s.prog);
	if (verbose)
		logmsg("\n");

	if (s.want_tree || want_commit || name) {
		struct split_entry *ents;
		size_t nr;
		if (name) {
			struct tree_builder tb = TREE_BUILDER_INIT;
			struct buf b = BUF_INIT;
			struct oid top;
			uint64_t size;
			unsigned mode = splittree_blob_or_tree(&s.tree, &top, &size);
			const char *dname = mode == GIT_MODE_TREE ? "data.bup" : "data";
			tree_add(&tb, mode, dname, strlen(dname), &top);
			tree_encode(&tb, &b);
			packwriter_write(s.pw, OBJ_TREE, b.data, b.len, &tree);
			buf_release(&b);
			tree_release(&tb);
		} else {
			splittree_finish(&s.tree, &ents, &nr);
			splittree_write_tree(s.pw, ents, nr, &tree);
		}
		if (s.want_tree)
			printf("%s\n", oid_to_hex(&tree, hex));
	}
	if (want_commit || name) {
		struct buf msg = BUF_INIT;
		buf_adds(&msg, "bup split\n\nGenerated by command:\n");
		commit_argv_repr(&msg, bup_argc, bup_argv);
		buf_addch(&msg, '\n');
		commit_write(s.pw, &tree, have_parent ? &parent : NULL, when,
			     msg.data, &commit);
		if (want_commit)
			printf("%s\n", oid_to_hex(&commit, hex));
		buf_release(&msg);
	}
	/* The objects are durable before any ref names them. */
	errors += packwriter_close(s.pw);
	if (name && repo_update_ref(&repo, refname, &commit,
				    have_parent ? &parent : NULL, NULL) < 0)
		errors++;
	if (opt_count(&o, "bench") || verbose >= 2) {
		double secs = now() - start;
		if (secs <= 0)
			secs = 1e-9;
		logmsg("bup: %.2f kbytes in %.2f secs = %.2f kbytes/sec\n",
		       s.total / 1024.0, secs, s.total / 1024.0 / secs);
	}
	splittree_release(&s.tree);
	free(fds);
	if (have_repo)
		repo_close(&repo);
	opt_release(&o);
	if (errors) {
		logmsg("WARNING: %d errors encountered while saving.\n", errors);
		return EXIT_ERRORS;
	}
	return EXIT_OK;
}
