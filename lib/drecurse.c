/* drecurse: bup's filesystem walk (FORMATS-2 §3.4) and path helpers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/drecurse.h"
#include "lib/usage.h"
#include "lib/xio.h"

char *py_normpath(const char *p)
{
	struct buf out = BUF_INIT;
	char *copy, *tok, *save = NULL;
	char **comps = NULL;
	size_t nr = 0, alloc = 0;
	int initial = 0;

	if (!*p)
		return xstrdup(".");
	if (p[0] == '/')
		initial = (p[1] == '/' && p[2] != '/') ? 2 : 1;
	copy = xstrdup(p);
	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (strcmp(tok, "..") || (!initial && !nr) ||
		    (nr && !strcmp(comps[nr - 1], ".."))) {
			ALLOC_GROW(comps, nr + 1, alloc);
			comps[nr++] = tok;
		} else if (nr) {
			nr--;
		}
	}
	for (int i = 0; i < initial; i++)
		buf_addch(&out, '/');
	for (size_t i = 0; i < nr; i++) {
		if (i)
			buf_addch(&out, '/');
		buf_adds(&out, comps[i]);
	}
	free(comps);
	free(copy);
	if (!out.len)
		buf_addch(&out, '.');
	return buf_detach(&out, NULL);
}

char *py_abspath(const char *p)
{
	char cwd[PATH_MAX];
	struct buf b = BUF_INIT;
	char *r;
	if (p[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			die_errno("cannot get the current directory");
		buf_adds(&b, cwd);
		if (p[0])
			buf_addch(&b, '/');
	}
	buf_adds(&b, p);
	r = py_normpath(b.data);
	buf_release(&b);
	return r;
}

struct seen {
	char **path, **res;	/* res NULL: being resolved */
	size_t nr, alloc;
};

static void path_join(struct buf *b, const char *name)
{
	if (b->len && b->data[b->len - 1] != '/')
		buf_addch(b, '/');
	buf_adds(b, name);
}

/* posixpath._joinrealpath */
static int joinrealpath(struct buf *path, const char *rest, struct seen *seen)
{
	char *copy = xstrdup(rest), *r = copy;
	int ok = 1;

	if (*r == '/') {
		r++;
		buf_reset(path);
		buf_addch(path, '/');
	}
	while (r && *r) {
		char *name = r, *slash = strchr(r, '/');
		struct buf newpath = BUF_INIT;
		struct stat st;
		size_t k;

		if (slash) {
			*slash = 0;
			r = slash + 1;
		} else {
			r = NULL;
		}
		if (!*name || !strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			if (path->len) {
				/* path, name = os.path.split(path) */
				char *ls = strrchr(path->data, '/');
				size_t i = ls ? (size_t)(ls - path->data) + 1 : 0, h = i;
				int was_pardir = !strcmp(path->data + i, "..");
				int all_slash = 1;
				for (size_t k = 0; k < i; k++)
					if (path->data[k] != '/')
						all_slash = 0;
				if (!all_slash)
					while (h > 0 && path->data[h - 1] == '/')
						h--;
				buf_setlen(path, h);
				if (was_pardir) {
					path_join(path, "..");
					path_join(path, "..");
				}
			} else {
				buf_adds(path, "..");
			}
			continue;
		}
		buf_add(&newpath, path->data, path->len);
		path_join(&newpath, name);
		if (lstat(newpath.data, &st) < 0 || !S_ISLNK(st.st_mode)) {
			buf_reset(path);
			buf_add(path, newpath.data, newpath.len);
			buf_release(&newpath);
			continue;
		}
		for (k = 0; k < seen->nr; k++)
			if (!strcmp(seen->path[k], newpath.data))
				break;
		if (k < seen->nr) {
			if (seen->res[k]) {
				buf_reset(path);
				buf_adds(path, seen->res[k]);
				buf_release(&newpath);
				continue;
			}
			/* a loop */
			buf_reset(path);
			buf_add(path, newpath.data, newpath.len);
			if (r)
				path_join(path, r);
			buf_release(&newpath);
			ok = 0;
			break;
		}
		{
			char target[PATH_MAX];
			ssize_t n = readlink(newpath.data, target, sizeof(target) - 1);
			size_t me;
			if (n < 0)
				n = 0;
			target[n] = 0;
			ALLOC_GROW(seen->path, seen->nr + 1, seen->alloc);
			seen->res = xrealloc(seen->res, seen->alloc * sizeof(char *));
			me = seen->nr++;
			seen->path[me] = xstrdup(newpath.data);
			seen->res[me] = NULL;
			if (!joinrealpath(path, target, seen)) {
				if (r)
					path_join(path, r);
				buf_release(&newpath);
				ok = 0;
				break;
			}
			seen->res[me] = xstrdup(path->data);
		}
		buf_release(&newpath);
	}
	free(copy);
	return ok;
}

