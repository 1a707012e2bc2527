/* hlinkdb: bupindex.hlink, a Python protocol-2 pickle (FORMATS-2 §3.6). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/hlinkdb.h"
#include "lib/usage.h"

/* A string -> index map (open addressing, tombstones). */
struct hslot {
	char *key;	/* NULL: empty; (char *)1: deleted */
	long val;
};
struct hmap {
	struct hslot *s;
	size_t cap, used;
};
#define TOMB ((char *)1)

static uint64_t hstr(const char *k)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *k; k++) {
		h ^= (uint8_t)*k;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct hslot *hfind(struct hmap *m, const char *k, int for_insert)
{
	size_t i;
	struct hslot *tomb = NULL;
	if (!m->cap)
		return NULL;
	i = hstr(k) & (m->cap - 1);
	for (;;) {
		struct hslot *s = &m->s[i];
		if (!s->key)
			return for_insert ? (tomb ? tomb : s) : NULL;
		if (s->key == TOMB) {
			if (!tomb)
				tomb = s;
		} else if (!strcmp(s->key, k)) {
			return s;
		}
		i = (i + 1) & (m->cap - 1);
	}
}

static void hput(struct hmap *m, const char *k, long v)
{
	struct hslot *s;
	if ((m->used + 1) * 2 > m->cap) {
		struct hslot *old = m->s;
		size_t oldcap = m->cap;
		m->cap = m->cap ? m->cap * 2 : 64;
		m->s = xcalloc(m->cap, sizeof(*m->s));
		m->used = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].key && old[i].key != TOMB) {
				*hfind(m, old[i].key, 1) = old[i];
				m->used++;
			}
		free(old);
	}
	s = hfind(m, k, 1);
	if (s->key && s->key != TOMB) {
		s->val = v;
		return;
	}
	if (!s->key)
		m->used++;
	s->key = xstrdup(k);
	s->val = v;
}

static long hget(struct hmap *m, const char *k)
{
	struct hslot *s = hfind(m, k, 0);
	return s ? s->val : -1;
}

static void hdel(struct hmap *m, const char *k)
{
	struct hslot *s = hfind(m, k, 0);
	if (s) {
		free(s->key);
		s->key = TOMB;
	}
}

static void hfree(struct hmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		if (m->s[i].key && m->s[i].key != TOMB)
			free(m->s[i].key);
	free(m->s);
	free(m);
}

void hlinkdb_init(struct hlinkdb *h)
{
	memset(h, 0, sizeof(*h));
	h->by_key = xcalloc(1, sizeof(struct hmap));
	h->by_path = xcalloc(1, sizeof(struct hmap));
	h->af.fd = -1;
}

static long new_node(struct hlinkdb *h, const char *key)
{
	struct hlink_node *n;
	ALLOC_GROW(h->nodes, h->nr + 1, h->alloc);
	n = &h->nodes[h->nr];
	memset(n, 0, sizeof(*n));
	n->key = xstrdup(key);
	hput(h->by_key, key, (long)h->nr);
	h->live++;
	return (long)h->nr++;
}

static void kill_node(struct hlinkdb *h, long i)
{
	struct hlink_node *n = &h->nodes[i];
	hdel(h->by_key, n->key);
	strlist_clear(&n->paths);
	n->dead = 1;
	h->live--;
}

void hlinkdb_add_path(struct hlinkdb *h, const char *path, uint64_t dev,
		      uint64_t ino)
{
	char key[64];
	long i;
	snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)dev,
		 (unsigned long long)ino);
	i = hget(h->by_key, key);
	if (i >= 0 && h->nodes[i].paths.nr && !strlist_has(&h->nodes[i].paths, path)) {
		strlist_add(&h->nodes[i].paths, path);
	} else {
		if (i < 0)
			i = new_node(h, key);
		strlist_clear(&h->nodes[i].paths);
		strlist_add(&h->nodes[i].paths, path);
	}
	hput(h->by_path, path, i);
}

void hlinkdb_del_path(struct hlinkdb *h, const char *path)
{
	long i = hget(h->by_path, path);
	struct strlist *l;
	size_t j;
	if (i < 0 || h->nodes[i].dead)
		return;
	l = &h->nodes[i].paths;
	for (j = 0; j < l->nr; j++)
		if (!strcmp(l->items[j], path))
			break;
	if (j < l->nr) {
		free(l->items[j]);
		memmove(l->items + j, l->items + j + 1,
			(l->nr - j - 1) * sizeof(char *));
		l->nr--;
	}
	if (!l->nr)
		kill_node(h, i);
	hdel(h->by_path, path);
}

