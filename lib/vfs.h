/*
 * vfs: bup's virtual filesystem over a repository (FORMATS-2 §4.2),
 * as bup 0.33's vfs.py presents it to ls, cat-file, restore, fuse...
 *
 *   /                        .tag, then one entry per refs/heads/NAME
 *   /.tag/TAG                commit -> its tree; tree -> dir; blob -> file
 *   /BRANCH/                 one dir per commit (save names), plus latest
 *   /BRANCH/SAVE/...         the commit's tree, names demangled
 *   /BRANCH/latest           fake symlink to the newest save name
 *
 * A struct vfs wraps an open struct repo and owns the caches (decoded
 * trees by oid, branch rev-lists).  Items are plain values: a struct
 * vfs_item owns its metadata and target and is freed with
 * vfs_item_release(); vfs_item_copy() makes an independent copy.
 *
 * Metadata: every item carries a struct metadata whose `mode` is always
 * set.  `meta_kind` says whether it is a real record (from a .bupm, or
 * object 0 of a directory's own .bupm) or only bup's default mode
 * (files 0100644, dirs 040755, symlinks 0120755) as vfs.py's integer
 * "meta".  meta.size is -1 when unknown; vfs_item_size() computes it.
 * As in bup, directories met inside a listing carry only the default
 * mode (their record lives in their own .bupm); vfs_fill_dir_meta()
 * fetches it, and resolution does it for every directory on a path.
 *
 * Errors: resolution problems bup reports as IOError (ENOTDIR, ELOOP)
 * come back as -1 with a struct vfs_error; a damaged repository
 * (missing or wrongly typed object, bad .bupm) dies with a message
 * naming the object, as bup's assertions do.
 */
#ifndef BUP_VFS_H
#define BUP_VFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "metadata.h"
#include "oid.h"
#include "repo.h"

/* vfs.py's item types. */
enum vfs_kind {
	VFS_ROOT,	/* "/" */
	VFS_TAGS,	/* "/.tag" */
	VFS_REVLIST,	/* "/BRANCH": oid = the branch tip commit */
	VFS_COMMIT,	/* a save or tagged commit: oid = tree, coid = commit */
	VFS_ITEM,	/* a tree entry: dir, plain file, symlink, fifo, dev,
			 * socket (see meta.mode); or a tagged tree/blob */
	VFS_CHUNKY,	/* a chunked file (NAME.bup tree), shown as NAME */
	VFS_FAKELINK,	/* "latest": target = the newest save's name */
};

#define VFS_DEFAULT_FILE_MODE 0100644
#define VFS_DEFAULT_DIR_MODE 040755
#define VFS_DEFAULT_SYMLINK_MODE 0120755

/* How much of vfs_item.meta is known. */
enum vfs_meta_kind {
	VFS_META_MODE,	/* only meta.mode (vfs.py's integer meta) */
	VFS_META_REAL,	/* a record read from a .bupm */
	VFS_META_FAKE,	/* made by vfs_augment_meta(): mode, times 0, no
			 * uid/gid/user/group ("?/?" in ls -l), symlink
			 * target, size */
};

struct vfs_item {
	enum vfs_kind kind;
	unsigned gitmode;	/* ITEM/CHUNKY: the tree entry's mode; else 0 */
	struct oid oid;		/* see enum vfs_kind; zero for ROOT/TAGS/FAKELINK */
	struct oid coid;	/* COMMIT: the commit id; else zero */
	enum vfs_meta_kind meta_kind;
	struct metadata meta;	/* meta.mode always set; size -1: unknown */
	struct buf target;	/* FAKELINK: the link target */
};

void vfs_item_init(struct vfs_item *it);
void vfs_item_release(struct vfs_item *it);
void vfs_item_copy(struct vfs_item *dst, const struct vfs_item *src);

/* vfs.py item_mode(): meta.mode. */
static inline unsigned vfs_item_mode(const struct vfs_item *it)
{
	return it->meta.mode;
}
/* True for ROOT, TAGS, REVLIST, COMMIT and tree ITEMs. */
int vfs_item_is_dir(const struct vfs_item *it);
/* The id `bup ls -s` prints: the oid, or the commit with commit_hash;
 * NULL when the item has none (ROOT, TAGS, FAKELINK). */
const struct oid *vfs_item_hash(const struct vfs_item *it, int commit_hash);

/* One element of a resolved path: item NULL means "does not exist". */
struct vfs_elem {
	char *name;		/* "" for the root */
	struct vfs_item *item;
};

