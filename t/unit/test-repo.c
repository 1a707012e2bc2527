/*
 * Unit tests for lib/repo: where the repository is (argument, $BUP_DIR,
 * ~/.bup), bup's valid_save_name (FORMATS-2 §1.8), repo_rel (the names
 * in messages) and compare-and-swap ref updates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/oid.h"
#include "lib/repo.h"
#include "lib/usage.h"
#include "t/unit/helpers.h"

static char tmpdir[] = "/tmp/test-repo-XXXXXX";
static char last_msg[4096];
static int nr_msgs;

static void capture_report(const char *prefix, const char *msg)
{
	snprintf(last_msg, sizeof(last_msg), "%s%s", prefix, msg);
	nr_msgs++;
}

static int setup(void **state)
{
	(void)state;
	if (tmp_git_home(tmpdir))
		return -1;
	unsetenv("BUP_DIR");
	repo_global_init();
	usage_set_report(capture_report);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	usage_set_report(NULL);
	return rm_rf(tmpdir);
}

static void check_guess(const char *arg, const char *want)
{
	char *p = repo_guess_path(arg);
	assert_non_null(p);
	if (strcmp(p, want))
		fail_msg("repo_guess_path(%s): '%s', want '%s'",
			 arg ? arg : "NULL", p, want);
	free(p);
}

static void test_repo_guess_path(void **state)
{
	char want[1024];
	(void)state;
	unsetenv("BUP_DIR");
	setenv("HOME", "/home/someone", 1);
	/* an argument wins */
	check_guess("/srv/bup", "/srv/bup");
	check_guess("relative/repo", "relative/repo");
	/* trailing slashes go, but "/" stays "/" */
	check_guess("/srv/bup/", "/srv/bup");
	check_guess("/srv/bup///", "/srv/bup");
	check_guess("/", "/");
	check_guess("//", "/");
	/* no argument (or an empty one): ~/.bup */
	check_guess(NULL, "/home/someone/.bup");
	check_guess("", "/home/someone/.bup");
	/* then $BUP_DIR */
	setenv("BUP_DIR", "/data/bup-dir", 1);
	check_guess(NULL, "/data/bup-dir");
	check_guess("", "/data/bup-dir");
	check_guess("/arg", "/arg");
	setenv("BUP_DIR", "/data/bup-dir//", 1);
	check_guess(NULL, "/data/bup-dir");
	/* an empty BUP_DIR counts as unset */
	setenv("BUP_DIR", "", 1);
	check_guess(NULL, "/home/someone/.bup");
	unsetenv("BUP_DIR");
	setenv("HOME", tmpdir, 1);
	snprintf(want, sizeof(want), "%s/.bup", tmpdir);
	check_guess(NULL, want);
}

/* bup uses os.path.expanduser("~/.bup"), which drops HOME's trailing
 * slash: HOME=/home/slash/ gives /home/slash/.bup, HOME=/ gives /.bup. */
static void test_repo_guess_path_home_slash(void **state)
{
	(void)state;
	unsetenv("BUP_DIR");
	setenv("HOME", "/home/slash/", 1);
	check_guess(NULL, "/home/slash/.bup");
	setenv("HOME", "/", 1);
	check_guess(NULL, "/.bup");
	setenv("HOME", tmpdir, 1);
}

struct name_case {
	const char *name;
	int ok;
};

