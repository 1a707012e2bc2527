/* bup cat-file: write a file's content, metadata or .bupm from the VFS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "lib/buf.h"
#include "lib/metadata.h"
#include "lib/options.h"
#include "lib/pyrepr.h"
#include "lib/repo.h"
#include "lib/usage.h"
#include "lib/vfs.h"

static const char cat_file_usage[] =
"bup cat-file [--meta|--bupm] /branch/revision/[path]\n"
"--\n"
"meta        print the target's metadata entry (decoded then reencoded) to stdout\n"
"bupm        print the target directory's .bupm file directly to stdout\n";

/* re.match(br"/ *[^/]+/[^/]+", target), without the space */
static int has_branch_and_revision(const char *t)
{
	size_t n;
	t += strspn(t, "/");
	n = strcspn(t, "/");
	return n && t[n] == '/' && t[n + 1] && t[n + 1] != '/';
}

static void write_reader(struct vfs_reader *r)
{
	const uint8_t *data;
	size_t n;
	while ((n = vfs_reader_next(r, &data)))
		if (fwrite(data, 1, n, stdout) != n)
			die_errno("cannot write to standard output");
}

int cmd_cat_file(int argc, char **argv)
{
	struct options o;
	struct repo repo;
	struct vfs *v;
	struct vfs_path res = VFS_PATH_INIT;
	struct vfs_error err = VFS_ERROR_INIT;
	struct buf m = BUF_INIT;
	const char *target;
	struct vfs_item *leaf;
	int meta, bupm;

	opt_parse(&o, cat_file_usage, argc, argv);
	repo_open(&repo, NULL);
	meta = opt_count(&o, "meta");
	bupm = opt_count(&o, "bupm");
	if (!o.nr_args)
		opt_fatal(&o, "must specify a target");
	if (o.nr_args > 1)
		opt_fatal(&o, "only one target file allowed");
	if (bupm && meta)
		opt_fatal(&o, "--meta and --bupm are incompatible");
	target = o.args[0];
	if (!has_branch_and_revision(target)) {
		py_repr_bytes(&m, target, strlen(target));
		opt_fatal(&o, "path %s doesn't include a branch and revision",
			  m.data);
	}

	v = vfs_new(&repo);
	if (vfs_resolve(v, target, NULL, VFS_NOFOLLOW, &res, &err) < 0) {
		vfs_error_format(&err, &m);
		die("%s", m.data);
	}
	leaf = vfs_path_leaf(&res)->item;
	if (!leaf) {
		struct buf joined = BUF_INIT;
		vfs_path_join(&res, &joined);
		buf_adds(&m, "error: cannot access ");
		py_repr_bytes(&m, joined.data, joined.len);
		buf_adds(&m, " in ");
		py_repr_bytes(&m, target, strlen(target));
		fflush(stdout);
		fprintf(stderr, "%s\n", m.data);
		exit(EXIT_ERRORS);
	}
	fflush(stdout);
	if (bupm) {
		struct oid id;
		if (!vfs_item_is_dir(leaf)) {
			py_repr_bytes(&m, target, strlen(target));
			opt_fatal(&o, "%s is not a directory", m.data);
		}
		if (leaf->kind == VFS_ROOT || leaf->kind == VFS_TAGS)
			die("%s has no .bupm", target);
		if (vfs_tree_bupm(v, &leaf->oid, &id)) {
			struct vfs_reader *r = vfs_reader_open_oid(v, &id);
			write_reader(r);
			vfs_reader_close(r);
		}
	} else if (meta) {
		struct buf enc = BUF_INIT;
		vfs_augment_meta(v, leaf, 1);
		/* bup's encoder fails on a made-up record (no uid/gid) */
		if (leaf->meta_kind == VFS_META_FAKE)
			die("%s has no metadata record (no uid or gid to encode)",
			    target);
		metadata_encode(&leaf->meta, &enc);
		fwrite(enc.data, 1, enc.len, stdout);
		buf_release(&enc);
	} else if (S_ISREG(vfs_item_mode(leaf))) {
		struct vfs_reader *r = vfs_reader_open(v, leaf);
		write_reader(r);
		vfs_reader_close(r);
	} else {
		py_repr_bytes(&m, target, strlen(target));
		opt_fatal(&o, "%s is not a plain file", m.data);
	}
	buf_release(&m);
	vfs_path_release(&res);
	vfs_free(v);
	repo_close(&repo);
	opt_release(&o);
	return EXIT_OK;
}
