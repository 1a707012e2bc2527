/*
 * bupindex: bup's index file, v7 (FORMATS-2 §3.1-3.3).
 *
 * "BUPI\0\0\0\7", then { basename NUL, 130-byte big-endian entry }*,
 * then a u64 BE count.  Entries are in descending full-path post-order
 * (children before their directory), the root "/" last; a directory's
 * children are contiguous and found through children_ofs/children_n.
 *
 * A reader maps the file (read/write when it can, so update and save
 * edit entries in place through bupindex_entry_store()).  Opening
 * checks the whole layout once: a file with the wrong header is
 * reported (a warning, as bup does) and read as empty; a truncated or
 * otherwise corrupt file is an error naming the file.
 *
 * A writer builds a new file in bup's layout from entries added in
 * descending order of full path (blank entries are made for missing
 * ancestors) and atomically replaces the target when committed.
 * Times are nanoseconds since the epoch in memory, floored (s, ns) on
 * disk.
 */
#ifndef BUP_BUPINDEX_H
#define BUP_BUPINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "strlist.h"
#include "xio.h"

#define IX_EXISTS	0x8000
#define IX_HASHVALID	0x4000
#define IX_SHAMISSING	0x2000

#define IX_HDR		"BUPI\0\0\0\7"
#define IX_HDRLEN	8
#define IX_ENTLEN	130
#define IX_FOOTLEN	8

extern const uint8_t ix_empty_sha[20];
extern const uint8_t ix_fake_sha[20];

struct ixent {
	uint64_t dev, ino, nlink;
	int64_t ctime, mtime, atime;	/* ns */
	uint64_t size;
	uint32_t mode, gitmode;
	uint8_t sha[20];
	uint16_t flags;
	uint64_t children_ofs;
	uint32_t children_n;
	uint64_t meta_ofs;
};

void ixent_unpack(struct ixent *e, const uint8_t *p);
void ixent_pack(const struct ixent *e, uint8_t *p);
static inline int ixent_valid(const struct ixent *e)
{
	return (e->flags & (IX_EXISTS | IX_HASHVALID)) == (IX_EXISTS | IX_HASHVALID);
}
static inline int ixent_deleted(const struct ixent *e)
{
	return !(e->flags & IX_EXISTS);
}
static inline int ixent_fake(const struct ixent *e) { return !e->ctime; }
int ixent_sha_empty(const struct ixent *e);
/* bup's Entry.stale() against an lstat. */
int ixent_stale(const struct ixent *e, const struct stat *st, int check_device);
/* Entry.update_from_stat (no clamping, as for bup's existing entries). */
void ixent_update_from_stat(struct ixent *e, const struct stat *st,
			    uint64_t meta_ofs);
void ixent_validate(struct ixent *e, uint32_t gitmode, const uint8_t sha[20]);
void ixent_set_deleted(struct ixent *e);
/* Compare full paths as Python bytes (memcmp, then length). */
int bytescmp(const char *a, size_t alen, const char *b, size_t blen);

struct bupindex {
	char *filename;
	int fd;
	uint8_t *map;		/* NULL: empty (absent, zero length or wrong header) */
	size_t size;
	int writable;
	uint64_t count;		/* the footer */
};

/*
 * Open `filename` (absent: empty).  0, or -1 after reporting an error
 * naming the file (corrupt or unreadable).
 */
int bupindex_open(struct bupindex *ix, const char *filename);
/* msync the in-place edits. */
int bupindex_sync(struct bupindex *ix);
void bupindex_close(struct bupindex *ix);
static inline int bupindex_exists(const struct bupindex *ix) { return ix->map != NULL; }

/*
 * One entry as iterated: where it is and its full name.  `node` indexes
 * the list's nodes, which also hold the entry's ancestors (listed or
 * not) so bupindex_repack() can invalidate them up to the root.
 */