/* A resolution: elems[0] is always ("", root). */
struct vfs_path {
	struct vfs_elem *elems;
	size_t nr, alloc;
};
#define VFS_PATH_INIT { NULL, 0, 0 }

void vfs_path_release(struct vfs_path *p);
void vfs_path_copy(struct vfs_path *dst, const struct vfs_path *src);
/* Keep the first n elements. */
void vfs_path_truncate(struct vfs_path *p, size_t n);
/* Append (name, copy of item or NULL). */
void vfs_path_push(struct vfs_path *p, const char *name,
		   const struct vfs_item *item);
static inline struct vfs_elem *vfs_path_leaf(const struct vfs_path *p)
{
	return &p->elems[p->nr - 1];
}
/* The names joined with '/' ("" + "/" + "a"...: "/a/b"; root alone: ""). */
void vfs_path_join(const struct vfs_path *p, struct buf *out);

/* What resolution reports instead of a path (bup's vfs.IOError). */
struct vfs_error {
	int err;		/* ENOTDIR or ELOOP */
	struct buf msg;		/* bup's message, e.g. "path ... resolves to
				 * non-directory ..." (no "[Errno N]") */
	struct vfs_path terminus;	/* where it stopped */
};
#define VFS_ERROR_INIT { 0, BUF_INIT, VFS_PATH_INIT }
void vfs_error_release(struct vfs_error *e);
/* bup's str(IOError): "[Errno 20] <msg>". */
void vfs_error_format(const struct vfs_error *e, struct buf *out);

struct vfs;

/* A VFS over an open repository (which must outlive it). */
struct vfs *vfs_new(struct repo *r);
void vfs_free(struct vfs *v);

/* Flags for resolution and listings. */
enum {
	VFS_NOFOLLOW = 1 << 0,	/* resolve: keep a final symlink */
	VFS_NO_META = 1 << 1,	/* want_meta=False: modes from git only */
};

/*
 * vfs.py resolve(): follow `path` (bytes, NUL-terminated) from
 * `parent` (NULL: "/"; a relative path starts there, an absolute one
 * at "/") and fill `out` (released first) with the elements.
 *
 * Rules: "//" squeezed; "." dropped; a trailing "/" or "/." (or a path
 * that is only dots and slashes) requires a directory and forces
 * following; ".." pops (stays at "/"); symlinks (and "latest") on the
 * way are followed, and the last one too unless VFS_NOFOLLOW; after
 * 100 hops ELOOP; an absolute target restarts at "/".  A missing
 * component ends the path with a NULL item (returns 0).  Every
 * directory on the path carries its own .bupm metadata (unless
 * VFS_NO_META).
 *
 * Returns 0, or -1 with `err` filled (ENOTDIR: passing through or
 * requiring a directory of a non-directory; ELOOP).
 */
int vfs_resolve(struct vfs *v, const char *path, const struct vfs_path *parent,
		int flags, struct vfs_path *out, struct vfs_error *err);
/*
 * vfs.py try_resolve(): like vfs_resolve() following the last link,
 * but a dangling final symlink is returned itself.
 */
int vfs_try_resolve(struct vfs *v, const char *path,
		    const struct vfs_path *parent, int flags,
		    struct vfs_path *out, struct vfs_error *err);

/* One entry of a directory listing. */
struct vfs_entry {
	char *name;		/* demangled ("x" for x.bup); "." for the dir */
	struct vfs_item item;
};

struct vfs_dir {
	struct vfs_entry *ents;
	size_t nr, alloc;
};
#define VFS_DIR_INIT { NULL, 0, 0 }
void vfs_dir_release(struct vfs_dir *d);

/*
 * vfs.py contents(dir) with no names: fill `out` (released first) with
 * "." (the directory itself, with its .bupm object 0 when it has one,
 * size 0) then every entry, in bup's order:
 *   root:    ".", ".tag", then each refs/heads/NAME (REVLIST) in ref order
 *   .tag:    ".", then each tag in ref order (COMMIT, or ITEM for a
 *            tagged tree/blob)
 *   branch:  the names sorted bytewise: ".", save names (COMMIT with
 *            the default dir mode, except commits whose record bup
 *            would have cached, e.g. the branch tip), "latest"
 *            (FAKELINK); of two equal names the older save wins
 *   tree:    with a .bupm: entries stably sorted by demangled name, each
 *            non-directory with its .bupm record; without: git order,
 *            default modes.  ".bupm" itself is never listed.
 * Callers wanting ls's order sort by name (bytewise, memcmp).
 * `dir` must satisfy vfs_item_is_dir().
 */
