/* savereader: a read-ahead thread for the files of a save. */
#include "savereader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bupindex.h"
#include "hashsplit.h"
#include "packwriter.h"
#include "usage.h"

#define QUEUE_LIMIT (16u << 20)
#define QUEUE_MAX_PIECES 4096

/* What a queued piece costs in memory, roughly. */
static size_t piece_cost(const struct sr_piece *p)
{
	return p->cap + sizeof(*p) + strlen(p->path) + 1 +
		p->alloc * sizeof(*p->chunks) + 64;
}

struct savereader {
	savereader_plan_fn plan;
	void *ctx;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sr_piece *head, *tail;
	size_t queued;		/* bytes held by the queue */
	size_t nr_queued;
	int consumer_waits, producer_waits;	/* threads in a wait */
	int done, stop;
};

void sr_piece_free(struct sr_piece *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->data);
	free(p->chunks);
	free(p);
}

static int record(void *ctx, const uint8_t *data, size_t len, int level)
{
	struct sr_piece *p = ctx;
	struct sr_chunk *c;
	ALLOC_GROW(p->chunks, p->nr + 1, p->alloc);
	c = &p->chunks[p->nr++];
	c->ofs = (size_t)(data - p->data);
	c->len = (uint32_t)len;
	c->level = level;
	oid_for_object(&c->id, OBJ_BLOB, data, len);
	return 0;
}

static struct sr_piece *new_piece(const char *path, size_t cap)
{
	struct sr_piece *p = xcalloc(1, sizeof(*p));
	p->path = xstrdup(path);
	p->cap = cap ? cap : 1;
	p->data = xmalloc(p->cap);
	return p;
}

/* bup's open_noatime; O_NONBLOCK so a file turned fifo cannot hang us. */
static int open_file(const char *path)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_LARGEFILE | O_NONBLOCK | O_CLOEXEC;
	int fd = open(path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, flags);
	/* O_NONBLOCK stays: reads of regular files ignore it */
	return fd;
}

/*
 * One 8 MiB block (or up to EOF) appended after `have` carried bytes,
 * growing the piece's buffer as data comes.  Returns the bytes read or -1.
 */
