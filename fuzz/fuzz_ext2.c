/* Fuzz harness: an ext2 image, mounted three times and fully walked.
 *
 * The input is a filesystem image (at most FZ_DEV_MAX bytes).  Images end in long runs
 * of zeros, so an input may stop early: the device is the input followed by zeros up to
 * the size the superblock claims (blocks_count x block size, at most FZ_PAD_MAX) or the
 * input's own size, rounded up to a page.  The machine's page size is the image's block size when it is 1, 2 or
 * 4 KiB, so the XIP mounts can take 1 KiB-block images too.
 *
 * The same bytes go on three devices of one machine (strategy blocks of 512, 4096 and
 * 1024 bytes), mounted copy at /c, XIP at /x and XIP with the fault-op pager at /f.  The walk visits every directory from the root
 * (each directory inode once, bounded in count), and for every entry compares what the
 * three mounts answer: look-up, getattr, readdir, readlink, bmap, read; for regular
 * files the bytes read() returns against the bytes the MMU loads from a private mapping
 * of the file; then exec of every file, with the images the three mounts build compared
 * segment by segment and through the MMU.  The three mounts share one driver but differ
 * in the pager (page cache filled by block reads, device pages in place, the XIP
 * fault op): any difference is a finding.  At the end every vnode must be released (the
 * unmounts succeed) and the invariant checker must pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "uvmsim/fs.h"
#include "uvmsim/exec.h"

#define FZ_DEV_MAX (8u << 20)     /* largest input (the built-in images are 4 and 5 MiB) */
#define FZ_PAD_MAX (2u << 20)     /* largest device padded up to the superblock's size */
#define FZ_RAM (8u << 20)
#define FZ_NODES 256              /* entries visited per input */
#define FZ_DIRS 128               /* directory inodes walked per input */
#define FZ_DIRENTS 64             /* entries taken from one directory */
#define FZ_DEPTH 12
#define FZ_READ_MAX (64u << 10)   /* bytes read from the start of a file */
#define FZ_MAP_PAGES 8            /* pages of a file compared through the MMU */
#define FZ_NAME 256
#define FZ_PATH 1100
#define FZ_MAP_VA 0x10000000ull

enum { NM = 3 };                  /* mounts: copy, XIP, XIP fault-op */
static const char *const mnt_path[NM] = {"/c", "/x", "/f"};
static const unsigned mnt_flags[NM] = {0, UVMSIM_MNT_XIP, UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP};
/* The devices' strategy block sizes differ too, so fs blocks are read as several device
 * blocks, as one, or out of a larger one (fs_bcache.c's two paths). */
static const size_t dev_block[NM] = {512, 4096, 1024};

struct dent {
    char name[FZ_NAME];
    size_t namelen;
    uint32_t ino;
    uvmsim_vtype type;
};

struct dirlist {
    struct dent e[FZ_DIRENTS];
    unsigned n;
};

