/*
 * misuse.c: the classic heap mistakes, one per run, for BRKALLOC_CHECK=1 to catch; a program
 * that keeps what it allocates, for BRKALLOC_STATS=1 to report; and one that moves the process
 * break itself while it allocates.
 *
 *   ./misuse overflow     writes 16 bytes past the end of a block, over the header of the
 *                         block right after it, then calls malloc
 *   ./misuse double-free  frees a block twice
 *   ./misuse interior     frees a pointer 8 bytes into a block
 *   ./misuse keep         allocates 1,000 blocks of 1,000 bytes and exits without freeing them
 *   ./misuse sbrk         takes 1 MiB with sbrk between allocations, checks that no block lies
 *                         in it and that malloc never moved the break, then gives it back
 *
 * Each mode prints, before the mistake, the address the allocator should name: "block <data
 * address>" (what malloc returned for the damaged or misused block). It is meant to run under
 * brkalloc (LD_PRELOAD), whose blocks are a 16-byte header followed by the data; if it gets past
 * the mistake it says so on standard output and exits with 0.
 *
 *   gcc -O2 -o misuse misuse.c
 *   BRKALLOC_CHECK=1 LD_PRELOAD=.../libbrkalloc_malloc.so ./misuse overflow
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER 16

/* Two blocks, the second right after the first in memory. */
static void adjacent_pair(unsigned char **a, unsigned char **b)
{
    for (int tries = 0; tries < 1000; tries++) {
        *a = malloc(40);
        *b = malloc(40);
        if (*b == *a + malloc_usable_size(*a) + HEADER)
            return;
        /* Not adjacent (the first came from a hole): keep both, try again. */
    }
    fprintf(stderr, "misuse: found no two adjacent blocks in 1000 tries\n");
    exit(2);
}

/* Keeps the compiler from reasoning about the blocks' contents. */
static void *volatile sink;

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    unsigned char *a, *b;
    if (strcmp(mode, "overflow") == 0) {
        adjacent_pair(&a, &b);
        printf("block %p\n", (void *)b);
        fflush(stdout);
        /* One header's worth past the end of `a`: the size and `next` of `b`'s header. */
        size_t n = malloc_usable_size(a) + HEADER;
        memset(a, 'A', n);
        sink = a;
        sink = malloc(10);
        printf("malloc after the overflow returned: the damage went unnoticed\n");
        return 0;
    }
    if (strcmp(mode, "double-free") == 0) {
        adjacent_pair(&a, &b);
        unsigned char *c = malloc(40); /* keeps `b` from merging with the free end */
        printf("block %p\n", (void *)b);
        fflush(stdout);
        free(b);
        sink = b;
        free((void *)sink);
        printf("the second free returned: the double free went unnoticed\n");
        free(c);
        free(a);
        return 0;
    }
    if (strcmp(mode, "interior") == 0) {
        adjacent_pair(&a, &b);
        printf("block %p\n", (void *)b);
        fflush(stdout);
        sink = b + 8;
        free((void *)sink);
        printf("free of an interior pointer returned: it went unnoticed\n");
        return 0;
    }
    if (strcmp(mode, "keep") == 0) {
        unsigned long sum = 0;
        for (int i = 0; i < 1000; i++) {
            unsigned char *p = malloc(1000);
            if (p == NULL)
                return 1;
            memset(p, i & 0xff, 1000);
            sum += p[999];
            sink = p;
        }
        printf("kept 1000 blocks of 1000 bytes, checksum %lu\n", sum);
        return 0;
    }
    if (strcmp(mode, "sbrk") == 0) {
        enum { N = 1000, OWN = 1 << 20 };
        static unsigned char *blocks[N];
        char *before = sbrk(0);
        for (int i = 0; i < N; i++)
            blocks[i] = malloc((size_t)(i * 97 % 5000 + 1));
        char *own = sbrk(OWN); /* the program's own memory, as old programs take it */
        if (own == (void *)-1) {
            perror("misuse: sbrk");
            return 1;
        }
        memset(own, 0x77, OWN);
        int inside = 0;
        for (int i = 0; i < N; i++) {
            blocks[i] = realloc(blocks[i], (size_t)(i * 97 % 5000 + 1) * 2);
            unsigned char *extra = malloc(100000);
            inside += (char *)blocks[i] >= own && (char *)blocks[i] < own + OWN;
            inside += (char *)extra >= own && (char *)extra < own + OWN;
            free(extra);
        }
        for (int i = 0; i < N; i++)
            free(blocks[i]);
        int intact = 1;
        for (int i = 0; i < OWN; i++)
            intact &= own[i] == 0x77;
        char *end = sbrk(-OWN);
        printf("malloc never moved the break: %s\n", before == own ? "yes" : "no");
        printf("no block inside the program's own sbrk memory: %s\n", inside == 0 ? "yes" : "no");
        printf("the program's own bytes intact: %s\n", intact ? "yes" : "no");
        printf("the break went back down: %s\n", end == own + OWN && sbrk(0) == own ? "yes" : "no");
        return 0;
    }
    fprintf(stderr, "usage: misuse overflow|double-free|interior|keep|sbrk\n");
    return 2;
}
