/*
 * metadata: the records of FORMATS-2 §2, their encoding, and the text
 * forms bup prints.  Reading from and applying to the filesystem is in
 * metadata-fs.c.
 */
#include "metadata.h"
#include "pyrepr.h"
#include "usage.h"
#include "vint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

enum {
	TAG_END = 0, TAG_PATH = 1, TAG_COMMON_V1 = 2, TAG_SYMLINK = 3,
	TAG_ACL_V1 = 4, TAG_NFSV4_ACL = 5, TAG_LINUX_ATTR = 6,
	TAG_XATTR = 7, TAG_HARDLINK = 8, TAG_COMMON_V2 = 9,
	TAG_COMMON_V3 = 10, TAG_ACL_V2 = 11,
};

int metadata_nr_errors;

void metadata_init(struct metadata *m)
{
	memset(m, 0, sizeof(*m));
	m->size = -1;
	buf_init(&m->user, 0);
	buf_init(&m->group, 0);
	buf_init(&m->path, 0);
	buf_init(&m->symlink_target, 0);
	buf_init(&m->hardlink_target, 0);
	for (int i = 0; i < 4; i++)
		buf_init(&m->acl[i], 0);
}

static void clear_xattrs(struct metadata *m)
{
	for (size_t i = 0; i < m->nr_xattrs; i++) {
		buf_release(&m->xattrs[i].name);
		buf_release(&m->xattrs[i].value);
	}
	m->nr_xattrs = 0;
}

void metadata_release(struct metadata *m)
{
	buf_release(&m->user);
	buf_release(&m->group);
	buf_release(&m->path);
	buf_release(&m->symlink_target);
	buf_release(&m->hardlink_target);
	for (int i = 0; i < 4; i++)
		buf_release(&m->acl[i]);
	clear_xattrs(m);
	free(m->xattrs);
	metadata_init(m);
}

void metadata_add_xattr(struct metadata *m, const void *name, size_t nlen,
			const void *value, size_t vlen)
{
	struct xattr_pair *x;

	ALLOC_GROW(m->xattrs, m->nr_xattrs + 1, m->alloc_xattrs);
	x = &m->xattrs[m->nr_xattrs++];
	buf_init(&x->name, nlen);
	buf_init(&x->value, vlen);
	buf_add(&x->name, name, nlen);
	buf_add(&x->value, value, vlen);
}

/* ---- encoding ---- */

static void add_record(struct buf *out, unsigned tag, const struct buf *body)
{
	if (!body->len)
		return;
	vuint_encode(out, tag);
	bvec_encode(out, body->data, body->len);
}

void metadata_encode(const struct metadata *m, struct buf *out)
{
	struct buf body = BUF_INIT;

	if (m->path.len) {
		bvec_encode(&body, m->path.data, m->path.len);
		add_record(out, TAG_PATH, &body);
	}
	if (m->has_common && m->mode) {
		buf_reset(&body);
		vint_encode(&body, m->mode);
		vint_encode(&body, m->uid);
		bvec_encode(&body, m->user.data, m->user.len);
		vint_encode(&body, m->gid);
		bvec_encode(&body, m->group.data, m->group.len);
		vint_encode(&body, (int64_t)m->rdev);
		vint_encode(&body, m->atime_s);
		vuint_encode(&body, m->atime_ns);
		vint_encode(&body, m->mtime_s);
		vuint_encode(&body, m->mtime_ns);
		vint_encode(&body, m->ctime_s);
		vuint_encode(&body, m->ctime_ns);
		vint_encode(&body, m->size < 0 ? -1 : m->size);
		add_record(out, TAG_COMMON_V3, &body);
	}
	add_record(out, TAG_SYMLINK, &m->symlink_target);
	add_record(out, TAG_HARDLINK, &m->hardlink_target);
	if (m->has_acl) {
		buf_reset(&body);
		for (int i = 0; i < 4; i++) {
			const struct buf *a = &m->acl[i];
			if (i >= m->has_acl)
				bvec_encode(&body, "", 0);
			else
				bvec_encode(&body, a->data, a->len);
		}
		add_record(out, TAG_ACL_V2, &body);
	}
	if (m->linux_attr) {
		buf_reset(&body);
		vuint_encode(&body, m->linux_attr);
		add_record(out, TAG_LINUX_ATTR, &body);
	}
	if (m->nr_xattrs) {
		buf_reset(&body);
		vuint_encode(&body, m->nr_xattrs);
		for (size_t i = 0; i < m->nr_xattrs; i++) {
			bvec_encode(&body, m->xattrs[i].name.data,
				    m->xattrs[i].name.len);
			bvec_encode(&body, m->xattrs[i].value.data,
				    m->xattrs[i].value.len);
		}
		add_record(out, TAG_XATTR, &body);
	}
	vuint_encode(out, TAG_END);
	buf_release(&body);
}

