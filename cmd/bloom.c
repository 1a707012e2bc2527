/* bup bloom: keep objects/pack/bup.bloom up to date (FORMATS-1 §5). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/bloom.h"
#include "lib/midx.h"
#include "lib/options.h"
#include "lib/packidx.h"
#include "lib/repo.h"
#include "lib/usage.h"
#include "lib/xio.h"

static const char bloom_usage[] =
"bup bloom [options...]\n"
"--\n"
"ruin       ruin the specified bloom file (clearing the bitfield)\n"
"f,force    ignore existing bloom file and regenerate it from scratch\n"
"o,output=  output bloom filename (default: auto)\n"
"d,dir=     input directory to look for idx files (default: auto)\n"
"k,hashes=  number of hash functions to use (4 or 5) (default: auto)\n"
"c,check=   check given *.idx or *.midx file against the bloom filter\n";

/* Every id of the idx (or midx) must be "maybe" in the bloom. */
/* bup's add_error: the message padded to 70 columns. */
static int note_error(const char *fmt, const char *arg)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, arg);
	logmsg("%-70s\n", msg);
	return 1;
}

static int check_bloom(const struct repo *repo, const char *dir,
		       const char *bloompath, const char *idx)
{
	struct bloom *b;
	struct buf why = BUF_INIT, path = BUF_INIT;
	int errors = 0;
	char hex[OID_HEXSZ + 1];
	char *rbloom = repo_rel(repo, bloompath), *ridx = repo_rel(repo, idx);

	if (access(bloompath, F_OK) < 0) {
		logmsg("bloom: %s: does not exist.\n", rbloom);
		goto out;
	}
	if (bloom_open(&b, bloompath, &why) < 0) {
		errors += note_error("bloom: '%s' is invalid.", rbloom);
		debug1("%s\n", why.data);
		goto out;
	}
	if (!bloom_has_name(b, path_basename(idx))) {
		logmsg("bloom: %s does not contain the idx.\n", rbloom);
		bloom_free(b);
		goto out;
	}
	if (!strchr(idx, '/'))
		buf_addf(&path, "%s/%s", dir, idx);
	else
		buf_adds(&path, idx);
	logmsg("bloom: bloom file: %s\n", rbloom);
	logmsg("bloom:   checking %s\n", ridx);
	size_t n = strlen(path.data);
	if (n > 5 && !strcmp(path.data + n - 5, ".midx")) {
		struct midx *m;
		buf_reset(&why);
		if (midx_open(&m, path.data, &why) < 0) {
			errors += note_error("bloom: ERROR: invalid index %s", path.data);
		} else {
			for (uint32_t i = 0; i < m->nr; i++) {
				struct oid o;
				memcpy(o.hash, m->shas + 20 * (size_t)i, OID_RAWSZ);
				if (!bloom_contains(b, &o))
					errors += note_error("bloom: ERROR: object %s missing",
							     oid_to_hex(&o, hex));
			}
			midx_free(m);
		}
	} else {
		struct packidx *ix;
		if (packidx_open(&ix, path.data) < 0) {
			errors++;
		} else {
			for (uint32_t i = 0; i < ix->nr; i++) {
				struct oid o;
				memcpy(o.hash, packidx_sha(ix, i), OID_RAWSZ);
				if (!bloom_contains(b, &o))
					errors += note_error("bloom: ERROR: object %s missing",
							     oid_to_hex(&o, hex));
			}
			packidx_free(ix);
		}
	}
	bloom_free(b);
out:
	buf_release(&why);
	buf_release(&path);
	free(rbloom);
	free(ridx);
	return errors;
}

/* Clear the bit table in place (for testing what a broken filter does). */
static int ruin_bloom(const char *path)
{
	struct bloom *b;
	struct buf why = BUF_INIT;
	int fd, bits;

	if (access(path, F_OK) < 0)
		return error("bloom: %s not found to ruin", path);
	if (bloom_open(&b, path, &why) < 0) {
		error("%s", why.data);
		buf_release(&why);
		return -1;
	}
	bits = b->bits;
	bloom_free(b);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	size_t len = (size_t)1 << bits;
	char *zero = xcalloc(len, 1);
	int r = pwrite_in_full(fd, zero, len, 16);
	free(zero);
	if (r < 0 || fsync(fd) < 0) {
		close(fd);
		return error_errno("cannot write '%s'", path);
	}
	close(fd);
	return 0;
}

int cmd_bloom(int argc, char **argv)
{
	struct options o;
	struct repo repo;
	const char *check, *dir_opt, *output;
	char *dir;
	struct buf out = BUF_INIT;
	int errors = 0;
	long k = 0;

	opt_parse(&o, bloom_usage, argc, argv);
	if (o.nr_args)
		opt_fatal(&o, "no positional parameters expected");
	check = opt_str(&o, "check");
	if (!check && opt_str(&o, "hashes")) {
		k = opt_int(&o, "hashes", 0);
		if (k != 4 && k != 5)
			opt_fatal(&o, "only k values of 4 and 5 are supported");
	}
	repo_open(&repo, NULL);
	output = opt_str(&o, "output");
	dir_opt = opt_str(&o, "dir");
	dir = dir_opt ? xstrdup(dir_opt) : repo_path(&repo, "objects/pack");
	debug1("bloom: scanning %s\n", dir);
	if (output) {
		size_t n = strlen(output);
		if (n < 6 || strcmp(output + n - 6, ".bloom"))
			opt_fatal(&o, "the output name must end in .bloom: '%s'", output);
		buf_adds(&out, output);
	} else {
		buf_addf(&out, "%s/bup.bloom", dir);
	}
	if (check)
		errors += check_bloom(&repo, dir, out.data, check);
	else if (opt_count(&o, "ruin"))
		errors += ruin_bloom(out.data) < 0;
	else if (bloom_maintain(dir, out.data, (int)k, opt_count(&o, "force")) < 0)
		errors++;
	free(dir);
	buf_release(&out);
	repo_close(&repo);
	opt_release(&o);
	if (errors) {
		logmsg("WARNING: %d errors encountered during bloom.\n", errors);
		return EXIT_ERRORS;
	}
	if (check)
		logmsg("All tests passed.\n");
	return EXIT_OK;
}
