/* bup tag: list, create and delete refs/tags/NAME. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/options.h"
#include "lib/repo.h"
#include "lib/usage.h"

static const char tag_usage[] =
"bup tag\n"
"bup tag [-f] <tag name> <commit>\n"
"bup tag [-f] -d <tag name>\n"
"--\n"
"d,delete=   Delete a tag\n"
"f,force     Overwrite existing tag, or ignore missing tag when deleting\n";

/* As bup, which looks the name up among the tags it lists: a name git
 * would not accept (".x", "a..b") is simply not an existing tag. */
static int tag_exists(struct repo *repo, const char *name)
{
	git_oid id;
	char ref[1024];
	snprintf(ref, sizeof(ref), "refs/tags/%s", name);
	return git_reference_name_to_id(&id, repo->git, ref) == 0;
}

int cmd_tag(int argc, char **argv)
{
	struct options o;
	struct repo repo;
	const char *del;
	int force;
	char ref[1024];

	opt_parse(&o, tag_usage, argc, argv);
	repo_open(&repo, NULL);
	force = opt_count(&o, "force");
	del = opt_str(&o, "delete");
	if (del) {
		git_reference *r;
		snprintf(ref, sizeof(ref), "refs/tags/%s", del);
		if (git_reference_lookup(&r, repo.git, ref) < 0) {
			if (force)
				return EXIT_OK;
			die("tag '%s' doesn't exist", del);
		}
		if (git_reference_delete(r) < 0) {
			report_git_error(ref);
			return EXIT_ERRORS;
		}
		git_reference_free(r);
		return EXIT_OK;
	}
	if (!o.nr_args) {
		git_strarray names;
		if (git_reference_list(&names, repo.git) < 0) {
			report_git_error("cannot list refs");
			return EXIT_ERRORS;
		}
		/* git_reference_list sorts; print the tags in that order. */
		for (size_t i = 0; i < names.count; i++)
			if (!strncmp(names.strings[i], "refs/tags/", 10))
				printf("%s\n", names.strings[i] + 10);
		git_strarray_dispose(&names);
		return EXIT_OK;
	}
	if (o.nr_args != 2)
		opt_fatal(&o, "expected commit ref and hash");
	const char *name = o.args[0], *commit = o.args[1];
	struct oid id;
	if (!*name)
		opt_fatal(&o, "tag name must not be empty.");
	if (tag_exists(&repo, name) && !force)
		die("tag '%s' already exists", name);
	if (name[0] == '.')
		opt_fatal(&o, "'%s' is not a valid tag name.", name);
	if (repo_resolve(&repo, commit, &id) < 0 ||
	    !packlist_exists(&repo.packs, &id))
		die_status(EXIT_FAIL, "commit %s not found.", commit);
	snprintf(ref, sizeof(ref), "refs/tags/%s", name);
	git_oid nid;
	git_reference *r;
	memcpy(nid.id, id.hash, OID_RAWSZ);
	if (git_reference_create(&r, repo.git, ref, &nid, 1, NULL) < 0) {
		report_git_error(ref);
		return EXIT_ERRORS;
	}
	git_reference_free(r);
	repo_close(&repo);
	opt_release(&o);
	return EXIT_OK;
}
