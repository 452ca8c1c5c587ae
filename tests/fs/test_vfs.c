/* Check suite for the VFS layer (src/fs/vfs.c): mounting and its refusals (bad
 * arguments, non-ext2 devices, XIP without direct access or with block != page), device
 * holds, the mount table with nested, shadowing and root-less mounts, and look-ups that
 * cross mounts through "..", absolute and relative symlinks. */
#include "fs_testutil.h"
#include <check.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/fs.h"
#include "uvmsim/flashdev.h"
#include "fs/fs_internal.h"
#include "flashdev/flashdev_internal.h"
#include "vmtest.h"

static struct {
    bool ok;
    char err[2048];
    char dir[256];
    char a[320], b[320];   /* images: A has 4 KiB blocks, B 1 KiB */
} F;

static bool build_src(const char *s, const char *who)
{
    char p[600], t[64];
    int r = 0;
    r |= mkdir(s, 0755);
    snprintf(t, sizeof(t), "I am %s\n", who);
    r |= fsu_write_str(fsu_path(p, sizeof(p), "%s/hello.txt", s), t);
    r |= mkdir(fsu_path(p, sizeof(p), "%s/dir", s), 0755);
    r |= fsu_write_str(fsu_path(p, sizeof(p), "%s/dir/in%s.txt", s, who), who);
    r |= symlink("/hello.txt", fsu_path(p, sizeof(p), "%s/abs", s));
    r |= symlink("../../hello.txt", fsu_path(p, sizeof(p), "%s/rel", s));
    if (strcmp(who, "A") == 0) {   /* 4 KiB blocks: room for targets beyond 1 KiB */
        char lt[1600];
        memset(lt, 'a', 1500);      /* a target longer than a path may be */
        lt[1500] = '\0';
        r |= symlink(lt, fsu_path(p, sizeof(p), "%s/toolong", s));
        /* each follow leaves 201 more bytes of path behind it: the path outgrows the
         * look-up's buffer long before 32 links */
        size_t n = 0;
        for (int i = 0; i < 400; i++, n += 2)
            memcpy(lt + n, "./", 2);
        memcpy(lt + n, "grow/", 5);
        n += 5;
        memset(lt + n, 'y', 200);
        lt[n + 200] = '\0';
        r |= symlink(lt, fsu_path(p, sizeof(p), "%s/grow", s));
    }
    return r == 0;
}

static void setup(void)
{
    char sa[300], sb[300];
    memset(&F, 0, sizeof(F));
    snprintf(F.dir, sizeof(F.dir), "fs_vfs_%ld", (long)getpid());
    fsu_rmtree(F.dir);
    snprintf(sa, sizeof(sa), "%s/srcA", F.dir);
    snprintf(sb, sizeof(sb), "%s/srcB", F.dir);
    snprintf(F.a, sizeof(F.a), "%s/imgA", F.dir);
    snprintf(F.b, sizeof(F.b), "%s/imgB", F.dir);
    if (mkdir(F.dir, 0755) != 0 || !build_src(sa, "A") || !build_src(sb, "B")) {
        snprintf(F.err, sizeof(F.err), "cannot build source trees under %s: %s", F.dir, strerror(errno));
        return;
    }
    if (!fsu_mkimage(sa, F.a, 4096, 1, "1M", F.err, sizeof(F.err)) ||
        !fsu_mkimage(sb, F.b, 1024, 1, "1M", F.err, sizeof(F.err)))
        return;
    F.ok = true;
}

static void teardown(void)
{
    fsu_rmtree(F.dir);
}

#define REQUIRE_IMAGES() ck_assert_msg(F.ok, "test images unavailable: %s", F.err)

static uvmsim_machine *machine(size_t page_size)
{
    uvmsim_machine_config mc;
    uvmsim_machine *m;
    uvmsim_machine_config_init(&mc);
    if (page_size)
        mc.page_size = page_size;
    ck_assert_int_eq(uvmsim_machine_create(&mc, &m), UVMSIM_OK);
    return m;
}

static uvmsim_flashdev *device(uvmsim_machine *m, const char *image, bool direct)
{
    uvmsim_flashdev_config dc;
    uvmsim_flashdev *dev;
    uvmsim_flashdev_config_init(&dc);
    dc.direct_access = direct;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &dc, image, &dev), UVMSIM_OK);
    return dev;
}

