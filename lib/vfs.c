/*
 * vfs: bup's virtual filesystem (see vfs.h).  The behaviour follows
 * bup 0.33.7's vfs.py; comments name the Python function each part
 * stands for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mangle.h"
#include "oidset.h"
#include "pyrepr.h"
#include "tree.h"
#include "usage.h"
#include "vfs.h"

/* ---- object access: the one place that reads the repository ---- */

/*
 * An object's bytes.  Everything else reads objects through
 * obj_read()/obj_release() (repo_read_object: straight from the packs).
 */
struct obj {
	enum obj_type type;
	const uint8_t *data;
	size_t len;
	int loaded;
	struct buf bytes;
};

#define TREE_CACHE_SIZE 512	/* a power of two */

struct tree_ent {
	unsigned mode;
	const char *name;	/* into the object data; NUL-terminated there */
	size_t namelen;
	const struct oid *oid;	/* into the object data */
};

/* A decoded tree, shared through the cache (refcounted). */
struct ctree {
	struct oid oid;
	struct obj obj;
	struct tree_ent *ents;
	size_t nr;
	int refs;
	int cached;
};

/* One branch's saves (vfs.py cache_commit), by tip commit. */
struct revlist {
	struct oid tip;
	int with_meta;
	struct vfs_dir dir;	/* ".", saves newest first..., "latest" */
	struct revlist *next;
};

struct vfs {
	struct repo *repo;
	git_odb *odb;		/* for object headers */
	struct ctree *trees[TREE_CACHE_SIZE];
	struct revlist *revlists;
	/* commits bup's cache would hold with their metadata ("itm:") */
	struct oidset meta_commits;
};

static void obj_read(struct vfs *v, const struct oid *oid, struct obj *o)
{
	char hex[OID_HEXSZ + 1];
	int r;

	buf_init(&o->bytes, 0);
	o->loaded = 1;
	r = repo_read_object(v->repo, oid, &o->type, &o->bytes);
	if (r == -2)
		exit_after_error(1);
	if (r < 0)
		die("cannot read object %s: %s", oid_to_hex(oid, hex),
		    git_error_last() ? git_error_last()->message : "not found");
	o->data = (const uint8_t *)o->bytes.data;
	o->len = o->bytes.len;
}

static void obj_release(struct obj *o)
{
	buf_release(&o->bytes);
	memset(o, 0, sizeof(*o));
	buf_init(&o->bytes, 0);
}

/* The type and size of an object without inflating it. */
static size_t obj_size(struct vfs *v, const struct oid *oid,
		       enum obj_type *type)
{
	git_oid id;
	size_t len;
	git_object_t t;
	char hex[OID_HEXSZ + 1];

	memcpy(id.id, oid->hash, OID_RAWSZ);
	if (git_odb_read_header(&len, &t, v->odb, &id) < 0)
		die("cannot read object %s: %s", oid_to_hex(oid, hex),
		    git_error_last() ? git_error_last()->message : "not found");
	if (type)
		*type = t == GIT_OBJECT_TREE ? OBJ_TREE :
			t == GIT_OBJECT_BLOB ? OBJ_BLOB :
			t == GIT_OBJECT_COMMIT ? OBJ_COMMIT : OBJ_TAG;
	return len;
}

static void parse_tree(struct ctree *t)
{
	const uint8_t *p = t->obj.data, *end = p + t->obj.len;
	size_t alloc = 0;
	char hex[OID_HEXSZ + 1];

	while (p < end) {
		const uint8_t *sp = memchr(p, ' ', end - p), *nul;
		unsigned mode = 0;
		if (!sp)
			goto bad;
		nul = memchr(sp, 0, end - sp);
		if (!nul || nul + 1 + OID_RAWSZ > end || nul == sp + 1)
			goto bad;
		for (const uint8_t *q = p; q < sp; q++) {
			if (*q < '0' || *q > '7')
				goto bad;
			mode = mode * 8 + (*q - '0');
		}
		ALLOC_GROW(t->ents, t->nr + 1, alloc);
		t->ents[t->nr].mode = mode;
		t->ents[t->nr].name = (const char *)sp + 1;
		t->ents[t->nr].namelen = nul - sp - 1;
		t->ents[t->nr].oid = (const struct oid *)(nul + 1);
		t->nr++;
		p = nul + 1 + OID_RAWSZ;
	}
	return;
bad:
	die("corrupt tree object %s", oid_to_hex(&t->oid, hex));
}

static void tree_put(struct ctree *t)
{
	if (!t || --t->refs > 0)
		return;
	obj_release(&t->obj);
	free(t->ents);
	free(t);
}

/*
 * The decoded tree `oid` (a commit gives its tree if commit_ok).  The
 * caller holds a reference until tree_put().
 */
/*
 * The cached tree `oid`, or else read the object: a tree is decoded and
 * cached (returned with a reference), anything else is left in *o and
 * NULL returned.  One object read either way.
 */
static struct ctree *tree_or_obj(struct vfs *v, const struct oid *oid,
				 struct obj *o)
{
	unsigned slot = (oid->hash[0] | oid->hash[1] << 8) % TREE_CACHE_SIZE;
	struct ctree *t = v->trees[slot];

	if (t && oid_eq(&t->oid, oid)) {
		t->refs++;
		return t;
	}
	obj_read(v, oid, o);
	if (o->type != OBJ_TREE)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->oid = *oid;
	t->obj = *o;
	memset(o, 0, sizeof(*o));
	parse_tree(t);
	if (v->trees[slot])
		tree_put(v->trees[slot]);
	v->trees[slot] = t;
	t->refs = 2;
	return t;
}

static struct ctree *tree_get(struct vfs *v, const struct oid *oid)
{
	struct obj o;
	struct ctree *t = tree_or_obj(v, oid, &o);
	char hex[OID_HEXSZ + 1];

	if (!t)
		die("object %s is a %s, not a tree", oid_to_hex(oid, hex),
		    obj_type_name(o.type));
	return t;
}

static int64_t line_time(const char *p, const char *nl);

/* The tree and author time of a commit object's data. */
static void parse_commit_data(const struct oid *coid, const uint8_t *data,
			      size_t len, struct oid *tree, int64_t *atime)
{
	char hex[OID_HEXSZ + 1];
	const char *p = (const char *)data, *end = p + len;

	if (len < 46 || memcmp(p, "tree ", 5) || oid_from_hex(tree, p + 5) ||
	    p[45] != '\n')
		die("corrupt commit %s", oid_to_hex(coid, hex));
	if (atime) {
		*atime = 0;
		while (p < end) {
			const char *nl = memchr(p, '\n', end - p);
			if (!nl || nl == p)
				break;
			if (nl - p > 7 && !memcmp(p, "author ", 7)) {
				*atime = line_time(p, nl);
				break;
			}
			p = nl + 1;
		}
	}
}

/* The fields of a commit that the rev-list walk needs. */
struct commit_info {
	struct oid tree;
	struct oid *parents;
	size_t nr_parents;
	int64_t author_time, committer_time;
};

static int64_t line_time(const char *p, const char *nl)
{
	/* "NAME <MAIL> SECS TZ" */
	const char *gt = nl;
	while (gt > p && gt[-1] != '>')
		gt--;
	return strtoll(gt, NULL, 10);
}

