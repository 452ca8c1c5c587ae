/* Check suite for the ARM pmap backends: src/pmap_sim/pmap_arm.c (tables in RAM, TLB
 * shape, cache accounting), pmap_armv5.c and pmap_fass.c.  Driven mostly through the
 * public VM API (processes, fixed mappings, CPU accesses, switches, pmap statistics),
 * with the internal introspection of pmap_arm.h where a rule is about what sits in RAM,
 * the CPD or the TLB.  Every counter asserted is worked out in the comments. */
#include <stdlib.h>
#include <string.h>
#include "vmtest.h"
#include "vm/uvm_vm.h"
#include "pmap_sim/pmap_arm.h"

#define PG 4096u
#define MB 0x100000ull
#define RW (UVMSIM_PROT_READ | UVMSIM_PROT_WRITE)

static uvmsim_pmap_stats st(uvmsim_machine *m)
{
    uvmsim_pmap_stats s;
    uvmsim_pmap_stats_get(m, &s);
    return s;
}

static uvmsim_proc *proc(uvmsim_machine *m)
{
    uvmsim_proc *p = NULL;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    return p;
}

static void store(uvmsim_proc *p, uvmsim_vaddr_t va, uint8_t v)
{
    ck_assert_int_eq(vt_store(p, va, v, NULL, NULL), UVMSIM_OK);
}

static uint8_t load(uvmsim_proc *p, uvmsim_vaddr_t va)
{
    uint8_t v = 0;
    ck_assert_int_eq(vt_load(p, va, &v, NULL, NULL), UVMSIM_OK);
    return v;
}

static uint32_t rd32(uvmsim_machine *m, uvmsim_paddr_t pa)
{
    uint8_t b[4];
    ck_assert_int_eq(uvmsim_phys_read(m, pa, b, 4), UVMSIM_OK);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr32(uvmsim_machine *m, uvmsim_paddr_t pa, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    ck_assert_int_eq(uvmsim_phys_write(m, pa, b, 4), UVMSIM_OK);
}

static uint32_t l1desc(uvmsim_proc *p, unsigned idx)
{
    uvmsim_paddr_t pa;
    ck_assert(uvmsim_pmap_arm_l1_pa(p->pmap, idx, &pa));
    return rd32(p->m, pa);
}

static int domain_of(uvmsim_proc *p) { return uvmsim_pmap_fass_domain(p->pmap); }

static void expect_check_fails(uvmsim_machine *m, const char *needle)
{
    char msg[512] = "";
    ck_assert_int_eq(uvmsim_check(m, msg, sizeof(msg)), UVMSIM_ESTATE);
    ck_assert_msg(strstr(msg, needle) != NULL, "checker said '%s', wanted '%s'", msg, needle);
}

/* ---- machine set-up ---- */

START_TEST(test_machine_config)
{
    static const char *const arm[] = {"armv5", "fass"};
    const char *const *names = uvmsim_pmap_backends();
    unsigned found = 0;
    for (size_t i = 0; names[i] != NULL; i++)
        found += strcmp(names[i], "armv5") == 0 || strcmp(names[i], "fass") == 0;
    ck_assert_uint_eq(found, 2);
    for (int b = 0; b < 2; b++) {
        uvmsim_machine_config c;
        uvmsim_machine *m = (uvmsim_machine *)1;
        uvmsim_machine_config_init(&c);
        c.pmap = arm[b];
        c.page_size = 8192;                                    /* ARM backends need 4 KiB */
        ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_EINVAL);
        ck_assert_ptr_null(m);
        uvmsim_machine_config_init(&c);
        c.pmap = arm[b];
        c.ram_base = 0x100000000ull;                           /* beyond 32-bit physical */
        ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_ERANGE);
        uvmsim_machine_config_init(&c);
        c.pmap = arm[b];
        c.nor_base = 0xFE000000ull;                            /* window crosses 4 GiB */
        ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_ERANGE);

        /* The default TLB becomes the SA-1100's: 32 I + 32 D, fully associative, FIFO. */
        m = vt_machine(0, arm[b]);
        const uvmsim_machine_config *mc = uvmsim_machine_config_get(m);
        ck_assert_uint_eq(mc->tlb.entries, 32);
        ck_assert_uint_eq(mc->tlb.ways, 0);
        ck_assert_int_eq(mc->tlb.repl, UVMSIM_TLB_FIFO);
        ck_assert(mc->tlb.split);
        ck_assert_ptr_nonnull(m->pmm->itlb);
        ck_assert_str_eq(uvmsim_pmap_backend_name(m), arm[b]);
        uvmsim_machine_destroy(m);

        /* Any other TLB is honoured as configured. */
        uvmsim_machine_config_init(&c);
        c.pmap = arm[b];
        c.tlb.entries = 4;
        c.tlb.ways = 0;
        ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
        ck_assert_uint_eq(uvmsim_machine_config_get(m)->tlb.entries, 4);
        ck_assert(!uvmsim_machine_config_get(m)->tlb.split);
        ck_assert_ptr_null(m->pmm->itlb);
        uvmsim_proc *p = proc(m);
        uvmsim_vaddr_t va = vt_map_anon(p, 0x40000000, 6 * PG, RW, false);
        for (unsigned i = 0; i < 6; i++)
            store(p, va + i * PG, (uint8_t)i);
        ck_assert_uint_eq(uvmsim_tlb_valid_count(m->pmm->dtlb), 4);
        VT_CHECK(m);
        uvmsim_machine_destroy(m);
    }
}
END_TEST

/* 32-bit VAs: nothing is entered at or above 4 GiB, nor a frame the descriptors
 * cannot hold. */
