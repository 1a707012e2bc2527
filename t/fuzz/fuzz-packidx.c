/*
 * fuzz-packidx: the input is a pack .idx file (v2, or v1).  It is
 * opened with packidx_load() and, if accepted, every id of its table
 * (up to 256) and the first 20 input bytes are looked up.  A rejected
 * file is a normal outcome; a sanitizer report or a crash is a failure.
 */
#include "t/fuzz/fuzz.h"
#include "lib/packidx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write("x.idx", data, size);
	struct packidx *idx = NULL;
	struct buf why = BUF_INIT;

	FUZZ_TRY({
		if (packidx_load(&idx, path, &why) == 0) {
			struct oid o;
			for (uint32_t i = 0; i < idx->nr && i < 256; i++) {
				memcpy(o.hash, packidx_sha(idx, i), OID_RAWSZ);
				packidx_find(idx, &o);
			}
			memset(&o, 0, sizeof(o));
			memcpy(o.hash, data, size < OID_RAWSZ ? size : OID_RAWSZ);
			packidx_find(idx, &o);
			packidx_free(idx);
		}
	});
	buf_release(&why);
	return 0;
}
