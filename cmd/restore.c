/*
 * bup restore: extract saved paths from the repository into the
 * filesystem (FORMATS-2 §4.3-4.4), as bup 0.33's cmd/restore.py does.
 *
 * The walk follows bup: each directory is created, entered (chdir),
 * filled, left, and only then given its metadata, so a read-only
 * directory still receives its children and its mtime is not changed
 * by them.  Items are created and their metadata applied through
 * lib/metadata (bup's create_path and apply_to_path); hardlinked files
 * are link()ed to an earlier restored path of the same set when bup's
 * compatibility rules allow it.
 *
 * Where bup 0.33 stops with a Python traceback (a file that cannot be
 * created or written, a directory that cannot be entered), we report
 * the item, count it as an error and go on; the run then ends with
 * "warning: N errors encountered" and exit status 1, as bup does for the
 * errors it does collect.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/drecurse.h"
#include "lib/metadata.h"
#include "lib/options.h"
#include "lib/progress.h"
#include "lib/pyrepr.h"
#include "lib/repo.h"
#include "lib/usage.h"
#include "lib/vfs.h"
#include "lib/xio.h"

static const char restore_usage[] =
"bup restore [-r host:path] [-C outdir] </branch/revision/path/to/dir ...>\n"
"--\n"
"r,remote=   remote repository path\n"
"C,outdir=   change to given outdir before extracting files\n"
"numeric-ids restore numeric IDs (user, group, etc.) rather than names\n"
"exclude-rx= skip paths matching the unanchored regex (may be repeated)\n"
"exclude-rx-from= skip --exclude-rx patterns in file (may be repeated)\n"
"sparse      create sparse files\n"
"v,verbose   increase log output (can be used more than once)\n"
"map-user=   given OLD=NEW, restore OLD user as NEW user\n"
"map-group=  given OLD=NEW, restore OLD group as NEW group\n"
"map-uid=    given OLD=NEW, restore OLD uid as NEW uid\n"
"map-gid=    given OLD=NEW, restore OLD gid as NEW gid\n"
"q,quiet     don't show progress meter\n";

/* Runs of zeros at least this long become holes with --sparse (bup's
 * write_sparsely(..., 512, ...)). */
#define SPARSE_MIN 512
/* File data is gathered into writes of up to this size. */
#define WRITE_BUF_SIZE (1 << 20)

/* --map-user/--map-group (names) and --map-uid/--map-gid (ids); a later
 * mapping of the same OLD replaces an earlier one, as in bup's dict. */
struct name_map {
	char **old, **new;
	size_t nr, alloc;
};
struct id_map {
	int64_t *old, *new;
	size_t nr, alloc;
};

/* One restored path of a hardlink set, and what it was restored from. */
struct hl_seen {
	char *fullname;		/* "/rel/path" below the top */
	struct vfs_item item;
};
/* All restored paths with one hardlink target. */
struct hl_set {
	char *target;
	struct hl_seen *seen;
	size_t nr, alloc;
	struct hl_set *next;	/* hash chain */
};

struct restore {
	struct vfs *vfs;
	int sparse, verbosity;
	struct metadata_apply_opts apply_opts;
	struct exclude_rx rxs;
	struct name_map users, groups;
	struct id_map uids, gids;
	int top_fd;		/* the directory restored into */
	struct hl_set **hl_buckets;
	size_t hl_nr_buckets, hl_count;
	uint64_t total;
	int errors;		/* our own (bup's add_error); see nr_errors() */
	int show_progress;
	double last_progress;
	char *wbuf;		/* WRITE_BUF_SIZE bytes */
};

