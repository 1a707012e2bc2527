/* bup join: write back the bytes of what `bup split` stored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/options.h"
#include "lib/repo.h"
#include "lib/usage.h"

static const char join_usage[] =
"bup join [-r host:path] [refs or hashes...]\n"
"--\n"
"r,remote=  remote repository path\n"
"o=         output filename\n";

struct join_out {
	FILE *f;
	const char *name;
};

/* Blobs as they are, trees entry by entry, commits through their tree. */
static int join_object(git_odb *odb, const git_oid *id, struct join_out *out,
		       const char *what)
{
	git_odb_object *obj;
	const char *p, *end;
	char hex[GIT_OID_HEXSZ + 1];
	int r = 0;

	if (git_odb_read(&obj, odb, id) < 0)
		return error("object %s (from '%s') is missing",
			     git_oid_tostr(hex, sizeof(hex), id), what);
	p = git_odb_object_data(obj);
	end = p + git_odb_object_size(obj);
	switch (git_odb_object_type(obj)) {
	case GIT_OBJECT_BLOB:
		if (fwrite(p, 1, (size_t)(end - p), out->f) != (size_t)(end - p))
			die_errno("cannot write '%s'", out->name);
		break;
	case GIT_OBJECT_TREE:
		while (p < end && !r) {
			const char *nul = memchr(p, 0, (size_t)(end - p));
			git_oid child;
			if (!nul || end - nul < 21) {
				r = error("tree %s is corrupt",
					  git_oid_tostr(hex, sizeof(hex), id));
				break;
			}
			git_oid_fromraw(&child, (const unsigned char *)nul + 1);
			r = join_object(odb, &child, out, what);
			p = nul + 21;
		}
		break;
	case GIT_OBJECT_COMMIT: {
		git_oid tree;
		if (end - p < 45 || strncmp(p, "tree ", 5) ||
		    git_oid_fromstrn(&tree, p + 5, 40) < 0) {
			r = error("commit %s is corrupt",
				  git_oid_tostr(hex, sizeof(hex), id));
			break;
		}
		r = join_object(odb, &tree, out, what);
		break;
	}
	default:
		r = error("cannot join object %s of type %s",
			  git_oid_tostr(hex, sizeof(hex), id),
			  git_object_type2string(git_odb_object_type(obj)));
	}
	git_odb_object_free(obj);
	return r;
}

static int join_one(struct repo *repo, git_odb *odb, const char *ref,
		    struct join_out *out)
{
	git_object *obj;
	git_oid id;
	if (git_oid_fromstrn(&id, ref, strlen(ref)) == 0 && strlen(ref) == 40) {
		/* a full id */
	} else if (git_revparse_single(&obj, repo->git, ref) == 0) {
		git_oid_cpy(&id, git_object_id(obj));
		git_object_free(obj);
	} else {
		return error("'%s' is not a known ref or object id", ref);
	}
	return join_object(odb, &id, out, ref);
}

int cmd_join(int argc, char **argv)
{
	struct options o;
	struct repo repo;
	struct join_out out = { stdout, "<stdout>" };
	const char *outname;
	git_odb *odb;
	int ret = EXIT_OK;

	opt_parse(&o, join_usage, argc, argv);
	if (opt_str(&o, "remote"))
		opt_fatal(&o, "-r/--remote is not supported yet");
	repo_open(&repo, NULL);
	if (git_repository_odb(&odb, repo.git) < 0) {
		report_git_error("cannot open the object database");
		return EXIT_ERRORS;
	}
	outname = opt_str(&o, "o");
	if (outname) {
		out.f = fopen(outname, "wb");
		out.name = outname;
		if (!out.f)
			die_errno("cannot open '%s'", outname);
	}
	if (o.nr_args) {
		for (int i = 0; i < o.nr_args; i++)
			if (join_one(&repo, odb, o.args[i], &out) < 0)
				ret = EXIT_ERRORS;
	} else {
		char line[4096];
		while (fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\r\n")] = 0;
			if (!*line)
				continue;
			if (join_one(&repo, odb, line, &out) < 0)
				ret = EXIT_ERRORS;
		}
	}
	if (out.f != stdout && fclose(out.f))
		die_errno("cannot write '%s'", outname);
	git_odb_free(odb);
	repo_close(&repo);
	opt_release(&o);
	return ret;
}