static void parse_commit_info(const struct oid *coid, const uint8_t *data,
			      size_t len, struct commit_info *ci)
{
	const char *p = (const char *)data, *end = p + len;
	size_t alloc = 0;
	char hex[OID_HEXSZ + 1];

	memset(ci, 0, sizeof(*ci));
	parse_commit_data(coid, data, len, &ci->tree, &ci->author_time);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		if (!nl || nl == p)
			break;
		if (nl - p == 47 && !memcmp(p, "parent ", 7)) {
			ALLOC_GROW(ci->parents, ci->nr_parents + 1, alloc);
			if (oid_from_hex(&ci->parents[ci->nr_parents++], p + 7))
				die("corrupt commit %s", oid_to_hex(coid, hex));
		} else if (nl - p > 10 && !memcmp(p, "committer ", 10)) {
			ci->committer_time = line_time(p, nl);
		}
		p = nl + 1;
	}
}

/* ---- items, paths, dirs ---- */

void vfs_item_init(struct vfs_item *it)
{
	memset(it, 0, sizeof(*it));
	metadata_init(&it->meta);
	buf_init(&it->target, 0);
}

void vfs_item_release(struct vfs_item *it)
{
	metadata_release(&it->meta);
	buf_release(&it->target);
	vfs_item_init(it);
}

static void copy_buf(struct buf *dst, const struct buf *src)
{
	buf_init(dst, 0);
	buf_add(dst, src->data, src->len);
}

static void metadata_copy(struct metadata *dst, const struct metadata *src)
{
	*dst = *src;
	copy_buf(&dst->user, &src->user);
	copy_buf(&dst->group, &src->group);
	copy_buf(&dst->path, &src->path);
	copy_buf(&dst->symlink_target, &src->symlink_target);
	copy_buf(&dst->hardlink_target, &src->hardlink_target);
	for (int i = 0; i < 4; i++)
		copy_buf(&dst->acl[i], &src->acl[i]);
	dst->xattrs = NULL;
	dst->nr_xattrs = dst->alloc_xattrs = 0;
	for (size_t i = 0; i < src->nr_xattrs; i++)
		metadata_add_xattr(dst, src->xattrs[i].name.data,
				   src->xattrs[i].name.len,
				   src->xattrs[i].value.data,
				   src->xattrs[i].value.len);
}

void vfs_item_copy(struct vfs_item *dst, const struct vfs_item *src)
{
	*dst = *src;
	metadata_copy(&dst->meta, &src->meta);
	copy_buf(&dst->target, &src->target);
}

static void item_set_mode(struct vfs_item *it, unsigned mode)
{
	metadata_release(&it->meta);
	metadata_init(&it->meta);
	it->meta.mode = mode;
	it->meta.size = -1;
	it->meta_kind = VFS_META_MODE;
}

/* Replace the item's metadata by `m` (taken over). */
static void item_set_meta(struct vfs_item *it, struct metadata *m)
{
	metadata_release(&it->meta);
	it->meta = *m;
	metadata_init(m);
	it->meta_kind = VFS_META_REAL;
}

static void make_item(struct vfs_item *it, enum vfs_kind kind, unsigned mode)
{
	vfs_item_init(it);
	it->kind = kind;
	item_set_mode(it, mode);
}

int vfs_item_is_dir(const struct vfs_item *it)
{
	return S_ISDIR(it->meta.mode);
}

const struct oid *vfs_item_hash(const struct vfs_item *it, int commit_hash)
{
	switch (it->kind) {
	case VFS_ROOT:
	case VFS_TAGS:
	case VFS_FAKELINK:
		return NULL;
	case VFS_COMMIT:
		return commit_hash ? &it->coid : &it->oid;
	default:
		return &it->oid;
	}
}

void vfs_path_release(struct vfs_path *p)
{
	for (size_t i = 0; i < p->nr; i++) {
		free(p->elems[i].name);
		if (p->elems[i].item) {
			vfs_item_release(p->elems[i].item);
			free(p->elems[i].item);
		}
	}
	free(p->elems);
	memset(p, 0, sizeof(*p));
}

void vfs_path_truncate(struct vfs_path *p, size_t n)
{
	while (p->nr > n) {
		struct vfs_elem *e = &p->elems[--p->nr];
		free(e->name);
		if (e->item) {
			vfs_item_release(e->item);
			free(e->item);
		}
	}
}

/* Append, taking over `item` (may be NULL) and copying the name. */
static void path_push_own(struct vfs_path *p, const char *name,
			  struct vfs_item *item)
{
	ALLOC_GROW(p->elems, p->nr + 1, p->alloc);
	p->elems[p->nr].name = xstrdup(name);
	p->elems[p->nr].item = item;
	p->nr++;
}

void vfs_path_push(struct vfs_path *p, const char *name,
		   const struct vfs_item *item)
{
	struct vfs_item *copy = NULL;
	if (item) {
		copy = xmalloc(sizeof(*copy));
		vfs_item_copy(copy, item);
	}
	path_push_own(p, name, copy);
}

void vfs_path_copy(struct vfs_path *dst, const struct vfs_path *src)
{
	struct vfs_path n = VFS_PATH_INIT;
	for (size_t i = 0; i < src->nr; i++)
		vfs_path_push(&n, src->elems[i].name, src->elems[i].item);
	vfs_path_release(dst);
	*dst = n;
}

void vfs_path_join(const struct vfs_path *p, struct buf *out)
{
	for (size_t i = 0; i < p->nr; i++) {
		if (i)
			buf_addch(out, '/');
		buf_adds(out, p->elems[i].name);
	}
}

void vfs_dir_release(struct vfs_dir *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		free(d->ents[i].name);
		vfs_item_release(&d->ents[i].item);
	}
	free(d->ents);
	memset(d, 0, sizeof(*d));
}

/* A new entry at the end of d (item initialised); returns its item. */
static struct vfs_item *dir_add(struct vfs_dir *d, const char *name,
				size_t len)
{
	struct vfs_entry *e;
	ALLOC_GROW(d->ents, d->nr + 1, d->alloc);
	e = &d->ents[d->nr++];
	e->name = xstrndup(name, len);
	vfs_item_init(&e->item);
	return &e->item;
}

void vfs_error_release(struct vfs_error *e)
{
	buf_release(&e->msg);
	vfs_path_release(&e->terminus);
	e->err = 0;
}

void vfs_error_format(const struct vfs_error *e, struct buf *out)
{
	buf_addf(out, "[Errno %d] ", e->err);
	buf_add(out, e->msg.data, e->msg.len);
}

struct vfs *vfs_new(struct repo *r)
{
	struct vfs *v = xcalloc(1, sizeof(*v));
	v->repo = r;
	if (git_repository_odb(&v->odb, r->git) < 0)
		die("cannot open the object database of %s: %s", r->path,
		    git_error_last() ? git_error_last()->message : "");
	return v;
}

void vfs_free(struct vfs *v)
{
	if (!v)
		return;
	for (int i = 0; i < TREE_CACHE_SIZE; i++)
		tree_put(v->trees[i]);
	while (v->revlists) {
		struct revlist *r = v->revlists;
		v->revlists = r->next;
		vfs_dir_release(&r->dir);
		free(r);
	}
	oidset_clear(&v->meta_commits);
	git_odb_free(v->odb);
	free(v);
}