START_TEST(test_va_pa_range)
{
    for (int b = 0; b < 2; b++) {
        uvmsim_machine *m = vt_machine(0, b ? "fass" : "armv5");
        uvmsim_proc *p = proc(m);
        /* the map's top is the MMU's: a 32-bit backend refuses the mapping itself */
        uvmsim_map_args ma;
        uvmsim_map_args_init(&ma);
        ma.addr = 0x100000000ull;
        ma.size = PG;
        ma.flags = UVMSIM_MAP_FIXED;
        uvmsim_vaddr_t va;
        ck_assert_int_eq(uvmsim_map(p, &ma, &va), UVMSIM_ERANGE);
        ma.addr = 0xFFFFF000ull;
        ck_assert_int_eq(uvmsim_map(p, &ma, &va), UVMSIM_OK);
        ma.addr = 0xFFFFE000ull;
        ma.size = 2 * PG;
        ck_assert_int_eq(uvmsim_map(p, &ma, &va), UVMSIM_EOVERLAP);
        ck_assert_int_eq(uvmsim_unmap(p, 0xFFFFF000ull, PG), UVMSIM_OK);
        uvmsim_paddr_t pa;
        ck_assert_int_eq(uvmsim_ram_alloc(m, true, &pa), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_enter(p->pmap, 0xFFFFF000ull, pa, UVMSIM_PROT_READ, 0), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_enter(p->pmap, 1ull << 32, pa, UVMSIM_PROT_READ, 0), UVMSIM_ERANGE);
        /* a device segment above 4 GiB exists, but no ARM descriptor can name it */
        uint8_t *dev = calloc(4, PG);
        ck_assert_int_eq(uvmsim_physload_device(m, 0x100000000ull, 0x100000000ull + 4 * PG,
                                                UVMSIM_PROT_READ, dev), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_enter(p->pmap, 0x50000000, 0x100000000ull, UVMSIM_PROT_READ, 0),
                         UVMSIM_ERANGE);
        uvmsim_pmap_remove(p->pmap, 0xFFFFF000ull, 1ull << 32);
        ck_assert_int_eq(uvmsim_ram_free(m, pa), UVMSIM_OK);
        VT_CHECK(m);
        uvmsim_proc_exit(p);
        ck_assert_int_eq(uvmsim_physunload_device(m, 0x100000000ull), UVMSIM_OK);
        free(dev);
        uvmsim_machine_destroy(m);
    }
}
END_TEST

/* The tables are real ARM descriptors in simulated RAM, counted as PTP pages. */
START_TEST(test_tables_in_ram)
{
    for (int b = 0; b < 2; b++) {
        bool fass = b == 1;
        uvmsim_machine *m = vt_machine(0, fass ? "fass" : "armv5");
        uvmsim_ram_stats rs;
        uvmsim_ram_stats_get(m, &rs);
        ck_assert_uint_eq(rs.ptp_pages, 0);          /* FASS: no CPD before the first process */
        uvmsim_proc *p = proc(m);
        uvmsim_ram_stats_get(m, &rs);
        ck_assert_uint_eq(rs.ptp_pages, fass ? 8 : 4);   /* L1 (16 KiB) + CPD */
        uvmsim_vaddr_t va = vt_map_anon(p, 0x40123000, PG, RW, false);
        uvmsim_fault_outcome o;
        ck_assert_int_eq(vt_store(p, va, 0x5a, &o, NULL), UVMSIM_OK);
        uvmsim_ram_stats_get(m, &rs);
        ck_assert_uint_eq(rs.ptp_pages, fass ? 9 : 5);   /* one coarse table */

        uint32_t d = l1desc(p, 0x401);
        ck_assert_uint_eq(d & L1_TYPE_MASK, L1_TYPE_COARSE);
        ck_assert_uint_eq((d & L1_DOMAIN_MASK) >> L1_DOMAIN_SHIFT, ARM_DOMAIN_USER);
        ck_assert_uint_eq(l1desc(p, 0x400), 0);
        uvmsim_paddr_t l2 = (d & L1_COARSE_BASE) + 0x23 * 4;
        uint32_t pte = rd32(m, l2);
        ck_assert_uint_eq(pte & L2_TYPE_MASK, L2_TYPE_SMALL);
        ck_assert_uint_eq(pte & L2_FRAME, o.pa);
        ck_assert_uint_eq((pte >> L2_AP_SHIFT) & 0xFF, 0xFF);              /* AP0..3 = user RW */
        ck_assert_uint_eq(pte & (L2_CACHEABLE | L2_BUFFERABLE), L2_CACHEABLE | L2_BUFFERABLE);
        uint32_t sh = rd32(m, l2 + ARM_L2_SHADOW_OFF);
        ck_assert_uint_eq(sh & SH_VALID, SH_VALID);
        ck_assert_uint_eq((sh >> SH_PROT_SHIFT) & 7, RW);
        if (fass) {
            /* the CPD entry is the process's descriptor retagged with its domain */
            uvmsim_paddr_t cpa;
            ck_assert(uvmsim_pmap_fass_cpd_pa(m, 0x401, &cpa));
            ck_assert_uint_eq(rd32(m, cpa), (d & ~L1_DOMAIN_MASK) | (uint32_t)domain_of(p) << L1_DOMAIN_SHIFT);
        }
        /* write-protect: AP becomes user read-only, the shadow loses W */
        ck_assert_int_eq(uvmsim_protect(p, va, PG, UVMSIM_PROT_READ), UVMSIM_OK);
        ck_assert_uint_eq((rd32(m, l2) >> L2_AP_SHIFT) & 0xFF, 0xAA);
        ck_assert_uint_eq((rd32(m, l2 + ARM_L2_SHADOW_OFF) >> SH_PROT_SHIFT) & 7, UVMSIM_PROT_READ);
        VT_CHECK(m);
        /* the last page of a coarse table takes the table (and its CPD entry) along */
        ck_assert_int_eq(uvmsim_unmap(p, va, PG), UVMSIM_OK);
        ck_assert_uint_eq(l1desc(p, 0x401), 0);
        if (fass)
            ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 0x401), -1);
        uvmsim_ram_stats_get(m, &rs);
        ck_assert_uint_eq(rs.ptp_pages, fass ? 8 : 4);
        VT_CHECK(m);
        uvmsim_proc_exit(p);
        uvmsim_ram_stats_get(m, &rs);
        ck_assert_uint_eq(rs.ptp_pages, 0);              /* the CPD goes with the last pmap */
        ck_assert(!uvmsim_pmap_fass_cpd_pa(m, 0, NULL));
        uvmsim_machine_destroy(m);
    }
}
END_TEST

/* ---- armv5 ---- */

/* Two processes switching: every real switch cleans and flushes the cache and flushes
 * both TLBs, so every access after a switch misses. */
