/* Integration suite for execute-in-place: the real static programs of the built-in image
 * exec'd from a real mke2fs image on the NOR flash device, under a copy mount (page cache
 * in RAM), an XIP mount (device pages through the vnode pager) and an XIP mount with the
 * dedicated fault-op pager, on every pmap backend.  Checks what the XIP paper promises:
 * text costs no RAM and no I/O under XIP and is mapped straight from the NOR window,
 * shared by every process; data stores promote exactly the page stored to; holes map the
 * shared zero page; shared writable file mappings and impossible XIP mounts are refused;
 * the two XIP designs agree.  uvmsim_check() runs after each step. */
#include "exec_testutil.h"
#include "vm/uvm_vm.h"
#include "vm/uvm_introspect.h"
#include "pmap_sim/pmap_impl.h"
#include "uvmsim/builtin.h"

#define HELLO_HOST UVMSIM_PROGRAMS_DIR "/hello"
#define BIGDATA_HOST UVMSIM_PROGRAMS_DIR "/bigdata"
#define SPARSE_HOST UVMSIM_BUILTIN_ROOT "/data/sparse"

static const char *be(int i) { return vt_backends()[i / XT_NMODES]; }
static int md(int i) { return i % XT_NMODES; }
static int nloops(void)
{
    int n = 0;
    while (vt_backends()[n])
        n++;
    return XT_NMODES * n;
}

static void rig(struct xt_rig *r, int i)
{
    xt_rig_up(r, UVMSIM_BUILTIN_IMG, xt_mode_flags[md(i)], be(i));
}

static uvmsim_proc *exec_new(struct xt_rig *r, const char *path, uvmsim_exec_info *ei)
{
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r->m, &p), UVMSIM_OK);
    int err = uvmsim_exec(p, path, ei);
    ck_assert_msg(err == UVMSIM_OK, "exec %s: %s (%s)", path, uvmsim_strerror(err), ei->error);
    VT_CHECK(r->m);
    return p;
}

/* The host file's PT_LOAD whose file mapping starts at va. */
static const GElf_Phdr *load_at(const struct xt_prog *pr, uvmsim_vaddr_t va)
{
    for (unsigned i = 0; i < pr->nloads; i++)
        if ((pr->loads[i].p_vaddr & ~(uint64_t)(PG - 1)) == va)
            return &pr->loads[i];
    ck_abort_msg("no PT_LOAD at 0x%llx", (unsigned long long)va);
    return NULL;
}

/* What fetching every text page did. */
struct fetch_sum {
    unsigned pages, faults;
    unsigned cls[UVMSIM_FAULT_NCLASSES];
    uint64_t io_requests;
};

/* Fetch every page of every text segment, compare the bytes with the host file, check
 * each fault's outcome against the mount kind. */
