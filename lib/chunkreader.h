/*
 * chunkreader: split whole files on a second thread.
 *
 * A reader thread reads the files in bup's 8 MiB blocks and cuts them
 * (hashsplit_cut) while the calling thread hashes and stores the chunks
 * of the previous blocks: the rolling checksum and the reads then cost
 * no time on the thread that does SHA-1 and pack writing.  The chunks
 * and their levels are exactly those of struct hashsplit fed the same
 * files.  emit() runs on the calling thread, in order.
 *
 * Memory: three blocks of 8 MiB + 32 KiB.
 */
#ifndef BUP_CHUNKREADER_H
#define BUP_CHUNKREADER_H

#include <stddef.h>

#include "hashsplit.h"

/*
 * Split the files `fds[0..nr)` (names for messages in `names`) as one
 * stream, or each on its own with keep_boundaries.  Returns 0, emit()'s
 * first non-zero result, or -1 after reporting a read error naming the
 * file.
 */
int chunkreader_run(const int *fds, const char *const *names, size_t nr,
		    unsigned fanout, int keep_boundaries,
		    hashsplit_emit_fn emit, void *ctx);

#endif
