/*
 * pathmsg: paths in messages as bup shows them (path_msg): the bytes
 * decoded as UTF-8, each byte that is not valid UTF-8 written as \xNN.
 */
#ifndef BUP_PATHMSG_H
#define BUP_PATHMSG_H

#include "buf.h"

void buf_add_path_msg(struct buf *out, const char *path);
/* A static buffer reused by each call (for one-off messages). */
const char *path_msg(const char *path);

#endif
