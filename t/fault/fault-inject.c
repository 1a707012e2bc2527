/*
 * fault-inject.so: an LD_PRELOAD library that makes one system call fail,
 * for t/t1012-fault-inject.sh.  Configured by the environment:
 *
 *   FAULT_CALL   the calls to count, comma-separated: write (write,
 *                pwrite), fsync (fsync, fdatasync, msync), rename (rename,
 *                renameat, renameat2), open (open, openat, creat, with
 *                O_CREAT only), mmap (mmap of a file), or one exact name
 *                (pwrite, fdatasync...).  Unset: the library does nothing.
 *   FAULT_PATH   a glob (fnmatch, '*' matches '/' too): only calls on a
 *                path matching it count (the fd's path for write, fsync
 *                and mmap; either name for rename).  Default: any path.
 *   FAULT_NTH    the matching call to fail, from 1 (default 1).
 *   FAULT_TIMES  how many matching calls fail from the Nth on (default 1;
 *                0: every one after it, a disk gone bad for good).
 *   FAULT_ERRNO  EIO, ENOSPC, EDQUOT, EXDEV, EACCES, EPERM, EMFILE,
 *                ENFILE, ENOMEM, EROFS or a number (default EIO); SHORT:
 *                a write writes half of what it was asked and returns
 *                that (not an error: the caller must write the rest).
 *   FAULT_SLOW   a glob: every write and fsync on a matching path first
 *                sleeps FAULT_SLOW_MS (default 300) milliseconds, to widen
 *                a race (a fault on one thread while another writes).
 *   FAULT_DELAY_MS  the failing call first sleeps this long (default 0),
 *                so that other threads are well into what they do.
 *   FAULT_LOG    a file to which "CALL PATH" is appended for each failed
 *                (or shortened) call, so a test knows the fault fired;
 *                and, at a normal exit, "count N" for the matching calls
 *                seen, so a test knows how many there are.
 *
 * Counters are atomic: the packwriter's workers and finisher write and
 * sync on their own threads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum {
	C_WRITE = 1, C_PWRITE = 2, C_FSYNC = 4, C_FDATASYNC = 8,
	C_RENAME = 16, C_OPEN = 32, C_MMAP = 64, C_MSYNC = 128
};

static int enabled = -1;
static unsigned calls;
static const char *glob;
static long nth = 1, times = 1;
static int err = EIO, shorten;
static const char *logpath;
static long seen;
static const char *slow_glob;
static long slow_ms = 300;
static long delay_ms;

static const struct {
	const char *name;
	int e;
} errnos[] = {
	{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EDQUOT", EDQUOT },
	{ "EXDEV", EXDEV }, { "EACCES", EACCES }, { "EPERM", EPERM },
	{ "EMFILE", EMFILE }, { "ENFILE", ENFILE }, { "ENOMEM", ENOMEM },
	{ "EROFS", EROFS },
};

static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (!f) {
		/* no write(): that is ours */
		abort();
	}
	return f;
}

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_msync)(void *, size_t, int);

static void resolve(void)
{
	real_write = real("write");
	real_pwrite = real("pwrite");
	real_fsync = real("fsync");
	real_fdatasync = real("fdatasync");
	real_rename = real("rename");
	real_renameat = real("renameat");
	real_renameat2 = real("renameat2");
	real_open = real("open");
	real_openat = real("openat");
	real_mmap = real("mmap");
	real_msync = real("msync");
}

/* the libc function (resolved here if a constructor calls us first) */
#define REAL(f) (*(real_mmap ? 0 : (resolve(), 0), real_##f))

