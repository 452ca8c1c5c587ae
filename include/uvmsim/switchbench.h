/* uvmsim — a context-switch workload for comparing pmap backends (armv5 vs fass): N
 * processes, each with a small program image (text, data, stack), run round robin and
 * touch their pages in every time slice; the pmap counters of the measured slices are
 * returned.  examples/fass-switch sweeps it over backends and process counts. */
#ifndef UVMSIM_SWITCHBENCH_H
#define UVMSIM_SWITCHBENCH_H

#include "uvmsim/types.h"
#include "uvmsim/error.h"
#include "uvmsim/pmap.h"

#ifdef __cplusplus
extern "C" {
#endif

#define UVMSIM_SWITCHBENCH_MAX_PROCS 64

/* Process layout, relative to the process's base address:
 *   text  4 pages r-x at base + 0x8000 (fetched),
 *   data  4 pages rw- at base + 0x10000 (loaded and stored),
 *   stack 2 pages rw- just below base + 32 MiB (stored).
 * Base: 0 for every process by default (the same program linked below 32 MiB, which
 * FASS relocates by FCSE PID); 0x80000000 for every process with `high` (the same
 * program above 32 MiB: no relocation); 0x80000000 + i * 32 MiB for process i with
 * `different` (disjoint layouts). */
typedef struct uvmsim_switchbench_config {
    const char *backend;        /* pmap backend name */
    unsigned procs;             /* 1..UVMSIM_SWITCHBENCH_MAX_PROCS */
    unsigned switches;          /* measured time slices (>= 1), round robin */
    bool different;             /* disjoint layouts instead of the same program */
    bool high;                  /* the same program above 32 MiB (ignored with different) */
    bool share_domains;         /* fass: uvmsim_pmap_fass_set_sharing(m, true) */
    const char *domain_policy;  /* fass policies by name; NULL: the default */
    const char *pid_policy;
} uvmsim_switchbench_config;

typedef struct uvmsim_switchbench_result {
    uint64_t switches;          /* context switches in the measured phase (0 when procs == 1) */
    uint64_t tlb_flushes;       /* pmap-level TLB flushes: full, region (collision) */
    uint64_t cache_flushes, cache_cleans;
    uint64_t cpd_loads, cpd_collisions, domain_faults;
    uint64_t domain_recycles;   /* clean + dirty */
    uint64_t domain_recycles_dirty;
    uint64_t pid_slot_shared;   /* over the whole run: set-up included */
    uint64_t tlb_misses;        /* I + D */
    /* the hardware view of the flushes, I + D TLB: whole-TLB flushes, flushes of one
     * domain, single-entry invalidations (a collision's region flush is made of these) */
    uint64_t tlb_full_flushes, tlb_domain_flushes, tlb_single_invalidations;
    uint64_t accesses;
    uint64_t faults;            /* VM faults while measuring: 0, the working sets stay mapped */
    uvmsim_pmap_stats delta;    /* every pmap counter of the measured phase (for pricing with
                                   include/uvmsim/cost.h: uvmsim_cost_price(&cm, &r.delta, ...)) */
} uvmsim_switchbench_result;

/* Defaults: backend "fass", 8 processes, 1000 switches, same program below 32 MiB. */
UVMSIM_API void uvmsim_switchbench_config_init(uvmsim_switchbench_config *c);
/* Set up the processes (a warm-up round of every slice first), run the measured
 * slices, return the counters, tear everything down.  UVMSIM_EINVAL: NULL argument, no
 * backend, procs or switches out of range, an unknown backend or policy (a policy on a
 * backend other than fass); otherwise whatever creating the machine, mapping or an
 * access returned. */
UVMSIM_API int uvmsim_switchbench_run(const uvmsim_switchbench_config *c, uvmsim_switchbench_result *r);

#ifdef __cplusplus
}
#endif
#endif
