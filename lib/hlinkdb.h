/*
 * hlinkdb: bupindex.hlink (FORMATS-2 §3.6), the paths of each
 * hard-linked inode: a Python protocol-2 pickle of a dict mapping
 * b"<dev>:<ino>" to a list of path bytes, in insertion order.
 *
 * We write the simple stream of §3.6 (PROTO 2, EMPTY_DICT, then per key
 * _codecs.encode(str, 'latin1') objects, EMPTY_LIST, APPEND, SETITEM)
 * and read what Python writes, accepting exactly the opcodes listed
 * there (memo opcodes included).  Anything else is an error.
 *
 * Like bup's HLinkDB, add_path of a path already listed for its node
 * replaces that node's list with just the path.
 */
#ifndef BUP_HLINKDB_H
#define BUP_HLINKDB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "strlist.h"
#include "xio.h"

struct hlink_node {
	char *key;		/* "dev:ino" */
	struct strlist paths;
	int dead;		/* deleted from the dict */
};

struct hmap;

struct hlinkdb {
	char *filename;
	struct hlink_node *nodes;
	size_t nr, alloc, live;
	struct hmap *by_key, *by_path;	/* -> node index */
	struct atomic_file af;
	int pending;
};

void hlinkdb_init(struct hlinkdb *h);
/* Load `filename` (absent: empty).  0, or -1 after reporting an error. */
int hlinkdb_open(struct hlinkdb *h, const char *filename);
void hlinkdb_add_path(struct hlinkdb *h, const char *path, uint64_t dev,
		      uint64_t ino);
void hlinkdb_del_path(struct hlinkdb *h, const char *path);
/* The paths of an inode, or NULL. */
const struct strlist *hlinkdb_node_paths(const struct hlinkdb *h,
					 uint64_t dev, uint64_t ino);
/* Write the temporary file (or plan the removal when empty). */
int hlinkdb_prepare_save(struct hlinkdb *h);
/* Rename it into place (or remove the file). */
int hlinkdb_commit_save(struct hlinkdb *h);
void hlinkdb_release(struct hlinkdb *h);

/* The pickle. decode: 0, or -1 with the reason in `err`. */
int hlink_pickle_decode(struct hlinkdb *h, const uint8_t *data, size_t len,
			struct buf *err);
void hlink_pickle_encode(const struct hlinkdb *h, struct buf *out);

#endif