const struct strlist *hlinkdb_node_paths(const struct hlinkdb *h,
					 uint64_t dev, uint64_t ino)
{
	char key[64];
	long i;
	snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)dev,
		 (unsigned long long)ino);
	i = hget(h->by_key, key);
	return i < 0 ? NULL : &h->nodes[i].paths;
}

/* ---- pickle ---- */

static void put_b(struct buf *out, const char *s)
{
	struct buf u = BUF_INIT;
	uint8_t len[4];
	for (const uint8_t *p = (const uint8_t *)s; *p; p++) {
		if (*p < 0x80) {
			buf_addch(&u, *p);
		} else {
			buf_addch(&u, 0xc0 | (*p >> 6));
			buf_addch(&u, 0x80 | (*p & 0x3f));
		}
	}
	buf_adds(out, "c_codecs\nencode\nX");
	for (int i = 0; i < 4; i++)
		len[i] = (u.len >> (8 * i)) & 0xff;
	buf_add(out, len, 4);
	buf_add(out, u.data, u.len);
	buf_add(out, "X\x06\0\0\0latin1\x86R", 13);
	buf_release(&u);
}

void hlink_pickle_encode(const struct hlinkdb *h, struct buf *out)
{
	buf_add(out, "\x80\x02}", 3);
	for (size_t i = 0; i < h->nr; i++) {
		const struct hlink_node *n = &h->nodes[i];
		if (n->dead)
			continue;
		put_b(out, n->key);
		buf_addch(out, ']');
		for (size_t j = 0; j < n->paths.nr; j++) {
			put_b(out, n->paths.items[j]);
			buf_addch(out, 'a');
		}
		buf_addch(out, 's');
	}
	buf_addch(out, '.');
}

enum pv_type { PV_MARK, PV_DICT, PV_LIST, PV_BYTES, PV_STR, PV_GLOBAL, PV_TUPLE };
struct pv {
	enum pv_type type;
	struct buf s;		/* bytes/str/global name */
	struct pv **items;	/* list, tuple; dict: key, value pairs */
	size_t nr, alloc;
};

struct pstate {
	struct pv **all;
	size_t nr_all, alloc_all;
	struct pv **stack;
	size_t sp, alloc_stack;
	struct pv **memo;
	size_t nr_memo;
};

static struct pv *pv_new(struct pstate *ps, enum pv_type t)
{
	struct pv *v = xcalloc(1, sizeof(*v));
	v->type = t;
	buf_init(&v->s, 0);
	ALLOC_GROW(ps->all, ps->nr_all + 1, ps->alloc_all);
	ps->all[ps->nr_all++] = v;
	return v;
}

static void push(struct pstate *ps, struct pv *v)
{
	ALLOC_GROW(ps->stack, ps->sp + 1, ps->alloc_stack);
	ps->stack[ps->sp++] = v;
}

static void pv_append(struct pv *l, struct pv *v)
{
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr++] = v;
}

static int memo_put(struct pstate *ps, size_t idx)
{
	if (!ps->sp || idx > 1u << 24)
		return -1;
	if (idx >= ps->nr_memo) {
		ps->memo = xrealloc(ps->memo, (idx + 1) * sizeof(*ps->memo));
		memset(ps->memo + ps->nr_memo, 0,
		       (idx + 1 - ps->nr_memo) * sizeof(*ps->memo));
		ps->nr_memo = idx + 1;
	}
	ps->memo[idx] = ps->stack[ps->sp - 1];
	return 0;
}

static long find_mark(struct pstate *ps)
{
	for (long i = (long)ps->sp - 1; i >= 0; i--)
		if (ps->stack[i]->type == PV_MARK)
			return i;
	return -1;
}

/* UTF-8 -> latin-1 bytes (what _codecs.encode(s, 'latin1') does). */
static int latin1(const struct buf *s, struct buf *out)
{
	const uint8_t *p = (const uint8_t *)s->data, *e = p + s->len;
	while (p < e) {
		if (*p < 0x80) {
			buf_addch(out, *p++);
		} else if ((*p & 0xe0) == 0xc0 && p + 1 < e && (p[1] & 0xc0) == 0x80) {
			unsigned c = ((p[0] & 0x1f) << 6) | (p[1] & 0x3f);
			if (c > 0xff)
				return -1;
			buf_addch(out, (int)c);
			p += 2;
		} else {
			return -1;
		}
	}
	return 0;
}

