/*
 * metadata: bup's metadata records (FORMATS-2 §2): what `.bupm` objects,
 * bupindex.meta objects and `bup meta` archives hold about a file, and
 * how they are read from and applied to the filesystem.
 *
 * A struct metadata owns its strings and buffers; metadata_release()
 * frees them.  Encoding writes the records in bup's order (path, common
 * v3, symlink, hardlink, ACL v2, linux attr, xattr, end); decoding skips
 * unknown tags and accepts the legacy common v1/v2 and ACL v1 records.
 */
#ifndef BUP_METADATA_H
#define BUP_METADATA_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"

struct xattr_pair {
	struct buf name, value;
};

struct metadata {
	int has_common;		/* mode known */
	uint32_t mode;
	int64_t uid, gid;
	struct buf user, group;	/* names, or empty */
	uint64_t rdev;
	int64_t atime_s, mtime_s, ctime_s;	/* floored seconds */
	uint32_t atime_ns, mtime_ns, ctime_ns;	/* 0..999999999 */
	int64_t size;		/* -1: absent */
	struct buf path;	/* only in `bup meta` archives */
	struct buf symlink_target;
	struct buf hardlink_target;
	int has_acl;		/* how many acl[] strings: 0, 2 or 4 */
	struct buf acl[4];	/* access, access numeric, default, default numeric */
	uint64_t linux_attr;	/* 0: none */
	struct xattr_pair *xattrs;
	size_t nr_xattrs, alloc_xattrs;
};

/*
 * Problems bup reports and carries on from (add_error): readlink, attr
 * EACCES, v1 ACLs with commas, apply failures.  Each is printed as it
 * happens; commands exit 1 when this is nonzero.
 */
extern int metadata_nr_errors;

void metadata_init(struct metadata *m);
void metadata_release(struct metadata *m);

/* What to read from the filesystem, by who is asking (FORMATS-2 §2.3). */
enum metadata_flavor {
	META_FOR_SAVE,		/* .bupm: size for regular files and symlinks */
	META_FOR_INDEX,		/* bupindex.meta: times zeroed, size always */
	META_FOR_ARCHIVE,	/* bup meta --create: path, size always */
};

/*
 * Read `path` (not following a final symlink).  0, or -1 with a message
 * naming the path in `why` (the item is then skipped by the caller).
 */
int metadata_from_path(struct metadata *m, const char *path,
		       enum metadata_flavor flavor, struct buf *why);

/* The same for an item already lstat()ed (as a directory walk has). */
int metadata_from_stat(struct metadata *m, const char *path,
		       const struct stat *st, enum metadata_flavor flavor,
		       struct buf *why);

void metadata_add_xattr(struct metadata *m, const void *name, size_t nlen,
			const void *value, size_t vlen);

/* Append the encoded object (records then the end tag) to `out`. */
void metadata_encode(const struct metadata *m, struct buf *out);
/*
 * Decode one object from data[0..len); *used is its length.  An empty
 * object (a lone 00) decodes to a metadata with has_common = 0.
 * 0, or -1 if the data is malformed.  Callers that stop at an empty
 * object (extraction) test *used == 1.
 */
int metadata_decode(struct metadata *m, const uint8_t *data, size_t len,
		    size_t *used);

/*
 * Create `path` as an empty item of m's type (bup's create_path):
 * whatever is there is removed first (a non-empty directory is
 * refused), files are made 0600, directories 0700, devices with mknod,
 * sockets with mknod or bind, symlinks only if create_symlinks.
 * 0, or -1 after reporting the problem.
 */
int metadata_create_path(const struct metadata *m, const char *path,
			 int create_symlinks);

/* Options for metadata_apply (restore). */
struct metadata_apply_opts {
	int numeric_ids;
	/* --map-user/--map-group/--map-uid/--map-gid are applied by the
	 * caller before this is called. */
};

/*
 * Apply to an existing `path` in bup's order: times, ownership, mode,
 * ACL, linux attr, xattrs.  Each failure is reported (naming the path)
 * and counted; returns the number of errors.
 */
int metadata_apply(const struct metadata *m, const char *path,
		   const struct metadata_apply_opts *opts);

/* The fields of the detailed block (`bup xstat --include-fields`). */
enum {
	META_F_PATH = 1 << 0, META_F_MODE = 1 << 1, META_F_LINK_TARGET = 1 << 2,
	META_F_RDEV = 1 << 3, META_F_SIZE = 1 << 4, META_F_UID = 1 << 5,
	META_F_GID = 1 << 6, META_F_USER = 1 << 7, META_F_GROUP = 1 << 8,
	META_F_ATIME = 1 << 9, META_F_MTIME = 1 << 10, META_F_CTIME = 1 << 11,
	META_F_LINUX_ATTR = 1 << 12, META_F_LINUX_XATTR = 1 << 13,
	META_F_POSIX1E_ACL = 1 << 14,
	META_F_ALL = (1 << 15) - 1,
};
/* The bit for a field name ("link-target"), or 0 if there is none. */
unsigned metadata_field_bit(const char *name);

/*
 * `bup xstat` / `bup meta -tvv` block, without the final newline.
 * fields = 0 means all of them (as in bup, excluding every field shows
 * everything).
 */
void metadata_format_detailed(const struct metadata *m, unsigned fields,
			      struct buf *out);
/*
 * bup's xstat.mode_str: the type letter and rwx bits, as bup shows them
 * (no s/t for setuid, setgid and sticky).
 */
void metadata_mode_str(struct buf *out, uint32_t mode);

/* The `ls -l` summary line, without the newline; name NULL: m->path. */
void metadata_format_summary(const struct metadata *m, const char *name,
			     struct buf *out);
/* metadata.py summary_bytes's options (bup ls -l). */
struct summary_opts {
	int numeric_ids;	/* uid/gid even when names are known */
	int classify;		/* 0 none, 1 type (--file-type), 2 all (-F) */
	int human_readable;	/* sizes as 3.9K, 4.7M */
	int no_ids;		/* uid/gid unknown (a made-up record): "?" */
};
void metadata_format_summary_opts(const struct metadata *m, const char *name,
				  size_t namelen,
				  const struct summary_opts *o, struct buf *out);
/* xstat.py classification_str: "/", "@", "|", "=", "*" (include_exec) or "". */
const char *metadata_classification(uint32_t mode, int include_exec);

#endif