struct ixitem {
	size_t ofs;		/* of the 130-byte entry */
	size_t name_ofs, name_len;	/* into the list's names */
	long node;		/* -1 for forward iteration */
};
struct ixnode {
	size_t ofs;
	long parent;		/* -1: the root */
};
struct ixlist {
	struct ixitem *items;
	size_t nr, alloc;
	struct ixnode *nodes;
	size_t nr_nodes, alloc_nodes;
	struct buf names;
};
#define IXLIST_INIT { NULL, 0, 0, NULL, 0, 0, BUF_INIT }
void ixlist_release(struct ixlist *l);
static inline const char *ixlist_name(const struct ixlist *l, size_t i)
{
	return l->names.data + l->items[i].name_ofs;
}

/*
 * bup's Reader.iter(name): the entries under `name` (NULL: all), in
 * descending post-order, ending with `name` itself.  Appends to `out`.
 */
void bupindex_iter(const struct bupindex *ix, const char *name,
		   struct ixlist *out);
/* Every entry in file order (forward_iter); names are basenames. */
void bupindex_forward(const struct bupindex *ix, struct ixlist *out);

void bupindex_entry_load(const struct bupindex *ix, size_t ofs, struct ixent *e);
void bupindex_entry_store(struct bupindex *ix, size_t ofs, const struct ixent *e);
/*
 * bup's repack(): store the entry, then, if it is not valid, invalidate
 * and store each ancestor in `l` up to the root.
 */
void bupindex_repack(struct bupindex *ix, const struct ixlist *l, size_t i,
		     const struct ixent *e);

/* bup's check_index (--check): 0 passed, -1 with the reason logged. */
int bupindex_check(const struct bupindex *ix, int verbose);

struct metastore;

struct ixwriter_level;
struct bupindex_writer {
	struct atomic_file af;
	struct buf out;		/* pending output */
	uint64_t ofs;		/* file offset of out's end */
	struct ixwriter_level *levels;
	size_t nr_levels, alloc_levels;
	struct metastore *ms;
	int64_t tmax;		/* INT64_MAX: no clamping */
	uint64_t count;
	struct buf last;
	int flushed;
};

int bupindex_writer_open(struct bupindex_writer *w, const char *filename,
			 struct metastore *ms, int64_t tmax);
/*
 * Add a new entry (bup's Writer.add): `st` NULL makes a blank directory
 * entry.  `fake` gives it (0100644, FAKE_SHA) and HASHVALID.
 * Names must come in strictly descending order; directories end in '/'.
 */
void bupindex_writer_add(struct bupindex_writer *w, const char *name,
			 const struct stat *st, uint64_t meta_ofs, int fake);
/* Add an existing entry as is (add_ixentry; children links are redone). */
void bupindex_writer_add_ixentry(struct bupindex_writer *w, const char *name,
				 size_t name_len, const struct ixent *e);
/* Close the tree and write the footer; the count is then known. */
int bupindex_writer_flush(struct bupindex_writer *w);
/* The temporary file's path (to read it back before committing). */
static inline const char *bupindex_writer_tmpname(struct bupindex_writer *w)
{
	return w->af.tmp.data;
}
/* Flush if needed and rename over the target. 0 or -1 with a message. */
int bupindex_writer_commit(struct bupindex_writer *w);
void bupindex_writer_abort(struct bupindex_writer *w);

/* Merge `a` and `b` (all entries) into `w` with bup's precedence. */
void bupindex_merge(struct bupindex *a, struct bupindex *b,
		    struct bupindex_writer *w);

/*
 * bup's reduce_paths: resolve each path (resolve_parent, '/' added to
 * directories), drop those inside another, sort descending.  `rps` gets
 * the resolved paths and `shown` the paths as typed ('/' added for
 * directories).  Unresolvable paths are reported and counted in *errors.
 */
void reduce_paths(char **paths, int n, struct strlist *rps,
		  struct strlist *shown, int *errors);
/* The same, naming `caller` in error messages as bup does. */
void reduce_paths_caller(char **paths, int n, struct strlist *rps,
			 struct strlist *shown, int *errors, const char *caller);

#endif
