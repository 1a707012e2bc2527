#include "xio.h"
#include "usage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

ssize_t read_in_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int write_in_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int pread_in_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int pwrite_in_full(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_file(const char *path, struct buf *out)
{
	char tmp[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read_in_full(fd, tmp, sizeof(tmp));
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		buf_add(out, tmp, (size_t)n);
		if ((size_t)n < sizeof(tmp))
			break;
	}
	close(fd);
	return 0;
}

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

int mkdir_p(const char *path, int mode)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, path);
	for (char *p = b.data + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			if (mkdir(b.data, mode) < 0 && errno != EEXIST) {
				int e = errno;
				buf_release(&b);
				errno = e;
				return -1;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	buf_release(&b);
	return 0;
}

int map_file(const char *path, size_t min, const char *what,
	     const uint8_t **map, size_t *len, struct buf *why)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		buf_addf(why, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		buf_addf(why, "cannot stat '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if ((size_t)st.st_size < min || !st.st_size) {
		buf_addf(why, "'%s' is too short to be a %s", path, what);
		close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		buf_addf(why, "cannot mmap '%s': %s", path, strerror(errno));
		return -1;
	}
	*map = p;
	*len = (size_t)st.st_size;
	return 0;
}

const char *path_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		struct buf p = BUF_INIT;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			buf_reset(&p);
			buf_addf(&p, "%s/%s", path, de->d_name);
			if (unlink(p.data) < 0 &&
			    (errno == EISDIR || errno == EPERM))
				remove_tree(p.data);
		}
		closedir(d);
		buf_release(&p);
	}
	rmdir(path);
}

/*
 * mkstemp(), but the file is made 0666 & ~umask, as open() makes files.
 * (Not mkstemp's 0600 and then umask(0) to learn the umask: the umask is
 * the process's, and packwriter's finisher thread writes midx and bloom
 * files while the caller's thread creates the next pack.)
 */
static int make_temp(char *tmpl)
{
	static const char chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char *x = tmpl + strlen(tmpl) - 6;

	for (int tries = 0; tries < 1000; tries++) {
		uint64_t r;
		struct timespec ts;
		int fd;
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			r = (uint64_t)ts.tv_nsec * 2654435761u + (uint64_t)tries;
		}
		for (int i = 0; i < 6; i++, r /= 62)
			x[i] = chars[r % 62];
		fd = open(tmpl, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* The atomic files open in this process (any thread's), for die(). */
static pthread_mutex_t open_files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct atomic_file *open_files;

static void remove_open_files(void)
{
	pthread_mutex_lock(&open_files_lock);
	for (struct atomic_file *af = open_files; af; af = af->next_open)
		unlink(af->tmp.data);
	pthread_mutex_unlock(&open_files_lock);
}

static void forget_open_file(struct atomic_file *af)
{
	pthread_mutex_lock(&open_files_lock);
	for (struct atomic_file **p = &open_files; *p; p = &(*p)->next_open)
		if (*p == af) {
			*p = af->next_open;
			break;
		}
	pthread_mutex_unlock(&open_files_lock);
}

int atomic_file_open(struct atomic_file *af, const char *target)
{
	af->target = xstrdup(target);
	buf_init(&af->tmp, 0);
	buf_addf(&af->tmp, "%s.tmp-%ld-XXXXXX", target, (long)getpid());
	af->fd = make_temp(af->tmp.data);
	if (af->fd < 0) {
		int e = errno;
		free(af->target);
		buf_release(&af->tmp);
		errno = e;
		return -1;
	}
	pthread_mutex_lock(&open_files_lock);
	af->next_open = open_files;
	open_files = af;
	pthread_mutex_unlock(&open_files_lock);
	usage_add_cleanup(remove_open_files);
	return af->fd;
}

void atomic_file_remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct buf path = BUF_INIT;

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *t = strstr(de->d_name, ".tmp-");
		char *end;
		long pid;
		if (!t)
			continue;
		pid = strtol(t + 5, &end, 10);
		if (pid <= 0 || *end != '-' || strlen(end + 1) != 6)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, de->d_name);
		unlink(path.data);
	}
	closedir(d);
	buf_release(&path);
}

static void atomic_file_release(struct atomic_file *af)
{
	forget_open_file(af);
	free(af->target);
	af->target = NULL;
	buf_release(&af->tmp);
	af->fd = -1;
}

int atomic_file_commit(struct atomic_file *af)
{
	char *dir, *slash;
	int r = 0, e = 0;

	if (fsync(af->fd) < 0 || close(af->fd) < 0)
		r = -1;
	else if (rename(af->tmp.data, af->target) < 0)
		r = -1;
	if (r < 0) {
		e = errno;
		unlink(af->tmp.data);
	} else {
		dir = xstrdup(af->target);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		if (fsync_dir(slash ? dir : ".") < 0) {
			r = -1;
			e = errno;
		}
		free(dir);
	}
	atomic_file_release(af);
	errno = e;
	return r;
}

void atomic_file_abort(struct atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	unlink(af->tmp.data);
	atomic_file_release(af);
}
