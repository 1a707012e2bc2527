#include "chunkreader.h"
#include "buf.h"
#include "packwriter.h"
#include "usage.h"
#include "xio.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NR_BATCHES 3
#define BATCH_SIZE (HASHSPLIT_READ_SIZE + HASHSPLIT_BLOB_MAX)

enum { ID_TODO, ID_CLAIMED, ID_DONE };

struct chunk {
	uint32_t ofs, len;
	int level;
	atomic_int id_state;	/* who computes the blob id: first to claim */
};

struct batch {
	uint8_t *buf;
	struct chunk *chunks;
	struct oid *ids;	/* with want_ids: one per chunk */
	size_t nr, alloc, ids_alloc;
	int err;		/* errno of a failed read, or 0 */
	size_t file;		/* which file failed */
	int last;		/* no batch follows */
	struct batch *next;	/* in the ready queue */
};

struct reader {
	const int *fds;
	const char *const *names;
	size_t nr_files;
	int fanbits, keep_boundaries, want_ids;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch batches[NR_BATCHES];
	struct batch *free_list[NR_BATCHES];
	int nr_free;
	struct batch *ready_head, *ready_tail;
	struct batch *consuming;	/* dequeued, not yet given back */
	int stop;
};

static int record_chunk(void *ctx, const uint8_t *data, size_t len, int level)
{
	struct batch *b = ctx;
	ALLOC_GROW(b->chunks, b->nr + 1, b->alloc);
	b->chunks[b->nr].ofs = (uint32_t)(data - b->buf);
	b->chunks[b->nr].len = (uint32_t)len;
	b->chunks[b->nr].level = level;
	atomic_init(&b->chunks[b->nr].id_state, ID_TODO);
	b->nr++;
	return 0;
}

/*
 * The blob ids are computed by the consumer as it stores the chunks, and
 * by the reader when it is ahead (every batch is full or queued): then it
 * hashes queued chunks from the back until the two meet.  Whoever claims
 * a chunk first hashes it, so neither thread idles while the other has
 * work, and reading and cutting stay ahead of the consumer.
 */
static int claim_id(struct chunk *c)
{
	int todo = ID_TODO;
	return atomic_compare_exchange_strong(&c->id_state, &todo, ID_CLAIMED);
}

static void compute_id(struct batch *b, size_t i)
{
	oid_for_object(&b->ids[i], OBJ_BLOB, b->buf + b->chunks[i].ofs,
		       b->chunks[i].len);
	atomic_store_explicit(&b->chunks[i].id_state, ID_DONE,
			      memory_order_release);
}

/*
 * The consumer never waits for the reader: if the reader is hashing this
 * chunk right now, the consumer hashes it too, into `mine`.
 */
static const struct oid *get_id(struct batch *b, size_t i, struct oid *mine)
{
	if (claim_id(&b->chunks[i])) {
		compute_id(b, i);
		return &b->ids[i];
	}
	if (atomic_load_explicit(&b->chunks[i].id_state,
				 memory_order_acquire) == ID_DONE)
		return &b->ids[i];
	oid_for_object(mine, OBJ_BLOB, b->buf + b->chunks[i].ofs,
		       b->chunks[i].len);
	return mine;
}

/* Hash unclaimed chunks of `b` from the back; did we claim any? */
static int help_hash(struct batch *b)
{
	int did = 0;
	for (size_t i = b->nr; i-- > 0 && claim_id(&b->chunks[i]);) {
		compute_id(b, i);
		did = 1;
	}
	return did;
}