static int as_bytes(const struct pv *v, const char **s)
{
	if (v->type != PV_BYTES && v->type != PV_STR)
		return -1;
	*s = v->s.data;
	return (int)strlen(v->s.data) == (int)v->s.len ? 0 : -1;
}

int hlink_pickle_decode(struct hlinkdb *h, const uint8_t *data, size_t len,
			struct buf *err)
{
	struct pstate ps = { 0 };
	size_t pos = 0;
	int ret = -1, done = 0;
	struct pv *v, *top = NULL;

#define NEED(n) do { if (len - pos < (n)) { buf_addf(err, "truncated at %zu", pos); goto out; } } while (0)
#define POP(x) do { if (!ps.sp) { buf_addf(err, "stack underflow at %zu", pos); goto out; } (x) = ps.stack[--ps.sp]; } while (0)
	while (!done) {
		uint8_t op;
		uint32_t n32;
		NEED(1);
		op = data[pos++];
		switch (op) {
		case 0x80:	/* PROTO */
			NEED(1);
			pos++;
			break;
		case '}':
			push(&ps, pv_new(&ps, PV_DICT));
			break;
		case ']':
			push(&ps, pv_new(&ps, PV_LIST));
			break;
		case '(':
			push(&ps, pv_new(&ps, PV_MARK));
			break;
		case 'c': {	/* GLOBAL module\nname\n */
			const uint8_t *a = memchr(data + pos, '\n', len - pos), *b;
			if (!a || !(b = memchr(a + 1, '\n', len - (size_t)(a + 1 - data)))) {
				buf_addf(err, "bad GLOBAL at %zu", pos);
				goto out;
			}
			v = pv_new(&ps, PV_GLOBAL);
			buf_add(&v->s, data + pos, (size_t)(b - data) - pos);
			pos = (size_t)(b - data) + 1;
			if (strcmp(v->s.data, "_codecs\nencode")) {
				buf_addf(err, "unexpected GLOBAL at %zu", pos);
				goto out;
			}
			push(&ps, v);
			break;
		}
		case 'X':	/* BINUNICODE */
		case 'T':	/* BINSTRING */
		case 'U':	/* SHORT_BINSTRING */
			if (op == 'U') {
				NEED(1);
				n32 = data[pos++];
			} else {
				NEED(4);
				n32 = data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16 |
				      (uint32_t)data[pos + 3] << 24;
				pos += 4;
			}
			NEED(n32);
			v = pv_new(&ps, op == 'X' ? PV_STR : PV_BYTES);
			buf_add(&v->s, data + pos, n32);
			pos += n32;
			push(&ps, v);
			break;
		case 'q':	/* BINPUT */
			NEED(1);
			if (memo_put(&ps, data[pos++]) < 0)
				goto bad;
			break;
		case 'r':	/* LONG_BINPUT */
			NEED(4);
			n32 = data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16 |
			      (uint32_t)data[pos + 3] << 24;
			pos += 4;
			if (memo_put(&ps, n32) < 0)
				goto bad;
			break;
		case 'h':	/* BINGET */
		case 'j':	/* LONG_BINGET */
			if (op == 'h') {
				NEED(1);
				n32 = data[pos++];
			} else {
				NEED(4);
				n32 = data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16 |
				      (uint32_t)data[pos + 3] << 24;
				pos += 4;
			}
			if (n32 >= ps.nr_memo || !ps.memo[n32])
				goto bad;
			push(&ps, ps.memo[n32]);
			break;
		case 0x86: {	/* TUPLE2 */
			struct pv *a, *b;
			POP(b);
			POP(a);
			v = pv_new(&ps, PV_TUPLE);
			pv_append(v, a);
			pv_append(v, b);
			push(&ps, v);
			break;
		}
		case 'R': {	/* REDUCE */
			struct pv *f, *args;
			POP(args);
			POP(f);
			if (f->type != PV_GLOBAL || args->type != PV_TUPLE ||
			    args->nr != 2 || args->items[0]->type != PV_STR ||
			    args->items[1]->type != PV_STR ||
			    (strcmp(args->items[1]->s.data, "latin1") &&
			     strcmp(args->items[1]->s.data, "latin-1")))
				goto bad;
			v = pv_new(&ps, PV_BYTES);
			if (latin1(&args->items[0]->s, &v->s) < 0)
				goto bad;
			push(&ps, v);
			break;
		}
		case 'a': {	/* APPEND */
			struct pv *x, *l;
			POP(x);
			if (!ps.sp || (l = ps.stack[ps.sp - 1])->type != PV_LIST)
				goto bad;
			pv_append(l, x);
			break;
		}
		case 'e': {	/* APPENDS */
			long m = find_mark(&ps);
			struct pv *l;
			if (m < 1 || (l = ps.stack[m - 1])->type != PV_LIST)
				goto bad;
			for (size_t i = (size_t)m + 1; i < ps.sp; i++)
				pv_append(l, ps.stack[i]);
			ps.sp = (size_t)m;
			break;
		}
		case 's': {	/* SETITEM */
			struct pv *k, *val, *d;
			POP(val);
			POP(k);
			if (!ps.sp || (d = ps.stack[ps.sp - 1])->type != PV_DICT)
				goto bad;
			pv_append(d, k);
			pv_append(d, val);
			break;
		}
		case 'u': {	/* SETITEMS */
			long m = find_mark(&ps);
			struct pv *d;
			if (m < 1 || (d = ps.stack[m - 1])->type != PV_DICT ||
			    (ps.sp - (size_t)m - 1) % 2)
				goto bad;
			for (size_t i = (size_t)m + 1; i < ps.sp; i++)
				pv_append(d, ps.stack[i]);
			ps.sp = (size_t)m;
			break;
		}
		case '.':	/* STOP */
			POP(top);
			done = 1;
			break;
		default:
			buf_addf(err, "unsupported pickle opcode 0x%02x at %zu", op, pos - 1);
			goto out;
		}
	}
	if (top->type != PV_DICT)
		goto bad;
	for (size_t i = 0; i + 1 < top->nr; i += 2) {
		struct pv *k = top->items[i], *l = top->items[i + 1];
		const char *key, *path;
		long ni;
		if (as_bytes(k, &key) < 0 || l->type != PV_LIST)
			goto bad;
		ni = hget(h->by_key, key);
		if (ni >= 0)
			strlist_clear(&h->nodes[ni].paths);
		else
			ni = new_node(h, key);
		for (size_t j = 0; j < l->nr; j++) {
			if (as_bytes(l->items[j], &path) < 0)
				goto bad;
			strlist_add(&h->nodes[ni].paths, path);
			hput(h->by_path, path, ni);
		}
	}
	ret = 0;
	goto out;
bad:
	buf_addf(err, "unexpected pickle content at %zu", pos);
out:
	for (size_t i = 0; i < ps.nr_all; i++) {
		buf_release(&ps.all[i]->s);
		free(ps.all[i]->items);
		free(ps.all[i]);
	}
	free(ps.all);
	free(ps.stack);
	free(ps.memo);
	return ret;
#undef NEED
#undef POP
}

