/* Check suite for src/vm/uvm_vnode.c: the vnode pager (RAM page cache filled through
 * the strategy routine), the XIP vnode pager (device pages, the zero page for holes)
 * and the dedicated XIP pager with fault/copy_page ops, on real mke2fs images. */
#include <stdbool.h>
#include "../fs/fs_testutil.h"
#include "vmtest.h"
#include "uvmsim/fs.h"

#define PG 4096u
#define DATA_LEN (5 * PG + 100)
#define SEED 77

enum mode { COPY = 0, XIP = 1, XIPOP = 2 };
static const unsigned mode_flags[] = {0, UVMSIM_MNT_XIP, UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP};
static char dir[256], img4k[300], img1k[300];

/* Set-up runs outside any test: fail loudly and exit. */
#define REQ(c) do { if (!(c)) { fprintf(stderr, "set-up failed: %s\n", #c); exit(1); } } while (0)

static void build_images(void)
{
    char src[300], p[400], err[1024];
    snprintf(dir, sizeof dir, "vnode-test-%d", (int)getpid());
    fsu_rmtree(dir);
    REQ(mkdir(dir, 0755) == 0);
    snprintf(src, sizeof src, "%s/src", dir);
    REQ(mkdir(src, 0755) == 0);
    REQ(fsu_write_at(fsu_path(p, sizeof p, "%s/data", src), 0, DATA_LEN, SEED) == 0);
    /* sparse: page 0 and page 3 hold data, pages 1-2 are holes */
    REQ(fsu_write_at(fsu_path(p, sizeof p, "%s/sparse", src), 0, PG, SEED + 1) == 0);
    REQ(fsu_write_at(fsu_path(p, sizeof p, "%s/sparse", src), 3 * PG, PG, SEED + 2) == 0);
    snprintf(img4k, sizeof img4k, "%s/fs4k.img", dir);
    snprintf(img1k, sizeof img1k, "%s/fs1k.img", dir);
    if (!fsu_mkimage(src, img4k, 4096, 1, "4M", err, sizeof err)) { fprintf(stderr, "%s\n", err); exit(1); }
    if (!fsu_mkimage(src, img1k, 1024, 1, "4M", err, sizeof err)) { fprintf(stderr, "%s\n", err); exit(1); }
}

static void cleanup(void) { fsu_rmtree(dir); }

struct rig { uvmsim_machine *m; uvmsim_flashdev *dev; uvmsim_mount *mp; uvmsim_vnode *data, *sparse; };

static void rig_up(struct rig *r, enum mode mode, const char *backend_name)
{
    r->m = vt_machine(0, backend_name);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    ck_assert_int_eq(uvmsim_flashdev_create_file(r->m, &fc, img4k, &r->dev), UVMSIM_OK);
    int err = uvmsim_mount_ext2(r->m, r->dev, "/", mode_flags[mode], &r->mp);
    ck_assert_msg(err == UVMSIM_OK, "mount: %s (%s)", uvmsim_strerror(err), uvmsim_fs_last_error(r->m));
    ck_assert_int_eq(uvmsim_namei(r->m, "/data", &r->data), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_namei(r->m, "/sparse", &r->sparse), UVMSIM_OK);
}

static void rig_down(struct rig *r)
{
    uvmsim_vnode_rele(r->data);
    uvmsim_vnode_rele(r->sparse);
    uvmsim_machine_destroy(r->m);
}

static uvmsim_vaddr_t map_file(uvmsim_proc *p, uvmsim_vnode *vp, uint64_t pages, uvmsim_prot_t prot, bool shared, int *errp)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.size = pages * PG;
    a.prot = prot;
    a.flags = shared ? UVMSIM_MAP_SHARED : UVMSIM_MAP_PRIVATE;
    a.vnode = vp;
    uvmsim_vaddr_t va = 0;
    int err = uvmsim_map(p, &a, &va);
    if (errp)
        *errp = err;
    else
        ck_assert_msg(err == UVMSIM_OK, "map file: %s", uvmsim_strerror(err));
    return va;
}

static const char *be(int i) { return vt_backends()[i / 3]; }
static enum mode md(int i) { return (enum mode)(i % 3); }
static int nloops(void) { return 3 * vt_nbackends(); }

