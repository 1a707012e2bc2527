/* bup list-idx: the object ids in pack indexes and midx files. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/midx.h"
#include "lib/options.h"
#include "lib/packidx.h"
#include "lib/usage.h"

static const char list_idx_usage[] =
"bup list-idx [--find=<prefix>] <idxfilenames...>\n"
"--\n"
"find=   display only objects that start with <prefix>\n";

static void list_ids(const char *name, const uint8_t *shas, size_t nr,
		     size_t stride, const char *find)
{
	char hex[OID_HEXSZ + 1];
	size_t flen = strlen(find);
	if (flen == OID_HEXSZ) {
		/* a whole id is looked up, as bup does: printed once */
		for (size_t i = 0; i < nr; i++, shas += stride)
			if (!strcmp(oid_to_hex((const struct oid *)shas, hex), find)) {
				printf("%s %s\n", name, hex);
				return;
			}
		return;
	}
	for (size_t i = 0; i < nr; i++, shas += stride) {
		oid_to_hex((const struct oid *)shas, hex);
		if (!strncmp(hex, find, flen))
			printf("%s %s\n", name, hex);
	}
}

int cmd_list_idx(int argc, char **argv)
{
	struct options o;
	struct buf find = BUF_INIT, why = BUF_INIT;
	int errors = 0;

	opt_parse(&o, list_idx_usage, argc, argv);
	if (opt_str(&o, "find"))
		buf_adds(&find, opt_str(&o, "find"));
	if (!o.nr_args)
		opt_fatal(&o, "you must provide at least one filename");
	if (find.len > OID_HEXSZ)
		opt_fatal(&o, "--find parameter must be <= 40 chars long");
	for (size_t i = 0; i < find.len; i++) {
		char c = find.data[i];
		if (c >= 'A' && c <= 'F')
			find.data[i] = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			opt_fatal(&o, "--find parameter is not a valid hex string");
	}
	for (int a = 0; a < o.nr_args; a++) {
		const char *name = o.args[a];
		size_t n = strlen(name);
		buf_reset(&why);
		if (n > 5 && !strcmp(name + n - 5, ".midx")) {
			struct midx *m;
			if (midx_open(&m, name, &why) < 0) {
				error("%s", why.data);
				errors++;
				continue;
			}
			list_ids(name, m->shas, m->nr, 20, find.data);
			midx_free(m);
		} else if (n > 4 && !strcmp(name + n - 4, ".idx")) {
			struct packidx *ix;
			if (packidx_load(&ix, name, &why) < 0) {
				error("%s", why.data);
				errors++;
				continue;
			}
			list_ids(name, packidx_sha(ix, 0), ix->nr,
				 ix->version == 2 ? 20 : 24, find.data);
			packidx_free(ix);
		} else {
			error("'%s': pack index filenames must end with .idx or .midx",
			      name);
			errors++;
		}
	}
	buf_release(&find);
	buf_release(&why);
	opt_release(&o);
	if (errors) {
		logmsg("WARNING: %d errors encountered while saving.\n", errors);
		return EXIT_ERRORS;
	}
	return EXIT_OK;
}
