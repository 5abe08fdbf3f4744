/*
 * measure.c: runs a program and writes its peak resident set size to a file, for the malloc
 * test driver (scripts/malloc-programs.py).
 *
 *   ./measure OUT PRELOAD PROGRAM [ARG...]
 *
 * Runs PROGRAM with LD_PRELOAD=PRELOAD (or without LD_PRELOAD when PRELOAD is "-"), waits for
 * it, writes ru_maxrss in KiB (the largest of the program and of the children it waited for)
 * to the file OUT, and ends the way the program ended: the same exit status, or the same
 * signal.
 *
 * Why a program of its own: a child's ru_maxrss starts from the resident size of the process
 * it was forked from (the kernel keeps the high-water mark across exec). Forked from the
 * Python driver, every program would seem to need at least the driver's 20-odd MB; forked
 * from this small program, at least a megabyte or two, and the same with or without the
 * preload.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: measure OUT PRELOAD|- PROGRAM [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 2;
    }
    if (pid == 0) {
        if (strcmp(argv[2], "-") == 0)
            unsetenv("LD_PRELOAD");
        else
            setenv("LD_PRELOAD", argv[2], 1);
        execvp(argv[3], argv + 3);
        fprintf(stderr, "measure: cannot run %s: ", argv[3]);
        perror(NULL);
        _exit(127);
    }
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) != pid) {
        perror("measure: wait4");
        return 2;
    }
    FILE *out = fopen(argv[1], "w");
    if (out == NULL || fprintf(out, "%ld\n", usage.ru_maxrss) < 0 || fclose(out) != 0) {
        perror("measure: writing the result");
        return 2;
    }
    if (WIFSIGNALED(status)) {
        /* End by the same signal, without a core file of our own. */
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