static uvmsim_mount *mount(uvmsim_machine *m, uvmsim_flashdev *dev, const char *path, unsigned flags)
{
    uvmsim_mount *mp = NULL;
    int err = uvmsim_mount_ext2(m, dev, path, flags, &mp);
    ck_assert_msg(err == UVMSIM_OK, "mount on %s: %s: %s", path, uvmsim_errname(err), uvmsim_fs_last_error(m));
    ck_assert_ptr_nonnull(mp);
    return mp;
}

/* The first bytes of the file at path, as a string ("" on any failure). */
static const char *content(uvmsim_machine *m, const char *path, char *buf, size_t len)
{
    uvmsim_vnode *vp;
    size_t n = 0;
    buf[0] = '\0';
    if (uvmsim_namei(m, path, &vp) != UVMSIM_OK)
        return buf;
    if (uvmsim_vnode_read(vp, 0, buf, len - 1, &n) != UVMSIM_OK)
        n = 0;
    buf[n] = '\0';
    uvmsim_vnode_rele(vp);
    return buf;
}

static void expect_namei(uvmsim_machine *m, const char *path, int want)
{
    uvmsim_vnode *vp = NULL;
    int err = uvmsim_namei(m, path, &vp);
    ck_assert_msg(err == want, "namei %s: %s, wanted %s", path, uvmsim_errname(err), uvmsim_errname(want));
    uvmsim_vnode_rele(vp);
}

static void expect_mount_fail(uvmsim_machine *m, uvmsim_flashdev *dev, const char *path, unsigned flags, int want,
                              const char *needle)
{
    uvmsim_mount *mp = (uvmsim_mount *)&mp;
    int err = uvmsim_mount_ext2(m, dev, path, flags, &mp);
    ck_assert_msg(err == want, "mount %s: %s, wanted %s (%s)", path ? path : "(null)", uvmsim_errname(err),
                  uvmsim_errname(want), uvmsim_fs_last_error(m));
    ck_assert_ptr_null(mp);
    if (needle != NULL)
        ck_assert_msg(strstr(uvmsim_fs_last_error(m), needle) != NULL, "last error \"%s\" lacks \"%s\"",
                      uvmsim_fs_last_error(m), needle);
}