static void log_line(const char *what, const char *path)
{
	char line[4200];
	int fd, n;

	if (!logpath)
		return;
	n = snprintf(line, sizeof(line), "%s %s\n", what, path ? path : "-");
	if (n < 0 || n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	fd = REAL(open)(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (fd < 0)
		return;
	REAL(write)(fd, line, (size_t)n);
	close(fd);
}

static void report_count(void)
{
	char n[32];
	snprintf(n, sizeof(n), "%ld", __atomic_load_n(&seen, __ATOMIC_SEQ_CST));
	log_line("count", n);
}

__attribute__((constructor)) static void setup(void)
{
	const char *s;
	char *list, *tok, *save;

	if (!real_mmap)
		resolve();
	s = getenv("FAULT_CALL");
	if (!s || !*s) {
		enabled = 0;
		return;
	}
	list = strdup(s);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "write"))
			calls |= C_WRITE | C_PWRITE;
		else if (!strcmp(tok, "pwrite"))
			calls |= C_PWRITE;
		else if (!strcmp(tok, "fsync"))
			calls |= C_FSYNC | C_FDATASYNC | C_MSYNC;
		else if (!strcmp(tok, "fdatasync"))
			calls |= C_FDATASYNC;
		else if (!strcmp(tok, "msync"))
			calls |= C_MSYNC;
		else if (!strcmp(tok, "rename"))
			calls |= C_RENAME;
		else if (!strcmp(tok, "open"))
			calls |= C_OPEN;
		else if (!strcmp(tok, "mmap"))
			calls |= C_MMAP;
		else {
			fprintf(stderr, "fault-inject: unknown FAULT_CALL '%s'\n", tok);
			abort();
		}
	}
	free(list);
	glob = getenv("FAULT_PATH");
	if (glob && !*glob)
		glob = NULL;
	if ((s = getenv("FAULT_NTH")))
		nth = atol(s);
	if ((s = getenv("FAULT_TIMES")))
		times = atol(s);
	if ((s = getenv("FAULT_ERRNO"))) {
		size_t i;
		if (!strcmp(s, "SHORT"))
			shorten = 1;
		else if (*s >= '0' && *s <= '9')
			err = atoi(s);
		else {
			for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
				if (!strcmp(s, errnos[i].name))
					break;
			if (i == sizeof(errnos) / sizeof(errnos[0])) {
				fprintf(stderr, "fault-inject: unknown FAULT_ERRNO '%s'\n", s);
				abort();
			}
			err = errnos[i].e;
		}
	}
	slow_glob = getenv("FAULT_SLOW");
	if (slow_glob && !*slow_glob)
		slow_glob = NULL;
	if ((s = getenv("FAULT_SLOW_MS")))
		slow_ms = atol(s);
	if ((s = getenv("FAULT_DELAY_MS")))
		delay_ms = atol(s);
	logpath = getenv("FAULT_LOG");
	if (logpath && !*logpath)
		logpath = NULL;
	atexit(report_count);
	enabled = 1;
}

static int fd_path(int fd, char *out, size_t len)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, out, len - 1);
	if (n < 0)
		return -1;
	out[n] = 0;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = ms % 1000 * 1000000;
	nanosleep(&ts, NULL);
}

static void maybe_slow(int fd)
{
	char path[4096];

	if (enabled <= 0 || !slow_glob || fd_path(fd, path, sizeof(path)) < 0 ||
	    fnmatch(slow_glob, path, 0))
		return;
	sleep_ms(slow_ms);
}

static int path_matches(const char *path)
{
	return !glob || (path && !fnmatch(glob, path, 0));
}

/*
 * Whether this call fails: it is of a counted kind, on a matching path,
 * and its number is in [nth, nth + times).  `path` is the name to match,
 * or NULL with `fd` to match the fd's path.
 */
static int hit(int kind, const char *path, int fd, const char *name)
{
	char buf[4096];
	long n;

	if (enabled <= 0 || !(calls & kind))
		return 0;
	if (!path && fd >= 0 && glob) {
		if (fd_path(fd, buf, sizeof(buf)) < 0)
			return 0;
		path = buf;
	}
	if (!path_matches(path))
		return 0;
	n = __atomic_add_fetch(&seen, 1, __ATOMIC_SEQ_CST);
	if (n < nth || (times > 0 && n >= nth + times))
		return 0;
	if (!path && fd >= 0 && !fd_path(fd, buf, sizeof(buf)))
		path = buf;
	log_line(name, path);
	if (delay_ms)
		sleep_ms(delay_ms);
	return 1;
}