static ssize_t read_block(int fd, struct sr_piece *p, size_t have)
{
	size_t got = 0;
	for (;;) {
		ssize_t n;
		size_t room;
		if (have + got == p->cap) {
			size_t want = p->cap * 2;
			if (want > have + HASHSPLIT_READ_SIZE)
				want = have + HASHSPLIT_READ_SIZE;
			if (want == p->cap)
				return (ssize_t)got;
			p->data = xrealloc(p->data, want);
			p->cap = want;
		}
		room = p->cap - have - got;
		if (room > HASHSPLIT_READ_SIZE - got)
			room = HASHSPLIT_READ_SIZE - got;
		n = read(fd, p->data + have + got, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return (ssize_t)got;
		got += (size_t)n;
		if (got == HASHSPLIT_READ_SIZE)
			return (ssize_t)got;
	}
}

/* Read one file into pieces, handing each to got(). */
static void sr_read_file(const char *path, int fanbits,
		      int (*got)(void *ctx, struct sr_piece *p), void *ctx)
{
	struct sr_piece *p;
	struct stat st;
	uint64_t left = 0;
	const uint8_t *carry = NULL;
	size_t carry_len = 0;
	struct sr_piece *prev = NULL;
	int fd = open_file(path);

	if (fd < 0) {
		p = new_piece(path, 1);
		p->last = 1;
		p->err = errno;
		p->open_failed = 1;
		got(ctx, p);
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		left = (uint64_t)st.st_size;
	if (left > HASHSPLIT_READ_SIZE)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		size_t cap = carry_len + (left + 1 < HASHSPLIT_READ_SIZE ?
					  (size_t)left + 1 : HASHSPLIT_READ_SIZE);
		ssize_t n;
		size_t rest, len;

		p = new_piece(path, cap);
		if (carry_len)
			memcpy(p->data, carry, carry_len);
		sr_piece_free(prev);	/* carry pointed into it */
		prev = NULL;
		n = read_block(fd, p, carry_len);
		if (n < 0) {
			p->err = errno ? errno : EIO;
			p->nr = 0;
			p->last = 1;
			got(ctx, p);
			break;
		}
		len = carry_len + (size_t)n;
		left = left > (uint64_t)n ? left - (uint64_t)n : 0;
		if (n == 0) {
			if (len)
				record(p, p->data, len, 0);
			p->last = 1;
			got(ctx, p);
			break;
		}
		hashsplit_cut(p->data, len, fanbits, record, p, &rest);
		if ((size_t)n < HASHSPLIT_READ_SIZE) {
			if (len > rest)
				record(p, p->data + rest, len - rest, 0);
			p->last = 1;
			got(ctx, p);
			break;
		}
		/* a full block: the remainder waits for the next one */
		carry_len = len - rest;
		if (carry_len) {
			/* keep a copy: the piece goes to the consumer */
			prev = new_piece(path, carry_len);
			memcpy(prev->data, p->data + rest, carry_len);
			carry = prev->data;
		} else {
			carry = NULL;
		}
		if (got(ctx, p) < 0) {
			sr_piece_free(prev);
			prev = NULL;
			break;
		}
	}
	sr_piece_free(prev);
	close(fd);
}

static int enqueue(void *ctx, struct sr_piece *p)
{
	struct savereader *r = ctx;
	pthread_mutex_lock(&r->mu);
	while (!r->stop && r->head && (r->queued + piece_cost(p) > QUEUE_LIMIT ||
					r->nr_queued >= QUEUE_MAX_PIECES)) {
		r->producer_waits++;
		pthread_cond_wait(&r->cv, &r->mu);
		r->producer_waits--;
	}
	if (r->stop) {
		pthread_mutex_unlock(&r->mu);
		sr_piece_free(p);
		return -1;
	}
	p->next = NULL;
	if (r->tail)
		r->tail->next = p;
	else
		r->head = p;
	r->tail = p;
	r->queued += piece_cost(p);
	r->nr_queued++;
	/* wake the consumer only if it waits (one wake per piece is costly) */
	if (r->consumer_waits)
		pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

static void *reader_main(void *arg)
{
	struct savereader *r = arg;
	struct buf path = BUF_INIT;
	int fanbits = hashsplit_fanbits(0);

	for (;;) {
		int stop;
		pthread_mutex_lock(&r->mu);
		stop = r->stop;
		pthread_mutex_unlock(&r->mu);
		if (stop || !r->plan(r->ctx, &path))
			break;
		sr_read_file(path.data, fanbits, enqueue, r);
	}
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	buf_release(&path);
	return NULL;
}

struct savereader *savereader_start(savereader_plan_fn plan, void *ctx)
{
	struct savereader *r = xcalloc(1, sizeof(*r));
	r->plan = plan;
	r->ctx = ctx;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	{
		sigset_t old;
		block_signals(&old);	/* signals go to the main thread */
		if (pthread_create(&r->th, NULL, reader_main, r))
			die("cannot start the reader thread");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	return r;
}

static struct sr_piece *pop_locked(struct savereader *r)
{
	struct sr_piece *p = r->head;
	r->head = p->next;
	if (!r->head)
		r->tail = NULL;
	r->queued -= piece_cost(p);
	r->nr_queued--;
	p->next = NULL;
	/* the producer waits for a quarter of the queue to drain */
	if (r->producer_waits && (r->nr_queued < QUEUE_MAX_PIECES * 3 / 4 &&
				  r->queued < QUEUE_LIMIT * 3 / 4))
		pthread_cond_broadcast(&r->cv);
	return p;
}

struct sr_piece *savereader_take(struct savereader *r, const char *path)
{
	size_t plen = strlen(path);
	struct sr_piece *p = NULL;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		int c;
		if (!r->head) {
			if (r->done)
				break;
			r->consumer_waits++;
			pthread_cond_wait(&r->cv, &r->mu);
			r->consumer_waits--;
			continue;
		}
		c = bytescmp(r->head->path, strlen(r->head->path), path, plen);
		if (c > 0) {
			/* the walk passed it without reading it */
			sr_piece_free(pop_locked(r));
			continue;
		}
		if (c == 0)
			p = pop_locked(r);
		break;
	}
	pthread_mutex_unlock(&r->mu);
	return p;
}

struct sr_piece *savereader_next(struct savereader *r)
{
	struct sr_piece *p;
	pthread_mutex_lock(&r->mu);
	while (!r->head) {
		r->consumer_waits++;
		pthread_cond_wait(&r->cv, &r->mu);
		r->consumer_waits--;
	}
	p = pop_locked(r);
	pthread_mutex_unlock(&r->mu);
	return p;
}

void savereader_finish(struct savereader *r)
{
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->th, NULL);
	while (r->head)
		sr_piece_free(pop_locked(r));
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

struct direct {
	void (*got)(void *ctx, struct sr_piece *p);
	void *ctx;
};

static int direct_got(void *ctx, struct sr_piece *p)
{
	struct direct *d = ctx;
	d->got(d->ctx, p);
	return 0;
}

void savereader_read(const char *path,
		     void (*got)(void *ctx, struct sr_piece *p), void *ctx)
{
	struct direct d = { got, ctx };
	sr_read_file(path, hashsplit_fanbits(0), direct_got, &d);
}