/* bup's add_error: counted, printed padded to 70 columns. */
static void add_error(struct restore *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_error(struct restore *rs, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	logmsg("%-70s\n", msg.data);
	buf_release(&msg);
	rs->errors++;
}

static int nr_errors(const struct restore *rs)
{
	return rs->errors + metadata_nr_errors;
}

static void note_restored(struct restore *rs)
{
	double now;

	rs->total++;
	if (!rs->show_progress)
		return;
	now = progress_now();
	if (now - rs->last_progress > 0.1) {
		logmsg("Restoring: %llu\r", (unsigned long long)rs->total);
		rs->last_progress = now;
	}
}

/* ---- options ---- */

static void parse_name_maps(const struct options *o, const char *opt,
			    const char *type, struct name_map *map)
{
	const struct strlist *vals = opt_values(o, opt);

	for (size_t i = 0; i < vals->nr; i++) {
		const char *v = vals->items[i], *eq = strchr(v, '=');
		size_t j;
		if (!eq || eq == v || strchr(eq + 1, '=')) {
			struct buf r = BUF_INIT;
			py_repr_bytes(&r, v, strlen(v));
			opt_fatal(o, "couldn't parse %s as %s mapping", r.data, type);
		}
		for (j = 0; j < map->nr; j++)
			if (strlen(map->old[j]) == (size_t)(eq - v) &&
			    !memcmp(map->old[j], v, eq - v))
				break;
		if (j == map->nr) {
			ALLOC_GROW(map->old, map->nr + 1, map->alloc);
			map->new = xrealloc(map->new, map->alloc * sizeof(char *));
			map->old[map->nr] = xstrndup(v, eq - v);
			map->new[map->nr++] = NULL;
		}
		free(map->new[j]);
		map->new[j] = xstrdup(eq + 1);
	}
}

static int parse_int(const char *s, const char *end, int64_t *out)
{
	const char *p = s;
	int64_t v = 0;

	if (p < end && *p == '-')
		p++;
	if (p == end)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	*out = *s == '-' ? -v : v;
	return 0;
}

static void parse_id_maps(const struct options *o, const char *opt,
			  const char *type, struct id_map *map)
{
	const struct strlist *vals = opt_values(o, opt);

	for (size_t i = 0; i < vals->nr; i++) {
		const char *v = vals->items[i], *eq = strchr(v, '=');
		int64_t old, new;
		size_t j;
		if (!eq || parse_int(v, eq, &old) ||
		    parse_int(eq + 1, eq + strlen(eq), &new)) {
			struct buf r = BUF_INIT;
			py_repr_bytes(&r, v, strlen(v));
			opt_fatal(o, "couldn't parse %s as %s mapping", r.data, type);
		}
		for (j = 0; j < map->nr; j++)
			if (map->old[j] == old)
				break;
		if (j == map->nr) {
			ALLOC_GROW(map->old, map->nr + 1, map->alloc);
			map->new = xrealloc(map->new, map->alloc * sizeof(int64_t));
			map->old[map->nr++] = old;
		}
		map->new[j] = new;
	}
}

static void map_name(const struct name_map *map, struct buf *name)
{
	for (size_t i = 0; i < map->nr; i++)
		if (!strcmp(map->old[i], name->data)) {
			buf_reset(name);
			buf_adds(name, map->new[i]);
			return;
		}
}

static void map_id(const struct id_map *map, int64_t *id)
{
	if (*id < 0)
		return;		/* no id recorded (bup's None): nothing to map */
	for (size_t i = 0; i < map->nr; i++)
		if (map->old[i] == *id) {
			*id = map->new[i];
			return;
		}
}

/* bup's apply_metadata(): the owner maps on a copy, then apply_to_path. */
static void apply_metadata(struct restore *rs, const struct metadata *m,
			   const char *name)
{
	struct metadata copy;

	if (!rs->users.nr && !rs->groups.nr && !rs->uids.nr && !rs->gids.nr) {
		metadata_apply(m, name, &rs->apply_opts);
		return;
	}
	/* a shallow copy with its own user and group */
	copy = *m;
	copy.user = (struct buf)BUF_INIT;
	copy.group = (struct buf)BUF_INIT;
	buf_add(&copy.user, m->user.data, m->user.len);
	buf_add(&copy.group, m->group.data, m->group.len);
	map_name(&rs->users, &copy.user);
	map_name(&rs->groups, &copy.group);
	map_id(&rs->uids, &copy.uid);
	map_id(&rs->gids, &copy.gid);
	metadata_apply(&copy, name, &rs->apply_opts);
	buf_release(&copy.user);
	buf_release(&copy.group);
}

/* ---- hardlinks ---- */

static size_t str_hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct hl_set *hl_find(struct restore *rs, const char *target, int add)
{
	size_t b;
	struct hl_set *s;

	if (!rs->hl_nr_buckets) {
		if (!add)
			return NULL;
		rs->hl_nr_buckets = 1024;
		rs->hl_buckets = xcalloc(rs->hl_nr_buckets, sizeof(*rs->hl_buckets));
	}
	b = str_hash(target) % rs->hl_nr_buckets;
	for (s = rs->hl_buckets[b]; s; s = s->next)
		if (!strcmp(s->target, target))
			return s;
	if (!add)
		return NULL;
	if (rs->hl_count > rs->hl_nr_buckets * 2) {
		size_t n = rs->hl_nr_buckets * 4;
		struct hl_set **nb = xcalloc(n, sizeof(*nb));
		for (size_t i = 0; i < rs->hl_nr_buckets; i++)
			while ((s = rs->hl_buckets[i])) {
				rs->hl_buckets[i] = s->next;
				s->next = nb[str_hash(s->target) % n];
				nb[str_hash(s->target) % n] = s;
			}
		free(rs->hl_buckets);
		rs->hl_buckets = nb;
		rs->hl_nr_buckets = n;
		b = str_hash(target) % n;
	}
	s = xcalloc(1, sizeof(*s));
	s->target = xstrdup(target);
	s->next = rs->hl_buckets[b];
	rs->hl_buckets[b] = s;
	rs->hl_count++;
	return s;
}

static void hl_free(struct restore *rs)
{
	for (size_t i = 0; i < rs->hl_nr_buckets; i++) {
		struct hl_set *s, *next;
		for (s = rs->hl_buckets[i]; s; s = next) {
			next = s->next;
			for (size_t j = 0; j < s->nr; j++) {
				free(s->seen[j].fullname);
				vfs_item_release(&s->seen[j].item);
			}
			free(s->seen);
			free(s->target);
			free(s);
		}
	}
	free(rs->hl_buckets);
}

static int same_buf(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && !memcmp(a->data, b->data, a->len);
}

/* metadata.py same_file(): common (uid, gid, rdev, mtime, ctime, user,
 * group, size), hardlink target, ACL, linux attr, xattrs. */
static int same_file(const struct metadata *a, const struct metadata *b)
{
	if (a->uid != b->uid || a->gid != b->gid || a->rdev != b->rdev ||
	    a->mtime_s != b->mtime_s || a->mtime_ns != b->mtime_ns ||
	    a->ctime_s != b->ctime_s || a->ctime_ns != b->ctime_ns ||
	    !same_buf(&a->user, &b->user) || !same_buf(&a->group, &b->group) ||
	    a->size != b->size ||
	    !same_buf(&a->hardlink_target, &b->hardlink_target) ||
	    a->has_acl != b->has_acl || a->linux_attr != b->linux_attr ||
	    a->nr_xattrs != b->nr_xattrs)
		return 0;
	for (int i = 0; i < a->has_acl; i++)
		if (!same_buf(&a->acl[i], &b->acl[i]))
			return 0;
	for (size_t i = 0; i < a->nr_xattrs; i++)
		if (!same_buf(&a->xattrs[i].name, &b->xattrs[i].name) ||
		    !same_buf(&a->xattrs[i].value, &b->xattrs[i].value))
			return 0;
	return 1;
}

/* restore.py hardlink_compatible(). */
static int hardlink_compatible(struct restore *rs, const struct hl_seen *prev,
			       const struct vfs_item *it)
{
	const struct metadata *pm = &prev->item.meta, *nm = &it->meta;
	struct stat st;

	/* os.path.exists(): follows symlinks */
	if (fstatat(rs->top_fd, prev->fullname + 1, &st, 0) < 0)
		return 0;
	if (!oid_eq(&prev->item.oid, &it->oid) ||
	    pm->mtime_s != nm->mtime_s || pm->mtime_ns != nm->mtime_ns ||
	    pm->ctime_s != nm->ctime_s || pm->ctime_ns != nm->ctime_ns ||
	    pm->mode != nm->mode)
		return 0;
	return same_file(nm, pm);
}

/*
 * restore.py hardlink_if_possible(): link `name` (in the cwd; fullname
 * below the top) to an earlier restored path of the same set, or
 * remember this one for later paths.  1 if linked.
 */
static int hardlink_if_possible(struct restore *rs, const char *fullname,
				const char *name, const struct vfs_item *it)
{
	struct hl_set *set = hl_find(rs, it->meta.hardlink_target.data, 1);
	struct hl_seen *seen;

	for (size_t i = 0; i < set->nr; i++) {
		if (!hardlink_compatible(rs, &set->seen[i], it))
			continue;
		/* bup links top + prev to top + fullname; whatever is at the
		 * new path is not removed first, so an existing one fails */
		if (!linkat(rs->top_fd, set->seen[i].fullname + 1, AT_FDCWD,
			    name, 0))
			return 1;
		if (errno != EXDEV) {
			add_error(rs, "error: cannot link '%s' to '%s': %s",
				  fullname, set->seen[i].fullname, strerror(errno));
			return -1;
		}
	}
	ALLOC_GROW(set->seen, set->nr + 1, set->alloc);
	seen = &set->seen[set->nr++];
	seen->fullname = xstrdup(fullname);
	vfs_item_init(&seen->item);
	vfs_item_copy(&seen->item, it);
	return 0;
}

/* ---- file content ---- */

struct writer {
	int fd;
	char *buf;
	size_t len;		/* bytes in buf, to be written at the fd's offset */
	uint64_t zeros;		/* --sparse: zeros seen but not yet written */
	int wrote_any;
};

static int writer_flush(struct writer *w)
{
	if (w->len && write_in_full(w->fd, w->buf, w->len) < 0)
		return -1;
	w->len = 0;
	return 0;
}

static int writer_add(struct writer *w, const uint8_t *data, size_t len)
{
	if (w->len + len > WRITE_BUF_SIZE) {
		if (writer_flush(w) < 0)
			return -1;
		if (len >= WRITE_BUF_SIZE / 2)
			return write_in_full(w->fd, data, len);
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	return 0;
}

static int writer_add_zeros(struct writer *w, size_t n)
{
	if (w->len + n > WRITE_BUF_SIZE && writer_flush(w) < 0)
		return -1;
	memset(w->buf + w->len, 0, n);
	w->len += n;
	return 0;
}

static const uint8_t *skip_zeros(const uint8_t *p, const uint8_t *end)
{
	while (p < end && ((uintptr_t)p & 7))
		if (*p)
			return p;
		else
			p++;
	while (end - p >= 8 && !*(const uint64_t *)p)
		p += 8;
	while (p < end && !*p)
		p++;
	return p;
}

/*
 * bup's write_sparsely(): runs of SPARSE_MIN or more zeros, and zeros at
 * the start of the file, are skipped with lseek; shorter runs between
 * data are written.  The zeros at the end are left pending for the
 * final lseek and ftruncate.
 */
static int writer_add_sparse(struct writer *w, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;

	while (p < end) {
		const uint8_t *q;
		if (!*p) {
			q = skip_zeros(p, end);
			w->zeros += q - p;
			p = q;
			continue;
		}
		if (w->zeros) {
			if (w->zeros >= SPARSE_MIN || !w->wrote_any) {
				if (writer_flush(w) < 0 ||
				    lseek(w->fd, (off_t)w->zeros, SEEK_CUR) < 0)
					return -1;
			} else if (writer_add_zeros(w, w->zeros) < 0) {
				return -1;
			}
			w->zeros = 0;
		}
		q = memchr(p, 0, end - p);
		if (!q)
			q = end;
		if (writer_add(w, p, q - p) < 0)
			return -1;
		w->wrote_any = 1;
		p = q;
	}
	return 0;
}

/*
 * Create regular file `name` as create_path does and write the content
 * of `it` into it.  The common case, nothing in the way, takes one
 * open: O_EXCL with create_path's mode.  0, or -1 after reporting the
 * error.
 */
static int create_file(struct restore *rs, const char *fullname,
		       const char *name, const struct vfs_item *it)
{
	struct writer w = { .fd = -1, .buf = rs->wbuf };
	struct vfs_reader *r;
	const uint8_t *data;
	size_t n;
	int rc = -1;

	w.fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w.fd < 0 && errno == EEXIST) {
		/* something is there: create_path removes it (or refuses) */
		if (metadata_create_path(&it->meta, name, 1) < 0)
			return -1;
		w.fd = open(name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	}
	if (w.fd < 0) {
		add_error(rs, "error: cannot create '%s': %s",
			  path_msg(fullname + 1), strerror(errno));
		return -1;
	}
	r = vfs_reader_open(rs->vfs, it);
	while ((n = vfs_reader_next(r, &data))) {
		if (rs->sparse ? writer_add_sparse(&w, data, n) < 0
			       : writer_add(&w, data, n) < 0)
			goto fail;
	}
	if (writer_flush(&w) < 0)
		goto fail;
	if (rs->sparse) {
		off_t pos = lseek(w.fd, (off_t)w.zeros, SEEK_END);
		if (pos < 0 || ftruncate(w.fd, pos) < 0)
			goto fail;
	}
	if (close(w.fd) < 0) {
		w.fd = -1;
		goto fail;
	}
	vfs_reader_close(r);
	return 0;
fail:
	add_error(rs, "error: cannot write '%s': %s", path_msg(fullname + 1),
		  strerror(errno));
	if (w.fd >= 0)
		close(w.fd);
	vfs_reader_close(r);
	return rc;
}

/* ---- the walk ---- */

static void print_verbose(struct restore *rs, const char *fullname,
			  const struct vfs_item *it)
{
	unsigned mode = vfs_item_mode(it);

	if (S_ISDIR(mode)) {
		if (rs->verbosity >= 1)
			printf("%s/\n", fullname);
	} else if (S_ISLNK(mode)) {
		if (rs->verbosity >= 2)
			printf("%s@ -> %s\n", fullname, it->meta.symlink_target.data);
	} else if (rs->verbosity >= 2) {
		printf("%s\n", fullname);
	}
}

static void restore_item(struct restore *rs, const char *parent_path,
			 const char *name, struct vfs_item *it);

/* Restore the entries of directory `dir` (after "."), below parent_path. */
static void restore_children(struct restore *rs, const char *parent_path,
			     struct vfs_dir *d)
{
	for (size_t i = 1; i < d->nr; i++)
		restore_item(rs, parent_path, d->ents[i].name, &d->ents[i].item);
}

static void restore_dir(struct restore *rs, const char *fullname,
			const char *name, struct vfs_item *it)
{
	struct vfs_dir d = VFS_DIR_INIT;
	struct vfs_item *dot;
	int parent_fd;

	vfs_contents(rs->vfs, it, 0, &d);
	dot = &d.ents[0].item;
	vfs_augment_meta(rs->vfs, dot, 1);
	if (metadata_create_path(&dot->meta, name, 1) < 0)
		goto out;
	parent_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0 || chdir(name) < 0) {
		add_error(rs, "error: cannot enter '%s': %s",
			  path_msg(fullname + 1), strerror(errno));
		if (parent_fd >= 0)
			close(parent_fd);
		goto out;
	}
	note_restored(rs);
	restore_children(rs, fullname, &d);
	if (fchdir(parent_fd) < 0)
		die_errno("cannot return to the directory holding '%s'",
			  path_msg(fullname + 1));
	close(parent_fd);
	apply_metadata(rs, &dot->meta, name);
out:
	vfs_dir_release(&d);
}

static void restore_item(struct restore *rs, const char *parent_path,
			 const char *name, struct vfs_item *it)
{
	unsigned mode = vfs_item_mode(it);
	int is_dir = S_ISDIR(mode);
	struct buf fullname = BUF_INIT;
	int linked = 0;

	buf_addf(&fullname, "%s/%s", parent_path, name);
	if (rs->rxs.nr) {
		if (is_dir)
			buf_addch(&fullname, '/');
		if (should_rx_exclude(&rs->rxs, fullname.data))
			goto out;
		if (is_dir)
			buf_setlen(&fullname, fullname.len - 1);
	}
	if (!is_dir)
		vfs_augment_meta(rs->vfs, it, 1);
	print_verbose(rs, fullname.data, it);

	if (is_dir) {
		restore_dir(rs, fullname.data, name, it);
		goto out;
	}
	if (it->meta.hardlink_target.len) {
		linked = hardlink_if_possible(rs, fullname.data, name, it);
		if (linked < 0)
			goto out;
	}
	if (!linked) {
		if (S_ISREG(it->meta.mode) ?
		    create_file(rs, fullname.data, name, it) < 0 :
		    metadata_create_path(&it->meta, name, 1) < 0)
			goto out;
	}
	note_restored(rs);
	if (!linked)
		apply_metadata(rs, &it->meta, name);
out:
	buf_release(&fullname);
}

/* restore.py valid_restore_path(): at least /BRANCH/REVISION. */
static int valid_restore_path(const char *path)
{
	char *norm = py_normpath(path);
	const char *p = norm;
	int ok;

	if (*p == '/')
		p++;
	ok = strchr(p, '/') != NULL;
	free(norm);
	return ok;
}

static void add_repr_error(struct restore *rs, const char *fmt,
			   const char *a, const char *b)
{
	struct buf ra = BUF_INIT, rb = BUF_INIT;

	py_repr_bytes(&ra, a, strlen(a));
	if (b)
		py_repr_bytes(&rb, b, strlen(b));
	add_error(rs, fmt, ra.data, rb.data);
	buf_release(&ra);
	buf_release(&rb);
}

static void restore_path(struct restore *rs, const char *path)
{
	struct vfs_path res = VFS_PATH_INIT;
	struct vfs_error err = VFS_ERROR_INIT;
	struct vfs_elem *leaf;
	const char *slash, *base;

	if (!valid_restore_path(path)) {
		add_repr_error(rs, "path %s doesn't include a branch and revision",
			       path, NULL);
		return;
	}
	if (vfs_resolve(rs->vfs, path, NULL, VFS_NOFOLLOW, &res, &err) < 0)
		goto ioerror;
	if (res.nr == 3 && !strcmp(res.elems[2].name, "latest")) {
		/* follow latest to its save, but keep the name "latest" */
		struct vfs_path parent = VFS_PATH_INIT, follow = VFS_PATH_INIT;
		vfs_path_copy(&parent, &res);
		vfs_path_truncate(&parent, 2);
		if (vfs_resolve(rs->vfs, "latest", &parent, 0, &follow, &err) < 0) {
			vfs_path_release(&parent);
			goto ioerror;
		}
		vfs_path_release(&parent);
		vfs_path_release(&res);
		res = follow;
		if (res.nr > 2) {
			free(res.elems[2].name);
			res.elems[2].name = xstrdup("latest");
		}
	}
	leaf = vfs_path_leaf(&res);
	if (!leaf->item) {
		struct buf names = BUF_INIT;
		vfs_path_join(&res, &names);
		add_repr_error(rs, "error: cannot access %s in %s", names.data, path);
		buf_release(&names);
		goto out;
	}
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!*base || !strcmp(base, ".")) {
		/* /what/ever/ or /what/ever/.: the contents into the output
		 * directory, and with "." also what/ever's own metadata */
		struct vfs_dir d = VFS_DIR_INIT;
		vfs_contents(rs->vfs, leaf->item, 0, &d);
		restore_children(rs, "", &d);
		if (*base) {
			vfs_augment_meta(rs->vfs, &d.ents[0].item, 1);
			apply_metadata(rs, &d.ents[0].item.meta, ".");
		}
		vfs_dir_release(&d);
	} else {
		restore_item(rs, "", leaf->name, leaf->item);
	}
	goto out;
ioerror:
	{
		struct buf msg = BUF_INIT;
		vfs_error_format(&err, &msg);
		add_error(rs, "%s", msg.data);
		buf_release(&msg);
	}
out:
	vfs_error_release(&err);
	vfs_path_release(&res);
}