void vfs_contents(struct vfs *v, const struct vfs_item *dir, int flags,
		  struct vfs_dir *out);
/*
 * vfs.py contents(dir, names=(name,)): the one entry called `name`
 * (demangled; "." for the dir itself) into *out (initialised or
 * released by the caller).  1 found, 0 not.  In a branch only save
 * names, "." and "latest" are found; in "/" an exact refs/heads/NAME.
 */
int vfs_lookup(struct vfs *v, const struct vfs_item *dir, const char *name,
	       int flags, struct vfs_item *out);

/*
 * vfs.py fill_in_metadata_if_dir(): a tree/commit item without a real
 * record gets object 0 of its .bupm (size 0), if there is one.  As in
 * bup, a COMMIT comes back as the ITEM of its tree (so `ls -l
 * --commit-hash` shows the tree for it); a REVLIST gets its tip's record.
 */
void vfs_fill_dir_meta(struct vfs *v, struct vfs_item *it);
/*
 * vfs.py augment_item_meta(): an item with only a mode (VFS_META_MODE)
 * gets a fake record (VFS_META_FAKE): the mode, no uid/gid/user/group,
 * times 0, for symlinks the target and its length as size.  With
 * include_size, a missing size is then computed (vfs_item_size()),
 * for real records too.
 */
void vfs_augment_meta(struct vfs *v, struct vfs_item *it, int include_size);
/* vfs.py ensure_item_has_metadata(): fill_dir_meta then augment. */
void vfs_ensure_meta(struct vfs *v, struct vfs_item *it, int include_size);

/*
 * vfs.py item_size(): meta.size if known, else for regular files the
 * content length (a chunked tree's is found from the last entry at each
 * level, without reading the data), for symlinks the target length,
 * else 0.
 */
uint64_t vfs_item_size(struct vfs *v, const struct vfs_item *it);

/* Append the symlink target (FAKELINK target, the record's, or the blob). */
void vfs_readlink(struct vfs *v, const struct vfs_item *it, struct buf *out);

/*
 * The .bupm of a tree or commit `treeish`: 1 and *bupm set, 0 if the
 * tree has none (old or non-bup tree).
 */
int vfs_tree_bupm(struct vfs *v, const struct oid *treeish, struct oid *bupm);

/*
 * Sequential reading of a file's content: a blob, or a chunked tree's
 * leaves in order (vfs.py _FileReader).  Trees are walked with a stack,
 * one level at a time, so memory stays small for any file size; a
 * seek skips whole subtrees by their offset names.
 */
struct vfs_reader;
/* Open the content of `oid` (blob or chunk tree), e.g. a .bupm. */
struct vfs_reader *vfs_reader_open_oid(struct vfs *v, const struct oid *oid);
/* Open a regular-file item (ITEM or CHUNKY). */
struct vfs_reader *vfs_reader_open(struct vfs *v, const struct vfs_item *it);
/*
 * The next piece of content without copying: *data stays valid until
 * the next call on this reader.  Returns the length, 0 at the end.
 */
size_t vfs_reader_next(struct vfs_reader *r, const uint8_t **data);
/* Copy up to len bytes into buf; returns the count, 0 at the end. */
size_t vfs_reader_read(struct vfs_reader *r, void *buf, size_t len);
/* Continue from byte `ofs` (0..size).  0, or -1 (EINVAL) past the end. */
int vfs_reader_seek(struct vfs_reader *r, uint64_t ofs);
uint64_t vfs_reader_tell(const struct vfs_reader *r);
/* The total content length (computed once, as vfs_item_size does). */
uint64_t vfs_reader_size(struct vfs_reader *r);
void vfs_reader_close(struct vfs_reader *r);

/*
 * The save name of a commit time in the local time zone
 * ("YYYY-MM-DD-HHMMSS") into out[32].
 */
void vfs_save_name(int64_t when, char out[32]);
/*
 * 0.33.7's _reverse_suffix_duplicates over names[0..n) (newest first):
 * each run of equal adjacent names becomes NAME-(k-1) ... NAME-0, zero
 * padded to the width of k-1.  The strings are replaced (freed and
 * reallocated).
 */
void vfs_suffix_duplicates(char **names, size_t n);

#endif
