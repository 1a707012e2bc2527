/*
 * xio: whole reads and writes that retry on EINTR and short counts, and
 * the durable-file helpers every on-disk write goes through.
 *
 * read_in_full() returns the bytes read (less than asked only at EOF) or -1;
 * write_in_full() returns 0 or -1 with errno set (ENOSPC, EIO...).
 */
#ifndef BUP_XIO_H
#define BUP_XIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

ssize_t read_in_full(int fd, void *buf, size_t len);
int write_in_full(int fd, const void *buf, size_t len);
int pread_in_full(int fd, void *buf, size_t len, off_t off);
int pwrite_in_full(int fd, const void *buf, size_t len, off_t off);
/* Read a whole file into `out`; -1 with errno on failure. */
int read_file(const char *path, struct buf *out);
/* fsync a directory (so a rename in it is durable). */
int fsync_dir(const char *dir);
/* mkdir -p; 0 or -1 with errno. */
int mkdir_p(const char *path, int mode);
/*
 * Map a whole file read-only.  `what` names the format for the message
 * when the file is shorter than `min` ("'%s' is too short to be a
 * <what>").  0, or -1 with the reason naming the path in `why`.
 */
int map_file(const char *path, size_t min, const char *what,
	     const uint8_t **map, size_t *len, struct buf *why);
/* The last component of a path (after the last '/'); no copy. */
const char *path_basename(const char *path);
/* rm -rf of a directory we made (temp dirs); errors ignored. */
void remove_tree(const char *path);


/*
 * Atomic replacement of a file: atomic_file_open() makes a temporary
 * file beside `target` ("<target>.tmp-<pid>-XXXXXX", which no reader
 * looks for) and returns its fd; atomic_file_commit() fsyncs, closes and
 * renames it over `target`, then fsyncs the directory;
 * atomic_file_abort() removes it.  -1 with errno on failure.
 * A die() before the commit or abort removes the temporary file.
 * atomic_file_remove_stale() removes the temporary files in `dir` left
 * by processes that no longer exist (killed before commit or abort).
 */
struct atomic_file {
	int fd;
	char *target;
	struct buf tmp;
	struct atomic_file *next_open;	/* the files die() removes */
};
int atomic_file_open(struct atomic_file *af, const char *target);
int atomic_file_commit(struct atomic_file *af);
void atomic_file_abort(struct atomic_file *af);
void atomic_file_remove_stale(const char *dir);

#endif
