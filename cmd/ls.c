/* bup ls: list the VFS (FORMATS-2 §4.2), as bup 0.33's ls.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/metadata.h"
#include "lib/options.h"
#include "lib/progress.h"
#include "lib/pyrepr.h"
#include "lib/repo.h"
#include "lib/strlist.h"
#include "lib/usage.h"
#include "lib/vfs.h"

static const char ls_usage[] =
"bup ls [-r host:path] [-l] [-d] [-F] [-a] [-A] [-s] [-n] [path...]\n"
"--\n"
"r,remote=   remote repository path\n"
"s,hash   show hash for each file\n"
"commit-hash show commit hash instead of tree for commits (implies -s)\n"
"a,all    show hidden files\n"
"A,almost-all    show hidden files except . and ..\n"
"l        use a detailed, long listing format\n"
"d,directory show directories, not contents; don't follow symlinks\n"
"F,classify append type indicator: dir/ sym@ fifo| sock= exec*\n"
"file-type append type indicator: dir/ sym@ fifo| sock=\n"
"human-readable    print human readable file sizes (i.e. 3.9K, 4.7M)\n"
"n,numeric-ids list numeric IDs (user, group, etc.) rather than names\n";

enum { HIDE, SHOW_ALMOST, SHOW_ALL };

struct ls_opts {
	int hash, commit_hash, long_fmt, directory, numeric_ids;
	int human_readable;
	int classify;		/* 0, 1 type, 2 all */
	int show_hidden;
};

/* Python's os.path.normpath on bytes. */
static void normpath(const char *path, struct buf *out)
{
	int slashes = 0;
	struct buf comps = BUF_INIT;	/* NUL-separated kept components */
	size_t *starts = NULL, nr = 0, alloc = 0;
	const char *p = path;

	if (!*path) {
		buf_addch(out, '.');
		return;
	}
	if (p[0] == '/')
		slashes = (p[1] == '/' && p[2] != '/') ? 2 : 1;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!n || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.' &&
			   !(nr && strcmp(comps.data + starts[nr - 1], ".."))) {
			if (!slashes) {
				ALLOC_GROW(starts, nr + 1, alloc);
				starts[nr++] = comps.len;
				buf_add(&comps, "..", 3);
			}
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			nr--;
			buf_setlen(&comps, starts[nr]);
		} else {
			ALLOC_GROW(starts, nr + 1, alloc);
			starts[nr++] = comps.len;
			buf_add(&comps, p, n);
			buf_addch(&comps, 0);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	for (int i = 0; i < slashes; i++)
		buf_addch(out, '/');
	for (size_t i = 0; i < nr; i++) {
		if (i)
			buf_addch(out, '/');
		buf_adds(out, comps.data + starts[i]);
	}
	if (!slashes && !nr)
		buf_addch(out, '.');
	free(starts);
	buf_release(&comps);
}

static void item_line(const struct ls_opts *o, const struct vfs_item *it,
		      const char *name, struct buf *out)
{
	if (o->hash) {
		const struct oid *id = vfs_item_hash(it, o->commit_hash);
		char hex[OID_HEXSZ + 1];
		if (id)
			oid_to_hex(id, hex);
		else
			memset(hex, '0', OID_HEXSZ), hex[OID_HEXSZ] = 0;
		buf_addf(out, "%s ", hex);
	}
	if (o->long_fmt) {
		struct summary_opts so = {
			.numeric_ids = o->numeric_ids,
			.classify = o->classify,
			.human_readable = o->human_readable,
			.no_ids = it->meta_kind == VFS_META_FAKE,
		};
		metadata_format_summary_opts(&it->meta, name, strlen(name),
					     &so, out);
	} else {
		buf_adds(out, name);
		if (o->classify)
			buf_adds(out, metadata_classification(
					 vfs_item_mode(it), o->classify == 2));
	}
}

/* helpers.py columnate(l, b''): column-major, each cell padded to the
 * widest + 2 (trailing spaces kept). */
static void columnate(struct strlist *l)
{
	size_t clen = 0, n = l->nr, ncols, rows;
	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		if (strlen(l->items[i]) > clen)
			clen = strlen(l->items[i]);
	long w = tty_width();
	long d = (long)clen + 2, nc = w / d;
	if (w % d && w < 0)
		nc--;	/* Python's floor division */
	if (nc <= 1) {
		nc = 1;
		clen = 0;
	}
	ncols = nc;
	rows = (n + ncols - 1) / ncols;
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			size_t i = c * rows + r;
			const char *s = i < n ? l->items[i] : "";
			printf("%-*s", (int)(clen + 2), s);
		}
		putchar('\n');
	}
	strlist_clear(l);
}

static void emit(const struct ls_opts *o, struct strlist *pending,
		 struct buf *line)
{
	if (!o->long_fmt && (isatty(1) ||
			     (getenv("BUP_FORCE_TTY") &&
			      (atoi(getenv("BUP_FORCE_TTY")) & 1)))) {
		strlist_add(pending, line->data);
	} else {
		fwrite(line->data, 1, line->len, stdout);
		putchar('\n');
	}
}

static const struct vfs_dir *sort_dir;

/* Python's sorted() by name: stable, so ties keep listing order. */
static int cmp_entry_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_dir->ents[x].name, sort_dir->ents[y].name);
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

static int list_path(struct vfs *v, const struct ls_opts *o, const char *path,
		     struct strlist *pending)
{
	struct vfs_path res = VFS_PATH_INIT;
	struct vfs_error err = VFS_ERROR_INIT;
	struct buf line = BUF_INIT;
	int want_meta = o->long_fmt || o->classify;
	int rc;

