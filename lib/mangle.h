/*
 * mangle: the names bup gives entries of a save tree (FORMATS-2 §1.2).
 *
 * A regular file stored as a chunk tree gets ".bup" appended; any other
 * name ending in ".bup" or ".bup" plus one byte gets ".bupl", so no real
 * name looks mangled or equals ".bupm".  Demangling undoes this.
 */
#ifndef BUP_MANGLE_H
#define BUP_MANGLE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum { BUP_NORMAL = 0, BUP_CHUNKED = 1 };

/* Append the mangled name for (fs `mode`, `gitmode`) to `out`. */
void mangle_name(struct buf *out, const char *name, size_t len,
		 uint32_t mode, uint32_t gitmode);
/*
 * The demangled length of `name` (a prefix of it) and whether the entry
 * is BUP_NORMAL or BUP_CHUNKED; `mode` is the tree entry's git mode.
 */
size_t demangle_name(const char *name, size_t len, uint32_t mode, int *kind);

#endif
