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
	int has_acl;
	struct buf acl[4];	/* access, access numeric, default, default numeric */
	uint64_t linux_attr;	/* 0: none */
	struct xattr_pair *xattrs;
	size_t nr_xattrs, alloc_xattrs;
};

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

/* Append the encoded object (records then the end tag) to `out`. */
void metadata_encode(const struct metadata *m, struct buf *out);
/*
 * Decode one object from data[0..len); *used is its length.  An empty
 * object (a lone 00) decodes to a metadata with has_common = 0.
 * 0, or -1 if the data is malformed.
 */
int metadata_decode(struct metadata *m, const uint8_t *data, size_t len,
		    size_t *used);

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

/* `bup xstat` / `bup meta -tvv` block, and the `ls -l` summary line. */
void metadata_format_detailed(const struct metadata *m, struct buf *out);
void metadata_format_summary(const struct metadata *m, const char *name,
			     struct buf *out);

#endif
