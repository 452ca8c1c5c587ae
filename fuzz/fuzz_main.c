/* uvmsim fuzz harnesses without libFuzzer: main() runs the harness once on each file
 * named on the command line, and on each file of each directory named (in name order,
 * so runs are reproducible).  This is how the seed corpus runs as a regression test
 * under any compiler and under Valgrind, and how one saved crash input is replayed:
 *   build/fuzz/fuzz_ext2 fuzz/corpus/ext2 crash-1234
 * Arguments starting with '-' are libFuzzer options: they are ignored, so a libFuzzer
 * command line also works here.  Exit status 0 when every input ran, 2 when a file or
 * directory cannot be read; a finding aborts. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

#ifndef UVMSIM_FUZZ_VERSION
#define UVMSIM_FUZZ_VERSION "unknown"
#endif

static int run_file(const char *path, unsigned *count)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return 2;
    }
    size_t cap = 4096, len = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf != NULL && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return 2;
    }
    /* an exact-size copy, so ASan and Valgrind see a read past the input */
    uint8_t *in = malloc(len ? len : 1);
    if (in == NULL) {
        free(buf);
        fprintf(stderr, "%s: out of memory\n", path);
        return 2;
    }
    memcpy(in, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(in, len);
    free(in);
    (*count)++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, unsigned *count)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "%s: cannot open: %s\n", dir, strerror(errno));
        return 2;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));
            if (nn == NULL) {
                rc = 2;
                break;
            }
            names = nn;
        }
        size_t l = strlen(dir) + strlen(e->d_name) + 2;
        if ((names[n] = malloc(l)) == NULL) {
            rc = 2;
            break;
        }
        snprintf(names[n++], l, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = run_file(names[i], count);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    int rc = 0, inputs = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-help=1") == 0) {
            printf("usage: %s FILE|DIR...\n"
                   "Run this fuzz harness once on each FILE and on each file in each DIR (name order).\n"
                   "Arguments starting with '-' (libFuzzer options) are ignored.\n"
                   "Exit status: 0 every input ran, 2 an input could not be read; a finding aborts.\n"
                   "See docs/fuzz.md.\n", argv[0]);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("%s (uvmsim) %s\n", argv[0], UVMSIM_FUZZ_VERSION);
            return 0;
        }
        if (argv[i][0] == '-')
            continue;
        struct stat st;
        inputs++;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            rc = 2;
        } else {
            rc = S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i], &count);
        }
    }
    if (inputs == 0) {
        fprintf(stderr, "usage: %s FILE|DIR... (try --help)\n", argv[0]);
        return 2;
    }
    printf("%s: %u input%s run\n", argv[0], count, count == 1 ? "" : "s");
    return rc;
}
