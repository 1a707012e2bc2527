/*
 * metadata-fs: reading metadata from the filesystem (bup's from_path)
 * and creating/applying it on restore (create_path, apply_to_path).
 */
#include "metadata.h"
#include "pyrepr.h"
#include "usage.h"

#include <acl/libacl.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

static void why_errno(struct buf *why, const char *what, const char *path,
		      int err)
{
	if (why) {
		buf_reset(why);
		buf_addf(why, "%s '%s': %s", what, path_msg(path), strerror(err));
	}
	errno = err;	/* callers may word the message their own way */
}

/* bup's _open_noatime(path, O_NONBLOCK). */
static int open_noatime(const char *path)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_LARGEFILE;
	int fd = open(path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, flags);
	return fd;
}

static int read_linux_attr(struct metadata *m, const char *path,
			   struct buf *why)
{
	static int warned_einval;
	unsigned long attr = 0;
	int fd = open_noatime(path), err = 0;

	if (fd < 0)
		err = errno;
	else if (ioctl(fd, FS_IOC_GETFLAGS, &attr) < 0)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (!err) {
		m->linux_attr = (uint32_t)attr;
		return 0;
	}
	switch (err) {
	case EACCES: {
		/* bup's add_error('read Linux attr: %s' % e), word for word */
		struct buf msg = BUF_INIT;
		buf_adds(&msg, "read Linux attr: ");
		py_oserror(&msg, err, path);
		logmsg("%-70s\n", msg.data);
		buf_release(&msg);
		metadata_nr_errors++;
		return 0;
	}
	case ENOTTY: case ENOSYS: case EOPNOTSUPP:
		return 0;
	case EINVAL:
		if (!warned_einval)
			logmsg("Ignoring attr EINVAL; if you're not using ntfs-3g, please report: %s\n",
			       path_msg(path));
		warned_einval = 1;
		return 0;
	}
	why_errno(why, "cannot read Linux attr of", path, err);
	return -1;
}

/* 0 ok, -2 not supported, -1 error (errno). */
static int acl_text(const char *path, acl_type_t type, struct buf *txt,
		    struct buf *num)
{
	acl_t acl = acl_get_file(path, type);
	char *t, *n = NULL;

	if (!acl)
		return (errno == EOPNOTSUPP || errno == ENOSYS) ? -2 : -1;
	t = acl_to_any_text(acl, "", ',', TEXT_ABBREVIATE);
	if (t)
		n = acl_to_any_text(acl, "", ',',
				    TEXT_ABBREVIATE | TEXT_NUMERIC_IDS);
	acl_free(acl);
	if (!t || !n) {
		int e = errno;
		if (t)
			acl_free(t);
		errno = e;
		return -1;
	}
	buf_reset(txt);
	buf_adds(txt, t);
	buf_reset(num);
	buf_adds(num, n);
	acl_free(t);
	acl_free(n);
	return 0;
}

/*
 * `maybe`: 0 when the xattr list showed no system.posix_acl_* name (the
 * kernel lists them when an ACL is set), which spares the two lookups of
 * acl_extended_file(); 1 when unknown.
 */
static int read_acl(struct metadata *m, const char *path, int isdir,
		    int maybe, struct buf *why)
{
	int rc;

	if (!maybe || acl_extended_file(path) <= 0)
		return 0;
	rc = acl_text(path, ACL_TYPE_ACCESS, &m->acl[0], &m->acl[1]);
	if (!rc && isdir)
		rc = acl_text(path, ACL_TYPE_DEFAULT, &m->acl[2], &m->acl[3]);
	if (rc == -2) {
		for (int i = 0; i < 4; i++)
			buf_reset(&m->acl[i]);
		return 0;
	}
	if (rc < 0) {
		why_errno(why, "cannot read the ACL of", path, errno);
		return -1;
	}
	m->has_acl = isdir ? 4 : 2;
	return 0;
}

/*
 * Read the xattrs; *acl_names tells whether a system.posix_acl_* name was
 * listed (1 also when the list could not be read).
 */
static int read_xattrs(struct metadata *m, const char *path, int *acl_names,
		       struct buf *why)
{
	struct buf names = BUF_INIT, value = BUF_INIT;
	ssize_t n;