START_TEST(test_mount_refusals)
{
    REQUIRE_IMAGES();
    uvmsim_machine *m = machine(0), *other = machine(0);
    uvmsim_flashdev *a = device(m, F.a, true), *foreign = device(other, F.b, true);
    uvmsim_mount *mp;
    ck_assert_int_eq(uvmsim_mount_ext2(NULL, a, "/", 0, &mp), UVMSIM_EINVAL);
    expect_mount_fail(m, NULL, "/", 0, UVMSIM_EINVAL, "missing");
    expect_mount_fail(m, a, NULL, 0, UVMSIM_EINVAL, "missing");
    ck_assert_int_eq(uvmsim_mount_ext2(m, a, "/", 0, NULL), UVMSIM_EINVAL);
    expect_mount_fail(m, foreign, "/", 0, UVMSIM_EINVAL, "another machine");
    expect_mount_fail(m, a, "/", 0x80, UVMSIM_EINVAL, "unknown mount flags 0x80");
    expect_mount_fail(m, a, "/", UVMSIM_MNT_XIP_FAULTOP, UVMSIM_EINVAL, "needs the XIP flag");
    const char *bad[] = {"", "flash", "/flash/", "//flash", "/a//b", "/a/./b", "/a/../b", "/.", "/..", "/a/.."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_mount_fail(m, a, bad[i], 0, UVMSIM_EINVAL, "canonical");
    char longc[300];
    memset(longc, 'x', sizeof(longc));
    longc[0] = '/';
    longc[257] = '\0';
    expect_mount_fail(m, a, longc, 0, UVMSIM_EINVAL, "canonical");

    /* not an ext2 image at all */
    uvmsim_flashdev *pat;
    uvmsim_flashdev_config dc;
    uvmsim_flashdev_config_init(&dc);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, &dc, 64 * 1024, 7, &pat), UVMSIM_OK);
    expect_mount_fail(m, pat, "/p", 0, UVMSIM_ECORRUPT, "magic");
    expect_mount_fail(m, pat, "/p", UVMSIM_MNT_XIP, UVMSIM_ECORRUPT, "magic");   /* checked first */
    ck_assert_uint_eq(uvmsim_flashdev_holds(pat), 0);
    ck_assert_int_eq(uvmsim_flashdev_destroy(pat), UVMSIM_OK);

    /* busy paths and devices; the device is held while mounted */
    mp = mount(m, a, "/", 0);
    ck_assert_uint_eq(uvmsim_flashdev_holds(a), 1);
    ck_assert_int_eq(uvmsim_flashdev_destroy(a), UVMSIM_EBUSY);
    uvmsim_flashdev *b = device(m, F.b, true);
    expect_mount_fail(m, b, "/", 0, UVMSIM_EBUSY, "already a mount point");
    expect_mount_fail(m, a, "/other", 0, UVMSIM_EBUSY, "already mounted");
    ck_assert_int_eq(uvmsim_unmount(NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_unmount(mp), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_holds(a), 0);
    mp = mount(m, a, "/", 0);   /* again, after the unmount */
    ck_assert_int_eq(uvmsim_unmount(mp), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_flashdev_destroy(a), UVMSIM_OK);
    uvmsim_machine_destroy(m);
    uvmsim_machine_destroy(other);

    /* a device too small for a superblock (512-byte pages allow a 1 KiB device) */
    m = machine(512);
    uint8_t tiny[1024];
    memset(tiny, 0, sizeof(tiny));
    uvmsim_flashdev *t;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &dc, tiny, sizeof(tiny), &t), UVMSIM_OK);
    expect_mount_fail(m, t, "/", 0, UVMSIM_ECORRUPT, "too small");
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_xip_mounts)
{
    REQUIRE_IMAGES();
    uvmsim_machine *m = machine(0);
    uvmsim_flashdev *a = device(m, F.a, true), *b = device(m, F.b, true);
    uvmsim_mount *mp = mount(m, a, "/xip", UVMSIM_MNT_XIP);
    ck_assert_uint_eq(uvmsim_mount_flags(mp), UVMSIM_MNT_XIP | UVMSIM_MNT_RDONLY);
    ck_assert_uint_eq(uvmsim_mount_xip_base(mp), uvmsim_flashdev_base(a));
    ck_assert_uint_ne(uvmsim_mount_xip_base(mp), 0);
    ck_assert_uint_eq(uvmsim_mount_block_size(mp), 4096);
    ck_assert_ptr_eq(uvmsim_mount_device(mp), a);
    ck_assert_str_eq(uvmsim_mount_path(mp), "/xip");
    /* the cached base agrees with the device's own direct-access answer for a data block */
    uvmsim_vnode *vp;
    uint64_t pbn;
    uvmsim_paddr_t pa;
    ck_assert_int_eq(uvmsim_namei(m, "/xip/hello.txt", &vp), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_vnode_bmap(vp, 0, &pbn), UVMSIM_OK);
    ck_assert_uint_ne(pbn, 0);
    ck_assert_int_eq(uvmsim_flashdev_direct_access(a, pbn * 4096 / uvmsim_flashdev_block_size(a), &pa), UVMSIM_OK);
    ck_assert_uint_eq(pa, uvmsim_mount_xip_base(mp) + pbn * 4096);
    char buf[16];
    ck_assert_int_eq(uvmsim_phys_read(m, pa, buf, 5), UVMSIM_OK);
    ck_assert(memcmp(buf, "I am ", 5) == 0);
    uvmsim_vnode_rele(vp);

    ck_assert_int_eq(uvmsim_unmount(mp), UVMSIM_OK);
    /* the second XIP design is a pager choice: the fs keeps the flag for the VM */
    mp = mount(m, a, "/xip", UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP);
    ck_assert_uint_eq(uvmsim_mount_flags(mp), UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP | UVMSIM_MNT_RDONLY);
    ck_assert_uint_eq(uvmsim_mount_xip_base(mp), uvmsim_flashdev_base(a));

    /* 1 KiB blocks on 4 KiB pages */
    expect_mount_fail(m, b, "/b", UVMSIM_MNT_XIP, UVMSIM_ENOXIP, "block size (1024 bytes) differs from the page size (4096");
    uvmsim_mount *mb = mount(m, b, "/b", 0);   /* fine without XIP */
    ck_assert_uint_eq(uvmsim_mount_flags(mb), UVMSIM_MNT_RDONLY);
    ck_assert_uint_eq(uvmsim_mount_xip_base(mb), 0);
    ck_assert_int_eq(uvmsim_unmount(mb), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_unmount(mp), UVMSIM_OK);

    /* no direct access */
    uvmsim_flashdev *nd = device(m, F.a, false);
    expect_mount_fail(m, nd, "/nd", UVMSIM_MNT_XIP, UVMSIM_ENOXIP, "no direct access");
    ck_assert_uint_eq(uvmsim_flashdev_holds(nd), 0);
    uvmsim_mount *mnd = mount(m, nd, "/nd", UVMSIM_MNT_RDONLY);
    ck_assert_uint_eq(uvmsim_mount_flags(mnd), UVMSIM_MNT_RDONLY);
    uvmsim_machine_destroy(m);   /* force-unmounts /nd */

    /* 1 KiB blocks are fine for XIP on a machine with 1 KiB pages */
    m = machine(1024);
    b = device(m, F.b, true);
    mb = mount(m, b, "/", UVMSIM_MNT_XIP);
    ck_assert_uint_eq(uvmsim_mount_xip_base(mb), uvmsim_flashdev_base(b));
    uvmsim_machine_destroy(m);

    ck_assert_uint_eq(uvmsim_mount_flags(NULL), 0);
    ck_assert_uint_eq(uvmsim_mount_block_size(NULL), 0);
    ck_assert_ptr_null(uvmsim_mount_device(NULL));
    ck_assert_ptr_null(uvmsim_mount_path(NULL));
    ck_assert_uint_eq(uvmsim_mount_xip_base(NULL), 0);
}
END_TEST

