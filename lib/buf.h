/*
 * buf: the one growable byte buffer.
 *
 * Invariants (as git's strbuf): `data` is never NULL and is always
 * NUL-terminated at data[len]; `alloc` is private.  A buffer starts as
 * BUF_INIT, is emptied with buf_reset() and freed with buf_release();
 * buf_detach() hands the memory to the caller, who frees it.
 * Allocation failure dies (xmalloc); sizes are overflow-checked.
 */
#ifndef BUP_BUF_H
#define BUP_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	size_t alloc;
	size_t len;
	char *data;
};

extern char buf_empty[];
#define BUF_INIT { 0, 0, buf_empty }

void buf_init(struct buf *b, size_t hint);
void buf_release(struct buf *b);
char *buf_detach(struct buf *b, size_t *len);
void buf_grow(struct buf *b, size_t extra);
void buf_setlen(struct buf *b, size_t len);
static inline void buf_reset(struct buf *b) { buf_setlen(b, 0); }
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Remove `n` bytes from the front. */
void buf_consume(struct buf *b, size_t n);

/* Overflow-checked size arithmetic; dies on overflow. */
size_t st_add(size_t a, size_t b);
size_t st_mult(size_t a, size_t b);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/*
 * qsort() of n elements of base's type; with fewer than two it does
 * nothing (qsort may not be given a NULL base, even with none).
 */
#define QSORT(base, n, cmp) sort_array((base), (n), sizeof(*(base)), (cmp))
void sort_array(void *base, size_t n, size_t size,
		int (*cmp)(const void *, const void *));
/* Grow an array `p` of `nr` used elements to hold at least `need`. */
#define ALLOC_GROW(p, need, alloc) do { \
	if ((need) > (alloc)) { \
		size_t a_ = (alloc) < 16 ? 16 : (alloc); \
		while (a_ < (need)) a_ = st_mult(a_, 2); \
		(p) = xrealloc((p), st_mult(a_, sizeof(*(p)))); \
		(alloc) = a_; \
	} \
} while (0)

#endif
