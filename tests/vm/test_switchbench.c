/* Check suite for src/vm/uvm_switchbench.c, the workload behind
 * examples/fass-switch: the expected shape of the sweep (armv5 flushes once per switch,
 * fass about never while the processes fit in the 15 user domains and do not collide,
 * and pays for domain recycling past 15), the layouts, the policies and the argument
 * errors. */
#include <stdlib.h>
#include "vmtest.h"
#include "uvmsim/switchbench.h"

/* Fewer slices under Valgrind: the shape is the same. */
static unsigned nswitches(void) { return getenv("UVMSIM_MEMCHECK") ? 200 : 1000; }

static uvmsim_switchbench_result run(const char *be, unsigned procs, bool different, bool high)
{
    uvmsim_switchbench_config c;
    uvmsim_switchbench_config_init(&c);
    c.backend = be;
    c.procs = procs;
    c.switches = nswitches();
    c.different = different;
    c.high = high;
    uvmsim_switchbench_result r;
    ck_assert_int_eq(uvmsim_switchbench_run(&c, &r), UVMSIM_OK);
    ck_assert_uint_eq(r.faults, 0);                   /* warm working sets */
    ck_assert_uint_eq(r.accesses, (uint64_t)c.switches * 14);
    return r;
}

static double per(uint64_t n, uint64_t d) { return d ? (double)n / (double)d : 0.0; }

START_TEST(test_shape)
{
    unsigned k = nswitches();
    /* armv5: exactly one TLB flush and one cache clean+flush per switch */
    for (unsigned n = 2; n <= 32; n *= 4) {
        uvmsim_switchbench_result a = run("armv5", n, true, false);
        ck_assert_uint_eq(a.switches, k);
        ck_assert(per(a.tlb_flushes, a.switches) == 1.0);
        ck_assert(per(a.cache_flushes, a.switches) == 1.0);
        ck_assert_uint_eq(a.cache_cleans, k);
        ck_assert_uint_eq(a.tlb_full_flushes, 2 * k);       /* the I and the D TLB */
        ck_assert_uint_eq(a.tlb_single_invalidations + a.tlb_domain_flushes, 0);
        ck_assert_uint_eq(a.cpd_loads + a.domain_recycles, 0);
    }
    /* fass, 8 disjoint programs: they fit in the domains, no collision, no flush */
    uvmsim_switchbench_result f8 = run("fass", 8, true, false);
    ck_assert_uint_eq(f8.switches, k);
    ck_assert(per(f8.tlb_flushes, f8.switches) < 0.05);
    ck_assert_uint_eq(f8.tlb_flushes, 0);
    ck_assert_uint_eq(f8.cpd_collisions + f8.domain_recycles + f8.cpd_loads, 0);
    /* fass, 32: every switch recycles a domain; a dirty one (full flush) once the clean
     * ones are used up, i.e. one in 15 */
    uvmsim_switchbench_result f32 = run("fass", 32, true, false);
    ck_assert_uint_gt(f32.tlb_flushes, 0);
    ck_assert_uint_eq(f32.domain_recycles, k);
    ck_assert(per(f32.tlb_flushes, f32.switches) < 0.1);
    ck_assert_uint_eq(f32.domain_recycles_dirty, f32.tlb_flushes);
    ck_assert_uint_eq(f32.tlb_full_flushes, 2 * f32.tlb_flushes);
    ck_assert_uint_eq(f32.cpd_loads, 2 * k);             /* text+data region and stack region */
    ck_assert_uint_eq(f32.cpd_collisions, 0);
    /* one process: nothing to switch */
    uvmsim_switchbench_result one = run("fass", 1, false, false);
    ck_assert_uint_eq(one.switches, 0);
    ck_assert_uint_eq(one.tlb_flushes, 0);
}
END_TEST

START_TEST(test_layouts)
{
    unsigned k = nswitches();
    /* the same program below 32 MiB: FCSE relocation keeps 8 copies apart */
    uvmsim_switchbench_result low = run("fass", 8, false, false);
    ck_assert_uint_eq(low.tlb_flushes + low.cpd_collisions, 0);
    ck_assert_uint_eq(low.pid_slot_shared, 0);
    /* the same program above 32 MiB: both regions collide on every switch */
    uvmsim_switchbench_result high = run("fass", 8, false, true);
    ck_assert_uint_eq(high.cpd_collisions, 2 * k);
    ck_assert_uint_eq(high.tlb_flushes, 2 * k);
    ck_assert_uint_gt(high.domain_faults, 0);
    ck_assert_uint_eq(high.tlb_full_flushes, 0);            /* region flushes only... */
    ck_assert_uint_ge(high.tlb_single_invalidations, 2 * k); /* ...entry by entry */
    /* 64 copies below 32 MiB share one of the 63 slots */
    uvmsim_switchbench_result all = run("fass", 64, false, false);
    ck_assert_uint_eq(all.pid_slot_shared, 1);
    ck_assert_uint_gt(all.cpd_collisions, 0);
    /* the generic backend never flushes on a switch */
    uvmsim_switchbench_result g = run("generic", 8, false, false);
    ck_assert_uint_eq(g.tlb_flushes + g.cache_flushes, 0);
}
END_TEST

START_TEST(test_policies_and_errors)
{
    uvmsim_switchbench_config c;
    uvmsim_switchbench_result r;
    uvmsim_switchbench_config_init(&c);
    ck_assert_str_eq(c.backend, "fass");
    ck_assert_uint_eq(c.procs, 8);
    ck_assert_uint_eq(c.switches, 1000);
    const char *const *dn = uvmsim_pmap_fass_policies("domain");
    c.procs = 20;
    c.switches = 100;
    c.pid_policy = "least-used";
    for (size_t i = 0; dn[i] != NULL; i++) {
        c.domain_policy = dn[i];
        ck_assert_int_eq(uvmsim_switchbench_run(&c, &r), UVMSIM_OK);
        ck_assert_uint_eq(r.domain_recycles, 100);
    }
    c.domain_policy = "nope";
    ck_assert_int_eq(uvmsim_switchbench_run(&c, &r), UVMSIM_EINVAL);
    c.domain_policy = "lru";
    c.backend = "armv5";                                  /* policies are fass-only */
    ck_assert_int_eq(uvmsim_switchbench_run(&c, &r), UVMSIM_EINVAL);
    uvmsim_switchbench_config_init(&c);
    c.backend = "nope";
    ck_assert_int_eq(uvmsim_switchbench_run(&c, &r), UVMSIM_EINVAL);
    c.backend = NULL;
    ck_assert_int_eq(uvmsim_switchbench_run(&c, &r), UVMSIM_EINVAL);
    uvmsim_switchbench_config_init(&c);
    c.procs = 0;
    ck_assert_int_eq(uvmsim_switchbench_run(&c, &r), UVMSIM_EINVAL);
    c.procs = UVMSIM_SWITCHBENCH_MAX_PROCS + 1;
    ck_assert_int_eq(uvmsim_switchbench_run(&c, &r), UVMSIM_EINVAL);
    c.procs = 2;
    c.switches = 0;
    ck_assert_int_eq(uvmsim_switchbench_run(&c, &r), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_switchbench_run(NULL, &r), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_switchbench_run(&c, NULL), UVMSIM_EINVAL);
    uvmsim_switchbench_config_init(NULL);                 /* harmless */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pmap-switchbench");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_shape);
    tcase_add_test(tc, test_layouts);
    tcase_add_test(tc, test_policies_and_errors);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
