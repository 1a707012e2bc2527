#include "oidset.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const struct oid *o, size_t cap)
{
	size_t h;
	memcpy(&h, o->hash, sizeof(h));
	return h & (cap - 1);
}

static void rehash(struct oidset *s, size_t cap)
{
	struct oid *old = s->slots;
	unsigned char *oldused = s->used;
	size_t oldcap = s->cap;

	s->slots = xmalloc(st_mult(cap, sizeof(*s->slots)));
	s->used = xcalloc(cap, 1);
	s->cap = cap;
	for (size_t i = 0; i < oldcap; i++) {
		if (!oldused[i])
			continue;
		size_t j = slot_of(&old[i], cap);
		while (s->used[j])
			j = (j + 1) & (cap - 1);
		s->slots[j] = old[i];
		s->used[j] = 1;
	}
	free(old);
	free(oldused);
}

int oidset_contains(const struct oidset *s, const struct oid *o)
{
	if (!s->cap)
		return 0;
	for (size_t j = slot_of(o, s->cap); s->used[j]; j = (j + 1) & (s->cap - 1))
		if (oid_eq(&s->slots[j], o))
			return 1;
	return 0;
}

int oidset_insert(struct oidset *s, const struct oid *o)
{
	size_t j;
	if ((s->nr + 1) * 2 > s->cap)
		rehash(s, s->cap ? s->cap * 2 : 1024);
	for (j = slot_of(o, s->cap); s->used[j]; j = (j + 1) & (s->cap - 1))
		if (oid_eq(&s->slots[j], o))
			return 0;
	s->slots[j] = *o;
	s->used[j] = 1;
	s->nr++;
	return 1;
}

void oidset_clear(struct oidset *s)
{
	free(s->slots);
	free(s->used);
	memset(s, 0, sizeof(*s));
}