START_TEST(test_armv5_flushes_every_switch)
{
    uvmsim_machine *m = vt_machine(0, "armv5");
    uvmsim_proc *a = proc(m), *b = proc(m);
    vt_map_anon(a, 0x40000000, 2 * PG, RW, false);
    vt_map_anon(b, 0x40100000, 2 * PG, RW, false);
    store(a, 0x40000000, 1);                 /* first activation: nothing to flush */
    uvmsim_pmap_stats s = st(m);
    ck_assert_uint_eq(s.tlb_flushes, 0);
    ck_assert_uint_eq(s.cache_flushes, 0);
    store(a, 0x40001000, 2);
    store(b, 0x40100000, 3);
    store(b, 0x40101000, 4);
    ck_assert_int_eq(uvmsim_proc_switch(b), UVMSIM_OK);   /* already current: no switch */
    uvmsim_pmap_stats s0 = st(m);
    ck_assert_uint_eq(s0.tlb_flushes, 1);
    ck_assert_uint_eq(s0.cache_cleans, 1);
    for (int k = 0; k < 50; k++) {
        ck_assert_int_eq(load(a, 0x40000000), 1);
        ck_assert_int_eq(load(a, 0x40001000), 2);
        ck_assert_int_eq(load(b, 0x40100000), 3);
        ck_assert_int_eq(load(b, 0x40101000), 4);
    }
    uvmsim_pmap_stats s1 = st(m);
    ck_assert_uint_eq(s1.activations - s0.activations, 100);
    ck_assert_uint_eq(s1.tlb_flushes - s0.tlb_flushes, 100);
    ck_assert_uint_eq(s1.cache_flushes - s0.cache_flushes, 100);
    ck_assert_uint_eq(s1.cache_cleans - s0.cache_cleans, 100);
    ck_assert_uint_eq(s1.dtlb.full_flushes - s0.dtlb.full_flushes, 100);
    ck_assert_uint_eq(s1.itlb.full_flushes - s0.itlb.full_flushes, 100);
    ck_assert_uint_eq(s1.dtlb.misses - s0.dtlb.misses, 200);   /* both pages, every slice */
    ck_assert_uint_eq(s1.dtlb.hits - s0.dtlb.hits, 0);
    ck_assert_uint_eq(s1.switch_cost - s0.switch_cost, 200);   /* entries flushed */
    ck_assert_uint_eq(s1.cpd_loads + s1.domain_faults + s1.domain_recycles_clean, 0);
    ck_assert_ptr_null(s1.domain_policy);
    ck_assert_uint_eq(uvmsim_pmap_arm_dacr(m), 0x5);           /* domains 0, 1: client */
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Maintenance on remove/protect: only the active pmap has lines and TLB entries. */
START_TEST(test_armv5_page_maintenance)
{
    uvmsim_machine *m = vt_machine(0, "armv5");
    uvmsim_proc *a = proc(m), *b = proc(m);
    vt_map_anon(a, 0x40000000, 3 * PG, RW, false);
    vt_map_anon(b, 0x40000000, PG, RW, false);
    store(a, 0x40000000, 1);
    store(a, 0x40001000, 2);
    store(a, 0x40002000, 3);
    uvmsim_pmap_stats s0 = st(m);
    /* active, dirty lines: write-protect cleans the page, unmap cleans + flushes it */
    ck_assert_int_eq(uvmsim_protect(a, 0x40000000, PG, UVMSIM_PROT_READ), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_unmap(a, 0x40001000, PG), UVMSIM_OK);
    uvmsim_pmap_stats s1 = st(m);
    ck_assert_uint_eq(s1.cache_page_ops - s0.cache_page_ops, 2);
    ck_assert_uint_eq(s1.dtlb.single_invalidations - s0.dtlb.single_invalidations, 2);
    ck_assert_uint_eq(s1.dtlb.entries_flushed - s0.dtlb.entries_flushed, 2);
    ck_assert_int_eq(load(a, 0x40000000), 1);
    /* a is switched out: its removal costs nothing */
    store(b, 0x40000000, 9);
    uvmsim_pmap_stats s2 = st(m);
    ck_assert_int_eq(uvmsim_unmap(a, 0x40002000, PG), UVMSIM_OK);
    uvmsim_pmap_stats s3 = st(m);
    ck_assert_uint_eq(s3.cache_page_ops, s2.cache_page_ops);
    ck_assert_uint_eq(s3.dtlb.single_invalidations, s2.dtlb.single_invalidations);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* ---- fass ---- */

/* A missing CPD entry and a domain fault are both resolved inside the MMU path by a
 * CPD load, never as a VM fault. */
START_TEST(test_fass_domain_fault_loads_cpd)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    uvmsim_proc *a = proc(m), *b = proc(m);
    ck_assert_int_eq(domain_of(a), 1);                  /* free domains handed out at creation */
    ck_assert_int_eq(domain_of(b), 2);
    vt_map_anon(a, 0x40000000, PG, RW, false);
    vt_map_anon(b, 0x40000000, PG, RW, false);
    /* a: CPD miss -> nothing in a's table -> VM fault -> enter -> CPD miss -> load */
    store(a, 0x40000000, 'a');
    uvmsim_pmap_stats s = st(m);
    ck_assert_uint_eq(s.cpd_loads, 1);
    ck_assert_uint_eq(s.domain_faults, 0);
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 0x400), 1);
    ck_assert_uint_eq(uvmsim_pmap_arm_dacr(m), 0x1 | 0x1 << 2);
    /* b: a's TLB entry hits in domain 1, which b's DACR disables: domain fault; b has
     * no table yet (VM fault); after the enter the retry faults on the domain again and
     * the CPD entry is taken over (collision: a's dirty region flushed). */
    unsigned nf;
    uint8_t v;
    ck_assert_int_eq(vt_load(b, 0x40000000, &v, NULL, &nf), UVMSIM_OK);
    ck_assert_uint_eq(nf, 1);
    ck_assert_int_eq(v, 0);
    s = st(m);
    ck_assert_uint_eq(s.domain_faults, 2);
    ck_assert_uint_eq(s.cpd_loads, 2);
    ck_assert_uint_eq(s.cpd_collisions, 1);
    ck_assert_uint_eq(s.tlb_flushes, 1);
    ck_assert_uint_eq(s.cache_cleans, 1);               /* a had stored */
    ck_assert_uint_eq(s.cache_flushes, 1);
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 0x400), 2);
    ck_assert_uint_eq(uvmsim_pmap_arm_dacr(m), 0x1 | 0x1 << 4);
    /* back to a: one domain fault, one CPD load, no VM fault, a's byte */
    ck_assert_int_eq(vt_load(a, 0x40000000, &v, NULL, &nf), UVMSIM_OK);
    ck_assert_uint_eq(nf, 0);
    ck_assert_int_eq(v, 'a');
    uvmsim_pmap_stats s2 = st(m);
    ck_assert_uint_eq(s2.domain_faults - s.domain_faults, 1);
    ck_assert_uint_eq(s2.cpd_loads - s.cpd_loads, 1);
    ck_assert_uint_eq(s2.cpd_collisions - s.cpd_collisions, 1);
    ck_assert_uint_eq(s2.cache_cleans - s.cache_cleans, 0);   /* b only loaded */
    ck_assert_uint_eq(s2.cache_flushes - s.cache_flushes, 1);
    ck_assert_uint_eq(s2.mmu_faults, s.mmu_faults);
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 0x400), 1);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Disjoint 1 MiB regions: switching back and forth flushes nothing, and the TLB keeps
 * both processes' entries (no misses at all). */
