/*
 * fuzz.h: what the libFuzzer harnesses in t/fuzz share.  Header only;
 * each harness includes it once.
 *
 * - Messages from error()/warning() are dropped (FUZZ_VERBOSE=1 in the
 *   environment prints them), so the fuzzer runs quietly.
 * - die() is a normal outcome for bad input (a clear error and exit):
 *   the exit hook longjmps back to the harness instead of exiting.
 *   Wrap the parsing in FUZZ_TRY(...).  Leaks after such a jump are
 *   expected, so the fuzzers run with -detect_leaks=0.
 * - map_file() is wrapped (the Makefile links with --wrap=map_file and
 *   --wrap=munmap): the file is read into a heap buffer of its exact
 *   size, so AddressSanitizer sees a read past its end, which an mmap
 *   of the file would hide up to the end of the page.
 * - fuzz_write() puts the input in a file in /dev/shm for the readers
 *   that take a path.
 */
#ifndef BUP_FUZZ_H
#define BUP_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/usage.h"
#include "lib/xio.h"

static jmp_buf fuzz_jmp;
static int fuzz_armed, fuzz_verbose = -1;

static inline void fuzz_report(const char *prefix, const char *msg)
{
	if (fuzz_verbose < 0)
		fuzz_verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (fuzz_verbose)
		fprintf(stderr, "%s%s\n", prefix, msg);
}

static inline void fuzz_exit(int status)
{
	if (fuzz_armed) {
		fuzz_armed = 0;
		longjmp(fuzz_jmp, 1);
	}
	fprintf(stderr, "fuzz: exit(%d) outside FUZZ_TRY\n", status);
	abort();
}

#define FUZZ_MAPS 64
static void *fuzz_maps[FUZZ_MAPS];

static inline void fuzz_init(void)
{
	/* maps left by an input that died are freed now */
	for (int i = 0; i < FUZZ_MAPS; i++) {
		free(fuzz_maps[i]);
		fuzz_maps[i] = NULL;
	}
	usage_set_report(fuzz_report);
	usage_set_exit(fuzz_exit);
}

/*
 * Send logmsg() output (progress, --check lines) to /dev/null unless
 * FUZZ_VERBOSE is set.  Only the stdio stream is replaced: the
 * sanitizers and libFuzzer still write to file descriptor 2.
 */
static inline void fuzz_quiet_logmsg(void)
{
	static int done;
	FILE *f;

	if (done++ || getenv("FUZZ_VERBOSE"))
		return;
	f = fopen("/dev/null", "w");
	if (f)
		stderr = f;
}

/* Run `code`; a die() inside it ends it early, as a normal outcome. */
#define FUZZ_TRY(...) do { \
	fuzz_init(); \
	if (!setjmp(fuzz_jmp)) { \
		fuzz_armed = 1; \
		__VA_ARGS__; \
	} \
	fuzz_armed = 0; \
} while (0)

/* Write data to /dev/shm/bup-fuzz-<pid>-<name>; the path (static). */
static inline const char *fuzz_write(const char *name, const uint8_t *data,
			      size_t size)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/bup-fuzz-%d-%s",
		 (int)getpid(), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write_in_full(fd, data, size) < 0) {
		perror(path);
		abort();
	}
	close(fd);
	return path;
}

/* ---- map_file() into the heap, exactly sized ---- */

int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len)
{
	for (int i = 0; i < FUZZ_MAPS; i++)
		if (addr && fuzz_maps[i] == addr) {
			fuzz_maps[i] = NULL;
			free(addr);
			return 0;
		}
	return __real_munmap(addr, len);
}

int __wrap_map_file(const char *path, size_t min, const char *what,
		    const uint8_t **map, size_t *len, struct buf *why)
{
	struct buf data = BUF_INIT;
	void *p;
	int i;

	if (read_file(path, &data) < 0) {
		buf_addf(why, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (data.len < min || !data.len) {
		buf_addf(why, "'%s' is too short to be a %s", path, what);
		buf_release(&data);
		return -1;
	}
	for (i = 0; i < FUZZ_MAPS && fuzz_maps[i]; i++)
		;
	if (i == FUZZ_MAPS)
		abort();
	p = xmalloc(data.len);
	memcpy(p, data.data, data.len);
	fuzz_maps[i] = p;
	*map = p;
	*len = data.len;
	buf_release(&data);
	return 0;
}

#endif
