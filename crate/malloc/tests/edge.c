/*
 * edge.c: the C allocator functions' edge cases, as glibc defines them, asserted one by one.
 *
 * Runs the same with glibc's malloc and with brkalloc's (LD_PRELOAD), and must pass under both;
 * the test driver also requires the two runs to print the same thing. Where glibc versions
 * differ (aligned_alloc with an alignment that is not a power of two: rounded up before 2.38,
 * refused from 2.38 on), the program prints what it got instead of asserting it, so that the
 * comparison with the glibc in the same process decides.
 *
 * Also here: fork while another thread is allocating, and a child that allocates after it.
 *
 *   gcc -O2 -pthread -o edge edge.c && ./edge
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A failed realloc leaves its block valid, and this file reads it afterwards on purpose. */
#pragma GCC diagnostic ignored "-Wuse-after-free"

static int failures;
static int passed;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (cond) {                                                                        \
            passed++;                                                                      \
        } else {                                                                           \
            failures++;                                                                    \
            fprintf(stderr, "edge.c:%d: %s: failed: %s (errno %d)\n", __LINE__, __func__, \
                    #cond, errno);                                                         \
        }                                                                                  \
    } while (0)

/* Sizes the compiler cannot see through (it would warn about, or fold, the huge ones). */
static volatile size_t huge = SIZE_MAX;
static volatile size_t half = SIZE_MAX / 2 + 1;
static volatile size_t ptrdiff_max = PTRDIFF_MAX;

