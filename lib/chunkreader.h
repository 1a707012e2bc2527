/*
 * chunkreader: split whole files on a second thread.
 *
 * A reader thread reads the files in bup's 8 MiB blocks and cuts them
 * (hashsplit_cut), and with `want_ids` computes each chunk's git blob id,
 * while the calling thread stores the chunks of the previous blocks: the
 * reads, the rolling checksum and the SHA-1 of the data then cost no
 * time on the thread that writes the pack.  The chunks
 * and their levels are exactly those of struct hashsplit fed the same
 * files.  emit() and done() run on the calling thread, in order.
 *
 * Memory: three blocks of 8 MiB + 32 KiB.
 */
#ifndef BUP_CHUNKREADER_H
#define BUP_CHUNKREADER_H

#include <stddef.h>
#include <stdint.h>

#include "hashsplit.h"
#include "oid.h"

/* A chunk, and its git blob id when asked for (else NULL). */
typedef int (*chunkreader_emit_fn)(void *ctx, const uint8_t *data, size_t len,
				   int level, const struct oid *blob_id);

/*
 * Called after the chunks of each block were emitted, before their memory
 * is reused: a consumer that kept pointers to them (for example
 * packwriter_add_borrowed()) lets go of them here.
 */
typedef void (*chunkreader_done_fn)(void *ctx);

/*
 * Split the files `fds[0..nr)` (names for messages in `names`) as one
 * stream, or each on its own with keep_boundaries.  `done` may be NULL.
 * Returns 0, emit()'s first non-zero result, or -1 after reporting a read
 * error naming the file.
 */
int chunkreader_run(const int *fds, const char *const *names, size_t nr,
		    unsigned fanout, int keep_boundaries, int want_ids,
		    chunkreader_emit_fn emit, chunkreader_done_fn done,
		    void *ctx);

#endif
