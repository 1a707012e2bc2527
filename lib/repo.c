#include "repo.h"
#include "objread.h"
#include "usage.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void repo_global_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	git_libgit2_init();
	/* Refs and objects libgit2 writes are fsynced, as ours are. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	/* Our packs are found without a lookup of loose objects first. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

int report_git_error(const char *what)
{
	const git_error *e = git_error_last();
	return error("%s: %s", what, e && e->message ? e->message : "unknown error");
}

char *repo_guess_path(const char *path)
{
	struct buf b = BUF_INIT;
	const char *env = getenv("BUP_DIR");

	if (path && *path)
		buf_adds(&b, path);
	else if (env && *env)
		buf_adds(&b, env);
	else {
		const char *home = getenv("HOME");
		size_t n;
		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : "/";
		}
		/* as os.path.expanduser("~/.bup"): no doubled slash */
		n = strlen(home);
		while (n > 1 && home[n - 1] == '/')
			n--;
		buf_add(&b, home, n);
		if (b.len == 1 && b.data[0] == '/')
			buf_reset(&b);
		buf_adds(&b, "/.bup");
	}
	while (b.len > 1 && b.data[b.len - 1] == '/')
		buf_setlen(&b, b.len - 1);
	return buf_detach(&b, NULL);
}

char *repo_path(const struct repo *r, const char *sub)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s", r->path, sub);
	return buf_detach(&b, NULL);
}

