/*
 * commit: git commit objects as bup 0.33 writes them (FORMATS-1 §2.7),
 * and the identity, time-zone and argv text that go into them.
 */
#ifndef BUP_COMMIT_H
#define BUP_COMMIT_H

#include <stdint.h>

#include "buf.h"
#include "oid.h"

/* "<full name> <<login>@<host>>", as bup's userfullname/username/hostname. */
void commit_userline(struct buf *out);
/* "+HHMM" / "-HHMM" for the local zone at `when`, with bup's quirks. */
void commit_tz(struct buf *out, int64_t when);
/* Python's repr() of the argv byte strings: [b'bup', b'split', ...]. */
void commit_argv_repr(struct buf *out, int argc, char **argv);
/*
 * The commit text: tree, optional parent, author and committer (both
 * `userline` at `when`), a blank line, then `msg`.
 */
void commit_format(struct buf *out, const struct oid *tree,
		   const struct oid *parent, const char *userline,
		   int64_t when, const char *msg);

struct packwriter;
/*
 * Write the commit of `tree` (parent optional) by the current user at
 * `when` with message `msg` through the pack writer; its id to *out.
 */
void commit_write(struct packwriter *pw, const struct oid *tree,
		  const struct oid *parent, int64_t when, const char *msg,
		  struct oid *out);

/* Parse a date as bup's -d does (seconds since the epoch, a float). */
int parse_date_secs(const char *s, int64_t *out);

#endif
