/*
 * bupindex_meta: the bupindex.meta store (FORMATS-2 §3.5), an
 * append-only concatenation of metadata objects addressed by offset.
 *
 * Opening reloads the existing objects so an identical object is stored
 * once, with bup's quirks: the reload stops at the first empty object
 * (or at a truncated or malformed one), and an object at offset 0 is
 * never reused.  Objects are keyed by their bytes as stored (bup keys
 * them by their re-encoding, which is the same for what bup and we
 * write).
 */
#ifndef BUP_BUPINDEX_META_H
#define BUP_BUPINDEX_META_H

#include <stdint.h>

#include "buf.h"

struct metastore;

/* NULL after reporting an error naming the file. */
struct metastore *metastore_open(const char *filename);
/* Store an encoded object; its offset. Dies on a write error. */
uint64_t metastore_store(struct metastore *ms, const void *data, size_t len);
/* The empty object (a lone 00). */
uint64_t metastore_store_empty(struct metastore *ms);
/*
 * fsync what was stored: index entries point into the file, so it is
 * durable before an index naming its records is.  0, or -1 after
 * reporting the error.
 */
int metastore_sync(struct metastore *ms);
/* 0, or -1 after reporting a write error. */
int metastore_close(struct metastore *ms);

/* The length of the object at data[0..len), or 0 if malformed/short. */
size_t metadata_object_len(const uint8_t *data, size_t len);

#endif
