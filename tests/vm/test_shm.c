/* Check suite: SysV shared memory segments (src/vm/uvm_shm.c on the anonymous object) on
 * every pmap backend — attach as sys_shmat does (shared, inherited SHARE, random advice,
 * maxprot == prot), uao_get's locked look-up allocating the pages of the fault window,
 * fork, removal while attached, read-only attach, bad arguments. */
#include <stdlib.h>
#include <string.h>
#include "vmtest.h"

#define PG 4096u
#define RW (UVMSIM_PROT_READ | UVMSIM_PROT_WRITE)
static const char *backend(int i) { return vt_backends()[i]; }

START_TEST(test_shm_attach_fork)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p, *c, *q;
    uvmsim_shmseg *seg;
    uvmsim_fault_outcome o;
    uvmsim_entry_info ei;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_create(m, &q), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_shm_create(m, 3 * PG + 1, &seg), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_shm_size(seg), 4 * PG);             /* whole pages */
    uvmsim_vaddr_t va, vq;
    ck_assert_int_eq(uvmsim_shm_attach(p, seg, 0x30000000, false, &va), UVMSIM_OK);
    ck_assert_uint_eq(va, 0x30000000);
    ck_assert_int_eq(uvmsim_map_lookup(p, va, &ei), UVMSIM_OK);
    ck_assert(ei.shared && ei.has_object && !ei.has_amap && !ei.copy_on_write);
    ck_assert_str_eq(ei.object_kind, "anon");
    ck_assert_uint_eq(ei.inherit, UVMSIM_INHERIT_SHARE);
    ck_assert_uint_eq(ei.advice, UVMSIM_ADV_RANDOM);
    ck_assert_uint_eq(ei.prot, RW);
    ck_assert_uint_eq(ei.maxprot, RW);
    /* first touch: the anonymous object's pager makes a zeroed page (no I/O) */
    ck_assert_int_eq(vt_load(p, va + PG, &v, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
    ck_assert_uint_eq(v, 0);
    ck_assert_uint_eq(o.io_requests, 0);
    ck_assert(o.prot_entered & UVMSIM_PROT_WRITE);               /* shared: writable */
    ck_assert_int_eq(vt_store(p, va + PG, 'p', NULL, NULL), UVMSIM_OK);
    /* a second process attaching anywhere sees it; so does a fork child (SHARE) */
    ck_assert_int_eq(uvmsim_shm_attach(q, seg, 0, false, &vq), UVMSIM_OK);
    ck_assert_int_eq(vt_load(q, vq + PG, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 'p');
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    ck_assert_int_eq(vt_store(c, va + PG, 'c', &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
    ck_assert_int_eq(vt_load(q, vq + PG, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 'c');
    VT_CHECK(m);
    /* removed while attached: the memory stays until the last detach */
    ck_assert_int_eq(uvmsim_shm_remove(seg), UVMSIM_OK);
    uvmsim_vm_stats st;
    uvmsim_vm_stats_get(m, &st);
    ck_assert_uint_eq(st.objects_live, 1);
    ck_assert_int_eq(uvmsim_unmap(p, va, 4 * PG), UVMSIM_OK);
    uvmsim_proc_exit(c);
    ck_assert_int_eq(vt_load(q, vq + PG, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 'c');
    VT_CHECK(m);
    ck_assert_int_eq(uvmsim_unmap(q, vq, 4 * PG), UVMSIM_OK);
    uvmsim_vm_stats_get(m, &st);
    ck_assert_uint_eq(st.objects_live, 0);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.object_pages, 0);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* uao_get with PGO_LOCKED allocates the pages of the fault window that are not resident
 * (no swap: they were never written), so with normal advice one fault brings in and maps
 * the whole window; with the random advice of shmat, only the faulting page. */
START_TEST(test_shm_window)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    uvmsim_shmseg *seg;
    uvmsim_fault_outcome o;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_shm_create(m, 16 * PG, &seg), UVMSIM_OK);
    uvmsim_vaddr_t va;
    ck_assert_int_eq(uvmsim_shm_attach(p, seg, 0, false, &va), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_shm_remove(seg), UVMSIM_OK);
    uvmsim_ram_stats r0, r1;
    uvmsim_ram_stats_get(m, &r0);
    ck_assert_int_eq(vt_load(p, va + 8 * PG, &v, &o, NULL), UVMSIM_OK);
    uvmsim_ram_stats_get(m, &r1);
    ck_assert_uint_eq(o.neighbours_mapped, 0);
    ck_assert_uint_eq(r1.object_pages - r0.object_pages, 1);
    ck_assert_int_eq(uvmsim_advise(p, va, 16 * PG, UVMSIM_ADV_NORMAL), UVMSIM_OK);
    uvmsim_vm_stats s0, s1;
    uvmsim_vm_stats_get(m, &s0);
    ck_assert_int_eq(vt_load(p, va + 4 * PG, &v, &o, NULL), UVMSIM_OK);
    uvmsim_vm_stats_get(m, &s1);
    uvmsim_ram_stats_get(m, &r0);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
    /* window pages 1..8 (3 behind, 4 ahead): 7 pages allocated, page 8 was resident */
    ck_assert_uint_eq(r0.object_pages - r1.object_pages, 7);
    ck_assert_uint_eq(o.neighbours_mapped, 6);                    /* page 8 was mapped already */
    ck_assert_uint_eq(s1.pager_gets - s0.pager_gets, 0);        /* the locked look-up found it */
    ck_assert_uint_eq(s1.pager_lgets - s0.pager_lgets, 8);
    for (unsigned i = 1; i <= 8; i++) {
        unsigned nf = 9;
        ck_assert_int_eq(vt_store(p, va + i * PG, (uint8_t)i, NULL, &nf), UVMSIM_OK);
        ck_assert_uint_eq(nf, 0);                                 /* mapped writable already */
    }
    VT_CHECK(m);
    uvmsim_machine_destroy(m);                                    /* frees the segment too */
}
END_TEST

/* Read-only attach: maxprot is read, so neither a store nor a protect can add write;
 * misuse is refused. */
START_TEST(test_shm_rdonly_errors)
{
    uvmsim_machine *m = vt_machine(0, backend(_i)), *m2 = vt_machine(0, backend(_i));
    uvmsim_proc *p, *p2;
    uvmsim_shmseg *seg, *dummy;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_create(m2, &p2), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_shm_create(m, PG, &seg), UVMSIM_OK);
    uvmsim_vaddr_t va;
    ck_assert_int_eq(uvmsim_shm_attach(p, seg, 0, true, &va), UVMSIM_OK);
    ck_assert_int_eq(vt_load(p, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_store(p, va, 1, NULL, NULL), UVMSIM_EACCES);
    ck_assert_int_eq(uvmsim_protect(p, va, PG, RW), UVMSIM_EACCES);
    ck_assert_int_eq(uvmsim_shm_attach(p, seg, va, false, NULL), UVMSIM_EOVERLAP);
    ck_assert_int_eq(uvmsim_shm_attach(p, seg, va + 1, false, NULL), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_shm_attach(p2, seg, 0, false, NULL), UVMSIM_EINVAL);   /* another machine */
    ck_assert_int_eq(uvmsim_shm_attach(NULL, seg, 0, false, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_shm_create(m, 0, &dummy), UVMSIM_EINVAL);
    ck_assert_ptr_null(dummy);
    ck_assert_int_eq(uvmsim_shm_create(NULL, PG, &dummy), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_shm_create(m, 1ull << 62, &dummy), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_shm_remove(NULL), UVMSIM_EINVAL);
    ck_assert_uint_eq(uvmsim_shm_size(NULL), 0);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);                                    /* the segment was not removed */
    uvmsim_machine_destroy(m2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vm-shm");
    vt_tcase_each_backend(s, "attach-fork", test_shm_attach_fork);
    vt_tcase_each_backend(s, "window", test_shm_window);
    vt_tcase_each_backend(s, "rdonly-errors", test_shm_rdonly_errors);
    return vt_run(s);
}
