#include "options.h"
#include "buf.h"
#include "progress.h"
#include "usage.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_NAMES 4

struct opt_def {
	char *names[MAX_NAMES];	/* as written, e.g. "n", "name" */
	int nr_names;
	int has_parm;
	char *dflt;		/* from a trailing [value] */
	int count;		/* times given; 0 after --no- */
	int given;
	const char *value;	/* last value, points into argv */
	struct strlist values;	/* every value given, in order */
};

static void parse_spec(struct options *o, const char *spec)
{
	const char *p = strstr(spec, "\n--\n");
	int alloc = 0;

	o->spec = spec;
	o->defs = NULL;
	o->nr_defs = 0;
	if (!p)
		return;
	p += 4;
	while (*p) {
		const char *eol = strchrnul(p, '\n');
		if (*p != ' ' && eol > p) {
			const char *sp = memchr(p, ' ', (size_t)(eol - p));
			const char *fend = sp ? sp : eol;
			struct opt_def *d;
			ALLOC_GROW(o->defs, (size_t)o->nr_defs + 1, alloc);
			d = &o->defs[o->nr_defs++];
			memset(d, 0, sizeof(*d));
			if (fend > p && fend[-1] == '=') {
				d->has_parm = 1;
				fend--;
			}
			for (const char *q = p; q < fend && d->nr_names < MAX_NAMES;) {
				const char *c = memchr(q, ',', (size_t)(fend - q));
				if (!c)
					c = fend;
				d->names[d->nr_names++] = xstrndup(q, (size_t)(c - q));
				q = c + 1;
			}
			if (eol > p && eol[-1] == ']') {
				const char *lb = eol - 1;
				while (lb > p && *lb != '[')
					lb--;
				if (*lb == '[')
					d->dflt = xstrndup(lb + 1, (size_t)(eol - lb - 2));
			}
		}
		p = *eol ? eol + 1 : eol;
	}
}

void opt_release(struct options *o)
{
	for (int i = 0; i < o->nr_defs; i++) {
		for (int j = 0; j < o->defs[i].nr_names; j++)
			free(o->defs[i].names[j]);
		free(o->defs[i].dflt);
		strlist_clear(&o->defs[i].values);
	}
	free(o->defs);
	free(o->args);
	free(o->events);
	memset(o, 0, sizeof(*o));
}

static int is_letter(int c)
{
	return isalpha(c) || c == '_';
}

/*
 * Length of the next chunk of `p` as Python's textwrap splits text: a run
 * of whitespace, or a word, cut after a hyphen inside a word (two
 * letters or letter-hyphen-letter before it, a letter and another letter
 * after it, maybe with one hyphen between), as in "auto-|generated".
 */
static size_t next_chunk(const char *p, int *space)
{
	size_t n = 0;
	*space = isspace((unsigned char)*p) ? 1 : 0;
	if (*space) {
		while (p[n] && isspace((unsigned char)p[n]))
			n++;
		return n;
	}
	while (p[n] && !isspace((unsigned char)p[n])) {
		if (p[n] == '-' && n >= 2) {
			const unsigned char *u = (const unsigned char *)p;
			int before = (is_letter(u[n - 2]) && is_letter(u[n - 1])) ||
				     (n >= 3 && is_letter(u[n - 3]) && u[n - 2] == '-' &&
				      is_letter(u[n - 1]));
			int after = is_letter(u[n + 1]) &&
				    (is_letter(u[n + 2]) ||
				     (u[n + 2] == '-' && is_letter(u[n + 3])));
			if (before && after)
				return n + 1;
		}
		n++;
	}
	return n;
}