/* ---- decoding ---- */

struct cursor {
	const uint8_t *p;
	size_t n;
	int bad;
};

static uint64_t get_vuint(struct cursor *c)
{
	uint64_t v = 0;
	size_t used = c->bad ? 0 : vuint_decode(c->p, c->n, &v);
	if (!used) {
		c->bad = 1;
		return 0;
	}
	c->p += used;
	c->n -= used;
	return v;
}

static int64_t get_vint(struct cursor *c)
{
	int64_t v = 0;
	size_t used = c->bad ? 0 : vint_decode(c->p, c->n, &v);
	if (!used) {
		c->bad = 1;
		return 0;
	}
	c->p += used;
	c->n -= used;
	return v;
}

static void get_bvec(struct cursor *c, struct buf *out)
{
	const uint8_t *d;
	size_t len, used = c->bad ? 0 : bvec_decode(c->p, c->n, &d, &len);
	if (!used) {
		c->bad = 1;
		return;
	}
	if (out) {
		buf_reset(out);
		buf_add(out, d, len);
	}
	c->p += used;
	c->n -= used;
}

/*
 * A (seconds, ns) pair from a record, normalized as bup's ns total is;
 * -1 if the seconds then leave int64 (only a damaged record does that).
 */
static int set_time(int64_t s, uint64_t ns, int64_t *out_s, uint32_t *out_ns)
{
	if (__builtin_add_overflow(s, (int64_t)(ns / 1000000000), out_s))
		return -1;
	*out_ns = (uint32_t)(ns % 1000000000);
	return 0;
}

static int load_common(struct metadata *m, struct cursor *c, int version)
{
	int64_t as, ms, cs;
	uint64_t ans, mns, cns;

	if (version == 1) {
		m->mode = (uint32_t)get_vuint(c);
		m->uid = (int64_t)get_vuint(c);
		get_bvec(c, &m->user);
		m->gid = (int64_t)get_vuint(c);
		get_bvec(c, &m->group);
		m->rdev = get_vuint(c);
	} else {
		m->mode = (uint32_t)get_vint(c);
		m->uid = get_vint(c);
		get_bvec(c, &m->user);
		m->gid = get_vint(c);
		get_bvec(c, &m->group);
		m->rdev = (uint64_t)get_vint(c);
	}
	as = get_vint(c);
	ans = get_vuint(c);
	ms = get_vint(c);
	mns = get_vuint(c);
	cs = get_vint(c);
	cns = get_vuint(c);
	if (version == 3) {
		int64_t size = get_vint(c);
		if (size >= 0)
			m->size = size;
	}
	if (c->bad || set_time(as, ans, &m->atime_s, &m->atime_ns) < 0 ||
	    set_time(ms, mns, &m->mtime_s, &m->mtime_ns) < 0 ||
	    set_time(cs, cns, &m->ctime_s, &m->ctime_ns) < 0)
		return -1;
	m->has_common = 1;
	return 0;
}