static void test_repo_valid_save_name(void **state)
{
	static const struct name_case cases[] = {
		{ "backup", 1 },
		{ "my-host.example", 1 },
		{ "a/b", 1 },
		{ "a/b/c", 1 },
		{ "x@y", 1 },
		{ "@x", 1 },
		{ "a.b", 1 },
		{ "lock", 1 },
		{ "a.lockx", 1 },
		{ "a/b.locked", 1 },
		{ "a{b}", 1 },
		{ "!#$%&()+,;<=>'\"`|", 1 },
		{ "\xc3\xa9t\xc3\xa9", 1 },	/* UTF-8 is fine */
		{ "-dash", 1 },
		{ "@", 0 },
		{ "/lead", 0 },
		{ "trail/", 0 },
		{ "trail.", 0 },
		{ "a/b.", 0 },
		{ "with space", 0 },
		{ "a[b", 0 },
		{ "a~b", 0 },
		{ "a^b", 0 },
		{ "a:b", 0 },
		{ "a?b", 0 },
		{ "a*b", 0 },
		{ "a\\b", 0 },
		{ "a..b", 0 },
		{ "..", 0 },
		{ "a//b", 0 },
		{ "a@{b", 0 },
		{ "@{", 0 },
		{ "tab\there", 0 },
		{ "nl\nhere", 0 },
		{ "\x01", 0 },
		{ "del\x7f", 0 },
		{ "\x1f", 0 },
		{ ".hidden", 0 },
		{ "a/.hidden", 0 },
		{ "a/.b/c", 0 },
		{ "x.lock", 0 },
		{ "a/x.lock", 0 },
		{ "x.lock/a", 0 },
		{ ".lock", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (valid_save_name(cases[i].name) != cases[i].ok)
			fail_msg("valid_save_name(\"%s\") = %d, want %d",
				 cases[i].name, valid_save_name(cases[i].name),
				 cases[i].ok);
}

static void make_repo(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
	assert_int_equal(git_init_bare(out), 0);
}

static void check_rel(const struct repo *r, const char *path, const char *want)
{
	char *got = repo_rel(r, path);
	if (strcmp(got, want))
		fail_msg("repo_rel(%s) = '%s', want '%s'", path, got, want);
	free(got);
}

static void test_repo_rel(void **state)
{
	char dir[512], p[1024], f[1024];
	struct repo r;
	static const char *hex = "0123456789abcdef0123456789abcdef01234567";
	(void)state;
	make_repo(dir, sizeof(dir), "rel");
	repo_open(&r, dir);

	/* a file in the repository: relative, hash shortened */
	snprintf(p, sizeof(p), "%s/objects/pack/pack-%s.idx", dir, hex);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fclose(fp);
	check_rel(&r, p, "objects/pack/pack-0123456*.idx");
	/* one that does not exist (yet) */
	snprintf(p, sizeof(p), "%s/objects/pack/midx-%s.midx", dir, hex);
	check_rel(&r, p, "objects/pack/midx-0123456*.midx");
	/* through a path with "." and a doubled slash */
	snprintf(p, sizeof(p), "%s/./objects//pack/pack-%s.idx", dir, hex);
	check_rel(&r, p, "objects/pack/pack-0123456*.idx");
	/* the index cache prefix goes too */
	snprintf(p, sizeof(p), "%s/index-cache/host/x-%s.idx", dir, hex);
	check_rel(&r, p, "host/x-0123456*.idx");
	/* outside the repository: unchanged but for the hashes */
	check_rel(&r, "/elsewhere/file", "/elsewhere/file");
	snprintf(p, sizeof(p), "/elsewhere/%s", hex);
	check_rel(&r, p, "/elsewhere/0123456*");
	/* a sibling whose name starts like the repository is outside */
	snprintf(f, sizeof(f), "%s-other/x", dir);
	check_rel(&r, f, f);
	/* only runs of exactly 40 [0-9a-z] are shortened */
	check_rel(&r, "/x/0123456789abcdef0123456789abcdef0123456", 
		  "/x/0123456789abcdef0123456789abcdef0123456");
	check_rel(&r, "/x/0123456789abcdef0123456789abcdef012345678",
		  "/x/0123456789abcdef0123456789abcdef012345678");
	check_rel(&r, "/x/0123456789ABCDEF0123456789abcdef01234567",
		  "/x/0123456789ABCDEF0123456789abcdef01234567");
	snprintf(p, sizeof(p), "%s.%s", hex, hex);
	check_rel(&r, p, "0123456*.0123456*");
	repo_close(&r);
}

/* A commit id made with git (the object must exist for a ref). */
static void make_commit(const char *dir, const char *msg, struct oid *out)
{
	char cmd[1024], hex[64] = { 0 };
	FILE *f;
	snprintf(cmd, sizeof(cmd),
		 "t=$(git --git-dir='%s' mktree </dev/null) && "
		 "GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t "
		 "GIT_COMMITTER_EMAIL=t@t git --git-dir='%s' commit-tree $t -m '%s'",
		 dir, dir, msg);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(hex, sizeof(hex), f));
	assert_int_equal(pclose(f), 0);
	hex[40] = 0;
	assert_int_equal(oid_from_hex(out, hex), 0);
}

static void git_ref(const char *dir, const char *ref, char *out, size_t n)
{
	char cmd[1024];
	FILE *f;
	snprintf(cmd, sizeof(cmd),
		 "git --git-dir='%s' rev-parse -q --verify '%s' 2>/dev/null", dir, ref);
	f = popen(cmd, "r");
	assert_non_null(f);
	out[0] = 0;
	if (!fgets(out, (int)n, f))
		out[0] = 0;
	pclose(f);
	out[strcspn(out, "\n")] = 0;
}

static void test_repo_update_ref(void **state)
{
	char dir[512], cur[128], hex[41];
	struct repo r;
	struct oid a, b, c, got;
	(void)state;
	make_repo(dir, sizeof(dir), "refs");
	make_commit(dir, "a", &a);
	make_commit(dir, "b", &b);
	make_commit(dir, "c", &c);
	repo_open(&r, dir);

	assert_int_equal(repo_read_ref(&r, "refs/heads/x", &got), 0);
	/* create (must not exist) */
	assert_int_equal(repo_update_ref(&r, "refs/heads/x", &a, NULL, "msg"), 0);
	assert_int_equal(repo_read_ref(&r, "refs/heads/x", &got), 1);
	assert_true(oid_eq(&got, &a));
	git_ref(dir, "refs/heads/x", cur, sizeof(cur));
	assert_string_equal(cur, oid_to_hex(&a, hex));

	/* create again: fails, unchanged */
	nr_msgs = 0;
	assert_int_equal(repo_update_ref(&r, "refs/heads/x", &b, NULL, "msg"), -1);
	assert_int_equal(nr_msgs, 1);
	assert_non_null(strstr(last_msg, "refs/heads/x"));
	git_ref(dir, "refs/heads/x", cur, sizeof(cur));
	assert_string_equal(cur, oid_to_hex(&a, hex));

	/* the right old value: moves */
	assert_int_equal(repo_update_ref(&r, "refs/heads/x", &b, &a, "msg"), 0);
	git_ref(dir, "refs/heads/x", cur, sizeof(cur));
	assert_string_equal(cur, oid_to_hex(&b, hex));

	/* a stale old value (someone moved it meanwhile): fails, unchanged */
	nr_msgs = 0;
	last_msg[0] = 0;
	assert_int_equal(repo_update_ref(&r, "refs/heads/x", &c, &a, "msg"), -1);
	assert_int_equal(nr_msgs, 1);
	assert_non_null(strstr(last_msg, "error: "));
	assert_non_null(strstr(last_msg, "refs/heads/x"));
	git_ref(dir, "refs/heads/x", cur, sizeof(cur));
	assert_string_equal(cur, oid_to_hex(&b, hex));
	assert_int_equal(repo_read_ref(&r, "refs/heads/x", &got), 1);
	assert_true(oid_eq(&got, &b));

	/* an old value for a ref that does not exist: fails, not created */
	assert_int_equal(repo_update_ref(&r, "refs/heads/y", &c, &a, "msg"), -1);
	assert_int_equal(repo_read_ref(&r, "refs/heads/y", &got), 0);
	git_ref(dir, "refs/heads/y", cur, sizeof(cur));
	assert_string_equal(cur, "");

	/* a changed ref is seen by git outside (no stale cache) */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' update-ref refs/heads/x %s",
		 dir, oid_to_hex(&c, hex));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(repo_update_ref(&r, "refs/heads/x", &a, &b, "msg"), -1);
	assert_int_equal(repo_update_ref(&r, "refs/heads/x", &a, &c, "msg"), 0);
	git_ref(dir, "refs/heads/x", cur, sizeof(cur));
	assert_string_equal(cur, oid_to_hex(&a, hex));
	/* no lock file left behind */
	snprintf(cmd, sizeof(cmd), "%s/refs/heads/x.lock", dir);
	assert_int_equal(access(cmd, F_OK), -1);

	/* resolve */
	assert_int_equal(repo_resolve(&r, "x", &got), 0);
	assert_true(oid_eq(&got, &a));
	assert_int_equal(repo_resolve(&r, oid_to_hex(&b, hex), &got), 0);
	assert_true(oid_eq(&got, &b));
	assert_int_equal(repo_resolve(&r, "no-such-branch", &got), -1);
	repo_close(&r);
}

