/* Check suite: wiring (uvmsim_wire / uvmsim_unwire, NetBSD's uvm_map_pageable and
 * uvm_fault_wire) on every pmap backend: pages faulted in at wire time with the maximum
 * protection (a private writable entry promotes then), wired counts on entries and RAM
 * pages, EINVAL for holes and protection none, one unwire for many wires, fork, unmap,
 * exit, running out of RAM, XIP device pages, and the invariant checker's wiring rule. */
#include "exec_testutil.h"
#include <stdlib.h>
#include <string.h>
#include "vm/uvm_vm.h"
#include "vm/uvm_introspect.h"

#define RW (UVMSIM_PROT_READ | UVMSIM_PROT_WRITE)
static const char *backend(int i) { return vt_backends()[i]; }

static uint64_t wired_pages(uvmsim_machine *m)
{
    uvmsim_vm_stats st;
    uvmsim_vm_stats_get(m, &st);
    return st.wired_pages;
}

static unsigned entry_wired(uvmsim_proc *p, uvmsim_vaddr_t va)
{
    uvmsim_entry_info ei;
    ck_assert_int_eq(uvmsim_map_lookup(p, va, &ei), UVMSIM_OK);
    return ei.wired_count;
}

/* Private anonymous memory: the wire faults zero-fill every page at once; afterwards
 * no access faults; one unwire undoes two wires. */
START_TEST(test_wire_anon)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0x10000000, 8 * PG, RW, false);
    uvmsim_vm_stats s0, s1;
    uvmsim_vm_stats_get(m, &s0);
    ck_assert_int_eq(uvmsim_wire(p, va + 2 * PG, 4 * PG), UVMSIM_OK);
    uvmsim_vm_stats_get(m, &s1);
    VT_CHECK(m);
    ck_assert_uint_eq(s1.faults[UVMSIM_FAULT_ZERO_FILL] - s0.faults[UVMSIM_FAULT_ZERO_FILL], 4);
    ck_assert_uint_eq(s1.neighbours_mapped, s0.neighbours_mapped);      /* no fault-ahead */
    ck_assert_uint_eq(wired_pages(m), 4);
    ck_assert_uint_eq(uvmsim_map_nentries(p), 3);                       /* clipped to the range */
    ck_assert_uint_eq(entry_wired(p, va), 0);
    ck_assert_uint_eq(entry_wired(p, va + 2 * PG), 1);
    ck_assert_uint_eq(entry_wired(p, va + 6 * PG), 0);
    for (unsigned i = 2; i < 6; i++) {
        unsigned nf = 9;
        uint8_t v;
        ck_assert_int_eq(vt_store(p, va + i * PG, (uint8_t)i, NULL, &nf), UVMSIM_OK);
        ck_assert_uint_eq(nf, 0);                                       /* resident and writable */
        ck_assert_int_eq(vt_load(p, va + i * PG, &v, NULL, &nf), UVMSIM_OK);
        ck_assert_uint_eq(v, i);
    }
    /* a second wiring counts, faults nothing in */
    ck_assert_int_eq(uvmsim_wire(p, va + 2 * PG, 4 * PG), UVMSIM_OK);
    ck_assert_uint_eq(entry_wired(p, va + 2 * PG), 2);
    ck_assert_uint_eq(wired_pages(m), 4);
    VT_CHECK(m);
    /* POSIX: one unwire undoes them all */
    ck_assert_int_eq(uvmsim_unwire(p, va + 2 * PG, 4 * PG), UVMSIM_OK);
    ck_assert_uint_eq(entry_wired(p, va + 2 * PG), 0);
    ck_assert_uint_eq(wired_pages(m), 0);
    VT_CHECK(m);
    /* unwiring what is not wired */
    ck_assert_int_eq(uvmsim_unwire(p, va + 2 * PG, 4 * PG), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_unwire(p, 0x70000000, PG), UVMSIM_EFAULT);
    uvmsim_machine_destroy(m);
}
END_TEST

/* uvm_map_pageable's refusals: the start unmapped (EFAULT), a hole after it or an entry
 * with protection none (EINVAL); nothing stays wired after any of them. */