/* Python textwrap.wrap, greedy, whitespace runs kept inside a line. */
static void wrap(struct buf *out, const char *prefix, const char *text,
		 int width)
{
	struct buf line = BUF_INIT;
	const char *p = text;
	int started = 0;

	buf_adds(&line, prefix);
	while (*p) {
		int space;
		size_t n = next_chunk(p, &space);
		if (space) {
			if (started)
				buf_add(&line, p, n);
		} else {
			if (started && line.len + n > (size_t)width) {
				while (line.len && line.data[line.len - 1] == ' ')
					buf_setlen(&line, line.len - 1);
				buf_add(out, line.data, line.len);
				buf_addch(out, '\n');
				buf_reset(&line);
				buf_addf(&line, "%28s", "");
			}
			buf_add(&line, p, n);
			started = 1;
		}
		p += n;
	}
	while (line.len && line.data[line.len - 1] == ' ')
		buf_setlen(&line, line.len - 1);
	buf_add(out, line.data, line.len);
	buf_addch(out, '\n');
	buf_release(&line);
}

char *opt_usage(const char *spec)
{
	struct buf out = BUF_INIT, nice = BUF_INIT, prefix = BUF_INIT;
	const char *p = spec;
	int first = 1, last_was_option = 0, width = tty_width();

	while (*p == '\n')
		p++;
	while (*p) {
		const char *eol = strchrnul(p, '\n');
		if (eol - p == 2 && !strncmp(p, "--", 2)) {
			p = *eol ? eol + 1 : eol;
			break;
		}
		buf_addf(&out, "%s: %.*s\n", first ? "usage" : "   or",
			 (int)(eol - p), p);
		first = 0;
		p = *eol ? eol + 1 : eol;
	}
	buf_addch(&out, '\n');
	while (*p) {
		const char *eol = strchrnul(p, '\n');
		if (*p == ' ') {
			const char *s = p;
			while (*s == ' ')
				s++;
			buf_addf(&out, "%s%.*s\n", last_was_option ? "\n" : "",
				 (int)(eol - s), s);
			last_was_option = 0;
		} else if (eol > p) {
			const char *sp = memchr(p, ' ', (size_t)(eol - p));
			const char *fend = sp ? sp : eol;
			const char *extra = sp ? sp : eol;
			struct buf text = BUF_INIT;
			int has_parm = fend[-1] == '=';
			if (has_parm)
				fend--;
			buf_reset(&nice);
			for (const char *q = p; q < fend;) {
				const char *c = memchr(q, ',', (size_t)(fend - q));
				if (!c)
					c = fend;
				if (nice.len)
					buf_adds(&nice, ", ");
				if (c - q == 1)
					buf_addf(&nice, "-%c", *q);
				else
					buf_addf(&nice, "--%.*s", (int)(c - q), q);
				q = c + 1;
			}
			if (has_parm)
				buf_adds(&nice, " ...");
			buf_reset(&prefix);
			buf_addf(&prefix, "    %-20s  ", nice.data);
			while (extra < eol && isspace((unsigned char)*extra))
				extra++;
			buf_add(&text, extra, (size_t)(eol - extra));
			while (text.len && isspace((unsigned char)text.data[text.len - 1]))
				buf_setlen(&text, text.len - 1);
			if (text.len)
				wrap(&out, prefix.data, text.data, width);
			else
				buf_addch(&out, '\n');
			buf_release(&text);
			last_was_option = 1;
		} else {
			buf_addch(&out, '\n');
			last_was_option = 0;
		}
		p = *eol ? eol + 1 : eol;
	}
	while (out.len && isspace((unsigned char)out.data[out.len - 1]))
		buf_setlen(&out, out.len - 1);
	buf_addch(&out, '\n');
	buf_release(&nice);
	buf_release(&prefix);
	return buf_detach(&out, NULL);
}

static NORETURN void usage_exit(const char *spec, const char *msg)
{
	char *u = opt_usage(spec);
	fflush(stdout);
	fputs(u, stderr);
	if (msg)
		fprintf(stderr, "\nerror: %s\n", msg);
	free(u);
	exit(EXIT_BAD_OPTION);
}

void opt_fatal(const struct options *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	usage_exit(o->spec, msg);
}

