/*
 * objread: read whole objects straight out of the repository's packs.
 *
 * bup's packs hold every object whole (no deltas), zlib-compressed; this
 * finds an object through the packs' .idx files (the pack that answered
 * last is asked first: a restore reads mostly from one pack at a time),
 * reads its bytes with one pread(), checks them against the idx v2
 * CRC-32, and inflates them with libdeflate, which is several times
 * faster than zlib.  Nothing stays mapped but the small idx files, so a
 * long read of a large repository costs little resident memory.
 *
 * What it does not handle (loose objects, deltas in packs git repacked,
 * packs that appear after it was opened) is left to the caller: a lookup
 * that returns 0 means "not here", and the caller asks libgit2.
 */
#ifndef BUP_OBJREAD_H
#define BUP_OBJREAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "oid.h"

struct objreader;

/* The packs of the repository at `repo_path`; NULL if it has none. */
struct objreader *objreader_new(const char *repo_path);
void objreader_free(struct objreader *rd);

/*
 * Read object `oid` into `out` (replacing its contents).  1 found, with
 * *type set; 0 not in a pack or stored as a delta; -1 after reporting
 * a corrupt pack (naming it).
 */
int objreader_read(struct objreader *rd, const struct oid *oid,
		   enum obj_type *type, struct buf *out);

#endif
