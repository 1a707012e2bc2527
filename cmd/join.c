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
static int join_object(struct repo *repo, const struct oid *id,
		       struct join_out *out, const char *what)
{
	struct buf obj = BUF_INIT;
	enum obj_type type;
	const char *p, *end;
	char hex[OID_HEXSZ + 1];
	int r = 0;

	switch (repo_read_object(repo, id, &type, &obj)) {
	case -1:
		return error("object %s (from '%s') is missing",
			     oid_to_hex(id, hex), what);
	case -2:
		return -1;
	}
	p = obj.data;
	end = p + obj.len;
	switch (type) {
	case OBJ_BLOB:
		if (fwrite(p, 1, obj.len, out->f) != obj.len)
			die_errno("cannot write '%s'", out->name);
		break;
	case OBJ_TREE:
		while (p < end && !r) {
			const char *nul = memchr(p, 0, (size_t)(end - p));
			struct oid child;
			if (!nul || end - nul < 21) {
				r = error("tree %s is corrupt", oid_to_hex(id, hex));
				break;
			}
			memcpy(child.hash, nul + 1, OID_RAWSZ);
			r = join_object(repo, &child, out, what);
			p = nul + 21;
		}
		break;
	case OBJ_COMMIT: {
		struct oid tree;
		if (end - p < 45 || strncmp(p, "tree ", 5) ||
		    oid_from_hex(&tree, p + 5) < 0) {
			r = error("commit %s is corrupt", oid_to_hex(id, hex));
			break;
		}
		r = join_object(repo, &tree, out, what);
		break;
	}
	default:
		r = error("cannot join object %s of type %s",
			  oid_to_hex(id, hex), obj_type_name(type));
	}
	buf_release(&obj);
	return r;
}

static int join_one(struct repo *repo, const char *ref, struct join_out *out)
{
	git_object *obj;
	git_oid id;
	struct oid oid;
	if (git_oid_fromstrn(&id, ref, strlen(ref)) == 0 && strlen(ref) == 40) {
		/* a full id */
	} else if (git_revparse_single(&obj, repo->git, ref) == 0) {
		git_oid_cpy(&id, git_object_id(obj));
		git_object_free(obj);
	} else {
		return error("'%s' is not a known ref or object id", ref);
	}
	memcpy(oid.hash, id.id, OID_RAWSZ);
	return join_object(repo, &oid, out, ref);
}

int cmd_join(int argc, char **argv)
{
	struct options o;
	struct repo repo;
	struct join_out out = { stdout, "<stdout>" };
	const char *outname;
	int ret = EXIT_OK;

	opt_parse(&o, join_usage, argc, argv);
	if (opt_str(&o, "remote"))
		opt_fatal(&o, "-r/--remote is not supported yet");
	repo_open(&repo, NULL);
	outname = opt_str(&o, "o");
	if (outname) {
		out.f = fopen(outname, "wb");
		out.name = outname;
		if (!out.f)
			die_errno("cannot open '%s'", outname);
	}
	if (o.nr_args) {
		for (int i = 0; i < o.nr_args; i++)
			if (join_one(&repo, o.args[i], &out) < 0)
				ret = EXIT_ERRORS;
	} else {
		char line[4096];
		while (fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\r\n")] = 0;
			if (!*line)
				continue;
			if (join_one(&repo, line, &out) < 0)
				ret = EXIT_ERRORS;
		}
	}
	if (out.f != stdout && fclose(out.f))
		die_errno("cannot write '%s'", outname);
	repo_close(&repo);
	opt_release(&o);
	return ret;
}