	*acl_names = 1;
	/* Most files have none: one call with a buffer usually does. */
	buf_grow(&names, 1024);
	n = llistxattr(path, names.data, 1024);
	while (n < 0 && errno == ERANGE) {
		n = llistxattr(path, NULL, 0);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;	/* none: the common case */
		buf_grow(&names, (size_t)n + 1);
		n = llistxattr(path, names.data, (size_t)n);
	}
	if (n < 0)
		goto fail;
	*acl_names = 0;
	for (const char *p = names.data; p < names.data + n; p += strlen(p) + 1) {
		ssize_t v;
		if (!strncmp(p, "system.posix_acl_", 17))
			*acl_names = 1;
		for (;;) {
			v = lgetxattr(path, p, NULL, 0);
			if (v < 0)
				break;
			buf_grow(&value, (size_t)v + 1);
			v = lgetxattr(path, p, value.data, (size_t)v);
			if (v >= 0 || errno != ERANGE)
				break;
		}
		if (v < 0) {
			if (errno == ENODATA)	/* vanished meanwhile */
				continue;
			goto fail;
		}
		metadata_add_xattr(m, p, strlen(p), value.data, (size_t)v);
	}
	buf_release(&names);
	buf_release(&value);
	return 0;
fail:
	buf_release(&names);
	buf_release(&value);
	if (errno == EOPNOTSUPP)
		return 0;
	why_errno(why, "cannot read the xattrs of", path, errno);
	return -1;
}

/*
 * uid and gid -> name, remembered for the run: a tree has few owners,
 * and each getpwuid()/getgrgid() rereads /etc/passwd or /etc/group.
 */
struct id_name {
	int64_t id;
	char *name;		/* NULL: no such user or group */
};
struct id_cache {
	struct id_name *ents;
	size_t nr, alloc;
};
static struct id_cache user_names, group_names;

static const char *cached_name(struct id_cache *c, int64_t id, int is_group)
{
	struct passwd *pw;
	struct group *gr;
	const char *name = NULL;

	for (size_t i = 0; i < c->nr; i++)
		if (c->ents[i].id == id)
			return c->ents[i].name;
	if (is_group && (gr = getgrgid((gid_t)id)))
		name = gr->gr_name;
	else if (!is_group && (pw = getpwuid((uid_t)id)))
		name = pw->pw_name;
	ALLOC_GROW(c->ents, c->nr + 1, c->alloc);
	c->ents[c->nr].id = id;
	c->ents[c->nr].name = name ? xstrdup(name) : NULL;
	return c->ents[c->nr++].name;
}

/* The reverse, for restores: user or group name -> id (-1: none). */
struct name_id {
	char *name;
	int64_t id;
};
struct name_cache {
	struct name_id *ents;
	size_t nr, alloc;
};
static struct name_cache user_ids, group_ids;

static int64_t cached_id(struct name_cache *c, const char *name, int is_group)
{
	struct passwd *pw;
	struct group *gr;
	int64_t id = -1;

	for (size_t i = 0; i < c->nr; i++)
		if (!strcmp(c->ents[i].name, name))
			return c->ents[i].id;
	if (is_group && (gr = getgrnam(name)))
		id = gr->gr_gid;
	else if (!is_group && (pw = getpwnam(name)))
		id = pw->pw_uid;
	ALLOC_GROW(c->ents, c->nr + 1, c->alloc);
	c->ents[c->nr].name = xstrdup(name);
	c->ents[c->nr].id = id;
	return c->ents[c->nr++].id;
}

int metadata_from_path(struct metadata *m, const char *path,
		       enum metadata_flavor flavor, struct buf *why)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		metadata_release(m);
		why_errno(why, "cannot lstat", path, errno);
		return -1;
	}
	return metadata_from_stat(m, path, &st, flavor, why);
}

int metadata_from_stat(struct metadata *m, const char *path,
		       const struct stat *stp, enum metadata_flavor flavor,
		       struct buf *why)
{
	struct stat st = *stp;
	const char *name;
	int acl_names;

