/* uvmsim — the context-switch workload behind examples/fass-switch and its test
 * (include/uvmsim/switchbench.h).  It is a driver written against the public API only
 * (processes, mappings, CPU accesses, pmap statistics), like an example program; it
 * lives in the library so the example and the Check suite run the same code. */
#include <string.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/switchbench.h"
#include "uvmsim/cost.h"

#define SB_PG        4096u
#define SB_TEXT_OFF  0x8000ull
#define SB_TEXT_PGS  4u
#define SB_DATA_OFF  0x10000ull
#define SB_DATA_PGS  4u
#define SB_STACK_PGS 2u
#define SB_SLOT      0x02000000ull            /* 32 MiB: a program's span */
#define SB_STACK_OFF (SB_SLOT - SB_STACK_PGS * SB_PG)
#define SB_HIGH_BASE 0x80000000ull

void uvmsim_switchbench_config_init(uvmsim_switchbench_config *c)
{
    if (c == NULL)
        return;
    memset(c, 0, sizeof(*c));
    c->backend = "fass";
    c->procs = 8;
    c->switches = 1000;
}

static uvmsim_vaddr_t base_of(const uvmsim_switchbench_config *c, unsigned i)
{
    if (c->different)
        return SB_HIGH_BASE + (uvmsim_vaddr_t)i * SB_SLOT;
    return c->high ? SB_HIGH_BASE : 0;
}

static int map_fixed(uvmsim_proc *p, uvmsim_vaddr_t va, unsigned pages, uvmsim_prot_t prot)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = va;
    a.size = (uint64_t)pages * SB_PG;
    a.prot = prot;
    a.flags = UVMSIM_MAP_PRIVATE | UVMSIM_MAP_FIXED;
    a.advice = UVMSIM_ADV_RANDOM;             /* one fault per page: a plain picture */
    uvmsim_vaddr_t out;
    return uvmsim_map(p, &a, &out);
}

static int setup_proc(uvmsim_machine *m, const uvmsim_switchbench_config *c, unsigned i, uvmsim_proc **out)
{
    uvmsim_vaddr_t b = base_of(c, i);
    int err = uvmsim_proc_create(m, out);
    if (err == UVMSIM_OK)
        err = map_fixed(*out, b + SB_TEXT_OFF, SB_TEXT_PGS, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC);
    if (err == UVMSIM_OK)
        err = map_fixed(*out, b + SB_DATA_OFF, SB_DATA_PGS, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE);
    if (err == UVMSIM_OK)
        err = map_fixed(*out, b + SB_STACK_OFF, SB_STACK_PGS, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE);
    return err;
}

/* One time slice of process i: switch to it, fetch its text, read and write its data,
 * push on its stack. */
static int slice(const uvmsim_switchbench_config *c, uvmsim_proc *p, unsigned i, unsigned round)
{
    uvmsim_vaddr_t b = base_of(c, i);
    uint8_t v = (uint8_t)(round + i);
    int err = uvmsim_proc_switch(p);
    for (unsigned k = 0; k < SB_TEXT_PGS && err == UVMSIM_OK; k++)
        err = uvmsim_access_mem(p, b + SB_TEXT_OFF + k * SB_PG, UVMSIM_ACCESS_FETCH, &v, 1, NULL, NULL);
    for (unsigned k = 0; k < SB_DATA_PGS && err == UVMSIM_OK; k++) {
        err = uvmsim_access_mem(p, b + SB_DATA_OFF + k * SB_PG + 8, UVMSIM_ACCESS_LOAD, &v, 1, NULL, NULL);
        if (err == UVMSIM_OK)
            err = uvmsim_access_mem(p, b + SB_DATA_OFF + k * SB_PG + 8, UVMSIM_ACCESS_STORE, &v, 1, NULL, NULL);
    }
    for (unsigned k = 0; k < SB_STACK_PGS && err == UVMSIM_OK; k++)
        err = uvmsim_access_mem(p, b + SB_STACK_OFF + k * SB_PG + 16, UVMSIM_ACCESS_STORE, &v, 1, NULL, NULL);
    return err;
}