START_TEST(test_fass_disjoint_no_flush)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    uvmsim_proc *a = proc(m), *b = proc(m);
    vt_map_anon(a, 0x40000000, 2 * PG, RW, false);
    vt_map_anon(b, 0x40100000, 2 * PG, RW, false);
    store(a, 0x40000000, 1);
    store(a, 0x40001000, 2);
    store(b, 0x40100000, 3);
    store(b, 0x40101000, 4);
    uvmsim_pmap_stats s0 = st(m);
    for (int k = 0; k < 50; k++) {
        ck_assert_int_eq(load(a, 0x40000000), 1);
        ck_assert_int_eq(load(a, 0x40001000), 2);
        ck_assert_int_eq(load(b, 0x40100000), 3);
        ck_assert_int_eq(load(b, 0x40101000), 4);
    }
    uvmsim_pmap_stats s1 = st(m);
    ck_assert_uint_eq(s1.activations - s0.activations, 100);
    ck_assert_uint_eq(s1.tlb_flushes - s0.tlb_flushes, 0);
    ck_assert_uint_eq(s1.cache_flushes - s0.cache_flushes, 0);
    ck_assert_uint_eq(s1.cache_cleans - s0.cache_cleans, 0);
    ck_assert_uint_eq(s1.cpd_loads - s0.cpd_loads, 0);
    ck_assert_uint_eq(s1.domain_faults - s0.domain_faults, 0);
    ck_assert_uint_eq(s1.dtlb.misses - s0.dtlb.misses, 0);
    ck_assert_uint_eq(s1.dtlb.hits - s0.dtlb.hits, 200);
    ck_assert_uint_eq(s1.switch_cost - s0.switch_cost, 0);
    ck_assert_uint_eq(s1.cpd_collisions + s1.domain_recycles_clean + s1.domain_recycles_dirty, 0);
    ck_assert_str_eq(s1.domain_policy, "clean-fewest");
    ck_assert_str_eq(s1.pid_policy, "round-robin");
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* A collision flushes exactly the TLB entries of the 1 MiB region taken over. */
START_TEST(test_fass_collision_flushes_region)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    uvmsim_proc *a = proc(m), *b = proc(m);
    vt_map_anon(a, 0x40000000, 3 * PG, RW, false);      /* region 0x400 */
    vt_map_anon(a, 0x40300000, 2 * PG, RW, false);      /* region 0x403 */
    vt_map_anon(b, 0x40080000, PG, RW, false);          /* region 0x400 too */
    for (unsigned i = 0; i < 3; i++)
        store(a, 0x40000000 + i * PG, (uint8_t)(10 + i));
    store(a, 0x40300000, 20);
    store(a, 0x40301000, 21);
    ck_assert_uint_eq(uvmsim_tlb_valid_count(m->pmm->dtlb), 5);
    ck_assert_uint_eq(uvmsim_tlb_valid_count(m->pmm->itlb), 0);
    uvmsim_pmap_stats s0 = st(m);
    store(b, 0x40080000, 30);
    uvmsim_pmap_stats s1 = st(m);
    ck_assert_uint_eq(s1.cpd_collisions - s0.cpd_collisions, 1);
    ck_assert_uint_eq(s1.tlb_flushes - s0.tlb_flushes, 1);
    ck_assert_uint_eq(s1.dtlb.single_invalidations - s0.dtlb.single_invalidations, 3);
    ck_assert_uint_eq(s1.dtlb.entries_flushed - s0.dtlb.entries_flushed, 3);
    ck_assert_uint_eq(s1.itlb.single_invalidations - s0.itlb.single_invalidations, 0);
    ck_assert_uint_eq(s1.dtlb.full_flushes + s1.itlb.full_flushes, 0);
    ck_assert_uint_eq(uvmsim_tlb_valid_count(m->pmm->dtlb), 3);   /* a's two in 0x403 + b's */
    ck_assert_uint_eq(s1.cache_flushes - s0.cache_flushes, 1);
    ck_assert_uint_eq(s1.cache_cleans - s0.cache_cleans, 1);
    /* a's other region survived: no miss, no load there */
    uvmsim_pmap_stats s2 = st(m);
    ck_assert_int_eq(load(a, 0x40300000), 20);
    ck_assert_int_eq(load(a, 0x40301000), 21);
    uvmsim_pmap_stats s3 = st(m);
    ck_assert_uint_eq(s3.dtlb.misses - s2.dtlb.misses, 0);
    ck_assert_uint_eq(s3.cpd_loads - s2.cpd_loads, 0);
    ck_assert_uint_eq(s3.tlb_flushes - s2.tlb_flushes, 0);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Domains: 15 for users (0 is the kernel's).  The 16th process takes the clean domain
 * of a process that never ran, with no flush, although dirty domains with fewer CPD
 * entries exist... */
START_TEST(test_fass_domain_recycling)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    uvmsim_proc *p[17];
    for (int i = 0; i < 16; i++) {
        p[i] = proc(m);
        uvmsim_vaddr_t base = 0x40000000ull + (uvmsim_vaddr_t)i * 4 * MB;
        vt_map_anon(p[i], base, PG, RW, false);
        vt_map_anon(p[i], base + MB, PG, RW, false);
    }
    for (int i = 0; i < 15; i++)
        ck_assert_int_eq(domain_of(p[i]), i + 1);
    ck_assert_int_eq(domain_of(p[15]), -1);             /* none free */
    /* p0..p13 run, each in its two regions, except p3: one region */
    for (int i = 0; i < 14; i++) {
        uvmsim_vaddr_t base = 0x40000000ull + (uvmsim_vaddr_t)i * 4 * MB;
        store(p[i], base, (uint8_t)i);
        if (i != 3)
            store(p[i], base + MB, (uint8_t)i);
    }
    uvmsim_pmap_stats s0 = st(m);
    ck_assert_uint_eq(s0.domain_recycles_clean + s0.domain_recycles_dirty, 0);
    /* the 16th process: p14's domain is clean (it never ran) */
    store(p[15], 0x40000000ull + 15 * 4 * MB, 15);
    store(p[15], 0x40000000ull + 15 * 4 * MB + MB, 15);
    uvmsim_pmap_stats s1 = st(m);
    ck_assert_uint_eq(s1.domain_recycles_clean, 1);
    ck_assert_uint_eq(s1.domain_recycles_dirty, 0);
    ck_assert_uint_eq(s1.tlb_flushes - s0.tlb_flushes, 0);
    ck_assert_uint_eq(s1.cache_flushes - s0.cache_flushes, 0);
    ck_assert_int_eq(domain_of(p[14]), -1);
    ck_assert_int_eq(domain_of(p[15]), 15);
    /* ...then p14 runs: every domain is dirty, the one with the fewest CPD entries
     * (p3: one) goes, with a full flush that leaves every domain clean */
    store(p[14], 0x40000000ull + 14 * 4 * MB, 14);
    uvmsim_pmap_stats s2 = st(m);
    ck_assert_uint_eq(s2.domain_recycles_dirty, 1);
    ck_assert_uint_eq(s2.domain_recycles_clean, 1);
    ck_assert_uint_eq(s2.tlb_flushes - s1.tlb_flushes, 1);
    ck_assert_uint_eq(s2.cache_flushes - s1.cache_flushes, 1);
    ck_assert_uint_eq(s2.cache_cleans - s1.cache_cleans, 1);
    ck_assert_uint_eq(s2.dtlb.full_flushes - s1.dtlb.full_flushes, 1);
    ck_assert_int_eq(domain_of(p[3]), -1);
    ck_assert_int_eq(domain_of(p[14]), 4);
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 0x40c), -1);   /* p3's entry went */
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 0x400), 1);    /* p0's stayed */
    /* p3 again: clean domains exist now; all have two entries, so the least recently
     * activated (p0's) goes, with no flush */
    ck_assert_int_eq(load(p[3], 0x40000000ull + 3 * 4 * MB), 3);
    uvmsim_pmap_stats s3 = st(m);
    ck_assert_uint_eq(s3.domain_recycles_clean, 2);
    ck_assert_uint_eq(s3.domain_recycles_dirty, 1);
    ck_assert_uint_eq(s3.tlb_flushes, s2.tlb_flushes);
    ck_assert_int_eq(domain_of(p[0]), -1);
    ck_assert_int_eq(domain_of(p[3]), 1);
    /* p0 comes back with its bytes */
    ck_assert_int_eq(load(p[0], 0x40000000ull + MB), 0);
    VT_CHECK(m);
    /* an exiting process frees its domain: the next process created gets it */
    uvmsim_proc_exit(p[5]);
    p[16] = proc(m);
    ck_assert_int_eq(domain_of(p[16]), 6);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Policies are pluggable by name and named in the statistics. */