	if (!*path) {
		/* bup fails an assertion here */
		fflush(stdout);
		fprintf(stderr, "error: cannot access an empty path\n");
		return 1;
	}

	if (o->directory)
		rc = vfs_resolve(v, path, NULL, VFS_NOFOLLOW, &res, &err);
	else
		rc = vfs_try_resolve(v, path, NULL,
				     want_meta ? 0 : VFS_NO_META, &res, &err);
	if (rc < 0) {
		struct buf m = BUF_INIT;
		vfs_error_format(&err, &m);
		fflush(stdout);
		fprintf(stderr, "bup: %s\n", m.data);
		buf_release(&m);
		vfs_error_release(&err);
		return 1;
	}
	struct vfs_elem *leaf = vfs_path_leaf(&res);
	if (!leaf->item) {
		struct buf joined = BUF_INIT, m = BUF_INIT;
		vfs_path_join(&res, &joined);
		buf_adds(&m, "error: cannot access ");
		py_repr_path_msg(&m, joined.data, joined.len);
		buf_adds(&m, " in ");
		py_repr_path_msg(&m, path, strlen(path));
		fflush(stdout);
		fprintf(stderr, "%s\n", m.data);
		buf_release(&joined);
		buf_release(&m);
		vfs_path_release(&res);
		return 2;	/* bup "continue"s: no blank line follows */
	}
	if (!o->directory && vfs_item_is_dir(leaf->item)) {
		struct vfs_dir d = VFS_DIR_INIT;
		vfs_contents(v, leaf->item, want_meta ? 0 : VFS_NO_META, &d);
		if (o->show_hidden == SHOW_ALL) {
			/* Match non-bup "ls -a ... /". */
			const struct vfs_elem *parent =
				res.nr > 1 ? &res.elems[res.nr - 2] : &res.elems[0];
			struct vfs_item *it;
			ALLOC_GROW(d.ents, d.nr + 1, d.alloc);
			d.ents[d.nr].name = xstrdup("..");
			it = &d.ents[d.nr].item;
			vfs_item_copy(it, parent->item);
			d.nr++;
		}
		size_t *order = xmalloc(st_mult(d.nr + 1, sizeof(*order)));
		for (size_t i = 0; i < d.nr; i++)
			order[i] = i;
		sort_dir = &d;
		QSORT(order, d.nr, cmp_entry_index);
		for (size_t i = 0; i < d.nr; i++) {
			struct vfs_entry *e = &d.ents[order[i]];
			if (o->show_hidden != SHOW_ALL && !strcmp(e->name, "."))
				continue;
			if (e->name[0] == '.' && o->show_hidden == HIDE)
				continue;
			if (o->long_fmt)
				vfs_ensure_meta(v, &e->item, 1);
			else if (want_meta)
				vfs_augment_meta(v, &e->item, 0);
			buf_reset(&line);
			item_line(o, &e->item, e->name, &line);
			emit(o, pending, &line);
		}
		free(order);
		vfs_dir_release(&d);
	} else {
		struct buf name = BUF_INIT;
		if (o->long_fmt)
			vfs_augment_meta(v, leaf->item, 1);
		normpath(path, &name);
		item_line(o, leaf->item, name.data, &line);
		emit(o, pending, &line);
		buf_release(&name);
	}
	buf_release(&line);
	vfs_path_release(&res);
	return 0;
}

int cmd_ls(int argc, char **argv)
{
	struct options o;
	struct ls_opts lo = { 0 };
	struct repo repo;
	struct vfs *v;
	struct strlist pending = STRLIST_INIT;
	int ret = 0, npaths;
	char *root[] = { "/" };
	char **paths;

	/* bup ls checks the repository before its options */
	repo_open(&repo, NULL);
	opt_parse(&o, ls_usage, argc, argv);
	if (opt_str(&o, "remote"))
		die("bup ls --remote is not supported yet");
	lo.hash = opt_count(&o, "hash");
	lo.commit_hash = opt_count(&o, "commit-hash");
	lo.long_fmt = opt_count(&o, "l");
	lo.directory = opt_count(&o, "directory");
	lo.numeric_ids = opt_count(&o, "numeric-ids");
	lo.human_readable = opt_count(&o, "human-readable");
	for (int i = 0; i < o.nr_events; i++) {
		const struct opt_event *e = &o.events[i];
		if (e->negated)
			continue;
		if (!strcmp(e->name, "classify"))
			lo.classify = 2;
		else if (!strcmp(e->name, "file-type"))
			lo.classify = 1;
		else if (!strcmp(e->name, "all"))
			lo.show_hidden = SHOW_ALL;
		else if (!strcmp(e->name, "almost-all"))
			lo.show_hidden = SHOW_ALMOST;
	}
	if (lo.commit_hash)
		lo.hash = 1;
	paths = o.nr_args ? o.args : root;
	npaths = o.nr_args ? o.nr_args : 1;

	v = vfs_new(&repo);
	for (int n = 0; n < npaths; n++) {
		if (npaths > 1)
			printf("%s:\n", paths[n]);
		int rc = list_path(v, &lo, paths[n], &pending);
		if (rc)
			ret = 1;
		if (rc == 2)
			continue;
		if (pending.nr)
			columnate(&pending);
		if (n < npaths - 1)
			putchar('\n');
	}
	strlist_clear(&pending);
	vfs_free(v);
	repo_close(&repo);
	opt_release(&o);
	return ret;
}
