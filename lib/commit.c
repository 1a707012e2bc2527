#include "commit.h"
#include "packwriter.h"
#include "pyrepr.h"

#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void commit_userline(struct buf *out)
{
	struct passwd *pw = getpwuid(getuid());
	char host[256] = "";
	struct buf name = BUF_INIT, login = BUF_INIT;

	if (pw) {
		const char *g = pw->pw_gecos ? pw->pw_gecos : "";
		buf_add(&name, g, strcspn(g, ","));
		if (!name.len)
			buf_adds(&name, pw->pw_name);
		buf_adds(&login, pw->pw_name);
	}
	if (!name.len)
		buf_addf(&name, "user%d", (int)getuid());
	if (!login.len)
		buf_addf(&login, "user%d", (int)getuid());
	gethostname(host, sizeof(host) - 1);
	buf_addf(out, "%s <%s@%s>", name.data, login.data, host);
	buf_release(&name);
	buf_release(&login);
}

void commit_tz(struct buf *out, int64_t when)
{
	time_t t = (time_t)when;
	struct tm tm;
	long off, mins, h, m;

	localtime_r(&t, &tm);
	off = tm.tm_gmtoff;
	/*
	 * bup 0.33: whole minutes of |offset| (seconds truncated), then
	 * "%+03d%02d" of (+/-hours, minutes).  A negative offset under one
	 * hour has hours -0, printed "+00": the sign is lost, as in bup.
	 */
	mins = (off < 0 ? -off : off) / 60;
	h = mins / 60;
	m = mins % 60;
	buf_addf(out, "%c%02ld%02ld", off < 0 && h ? '-' : '+', h, m);
}

void commit_argv_repr(struct buf *out, int argc, char **argv)
{
	buf_addch(out, '[');
	for (int i = 0; i < argc; i++) {
		if (i)
			buf_adds(out, ", ");
		py_repr_bytes(out, argv[i], strlen(argv[i]));
	}
	buf_addch(out, ']');
}

void commit_format(struct buf *out, const struct oid *tree,
		   const struct oid *parent, const char *userline,
		   int64_t when, const char *msg)
{
	char hex[OID_HEXSZ + 1];
	struct buf tz = BUF_INIT;

	commit_tz(&tz, when);
	buf_addf(out, "tree %s\n", oid_to_hex(tree, hex));
	if (parent)
		buf_addf(out, "parent %s\n", oid_to_hex(parent, hex));
	buf_addf(out, "author %s %lld %s\n", userline, (long long)when, tz.data);
	buf_addf(out, "committer %s %lld %s\n", userline, (long long)when, tz.data);
	buf_addch(out, '\n');
	buf_adds(out, msg);
	buf_release(&tz);
}

int parse_date_secs(const char *s, int64_t *out)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || fabs(v) > 9e15)
		return -1;
	*out = (int64_t)v;	/* truncates toward zero, as %d of a float */
	return 0;
}

void commit_write(struct packwriter *pw, const struct oid *tree,
		  const struct oid *parent, int64_t when, const char *msg,
		  struct oid *out)
{
	struct buf user = BUF_INIT, c = BUF_INIT;

	commit_userline(&user);
	commit_format(&c, tree, parent, user.data, when, msg);
	packwriter_write(pw, OBJ_COMMIT, c.data, c.len, out);
	buf_release(&user);
	buf_release(&c);
}