/* ---- names ---- */

void vfs_save_name(int64_t when, char out[32])
{
	time_t t = (time_t)when;
	struct tm tm;
	if (!localtime_r(&t, &tm) ||
	    !strftime(out, 32, "%Y-%m-%d-%H%M%S", &tm))
		snprintf(out, 32, "%lld", (long long)when);
}

void vfs_suffix_duplicates(char **names, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1, width = 1;
		while (j < n && !strcmp(names[j], names[i]))
			j++;
		if (j - i > 1) {
			char digits[32];
			width = snprintf(digits, sizeof(digits), "%zu",
					 j - i - 1);
			for (size_t k = i; k < j; k++) {
				struct buf b = BUF_INIT;
				buf_addf(&b, "%s-%0*zu", names[k], (int)width,
					 j - 1 - k);
				free(names[k]);
				names[k] = buf_detach(&b, NULL);
			}
		}
		i = j;
	}
}

/* ---- file content ---- */

struct rlevel {
	struct ctree *t;
	size_t i;
};

struct vfs_reader {
	struct vfs *v;
	struct oid oid;
	uint64_t ofs;
	int64_t size;		/* -1 until computed */
	int started;
	struct rlevel *stack;
	size_t depth, alloc;
	struct obj blob;
	size_t blob_pos;
	int done;
};

struct vfs_reader *vfs_reader_open_oid(struct vfs *v, const struct oid *oid)
{
	struct vfs_reader *r = xcalloc(1, sizeof(*r));
	r->v = v;
	r->oid = *oid;
	r->size = -1;
	return r;
}

struct vfs_reader *vfs_reader_open(struct vfs *v, const struct vfs_item *it)
{
	struct vfs_reader *r = vfs_reader_open_oid(v, &it->oid);
	if (it->kind != VFS_ITEM && it->kind != VFS_CHUNKY)
		BUG("vfs_reader_open of a non-file");
	return r;
}

static void reader_reset(struct vfs_reader *r)
{
	for (size_t i = 0; i < r->depth; i++)
		tree_put(r->stack[i].t);
	r->depth = 0;
	obj_release(&r->blob);
	r->blob_pos = 0;
	r->started = 0;
	r->done = 0;
}

void vfs_reader_close(struct vfs_reader *r)
{
	if (!r)
		return;
	reader_reset(r);
	free(r->stack);
	free(r);
}

static uint64_t hex_offset(const struct tree_ent *e)
{
	uint64_t n = 0;
	for (size_t i = 0; i < e->namelen; i++) {
		char c = e->name[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			die("bad chunk name '%.*s' in a chunked file",
			    (int)e->namelen, e->name);
		n = n * 16 + d;
	}
	return n;
}

/*
 * Position the walk at r->ofs (vfs.py _skip_chunks_before_offset at
 * each level: the last entry whose offset is <= the wanted one).
 */
static void reader_start(struct vfs_reader *r)
{
	uint64_t want = r->ofs;
	struct oid cur = r->oid;
	struct ctree *t;

	r->started = 1;
	while ((t = tree_or_obj(r->v, &cur, &r->blob))) {
		size_t pick = 0;
		if (!t->nr) {
			tree_put(t);
			r->done = 1;
			return;
		}
		for (size_t i = 1; i < t->nr; i++) {
			if (hex_offset(&t->ents[i]) > want)
				break;
			pick = i;
		}
		uint64_t eofs = hex_offset(&t->ents[pick]);
		want = want > eofs ? want - eofs : 0;
		ALLOC_GROW(r->stack, r->depth + 1, r->alloc);
		r->stack[r->depth].t = t;
		r->stack[r->depth].i = pick + 1;
		r->depth++;
		cur = *t->ents[pick].oid;
	}
	if (r->blob.type != OBJ_BLOB) {
		char hex[OID_HEXSZ + 1];
		die("object %s in a file is a %s, not a blob",
		    oid_to_hex(&cur, hex), obj_type_name(r->blob.type));
	}
	r->blob_pos = want < r->blob.len ? want : r->blob.len;
}

/* Step to the next leaf blob; 0 at the end. */
static int reader_advance(struct vfs_reader *r)
{
	obj_release(&r->blob);
	r->blob_pos = 0;
	while (r->depth) {
		struct rlevel *l = &r->stack[r->depth - 1];
		if (l->i >= l->t->nr) {
			tree_put(l->t);
			r->depth--;
			continue;
		}
		const struct tree_ent *e = &l->t->ents[l->i++];
		if (S_ISDIR(e->mode)) {
			struct ctree *t = tree_get(r->v, e->oid);
			ALLOC_GROW(r->stack, r->depth + 1, r->alloc);
			r->stack[r->depth].t = t;
			r->stack[r->depth].i = 0;
			r->depth++;
			continue;
		}
		obj_read(r->v, e->oid, &r->blob);
		if (r->blob.type != OBJ_BLOB) {
			char hex[OID_HEXSZ + 1];
			die("object %s in a file is a %s, not a blob",
			    oid_to_hex(e->oid, hex),
			    obj_type_name(r->blob.type));
		}
		return 1;
	}
	return 0;
}

size_t vfs_reader_next(struct vfs_reader *r, const uint8_t **data)
{
	if (r->done)
		return 0;
	if (!r->started)
		reader_start(r);
	while (!r->done) {
		if (r->blob.loaded && r->blob_pos < r->blob.len) {
			size_t n = r->blob.len - r->blob_pos;
			*data = r->blob.data + r->blob_pos;
			r->blob_pos = r->blob.len;
			r->ofs += n;
			return n;
		}
		if (!reader_advance(r))
			r->done = 1;
	}
	return 0;
}

size_t vfs_reader_read(struct vfs_reader *r, void *buf, size_t len)
{
	size_t got = 0;
	if (!r->started && !r->done)
		reader_start(r);
	while (got < len && !r->done) {
		if (r->blob.loaded && r->blob_pos < r->blob.len) {
			size_t n = r->blob.len - r->blob_pos;
			if (n > len - got)
				n = len - got;
			memcpy((char *)buf + got, r->blob.data + r->blob_pos, n);
			r->blob_pos += n;
			r->ofs += n;
			got += n;
			continue;
		}
		if (!reader_advance(r))
			r->done = 1;
	}
	return got;
}

/* vfs.py _normal_or_chunked_file_size. */
static uint64_t content_size(struct vfs *v, const struct oid *oid)
{
	struct oid cur = *oid;
	uint64_t ofs = 0;
	enum obj_type type;
	for (;;) {
		size_t len = obj_size(v, &cur, &type);
		if (type != OBJ_TREE)
			return ofs + len;
		struct ctree *t = tree_get(v, &cur);
		if (!t->nr) {
			tree_put(t);
			return ofs;
		}
		ofs += hex_offset(&t->ents[t->nr - 1]);
		cur = *t->ents[t->nr - 1].oid;
		tree_put(t);
	}
}

uint64_t vfs_reader_size(struct vfs_reader *r)
{
	if (r->size < 0)
		r->size = (int64_t)content_size(r->v, &r->oid);
	return (uint64_t)r->size;
}

int vfs_reader_seek(struct vfs_reader *r, uint64_t ofs)
{
	if (ofs > vfs_reader_size(r)) {
		errno = EINVAL;
		return -1;
	}
	reader_reset(r);
	r->ofs = ofs;
	return 0;
}

uint64_t vfs_reader_tell(const struct vfs_reader *r)
{
	return r->ofs;
}

/* ---- .bupm streams ---- */

struct meta_stream {
	struct vfs_reader *r;
	struct buf buf;
	size_t pos;
	int eof;
};

static void meta_open(struct meta_stream *ms, struct vfs *v,
		      const struct oid *bupm)
{
	ms->r = vfs_reader_open_oid(v, bupm);
	buf_init(&ms->buf, 0);
	ms->pos = 0;
	ms->eof = 0;
}

static void meta_close(struct meta_stream *ms)
{
	vfs_reader_close(ms->r);
	buf_release(&ms->buf);
}

static int meta_fill(struct meta_stream *ms, size_t want)
{
	const uint8_t *d;
	size_t n;
	if (ms->pos > 65536 && ms->pos * 2 > ms->buf.len) {
		buf_consume(&ms->buf, ms->pos);
		ms->pos = 0;
	}
	while (!ms->eof && ms->buf.len - ms->pos < want) {
		n = vfs_reader_next(ms->r, &d);
		if (!n)
			ms->eof = 1;
		else
			buf_add(&ms->buf, d, n);
	}
	return ms->buf.len - ms->pos > 0;
}

/*
 * metadata.py Metadata.read: 1 and *m filled, 0 for an empty object
 * (Python's None), -1 at the end of the stream.  Dies if malformed.
 */
static int meta_next(struct meta_stream *ms, struct metadata *m)
{
	size_t want = 4096, used;
	for (;;) {
		if (!meta_fill(ms, want))
			return -1;
		metadata_init(m);
		if (metadata_decode(m, (const uint8_t *)ms->buf.data + ms->pos,
				    ms->buf.len - ms->pos, &used) == 0) {
			ms->pos += used;
			if (used == 1 && !m->has_common) {
				metadata_release(m);
				return 0;
			}
			return 1;
		}
		metadata_release(m);
		if (ms->eof) {
			char hex[OID_HEXSZ + 1];
			die("corrupt metadata in .bupm %s",
			    oid_to_hex(&ms->r->oid, hex));
		}
		want = (ms->buf.len - ms->pos) * 2;
	}
}

/* ---- trees ---- */

static int tree_find_bupm(const struct ctree *t, struct oid *bupm)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct tree_ent *e = &t->ents[i];
		int c = memcmp(e->name, ".bupm",
			       e->namelen < 5 ? e->namelen : 5);
		if (!c && e->namelen == 5) {
			*bupm = *e->oid;
			return 1;
		}
		if (c > 0 || (!c && e->namelen > 5))
			break;
	}
	return 0;
}

