/* Check suite for src/vm/uvm_phys.c (smoke; extended by the foundation work). */
#include <check.h>
#include <stdlib.h>
#include "uvmsim/machine.h"

START_TEST(test_create_default)
{
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(NULL, &m), UVMSIM_OK);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.total_pages, 4096);
    ck_assert_uint_eq(rs.used_pages, 1); /* the zero page */
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("phys");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_create_default);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
