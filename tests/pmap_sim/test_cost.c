#define _POSIX_C_SOURCE 200809L   /* mkstemp */
/* Check suite for the cycle cost model (src/pmap_sim/pmap_cost.c, include/uvmsim/cost.h):
 * the SA-1100 defaults, setting by key, KEY=VALUE text and files with their errors, the
 * statistics delta, a price worked out by hand, and the register-write counters the
 * backends keep for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vmtest.h"
#include "uvmsim/cost.h"

START_TEST(test_defaults_and_keys)
{
    uvmsim_cost_model cm;
    uvmsim_cost_defaults(&cm);
    /* a few defaults the documentation names, and every key readable */
    uint64_t v;
    ck_assert_int_eq(uvmsim_cost_get(&cm, "cpu_mhz", &v), UVMSIM_OK);
    ck_assert_uint_eq(v, 200);
    ck_assert_int_eq(uvmsim_cost_get(&cm, "cache_line_size", &v), UVMSIM_OK);
    ck_assert_uint_eq(v, 32);
    ck_assert_int_eq(uvmsim_cost_get(&cm, "tlb_miss", &v), UVMSIM_OK);
    ck_assert_uint_eq(v, 45);
    unsigned n = 0;
    for (const char *const *k = uvmsim_cost_keys(); *k; k++, n++)
        ck_assert_int_eq(uvmsim_cost_get(&cm, *k, &v), UVMSIM_OK);
    ck_assert_uint_eq(n * sizeof(uint64_t), sizeof(cm));
    ck_assert_int_eq(uvmsim_cost_get(&cm, "no_such", &v), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_cost_get(NULL, "tlb_miss", &v), UVMSIM_EINVAL);
}
END_TEST

START_TEST(test_set_and_errors)
{
    uvmsim_cost_model cm;
    uvmsim_cost_defaults(&cm);
    char why[512];
    ck_assert_int_eq(uvmsim_cost_set(&cm, "tlb_miss", 60, why, sizeof(why)), UVMSIM_OK);
    ck_assert_uint_eq(cm.tlb_miss, 60);
    ck_assert_int_eq(uvmsim_cost_set(&cm, "tlb_mis", 1, why, sizeof(why)), UVMSIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "unknown cost key 'tlb_mis'"));
    ck_assert_ptr_nonnull(strstr(why, "share_update"));         /* the list of keys */
    ck_assert_int_eq(uvmsim_cost_set(&cm, "cache_line_size", 48, why, sizeof(why)), UVMSIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "power of two"));
    ck_assert_int_eq(uvmsim_cost_set(&cm, "cache_line_size", 2, why, sizeof(why)), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_cost_set(&cm, "cpu_mhz", 0, why, sizeof(why)), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_cost_set(&cm, "line_fill", 1000000001ull, why, sizeof(why)), UVMSIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "larger than"));
    ck_assert_int_eq(uvmsim_cost_set(&cm, "line_fill", 0, NULL, 0), UVMSIM_OK);
    ck_assert_uint_eq(cm.line_fill, 0);
    ck_assert_uint_eq(cm.cache_line_size, 32);                 /* refused values left no trace */
}
END_TEST

/* Each malformed line: the message, and the model left as it was. */
static const struct {
    const char *text, *msg;
} bad_lines[] = {
    {"tlb_miss", "t:1: expected KEY=VALUE"},
    {"=5", "t:1: missing key"},
    {"tlb_miss=", "t:1: tlb_miss: missing value"},
    {"tlb_miss=1x", "t:1: tlb_miss: '1x' is not a whole number"},
    {"tlb_miss=-1", "t:1: tlb_miss: '-1' is not a whole number"},
    {"tlb_miss=1 2", "t:1: tlb_miss: '1 2' is not a whole number"},
    {"tlb_miss=99999999999", "t:1: tlb_miss: value too large"},
    {"bogus=1", "t:1: unknown cost key 'bogus'"},
    {"tlb_miss=1\ncache_clean=2\nnope", "t:3: expected KEY=VALUE"},
    {"# c\n\ncache_line_size=33", "t:3: cache_line_size: 33 is not a power of two"},
};

