/* Check suite for superpages through the VM (docs/superpages.md): an XIP file whose
 * blocks mke2fs -d was made to align (a padding file first) is mapped at a 2 MiB aligned
 * address, on every backend, with superpages on and off.  Covers what the fault handler
 * maps large, the largest size that fits first (generic: the 2 MiB page whose blocks are
 * contiguous and 64 KiB contiguous runs; ARM: 1 MiB sections and 64 KiB pages), the same
 * bytes and the same kinds of fault either way, fewer TLB misses, fewer faults; 64 KiB
 * where no larger size fits; demotion of either size by a copy-on-write store, a protect
 * of part, an unmap of part, advice on part; the machine and mount policies; the
 * fault-op pager's unmanaged large mappings; fork; a mapping whose addresses are not
 * congruent with the blocks (no large page). */
#include <stdbool.h>
#include "../fs/fs_testutil.h"
#include "vmtest.h"
#include "uvmsim/fs.h"

#define PG 4096u
#define MB (1ull << 20)
#define BIG_LEN (4 * MB + 3 * PG + 100)    /* blocks 0..1027: the indirect ranges 0-11, 12-1035 */
#define BIG_PAGES ((BIG_LEN + PG - 1) / PG)
#define SEED 31
#define VA (0x10000000ull)                  /* 2 MiB aligned, below 4 GiB, above the FCSE 32 MiB */
#define RWX (UVMSIM_PROT_READ | UVMSIM_PROT_WRITE | UVMSIM_PROT_EXEC)

static char dir[256], img[300];
static uint64_t big_b0;

#define REQ(c) do { if (!(c)) { fprintf(stderr, "set-up failed: %s\n", #c); exit(1); } } while (0)

