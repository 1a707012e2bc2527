/*
 * hashsplit: cut a byte stream into chunks exactly as bup 0.33 does.
 *
 * The caller feeds the stream in the blocks bup would read (8 MiB per
 * read, each file's last short block on its own: HASHSPLIT_READ_SIZE);
 * the splitter calls `emit` for each chunk with its bytes and level.
 * Chunk boundaries depend on those read boundaries (FORMATS-1 §1.4), so
 * hashsplit_read_fd() does the reads the bup way.
 *
 * No I/O besides hashsplit_read_fd(); the chunk bytes passed to emit()
 * live in the splitter's buffer and are valid only during the call.
 */
#ifndef BUP_HASHSPLIT_H
#define BUP_HASHSPLIT_H

#include <stddef.h>
#include <stdint.h>

#define HASHSPLIT_BLOB_MAX (1 << 15)		/* 32768 */
#define HASHSPLIT_READ_SIZE (8 << 20)		/* 8 MiB */
#define HASHSPLIT_DEFAULT_FANOUT 16

typedef int (*hashsplit_emit_fn)(void *ctx, const uint8_t *data, size_t len,
				 int level);

struct hashsplit {
	uint8_t *buf;		/* HASHSPLIT_READ_SIZE + HASHSPLIT_BLOB_MAX */
	size_t len;		/* bytes held, starting at buf[0] */
	int fanbits;
	hashsplit_emit_fn emit;
	void *ctx;
	uint64_t total;		/* bytes fed so far */
};

/* fanout 0 means the default (16), as bup's --fanout=0. */
void hashsplit_init(struct hashsplit *hs, unsigned fanout,
		    hashsplit_emit_fn emit, void *ctx);
void hashsplit_release(struct hashsplit *hs);
/* Fan bits for a fanout: floor(log2(fanout)); 16 gives 4. */
int hashsplit_fanbits(unsigned fanout);

/*
 * Where the next block goes: room for HASHSPLIT_READ_SIZE bytes.  Call
 * hashsplit_feed(hs, n) after putting n bytes there.
 */
uint8_t *hashsplit_space(struct hashsplit *hs);
int hashsplit_feed(struct hashsplit *hs, size_t n);
/* Copy a block in and feed it (n <= HASHSPLIT_READ_SIZE). */
int hashsplit_feed_copy(struct hashsplit *hs, const void *data, size_t n);
/*
 * The core: cut buf[0..len) into chunks as bup 0.33's _splitbuf does,
 * calling emit() for each; *rest is where the unconsumed remainder
 * (< HASHSPLIT_BLOB_MAX bytes, to be rescanned with the next block)
 * starts.  Returns 0 or emit()'s first non-zero result.
 */
int hashsplit_cut(const uint8_t *buf, size_t len, int fanbits,
		  hashsplit_emit_fn emit, void *ctx, size_t *rest);
/* Emit what is left as one last level-0 chunk. */
int hashsplit_finish(struct hashsplit *hs);

/*
 * Feed a whole file (reading 8 MiB blocks).  Returns 0, the first
 * non-zero emit() result, or -1 with errno set on a read error.
 */
int hashsplit_read_fd(struct hashsplit *hs, int fd);

#endif
