/* uvmsim — pmap backends, the MMU/TLB model and their counters.
 *
 * The VM layer talks to physical maps only through an operations table (see
 * src/pmap_sim/pmap_impl.h); the backend is chosen by name in the machine config. */
#ifndef UVMSIM_PMAP_H
#define UVMSIM_PMAP_H

#include "uvmsim/types.h"
#include "uvmsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Names of the compiled-in backends, NULL-terminated ("generic", ...). */
UVMSIM_API const char *const *uvmsim_pmap_backends(void);
/* Name of the machine's backend. */
UVMSIM_API const char *uvmsim_pmap_backend_name(const uvmsim_machine *m);

typedef struct uvmsim_tlb_stats {
    uint64_t lookups, hits, misses;
    uint64_t walks;               /* table walks (one per miss) */
    uint64_t fills;               /* entries inserted */
    uint64_t evictions;           /* valid entries replaced */
    uint64_t full_flushes;        /* whole-TLB flushes */
    uint64_t asid_flushes;        /* flushes of one ASID / domain */
    uint64_t single_invalidations;/* one-entry invalidations */
    uint64_t entries_flushed;     /* valid entries dropped by flushes */
} uvmsim_tlb_stats;

typedef struct uvmsim_pmap_stats {
    const char *backend;
    uvmsim_tlb_stats itlb;        /* the unified TLB is reported as dtlb; itlb is zero */
    uvmsim_tlb_stats dtlb;
    uint64_t enters, removes, protects, page_protects, extracts;
    uint64_t activations;         /* pmap_activate calls (context switches) */
    uint64_t switch_cost;         /* backend's cost units for switches (flushed entries etc.) */
    uint64_t ptp_pages;           /* RAM pages now used by page tables */
    uint64_t pv_entries;          /* live PV entries, RAM + device */
    uint64_t pv_entries_device;   /* live entries in the device PV hash */
    uint64_t pv_hash_buckets, pv_hash_max_chain;
    uint64_t pv_hash_lookups, pv_hash_steps;
    uint64_t mmu_faults;          /* translations that failed (absent / insufficient) */
    /* ARM backends (zero for generic) */
    uint64_t cache_cleans, cache_flushes;
    uint64_t tlb_flushes;         /* full + by domain, as the FASS papers count them */
    uint64_t cpd_loads, cpd_collisions;
    uint64_t domain_faults, domain_recycles_clean, domain_recycles_dirty;
    uint64_t pid_relocations, pid_slot_shared;
    const char *domain_policy;    /* FASS recycle policy name, NULL elsewhere */
    const char *pid_policy;       /* FASS PID slot policy name, NULL elsewhere */
    uint64_t cache_page_ops;      /* ARM: page-sized cache cleans/flushes done by remove/protect */
    /* generic backend (zero elsewhere) */
    uint64_t asid_rollovers;      /* ASID space exhausted: generation bumped, TLBs flushed */
} uvmsim_pmap_stats;

UVMSIM_API void uvmsim_pmap_stats_get(const uvmsim_machine *m, uvmsim_pmap_stats *out);
/* FASS policies, chosen by name; NULL keeps the current one.
 *   domain_policy (which domain to recycle when all are taken): "clean-fewest" (default:
 *     a clean domain first, then the fewest CPD entries), "fewest", "clean-lru", "lru";
 *   pid_policy (FCSE slot for a program mapped below 32 MiB): "round-robin" (default),
 *     "least-used".
 * UVMSIM_EINVAL for an unknown name or a machine whose backend is not "fass". */
UVMSIM_API int uvmsim_pmap_fass_set_policy(uvmsim_machine *m, const char *domain_policy,
                                           const char *pid_policy);
/* NULL-terminated policy names of one kind ("domain" or "pid"); NULL for another kind. */
UVMSIM_API const char *const *uvmsim_pmap_fass_policies(const char *kind);

/* The CPU model takes a TLB hit of the running process inline (no call into the
 * backend) when it can; every counter and side effect is the same as through the
 * backend's translate.  Off sends every access through the backend: for tests that
 * compare both, and for timing the difference.  On by default. */
UVMSIM_API void uvmsim_pmap_set_fast_path(uvmsim_machine *m, bool enabled);
/* Is the inline hit path on (enabled, and the backend describes its hits)? */
UVMSIM_API bool uvmsim_pmap_fast_path(const uvmsim_machine *m);

/* Number of live mappings (PV entries) of one physical page, RAM or device. */
UVMSIM_API unsigned uvmsim_pmap_pv_count(const uvmsim_machine *m, uvmsim_paddr_t pa);

#ifdef __cplusplus
}
#endif
#endif
