/* Check suite: corrupt ext2 images never crash the driver or make it read out of bounds.
 *
 * A small real mke2fs image (1 KiB blocks) is damaged in three ways: targeted field
 * corruptions with the exact error expected (superblock, group descriptor, inodes,
 * directory records, indirect blocks); byte-by-byte sweeps over those structures, where
 * every operation must return a valid code (and a sentence for ECORRUPT/ENOTSUP); and a
 * seeded mini-fuzz of random multi-byte mutations.  Under Valgrind (memcheck label) the
 * same runs prove there is no invalid read and no leak. */
#include "fs_testutil.h"
#include <check.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/fs.h"
#include "uvmsim/flashdev.h"
#include "machine/machine_internal.h"
#include "fs/fs_internal.h"
#include "vmtest.h"

#define IMG_SIZE (256u * 1024)
#define BS 1024u
#define NMANY 40

/* Where the structures of the pristine image live (found with debugfs, not the driver). */
struct layout {
    uint64_t gdt;                       /* byte offset of group descriptor 0 */
    uint64_t ino_root, ino_hello, ino_big, ino_dir, ino_sub, ino_slow, ino_fast;  /* inode offsets */
    uint32_t hello_ino;                 /* inode number of /hello.txt */
    uint64_t root_blk, sub_blk, many_blk1;   /* directory blocks (block numbers) */
    uint64_t big_ind, big_dind, big_dind_ind;
    uint32_t inodes_count, blocks_count;
};

static struct {
    bool ok;
    char err[2048];
    char dir[256];
    uint8_t *img;
    size_t size;
    struct layout L;
} F;

static bool build_src(const char *s)
{
    char p[600];
    int r = 0;
    r |= mkdir(s, 0755);
    r |= fsu_write_str(fsu_path(p, sizeof(p), "%s/hello.txt", s), "hello, corrupt world\n");
    r |= mkdir(fsu_path(p, sizeof(p), "%s/dir", s), 0755);
    r |= mkdir(fsu_path(p, sizeof(p), "%s/dir/sub", s), 0755);
    r |= fsu_write_str(fsu_path(p, sizeof(p), "%s/dir/sub/file.txt", s), "file\n");
    fsu_path(p, sizeof(p), "%s/big.bin", s);
    r |= fsu_write_at(p, 0, 2 * BS, 9);          /* direct */
    r |= fsu_write_at(p, 20 * BS, BS, 9);        /* single indirect */
    r |= fsu_write_at(p, 300 * BS, 100, 9);      /* double indirect */
    r |= mkdir(fsu_path(p, sizeof(p), "%s/links", s), 0755);
    r |= symlink("../hello.txt", fsu_path(p, sizeof(p), "%s/links/fast", s));
    r |= symlink("../dir/sub/../sub/../../dir/./sub/../../links/../dir/sub/../../hello.txt",   /* > 60 bytes */
                 fsu_path(p, sizeof(p), "%s/links/slow", s));
    r |= symlink("loop2", fsu_path(p, sizeof(p), "%s/links/loop1", s));
    r |= symlink("loop1", fsu_path(p, sizeof(p), "%s/links/loop2", s));
    r |= mkdir(fsu_path(p, sizeof(p), "%s/many", s), 0755);
    for (int i = 0; i < NMANY; i++)
        r |= fsu_write_str(fsu_path(p, sizeof(p), "%s/many/a_longer_entry_name_%02d", s, i), "m");
    return r == 0;
}

/* Run one debugfs request; returns its stdout (malloc'd) or NULL. */
static char *dbg(const char *image, const char *req)
{
    char tool[512], cmd[1400];
    if (!fsu_find_tool("debugfs", tool, sizeof(tool)))
        return NULL;
    snprintf(cmd, sizeof(cmd), "%s -R '%s' %s 2>/dev/null", tool, req, image);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    size_t got;
    while ((got = fread(out + n, 1, cap - 1 - n, p)) > 0)
        n += got;
    out[n] = '\0';
    pclose(p);
    return out;
}

/* Byte offset of an inode, from "imap": "located at block B, offset 0xO". */
static bool inode_off(const char *image, const char *path, uint64_t *off, uint32_t *ino)
{
    char req[300];
    snprintf(req, sizeof(req), "imap %s", path);
    char *o = dbg(image, req);
    unsigned long long blk;
    unsigned int in, boff;
    bool ok = o != NULL && sscanf(o, "Inode %u is part of block group %*u\n\tlocated at block %llu, offset 0x%x", &in,
                                  &blk, &boff) == 3;
    if (ok) {
        *off = blk * BS + boff;
        if (ino)
            *ino = in;
    }
    free(o);
    return ok;
}

