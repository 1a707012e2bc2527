/*
 * pyrepr: Python's text for bytes and paths, for messages that must read
 * as bup's do.  It owns the one strict UTF-8 decoder (Python's: no
 * overlong forms, no surrogates, nothing above U+10FFFF) and Python's
 * choice of quote, and builds on them:
 *   - path_msg: bup's path_msg(), the bytes decoded as UTF-8, each byte
 *     that is not valid UTF-8 written as \xNN;
 *   - repr() of bytes (b'...'), of a str given as UTF-8 ('...'), of
 *     os.fsdecode(bytes) (bad bytes as \udcXX) and of path_msg(bytes);
 *   - Python's OSError text for a file name.
 */
#ifndef BUP_PYREPR_H
#define BUP_PYREPR_H

#include <stddef.h>

#include "buf.h"

/* path_msg(path) appended to out. */
void buf_add_path_msg(struct buf *out, const char *path);
/* path_msg(path) in a static buffer reused by each call (one-off messages). */
const char *path_msg(const char *path);

/* repr(bytes): b'...' with Python's quoting and escapes. */
void py_repr_bytes(struct buf *out, const char *s, size_t len);
/*
 * repr(os.fsdecode(bytes)): '...' with Python's quoting and escapes, the
 * bytes decoded as UTF-8 with surrogateescape (a bad byte shows as
 * \udcXX).  For valid UTF-8 this is the repr of the str it encodes.
 */
void py_repr_fspath(struct buf *out, const char *s, size_t len);
/* repr(path_msg(bytes)): a bad byte shows as \\xNN. */
void py_repr_path_msg(struct buf *out, const char *s, size_t len);
/* Python's OSError text: "[Errno N] <strerror>: '<path>'". */
void py_oserror(struct buf *out, int err, const char *path);

#endif
