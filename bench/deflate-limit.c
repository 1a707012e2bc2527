/*
 * deflate-limit: upper bound on how fast a bup-style writer could go if the
 * only work were zlib-compressing the data.
 *
 * Reads FILE (mmap), splits it into fixed CHUNK-byte pieces (default 32 KiB;
 * bup's blobs average ~8 KiB, so this is slightly optimistic), and compresses
 * every piece with libdeflate level 1 in zlib format
 * (libdeflate_zlib_compress), using NTHREADS threads that each take a
 * contiguous share of the chunk list.
 *
 * usage: deflate-limit FILE [NTHREADS [LEVEL [CHUNK]]]
 * prints one line:
 *   threads=N level=L chunk=C bytes=B out=O ratio=R compress_s=T MB/s=X
 * where compress_s / MB/s cover only the compression phase (the file is
 * pre-faulted into memory first).  MB = 10^6 bytes.
 *
 * build: cc -O2 -o deflate-limit deflate-limit.c -ldeflate -lpthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct job {
    const unsigned char *data;
    size_t size;        /* total bytes in file */
    size_t chunk;       /* chunk size */
    size_t first, last; /* chunk index range [first, last) */
    int level;
    uint64_t out_bytes;
    int err;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(j->level);
    if (!c) { j->err = 1; return NULL; }
    size_t bound = libdeflate_zlib_compress_bound(c, j->chunk);
    unsigned char *out = malloc(bound);
    if (!out) { j->err = 1; libdeflate_free_compressor(c); return NULL; }
    for (size_t i = j->first; i < j->last; i++) {
        size_t off = i * j->chunk;
        size_t n = j->size - off < j->chunk ? j->size - off : j->chunk;
        size_t r = libdeflate_zlib_compress(c, j->data + off, n, out, bound);
        if (r == 0) { j->err = 1; break; }
        j->out_bytes += r;
    }
    free(out);
    libdeflate_free_compressor(c);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [NTHREADS [LEVEL [CHUNK]]]\n", argv[0]);
        return 2;
    }
    int nthreads = argc > 2 ? atoi(argv[2]) : 2;
    int level = argc > 3 ? atoi(argv[3]) : 1;
    size_t chunk = argc > 4 ? (size_t)strtoull(argv[4], NULL, 10) : 32768;
    if (nthreads < 1 || nthreads > 256 || chunk == 0) {
        fprintf(stderr, "%s: bad arguments\n", argv[0]);
        return 2;
    }

    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(errno)); return 1; }
    struct stat st;
    if (fstat(fd, &st) < 0) { perror("fstat"); return 1; }
    size_t size = st.st_size;
    const unsigned char *data = NULL;
    if (size) {
        data = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (data == MAP_FAILED) { perror("mmap"); return 1; }
        /* make sure every page is really resident before timing */
        volatile unsigned char sink = 0;
        for (size_t i = 0; i < size; i += 4096) sink ^= data[i];
        (void)sink;
    }
    close(fd);

    size_t nchunks = (size + chunk - 1) / chunk;
    struct job *jobs = calloc(nthreads, sizeof *jobs);
    pthread_t *tids = calloc(nthreads, sizeof *tids);
    if (!jobs || !tids) { perror("calloc"); return 1; }
    for (int t = 0; t < nthreads; t++) {
        jobs[t].data = data;
        jobs[t].size = size;
        jobs[t].chunk = chunk;
        jobs[t].level = level;
        jobs[t].first = nchunks * t / nthreads;
        jobs[t].last = nchunks * (t + 1) / nthreads;
    }

    double t0 = now();
    for (int t = 1; t < nthreads; t++)
        if (pthread_create(&tids[t], NULL, worker, &jobs[t]) != 0) {
            perror("pthread_create");
            return 1;
        }
    worker(&jobs[0]);
    for (int t = 1; t < nthreads; t++) pthread_join(tids[t], NULL);
    double dt = now() - t0;

    uint64_t out = 0;
    for (int t = 0; t < nthreads; t++) {
        if (jobs[t].err) { fprintf(stderr, "%s: compression failed\n", argv[0]); return 1; }
        out += jobs[t].out_bytes;
    }
    printf("threads=%d level=%d chunk=%zu bytes=%zu out=%llu ratio=%.3f compress_s=%.4f MB/s=%.1f\n",
           nthreads, level, chunk, size, (unsigned long long)out,
           size ? (double)out / size : 0.0, dt, dt > 0 ? size / dt / 1e6 : 0.0);
    return 0;
}