void repo_open(struct repo *r, const char *path)
{
	struct stat st;
	char *pack;

	memset(r, 0, sizeof(*r));
	r->path = repo_guess_path(path);
	pack = repo_path(r, "objects/pack");
	if (stat(pack, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (stat(r->path, &st) < 0)
			die_status(EXIT_NO_REPO,
				   "repository '%s' does not exist (see \"bup help init\")",
				   r->path);
		die_status(14, "'%s' is not a repository", r->path);
	}
	repo_global_init();
	if (git_repository_open_bare(&r->git, r->path) < 0) {
		report_git_error(r->path);
		exit(14);
	}
	packlist_init(&r->packs, pack);
	free(pack);
}

void repo_close(struct repo *r)
{
	packlist_release(&r->packs);
	objreader_free(r->objects);
	if (r->odb)
		git_odb_free(r->odb);
	if (r->git)
		git_repository_free(r->git);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

int repo_read_object(struct repo *r, const struct oid *oid,
		     enum obj_type *type, struct buf *out)
{
	git_odb_object *o;
	git_oid id;
	int n;

	if (!r->objects_opened) {
		r->objects = objreader_new(r->path);
		r->objects_opened = 1;
	}
	n = objreader_read(r->objects, oid, type, out);
	if (n)
		return n > 0 ? 0 : -2;
	if (!r->odb && git_repository_odb(&r->odb, r->git) < 0)
		return report_git_error("cannot open the object database") - 1;
	memcpy(id.id, oid->hash, OID_RAWSZ);
	if (git_odb_read(&o, r->odb, &id) < 0)
		return -1;
	switch (git_odb_object_type(o)) {
	case GIT_OBJECT_COMMIT: *type = OBJ_COMMIT; break;
	case GIT_OBJECT_TREE: *type = OBJ_TREE; break;
	case GIT_OBJECT_BLOB: *type = OBJ_BLOB; break;
	case GIT_OBJECT_TAG: *type = OBJ_TAG; break;
	default: *type = OBJ_NONE; break;
	}
	buf_reset(out);
	buf_add(out, git_odb_object_data(o), git_odb_object_size(o));
	git_odb_object_free(o);
	return 0;
}

int repo_config_str(struct repo *r, const char *key, struct buf *out)
{
	git_config *cfg;
	git_buf v = GIT_BUF_INIT;
	int found = 0;

	if (git_repository_config_snapshot(&cfg, r->git) < 0)
		return 0;
	if (git_config_get_string_buf(&v, cfg, key) == 0) {
		buf_add(out, v.ptr, v.size);
		found = 1;
	}
	git_buf_dispose(&v);
	git_config_free(cfg);
	return found;
}

int repo_config_int(struct repo *r, const char *key, int64_t *out)
{
	git_config *cfg;
	int found = 0;

	if (git_repository_config_snapshot(&cfg, r->git) < 0)
		return 0;
	if (git_config_get_int64(out, cfg, key) == 0)
		found = 1;
	git_config_free(cfg);
	return found;
}

int repo_read_ref(struct repo *r, const char *refname, struct oid *out)
{
	git_oid id;
	int rc = git_reference_name_to_id(&id, r->git, refname);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return report_git_error(refname);
	memcpy(out->hash, id.id, OID_RAWSZ);
	return 1;
}

int repo_update_ref(struct repo *r, const char *refname,
		    const struct oid *new_oid, const struct oid *old,
		    const char *log_message)
{
	git_reference *ref = NULL;
	git_oid nid, oid_old;
	int rc;

	memcpy(nid.id, new_oid->hash, OID_RAWSZ);
	if (old) {
		memcpy(oid_old.id, old->hash, OID_RAWSZ);
		rc = git_reference_create_matching(&ref, r->git, refname, &nid,
						   1, &oid_old, log_message);
	} else {
		rc = git_reference_create(&ref, r->git, refname, &nid, 0,
					  log_message);
	}
	git_reference_free(ref);
	if (rc < 0) {
		char what[512];
		snprintf(what, sizeof(what), "cannot update '%s'", refname);
		return report_git_error(what);
	}
	return 0;
}

int repo_resolve(struct repo *r, const char *spec, struct oid *out)
{
	git_object *obj;
	if (git_revparse_single(&obj, r->git, spec) < 0)
		return -1;
	memcpy(out->hash, git_object_id(obj)->id, OID_RAWSZ);
	git_object_free(obj);
	return 0;
}

int valid_save_name(const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (!len || !strcmp(name, "@") || name[0] == '/' ||
	    name[len - 1] == '/' || name[len - 1] == '.')
		return 0;
	if (strpbrk(name, "[ ~^:?*\\") || strstr(name, "..") ||
	    strstr(name, "//") || strstr(name, "@{"))
		return 0;
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	for (p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (p[0] == '.' || (n >= 5 && !strncmp(p + n - 5, ".lock", 5)))
			return 0;
		p += n;
		if (*p)
			p++;
	}
	return 1;
}

/* bup's shorten_hash: a 40-character hex-ish run becomes its first 7 and '*'. */
static void shorten_hashes(struct buf *b)
{
	struct buf out = BUF_INIT;
	size_t i = 0;
	while (i < b->len) {
		size_t j = i;
		while (j < b->len && ((b->data[j] >= '0' && b->data[j] <= '9') ||
				      (b->data[j] >= 'a' && b->data[j] <= 'z')))
			j++;
		if (j - i == OID_HEXSZ) {
			buf_add(&out, b->data + i, 7);
			buf_addch(&out, '*');
		} else {
			buf_add(&out, b->data + i, j - i);
		}
		if (j < b->len)
			buf_addch(&out, b->data[j++]);
		i = j;
	}
	buf_release(b);
	*b = out;
}

char *repo_rel(const struct repo *r, const char *path)
{
	struct buf b = BUF_INIT;
	char *full = realpath(path, NULL), *top = realpath(r->path, NULL);
	const char *p = full ? full : path;
	size_t n = top ? strlen(top) : 0;

	if (top && !strncmp(p, top, n) && p[n] == '/')
		p += n + 1;
	else
		p = path;
	if (!strncmp(p, "index-cache/", 12))
		p += 12;
	buf_adds(&b, p);
	shorten_hashes(&b);
	free(full);
	free(top);
	return buf_detach(&b, NULL);
}