/* A tag's block from "stat": "(IND):302" or "(0):34" (tag = "IND", "0", ...). */
static bool stat_block(const char *image, const char *path, const char *tag, int nth, uint64_t *blk)
{
    char req[300], pat[32];
    snprintf(req, sizeof(req), "stat %s", path);
    snprintf(pat, sizeof(pat), "(%s):", tag);
    char *o = dbg(image, req), *q = o;
    bool ok = false;
    while (q != NULL && (q = strstr(q, pat)) != NULL) {
        q += strlen(pat);
        if (nth-- == 0) {
            *blk = strtoull(q, NULL, 10);
            ok = true;
            break;
        }
    }
    free(o);
    return ok;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static void setup(void)
{
    char src[300], image[320];
    memset(&F, 0, sizeof(F));
    snprintf(F.dir, sizeof(F.dir), "fs_corrupt_%ld", (long)getpid());
    fsu_rmtree(F.dir);
    snprintf(src, sizeof(src), "%s/src", F.dir);
    snprintf(image, sizeof(image), "%s/img", F.dir);
    if (mkdir(F.dir, 0755) != 0 || !build_src(src)) {
        snprintf(F.err, sizeof(F.err), "cannot build the source tree under %s: %s", F.dir, strerror(errno));
        return;
    }
    if (!fsu_mkimage_opts(src, image, BS, 1, "-N 96", "256K", F.err, sizeof(F.err)))
        return;
    struct layout *L = &F.L;
    L->gdt = 2 * BS;
    bool ok = inode_off(image, "/", &L->ino_root, NULL) && inode_off(image, "/hello.txt", &L->ino_hello, &L->hello_ino) &&
              inode_off(image, "/big.bin", &L->ino_big, NULL) && inode_off(image, "/dir", &L->ino_dir, NULL) &&
              inode_off(image, "/dir/sub", &L->ino_sub, NULL) && inode_off(image, "/links/slow", &L->ino_slow, NULL) &&
              inode_off(image, "/links/fast", &L->ino_fast, NULL) && stat_block(image, "/", "0", 0, &L->root_blk) &&
              stat_block(image, "/dir/sub", "0", 0, &L->sub_blk) && stat_block(image, "/many", "1", 0, &L->many_blk1) &&
              stat_block(image, "/big.bin", "IND", 0, &L->big_ind) &&
              stat_block(image, "/big.bin", "DIND", 0, &L->big_dind) &&
              stat_block(image, "/big.bin", "IND", 1, &L->big_dind_ind);
    if (!ok) {
        snprintf(F.err, sizeof(F.err), "debugfs could not locate the image's structures (is debugfs installed?)");
        return;
    }
    F.img = fsu_slurp(image, &F.size);
    if (F.img == NULL || F.size != IMG_SIZE) {
        snprintf(F.err, sizeof(F.err), "cannot read %s back", image);
        return;
    }
    L->inodes_count = rd32(F.img + 1024);
    L->blocks_count = rd32(F.img + 1024 + 4);
    F.ok = true;
}

static void teardown(void)
{
    free(F.img);
    fsu_rmtree(F.dir);
}

#define REQUIRE_IMAGE() ck_assert_msg(F.ok, "test image unavailable: %s", F.err)

/* ---- the probe: every operation on a (possibly damaged) image ---- */

struct probe {
    uvmsim_machine *m;
    uvmsim_mount *mp;
    uint64_t devsize;
    unsigned ops, failures;   /* operations run, and how many returned an error */
    unsigned corrupt;         /* of which ECORRUPT or ENOTSUP */
    char where[160];          /* the mutation under test, for failure messages */
};

static void clear_error(struct probe *p)
{
    if (p->m->mounts != NULL)
        p->m->mounts->st->last_error[0] = '\0';
}

/* Every result must be a defined code; driver refusals must say why. */
static int check(struct probe *p, int err, const char *op)
{
    p->ops++;
    if (err < 0 || err >= UVMSIM_ERR_COUNT)
        ck_abort_msg("%s: %s returned %d", p->where, op, err);
    if (err != UVMSIM_OK)
        p->failures++;
    if (err == UVMSIM_ECORRUPT || err == UVMSIM_ENOTSUP)
        p->corrupt++;
    if ((err == UVMSIM_ECORRUPT || err == UVMSIM_ENOTSUP) && uvmsim_fs_last_error(p->m)[0] == '\0')
        ck_abort_msg("%s: %s returned %s without a sentence", p->where, op, uvmsim_errname(err));
    clear_error(p);
    return err;
}


struct names {
    char name[16][UVMSIM_FS_NAME_MAX + 1];
    unsigned n;
};

static int take_name(const char *name, size_t len, uint32_t ino, uvmsim_vtype type, void *arg)
{
    struct names *nm = arg;
    (void)ino;
    (void)type;
    if (nm->n == 16)
        return 1;
    memcpy(nm->name[nm->n], name, len);
    nm->name[nm->n][len] = '\0';
    nm->n++;
    return 0;
}

/* Every call on one vnode; for directories, recurse into up to 16 entries while
 * depth < 2 (the fuzz must stay fast under Valgrind). */
static void exercise(struct probe *p, uvmsim_vnode *vp, const char *path, int depth)
{
    uvmsim_vattr va;
    if (check(p, uvmsim_vnode_getattr(vp, &va), "getattr") != UVMSIM_OK)
        memset(&va, 0, sizeof(va));
    uint8_t buf[3000];
    size_t n;
    const uint64_t offs[] = {0, 20 * BS - 7, va.size > 100 ? va.size - 100 : 0};
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        int err = check(p, uvmsim_vnode_read(vp, offs[i], buf, sizeof(buf), &n), "read");
        if (err == UVMSIM_OK && n > sizeof(buf))
            ck_abort_msg("%s: read returned %zu bytes", p->where, n);
    }
    const uint64_t lbns[] = {0, 11, 12, 20, 268, 300, 65804, 70000, va.size / BS};
    for (size_t i = 0; i < sizeof(lbns) / sizeof(lbns[0]); i++) {
        uint64_t pbn;
        if (check(p, uvmsim_vnode_bmap(vp, lbns[i], &pbn), "bmap") == UVMSIM_OK && pbn * BS >= p->devsize)
            ck_abort_msg("%s: bmap(%llu) = %llu, past the device", p->where, (unsigned long long)lbns[i],
                         (unsigned long long)pbn);
    }
    char target[2048];
    if (check(p, uvmsim_vnode_readlink(vp, target, sizeof(target), &n), "readlink") == UVMSIM_OK &&
        n > sizeof(target))
        ck_abort_msg("%s: readlink returned %zu bytes", p->where, n);
    struct names *nm = malloc(sizeof(*nm));
    nm->n = 0;
    if (check(p, uvmsim_vnode_readdir(vp, take_name, nm), "readdir") == UVMSIM_OK && depth < 2) {
        for (unsigned i = 0; i < nm->n; i++) {
            if (strcmp(nm->name[i], ".") == 0 || strcmp(nm->name[i], "..") == 0 || nm->name[i][0] == '\0')
                continue;
            char cpath[UVMSIM_FS_PATH_MAX + 1];
            snprintf(cpath, sizeof(cpath), "%s/%s", strcmp(path, "/") == 0 ? "" : path, nm->name[i]);
            uvmsim_vnode *c;
            if (check(p, uvmsim_namei_nofollow(p->m, cpath, &c), "namei entry") == UVMSIM_OK) {
                exercise(p, c, cpath, depth + 1);
                uvmsim_vnode_rele(c);
            }
        }
    }
    free(nm);
}

