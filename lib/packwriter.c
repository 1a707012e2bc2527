#include "packwriter.h"
#include "bloom.h"
#include "buf.h"
#include "compress.h"
#include "midx.h"
#include "oidset.h"
#include "packidx.h"
#include "repo.h"
#include "usage.h"
#include "xio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RING 64			/* objects in flight */
#define WBUF_SIZE (1 << 20)
#define WAKE_JOBS 16
#define WAKE_BYTES (64 << 10)

enum job_state { JOB_FREE, JOB_QUEUED, JOB_DONE };

struct job {
	int state;		/* enum job_state, atomic */
	enum obj_type type;
	struct oid oid;
	const uint8_t *data;	/* in.data, or the caller's (borrowed) */
	size_t len;
	struct buf in;
	uint8_t *out;
	size_t out_cap, out_len;
};

/* A pack being written, or being finished. */
struct pack {
	char tmpdir[PATH_MAX], packpath[PATH_MAX], idxpath[PATH_MAX];
	int fd;				/* -1: none */
	uint64_t offset;		/* bytes so far = the trailer's offset */
	struct packidx_entry *ents;
	size_t nr, alloc;
};

struct packwriter {
	struct repo *repo;
	struct packwriter_opts o;
	enum pack_compressor comp;
	uint64_t max_size, max_objects;
	/* written (or queued) by this writer, not yet findable in an idx:
	 * objects of the open pack and of the one being finished */
	struct oidset also, also_fin;
	struct packwriter_stats st;
	char *packdir;

	/* the open pack */
	struct pack cur;
	uint64_t outbytes;
	uint64_t written, synced;	/* bytes in the file; writeback started */
	uint8_t *wbuf;
	size_t wlen;

	/*
	 * The previous pack, finished (trailer, idx, rename, midx and
	 * bloom upkeep) on its own thread while the next one fills.
	 */
	struct pack fin;
	pthread_t finisher;
	int finishing;			/* fin is being installed */
	int fin_thread;			/* ... on the finisher thread */
	int fin_pipe[2];		/* it writes a byte here when done */
	atomic_int fin_installing;	/* past the point of removing it */
	int fin_errno;
	struct buf fin_msg;		/* what failed, for die() */
	int upkeep_errors;		/* midx or bloom updates that failed */

	/*
	 * The compression pipeline: a ring of jobs.  The writer (the
	 * caller's thread) fills the slot at `tail` and publishes it by
	 * advancing `tail`; workers claim jobs by advancing `next_claim`
	 * and mark them done; the writer appends done jobs at `head` to the
	 * pack.  All of that is lock-free (atomics, seq_cst where a thread
	 * decides to sleep); threads sleep on semaphores, which make a
	 * system call only when someone sleeps.
	 */
	sem_t work_sem, done_sem;
	struct job jobs[RING];
	uint64_t head;			/* the writer's; workers read it: atomic */
	uint64_t tail, next_claim;	/* atomic */
	/*
	 * The writer sleeps only when the ring is full, until job `wake_at`
	 * is done (a quarter of the ring ahead): one wake-up per batch of
	 * objects, not one per object.  Atomic: a worker that saw
	 * writer_waiting reads it and `head` while the writer may have
	 * taken itself off and moved on (see drain()).
	 */
	uint64_t wake_at;
	int writer_waiting;		/* atomic */
	/*
	 * Workers waiting for jobs (atomic).  They are woken once a few jobs
	 * are queued (WAKE_JOBS or WAKE_BYTES), or when the writer is about
	 * to wait: with many small objects, a wake-up per object cost more
	 * system time than the compressing.
	 */
	int idle;
	size_t pending_bytes;		/* queued since the last wake-up */
	int stop;			/* atomic */
	pthread_t *threads;
	int nthreads;

	struct packwriter *next_active;
};

/*
 * Writers with a pack open, so die() and fatal signals can remove their
 * temporary directories.  Only the main thread changes this list.
 */
static struct packwriter *active;