static int load_acl(struct metadata *m, struct cursor *c, int version)
{
	for (int i = 0; i < 4; i++)
		get_bvec(c, &m->acl[i]);
	if (c->bad)
		return -1;
	m->has_acl = m->acl[2].len ? 4 : 2;
	if (m->has_acl == 2) {
		buf_reset(&m->acl[2]);
		buf_reset(&m->acl[3]);
	}
	if (version == 1) {
		for (int i = 0; i < m->has_acl; i++)
			if (memchr(m->acl[i].data, ',', m->acl[i].len)) {
				struct buf msg = BUF_INIT;
				buf_add_path_msg(&msg, m->acl[i].data);
				if (m->path.len)
					error("unexpected comma in ACL entry; ignoring '%s' for %s",
					      msg.data, path_msg(m->path.data));
				else
					error("unexpected comma in ACL entry; ignoring '%s'",
					      msg.data);
				buf_release(&msg);
				metadata_nr_errors++;
				m->has_acl = 0;
				return 0;
			}
		for (int i = 0; i < m->has_acl; i++)
			for (size_t k = 0; k < m->acl[i].len; k++)
				if (m->acl[i].data[k] == '\n')
					m->acl[i].data[k] = ',';
	}
	return 0;
}

static int load_xattrs(struct metadata *m, struct cursor *c)
{
	uint64_t count = get_vuint(c);
	struct buf name = BUF_INIT, value = BUF_INIT;

	clear_xattrs(m);
	for (uint64_t i = 0; i < count && !c->bad; i++) {
		get_bvec(c, &name);
		get_bvec(c, &value);
		if (!c->bad)
			metadata_add_xattr(m, name.data, name.len,
					   value.data, value.len);
	}
	buf_release(&name);
	buf_release(&value);
	return c->bad ? -1 : 0;
}

int metadata_decode(struct metadata *m, const uint8_t *data, size_t len,
		    size_t *used)
{
	struct cursor in = { data, len, 0 };

	metadata_release(m);
	for (;;) {
		uint64_t tag = get_vuint(&in);
		const uint8_t *body;
		size_t blen, n;
		struct cursor c;
		int rc = 0;

		if (in.bad)
			return -1;
		if (tag == TAG_END)
			break;
		n = bvec_decode(in.p, in.n, &body, &blen);
		if (!n)
			return -1;
		in.p += n;
		in.n -= n;
		c = (struct cursor){ body, blen, 0 };
		switch (tag) {
		case TAG_PATH:
			get_bvec(&c, &m->path);
			rc = c.bad ? -1 : 0;
			break;
		case TAG_COMMON_V1:
			rc = load_common(m, &c, 1);
			break;
		case TAG_COMMON_V2:
			rc = load_common(m, &c, 2);
			break;
		case TAG_COMMON_V3:
			rc = load_common(m, &c, 3);
			break;
		case TAG_SYMLINK:
			buf_reset(&m->symlink_target);
			buf_add(&m->symlink_target, body, blen);
			if (m->size < 0)
				m->size = (int64_t)blen;
			break;
		case TAG_HARDLINK:
			buf_reset(&m->hardlink_target);
			buf_add(&m->hardlink_target, body, blen);
			break;
		case TAG_ACL_V1:
			rc = load_acl(m, &c, 1);
			break;
		case TAG_ACL_V2:
			rc = load_acl(m, &c, 2);
			break;
		case TAG_LINUX_ATTR:
			m->linux_attr = get_vuint(&c);
			rc = c.bad ? -1 : 0;
			break;
		case TAG_XATTR:
			rc = load_xattrs(m, &c);
			break;
		default:	/* unknown: skipped */
			break;
		}
		if (rc < 0)
			return -1;
	}
	*used = len - in.n;
	return 0;
}

/* ---- text forms ---- */

static const char *const field_names[] = {
	"path", "mode", "link-target", "rdev", "size", "uid", "gid", "user",
	"group", "atime", "mtime", "ctime", "linux-attr", "linux-xattr",
	"posix1e-acl",
};

unsigned metadata_field_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(field_names) / sizeof(*field_names); i++)
		if (!strcmp(field_names[i], name))
			return 1u << i;
	return 0;
}

void metadata_mode_str(struct buf *out, uint32_t mode)
{
	static const char rwx[] = "rwxrwxrwx";
	char t;

	switch (mode & S_IFMT) {
	case S_IFREG: t = '-'; break;
	case S_IFDIR: t = 'd'; break;
	case S_IFCHR: t = 'c'; break;
	case S_IFBLK: t = 'b'; break;
	case S_IFIFO: t = 'p'; break;
	case S_IFLNK: t = 'l'; break;
	case S_IFSOCK: t = 's'; break;
	default: t = '?'; break;
	}
	buf_addch(out, t);
	for (int i = 0; i < 9; i++)
		buf_addch(out, (mode & (0400 >> i)) ? rwx[i] : '-');
}

