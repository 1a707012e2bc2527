/* TEMPORARY: replaced by the issue3-meta branch */
/*
 * Only what the index needs: the common v3 record read with lstat (user
 * and group names, times zeroed for the index flavour, size = st_size)
 * and the symlink target.  No ACL, attr or xattr records.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/metadata.h"
#include "lib/vint.h"

void metadata_init(struct metadata *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->user, 0);
	buf_init(&m->group, 0);
	buf_init(&m->path, 0);
	buf_init(&m->symlink_target, 0);
	buf_init(&m->hardlink_target, 0);
	for (int i = 0; i < 4; i++)
		buf_init(&m->acl[i], 0);
	m->size = -1;
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
	for (size_t i = 0; i < m->nr_xattrs; i++) {
		buf_release(&m->xattrs[i].name);
		buf_release(&m->xattrs[i].value);
	}
	free(m->xattrs);
	metadata_init(m);
}

int metadata_from_path(struct metadata *m, const char *path,
		       enum metadata_flavor flavor, struct buf *why)
{
	struct stat st;
	struct passwd *pw;
	struct group *gr;

	if (lstat(path, &st) < 0) {
		buf_addf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	m->has_common = 1;
	m->mode = st.st_mode;
	m->uid = st.st_uid;
	m->gid = st.st_gid;
	if ((pw = getpwuid(st.st_uid)))
		buf_adds(&m->user, pw->pw_name);
	if ((gr = getgrgid(st.st_gid)))
		buf_adds(&m->group, gr->gr_name);
	m->rdev = (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ? st.st_rdev : 0;
	if (flavor != META_FOR_INDEX) {
		m->atime_s = st.st_atim.tv_sec;
		m->atime_ns = st.st_atim.tv_nsec;
		m->mtime_s = st.st_mtim.tv_sec;
		m->mtime_ns = st.st_mtim.tv_nsec;
		m->ctime_s = st.st_ctim.tv_sec;
		m->ctime_ns = st.st_ctim.tv_nsec;
	}
	m->size = st.st_size;
	if (S_ISLNK(st.st_mode)) {
		char tmp[4096];
		ssize_t n = readlink(path, tmp, sizeof(tmp));
		if (n < 0) {
			buf_addf(why, "%s: %s", path, strerror(errno));
			return -1;
		}
		buf_add(&m->symlink_target, tmp, (size_t)n);
	}
	return 0;
}

static void add_record(struct buf *out, unsigned tag, const struct buf *body)
{
	vuint_encode(out, tag);
	bvec_encode(out, body->data, body->len);
}

void metadata_encode(const struct metadata *m, struct buf *out)
{
	struct buf b = BUF_INIT;
	if (m->has_common) {
		vint_encode(&b, m->mode);
		vint_encode(&b, m->uid);
		bvec_encode(&b, m->user.data, m->user.len);
		vint_encode(&b, m->gid);
		bvec_encode(&b, m->group.data, m->group.len);
		vint_encode(&b, (int64_t)m->rdev);
		vint_encode(&b, m->atime_s);
		vuint_encode(&b, m->atime_ns);
		vint_encode(&b, m->mtime_s);
		vuint_encode(&b, m->mtime_ns);
		vint_encode(&b, m->ctime_s);
		vuint_encode(&b, m->ctime_ns);
		vint_encode(&b, m->size);
		add_record(out, 10, &b);
	}
	if (m->symlink_target.len)
		add_record(out, 3, &m->symlink_target);
	buf_addch(out, 0);
	buf_release(&b);
}