/* Every byte read through the MMU equals the file's; the page lives where the mount says. */
START_TEST(test_read_bytes_and_location)
{
    struct rig r;
    rig_up(&r, md(_i), be(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = map_file(p, r.data, 7, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC, false, NULL);
    ck_assert_int_eq(uvmsim_advise(p, va, 7 * PG, UVMSIM_ADV_RANDOM), UVMSIM_OK);
    uvmsim_paddr_t base = uvmsim_flashdev_base(r.dev);
    for (unsigned pg = 0; pg < 6; pg++) {
        uint8_t buf[PG];
        uvmsim_fault_outcome o;
        unsigned nf;
        uvmsim_ram_stats r0, r1;
        uvmsim_ram_stats_get(r.m, &r0);
        ck_assert_int_eq(uvmsim_access_mem(p, va + pg * PG, UVMSIM_ACCESS_FETCH, buf, PG, &nf, &o), UVMSIM_OK);
        uvmsim_ram_stats_get(r.m, &r1);
        ck_assert_uint_eq(nf, 1);
        ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
        ck_assert(!(o.prot_entered & UVMSIM_PROT_WRITE));
        for (unsigned i = 0; i < PG; i++) {
            uint64_t off = (uint64_t)pg * PG + i;
            uint8_t want = off < DATA_LEN ? fsu_pat(off, SEED) : 0;
            ck_assert_msg(buf[i] == want, "page %u byte %u", pg, i);
        }
        uint64_t pbn;
        ck_assert_int_eq(uvmsim_vnode_bmap(r.data, pg, &pbn), UVMSIM_OK);
        if (md(_i) == COPY) {
            ck_assert_int_eq(o.loc, UVMSIM_LOC_RAM);
            ck_assert_uint_eq(o.io_requests, 1);
            ck_assert_uint_eq(o.io_bytes, PG);
            ck_assert_uint_eq(r1.object_pages - r0.object_pages, 1);
        } else {
            ck_assert_int_eq(o.loc, UVMSIM_LOC_DEVICE);
            ck_assert_uint_eq(o.pa, base + pbn * PG);
            ck_assert_uint_eq(o.io_requests, 0);
            ck_assert(o.xip);
            ck_assert_uint_eq(r1.object_pages, r0.object_pages);
            ck_assert_uint_eq(r1.anon_pages, r0.anon_pages);
        }
        VT_CHECK(r.m);
    }
    /* past EOF inside the mapping (the file has 6 pages): an error, nothing mapped */
    uint8_t b;
    uvmsim_fault_outcome o;
    ck_assert_int_eq(uvmsim_access_mem(p, va + 6 * PG, UVMSIM_ACCESS_LOAD, &b, 1, NULL, &o), UVMSIM_EFAULT);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ERROR);
    VT_CHECK(r.m);
    uvmsim_proc_exit(p);
    VT_CHECK(r.m);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(r.m, &rs);
    /* the page cache stays with the vnode, which the rig still holds (UBC: a later read()
     * or mapping finds it), and goes when the vnode does */
    ck_assert_uint_eq(rs.object_pages, md(_i) == COPY ? 6 : 0);
    uvmsim_vnode_rele(r.data);
    r.data = NULL;
    uvmsim_ram_stats_get(r.m, &rs);
    ck_assert_uint_eq(rs.object_pages, 0);
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* A store to a private file mapping promotes: a RAM anon filled from the cache page or
 * from NOR; other mappings of the file keep the original bytes. */
START_TEST(test_private_store_promotes)
{
    struct rig r;
    rig_up(&r, md(_i), be(_i));
    uvmsim_proc *p, *q;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_create(r.m, &q), UVMSIM_OK);
    uvmsim_vaddr_t va = map_file(p, r.data, 6, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false, NULL);
    uvmsim_vaddr_t vq = map_file(q, r.data, 6, UVMSIM_PROT_READ, false, NULL);
    uvmsim_fault_outcome o;
    uint8_t b, v = 0xEE;
    ck_assert_int_eq(uvmsim_access_mem(p, va + 2 * PG + 9, UVMSIM_ACCESS_STORE, &v, 1, NULL, &o), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    ck_assert_int_eq(o.loc, UVMSIM_LOC_RAM);
    ck_assert_uint_eq(o.bytes_copied, PG);
    ck_assert(o.prot_entered & UVMSIM_PROT_WRITE);
    ck_assert_uint_eq(o.anon_refs, 1);
    VT_CHECK(r.m);
    ck_assert_int_eq(uvmsim_access_mem(p, va + 2 * PG + 10, UVMSIM_ACCESS_LOAD, &b, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(b, fsu_pat(2 * PG + 10, SEED));   /* the rest of the page was copied */
    ck_assert_int_eq(uvmsim_access_mem(p, va + 2 * PG + 9, UVMSIM_ACCESS_LOAD, &b, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(b, 0xEE);
    ck_assert_int_eq(uvmsim_access_mem(q, vq + 2 * PG + 9, UVMSIM_ACCESS_LOAD, &b, 1, NULL, &o), UVMSIM_OK);
    ck_assert_int_eq(b, fsu_pat(2 * PG + 9, SEED));
    /* a read first, then the store: lower-direct read-only, then lower-promote */
    ck_assert_int_eq(uvmsim_access_mem(p, va + 4 * PG, UVMSIM_ACCESS_LOAD, &b, 1, NULL, &o), UVMSIM_OK);
    ck_assert(!(o.prot_entered & UVMSIM_PROT_WRITE));
    unsigned nf;
    ck_assert_int_eq(uvmsim_access_mem(p, va + 4 * PG, UVMSIM_ACCESS_STORE, &v, 1, &nf, &o), UVMSIM_OK);
    ck_assert_uint_eq(nf, 1);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    ck_assert_uint_eq(o.io_requests, 0);
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* A hole maps the shared zero page on XIP (a zeroed cache page on copy mounts, with no
 * I/O) until written. */
START_TEST(test_hole)
{
    struct rig r;
    rig_up(&r, md(_i), be(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = map_file(p, r.sparse, 4, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false, NULL);
    ck_assert_int_eq(uvmsim_advise(p, va, 4 * PG, UVMSIM_ADV_RANDOM), UVMSIM_OK);
    uint64_t pbn;
    ck_assert_int_eq(uvmsim_vnode_bmap(r.sparse, 1, &pbn), UVMSIM_OK);
    ck_assert_uint_eq(pbn, 0);
    uvmsim_fault_outcome o;
    uint8_t buf[PG], zero[PG] = {0};
    ck_assert_int_eq(uvmsim_access_mem(p, va + PG, UVMSIM_ACCESS_LOAD, buf, PG, NULL, &o), UVMSIM_OK);
    ck_assert_mem_eq(buf, zero, PG);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
    ck_assert_uint_eq(o.io_requests, 0);
    if (md(_i) == COPY) {
        ck_assert_int_eq(o.loc, UVMSIM_LOC_RAM);
    } else {
        ck_assert_int_eq(o.loc, UVMSIM_LOC_ZERO);
        ck_assert_uint_eq(o.pa, uvmsim_zero_page(r.m));
    }
    uint8_t v = 5;
    ck_assert_int_eq(uvmsim_access_mem(p, va + PG + 1, UVMSIM_ACCESS_STORE, &v, 1, NULL, &o), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    ck_assert_int_eq(o.loc, UVMSIM_LOC_RAM);
    ck_assert_uint_ne(o.pa, uvmsim_zero_page(r.m));
    ck_assert_int_eq(uvmsim_access_mem(p, va + PG, UVMSIM_ACCESS_LOAD, buf, PG, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(buf[1], 5);
    ck_assert_int_eq(buf[0], 0);
    VT_CHECK(r.m);   /* includes: the zero page is still all zeros */
    /* data after the hole is the file's */
    ck_assert_int_eq(uvmsim_access_mem(p, va + 3 * PG, UVMSIM_ACCESS_LOAD, buf, PG, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(buf[17], fsu_pat(3 * PG + 17, SEED + 2));
    rig_down(&r);
}
END_TEST

/* Shared file mappings: readable, never writable on the read-only medium. */
START_TEST(test_shared_rofs)
{
    struct rig r;
    rig_up(&r, md(_i), be(_i));
    uvmsim_proc *p;
    int err;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    /* the file cannot have been opened for writing: EACCES, as NetBSD's vn_mmap */
    map_file(p, r.data, 2, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, true, &err);
    ck_assert_int_eq(err, UVMSIM_EACCES);
    ck_assert_uint_eq(uvmsim_map_nentries(p), 0);
    uvmsim_vaddr_t va = map_file(p, r.data, 2, UVMSIM_PROT_READ, true, NULL);
    ck_assert_int_eq(uvmsim_protect(p, va, 2 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE), UVMSIM_EACCES);
    uint8_t b;
    uvmsim_fault_outcome o;
    ck_assert_int_eq(uvmsim_access_mem(p, va + 1, UVMSIM_ACCESS_LOAD, &b, 1, NULL, &o), UVMSIM_OK);
    ck_assert_int_eq(b, fsu_pat(1, SEED));
    ck_assert_int_eq(uvmsim_access_mem(p, va + 1, UVMSIM_ACCESS_STORE, &b, 1, NULL, &o), UVMSIM_EACCES);
    /* a directory cannot be mapped */
    uvmsim_vnode *root;
    ck_assert_int_eq(uvmsim_namei(r.m, "/", &root), UVMSIM_OK);
    map_file(p, root, 1, UVMSIM_PROT_READ, false, &err);
    ck_assert_int_eq(err, UVMSIM_EISDIR);
    uvmsim_vnode_rele(root);
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* Two processes share one cache page (copy) or one device page (XIP); PV counts both,
 * except under the fault-op design, whose pager enters device pages unmanaged: no PV
 * entry at all, the mappings cannot be found from the page. */
START_TEST(test_page_shared_between_mappings)
{
    struct rig r;
    rig_up(&r, md(_i), be(_i));
    uvmsim_proc *p, *q;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_create(r.m, &q), UVMSIM_OK);
    uvmsim_vaddr_t vp = map_file(p, r.data, 6, UVMSIM_PROT_READ, false, NULL);
    uvmsim_vaddr_t vq = map_file(q, r.data, 6, UVMSIM_PROT_READ, true, NULL);
    uvmsim_fault_outcome o1, o2;
    uint8_t b;
    ck_assert_int_eq(uvmsim_access_mem(p, vp, UVMSIM_ACCESS_LOAD, &b, 1, NULL, &o1), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_access_mem(q, vq, UVMSIM_ACCESS_LOAD, &b, 1, NULL, &o2), UVMSIM_OK);
    ck_assert_uint_eq(o1.pa, o2.pa);
    ck_assert_uint_eq(o2.io_requests, 0);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(r.m, o1.pa), md(_i) == XIPOP ? 0 : 2);
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* read(2) (uvmsim_vnode_read): on a copy mount through the very page-cache pages the
 * mappings use (NetBSD's UBC), so a page read() brought in faults in later lower-direct
 * with no I/O; on an XIP mount straight from the device window, memory to memory, with
 * no strategy I/O and no page cache (Linux's xip_file_read). */
START_TEST(test_read_ubc)
{
    struct rig r;
    rig_up(&r, md(_i), be(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = map_file(p, r.data, 6, UVMSIM_PROT_READ, false, NULL);
    uint8_t buf[4 * PG];
    size_t got;
    uvmsim_vm_stats v0, v1;
    uvmsim_ram_stats r0, r1;
    uvmsim_flashdev_stats d0, d1;
    uvmsim_vm_stats_get(r.m, &v0);
    uvmsim_ram_stats_get(r.m, &r0);
    uvmsim_flashdev_stats_get(r.dev, &d0);
    ck_assert_int_eq(uvmsim_vnode_read(r.data, 100, buf, 3 * PG, &got), UVMSIM_OK);   /* pages 0-3 */
    uvmsim_vm_stats_get(r.m, &v1);
    uvmsim_ram_stats_get(r.m, &r1);
    uvmsim_flashdev_stats_get(r.dev, &d1);
    ck_assert_uint_eq(got, 3 * PG);
    for (size_t i = 0; i < got; i++)
        if (buf[i] != fsu_pat(100 + i, SEED))
            ck_abort_msg("byte %zu differs", i);
    if (md(_i) == COPY) {
        ck_assert_uint_eq(r1.object_pages - r0.object_pages, 4);        /* into the page cache */
        ck_assert_uint_eq(v1.io_requests - v0.io_requests, 1);          /* contiguous: one request */
        ck_assert_uint_eq(v1.io_bytes - v0.io_bytes, 4 * PG);
    } else {
        ck_assert_uint_eq(r1.object_pages, r0.object_pages);            /* no page cache */
        ck_assert_uint_eq(v1.io_requests, v0.io_requests);
        ck_assert_uint_eq(d1.read_requests, d0.read_requests);          /* no strategy I/O */
    }
    VT_CHECK(r.m);
    /* a later fault on a page read() brought in: lower-direct, no I/O, no new page */
    uvmsim_fault_outcome o;
    uint8_t b;
    uvmsim_ram_stats_get(r.m, &r0);
    ck_assert_int_eq(uvmsim_access_mem(p, va + 2 * PG + 5, UVMSIM_ACCESS_LOAD, &b, 1, NULL, &o), UVMSIM_OK);
    uvmsim_ram_stats_get(r.m, &r1);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
    ck_assert_uint_eq(o.io_requests, 0);
    ck_assert_uint_eq(r1.object_pages, r0.object_pages);
    ck_assert_uint_eq(b, fsu_pat(2 * PG + 5, SEED));
    /* and read() finds what a fault brought in: page 5 through the mapping first */
    ck_assert_int_eq(uvmsim_access_mem(p, va + 5 * PG, UVMSIM_ACCESS_LOAD, &b, 1, NULL, &o), UVMSIM_OK);
    uvmsim_vm_stats_get(r.m, &v0);
    ck_assert_int_eq(uvmsim_vnode_read(r.data, 5 * PG, buf, PG, &got), UVMSIM_OK);
    uvmsim_vm_stats_get(r.m, &v1);
    ck_assert_uint_eq(got, 100);                                        /* short: end of file */
    ck_assert_uint_eq(v1.io_requests, v0.io_requests);
    ck_assert_uint_eq(buf[99], fsu_pat(5 * PG + 99, SEED));
    /* holes read as zeros on every mount */
    memset(buf, 0xaa, sizeof buf);
    ck_assert_int_eq(uvmsim_vnode_read(r.sparse, PG, buf, 2 * PG, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, 2 * PG);
    for (size_t i = 0; i < got; i++)
        if (buf[i] != 0)
            ck_abort_msg("hole byte %zu is 0x%02x", i, buf[i]);
    ck_assert_int_eq(uvmsim_vnode_read(r.data, DATA_LEN, buf, 1, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, 0);
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* Injected failures (uvmsim_flashdev_fail_reads, uvmsim_ram_fail_next) as the fault
 * handler and read(2) see them: a medium error fails the copy mount's pager get with EIO
 * (uvm_fault_lower_io returns the pager's error) and leaves no page behind, while XIP
 * reads no block and does not notice; with RAM exhausted a read fault needs no page on
 * XIP (the NOR page is mapped) but one on the copy mount, and every promotion needs an
 * anon (uvmfault_promote: ENOMEM when nothing can be reclaimed).  After each failure the
 * invariants hold and clearing the plan lets the same access succeed. */
START_TEST(test_injected_failures)
{
    struct rig r;
    rig_up(&r, md(_i), be(_i));
    bool xip = md(_i) != COPY;
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = map_file(p, r.data, 6, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false, NULL);
    uvmsim_fault_outcome o;
    uvmsim_ram_stats r0, r1;
    uint8_t buf[PG];
    size_t got;
    /* page 5 first: its page tables exist from now on, so RAM exhaustion below is seen
     * by the data pages only */
    ck_assert_int_eq(uvmsim_fault(p, va + 5 * PG, UVMSIM_ACCESS_LOAD, &o), UVMSIM_OK);

    ck_assert_int_eq(uvmsim_flashdev_fail_reads(r.dev, 0, UVMSIM_INJECT_FOREVER), UVMSIM_OK);
    uvmsim_ram_stats_get(r.m, &r0);
    int err = uvmsim_fault(p, va, UVMSIM_ACCESS_LOAD, &o);
    uvmsim_ram_stats_get(r.m, &r1);
    ck_assert_int_eq(err, xip ? UVMSIM_OK : UVMSIM_EIO);
    ck_assert_int_eq(o.cls, xip ? UVMSIM_FAULT_LOWER_DIRECT : UVMSIM_FAULT_ERROR);
    ck_assert_int_eq(o.loc, xip ? UVMSIM_LOC_DEVICE : UVMSIM_LOC_NONE);
    ck_assert_uint_eq(o.io_requests, 0);
    ck_assert_uint_eq(r1.used_pages, r0.used_pages);              /* the cache page went back */
    ck_assert_int_eq(uvmsim_vnode_read(r.data, PG, buf, PG, &got), xip ? UVMSIM_OK : UVMSIM_EIO);
    VT_CHECK(r.m);
    ck_assert_int_eq(uvmsim_flashdev_fail_reads(r.dev, 0, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_fault(p, va, UVMSIM_ACCESS_LOAD, &o), UVMSIM_OK);
    ck_assert_uint_eq(o.io_requests, xip ? 0 : 1);
    ck_assert_int_eq(uvmsim_vnode_read(r.data, PG, buf, PG, &got), UVMSIM_OK);
    ck_assert_uint_eq(buf[7], fsu_pat(PG + 7, SEED));

    ck_assert_int_eq(uvmsim_ram_fail_next(r.m, 0, UVMSIM_INJECT_FOREVER), UVMSIM_OK);
    uvmsim_ram_stats_get(r.m, &r0);
    err = uvmsim_fault(p, va + 3 * PG, UVMSIM_ACCESS_LOAD, &o);   /* not resident on COPY */
    ck_assert_int_eq(err, xip ? UVMSIM_OK : UVMSIM_ENOMEM);
    err = uvmsim_fault(p, va, UVMSIM_ACCESS_STORE, &o);           /* needs an anon */
    ck_assert_int_eq(err, UVMSIM_ENOMEM);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ERROR);
    ck_assert_uint_eq(o.bytes_copied, 0);
    uvmsim_ram_stats_get(r.m, &r1);
    ck_assert_uint_eq(r1.used_pages, r0.used_pages);
    ck_assert_uint_gt(r1.alloc_failures, r0.alloc_failures);
    uint8_t b = 1;
    ck_assert_int_eq(uvmsim_access_mem(p, va, UVMSIM_ACCESS_STORE, &b, 1, NULL, NULL), UVMSIM_ENOMEM);
    VT_CHECK(r.m);
    ck_assert_int_eq(uvmsim_ram_fail_next(r.m, 0, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_fault(p, va, UVMSIM_ACCESS_STORE, &o), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    ck_assert_int_eq(uvmsim_access_mem(p, va + 3, UVMSIM_ACCESS_LOAD, &b, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(b, fsu_pat(3, SEED));
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* The fault-op design as written: copy-on-write goes through pgo_copy_page alone, for a
 * data page and for a hole alike — the fault handler calls no pgo_get at all (NetBSD's
 * design: the locked look-up finds the page). */
START_TEST(test_faultop_copy_page_only)
{
    struct rig r;
    rig_up(&r, md(_i), be(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = map_file(p, r.sparse, 4, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false, NULL);
    uvmsim_advise(p, va, 4 * PG, UVMSIM_ADV_RANDOM);
    uvmsim_vm_stats v0, v1;
    uvmsim_fault_outcome o;
    uint8_t b;
    for (unsigned pg = 0; pg < 2; pg++) {                       /* page 0: data; page 1: a hole */
        uvmsim_vm_stats_get(r.m, &v0);
        ck_assert_int_eq(vt_store(p, va + pg * PG + 7, 0x5a, &o, NULL), UVMSIM_OK);
        uvmsim_vm_stats_get(r.m, &v1);
        ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
        ck_assert_uint_eq(o.bytes_copied, PG);
        if (md(_i) == XIPOP)
            ck_assert_uint_eq(v1.pager_gets + v1.pager_lgets, v0.pager_gets + v0.pager_lgets);
        else
            ck_assert_uint_gt(v1.pager_gets + v1.pager_lgets, v0.pager_gets + v0.pager_lgets);
        ck_assert_int_eq(vt_load(p, va + pg * PG + 8, &b, NULL, NULL), UVMSIM_OK);
        ck_assert_uint_eq(b, pg == 0 ? fsu_pat(8, SEED + 1) : 0);    /* the rest was copied */
    }
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* What the fault-op design cannot do: find another process's mapping of a device page.
 * Parent and child share an amap (a private file mapping inherited SHARE); the child maps
 * the file's page, the parent's store promotes it into the shared amap.  NetBSD's design
 * (and the copy mount) unmaps the old page everywhere, so the child refaults onto the new
 * anon and sees the store; under the fault-op design the child's mapping is unmanaged,
 * nothing finds it, and the child keeps reading the device page — the old bytes — until
 * it faults for another reason (here: its own store). */
START_TEST(test_faultop_stale_sharer)
{
    struct rig r;
    rig_up(&r, md(_i), be(_i));
    uvmsim_proc *p, *c;
    uint8_t b;
    unsigned nf;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = map_file(p, r.data, 6, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false, NULL);
    ck_assert_int_eq(uvmsim_inherit_set(p, va, 6 * PG, UVMSIM_INHERIT_SHARE), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    const uint8_t orig = fsu_pat(2 * PG, SEED);
    ck_assert_int_eq(vt_load(c, va + 2 * PG, &b, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(b, orig);
    ck_assert_int_eq(vt_store(p, va + 2 * PG, (uint8_t)(orig ^ 0xff), NULL, NULL), UVMSIM_OK);
    VT_CHECK(r.m);
    ck_assert_int_eq(vt_load(c, va + 2 * PG, &b, NULL, &nf), UVMSIM_OK);
    if (md(_i) == XIPOP) {
        ck_assert_uint_eq(nf, 0);                               /* the stale translation */
        ck_assert_uint_eq(b, orig);
    } else {
        ck_assert_uint_eq(nf, 1);                               /* refault onto the new anon */
        ck_assert_uint_eq(b, (uint8_t)(orig ^ 0xff));
    }
    /* the child's own store faults (read-only mapping) and finds the shared anon */
    ck_assert_int_eq(vt_store(c, va + 2 * PG + 1, 0x33, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_load(c, va + 2 * PG, &b, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(b, (uint8_t)(orig ^ 0xff));
    ck_assert_int_eq(vt_load(p, va + 2 * PG + 1, &b, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(b, 0x33);
    VT_CHECK(r.m);
    rig_down(&r);
}
END_TEST

/* XIP needs a direct-access device and blocks of page size. */
START_TEST(test_xip_refusals)
{
    uvmsim_machine *m = vt_machine(0, NULL);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    uvmsim_flashdev *d1, *d2;
    uvmsim_mount *mp;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &fc, img1k, &d1), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_mount_ext2(m, d1, "/a", UVMSIM_MNT_XIP, &mp), UVMSIM_ENOXIP);
    ck_assert_ptr_nonnull(strstr(uvmsim_fs_last_error(m), "block"));
    ck_assert_int_eq(uvmsim_mount_ext2(m, d1, "/a", 0, &mp), UVMSIM_OK);
    fc.direct_access = false;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &fc, img4k, &d2), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_mount_ext2(m, d2, "/b", UVMSIM_MNT_XIP, &mp), UVMSIM_ENOXIP);
    ck_assert_int_eq(uvmsim_mount_ext2(m, d2, "/b", 0, &mp), UVMSIM_OK);
    /* a copy mount of 1 KiB blocks pages fine: four block reads, one request when contiguous */
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(m, "/a/data", &vp), UVMSIM_OK);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = map_file(p, vp, 6, UVMSIM_PROT_READ, false, NULL);
    uint8_t buf[PG];
    uvmsim_fault_outcome o;
    ck_assert_int_eq(uvmsim_access_mem(p, va + PG, UVMSIM_ACCESS_LOAD, buf, PG, NULL, &o), UVMSIM_OK);
    ck_assert_uint_ge(o.io_requests, 1);
    ck_assert_uint_le(o.io_requests, 4);
    ck_assert_uint_eq(o.io_bytes, PG);
    for (unsigned i = 0; i < PG; i++)
        ck_assert_int_eq(buf[i], fsu_pat(PG + i, SEED));
    uvmsim_vnode_rele(vp);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    build_images();
    Suite *s = suite_create("vm-vnode");
    TCase *tc = tcase_create("pagers");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_read_bytes_and_location, 0, nloops());
    tcase_add_loop_test(tc, test_private_store_promotes, 0, nloops());
    tcase_add_loop_test(tc, test_hole, 0, nloops());
    tcase_add_loop_test(tc, test_shared_rofs, 0, nloops());
    tcase_add_loop_test(tc, test_page_shared_between_mappings, 0, nloops());
    tcase_add_loop_test(tc, test_read_ubc, 0, nloops());
    tcase_add_loop_test(tc, test_injected_failures, 0, nloops());
    tcase_add_loop_test(tc, test_faultop_copy_page_only, 0, nloops());
    tcase_add_loop_test(tc, test_faultop_stale_sharer, 0, nloops());
    tcase_add_test(tc, test_xip_refusals);
    suite_add_tcase(s, tc);
    int rc = vt_run(s);
    cleanup();
    return rc;
}
