/*
 * The built-in commands: one file each in cmd/, entry cmd_<name>().
 * Each returns the process exit status.  The table is in main.c.
 */
#ifndef BUP_CMD_H
#define BUP_CMD_H

int cmd_bloom(int argc, char **argv);
int cmd_cat_file(int argc, char **argv);
int cmd_drecurse(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_list_idx(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_margin(int argc, char **argv);
int cmd_memtest(int argc, char **argv);
int cmd_meta(int argc, char **argv);
int cmd_midx(int argc, char **argv);
int cmd_random(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_split(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_xstat(int argc, char **argv);

struct cmd_spec {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *desc;
};

/* The sorted table of built-ins (main.c). */
extern const struct cmd_spec bup_commands[];
extern const int bup_nr_commands;
const struct cmd_spec *find_command(const char *name);
/* Print the dispatcher's usage (with `msg`) to stderr and exit 99. */
void main_usage(const char *msg) __attribute__((noreturn));

/* Documentation pages built into the binary (generated help-pages.c). */
struct help_page {
	const char *name;	/* "bup-split", "bup" */
	const char *text;
};
extern const struct help_page help_pages[];


/* The whole command line as exec'd (bup records it in split commits). */
extern int bup_argc;
extern char **bup_argv;

#endif
