/*
 * pyrepr: Python's repr() of paths, for messages that must read as
 * bup's do: bytes (b'...') and file names as Python shows them in an
 * OSError (str decoded with surrogateescape: '...', bad bytes \udcXX).
 */
#ifndef BUP_PYREPR_H
#define BUP_PYREPR_H

#include <stddef.h>

#include "buf.h"

/* repr(bytes): b'...' with Python's quoting and escapes. */
void py_repr_bytes(struct buf *out, const char *s, size_t len);
/* repr(os.fsdecode(bytes)). */
void py_repr_fspath(struct buf *out, const char *s, size_t len);
/* Python's OSError text: "[Errno N] <strerror>: '<path>'". */
void py_oserror(struct buf *out, int err, const char *path);

#endif