/* bup's fstime_to_sec_bytes, including its +1 for negative seconds. */
static void add_time(struct buf *out, int64_t s, uint32_t ns)
{
	if (s < 0)
		s += 1;
	if (ns)
		buf_addf(out, "%lld.%09u", (long long)s, ns);
	else
		buf_addf(out, "%lld", (long long)s);
}

static void line(struct buf *out, int *first)
{
	if (!*first)
		buf_addch(out, '\n');
	*first = 0;
}

void metadata_format_detailed(const struct metadata *m, unsigned fields,
			      struct buf *out)
{
	int first = 1;

	if (!fields)
		fields = META_F_ALL;
	if (fields & META_F_PATH) {
		line(out, &first);
		buf_adds(out, "path: ");
		buf_add(out, m->path.data, m->path.len);
	}
	if (fields & META_F_MODE) {
		line(out, &first);
		buf_addf(out, "mode: %o (", m->mode);
		metadata_mode_str(out, m->mode);
		buf_addch(out, ')');
	}
	if ((fields & META_F_LINK_TARGET) && S_ISLNK(m->mode)) {
		line(out, &first);
		buf_adds(out, "link-target: ");
		buf_add(out, m->symlink_target.data, m->symlink_target.len);
	}
	if (fields & META_F_RDEV) {
		line(out, &first);
		if (m->rdev)
			buf_addf(out, "rdev: %u,%u", major(m->rdev),
				 minor(m->rdev));
		else
			buf_adds(out, "rdev: 0");
	}
	if ((fields & META_F_SIZE) && m->size >= 0) {
		line(out, &first);
		buf_addf(out, "size: %lld", (long long)m->size);
	}
	if (fields & META_F_UID) {
		line(out, &first);
		buf_addf(out, "uid: %lld", (long long)m->uid);
	}
	if (fields & META_F_GID) {
		line(out, &first);
		buf_addf(out, "gid: %lld", (long long)m->gid);
	}
	if (fields & META_F_USER) {
		line(out, &first);
		buf_adds(out, "user: ");
		buf_add(out, m->user.data, m->user.len);
	}
	if (fields & META_F_GROUP) {
		line(out, &first);
		buf_adds(out, "group: ");
		buf_add(out, m->group.data, m->group.len);
	}
	if (fields & META_F_ATIME) {
		line(out, &first);
		buf_adds(out, "atime: ");
		add_time(out, m->atime_s, m->atime_ns);
	}
	if (fields & META_F_MTIME) {
		line(out, &first);
		buf_adds(out, "mtime: ");
		add_time(out, m->mtime_s, m->mtime_ns);
	}
	if (fields & META_F_CTIME) {
		line(out, &first);
		buf_adds(out, "ctime: ");
		add_time(out, m->ctime_s, m->ctime_ns);
	}
	if ((fields & META_F_LINUX_ATTR) && m->linux_attr) {
		line(out, &first);
		buf_addf(out, "linux-attr: %llx", (unsigned long long)m->linux_attr);
	}
	if (fields & META_F_LINUX_XATTR)
		for (size_t i = 0; i < m->nr_xattrs; i++) {
			line(out, &first);
			buf_adds(out, "linux-xattr: ");
			buf_add(out, m->xattrs[i].name.data, m->xattrs[i].name.len);
			buf_adds(out, " -> ");
			buf_add(out, m->xattrs[i].value.data,
				m->xattrs[i].value.len);
		}
	if ((fields & META_F_POSIX1E_ACL) && m->has_acl) {
		line(out, &first);
		buf_adds(out, "posix1e-acl: ");
		buf_add(out, m->acl[0].data, m->acl[0].len);
		buf_addch(out, '\n');
		/* bup indexes the default ACL of a directory even when the
		 * record held only the access ACL; it then fails.  We print
		 * an empty default instead. */
		if (S_ISDIR(m->mode)) {
			line(out, &first);
			buf_adds(out, "posix1e-acl-default: ");
			buf_add(out, m->acl[2].data, m->acl[2].len);
			buf_addch(out, '\n');
		}
	}
}

