/* Helpers shared by the fs test suites: scratch directories under the test's working
 * directory, deterministic file contents, building ext2 images with the real mke2fs and
 * asking the real debugfs for block maps.  Header-only (static functions) because every
 * tests/<subsys>/test_*.c is its own executable. */
#ifndef UVMSIM_TESTS_FS_TESTUTIL_H
#define UVMSIM_TESTS_FS_TESTUTIL_H

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define FSU_UNUSED __attribute__((unused))

/* Byte o of the pattern with the given seed: never a whole zero block in practice (so
 * mke2fs -d, which turns all-zero blocks into holes, keeps the blocks we write). */
FSU_UNUSED static uint8_t fsu_pat(uint64_t o, uint32_t seed)
{
    uint64_t x = (o >> 3) * 0x9E3779B97F4A7C15ull + seed * 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 32;
    return (uint8_t)((x >> (8 * (o & 7))) | 1);
}

/* Write len pattern bytes at off (creating the file), leaving the rest untouched. */
FSU_UNUSED static int fsu_write_at(const char *path, uint64_t off, uint64_t len, uint32_t seed)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0)
        return -1;
    uint8_t buf[8192];
    uint64_t done = 0;
    while (done < len) {
        size_t n = len - done < sizeof(buf) ? (size_t)(len - done) : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = fsu_pat(off + done + i, seed);
        if (pwrite(fd, buf, n, (off_t)(off + done)) != (ssize_t)n) {
            close(fd);
            return -1;
        }
        done += n;
    }
    return close(fd);
}

FSU_UNUSED static int fsu_truncate(const char *path, uint64_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0)
        return -1;
    int r = ftruncate(fd, (off_t)size);
    close(fd);
    return r;
}

FSU_UNUSED static int fsu_write_str(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t n = strlen(s);
    int r = fwrite(s, 1, n, f) == n ? 0 : -1;
    return fclose(f) == 0 ? r : -1;
}

/* printf into a fresh path buffer (tests use short paths). */
FSU_UNUSED static const char *fsu_path(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return buf;
}

static int fsu_rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

FSU_UNUSED static int fsu_rmtree(const char *dir)
{
    return nftw(dir, fsu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Find an e2fsprogs tool: /usr/sbin, /sbin, then $PATH.  Writes the path into out;
 * returns false when missing. */
FSU_UNUSED static bool fsu_find_tool(const char *name, char *out, size_t len)
{
    const char *fixed[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        snprintf(out, len, "%s/%s", fixed[i], name);
        if (access(out, X_OK) == 0)
            return true;
    }
    const char *p = getenv("PATH");
    while (p != NULL && *p != '\0') {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(out, len, "%.*s/%s", (int)n, p, name);
        if (n > 0 && access(out, X_OK) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* Run a shell command; 0 when it exited with status 0. */
FSU_UNUSED static int fsu_system(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0) ? 0 : -1;
}

/* Build IMAGE from SRCDIR with the real mke2fs: ext2, given block size and revision
 * (extra: more mke2fs options, e.g. "-N 96"),
 * fixed UUID/hash seed/time so the metadata layout is reproducible.  On failure err
 * gets a sentence (including mke2fs's own output). */
FSU_UNUSED static bool fsu_mkimage_opts(const char *srcdir, const char *image, unsigned bsize, int rev,
                                        const char *extra, const char *size, char *err, size_t errlen)
{
    char mke2fs[512];
    if (!fsu_find_tool("mke2fs", mke2fs, sizeof(mke2fs))) {
        snprintf(err, errlen, "mke2fs not found (looked in /usr/sbin, /sbin and $PATH): install e2fsprogs");
        return false;
    }
    if (fsu_system("E2FSPROGS_FAKE_TIME=1700000000 %s -q -F -t ext2 -b %u -r %d %s "
                   "-U 01234567-89ab-cdef-0123-456789abcdef -E hash_seed=01234567-89ab-cdef-0123-456789abcdef "
                   "-d %s %s %s >%s.log 2>&1",
                   mke2fs, bsize, rev, extra, srcdir, image, size, image) != 0) {
        char log[600] = "";
        char lp[600];
        FILE *f = fopen(fsu_path(lp, sizeof(lp), "%s.log", image), "r");
        if (f != NULL) {
            size_t n = fread(log, 1, sizeof(log) - 1, f);
            log[n] = '\0';
            fclose(f);
        }
        snprintf(err, errlen, "mke2fs -b %u -r %d -d %s %s %s failed: %s", bsize, rev, srcdir, image, size, log);
        return false;
    }
    char lp[600];
    unlink(fsu_path(lp, sizeof(lp), "%s.log", image));
    return true;
}

FSU_UNUSED static bool fsu_mkimage(const char *srcdir, const char *image, unsigned bsize, int rev,
                                   const char *size, char *err, size_t errlen)
{
    return fsu_mkimage_opts(srcdir, image, bsize, rev, "", size, err, errlen);
}

/* Read a whole (small) file into a malloc'd buffer. */
FSU_UNUSED static uint8_t *fsu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return NULL;
    }
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    if (buf != NULL && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)st.st_size;
    return buf;
}

/* ---- debugfs ---- */

/* What debugfs says about one inode: the lbn → pbn runs of "stat" (data blocks only),
 * its indirect blocks, and the raw "blocks" list (which, in e2fsprogs 1.47, also lists
 * the indirect blocks, each before the data blocks it maps). */
struct fsu_run {
    uint64_t lbn, pbn, len;
};
struct fsu_dbg {
    char *path;
    struct fsu_run *runs;
    size_t nruns;
    uint64_t *meta;     /* (IND)/(DIND)/(TIND) blocks */
    size_t nmeta;
    uint64_t *blocks;   /* the "blocks" command's list */
    size_t nblocks;
    uint32_t ino;
    bool have_stat, have_blocks;
};
struct fsu_dbgset {
    struct fsu_dbg *v;
    size_t n;
};

FSU_UNUSED static void fsu_dbg_free(struct fsu_dbgset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].path);
        free(s->v[i].runs);
        free(s->v[i].meta);
        free(s->v[i].blocks);
    }
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