ssize_t write(int fd, const void *data, size_t len)
{
	maybe_slow(fd);
	if (len && hit(C_WRITE, NULL, fd, "write")) {
		if (shorten)
			return REAL(write)(fd, data, len > 1 ? len / 2 : len);
		errno = err;
		return -1;
	}
	return REAL(write)(fd, data, len);
}

ssize_t pwrite(int fd, const void *data, size_t len, off_t off)
{
	maybe_slow(fd);
	if (len && hit(C_PWRITE, NULL, fd, "pwrite")) {
		if (shorten)
			return REAL(pwrite)(fd, data, len > 1 ? len / 2 : len, off);
		errno = err;
		return -1;
	}
	return REAL(pwrite)(fd, data, len, off);
}

ssize_t pwrite64(int fd, const void *data, size_t len, off_t off)
{
	return pwrite(fd, data, len, off);
}

int fsync(int fd)
{
	maybe_slow(fd);
	if (hit(C_FSYNC, NULL, fd, "fsync")) {
		errno = err;
		return -1;
	}
	return REAL(fsync)(fd);
}

int fdatasync(int fd)
{
	maybe_slow(fd);
	if (hit(C_FDATASYNC, NULL, fd, "fdatasync")) {
		errno = err;
		return -1;
	}
	return REAL(fdatasync)(fd);
}

static int rename_hit(const char *from, const char *to, const char *name)
{
	/* either name may match; the call counts once */
	const char *path = !glob || !fnmatch(glob, from, 0) ? from : to;

	if (!hit(C_RENAME, path, -1, name))
		return 0;
	log_line("  to", to);
	return 1;
}

int rename(const char *from, const char *to)
{
	if (rename_hit(from, to, "rename")) {
		errno = err;
		return -1;
	}
	return REAL(rename)(from, to);
}

int renameat(int fromdir, const char *from, int todir, const char *to)
{
	if (rename_hit(from, to, "renameat")) {
		errno = err;
		return -1;
	}
	return REAL(renameat)(fromdir, from, todir, to);
}

int renameat2(int fromdir, const char *from, int todir, const char *to,
	      unsigned flags)
{
	if (rename_hit(from, to, "renameat2")) {
		errno = err;
		return -1;
	}
	return REAL(renameat2)(fromdir, from, todir, to, flags);
}

/* open()'s optional mode argument, there when flags create a file */
#define TAKE_MODE(mode, flags) do { \
	if ((flags) & (O_CREAT | O_TMPFILE)) { \
		va_list ap; \
		va_start(ap, flags); \
		(mode) = va_arg(ap, mode_t); \
		va_end(ap); \
	} \
} while (0)

static int open_hit(const char *path, int flags)
{
	return (flags & O_CREAT) && hit(C_OPEN, path, -1, "open");
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	TAKE_MODE(mode, flags);
	if (open_hit(path, flags)) {
		errno = err;
		return -1;
	}
	return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	TAKE_MODE(mode, flags);
	return open(path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
	return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int openat(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;

	TAKE_MODE(mode, flags);
	if (open_hit(path, flags)) {
		errno = err;
		return -1;
	}
	return REAL(openat)(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;

	TAKE_MODE(mode, flags);
	return openat(dir, path, flags, mode);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fd >= 0 && !(flags & MAP_ANONYMOUS) &&
	    hit(C_MMAP, NULL, fd, "mmap")) {
		errno = err;
		return MAP_FAILED;
	}
	return REAL(mmap)(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* msync names no file: its path is the mapping's, from /proc/self/maps */
static int map_path(void *addr, char *out, size_t len)
{
	char line[4352];
	FILE *f = fopen("/proc/self/maps", "re");
	int found = -1;

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		int at = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &at) < 2 ||
		    !at || (unsigned long)addr < lo || (unsigned long)addr >= hi)
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, len, "%s", line + at);
		found = 0;
	}
	fclose(f);
	return found;
}

int msync(void *addr, size_t len, int flags)
{
	char path[4096];

	if (enabled > 0 && (calls & C_MSYNC) && !map_path(addr, path, sizeof(path)) &&
	    hit(C_MSYNC, path, -1, "msync")) {
		errno = err;
		return -1;
	}
	return REAL(msync)(addr, len, flags);
}
