/*
 * savereader: read, split and hash the files a save will store, ahead
 * of it, on one thread.
 *
 * The save asks a plan function (run on the reader thread) for the
 * paths it expects to read, in its walk order (descending bytes).  The
 * reader opens each (bup's open_noatime), reads it in bup's 8 MiB
 * blocks, cuts the chunks (hashsplit_cut) and computes their blob ids,
 * and queues the result as pieces (one per block) for the save, which
 * stores them.  Chunks are exactly those bup makes for the file.
 *
 * The save takes the pieces of a path with savereader_take(): results
 * for paths it passed without reading are dropped; a path the reader did
 * not read ahead gives NULL, and the save reads it itself with
 * savereader_read().  Queued data is bounded (about 16 MiB), so memory
 * does not grow with the file count or sizes.
 */
#ifndef BUP_SAVEREADER_H
#define BUP_SAVEREADER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "oid.h"

struct sr_chunk {
	size_t ofs;		/* in the piece's data */
	uint32_t len;
	int level;
	struct oid id;		/* the git blob id */
};

struct sr_piece {
	struct sr_piece *next;
	char *path;
	uint8_t *data;
	size_t cap;
	struct sr_chunk *chunks;
	size_t nr, alloc;
	int last;		/* the file's last piece */
	int err;		/* on the last piece: errno of a failure, or 0 */
	int open_failed;	/* the failure was in open() */
};

/* Next path to read (1), or 0 when there are no more. */
typedef int (*savereader_plan_fn)(void *ctx, struct buf *path);

struct savereader;

struct savereader *savereader_start(savereader_plan_fn plan, void *ctx);
/* The first piece of `path` if it was read ahead, else NULL. */
struct sr_piece *savereader_take(struct savereader *r, const char *path);
/* The following piece of the file whose piece was not last. */
struct sr_piece *savereader_next(struct savereader *r);
void sr_piece_free(struct sr_piece *p);
/* Stop the thread and drop what is left. */
void savereader_finish(struct savereader *r);

/*
 * Read `path` here and now, calling got() with each piece (which it
 * frees).  The last piece tells whether it failed.
 */
void savereader_read(const char *path,
		     void (*got)(void *ctx, struct sr_piece *p), void *ctx);

#endif