/* The tree of a tree or commit oid (vfs.py tree_data_and_bupm). */
static struct ctree *treeish_get(struct vfs *v, const struct oid *oid)
{
	enum obj_type type;
	obj_size(v, oid, &type);
	if (type == OBJ_COMMIT) {
		struct obj o;
		struct oid tree;
		obj_read(v, oid, &o);
		parse_commit_data(oid, o.data, o.len, &tree, NULL);
		obj_release(&o);
		return tree_get(v, &tree);
	}
	if (type != OBJ_TREE) {
		char hex[OID_HEXSZ + 1];
		die("%s is not a tree or commit", oid_to_hex(oid, hex));
	}
	return tree_get(v, oid);
}

int vfs_tree_bupm(struct vfs *v, const struct oid *treeish, struct oid *bupm)
{
	struct ctree *t = treeish_get(v, treeish);
	int found = tree_find_bupm(t, bupm);
	tree_put(t);
	return found;
}

/* vfs.py _read_dir_meta: object 0 of a .bupm into `it`. */
static void read_dir_meta(struct meta_stream *ms, struct vfs_item *it)
{
	struct metadata m;
	int rc = meta_next(ms, &m);
	if (rc < 0) {
		char hex[OID_HEXSZ + 1];
		die("empty .bupm %s", oid_to_hex(&ms->r->oid, hex));
	}
	if (rc == 0) {
		item_set_mode(it, VFS_DEFAULT_DIR_MODE);
		return;
	}
	if (m.size < 0)
		m.size = 0;
	item_set_meta(it, &m);
}

/* vfs.py _find_treeish_oid_metadata: 1 and it's meta replaced, or 0. */
static int find_treeish_meta(struct vfs *v, const struct oid *oid,
			     struct vfs_item *it)
{
	struct oid bupm;
	struct meta_stream ms;
	if (!vfs_tree_bupm(v, oid, &bupm))
		return 0;
	meta_open(&ms, v, &bupm);
	read_dir_meta(&ms, it);
	meta_close(&ms);
	return 1;
}

static unsigned default_mode_for_gitmode(unsigned gitmode)
{
	if (S_ISDIR(gitmode))
		return VFS_DEFAULT_DIR_MODE;
	if (S_ISLNK(gitmode))
		return VFS_DEFAULT_SYMLINK_MODE;
	return VFS_DEFAULT_FILE_MODE;
}

struct sorted_ent {
	const struct tree_ent *e;
	size_t dlen;
	int kind;		/* BUP_NORMAL or BUP_CHUNKED */
	size_t idx;
};

static int cmp_sorted_ent(const void *a, const void *b)
{
	const struct sorted_ent *x = a, *y = b;
	size_t n = x->dlen < y->dlen ? x->dlen : y->dlen;
	int c = memcmp(x->e->name, y->e->name, n);
	if (c)
		return c;
	if (x->dlen != y->dlen)
		return x->dlen < y->dlen ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;	/* stable */
}

/* vfs.py tree_items (via tree_items_with_meta when want_meta). */
static void tree_contents(struct vfs *v, const struct oid *tree_oid,
			  int flags, struct vfs_dir *out)
{
	struct ctree *t = tree_get(v, tree_oid);
	struct oid bupm_oid;
	struct meta_stream ms;
	int have_bupm = 0;
	struct sorted_ent *s = xmalloc(st_mult(t->nr + 1, sizeof(*s)));
	struct vfs_item *dot;

	if (!(flags & VFS_NO_META))
		have_bupm = tree_find_bupm(t, &bupm_oid);
	for (size_t i = 0; i < t->nr; i++) {
		s[i].e = &t->ents[i];
		s[i].idx = i;
		s[i].dlen = demangle_name(t->ents[i].name, t->ents[i].namelen,
					  t->ents[i].mode, &s[i].kind);
	}
	if (have_bupm)
		QSORT(s, t->nr, cmp_sorted_ent);

	dot = dir_add(out, ".", 1);
	dot->kind = VFS_ITEM;
	dot->gitmode = GIT_MODE_TREE;
	dot->oid = *tree_oid;
	if (have_bupm) {
		meta_open(&ms, v, &bupm_oid);
		read_dir_meta(&ms, dot);
	} else {
		item_set_mode(dot, VFS_DEFAULT_DIR_MODE);
	}
	for (size_t i = 0; i < t->nr; i++) {
		const struct tree_ent *e = s[i].e;
		struct vfs_item *it;
		struct metadata m;
		int rc = 0;

		if (e->namelen == 5 && !memcmp(e->name, ".bupm", 5))
			continue;
		it = dir_add(out, e->name, s[i].dlen);
		it->gitmode = e->mode;
		it->oid = *e->oid;
		if (s[i].kind == BUP_CHUNKED) {
			it->kind = VFS_CHUNKY;
			if (have_bupm)
				rc = meta_next(&ms, &m);
			if (rc > 0)
				item_set_meta(it, &m);
			else
				item_set_mode(it, VFS_DEFAULT_FILE_MODE);
			continue;
		}
		it->kind = VFS_ITEM;
		if (S_ISDIR(e->mode)) {
			item_set_mode(it, VFS_DEFAULT_DIR_MODE);
			continue;
		}
		if (have_bupm)
			rc = meta_next(&ms, &m);
		if (rc > 0)
			item_set_meta(it, &m);
		else
			item_set_mode(it, default_mode_for_gitmode(e->mode));
	}
	if (have_bupm)
		meta_close(&ms);
	free(s);
	tree_put(t);
}

