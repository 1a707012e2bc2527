/*
 * fuzz-mangle: tree entry names.  The first input byte picks the file's
 * mode and git mode, the rest is a name.  demangle_name() is run on the
 * name as found in a tree, and on mangle_name()'s output, which must
 * give back the name and the right kind (chunked or not).  A sanitizer
 * report, a crash or a round trip that differs is a failure.
 */
#include <sys/stat.h>

#include "t/fuzz/fuzz.h"
#include "lib/mangle.h"

static const uint32_t modes[] = {
	S_IFREG | 0644, S_IFDIR | 0755, S_IFLNK | 0777, S_IFIFO | 0644,
};
static const uint32_t gitmodes[] = {
	0100644, 0100755, 040000, 0120000,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	uint32_t mode, gitmode, intree;
	const char *name = (const char *)data + 1;
	size_t len, got;
	int kind, chunked;

	if (!size)
		return 0;
	mode = modes[data[0] & 3];
	gitmode = gitmodes[(data[0] >> 2) & 3];
	len = size - 1;
	demangle_name(name, len, gitmode, &kind);
	mangle_name(&out, name, len, mode, gitmode);
	chunked = S_ISREG(mode) && !S_ISREG(gitmode);
	intree = chunked ? 040000 : gitmode;
	got = demangle_name(out.data, out.len, intree, &kind);
	if (got != len || memcmp(out.data, name, len) ||
	    kind != (chunked ? BUP_CHUNKED : BUP_NORMAL)) {
		fprintf(stderr, "fuzz-mangle: '%.*s' -> '%s' -> %zu bytes, kind %d\n",
			(int)len, name, out.data, got, kind);
		abort();
	}
	buf_release(&out);
	return 0;
}
