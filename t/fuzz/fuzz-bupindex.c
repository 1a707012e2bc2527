/*
 * fuzz-bupindex: the input is a bupindex file.  It is opened with
 * bupindex_open() and, if accepted, checked (bup index --check), walked
 * whole in both orders, and searched for a path.  A rejected file (an
 * error naming it) is a normal outcome; a sanitizer report, a crash or
 * a timeout is a failure.
 */
#include "t/fuzz/fuzz.h"
#include "lib/bupindex.h"
#include "lib/ixwalk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write("bupindex", data, size);
	struct bupindex ix;

	fuzz_quiet_logmsg();	/* bupindex_check() talks */
	FUZZ_TRY({
		if (bupindex_open(&ix, path) == 0) {
			struct ixlist l = IXLIST_INIT;
			struct ixwalk w;
			bupindex_check(&ix, 1);
			bupindex_iter(&ix, NULL, &l);
			ixlist_release(&l);
			bupindex_iter(&ix, "/a/", &l);
			ixlist_release(&l);
			bupindex_forward(&ix, &l);
			ixlist_release(&l);
			ixwalk_find(&w, &ix, "/a/b");
			ixwalk_release(&w);
		}
		bupindex_close(&ix);
	});
	return 0;
}
