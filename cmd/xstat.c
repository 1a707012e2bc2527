/* bup xstat: print the metadata bup would record for each path (FORMATS-2 §2.4). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/metadata.h"
#include "lib/options.h"
#include "lib/pyrepr.h"
#include "lib/usage.h"
#include "lib/xio.h"

static const char xstat_usage[] =
"bup xstat pathinfo [OPTION ...] <PATH ...>\n"
"--\n"
"v,verbose       increase log output (can be used more than once)\n"
"q,quiet         don't show progress meter\n"
"exclude-fields= exclude comma-separated fields\n"
"include-fields= include comma-separated fields (definitive if first)\n"
"atime-resolution=  limit s, ms, us, ns, 10ns (value must be a power of 10) [ns]\n"
"mtime-resolution=  limit s, ms, us, ns, 10ns (value must be a power of 10) [ns]\n"
"ctime-resolution=  limit s, ms, us, ns, 10ns (value must be a power of 10) [ns]\n";

/* bup's parse_timestamp: [+-N](s|ms|us|ns) in ns; must be 1 or a multiple of 10. */
static int64_t parse_resolution(const struct options *o, const char *field)
{
	char name[32];
	const char *v, *p;
	int64_t n = 1, unit;
	size_t digits;

	snprintf(name, sizeof(name), "%s-resolution", field);
	v = opt_str(o, name);
	p = v;
	if (*p == '+' || *p == '-')
		p++;
	digits = strspn(p, "0123456789");
	if (!strcmp(p + digits, "s"))
		unit = 1000000000;
	else if (!strcmp(p + digits, "ms"))
		unit = 1000000;
	else if (!strcmp(p + digits, "us"))
		unit = 1000;
	else if (!strcmp(p + digits, "ns"))
		unit = 1;
	else
		unit = 0;
	if (!unit || (p != v && !digits)) {
		if (digits && !p[digits])
			opt_fatal(o, "unable to parse %s resolution \"%s\" (must include units, i.e. 100ns, 100ms, ...)",
				  field, v);
		opt_fatal(o, "unable to parse %s resolution \"%s\"", field, v);
	}
	if (p != v || digits)
		n = strtoll(v, NULL, 10);
	n *= unit;
	if (n == 0)
		opt_fatal(o, "%s resolution \"%s\" must not be zero", field, v);
	if (n != 1 && n % 10)
		opt_fatal(o, "%s resolution \"%s\" must be a power of 10", field, v);
	return n;
}

/*
 * bup computes (t / res) * res with Python's true division, i.e. in
 * floating point: the time is not truncated, it only loses precision
 * (e.g. "s" turns .901075170 into .901075200).  Do the same.
 */
static void apply_resolution(int64_t *s, uint32_t *ns, int64_t res)
{
	long double t = (long double)*s * 1000000000.0L + (long double)*ns;
	double q = (double)(t / (long double)res);
	double r = q * (double)res;
	long long whole = (long long)r;	/* Python's int(): toward zero */
	long long sec = whole / 1000000000, rem = whole % 1000000000;

	if (res == 1)
		return;
	if (rem < 0) {
		rem += 1000000000;
		sec--;
	}
	*s = sec;
	*ns = (uint32_t)rem;
}

static unsigned parse_fields(const struct options *o, const char *list)
{
	unsigned bits = 0;
	char *copy = xstrdup(list), *save = NULL, *f;
	char *p = copy;

	/* split(',') keeps empty fields, which are then invalid */
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		f = p;
		unsigned b = metadata_field_bit(f);
		if (!b)
			opt_fatal(o, "%s is not a valid field name", f);
		bits |= b;
		if (!comma)
			break;
		p = comma + 1;
	}
	(void)save;
	free(copy);
	return bits;
}

int cmd_xstat(int argc, char **argv)
{
	struct options o;
	unsigned fields = META_F_ALL;
	int definitive = 1, first = 1, verbose, errors = 0;
	int64_t ares, mres, cres;
	struct buf out = BUF_INIT, why = BUF_INIT;

	opt_parse(&o, xstat_usage, argc, argv);
	ares = parse_resolution(&o, "atime");
	mres = parse_resolution(&o, "mtime");
	cres = parse_resolution(&o, "ctime");
	for (int i = 0; i < o.nr_events; i++) {
		const struct opt_event *e = &o.events[i];
		if (!strcmp(e->name, "exclude-fields")) {
			fields &= ~parse_fields(&o, e->value);
			definitive = 0;
		} else if (!strcmp(e->name, "include-fields")) {
			unsigned b = parse_fields(&o, e->value);
			fields = definitive ? b : (fields | b);
			definitive = 0;
		}
	}
	verbose = opt_count(&o, "verbose") - opt_count(&o, "quiet");

	for (int i = 0; i < o.nr_args; i++) {
		struct metadata m;
		const char *path = o.args[i];

		metadata_init(&m);
		if (metadata_from_path(&m, path, META_FOR_ARCHIVE, &why) < 0) {
			error("%s", why.data);
			errors++;
			metadata_release(&m);
			continue;
		}
		buf_adds(&m.path, path);
		if (verbose >= 0) {
			if (!first)
				buf_addch(&out, '\n');
			apply_resolution(&m.atime_s, &m.atime_ns, ares);
			apply_resolution(&m.mtime_s, &m.mtime_ns, mres);
			apply_resolution(&m.ctime_s, &m.ctime_ns, cres);
			metadata_format_detailed(&m, fields, &out);
			buf_addch(&out, '\n');
			first = 0;
			if (write_in_full(1, out.data, out.len) < 0)
				die_errno("cannot write to standard output");
			buf_reset(&out);
		}
		metadata_release(&m);
	}
	errors += metadata_nr_errors;
	buf_release(&out);
	buf_release(&why);
	opt_release(&o);
	if (errors) {
		logmsg("WARNING: %d errors encountered.\n", errors);
		return EXIT_ERRORS;
	}
	return EXIT_OK;
}