static const char *const probe_paths[] = {
    "/", "/hello.txt", "/dir", "/dir/sub", "/dir/sub/file.txt", "/big.bin", "/links/fast", "/links/slow",
    "/links/loop1", "/many", "/many/a_longer_entry_name_07", "/many/a_longer_entry_name_39",
    "/dir/sub/../../hello.txt", "/nonexistent", "/links", "/lost+found",
};

/* Mount the image on a fresh device and run every operation.  Returns the mount's code. */
static int probe_image(struct probe *p, const uint8_t *img)
{
    uvmsim_flashdev_config dc;
    uvmsim_flashdev *dev;
    uvmsim_flashdev_config_init(&dc);
    ck_assert_int_eq(uvmsim_flashdev_create_mem(p->m, &dc, img, IMG_SIZE, &dev), UVMSIM_OK);
    p->devsize = IMG_SIZE;
    clear_error(p);
    int merr = check(p, uvmsim_mount_ext2(p->m, dev, "/", 0, &p->mp), "mount");
    if (merr == UVMSIM_OK) {
        for (size_t i = 0; i < sizeof(probe_paths) / sizeof(probe_paths[0]); i++) {
            uvmsim_vnode *vp;
            if (check(p, uvmsim_namei(p->m, probe_paths[i], &vp), "namei") == UVMSIM_OK) {
                exercise(p, vp, probe_paths[i], 2);   /* (the walk from "/" below goes deeper) */
                uvmsim_vnode_rele(vp);
            }
            if (strncmp(probe_paths[i], "/links/", 7) == 0 &&
                check(p, uvmsim_namei_nofollow(p->m, probe_paths[i], &vp), "namei_nofollow") == UVMSIM_OK) {
                exercise(p, vp, probe_paths[i], 2);
                uvmsim_vnode_rele(vp);
            }
        }
        uvmsim_vnode *root;
        if (check(p, uvmsim_namei(p->m, "/", &root), "namei /") == UVMSIM_OK) {
            exercise(p, root, "/", 0);
            uvmsim_vnode_rele(root);
        }
        int uerr = uvmsim_unmount(p->mp);
        if (uerr != UVMSIM_OK)
            ck_abort_msg("%s: unmount: %s (a vnode reference leaked)", p->where, uvmsim_errname(uerr));
    }
    ck_assert_int_eq(uvmsim_flashdev_destroy(dev), UVMSIM_OK);
    return merr;
}