FSU_UNUSED static struct fsu_dbg *fsu_dbg_find(const struct fsu_dbgset *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].path, path) == 0)
            return &s->v[i];
    return NULL;
}

static void fsu_push_u64(uint64_t **v, size_t *n, uint64_t x)
{
    if ((*n & (*n + 1)) == 0 || *n == 0)
        *v = realloc(*v, sizeof(**v) * (*n * 2 + 2));
    (*v)[(*n)++] = x;
}

/* Parse one "stat" BLOCKS line: "(0-11):290-301, (IND):302, (12):303, ..." */
static void fsu_parse_runs(struct fsu_dbg *d, const char *line)
{
    const char *p = line;
    while ((p = strchr(p, '(')) != NULL) {
        p++;
        if (strncmp(p, "IND)", 4) == 0 || strncmp(p, "DIND)", 5) == 0 || strncmp(p, "TIND)", 5) == 0) {
            const char *c = strchr(p, ':');
            if (c == NULL)
                break;
            fsu_push_u64(&d->meta, &d->nmeta, strtoull(c + 1, NULL, 10));
            p = c;
            continue;
        }
        char *e;
        uint64_t l0 = strtoull(p, &e, 10), l1 = l0;
        if (*e == '-')
            l1 = strtoull(e + 1, &e, 10);
        if (*e != ')' || e[1] != ':')
            continue;
        uint64_t p0 = strtoull(e + 2, &e, 10);
        if ((d->nruns & (d->nruns + 1)) == 0 || d->nruns == 0)
            d->runs = realloc(d->runs, sizeof(*d->runs) * (d->nruns * 2 + 2));
        d->runs[d->nruns++] = (struct fsu_run){l0, p0, l1 - l0 + 1};
        p = e;
    }
}