static struct opt_def *find_short(struct options *o, char c)
{
	for (int i = 0; i < o->nr_defs; i++)
		for (int j = 0; j < o->defs[i].nr_names; j++) {
			const char *n = o->defs[i].names[j];
			if (n[1])
				continue;
			if (n[0] == '#' ? isdigit((unsigned char)c) : n[0] == c)
				return &o->defs[i];
		}
	return NULL;
}

static struct opt_def *find_def(const struct options *o, const char *name)
{
	for (int i = 0; i < o->nr_defs; i++)
		for (int j = 0; j < o->defs[i].nr_names; j++)
			if (!strcmp(o->defs[i].names[j], name))
				return &o->defs[i];
	return NULL;
}

static void set_value(struct options *o, struct opt_def *d, const char *v,
		      int negate)
{
	struct opt_event *e;

	ALLOC_GROW(o->events, (size_t)o->nr_events + 1, o->alloc_events);
	e = &o->events[o->nr_events++];
	e->name = d->names[d->nr_names - 1];
	e->value = v;
	e->negated = negate;
	d->given = 1;
	if (negate) {
		d->count = 0;
		d->value = NULL;
		strlist_clear(&d->values);
		return;
	}
	d->count++;
	d->value = v;
	if (v)
		strlist_add(&d->values, v);
}

/* Match a long option as getopt does: exact, or a unique prefix. */
static struct opt_def *find_long(struct options *o, const char *name,
				 size_t len, int *negate, const char **err)
{
	struct opt_def *hit = NULL;
	int hits = 0, exact = 0;
	static const char *builtin[] = { "help", "usage" };

	*err = NULL;
	for (int b = 0; b < 2; b++)
		if (!strncmp(builtin[b], name, len)) {
			if (strlen(builtin[b]) == len)
				return (struct opt_def *)-1;
			hits++;
			hit = (struct opt_def *)-1;
		}
	for (int i = 0; i < o->nr_defs; i++)
		for (int j = 0; j < o->defs[i].nr_names; j++) {
			const char *n = o->defs[i].names[j];
			if (!n[1])
				continue;
			for (int neg = 0; neg < 2; neg++) {
				char full[256];
				snprintf(full, sizeof(full), "%s%s",
					 neg ? "no-" : "", n);
				if (strncmp(full, name, len))
					continue;
				if (strlen(full) == len) {
					if (!exact) {
						hit = &o->defs[i];
						*negate = neg;
					}
					exact = 1;
				} else if (!exact && hits == 0) {
					hit = &o->defs[i];
					*negate = neg;
				}
				hits++;
			}
		}
	if (exact)
		return hit;
	if (!hits)
		*err = "not recognized";
	else if (hits > 1)
		*err = "not a unique prefix";
	return *err ? NULL : hit;
}