static void fetch_text(struct xt_rig *r, uvmsim_proc *p, const uvmsim_exec_info *ei, const struct xt_prog *pr,
                       int mode, uvmsim_vnode *vp, bool cold, struct fetch_sum *sum)
{
    memset(sum, 0, sizeof(*sum));
    uint8_t *buf = malloc(PG), *want = malloc(PG);
    uvmsim_paddr_t base = uvmsim_flashdev_base(r->dev);
    for (unsigned s = 0; s < ei->nsegs; s++) {
        const uvmsim_exec_seg *sg = &ei->segs[s];
        if (sg->kind != UVMSIM_EXEC_SEG_FILE || !(sg->prot & UVMSIM_PROT_EXEC))
            continue;
        const GElf_Phdr *l = load_at(pr, sg->va);
        for (uvmsim_vaddr_t va = sg->va; va < sg->va + sg->size; va += PG) {
            unsigned nf = 0;
            uvmsim_fault_outcome o;
            int err = uvmsim_access_mem(p, va, UVMSIM_ACCESS_FETCH, buf, PG, &nf, &o);
            ck_assert_msg(err == UVMSIM_OK, "fetch 0x%llx: %s", (unsigned long long)va, uvmsim_strerror(err));
            xt_expect_page(pr, l, va, want);
            XT_PAGE_EQ(buf, want, va, xt_mode_name[mode]);
            uint64_t pbn;
            ck_assert_int_eq(uvmsim_vnode_bmap(vp, (sg->offset + (va - sg->va)) / PG, &pbn), UVMSIM_OK);
            sum->pages++;
            if (nf > 0) {
                ck_assert_uint_eq(nf, 1);
                sum->faults++;
                sum->cls[o.cls]++;
                sum->io_requests += o.io_requests;
                ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
                ck_assert(!(o.prot_entered & UVMSIM_PROT_WRITE));
                ck_assert_uint_eq(o.bytes_copied, 0);
                if (mode == XT_COPY) {
                    ck_assert_int_eq(o.loc, UVMSIM_LOC_RAM);
                    if (cold)   /* a page-cache miss: read through the strategy routine */
                        ck_assert_uint_gt(o.io_requests, 0);
                    else
                        ck_assert_uint_eq(o.io_requests, 0);
                } else {
                    ck_assert_int_eq(o.loc, pbn ? UVMSIM_LOC_DEVICE : UVMSIM_LOC_ZERO);
                    ck_assert_uint_eq(o.pa, pbn ? base + pbn * PG : uvmsim_zero_page(r->m));
                    ck_assert_uint_eq(o.io_requests, 0);
                    ck_assert(o.xip);
                }
            }
            /* where the MMU now points, fault or fault-ahead alike */
            uvmsim_paddr_t pa;
            uvmsim_prot_t prot;
            ck_assert(uvmsim_pmap_extract(p->pmap, va, &pa, &prot));
            ck_assert(!(prot & UVMSIM_PROT_WRITE));
            ck_assert(prot & UVMSIM_PROT_EXEC);
            uvmsim_seg_info si;
            ck_assert_int_eq(uvmsim_phys_find(r->m, pa, &si), UVMSIM_OK);
            if (mode == XT_COPY) {
                ck_assert_int_eq(si.kind, UVMSIM_SEG_RAM);
            } else if (pbn) {
                ck_assert_int_eq(si.kind, UVMSIM_SEG_DEVICE);
                ck_assert_uint_eq(pa & ~(uvmsim_paddr_t)(PG - 1), base + pbn * PG);
            } else {
                ck_assert_uint_eq(pa & ~(uvmsim_paddr_t)(PG - 1), uvmsim_zero_page(r->m));
            }
        }
    }
    free(buf);
    free(want);
    ck_assert_uint_eq(sum->pages, ei->text_pages);
}

/* Text under each mount: XIP allocates no RAM and does no I/O; the copy mount takes one
 * page-cache page per text page, read through the device's strategy routine. */
START_TEST(test_text_fetch)
{
    struct xt_rig r;
    rig(&r, _i);
    int mode = md(_i);
    uvmsim_exec_info ei;
    uvmsim_proc *p = exec_new(&r, "/bin/hello", &ei);
    struct xt_prog pr;
    xt_prog_load(&pr, HELLO_HOST);
    ck_assert_uint_gt(ei.text_pages, 50);   /* a C library's worth */
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(r.m, "/bin/hello", &vp), UVMSIM_OK);
    uvmsim_ram_stats r0, r1;
    uvmsim_flashdev_stats f0, f1;
    uvmsim_vm_stats v0, v1;
    uvmsim_ram_stats_get(r.m, &r0);
    uvmsim_flashdev_stats_get(r.dev, &f0);
    uvmsim_vm_stats_get(r.m, &v0);
    struct fetch_sum sum;
    fetch_text(&r, p, &ei, &pr, mode, vp, true, &sum);
    ck_assert_uint_gt(sum.faults, 0);
    VT_CHECK(r.m);
    uvmsim_ram_stats_get(r.m, &r1);
    uvmsim_flashdev_stats_get(r.dev, &f1);
    uvmsim_vm_stats_get(r.m, &v1);
    ck_assert_uint_eq(r1.anon_pages, r0.anon_pages);
    if (mode == XT_COPY) {
        ck_assert_uint_eq(r1.object_pages - r0.object_pages, ei.text_pages);
        ck_assert_uint_gt(sum.io_requests, 0);
        ck_assert_uint_eq(v1.io_requests - v0.io_requests, sum.io_requests);
        ck_assert_uint_ge(f1.read_requests - f0.read_requests, sum.io_requests);
        ck_assert_uint_ge(f1.read_bytes - f0.read_bytes, ei.text_pages * PG);
    } else {
        ck_assert_uint_eq(r1.object_pages, r0.object_pages);
        ck_assert_uint_eq(sum.io_requests, 0);
        ck_assert_uint_eq(v1.io_requests, v0.io_requests);
        ck_assert_uint_eq(f1.read_requests, f0.read_requests);
    }
    /* a second pass costs nothing anywhere */
    fetch_text(&r, p, &ei, &pr, mode, vp, false, &sum);
    ck_assert_uint_eq(sum.faults, 0);
    uvmsim_ram_stats_get(r.m, &r0);
    XT_RAM_SAME(r0, r1);
    VT_CHECK(r.m);
    uvmsim_vnode_rele(vp);
    xt_prog_free(&pr);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* A store into each data page promotes exactly that page; .bss and the stack are
 * zero-fill; the bytes stay the file's except what was stored. */