/* Run debugfs once over image with "stat P" and "blocks P" for every path; parse. */
FSU_UNUSED static bool fsu_debugfs(const char *image, const char *const *paths, size_t npaths,
                                   struct fsu_dbgset *out, char *err, size_t errlen)
{
    char debugfs[512], cmdfile[600];
    memset(out, 0, sizeof(*out));
    if (!fsu_find_tool("debugfs", debugfs, sizeof(debugfs))) {
        snprintf(err, errlen, "debugfs not found (looked in /usr/sbin, /sbin and $PATH): install e2fsprogs");
        return false;
    }
    FILE *f = fopen(fsu_path(cmdfile, sizeof(cmdfile), "%s.cmds", image), "w");
    if (f == NULL) {
        snprintf(err, errlen, "cannot write %.200s: %s", cmdfile, strerror(errno));
        return false;
    }
    for (size_t i = 0; i < npaths; i++)
        fprintf(f, "stat \"%s\"\nblocks \"%s\"\n", paths[i], paths[i]);
    fclose(f);
    out->v = calloc(npaths ? npaths : 1, sizeof(*out->v));
    char cmd[1400];
    int cn = snprintf(cmd, sizeof(cmd), "%s -f %s %s 2>/dev/null", debugfs, cmdfile, image);
    if (cn < 0 || (size_t)cn >= sizeof(cmd)) {
        snprintf(err, errlen, "debugfs command line too long for %s", image);
        unlink(cmdfile);
        return false;
    }
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        snprintf(err, errlen, "popen(debugfs) failed: %s", strerror(errno));
        unlink(cmdfile);
        return false;
    }
    size_t cap = 1 << 16;
    char *line = malloc(cap);
    struct fsu_dbg *cur = NULL;
    enum { NONE, STAT, STAT_BLOCKS, BLOCKS } mode = NONE;
    while (fgets(line, (int)cap, p) != NULL) {
        size_t l = strlen(line);
        /* "blocks" output can be one very long line: grow and keep reading. */
        while (l == cap - 1 && line[l - 1] != '\n') {
            line = realloc(line, cap * 2);
            if (fgets(line + l, (int)(cap * 2 - l), p) == NULL)
                break;
            cap *= 2;
            l = strlen(line);
        }
        if (l > 0 && line[l - 1] == '\n')
            line[--l] = '\0';
        if (strncmp(line, "debugfs: ", 9) == 0) {
            bool is_stat = strncmp(line + 9, "stat ", 5) == 0;
            const char *q = line + 9 + (is_stat ? 5 : 7);
            char path[1024];
            snprintf(path, sizeof(path), "%s", q[0] == '"' ? q + 1 : q);
            size_t pl = strlen(path);
            if (pl > 0 && path[pl - 1] == '"')
                path[pl - 1] = '\0';
            cur = fsu_dbg_find(out, path);
            if (cur == NULL) {
                cur = &out->v[out->n++];
                cur->path = strdup(path);
            }
            mode = is_stat ? STAT : BLOCKS;
            if (is_stat)
                cur->have_stat = true;
            else
                cur->have_blocks = true;
            continue;
        }
        if (cur == NULL)
            continue;
        if (mode == STAT && strncmp(line, "Inode: ", 7) == 0)
            cur->ino = (uint32_t)strtoul(line + 7, NULL, 10);
        else if (mode == STAT && strcmp(line, "BLOCKS:") == 0)
            mode = STAT_BLOCKS;
        else if (mode == STAT_BLOCKS && strncmp(line, "TOTAL:", 6) != 0)
            fsu_parse_runs(cur, line);
        else if (mode == BLOCKS) {
            char *s = line, *e;
            for (;;) {
                uint64_t b = strtoull(s, &e, 10);
                if (e == s)
                    break;
                fsu_push_u64(&cur->blocks, &cur->nblocks, b);
                s = e;
            }
        }
    }
    free(line);
    int st = pclose(p);
    unlink(cmdfile);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "debugfs -f %.200s %.200s failed (status %d)", cmdfile, image, st);
        return false;
    }
    return true;
}

/* Build IMAGE from SRCDIR so that the file at path (in the image, "/big") has its block
 * 0 at a device block B0 with B0 + 1 a multiple of 512: with 4 KiB blocks its blocks
 * 12..1035, which follow the ext2 indirect block, then sit at file block + B0 + 1, so
 * file and device offsets are congruent modulo 2 MiB (docs/superpages.md).  The trick of
 * cmake/mkreplay.cmake: mke2fs -d copies the tree in alphabetical order (LC_ALL=C), so a
 * padding file SRCDIR/.align of non-zero bytes, first in the order, moves the file; a
 * first pass without it, at the same image size, says how far.  *b0 gets the block. */
FSU_UNUSED static bool fsu_mkimage_aligned(const char *srcdir, const char *image, const char *size, const char *path,
                                           uint64_t *b0, char *err, size_t errlen)
{
    char pad[600];
    const char *old = getenv("LC_ALL");
    char *saved = old ? strdup(old) : NULL;
    setenv("LC_ALL", "C", 1);
    fsu_path(pad, sizeof(pad), "%s/.align", srcdir);
    unlink(pad);
    bool ok = false;
    for (int pass = 0; pass < 2; pass++) {
        struct fsu_dbgset d;
        if (!fsu_mkimage_opts(srcdir, image, 4096, 1, "", size, err, errlen) ||
            !fsu_debugfs(image, &path, 1, &d, err, errlen))
            break;
        struct fsu_dbg *f = fsu_dbg_find(&d, path);
        uint64_t first = f != NULL && f->nblocks > 0 ? f->blocks[0] : 0;
        fsu_dbg_free(&d);
        if (first == 0) {
            snprintf(err, errlen, "%s: debugfs found no block of %s", image, path);
            break;
        }
        *b0 = first;
        if ((first + 1) % 512 == 0) {
            ok = true;
            break;
        }
        if (pass == 1) {
            snprintf(err, errlen, "%s: %s still starts at block %llu after padding", image, path,
                     (unsigned long long)first);
            break;
        }
        /* blocks the pad must take; n > 12 data blocks take n + 1 (the indirect block) */
        uint64_t take = (511 - first % 512 + 512) % 512;
        if (take == 13)
            take += 512;
        uint64_t ndata = take > 12 ? take - 1 : take;
        int fd = open(pad, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        uint8_t buf[4096];
        memset(buf, 0x55, sizeof(buf));
        bool wrote = fd >= 0;
        for (uint64_t i = 0; wrote && i < ndata; i++)
            wrote = write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf);
        if (fd >= 0)
            close(fd);
        if (!wrote) {
            snprintf(err, errlen, "cannot write %s", pad);
            break;
        }
    }
    if (saved != NULL) {
        setenv("LC_ALL", saved, 1);
        free(saved);
    } else {
        unsetenv("LC_ALL");
    }
    return ok;
}

#endif