static uvmsim_machine *machine(void)
{
    uvmsim_machine_config mc;
    uvmsim_machine *m;
    uvmsim_machine_config_init(&mc);
    mc.ram_size = 1u << 20;   /* the fs needs no RAM pages; keep machine set-up cheap */
    ck_assert_int_eq(uvmsim_machine_create(&mc, &m), UVMSIM_OK);
    return m;
}

START_TEST(test_pristine_image)
{
    REQUIRE_IMAGE();
    struct probe p = {.m = machine()};
    snprintf(p.where, sizeof(p.where), "pristine");
    ck_assert_int_eq(probe_image(&p, F.img), UVMSIM_OK);
    /* only the expected failures: ELOOP twice per loop path, ENOENT twice, and the
     * ENOTDIR / EINVAL answers of calls that do not apply to a vnode's type */
    ck_assert_uint_gt(p.ops, 500);
    ck_assert_uint_gt(p.failures, 0);
    ck_assert_uint_eq(p.corrupt, 0);
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(p.m, "/", &vp), UVMSIM_ENOENT);   /* unmounted again */
    uvmsim_flashdev *dev;
    uvmsim_flashdev_config dc;
    uvmsim_flashdev_config_init(&dc);
    ck_assert_int_eq(uvmsim_flashdev_create_mem(p.m, &dc, F.img, IMG_SIZE, &dev), UVMSIM_OK);
    uvmsim_mount *mp;
    ck_assert_int_eq(uvmsim_mount_ext2(p.m, dev, "/", 0, &mp), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_namei(p.m, "/links/slow", &vp), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_vnode_ino(vp), F.L.hello_ino);
    uvmsim_vnode_rele(vp);
    ck_assert_int_eq(uvmsim_namei(p.m, "/links/loop1", &vp), UVMSIM_ELOOP);
    uvmsim_machine_destroy(p.m);
}
END_TEST

/* ---- targeted corruptions ---- */

enum op { OP_MOUNT, OP_NAMEI, OP_READ, OP_BMAP, OP_READDIR };

struct tcase_def {
    const char *what;
    uint64_t (*where)(void);   /* byte offset in the image */
    uint64_t at;               /* added to where() */
    unsigned width;            /* 1, 2 or 4 bytes, little endian */
    uint32_t value;
    bool or_in;                /* OR the value into the field instead of storing it */
    enum op op;
    const char *path;          /* for namei/read/bmap/readdir */
    uint64_t arg;              /* offset for read, lbn for bmap */
    int want;
    const char *needle;        /* in uvmsim_fs_last_error(), or NULL */
    int special;               /* value taken at run time: 1 = /hello.txt's inode, 2 = the last inode,
                                  3 = the field's own value minus value */
};

static uint64_t w_sb(void) { return 1024; }
static uint64_t w_gdt(void) { return F.L.gdt; }
static uint64_t w_root(void) { return F.L.ino_root; }
static uint64_t w_hello(void) { return F.L.ino_hello; }
static uint64_t w_big(void) { return F.L.ino_big; }
static uint64_t w_sub(void) { return F.L.ino_sub; }
static uint64_t w_slow(void) { return F.L.ino_slow; }
static uint64_t w_fast(void) { return F.L.ino_fast; }
static uint64_t w_ind(void) { return F.L.big_ind * BS; }
static uint64_t w_dind(void) { return F.L.big_dind * BS; }
static uint64_t w_dind_ind(void) { return F.L.big_dind_ind * BS; }
static uint64_t w_sub_dirblk(void) { return F.L.sub_blk * BS; }

/* Offset of the directory record naming `name` in the root directory block. */
static uint64_t root_entry(const char *name)
{
    const uint8_t *b = F.img + F.L.root_blk * BS;
    for (uint32_t o = 0; o + 8 <= BS;) {
        uint32_t rl = b[o + 4] | b[o + 5] << 8, nl = b[o + 6];
        if (nl == strlen(name) && memcmp(b + o + 8, name, nl) == 0)
            return F.L.root_blk * BS + o;
        if (rl < 8)
            break;
        o += rl;
    }
    ck_abort_msg("no root entry %s", name);
    return 0;
}
static uint64_t w_ent_hello(void) { return root_entry("hello.txt"); }
static uint64_t w_root_blk(void) { return F.L.root_blk * BS; }   /* the "." record */
/* The root directory's last record (the one whose rec_len reaches the block's end). */
static uint64_t w_root_last(void)
{
    const uint8_t *b = F.img + F.L.root_blk * BS;
    uint32_t o = 0;
    for (;;) {
        uint32_t rl = b[o + 4] | b[o + 5] << 8;
        ck_assert_uint_ge(rl, 8);
        if (o + rl >= BS)
            return F.L.root_blk * BS + o;
        o += rl;
    }
}
static uint64_t w_ent_dir(void) { return root_entry("dir"); }