	metadata_release(m);
	m->has_common = 1;
	m->mode = st.st_mode;
	m->uid = st.st_uid;
	m->gid = st.st_gid;
	m->size = st.st_size;
	if ((name = cached_name(&user_names, st.st_uid, 0)))
		buf_adds(&m->user, name);
	if ((name = cached_name(&group_names, st.st_gid, 1)))
		buf_adds(&m->group, name);
	m->rdev = (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ? st.st_rdev : 0;
	if (flavor != META_FOR_INDEX) {
		m->atime_s = st.st_atim.tv_sec;
		m->atime_ns = (uint32_t)st.st_atim.tv_nsec;
		m->mtime_s = st.st_mtim.tv_sec;
		m->mtime_ns = (uint32_t)st.st_mtim.tv_nsec;
		m->ctime_s = st.st_ctim.tv_sec;
		m->ctime_ns = (uint32_t)st.st_ctim.tv_nsec;
	}
	if (S_ISLNK(st.st_mode)) {
		struct buf *t = &m->symlink_target;
		for (size_t sz = 256;; sz *= 2) {
			ssize_t n;
			buf_grow(t, sz);
			n = readlink(path, t->data, sz);
			if (n < 0) {
				error("readlink: %s: '%s'", strerror(errno),
				      path_msg(path));
				metadata_nr_errors++;
				break;
			}
			if ((size_t)n < sz) {
				buf_setlen(t, (size_t)n);
				m->size = n;
				break;
			}
		}
	}
	if ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
	    read_linux_attr(m, path, why) < 0)
		return -1;
	if (read_xattrs(m, path, &acl_names, why) < 0)
		return -1;
	if (!S_ISLNK(st.st_mode) &&
	    read_acl(m, path, S_ISDIR(st.st_mode), acl_names, why) < 0)
		return -1;
	if (flavor == META_FOR_SAVE && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		m->size = -1;
	return 0;
}

/* ---- restore ---- */

static int apply_error(const char *fmt, ...) PRINTF(1, 2);
static int apply_error(const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	error("%s", msg.data);
	buf_release(&msg);
	metadata_nr_errors++;
	return 1;
}

/*
 * bup's add_error(ApplyError('<what>: %s' % oserror)): the message as
 * Python words the OSError ("[Errno N] text: 'path'", the path as bytes
 * repr when bup passed bytes), padded to 70 columns, no "error:" prefix.
 */
static int apply_oserror(const char *what, int err, const char *path,
			 int bytes_path, const char *suffix)
{
	struct buf msg = BUF_INIT;

	buf_addf(&msg, "%s: ", what);
	if (!path) {
		buf_addf(&msg, "[Errno %d] %s", err, strerror(err));
	} else if (bytes_path) {
		buf_addf(&msg, "[Errno %d] %s: ", err, strerror(err));
		py_repr_bytes(&msg, path, strlen(path));
	} else {
		py_oserror(&msg, err, path);
	}
	buf_adds(&msg, suffix);
	logmsg("%-70s\n", msg.data);
	buf_release(&msg);
	metadata_nr_errors++;
	return 1;
}

static int recognized_type(uint32_t mode)
{
	return S_ISREG(mode) || S_ISDIR(mode) || S_ISCHR(mode) ||
	       S_ISBLK(mode) || S_ISFIFO(mode) || S_ISSOCK(mode) ||
	       S_ISLNK(mode);
}

int metadata_create_path(const struct metadata *m, const char *path,
			 int create_symlinks)
{
	struct stat st;
	int fd;

	if (!m->has_common || !m->mode) {
		apply_error("no metadata - cannot create path %s", path_msg(path));
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			if (rmdir(path) < 0) {
				if (errno == ENOTEMPTY || errno == EEXIST)
					apply_error("refusing to overwrite non-empty dir %s",
						    path_msg(path));
				else
					apply_error("rmdir %s: %s", path_msg(path),
						    strerror(errno));
				return -1;
			}
		} else if (unlink(path) < 0) {
			apply_error("unlink %s: %s", path_msg(path), strerror(errno));
			return -1;
		}
	} else if (errno != ENOENT) {
		apply_error("lstat %s: %s", path_msg(path), strerror(errno));
		return -1;
	}