int cmd_restore(int argc, char **argv)
{
	struct options o;
	struct restore rs = { 0 };
	struct repo repo;
	const char *outdir, *force;
	int verbose;

	opt_parse(&o, restore_usage, argc, argv);
	verbose = opt_count(&o, "verbose");
	rs.verbosity = opt_count(&o, "quiet") ? -1 : verbose;
	rs.sparse = opt_count(&o, "sparse");
	rs.apply_opts.numeric_ids = opt_count(&o, "numeric-ids");
	if (opt_str(&o, "remote"))
		die("restore: remote repositories (-r) are not supported");

	repo_open(&repo, NULL);
	if (!o.nr_args)
		opt_fatal(&o, "must specify at least one filename to restore");
	parse_rx_excludes(&o, &rs.rxs);
	parse_name_maps(&o, "map-user", "user", &rs.users);
	parse_name_maps(&o, "map-group", "group", &rs.groups);
	parse_id_maps(&o, "map-uid", "uid", &rs.uids);
	parse_id_maps(&o, "map-gid", "gid", &rs.gids);

	outdir = opt_str(&o, "outdir");
	if (outdir) {
		if (mkdir_p(outdir, 0777) < 0)
			die_errno("cannot create '%s'", path_msg(outdir));
		if (chdir(outdir) < 0)
			die_errno("cannot change to '%s'", path_msg(outdir));
	}
	rs.top_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rs.top_fd < 0)
		die_errno("cannot open the output directory");
	force = getenv("BUP_FORCE_TTY");
	rs.show_progress = rs.verbosity >= 0 &&
		(isatty(2) || (force && (atoi(force) & 2)));
	rs.wbuf = xmalloc(WRITE_BUF_SIZE);
	rs.vfs = vfs_new(&repo);

	for (int i = 0; i < o.nr_args; i++)
		restore_path(&rs, o.args[i]);

	if (rs.show_progress)
		logmsg("Restoring: %llu, done.\n", (unsigned long long)rs.total);

	vfs_free(rs.vfs);
	repo_close(&repo);
	free(rs.wbuf);
	hl_free(&rs);
	close(rs.top_fd);
	exclude_rx_release(&rs.rxs);
	opt_release(&o);
	if (nr_errors(&rs)) {
		fflush(stdout);
		logmsg("warning: %d errors encountered\n", nr_errors(&rs));
		return EXIT_ERRORS;
	}
	return EXIT_OK;
}