START_TEST(test_fass_policies)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    const char *const *dn = uvmsim_pmap_fass_policies("domain");
    const char *const *pn = uvmsim_pmap_fass_policies("pid");
    ck_assert_ptr_nonnull(dn);
    ck_assert_ptr_nonnull(pn);
    ck_assert_ptr_null(uvmsim_pmap_fass_policies("cache"));
    ck_assert_ptr_null(uvmsim_pmap_fass_policies(NULL));
    for (size_t i = 0; dn[i] != NULL; i++) {
        ck_assert_int_eq(uvmsim_pmap_fass_set_policy(m, dn[i], NULL), UVMSIM_OK);
        ck_assert_str_eq(st(m).domain_policy, dn[i]);
    }
    for (size_t i = 0; pn[i] != NULL; i++) {
        ck_assert_int_eq(uvmsim_pmap_fass_set_policy(m, NULL, pn[i]), UVMSIM_OK);
        ck_assert_str_eq(st(m).pid_policy, pn[i]);
    }
    ck_assert_int_eq(uvmsim_pmap_fass_set_policy(m, "nope", NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_fass_set_policy(m, NULL, "nope"), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_fass_set_policy(m, "lru", "nope"), UVMSIM_EINVAL);
    ck_assert_str_eq(st(m).domain_policy, "lru");   /* a refused call changes nothing */
    ck_assert_int_eq(uvmsim_pmap_fass_set_policy(NULL, "lru", NULL), UVMSIM_EINVAL);
    uvmsim_machine *g = vt_machine(0, "armv5");
    ck_assert_int_eq(uvmsim_pmap_fass_set_policy(g, "lru", NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(g, 0), -1);
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, ARM_L1_ENTRIES), -1);
    ck_assert(!uvmsim_pmap_fass_cpd_pa(g, 0, NULL));
    ck_assert(!uvmsim_pmap_fass_cpd_pa(NULL, 0, NULL));
    uvmsim_proc *q = proc(g);
    ck_assert_int_eq(uvmsim_pmap_fass_domain(q->pmap), -1);
    ck_assert_int_eq(uvmsim_pmap_fass_slot(q->pmap), -1);
    ck_assert(!uvmsim_pmap_arm_l1_pa(NULL, 0, NULL));
    ck_assert(!uvmsim_pmap_arm_l1_pa(q->pmap, ARM_L1_ENTRIES, NULL));
    ck_assert_uint_eq(uvmsim_pmap_arm_dacr(NULL), 0);
    uvmsim_machine_destroy(g);
    g = vt_machine(0, "generic");
    q = proc(g);
    ck_assert(!uvmsim_pmap_arm_l1_pa(q->pmap, 0, NULL));
    ck_assert_uint_eq(uvmsim_pmap_arm_dacr(g), 0);
    ck_assert_ptr_null(st(g).domain_policy);
    uvmsim_machine_destroy(g);
    uvmsim_machine_destroy(m);
}
END_TEST

/* The "fewest" policy ignores cleanliness: after a full flush only the latest process
 * is dirty; give it the fewest CPD entries and the two policies part ways. */
