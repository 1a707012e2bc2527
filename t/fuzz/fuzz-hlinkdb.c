/*
 * fuzz-hlinkdb: the input is a bupindex.hlink file (a Python pickle).
 * It is decoded with hlink_pickle_decode() and, if accepted, re-encoded
 * and decoded again, which must succeed and give the same bytes.  A
 * rejected file is a normal outcome; a sanitizer report, a crash or an
 * unstable re-encoding is a failure.
 */
#include "t/fuzz/fuzz.h"
#include "lib/hlinkdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_TRY({
		struct hlinkdb h, h2;
		struct buf err = BUF_INIT, a = BUF_INIT, b = BUF_INIT;

		hlinkdb_init(&h);
		if (hlink_pickle_decode(&h, data, size, &err) == 0) {
			hlink_pickle_encode(&h, &a);
			hlinkdb_init(&h2);
			if (hlink_pickle_decode(&h2, (const uint8_t *)a.data,
						a.len, &err) < 0) {
				fprintf(stderr, "fuzz-hlinkdb: our encoding does "
					"not decode: %s\n", err.data);
				abort();
			}
			hlink_pickle_encode(&h2, &b);
			if (a.len != b.len || memcmp(a.data, b.data, a.len)) {
				fprintf(stderr, "fuzz-hlinkdb: encoding not stable\n");
				abort();
			}
			hlinkdb_release(&h2);
		}
		hlinkdb_release(&h);
		buf_release(&err);
		buf_release(&a);
		buf_release(&b);
	});
	return 0;
}