	switch (m->mode & S_IFMT) {
	case S_IFREG:
		fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
		if (fd < 0)
			goto fail;
		close(fd);
		return 0;
	case S_IFDIR:
		if (mkdir(path, 0700) < 0)
			goto fail;
		return 0;
	case S_IFCHR: case S_IFBLK:
		if (mknod(path, 0600 | (m->mode & S_IFMT), (dev_t)m->rdev) < 0)
			goto fail;
		return 0;
	case S_IFIFO:
		if (mkfifo(path, 0600) < 0)
			goto fail;
		return 0;
	case S_IFSOCK:
		if (mknod(path, 0600 | S_IFSOCK, 0) == 0)
			return 0;
		if (errno == EINVAL || errno == EPERM) {
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			int s = socket(AF_UNIX, SOCK_STREAM, 0);
			if (strlen(path) >= sizeof(sa.sun_path)) {
				errno = ENAMETOOLONG;
				if (s >= 0)
					close(s);
				goto fail;
			}
			strcpy(sa.sun_path, path);
			if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				int e = errno;
				if (s >= 0)
					close(s);
				errno = e;
				goto fail;
			}
			close(s);
			return 0;
		}
		goto fail;
	case S_IFLNK:
		if (m->symlink_target.len && create_symlinks) {
			mode_t old = umask((m->mode & 0777) ^ 0777);
			int rc = symlink(m->symlink_target.data, path);
			int e = errno;
			umask(old);
			errno = e;
			if (rc < 0)
				goto fail;
		}
		return 0;
	default:
		apply_error("not creating \"%s\" with unrecognized mode \"0x%x\"",
			    path_msg(path), m->mode);
		return -1;
	}
fail:
	apply_error("cannot create %s: %s", path_msg(path), strerror(errno));
	return -1;
}

static int in_groups(gid_t g)
{
	gid_t groups[NGROUPS_MAX + 1];
	int n = getgroups(NGROUPS_MAX, groups);

	if (getegid() == g)
		return 1;
	for (int i = 0; i < n; i++)
		if (groups[i] == g)
			return 1;
	return 0;
}

static int apply_common(const struct metadata *m, const char *path,
			const struct metadata_apply_opts *opts)
{
	struct timespec ts[2] = {
		{ m->atime_s, m->atime_ns }, { m->mtime_s, m->mtime_ns },
	};
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (!m->has_common || !m->mode)
		return apply_error("no metadata - cannot apply to %s",
				   path_msg(path));
	if (utimensat(AT_FDCWD, path, ts,
		      S_ISLNK(m->mode) ? AT_SYMLINK_NOFOLLOW : 0) < 0)
		return apply_oserror(S_ISLNK(m->mode) ? "lutime" : "utime",
				     errno, path, 1, "");
	if (geteuid() == 0) {
		uid = (uid_t)m->uid;
		gid = (gid_t)m->gid;
		if (!opts->numeric_ids) {
			int64_t id;
			if (m->uid != 0 && m->user.len &&
			    (id = cached_id(&user_ids, m->user.data, 0)) >= 0)
				uid = (uid_t)id;
			if (m->gid != 0 && m->group.len &&
			    (id = cached_id(&group_ids, m->group.data, 1)) >= 0)
				gid = (gid_t)id;
		}
	} else {
		if (in_groups((gid_t)m->gid))
			gid = (gid_t)m->gid;
		if (!opts->numeric_ids && m->gid != 0 && m->group.len) {
			int64_t id = cached_id(&group_ids, m->group.data, 1);
			if (id >= 0 && in_groups((gid_t)id))
				gid = (gid_t)id;
		}
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    lchown(path, uid, gid) < 0) {
		if (errno != EPERM)
			return apply_oserror("lchown", errno, path, 1, "");
		apply_oserror("lchown", errno, path, 1, "");
	}
	if (!S_ISLNK(m->mode) && chmod(path, m->mode & 07777) < 0)
		return apply_error("chmod: %s: '%s'", strerror(errno),
				   path_msg(path));
	return 0;
}

static int apply_acl_string(const char *path, acl_type_t type, const char *s)
{
	acl_t acl = acl_from_text(s);
	int rc;

	if (!acl)
		return -1;
	rc = acl_set_file(path, type, acl);
	acl_free(acl);
	return rc;
}

static int apply_acl(const struct metadata *m, const char *path,
		     const struct metadata_apply_opts *opts)
{
	int offs = opts->numeric_ids ? 1 : 0;
	int rc;

	if (!m->has_acl)
		return 0;
	rc = apply_acl_string(path, ACL_TYPE_ACCESS, m->acl[offs].data);
	if (!rc && m->has_acl > 2)
		rc = apply_acl_string(path, ACL_TYPE_DEFAULT,
				      m->acl[offs + 2].data);
	if (!rc)
		return 0;
	if (errno == EINVAL)
		return apply_error("POSIX1e ACL: can't create '%s' for '%s'",
				   m->acl[offs].data, path_msg(path));
	return apply_oserror("POSIX1e ACL applyto", errno, NULL, 0, "");
}

