/*
 * fuzz-metadata: the input is a stream of metadata records, as in a
 * .bupm object or bupindex.meta.  Objects are decoded one after the
 * other with metadata_decode() until one is malformed; each is shown as
 * `bup xstat` and `bup ls -l` would, and re-encoded.  A malformed
 * object is a normal outcome.  Failures: a sanitizer report, a crash,
 * metadata_object_len() disagreeing with the decoder on an object's
 * length, or an object whose re-encoding does not decode back to the
 * same encoding.
 */
#include "t/fuzz/fuzz.h"
#include "lib/bupindex_meta.h"
#include "lib/metadata.h"

static void show(const struct metadata *m)
{
	struct summary_opts o = { 0 };
	struct buf out = BUF_INIT;

	metadata_format_detailed(m, 0, &out);
	buf_reset(&out);
	metadata_format_summary(m, NULL, &out);
	buf_reset(&out);
	o.human_readable = 1;
	o.classify = 2;
	metadata_format_summary_opts(m, "x", 1, &o, &out);
	buf_release(&out);
}

static void roundtrip(const struct metadata *m)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct metadata m2;
	size_t used;

	metadata_encode(m, &a);
	metadata_init(&m2);
	if (metadata_decode(&m2, (const uint8_t *)a.data, a.len, &used) < 0 ||
	    used != a.len) {
		fprintf(stderr, "fuzz-metadata: re-encoded object does not decode\n");
		abort();
	}
	metadata_encode(&m2, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len)) {
		fprintf(stderr, "fuzz-metadata: encoding not stable\n");
		abort();
	}
	metadata_release(&m2);
	buf_release(&a);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_TRY({
		size_t pos = 0;
		while (pos < size) {
			struct metadata m;
			size_t used = 0, n;
			metadata_init(&m);
			if (metadata_decode(&m, data + pos, size - pos, &used) < 0) {
				metadata_release(&m);
				break;
			}
			n = metadata_object_len(data + pos, size - pos);
			if (n != used) {
				fprintf(stderr, "fuzz-metadata: object length %zu, "
					"decoder used %zu\n", n, used);
				abort();
			}
			show(&m);
			roundtrip(&m);
			metadata_release(&m);
			pos += used;
		}
	});
	return 0;
}