START_TEST(test_data_store)
{
    struct xt_rig r;
    rig(&r, _i);
    uvmsim_exec_info ei;
    uvmsim_proc *p = exec_new(&r, "/bin/bigdata", &ei);
    struct xt_prog pr;
    xt_prog_load(&pr, BIGDATA_HOST);
    ck_assert_uint_ge(ei.data_pages, 8);    /* 8 pages of table[] and more */
    ck_assert_uint_eq(ei.promotions, 1);    /* the tail of the last data page */
    uint8_t *buf = malloc(PG), *want = malloc(PG);
    unsigned stored = 0;
    for (unsigned s = 0; s < ei.nsegs; s++) {
        const uvmsim_exec_seg *sg = &ei.segs[s];
        if (sg->kind != UVMSIM_EXEC_SEG_FILE || !(sg->prot & UVMSIM_PROT_WRITE))
            continue;
        const GElf_Phdr *l = load_at(&pr, sg->va);
        uvmsim_vaddr_t tail = (l->p_vaddr + l->p_filesz) & ~(uint64_t)(PG - 1);
        for (uvmsim_vaddr_t va = sg->va; va < sg->va + sg->size; va += PG) {
            uvmsim_ram_stats r0, r1;
            uvmsim_ram_stats_get(r.m, &r0);
            uint8_t v = (uint8_t)~xt_expect(&pr, l, va + 123);
            uvmsim_fault_outcome o;
            unsigned nf;
            ck_assert_int_eq(vt_store(p, va + 123, v, &o, &nf), UVMSIM_OK);
            uvmsim_ram_stats_get(r.m, &r1);
            if (va == tail) {
                /* promoted by exec's zeroing store: already ours and writable */
                ck_assert_uint_eq(nf, 0);
                ck_assert_uint_eq(r1.anon_pages, r0.anon_pages);
            } else {
                ck_assert_uint_eq(nf, 1);
                ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
                ck_assert_uint_eq(o.bytes_copied, PG);
                ck_assert_int_eq(o.loc, UVMSIM_LOC_RAM);
                ck_assert(o.prot_entered & UVMSIM_PROT_WRITE);
                ck_assert_uint_eq(r1.anon_pages, r0.anon_pages + 1);
                stored++;
            }
            ck_assert_int_eq(uvmsim_access_mem(p, va, UVMSIM_ACCESS_LOAD, buf, PG, NULL, NULL), UVMSIM_OK);
            xt_expect_page(&pr, l, va, want);
            want[123] = v;
            XT_PAGE_EQ(buf, want, va, "data");
            VT_CHECK(r.m);
        }
    }
    ck_assert_uint_eq(stored, ei.data_pages - 1);
    /* .bss: zero, and a store is a zero-fill fault */
    for (unsigned s = 0; s < ei.nsegs; s++) {
        const uvmsim_exec_seg *sg = &ei.segs[s];
        if (sg->kind == UVMSIM_EXEC_SEG_FILE)
            continue;
        uvmsim_vaddr_t va = sg->kind == UVMSIM_EXEC_SEG_STACK ? sg->va + sg->size - PG : sg->va;
        uint8_t v = 1;
        uvmsim_fault_outcome o;
        unsigned nf;
        ck_assert_int_eq(vt_store(p, va + 8, 0x5a, &o, &nf), UVMSIM_OK);
        ck_assert_uint_eq(nf, 1);
        ck_assert_int_eq(o.cls, UVMSIM_FAULT_ZERO_FILL);
        ck_assert_int_eq(vt_load(p, va + 9, &v, NULL, NULL), UVMSIM_OK);
        ck_assert_uint_eq(v, 0);
        VT_CHECK(r.m);
    }
    free(buf);
    free(want);
    xt_prog_free(&pr);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* Ten processes running the same program share every text page (ten PV entries on each,
 * device pages under XIP, page-cache pages under copy); RAM grows only by what is
 * private to each (its promoted data page). */
START_TEST(test_ten_procs_share_text)
{
    struct xt_rig r;
    rig(&r, _i);
    int mode = md(_i);
    struct xt_prog pr;
    xt_prog_load(&pr, HELLO_HOST);
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(r.m, "/bin/hello", &vp), UVMSIM_OK);
    uvmsim_ram_stats b, one, all;
    uvmsim_ram_stats_get(r.m, &b);
    uvmsim_proc *ps[10];
    uvmsim_exec_info ei;
    for (int k = 0; k < 10; k++) {
        ps[k] = exec_new(&r, "/bin/hello", &ei);
        struct fetch_sum sum;
        fetch_text(&r, ps[k], &ei, &pr, mode, vp, k == 0, &sum);
        ck_assert_uint_gt(sum.faults, 0);
        if (k > 0)
            ck_assert_uint_eq(sum.io_requests, 0);   /* the page cache is shared too */
        if (k == 0)
            uvmsim_ram_stats_get(r.m, &one);
        VT_CHECK(r.m);
    }
    uvmsim_ram_stats_get(r.m, &all);
    ck_assert_uint_eq(all.anon_pages - b.anon_pages, 10 * (one.anon_pages - b.anon_pages));
    ck_assert_uint_eq(one.anon_pages - b.anon_pages, ei.promotions);
    ck_assert_uint_eq(all.object_pages, one.object_pages);
    if (mode != XT_COPY)
        ck_assert_uint_eq(all.object_pages, b.object_pages);
    for (unsigned s = 0; s < ei.nsegs; s++) {
        const uvmsim_exec_seg *sg = &ei.segs[s];
        if (sg->kind != UVMSIM_EXEC_SEG_FILE || !(sg->prot & UVMSIM_PROT_EXEC))
            continue;
        for (uvmsim_vaddr_t va = sg->va; va < sg->va + sg->size; va += PG) {
            uvmsim_paddr_t pa, pa_k;
            ck_assert(uvmsim_pmap_extract(ps[0]->pmap, va, &pa, NULL));
            pa &= ~(uvmsim_paddr_t)(PG - 1);
            for (int k = 1; k < 10; k++) {
                ck_assert(uvmsim_pmap_extract(ps[k]->pmap, va, &pa_k, NULL));
                ck_assert_uint_eq(pa_k & ~(uvmsim_paddr_t)(PG - 1), pa);
            }
            /* the fault-op pager enters device pages unmanaged: no PV entry to count */
            unsigned want = mode == XT_XIPOP && uvmsim_introspect_loc(r.m, pa) == UVMSIM_LOC_DEVICE ? 0 : 10;
            if (pa != uvmsim_zero_page(r.m))
                ck_assert_msg(uvmsim_pmap_pv_count(r.m, pa) == want, "pa 0x%llx: %u PV entries, want %u",
                              (unsigned long long)pa, uvmsim_pmap_pv_count(r.m, pa), want);
        }
    }
    uvmsim_pmap_stats ps_st;
    uvmsim_pmap_stats_get(r.m, &ps_st);
    if (mode == XT_XIP)
        ck_assert_uint_ge(ps_st.pv_entries_device, 10 * (ei.text_pages - 1));
    else
        ck_assert_uint_eq(ps_st.pv_entries_device, 0);   /* copy: none; fault-op: unmanaged */
    /* exits drop their mappings; the text stays on the device (or in the cache) */
    for (int k = 9; k >= 1; k--) {
        uvmsim_proc_exit(ps[k]);
        VT_CHECK(r.m);
    }
    uvmsim_ram_stats_get(r.m, &all);
    ck_assert_uint_eq(all.anon_pages, one.anon_pages);
    ck_assert_uint_eq(all.object_pages, one.object_pages);
    uvmsim_vnode_rele(vp);
    xt_prog_free(&pr);
    uvmsim_machine_destroy(r.m);
}
END_TEST

