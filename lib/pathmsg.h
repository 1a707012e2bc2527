/*
 * pathmsg: path_msg() and buf_add_path_msg() now live in pyrepr.h; this
 * header only forwards there for the files that still include it (cmd/save.c,
 * lib/savetree.c).  Include "pyrepr.h" in new code.
 */
#ifndef BUP_PATHMSG_H
#define BUP_PATHMSG_H

#include "pyrepr.h"

#endif
