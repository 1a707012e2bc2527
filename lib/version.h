/*
 * version: what `bup version` prints.  The commit and date come from the
 * build (Makefile passes them with -D when built from a git checkout).
 */
#ifndef BUP_VERSION_H
#define BUP_VERSION_H

#define BUP_VERSION "0.33.7-c"
#ifndef BUP_VERSION_COMMIT
#define BUP_VERSION_COMMIT "unknown"
#endif
#ifndef BUP_VERSION_DATE
#define BUP_VERSION_DATE "unknown"
#endif

#endif
