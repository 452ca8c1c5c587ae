/* Check suite for the VM core: src/vm/uvm_fault.c, uvm_map.c, uvm_amap.c, uvm_proc.c,
 * uvm_access.c, uvm_check.c.  Each test runs once per pmap backend: fault outcomes,
 * bytes and COW behaviour must not depend on the backend. */
#include <stdlib.h>
#include <string.h>
#include "vmtest.h"

#define PG 4096u
static const char *backend(int i) { return vt_backends()[i]; }

static uint64_t ram_used(uvmsim_machine *m)
{
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    return rs.used_pages;
}

/* The COW-after-fork story of examples/cow-fork, asserted. */
START_TEST(test_cow_fork)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uint64_t used0 = ram_used(m);
    uvmsim_proc *par, *chi;
    uvmsim_fault_outcome o;
    unsigned nf;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &par), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(par, 0, PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    ck_assert_int_eq(vt_store(par, va, 'P', &o, &nf), UVMSIM_OK);
    ck_assert_uint_eq(nf, 1);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ZERO_FILL);
    ck_assert_int_eq(o.loc, UVMSIM_LOC_RAM);
    ck_assert(o.prot_entered & UVMSIM_PROT_WRITE);
    uvmsim_paddr_t parent_pa = o.pa;
    VT_CHECK(m);

    ck_assert_int_eq(uvmsim_proc_fork(par, &chi), UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_entry_info ei;
    ck_assert_int_eq(uvmsim_map_lookup(par, va, &ei), UVMSIM_OK);
    ck_assert(ei.needs_copy);
    ck_assert_uint_eq(ei.amap_refs, 2);

    ck_assert_int_eq(vt_store(chi, va, 'C', &o, &nf), UVMSIM_OK);
    ck_assert_uint_eq(nf, 1);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_UPPER_PROMOTE);
    ck_assert_uint_eq(o.bytes_copied, PG);
    ck_assert(o.amap_copied);
    ck_assert_uint_ne(o.pa, parent_pa);
    ck_assert_uint_eq(o.anon_refs, 1);
    VT_CHECK(m);

    ck_assert_int_eq(vt_load(par, va, &v, &o, &nf), UVMSIM_OK);
    ck_assert_int_eq(v, 'P');
    ck_assert_int_eq(vt_load(chi, va, &v, &o, &nf), UVMSIM_OK);
    ck_assert_int_eq(v, 'C');

    ck_assert_int_eq(vt_store(par, va, 'Q', &o, &nf), UVMSIM_OK);
    ck_assert_uint_eq(nf, 1);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_UPPER_DIRECT);
    ck_assert_uint_eq(o.pa, parent_pa);
    ck_assert_uint_eq(o.bytes_copied, 0);
    ck_assert_int_eq(vt_load(chi, va, &v, &o, &nf), UVMSIM_OK);
    ck_assert_int_eq(v, 'C');

    uvmsim_vm_stats st;
    uvmsim_vm_stats_get(m, &st);
    ck_assert_uint_eq(st.faults[UVMSIM_FAULT_UPPER_PROMOTE], 1);
    VT_CHECK(m);
    uvmsim_proc_exit(chi);
    VT_CHECK(m);
    uvmsim_proc_exit(par);
    VT_CHECK(m);
    ck_assert_uint_eq(ram_used(m), used0);
    uvmsim_machine_destroy(m);
}
END_TEST

/* MAP_ANON|MAP_SHARED as NetBSD's uvm_mmap maps it (UVM_FLAG_OVERLAY): a shared amap and
 * no object.  The first touch is a zero-fill (a promotion with no object below); after
 * fork the child shares the amap, so its accesses are upper-direct on the very same anon
 * (one reference: writable, no copy), and each side sees the other's stores. */
