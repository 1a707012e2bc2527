/*
 * helpers: what several unit tests need around their fixtures: a
 * temporary directory that is also $HOME (so git reads no one's
 * config), removing it, and making a fresh bare repository in it.
 * Header only (static inline), so each test binary stays one .c file.
 */
#ifndef BUP_TEST_HELPERS_H
#define BUP_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>

/*
 * mkdtemp(tmpl), then HOME=tmpl and GIT_CONFIG_NOSYSTEM=1 so git and
 * libgit2 see neither the user's nor the system's config: 0, or -1.
 */
static inline int tmp_git_home(char *tmpl)
{
	if (!mkdtemp(tmpl))
		return -1;
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", tmpl, 1);
	return 0;
}

/* `rm -rf dir`: 0, or -1 (what a cmocka teardown returns). */
static inline int rm_rf(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* `git init -q --bare path`: 0, or -1. */
static inline int git_init_bare(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "git init -q --bare '%s'", path);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