void opt_parse(struct options *o, const char *spec, int argc, char **argv)
{
	int alloc = 0;
	char msg[512];

	parse_spec(o, spec);
	o->args = NULL;
	o->nr_args = 0;
	o->events = NULL;
	o->nr_events = 0;
	o->alloc_events = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++) {
				ALLOC_GROW(o->args, (size_t)o->nr_args + 1, alloc);
				o->args[o->nr_args++] = argv[i];
			}
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int negate = 0;
			const char *err;
			struct opt_def *d = find_long(o, name, len, &negate, &err);
			if (d == (struct opt_def *)-1)
				usage_exit(spec, NULL);
			if (!d) {
				snprintf(msg, sizeof(msg), "option --%.*s %s",
					 (int)len, name, err);
				usage_exit(spec, msg);
			}
			const char *longname = NULL;
			for (int j = 0; j < d->nr_names; j++)
				if (d->names[j][1])
					longname = d->names[j];
			if (d->has_parm && !negate) {
				const char *v = eq ? eq + 1 : NULL;
				if (!v) {
					if (i + 1 >= argc) {
						snprintf(msg, sizeof(msg),
							 "option --%s requires argument",
							 longname);
						usage_exit(spec, msg);
					}
					v = argv[++i];
				}
				set_value(o, d, v, 0);
			} else {
				if (eq) {
					snprintf(msg, sizeof(msg),
						 "option --%s%s must not have an argument",
						 negate ? "no-" : "", longname);
					usage_exit(spec, msg);
				}
				set_value(o, d, NULL, negate);
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			for (char *c = a + 1; *c; c++) {
				if (*c == 'h' || *c == '?')
					usage_exit(spec, NULL);
				struct opt_def *d = find_short(o, *c);
				if (!d) {
					snprintf(msg, sizeof(msg),
						 "option -%c not recognized", *c);
					usage_exit(spec, msg);
				}
				if (d->names[0][0] == '#' && !d->names[0][1]) {
					set_value(o, d, NULL, 0);
					d->value = c; /* digit; copied below */
					static char digits[10][2] = {
						"0","1","2","3","4","5","6","7","8","9" };
					d->value = digits[*c - '0'];
					continue;
				}
				if (!d->has_parm) {
					set_value(o, d, NULL, 0);
					continue;
				}
				if (c[1]) {
					set_value(o, d, c + 1, 0);
				} else if (i + 1 < argc) {
					set_value(o, d, argv[++i], 0);
				} else {
					snprintf(msg, sizeof(msg),
						 "option -%c requires argument", *c);
					usage_exit(spec, msg);
				}
				break;
			}
			continue;
		}
		ALLOC_GROW(o->args, (size_t)o->nr_args + 1, alloc);
		o->args[o->nr_args++] = a;
	}
}

int opt_count(const struct options *o, const char *name)
{
	const struct opt_def *d = find_def(o, name);
	if (!d)
		BUG("no option '%s' in optspec", name);
	return d->count;
}

int opt_given(const struct options *o, const char *name)
{
	const struct opt_def *d = find_def(o, name);
	if (!d)
		BUG("no option '%s' in optspec", name);
	return d->given;
}

const char *opt_str(const struct options *o, const char *name)
{
	const struct opt_def *d = find_def(o, name);
	if (!d)
		BUG("no option '%s' in optspec", name);
	if (d->given)
		return d->value;
	return d->dflt;
}

const struct strlist *opt_values(const struct options *o, const char *name)
{
	const struct opt_def *d = find_def(o, name);
	if (!d)
		BUG("no option '%s' in optspec", name);
	return &d->values;
}

int parse_num(const char *s, int64_t *out)
{
	char *end;
	double v;
	int64_t mult = 1;

	while (isspace((unsigned char)*s))
		s++;
	/* bup's pattern is [-+\d.e]+: no hex, no inf/nan */
	if (!*s || !strchr("+-.0123456789", *s) ||
	    strpbrk(s, "xXpP") || strstr(s, "inf") || strstr(s, "nan"))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	switch (tolower((unsigned char)*end)) {
	case 't': mult <<= 10; /* fall through */
	case 'g': mult <<= 10; /* fall through */
	case 'm': mult <<= 10; /* fall through */
	case 'k': mult <<= 10; end++; break;
	case 'b': end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end && !(tolower((unsigned char)*end) == 'b' && !end[1]))
		return -1;
	v *= (double)mult;
	if (v > 9.2e18 || v < -9.2e18)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int64_t opt_size(const struct options *o, const char *name)
{
	const char *v = opt_str(o, name);
	int64_t n;
	if (!v)
		return -1;
	if (parse_num(v, &n) < 0 || n < 0)
		opt_fatal(o, "invalid --%s value '%s': not a size", name, v);
	return n;
}

long opt_int(const struct options *o, const char *name, long dflt)
{
	const char *v = opt_str(o, name);
	char *end;
	long n;
	if (!v)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end)
		opt_fatal(o, "invalid --%s value '%s': not an integer", name, v);
	return n;
}
