/* uvmsim — a cycle cost model: what the counted pmap/TLB/cache events would cost a CPU.
 *
 * The simulator counts events (TLB misses, flushes, cache maintenance, FASS CPD loads,
 * domain recycles, register writes); it does not time anything.  A cost model is a table
 * of cycles per counted event.  Its defaults describe the StrongARM SA-1100 (the CPU of the
 * FASS papers); docs/fass.md lists each default with its source and says which are
 * estimates.  Any entry can be changed by key, from KEY=VALUE text or a file, so a tool can
 * price a counter delta for another CPU:
 *
 *     uvmsim_cost_model cm;
 *     uvmsim_cost_defaults(&cm);
 *     uvmsim_cost_set(&cm, "tlb_miss", 60, NULL, 0);
 *     uvmsim_pmap_stats a, b, d;
 *     uvmsim_pmap_stats_get(m, &a);  ...run...  uvmsim_pmap_stats_get(m, &b);
 *     uvmsim_pmap_stats_delta(&a, &b, &d);
 *     uint64_t cycles = uvmsim_cost_price(&cm, &d, NULL);
 *
 * A model is a plain value: no handle, nothing to free, many may coexist. */
#ifndef UVMSIM_COST_H
#define UVMSIM_COST_H

#include "uvmsim/types.h"
#include "uvmsim/error.h"
#include "uvmsim/pmap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The table, one entry per key (the key is the field name).  Cycles unless said. */
typedef struct uvmsim_cost_model {
    uint64_t cpu_mhz;          /* clock, to turn cycles into microseconds (not a cost) */
    uint64_t switch_base;      /* per activation: the kernel's own switch path */
    uint64_t ttb_write;        /* per translation table base load (armv5 switch) */
    uint64_t dacr_write;       /* per domain access control register write (fass switch) */
    uint64_t pid_write;        /* per FCSE PID register write (fass switch) */
    uint64_t tlb_miss;         /* per TLB miss: the hardware table walk and refill */
    uint64_t tlb_flush;        /* per whole-TLB flush, per TLB (I and D count apart) */
    uint64_t tlb_flush_asid;   /* per flush of one ASID/domain (generic backend) */
    uint64_t tlb_inval;        /* per single-entry TLB invalidation */
    uint64_t cache_clean;      /* per whole-cache (or 1 MiB region) clean: write-back of dirty lines */
    uint64_t cache_flush;      /* per whole-cache (or region) invalidate: the operation itself */
    uint64_t refill_lines;     /* lines refetched after each whole-cache invalidate (count) */
    uint64_t line_fill;        /* per cache line fill from memory */
    uint64_t cache_line;       /* per line of page-sized maintenance (clean + invalidate) */
    uint64_t cache_line_size;  /* bytes per line (a power of two, 4..4096; not a cost) */
    uint64_t cpd_load;         /* per FASS CPD load: the abort, the handler, the entry write */
    uint64_t cpd_collision;    /* per CPD collision, beyond its load and its flushes */
    uint64_t domain_fault;     /* per domain fault, beyond the CPD load it leads to */
    uint64_t domain_recycle;   /* per domain recycled (clean or dirty), beyond its flushes */
    uint64_t share_update;     /* per FASS shared-table update (a page joins or leaves) */
} uvmsim_cost_model;

/* The priced terms of uvmsim_cost_price (each already multiplied), summing to the total. */
typedef struct uvmsim_cost_terms {
    uint64_t switch_base;      /* switch_base * activations */
    uint64_t registers;        /* TTB, DACR and PID writes */
    uint64_t tlb_miss;         /* TLB misses (walks and refills) */
    uint64_t tlb_flush;        /* whole, by-ASID and single-entry TLB maintenance */
    uint64_t cache;            /* whole/region clean and invalidate, refills, page maintenance */
    uint64_t fass;             /* CPD loads, collisions, domain faults, recycles, share updates */
    uint64_t total;
} uvmsim_cost_terms;

/* The SA-1100 defaults (docs/fass.md, "Switch cost in cycles"). */
UVMSIM_API void uvmsim_cost_defaults(uvmsim_cost_model *cm);
/* NULL-terminated key names, in the order of the struct. */
UVMSIM_API const char *const *uvmsim_cost_keys(void);
/* One entry by key.  set: UVMSIM_EINVAL for an unknown key (why lists the keys) or a value
 * out of range (cpu_mhz 1..1000000, cache_line_size a power of two 4..4096, every cost at
 * most 1e9).  get: UVMSIM_EINVAL for an unknown key. */
UVMSIM_API int uvmsim_cost_set(uvmsim_cost_model *cm, const char *key, uint64_t value, char *why, size_t whylen);
UVMSIM_API int uvmsim_cost_get(const uvmsim_cost_model *cm, const char *key, uint64_t *value);
/* One "KEY=VALUE" assignment (blanks around KEY and VALUE allowed; VALUE decimal). */
UVMSIM_API int uvmsim_cost_assign(uvmsim_cost_model *cm, const char *text, char *why, size_t whylen);
/* KEY=VALUE lines: blank lines and lines starting with '#' are skipped.  On the first bad
 * line UVMSIM_EINVAL with "NAME:LINE: ..." in why, and cm unchanged (all or nothing). */
UVMSIM_API int uvmsim_cost_parse(uvmsim_cost_model *cm, const char *text, size_t len, const char *name,
                                 char *why, size_t whylen);
/* The same from a file: UVMSIM_EIO when it cannot be read (why says so). */
UVMSIM_API int uvmsim_cost_load(uvmsim_cost_model *cm, const char *path, char *why, size_t whylen);

/* d = b - a for every counter of the pmap statistics (TLB counters included); the names
 * (backend, policies) and the levels (ptp_pages, pv_entries, pv_entries_device,
 * pv_hash_buckets, pv_hash_max_chain, shared_regions) are b's. */
UVMSIM_API void uvmsim_pmap_stats_delta(const uvmsim_pmap_stats *a, const uvmsim_pmap_stats *b,
                                        uvmsim_pmap_stats *d);
/* Cycles of the events counted in d (terms: NULL ok).  Page-sized cache maintenance is an
 * ARM event, priced as 4096 / cache_line_size lines of cache_line each. */
UVMSIM_API uint64_t uvmsim_cost_price(const uvmsim_cost_model *cm, const uvmsim_pmap_stats *d,
                                      uvmsim_cost_terms *terms);

#ifdef __cplusplus
}
#endif
#endif