char *py_realpath(const char *p)
{
	struct buf path = BUF_INIT;
	struct seen seen = { NULL, NULL, 0, 0 };
	char *r;

	joinrealpath(&path, p, &seen);
	r = py_abspath(path.data);
	for (size_t i = 0; i < seen.nr; i++) {
		free(seen.path[i]);
		free(seen.res[i]);
	}
	free(seen.path);
	free(seen.res);
	buf_release(&path);
	return r;
}

char *resolve_parent(const char *p)
{
	struct stat st;
	if (!lstat(p, &st) && S_ISLNK(st.st_mode)) {
		const char *slash = strrchr(p, '/');
		char *dir, *rdir, *out;
		struct buf b = BUF_INIT;
		const char *name = slash ? slash + 1 : p;
		dir = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup("");
		/* os.path.split keeps "/" for a top-level name */
		if (slash && !*dir) {
			free(dir);
			dir = xstrdup("/");
		}
		rdir = py_realpath(dir);
		buf_adds(&b, rdir);
		path_join(&b, name);
		if (!*name && b.len > 1 && b.data[b.len - 1] != '/')
			buf_addch(&b, '/');
		out = buf_detach(&b, NULL);
		free(dir);
		free(rdir);
		return out;
	}
	return py_realpath(p);
}

/* ---- excludes ---- */

static int cmp_str(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	return strcmp(x, y);
}

static void strip(struct buf *b)
{
	size_t s = 0, e = b->len;
	while (s < e && strchr(" \t\n\r\v\f", b->data[s]))
		s++;
	while (e > s && strchr(" \t\n\r\v\f", b->data[e - 1]))
		e--;
	memmove(b->data, b->data + s, e - s);
	buf_setlen(b, e - s);
}

static void read_lines(const struct options *o, const char *file,
		       struct strlist *lines)
{
	struct buf data = BUF_INIT;
	char *rp = resolve_parent(file);
	const char *s, *end;
	if (read_file(rp, &data) < 0)
		opt_fatal(o, "couldn't read '%s'", file);
	free(rp);
	s = data.data;
	end = data.data + data.len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl + 1 : end;
		strlist_add_owned(lines, xstrndup(s, (size_t)(e - s)));
		s = e;
	}
	buf_release(&data);
}

void parse_excludes(const struct options *o, struct strlist *paths)
{
	const struct strlist *ex = opt_values(o, "exclude");
	const struct strlist *from = opt_values(o, "exclude-from");
	struct strlist all = STRLIST_INIT;

	for (size_t i = 0; i < ex->nr; i++)
		strlist_add_owned(&all, resolve_parent(ex->items[i]));
	for (size_t i = 0; i < from->nr; i++) {
		struct strlist lines = STRLIST_INIT;
		read_lines(o, from->items[i], &lines);
		for (size_t j = 0; j < lines.nr; j++) {
			struct buf b = BUF_INIT;
			buf_adds(&b, lines.items[j]);
			strip(&b);
			/* bup resolves even the empty line (to the cwd) and
			 * keeps it: resolve_parent(b'') is never empty */
			strlist_add_owned(&all, resolve_parent(b.data));
			buf_release(&b);
		}
		strlist_clear(&lines);
	}
	QSORT(all.items, all.nr, cmp_str);
	for (size_t i = 0; i < all.nr; i++)
		if (!i || strcmp(all.items[i], all.items[i - 1]))
			strlist_add(paths, all.items[i]);
	strlist_clear(&all);
}