static struct batch *take_free(struct reader *r)
{
	struct batch *b = NULL;
	pthread_mutex_lock(&r->mu);
	while (!r->nr_free && !r->stop) {
		/* Ahead of the consumer: help it with the ids instead. */
		int did = 0;
		if (r->want_ids) {
			struct batch *q[NR_BATCHES + 1];
			int n = 0;
			if (r->consuming)
				q[n++] = r->consuming;
			for (struct batch *x = r->ready_head; x && n <= NR_BATCHES; x = x->next)
				q[n++] = x;
			pthread_mutex_unlock(&r->mu);
			for (int k = n; k-- > 0;)
				did |= help_hash(q[k]);
			pthread_mutex_lock(&r->mu);
		}
		if (!did && !r->nr_free && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
	}
	if (!r->stop)
		b = r->free_list[--r->nr_free];
	pthread_mutex_unlock(&r->mu);
	if (b) {
		b->nr = 0;
		b->err = 0;
		b->last = 0;
		b->next = NULL;
	}
	return b;
}

static void put_ready(struct reader *r, struct batch *b)
{
	if (r->want_ids)
		ALLOC_GROW(b->ids, b->nr, b->ids_alloc);
	pthread_mutex_lock(&r->mu);
	if (r->ready_tail)
		r->ready_tail->next = b;
	else
		r->ready_head = b;
	r->ready_tail = b;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}


static void give_back(struct reader *r, struct batch *b)
{
	pthread_mutex_lock(&r->mu);
	r->consuming = NULL;
	r->free_list[r->nr_free++] = b;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* The reader thread: the same reads and cuts as hashsplit_read_fd(). */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	const uint8_t *left = NULL;	/* unconsumed tail of the last batch */
	size_t left_len = 0;
	struct batch *b;

	for (size_t f = 0; f < r->nr_files; f++) {
		for (;;) {
			ssize_t n;
			size_t rest, len;
			if (!(b = take_free(r)))
				return NULL;
			/* b may be the batch `left` points into: memmove */
			if (left_len)
				memmove(b->buf, left, left_len);
			n = read_in_full(r->fds[f], b->buf + left_len,
					 HASHSPLIT_READ_SIZE);
			if (n < 0) {
				b->err = errno ? errno : EIO;
				b->file = f;
				b->last = 1;
				put_ready(r, b);
				return NULL;
			}
			if (n == 0) {
				give_back(r, b);
				left = left_len ? b->buf : NULL;
				break;
			}
			len = left_len + (size_t)n;
			hashsplit_cut(b->buf, len, r->fanbits, record_chunk, b, &rest);
			left = b->buf + rest;
			left_len = len - rest;
			if ((size_t)n < HASHSPLIT_READ_SIZE) {
				if (r->keep_boundaries && left_len) {
					record_chunk(b, left, left_len, 0);
					left_len = 0;
				}
				put_ready(r, b);
				break;
			}
			put_ready(r, b);
		}
		if (r->keep_boundaries && left_len) {
			/* the file ended on a full block: its tail alone */
			if (!(b = take_free(r)))
				return NULL;
			memmove(b->buf, left, left_len);
			record_chunk(b, b->buf, left_len, 0);
			left_len = 0;
			put_ready(r, b);
		}
	}
	if (!(b = take_free(r)))
		return NULL;
	if (left_len) {
		memmove(b->buf, left, left_len);
		record_chunk(b, b->buf, left_len, 0);
	}
	b->last = 1;
	put_ready(r, b);
	return NULL;
}

int chunkreader_run(const int *fds, const char *const *names, size_t nr,
		    unsigned fanout, int keep_boundaries, int want_ids,
		    chunkreader_emit_fn emit, chunkreader_done_fn done,
		    void *ctx)
{
	struct reader r;
	pthread_t th;
	int ret = 0;

	memset(&r, 0, sizeof(r));
	r.fds = fds;
	r.names = names;
	r.nr_files = nr;
	r.fanbits = hashsplit_fanbits(fanout);
	r.keep_boundaries = keep_boundaries;
	r.want_ids = want_ids;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (int i = 0; i < NR_BATCHES; i++) {
		r.batches[i].buf = xmalloc(BATCH_SIZE);
		r.free_list[r.nr_free++] = &r.batches[i];
	}
	{
		sigset_t old;
		block_signals(&old);	/* signals go to the main thread */
		if (pthread_create(&th, NULL, reader_main, &r))
			die("cannot start the reader thread");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}

	for (;;) {
		struct batch *b;
		struct oid mine;
		pthread_mutex_lock(&r.mu);
		while (!r.ready_head)
			pthread_cond_wait(&r.cv, &r.mu);
		b = r.ready_head;
		r.ready_head = b->next;
		if (!r.ready_head)
			r.ready_tail = NULL;
		r.consuming = b;
		pthread_mutex_unlock(&r.mu);

		for (size_t i = 0; i < b->nr && !ret; i++)
			ret = emit(ctx, b->buf + b->chunks[i].ofs,
				   b->chunks[i].len, b->chunks[i].level,
				   want_ids ? get_id(b, i, &mine) : NULL);
		if (done)
			done(ctx);
		if (!ret && b->err) {
			errno = b->err;
			ret = error_errno("cannot read '%s'", names[b->file]);
		}
		int last = b->last;
		give_back(&r, b);
		if (last || ret)
			break;
	}
	pthread_mutex_lock(&r.mu);
	r.stop = 1;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	pthread_join(th, NULL);
	for (int i = 0; i < NR_BATCHES; i++) {
		free(r.batches[i].buf);
		free(r.batches[i].chunks);
		free(r.batches[i].ids);
	}
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return ret;
}
