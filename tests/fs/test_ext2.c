/* Check suite for the ext2 driver (src/fs/ext2.c, src/fs/vfs.c, src/fs/fs_bcache.c).
 *
 * Images are built at test time by the real mke2fs -d from a source tree written here
 * (1, 2 and 4 KiB blocks, revisions 1 and 0).  Every file, directory and symlink of the
 * tree is then checked against the tree itself (bytes, sizes, modes, entries, targets)
 * and every block map against the real debugfs ("stat" runs and "blocks" lists). */
#include "fs_testutil.h"
#include <check.h>
#include <dirent.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/fs.h"
#include "uvmsim/flashdev.h"
#include "fs/fs_internal.h"
#include "flashdev/flashdev_internal.h"
#include "vmtest.h"

#define NIMG 5
#define BIG_SIZE (300u * 1024 + 123)            /* 301 blocks at 1 KiB: double indirect */
#define TRIPLE_FAR (65ull * 1024 * 1024 + 100)  /* lbn 66560 at 1 KiB: triple indirect */
#define TRIPLE_SIZE (66ull * 1024 * 1024 + 777)
#define SPARSE_SIZE (1024u * 1024)
#define NMANY 300
#define HUGE_FAR (4ull * 1024 * 1024 * 1024 + 8u * 1024 * 1024)   /* lbn 1050624 at 4 KiB */
#define HUGE_SIZE (HUGE_FAR + 4101)
#define LONGDIR "this_is_a_rather_long_directory_name_for_testing_slow_symlinks"

static struct {
    bool ok;
    char err[2048];
    char dir[256], src[300], hsrc[300];
    char huge_img[2][320];   /* 1 KiB and 4 KiB images holding only huge.bin */
    struct {
        unsigned bsize;
        int rev;
        char image[320];
    } img[NIMG];
} F;

/* ---- the source tree ---- */

static bool build_tree(const char *s)
{
    char p[600], q[600];
    int r = 0;
    r |= mkdir(s, 0755);
    r |= fsu_write_str(fsu_path(p, sizeof(p), "%s/hello.txt", s), "Hello, ext2!\n");
    r |= fsu_truncate(fsu_path(p, sizeof(p), "%s/empty", s), 0);
    r |= fsu_write_at(fsu_path(p, sizeof(p), "%s/small.bin", s), 0, 5000, 1);
    r |= fsu_write_at(fsu_path(p, sizeof(p), "%s/big.bin", s), 0, BIG_SIZE, 2);
    fsu_path(p, sizeof(p), "%s/sparse.bin", s);
    r |= fsu_write_at(p, 0, 100, 3);
    r |= fsu_write_at(p, 50000, 4096, 3);
    r |= fsu_write_at(p, 300000, 10, 3);
    r |= fsu_truncate(p, SPARSE_SIZE);   /* trailing hole */
    fsu_path(p, sizeof(p), "%s/triple.bin", s);
    r |= fsu_write_at(p, 0, 3000, 4);
    r |= fsu_write_at(p, 5u * 1024 * 1024 + 17, 5000, 4);
    r |= fsu_write_at(p, TRIPLE_FAR, 8192, 4);
    r |= fsu_truncate(p, TRIPLE_SIZE);
    r |= chmod(fsu_path(p, sizeof(p), "%s/small.bin", s), 0751);
    r |= mkfifo(fsu_path(p, sizeof(p), "%s/fifo", s), 0640);   /* a non-file inode */
    /* deep directories */
    strcpy(q, s);
    const char *deep[] = {"dir", "a", "b", "c", "d", "e", "f", "g", "h"};
    for (size_t i = 0; i < sizeof(deep) / sizeof(deep[0]); i++) {
        strcat(q, "/");
        strcat(q, deep[i]);
        r |= mkdir(q, 0755);
    }
    r |= fsu_write_str(fsu_path(p, sizeof(p), "%s/deep.txt", q), "deep\n");
    /* many files in one directory */
    r |= mkdir(fsu_path(p, sizeof(p), "%s/many", s), 0755);
    for (int i = 0; i < NMANY; i++)
        r |= fsu_write_at(fsu_path(p, sizeof(p), "%s/many/file_number_%03d", s, i), 0, 20 + (i * 37) % 3000,
                          100 + (uint32_t)i);
    r |= mkdir(fsu_path(p, sizeof(p), "%s/" LONGDIR, s), 0755);
    r |= fsu_write_str(fsu_path(p, sizeof(p), "%s/" LONGDIR "/target.txt", s), "target\n");
    /* symlinks */
    r |= mkdir(fsu_path(p, sizeof(p), "%s/links", s), 0755);
    struct {
        const char *name, *target;
    } links[] = {
        {"fast", "../hello.txt"},
        {"slow", "../" LONGDIR "/target.txt"},
        {"abs", "/hello.txt"},
        {"dangling", "nowhere"},
        {"loop1", "loop2"},
        {"loop2", "loop1"},
        {"self", "self"},
        {"dirlink", "../dir/a"},
        {"tofile_slash", "../hello.txt/"},
    };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        r |= symlink(links[i].target, fsu_path(p, sizeof(p), "%s/links/%s", s, links[i].name));
    /* c00 -> c01 -> ... -> c32 -> ../hello.txt: 33 links from c00, 32 from c01 */
    for (int i = 0; i <= 32; i++) {
        char t[32];
        if (i < 32)
            snprintf(t, sizeof(t), "c%02d", i + 1);
        else
            snprintf(t, sizeof(t), "../hello.txt");
        r |= symlink(t, fsu_path(p, sizeof(p), "%s/links/c%02d", s, i));
    }
    return r == 0;
}

