/* uvmsim — a simulator instance ("machine") and its physical address space.
 *
 * A machine owns everything: physical memory, devices, mounts, processes, the TLB,
 * statistics and the event trace.  Nothing is global, so many machines may live in one
 * process.  Physical segments are registered the NetBSD way: RAM with
 * uvmsim_page_physload() (one vm_page per page), device memory with
 * uvmsim_physload_device() (no per-page structure at all). */
#ifndef UVMSIM_MACHINE_H
#define UVMSIM_MACHINE_H

#include "uvmsim/types.h"
#include "uvmsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* TLB shape.  entries == 0 disables that TLB (every access walks). */
typedef enum uvmsim_tlb_repl {
    UVMSIM_TLB_LRU = 0,
    UVMSIM_TLB_FIFO = 1,      /* round-robin per set */
    UVMSIM_TLB_RANDOM = 2     /* seeded from the machine seed */
} uvmsim_tlb_repl;

typedef struct uvmsim_tlb_config {
    unsigned entries;         /* per TLB (each of I and D when split) */
    unsigned ways;            /* associativity; 0 or == entries: fully associative */
    uvmsim_tlb_repl repl;
    bool split;               /* separate instruction and data TLBs */
} uvmsim_tlb_config;

typedef struct uvmsim_machine_config {
    size_t page_size;         /* power of two >= 512; default 4096 */
    uvmsim_paddr_t ram_base;  /* default 0 */
    uint64_t ram_size;        /* default 16 MiB; multiple of page_size */
    uvmsim_paddr_t nor_base;  /* base of the NOR window; default 0x40000000 */
    uint64_t nor_size;        /* window size (max image size); default 64 MiB */
    const char *pmap;         /* pmap backend name: "generic" (default), "armv5", "fass" */
    uvmsim_tlb_config tlb;    /* default: 64 entries, 4 ways, LRU, unified */
    unsigned pv_hash_buckets; /* device-page PV hash size; default 1024 */
    uint64_t seed;            /* seeds every random choice; default 1 */
    bool superpages;          /* map XIP file ranges with large pages where the file's
                                 blocks allow (docs/superpages.md); a mount can say
                                 otherwise (UVMSIM_MNT_SUPERPAGES / _NOSUPERPAGES);
                                 default false */
} uvmsim_machine_config;

/* The library's version, "MAJOR.MINOR.PATCH" (the CMake project version). */
UVMSIM_API const char *uvmsim_version(void);

/* Fill *cfg with the defaults documented above. */
UVMSIM_API void uvmsim_machine_config_init(uvmsim_machine_config *cfg);

/* Create a machine.  Registers one RAM segment [ram_base, ram_base+ram_size) and
 * allocates the shared zero page from it.  The NOR window is reserved in the address
 * plan but its device segment is registered only when a flash device is attached. */
UVMSIM_API int uvmsim_machine_create(const uvmsim_machine_config *cfg, uvmsim_machine **out);
/* Would uvmsim_machine_create() accept cfg (NULL: the defaults)?  UVMSIM_OK, or the error
 * it would return, with a sentence in why (when non-NULL) naming the rule cfg breaks:
 * the core's (page size, alignment, overlap, TLB shape) or the pmap backend's (an unknown
 * name; the ARM backends need 4 KiB pages and a 32-bit physical plan). */
UVMSIM_API int uvmsim_machine_config_explain(const uvmsim_machine_config *cfg, char *why, size_t whylen);
/* The sentence explaining the most recent failed call on m that said more than its error
 * code (the path of a missing image file, the size rule an image broke, ...); "" when no
 * call has failed yet.  Read it right after the failure: a later failure replaces it. */
UVMSIM_API const char *uvmsim_last_error(const uvmsim_machine *m);
/* Tear the machine down, including every process, mount and device it owns. NULL ok. */
UVMSIM_API void uvmsim_machine_destroy(uvmsim_machine *m);

UVMSIM_API size_t uvmsim_page_size(const uvmsim_machine *m);
UVMSIM_API const uvmsim_machine_config *uvmsim_machine_config_get(const uvmsim_machine *m);

/* ---- physical segments ---- */

typedef enum uvmsim_seg_kind {
    UVMSIM_SEG_RAM = 0,       /* managed: has a vm_page per page */
    UVMSIM_SEG_DEVICE = 1     /* unmanaged device memory: no per-page structure */
} uvmsim_seg_kind;

typedef struct uvmsim_seg_info {
    uvmsim_seg_kind kind;
    uvmsim_paddr_t start;     /* first byte */
    uvmsim_paddr_t end;       /* one past the last byte */
    uint64_t npages;
    uvmsim_prot_t prot;       /* device segments: what mappings may allow */
    size_t metadata_bytes;    /* bytes of per-page metadata (0 for device segments) */
    uint64_t free_pages;      /* RAM only */
} uvmsim_seg_info;

