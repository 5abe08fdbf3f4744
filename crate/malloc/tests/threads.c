/*
 * threads.c: 8 threads, 1,000,000 allocations each, sizes 1..512 bytes, many of them freed by
 * another thread than the one that allocated them.
 *
 * Each block is filled with a pattern made of its address, size and position, and the pattern
 * is verified before the block is freed or resized. About half the blocks are handed to another
 * thread through atomic slots (each thread owns a row of slots; an exchange puts a new block in
 * and takes out the block that was there, which the taker verifies and frees); a quarter wait in
 * a per-thread ring and are resized with realloc; the rest are freed right away. After the
 * threads finish, the main thread empties every slot and ring.
 *
 * Standard output is a deterministic summary (counts and sizes come from per-thread seeds);
 * how many frees crossed threads depends on timing and goes to standard error. Any wrong byte,
 * failed allocation or lost block is reported on standard error and the exit status is 1.
 *
 *   gcc -O2 -pthread -o threads threads.c && ./threads
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8
#define STEPS 1000000
#define SLOTS 64
#define RING 32
#define MAX_SIZE 512

/* A block in flight: its address in the low 48 bits, its size above. */
static _Atomic uint64_t slots[THREADS][SLOTS];
static uint64_t rings[THREADS][RING];

static atomic_ulong frees;
static atomic_ulong cross_thread_frees;
static atomic_int errors;

struct result {
    unsigned long mallocs, reallocs;
    uint64_t bytes;
};
static struct result results[THREADS];

static uint64_t pack(unsigned char *p, size_t size, int owner)
{
    return (uint64_t)(uintptr_t)p | (uint64_t)size << 48 | (uint64_t)owner << 60;
}
static unsigned char *block_of(uint64_t v)
{
    return (unsigned char *)(uintptr_t)(v & ((1ULL << 48) - 1));
}
static size_t size_of_block(uint64_t v) { return (size_t)((v >> 48) & 0xfff); }
static int owner_of(uint64_t v) { return (int)(v >> 60); }

/* The byte at `k` of a block of `size` bytes that was filled at address `at`. */
static unsigned char pattern(uintptr_t at, size_t size, size_t k)
{
    return (unsigned char)((at >> 4) * 131 + size * 31 + k * 7 + 1);
}

static void fill(unsigned char *p, size_t size)
{
    for (size_t k = 0; k < size; k++)
        p[k] = pattern((uintptr_t)p, size, k);
}

/* Verifies the first `n` bytes of a block that was filled as `size` bytes at `filled_at`. */
static int verify(const unsigned char *p, uintptr_t filled_at, size_t size, size_t n,
                  const char *what)
{
    for (size_t k = 0; k < n; k++) {
        if (p[k] != pattern(filled_at, size, k)) {
            fprintf(stderr,
                    "threads: %s: block %p (%zu bytes) byte %zu is 0x%02x, expected 0x%02x\n",
                    what, (void *)p, size, k, p[k], pattern(filled_at, size, k));
            atomic_fetch_add(&errors, 1);
            return 0;
        }
    }
    return 1;
}

static void verify_and_free(uint64_t v, int me)
{
    unsigned char *p = block_of(v);
    size_t size = size_of_block(v);
    verify(p, (uintptr_t)p, size, size, "before free");
    if (owner_of(v) != me)
        atomic_fetch_add(&cross_thread_frees, 1);
    free(p);
    atomic_fetch_add(&frees, 1);
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint64_t rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(me + 1);
    struct result *r = &results[me];
    for (unsigned long j = 0; j < STEPS; j++) {
        uint64_t x = next_random(&rng);
        size_t size = 1 + (size_t)(x % MAX_SIZE);
        unsigned char *p = malloc(size);
        if (p == NULL) {
            fprintf(stderr, "threads: thread %d: malloc(%zu) returned NULL\n", me, size);
            atomic_fetch_add(&errors, 1);
            return NULL;
        }
        r->mallocs++;
        r->bytes += size;
        fill(p, size);
        switch ((x >> 9) & 3) {
        case 0:
        case 1: {
            /* Hand it to another thread's slot; free whatever was there. */
            int to = (me + 1 + (int)((x >> 12) % (THREADS - 1))) % THREADS;
            int slot = (int)((x >> 20) % SLOTS);
            uint64_t old = atomic_exchange(&slots[to][slot], pack(p, size, me));
            if (old != 0)
                verify_and_free(old, me);
            break;
        }
        case 2: {
            /* Keep it in the ring a while; resize the one it replaces. */
            int at = (int)(j % RING);
            uint64_t old = rings[me][at];
            rings[me][at] = pack(p, size, me);
            if (old != 0) {
                unsigned char *q = block_of(old);
                uintptr_t filled_at = (uintptr_t)q;
                size_t was = size_of_block(old);
                size_t want = 1 + (size_t)((x >> 24) % MAX_SIZE);
                unsigned char *moved = realloc(q, want);
                if (moved == NULL) {
                    fprintf(stderr, "threads: thread %d: realloc(%p, %zu) returned NULL\n", me,
                            (void *)q, want);
                    atomic_fetch_add(&errors, 1);
                    return NULL;
                }
                r->reallocs++;
                verify(moved, filled_at, was, was < want ? was : want, "after realloc");
                fill(moved, want);
                verify_and_free(pack(moved, want, me), me);
            }
            break;
        }
        default:
            verify_and_free(pack(p, size, me), me);
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        if (pthread_create(&threads[t], NULL, worker, (void *)(intptr_t)t) != 0) {
            fprintf(stderr, "threads: pthread_create failed\n");
            return 1;
        }
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    for (int t = 0; t < THREADS; t++) {
        for (int s = 0; s < SLOTS; s++) {
            uint64_t v = atomic_exchange(&slots[t][s], 0);
            if (v != 0)
                verify_and_free(v, -1);
        }
        for (int s = 0; s < RING; s++) {
            if (rings[t][s] != 0)
                verify_and_free(rings[t][s], t);
        }
    }
    unsigned long mallocs = 0, reallocs = 0;
    uint64_t bytes = 0;
    for (int t = 0; t < THREADS; t++) {
        mallocs += results[t].mallocs;
        reallocs += results[t].reallocs;
        bytes += results[t].bytes;
    }
    printf("threads %d, steps %d each\n", THREADS, STEPS);
    printf("mallocs %lu, reallocs %lu, frees %lu, bytes asked %" PRIu64 "\n", mallocs, reallocs,
           (unsigned long)atomic_load(&frees), bytes);
    printf("every block freed: %s\n", atomic_load(&frees) == mallocs ? "yes" : "NO");
    printf("pattern errors: %d\n", atomic_load(&errors));
    fprintf(stderr, "threads: %lu frees crossed threads\n",
            (unsigned long)atomic_load(&cross_thread_frees));
    return atomic_load(&errors) == 0 && atomic_load(&frees) == mallocs ? 0 : 1;
}