START_TEST(test_parse)
{
    uvmsim_cost_model cm, def;
    uvmsim_cost_defaults(&def);
    cm = def;
    char why[512];
    const char *good = "# SA-1110 at 133 MHz\n  cpu_mhz = 133 \r\n\ntlb_miss=30\n\t# indented comment\ncache_clean=0";
    ck_assert_int_eq(uvmsim_cost_parse(&cm, good, strlen(good), "t", why, sizeof(why)), UVMSIM_OK);
    ck_assert_uint_eq(cm.cpu_mhz, 133);
    ck_assert_uint_eq(cm.tlb_miss, 30);
    ck_assert_uint_eq(cm.cache_clean, 0);
    ck_assert_uint_eq(cm.line_fill, def.line_fill);
    for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
        cm = def;
        why[0] = '\0';
        ck_assert_int_eq(uvmsim_cost_parse(&cm, bad_lines[i].text, strlen(bad_lines[i].text), "t", why, sizeof(why)),
                         UVMSIM_EINVAL);
        ck_assert_msg(strstr(why, bad_lines[i].msg) != NULL, "'%s': got '%s'", bad_lines[i].text, why);
        ck_assert_msg(memcmp(&cm, &def, sizeof(cm)) == 0, "'%s' changed the model", bad_lines[i].text);
    }
    /* a NUL inside the text is an error, not a silent end */
    const char nul[] = "tlb_miss=3\0junk";
    ck_assert_int_eq(uvmsim_cost_parse(&cm, nul, sizeof(nul) - 1, "t", why, sizeof(why)), UVMSIM_EINVAL);
    /* one assignment */
    ck_assert_int_eq(uvmsim_cost_assign(&cm, "refill_lines=7", why, sizeof(why)), UVMSIM_OK);
    ck_assert_uint_eq(cm.refill_lines, 7);
    ck_assert_int_eq(uvmsim_cost_assign(&cm, "refill_lines=7\nx=1", why, sizeof(why)), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_cost_parse(&cm, "", 0, "t", why, sizeof(why)), UVMSIM_OK);
}
END_TEST

START_TEST(test_load_file)
{
    char path[] = "/tmp/uvmsim-cost-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *txt = "tlb_miss = 12\nswitch_base=0\n";
    ck_assert_int_eq((int)write(fd, txt, strlen(txt)), (int)strlen(txt));
    close(fd);
    uvmsim_cost_model cm;
    uvmsim_cost_defaults(&cm);
    char why[512];
    ck_assert_int_eq(uvmsim_cost_load(&cm, path, why, sizeof(why)), UVMSIM_OK);
    ck_assert_uint_eq(cm.tlb_miss, 12);
    ck_assert_uint_eq(cm.switch_base, 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("tlb_miss=1\nline_fill=x\n", f);
    fclose(f);
    ck_assert_int_eq(uvmsim_cost_load(&cm, path, why, sizeof(why)), UVMSIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, ":2: line_fill"));
    ck_assert_uint_eq(cm.tlb_miss, 12);
    unlink(path);
    ck_assert_int_eq(uvmsim_cost_load(&cm, path, why, sizeof(why)), UVMSIM_EIO);
    ck_assert_ptr_nonnull(strstr(why, "cannot open"));
}
END_TEST

/* The price of a delta, term by term, with the defaults worked out by hand. */
START_TEST(test_price_by_hand)
{
    uvmsim_cost_model cm;
    uvmsim_cost_defaults(&cm);
    uvmsim_pmap_stats d;
    memset(&d, 0, sizeof(d));
    d.activations = 2;
    d.ttb_writes = 1;
    d.dacr_writes = 3;
    d.pid_writes = 3;
    d.itlb.misses = 4;
    d.dtlb.misses = 6;
    d.itlb.full_flushes = 1;
    d.dtlb.full_flushes = 1;
    d.dtlb.single_invalidations = 5;
    d.cache_cleans = 1;
    d.cache_flushes = 2;
    d.cache_page_ops = 1;
    d.cpd_loads = 2;
    d.cpd_collisions = 1;
    d.domain_faults = 7;
    d.domain_recycles_clean = 1;
    d.domain_recycles_dirty = 1;
    d.share_updates = 3;
    uvmsim_cost_terms t;
    uint64_t total = uvmsim_cost_price(&cm, &d, &t);
    ck_assert_uint_eq(t.switch_base, 400);                       /* 200 x 2 */
    ck_assert_uint_eq(t.registers, 14);                          /* 2x1 + 2x3 + 2x3 */
    ck_assert_uint_eq(t.tlb_miss, 450);                          /* 45 x (4 + 6) */
    ck_assert_uint_eq(t.tlb_flush, 14);                          /* 2 x 2 full + 2 x 5 single */
    ck_assert_uint_eq(t.cache, 17012);                           /* 6000 + (2 + 128x40) x 2 + 6 x 128 */
    ck_assert_uint_eq(t.fass, 1010);                             /* 150x2 + 50 + 0x7 + 300x2 + 20x3 */
    ck_assert_uint_eq(total, 18900);
    ck_assert_uint_eq(t.total, total);
    /* one override moves exactly its term */
    ck_assert_int_eq(uvmsim_cost_set(&cm, "tlb_miss", 100, NULL, 0), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_cost_price(&cm, &d, NULL), 18900 + 55 * 10);
    ck_assert_int_eq(uvmsim_cost_set(&cm, "cache_line_size", 64, NULL, 0), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_cost_price(&cm, &d, NULL), 18900 + 550 - 6 * 64);
    ck_assert_uint_eq(uvmsim_cost_price(NULL, &d, &t), 0);
    ck_assert_uint_eq(t.total, 0);
}
END_TEST