START_TEST(test_fass_policy_changes_victim)
{
    for (int pol = 0; pol < 2; pol++) {
        uvmsim_machine *m = vt_machine(0, "fass");
        ck_assert_int_eq(uvmsim_pmap_fass_set_policy(m, pol ? "fewest" : "clean-fewest", NULL), UVMSIM_OK);
        uvmsim_proc *p[16];
        for (int i = 0; i < 16; i++) {
            p[i] = proc(m);
            vt_map_anon(p[i], 0x40000000ull + (uvmsim_vaddr_t)i * 4 * MB, PG, RW, false);
            vt_map_anon(p[i], 0x40000000ull + (uvmsim_vaddr_t)i * 4 * MB + MB, PG, RW, false);
        }
        for (int i = 0; i < 16; i++) {
            store(p[i], 0x40000000ull + (uvmsim_vaddr_t)i * 4 * MB, 1);
            store(p[i], 0x40000000ull + (uvmsim_vaddr_t)i * 4 * MB + MB, 1);
        }
        /* p15 needed a domain when all 15 were dirty with two entries: the least
         * recently activated (p0) went, with a full flush */
        ck_assert_uint_eq(st(m).domain_recycles_dirty, 1);
        ck_assert_int_eq(domain_of(p[0]), -1);
        /* p15, the only dirty domain, drops to one CPD entry */
        ck_assert_int_eq(uvmsim_unmap(p[15], 0x40000000ull + 15 * 4 * MB + MB, PG), UVMSIM_OK);
        store(p[0], 0x40000000ull, 2);
        uvmsim_pmap_stats s = st(m);
        if (pol == 0) {       /* clean first: p1, the least recently run clean one */
            ck_assert_uint_eq(s.domain_recycles_clean, 1);
            ck_assert_uint_eq(s.domain_recycles_dirty, 1);
            ck_assert_int_eq(domain_of(p[1]), -1);
            ck_assert_int_ne(domain_of(p[15]), -1);
        } else {              /* fewest entries: p15, dirty, another full flush */
            ck_assert_uint_eq(s.domain_recycles_clean, 0);
            ck_assert_uint_eq(s.domain_recycles_dirty, 2);
            ck_assert_int_eq(domain_of(p[15]), -1);
            ck_assert_int_ne(domain_of(p[1]), -1);
        }
        VT_CHECK(m);
        uvmsim_machine_destroy(m);
    }
}
END_TEST

/* FCSE: two processes mapping 0x8000 get different PID slots, so their CPD entries
 * differ and switching between them costs nothing. */
START_TEST(test_fass_pid_relocation)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    uvmsim_proc *a = proc(m), *b = proc(m), *c = proc(m);
    vt_map_anon(a, 0x8000, PG, RW, false);
    vt_map_anon(b, 0x8000, PG, RW, false);
    vt_map_anon(c, 0x40000000, PG, RW, false);
    store(a, 0x8000, 'a');
    store(b, 0x8000, 'b');
    store(c, 0x40000000, 'c');
    ck_assert_int_eq(uvmsim_pmap_fass_slot(a->pmap), 1);
    ck_assert_int_eq(uvmsim_pmap_fass_slot(b->pmap), 2);
    ck_assert_int_eq(uvmsim_pmap_fass_slot(c->pmap), -1);   /* nothing below 32 MiB */
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 1 * 32), domain_of(a));
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 2 * 32), domain_of(b));
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 0), -1);
    uvmsim_pmap_stats s0 = st(m);
    ck_assert_uint_eq(s0.pid_relocations, 2);
    ck_assert_uint_eq(s0.pid_slot_shared, 0);
    ck_assert_uint_eq(s0.cpd_collisions, 0);
    for (int k = 0; k < 20; k++) {
        ck_assert_int_eq(load(a, 0x8000), 'a');
        ck_assert_int_eq(load(b, 0x8000), 'b');
    }
    uvmsim_pmap_stats s1 = st(m);
    ck_assert_uint_eq(s1.cpd_collisions, 0);
    ck_assert_uint_eq(s1.tlb_flushes, s0.tlb_flushes);
    ck_assert_uint_eq(s1.dtlb.misses, s0.dtlb.misses);
    /* the TLB holds the relocated addresses */
    struct tlb_entry *e = uvmsim_tlb_lookup(m->pmm->dtlb, 0, (0x2000000 + 0x8000) >> 12);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->domain, (unsigned)domain_of(a));
    /* a child of a maps 0x8000 too and gets a slot of its own at its first fault */
    uvmsim_proc *ch;
    ck_assert_int_eq(uvmsim_proc_fork(a, &ch), UVMSIM_OK);
    ck_assert_int_eq(load(ch, 0x8000), 'a');
    ck_assert_int_eq(uvmsim_pmap_fass_slot(ch->pmap), 3);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* PID slot policies, and two live processes sharing a slot collide on every switch. */
START_TEST(test_fass_pid_slots_shared)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    uvmsim_proc *x = proc(m);
    vt_map_anon(x, 0x8000, PG, RW, false);
    store(x, 0x8000, 'x');
    ck_assert_int_eq(uvmsim_pmap_fass_slot(x->pmap), 1);
    /* 62 short-lived processes take slots 2..63 in turn */
    for (int i = 0; i < 62; i++) {
        uvmsim_proc *t = proc(m);
        vt_map_anon(t, 0x8000, PG, RW, false);
        store(t, 0x8000, 't');
        ck_assert_int_eq(uvmsim_pmap_fass_slot(t->pmap), 2 + i);
        uvmsim_proc_exit(t);
    }
    ck_assert_uint_eq(st(m).pid_slot_shared, 0);
    /* round robin wraps to slot 1, still x's */
    uvmsim_proc *y = proc(m);
    vt_map_anon(y, 0x8000, PG, RW, false);
    store(y, 0x8000, 'y');
    ck_assert_int_eq(uvmsim_pmap_fass_slot(y->pmap), 1);
    uvmsim_pmap_stats s0 = st(m);
    ck_assert_uint_eq(s0.pid_slot_shared, 1);
    for (int k = 0; k < 10; k++) {
        ck_assert_int_eq(load(x, 0x8000), 'x');
        ck_assert_int_eq(load(y, 0x8000), 'y');
    }
    uvmsim_pmap_stats s1 = st(m);
    ck_assert_uint_eq(s1.cpd_collisions - s0.cpd_collisions, 20);
    ck_assert_uint_eq(s1.tlb_flushes - s0.tlb_flushes, 20);
    /* least-used picks an empty slot instead */
    ck_assert_int_eq(uvmsim_pmap_fass_set_policy(m, NULL, "least-used"), UVMSIM_OK);
    uvmsim_proc *z = proc(m);
    vt_map_anon(z, 0x8000, PG, RW, false);
    store(z, 0x8000, 'z');
    ck_assert_int_eq(uvmsim_pmap_fass_slot(z->pmap), 2);
    ck_assert_uint_eq(st(m).pid_slot_shared, 1);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* A process never maps inside its own slot's range above 32 MiB: that would alias its
 * relocated low region.  The slot choice avoids it, and a later mapping there moves the
 * process to another slot. */
