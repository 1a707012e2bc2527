/*
 * repo: a bup repository (a bare git repository) opened by path.
 *
 * repo_open() finds the path (argument, else $BUP_DIR, else ~/.bup),
 * checks it as bup does (exit 15 if it does not exist, 14 if it is not a
 * repository) and opens it with libgit2, which we use to read objects,
 * config and refs.  Writing objects is the pack writer's job; the repo
 * owns the packlist used for "do we have it?" lookups.
 *
 * Refs are updated with repo_update_ref(): libgit2 takes the ref's lock
 * file, checks the old value is still current, writes, fsyncs and
 * renames.  Call it only after the objects it names are durable.
 */
#ifndef BUP_REPO_H
#define BUP_REPO_H

#include <git2.h>
#include <stdint.h>

#include "buf.h"
#include "oid.h"
#include "packlist.h"

struct objreader;

struct repo {
	char *path;		/* no trailing slash */
	git_repository *git;
	struct packlist packs;
	struct objreader *objects;	/* direct pack reads (repo_read_object) */
	int objects_opened;
	git_odb *odb;			/* libgit2's, for everything else */
};

/* The path bup would use: `path`, else $BUP_DIR, else ~/.bup. Caller frees. */
char *repo_guess_path(const char *path);
/* Open or die (bup's check_repo_or_die). */
void repo_open(struct repo *r, const char *path);
void repo_close(struct repo *r);
/* `sub` under the repository (e.g. "objects/pack"); caller frees. */
char *repo_path(const struct repo *r, const char *sub);

/* Config lookups; 1 found, 0 absent. */
int repo_config_str(struct repo *r, const char *key, struct buf *out);
int repo_config_int(struct repo *r, const char *key, int64_t *out);

/* 1 and *out set if the ref exists, 0 if not, -1 on error. */
int repo_read_ref(struct repo *r, const char *refname, struct oid *out);
/*
 * Point `refname` at `new_oid` if it still holds `old` (NULL: must not
 * exist yet).  0 on success, -1 with a message.
 */
int repo_update_ref(struct repo *r, const char *refname,
		    const struct oid *new_oid, const struct oid *old,
		    const char *log_message);
/* Resolve a ref name, "HEAD~2", a hex id... as git does. 0, or -1. */
int repo_resolve(struct repo *r, const char *spec, struct oid *out);

/*
 * Read a whole object: from bup's packs directly (lib/objread.h), else
 * through libgit2 (loose objects, deltas).  0 with *type and `out` set;
 * -1 if the repository does not have it (nothing printed); -2 after
 * reporting a corrupt pack.
 */
int repo_read_object(struct repo *r, const struct oid *oid,
		     enum obj_type *type, struct buf *out);

/* Report the last libgit2 error as one line, return -1. */
int report_git_error(const char *what);

/*
 * libgit2 set-up (fsync on), once, before the first repository is opened
 * or created: it costs milliseconds (TLS set-up) that commands which
 * never open one, or run thousands of times in scripts, need not pay.
 */
void repo_global_init(void);



/*
 * How bup names a repository file in messages (repo_rel): relative to
 * the repository, with 40-digit hashes shortened to 7 and '*'.
 */
char *repo_rel(const struct repo *r, const char *path);

/* bup's valid_save_name: a branch name a save may use. */
int valid_save_name(const char *name);

#endif