static void add_rx(const struct options *o, struct exclude_rx *rxs,
		   const char *pattern)
{
	int r;
	ALLOC_GROW(rxs->pattern, rxs->nr + 1, rxs->alloc);
	rxs->rx = xrealloc(rxs->rx, rxs->alloc * sizeof(regex_t));
	r = regcomp(&rxs->rx[rxs->nr], pattern, REG_EXTENDED | REG_NOSUB);
	if (r) {
		char msg[256];
		regerror(r, &rxs->rx[rxs->nr], msg, sizeof(msg));
		opt_fatal(o, "invalid --exclude-rx pattern ('%s'): %s", pattern, msg);
	}
	rxs->pattern[rxs->nr++] = xstrdup(pattern);
}

void parse_rx_excludes(const struct options *o, struct exclude_rx *rxs)
{
	const struct strlist *rx = opt_values(o, "exclude-rx");
	const struct strlist *from = opt_values(o, "exclude-rx-from");

	for (size_t i = 0; i < rx->nr; i++)
		add_rx(o, rxs, rx->items[i]);
	for (size_t i = 0; i < from->nr; i++) {
		struct strlist lines = STRLIST_INIT;
		read_lines(o, from->items[i], &lines);
		for (size_t j = 0; j < lines.nr; j++) {
			char *l = lines.items[j];
			size_t n = strlen(l);
			if (n && l[n - 1] == '\n')
				l[--n] = 0;
			if (n)
				add_rx(o, rxs, l);
		}
		strlist_clear(&lines);
	}
}

void exclude_rx_release(struct exclude_rx *rxs)
{
	for (size_t i = 0; i < rxs->nr; i++) {
		regfree(&rxs->rx[i]);
		free(rxs->pattern[i]);
	}
	free(rxs->rx);
	free(rxs->pattern);
	memset(rxs, 0, sizeof(*rxs));
}

int should_rx_exclude(const struct exclude_rx *rxs, const char *path)
{
	for (size_t i = 0; rxs && i < rxs->nr; i++)
		if (!regexec(&rxs->rx[i], path, 0, NULL, 0)) {
			debug1("Skipping '%s': excluded by rx pattern '%s'.\n",
			       path, rxs->pattern[i]);
			return 1;
		}
	return 0;
}

/* ---- the walk ---- */

struct dent {
	char *name;	/* '/' added for directories */
	struct stat st;
};

static int cmp_dent_desc(const void *a, const void *b)
{
	const struct dent *x = a, *y = b;
	size_t xl = strlen(x->name), yl = strlen(y->name);
	int c = memcmp(x->name, y->name, xl < yl ? xl : yl);
	if (!c)
		c = xl < yl ? -1 : xl > yl;
	return -c;
}

static int bsearch_str(const struct strlist *l, const char *s)
{
	size_t lo = 0, hi = l ? l->nr : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->items[mid], s);
		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int in_list(const struct strlist *l, const char *s)
{
	for (size_t i = 0; l && i < l->nr; i++)
		if (!strcmp(l->items[i], s))
			return 1;
	return 0;
}

struct walk {
	const struct drecurse_opts *o;
	drecurse_fn fn;
	void *ctx;
	int *errors;
	dev_t xdev;
	int use_xdev;
};