static int aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static void test_malloc(void)
{
    void *a = malloc(0), *b = malloc(0);
    CHECK(a != NULL && b != NULL && a != b); /* malloc(0): a unique pointer */
    CHECK(aligned(a, 16) && aligned(b, 16));
    free(a);
    free(b);

    errno = 0;
    CHECK(malloc(huge) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(malloc(ptrdiff_max) == NULL && errno == ENOMEM);

    free(NULL); /* does nothing */
    unsigned char *p = malloc(100);
    errno = EEXIST;
    free(p);
    CHECK(errno == EEXIST); /* free leaves errno alone */

    for (size_t n = 1; n <= 5000; n = n * 3 + 1) {
        unsigned char *q = malloc(n);
        CHECK(q != NULL && aligned(q, 16));
        size_t usable = malloc_usable_size(q);
        CHECK(usable >= n);
        memset(q, 0x5a, usable); /* every usable byte may be written */
        CHECK(all_bytes(q, usable, 0x5a));
        free(q);
    }
    CHECK(malloc_usable_size(NULL) == 0);
}

static void test_calloc(void)
{
    /* Dirty some memory, give it back, and ask calloc for it. */
    for (int i = 0; i < 4; i++) {
        unsigned char *dirty = malloc(4096);
        memset(dirty, 0xab, 4096);
        free(dirty);
        unsigned char *z = calloc(1, 4096);
        CHECK(z != NULL && all_bytes(z, 4096, 0));
        free(z);
    }
    unsigned char *z = calloc(1000, 3);
    CHECK(z != NULL && all_bytes(z, 3000, 0));
    free(z);
    void *empty = calloc(0, 5);
    CHECK(empty != NULL);
    free(empty);
    errno = 0;
    CHECK(calloc(half, 2) == NULL && errno == ENOMEM); /* count * size overflows */
    errno = 0;
    CHECK(calloc(3, huge / 2) == NULL && errno == ENOMEM);
}

static void test_realloc(void)
{
    unsigned char *p = realloc(NULL, 100); /* realloc(NULL, n) is malloc(n) */
    CHECK(p != NULL);
    for (int i = 0; i < 100; i++)
        p[i] = (unsigned char)i;
    unsigned char *blocker = malloc(100); /* so that growing cannot happen in place */
    p = realloc(p, 100000);
    CHECK(p != NULL);
    int kept = 1;
    for (int i = 0; i < 100; i++)
        kept &= p[i] == (unsigned char)i;
    CHECK(kept); /* growing keeps the contents */
    p = realloc(p, 50);
    CHECK(p != NULL);
    kept = 1;
    for (int i = 0; i < 50; i++)
        kept &= p[i] == (unsigned char)i;
    CHECK(kept); /* shrinking keeps what fits */
    CHECK(malloc_usable_size(p) >= 50);

    errno = 0;
    unsigned char *q = realloc(p, huge);
    CHECK(q == NULL && errno == ENOMEM);
    kept = 1;
    for (int i = 0; i < 50; i++)
        kept &= p[i] == (unsigned char)i;
    CHECK(kept); /* a failed realloc leaves the block as it was */

    errno = 0;
    q = reallocarray(p, half, 2);
    CHECK(q == NULL && errno == ENOMEM); /* count * size overflows */
    CHECK(p[49] == 49);
    q = reallocarray(p, 10, 20);
    CHECK(q != NULL && malloc_usable_size(q) >= 200 && q[49] == 49);
    p = q;

    /* realloc(p, 0) frees p and returns NULL, as glibc does. */
    CHECK(realloc(p, 0) == NULL);
    free(blocker);

    /* A block from memalign keeps its contents when realloc moves it. */
    unsigned char *m = memalign(256, 64);
    CHECK(m != NULL && aligned(m, 256));
    memset(m, 7, 64);
    m = realloc(m, 10000);
    CHECK(m != NULL && all_bytes(m, 64, 7) && aligned(m, 16));
    free(m);
}

static void test_posix_memalign(void)
{
    void *sentinel = (void *)&failures;
    void *p = sentinel;
    CHECK(posix_memalign(&p, 0, 16) == EINVAL && p == sentinel);
    CHECK(posix_memalign(&p, 4, 16) == EINVAL && p == sentinel); /* not a multiple of 8 */
    CHECK(posix_memalign(&p, 24, 16) == EINVAL && p == sentinel); /* 24 / 8 = 3: no power of 2 */
    CHECK(posix_memalign(&p, 8 + sizeof(void *) * 4, 16) == EINVAL && p == sentinel);
    for (size_t a = sizeof(void *); a <= 65536; a *= 2) {
        for (size_t n = 0; n < 3000; n += 1000) {
            p = sentinel;
            CHECK(posix_memalign(&p, a, n) == 0 && p != sentinel && p != NULL && aligned(p, a));
            CHECK(malloc_usable_size(p) >= n);
            memset(p, 1, n);
            free(p);
        }
    }
    p = sentinel;
    CHECK(posix_memalign(&p, 64, huge) == ENOMEM && p == sentinel);
}

static void test_aligned_variants(void)
{
    long page = sysconf(_SC_PAGESIZE);
    for (size_t a = 1; a <= 8192; a *= 2) {
        void *x = aligned_alloc(a, 100);
        CHECK(x != NULL && aligned(x, a) && malloc_usable_size(x) >= 100);
        free(x);
        void *y = memalign(a, 100);
        CHECK(y != NULL && aligned(y, a) && malloc_usable_size(y) >= 100);
        free(y);
    }
    /* memalign rounds an alignment that is not a power of two up to the next one. */
    void *m = memalign(48, 10);
    CHECK(m != NULL && aligned(m, 64));
    free(m);
    m = memalign(24, 10);
    CHECK(m != NULL && aligned(m, 32));
    free(m);
    m = memalign(12, 10); /* at most 16: plain malloc */
    CHECK(m != NULL && aligned(m, 16));
    free(m);
    errno = 0;
    CHECK(memalign(half + 1, 10) == NULL && errno == EINVAL); /* above SIZE_MAX / 2 + 1 */
    errno = 0;
    CHECK(memalign(half, 1) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(memalign(64, huge) == NULL && errno == ENOMEM);

    /* glibc 2.38 changed these: print what happened, for the comparison with glibc. */
    static const size_t odd[] = {24, 48, 100, 0};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        errno = 0;
        void *x = aligned_alloc(odd[i], 100);
        if (x == NULL) {
            printf("aligned_alloc(%zu, 100): NULL, errno %s\n", odd[i],
                   errno == EINVAL ? "EINVAL" : errno == ENOMEM ? "ENOMEM" : "other");
        } else {
            size_t want = 16; /* glibc rounds up to a power of two; 16 at least */
            while (want < odd[i])
                want *= 2;
            printf("aligned_alloc(%zu, 100): a block aligned to %zu: %s\n", odd[i], want,
                   aligned(x, want) ? "yes" : "no");
            free(x);
        }
    }

    void *v = valloc(100);
    CHECK(v != NULL && aligned(v, (size_t)page) && malloc_usable_size(v) >= 100);
    free(v);
    void *pv = pvalloc(100); /* the size is rounded up to a whole page */
    CHECK(pv != NULL && aligned(pv, (size_t)page) && malloc_usable_size(pv) >= (size_t)page);
    memset(pv, 3, (size_t)page);
    free(pv);
    pv = pvalloc((size_t)page + 1);
    CHECK(pv != NULL && aligned(pv, (size_t)page) && malloc_usable_size(pv) >= 2 * (size_t)page);
    free(pv);
    errno = 0;
    CHECK(pvalloc(huge) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(valloc(huge) == NULL && errno == ENOMEM);
}

/* ---------------------------------------------------------------- fork */

static atomic_int stop_churn;

static void *churn(void *arg)
{
    (void)arg;
    void *keep[64] = {0};
    for (unsigned i = 0; !atomic_load(&stop_churn); i++) {
        unsigned k = i % 64;
        free(keep[k]);
        keep[k] = malloc(16 + (i * 37) % 3000);
        if (keep[k] == NULL)
            abort();
        memset(keep[k], (int)i, 16);
    }
    for (int k = 0; k < 64; k++)
        free(keep[k]);
    return NULL;
}

static void test_fork(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, churn, NULL) == 0);
    int children_ok = 0;
    for (int i = 0; i < 20; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            /* The child: its heap must be usable (not left locked by the churning thread). */
            alarm(5);
            int ok = 1;
            for (int j = 0; j < 1000; j++) {
                char *p = malloc(1 + (size_t)j * 7);
                if (p == NULL)
                    ok = 0;
                else
                    memset(p, j, 1 + (size_t)j * 7);
                if (j % 2 == 0)
                    free(p);
            }
            char *s = strdup("child");
            ok &= s != NULL && strcmp(s, "child") == 0;
            free(s);
            _exit(ok ? 0 : 3);
        }
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            children_ok++;
        else
            fprintf(stderr, "edge.c: fork child %d: status 0x%x\n", i, status);
    }
    atomic_store(&stop_churn, 1);
    pthread_join(t, NULL);
    CHECK(children_ok == 20);
    printf("fork: 20 children allocated and exited cleanly while a thread allocated: %s\n",
           children_ok == 20 ? "yes" : "no");
}

int main(void)
{
    test_malloc();
    test_calloc();
    test_realloc();
    test_posix_memalign();
    test_aligned_variants();
    test_fork();
    printf("edge cases: %d checks, %d failed\n", passed + failures, failures);
    return failures == 0 ? 0 : 1;
}
