/* mangle: bup's mangle_name/demangle_name (FORMATS-2 §1.2). */
#include "mangle.h"

#include <string.h>
#include <sys/stat.h>

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && !memcmp(s + len - n, suffix, n);
}

void mangle_name(struct buf *out, const char *name, size_t len,
		 uint32_t mode, uint32_t gitmode)
{
	buf_add(out, name, len);
	if (S_ISREG(mode) && !S_ISREG(gitmode))
		buf_adds(out, ".bup");
	else if (ends_with(name, len, ".bup") ||
		 (len && ends_with(name, len - 1, ".bup")))
		buf_adds(out, ".bupl");
}

size_t demangle_name(const char *name, size_t len, uint32_t mode, int *kind)
{
	*kind = BUP_NORMAL;
	if (ends_with(name, len, ".bupl"))
		return len - 5;
	if (ends_with(name, len, ".bup")) {
		*kind = BUP_CHUNKED;
		return len - 4;
	}
	if (ends_with(name, len, ".bupm")) {
		*kind = S_ISDIR(mode) ? BUP_CHUNKED : BUP_NORMAL;
		return len - 5;
	}
	return len;
}
