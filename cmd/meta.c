/* bup meta: create, list, extract and edit metadata archives (FORMATS-2 §2.4). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/metadata.h"
#include "lib/options.h"
#include "lib/pyrepr.h"
#include "lib/usage.h"
#include "lib/xio.h"

static const char meta_usage[] =
"bup meta --create [OPTION ...] <PATH ...>\n"
"bup meta --list [OPTION ...]\n"
"bup meta --extract [OPTION ...]\n"
"bup meta --start-extract [OPTION ...]\n"
"bup meta --finish-extract [OPTION ...]\n"
"bup meta --edit [OPTION ...] <PATH ...>\n"
"--\n"
"c,create       write metadata for PATHs to stdout (or --file)\n"
"t,list         display metadata\n"
"x,extract      perform --start-extract followed by --finish-extract\n"
"start-extract  build tree matching metadata provided on standard input (or --file)\n"
"finish-extract finish applying standard input (or --file) metadata to filesystem\n"
"edit           alter metadata; write to stdout (or --file)\n"
"f,file=        specify source or destination file\n"
"R,recurse      recurse into subdirectories\n"
"xdev,one-file-system  don't cross filesystem boundaries\n"
"numeric-ids    apply numeric IDs (user, group, etc.) rather than names\n"
"symlinks       handle symbolic links (default is true)\n"
"paths          include paths in metadata (default is true)\n"
"set-uid=       set metadata uid (via --edit)\n"
"set-gid=       set metadata gid (via --edit)\n"
"set-user=      set metadata user (via --edit)\n"
"unset-user     remove metadata user (via --edit)\n"
"set-group=     set metadata group (via --edit)\n"
"unset-group    remove metadata group (via --edit)\n"
"v,verbose      increase log output (can be used more than once)\n"
"q,quiet        don't show progress meter\n";

struct meta_state {
	int verbose, recurse, symlinks, paths, numeric_ids, xdev;
	int out_fd;
	struct buf out;
	int errors;
};

/* ---- output ---- */

static void flush_out(struct meta_state *s)
{
	if (s->out.len && write_in_full(s->out_fd, s->out.data, s->out.len) < 0)
		die_errno("cannot write the archive");
	buf_reset(&s->out);
}

static int open_output(const char *name)
{
	int fd;

	if (!name || !strcmp(name, "-"))
		return 1;
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0)
		die_errno("cannot open '%s'", name);
	return fd;
}

static void read_input(const char *name, struct buf *in)
{
	int fd = 0;

	if (name && strcmp(name, "-")) {
		fd = open(name, O_RDONLY);
		if (fd < 0)
			die_errno("cannot open '%s'", name);
	}
	for (;;) {
		ssize_t n;
		buf_grow(in, 65536);
		n = read(fd, in->data + in->len, 65536);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("cannot read '%s'", name ? name : "-");
		}
		if (!n)
			break;
		buf_setlen(in, in->len + (size_t)n);
	}
	if (fd)
		close(fd);
}

/*
 * The next object of an archive at in[*pos]; 0, or 1 at the end (EOF or
 * an empty object, with *empty set).  Dies on malformed data, as bup
 * stops with an exception.
 */
static int next_object(const struct buf *in, size_t *pos, struct metadata *m,
		       int *empty)
{
	size_t used;

	*empty = 0;
	if (*pos >= in->len)
		return 1;
	if (metadata_decode(m, (const uint8_t *)in->data + *pos,
			    in->len - *pos, &used) < 0)
		die("malformed metadata at offset %zu", *pos);
	*pos += used;
	if (used == 1) {
		*empty = 1;
		return 1;
	}
	return 0;
}

/* ---- --create ---- */