static void test_repo_paths_and_config(void **state)
{
	char dir[512], want[1024], cmd[1024];
	struct repo r;
	struct buf b = BUF_INIT;
	int64_t v;
	(void)state;
	make_repo(dir, sizeof(dir), "cfg");
	snprintf(cmd, sizeof(cmd),
		 "git --git-dir='%s' config bup.x hello && "
		 "git --git-dir='%s' config pack.n 12k", dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(want, sizeof(want), "%s//", dir);
	repo_open(&r, want);
	assert_string_equal(r.path, dir);
	char *p = repo_path(&r, "objects/pack");
	snprintf(want, sizeof(want), "%s/objects/pack", dir);
	assert_string_equal(p, want);
	free(p);
	assert_int_equal(repo_config_str(&r, "bup.x", &b), 1);
	assert_string_equal(b.data, "hello");
	assert_int_equal(repo_config_str(&r, "bup.absent", &b), 0);
	assert_int_equal(repo_config_int(&r, "pack.n", &v), 1);
	assert_int_equal(v, 12 * 1024);
	assert_int_equal(repo_config_int(&r, "pack.absent", &v), 0);
	repo_close(&r);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repo_guess_path),
		cmocka_unit_test(test_repo_guess_path_home_slash),
		cmocka_unit_test(test_repo_valid_save_name),
		cmocka_unit_test(test_repo_rel),
		cmocka_unit_test(test_repo_update_ref),
		cmocka_unit_test(test_repo_paths_and_config),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