static void build_image(void)
{
    char src[300], p[400], err[1024];
    snprintf(dir, sizeof dir, "superpages-test-%d", (int)getpid());
    fsu_rmtree(dir);
    REQ(mkdir(dir, 0755) == 0);
    snprintf(src, sizeof src, "%s/src", dir);
    REQ(mkdir(src, 0755) == 0);
    REQ(fsu_write_at(fsu_path(p, sizeof p, "%s/big", src), 0, BIG_LEN, SEED) == 0);
    snprintf(img, sizeof img, "%s/aligned.img", dir);
    if (!fsu_mkimage_aligned(src, img, "12M", "/big", &big_b0, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

static void cleanup(void) { fsu_rmtree(dir); }

struct rig {
    uvmsim_machine *m;
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    uvmsim_vnode *big;
    uvmsim_proc *p;
};

static void rig_up(struct rig *r, const char *backend, bool machine_on, unsigned mflags)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.pmap = backend;
    c.ram_size = 32 * MB;
    c.superpages = machine_on;
    ck_assert_int_eq(uvmsim_machine_create(&c, &r->m), UVMSIM_OK);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    ck_assert_int_eq(uvmsim_flashdev_create_file(r->m, &fc, img, &r->dev), UVMSIM_OK);
    int err = uvmsim_mount_ext2(r->m, r->dev, "/", UVMSIM_MNT_XIP | mflags, &r->mp);
    ck_assert_msg(err == UVMSIM_OK, "mount: %s (%s)", uvmsim_strerror(err), uvmsim_fs_last_error(r->m));
    ck_assert_int_eq(uvmsim_namei(r->m, "/big", &r->big), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_create(r->m, &r->p), UVMSIM_OK);
}

static void rig_down(struct rig *r)
{
    VT_CHECK(r->m);
    uvmsim_vnode_rele(r->big);
    uvmsim_machine_destroy(r->m);
}

/* Map big privately (copy-on-write) at va. */
static void map_big(struct rig *r, uvmsim_proc *p, uvmsim_vaddr_t va)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = va;
    a.size = (uint64_t)BIG_PAGES * PG;
    a.prot = RWX;
    a.flags = UVMSIM_MAP_PRIVATE | UVMSIM_MAP_FIXED;
    a.vnode = r->big;
    ck_assert_int_eq(uvmsim_map(p, &a, NULL), UVMSIM_OK);
}

/* Read every page of big through the CPU and compare with the file's bytes. */
static void read_all(uvmsim_proc *p, uvmsim_vaddr_t va)
{
    static uint8_t buf[PG];
    for (uint64_t i = 0; i < BIG_PAGES; i++) {
        uint64_t n = i + 1 < BIG_PAGES ? PG : BIG_LEN - i * PG;
        ck_assert_int_eq(uvmsim_access_mem(p, va + i * PG, UVMSIM_ACCESS_LOAD, buf, n, NULL, NULL), UVMSIM_OK);
        for (uint64_t k = 0; k < n; k += 97)
            ck_assert_msg(buf[k] == fsu_pat(i * PG + k, SEED), "page %llu byte %llu", (unsigned long long)i,
                          (unsigned long long)k);
    }
}

static uvmsim_pmap_stats pst(struct rig *r)
{
    uvmsim_pmap_stats s;
    uvmsim_pmap_stats_get(r->m, &s);
    return s;
}

static uvmsim_vm_stats vst(struct rig *r)
{
    uvmsim_vm_stats s;
    uvmsim_vm_stats_get(r->m, &s);
    return s;
}

#define K64 (64 * 1024ull)

/* What the aligned file allows: generic maps the second 2 MiB with one page and the
 * first (which holds blocks 0-11, before the indirect block) with 31 runs of 64 KiB (its
 * first 64 KiB excepted); ARM maps the three 1 MiB sections past the first MiB and
 * fifteen 64 KiB pages in it (the first 64 KiB again excepted). */
static uint64_t expected_large(const char *backend)
{
    return strcmp(backend, "generic") == 0 ? 1 + 31 : 3 + 15;
}

static uint64_t expected_large_bytes(const char *backend)
{
    return strcmp(backend, "generic") == 0 ? 2 * MB + 31 * K64 : 3 * MB + 15 * K64;
}

START_TEST(test_image_is_aligned)
{
    ck_assert_uint_eq((big_b0 + 1) % 512, 0);
}
END_TEST

/* The same bytes, the same kinds of fault (fewer of them), fewer TLB misses; large
 * mappings where the blocks allow. */
START_TEST(test_reads_on_off)
{
    const char *backend = vt_backends()[_i];
    struct rig on, off;
    rig_up(&off, backend, false, 0);
    rig_up(&on, backend, true, 0);
    map_big(&off, off.p, VA);
    map_big(&on, on.p, VA);
    read_all(off.p, VA);
    read_all(on.p, VA);
    VT_CHECK(on.m);
    uvmsim_pmap_stats so = pst(&off), sn = pst(&on);
    uvmsim_vm_stats vo = vst(&off), vn = vst(&on);
    ck_assert_uint_eq(so.large_mappings, 0);
    ck_assert_uint_eq(sn.large_mappings, expected_large(backend));
    ck_assert_uint_eq(sn.large_live, expected_large(backend));
    ck_assert_uint_eq(sn.large_bytes, expected_large_bytes(backend));
    ck_assert_uint_eq(sn.demotions, 0);
    for (int c = 0; c < UVMSIM_FAULT_NCLASSES; c++)
        if (c != UVMSIM_FAULT_LOWER_DIRECT)
            ck_assert_uint_eq(vn.faults[c], vo.faults[c]);
    ck_assert_uint_eq(vn.faults[UVMSIM_FAULT_ERROR], 0);
    ck_assert_uint_lt(vn.faults[UVMSIM_FAULT_LOWER_DIRECT], vo.faults[UVMSIM_FAULT_LOWER_DIRECT]);
    ck_assert_uint_eq(vn.faults_total, vn.faults[UVMSIM_FAULT_LOWER_DIRECT]);
    ck_assert_uint_eq(vn.bytes_loaded, vo.bytes_loaded);
    ck_assert_uint_lt(sn.dtlb.misses, so.dtlb.misses);
    ck_assert_uint_lt(sn.pv_entries, so.pv_entries);
    ck_assert_uint_gt(sn.tlb_reach, so.tlb_reach);
    /* no table under a large page: generic saves the leaf table of the 2 MiB page; ARM
     * the coarse tables of the three sections, less the section shadow page */
    ck_assert_uint_eq(so.ptp_pages - sn.ptp_pages, strcmp(backend, "generic") == 0 ? 1 : 3 - 1);
    /* a second pass: every page still reads right, and hits the large entries */
    uint64_t h0 = sn.dtlb.large_hits;
    read_all(on.p, VA);
    ck_assert_uint_gt(pst(&on).dtlb.large_hits, h0);
    rig_down(&on);
    rig_down(&off);
}
END_TEST

/* A store into a page of a large mapping: copy-on-write promotes that page into an anon,
 * which splits the large mapping; the store is seen there alone. */
START_TEST(test_demote_cow)
{
    const char *backend = vt_backends()[_i];
    struct rig r;
    rig_up(&r, backend, true, 0);
    map_big(&r, r.p, VA);
    read_all(r.p, VA);
    uvmsim_fault_outcome o;
    unsigned nf = 0;
    uvmsim_vaddr_t at = VA + 3 * MB + 5 * PG + 17;
    ck_assert_int_eq(vt_store(r.p, at, 0xAB, &o, &nf), UVMSIM_OK);
    ck_assert_uint_eq(nf, 1);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    uvmsim_pmap_stats s = pst(&r);
    ck_assert_uint_eq(s.demotions, 1);
    ck_assert_uint_eq(s.large_live, expected_large(backend) - 1);
    VT_CHECK(r.m);
    uint8_t v;
    ck_assert_int_eq(vt_load(r.p, at, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 0xAB);
    ck_assert_int_eq(vt_load(r.p, at - 1, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, fsu_pat(at - 1 - VA, SEED));      /* the rest of the page was copied */
    ck_assert_int_eq(vt_load(r.p, at + PG, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, fsu_pat(at + PG - VA, SEED));     /* the next page: NOR still */
    /* the file itself is untouched: a second process reads the original byte */
    uvmsim_proc *q;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &q), UVMSIM_OK);
    map_big(&r, q, VA);
    ck_assert_int_eq(vt_load(q, at, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, fsu_pat(at - VA, SEED));
    rig_down(&r);
}
END_TEST

/* Protect and unmap of part of a large mapping clip the entry, which splits it. */
START_TEST(test_demote_protect_unmap)
{
    const char *backend = vt_backends()[_i];
    struct rig r;
    rig_up(&r, backend, true, 0);
    map_big(&r, r.p, VA);
    read_all(r.p, VA);
    ck_assert_int_eq(uvmsim_protect(r.p, VA + 2 * MB + 64 * 1024 + PG, PG, UVMSIM_PROT_READ), UVMSIM_OK);
    ck_assert_uint_eq(pst(&r).demotions, 1);
    VT_CHECK(r.m);
    uint8_t b[4];
    uvmsim_fault_outcome o;
    ck_assert_int_eq(uvmsim_access_mem(r.p, VA + 2 * MB + 64 * 1024 + PG, UVMSIM_ACCESS_FETCH, b, 4, NULL, &o),
                     UVMSIM_EACCES);
    ck_assert_int_eq(uvmsim_access_mem(r.p, VA + 2 * MB + 64 * 1024, UVMSIM_ACCESS_FETCH, b, 4, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(b[0], fsu_pat(2 * MB + 64 * 1024, SEED));
    uint64_t d = pst(&r).demotions;
    ck_assert_int_eq(uvmsim_unmap(r.p, VA + 3 * MB + 7 * PG, PG), UVMSIM_OK);
    ck_assert_uint_eq(pst(&r).demotions, d + (strcmp(backend, "generic") == 0 ? 0 : 1));
    VT_CHECK(r.m);
    ck_assert_int_eq(uvmsim_access_mem(r.p, VA + 3 * MB + 7 * PG, UVMSIM_ACCESS_LOAD, b, 1, NULL, &o), UVMSIM_EFAULT);
    ck_assert_int_eq(uvmsim_access_mem(r.p, VA + 3 * MB + 8 * PG, UVMSIM_ACCESS_LOAD, b, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(b[0], fsu_pat(3 * MB + 8 * PG, SEED));
    /* the whole mapping unmaps cleanly, large mappings and small */
    ck_assert_int_eq(uvmsim_unmap(r.p, VA, (uint64_t)BIG_PAGES * PG), UVMSIM_OK);
    ck_assert_uint_eq(pst(&r).large_live, 0);
    rig_down(&r);
}
END_TEST

/* An entry clipped for a reason that leaves the pmap alone (advice, inheritance) still
 * splits the large mapping across the cut: a large mapping never spans two entries (the
 * checker verifies it). */
START_TEST(test_clip_demotes)
{
    const char *backend = vt_backends()[_i];
    struct rig r;
    rig_up(&r, backend, true, 0);
    map_big(&r, r.p, VA);
    read_all(r.p, VA);
    ck_assert_int_eq(uvmsim_advise(r.p, VA + 2 * MB + 8 * PG, 16 * PG, UVMSIM_ADV_RANDOM), UVMSIM_OK);
    uvmsim_pmap_stats s = pst(&r);
    /* generic: the 2 MiB page cut twice (split at the first cut); ARM: the section */
    ck_assert_uint_eq(s.demotions, 1);
    VT_CHECK(r.m);
    ck_assert_int_eq(uvmsim_inherit_set(r.p, VA + 64 * 1024 + 3 * PG, PG, UVMSIM_INHERIT_NONE), UVMSIM_OK);
    ck_assert_uint_eq(pst(&r).demotions, 2);        /* a 64 KiB page (ARM) or run (generic) */
    VT_CHECK(r.m);
    read_all(r.p, VA);
    rig_down(&r);
}
END_TEST

/* The 64 KiB mappings of the first 2 MiB (ARM's large pages, generic's contiguous runs):
 * a copy-on-write store, a protect, an unmap and advice on one page of four of them
 * split each back into one-page mappings, the rest of each still reads the file. */
START_TEST(test_demote_64k)
{
    const char *backend = vt_backends()[_i];
    struct rig r;
    rig_up(&r, backend, true, 0);
    map_big(&r, r.p, VA);
    read_all(r.p, VA);
    uvmsim_pmap_stats s0 = pst(&r);
    /* a store: the page becomes an anon, the run around it one-page mappings */
    uvmsim_fault_outcome o;
    ck_assert_int_eq(vt_store(r.p, VA + 5 * K64 + 3 * PG + 9, 0x5A, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    ck_assert_int_eq(uvmsim_protect(r.p, VA + 6 * K64 + PG, PG, UVMSIM_PROT_READ), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_unmap(r.p, VA + 7 * K64 + 2 * PG, PG), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_advise(r.p, VA + 8 * K64 + 15 * PG, PG, UVMSIM_ADV_SEQUENTIAL), UVMSIM_OK);
    uvmsim_pmap_stats s = pst(&r);
    ck_assert_uint_eq(s.demotions - s0.demotions, 4);
    ck_assert_uint_eq(s.demotion_drops, 0);
    ck_assert_uint_eq(s.large_live, expected_large(backend) - 4);
    ck_assert_uint_eq(s.large_bytes, expected_large_bytes(backend) - 4 * K64);
    VT_CHECK(r.m);
    uint8_t v;
    ck_assert_int_eq(vt_load(r.p, VA + 5 * K64 + 3 * PG + 9, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 0x5A);
    ck_assert_int_eq(vt_load(r.p, VA + 7 * K64 + 2 * PG, &v, &o, NULL), UVMSIM_EFAULT);
    uint8_t b[4];
    ck_assert_int_eq(uvmsim_access_mem(r.p, VA + 6 * K64 + PG, UVMSIM_ACCESS_FETCH, b, 4, NULL, &o), UVMSIM_EACCES);
    for (uint64_t k = 5; k <= 8; k++)
        for (uint64_t i = 0; i < 16; i++) {
            uvmsim_vaddr_t at = VA + k * K64 + i * PG + 40;
            if ((k == 5 && i == 3) || (k == 7 && i == 2))
                continue;
            ck_assert_int_eq(vt_load(r.p, at, &v, NULL, NULL), UVMSIM_OK);
            ck_assert_uint_eq(v, fsu_pat(at - VA, SEED));
        }
    /* no refault made them large again: their pages stayed mapped one by one */
    ck_assert_uint_eq(pst(&r).large_mappings, s.large_mappings);
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* Where no larger size fits, 64 KiB: the file from 2 MiB + 64 KiB to 4 MiB - 64 KiB at
 * its congruent address holds no aligned 2 MiB or 1 MiB, so every backend maps it with
 * 30 pages of 64 KiB (as busybox's text). */
START_TEST(test_only_64k_fits)
{
    const char *backend = vt_backends()[_i];
    struct rig r;
    rig_up(&r, backend, true, 0);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = VA + 2 * MB + K64;
    a.size = 2 * MB - 2 * K64;
    a.prot = RWX;
    a.flags = UVMSIM_MAP_PRIVATE | UVMSIM_MAP_FIXED;
    a.vnode = r.big;
    a.offset = 2 * MB + K64;
    ck_assert_int_eq(uvmsim_map(r.p, &a, NULL), UVMSIM_OK);
    for (uint64_t o = 0; o < a.size; o += PG / 2) {
        uint8_t v;
        ck_assert_int_eq(vt_load(r.p, a.addr + o + 7, &v, NULL, NULL), UVMSIM_OK);
        ck_assert_uint_eq(v, fsu_pat(a.offset + o + 7, SEED));
    }
    uvmsim_pmap_stats s = pst(&r);
    ck_assert_uint_eq(s.large_mappings, 30);
    ck_assert_uint_eq(s.large_bytes, 30 * K64);
    ck_assert_uint_eq(vst(&r).faults_total, 30);
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* The machine's policy, the mount's overriding it both ways, and the flags' rules. */
START_TEST(test_policy)
{
    const char *backend = vt_backends()[_i];
    struct { bool machine; unsigned mflags; bool large; } cases[] = {
        {false, 0, false},
        {true, 0, true},
        {false, UVMSIM_MNT_SUPERPAGES, true},
        {true, UVMSIM_MNT_NOSUPERPAGES, false},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct rig r;
        rig_up(&r, backend, cases[c].machine, cases[c].mflags);
        map_big(&r, r.p, VA);
        read_all(r.p, VA);
        ck_assert_msg((pst(&r).large_mappings > 0) == cases[c].large, "case %zu", c);
        rig_down(&r);
    }
    uvmsim_machine *m = vt_machine(0, backend);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &fc, img, &dev), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", UVMSIM_MNT_SUPERPAGES, &mp), UVMSIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(uvmsim_fs_last_error(m), "XIP"));
    ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", UVMSIM_MNT_XIP | UVMSIM_MNT_SUPERPAGES | UVMSIM_MNT_NOSUPERPAGES,
                                       &mp), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", UVMSIM_MNT_XIP | UVMSIM_MNT_SUPERPAGES, &mp), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_mount_flags(mp) & UVMSIM_MNT_SUPERPAGES, UVMSIM_MNT_SUPERPAGES);
    uvmsim_machine_destroy(m);
}
END_TEST

/* The fault-op pager enters its large mappings unmanaged (no PV entry, as its pages);
 * a copy-on-write store still splits them. */
START_TEST(test_faultop_unmanaged)
{
    const char *backend = vt_backends()[_i];
    struct rig r;
    rig_up(&r, backend, true, UVMSIM_MNT_XIP_FAULTOP);
    map_big(&r, r.p, VA);
    read_all(r.p, VA);
    uvmsim_pmap_stats s = pst(&r);
    ck_assert_uint_eq(s.large_mappings, expected_large(backend));
    ck_assert_uint_eq(s.pv_entries_device, 0);
    VT_CHECK(r.m);
    ck_assert_int_eq(vt_store(r.p, VA + 2 * MB + 9 * PG, 7, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(pst(&r).demotions, 1);
    ck_assert_uint_eq(pst(&r).pv_entries_device, 0);
    rig_down(&r);
}
END_TEST

/* fork: the child starts with no mappings and makes its own large ones; the parent's
 * store splits only the parent's. */
START_TEST(test_fork)
{
    const char *backend = vt_backends()[_i];
    struct rig r;
    rig_up(&r, backend, true, 0);
    map_big(&r, r.p, VA);
    read_all(r.p, VA);
    uvmsim_proc *child;
    ck_assert_int_eq(uvmsim_proc_fork(r.p, &child), UVMSIM_OK);
    read_all(child, VA);
    ck_assert_uint_eq(pst(&r).large_live, 2 * expected_large(backend));
    ck_assert_int_eq(vt_store(r.p, VA + 2 * MB + 3 * PG, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(pst(&r).demotions, 1);
    uint8_t v;
    ck_assert_int_eq(vt_load(child, VA + 2 * MB + 3 * PG, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, fsu_pat(2 * MB + 3 * PG, SEED));
    VT_CHECK(r.m);
    uvmsim_proc_exit(child);
    rig_down(&r);
}
END_TEST

/* FASS with shared domains: two processes map the same file at the same address; their
 * 64 KiB pages sit identically in both coarse tables of the first MiB, so the region is
 * shared and one TLB entry of a large page serves both; the sections of the other MiBs
 * stay private (shared regions are coarse tables).  A store by one demotes its large
 * page and makes it leave. */
START_TEST(test_fass_shared_large)
{
    struct rig r;
    rig_up(&r, "fass", true, 0);
    ck_assert_int_eq(uvmsim_pmap_fass_set_sharing(r.m, true), UVMSIM_OK);
    uvmsim_proc *q;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &q), UVMSIM_OK);
    map_big(&r, r.p, VA);
    map_big(&r, q, VA);
    read_all(r.p, VA);
    read_all(q, VA);
    VT_CHECK(r.m);
    uvmsim_pmap_stats s = pst(&r);
    ck_assert_uint_eq(s.large_mappings, 2 * expected_large("fass"));
    ck_assert_uint_ge(s.share_groups_made, 1);
    ck_assert_uint_eq(s.shared_regions, 2);          /* the first MiB (64 KiB pages) and the tail MiB: coarse tables */
    /* one process's fetch fills the shared large entry, the other's hits it */
    uint8_t b[4];
    uint64_t h0 = s.shared_domain_hits;
    ck_assert_int_eq(uvmsim_access_mem(r.p, VA + 5 * 64 * 1024, UVMSIM_ACCESS_FETCH, b, 4, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_access_mem(q, VA + 5 * 64 * 1024 + PG, UVMSIM_ACCESS_FETCH, b, 4, NULL, NULL), UVMSIM_OK);
    s = pst(&r);
    ck_assert_uint_gt(s.shared_domain_hits, h0);
    ck_assert_uint_eq(b[0], fsu_pat(5 * 64 * 1024 + PG, SEED));
    ck_assert_int_eq(vt_store(q, VA + 6 * 64 * 1024 + 3, 1, NULL, NULL), UVMSIM_OK);
    s = pst(&r);
    ck_assert_uint_ge(s.demotions, 1);
    ck_assert_uint_ge(s.share_leaves, 1);
    VT_CHECK(r.m);
    read_all(r.p, VA);
    rig_down(&r);
}
END_TEST

/* ---- random operations against a model of the bytes (every backend) ----
 * Processes map big privately at VA with superpages on and run random loads, fetches,
 * stores (copy-on-write: a store is seen by its process only), protects, unmaps and
 * re-maps of ranges, wiring and unwiring, advice, forks and exits — everything that makes or splits large
 * mappings — with the invariant checker after every step.  UVMSIM_STEPS and UVMSIM_SEED
 * choose longer runs. */
#define RP 4                               /* processes at most */
struct rproc {
    uvmsim_proc *p;
    uint8_t *bytes;                        /* what the process must read: BIG_PAGES pages */
    uvmsim_prot_t *prot;                   /* per page; 0: unmapped */
    bool *wired;                           /* per page: wired by uvmsim_wire */
};
struct rmodel {
    struct rig r;
    struct rproc pr[RP];
    int n;
    uint64_t rng;
};

static uint64_t rrand(struct rmodel *md)
{
    md->rng ^= md->rng << 13;
    md->rng ^= md->rng >> 7;
    md->rng ^= md->rng << 17;
    return md->rng;
}

static void rproc_new(struct rmodel *md, uvmsim_proc *p, const struct rproc *from)
{
    struct rproc *x = &md->pr[md->n++];
    x->p = p;
    x->bytes = malloc((size_t)BIG_PAGES * PG);
    x->prot = malloc(BIG_PAGES * sizeof(*x->prot));
    x->wired = calloc(BIG_PAGES, sizeof(*x->wired));     /* a child inherits no wiring */
    ck_assert(x->bytes != NULL && x->prot != NULL && x->wired != NULL);
    if (from != NULL) {
        memcpy(x->bytes, from->bytes, (size_t)BIG_PAGES * PG);
        memcpy(x->prot, from->prot, BIG_PAGES * sizeof(*x->prot));
        return;
    }
    for (uint64_t o = 0; o < (uint64_t)BIG_PAGES * PG; o++)
        x->bytes[o] = o < BIG_LEN ? fsu_pat(o, SEED) : 0;
    for (unsigned i = 0; i < BIG_PAGES; i++)
        x->prot[i] = RWX;
}

static void rproc_gone(struct rmodel *md, int k)
{
    free(md->pr[k].bytes);
    free(md->pr[k].prot);
    free(md->pr[k].wired);
    md->pr[k] = md->pr[--md->n];
}

static bool allows(uvmsim_prot_t prot, uvmsim_access a)
{
    return a == UVMSIM_ACCESS_FETCH ? (prot & UVMSIM_PROT_EXEC) : a == UVMSIM_ACCESS_LOAD ? (prot & UVMSIM_PROT_READ)
                                                                                        : (prot & UVMSIM_PROT_WRITE);
}

static void random_step(struct rmodel *md, const char *backend, unsigned step)
{
    struct rproc *x = &md->pr[rrand(md) % (uint64_t)md->n];
    uint64_t pg = rrand(md) % BIG_PAGES, npg = 1 + rrand(md) % 24, off = rrand(md) % PG;
    if (pg + npg > BIG_PAGES)
        npg = BIG_PAGES - pg;
    uvmsim_vaddr_t va = VA + pg * PG;
    unsigned op = (unsigned)(rrand(md) % 100);
    uint8_t b = 0;
    int err;

    if (op < 55) {                                         /* load or fetch */
        uvmsim_access a = op < 30 ? UVMSIM_ACCESS_LOAD : UVMSIM_ACCESS_FETCH;
        err = uvmsim_access_mem(x->p, va + off, a, &b, 1, NULL, NULL);
        if (x->prot[pg] == 0)
            ck_assert_msg(err == UVMSIM_EFAULT, "%s step %u: access to an unmapped page: %d", backend, step, err);
        else if (!allows(x->prot[pg], a))
            ck_assert_msg(err == UVMSIM_EACCES, "%s step %u: access without the right: %d", backend, step, err);
        else
            ck_assert_msg(err == UVMSIM_OK && b == x->bytes[pg * PG + off], "%s step %u: read %u at page %llu, "
                          "model %u (err %d)", backend, step, b, (unsigned long long)pg, x->bytes[pg * PG + off], err);
    } else if (op < 75) {                                  /* store */
        b = (uint8_t)rrand(md);
        err = uvmsim_access_mem(x->p, va + off, UVMSIM_ACCESS_STORE, &b, 1, NULL, NULL);
        if (x->prot[pg] != 0 && (x->prot[pg] & UVMSIM_PROT_WRITE)) {
            ck_assert_msg(err == UVMSIM_OK, "%s step %u: store: %d", backend, step, err);
            x->bytes[pg * PG + off] = b;
        } else {
            ck_assert_msg(err != UVMSIM_OK, "%s step %u: a store that should fail did not", backend, step);
        }
    } else if (op < 83) {                                  /* protect a range */
        static const uvmsim_prot_t choice[] = {UVMSIM_PROT_READ, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC,
                                               UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, RWX};
        uvmsim_prot_t np = choice[rrand(md) % 4];
        ck_assert_int_eq(uvmsim_protect(x->p, va, npg * PG, np), UVMSIM_OK);
        for (uint64_t i = pg; i < pg + npg; i++)
            if (x->prot[i] != 0)
                x->prot[i] = np;
    } else if (op < 88) {                                  /* unmap a range */
        ck_assert_int_eq(uvmsim_unmap(x->p, va, npg * PG), UVMSIM_OK);
        for (uint64_t i = pg; i < pg + npg; i++)
            x->prot[i] = 0, x->wired[i] = false;
    } else if (op < 90) {                                  /* wire or unwire a range */
        bool mapped = true, wired = true;
        for (uint64_t i = pg; i < pg + npg; i++) {
            mapped = mapped && x->prot[i] != 0;
            wired = wired && x->wired[i];
        }
        if (wired) {
            ck_assert_int_eq(uvmsim_unwire(x->p, va, npg * PG), UVMSIM_OK);
            for (uint64_t i = pg; i < pg + npg; i++)
                x->wired[i] = false;
        } else if (mapped) {
            ck_assert_int_eq(uvmsim_wire(x->p, va, npg * PG), UVMSIM_OK);
            for (uint64_t i = pg; i < pg + npg; i++)
                x->wired[i] = true;
        }
    } else if (op < 92) {                                  /* map the file again over a range */
        uvmsim_map_args a;
        uvmsim_map_args_init(&a);
        a.addr = va;
        a.size = npg * PG;
        a.prot = RWX;
        a.flags = UVMSIM_MAP_PRIVATE | UVMSIM_MAP_FIXED;
        a.vnode = md->r.big;
        a.offset = pg * PG;
        ck_assert_int_eq(uvmsim_unmap(x->p, va, npg * PG), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_map(x->p, &a, NULL), UVMSIM_OK);
        for (uint64_t i = pg; i < pg + npg; i++) {
            x->prot[i] = RWX;
            x->wired[i] = false;
            for (uint64_t o = i * PG; o < (i + 1) * PG; o++)
                x->bytes[o] = o < BIG_LEN ? fsu_pat(o, SEED) : 0;
        }
    } else if (op < 95) {                                  /* advice: clips, changes no byte */
        ck_assert_int_eq(uvmsim_advise(x->p, va, npg * PG, (uvmsim_advice)(rrand(md) % 3)), UVMSIM_OK);
    } else if (op < 98 && md->n < RP) {                    /* fork */
        uvmsim_proc *c;
        ck_assert_int_eq(uvmsim_proc_fork(x->p, &c), UVMSIM_OK);
        rproc_new(md, c, x);
    } else if (md->n > 1) {                                /* exit */
        int k = (int)(x - md->pr);
        uvmsim_proc_exit(x->p);
        rproc_gone(md, k);
    }
    VT_CHECK(md->r.m);
}

static void random_run(const char *backend, bool sharing, uint64_t salt)
{
    const char *e = getenv("UVMSIM_STEPS");
    unsigned steps = e ? (unsigned)strtoul(e, NULL, 10) : (getenv("UVMSIM_MEMCHECK") ? 150 : 1200);
    e = getenv("UVMSIM_SEED");
    struct rmodel md;
    memset(&md, 0, sizeof(md));
    md.rng = 0x9E3779B97F4A7C15ull ^ (e ? strtoull(e, NULL, 10) : 1) ^ salt;
    rig_up(&md.r, backend, true, 0);
    if (sharing)
        ck_assert_int_eq(uvmsim_pmap_fass_set_sharing(md.r.m, true), UVMSIM_OK);
    map_big(&md.r, md.r.p, VA);
    rproc_new(&md, md.r.p, NULL);
    read_all(md.r.p, VA);                  /* large mappings to start from */
    for (unsigned step = 0; step < steps; step++)
        random_step(&md, backend, step);
    uvmsim_pmap_stats s = pst(&md.r);
    ck_assert_uint_gt(s.large_mappings, 0);
    ck_assert_uint_gt(s.demotions, 0);
    if (sharing)
        ck_assert_uint_gt(s.share_groups_made, 0);
    while (md.n > 0)
        rproc_gone(&md, md.n - 1);
    rig_down(&md.r);
}

START_TEST(test_random_ops)
{
    random_run(vt_backends()[_i], false, (uint64_t)_i);
}
END_TEST

/* The same on FASS with shared domains: forked processes share their regions, 64 KiB
 * pages among them, until a store, protect or unmap makes one leave. */
START_TEST(test_random_fass_sharing)
{
    random_run("fass", true, 99);
}
END_TEST

/* At an address not congruent with the file's blocks (one page off), nothing is large:
 * the pager's alignment check says no, and the one-page path runs. */
START_TEST(test_not_congruent)
{
    const char *backend = vt_backends()[_i];
    struct rig r;
    rig_up(&r, backend, true, 0);
    map_big(&r, r.p, VA + PG);
    read_all(r.p, VA + PG);
    ck_assert_uint_eq(pst(&r).large_mappings, 0);
    rig_down(&r);
}
END_TEST

int main(void)
{
    build_image();
    Suite *s = suite_create("superpages");
    TCase *tc = tcase_create("image");
    tcase_add_test(tc, test_image_is_aligned);
    suite_add_tcase(s, tc);
    vt_tcase_each_backend(s, "reads", test_reads_on_off);
    vt_tcase_each_backend(s, "cow", test_demote_cow);
    vt_tcase_each_backend(s, "protect-unmap", test_demote_protect_unmap);
    vt_tcase_each_backend(s, "demote-64k", test_demote_64k);
    vt_tcase_each_backend(s, "only-64k", test_only_64k_fits);
    vt_tcase_each_backend(s, "clip", test_clip_demotes);
    vt_tcase_each_backend(s, "policy", test_policy);
    vt_tcase_each_backend(s, "faultop", test_faultop_unmanaged);
    vt_tcase_each_backend(s, "fork", test_fork);
    vt_tcase_each_backend(s, "not-congruent", test_not_congruent);
    vt_tcase_each_backend(s, "random", test_random_ops);
    bool have_fass = false;
    for (const char *const *b = uvmsim_pmap_backends(); *b; b++)
        have_fass |= strcmp(*b, "fass") == 0;
    if (have_fass) {
        TCase *tf = tcase_create("fass-shared");
        tcase_add_test(tf, test_fass_shared_large);
        tcase_add_test(tf, test_random_fass_sharing);
        suite_add_tcase(s, tf);
    }
    int rc = vt_run(s);        /* (not atexit: Check's forked test processes exit too) */
    cleanup();
    return rc;
}
