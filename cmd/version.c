/* bup version: which bup this is. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/options.h"
#include "lib/version.h"

static const char version_usage[] =
"bup version [--date|--commit]\n"
"--\n"
"date    display the date this version of bup was created\n"
"commit  display the git commit id of this version of bup\n";

int cmd_version(int argc, char **argv)
{
	struct options o;
	int date, commit;

	opt_parse(&o, version_usage, argc, argv);
	date = opt_count(&o, "date");
	commit = opt_count(&o, "commit");
	if (date + commit > 1)
		opt_fatal(&o, "at most one option expected");
	if (date)
		printf("%s\n", BUP_VERSION_DATE);
	else if (commit)
		printf("%s\n", BUP_VERSION_COMMIT);
	else
		printf("%s\n", BUP_VERSION);
	opt_release(&o);
	return 0;
}
