/* Check suite for src/vm/uvm_check.c, the invariant checker: what it costs.  Found by
 * fuzzing (docs/fuzz.md): the checker looked up every page of every map entry, so one
 * large sparse mapping (a scenario line `map p ADDR pages=1G`) made each check take a
 * minute.  It now visits only the valid PTEs.  The test fails by Check's time limit
 * (10 seconds) when the cost follows the mapping's size again.  Each test runs once per
 * pmap backend. */
#include <stdio.h>
#include <string.h>
#include "vmtest.h"

#define RW (UVMSIM_PROT_READ | UVMSIM_PROT_WRITE)

START_TEST(test_check_sparse_mapping)
{
    uvmsim_machine *m = vt_machine(0, vt_backends()[_i]);
    size_t pg = uvmsim_page_size(m);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    /* one touched page, and beside it the largest mapping the backend's range allows
     * (2^31 - 1 pages where the MMU has the room), never touched */
    uvmsim_vaddr_t small = vt_map_anon(p, 0x10000000, pg, RW, false);
    ck_assert_int_eq(vt_store(p, small, 7, NULL, NULL), UVMSIM_OK);
    uint64_t npages = 0x7fffffffull;
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = 0x20000000;
    a.prot = RW;
    a.flags = UVMSIM_MAP_FIXED;
    int err;
    do {   /* halve until it fits the backend's address range */
        a.size = npages * pg;
        err = uvmsim_map(p, &a, NULL);
        npages /= 2;
    } while (err == UVMSIM_ERANGE && npages > 0);
    ck_assert_int_eq(err, UVMSIM_OK);
    VT_CHECK(m);
    VT_CHECK(m);
    /* and the checker still sees a PTE where it must */
    uint8_t v = 0;
    ck_assert_int_eq(vt_load(p, small, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 7);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("check");
    TCase *tc = tcase_create("sparse");
    tcase_set_timeout(tc, 10);   /* the unbounded cost took minutes; the bounded one milliseconds */
    tcase_add_loop_test(tc, test_check_sparse_mapping, 0, vt_nbackends());
    suite_add_tcase(s, tc);
    return vt_run(s);
}