/* ---- refs ---- */

struct ref {
	char *name;
	struct oid oid;
};

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct ref *)a)->name,
		      ((const struct ref *)b)->name);
}

/* The refs under `prefix` ("refs/heads/"), sorted, names without it. */
static size_t list_refs(struct vfs *v, const char *prefix, struct ref **out)
{
	git_reference_iterator *iter;
	git_reference *ref;
	struct ref *refs = NULL;
	size_t nr = 0, alloc = 0, plen = strlen(prefix);
	struct buf glob = BUF_INIT;

	buf_addf(&glob, "%s*", prefix);
	if (git_reference_iterator_glob_new(&iter, v->repo->git, glob.data) < 0)
		die("cannot list %s: %s", prefix,
		    git_error_last() ? git_error_last()->message : "");
	buf_release(&glob);
	while (git_reference_next(&ref, iter) == 0) {
		git_reference *res = NULL;
		const char *name = git_reference_name(ref);
		if (git_reference_resolve(&res, ref) == 0 &&
		    strlen(name) > plen) {
			ALLOC_GROW(refs, nr + 1, alloc);
			refs[nr].name = xstrdup(name + plen);
			memcpy(refs[nr].oid.hash,
			       git_reference_target(res)->id, OID_RAWSZ);
			nr++;
		}
		git_reference_free(res);
		git_reference_free(ref);
	}
	git_reference_iterator_free(iter);
	QSORT(refs, nr, cmp_ref);
	*out = refs;
	return nr;
}

static void free_refs(struct ref *refs, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(refs[i].name);
	free(refs);
}

/* vfs.py _commit_item_from_oid / _revlist_item_from_oid. */
static void commit_item(struct vfs *v, const struct oid *coid, int flags,
			struct vfs_item *it)
{
	struct obj o;
	char hex[OID_HEXSZ + 1];

	obj_read(v, coid, &o);
	if (o.type != OBJ_COMMIT)
		die("%s is a %s, not a commit", oid_to_hex(coid, hex),
		    obj_type_name(o.type));
	make_item(it, VFS_COMMIT, VFS_DEFAULT_DIR_MODE);
	parse_commit_data(coid, o.data, o.len, &it->oid, NULL);
	it->coid = *coid;
	obj_release(&o);
	if (!(flags & VFS_NO_META)) {
		find_treeish_meta(v, &it->oid, it);
		oidset_insert(&v->meta_commits, coid);
	}
}

static void revlist_item(struct vfs *v, const struct oid *tip, int flags,
			 struct vfs_item *it)
{
	commit_item(v, tip, flags, it);
	it->kind = VFS_REVLIST;
	it->oid = *tip;
	memset(&it->coid, 0, sizeof(it->coid));
}

static void root_contents(struct vfs *v, int flags, struct vfs_dir *out)
{
	struct ref *refs;
	size_t nr = list_refs(v, "refs/heads/", &refs);

	make_item(dir_add(out, ".", 1), VFS_ROOT, VFS_DEFAULT_DIR_MODE);
	make_item(dir_add(out, ".tag", 4), VFS_TAGS, VFS_DEFAULT_DIR_MODE);
	for (size_t i = 0; i < nr; i++)
		revlist_item(v, &refs[i].oid, flags,
			     dir_add(out, refs[i].name, strlen(refs[i].name)));
	free_refs(refs, nr);
}

/* vfs.py tags_items: tag_item. */
static void tag_item(struct vfs *v, const struct oid *oid,
		     struct vfs_item *it)
{
	enum obj_type type;
	char hex[OID_HEXSZ + 1];

	obj_size(v, oid, &type);
	if (type == OBJ_COMMIT) {
		/* bup reuses a cached item, with metadata if it has it */
		commit_item(v, oid, oidset_contains(&v->meta_commits, oid) ?
			    0 : VFS_NO_META, it);
		return;
	}
	if (type == OBJ_BLOB)
		make_item(it, VFS_ITEM, VFS_DEFAULT_FILE_MODE);
	else if (type == OBJ_TREE)
		make_item(it, VFS_ITEM, VFS_DEFAULT_DIR_MODE);
	else
		die("unexpected tag type %s for tag %s", obj_type_name(type),
		    oid_to_hex(oid, hex));
	it->oid = *oid;
	it->gitmode = type == OBJ_TREE ? GIT_MODE_TREE : 0100644;
}

static void tags_contents(struct vfs *v, struct vfs_dir *out)
{
	struct ref *refs;
	size_t nr = list_refs(v, "refs/tags/", &refs);

	make_item(dir_add(out, ".", 1), VFS_TAGS, VFS_DEFAULT_DIR_MODE);
	for (size_t i = 0; i < nr; i++)
		tag_item(v, &refs[i].oid,
			 dir_add(out, refs[i].name, strlen(refs[i].name)));
	free_refs(refs, nr);
}

struct ent_ix {
	struct vfs_entry e;
	size_t ix;
};

static int cmp_ent_ix(const void *a, const void *b)
{
	const struct ent_ix *x = a, *y = b;
	int c = strcmp(x->e.name, y->e.name);
	if (c)
		return c;
	return x->ix < y->ix ? -1 : x->ix > y->ix;
}

/* Sort d's entries by name; of equal names keep only the last. */
static void dedupe_sorted(struct vfs_dir *d)
{
	struct ent_ix *a = xmalloc(st_mult(d->nr + 1, sizeof(*a)));
	size_t n = 0;
	for (size_t i = 0; i < d->nr; i++) {
		a[i].e = d->ents[i];
		a[i].ix = i;
	}
	QSORT(a, d->nr, cmp_ent_ix);
	for (size_t i = 0; i < d->nr; i++) {
		if (i + 1 < d->nr && !strcmp(a[i].e.name, a[i + 1].e.name)) {
			free(a[i].e.name);
			vfs_item_release(&a[i].e.item);
			continue;
		}
		d->ents[n++] = a[i].e;
	}
	d->nr = n;
	free(a);
}