static int apply_linux_attr(const struct metadata *m, const char *path)
{
	unsigned long orig = 0;
	unsigned int attr = (unsigned int)m->linux_attr;
	int fd;

	if (!m->linux_attr)
		return 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_LARGEFILE | O_NOFOLLOW);
	if (fd < 0)
		goto fail;
	attr &= FS_APPEND_FL | FS_COMPR_FL | FS_NODUMP_FL | FS_EXTENT_FL |
		FS_IMMUTABLE_FL | FS_JOURNAL_DATA_FL | FS_SECRM_FL |
		FS_NOTAIL_FL | FS_UNRM_FL | FS_NOATIME_FL | FS_DIRSYNC_FL |
		FS_SYNC_FL | FS_TOPDIR_FL | FS_NOCOW_FL;
	if (ioctl(fd, FS_IOC_GETFLAGS, &orig) < 0)
		goto fail_fd;
	attr |= (unsigned int)orig & FS_EXTENT_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &attr) < 0)
		goto fail_fd;
	close(fd);
	return 0;
fail_fd:
	{
		int e = errno;
		close(fd);
		errno = e;
	}
fail:
	{
		/* bup formats hex(attr) after "0x": "(0x0x80000)" */
		char suffix[48];
		snprintf(suffix, sizeof(suffix), " (0x0x%llx)",
			 (unsigned long long)m->linux_attr);
		return apply_oserror("Linux chattr", errno, path, 0, suffix);
	}
}

static int apply_xattrs(const struct metadata *m, const char *path)
{
	struct buf names = BUF_INIT, cur = BUF_INIT;
	ssize_t n;
	char *p;
	int rc = 0;

	if (!m->nr_xattrs)
		return 0;
	for (;;) {
		n = llistxattr(path, NULL, 0);
		if (n >= 0) {
			buf_grow(&names, (size_t)n + 1);
			n = llistxattr(path, names.data, (size_t)n);
		}
		if (n >= 0 || errno != ERANGE)
			break;
	}
	if (n < 0) {
		rc = apply_error("xattr list '%s': %s", path_msg(path),
				 strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < m->nr_xattrs; i++) {
		const struct buf *k = &m->xattrs[i].name, *v = &m->xattrs[i].value;
		ssize_t len = lgetxattr(path, k->data, NULL, 0);
		int same = 0;
		if (len == (ssize_t)v->len) {
			buf_reset(&cur);
			buf_grow(&cur, (size_t)len + 1);
			len = lgetxattr(path, k->data, cur.data, (size_t)len);
			same = len == (ssize_t)v->len &&
			       !memcmp(cur.data, v->data, v->len);
		}
		if (!same && lsetxattr(path, k->data, v->data, v->len, 0) < 0) {
			rc = apply_error("xattr.set '%s': %s", path_msg(path),
					 strerror(errno));
			goto out;
		}
	}
	/* remove what exists but is not stored */
	for (p = names.data; p < names.data + n; p += strlen(p) + 1) {
		int stored = 0;
		for (size_t i = 0; i < m->nr_xattrs && !stored; i++)
			stored = !strcmp(p, m->xattrs[i].name.data);
		if (stored)
			continue;
		if (lremovexattr(path, p) < 0 && errno != ENODATA) {
			rc = apply_error("xattr.remove '%s': %s", path_msg(path),
					 strerror(errno));
			goto out;
		}
	}
out:
	buf_release(&names);
	buf_release(&cur);
	return rc;
}

int metadata_apply(const struct metadata *m, const char *path,
		   const struct metadata_apply_opts *opts)
{
	int errs = 0;

	if (!recognized_type(m->mode))
		return apply_error("not applying metadata to \"%s\" with unrecognized mode \"0x%x\"",
				   path_msg(path), m->mode);
	errs += apply_common(m, path, opts);
	errs += apply_acl(m, path, opts);
	errs += apply_linux_attr(m, path);
	errs += apply_xattrs(m, path);
	return errs;
}