static void pad(struct buf *out, const char *s, size_t len, int width,
		int left)
{
	if (!left)
		for (int i = (int)len; i < width; i++)
			buf_addch(out, ' ');
	buf_add(out, s, len);
	if (left)
		for (int i = (int)len; i < width; i++)
			buf_addch(out, ' ');
}

/* Python's float // (not floor(a / b): 1 GiB gives 2 here, as in bup). */
static double py_floordiv(double a, double b)
{
	double mod = fmod(a, b), div = (a - mod) / b, fl;
	if (mod && ((b < 0) != (mod < 0)))
		div -= 1.0;
	if (!div)
		return 0.0;
	fl = floor(div);
	if (div - fl > 0.5)
		fl += 1.0;
	return fl;
}

/* helpers.py format_filesize: "%d" below 1024, else "%.1f" and K..E. */
static void add_filesize(struct buf *out, int64_t size)
{
	double s = (double)size;
	int e = 0;
	if (s < 1024) {
		buf_addf(out, "%d", (int)s);
		return;
	}
	e = (int)py_floordiv(log(s), log(1024.0));
	if (e < 1)
		e = 1;
	if (e > 6)
		e = 6;
	buf_addf(out, "%.1f%c", s / pow(1024.0, e), "KMGTPE"[e - 1]);
}

/* xstat.py classification_str. */
const char *metadata_classification(uint32_t mode, int include_exec)
{
	if (S_ISREG(mode))
		return include_exec && (mode & 0111) ? "*" : "";
	if (S_ISDIR(mode))
		return "/";
	if (S_ISLNK(mode))
		return "@";
	if (S_ISFIFO(mode))
		return "|";
	if (S_ISSOCK(mode))
		return "=";
	return "";
}

void metadata_format_summary_opts(const struct metadata *m, const char *name,
				  size_t namelen,
				  const struct summary_opts *o, struct buf *out)
{
	struct buf mode = BUF_INIT, owner = BUF_INIT, size = BUF_INIT;
	char when[64] = "";
	time_t t = (time_t)m->mtime_s;
	struct tm tm;

	metadata_mode_str(&mode, m->mode);
	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	if (m->user.len && !o->numeric_ids)
		buf_add(&owner, m->user.data, m->user.len);
	else if (o->no_ids)
		buf_addch(&owner, '?');
	else
		buf_addf(&owner, "%lld", (long long)m->uid);
	buf_addch(&owner, '/');
	if (m->group.len && !o->numeric_ids)
		buf_add(&owner, m->group.data, m->group.len);
	else if (o->no_ids)
		buf_addch(&owner, '?');
	else
		buf_addf(&owner, "%lld", (long long)m->gid);
	if (S_ISCHR(m->mode) || S_ISBLK(m->mode)) {
		if (m->rdev)
			buf_addf(&size, "%u,%u", major(m->rdev), minor(m->rdev));
		else
			buf_adds(&size, "?");
	} else if (m->size >= 0) {
		if (o->human_readable)
			add_filesize(&size, m->size);
		else
			buf_addf(&size, "%lld", (long long)m->size);
	} else {
		buf_adds(&size, "-");
	}
	pad(out, mode.data, mode.len, 10, 1);
	buf_addch(out, ' ');
	pad(out, owner.data, owner.len, 11, 1);
	buf_addch(out, ' ');
	pad(out, size.data, size.len, 11, 0);
	buf_addch(out, ' ');
	pad(out, when, strlen(when), 16, 0);
	buf_addch(out, ' ');
	if (name)
		buf_add(out, name, namelen);
	else
		buf_add(out, m->path.data, m->path.len);
	if (o->classify)
		buf_adds(out, metadata_classification(m->mode,
						      o->classify == 2));
	if (m->symlink_target.len) {
		buf_adds(out, " -> ");
		buf_add(out, m->symlink_target.data, m->symlink_target.len);
	}
	buf_release(&mode);
	buf_release(&owner);
	buf_release(&size);
}

void metadata_format_summary(const struct metadata *m, const char *name,
			     struct buf *out)
{
	struct summary_opts o = { 0 };
	metadata_format_summary_opts(m, name, name ? strlen(name) : 0, &o, out);
}
