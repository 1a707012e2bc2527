/*
 * fuzz-bloom: the input is a bup.bloom file.  It is opened with
 * bloom_open() and, if accepted, asked about a few ids (from the
 * input's bytes) and about a name.  A rejected file is a normal
 * outcome; a sanitizer report or a crash is a failure.
 */
#include "t/fuzz/fuzz.h"
#include "lib/bloom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write("x.bloom", data, size);
	struct bloom *b = NULL;
	struct buf why = BUF_INIT;

	FUZZ_TRY({
		if (bloom_open(&b, path, &why) == 0) {
			struct oid o;
			for (size_t k = 0; k < 8; k++) {
				memset(&o, (int)k * 37, sizeof(o));
				if (size > k * 20)
					memcpy(o.hash, data + k * 20,
					       size - k * 20 < 20 ? size - k * 20 : 20);
				bloom_contains(b, &o);
			}
			bloom_has_name(b, "pack-0.idx");
			bloom_free(b);
		}
	});
	buf_release(&why);
	return 0;
}