static int walk_dir(struct walk *w, int dfd, struct buf *prefix)
{
	DIR *d = fdopendir(dfd);
	struct dent *ents = NULL;
	size_t nr = 0, alloc = 0, plen = prefix->len;
	struct dirent *de;
	int ret = 0;

	if (!d) {
		close(dfd);
		logmsg("%s: [Errno %d] %s\n", prefix->data, errno, strerror(errno));
		(*w->errors)++;
		return 0;
	}
	while ((errno = 0, de = readdir(d))) {
		struct stat st;
		size_t n;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			logmsg("%s%s: [Errno %d] %s: '%s'\n", prefix->data,
			       de->d_name, errno, strerror(errno), de->d_name);
			(*w->errors)++;
			continue;
		}
		ALLOC_GROW(ents, nr + 1, alloc);
		n = strlen(de->d_name);
		ents[nr].name = xmalloc(n + 2);
		memcpy(ents[nr].name, de->d_name, n + 1);
		if (S_ISDIR(st.st_mode)) {
			ents[nr].name[n] = '/';
			ents[nr].name[n + 1] = 0;
		}
		ents[nr++].st = st;
	}
	QSORT(ents, nr, cmp_dent_desc);
	for (size_t i = 0; i < nr && !ret; i++) {
		const char *name = ents[i].name;
		size_t nlen = strlen(name);
		int isdir = name[nlen - 1] == '/';

		buf_setlen(prefix, plen);
		buf_adds(prefix, name);
		if (w->o->excluded_paths && w->o->excluded_paths->nr) {
			char *np = py_normpath(prefix->data);
			int ex = bsearch_str(w->o->excluded_paths, np);
			if (ex)
				debug1("Skipping '%s': excluded.\n", prefix->data);
			free(np);
			if (ex)
				continue;
		}
		if (should_rx_exclude(w->o->exclude_rxs, prefix->data))
			continue;
		if (isdir) {
			if (w->o->bup_dir) {
				char *np = py_normpath(prefix->data);
				int same = !strcmp(np, w->o->bup_dir);
				free(np);
				if (same) {
					debug1("Skipping BUP_DIR.\n");
					continue;
				}
			}
			if (w->use_xdev && ents[i].st.st_dev != w->xdev &&
			    !in_list(w->o->xdev_exceptions, prefix->data)) {
				debug1("Skipping contents of '%s': different filesystem.\n",
				       prefix->data);
			} else {
				char *base = xstrndup(name, nlen - 1);
				int fd = openat(dirfd(d), base, O_RDONLY | O_NOFOLLOW |
						O_NDELAY | O_LARGEFILE | O_DIRECTORY |
						O_CLOEXEC);
				free(base);
				if (fd < 0) {
					logmsg("%.*s: [Errno %d] %s: '%.*s'\n",
					       (int)plen, prefix->data, errno,
					       strerror(errno), (int)(nlen - 1), name);
					(*w->errors)++;
				} else {
					ret = walk_dir(w, fd, prefix);
					buf_setlen(prefix, plen);
					buf_adds(prefix, name);
					if (ret)
						break;
				}
			}
		}
		ret = w->fn(w->ctx, prefix->data, &ents[i].st);
	}
	for (size_t i = 0; i < nr; i++)
		free(ents[i].name);
	free(ents);
	closedir(d);
	buf_setlen(prefix, plen);
	return ret;
}

int drecurse(char *const *paths, int n, const struct drecurse_opts *o,
	     drecurse_fn fn, void *ctx, int *errors)
{
	struct walk w = { o, fn, ctx, errors, 0, 0 };
	int ret = 0;

	for (int i = 0; i < n && !ret; i++) {
		const char *path = paths[i];
		struct stat st;
		int fd;

		if (lstat(path, &st) < 0) {
			logmsg("recursive_dirlist: [Errno %d] %s: '%s'\n", errno,
			       strerror(errno), path);
			(*errors)++;
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			ret = fn(ctx, path, &st);
			continue;
		}
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NDELAY | O_LARGEFILE |
			  O_CLOEXEC);
		if (fd < 0) {
			logmsg("[Errno %d] %s: '%s'\n", errno, strerror(errno), path);
			(*errors)++;
			continue;
		}
		if (fstat(fd, &st) < 0) {
			logmsg("[Errno %d] %s: '%s'\n", errno, strerror(errno), path);
			(*errors)++;
			close(fd);
			continue;
		}
		w.use_xdev = o->xdev;
		w.xdev = st.st_dev;
		if (S_ISDIR(st.st_mode)) {
			struct buf prefix = BUF_INIT;
			buf_adds(&prefix, path);
			if (!prefix.len || prefix.data[prefix.len - 1] != '/')
				buf_addch(&prefix, '/');
			ret = walk_dir(&w, fd, &prefix);	/* closes fd */
			if (!ret)
				ret = fn(ctx, prefix.data, &st);
			buf_release(&prefix);
		} else {
			close(fd);
			ret = fn(ctx, path, &st);
		}
	}
	return ret;
}