static uvmsim_vaddr_t map_file(uvmsim_proc *p, uvmsim_vnode *vp, uint64_t size, uvmsim_prot_t prot, bool shared,
                               int *errp)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.size = size;
    a.prot = prot;
    a.flags = shared ? UVMSIM_MAP_SHARED : UVMSIM_MAP_PRIVATE;
    a.vnode = vp;
    uvmsim_vaddr_t va = 0;
    *errp = uvmsim_map(p, &a, &va);
    return va;
}

/* A hole of a sparse file maps the shared zero page under XIP (a zeroed cache page under
 * copy) until written; a store in a private mapping promotes it.  Shared writable file
 * mappings are refused on the read-only medium. */
START_TEST(test_sparse_holes_and_erofs)
{
    struct xt_rig r;
    rig(&r, _i);
    int mode = md(_i);
    size_t hlen;
    uint8_t *host = fsu_slurp(SPARSE_HOST, &hlen);
    ck_assert_ptr_nonnull(host);
    ck_assert_uint_eq(hlen, 15 * PG + 100);
    uvmsim_vnode *vp, *hello;
    ck_assert_int_eq(uvmsim_namei(r.m, "/data/sparse", &vp), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_namei(r.m, "/bin/hello", &hello), UVMSIM_OK);
    uvmsim_vattr at;
    ck_assert_int_eq(uvmsim_vnode_getattr(vp, &at), UVMSIM_OK);
    ck_assert_uint_eq(at.size, hlen);
    ck_assert_uint_eq(at.blocks_allocated, 3);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    int err;
    uvmsim_vaddr_t va = map_file(p, vp, 16 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false, &err);
    ck_assert_int_eq(err, UVMSIM_OK);
    ck_assert_int_eq(uvmsim_advise(p, va, 16 * PG, UVMSIM_ADV_RANDOM), UVMSIM_OK);
    uint8_t *buf = malloc(PG);
    unsigned holes = 0;
    for (unsigned k = 0; k < 16; k++) {
        uvmsim_fault_outcome o;
        unsigned nf;
        ck_assert_int_eq(uvmsim_access_mem(p, va + k * PG, UVMSIM_ACCESS_LOAD, buf, PG, &nf, &o), UVMSIM_OK);
        for (unsigned b = 0; b < PG; b++)
            ck_assert_uint_eq(buf[b], k * PG + b < hlen ? host[k * PG + b] : 0);
        uint64_t pbn;
        ck_assert_int_eq(uvmsim_vnode_bmap(vp, k, &pbn), UVMSIM_OK);
        ck_assert_uint_eq(nf, 1);
        ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
        holes += pbn == 0;
        if (mode == XT_COPY)
            ck_assert_int_eq(o.loc, UVMSIM_LOC_RAM);
        else if (pbn == 0) {
            ck_assert_int_eq(o.loc, UVMSIM_LOC_ZERO);
            ck_assert_uint_eq(o.pa, uvmsim_zero_page(r.m));
        } else {
            ck_assert_int_eq(o.loc, UVMSIM_LOC_DEVICE);
            ck_assert_uint_eq(o.pa, uvmsim_flashdev_base(r.dev) + pbn * PG);
        }
        VT_CHECK(r.m);
    }
    ck_assert_uint_eq(holes, 13);
    /* write into the hole at page 1: a promotion from the zero page */
    uvmsim_ram_stats r0, r1;
    uvmsim_ram_stats_get(r.m, &r0);
    uvmsim_fault_outcome o;
    unsigned nf;
    ck_assert_int_eq(vt_store(p, va + PG + 10, 0x77, &o, &nf), UVMSIM_OK);
    ck_assert_uint_eq(nf, 1);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    ck_assert_uint_eq(o.bytes_copied, PG);
    ck_assert_int_eq(o.loc, UVMSIM_LOC_RAM);
    uvmsim_ram_stats_get(r.m, &r1);
    ck_assert_uint_eq(r1.anon_pages, r0.anon_pages + 1);
    ck_assert_int_eq(uvmsim_access_mem(p, va + PG, UVMSIM_ACCESS_LOAD, buf, PG, NULL, NULL), UVMSIM_OK);
    for (unsigned b = 0; b < PG; b++)
        ck_assert_uint_eq(buf[b], b == 10 ? 0x77 : 0);
    VT_CHECK(r.m);   /* includes: the zero page is still all zeros */
    /* another process still sees the hole */
    uvmsim_proc *q;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &q), UVMSIM_OK);
    uvmsim_vaddr_t vq = map_file(q, vp, 16 * PG, UVMSIM_PROT_READ, true, &err);
    ck_assert_int_eq(err, UVMSIM_OK);
    uint8_t v = 1;
    ck_assert_int_eq(vt_load(q, vq + PG + 10, &v, &o, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(o.loc, mode == XT_COPY ? UVMSIM_LOC_RAM : UVMSIM_LOC_ZERO);
    /* shared writable mappings of files: refused on the read-only medium, where no file
     * can be open for writing (EACCES, as vn_mmap; EROFS is what open(O_RDWR) says) */
    map_file(q, vp, 16 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, true, &err);
    ck_assert_int_eq(err, UVMSIM_EACCES);
    map_file(q, hello, PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, true, &err);
    ck_assert_int_eq(err, UVMSIM_EACCES);
    /* a shared read-only one can never be raised to write */
    ck_assert_int_eq(uvmsim_protect(q, vq, 16 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE), UVMSIM_EACCES);
    ck_assert_int_eq(vt_store(q, vq, 1, NULL, NULL), UVMSIM_EACCES);
    VT_CHECK(r.m);
    free(buf);
    free(host);
    uvmsim_vnode_rele(vp);
    uvmsim_vnode_rele(hello);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* XIP needs page-sized blocks and a direct-access device; the copy mount of the same
 * images still runs the program. */
START_TEST(test_xip_refused)
{
    struct xt_prog pr;
    xt_prog_load(&pr, HELLO_HOST);
    for (int c = 0; c < 2; c++) {
        uvmsim_machine *m = vt_machine(0, NULL);
        uvmsim_flashdev_config fc;
        uvmsim_flashdev_config_init(&fc);
        if (c == 1)
            fc.direct_access = false;
        uvmsim_flashdev *dev;
        ck_assert_int_eq(uvmsim_flashdev_create_file(m, &fc, c == 0 ? UVMSIM_BUILTIN_IMG1K : UVMSIM_BUILTIN_IMG, &dev),
                         UVMSIM_OK);
        uvmsim_mount *mp = NULL;
        for (int x = XT_XIP; x <= XT_XIPOP; x++) {
            ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", xt_mode_flags[x], &mp), UVMSIM_ENOXIP);
            ck_assert_str_ne(uvmsim_fs_last_error(m), "");
        }
        ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", 0, &mp), UVMSIM_OK);
        ck_assert_uint_eq(uvmsim_mount_block_size(mp), c == 0 ? 1024 : 4096);
        struct xt_rig r = {m, dev, mp};
        uvmsim_exec_info ei;
        uvmsim_proc *p = exec_new(&r, "/bin/hello", &ei);
        uvmsim_vnode *vp;
        ck_assert_int_eq(uvmsim_namei(m, "/bin/hello", &vp), UVMSIM_OK);
        if (c == 0) {
            /* bmap answers 1 KiB blocks here: only check bytes and RAM */
            uint8_t *buf = malloc(PG), *want = malloc(PG);
            for (unsigned s = 0; s < ei.nsegs; s++) {
                const uvmsim_exec_seg *sg = &ei.segs[s];
                if (sg->kind != UVMSIM_EXEC_SEG_FILE || !(sg->prot & UVMSIM_PROT_EXEC))
                    continue;
                const GElf_Phdr *l = load_at(&pr, sg->va);
                for (uvmsim_vaddr_t va = sg->va; va < sg->va + sg->size; va += PG) {
                    ck_assert_int_eq(uvmsim_access_mem(p, va, UVMSIM_ACCESS_FETCH, buf, PG, NULL, NULL), UVMSIM_OK);
                    xt_expect_page(&pr, l, va, want);
                    XT_PAGE_EQ(buf, want, va, "1 KiB copy mount");
                }
            }
            free(buf);
            free(want);
        } else {
            struct fetch_sum sum;
            fetch_text(&r, p, &ei, &pr, XT_COPY, vp, true, &sum);
        }
        VT_CHECK(m);
        uvmsim_vnode_rele(vp);
        uvmsim_machine_destroy(m);
    }
    xt_prog_free(&pr);
}
END_TEST

/* The two XIP designs: with fault-ahead off, the same page faults the same way, to the
 * same place, with the same bytes; data promotes the same way. */
START_TEST(test_designs_agree)
{
    struct xt_rig r[2];
    uvmsim_proc *p[2];
    uvmsim_exec_info ei[2];
    for (int d = 0; d < 2; d++) {
        xt_rig_up(&r[d], UVMSIM_BUILTIN_IMG, xt_mode_flags[XT_XIP + d], be(_i * XT_NMODES));
        p[d] = exec_new(&r[d], "/bin/hello", &ei[d]);
        for (unsigned s = 0; s < ei[d].nsegs; s++)
            ck_assert_int_eq(uvmsim_advise(p[d], ei[d].segs[s].va, ei[d].segs[s].size, UVMSIM_ADV_RANDOM), UVMSIM_OK);
    }
    ck_assert_mem_eq(&ei[0], &ei[1], sizeof ei[0]);
    uint8_t *b0 = malloc(PG), *b1 = malloc(PG);
    for (unsigned s = 0; s < ei[0].nsegs; s++) {
        const uvmsim_exec_seg *sg = &ei[0].segs[s];
        if (sg->kind != UVMSIM_EXEC_SEG_FILE)
            continue;
        uvmsim_access kind = (sg->prot & UVMSIM_PROT_EXEC) ? UVMSIM_ACCESS_FETCH :
                             (sg->prot & UVMSIM_PROT_WRITE) ? UVMSIM_ACCESS_STORE : UVMSIM_ACCESS_LOAD;
        for (uvmsim_vaddr_t va = sg->va; va < sg->va + sg->size; va += PG) {
            uvmsim_fault_outcome o[2];
            unsigned nf[2];
            for (int d = 0; d < 2; d++) {
                uint8_t *bb = d ? b1 : b0;
                if (kind == UVMSIM_ACCESS_STORE) {
                    ck_assert_int_eq(vt_store(p[d], va + 1, 0xee, &o[d], &nf[d]), UVMSIM_OK);
                    ck_assert_int_eq(uvmsim_access_mem(p[d], va, UVMSIM_ACCESS_LOAD, bb, PG, NULL, NULL), UVMSIM_OK);
                } else {
                    ck_assert_int_eq(uvmsim_access_mem(p[d], va, kind, bb, PG, &nf[d], &o[d]), UVMSIM_OK);
                }
            }
            ck_assert_mem_eq(b0, b1, PG);
            ck_assert_uint_eq(nf[0], nf[1]);
            if (nf[0]) {
                ck_assert_int_eq(o[0].cls, o[1].cls);
                ck_assert_int_eq(o[0].loc, o[1].loc);
                ck_assert_uint_eq(o[0].bytes_copied, o[1].bytes_copied);
                ck_assert_uint_eq(o[0].pages_allocated, o[1].pages_allocated);
                if (o[0].loc != UVMSIM_LOC_RAM)
                    ck_assert_uint_eq(o[0].pa, o[1].pa);
            }
        }
        VT_CHECK(r[0].m);
        VT_CHECK(r[1].m);
    }
    uvmsim_vm_stats v[2];
    uvmsim_ram_stats rs[2];
    for (int d = 0; d < 2; d++) {
        uvmsim_vm_stats_get(r[d].m, &v[d]);
        uvmsim_ram_stats_get(r[d].m, &rs[d]);
    }
    for (int c = 0; c < UVMSIM_FAULT_NCLASSES; c++)
        ck_assert_uint_eq(v[0].faults[c], v[1].faults[c]);
    ck_assert_uint_eq(v[0].bytes_copied, v[1].bytes_copied);
    ck_assert_uint_gt(v[0].faults[UVMSIM_FAULT_LOWER_DIRECT], 0);
    ck_assert_uint_gt(v[0].faults[UVMSIM_FAULT_LOWER_PROMOTE], 0);
    ck_assert_uint_eq(rs[0].anon_pages, rs[1].anon_pages);
    ck_assert_uint_eq(rs[0].object_pages, 0);
    ck_assert_uint_eq(rs[1].object_pages, 0);
    free(b0);
    free(b1);
    uvmsim_machine_destroy(r[0].m);
    uvmsim_machine_destroy(r[1].m);
}
END_TEST

/* The embedded image is the 4 KiB image the build made, and its default program runs. */
START_TEST(test_builtin_image)
{
    size_t len = 0, flen = 0;
    const unsigned char *img = uvmsim_builtin_image(&len);
    ck_assert_ptr_nonnull(img);
    ck_assert_ptr_eq(uvmsim_builtin_image(NULL), img);
    uint8_t *file = fsu_slurp(UVMSIM_BUILTIN_IMG, &flen);
    ck_assert_ptr_nonnull(file);
    ck_assert_uint_eq(len, flen);
    ck_assert(memcmp(img, file, len) == 0);
    free(file);
    ck_assert_str_eq(uvmsim_builtin_program(), "/bin/hello");
    uvmsim_machine *m = vt_machine(0, NULL);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    fc.block_size = UVMSIM_BUILTIN_BLOCK_SIZE;
    uvmsim_flashdev *dev;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &fc, img, len, &dev), UVMSIM_OK);
    uvmsim_mount *mp;
    ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", UVMSIM_MNT_XIP, &mp), UVMSIM_OK);
    struct xt_rig r = {m, dev, mp};
    uvmsim_exec_info ei;
    uvmsim_proc *p = exec_new(&r, uvmsim_builtin_program(), &ei);
    struct xt_prog pr;
    xt_prog_load(&pr, HELLO_HOST);
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(m, uvmsim_builtin_program(), &vp), UVMSIM_OK);
    struct fetch_sum sum;
    fetch_text(&r, p, &ei, &pr, XT_XIP, vp, true, &sum);
    uvmsim_vnode *motd;
    ck_assert_int_eq(uvmsim_namei(m, "/etc/motd", &motd), UVMSIM_OK);
    char line[128] = "";
    size_t n = 0;
    ck_assert_int_eq(uvmsim_vnode_read(motd, 0, line, sizeof line - 1, &n), UVMSIM_OK);
    ck_assert_ptr_nonnull(strstr(line, "uvmsim built-in image"));
    uvmsim_vnode_rele(motd);
    uvmsim_vnode_rele(vp);
    xt_prog_free(&pr);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    if (UVMSIM_NO_IMAGES) {
        printf("test_xip: built with UVMSIM_BUILTIN_IMAGE=OFF: no programs or images, nothing tested\n");
        return 0;
    }
    Suite *s = suite_create("xip");
    TCase *tc = tcase_create("xip");
    tcase_set_timeout(tc, 600);
    int n = nloops();
    tcase_add_loop_test(tc, test_text_fetch, 0, n);
    tcase_add_loop_test(tc, test_data_store, 0, n);
    tcase_add_loop_test(tc, test_ten_procs_share_text, 0, n);
    tcase_add_loop_test(tc, test_sparse_holes_and_erofs, 0, n);
    tcase_add_test(tc, test_xip_refused);
    tcase_add_loop_test(tc, test_designs_agree, 0, n / XT_NMODES);
    tcase_add_test(tc, test_builtin_image);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