static void remove_tmp(const struct pack *p)
{
	/* async-signal-safe: unlink and rmdir only */
	unlink(p->packpath);
	unlink(p->idxpath);
	rmdir(p->tmpdir);
}

/* The byte the finisher writes when it is done (async-signal-safe). */
static void post_fin_byte(struct packwriter *pw)
{
	while (write(pw->fin_pipe[1], "", 1) < 0 && errno == EINTR)
		;
}

static void await_fin_byte(struct packwriter *pw)
{
	char c;
	while (read(pw->fin_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	pw->fin_thread = 0;
}

static void cleanup_all(void)
{
	for (struct packwriter *pw = active; pw; pw = pw->next_active) {
		if (pw->cur.fd >= 0)
			remove_tmp(&pw->cur);
		/*
		 * Let the finisher end first (read() is async-signal-safe):
		 * it installs a complete pack, or fails; removing its files
		 * under it could leave a pack without its idx.
		 */
		if (pw->fin_thread &&
		    !pthread_equal(pthread_self(), pw->finisher))
			await_fin_byte(pw);
		if (pw->finishing && !atomic_load(&pw->fin_installing))
			remove_tmp(&pw->fin);
	}
}

/*
 * A thread that dies while another one is ending the process: if it is
 * a finisher, the cleanup waiting for its byte may go on (the finisher
 * does no more, and its files are removed as for any failed pack).
 */
static void finisher_died(void)
{
	for (struct packwriter *pw = active; pw; pw = pw->next_active)
		if (pw->fin_thread &&
		    pthread_equal(pthread_self(), pw->finisher))
			post_fin_byte(pw);
}

static void on_signal(int sig)
{
	int e = errno;

	cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
	/* it is blocked in here and ends us as we return; errno is put
	 * back all the same, as a handler should */
	errno = e;
}

static void set_active(struct packwriter *pw, int on)
{
	static int hooked;
	if (!hooked) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		usage_add_cleanup(cleanup_all);
		usage_set_died_meanwhile(finisher_died);
		hooked = 1;
	}
	if (on) {
		pw->next_active = active;
		active = pw;
	} else {
		for (struct packwriter **p = &active; *p; p = &(*p)->next_active)
			if (*p == pw) {
				*p = pw->next_active;
				break;
			}
	}
}

size_t pack_object_header(uint8_t *out, enum obj_type type, uint64_t size)
{
	size_t n = 0;
	uint8_t c = (uint8_t)((type << 4) | (size & 0x0f));
	size >>= 4;
	while (size) {
		out[n++] = c | 0x80;
		c = size & 0x7f;
		size >>= 7;
	}
	out[n++] = c;
	return n;
}

/* ---- compression workers ---- */

static void compress_job(struct compressor *c, struct job *j)
{
	size_t need = compressor_bound(c, j->len);
	if (need > j->out_cap) {
		free(j->out);
		j->out = xmalloc(need);
		j->out_cap = need;
	}
	j->out_len = compressor_compress(c, j->data, j->len, j->out, j->out_cap);
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

static int job_done(const struct job *j)
{
	return LOAD(j->state) == JOB_DONE;
}

/* Jobs finish out of order: the head and the wake-up job must be done. */
static int writer_can_go(const struct packwriter *pw)
{
	return job_done(&pw->jobs[LOAD(pw->head) % RING]) &&
		job_done(&pw->jobs[LOAD(pw->wake_at) % RING]);
}

/* Claim the next queued job, or NULL if there is none. */
static struct job *claim(struct packwriter *pw)
{
	uint64_t c = LOAD(pw->next_claim);
	while (c < LOAD(pw->tail))
		if (__atomic_compare_exchange_n(&pw->next_claim, &c, c + 1, 0,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return &pw->jobs[c % RING];
	return NULL;
}

/* Take one from a counter of sleepers, if any: 1 if taken. */
static int take_one(int *n)
{
	int v = LOAD(*n);
	while (v > 0)
		if (__atomic_compare_exchange_n(n, &v, v - 1, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return 1;
	return 0;
}

static void sem_wait_intr(sem_t *s)
{
	while (sem_wait(s) < 0 && errno == EINTR)
		;
}

/*
 * Sleeping: a worker counts itself idle, then looks for work once more;
 * whoever wants it awake takes it off the count and posts once.  A
 * worker that finds work after all takes itself off, or, if it was
 * taken already, consumes the post it was sent.
 */
static void *worker(void *arg)
{
	struct packwriter *pw = arg;
	struct compressor *c = compressor_new(pw->comp, pw->o.level);

	for (;;) {
		struct job *j = claim(pw);
		if (!j) {
			if (LOAD(pw->stop))
				break;
			__atomic_add_fetch(&pw->idle, 1, __ATOMIC_SEQ_CST);
			if ((LOAD(pw->next_claim) < LOAD(pw->tail) ||
			     LOAD(pw->stop)) && take_one(&pw->idle))
				continue;
			sem_wait_intr(&pw->work_sem);
			continue;
		}
		compress_job(c, j);
		STORE(j->state, JOB_DONE);
		/* marked done first, then look: see drain() */
		if (LOAD(pw->writer_waiting) && writer_can_go(pw) &&
		    take_one(&pw->writer_waiting))
			sem_post(&pw->done_sem);
	}
	compressor_free(c);
	return NULL;
}

/* ---- the pack file ---- */

static void remove_stale_tmpdirs(const char *objdir)
{
	DIR *d = opendir(objdir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		long pid;
		char path[PATH_MAX];
		if (sscanf(de->d_name, "pack-tmp-%ld-", &pid) != 1 || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", objdir, de->d_name);
		remove_tree(path);
	}
	closedir(d);
}

static void open_pack(struct packwriter *pw)
{
	static const uint8_t hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0 };
	char *objdir = repo_path(pw->repo, "objects");
	struct pack *p = &pw->cur;
	sigset_t oldmask;

	remove_stale_tmpdirs(objdir);
	snprintf(p->tmpdir, sizeof(p->tmpdir), "%s/pack-tmp-%ld-XXXXXX",
		 objdir, (long)getpid());
	free(objdir);
	/* directory, file and our note of them: one step for the signal
	 * handler */
	block_signals(&oldmask);
	if (!mkdtemp(p->tmpdir))
		die_errno("cannot create '%s'", p->tmpdir);
	snprintf(p->packpath, sizeof(p->packpath), "%s/pack", p->tmpdir);
	snprintf(p->idxpath, sizeof(p->idxpath), "%s/idx", p->tmpdir);
	p->fd = open(p->packpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (p->fd >= 0 && !pw->finishing)
		set_active(pw, 1);
	if (p->fd < 0) {
		int e = errno;
		rmdir(p->tmpdir);
		errno = e;
		die_errno("cannot create '%s'", p->packpath);
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	memcpy(pw->wbuf, hdr, sizeof(hdr));
	pw->wlen = sizeof(hdr);
	p->offset = sizeof(hdr);
	pw->written = pw->synced = 0;
	pw->outbytes = 0;
	p->nr = 0;
}

#define WRITEBACK_STEP (8 << 20)

/*
 * Start writeback of what is written so far, without waiting, so the
 * fdatasync() at the end of the pack waits for the last few MiB only
 * instead of the whole pack.
 */
static void start_writeback(struct packwriter *pw)
{
	if (pw->written - pw->synced < WRITEBACK_STEP)
		return;
	sync_file_range(pw->cur.fd, (off_t)pw->synced,
			(off_t)(pw->written - pw->synced), SYNC_FILE_RANGE_WRITE);
	pw->synced = pw->written;
}

static void write_out(struct packwriter *pw, const void *data, size_t len)
{
	if (write_in_full(pw->cur.fd, data, len) < 0)
		die_errno("cannot write '%s'", pw->cur.packpath);
	pw->written += len;
	start_writeback(pw);
}

static void flush_wbuf(struct packwriter *pw)
{
	if (pw->wlen)
		write_out(pw, pw->wbuf, pw->wlen);
	pw->wlen = 0;
}

static void append(struct packwriter *pw, const void *data, size_t len)
{
	if (pw->wlen + len > WBUF_SIZE)
		flush_wbuf(pw);
	if (len >= WBUF_SIZE) {
		write_out(pw, data, len);
		return;
	}
	memcpy(pw->wbuf + pw->wlen, data, len);
	pw->wlen += len;
}

/* Block SIGINT, SIGTERM and SIGHUP in this thread; the old mask to *old. */
void block_signals(sigset_t *old)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

#define HASH_WINDOW (8 << 20)

/* Record what failed, with the errno text; returns -1. */
static int fin_fail(struct packwriter *pw, const char *fmt, ...) PRINTF(2, 3);
static int fin_fail(struct packwriter *pw, const char *fmt, ...)
{
	va_list ap;
	pw->fin_errno = errno ? errno : EIO;
	buf_reset(&pw->fin_msg);
	va_start(ap, fmt);
	buf_vaddf(&pw->fin_msg, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The pack's trailer: the SHA-1 of everything before it, read back from
 * the page cache through 8 MiB mappings (no copy, and only one window
 * mapped at a time, so the pages do not count in our RSS), or read if it
 * cannot be mapped.
 */
static int hash_pack(struct packwriter *pw, struct pack *p, uint8_t *sha)
{
	struct sha1_ctx c;
	uint64_t pos = 0, end = p->offset;
	uint8_t *rb = NULL;

	sha1_init(&c);
	while (pos < end) {
		size_t n = end - pos > HASH_WINDOW ? HASH_WINDOW : (size_t)(end - pos);
		void *map = mmap(NULL, n, PROT_READ, MAP_SHARED, p->fd, (off_t)pos);
		if (map != MAP_FAILED) {
			madvise(map, n, MADV_SEQUENTIAL);
			sha1_update(&c, map, n);
			munmap(map, n);
			pos += n;
			continue;
		}
		if (!rb)
			rb = xmalloc(WBUF_SIZE);
		if (n > WBUF_SIZE)
			n = WBUF_SIZE;
		if (pread_in_full(p->fd, rb, n, (off_t)pos) < 0) {
			free(rb);
			sha1_release(&c);
			return fin_fail(pw, "cannot read back '%s'", p->packpath);
		}
		sha1_update(&c, rb, n);
		pos += n;
	}
	free(rb);
	sha1_final(&c, sha);
	return 0;
}

static void *sort_entries(void *arg)
{
	struct pack *p = arg;
	packidx_sort(p->ents, (uint32_t)p->nr);
	return NULL;
}

/*
 * Finish `pw->fin`: patch its object count, append the trailer, fsync,
 * write its idx, rename both into objects/pack (pack first), then, as
 * bup does after each pack, merge small idx files into a midx when they
 * pile up and add the new one to the bloom filter.  Runs on the finisher
 * thread or the caller's; touches nothing the writer uses meanwhile.
 * Returns 0, or -1 with the failure in fin_errno/fin_msg.
 */
static int install_pack(struct packwriter *pw)
{
	struct pack *p = &pw->fin;
	uint8_t cnt[4], sha[OID_RAWSZ];
	char hex[OID_HEXSZ + 1], final_pack[PATH_MAX], final_idx[PATH_MAX];
	pthread_t sorter;
	sigset_t oldmask;
	int sorting, ifd;

	cnt[0] = (uint8_t)(p->nr >> 24);
	cnt[1] = (uint8_t)(p->nr >> 16);
	cnt[2] = (uint8_t)(p->nr >> 8);
	cnt[3] = (uint8_t)p->nr;
	if (pwrite_in_full(p->fd, cnt, 4, 8) < 0)
		return fin_fail(pw, "cannot write '%s'", p->packpath);
	/*
	 * The trailer covers the patched header, so hash the file again;
	 * meanwhile another core sorts the idx entries.
	 */
	block_signals(&oldmask);
	sorting = !pthread_create(&sorter, NULL, sort_entries, p);
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	if (hash_pack(pw, p, sha) < 0) {
		if (sorting)
			pthread_join(sorter, NULL);
		return -1;
	}
	if (sorting)
		pthread_join(sorter, NULL);
	if (pwrite_in_full(p->fd, sha, OID_RAWSZ, (off_t)p->offset) < 0 ||
	    fdatasync(p->fd) < 0)
		return fin_fail(pw, "cannot write '%s'", p->packpath);
	close(p->fd);
	p->fd = -1;

	ifd = open(p->idxpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (ifd < 0)
		return fin_fail(pw, "cannot create '%s'", p->idxpath);
	if (packidx_write(ifd, p->ents, (uint32_t)p->nr, sha) < 0 ||
	    fdatasync(ifd) < 0) {
		int e = errno;
		close(ifd);
		errno = e;
		return fin_fail(pw, "cannot write '%s'", p->idxpath);
	}
	close(ifd);

	oid_to_hex((const struct oid *)sha, hex);
	snprintf(final_pack, sizeof(final_pack), "%s/pack-%s.pack", pw->packdir, hex);
	snprintf(final_idx, sizeof(final_idx), "%s/pack-%s.idx", pw->packdir, hex);
	atomic_store(&pw->fin_installing, 1);
	if (rename(p->packpath, final_pack) < 0) {
		/* nothing installed: the temporary files go as for any
		 * failed pack */
		atomic_store(&pw->fin_installing, 0);
		return fin_fail(pw, "cannot rename '%s' to '%s'", p->packpath, final_pack);
	}
	if (rename(p->idxpath, final_idx) < 0) {
		/*
		 * A pack without its idx is of no use and git counts it as
		 * garbage: take it back (no ref names its objects yet).
		 */
		int e = errno;
		if (rename(final_pack, p->packpath) < 0)
			unlink(final_pack);
		atomic_store(&pw->fin_installing, 0);
		errno = e;
		return fin_fail(pw, "cannot rename '%s' to '%s'", p->idxpath, final_idx);
	}
	rmdir(p->tmpdir);
	if (fsync_dir(pw->packdir) < 0)
		return fin_fail(pw, "cannot fsync '%s'", pw->packdir);
	debug1("bup: wrote pack-%s.pack (%zu objects)\n", hex, p->nr);
	/*
	 * The pack is installed whatever happens to these caches; a failure
	 * is reported (by them, one line) and counted, as bup counts a
	 * failed "bup midx --auto" or "bup bloom" among its errors.
	 */
	if (midx_maintain(pw->packdir, NULL, 1, 0, 0, 0) < 0 ||
	    bloom_maintain(pw->packdir, NULL, 0, 0) < 0)
		pw->upkeep_errors++;
	return 0;
}

static void *finisher_main(void *arg)
{
	struct packwriter *pw = arg;
	intptr_t r = install_pack(pw);
	post_fin_byte(pw);
	return (void *)r;
}

/* Wait for the finisher thread; its result. */
static intptr_t wait_finisher(struct packwriter *pw)
{
	void *ret;
	pthread_join(pw->finisher, &ret);
	await_fin_byte(pw);
	return (intptr_t)ret;
}

/*
 * Wait for the pack being finished: its objects are found through its
 * idx from now on.  Dies if finishing it failed.
 */
static void installed(struct packwriter *pw, intptr_t ret)
{
	pw->finishing = 0;
	if (ret < 0) {
		/* the half-finished pack goes; die() removes the open one */
		if (!atomic_load(&pw->fin_installing))
			remove_tmp(&pw->fin);
		errno = pw->fin_errno;
		die_errno("%s", pw->fin_msg.data);
	}
	if (pw->cur.fd < 0)
		set_active(pw, 0);
	pw->st.packs++;
	packlist_invalidate(&pw->repo->packs);
	oidset_clear(&pw->also_fin);
}

static void join_finisher(struct packwriter *pw)
{
	if (pw->finishing)
		installed(pw, wait_finisher(pw));
}

/*
 * Hand the open pack to the finisher.  With `wait` (the last pack), wait
 * for it: the objects are durable and installed when this returns.
 * SIGINT/SIGTERM/SIGHUP are held off while a pack is installed inline,
 * so they never leave a half-written midx or bloom temporary file; the
 * finisher thread never takes them.
 */
static void finish_pack(struct packwriter *pw, int wait)
{
	sigset_t oldmask;

	flush_wbuf(pw);
	join_finisher(pw);	/* one pack finishing at a time */
	/* the handover below is one step for the signal handler */
	block_signals(&oldmask);
	free(pw->fin.ents);
	pw->fin = pw->cur;
	pw->cur.fd = -1;
	pw->cur.ents = NULL;
	pw->cur.nr = pw->cur.alloc = 0;
	atomic_store(&pw->fin_installing, 0);
	/*
	 * The finished pack's objects stay known here until its idx is in
	 * place; the open pack starts with those still in flight.
	 */
	oidset_clear(&pw->also_fin);
	pw->also_fin = pw->also;
	memset(&pw->also, 0, sizeof(pw->also));
	for (uint64_t k = pw->head; k < pw->tail; k++)
		oidset_insert(&pw->also, &pw->jobs[k % RING].oid);

	pw->finishing = 1;
	if (wait || pthread_create(&pw->finisher, NULL, finisher_main, pw)) {
		intptr_t r = install_pack(pw);
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
		installed(pw, r);
		return;
	}
	pw->fin_thread = 1;
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
}

/* Append the oldest queued object (it must be done) to the pack. */
static void write_head(struct packwriter *pw)
{
	struct job *j = &pw->jobs[pw->head % RING];
	uint8_t hdr[16];
	size_t hlen;
	uint32_t crc;

	if (pw->cur.fd < 0)
		open_pack(pw);
	hlen = pack_object_header(hdr, j->type, j->len);
	crc = libdeflate_crc32(0, hdr, hlen);
	crc = libdeflate_crc32(crc, j->out, j->out_len);
	append(pw, hdr, hlen);
	append(pw, j->out, j->out_len);
	ALLOC_GROW(pw->cur.ents, pw->cur.nr + 1, pw->cur.alloc);
	pw->cur.ents[pw->cur.nr].oid = j->oid;
	pw->cur.ents[pw->cur.nr].crc = crc;
	pw->cur.ents[pw->cur.nr].offset = pw->cur.offset;
	pw->cur.nr++;
	pw->cur.offset += hlen + j->out_len;
	pw->outbytes += hlen + j->out_len;
	pw->st.objects_written++;
	pw->st.bytes_in += j->len;
	pw->st.bytes_out += hlen + j->out_len;
	STORE(j->state, JOB_FREE);
	STORE(pw->head, pw->head + 1);
	if (pw->outbytes >= pw->max_size || pw->cur.nr >= pw->max_objects)
		finish_pack(pw, 0);
}

/* Wake the sleeping workers if there are queued jobs (`all`: every one). */
static void wake_workers(struct packwriter *pw, int all)
{
	/* no more than there are unclaimed jobs: a worker woken for
	 * nothing would count itself idle again at once */
	uint64_t unclaimed = pw->tail - LOAD(pw->next_claim);
	uint64_t n = all ? (uint64_t)pw->nthreads : 1;

	pw->pending_bytes = 0;
	if (n > unclaimed)
		n = unclaimed;
	while (n-- && take_one(&pw->idle))
		sem_post(&pw->work_sem);
}

/*
 * Write every finished object at the head; with `all`, wait for all,
 * else wait only when the ring is full.
 */
static void drain(struct packwriter *pw, int all)
{
	uint64_t tail = pw->tail;	/* only this thread changes it */
	uint64_t wake_at;

	while (pw->head < tail) {
		if (job_done(&pw->jobs[pw->head % RING])) {
			write_head(pw);
			continue;
		}
		if (!all && tail - pw->head < RING)
			break;
		wake_workers(pw, 1);
		wake_at = pw->head + (all ? 0 : RING / 4);
		STORE(pw->wake_at, wake_at < tail ? wake_at : tail - 1);
		/* waiting first, then look: a worker marks a job done
		 * first, then looks at writer_waiting; the one that takes
		 * it posts.  Done jobs stay done, so after the post we can go. */
		STORE(pw->writer_waiting, 1);
		if (!writer_can_go(pw) || !take_one(&pw->writer_waiting))
			sem_wait_intr(&pw->done_sem);
	}
}

/* ---- public ---- */

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

struct packwriter *packwriter_new(struct repo *repo,
				  const struct packwriter_opts *opts)
{
	struct packwriter *pw = xcalloc(1, sizeof(*pw));
	struct buf v = BUF_INIT;
	sigset_t oldmask;
	int64_t n;

	pw->repo = repo;
	pw->o = *opts;
	pw->cur.fd = pw->fin.fd = -1;
	pw->fin_pipe[0] = pw->fin_pipe[1] = -1;
	buf_init(&pw->fin_msg, 0);
	for (int i = 0; i < RING; i++)
		buf_init(&pw->jobs[i].in, 0);
	if (pw->o.level < 0)
		pw->o.level = 1;
	if (pw->o.level > 9)
		pw->o.level = 9;
	pw->comp = COMPRESSOR_LIBDEFLATE;
	if (pw->o.noop)
		return pw;
	if (!repo)
		BUG("packwriter without a repository");

	if (repo_config_str(repo, "bup.packCompressor", &v)) {
		if (!strcmp(v.data, "zlib"))
			pw->comp = COMPRESSOR_ZLIB;
		else if (strcmp(v.data, "libdeflate"))
			die("bad config value '%s' for bup.packCompressor in '%s/config' (want zlib or libdeflate)",
			    v.data, repo->path);
	}
	buf_release(&v);
	pw->max_size = 1000 * 1000 * 1000;
	if (pw->o.max_pack_size > 0)
		pw->max_size = (uint64_t)pw->o.max_pack_size;
	else if (repo_config_int(repo, "pack.packSizeLimit", &n) && n > 0)
		pw->max_size = (uint64_t)n;
	pw->max_objects = pw->o.max_pack_objects > 0 ?
		(uint64_t)pw->o.max_pack_objects :
		(pw->max_size / 5000 ? pw->max_size / 5000 : 1);

	pw->packdir = repo_path(repo, "objects/pack");
	if (pipe2(pw->fin_pipe, O_CLOEXEC) < 0)
		die_errno("cannot create a pipe");
	pw->wbuf = xmalloc(WBUF_SIZE);
	if (sem_init(&pw->work_sem, 0, 0) < 0 || sem_init(&pw->done_sem, 0, 0) < 0)
		die_errno("cannot create a semaphore");
	pw->nthreads = pw->o.threads > 0 ? pw->o.threads : ncpus();
	pw->threads = xcalloc((size_t)pw->nthreads, sizeof(*pw->threads));
	/* Workers never take SIGINT/SIGTERM/SIGHUP: the main thread does,
	 * when it is not in the middle of finishing a pack. */
	block_signals(&oldmask);
	for (int i = 0; i < pw->nthreads; i++)
		if (pthread_create(&pw->threads[i], NULL, worker, pw))
			die("cannot start a compression thread");
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	return pw;
}

int packwriter_exists(struct packwriter *pw, const struct oid *oid)
{
	if (oidset_contains(&pw->also, oid) ||
	    oidset_contains(&pw->also_fin, oid))
		return 1;
	return pw->repo && packlist_exists(&pw->repo->packs, oid);
}

void packwriter_write(struct packwriter *pw, enum obj_type type,
		      const void *data, size_t len, struct oid *out)
{
	oid_for_object(out, type, data, len);
	packwriter_add(pw, type, data, len, out);
}

static void queue(struct packwriter *pw, enum obj_type type, const void *data,
		  size_t len, const struct oid *id, int borrow)
{
	struct job *j;

	if (pw->o.noop)
		return;
	if (packwriter_exists(pw, id)) {
		pw->st.objects_skipped++;
		return;
	}
	oidset_insert(&pw->also, id);
	if (pw->tail - pw->head == RING)
		drain(pw, 0);
	/* Slots at tail and beyond are not touched by the workers. */
	j = &pw->jobs[pw->tail % RING];
	j->type = type;
	j->oid = *id;
	j->len = len;
	if (borrow) {
		j->data = data;
	} else {
		buf_reset(&j->in);
		buf_add(&j->in, data, len);
		j->data = (const uint8_t *)j->in.data;
	}
	STORE(j->state, JOB_QUEUED);
	STORE(pw->tail, pw->tail + 1);	/* publishes the job */
	pw->pending_bytes += len;
	if (LOAD(pw->idle)) {
		uint64_t queued = pw->tail - LOAD(pw->next_claim);
		if (queued >= WAKE_JOBS || pw->pending_bytes >= WAKE_BYTES)
			wake_workers(pw, queued >= 2 * WAKE_JOBS);
	}
	drain(pw, 0);
}

void packwriter_add(struct packwriter *pw, enum obj_type type,
		    const void *data, size_t len, const struct oid *id)
{
	queue(pw, type, data, len, id, 0);
}

void packwriter_add_borrowed(struct packwriter *pw, enum obj_type type,
			     const void *data, size_t len, const struct oid *id)
{
	queue(pw, type, data, len, id, 1);
}

void packwriter_return_borrowed(struct packwriter *pw)
{
	if (!pw->o.noop)
		drain(pw, 1);
}

static void stop_threads(struct packwriter *pw)
{
	if (!pw->threads)
		return;
	STORE(pw->stop, 1);
	while (take_one(&pw->idle))
		sem_post(&pw->work_sem);
	for (int i = 0; i < pw->nthreads; i++)
		pthread_join(pw->threads[i], NULL);
	free(pw->threads);
	pw->threads = NULL;
}

static void free_writer(struct packwriter *pw)
{
	for (int i = 0; i < RING; i++) {
		buf_release(&pw->jobs[i].in);
		free(pw->jobs[i].out);
	}
	if (!pw->o.noop) {
		sem_destroy(&pw->work_sem);
		sem_destroy(&pw->done_sem);
	}
	oidset_clear(&pw->also);
	oidset_clear(&pw->also_fin);
	free(pw->cur.ents);
	free(pw->fin.ents);
	buf_release(&pw->fin_msg);
	for (int i = 0; i < 2; i++)
		if (pw->fin_pipe[i] >= 0)
			close(pw->fin_pipe[i]);
	free(pw->wbuf);
	free(pw->packdir);
	free(pw);
}

int packwriter_close(struct packwriter *pw)
{
	int errors;

	if (!pw)
		return 0;
	if (!pw->o.noop) {
		drain(pw, 1);
		stop_threads(pw);
		if (pw->cur.fd >= 0)
			finish_pack(pw, 1);
		join_finisher(pw);
	}
	errors = pw->upkeep_errors;
	free_writer(pw);
	return errors;
}

void packwriter_abort(struct packwriter *pw)
{
	if (!pw)
		return;
	stop_threads(pw);
	if (pw->finishing) {
		/* a complete pack: let it be installed, it harms nothing */
		wait_finisher(pw);
		pw->finishing = 0;
	}
	if (pw->cur.fd >= 0) {
		close(pw->cur.fd);
		remove_tmp(&pw->cur);
		pw->cur.fd = -1;
	}
	set_active(pw, 0);
	free_writer(pw);
}

void packwriter_stats(const struct packwriter *pw, struct packwriter_stats *st)
{
	*st = pw->st;
}
