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
    /* register writes of a context switch (priced by include/uvmsim/cost.h) */
    uint64_t ttb_writes;          /* armv5: translation table base loads */
    uint64_t dacr_writes;         /* fass: domain access control register writes */
    uint64_t pid_writes;          /* fass: FCSE PID register writes */
    /* fass shared domains (uvmsim_pmap_fass_set_sharing; zero when off) */
    uint64_t shared_domain_hits;  /* TLB hits on entries tagged with a shared domain */
    uint64_t shared_domain_fills; /* TLB fills through a shared CPD entry */
    uint64_t share_groups_made;   /* shared regions formed (2 sharers at one 1 MiB) */
    uint64_t share_joins;         /* address spaces that joined a shared region */
    uint64_t share_leaves;        /* ... that left one (write, unmap, protect, divergence, exit) */
    uint64_t share_updates;       /* shared-table entries added or removed */
    uint64_t share_fallbacks;     /* a sharer's own page missing from the shared table: its
                                     private first-level entry loaded instead */
    uint64_t shared_regions;      /* shared regions live now */
    uint64_t placements;          /* fass least-contention placement: mmap areas placed */
} uvmsim_pmap_stats;

UVMSIM_API void uvmsim_pmap_stats_get(const uvmsim_machine *m, uvmsim_pmap_stats *out);
/* FASS policies, chosen by name; NULL keeps the current one.
 *   domain_policy (which domain to recycle when all are taken): "clean-fewest" (default:
 *     a clean domain first, then the fewest CPD entries), "fewest", "clean-lru", "lru";
 *   pid_policy (FCSE slot for a program mapped below 32 MiB): "round-robin" (default),
 *     "least-used", "none" (PID 0 for all: no relocation, identical MVAs).
 * UVMSIM_EINVAL for an unknown name or a machine whose backend is not "fass". */
UVMSIM_API int uvmsim_pmap_fass_set_policy(uvmsim_machine *m, const char *domain_policy,
                                           const char *pid_policy);
/* FASS shared domains (off by default): address spaces that map the same pages at the same
 * virtual address (the same object there: XIP text of one binary) share a domain and a
 * table for that 1 MiB region, so a TLB entry filled by one serves all of them; a sharer
 * whose page there changes (a write's copy, an unmap, a protect, another page) leaves.
 * Off dissolves every shared region.  UVMSIM_EINVAL on a machine whose backend is not
 * "fass".  docs/fass.md says when regions form and what each rule costs. */
UVMSIM_API int uvmsim_pmap_fass_set_sharing(uvmsim_machine *m, bool on);
UVMSIM_API bool uvmsim_pmap_fass_sharing(const uvmsim_machine *m);
/* FASS least-contention placement (off by default): a mapping without a fixed address goes
 * into a 1 MiB region its process already uses when it fits there, else into the free
 * region the fewest other address spaces use (ties: the fewest CPD collisions seen there,
 * then the lowest address).  UVMSIM_EINVAL when the backend is not "fass". */
UVMSIM_API int uvmsim_pmap_fass_set_placement(uvmsim_machine *m, bool on);
UVMSIM_API bool uvmsim_pmap_fass_placement(const uvmsim_machine *m);
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