static const struct tcase_def cases[] = {
    /* superblock */
    {"magic", w_sb, 56, 2, 0x1234, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "magic", 0},
    {"revision 2", w_sb, 76, 4, 2, false, OP_MOUNT, NULL, 0, UVMSIM_ENOTSUP, "revision 2", 0},
    {"8 KiB blocks", w_sb, 24, 4, 3, false, OP_MOUNT, NULL, 0, UVMSIM_ENOTSUP, "8 KiB", 0},
    {"absurd block size", w_sb, 24, 4, 100, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "absurd", 0},
    {"blocks past device", w_sb, 4, 4, 0xFFFFFF, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "device holds only", 0},
    {"one block", w_sb, 4, 4, 1, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "too small", 0},
    {"first data block", w_sb, 20, 4, 0, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "first data block", 0},
    {"blocks per group 0", w_sb, 32, 4, 0, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "blocks per group", 0},
    {"blocks per group huge", w_sb, 32, 4, 0xFFFFFFFF, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "blocks per group", 0},
    {"inodes per group 0", w_sb, 40, 4, 0, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "inodes per group", 0},
    {"inodes per group odd", w_sb, 40, 4, 33, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "inode count", 0},
    {"inode count", w_sb, 0, 4, 5, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "inode count", 0},
    {"inode size 100", w_sb, 88, 2, 100, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "inode size", 0},
    {"inode size 2048", w_sb, 88, 2, 2048, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "inode size", 0},
    {"extents", w_sb, 96, 4, 0x40, true, OP_MOUNT, NULL, 0, UVMSIM_ENOTSUP, "extent", 0},
    {"flex_bg", w_sb, 96, 4, 0x200, true, OP_MOUNT, NULL, 0, UVMSIM_ENOTSUP, "flex_bg", 0},
    {"64bit + meta_bg", w_sb, 96, 4, 0x90, true, OP_MOUNT, NULL, 0, UVMSIM_ENOTSUP, "features: meta_bg, 64bit", 0},
    {"needs recovery", w_sb, 96, 4, 0x4, true, OP_MOUNT, NULL, 0, UVMSIM_ENOTSUP, "journal needs recovery", 0},
    {"unknown incompat", w_sb, 96, 4, 0x80000000u, true, OP_MOUNT, NULL, 0, UVMSIM_ENOTSUP, "0x80000000", 0},
    {"unknown ro_compat", w_sb, 100, 4, 0x80000000u, true, OP_READ, "/hello.txt", 0, UVMSIM_OK, NULL, 0},
    {"unknown compat", w_sb, 92, 4, 0xFFFFFFFF, false, OP_READ, "/hello.txt", 0, UVMSIM_OK, NULL, 0},
    /* group descriptor */
    {"inode table far", w_gdt, 8, 4, 0xFFFFFFF0u, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "inode table", 0},
    {"inode table 0", w_gdt, 8, 4, 0, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "inode table", 0},
    {"inode table at end", w_gdt, 8, 4, 250, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "inode table", 0},
    {"block bitmap (unused)", w_gdt, 0, 4, 0xFFFFFFFF, false, OP_READ, "/hello.txt", 0, UVMSIM_OK, NULL, 0},
    /* inodes */
    {"root mode 0", w_root, 0, 2, 0, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "invalid mode", 0},
    {"root is a file", w_root, 0, 2, 0x81A4, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "root inode is not a directory", 0},
    {"root unlinked", w_root, 26, 2, 0, false, OP_MOUNT, NULL, 0, UVMSIM_ECORRUPT, "no links", 0},
    {"data block far", w_hello, 40, 4, 0xFFFFFF, false, OP_READ, "/hello.txt", 0, UVMSIM_ECORRUPT, "outside", 0},
    {"data block far (bmap)", w_hello, 40, 4, 0xFFFFFF, false, OP_BMAP, "/hello.txt", 0, UVMSIM_ECORRUPT, "a data block", 0},
    {"extents flag", w_hello, 32, 4, 0x80000, true, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "extents", 0},
    {"inline data flag", w_hello, 32, 4, 0x10000000, true, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "inline", 0},
    {"absurd size", w_hello, 108, 4, 0xFFFFFFFF, false, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "exceeds", 0},
    {"dir size not whole blocks", w_sub, 4, 4, 1000, false, OP_NAMEI, "/dir/sub/file.txt", 0, UVMSIM_ECORRUPT, "bad size", 0},
    {"dir size past fs", w_sub, 4, 4, 0x7FFFFC00, false, OP_NAMEI, "/dir/sub", 0, UVMSIM_ECORRUPT, "bad size", 0},
    {"dir hole", w_sub, 40, 4, 0, false, OP_NAMEI, "/dir/sub/file.txt", 0, UVMSIM_ECORRUPT, "hole", 0},
    {"dir block far", w_sub, 40, 4, 0x10000, false, OP_READDIR, "/dir/sub", 0, UVMSIM_ECORRUPT, "outside", 0},
    {"slow symlink long", w_slow, 4, 4, 5000, false, OP_NAMEI, "/links/slow", 0, UVMSIM_ECORRUPT, "bad length", 0},
    {"fast symlink long", w_fast, 4, 4, 70, false, OP_NAMEI, "/links/fast", 0, UVMSIM_ECORRUPT, "bad length", 0},
    {"fast symlink empty", w_fast, 4, 4, 0, false, OP_NAMEI, "/links/fast", 0, UVMSIM_ENOENT, NULL, 0},
    {"IND pointer far", w_big, 40 + 48, 4, 0xFFFFFFFF, false, OP_BMAP, "/big.bin", 20, UVMSIM_ECORRUPT, "indirect", 0},
    {"IND pointer far, direct ok", w_big, 40 + 48, 4, 0xFFFFFFFF, false, OP_BMAP, "/big.bin", 1, UVMSIM_OK, NULL, 0},
    {"DIND pointer past end", w_big, 40 + 52, 4, 256, false, OP_BMAP, "/big.bin", 300, UVMSIM_ECORRUPT, "indirect", 0},
    {"DIND pointer past end (read)", w_big, 40 + 52, 4, 256, false, OP_READ, "/big.bin", 300 * BS, UVMSIM_ECORRUPT, "indirect", 0},
    /* directory records */
    {"rec_len 0", w_root_blk, 4, 2, 0, false, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "record length 0", 0},
    {"rec_len 6", w_root_blk, 4, 2, 6, false, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "record length 6", 0},
    {"rec_len 13", w_root_blk, 4, 2, 13, false, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "record length 13", 0},
    {"rec_len overruns", w_root_blk, 4, 2, 2000, false, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "record length 2000", 0},
    {"rec_len overruns (readdir)", w_root_blk, 4, 2, 2000, false, OP_READDIR, "/", 0, UVMSIM_ECORRUPT, "record length", 0},
    {"4 bytes left over", w_root_last, 4, 2, 4, false, OP_NAMEI, "/nonexistent", 0, UVMSIM_ECORRUPT,
     "overruns the block", 3},
    {"name_len too long", w_root_blk, 6, 1, 255, false, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "name length 255", 0},
    {"name_len 0 in use", w_ent_hello, 6, 1, 0, false, OP_NAMEI, "/nonexistent", 0, UVMSIM_ECORRUPT, "name length 0", 0},
    {"inode out of range", w_ent_hello, 0, 4, 0xFFFFFF, false, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "names inode", 0},
    {"inode unused", w_ent_hello, 0, 4, 0, false, OP_NAMEI, "/hello.txt", 0, UVMSIM_ECORRUPT, "invalid mode", 2},
    {"entry deleted", w_ent_hello, 0, 4, 0, false, OP_NAMEI, "/hello.txt", 0, UVMSIM_ENOENT, NULL, 0},
    {"dir entry deleted", w_ent_dir, 0, 4, 0, false, OP_NAMEI, "/dir/sub", 0, UVMSIM_ENOENT, NULL, 0},
    {"dir entry to a file", w_ent_dir, 0, 4, 0, false, OP_NAMEI, "/dir/sub", 0, UVMSIM_ENOTDIR, NULL, 1},
    /* ".." of /dir/sub (second record, at 12) names /hello.txt's inode */
    {"dotdot to a file", w_sub_dirblk, 12, 4, 0, false, OP_NAMEI, "/dir/sub/..", 0, UVMSIM_ECORRUPT,
     "not a directory", 1},
    {"no dotdot", w_sub_dirblk, 12, 4, 0, false, OP_NAMEI, "/dir/sub/..", 0, UVMSIM_ECORRUPT, "no \"..\" entry", 0},
    {"slow symlink without block", w_slow, 40, 4, 0, false, OP_NAMEI, "/links/slow", 0, UVMSIM_ECORRUPT,
     "no data block", 0},
    /* indirect blocks */
    {"IND entry far", w_ind, 4 * 8, 4, 0xFFFFFFFF, false, OP_BMAP, "/big.bin", 20, UVMSIM_ECORRUPT, "a data block", 0},
    {"IND entry far (read)", w_ind, 4 * 8, 4, 0xFFFFFFFF, false, OP_READ, "/big.bin", 20 * BS + 5, UVMSIM_ECORRUPT, "outside", 0},
    {"DIND entry far", w_dind, 0, 4, 0x7FFFFFFF, false, OP_BMAP, "/big.bin", 300, UVMSIM_ECORRUPT, "an indirect", 0},
    {"IND below DIND far", w_dind_ind, 4 * 32, 4, 256, false, OP_BMAP, "/big.bin", 300, UVMSIM_ECORRUPT, "a data block", 0},
};