/* bup's _clean_up_path_for_archive. */
static void clean_archive_path(const char *p, struct buf *out)
{
	struct buf r = BUF_INIT;
	const char *s;
	char *q;

	/* everything after the last "/../" */
	for (s = p; (q = strstr(s, "/../")); s = q + 1)
		;
	if (s != p)
		s = strstr(s - 1, "/../") + 4;
	if (!strncmp(s, "../", 3))
		s += 3;
	buf_adds(&r, s);
	while ((q = strstr(r.data, "/./")))
		memmove(q + 1, q + 3, strlen(q + 3) + 1), r.len -= 2;
	s = r.data;
	while (*s == '/')
		s++;
	buf_consume(&r, (size_t)(s - r.data));
	while ((q = strstr(r.data, "//")))
		memmove(q + 1, q + 2, strlen(q + 2) + 1), r.len -= 1;
	if (!strncmp(r.data, "./", 2))
		buf_consume(&r, 2);
	if (r.len >= 2 && !strcmp(r.data + r.len - 2, "/."))
		buf_setlen(&r, r.len - 2);
	if (!r.len || (r.len >= 3 && !strcmp(r.data + r.len - 3, "/..")))
		buf_setlen(&r, 0), buf_adds(&r, ".");
	buf_reset(out);
	buf_add(out, r.data, r.len);
	buf_release(&r);
}

static void save_one(struct meta_state *s, const char *p, int add_slash)
{
	struct metadata m;
	struct buf why = BUF_INIT;

	metadata_init(&m);
	if (metadata_from_path(&m, p, META_FOR_ARCHIVE, &why) < 0) {
		error("%s", why.data);
		s->errors++;
		goto out;
	}
	if (!s->symlinks)
		buf_reset(&m.symlink_target);
	clean_archive_path(p, &m.path);
	if (add_slash)
		buf_addch(&m.path, '/');
	if (s->verbose > 0) {
		struct buf msg = BUF_INIT;
		py_repr_bytes(&msg, m.path.data, m.path.len);
		logmsg("%s\n", msg.data);
		buf_release(&msg);
	}
	if (!s->paths)
		buf_reset(&m.path);
	metadata_encode(&m, &s->out);
	flush_out(s);
out:
	metadata_release(&m);
	buf_release(&why);
}

struct dirent_st {
	char *name;	/* with a trailing '/' for directories */
	struct stat st;
};

static int cmp_desc(const void *a, const void *b)
{
	const struct dirent_st *x = a, *y = b;
	return -strcmp(x->name, y->name);
}

/* bup's _recursive_dirlist: children first, names in descending order. */
static void walk(struct meta_state *s, struct buf *prefix, int use_xdev,
		 dev_t xdev)
{
	DIR *d = opendir(prefix->data);
	struct dirent *de;
	struct dirent_st *ents = NULL;
	size_t nr = 0, alloc = 0, plen = prefix->len;

	if (!d) {
		error("cannot open directory '%s': %s", path_msg(prefix->data),
		      strerror(errno));
		s->errors++;
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		buf_setlen(prefix, plen);
		buf_adds(prefix, de->d_name);
		if (lstat(prefix->data, &st) < 0) {
			error("%s: %s", path_msg(prefix->data), strerror(errno));
			s->errors++;
			continue;
		}
		ALLOC_GROW(ents, nr + 1, alloc);
		ents[nr].st = st;
		if (S_ISDIR(st.st_mode)) {
			size_t l = strlen(de->d_name);
			ents[nr].name = xmalloc(l + 2);
			memcpy(ents[nr].name, de->d_name, l);
			memcpy(ents[nr].name + l, "/", 2);
		} else {
			ents[nr].name = xstrdup(de->d_name);
		}
		nr++;
	}
	closedir(d);
	QSORT(ents, nr, cmp_desc);
	for (size_t i = 0; i < nr; i++) {
		buf_setlen(prefix, plen);
		buf_adds(prefix, ents[i].name);
		if (S_ISDIR(ents[i].st.st_mode) &&
		    !(use_xdev && ents[i].st.st_dev != xdev)) {
			walk(s, prefix, use_xdev, xdev);
			buf_setlen(prefix, plen);
			buf_adds(prefix, ents[i].name);
		}
		save_one(s, prefix->data, 0);
		free(ents[i].name);
	}
	free(ents);
	buf_setlen(prefix, plen);
}

