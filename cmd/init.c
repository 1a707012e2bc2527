/* bup init: create the bare git repository bup uses. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/options.h"
#include "lib/repo.h"
#include "lib/usage.h"

static const char init_usage[] =
"[BUP_DIR=...] bup init [-r host:path]\n"
"--\n"
"r,remote=  remote repository path\n";

static int is_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

int cmd_init(int argc, char **argv)
{
	struct options o;
	char *path, *parent, *slash;
	struct stat st;
	int existed = 0;
	git_repository *g;
	git_config *cfg;
	git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;

	opt_parse(&o, init_usage, argc, argv);
	if (o.nr_args)
		opt_fatal(&o, "no arguments expected");
	if (opt_str(&o, "remote"))
		opt_fatal(&o, "-r/--remote is not supported yet");
	path = repo_guess_path(NULL);
	parent = xstrdup(path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		if (stat(parent, &st) < 0)
			die("could not init repository: parent directory '%s' does not exist",
			    parent);
	}
	free(parent);
	if (stat(path, &st) == 0) {
		struct buf head = BUF_INIT;
		buf_addf(&head, "%s/HEAD", path);
		if (!S_ISDIR(st.st_mode))
			die("could not init repository: '%s' exists but is not a directory",
			    path);
		/* Re-initialising a repository is fine; clobbering other data is not. */
		existed = access(head.data, F_OK) == 0;
		if (!existed && !is_empty_dir(path))
			die("could not init repository: '%s' is not empty and is not a repository",
			    path);
		buf_release(&head);
	}
	io.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKDIR;
	repo_global_init();
	if (git_repository_init_ext(&g, path, &io) < 0) {
		report_git_error("could not init repository");
		return EXIT_ERRORS;
	}
	if (git_repository_config(&cfg, g) < 0 ||
	    git_config_set_string(cfg, "pack.indexVersion", "2") < 0 ||
	    git_config_set_bool(cfg, "core.logAllRefUpdates", 1) < 0) {
		report_git_error("could not configure repository");
		return EXIT_ERRORS;
	}
	git_config_free(cfg);
	git_repository_free(g);
	/* git's words, as bup (which runs `git init`) prints them. */
	logmsg("%s in %s/\n", existed ? "Reinitialized existing Git repository" :
	       "Initialized empty Git repository", path);
	free(path);
	opt_release(&o);
	return EXIT_OK;
}