START_TEST(test_shared_anon_fork)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *par, *chi;
    uvmsim_fault_outcome o;
    uvmsim_entry_info ei;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &par), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(par, 0, 2 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, true);
    ck_assert_int_eq(uvmsim_map_lookup(par, va, &ei), UVMSIM_OK);
    ck_assert(ei.has_amap && !ei.has_object && ei.shared && !ei.copy_on_write && !ei.needs_copy);
    ck_assert_uint_eq(ei.amap_refs, 1);
    ck_assert_int_eq(vt_store(par, va, 'A', &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ZERO_FILL);
    ck_assert_uint_eq(o.bytes_copied, 0);
    ck_assert(o.prot_entered & UVMSIM_PROT_WRITE);
    uvmsim_paddr_t pa = o.pa;
    ck_assert_int_eq(uvmsim_proc_fork(par, &chi), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_map_lookup(chi, va, &ei), UVMSIM_OK);
    ck_assert(ei.has_amap && !ei.has_object && !ei.needs_copy);
    ck_assert_uint_eq(ei.amap_refs, 2);
    ck_assert_int_eq(vt_store(chi, va, 'B', &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_UPPER_DIRECT);
    ck_assert_uint_eq(o.pa, pa);                 /* the same anon, no copy */
    ck_assert_uint_eq(o.anon_refs, 1);
    ck_assert_uint_eq(o.amap_refs, 2);
    ck_assert_uint_eq(o.bytes_copied, 0);
    ck_assert(o.prot_entered & UVMSIM_PROT_WRITE);
    ck_assert_int_eq(vt_load(par, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'B');
    /* a page first touched after fork: a zero-fill in the shared amap, seen by both */
    ck_assert_int_eq(vt_store(par, va + PG, 'x', &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ZERO_FILL);
    ck_assert_int_eq(vt_load(chi, va + PG, &v, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'x');
    ck_assert_uint_eq(uvmsim_pmap_pv_count(m, pa), 2);
    uvmsim_vm_stats st;
    uvmsim_vm_stats_get(m, &st);
    ck_assert_uint_eq(st.faults[UVMSIM_FAULT_UPPER_PROMOTE] + st.faults[UVMSIM_FAULT_LOWER_DIRECT], 0);
    ck_assert_uint_eq(st.objects_live, 0);
    VT_CHECK(m);
    uvmsim_proc_exit(par);
    ck_assert_int_eq(vt_load(chi, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'B');
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* A private mapping inherited SHARE: parent and child see each other's writes; a third
 * process forked with COPY from it gets a snapshot. */
START_TEST(test_inherit_share_then_copy)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *a, *b, *c;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &a), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(a, 0, PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    ck_assert_int_eq(vt_store(a, va, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_inherit_set(a, va, PG, UVMSIM_INHERIT_SHARE), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(a, &b), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert_int_eq(vt_store(b, va, 2, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_load(a, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(uvmsim_inherit_set(b, va, PG, UVMSIM_INHERIT_COPY), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(b, &c), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert_int_eq(vt_store(a, va, 3, NULL, NULL), UVMSIM_OK);   /* a and b share */
    VT_CHECK(m);
    ck_assert_int_eq(vt_load(b, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(vt_load(c, va, &v, NULL, NULL), UVMSIM_OK);  /* c has the snapshot */
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(vt_store(c, va, 4, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_load(a, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 3);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_inherit_none)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *a, *b;
    ck_assert_int_eq(uvmsim_proc_create(m, &a), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(a, 0, PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    ck_assert_int_eq(vt_store(a, va, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_inherit_set(a, va, PG, UVMSIM_INHERIT_NONE), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(a, &b), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_map_nentries(b), 0);
    uvmsim_fault_outcome o;
    uint8_t v;
    ck_assert_int_eq(vt_load(b, va, &v, &o, NULL), UVMSIM_EFAULT);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ERROR);
    ck_assert_int_eq(o.error, UVMSIM_EFAULT);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_protect_down_store)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    uvmsim_fault_outcome o;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0, PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    ck_assert_int_eq(vt_store(p, va, 7, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_protect(p, va, PG, UVMSIM_PROT_READ), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert_int_eq(vt_store(p, va, 8, &o, NULL), UVMSIM_EACCES);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ERROR);
    ck_assert_int_eq(o.error, UVMSIM_EACCES);
    ck_assert_uint_eq(o.pages_allocated, 0);
    ck_assert_int_eq(vt_load(p, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 7);
    /* fetch needs exec */
    ck_assert_int_eq(uvmsim_access_mem(p, va, UVMSIM_ACCESS_FETCH, &v, 1, NULL, &o), UVMSIM_EACCES);
    /* protect to none: even loads fail and nothing stays mapped */
    ck_assert_int_eq(uvmsim_protect(p, va, PG, UVMSIM_PROT_NONE), UVMSIM_OK);
    ck_assert_int_eq(vt_load(p, va, &v, &o, NULL), UVMSIM_EACCES);
    VT_CHECK(m);
    /* raise again within maxprot works; above maxprot is refused */
    ck_assert_int_eq(uvmsim_protect(p, va, PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE), UVMSIM_OK);
    ck_assert_int_eq(vt_store(p, va, 9, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_load(p, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 9);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.size = PG;
    a.prot = UVMSIM_PROT_READ;
    a.maxprot = UVMSIM_PROT_READ;
    uvmsim_vaddr_t va2;
    ck_assert_int_eq(uvmsim_map(p, &a, &va2), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_protect(p, va2, PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE), UVMSIM_EACCES);
    /* nothing mapped there: no error (uvm_map_protect has no hole check) */
    ck_assert_int_eq(uvmsim_protect(p, va2 + 16 * PG, PG, UVMSIM_PROT_READ), UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* protect over a hole: NetBSD's uvm_map_protect changes the mapped parts on both sides
 * of the hole and returns 0 (Linux would stop at the hole with ENOMEM); a right beyond
 * one entry's maxprot refuses the whole call before anything changes. */
START_TEST(test_protect_hole)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    uvmsim_entry_info ei;
    uint8_t v = 5;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    const uvmsim_vaddr_t base = 0x10000000;
    vt_map_anon(p, base, 2 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);            /* pages 0-1 */
    vt_map_anon(p, base + 3 * PG, 2 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);   /* pages 3-4 */
    for (unsigned i = 0; i < 5; i++)
        if (i != 2)
            ck_assert_int_eq(vt_store(p, base + i * PG, v, NULL, NULL), UVMSIM_OK);
    /* [page 1, page 4): the end of the first entry, the hole, the start of the second */
    ck_assert_int_eq(uvmsim_protect(p, base + PG, 3 * PG, UVMSIM_PROT_READ), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert_uint_eq(uvmsim_map_nentries(p), 4);                /* both entries clipped */
    ck_assert_int_eq(uvmsim_map_lookup(p, base, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.prot, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE);
    ck_assert_int_eq(uvmsim_map_lookup(p, base + PG, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.prot, UVMSIM_PROT_READ);
    ck_assert_int_eq(uvmsim_map_lookup(p, base + 2 * PG, &ei), UVMSIM_EFAULT);   /* the hole stays a hole */
    ck_assert_int_eq(uvmsim_map_lookup(p, base + 3 * PG, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.prot, UVMSIM_PROT_READ);
    ck_assert_int_eq(uvmsim_map_lookup(p, base + 4 * PG, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.prot, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE);
    ck_assert_int_eq(vt_store(p, base + PG, v, NULL, NULL), UVMSIM_EACCES);       /* lowered at once */
    ck_assert_int_eq(vt_store(p, base + 3 * PG, v, NULL, NULL), UVMSIM_EACCES);
    ck_assert_int_eq(vt_store(p, base, v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_store(p, base + 4 * PG, v, NULL, NULL), UVMSIM_OK);
    /* a range that is all hole: nothing to do, no error */
    ck_assert_int_eq(uvmsim_protect(p, base + 2 * PG, PG, UVMSIM_PROT_NONE), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_protect(p, 0x70000000, 16 * PG, UVMSIM_PROT_READ), UVMSIM_OK);
    /* one entry in the range lacks the right in its maxprot: nothing changes anywhere */
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = base + 2 * PG;
    a.size = PG;
    a.prot = UVMSIM_PROT_READ;
    a.maxprot = UVMSIM_PROT_READ;
    a.flags = UVMSIM_MAP_FIXED;
    ck_assert_int_eq(uvmsim_map(p, &a, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_protect(p, base, 5 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE), UVMSIM_EACCES);
    ck_assert_int_eq(uvmsim_map_lookup(p, base + PG, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.prot, UVMSIM_PROT_READ);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_unmap_middle_splits)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0, 6 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    for (unsigned i = 0; i < 6; i++)
        ck_assert_int_eq(vt_store(p, va + i * PG, (uint8_t)(10 + i), NULL, NULL), UVMSIM_OK);
    uvmsim_ram_stats r0, r1;
    uvmsim_ram_stats_get(m, &r0);
    ck_assert_int_eq(uvmsim_unmap(p, va + 2 * PG, 2 * PG), UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_ram_stats_get(m, &r1);
    ck_assert_uint_eq(r0.anon_pages - r1.anon_pages, 2);
    ck_assert_uint_eq(uvmsim_map_nentries(p), 2);
    uvmsim_entry_info e0, e1;
    ck_assert_int_eq(uvmsim_map_entry(p, 0, &e0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_map_entry(p, 1, &e1), UVMSIM_OK);
    ck_assert_uint_eq(e0.end, va + 2 * PG);
    ck_assert_uint_eq(e1.start, va + 4 * PG);
    ck_assert_uint_eq(e1.amap_slot, 4);
    ck_assert_uint_eq(e0.amap_refs, 2);   /* both halves share the amap */
    for (unsigned i = 0; i < 6; i++) {
        int err = vt_load(p, va + i * PG, &v, NULL, NULL);
        if (i == 2 || i == 3) {
            ck_assert_int_eq(err, UVMSIM_EFAULT);
        } else {
            ck_assert_int_eq(err, UVMSIM_OK);
            ck_assert_int_eq(v, 10 + i);
        }
    }
    /* unmapping the rest frees everything */
    ck_assert_int_eq(uvmsim_unmap(p, va, 6 * PG), UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_ram_stats_get(m, &r1);
    ck_assert_uint_eq(r1.anon_pages, 0);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Fault-ahead: a child sharing a shared anonymous amap maps the resident neighbour anons
 * by advice (the upper look-up's window). */
static unsigned neighbours_for(const char *be, uvmsim_advice adv, unsigned page)
{
    uvmsim_machine *m = vt_machine(0, be);
    uvmsim_proc *a, *b;
    uvmsim_fault_outcome o;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &a), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(a, 0, 16 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, true);
    for (unsigned i = 0; i < 16; i++)
        ck_assert_int_eq(vt_store(a, va + i * PG, (uint8_t)i, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(a, &b), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_advise(b, va, 16 * PG, adv), UVMSIM_OK);
    ck_assert_int_eq(vt_load(b, va + page * PG, &v, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, page);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_UPPER_DIRECT);
    VT_CHECK(m);
    /* every neighbour really is mapped: with fault-ahead now off, only the pages not
     * mapped yet fault */
    ck_assert_int_eq(uvmsim_advise(b, va, 16 * PG, UVMSIM_ADV_RANDOM), UVMSIM_OK);
    unsigned nf, total = 0;
    for (unsigned i = 0; i < 16; i++) {
        ck_assert_int_eq(vt_load(b, va + i * PG, &v, NULL, &nf), UVMSIM_OK);
        ck_assert_int_eq(v, i);
        total += nf;
    }
    ck_assert_uint_eq(total, 15 - o.neighbours_mapped);
    uvmsim_machine_destroy(m);
    return o.neighbours_mapped;
}

START_TEST(test_fault_ahead)
{
    ck_assert_uint_eq(neighbours_for(backend(_i), UVMSIM_ADV_NORMAL, 8), 7);
    ck_assert_uint_eq(neighbours_for(backend(_i), UVMSIM_ADV_NORMAL, 1), 5);   /* 1 behind + 4 ahead */
    ck_assert_uint_eq(neighbours_for(backend(_i), UVMSIM_ADV_NORMAL, 15), 3);  /* 3 behind only */
    ck_assert_uint_eq(neighbours_for(backend(_i), UVMSIM_ADV_RANDOM, 8), 0);
    ck_assert_uint_eq(neighbours_for(backend(_i), UVMSIM_ADV_SEQUENTIAL, 8), 7);
    ck_assert_uint_eq(neighbours_for(backend(_i), UVMSIM_ADV_SEQUENTIAL, 12), 3);
}
END_TEST

/* Upper fault-ahead: after fork the child's read of a private page maps the parent's
 * resident anons around it read-only. */
START_TEST(test_fault_ahead_upper_readonly)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *a, *b;
    uvmsim_fault_outcome o;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &a), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(a, 0, 16 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    for (unsigned i = 0; i < 16; i++)
        ck_assert_int_eq(vt_store(a, va + i * PG, (uint8_t)i, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(a, &b), UVMSIM_OK);
    ck_assert_int_eq(vt_load(b, va + 8 * PG, &v, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_UPPER_DIRECT);
    ck_assert_uint_eq(o.neighbours_mapped, 7);
    ck_assert(!(o.prot_entered & UVMSIM_PROT_WRITE));
    VT_CHECK(m);
    unsigned nf;
    ck_assert_int_eq(vt_store(b, va + 9 * PG, 99, &o, &nf), UVMSIM_OK);
    ck_assert_uint_eq(nf, 1);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_UPPER_PROMOTE);
    ck_assert_int_eq(vt_load(a, va + 9 * PG, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 9);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* A 4-entry fully associative TLB under loops over 5 pages. */
static uint64_t tlb_misses_for(const char *be, uvmsim_tlb_repl repl, const unsigned *pattern, unsigned n)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.pmap = be;
    c.tlb.entries = 4;
    c.tlb.ways = 0;
    c.tlb.repl = repl;
    c.tlb.split = false;
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.size = 5 * PG;
    a.advice = UVMSIM_ADV_RANDOM;
    uvmsim_vaddr_t va;
    ck_assert_int_eq(uvmsim_map(p, &a, &va), UVMSIM_OK);
    uint8_t v = 0;
    for (unsigned i = 0; i < 5; i++)   /* warm-up: TLB ends holding pages 1..4 */
        ck_assert_int_eq(vt_store(p, va + i * PG, 1, NULL, NULL), UVMSIM_OK);
    uvmsim_pmap_stats s0, s1;
    uvmsim_pmap_stats_get(m, &s0);
    unsigned nf, faults = 0;
    for (unsigned i = 0; i < n; i++) {
        ck_assert_int_eq(vt_load(p, va + pattern[i] * PG, &v, NULL, &nf), UVMSIM_OK);
        faults += nf;
    }
    ck_assert_uint_eq(faults, 0);
    uvmsim_pmap_stats_get(m, &s1);
    uint64_t misses = (s1.dtlb.misses + s1.itlb.misses) - (s0.dtlb.misses + s0.itlb.misses);
    uvmsim_machine_destroy(m);
    return misses;
}

START_TEST(test_tlb_loop_lru_fifo)
{
    if (strcmp(backend(_i), "generic") != 0)
        return;   /* ARM backends have their own TLB shapes; see tests/pmap_sim */
    static const unsigned loop[15] = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4};
    /* cyclic reuse distance 5 > 4 entries: both policies miss every time */
    ck_assert_uint_eq(tlb_misses_for(backend(_i), UVMSIM_TLB_LRU, loop, 15), 15);
    ck_assert_uint_eq(tlb_misses_for(backend(_i), UVMSIM_TLB_FIFO, loop, 15), 15);
    /* A B C D A E A from TLB {B C D E}: LRU keeps the hot A, FIFO evicts it */
    static const unsigned hot[7] = {0, 1, 2, 3, 0, 4, 0};
    ck_assert_uint_eq(tlb_misses_for(backend(_i), UVMSIM_TLB_LRU, hot, 7), 5);
    ck_assert_uint_eq(tlb_misses_for(backend(_i), UVMSIM_TLB_FIFO, hot, 7), 6);
}
END_TEST

START_TEST(test_cross_page_access)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0, 3 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    uint8_t buf[2 * PG + 40], back[sizeof(buf)];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    unsigned nf;
    ck_assert_int_eq(uvmsim_access_mem(p, va + PG - 50, UVMSIM_ACCESS_STORE, buf, sizeof(buf), &nf, NULL), UVMSIM_OK);
    ck_assert_uint_eq(nf, 3);
    ck_assert_int_eq(uvmsim_access_mem(p, va + PG - 50, UVMSIM_ACCESS_LOAD, back, sizeof(back), &nf, NULL), UVMSIM_OK);
    ck_assert_uint_eq(nf, 0);
    ck_assert_mem_eq(buf, back, sizeof(buf));
    /* the bytes are in simulated RAM: read them physically */
    uvmsim_fault_outcome o;
    uint8_t first;
    ck_assert_int_eq(uvmsim_fault(p, va + PG, UVMSIM_ACCESS_LOAD, &o), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_read(m, o.pa, &first, 1), UVMSIM_OK);
    ck_assert_int_eq(first, buf[50]);
    /* an access running past the mapping fails at the unmapped page */
    ck_assert_int_eq(uvmsim_access_mem(p, va + 3 * PG - 10, UVMSIM_ACCESS_LOAD, back, 20, &nf, &o), UVMSIM_EFAULT);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_map_errors)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_map_args a;
    uvmsim_vaddr_t va;
    uvmsim_map_args_init(&a);
    ck_assert_int_eq(uvmsim_map(p, &a, &va), UVMSIM_EINVAL);          /* size 0 */
    a.size = 100;
    ck_assert_int_eq(uvmsim_map(p, &a, &va), UVMSIM_EALIGN);
    a.size = PG;
    a.addr = 0x10000123;
    a.flags = UVMSIM_MAP_FIXED;
    ck_assert_int_eq(uvmsim_map(p, &a, &va), UVMSIM_EALIGN);
    a.addr = 0x20000000;
    ck_assert_int_eq(uvmsim_map(p, &a, &va), UVMSIM_OK);
    ck_assert_uint_eq(va, 0x20000000);
    ck_assert_int_eq(uvmsim_map(p, &a, &va), UVMSIM_EOVERLAP);
    a.addr = 0;
    ck_assert_int_eq(uvmsim_map(p, &a, &va), UVMSIM_ERANGE);          /* page 0 */
    a.addr = 0x30000000;
    a.prot = UVMSIM_PROT_ALL;
    a.maxprot = UVMSIM_PROT_READ;
    ck_assert_int_eq(uvmsim_map(p, &a, &va), UVMSIM_EACCES);
    a.maxprot = 0;
    a.prot = 0x10;
    ck_assert_int_eq(uvmsim_map(p, &a, &va), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_map(NULL, &a, &va), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_unmap(p, 0x20000000, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_unmap(p, 0x20000001, PG), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_advise(p, 0x20000000, PG, (uvmsim_advice)7), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_inherit_set(p, 0x20000000, PG, (uvmsim_inherit)7), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_fault(p, 0x50000000, UVMSIM_ACCESS_LOAD, NULL), UVMSIM_EFAULT);
    ck_assert_int_eq(uvmsim_fault(NULL, 0x50000000, UVMSIM_ACCESS_LOAD, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_proc_fork(NULL, NULL), UVMSIM_EINVAL);
    ck_assert_str_eq(uvmsim_fault_class_name(UVMSIM_FAULT_LOWER_PROMOTE), "lower-promote");
    ck_assert_int_eq(uvmsim_fault_class_parse("zero-fill"), UVMSIM_FAULT_ZERO_FILL);
    ck_assert_int_eq(uvmsim_fault_class_parse("bogus"), -1);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Out of RAM: a clear ENOMEM, nothing half-mapped, the checker still happy. */
START_TEST(test_out_of_ram)
{
    uvmsim_machine *m = vt_machine(64 * PG, backend(_i));
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0, 128 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    uvmsim_fault_outcome o;
    unsigned i;
    int err = UVMSIM_OK;
    for (i = 0; i < 128; i++) {
        err = vt_store(p, va + i * PG, (uint8_t)i, &o, NULL);
        if (err)
            break;
    }
    ck_assert_int_eq(err, UVMSIM_ENOMEM);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ERROR);
    ck_assert_int_eq(o.error, UVMSIM_ENOMEM);
    ck_assert_uint_gt(i, 32);
    VT_CHECK(m);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.free_pages, 0);
    ck_assert_uint_gt(rs.alloc_failures, 0);
    /* what was stored before is intact */
    for (unsigned j = 0; j < i; j++) {
        uint8_t v;
        ck_assert_int_eq(vt_load(p, va + j * PG, &v, NULL, NULL), UVMSIM_OK);
        ck_assert_int_eq(v, (uint8_t)j);
    }
    /* freeing memory makes the next fault succeed */
    ck_assert_int_eq(uvmsim_unmap(p, va, 8 * PG), UVMSIM_OK);
    ck_assert_int_eq(vt_store(p, va + i * PG, 1, &o, NULL), UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_proc_exit(p);
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.used_pages, 1);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Two machines in one process do not see each other. */
START_TEST(test_two_machines)
{
    uvmsim_machine *m1 = vt_machine(0, backend(_i)), *m2 = vt_machine(0, backend(_i));
    uvmsim_proc *p1, *p2;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m1, &p1), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_create(m2, &p2), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_pid(p1), uvmsim_proc_pid(p2));
    uvmsim_vaddr_t v1 = vt_map_anon(p1, 0x40000000, PG, 3, false);
    uvmsim_vaddr_t v2 = vt_map_anon(p2, 0x40000000, PG, 3, false);
    ck_assert_int_eq(vt_store(p1, v1, 11, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_store(p2, v2, 22, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_load(p1, v1, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 11);
    VT_CHECK(m1);
    VT_CHECK(m2);
    uvmsim_machine_destroy(m1);
    ck_assert_int_eq(vt_load(p2, v2, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 22);
    uvmsim_machine_destroy(m2);
}
END_TEST

/* The trace narrates each step with NetBSD's step names. */
struct steps { char seen[16][24]; int n; int faults; };
static void on_event(const uvmsim_event *ev, void *arg)
{
    struct steps *s = arg;
    if (ev->type == UVMSIM_EV_FAULT)
        s->faults++;
    if (ev->type == UVMSIM_EV_FAULT_STEP && s->n < 16) {
        ck_assert_ptr_nonnull(ev->text);
        strncpy(s->seen[s->n], ev->step, 23);
        s->n++;
    }
}

START_TEST(test_trace_steps)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    struct steps s = {0};
    uvmsim_trace_set(m, on_event, &s);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0, PG, 3, false);
    ck_assert_int_eq(vt_store(p, va, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(s.faults, 1);
    const char *want[] = {"check", "check", "upper-lookup", "lower", "enter"};
    ck_assert_int_eq(s.n, 5);
    for (int i = 0; i < 5; i++)
        ck_assert_str_eq(s.seen[i], want[i]);
    uvmsim_trace_set(m, NULL, NULL);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vm-fault");
    vt_tcase_each_backend(s, "cow-fork", test_cow_fork);
    vt_tcase_each_backend(s, "shared-anon-fork", test_shared_anon_fork);
    vt_tcase_each_backend(s, "inherit-share-copy", test_inherit_share_then_copy);
    vt_tcase_each_backend(s, "inherit-none", test_inherit_none);
    vt_tcase_each_backend(s, "protect-down", test_protect_down_store);
    vt_tcase_each_backend(s, "protect-hole", test_protect_hole);
    vt_tcase_each_backend(s, "unmap-split", test_unmap_middle_splits);
    vt_tcase_each_backend(s, "fault-ahead", test_fault_ahead);
    vt_tcase_each_backend(s, "fault-ahead-upper", test_fault_ahead_upper_readonly);
    vt_tcase_each_backend(s, "tlb-loop", test_tlb_loop_lru_fifo);
    vt_tcase_each_backend(s, "cross-page", test_cross_page_access);
    vt_tcase_each_backend(s, "map-errors", test_map_errors);
    vt_tcase_each_backend(s, "out-of-ram", test_out_of_ram);
    vt_tcase_each_backend(s, "two-machines", test_two_machines);
    vt_tcase_each_backend(s, "trace-steps", test_trace_steps);
    return vt_run(s);
}