int uvmsim_switchbench_run(const uvmsim_switchbench_config *c, uvmsim_switchbench_result *r)
{
    if (c == NULL || r == NULL || c->backend == NULL || c->procs == 0 ||
        c->procs > UVMSIM_SWITCHBENCH_MAX_PROCS || c->switches == 0)
        return UVMSIM_EINVAL;
    memset(r, 0, sizeof(*r));
    uvmsim_machine_config mc;
    uvmsim_machine_config_init(&mc);
    mc.pmap = c->backend;
    mc.ram_size = 32u << 20;
    uvmsim_machine *m = NULL;
    int err = uvmsim_machine_create(&mc, &m);
    if (err != UVMSIM_OK)
        return err;
    if (c->domain_policy != NULL || c->pid_policy != NULL)
        err = uvmsim_pmap_fass_set_policy(m, c->domain_policy, c->pid_policy);
    if (err == UVMSIM_OK && c->share_domains)
        err = uvmsim_pmap_fass_set_sharing(m, true);
    uvmsim_proc *procs[UVMSIM_SWITCHBENCH_MAX_PROCS];
    for (unsigned i = 0; i < c->procs && err == UVMSIM_OK; i++)
        err = setup_proc(m, c, i, &procs[i]);
    /* Warm-up: every process takes its faults and the backend reaches its steady state. */
    for (unsigned i = 0; i < c->procs && err == UVMSIM_OK; i++)
        err = slice(c, procs[i], i, 0);
    uvmsim_pmap_stats s0, s1;
    uvmsim_vm_stats v0, v1;
    uvmsim_pmap_stats_get(m, &s0);
    uvmsim_vm_stats_get(m, &v0);
    for (unsigned k = 0; k < c->switches && err == UVMSIM_OK; k++)
        err = slice(c, procs[k % c->procs], k % c->procs, k + 1);
    uvmsim_pmap_stats_get(m, &s1);
    uvmsim_vm_stats_get(m, &v1);
    if (err == UVMSIM_OK) {
        r->switches = s1.activations - s0.activations;
        r->tlb_flushes = s1.tlb_flushes - s0.tlb_flushes;
        r->cache_flushes = s1.cache_flushes - s0.cache_flushes;
        r->cache_cleans = s1.cache_cleans - s0.cache_cleans;
        r->cpd_loads = s1.cpd_loads - s0.cpd_loads;
        r->cpd_collisions = s1.cpd_collisions - s0.cpd_collisions;
        r->domain_faults = s1.domain_faults - s0.domain_faults;
        r->domain_recycles_dirty = s1.domain_recycles_dirty - s0.domain_recycles_dirty;
        r->domain_recycles = r->domain_recycles_dirty + (s1.domain_recycles_clean - s0.domain_recycles_clean);
        r->pid_slot_shared = s1.pid_slot_shared;
        r->tlb_misses = (s1.itlb.misses + s1.dtlb.misses) - (s0.itlb.misses + s0.dtlb.misses);
        r->tlb_full_flushes = (s1.itlb.full_flushes + s1.dtlb.full_flushes) -
                              (s0.itlb.full_flushes + s0.dtlb.full_flushes);
        r->tlb_domain_flushes = (s1.itlb.asid_flushes + s1.dtlb.asid_flushes) -
                                (s0.itlb.asid_flushes + s0.dtlb.asid_flushes);
        r->tlb_single_invalidations = (s1.itlb.single_invalidations + s1.dtlb.single_invalidations) -
                                      (s0.itlb.single_invalidations + s0.dtlb.single_invalidations);
        uvmsim_pmap_stats_delta(&s0, &s1, &r->delta);
        r->accesses = v1.accesses - v0.accesses;
        r->faults = v1.faults_total - v0.faults_total;
    }
    uvmsim_machine_destroy(m);
    return err;
}
