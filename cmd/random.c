/* bup random: the same pseudo-random bytes as bup for the same seed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/options.h"
#include "lib/usage.h"
#include "lib/xio.h"

static const char random_usage[] =
"bup random [-S seed] <numbytes>\n"
"--\n"
"S,seed=   optional random number seed [1]\n"
"f,force   print random data to stdout even if it's a tty\n"
"v,verbose print byte counter to stderr\n";

int cmd_random(int argc, char **argv)
{
	struct options o;
	int64_t total, done = 0;
	uint32_t block[256];
	long seed;
	int verbose;

	opt_parse(&o, random_usage, argc, argv);
	if (o.nr_args != 1)
		opt_fatal(&o, "exactly one argument expected");
	if (parse_num(o.args[0], &total) < 0 || total < 0)
		opt_fatal(&o, "invalid size '%s'", o.args[0]);
	seed = opt_int(&o, "seed", 1);
	verbose = opt_count(&o, "verbose");
	if (!opt_count(&o, "force") && isatty(1))
		die("not writing binary data to a terminal. Use -f to force.");
	/* glibc's srandom/random, 256 values per KiB, native byte order. */
	srandom((unsigned)seed);
	while (done < total) {
		size_t n = total - done < (int64_t)sizeof(block) ?
			   (size_t)(total - done) : sizeof(block);
		for (int i = 0; i < 256; i++)
			block[i] = (uint32_t)random();
		if (write_in_full(1, block, n) < 0)
			die_errno("cannot write to standard output");
		done += (int64_t)n;
		if (verbose && (done % (1 << 20)) == 0)
			logmsg("Random: %lld Mbytes\r", (long long)(done >> 20));
	}
	if (verbose)
		logmsg("Random: %lld Mbytes, done.\n", (long long)(done >> 20));
	opt_release(&o);
	return EXIT_OK;
}