START_TEST(test_nested_mounts)
{
    REQUIRE_IMAGES();
    char buf[64];
    uvmsim_machine *m = machine(0);
    uvmsim_mount *ma = mount(m, device(m, F.a, true), "/", 0);
    uvmsim_mount *mb = mount(m, device(m, F.b, true), "/mnt/flash", 0);
    ck_assert_str_eq(content(m, "/hello.txt", buf, sizeof(buf)), "I am A\n");
    ck_assert_str_eq(content(m, "/mnt/flash/hello.txt", buf, sizeof(buf)), "I am B\n");
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(m, "/mnt/flash", &vp), UVMSIM_OK);
    ck_assert_ptr_eq(uvmsim_vnode_mount(vp), mb);
    ck_assert_uint_eq(uvmsim_vnode_ino(vp), EXT2_ROOT_INO);
    uvmsim_vnode_rele(vp);
    ck_assert_int_eq(uvmsim_namei(m, "/mnt/flash/", &vp), UVMSIM_OK);
    uvmsim_vnode_rele(vp);
    /* /mnt exists only as a prefix of a mount path: walkable, not returnable */
    expect_namei(m, "/mnt", UVMSIM_ENOENT);
    expect_namei(m, "/mnt/flash/..", UVMSIM_ENOENT);
    expect_namei(m, "/mnt/other", UVMSIM_ENOENT);
    expect_namei(m, "/mnt/flash/nothere", UVMSIM_ENOENT);
    ck_assert_str_eq(content(m, "/mnt/flash/../flash/hello.txt", buf, sizeof(buf)), "I am B\n");
    ck_assert_str_eq(content(m, "/mnt/flash/../../hello.txt", buf, sizeof(buf)), "I am A\n");
    ck_assert_str_eq(content(m, "/mnt/../mnt/./flash/dir/../../../hello.txt", buf, sizeof(buf)), "I am A\n");
    /* B's symlinks resolve in the machine's namespace */
    ck_assert_str_eq(content(m, "/mnt/flash/abs", buf, sizeof(buf)), "I am A\n");
    ck_assert_str_eq(content(m, "/mnt/flash/rel", buf, sizeof(buf)), "I am A\n");   /* ../../hello.txt */
    ck_assert_str_eq(content(m, "/abs", buf, sizeof(buf)), "I am A\n");
    /* A's "rel" is /rel → ../../hello.txt, which stays at "/" */
    ck_assert_str_eq(content(m, "/rel", buf, sizeof(buf)), "I am A\n");
    /* look-up relative to a mount */
    ck_assert_int_eq(uvmsim_mount_lookup(mb, "dir/inB.txt", &vp), UVMSIM_OK);
    ck_assert_ptr_eq(uvmsim_vnode_mount(vp), mb);
    uvmsim_vnode_rele(vp);
    ck_assert_int_eq(uvmsim_mount_lookup(mb, "..", &vp), UVMSIM_ENOENT);
    ck_assert_int_eq(uvmsim_mount_lookup(mb, "../../hello.txt", &vp), UVMSIM_OK);
    ck_assert_ptr_eq(uvmsim_vnode_mount(vp), ma);
    uvmsim_vnode_rele(vp);

    /* a third mount shadows A's /dir; unmounting it uncovers A's again */
    uvmsim_mount *mc = mount(m, device(m, F.b, true), "/dir", 0);
    ck_assert_str_eq(content(m, "/dir/hello.txt", buf, sizeof(buf)), "I am B\n");
    ck_assert_str_eq(content(m, "/dir/dir/inB.txt", buf, sizeof(buf)), "B");
    expect_namei(m, "/dir/inA.txt", UVMSIM_ENOENT);
    ck_assert_int_eq(uvmsim_namei(m, "/dir/dir/inB.txt", &vp), UVMSIM_OK);
    ck_assert_ptr_eq(uvmsim_vnode_mount(vp), mc);
    /* same inode number on two mounts: two vnodes */
    uvmsim_vnode *vb;
    ck_assert_int_eq(uvmsim_namei(m, "/mnt/flash/dir/inB.txt", &vb), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_vnode_ino(vb), uvmsim_vnode_ino(vp));
    ck_assert_ptr_ne(vb, vp);
    uvmsim_fs_stats st;
    uvmsim_fs_stats_get(m, &st);
    ck_assert_uint_eq(st.vnodes_live, 2);
    ck_assert_int_eq(uvmsim_unmount(mc), UVMSIM_EBUSY);
    uvmsim_vnode_rele(vp);
    uvmsim_vnode_rele(vb);
    ck_assert_int_eq(uvmsim_unmount(mc), UVMSIM_OK);
    ck_assert_str_eq(content(m, "/dir/inA.txt", buf, sizeof(buf)), "A");

    /* longest prefix: /mnt/flash/dir/x is B's even with a mount on /mnt */
    uvmsim_mount *mm = mount(m, device(m, F.a, true), "/mnt", 0);
    ck_assert_str_eq(content(m, "/mnt/hello.txt", buf, sizeof(buf)), "I am A\n");
    ck_assert_str_eq(content(m, "/mnt/flash/dir/inB.txt", buf, sizeof(buf)), "B");
    ck_assert_int_eq(uvmsim_namei(m, "/mnt/flash/..", &vp), UVMSIM_OK);   /* now a real directory */
    ck_assert_ptr_eq(uvmsim_vnode_mount(vp), mm);
    uvmsim_vnode_rele(vp);
    /* unmounting /mnt leaves /mnt/flash reachable (mount points are pure paths) */
    ck_assert_int_eq(uvmsim_unmount(mm), UVMSIM_OK);
    ck_assert_str_eq(content(m, "/mnt/flash/hello.txt", buf, sizeof(buf)), "I am B\n");
    /* over-long symlink targets */
    expect_namei(m, "/toolong", UVMSIM_ENAMETOOLONG);
    expect_namei(m, "/grow", UVMSIM_ENAMETOOLONG);
    ck_assert_ptr_nonnull(strstr(uvmsim_fs_last_error(m), "name too long"));
    ck_assert_int_eq(uvmsim_mount_lookup(ma, "", &vp), UVMSIM_ENOENT);
    ck_assert_ptr_nonnull(strstr(uvmsim_fs_last_error(m), "empty path"));
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_no_root_mount)
{
    REQUIRE_IMAGES();
    char buf[64];
    uvmsim_machine *m = machine(0);
    expect_namei(m, "/", UVMSIM_ENOENT);   /* nothing mounted at all */
    ck_assert_ptr_nonnull(strstr(uvmsim_fs_last_error(m), "\"/\""));
    mount(m, device(m, F.b, true), "/flash", 0);
    ck_assert_str_eq(content(m, "/flash/hello.txt", buf, sizeof(buf)), "I am B\n");
    ck_assert_str_eq(content(m, "/flash/dir/../hello.txt", buf, sizeof(buf)), "I am B\n");
    expect_namei(m, "/", UVMSIM_ENOENT);
    expect_namei(m, "/hello.txt", UVMSIM_ENOENT);
    expect_namei(m, "/flash/..", UVMSIM_ENOENT);
    expect_namei(m, "/x/../flash/hello.txt", UVMSIM_ENOENT);
    expect_namei(m, "/flash/abs", UVMSIM_ENOENT);   /* → /hello.txt, which does not exist */
    ck_assert_str_eq(content(m, "/../flash/./hello.txt", buf, sizeof(buf)), "I am B\n");
    uvmsim_vnode *vp = (uvmsim_vnode *)&vp;
    ck_assert_int_eq(uvmsim_mount_lookup(uvmsim_vnode_mount(NULL), "x", &vp), UVMSIM_EINVAL);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vfs");
    TCase *tc = tcase_create("mounts");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mount_refusals);
    tcase_add_test(tc, test_xip_mounts);
    tcase_add_test(tc, test_nested_mounts);
    tcase_add_test(tc, test_no_root_mount);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