START_TEST(test_targeted)
{
    REQUIRE_IMAGE();
    const struct tcase_def *c = &cases[_i];
    uint8_t *img = malloc(IMG_SIZE);
    memcpy(img, F.img, IMG_SIZE);
    uint64_t off = c->where() + c->at;
    uint32_t v = c->special == 1 ? F.L.hello_ino : c->special == 2 ? F.L.inodes_count : c->value;
    if (c->special == 3)   /* shorten the field by value */
        v = (img[off] | img[off + 1] << 8) - c->value;
    for (unsigned b = 0; b < c->width; b++) {
        uint8_t byte = (uint8_t)(v >> (8 * b));
        img[off + b] = c->or_in ? img[off + b] | byte : byte;
    }
    uvmsim_machine *m = machine();
    uvmsim_flashdev_config dc;
    uvmsim_flashdev *dev;
    uvmsim_flashdev_config_init(&dc);
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &dc, img, IMG_SIZE, &dev), UVMSIM_OK);
    uvmsim_mount *mp;
    int err = uvmsim_mount_ext2(m, dev, "/", 0, &mp);
    if (c->op != OP_MOUNT) {
        ck_assert_msg(err == UVMSIM_OK, "%s: mount: %s (%s)", c->what, uvmsim_errname(err), uvmsim_fs_last_error(m));
        m->mounts->st->last_error[0] = '\0';
        uvmsim_vnode *vp = NULL;
        uint8_t buf[64];
        size_t n;
        uint64_t pbn;
        err = uvmsim_namei(m, c->path, &vp);
        if (err == UVMSIM_OK && c->op == OP_READ)
            err = uvmsim_vnode_read(vp, c->arg, buf, sizeof(buf), &n);
        else if (err == UVMSIM_OK && c->op == OP_BMAP)
            err = uvmsim_vnode_bmap(vp, c->arg, &pbn);
        else if (err == UVMSIM_OK && c->op == OP_READDIR)
            err = uvmsim_vnode_readdir(vp, take_name, &(struct names){.n = 0});
        uvmsim_vnode_rele(vp);
    }
    ck_assert_msg(err == c->want, "%s: %s, wanted %s (%s)", c->what, uvmsim_errname(err), uvmsim_errname(c->want),
                  uvmsim_fs_last_error(m));
    if (c->needle != NULL)
        ck_assert_msg(strstr(uvmsim_fs_last_error(m), c->needle) != NULL, "%s: last error \"%s\" lacks \"%s\"",
                      c->what, uvmsim_fs_last_error(m), c->needle);
    uvmsim_machine_destroy(m);
    free(img);
}
END_TEST