START_TEST(test_fass_slot_alias)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    uvmsim_proc *a = proc(m), *b = proc(m);
    /* a maps in slot 1's range first: its low program goes to slot 2 */
    vt_map_anon(a, 0x02000000, PG, RW, false);
    store(a, 0x02000000, 'H');
    vt_map_anon(a, 0x8000, PG, RW, false);
    store(a, 0x8000, 'L');
    ck_assert_int_eq(uvmsim_pmap_fass_slot(a->pmap), 2);
    /* b takes slot 3, then maps in it: moved to slot 4, its low CPD entry dropped */
    vt_map_anon(b, 0x8000, PG, RW, false);
    store(b, 0x8000, 'l');
    ck_assert_int_eq(uvmsim_pmap_fass_slot(b->pmap), 3);
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 3 * 32), domain_of(b));
    uvmsim_pmap_stats s0 = st(m);
    vt_map_anon(b, 0x06000000, PG, RW, false);
    store(b, 0x06000000, 'h');
    ck_assert_int_eq(uvmsim_pmap_fass_slot(b->pmap), 4);
    uvmsim_pmap_stats s1 = st(m);
    ck_assert_uint_eq(s1.pid_relocations - s0.pid_relocations, 1);
    ck_assert_uint_eq(s1.tlb_flushes - s0.tlb_flushes, 1);      /* the old low region */
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 3 * 32), domain_of(b));   /* now 0x06000000's */
    ck_assert_int_eq(load(b, 0x8000), 'l');
    ck_assert_int_eq(load(b, 0x06000000), 'h');
    ck_assert_int_eq(load(a, 0x8000), 'L');
    ck_assert_int_eq(load(a, 0x02000000), 'H');
    ck_assert_int_eq(uvmsim_pmap_fass_cpd_domain(m, 4 * 32), domain_of(b));
    /* the MMU refuses b's own slot range outright */
    uvmsim_paddr_t pa;
    ck_assert_int_eq(uvmsim_pmap_translate(b->pmap, 0x08000000 + 0x8000, UVMSIM_ACCESS_LOAD, &pa), UVMSIM_EFAULT);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Coherence: remove / protect / page_protect leave no TLB entry granting more than the
 * tables, for the running process and for a switched-out one whose domain is dirty. */
