/*
 * fuzz-midx: the input is a bup .midx file.  It is opened with
 * midx_open() and, if accepted, every id of its table (up to 256) is
 * looked up and its source idx named, and so are ids made from the
 * input's first bytes.  A rejected file is a normal outcome; a
 * sanitizer report or a crash is a failure.
 */
#include "t/fuzz/fuzz.h"
#include "lib/midx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write("x.midx", data, size);
	struct midx *m = NULL;
	struct buf why = BUF_INIT;

	FUZZ_TRY({
		if (midx_open(&m, path, &why) == 0) {
			struct oid o;
			for (uint32_t i = 0; i < m->nr && i < 256; i++) {
				int64_t at;
				memcpy(o.hash, m->shas + (size_t)i * 20, OID_RAWSZ);
				at = midx_find(m, &o);
				if (at >= 0)
					midx_source(m, (uint32_t)at);
			}
			for (size_t k = 0; k < 4 && k * 4 < size; k++) {
				memset(&o, 0xff * (k & 1), sizeof(o));
				memcpy(o.hash, data + k * 4,
				       size - k * 4 < 20 ? size - k * 4 : 20);
				midx_find(m, &o);
			}
			midx_free(m);
		}
	});
	buf_release(&why);
	return 0;
}
