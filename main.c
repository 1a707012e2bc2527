/*
 * bup: the dispatcher.  Global options (-d/--bup-dir, -D/--debug,
 * -V/--version, -?/--help), then a built-in command from the sorted
 * table below, or else `bup-<name>` from beside this binary or PATH.
 * After a built-in returns, stdout is flushed and checked, so a full
 * disk or closed pipe on stdout is an error, not silent data loss.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/repo.h"
#include "lib/usage.h"

const struct cmd_spec bup_commands[] = {
	{ "bloom", cmd_bloom, "Generate or check the bloom filter of a repository" },
	{ "cat-file", cmd_cat_file, "Extract an object from the repository" },
	{ "drecurse", cmd_drecurse, "Recursively list files in your filesystem" },
	{ "help", cmd_help, "Print detailed help for the given command" },
	{ "index", cmd_index, "Create or display the index of files to back up" },
	{ "init", cmd_init, "Initialize a bup repository" },
	{ "join", cmd_join, "Retrieve a file backed up using 'bup split'" },
	{ "list-idx", cmd_list_idx, "Print the object ids in pack indexes" },
	{ "ls", cmd_ls, "Browse the files in your backup sets" },
	{ "margin", cmd_margin, "Figure out your deduplication safety margin" },
	{ "memtest", cmd_memtest, "Test the speed and memory use of object lookups" },
	{ "meta", cmd_meta, "Create or extract a metadata archive" },
	{ "midx", cmd_midx, "Index objects to speed up lookups in many packs" },
	{ "random", cmd_random, "Generate a stream of random output" },
	{ "restore", cmd_restore, "Restore files from a backup set" },
	{ "save", cmd_save, "Save files into a backup set (note: run \"bup index\" first)" },
	{ "split", cmd_split, "Split a single file into its own fileset" },
	{ "tag", cmd_tag, "Tag commits for easier access" },
	{ "version", cmd_version, "Report the version number of your copy of bup" },
	{ "xstat", cmd_xstat, "Print the metadata bup would record for a path" },
};
const int bup_nr_commands = sizeof(bup_commands) / sizeof(bup_commands[0]);

int bup_argc;
char **bup_argv;

const struct cmd_spec *find_command(const char *name)
{
	for (int i = 0; i < bup_nr_commands; i++)
		if (!strcmp(bup_commands[i].name, name))
			return &bup_commands[i];
	return NULL;
}

void main_usage(const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "Usage: bup [-?|--help] [-d BUP_DIR] [--debug] "
		"<command> [options...]\n\nCommands:\n");
	for (int i = 0; i < bup_nr_commands; i++)
		fprintf(stderr, "    %-10s %s\n", bup_commands[i].name,
			bup_commands[i].desc);
	fprintf(stderr, "\nSee 'bup help COMMAND' for more information on "
		"a specific command.\n");
	if (msg)
		fprintf(stderr, "\n%s\n", msg);
	exit(EXIT_BAD_COMMAND);
}

static const char *option_value(int *i, int argc, char **argv)
{
	const char *a = argv[*i], *eq = strchr(a, '=');
	char msg[256];
	if (eq && a[1] == '-') {
		if (!eq[1])
			goto missing;
		return eq + 1;
	}
	if (*i + 1 >= argc)
		goto missing;
	return argv[++*i];
missing:
	snprintf(msg, sizeof(msg), "error: no value provided for %s option", a);
	main_usage(msg);
}

static int finish_stdout(int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		error_errno("cannot write to standard output");
		return status ? status : EXIT_ERRORS;
	}
	if (fclose(stdout) && errno != EBADF) {
		error_errno("cannot close standard output");
		return status ? status : EXIT_ERRORS;
	}
	return status;
}

/* Run bup-<name> from beside this binary (cmd/ or the same dir) or PATH. */
static void exec_external(char **argv)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *dirs[2] = { "cmd", "." };

	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		for (int d = 0; d < 2; d++) {
			snprintf(path, sizeof(path), "%s/%s/bup-%s", exe, dirs[d],
				 argv[0]);
			if (access(path, X_OK) == 0) {
				argv[0] = path;
				execv(path, argv);
			}
		}
	}
	snprintf(path, sizeof(path), "bup-%s", argv[0]);
	char *name = argv[0];
	argv[0] = path;
	execvp(path, argv);
	argv[0] = name;
}

int main(int argc, char **argv)
{
	int i, help = 0, debug = 0;
	const char *bup_dir = NULL;
	char *version_argv[] = { "version", NULL };
	char **sub;
	int nsub;
	const struct cmd_spec *c;

	bup_argc = argc;
	bup_argv = argv;
	if (argc < 2)
		main_usage(NULL);
	{
		const char *d = getenv("BUP_DEBUG");
		debug = d ? atoi(d) : 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-?") || !strcmp(a, "--help"))
			help = 1;
		else if (!strcmp(a, "-V") || !strcmp(a, "--version"))
			break;
		else if (!strcmp(a, "-D") || !strcmp(a, "--debug"))
			debug++;
		else if (!strcmp(a, "-d") || !strcmp(a, "--bup-dir") ||
			 !strncmp(a, "--bup-dir=", 10))
			bup_dir = option_value(&i, argc, argv);
		else if (a[0] == '-') {
			char msg[512];
			snprintf(msg, sizeof(msg),
				 "error: unexpected option \"%s\"", a);
			main_usage(msg);
		} else
			break;
	}
	if (i < argc && (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version"))) {
		sub = version_argv;
		nsub = 1;
	} else {
		sub = argv + i;
		nsub = argc - i;
	}
	if (debug) {
		char v[16];
		snprintf(v, sizeof(v), "%d", debug);
		setenv("BUP_DEBUG", v, 1);
		debug_level = debug;
	}
	if (bup_dir) {
		char *abs = realpath(bup_dir, NULL);
		struct buf b = BUF_INIT;
		if (!abs && bup_dir[0] != '/') {
			char cwd[PATH_MAX];
			if (getcwd(cwd, sizeof(cwd)))
				buf_addf(&b, "%s/", cwd);
		}
		buf_adds(&b, abs ? abs : bup_dir);
		setenv("BUP_DIR", b.data, 1);
		free(abs);
		buf_release(&b);
	}
	if (nsub == 0) {
		if (!help)
			main_usage(NULL);
		static char *h[] = { "help", NULL };
		sub = h;
		nsub = 1;
	}
	/* "bup -? CMD" and "bup CMD --help" both mean "bup help CMD". */
	if ((help && strcmp(sub[0], "help")) ||
	    (nsub > 1 && !strcmp(sub[1], "--help") && strcmp(sub[0], "help"))) {
		char **h = xcalloc(3, sizeof(*h));
		h[0] = "help";
		h[1] = sub[0];
		sub = h;
		nsub = 2;
	}
	if (!sub[0][0])
		main_usage(NULL);
	c = find_command(sub[0]);
	if (c)
		return finish_stdout(c->fn(nsub, sub));
	exec_external(sub);
	{
		char msg[512];
		snprintf(msg, sizeof(msg), "error: unknown command \"%s\"", sub[0]);
		main_usage(msg);
	}
}