START_TEST(test_delta)
{
    uvmsim_pmap_stats a, b, d;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.enters = 3;
    b.enters = 10;
    a.dtlb.misses = 5;
    b.dtlb.misses = 9;
    a.itlb.hits = 1;
    b.itlb.hits = 4;
    a.cache_page_ops = 2;
    b.cache_page_ops = 6;
    a.share_updates = 1;
    b.share_updates = 11;
    a.placements = 1;
    b.placements = 2;
    a.pv_entries = 50;                                           /* a level: b's value */
    b.pv_entries = 40;
    b.domain_policy = "lru";
    uvmsim_pmap_stats_delta(&a, &b, &d);
    ck_assert_uint_eq(d.enters, 7);
    ck_assert_uint_eq(d.dtlb.misses, 4);
    ck_assert_uint_eq(d.itlb.hits, 3);
    ck_assert_uint_eq(d.cache_page_ops, 4);
    ck_assert_uint_eq(d.share_updates, 10);
    ck_assert_uint_eq(d.placements, 1);
    ck_assert_uint_eq(d.pv_entries, 40);
    ck_assert_str_eq(d.domain_policy, "lru");
}
END_TEST

/* The backends count the register writes of a switch: armv5 a table base at every real
 * activation, fass the DACR and the PID at every activation. */
START_TEST(test_register_writes_and_live_price)
{
    uvmsim_cost_model cm;
    uvmsim_cost_defaults(&cm);
    uint64_t cost[2];
    const char *be[2] = {"armv5", "fass"};
    for (int b = 0; b < 2; b++) {
        uvmsim_machine *m = vt_machine(8u << 20, be[b]);
        uvmsim_proc *p[2];
        for (int i = 0; i < 2; i++) {
            ck_assert_int_eq(uvmsim_proc_create(m, &p[i]), UVMSIM_OK);
            vt_map_anon(p[i], 0x80000000ull + (uvmsim_vaddr_t)i * 0x200000, 4096, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE,
                        false);
        }
        for (int i = 0; i < 2; i++) {
            ck_assert_int_eq(uvmsim_proc_switch(p[i]), UVMSIM_OK);
            ck_assert_int_eq(vt_store(p[i], 0x80000000ull + (uvmsim_vaddr_t)i * 0x200000, 1, NULL, NULL), UVMSIM_OK);
        }
        uvmsim_pmap_stats s0, s1, d;
        uvmsim_pmap_stats_get(m, &s0);
        for (int k = 0; k < 10; k++) {
            ck_assert_int_eq(uvmsim_proc_switch(p[k % 2]), UVMSIM_OK);
            ck_assert_int_eq(vt_store(p[k % 2], 0x80000000ull + (uvmsim_vaddr_t)(k % 2) * 0x200000, 2, NULL, NULL),
                             UVMSIM_OK);
        }
        uvmsim_pmap_stats_get(m, &s1);
        uvmsim_pmap_stats_delta(&s0, &s1, &d);
        ck_assert_uint_eq(d.activations, 10);
        if (b == 0) {
            ck_assert_uint_eq(d.ttb_writes, 10);
            ck_assert_uint_eq(d.dacr_writes + d.pid_writes, 0);
            /* every switch: whole clean + flush + refill, 2 TLB flushes, one D-TLB miss */
            ck_assert_uint_eq(d.cache_cleans, 10);
            ck_assert_uint_eq(d.dtlb.misses, 10);
        } else {
            ck_assert_uint_eq(d.ttb_writes, 0);
            ck_assert_uint_eq(d.dacr_writes, 10);
            ck_assert_uint_eq(d.pid_writes, 10);
            ck_assert_uint_eq(d.cache_cleans + d.dtlb.misses + d.cpd_loads, 0);
        }
        cost[b] = uvmsim_cost_price(&cm, &d, NULL);
        uvmsim_machine_destroy(m);
    }
    /* armv5: 10 x (200 + 2 + 2x2 + 6000 + 2 + 5120 + 45) = 113730; fass: 10 x (200 + 2 + 2) */
    ck_assert_uint_eq(cost[0], 113730);
    ck_assert_uint_eq(cost[1], 2040);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pmap-cost");
    TCase *tc = tcase_create("cost");
    tcase_add_test(tc, test_defaults_and_keys);
    tcase_add_test(tc, test_set_and_errors);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_load_file);
    tcase_add_test(tc, test_price_by_hand);
    tcase_add_test(tc, test_delta);
    tcase_add_test(tc, test_register_writes_and_live_price);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