/* Register an additional RAM segment (uvm_page_physload()).  Page aligned, no overlap. */
UVMSIM_API int uvmsim_page_physload(uvmsim_machine *m, uvmsim_paddr_t start, uvmsim_paddr_t end);
/* Register a device segment backed by host memory `backing` (bus_space_physload_device()).
 * The machine does not own `backing`; it must outlive the segment. */
UVMSIM_API int uvmsim_physload_device(uvmsim_machine *m, uvmsim_paddr_t start, uvmsim_paddr_t end,
                                      uvmsim_prot_t prot, uint8_t *backing);
/* Remove a device segment previously registered at `start`. */
UVMSIM_API int uvmsim_physunload_device(uvmsim_machine *m, uvmsim_paddr_t start);

UVMSIM_API unsigned uvmsim_phys_nsegs(const uvmsim_machine *m);
/* Segments are reported in address order. */
UVMSIM_API int uvmsim_phys_seg(const uvmsim_machine *m, unsigned idx, uvmsim_seg_info *out);
/* Which segment holds pa (O(log segments)). */
UVMSIM_API int uvmsim_phys_find(const uvmsim_machine *m, uvmsim_paddr_t pa, uvmsim_seg_info *out);

/* ---- byte access to simulated physical memory (bounds-checked, no MMU) ---- */
UVMSIM_API int uvmsim_phys_read(const uvmsim_machine *m, uvmsim_paddr_t pa, void *buf, size_t len);
/* Writes into a device segment fail with UVMSIM_EROFS. */
UVMSIM_API int uvmsim_phys_write(uvmsim_machine *m, uvmsim_paddr_t pa, const void *buf, size_t len);
UVMSIM_API int uvmsim_phys_copy(uvmsim_machine *m, uvmsim_paddr_t dst, uvmsim_paddr_t src, size_t len);
UVMSIM_API int uvmsim_phys_zero(uvmsim_machine *m, uvmsim_paddr_t pa, size_t len);

/* ---- RAM page allocator (exposed for tests and research tools) ---- */
typedef struct uvmsim_ram_stats {
    uint64_t total_pages;     /* all RAM pages of all RAM segments */
    uint64_t free_pages;
    uint64_t used_pages;      /* total - free */
    uint64_t high_water;      /* max used_pages ever seen */
    uint64_t allocs, frees, alloc_failures;
    /* used_pages broken down by owner */
    uint64_t anon_pages, object_pages, ptp_pages, zero_pages, other_pages;
} uvmsim_ram_stats;

UVMSIM_API void uvmsim_ram_stats_get(const uvmsim_machine *m, uvmsim_ram_stats *out);
/* Allocate / free one raw RAM page (owner "other").  Returns its physical address. */
UVMSIM_API int uvmsim_ram_alloc(uvmsim_machine *m, bool zero, uvmsim_paddr_t *pa_out);
UVMSIM_API int uvmsim_ram_free(uvmsim_machine *m, uvmsim_paddr_t pa);
/* The shared, always-zero page (maps every hole of an XIP file). */
UVMSIM_API uvmsim_paddr_t uvmsim_zero_page(const uvmsim_machine *m);

/* Fault injection: make RAM run out on purpose.  After `skip` more page allocations
 * succeed, the next `count` fail exactly as they do on a machine whose RAM is exhausted
 * (and nothing could be reclaimed: NetBSD's !uvm_reclaimable()): every allocator of the
 * machine — the fault handler's anons, the pagers' page-cache and anonymous-object
 * pages, pmap_enter's page-table pages, uvmsim_ram_alloc — sees the failure and returns
 * UVMSIM_ENOMEM, and each failure is counted in uvmsim_ram_stats.alloc_failures.
 * count UVMSIM_INJECT_FOREVER fails every allocation until the plan is replaced;
 * (0, 0) clears it.  A new call replaces the previous plan.  UVMSIM_EINVAL for NULL. */
#define UVMSIM_INJECT_FOREVER UINT64_MAX
UVMSIM_API int uvmsim_ram_fail_next(uvmsim_machine *m, uint64_t skip, uint64_t count);

/* Per-page metadata cost: sizeof(struct vm_page) and the totals over all segments. */
typedef struct uvmsim_metadata_report {
    size_t vm_page_size;      /* bytes of one vm_page (including its PV head) */
    uint64_t ram_pages, device_pages;
    size_t ram_metadata_bytes;    /* ram_pages * vm_page_size */
    size_t device_metadata_bytes; /* always 0: device pages have no vm_page */
} uvmsim_metadata_report;
UVMSIM_API void uvmsim_metadata_report_get(const uvmsim_machine *m, uvmsim_metadata_report *out);

#ifdef __cplusplus
}
#endif
#endif