START_TEST(test_wire_refusals)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0x10000000, 2 * PG, RW, false);
    vt_map_anon(p, 0x10003000, 2 * PG, RW, false);                      /* a hole at page 2 */
    vt_map_anon(p, 0x10008000, 2 * PG, UVMSIM_PROT_NONE, false);
    vt_map_anon(p, 0x10006000, 2 * PG, RW, false);                      /* pages 6-7, then 8-9 none */
    ck_assert_int_eq(uvmsim_wire(p, va, 5 * PG), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_wire(p, 0x10006000, 4 * PG), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_wire(p, 0x10002000, PG), UVMSIM_EFAULT);
    ck_assert_int_eq(uvmsim_wire(p, va + 1, PG), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_wire(p, va, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_wire(NULL, va, PG), UVMSIM_EINVAL);
    for (unsigned i = 0; i < uvmsim_map_nentries(p); i++) {
        uvmsim_entry_info ei;
        ck_assert_int_eq(uvmsim_map_entry(p, i, &ei), UVMSIM_OK);
        ck_assert_uint_eq(ei.wired_count, 0);
    }
    ck_assert_uint_eq(wired_pages(m), 0);
    VT_CHECK(m);
    /* a wired range may not be unwired across a hole either */
    ck_assert_int_eq(uvmsim_wire(p, va, 2 * PG), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_wire(p, 0x10003000, 2 * PG), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_unwire(p, va, 5 * PG), UVMSIM_EINVAL);
    ck_assert_uint_eq(wired_pages(m), 4);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* The wire fault checks and resolves with the maximum protection: a private file mapping
 * made read-only but with write in its maximum protection promotes every page at wire
 * time (the anons are wired, the page cache is not); with write outside the maximum
 * protection the object's pages themselves are wired (copy mount) or mapped, with nothing
 * to count, from the device (XIP). */
START_TEST(test_wire_file_maxprot)
{
    int mode = _i % XT_NMODES;
    struct xt_rig r;
    xt_rig_up(&r, UVMSIM_BUILTIN_IMG, xt_mode_flags[mode], vt_backends()[_i / XT_NMODES]);
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(r.m, "/bin/hello", &vp), UVMSIM_OK);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = 0x10000000;
    a.size = 4 * PG;
    a.prot = UVMSIM_PROT_READ;
    a.flags = UVMSIM_MAP_FIXED;
    a.vnode = vp;
    ck_assert_int_eq(uvmsim_map(p, &a, NULL), UVMSIM_OK);            /* maxprot rwx */
    uvmsim_vm_stats s0, s1;
    uvmsim_vm_stats_get(r.m, &s0);
    ck_assert_int_eq(uvmsim_wire(p, 0x10000000, 4 * PG), UVMSIM_OK);
    uvmsim_vm_stats_get(r.m, &s1);
    VT_CHECK(r.m);
    ck_assert_uint_eq(s1.faults[UVMSIM_FAULT_LOWER_PROMOTE] - s0.faults[UVMSIM_FAULT_LOWER_PROMOTE], 4);
    ck_assert_uint_eq(s1.anons_live - s0.anons_live, 4);
    ck_assert_uint_eq(wired_pages(r.m), 4);                             /* the anons only */
    uvmsim_entry_info ei;
    ck_assert_int_eq(uvmsim_map_lookup(p, 0x10000000, &ei), UVMSIM_OK);
    ck_assert(!ei.needs_copy && ei.has_amap);
    /* the bytes are the file's; the mapping stays read-only (the entry's protection) */
    uint8_t b[4];
    ck_assert_int_eq(uvmsim_access_mem(p, 0x10000000, UVMSIM_ACCESS_LOAD, b, 4, NULL, NULL), UVMSIM_OK);
    ck_assert(memcmp(b, "\x7f" "ELF", 4) == 0);
    ck_assert_int_eq(vt_store(p, 0x10000000, 1, NULL, NULL), UVMSIM_EACCES);

    /* maxprot without write: nothing to promote; the lower pages are wired in place */
    a.addr = 0x20000000;
    a.maxprot = UVMSIM_PROT_READ | UVMSIM_PROT_EXEC;
    ck_assert_int_eq(uvmsim_map(p, &a, NULL), UVMSIM_OK);
    uvmsim_vm_stats_get(r.m, &s0);
    ck_assert_int_eq(uvmsim_wire(p, 0x20000000, 4 * PG), UVMSIM_OK);
    uvmsim_vm_stats_get(r.m, &s1);
    VT_CHECK(r.m);
    ck_assert_uint_eq(s1.faults[UVMSIM_FAULT_LOWER_DIRECT] - s0.faults[UVMSIM_FAULT_LOWER_DIRECT], 4);
    ck_assert_uint_eq(s1.anons_live, s0.anons_live);
    /* copy mount: 4 page-cache pages wired; XIP: device pages, no vm_page to wire */
    ck_assert_uint_eq(wired_pages(r.m), mode == XT_COPY ? 8 : 4);
    unsigned nf = 9;
    ck_assert_int_eq(uvmsim_access_mem(p, 0x20003000, UVMSIM_ACCESS_LOAD, b, 1, &nf, NULL), UVMSIM_OK);
    ck_assert_uint_eq(nf, 0);
    /* wired pages are never reclaimed, mapped or not: protect none keeps them wired */
    ck_assert_int_eq(uvmsim_protect(p, 0x20000000, 4 * PG, UVMSIM_PROT_NONE), UVMSIM_OK);
    VT_CHECK(r.m);
    ck_assert_uint_eq(wired_pages(r.m), mode == XT_COPY ? 8 : 4);
    /* unmap unwires */
    ck_assert_int_eq(uvmsim_unmap(p, 0x20000000, 4 * PG), UVMSIM_OK);
    ck_assert_uint_eq(wired_pages(r.m), 4);
    VT_CHECK(r.m);
    uvmsim_proc_exit(p);
    ck_assert_uint_eq(wired_pages(r.m), 0);
    VT_CHECK(r.m);
    uvmsim_vnode_rele(vp);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* A shared XIP mapping: device pages have no vm_page, so wiring them is entering their
 * mappings and counting the entry (docs/vm.md); a shared anonymous mapping wires its
 * anons. */
START_TEST(test_wire_shared)
{
    int mode = _i % XT_NMODES;
    struct xt_rig r;
    xt_rig_up(&r, UVMSIM_BUILTIN_IMG, xt_mode_flags[mode], vt_backends()[_i / XT_NMODES]);
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(r.m, "/bin/hello", &vp), UVMSIM_OK);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = 0x10000000;
    a.size = 4 * PG;
    a.prot = UVMSIM_PROT_READ;
    a.flags = UVMSIM_MAP_FIXED | UVMSIM_MAP_SHARED;
    a.vnode = vp;
    ck_assert_int_eq(uvmsim_map(p, &a, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_wire(p, 0x10000000, 4 * PG), UVMSIM_OK);
    VT_CHECK(r.m);
    ck_assert_uint_eq(entry_wired(p, 0x10000000), 1);
    ck_assert_uint_eq(wired_pages(r.m), mode == XT_COPY ? 4 : 0);
    for (unsigned i = 0; i < 4; i++) {
        uvmsim_paddr_t pa;
        ck_assert(uvmsim_introspect_extract(p, 0x10000000 + i * PG, &pa, NULL));
    }
    uvmsim_vaddr_t va = vt_map_anon(p, 0x20000000, 3 * PG, RW, true);
    ck_assert_int_eq(uvmsim_wire(p, va, 3 * PG), UVMSIM_OK);
    ck_assert_uint_eq(wired_pages(r.m), (mode == XT_COPY ? 4 : 0) + 3);
    VT_CHECK(r.m);
    uvmsim_proc_exit(p);
    ck_assert_uint_eq(wired_pages(r.m), 0);
    VT_CHECK(r.m);
    uvmsim_vnode_rele(vp);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* fork of a wired private entry: the child is not wired, and gets its own copies of the
 * wired pages at once (NetBSD's amap_cow_now), so the parent keeps writing without a
 * fault; a share-inherited wired entry shares the pages. */
START_TEST(test_wire_fork)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p, *c;
    uint8_t v;
    unsigned nf;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0x10000000, 4 * PG, RW, false);
    for (unsigned i = 0; i < 4; i++)
        ck_assert_int_eq(vt_store(p, va + i * PG, (uint8_t)(0x40 + i), NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_wire(p, va, 4 * PG), UVMSIM_OK);
    ck_assert_uint_eq(wired_pages(m), 4);
    uvmsim_vm_stats s0, s1;
    uvmsim_vm_stats_get(m, &s0);
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    uvmsim_vm_stats_get(m, &s1);
    VT_CHECK(m);
    ck_assert_uint_eq(s1.anons_live - s0.anons_live, 4);                /* copied at fork */
    ck_assert_uint_eq(entry_wired(c, va), 0);
    ck_assert_uint_eq(entry_wired(p, va), 1);
    ck_assert_uint_eq(wired_pages(m), 4);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_int_eq(vt_store(p, va + i * PG, 0x11, NULL, &nf), UVMSIM_OK);
        ck_assert_uint_eq(nf, 0);                                       /* still writable */
        ck_assert_int_eq(vt_load(c, va + i * PG, &v, NULL, NULL), UVMSIM_OK);
        ck_assert_uint_eq(v, 0x40 + i);                                 /* the snapshot */
    }
    VT_CHECK(m);
    uvmsim_proc_exit(c);
    /* share-inherited: the child names the same amap and sees the parent's stores */
    ck_assert_int_eq(uvmsim_inherit_set(p, va, 4 * PG, UVMSIM_INHERIT_SHARE), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    ck_assert_int_eq(vt_store(p, va, 0x77, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_load(c, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 0x77);
    ck_assert_uint_eq(wired_pages(m), 4);
    VT_CHECK(m);
    uvmsim_proc_exit(p);                                                /* unwires on exit */
    ck_assert_uint_eq(wired_pages(m), 0);
    ck_assert_int_eq(vt_load(c, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 0x77);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Out of RAM half way: the wire call fails, the pages it wired are unwired again and no
 * entry keeps a count. */
START_TEST(test_wire_enomem)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0x10000000, 64 * PG, RW, false);
    vt_map_anon(p, 0x10040000, 64 * PG, RW, false);
    ck_assert_int_eq(vt_store(p, va, 1, NULL, NULL), UVMSIM_OK);        /* page tables made */
    ck_assert_int_eq(vt_store(p, 0x10040000, 1, NULL, NULL), UVMSIM_OK);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    uint64_t keep = 40, n = rs.free_pages - keep;
    uvmsim_paddr_t *pages = malloc(n * sizeof(*pages));
    for (uint64_t i = 0; i < n; i++)
        ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pages[i]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_wire(p, va, 128 * PG), UVMSIM_ENOMEM);
    ck_assert_uint_eq(wired_pages(m), 0);
    for (unsigned i = 0; i < uvmsim_map_nentries(p); i++) {
        uvmsim_entry_info ei;
        ck_assert_int_eq(uvmsim_map_entry(p, i, &ei), UVMSIM_OK);
        ck_assert_uint_eq(ei.wired_count, 0);
    }
    VT_CHECK(m);
    for (uint64_t i = 0; i < n; i++)
        ck_assert_int_eq(uvmsim_ram_free(m, pages[i]), UVMSIM_OK);
    free(pages);
    ck_assert_int_eq(uvmsim_wire(p, va, 128 * PG), UVMSIM_OK);
    ck_assert_uint_eq(wired_pages(m), 128);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* The checker verifies wire counts: a page whose count disagrees with the wired entries
 * resolving to it is reported. */
START_TEST(test_wire_checked)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    char msg[256];
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0x10000000, 2 * PG, RW, false);
    ck_assert_int_eq(uvmsim_wire(p, va, 2 * PG), UVMSIM_OK);
    VT_CHECK(m);
    struct vm_map_entry *e = uvmsim_map_lookup_entry(&p->map, va);
    struct vm_anon *an = uvmsim_amap_lookup(m, e, va);
    an->an_page->wire_count++;
    ck_assert_int_eq(uvmsim_check(m, msg, sizeof msg), UVMSIM_ESTATE);
    ck_assert_ptr_nonnull(strstr(msg, "wire count 2 but 1 wired"));
    an->an_page->wire_count--;
    e->wired_count = 0;
    ck_assert_int_eq(uvmsim_check(m, msg, sizeof msg), UVMSIM_ESTATE);
    ck_assert_ptr_nonnull(strstr(msg, "wire count 1 but 0 wired"));
    e->wired_count = 1;
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

static void tcase_each_mode_backend(Suite *s, const char *name, const TTest *t)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t, 0, XT_NMODES * vt_nbackends());
    suite_add_tcase(s, tc);
}

int main(void)
{
    Suite *s = suite_create("vm-wire");
    vt_tcase_each_backend(s, "anon", test_wire_anon);
    vt_tcase_each_backend(s, "refusals", test_wire_refusals);
    if (!UVMSIM_NO_IMAGES) {       /* built without images: the file cases cannot run */
        tcase_each_mode_backend(s, "file-maxprot", test_wire_file_maxprot);
        tcase_each_mode_backend(s, "shared", test_wire_shared);
    }
    vt_tcase_each_backend(s, "fork", test_wire_fork);
    vt_tcase_each_backend(s, "enomem", test_wire_enomem);
    vt_tcase_each_backend(s, "checked", test_wire_checked);
    return vt_run(s);
}