/* One input's walk.  Everything lives here: no state survives the input. */
struct walk {
    uvmsim_machine *m;
    size_t page;
    uvmsim_mount *mp[NM];
    unsigned nodes, ndirs;
    uint32_t dirs[FZ_DIRS];       /* directory inodes already walked */
    uint8_t *buf[NM];             /* FZ_READ_MAX bytes each */
    uint8_t *pg[2];               /* one page each */
    const uint8_t *data;          /* the input: the device's bytes (zeros past size) */
    size_t size;
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The three mounts must answer the same code. */
static void same_err(const int err[NM], const char *what, const char *path)
{
    for (int i = 0; i < NM; i++)
        FZ_CODE(err[i], what);
    for (int i = 1; i < NM; i++)
        FZ_ASSERT(err[i] == err[0], "%s %s: %s mount says %s, %s mount says %s", what, path, mnt_path[0],
                  uvmsim_errname(err[0]), mnt_path[i], uvmsim_errname(err[i]));
}

/* A code from the fs must come with a sentence when it blames the image. */
static void said_why(struct walk *w, int err, const char *what)
{
    if (err == UVMSIM_ECORRUPT || err == UVMSIM_ENOTSUP)
        FZ_ASSERT(uvmsim_fs_last_error(w->m)[0] != '\0', "%s: %s without a sentence", what, uvmsim_errname(err));
}

static int take_dent(const char *name, size_t namelen, uint32_t ino, uvmsim_vtype type, void *arg)
{
    struct dirlist *dl = arg;
    FZ_ASSERT(namelen > 0 && namelen < FZ_NAME, "readdir gave a name of %zu bytes", namelen);
    FZ_ASSERT(ino != 0, "readdir gave an unused entry");
    struct dent *d = &dl->e[dl->n++];
    memcpy(d->name, name, namelen);
    d->name[namelen] = '\0';
    d->namelen = namelen;
    d->ino = ino;
    d->type = type;
    return dl->n == FZ_DIRENTS;
}

/* Bytes [off, off + len) of a file on every mount: same code, same count, same bytes. */
static void cmp_read(struct walk *w, uvmsim_vnode *vp[NM], uint64_t off, size_t len, const char *path, int *err0,
                     size_t *n0)
{
    int err[NM];
    size_t n[NM];
    for (int i = 0; i < NM; i++) {
        err[i] = uvmsim_vnode_read(vp[i], off, w->buf[i], len, &n[i]);
        said_why(w, err[i], "read");
        FZ_ASSERT(n[i] <= len, "read %s returned %zu of %zu bytes", path, n[i], len);
    }
    same_err(err, "read", path);
    for (int i = 1; i < NM && err[0] == UVMSIM_OK; i++) {
        FZ_ASSERT(n[i] == n[0], "read %s at %llu: %zu bytes on %s, %zu on %s", path, (unsigned long long)off, n[0],
                  mnt_path[0], n[i], mnt_path[i]);
        FZ_ASSERT(memcmp(w->buf[i], w->buf[0], n[0]) == 0, "read %s at %llu: the bytes differ between %s and %s", path,
                  (unsigned long long)off, mnt_path[0], mnt_path[i]);
    }
    *err0 = err[0];
    *n0 = n[0];
}

/* The device's bytes [off, off + len) into out. */
static void dev_bytes(const struct walk *w, uint64_t off, uint8_t *out, size_t len)
{
    memset(out, 0, len);
    if (off < w->size)
        memcpy(out, w->data + off, w->size - off < len ? (size_t)(w->size - off) : len);
}

/* A private read-only mapping of the file: every page the MMU loads must hold what read()
 * returns; a page read() cannot give must fault.  Past end of file in the last page a
 * copy mount shows zeros, an XIP mount the device block's own bytes (the page is mapped
 * in place, as real XIP does: nothing can zero it). */
static void cmp_mmu(struct walk *w, uvmsim_vnode *vp, uint64_t size, const char *path, int mount)
{
    uvmsim_proc *p;
    int err = uvmsim_proc_create(w->m, &p);
    if (err == UVMSIM_ENOHOST)
        return;
    FZ_ASSERT(err == UVMSIM_OK, "proc_create: %s", uvmsim_strerror(err));
    uint64_t npages = (size + w->page - 1) / w->page;
    if (npages > FZ_MAP_PAGES)
        npages = FZ_MAP_PAGES;
    if (npages == 0)
        npages = 1;
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = FZ_MAP_VA;
    a.size = npages * w->page;
    a.prot = UVMSIM_PROT_READ;
    a.flags = UVMSIM_MAP_PRIVATE | UVMSIM_MAP_FIXED;
    a.vnode = vp;
    err = uvmsim_map(p, &a, NULL);
    FZ_CODE(err, "map");
    FZ_ASSERT(err == UVMSIM_OK || err == UVMSIM_ENOMEM || err == UVMSIM_ENOHOST, "map %s on %s: %s", path,
              mnt_path[mount], uvmsim_errname(err));
    for (uint64_t i = 0; err == UVMSIM_OK && i < npages; i++) {
        size_t n = 0;
        int rerr = uvmsim_vnode_read(vp, i * w->page, w->pg[0], w->page, &n);
        uint64_t pbn = 0;
        if (rerr == UVMSIM_OK && n < w->page && mnt_flags[mount] & UVMSIM_MNT_XIP &&
            uvmsim_vnode_bmap(vp, i, &pbn) == UVMSIM_OK && pbn != 0)
            dev_bytes(w, pbn * w->page + n, w->pg[0] + n, w->page - n);
        else
            memset(w->pg[0] + n, 0, w->page - n);
        int lerr = uvmsim_access_mem(p, FZ_MAP_VA + i * w->page, UVMSIM_ACCESS_LOAD, w->pg[1], w->page, NULL, NULL);
        FZ_CODE(lerr, "load");
        if (lerr == UVMSIM_ENOMEM || lerr == UVMSIM_ENOHOST)
            break;
        if (rerr == UVMSIM_OK) {
            FZ_ASSERT(lerr == UVMSIM_OK, "%s on %s, page %llu: read() gives it, a load through the MMU fails with %s",
                      path, mnt_path[mount], (unsigned long long)i, uvmsim_errname(lerr));
            FZ_ASSERT(memcmp(w->pg[0], w->pg[1], w->page) == 0,
                      "%s on %s, page %llu: the MMU loads other bytes than read() returns", path, mnt_path[mount],
                      (unsigned long long)i);
        } else {
            FZ_ASSERT(lerr != UVMSIM_OK, "%s on %s, page %llu: read() fails with %s, a load through the MMU succeeds",
                      path, mnt_path[mount], (unsigned long long)i, uvmsim_errname(rerr));
        }
    }
    uvmsim_proc_exit(p);
}

/* exec of the file on every mount: same answer, same image, same bytes at the start of
 * every segment (for a file segment, those inside the file: see cmp_mmu on what lies
 * past end of file). */
static void cmp_exec(struct walk *w, uvmsim_vnode *vp[NM], uint64_t fsize, const char *path)
{
    uvmsim_proc *p[NM] = {0};
    uvmsim_exec_info *info = calloc(NM, sizeof(*info));
    int err[NM];
    if (info == NULL)
        return;
    for (int i = 0; i < NM; i++) {
        int e = uvmsim_proc_create(w->m, &p[i]);
        FZ_ASSERT(e == UVMSIM_OK || e == UVMSIM_ENOHOST, "proc_create: %s", uvmsim_errname(e));
        if (e != UVMSIM_OK)
            goto out;
    }
    for (int i = 0; i < NM; i++) {
        err[i] = uvmsim_exec_vnode(p[i], vp[i], NULL, &info[i]);
        FZ_CODE(err[i], "exec");
        if (err[i] == UVMSIM_ENOMEM || err[i] == UVMSIM_ENOHOST)
            goto out;   /* RAM left differs with what each mount caches */
        FZ_ASSERT(err[i] == UVMSIM_OK || info[i].error[0] != '\0', "exec %s on %s: %s without a reason", path,
                  mnt_path[i], uvmsim_errname(err[i]));
    }
    same_err(err, "exec", path);
    if (err[0] != UVMSIM_OK)
        goto out;
    for (int i = 1; i < NM; i++) {
        FZ_ASSERT(info[i].nsegs == info[0].nsegs && info[i].entry == info[0].entry && info[i].brk == info[0].brk &&
                      info[i].promotions == info[0].promotions && info[i].bytes_zeroed == info[0].bytes_zeroed,
                  "exec %s: the image on %s differs from the one on %s", path, mnt_path[i], mnt_path[0]);
        FZ_ASSERT(memcmp(info[i].segs, info[0].segs, info[0].nsegs * sizeof(info[0].segs[0])) == 0,
                  "exec %s: the segments on %s differ from those on %s", path, mnt_path[i], mnt_path[0]);
    }
    for (unsigned s = 0; s < info[0].nsegs; s++) {
        const uvmsim_exec_seg *sg = &info[0].segs[s];
        uvmsim_vaddr_t va = sg->va;
        size_t len = w->page;
        if (sg->kind == UVMSIM_EXEC_SEG_FILE)
            len = sg->offset >= fsize ? 0 : fsize - sg->offset < len ? (size_t)(fsize - sg->offset) : len;
        if (!(sg->prot & UVMSIM_PROT_READ) || len == 0)
            continue;
        int e0 = uvmsim_access_mem(p[0], va, UVMSIM_ACCESS_LOAD, w->pg[0], w->page, NULL, NULL);
        for (int i = 1; i < NM && e0 == UVMSIM_OK; i++) {
            int e = uvmsim_access_mem(p[i], va, UVMSIM_ACCESS_LOAD, w->pg[1], w->page, NULL, NULL);
            FZ_CODE(e, "load");
            if (e == UVMSIM_ENOMEM || e == UVMSIM_ENOHOST)
                break;
            FZ_ASSERT(e == UVMSIM_OK, "exec %s: segment at 0x%llx loads on %s, not on %s (%s)", path,
                      (unsigned long long)va, mnt_path[0], mnt_path[i], uvmsim_errname(e));
            FZ_ASSERT(memcmp(w->pg[0], w->pg[1], len) == 0, "exec %s: segment at 0x%llx differs between %s and %s",
                      path, (unsigned long long)va, mnt_path[0], mnt_path[i]);
        }
    }
    fz_check(w->m, "after loading the exec'd images");
out:
    for (int i = 0; i < NM; i++)
        uvmsim_proc_exit(p[i]);
    free(info);
}

static void walk_node(struct walk *w, const char *rel, unsigned depth);

/* Every entry of a directory, once per directory inode. */
static void walk_dir(struct walk *w, uvmsim_vnode *vp[NM], uint32_t ino, const char *rel, unsigned depth)
{
    for (unsigned i = 0; i < w->ndirs; i++)
        if (w->dirs[i] == ino)
            return;
    if (w->ndirs == FZ_DIRS || depth > FZ_DEPTH)
        return;
    w->dirs[w->ndirs++] = ino;
    struct dirlist *dl = calloc(NM, sizeof(*dl));
    if (dl == NULL)
        return;
    int err[NM];
    for (int i = 0; i < NM; i++) {
        err[i] = uvmsim_vnode_readdir(vp[i], take_dent, &dl[i]);
        said_why(w, err[i], "readdir");
    }
    same_err(err, "readdir", rel);
    for (int i = 1; i < NM; i++) {
        FZ_ASSERT(dl[i].n == dl[0].n, "readdir %s: %u entries on %s, %u on %s", rel, dl[0].n, mnt_path[0], dl[i].n,
                  mnt_path[i]);
        FZ_ASSERT(memcmp(dl[i].e, dl[0].e, dl[0].n * sizeof(dl[0].e[0])) == 0, "readdir %s: entries differ on %s", rel,
                  mnt_path[i]);
    }
    char *child = malloc(FZ_PATH);
    for (unsigned k = 0; child != NULL && k < dl[0].n && w->nodes < FZ_NODES; k++) {
        const struct dent *d = &dl[0].e[k];
        if (strlen(d->name) != d->namelen || strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
            continue;   /* a NUL inside the name: not a C path; "." and "..": walked already */
        snprintf(child, FZ_PATH, "%s/%s", strcmp(rel, "/") == 0 ? "" : rel, d->name);
        walk_node(w, child, depth + 1);
    }
    free(child);
    free(dl);
}

/* One path: look it up on every mount and compare everything the vnode answers. */
static void walk_node(struct walk *w, const char *rel, unsigned depth)
{
    uvmsim_vnode *vp[NM] = {0};
    int err[NM];
    char full[FZ_PATH + 8];
    w->nodes++;
    for (int i = 0; i < NM; i++) {
        snprintf(full, sizeof full, "%s%s", mnt_path[i], strcmp(rel, "/") == 0 ? "" : rel);
        err[i] = uvmsim_namei_nofollow(w->m, full, &vp[i]);
        said_why(w, err[i], "lookup");
    }
    same_err(err, "lookup", rel);
    if (err[0] != UVMSIM_OK)
        return;

    uvmsim_vattr va[NM];
    for (int i = 0; i < NM; i++) {
        err[i] = uvmsim_vnode_getattr(vp[i], &va[i]);
        said_why(w, err[i], "getattr");
    }
    same_err(err, "getattr", rel);
    for (int i = 1; i < NM && err[0] == UVMSIM_OK; i++)
        FZ_ASSERT(memcmp(&va[i], &va[0], sizeof(va[0])) == 0, "getattr %s: %s and %s differ", rel, mnt_path[0],
                  mnt_path[i]);
    uvmsim_vtype type = err[0] == UVMSIM_OK ? va[0].type : UVMSIM_VNON;
    uint64_t size = err[0] == UVMSIM_OK ? va[0].size : 0;

    /* the block map of the first blocks */
    for (uint64_t lbn = 0; lbn < 16; lbn++) {
        uint64_t pbn[NM];
        for (int i = 0; i < NM; i++) {
            err[i] = uvmsim_vnode_bmap(vp[i], lbn, &pbn[i]);
            said_why(w, err[i], "bmap");
        }
        same_err(err, "bmap", rel);
        for (int i = 1; i < NM && err[0] == UVMSIM_OK; i++)
            FZ_ASSERT(pbn[i] == pbn[0], "bmap %s block %llu: %llu on %s, %llu on %s", rel, (unsigned long long)lbn,
                      (unsigned long long)pbn[0], mnt_path[0], (unsigned long long)pbn[i], mnt_path[i]);
    }

    if (type == UVMSIM_VREG) {
        int rerr;
        size_t n;
        cmp_read(w, vp, 0, FZ_READ_MAX, rel, &rerr, &n);
        if (rerr == UVMSIM_OK) {
            FZ_ASSERT(n == (size < FZ_READ_MAX ? size : FZ_READ_MAX), "read %s: %zu bytes of a %llu-byte file", rel, n,
                      (unsigned long long)size);
            /* read() against the image itself: each block holds the bytes of the device
             * block bmap names, a hole zeros (the block size is the page size here) */
            for (uint64_t lbn = 0; lbn * w->page < n; lbn++) {
                uint64_t pbn;
                size_t len = n - lbn * w->page < w->page ? (size_t)(n - lbn * w->page) : w->page;
                FZ_ASSERT(uvmsim_vnode_bmap(vp[0], lbn, &pbn) == UVMSIM_OK, "%s: read() succeeded, bmap of block %llu fails",
                          rel, (unsigned long long)lbn);
                if (pbn != 0)
                    dev_bytes(w, pbn * w->page, w->pg[0], len);
                else
                    memset(w->pg[0], 0, len);
                FZ_ASSERT(memcmp(w->buf[0] + lbn * w->page, w->pg[0], len) == 0,
                          "%s block %llu: read() returns other bytes than device block %llu holds", rel,
                          (unsigned long long)lbn, (unsigned long long)pbn);
            }
        }
        if (size > FZ_READ_MAX)   /* the tail, through the deepest indirect blocks */
            cmp_read(w, vp, size - 100, 4096, rel, &rerr, &n);
        for (int i = 0; i < NM; i++)
            cmp_mmu(w, vp[i], size, rel, i);
        cmp_exec(w, vp, size, rel);
    } else if (type == UVMSIM_VLNK) {
        char *t = malloc((size_t)NM * 4096);
        size_t tl[NM];
        for (int i = 0; t != NULL && i < NM; i++) {
            err[i] = uvmsim_vnode_readlink(vp[i], t + (size_t)i * 4096, 4096, &tl[i]);
            said_why(w, err[i], "readlink");
        }
        if (t != NULL) {
            same_err(err, "readlink", rel);
            for (int i = 1; i < NM && err[0] == UVMSIM_OK; i++)
                FZ_ASSERT(tl[i] == tl[0] && memcmp(t + (size_t)i * 4096, t, tl[0]) == 0, "readlink %s differs on %s",
                          rel, mnt_path[i]);
            /* and follow it */
            uvmsim_vnode *fv[NM] = {0};
            for (int i = 0; i < NM; i++) {
                snprintf(full, sizeof full, "%s%s", mnt_path[i], rel);
                err[i] = uvmsim_namei(w->m, full, &fv[i]);
                said_why(w, err[i], "lookup");
            }
            /* a link may lead out of its mount ("../../c/..."): then the mounts differ
             * legitimately; compare only when every answer stayed on its own mount */
            bool own = true;
            for (int i = 0; i < NM; i++)
                if (fv[i] != NULL && uvmsim_vnode_mount(fv[i]) != w->mp[i])
                    own = false;
            if (own)
                same_err(err, "lookup (following the link)", rel);
            for (int i = 0; i < NM; i++)
                uvmsim_vnode_rele(fv[i]);
        }
        free(t);
    } else if (type == UVMSIM_VDIR) {
        walk_dir(w, vp, va[0].ino, rel, depth);
    }
    for (int i = 0; i < NM; i++)
        uvmsim_vnode_rele(vp[i]);
}

/* The device size for an input: what the superblock claims (at most FZ_PAD_MAX), or the
 * input, whichever is larger, rounded up to a page. */
static size_t dev_size(const uint8_t *data, size_t size, size_t page)
{
    uint64_t want = size;
    if (size >= 1024 + 28) {
        uint32_t blocks = le32(data + 1024 + 4), logbs = le32(data + 1024 + 24);
        uint64_t claim = logbs <= 2 ? (uint64_t)blocks * (1024u << logbs) : 0;
        if (claim > FZ_PAD_MAX)
            claim = FZ_PAD_MAX;
        if (claim > want)
            want = claim;
    }
    if (want < 2048)
        want = 2048;
    size_t unit = page > 4096 ? page : 4096;   /* whole pages and whole device blocks */
    return (size_t)((want + unit - 1) / unit * unit);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FZ_DEV_MAX)
        return 0;
    size_t page = 4096;
    if (size >= 1024 + 28 && le32(data + 1024 + 24) <= 2)
        page = 1024u << le32(data + 1024 + 24);
    struct walk w;
    memset(&w, 0, sizeof w);
    w.page = page;
    w.data = data;
    w.size = size;
    w.m = fz_machine(page, FZ_RAM, NULL);
    if (w.m == NULL)
        return 0;
    size_t devsize = dev_size(data, size, page);
    int err[NM];
    bool host_ok = true;
    for (int i = 0; i < NM; i++) {
        uvmsim_flashdev *dev = fz_flashdev(w.m, data, size, devsize, dev_block[i]);
        if (dev == NULL) {
            host_ok = false;
            break;
        }
        err[i] = uvmsim_mount_ext2(w.m, dev, mnt_path[i], mnt_flags[i], &w.mp[i]);
        said_why(&w, err[i], "mount");
    }
    if (host_ok) {
        same_err(err, "mount", "/");
        for (int i = 0; i < NM; i++) {
            w.buf[i] = malloc(FZ_READ_MAX);
            host_ok = host_ok && w.buf[i] != NULL;
        }
        w.pg[0] = malloc(page);
        w.pg[1] = malloc(page);
    }
    if (host_ok && err[0] == UVMSIM_OK && w.pg[0] != NULL && w.pg[1] != NULL) {
        walk_node(&w, "/", 0);
        fz_check(w.m, "after the walk");
        for (int i = 0; i < NM; i++) {
            int e = uvmsim_unmount(w.mp[i]);
            FZ_ASSERT(e == UVMSIM_OK, "unmount %s: %s (a vnode reference leaked)", mnt_path[i], uvmsim_errname(e));
        }
    }
    for (int i = 0; i < NM; i++)
        free(w.buf[i]);
    free(w.pg[0]);
    free(w.pg[1]);
    uvmsim_machine_destroy(w.m);
    return 0;
}
