/*
 * packwriter: objects go straight into a git pack, never loose.
 *
 * packwriter_write() hashes the object, skips it if the repository (or
 * this run) already has it, and otherwise queues it; worker threads
 * compress queued objects while the caller goes on splitting and hashing,
 * and the caller's thread appends finished objects to the pack in order.
 *
 * A pack is written under objects/pack-tmp-<pid>-XXXXXX/, its count
 * patched and trailer appended, fsynced; then its idx v2; then both are
 * renamed into objects/pack (pack first, idx last, so readers that look
 * for *.idx never see half a pack) and the directory is fsynced.  A pack
 * is finished when it reaches max_pack_size bytes or max_pack_objects
 * objects, and by packwriter_close(); then, as bup does, `midx --auto`
 * and `bloom` maintenance run on the pack directory.  A full pack is
 * finished on a thread of its own while the next one fills (one at a
 * time; its objects stay known to packwriter_exists() until its idx is
 * in place); packwriter_close() waits for everything.  Anything not
 * closed is removed by packwriter_abort() (also run from die() and on
 * SIGINT/SIGTERM).
 *
 * Compression (lib/compress.h): libdeflate by default; with
 * bup.packCompressor = zlib in the repository config, zlib's compress2(),
 * giving pack bytes identical to bup 0.33's for levels 1-9.
 */
#ifndef BUP_PACKWRITER_H
#define BUP_PACKWRITER_H

#include <signal.h>
#include <stdint.h>

#include "compress.h"
#include "oid.h"

struct repo;
struct packwriter;

struct packwriter_opts {
	int level;			/* 0..9; -1: 1 */
	int64_t max_pack_size;		/* <= 0: pack.packSizeLimit or 1e9 */
	int64_t max_pack_objects;	/* <= 0: max(1, size / 5000) */
	int noop;			/* hash only, write nothing */
	int threads;			/* compressor threads; 0: one per core */
};

#define PACKWRITER_OPTS_INIT { -1, 0, 0, 0, 0 }

/* `repo` may be NULL only with opts->noop. */
struct packwriter *packwriter_new(struct repo *repo,
				  const struct packwriter_opts *opts);
/*
 * Store an object unless it exists; its id goes to *out.  Returns 0, or
 * dies with a message naming the file on a write error (after removing
 * the unfinished pack).
 */
void packwriter_write(struct packwriter *pw, enum obj_type type,
		      const void *data, size_t len, struct oid *out);
/* The same, for an object whose id the caller has computed. */
void packwriter_add(struct packwriter *pw, enum obj_type type,
		    const void *data, size_t len, const struct oid *id);
/*
 * The same, without copying `data`: the writer reads it until
 * packwriter_return_borrowed() returns, and the caller must not change or
 * free it before then.  (For callers that read into big buffers they
 * recycle: they return the borrowed memory once per buffer.)
 */
void packwriter_add_borrowed(struct packwriter *pw, enum obj_type type,
			     const void *data, size_t len, const struct oid *id);
/* Wait until every borrowed object is compressed and written. */
void packwriter_return_borrowed(struct packwriter *pw);
/* Does the repository or this writer have the object? */
int packwriter_exists(struct packwriter *pw, const struct oid *oid);
/*
 * Finish and install the open pack (if any) and free the writer.  Returns
 * how many updates of the midx and bloom files after a pack failed (each
 * reported as an error; the packs are installed all the same), for the
 * caller's error count.
 */
int packwriter_close(struct packwriter *pw);
/* Throw away the open pack (if any) and free the writer. */
void packwriter_abort(struct packwriter *pw);

/* Counters for --bench and -v. */
struct packwriter_stats {
	uint64_t objects_written, bytes_in, bytes_out, packs;
	uint64_t objects_skipped;
};
void packwriter_stats(const struct packwriter *pw, struct packwriter_stats *st);

/*
 * Block SIGINT, SIGTERM and SIGHUP in the calling thread (the old mask
 * to *old).  Helper threads are started with them blocked, so these
 * signals reach the main thread, which removes unfinished packs.
 */
void block_signals(sigset_t *old);

/* Encode git's pack object header; returns its length (<= 16). */
size_t pack_object_header(uint8_t *out, enum obj_type type, uint64_t size);

#endif