static void setup(void)
{
    memset(&F, 0, sizeof(F));
    snprintf(F.dir, sizeof(F.dir), "fs_ext2_%ld", (long)getpid());
    snprintf(F.src, sizeof(F.src), "%s/src", F.dir);
    fsu_rmtree(F.dir);
    if (mkdir(F.dir, 0755) != 0 || !build_tree(F.src)) {
        snprintf(F.err, sizeof(F.err), "cannot build the source tree under %s: %s", F.dir, strerror(errno));
        return;
    }
    const unsigned bs[NIMG] = {1024, 2048, 4096, 1024, 4096};
    const int rev[NIMG] = {1, 1, 1, 0, 0};
    for (int i = 0; i < NIMG; i++) {
        F.img[i].bsize = bs[i];
        F.img[i].rev = rev[i];
        snprintf(F.img[i].image, sizeof(F.img[i].image), "%s/img_b%u_r%d", F.dir, bs[i], rev[i]);
        if (!fsu_mkimage(F.src, F.img[i].image, bs[i], rev[i], "8M", F.err, sizeof(F.err)))
            return;
    }
    /* A file beyond 4 GiB (i_size_high) whose far block is triple indirect at 4 KiB too. */
    char p[600];
    snprintf(F.hsrc, sizeof(F.hsrc), "%s/hsrc", F.dir);
    fsu_path(p, sizeof(p), "%s/huge.bin", F.hsrc);
    if (mkdir(F.hsrc, 0755) != 0 || fsu_write_at(p, 0, 10, 5) != 0 || fsu_write_at(p, HUGE_FAR, 4101, 5) != 0) {
        snprintf(F.err, sizeof(F.err), "cannot write %s: %s", p, strerror(errno));
        return;
    }
    for (int i = 0; i < 2; i++) {
        snprintf(F.huge_img[i], sizeof(F.huge_img[i]), "%s/huge_b%u", F.dir, i ? 4096u : 1024u);
        if (!fsu_mkimage(F.hsrc, F.huge_img[i], i ? 4096 : 1024, 1, "1M", F.err, sizeof(F.err)))
            return;
    }
    F.ok = true;
}

static void teardown(void)
{
    fsu_rmtree(F.dir);
}

#define REQUIRE_IMAGES() ck_assert_msg(F.ok, "test images unavailable: %s", F.err)

/* ---- a machine with one image mounted ---- */

struct env {
    uvmsim_machine *m;
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
};

static void env_open_cfg(struct env *e, const char *image, size_t devbs, size_t page_size)
{
    uvmsim_machine_config mc;
    uvmsim_machine_config_init(&mc);
    if (page_size)
        mc.page_size = page_size;
    ck_assert_int_eq(uvmsim_machine_create(&mc, &e->m), UVMSIM_OK);
    uvmsim_flashdev_config dc;
    uvmsim_flashdev_config_init(&dc);
    if (devbs)
        dc.block_size = devbs;
    ck_assert_int_eq(uvmsim_flashdev_create_file(e->m, &dc, image, &e->dev), UVMSIM_OK);
    int err = uvmsim_mount_ext2(e->m, e->dev, "/", 0, &e->mp);
    ck_assert_msg(err == UVMSIM_OK, "mount %s: %s: %s", image, uvmsim_errname(err), uvmsim_fs_last_error(e->m));
}

static void env_open(struct env *e, int img)
{
    env_open_cfg(e, F.img[img].image, 0, 0);
}

static void env_close(struct env *e)
{
    ck_assert_int_eq(uvmsim_unmount(e->mp), UVMSIM_OK);
    uvmsim_machine_destroy(e->m);
}

static uvmsim_vnode *get(struct env *e, const char *path, bool follow)
{
    uvmsim_vnode *vp = NULL;
    int err = follow ? uvmsim_namei(e->m, path, &vp) : uvmsim_namei_nofollow(e->m, path, &vp);
    ck_assert_msg(err == UVMSIM_OK, "namei %s: %s: %s", path, uvmsim_errname(err), uvmsim_fs_last_error(e->m));
    ck_assert_ptr_nonnull(vp);
    return vp;
}

static uvmsim_vattr attr(uvmsim_vnode *vp)
{
    uvmsim_vattr va;
    ck_assert_int_eq(uvmsim_vnode_getattr(vp, &va), UVMSIM_OK);
    return va;
}

/* ---- whole-tree verification ---- */

struct pathlist {
    char **v;
    size_t n, cap;
};

static void pl_push(struct pathlist *pl, const char *s)
{
    if (pl->n == pl->cap) {
        pl->cap = pl->cap ? 2 * pl->cap : 64;
        pl->v = realloc(pl->v, sizeof(char *) * pl->cap);
    }
    pl->v[pl->n++] = strdup(s);
}

static void pl_free(struct pathlist *pl)
{
    for (size_t i = 0; i < pl->n; i++)
        free(pl->v[i]);
    free(pl->v);
}

static void collect(const char *src, const char *rel, struct pathlist *pl)
{
    char d[1200];
    DIR *dir = opendir(fsu_path(d, sizeof(d), "%s%s", src, rel));
    ck_assert_ptr_nonnull(dir);
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char r[1200], h[1200];
        fsu_path(r, sizeof(r), "%s/%s", strcmp(rel, "/") == 0 ? "" : rel, de->d_name);
        pl_push(pl, r);
        struct stat st;
        ck_assert_int_eq(lstat(fsu_path(h, sizeof(h), "%s%s", src, r), &st), 0);
        if (S_ISDIR(st.st_mode))
            collect(src, r, pl);
    }
    closedir(dir);
}