int hlinkdb_open(struct hlinkdb *h, const char *filename)
{
	struct buf data = BUF_INIT, err = BUF_INIT;
	int ret = 0;
	h->filename = xstrdup(filename);
	if (read_file(filename, &data) < 0) {
		if (errno == ENOENT)
			return 0;
		return error_errno("cannot read '%s'", filename);
	}
	if (hlink_pickle_decode(h, (uint8_t *)data.data, data.len, &err) < 0)
		ret = error("'%s' is corrupt (%s); 'bup index --clear' removes it",
			    filename, err.data);
	buf_release(&data);
	buf_release(&err);
	return ret;
}

int hlinkdb_prepare_save(struct hlinkdb *h)
{
	struct buf out = BUF_INIT;
	if (!h->live)
		return 0;
	if (atomic_file_open(&h->af, h->filename) < 0)
		return error_errno("cannot create a temporary file beside '%s'",
				   h->filename);
	hlink_pickle_encode(h, &out);
	if (write_in_full(h->af.fd, out.data, out.len) < 0) {
		error_errno("cannot write '%s'", h->af.tmp.data);
		buf_release(&out);
		atomic_file_abort(&h->af);
		return -1;
	}
	buf_release(&out);
	h->pending = 1;
	return 0;
}

int hlinkdb_commit_save(struct hlinkdb *h)
{
	if (h->pending) {
		h->pending = 0;
		if (atomic_file_commit(&h->af) < 0)
			return error_errno("cannot replace '%s'", h->filename);
		return 0;
	}
	if (!h->live && unlink(h->filename) < 0 && errno != ENOENT)
		return error_errno("cannot remove '%s'", h->filename);
	return 0;
}

void hlinkdb_release(struct hlinkdb *h)
{
	if (h->pending)
		atomic_file_abort(&h->af);
	for (size_t i = 0; i < h->nr; i++) {
		free(h->nodes[i].key);
		strlist_clear(&h->nodes[i].paths);
	}
	free(h->nodes);
	hfree(h->by_key);
	hfree(h->by_path);
	free(h->filename);
	memset(h, 0, sizeof(*h));
}