/* A block map whose every pointer names the same valid block: bmap stays in bounds and
 * counting the allocated blocks stops at the indirect-block bound instead of reading
 * 65 793 indirect blocks. */
START_TEST(test_self_referencing_map)
{
    REQUIRE_IMAGE();
    uint8_t *img = malloc(IMG_SIZE);
    memcpy(img, F.img, IMG_SIZE);
    uint32_t self = F.L.blocks_count - 1;
    for (unsigned i = 0; i < BS / 4; i++)
        memcpy(img + (uint64_t)self * BS + 4 * i, &(uint32_t){self}, 4);   /* (little-endian host) */
    uint8_t *ino = img + F.L.ino_big;
    memcpy(ino + 40 + 56, &self, 4);                   /* i_block[14]: TIND */
    memcpy(ino + 108, &(uint32_t){3}, 4);              /* i_size_high: 12 GiB */
    uvmsim_machine *m = machine();
    uvmsim_flashdev_config dc;
    uvmsim_flashdev *dev;
    uvmsim_flashdev_config_init(&dc);
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &dc, img, IMG_SIZE, &dev), UVMSIM_OK);
    uvmsim_mount *mp;
    ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", 0, &mp), UVMSIM_OK);
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(m, "/big.bin", &vp), UVMSIM_OK);
    uvmsim_vattr va;
    ck_assert_int_eq(uvmsim_vnode_getattr(vp, &va), UVMSIM_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(uvmsim_fs_last_error(m), "more indirect blocks"));
    uint64_t pbn;
    ck_assert_int_eq(uvmsim_vnode_bmap(vp, 12 + 256 + 65536 + 12345, &pbn), UVMSIM_OK);
    ck_assert_uint_eq(pbn, self);
    uvmsim_flashdev_stats ds;
    uvmsim_flashdev_stats_get(dev, &ds);
    ck_assert_uint_lt(ds.read_requests, 1000);
    uvmsim_vnode_rele(vp);
    uvmsim_machine_destroy(m);
    free(img);
}
END_TEST