static void check_zero(uvmsim_vnode *vp, uint64_t off, uint64_t len)
{
    uint8_t buf[4096];
    size_t got;
    if (len > sizeof(buf))
        len = sizeof(buf);
    memset(buf, 0xAA, sizeof(buf));
    ck_assert_int_eq(uvmsim_vnode_read(vp, off, buf, (size_t)len, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, len);
    for (size_t i = 0; i < len; i++)   /* (plain ifs in hot loops: each ck_assert costs an IPC) */
        if (buf[i] != 0)
            ck_abort_msg("hole byte at %llu is 0x%02x", (unsigned long long)(off + i), buf[i]);
}

static void compare_range(uvmsim_vnode *vp, int fd, uint64_t off, uint64_t end, uint8_t *hb, uint8_t *vb,
                          size_t chunk)
{
    while (off < end) {
        size_t n = end - off < chunk ? (size_t)(end - off) : chunk;
        size_t got;
        ck_assert_int_eq(pread(fd, hb, n, (off_t)off), (ssize_t)n);
        ck_assert_int_eq(uvmsim_vnode_read(vp, off, vb, n, &got), UVMSIM_OK);
        ck_assert_uint_eq(got, n);
        ck_assert_msg(memcmp(hb, vb, n) == 0, "data differs in [%llu, %llu)", (unsigned long long)off,
                      (unsigned long long)(off + n));
        off += n;
    }
}

/* Compare file bytes: data regions (SEEK_DATA/SEEK_HOLE of the source) byte for byte;
 * hole regions by their first and last bytes (bmap already proved every hole block 0). */
static void verify_data(uvmsim_vnode *vp, const char *host, uint64_t size)
{
    const size_t chunk = 1 << 20;
    int fd = open(host, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    uint8_t *hb = malloc(chunk), *vb = malloc(chunk);
    uint64_t pos = 0;
    while (pos < size) {
        off_t d = lseek(fd, (off_t)pos, SEEK_DATA);
        if (d < 0 && errno == ENXIO)
            d = (off_t)size;
        if (d < 0) {                 /* no SEEK_DATA here: compare everything */
            compare_range(vp, fd, pos, size, hb, vb, chunk);
            break;
        }
        if ((uint64_t)d > pos) {
            check_zero(vp, pos, (uint64_t)d - pos);
            uint64_t tail = (uint64_t)d - pos < 4096 ? (uint64_t)d - pos : 4096;
            check_zero(vp, (uint64_t)d - tail, tail);
        }
        if ((uint64_t)d >= size)
            break;
        off_t h = lseek(fd, d, SEEK_HOLE);
        ck_assert_int_ge(h, d);
        if ((uint64_t)h > size)
            h = (off_t)size;
        compare_range(vp, fd, (uint64_t)d, (uint64_t)h, hb, vb, chunk);
        pos = (uint64_t)h;
    }
    size_t got = 1;
    ck_assert_int_eq(uvmsim_vnode_read(vp, size, hb, 16, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, 0);
    free(hb);
    free(vb);
    close(fd);
}

/* bmap of every block inside the file against debugfs: "stat" runs give lbn → pbn for
 * data blocks; "blocks" minus the indirect blocks is the same pbn sequence. */
static void verify_bmap(uvmsim_vnode *vp, const struct fsu_dbg *d, unsigned bsize, uint64_t size)
{
    ck_assert_msg(d != NULL && d->have_stat && d->have_blocks, "debugfs said nothing about inode %u",
                  uvmsim_vnode_ino(vp));
    ck_assert_uint_eq(d->ino, uvmsim_vnode_ino(vp));
    uint64_t nblocks = (size + bsize - 1) / bsize;
    size_t ri = 0;
    uint64_t ro = 0, ndata = 0;
    size_t bi = 0;
    for (uint64_t lbn = 0; lbn < nblocks; lbn++) {
        uint64_t pbn = 99;
        int err = uvmsim_vnode_bmap(vp, lbn, &pbn);
        if (err != UVMSIM_OK)
            ck_abort_msg("%s: bmap(%llu): %s", d->path, (unsigned long long)lbn, uvmsim_errname(err));
        while (ri < d->nruns && ro >= d->runs[ri].len) {
            ri++;
            ro = 0;
        }
        uint64_t want = 0;
        if (ri < d->nruns && d->runs[ri].lbn + ro == lbn) {
            want = d->runs[ri].pbn + ro;
            ro++;
        }
        if (pbn != want)
            ck_abort_msg("%s: bmap(%llu) = %llu, debugfs stat says %llu", d->path, (unsigned long long)lbn,
                         (unsigned long long)pbn, (unsigned long long)want);
        if (pbn == 0)
            continue;
        ndata++;
        /* the next non-indirect entry of the "blocks" list */
        for (;;) {
            if (bi >= d->nblocks)
                ck_abort_msg("%s: debugfs blocks list too short", d->path);
            bool meta = false;
            for (size_t k = 0; k < d->nmeta; k++)
                meta |= d->meta[k] == d->blocks[bi];
            if (!meta)
                break;
            bi++;
        }
        if (d->blocks[bi] != pbn)
            ck_abort_msg("%s: data block %zu is %llu, debugfs blocks says %llu", d->path, bi,
                         (unsigned long long)pbn, (unsigned long long)d->blocks[bi]);
        bi++;
    }
    ck_assert_msg(ri >= d->nruns || (ri == d->nruns - 1 && ro == d->runs[ri].len),
                  "%s: debugfs lists data blocks past the end of the file", d->path);
    ck_assert_uint_eq(d->nblocks, ndata + d->nmeta);
    ck_assert_uint_eq(attr(vp).blocks_allocated, ndata);
}

struct dentries {
    char *name[512];
    uint32_t ino[512];
    uvmsim_vtype type[512];
    size_t n;
    size_t stop_after;  /* 0 = never stop */
};

static int collect_dirent(const char *name, size_t namelen, uint32_t ino, uvmsim_vtype type, void *arg)
{
    struct dentries *de = arg;
    ck_assert_uint_lt(de->n, 512);
    de->name[de->n] = strndup(name, namelen);
    de->ino[de->n] = ino;
    de->type[de->n] = type;
    de->n++;
    return de->stop_after && de->n >= de->stop_after;
}

static void dentries_free(struct dentries *de)
{
    for (size_t i = 0; i < de->n; i++)
        free(de->name[i]);
}

static uvmsim_vtype host_type(mode_t mode)
{
    return S_ISREG(mode) ? UVMSIM_VREG : S_ISDIR(mode) ? UVMSIM_VDIR : S_ISLNK(mode) ? UVMSIM_VLNK : UVMSIM_VOTHER;
}

static void verify_dir(struct env *e, uvmsim_vnode *vp, const char *rel, int rev)
{
    /* the parent, for checking the ".." entry */
    char parent[1200];
    snprintf(parent, sizeof(parent), "%s", rel);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else
        *slash = '\0';
    uint32_t pino = uvmsim_vnode_ino(vp);
    if (strcmp(rel, "/") != 0) {
        uvmsim_vnode *pvp = get(e, parent, false);
        pino = uvmsim_vnode_ino(pvp);
        uvmsim_vnode_rele(pvp);
    }
    struct dentries *de = calloc(1, sizeof(*de));
    ck_assert_int_eq(uvmsim_vnode_readdir(vp, collect_dirent, de), UVMSIM_OK);
    char h[1200];
    DIR *dir = opendir(fsu_path(h, sizeof(h), "%s%s", F.src, rel));
    ck_assert_ptr_nonnull(dir);
    size_t nhost = 0;
    struct dirent *hd;
    while ((hd = readdir(dir)) != NULL) {
        if (strcmp(hd->d_name, ".") == 0 || strcmp(hd->d_name, "..") == 0)
            continue;
        nhost++;
        size_t k = 0;
        while (k < de->n && strcmp(de->name[k], hd->d_name) != 0)
            k++;
        ck_assert_msg(k < de->n, "%s: entry %s missing from readdir", rel, hd->d_name);
        char r[1200];
        struct stat st;
        fsu_path(r, sizeof(r), "%s/%s", strcmp(rel, "/") == 0 ? "" : rel, hd->d_name);
        ck_assert_int_eq(lstat(fsu_path(h, sizeof(h), "%s%s", F.src, r), &st), 0);
        ck_assert_int_eq(de->type[k], rev >= 1 ? host_type(st.st_mode) : UVMSIM_VNON);
        uvmsim_vnode *cvp = get(e, r, false);
        ck_assert_uint_eq(uvmsim_vnode_ino(cvp), de->ino[k]);
        uvmsim_vnode_rele(cvp);
    }
    closedir(dir);
    bool root = strcmp(rel, "/") == 0;
    ck_assert_uint_eq(de->n, nhost + 2 + (root ? 1 : 0));   /* ".", "..", lost+found */
    bool dot = false, dotdot = false;
    for (size_t k = 0; k < de->n; k++) {
        if (strcmp(de->name[k], ".") == 0) {
            dot = true;
            ck_assert_uint_eq(de->ino[k], uvmsim_vnode_ino(vp));
        }
        if (strcmp(de->name[k], "..") == 0) {
            dotdot = true;
            ck_assert_uint_eq(de->ino[k], pino);
        }
    }
    ck_assert(dot && dotdot);
    dentries_free(de);
    free(de);
}

START_TEST(test_tree_matches_source)
{
    REQUIRE_IMAGES();
    const int img = _i;
    const unsigned bsize = F.img[img].bsize;
    struct pathlist pl = {0};
    pl_push(&pl, "/");
    collect(F.src, "/", &pl);
    struct fsu_dbgset dbg;
    char err[512];
    ck_assert_msg(fsu_debugfs(F.img[img].image, (const char *const *)pl.v, pl.n, &dbg, err, sizeof(err)), "%s",
                  err);
    struct env e;
    env_open(&e, img);
    ck_assert_uint_eq(uvmsim_mount_block_size(e.mp), bsize);
    size_t nreg = 0, ndir = 0, nlnk = 0, nslow = 0, nother = 0;
    for (size_t i = 0; i < pl.n; i++) {
        const char *rel = pl.v[i];
        char host[1200];
        struct stat st;
        ck_assert_int_eq(lstat(fsu_path(host, sizeof(host), "%s%s", F.src, rel), &st), 0);
        uvmsim_vnode *vp = get(&e, rel, false);
        uvmsim_vattr va = attr(vp);
        ck_assert_int_eq(va.type, host_type(st.st_mode));
        ck_assert_uint_eq(va.ino, uvmsim_vnode_ino(vp));
        ck_assert_uint_eq(va.mode & 07777, st.st_mode & 07777);
        ck_assert_uint_eq(va.mode & 0170000, st.st_mode & 0170000);
        if (!S_ISDIR(st.st_mode))
            ck_assert_uint_eq(va.size, (uint64_t)st.st_size);
        const struct fsu_dbg *d = fsu_dbg_find(&dbg, rel);
        if (S_ISREG(st.st_mode)) {
            nreg++;
            verify_bmap(vp, d, bsize, va.size);
            verify_data(vp, host, va.size);
        } else if (S_ISDIR(st.st_mode)) {
            ndir++;
            ck_assert_uint_eq(va.size % bsize, 0);
            verify_bmap(vp, d, bsize, va.size);
            verify_dir(&e, vp, rel, F.img[img].rev);
        } else if (S_ISLNK(st.st_mode)) {
            nlnk++;
            char want[1024], got[1024];
            ssize_t wl = readlink(host, want, sizeof(want));
            size_t gl;
            ck_assert_int_gt(wl, 0);
            ck_assert_int_eq(uvmsim_vnode_readlink(vp, got, sizeof(got), &gl), UVMSIM_OK);
            ck_assert_uint_eq(gl, (size_t)wl);
            ck_assert(memcmp(got, want, gl) == 0);
            uint64_t pbn;
            if (wl > EXT2_FAST_LINK_MAX) {
                nslow++;
                verify_bmap(vp, d, bsize, va.size);
            } else {
                ck_assert_int_eq(uvmsim_vnode_bmap(vp, 0, &pbn), UVMSIM_EINVAL);
                ck_assert_uint_eq(va.blocks_allocated, 0);
            }
        } else {
            nother++;
            uint64_t pbn;
            uint8_t b[4];
            size_t n;
            ck_assert_int_eq(va.type, UVMSIM_VOTHER);
            ck_assert_int_eq(uvmsim_vnode_bmap(vp, 0, &pbn), UVMSIM_EINVAL);
            ck_assert_int_eq(uvmsim_vnode_read(vp, 0, b, sizeof(b), &n), UVMSIM_EINVAL);
            ck_assert_uint_eq(va.blocks_allocated, 0);
        }
        uvmsim_vnode_rele(vp);
    }
    ck_assert_uint_eq(nother, 1);
    uvmsim_fs_stats fst;
    uvmsim_fs_stats_get(e.m, &fst);
    ck_assert_uint_eq(fst.vnodes_live, 0);
    /* sanity: the tree really has what the suite claims to cover */
    ck_assert_uint_ge(nreg, NMANY + 6);
    ck_assert_uint_ge(ndir, 12);
    ck_assert_uint_ge(nlnk, 40);
    ck_assert_uint_eq(nslow, 1);
    env_close(&e);
    fsu_dbg_free(&dbg);
    pl_free(&pl);
}
END_TEST

/* The interesting maps really use the indirection levels the suite is named for. */
START_TEST(test_indirection_levels)
{
    REQUIRE_IMAGES();
    const char *paths[] = {"/big.bin", "/triple.bin"};
    struct fsu_dbgset dbg;
    char err[512];
    ck_assert_msg(fsu_debugfs(F.img[0].image, paths, 2, &dbg, err, sizeof(err)), "%s", err);
    const struct fsu_dbg *big = fsu_dbg_find(&dbg, "/big.bin"), *tri = fsu_dbg_find(&dbg, "/triple.bin");
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_nonnull(tri);
    /* 1 KiB: big.bin needs IND + DIND + one IND below it; triple.bin a DIND with one IND
     * for its data at 5 MiB, and TIND + DIND + IND for its data at 65 MiB. */
    ck_assert_uint_eq(big->nmeta, 3);
    ck_assert_uint_eq(tri->nmeta, 5);
    struct env e;
    env_open(&e, 0);
    uvmsim_vnode *vp = get(&e, "/triple.bin", true);
    uint64_t pbn;
    ck_assert_int_eq(uvmsim_vnode_bmap(vp, TRIPLE_FAR / 1024, &pbn), UVMSIM_OK);
    ck_assert_uint_ne(pbn, 0);
    ck_assert_uint_gt(TRIPLE_FAR / 1024, 12 + 256 + 65536);
    ck_assert_int_eq(uvmsim_vnode_bmap(vp, TRIPLE_FAR / 1024 - 1000, &pbn), UVMSIM_OK);
    ck_assert_uint_eq(pbn, 0);
    /* past the largest addressable block */
    ck_assert_int_eq(uvmsim_vnode_bmap(vp, 12 + 256 + 65536 + 16777216ull, &pbn), UVMSIM_ERANGE);
    uvmsim_vnode_rele(vp);
    env_close(&e);
    fsu_dbg_free(&dbg);
}
END_TEST

/* Files past 4 GiB: i_size_high, triple indirection at 4 KiB, blocks far out. */
START_TEST(test_huge_file)
{
    REQUIRE_IMAGES();
    const char *paths[] = {"/huge.bin"};
    const unsigned bsize = _i ? 4096 : 1024;
    struct fsu_dbgset dbg;
    char err[512];
    ck_assert_msg(fsu_debugfs(F.huge_img[_i], paths, 1, &dbg, err, sizeof(err)), "%s", err);
    const struct fsu_dbg *d = fsu_dbg_find(&dbg, "/huge.bin");
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(d->nmeta, 3);   /* TIND, DIND, IND: nothing between */
    struct env e;
    env_open_cfg(&e, F.huge_img[_i], 0, 0);
    uvmsim_vnode *vp = get(&e, "/huge.bin", true);
    uvmsim_vattr va = attr(vp);
    ck_assert_uint_eq(va.size, HUGE_SIZE);
    ck_assert_uint_gt(HUGE_FAR / bsize, 12 + bsize / 4 + (uint64_t)(bsize / 4) * (bsize / 4));
    uint64_t ndata = 0;
    for (size_t r = 0; r < d->nruns; r++) {
        for (uint64_t k = 0; k < d->runs[r].len; k++) {
            uint64_t pbn;
            ck_assert_int_eq(uvmsim_vnode_bmap(vp, d->runs[r].lbn + k, &pbn), UVMSIM_OK);
            ck_assert_uint_eq(pbn, d->runs[r].pbn + k);
            ndata++;
        }
    }
    ck_assert_uint_eq(va.blocks_allocated, ndata);
    ck_assert_uint_eq(d->nblocks, ndata + d->nmeta);
    uint64_t pbn = 7;
    ck_assert_int_eq(uvmsim_vnode_bmap(vp, HUGE_FAR / bsize - 1, &pbn), UVMSIM_OK);
    ck_assert_uint_eq(pbn, 0);
    char host[600];
    int fd = open(fsu_path(host, sizeof(host), "%s/huge.bin", F.hsrc), O_RDONLY);
    ck_assert_int_ge(fd, 0);
    uint8_t hb[8192], vb[8192];
    size_t got;
    ck_assert_int_eq(uvmsim_vnode_read(vp, HUGE_FAR - 3000, vb, sizeof(vb), &got), UVMSIM_OK);
    ck_assert_uint_eq(got, 3000 + 4101);
    ck_assert_int_eq(pread(fd, hb, got, (off_t)(HUGE_FAR - 3000)), (ssize_t)got);
    ck_assert(memcmp(hb, vb, got) == 0);
    ck_assert_int_eq(uvmsim_vnode_read(vp, 0, vb, 64, &got), UVMSIM_OK);
    ck_assert_int_eq(pread(fd, hb, 64, 0), 64);
    ck_assert(memcmp(hb, vb, 64) == 0);
    close(fd);
    uvmsim_vnode_rele(vp);
    env_close(&e);
    fsu_dbg_free(&dbg);
}
END_TEST

/* ---- look-up semantics ---- */

static uint32_t ino_of(struct env *e, const char *path)
{
    uvmsim_vnode *vp = get(e, path, true);
    uint32_t ino = uvmsim_vnode_ino(vp);
    uvmsim_vnode_rele(vp);
    return ino;
}

static void expect_fail(struct env *e, const char *path, int want)
{
    uvmsim_vnode *vp = (uvmsim_vnode *)&vp;
    int err = uvmsim_namei(e->m, path, &vp);
    ck_assert_msg(err == want, "namei %.80s: %s, wanted %s", path, uvmsim_errname(err), uvmsim_errname(want));
    ck_assert_ptr_null(vp);
    ck_assert_str_ne(uvmsim_fs_last_error(e->m), "");
}

START_TEST(test_namei_semantics)
{
    REQUIRE_IMAGES();
    struct env e;
    env_open(&e, 2);
    uvmsim_vnode *root = get(&e, "/", true);
    ck_assert_uint_eq(uvmsim_vnode_ino(root), EXT2_ROOT_INO);
    ck_assert_int_eq(attr(root).type, UVMSIM_VDIR);

    uvmsim_vnode *hello = get(&e, "/hello.txt", true);
    char buf[64];
    size_t n;
    ck_assert_int_eq(uvmsim_vnode_read(hello, 0, buf, sizeof(buf), &n), UVMSIM_OK);
    ck_assert_uint_eq(n, 13);
    ck_assert(memcmp(buf, "Hello, ext2!\n", 13) == 0);
    /* symlinks lead to the very same vnode */
    const char *same[] = {"/links/fast", "/links/abs", "/links/c01", "/links/c20", "//hello.txt",
                          "/./hello.txt", "/../../hello.txt", "/dir/../hello.txt", "/dir/a/b/../../../hello.txt",
                          "/links/dirlink/../../hello.txt"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        uvmsim_vnode *vp = get(&e, same[i], true);
        ck_assert_msg(vp == hello, "%s is not the vnode of /hello.txt", same[i]);
        uvmsim_vnode_rele(vp);
    }
    uvmsim_vnode *slow = get(&e, "/links/slow", true);
    ck_assert_uint_eq(uvmsim_vnode_ino(slow), ino_of(&e, "/" LONGDIR "/target.txt"));
    uvmsim_vnode_rele(slow);
    /* the symlink itself without following */
    uvmsim_vnode *lnk = get(&e, "/links/fast", false);
    ck_assert_int_eq(attr(lnk).type, UVMSIM_VLNK);
    ck_assert_int_eq(uvmsim_vnode_readlink(lnk, buf, 5, &n), UVMSIM_OK);   /* truncated */
    ck_assert_uint_eq(n, 5);
    ck_assert(memcmp(buf, "../he", 5) == 0);
    ck_assert_int_eq(uvmsim_vnode_read(lnk, 0, buf, 4, &n), UVMSIM_EINVAL);
    uvmsim_vnode_rele(lnk);
    lnk = get(&e, "/links/loop1", false);
    ck_assert_int_eq(attr(lnk).type, UVMSIM_VLNK);
    uvmsim_vnode_rele(lnk);

    /* directories: "..", ".", repeated and trailing slashes, symlinked directories */
    uint32_t c = ino_of(&e, "/dir/a/b/c");
    ck_assert_uint_eq(ino_of(&e, "/dir/a/../a/./b//c/"), c);
    ck_assert_uint_eq(ino_of(&e, "/links/dirlink/b/c"), c);
    ck_assert_uint_eq(ino_of(&e, "/links/dirlink/.."), ino_of(&e, "/dir"));   /* physical ".." */
    ck_assert_uint_eq(ino_of(&e, "/dir/a/b/c/d/e/f/g/h/../../../../../../../../.."), EXT2_ROOT_INO);
    ck_assert_uint_eq(ino_of(&e, "/.."), EXT2_ROOT_INO);
    ck_assert_uint_eq(ino_of(&e, "/dir/"), ino_of(&e, "/dir"));
    ck_assert_uint_eq(ino_of(&e, "/links/dirlink/"), ino_of(&e, "/dir/a"));
    uvmsim_vnode *deep = get(&e, "/dir/a/b/c/d/e/f/g/h/deep.txt", true);
    ck_assert_uint_eq(attr(deep).size, 5);
    uvmsim_vnode_rele(deep);

    expect_fail(&e, "/links/loop1", UVMSIM_ELOOP);
    ck_assert_ptr_nonnull(strstr(uvmsim_fs_last_error(e.m), "symbolic links"));
    expect_fail(&e, "/links/self", UVMSIM_ELOOP);
    expect_fail(&e, "/links/c00", UVMSIM_ELOOP);   /* 33 links; c01 (32) worked above */
    expect_fail(&e, "/links/dangling", UVMSIM_ENOENT);
    ck_assert_ptr_nonnull(strstr(uvmsim_fs_last_error(e.m), "/links/nowhere"));
    expect_fail(&e, "/nonexistent", UVMSIM_ENOENT);
    expect_fail(&e, "/hello", UVMSIM_ENOENT);             /* a prefix of an entry's name */
    expect_fail(&e, "/hello.txt2", UVMSIM_ENOENT);
    expect_fail(&e, "/many/file_number_30", UVMSIM_ENOENT);
    expect_fail(&e, "/dir/nonexistent/x", UVMSIM_ENOENT);
    expect_fail(&e, "/hello.txt/", UVMSIM_ENOTDIR);
    expect_fail(&e, "/hello.txt/x", UVMSIM_ENOTDIR);
    expect_fail(&e, "/hello.txt/.", UVMSIM_ENOTDIR);
    expect_fail(&e, "/links/fast/", UVMSIM_ENOTDIR);
    expect_fail(&e, "/links/tofile_slash", UVMSIM_ENOTDIR);
    expect_fail(&e, "hello.txt", UVMSIM_EINVAL);
    expect_fail(&e, "", UVMSIM_EINVAL);
    char longname[300], longpath[1100];
    memset(longname, 'n', sizeof(longname));
    longname[0] = '/';
    longname[257] = '\0';   /* a 256-byte component */
    expect_fail(&e, longname, UVMSIM_ENAMETOOLONG);
    memset(longpath, 'p', sizeof(longpath));
    for (size_t i = 0; i < sizeof(longpath); i += 10)
        longpath[i] = '/';
    longpath[1030] = '\0';
    expect_fail(&e, longpath, UVMSIM_ENAMETOOLONG);

    /* look-up relative to the mount */
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_mount_lookup(e.mp, "dir/a/b/c", &vp), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_vnode_ino(vp), c);
    uvmsim_vnode_rele(vp);
    ck_assert_int_eq(uvmsim_mount_lookup(e.mp, "/hello.txt", &vp), UVMSIM_OK);
    ck_assert_ptr_eq(vp, hello);
    uvmsim_vnode_rele(vp);
    ck_assert_int_eq(uvmsim_mount_lookup(e.mp, "nope", &vp), UVMSIM_ENOENT);
    ck_assert_int_eq(uvmsim_mount_lookup(NULL, "x", &vp), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_namei(NULL, "/", &vp), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_namei(e.m, NULL, &vp), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_namei(e.m, "/", NULL), UVMSIM_EINVAL);

    uvmsim_vnode_rele(hello);
    uvmsim_vnode_rele(root);
    env_close(&e);
}
END_TEST

/* ---- vnode identity, references, the VM slot ---- */

START_TEST(test_vnode_identity)
{
    REQUIRE_IMAGES();
    struct env e;
    env_open(&e, 0);
    uvmsim_fs_stats st;
    uvmsim_fs_stats_get(e.m, &st);
    ck_assert_uint_eq(st.vnodes_live, 0);   /* the mount keeps no vnode referenced */
    uvmsim_vnode *a = get(&e, "/big.bin", true);
    uvmsim_vnode *b = get(&e, "/big.bin", true);
    ck_assert_ptr_eq(a, b);
    ck_assert_ptr_eq(uvmsim_vnode_mount(a), e.mp);
    uvmsim_fs_stats_get(e.m, &st);
    ck_assert_uint_eq(st.vnodes_live, 1);
    void **slot = uvmsim_vnode_vmslot(a);
    ck_assert_ptr_nonnull(slot);
    ck_assert_ptr_null(*slot);
    int token;
    *slot = &token;
    uvmsim_vnode_rele(b);
    uvmsim_vnode *c = get(&e, "/big.bin", true);
    ck_assert_ptr_eq(*uvmsim_vnode_vmslot(c), &token);   /* still the same vnode */
    uvmsim_vnode_rele(c);
    uvmsim_vnode_ref(a);
    ck_assert_int_eq(uvmsim_unmount(e.mp), UVMSIM_EBUSY);
    ck_assert_ptr_nonnull(strstr(uvmsim_fs_last_error(e.m), "referenced"));
    uvmsim_vnode_rele(a);
    ck_assert_int_eq(uvmsim_unmount(e.mp), UVMSIM_EBUSY);
    *slot = NULL;
    uvmsim_vnode_rele(a);
    uvmsim_fs_stats_get(e.m, &st);
    ck_assert_uint_eq(st.vnodes_live, 0);
    /* released for good: a new look-up builds a fresh vnode with an empty slot */
    a = get(&e, "/big.bin", true);
    ck_assert_ptr_null(*uvmsim_vnode_vmslot(a));
    ck_assert_uint_eq(uvmsim_vnode_ino(a), attr(a).ino);
    uvmsim_vnode_rele(a);
    uvmsim_vnode_rele(NULL);
    uvmsim_vnode_ref(NULL);
    ck_assert_ptr_null(uvmsim_vnode_vmslot(NULL));
    ck_assert_uint_eq(uvmsim_vnode_ino(NULL), 0);
    ck_assert_ptr_null(uvmsim_vnode_mount(NULL));
    env_close(&e);
}
END_TEST

/* Machine teardown force-unmounts, even with vnodes still referenced (valgrind checks
 * nothing leaks). */
START_TEST(test_teardown_with_references)
{
    REQUIRE_IMAGES();
    struct env e;
    env_open(&e, 1);
    uvmsim_vnode *vp = get(&e, "/many/file_number_007", true);
    (void)vp;
    uvmsim_machine_destroy(e.m);
}
END_TEST

/* ---- reads at arbitrary offsets ---- */

START_TEST(test_read_offsets)
{
    REQUIRE_IMAGES();
    struct env e;
    env_open(&e, _i == 0 ? 0 : 2);
    const char *files[] = {"/big.bin", "/sparse.bin", "/triple.bin", "/small.bin"};
    uint64_t rng = 0x1234567 + (uint64_t)_i;
    uint8_t *hb = malloc(70000), *vb = malloc(70000);
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char host[600];
        int fd = open(fsu_path(host, sizeof(host), "%s%s", F.src, files[f]), O_RDONLY);
        ck_assert_int_ge(fd, 0);
        uvmsim_vnode *vp = get(&e, files[f], true);
        uint64_t size = attr(vp).size;
        for (int k = 0; k < 200; k++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            uint64_t off = rng % (size + 100);
            if (k % 4 == 0)   /* also around the far data of triple.bin */
                off = (TRIPLE_FAR - 5000 + rng % 20000) % (size + 100);
            size_t len = (size_t)((rng >> 20) % 70000);
            size_t got;
            ck_assert_int_eq(uvmsim_vnode_read(vp, off, vb, len, &got), UVMSIM_OK);
            size_t want = off >= size ? 0 : (size - off < len ? (size_t)(size - off) : len);
            ck_assert_uint_eq(got, want);
            if (want > 0) {
                ck_assert_int_eq(pread(fd, hb, want, (off_t)off), (ssize_t)want);
                ck_assert_msg(memcmp(hb, vb, want) == 0, "%s: read(%llu, %zu) differs", files[f],
                              (unsigned long long)off, len);
            }
        }
        size_t got = 7;
        ck_assert_int_eq(uvmsim_vnode_read(vp, 0, NULL, 0, &got), UVMSIM_OK);
        ck_assert_uint_eq(got, 0);
        ck_assert_int_eq(uvmsim_vnode_read(vp, UINT64_MAX, vb, 10, &got), UVMSIM_OK);
        ck_assert_uint_eq(got, 0);
        uvmsim_vnode_rele(vp);
        close(fd);
    }
    free(hb);
    free(vb);
    env_close(&e);
}
END_TEST

/* ---- argument errors of every vnode call ---- */

START_TEST(test_vnode_call_errors)
{
    REQUIRE_IMAGES();
    struct env e;
    env_open(&e, 2);
    uvmsim_vnode *dir = get(&e, "/dir", true), *file = get(&e, "/hello.txt", true);
    uvmsim_vnode *fast = get(&e, "/links/fast", false);
    char buf[16];
    size_t n;
    uint64_t pbn;
    uvmsim_vattr va;
    ck_assert_int_eq(uvmsim_vnode_read(dir, 0, buf, 4, &n), UVMSIM_EISDIR);
    ck_assert_int_eq(uvmsim_vnode_read(NULL, 0, buf, 4, &n), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_read(file, 0, NULL, 4, &n), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_read(file, 0, buf, 4, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_readlink(file, buf, 4, &n), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_readlink(NULL, buf, 4, &n), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_readlink(fast, NULL, 4, &n), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_readlink(fast, buf, 4, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_readlink(fast, buf, 0, &n), UVMSIM_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(uvmsim_vnode_readdir(file, collect_dirent, NULL), UVMSIM_ENOTDIR);
    ck_assert_int_eq(uvmsim_vnode_readdir(dir, NULL, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_readdir(NULL, collect_dirent, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_bmap(NULL, 0, &pbn), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_bmap(file, 0, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_bmap(fast, 0, &pbn), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_bmap(file, UINT64_MAX, &pbn), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_vnode_bmap(file, 1000, &pbn), UVMSIM_OK);   /* past EOF: a hole */
    ck_assert_uint_eq(pbn, 0);
    ck_assert_int_eq(uvmsim_vnode_getattr(NULL, &va), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_vnode_getattr(file, NULL), UVMSIM_EINVAL);
    /* readdir stops when the callback says so */
    struct dentries *de = calloc(1, sizeof(*de));
    de->stop_after = 2;
    ck_assert_int_eq(uvmsim_vnode_readdir(dir, collect_dirent, de), UVMSIM_OK);
    ck_assert_uint_eq(de->n, 2);
    dentries_free(de);
    free(de);
    uvmsim_vnode_rele(dir);
    uvmsim_vnode_rele(file);
    uvmsim_vnode_rele(fast);
    env_close(&e);
}
END_TEST

/* ---- statistics and the buffer cache ---- */

START_TEST(test_stats_and_bcache)
{
    REQUIRE_IMAGES();
    uvmsim_machine *m;
    uvmsim_fs_stats st;
    ck_assert_int_eq(uvmsim_machine_create(NULL, &m), UVMSIM_OK);
    uvmsim_fs_stats_get(m, &st);
    ck_assert_uint_eq(st.bcache_hits + st.bcache_misses + st.block_reads + st.vnodes_live, 0);
    ck_assert_str_eq(uvmsim_fs_last_error(m), "");
    uvmsim_fs_stats_get(m, NULL);
    uvmsim_fs_stats_get(NULL, &st);
    ck_assert_uint_eq(st.block_reads, 0);
    ck_assert_str_eq(uvmsim_fs_last_error(NULL), "");
    uvmsim_machine_destroy(m);

    struct env e;
    env_open(&e, 0);
    uvmsim_flashdev_stats ds;
    uvmsim_fs_stats_get(e.m, &st);
    uvmsim_flashdev_stats_get(e.dev, &ds);
    ck_assert_uint_gt(st.bcache_misses, 0);
    ck_assert_uint_eq(st.block_reads, ds.read_requests);   /* the fs is the only reader */
    uvmsim_vnode *vp = get(&e, "/dir/a/b/c/d/e/f/g/h/deep.txt", true);
    uvmsim_vnode_rele(vp);
    uvmsim_fs_stats before, after;
    uvmsim_fs_stats_get(e.m, &before);
    vp = get(&e, "/dir/a/b/c/d/e/f/g/h/deep.txt", true);   /* all metadata cached now */
    uvmsim_fs_stats_get(e.m, &after);
    ck_assert_uint_eq(after.bcache_misses, before.bcache_misses);
    ck_assert_uint_gt(after.bcache_hits, before.bcache_hits);
    ck_assert_uint_eq(after.block_reads, before.block_reads);
    /* whole-block file data skips the cache and is read in contiguous runs */
    uint8_t *buf = malloc(BIG_SIZE);
    size_t n;
    uvmsim_vnode *big = get(&e, "/big.bin", true);
    uvmsim_fs_stats_get(e.m, &before);
    ck_assert_int_eq(uvmsim_vnode_read(big, 0, buf, BIG_SIZE, &n), UVMSIM_OK);
    ck_assert_uint_eq(n, BIG_SIZE);
    uvmsim_fs_stats_get(e.m, &after);
    /* 301 blocks in a handful of contiguous runs (mke2fs allocates them in order) */
    ck_assert_uint_lt(after.block_reads - before.block_reads, 12);
    uvmsim_vnode_rele(big);
    free(buf);
    uvmsim_vnode_rele(vp);

    /* LRU: fill the cache with blocks 100..100+NBUF-1, touch 100, read one more block:
     * the victim is 101 (least recently used), not 100 (oldest loaded). */
    struct uvmsim_mount *mp = e.mp;
    const uint8_t *data;
    for (uint64_t b = 100; b < 100 + UVMSIM_FS_BCACHE_NBUF; b++)
        ck_assert_int_eq(uvmsim_fs_bread(mp, b, &data), UVMSIM_OK);
    uvmsim_fs_stats_get(e.m, &before);
    ck_assert_int_eq(uvmsim_fs_bread(mp, 100, &data), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_fs_bread(mp, 100 + UVMSIM_FS_BCACHE_NBUF, &data), UVMSIM_OK);
    uvmsim_fs_stats_get(e.m, &after);
    ck_assert_uint_eq(after.bcache_hits, before.bcache_hits + 1);
    ck_assert_uint_eq(after.bcache_misses, before.bcache_misses + 1);
    ck_assert_int_eq(uvmsim_fs_bread(mp, 100, &data), UVMSIM_OK);
    uvmsim_fs_stats_get(e.m, &before);
    ck_assert_uint_eq(before.bcache_hits, after.bcache_hits + 1);
    ck_assert_int_eq(uvmsim_fs_bread(mp, 101, &data), UVMSIM_OK);
    uvmsim_fs_stats_get(e.m, &after);
    ck_assert_uint_eq(after.bcache_misses, before.bcache_misses + 1);
    /* the cached bytes are the device's bytes */
    const uint8_t *raw = uvmsim_flashdev_bytes(e.dev, 101 * 1024, 1024);
    ck_assert_ptr_nonnull(raw);
    ck_assert(memcmp(raw, data, 1024) == 0);
    ck_assert_int_eq(uvmsim_fs_bread(mp, 8u << 20, &data), UVMSIM_ECORRUPT);   /* past the fs */
    env_close(&e);
}
END_TEST

/* ---- device block sizes other than 512 ---- */

START_TEST(test_device_block_sizes)
{
    REQUIRE_IMAGES();
    const size_t dbs[] = {1024, 2048, 4096, 8192};
    const int imgs[] = {0, 2};
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        for (size_t k = 0; k < 2; k++) {
            struct env e;
            env_open_cfg(&e, F.img[imgs[k]].image, dbs[i], 0);
            const char *files[] = {"/big.bin", "/many/file_number_123", "/sparse.bin"};
            for (size_t f = 0; f < 3; f++) {
                char host[600];
                uvmsim_vnode *vp = get(&e, files[f], true);
                verify_data(vp, fsu_path(host, sizeof(host), "%s%s", F.src, files[f]), attr(vp).size);
                uvmsim_vnode_rele(vp);
            }
            uvmsim_fs_stats st;
            uvmsim_flashdev_stats ds;
            uvmsim_fs_stats_get(e.m, &st);
            uvmsim_flashdev_stats_get(e.dev, &ds);
            ck_assert_uint_eq(st.block_reads, ds.read_requests);
            env_close(&e);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ext2");
    TCase *tc = tcase_create("images");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_tree_matches_source, 0, NIMG);
    tcase_add_test(tc, test_indirection_levels);
    tcase_add_loop_test(tc, test_huge_file, 0, 2);
    tcase_add_test(tc, test_namei_semantics);
    tcase_add_test(tc, test_vnode_identity);
    tcase_add_test(tc, test_teardown_with_references);
    tcase_add_loop_test(tc, test_read_offsets, 0, 2);
    tcase_add_test(tc, test_vnode_call_errors);
    tcase_add_test(tc, test_stats_and_bcache);
    tcase_add_test(tc, test_device_block_sizes);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