static void save_recursive(struct meta_state *s, const char *path)
{
	struct stat st;
	struct buf prefix = BUF_INIT;
	int fd;

	if (lstat(path, &st) < 0) {
		error("recursive_dirlist: cannot lstat '%s': %s",
		      path_msg(path), strerror(errno));
		s->errors++;
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		save_one(s, path, 0);
		return;
	}
	fd = open(path, O_RDONLY | O_LARGEFILE | O_NOFOLLOW | O_NDELAY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		error("cannot open '%s': %s", path_msg(path), strerror(errno));
		s->errors++;
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	if (!S_ISDIR(st.st_mode)) {
		save_one(s, path, 0);
		return;
	}
	buf_adds(&prefix, path);
	if (!prefix.len || prefix.data[prefix.len - 1] != '/')
		buf_addch(&prefix, '/');
	walk(s, &prefix, s->xdev, st.st_dev);
	save_one(s, prefix.data, 0);
	buf_release(&prefix);
}

static void do_create(struct meta_state *s, struct options *o)
{
	struct buf safe = BUF_INIT;

	for (int i = 0; i < o->nr_args; i++) {
		clean_archive_path(o->args[i], &safe);
		if (strcmp(safe.data, o->args[i])) {
			struct buf a = BUF_INIT;
			buf_add_path_msg(&a, o->args[i]);
			logmsg("archiving \"%s\" as \"%s\"\n", a.data,
			       path_msg(safe.data));
			buf_release(&a);
		}
	}
	for (int i = 0; i < o->nr_args; i++) {
		const char *p = o->args[i];
		if (s->recurse) {
			save_recursive(s, p);
		} else {
			struct stat st;
			if (lstat(p, &st) < 0)
				die_errno("cannot lstat '%s'", p);
			save_one(s, p, S_ISDIR(st.st_mode));
		}
	}
	buf_release(&safe);
}

/* ---- --list ---- */

static void do_list(struct meta_state *s, const struct buf *in)
{
	struct metadata m;
	size_t pos = 0;
	int empty, first = 1;

	metadata_init(&m);
	while (!next_object(in, &pos, &m, &empty)) {
		if (s->verbose > 1) {
			if (!first)
				buf_addch(&s->out, '\n');
			metadata_format_detailed(&m, META_F_ALL, &s->out);
			buf_addch(&s->out, '\n');
		} else if (s->verbose > 0) {
			metadata_format_summary(&m, NULL, &s->out);
			buf_addch(&s->out, '\n');
		} else if (s->verbose == 0) {
			if (!m.path.len) {
				flush_out(s);
				logmsg("bup: no metadata path, but asked to only display path (increase verbosity?)");
				exit(EXIT_ERRORS);
			}
			buf_add(&s->out, m.path.data, m.path.len);
			buf_addch(&s->out, '\n');
		}
		first = 0;
		flush_out(s);
	}
	metadata_release(&m);
}

/* ---- extraction ---- */

static int risky_path(const char *p)
{
	size_t l = strlen(p);
	return p[0] == '/' || strstr(p, "/../") || !strncmp(p, "../", 3) ||
	       (l >= 3 && !strcmp(p + l - 3, "/.."));
}

/* bup's _clean_up_extract_path: NULL if the path is risky. */
static const char *clean_extract_path(const char *p)
{
	while (*p == '/')
		p++;
	if (!*p)
		return ".";
	return risky_path(p) ? NULL : p;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void set_up_path(struct meta_state *s, const struct metadata *m,
			const char *path)
{
	if (S_ISDIR(m->mode)) {
		if (mkdir_p(path, 0777) < 0) {
			error("cannot create directory '%s': %s", path_msg(path),
			      strerror(errno));
			s->errors++;
		}
		return;
	}
	{
		const char *slash = strrchr(path, '/');
		if (slash && slash > path) {
			char *parent = xstrndup(path, (size_t)(slash - path));
			if (mkdir_p(parent, 0777) < 0) {
				error("cannot create directory '%s': %s",
				      path_msg(parent), strerror(errno));
				s->errors++;
			}
			free(parent);
		}
	}
	metadata_create_path(m, path, s->symlinks);
}

struct pending_dir {
	struct metadata m;
	char *path;
	size_t order;
};

static int cmp_dirs(const void *a, const void *b)
{
	const struct pending_dir *x = a, *y = b;
	size_t lx = strlen(x->path), ly = strlen(y->path);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void skip_risky(struct meta_state *s, const struct metadata *m)
{
	error("skipping risky path \"%s\"", path_msg(m->path.data));
	s->errors++;
}

/* start: create the items; finish: apply the metadata (dirs last). */
static void do_extract(struct meta_state *s, const struct buf *in, int start,
		       int finish)
{
	struct metadata_apply_opts ao = { .numeric_ids = s->numeric_ids };
	struct pending_dir *dirs = NULL;
	size_t nr_dirs = 0, alloc_dirs = 0, pos = 0;
	struct metadata m;
	int empty;

	metadata_init(&m);
	while (!next_object(in, &pos, &m, &empty)) {
		const char *xpath = clean_extract_path(m.path.data);
		if (!xpath) {
			skip_risky(s, &m);
			continue;
		}
		if (start) {
			if (s->verbose > 0)
				logmsg(finish ? "+ %s\n" : "%s\n",
				       path_msg(finish ? xpath : m.path.data));
			set_up_path(s, &m, xpath);
		}
		if (!finish)
			continue;
		/* bup tests the archived path here (before cleaning it
		 * when only finishing). */
		if (is_dir(start ? xpath : m.path.data)) {
			struct pending_dir *d;
			ALLOC_GROW(dirs, nr_dirs + 1, alloc_dirs);
			d = &dirs[nr_dirs];
			d->m = m;
			d->path = xstrdup(xpath);
			d->order = nr_dirs++;
			metadata_init(&m);
		} else {
			if (s->verbose > 0)
				logmsg(start ? "= %s\n" : "%s\n",
				       path_msg(start ? xpath : m.path.data));
			metadata_apply(&m, xpath, &ao);
		}
	}
	QSORT(dirs, nr_dirs, cmp_dirs);
	for (size_t i = 0; i < nr_dirs; i++) {
		if (s->verbose > 0)
			logmsg(start ? "= %s\n" : "%s\n",
			       path_msg(start ? dirs[i].path : dirs[i].m.path.data));
		metadata_apply(&dirs[i].m, dirs[i].path, &ao);
		metadata_release(&dirs[i].m);
		free(dirs[i].path);
	}
	free(dirs);
	metadata_release(&m);
}

/* ---- --edit ---- */

static int64_t parse_id(struct options *o, const char *v, const char *what)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (errno || end == v || *end)
		opt_fatal(o, "%s must be an integer", what);
	return n;
}

static void do_edit(struct meta_state *s, struct options *o)
{
	const char *set_uid = opt_str(o, "set-uid");
	const char *set_gid = opt_str(o, "set-gid");
	const char *set_user = opt_str(o, "set-user");
	const char *set_group = opt_str(o, "set-group");
	int unset_user = 0, unset_group = 0;
	int64_t uid = 0, gid = 0;

	for (int i = 0; i < o->nr_events; i++) {
		const char *n = o->events[i].name;
		if (!strcmp(n, "set-user"))
			unset_user = 0;
		else if (!strcmp(n, "unset-user"))
			unset_user = !o->events[i].negated;
		else if (!strcmp(n, "set-group"))
			unset_group = 0;
		else if (!strcmp(n, "unset-group"))
			unset_group = !o->events[i].negated;
	}
	if (set_uid)
		uid = parse_id(o, set_uid, "uid");
	if (set_gid)
		gid = parse_id(o, set_gid, "gid");
	for (int i = 0; i < o->nr_args; i++) {
		struct buf in = BUF_INIT;
		struct metadata m;
		size_t pos = 0;
		int empty;

		if (read_file(o->args[i], &in) < 0)
			die_errno("cannot read '%s'", o->args[i]);
		metadata_init(&m);
		while (!next_object(&in, &pos, &m, &empty)) {
			if (set_uid)
				m.uid = uid;
			if (set_gid)
				m.gid = gid;
			if (unset_user) {
				buf_reset(&m.user);
			} else if (set_user) {
				buf_reset(&m.user);
				buf_adds(&m.user, set_user);
			}
			if (unset_group) {
				buf_reset(&m.group);
			} else if (set_group) {
				buf_reset(&m.group);
				buf_adds(&m.group, set_group);
			}
			metadata_encode(&m, &s->out);
			flush_out(s);
		}
		metadata_release(&m);
		buf_release(&in);
	}
}

int cmd_meta(int argc, char **argv)
{
	struct options o;
	struct meta_state s = { .out = BUF_INIT, .out_fd = 1 };
	struct buf in = BUF_INIT;
	const char *file;
	int create, list, extract, start, finish, edit;

	opt_parse(&o, meta_usage, argc, argv);
	create = opt_count(&o, "create") > 0;
	list = opt_count(&o, "list") > 0;
	extract = opt_count(&o, "extract") > 0;
	start = opt_count(&o, "start-extract") > 0;
	finish = opt_count(&o, "finish-extract") > 0;
	edit = opt_count(&o, "edit") > 0;
	/* bup prepends --paths --symlinks --recurse: on unless negated */
	s.recurse = !opt_given(&o, "recurse") || opt_count(&o, "recurse");
	s.symlinks = !opt_given(&o, "symlinks") || opt_count(&o, "symlinks");
	s.paths = !opt_given(&o, "paths") || opt_count(&o, "paths");
	s.numeric_ids = opt_count(&o, "numeric-ids") > 0;
	s.xdev = opt_count(&o, "xdev") > 0;
	s.verbose = opt_count(&o, "verbose") - opt_count(&o, "quiet");
	file = opt_str(&o, "file");

	if (create + list + extract + start + finish + edit > 1)
		opt_fatal(&o, "bup: only one action permitted: --create --list --extract --edit");
	if (create + list + extract + start + finish + edit == 0)
		opt_fatal(&o, "bup: no action specified");

	if (create) {
		if (o.nr_args < 1)
			opt_fatal(&o, "no paths specified for create");
		s.out_fd = open_output(file);
		do_create(&s, &o);
	} else if (edit) {
		if (o.nr_args < 1)
			opt_fatal(&o, "no paths specified for edit");
		s.out_fd = open_output(file);
		do_edit(&s, &o);
	} else {
		const char *what = list ? "--list" : start ? "--start-extract" :
				   finish ? "--finish-extract" : "--extract";
		if (o.nr_args > 0)
			opt_fatal(&o, "cannot specify paths for %s", what);
		read_input(file, &in);
		if (list)
			do_list(&s, &in);
		else
			do_extract(&s, &in, start || extract, finish || extract);
	}
	if (s.out_fd > 2 && close(s.out_fd) < 0)
		die_errno("cannot write '%s'", file);
	buf_release(&s.out);
	buf_release(&in);
	opt_release(&o);
	s.errors += metadata_nr_errors;
	if (s.errors) {
		logmsg("WARNING: %d errors encountered.\n", s.errors);
		return EXIT_ERRORS;
	}
	return EXIT_OK;
}