/* vfs.py cache_commit: the saves of a branch, cached by tip. */
static struct revlist *revlist_get(struct vfs *v, const struct oid *tip,
				   int flags)
{
	struct revlist *rl;
	char **names = NULL;
	size_t nr = 0, alloc2 = 0;
	int with_meta = !(flags & VFS_NO_META);

	for (rl = v->revlists; rl; rl = rl->next)
		if (oid_eq(&rl->tip, tip) && (rl->with_meta || !with_meta))
			return rl;

	/*
	 * git rev-list's default order: a queue by committer date (newest
	 * first, ties in insertion order), each commit once.
	 */
	struct walkq { struct oid id; int64_t date; size_t ctr; } *q = NULL;
	size_t qn = 0, qalloc = 0, ctr = 0;
	struct oidset seen = OIDSET_INIT;

	rl = xcalloc(1, sizeof(*rl));
	rl->tip = *tip;
	rl->with_meta = with_meta;
	revlist_item(v, tip, flags, dir_add(&rl->dir, ".", 1));
	ALLOC_GROW(q, 1, qalloc);
	q[qn++] = (struct walkq){ *tip, 0, ctr++ };
	oidset_insert(&seen, tip);
	while (qn) {
		size_t best = 0;
		for (size_t i = 1; i < qn; i++)
			if (q[i].date > q[best].date ||
			    (q[i].date == q[best].date && q[i].ctr < q[best].ctr))
				best = i;
		struct oid cid = q[best].id;
		q[best] = q[--qn];

		struct obj o;
		struct commit_info ci;
		char name[32];
		struct vfs_item *it;

		obj_read(v, &cid, &o);
		if (o.type != OBJ_COMMIT) {
			char hex[OID_HEXSZ + 1];
			die("%s is a %s, not a commit", oid_to_hex(&cid, hex),
			    obj_type_name(o.type));
		}
		parse_commit_info(&cid, o.data, o.len, &ci);
		obj_release(&o);
		it = dir_add(&rl->dir, "", 0);
		make_item(it, VFS_COMMIT, VFS_DEFAULT_DIR_MODE);
		it->oid = ci.tree;
		it->coid = cid;
		/* bup reuses its cached item: with metadata for the tip */
		if (oidset_contains(&v->meta_commits, &cid))
			find_treeish_meta(v, &it->oid, it);
		vfs_save_name(ci.author_time, name);
		ALLOC_GROW(names, nr + 1, alloc2);
		names[nr++] = xstrdup(name);
		for (size_t i = 0; i < ci.nr_parents; i++) {
			struct obj po;
			struct commit_info pi;
			if (oidset_contains(&seen, &ci.parents[i]))
				continue;
			oidset_insert(&seen, &ci.parents[i]);
			obj_read(v, &ci.parents[i], &po);
			parse_commit_info(&ci.parents[i], po.data, po.len, &pi);
			obj_release(&po);
			free(pi.parents);
			ALLOC_GROW(q, qn + 1, qalloc);
			q[qn++] = (struct walkq){ ci.parents[i], pi.committer_time,
						  ctr++ };
		}
		free(ci.parents);
	}
	free(q);
	oidset_clear(&seen);
	vfs_suffix_duplicates(names, nr);
	for (size_t i = 0; i < nr; i++) {
		free(rl->dir.ents[i + 1].name);
		rl->dir.ents[i + 1].name = names[i];
	}
	if (nr) {
		struct vfs_item *l = dir_add(&rl->dir, "latest", 6);
		make_item(l, VFS_FAKELINK, VFS_DEFAULT_SYMLINK_MODE);
		buf_adds(&l->target, names[0]);
	}
	/*
	 * A dict in bup: of equal names (two runs of one), the oldest
	 * wins.  Sort by name, keeping newest-first order among equals,
	 * then keep the last of each group.
	 */
	dedupe_sorted(&rl->dir);
	free(names);
	rl->next = v->revlists;
	v->revlists = rl;
	return rl;
}

static void revlist_contents(struct vfs *v, const struct vfs_item *dir,
			     int flags, struct vfs_dir *out)
{
	struct revlist *rl = revlist_get(v, &dir->oid, flags);
	for (size_t i = 0; i < rl->dir.nr; i++) {
		struct vfs_item *it = dir_add(out, rl->dir.ents[i].name,
					      strlen(rl->dir.ents[i].name));
		vfs_item_copy(it, &rl->dir.ents[i].item);
	}
}

void vfs_contents(struct vfs *v, const struct vfs_item *dir, int flags,
		  struct vfs_dir *out)
{
	vfs_dir_release(out);
	switch (dir->kind) {
	case VFS_ROOT:
		root_contents(v, flags, out);
		return;
	case VFS_TAGS:
		tags_contents(v, out);
		return;
	case VFS_REVLIST:
		revlist_contents(v, dir, flags, out);
		return;
	case VFS_COMMIT:
	case VFS_ITEM:
		if (!vfs_item_is_dir(dir))
			BUG("vfs_contents of a non-directory");
		tree_contents(v, &dir->oid, flags, out);
		return;
	default:
		BUG("vfs_contents of a non-directory");
	}
}

