/*
 * oidset: an in-memory set of object ids (open addressing; the ids are
 * already uniformly random, so their first bytes are the hash).
 */
#ifndef BUP_OIDSET_H
#define BUP_OIDSET_H

#include <stddef.h>

#include "oid.h"

struct oidset {
	struct oid *slots;
	unsigned char *used;
	size_t nr, cap;		/* cap is a power of two, or 0 */
};

#define OIDSET_INIT { NULL, NULL, 0, 0 }

/* 1 if added, 0 if it was already there. */
int oidset_insert(struct oidset *s, const struct oid *o);
int oidset_contains(const struct oidset *s, const struct oid *o);
void oidset_clear(struct oidset *s);

#endif
