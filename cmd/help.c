/* bup help: show a command's manual page, with man or from the binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/options.h"
#include "lib/usage.h"

static const char help_usage[] =
"bup help <command>\n";

static const struct help_page *find_page(const char *doc)
{
	for (const struct help_page *p = help_pages; p->name; p++)
		if (!strcmp(p->name, doc))
			return p;
	return NULL;
}

int cmd_help(int argc, char **argv)
{
	struct options o;
	const struct help_page *page;
	char doc[256];

	opt_parse(&o, help_usage, argc, argv);
	if (o.nr_args == 0)
		main_usage(NULL);
	if (o.nr_args != 1)
		opt_fatal(&o, "exactly one command name expected");
	if (!strcmp(o.args[0], "bup"))
		snprintf(doc, sizeof(doc), "bup");
	else
		snprintf(doc, sizeof(doc), "bup-%s", o.args[0]);
	page = find_page(doc);
	if (!page)
		die("no help for '%s': not a bup command", o.args[0]);
	/* An installed man page reads best; the built-in text always works. */
	if (isatty(1) && !getenv("BUP_HELP_NO_MAN")) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "man -w '%s' >/dev/null 2>&1", doc);
		if (system(cmd) == 0) {
			fflush(stdout);
			execlp("man", "man", doc, (char *)NULL);
		}
	}
	fputs(page->text, stdout);
	opt_release(&o);
	return EXIT_OK;
}