static int is_save_name(const char *s)
{
	/* ^\d\d\d\d-\d\d-\d\d-\d{6}(-\d+)?$ */
	static const char pat[] = "dddd-dd-dd-dddddd";
	size_t i;
	for (i = 0; pat[i]; i++) {
		if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != '-')
			return 0;
	}
	if (!s[i])
		return 1;
	if (s[i] != '-' || !s[i + 1])
		return 0;
	for (i++; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int vfs_lookup(struct vfs *v, const struct vfs_item *dir, const char *name,
	       int flags, struct vfs_item *out)
{
	struct vfs_dir d = VFS_DIR_INIT;
	int found = 0;

	if (dir->kind == VFS_ROOT && strcmp(name, ".") &&
	    strcmp(name, ".tag")) {
		struct buf ref = BUF_INIT;
		struct oid tip;
		git_oid id;
		/* any name that is not a branch (even an invalid ref name)
		 * is simply missing */
		buf_addf(&ref, "refs/heads/%s", name);
		found = *name && git_reference_name_to_id(&id, v->repo->git,
							  ref.data) == 0;
		if (found)
			memcpy(tip.hash, id.id, OID_RAWSZ);
		buf_release(&ref);
		if (found)
			revlist_item(v, &tip, flags, out);
		return found;
	}
	if (dir->kind == VFS_REVLIST && strcmp(name, ".") &&
	    strcmp(name, "latest") && !is_save_name(name))
		return 0;
	if (dir->kind == VFS_REVLIST && !strcmp(name, ".")) {
		revlist_item(v, &dir->oid, flags, out);
		return 1;
	}
	vfs_contents(v, dir, flags, &d);
	for (size_t i = 0; i < d.nr; i++) {
		if (!strcmp(d.ents[i].name, name)) {
			*out = d.ents[i].item;
			vfs_item_init(&d.ents[i].item);
			found = 1;
			break;
		}
	}
	vfs_dir_release(&d);
	return found;
}

/* ---- metadata helpers ---- */

void vfs_readlink(struct vfs *v, const struct vfs_item *it, struct buf *out)
{
	struct obj o;
	if (it->kind == VFS_FAKELINK) {
		buf_add(out, it->target.data, it->target.len);
		return;
	}
	if (it->meta_kind != VFS_META_MODE && it->meta.symlink_target.len) {
		buf_add(out, it->meta.symlink_target.data,
			it->meta.symlink_target.len);
		return;
	}
	obj_read(v, &it->oid, &o);
	buf_add(out, o.data, o.len);
	obj_release(&o);
}

/* vfs.py _compute_item_size. */
static uint64_t compute_size(struct vfs *v, const struct vfs_item *it)
{
	unsigned mode = vfs_item_mode(it);
	if (S_ISREG(mode))
		return content_size(v, &it->oid);
	if (S_ISLNK(mode)) {
		if (it->kind == VFS_FAKELINK)
			return it->target.len;
		/* bup reads the blob here, not the record's target */
		return obj_size(v, &it->oid, NULL);
	}
	return 0;
}

uint64_t vfs_item_size(struct vfs *v, const struct vfs_item *it)
{
	if (it->meta_kind != VFS_META_MODE && it->meta.size >= 0)
		return (uint64_t)it->meta.size;
	return compute_size(v, it);
}

void vfs_fill_dir_meta(struct vfs *v, struct vfs_item *it)
{
	if (!vfs_item_is_dir(it) || it->meta_kind == VFS_META_REAL)
		return;
	switch (it->kind) {
	case VFS_COMMIT:
	case VFS_ITEM: {
		/* contents(item, ('.',)) gives Item(oid=tree, dir meta): a
		 * commit becomes a plain tree item, as in bup. */
		it->kind = VFS_ITEM;
		it->gitmode = GIT_MODE_TREE;
		memset(&it->coid, 0, sizeof(it->coid));
		if (!find_treeish_meta(v, &it->oid, it))
			item_set_mode(it, VFS_DEFAULT_DIR_MODE);
		break;
	}
	case VFS_REVLIST: {
		struct oid tip = it->oid;
		vfs_item_release(it);
		revlist_item(v, &tip, 0, it);
		break;
	}
	default:
		break;
	}
}

void vfs_augment_meta(struct vfs *v, struct vfs_item *it, int include_size)
{
	if (it->meta_kind != VFS_META_MODE) {
		if (include_size && it->meta.size < 0)
			it->meta.size = (int64_t)compute_size(v, it);
		return;
	}
	unsigned mode = it->meta.mode;
	item_set_mode(it, mode);
	it->meta_kind = VFS_META_FAKE;
	it->meta.has_common = 1;
	it->meta.uid = it->meta.gid = -1;
	if (S_ISLNK(mode)) {
		struct buf t = BUF_INIT;
		vfs_readlink(v, it, &t);
		buf_add(&it->meta.symlink_target, t.data, t.len);
		it->meta.size = t.len;
		buf_release(&t);
	} else if (include_size) {
		it->meta.size = (int64_t)compute_size(v, it);
	}
}

void vfs_ensure_meta(struct vfs *v, struct vfs_item *it, int include_size)
{
	vfs_fill_dir_meta(v, it);
	vfs_augment_meta(v, it, include_size);
}

static void repr_time(struct buf *out, const char *name, int64_t s,
		      uint32_t ns)
{
	time_t t = (time_t)s;
	struct tm tm;
	char when[64] = "";
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M %z", &tm);
	buf_addf(out, " %s:'%s' (%lld)", name, when,
		 (long long)s * 1000000000LL + ns);
}

/* metadata.py Metadata.__repr__ (including its rdev slip). */
static void repr_metadata(struct buf *out, const struct metadata *m)
{
	buf_adds(out, "<<class 'bup.metadata.Metadata'> instance at "
		 "0x7f0000000000");
	if (m->path.len) {
		buf_adds(out, " path:");
		py_repr_bytes(out, m->path.data, m->path.len);
	}
	if (m->has_common) {
		buf_addf(out, " mode: %o (", m->mode);
		metadata_mode_str(out, m->mode);
		buf_addf(out, ") uid:%lld gid:%lld user:", (long long)m->uid,
			 (long long)m->gid);
		py_repr_bytes(out, m->user.data, m->user.len);
		buf_adds(out, " group:");
		py_repr_bytes(out, m->group.data, m->group.len);
		buf_adds(out, " rdev:");
		py_repr_bytes(out, m->group.data, m->group.len);
	}
	if (m->size >= 0)
		buf_addf(out, " size:%lld", (long long)m->size);
	if (m->has_common) {
		repr_time(out, "atime", m->atime_s, m->atime_ns);
		repr_time(out, "mtime", m->mtime_s, m->mtime_ns);
		repr_time(out, "ctime", m->ctime_s, m->ctime_ns);
	}
	buf_addch(out, '>');
}

static void repr_item(struct buf *out, const struct vfs_item *it)
{
	static const char *const names[] = {
		"Root", "Tags", "RevList", "Commit", "Item", "Chunky",
		"FakeLink",
	};
	buf_addf(out, "%s(meta=", names[it->kind]);
	if (it->meta_kind == VFS_META_MODE)
		buf_addf(out, "%u", it->meta.mode);
	else
		repr_metadata(out, &it->meta);
	switch (it->kind) {
	case VFS_ROOT:
	case VFS_TAGS:
		break;
	case VFS_FAKELINK:
		buf_adds(out, ", target=");
		py_repr_bytes(out, it->target.data, it->target.len);
		break;
	default:
		buf_adds(out, ", oid=");
		py_repr_bytes(out, (const char *)it->oid.hash, OID_RAWSZ);
		if (it->kind == VFS_COMMIT) {
			buf_adds(out, ", coid=");
			py_repr_bytes(out, (const char *)it->coid.hash, OID_RAWSZ);
		}
	}
	buf_addch(out, ')');
}

/* repr() of a list (or tuple) of (name, item) pairs. */
static void repr_path(struct buf *out, const struct vfs_path *p, int tuple)
{
	buf_addch(out, tuple ? '(' : '[');
	for (size_t i = 0; i < p->nr; i++) {
		if (i)
			buf_adds(out, ", ");
		buf_addch(out, '(');
		py_repr_bytes(out, p->elems[i].name, strlen(p->elems[i].name));
		buf_adds(out, ", ");
		if (p->elems[i].item)
			repr_item(out, p->elems[i].item);
		else
			buf_adds(out, "None");
		buf_addch(out, ')');
	}
	if (tuple && p->nr == 1)
		buf_addch(out, ',');
	buf_addch(out, tuple ? ')' : ']');
}

/* ---- resolution ---- */

/* vfs.py _decompose_path: components in order; returns the count. */
static size_t decompose(const char *path, int *is_abs, int *must_be_dir,
			char ***parts_out)
{
	struct buf p = BUF_INIT;
	char **parts = NULL;
	size_t nr = 0, alloc = 0;

	for (const char *s = path; *s; s++)
		if (!(*s == '/' && p.len && p.data[p.len - 1] == '/'))
			buf_addch(&p, *s);
	*is_abs = *must_be_dir = 0;
	*parts_out = NULL;
	if (!strcmp(p.data, "/")) {
		*is_abs = *must_be_dir = 1;
		buf_release(&p);
		return 0;
	}
	size_t start = 0, end = p.len;
	if (p.len && p.data[0] == '/') {
		*is_abs = 1;
		start = 1;
	}
	/* strip one "/" then one "/." (in that order) */
	if (end - start >= 1 && p.data[end - 1] == '/') {
		*must_be_dir = 1;
		end--;
	}
	if (end - start >= 2 && p.data[end - 1] == '.' &&
	    p.data[end - 2] == '/') {
		*must_be_dir = 1;
		end -= 2;
	}
	for (size_t i = start; i <= end && end > start;) {
		size_t j = i;
		while (j < end && p.data[j] != '/')
			j++;
		if (!(j - i == 1 && p.data[i] == '.')) {
			ALLOC_GROW(parts, nr + 1, alloc);
			parts[nr++] = xstrndup(p.data + i, j - i);
		}
		i = j + 1;
	}
	if (!nr)
		*must_be_dir = 1;
	buf_release(&p);
	*parts_out = parts;
	return nr;
}

static void root_item(struct vfs_item *it)
{
	make_item(it, VFS_ROOT, VFS_DEFAULT_DIR_MODE);
}

static void path_root(struct vfs_path *p)
{
	struct vfs_item *it = xmalloc(sizeof(*it));
	vfs_path_release(p);
	root_item(it);
	path_push_own(p, "", it);
}

static int set_error(struct vfs_error *err, int errnum,
		     const struct vfs_path *past)
{
	err->err = errnum;
	vfs_path_copy(&err->terminus, past);
	return -1;
}

/*
 * ENOTDIR as bup words it: "path b'<path>' (relative to <parent>)<what>"
 * and the path resolved so far.
 */
static int not_dir_error(struct vfs_error *err, const char *path,
			 const struct vfs_path *parent, const char *what,
			 const struct vfs_path *past)
{
	struct buf *m = &err->msg;
	buf_reset(m);
	buf_adds(m, "path ");
	py_repr_bytes(m, path, strlen(path));
	if (parent) {
		buf_adds(m, " (relative to ");
		repr_path(m, parent, 1);
		buf_addch(m, ')');
	}
	buf_adds(m, what);
	repr_path(m, past, 0);
	return set_error(err, ENOTDIR, past);
}

int vfs_resolve(struct vfs *v, const char *path, const struct vfs_path *parent,
		int flags, struct vfs_path *out, struct vfs_error *err)
{
	int is_abs, must_be_dir, follow = !(flags & VFS_NOFOLLOW), hops = 0;
	char **parts, **future = NULL;
	size_t nparts = decompose(path, &is_abs, &must_be_dir, &parts);
	size_t nfuture = 0, afuture = 0;
	struct vfs_path past = VFS_PATH_INIT;
	int rc = 0;

	vfs_path_release(out);
	if (must_be_dir)
		follow = 1;
	if (!nparts) {
		free(parts);
		if (!is_abs && parent && parent->nr)
			vfs_path_copy(out, parent);
		else
			path_root(out);
		return 0;
	}
	/* future is a stack: the next component is at the end */
	for (size_t i = nparts; i-- > 0;) {
		ALLOC_GROW(future, nfuture + 1, afuture);
		future[nfuture++] = parts[i];
	}
	free(parts);
	if (!is_abs && parent && parent->nr)
		vfs_path_copy(&past, parent);
	else
		path_root(&past);

	for (;;) {
		if (!nfuture) {
			struct vfs_item *leaf = vfs_path_leaf(&past)->item;
			if (must_be_dir && !vfs_item_is_dir(leaf))
				goto not_dir_at_end;
			break;
		}
		char *seg = future[--nfuture];
		if (!strcmp(seg, "..")) {
			if (past.nr > 1)
				vfs_path_truncate(&past, past.nr - 1);
			free(seg);
			continue;
		}
		struct vfs_item *item = xmalloc(sizeof(*item));
		const struct vfs_item *dir = vfs_path_leaf(&past)->item;
		vfs_item_init(item);
		if (!vfs_lookup(v, dir, seg, flags & VFS_NO_META, item)) {
			free(item);
			path_push_own(&past, seg, NULL);
			free(seg);
			break;
		}
		unsigned mode = vfs_item_mode(item);
		if (!S_ISLNK(mode)) {
			path_push_own(&past, seg, item);
			free(seg);
			if (!S_ISDIR(mode)) {
				if (nfuture) {
					rc = not_dir_error(err, path, parent,
							   " ends internally in "
							   "non-directory here: ",
							   &past);
					goto done;
				}
				if (must_be_dir)
					goto not_dir_at_end;
				break;
			}
			if (!(flags & VFS_NO_META) &&
			    (item->kind == VFS_ITEM || item->kind == VFS_COMMIT))
				find_treeish_meta(v, &item->oid, item);
			continue;
		}
		/* a symlink */
		if (!nfuture && !follow) {
			path_push_own(&past, seg, item);
			free(seg);
			continue;
		}
		if (hops > 100) {
			struct buf *m = &err->msg;
			buf_reset(m);
			path_push_own(&past, seg, item);
			free(seg);
			buf_adds(m, "too many symlinks encountered while "
				 "resolving ");
			py_repr_bytes(m, path, strlen(path));
			if (parent) {
				buf_adds(m, " relative to ");
				repr_path(m, parent, 1);
			}
			rc = set_error(err, ELOOP, &past);
			goto done;
		}
		struct buf target = BUF_INIT;
		int t_abs, t_dir;
		char **tparts;
		vfs_readlink(v, item, &target);
		vfs_item_release(item);
		free(item);
		free(seg);
		size_t nt = decompose(target.data, &t_abs, &t_dir, &tparts);
		buf_release(&target);
		if (t_abs) {
			if (!nt) {
				/* bup returns "/" here, whatever follows */
				free(tparts);
				path_root(&past);
				break;
			}
			path_root(&past);
			for (size_t i = 0; i < nfuture; i++)
				free(future[i]);
			nfuture = 0;
		}
		for (size_t i = nt; i-- > 0;) {
			ALLOC_GROW(future, nfuture + 1, afuture);
			future[nfuture++] = tparts[i];
		}
		free(tparts);
		hops++;
	}
	*out = past;
	memset(&past, 0, sizeof(past));
	goto done;

not_dir_at_end:
	rc = not_dir_error(err, path, parent, " resolves to non-directory ",
			   &past);
done:
	for (size_t i = 0; i < nfuture; i++)
		free(future[i]);
	free(future);
	vfs_path_release(&past);
	return rc;
}

int vfs_try_resolve(struct vfs *v, const char *path,
		    const struct vfs_path *parent, int flags,
		    struct vfs_path *out, struct vfs_error *err)
{
	struct vfs_path res = VFS_PATH_INIT, up = VFS_PATH_INIT,
		follow = VFS_PATH_INIT;
	struct vfs_elem *leaf;
	int rc = vfs_resolve(v, path, parent, flags | VFS_NOFOLLOW, &res, err);

	vfs_path_release(out);
	if (rc < 0)
		return rc;
	leaf = vfs_path_leaf(&res);
	if (!leaf->item || !S_ISLNK(vfs_item_mode(leaf->item))) {
		*out = res;
		return 0;
	}
	vfs_path_copy(&up, &res);
	vfs_path_truncate(&up, up.nr - 1);
	rc = vfs_resolve(v, leaf->name, &up, flags & ~VFS_NOFOLLOW, &follow,
			 err);
	vfs_path_release(&up);
	if (rc < 0) {
		vfs_path_release(&res);
		return rc;
	}
	if (vfs_path_leaf(&follow)->item) {
		vfs_path_release(&res);
		*out = follow;
	} else {
		vfs_path_release(&follow);
		*out = res;
	}
	return 0;
}
