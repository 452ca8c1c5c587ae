/* Check suite from a correctness review of the VM core (src/vm/uvm_fault.c, uvm_amap.c,
 * uvm_map.c, uvm_proc.c): one test per bug found, each a scenario the invariant checker
 * and the random model did not reach.  Each test runs once per pmap backend. */
#include <stdlib.h>
#include <string.h>
#include "vmtest.h"

#define PG 4096u
#define RW (UVMSIM_PROT_READ | UVMSIM_PROT_WRITE)
static const char *backend(int i) { return vt_backends()[i]; }
static int nbackends(void) { int n = 0; while (vt_backends()[n]) n++; return n; }

/* A write that promotes an object page into an amap shared by inheritance must be seen
 * by every sharer, including one that already maps the object page (NetBSD's
 * uvm_fault_lower_promote removes the object page from all pmaps when the amap is
 * AMAP_SHARED).  Set-up without a file system: a shared anonymous mapping inherited
 * COPY gives the child a copy-on-write entry over the anonymous object; the child then
 * shares that entry with a grandchild. */
START_TEST(test_lower_promote_shared_amap)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p, *c, *g;
    uvmsim_fault_outcome o;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0, PG, RW, true);
    ck_assert_int_eq(vt_store(p, va, 'A', NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_inherit_set(p, va, PG, UVMSIM_INHERIT_COPY), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_inherit_set(c, va, PG, UVMSIM_INHERIT_SHARE), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(c, &g), UVMSIM_OK);
    VT_CHECK(m);
    /* the grandchild maps the object page (read-only: copy-on-write entry) */
    ck_assert_int_eq(vt_load(g, va, &v, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'A');
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
    /* the child's store promotes into the amap it shares with the grandchild */
    ck_assert_int_eq(vt_store(c, va, 'C', &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    VT_CHECK(m);
    ck_assert_int_eq(vt_load(g, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'C');
    ck_assert_int_eq(vt_load(p, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'A');                                    /* the parent's own page */
    ck_assert_int_eq(vt_store(g, va, 'G', NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_load(c, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'G');
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

static void tcase_each_backend(Suite *s, const char *name, const TTest *t)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t, 0, nbackends());
    suite_add_tcase(s, tc);
}

int main(void)
{
    Suite *s = suite_create("vm-review");
    tcase_each_backend(s, "lower-promote-shared-amap", test_lower_promote_shared_amap);
    return vt_run(s);
}