/* ---- byte-by-byte sweeps ---- */

struct region {
    const char *name;
    uint64_t (*where)(void);
    unsigned len;
};

static const struct region regions[] = {
    {"superblock", w_sb, 264},     {"group descriptor", w_gdt, 32}, {"root inode", w_root, 128},
    {"big.bin inode", w_big, 128}, {"slow link inode", w_slow, 128}, {"root directory", NULL, 160},
    {"IND block", w_ind, 48},      {"DIND block", w_dind, 16},
};

static uint64_t region_start(const struct region *r)
{
    return r->where ? r->where() : F.L.root_blk * BS;
}

START_TEST(test_byte_sweep)
{
    REQUIRE_IMAGE();
    const struct region *r = &regions[_i];
    uint8_t *img = malloc(IMG_SIZE);
    memcpy(img, F.img, IMG_SIZE);
    struct probe p = {.m = machine()};
    uint64_t start = region_start(r);
    unsigned mounted = 0, refused = 0;
    for (unsigned i = 0; i < r->len; i++) {
        const uint8_t orig = img[start + i];
        const uint8_t vals[] = {0xFF, (uint8_t)(orig ^ 0x55)};
        for (unsigned k = 0; k < 2; k++) {
            img[start + i] = vals[k];
            snprintf(p.where, sizeof(p.where), "%s byte %u = 0x%02x", r->name, i, vals[k]);
            if (probe_image(&p, img) == UVMSIM_OK)
                mounted++;
            else
                refused++;
        }
        img[start + i] = orig;
    }
    ck_assert_uint_eq(mounted + refused, 2 * r->len);
    ck_assert_uint_gt(p.ops, 100u * r->len);   /* the probes really ran */
    uvmsim_machine_destroy(p.m);
    free(img);
}
END_TEST

/* ---- seeded mini-fuzz ---- */

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

START_TEST(test_mini_fuzz)
{
    REQUIRE_IMAGE();
    /* metadata areas: superblock, descriptors, the inode table's first 32 inodes, the
     * directory, symlink and indirect blocks */
    const uint64_t areas[][2] = {
        {1024, 264},
        {F.L.gdt, 32},
        {F.L.ino_root - 128, 32 * 128},
        {F.L.root_blk * BS, BS},
        {F.L.sub_blk * BS, BS},
        {F.L.many_blk1 * BS, BS},
        {F.L.big_ind * BS, 64},
        {F.L.big_dind * BS, 16},
        {F.L.big_dind_ind * BS, 160},
    };
    const size_t nareas = sizeof(areas) / sizeof(areas[0]);
    uint8_t *img = malloc(IMG_SIZE);
    struct probe p = {.m = machine()};
    uint64_t seed = 0x5eed0000 + (uint64_t)_i;
    unsigned mounted = 0;
    for (int iter = 0; iter < 75; iter++) {
        memcpy(img, F.img, IMG_SIZE);
        unsigned nmut = 1 + (unsigned)(xorshift(&seed) % 6);
        for (unsigned k = 0; k < nmut; k++) {
            const uint64_t *a = areas[xorshift(&seed) % nareas];
            uint64_t off = a[0] + xorshift(&seed) % a[1];
            uint64_t r = xorshift(&seed);
            if (r & 1)
                img[off] ^= (uint8_t)(1u << ((r >> 1) % 8));   /* flip one bit */
            else
                img[off] = (uint8_t)(r >> 8);                  /* random byte */
        }
        snprintf(p.where, sizeof(p.where), "fuzz seed %d iteration %d", _i, iter);
        mounted += probe_image(&p, img) == UVMSIM_OK;
    }
    /* most mutations leave a mountable filesystem, so the fuzz reaches the deep code */
    ck_assert_uint_gt(mounted, 30);
    uvmsim_machine_destroy(p.m);
    free(img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ext2-corrupt");
    TCase *tc = tcase_create("corrupt");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_pristine_image);
    tcase_add_loop_test(tc, test_targeted, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_self_referencing_map);
    tcase_add_loop_test(tc, test_byte_sweep, 0, (int)(sizeof(regions) / sizeof(regions[0])));
    tcase_add_loop_test(tc, test_mini_fuzz, 0, 4);   /* 4 seeds x 75 = 300 mutated images */
    suite_add_tcase(s, tc);
    return vt_run(s);
}