START_TEST(test_fass_coherence)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    uvmsim_proc *a = proc(m), *b = proc(m);
    vt_map_anon(a, 0x40000000, 4 * PG, RW, false);
    vt_map_anon(b, 0x40400000, PG, RW, false);
    for (unsigned i = 0; i < 4; i++)
        store(a, 0x40000000 + i * PG, (uint8_t)i);
    store(b, 0x40400000, 1);                          /* a switched out, still dirty */
    uvmsim_pmap_stats s0 = st(m);
    ck_assert_int_eq(uvmsim_protect(a, 0x40000000, PG, UVMSIM_PROT_READ), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_unmap(a, 0x40001000, PG), UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_pmap_stats s1 = st(m);
    ck_assert_uint_eq(s1.dtlb.entries_flushed - s0.dtlb.entries_flushed, 2);
    ck_assert_uint_eq(s1.cache_page_ops - s0.cache_page_ops, 2);
    /* page_protect through PV: a fork shares the page, then both lose write */
    uvmsim_proc *c;
    ck_assert_int_eq(uvmsim_proc_fork(a, &c), UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_fault_outcome o;
    ck_assert_int_eq(vt_store(a, 0x40000000, 7, &o, NULL), UVMSIM_EACCES);
    ck_assert_int_eq(vt_store(c, 0x40002000, 9, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_UPPER_PROMOTE);
    ck_assert_int_eq(load(a, 0x40002000), 2);
    ck_assert_int_eq(load(c, 0x40002000), 9);
    uvmsim_paddr_t pa;
    vm_prot_t prot;
    ck_assert(uvmsim_pmap_extract(a->pmap, 0x40003000, &pa, &prot));
    uvmsim_pmap_page_protect(m, pa, UVMSIM_PROT_NONE);
    VT_CHECK(m);
    ck_assert_int_eq(load(a, 0x40003000), 3);         /* faults back in */
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Out of RAM: the CPD and the first-level tables come and go atomically. */
START_TEST(test_enomem)
{
    for (unsigned pages = 2; pages <= 9; pages++) {
        for (int b = 0; b < 2; b++) {
            uvmsim_machine *m = vt_machine(pages * PG, b ? "fass" : "armv5");
            uvmsim_proc *p = NULL;
            int err = uvmsim_proc_create(m, &p);
            /* zero page 1, L1 4, (fass) CPD 4 */
            unsigned need = b ? 9u : 5u;
            bool fits = pages >= need;
            ck_assert_int_eq(err, fits ? UVMSIM_OK : UVMSIM_ENOMEM);
            uvmsim_ram_stats rs;
            uvmsim_ram_stats_get(m, &rs);
            ck_assert_uint_eq(rs.used_pages, fits ? need : 1u);
            if (pages == need) {
                /* no page left for the anon or the coarse table */
                vt_map_anon(p, 0x40000000, PG, RW, false);
                ck_assert_int_eq(vt_store(p, 0x40000000, 1, NULL, NULL), UVMSIM_ENOMEM);
                VT_CHECK(m);
            }
            uvmsim_machine_destroy(m);
        }
    }
    /* a coarse table is the last allocation of a fault: ENOMEM there too */
    uvmsim_machine *m = vt_machine(6 * PG, "armv5");
    uvmsim_proc *p = proc(m);
    vt_map_anon(p, 0x40000000, PG, RW, false);
    uvmsim_fault_outcome o;
    ck_assert_int_eq(vt_store(p, 0x40000000, 1, &o, NULL), UVMSIM_ENOMEM);
    VT_CHECK(m);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.ptp_pages, 4);       /* no coarse table, no trace of the attempt */
    ck_assert_uint_eq(rs.used_pages, 6);      /* the anon stays in the amap (VM's choice) */
    uvmsim_machine_destroy(m);
}
END_TEST

/* Trace: CPD loads, collisions, recycles and cache maintenance are events. */
struct evcount { unsigned cache, load, collision, recycle, sw; };
static void on_ev(const uvmsim_event *ev, void *arg)
{
    struct evcount *c = arg;
    if (ev->type == UVMSIM_EV_CACHE)
        c->cache++;
    if (ev->type == UVMSIM_EV_PMAP && ev->step != NULL) {
        c->load += strcmp(ev->step, "cpd-load") == 0;
        c->collision += strcmp(ev->step, "cpd-collision") == 0;
        c->recycle += strncmp(ev->step, "domain-recycle", 14) == 0;
        c->sw += strcmp(ev->step, "switch") == 0;
    }
}

START_TEST(test_trace_events)
{
    uvmsim_machine *m = vt_machine(0, "fass");
    struct evcount c = {0};
    uvmsim_trace_set(m, on_ev, &c);
    uvmsim_proc *a = proc(m), *b = proc(m);
    vt_map_anon(a, 0x40000000, PG, RW, false);
    vt_map_anon(b, 0x40000000, PG, RW, false);
    store(a, 0x40000000, 1);
    store(b, 0x40000000, 2);
    ck_assert_uint_eq(c.load, 2);
    ck_assert_uint_eq(c.collision, 1);
    ck_assert_uint_eq(c.cache, 1);
    ck_assert_uint_eq(c.sw, 2);
    uvmsim_trace_set(m, NULL, NULL);
    uvmsim_machine_destroy(m);

    m = vt_machine(0, "armv5");
    memset(&c, 0, sizeof(c));
    uvmsim_trace_set(m, on_ev, &c);
    a = proc(m);
    b = proc(m);
    vt_map_anon(a, 0x40000000, PG, RW, false);
    store(a, 0x40000000, 1);
    vt_map_anon(b, 0x50000000, PG, RW, false);
    store(b, 0x50000000, 1);
    ck_assert_uint_eq(c.cache, 1);
    ck_assert_uint_eq(c.sw, 1);
    uvmsim_trace_set(m, NULL, NULL);
    uvmsim_machine_destroy(m);
}
END_TEST

/* The checkers catch broken tables, CPD entries and TLB entries. */
START_TEST(test_checker_catches)
{
    for (int b = 0; b < 2; b++) {
        bool fass = b == 1;
        uvmsim_machine *m = vt_machine(0, fass ? "fass" : "armv5");
        uvmsim_proc *p = proc(m);
        vt_map_anon(p, 0x40000000, PG, RW, false);
        store(p, 0x40000000, 1);
        VT_CHECK(m);
        uvmsim_paddr_t dpa;
        ck_assert(uvmsim_pmap_arm_l1_pa(p->pmap, 0x400, &dpa));
        uint32_t d = rd32(m, dpa);
        /* a section descriptor (the backends never write one) */
        uvmsim_paddr_t fpa;
        ck_assert(uvmsim_pmap_arm_l1_pa(p->pmap, 0x500, &fpa));
        wr32(m, fpa, 0x50000000u | L1_TYPE_SECTION);
        expect_check_fails(m, "presence summary");   /* written behind the backend's back */
        /* junk in a fault descriptor */
        wr32(m, fpa, 0x10);
        expect_check_fails(m, "presence summary");
        wr32(m, fpa, 0);
        /* a coarse descriptor with the wrong domain */
        wr32(m, dpa, d ^ (2u << L1_DOMAIN_SHIFT));
        expect_check_fails(m, "not a coarse table");
        wr32(m, dpa, d);
        /* hardware entry and shadow disagree */
        uvmsim_paddr_t l2 = d & L1_COARSE_BASE;
        uint32_t hw = rd32(m, l2);
        wr32(m, l2, hw & ~(0xFFu << L2_AP_SHIFT));
        expect_check_fails(m, "disagrees");
        wr32(m, l2, hw);
        /* a second valid entry the count does not know about */
        wr32(m, l2 + 4, hw);
        wr32(m, l2 + 4 + ARM_L2_SHADOW_OFF, rd32(m, l2 + ARM_L2_SHADOW_OFF));
        expect_check_fails(m, "PV");          /* the common layer sees it first... */
        char msg[256];
        ck_assert_int_eq(m->pmm->ops->check(m->pmm, msg, sizeof(msg)), UVMSIM_ESTATE);
        ck_assert_msg(strstr(msg, "count says") != NULL, "%s", msg);   /* ...the backend too */
        wr32(m, l2 + 4, 0);
        wr32(m, l2 + 4 + ARM_L2_SHADOW_OFF, 0);
        VT_CHECK(m);
        /* a TLB entry the tables do not grant */
        uvmsim_tlb_insert(m->pmm->dtlb, 0, 0x41000, 0x1000, UVMSIM_PROT_READ, fass ? (unsigned)domain_of(p) : 1);
        expect_check_fails(m, fass ? "fass:" : "armv5:");
        uvmsim_tlb_flush_all(m->pmm->dtlb, "test");
        uvmsim_tlb_insert(m->pmm->itlb, 0, 0x40000, hw & L2_FRAME, UVMSIM_PROT_ALL, fass ? 9 : 1);
        expect_check_fails(m, fass ? "fass:" : "armv5:");
        uvmsim_tlb_flush_all(m->pmm->itlb, "test");
        VT_CHECK(m);
        if (fass) {
            uvmsim_paddr_t cpa;
            ck_assert(uvmsim_pmap_fass_cpd_pa(m, 0x400, &cpa));
            uint32_t c = rd32(m, cpa);
            wr32(m, cpa, c ^ (3u << L1_DOMAIN_SHIFT));
            expect_check_fails(m, "not pid");
            wr32(m, cpa, c);
            ck_assert(uvmsim_pmap_fass_cpd_pa(m, 0x123, &cpa));
            wr32(m, cpa, c);
            expect_check_fails(m, "untagged");
            wr32(m, cpa, 0);
            VT_CHECK(m);
        }
        uvmsim_machine_destroy(m);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pmap-arm");
    TCase *tc = tcase_create("arm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_machine_config);
    tcase_add_test(tc, test_va_pa_range);
    tcase_add_test(tc, test_tables_in_ram);
    tcase_add_test(tc, test_armv5_flushes_every_switch);
    tcase_add_test(tc, test_armv5_page_maintenance);
    tcase_add_test(tc, test_fass_domain_fault_loads_cpd);
    tcase_add_test(tc, test_fass_disjoint_no_flush);
    tcase_add_test(tc, test_fass_collision_flushes_region);
    tcase_add_test(tc, test_fass_domain_recycling);
    tcase_add_test(tc, test_fass_policies);
    tcase_add_test(tc, test_fass_policy_changes_victim);
    tcase_add_test(tc, test_fass_pid_relocation);
    tcase_add_test(tc, test_fass_pid_slots_shared);
    tcase_add_test(tc, test_fass_slot_alias);
    tcase_add_test(tc, test_fass_coherence);
    tcase_add_test(tc, test_enomem);
    tcase_add_test(tc, test_trace_events);
    tcase_add_test(tc, test_checker_catches);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
