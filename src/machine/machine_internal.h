/* Internal to libuvmsim: the machine core, the ground layer every subsystem stands on —
 * the machine instance, physical segments, vm_page, the RAM allocator, the event sink and
 * the seeded random source.  It calls none of the other subsystems (flashdev, fs,
 * pmap_sim, vm), so includes and calls run one way (docs/layering.md; checked by the
 * layering test).  Not installed.  Every non-static symbol carries the uvmsim_ prefix;
 * the shared library exports only symbols marked UVMSIM_API. */
#ifndef UVMSIM_MACHINE_INTERNAL_H
#define UVMSIM_MACHINE_INTERNAL_H

#include "uvmsim/machine.h"
#include "uvmsim/vm.h"
#include "uvmsim/trace.h"
#include "uvmsim/pmap.h"

typedef uvmsim_paddr_t paddr_t;
typedef uvmsim_vaddr_t vaddr_t;
typedef uvmsim_off_t voff_t;
typedef uvmsim_prot_t vm_prot_t;

struct vm_anon;
struct uvm_object;
struct pmap;
struct pv_entry;
struct pmap_machine;
struct uvmsim_flashdev;

/* Who owns a RAM page.  Used by the allocator's accounting and by uvmsim_check(). */
enum vm_page_owner {
    PGO_FREE = 0,   /* on its segment's free list */
    PGO_ANON,       /* uanon set */
    PGO_OBJECT,     /* uobject + offset set */
    PGO_PTP,        /* a page-table page of some pmap */
    PGO_ZERO,       /* the machine's shared zero page */
    PGO_OTHER       /* uvmsim_ram_alloc() by a caller */
};

/* One managed RAM page (NetBSD struct vm_page).  Device pages have none of these.
 * Invariants: owner == PGO_FREE  <=> the page is on its segment's free list;
 *             owner == PGO_ANON  <=> uanon != NULL and uanon->an_page == this page;
 *             owner == PGO_OBJECT <=> uobject != NULL, the object's page slot at
 *                                     offset points back here;
 *             pvlist lists every (pmap, va) whose PTE maps this page (the MD part). */
struct vm_page {
    uint8_t owner;                 /* enum vm_page_owner */
    uint8_t flags;                 /* PG_* below */
    uint32_t free_next;            /* index of next free page in segment, UINT32_MAX ends */
    struct vm_anon *uanon;
    struct uvm_object *uobject;
    voff_t offset;                 /* byte offset in uobject */
    struct pv_entry *pvlist;       /* pmap's P->V list for this page */
    uint32_t wire_count;           /* wirings (uvm_pagewire, kept by the vm layer): pages of
                                      wired map entries resolving to this page; anon and
                                      object pages only */
};
#define PG_FAKE   0x01             /* allocated but contents not yet valid */
#define PG_ZERO   0x02             /* known to be all zeroes */

/* A registered physical segment (NetBSD vm_physseg).  Sorted by start, never overlapping.
 * RAM: pgs[npages] and a free list threaded through pgs[].free_next; mem owned.
 * DEVICE: pgs == NULL (no per-page structure, the point of the XIP work); mem belongs to
 *         the device that registered it. */
struct vm_physseg {
    uvmsim_seg_kind kind;
    paddr_t start, end;
    uint64_t npages;
    vm_prot_t prot;
    uint8_t *mem;                  /* host bytes backing [start, end) */
    bool owns_mem;
    struct vm_page *pgs;           /* RAM only */
    uint32_t free_head;            /* RAM only; UINT32_MAX when empty */
    uint64_t nfree;
};

/* A page reference handed between pagers, the fault handler and pmap: either a managed
 * RAM page (pg != NULL, pa == its address) or a device page (pg == NULL, pa only).
 * NetBSD encodes the latter as a magic vm_page pointer; a typed pair is clearer. */
struct uvm_pgref {
    paddr_t pa;
    struct vm_page *pg;
};

struct uvmsim_proc;

/* A fault-injection plan (uvmsim_ram_fail_next, uvmsim_flashdev_fail_reads): let `skip`
 * more operations succeed, then fail the next `left` (UVMSIM_INJECT_FOREVER: all). */
struct uvmsim_inject {
    uint64_t skip;
    uint64_t left;
};

/* Set a plan: skip, then fail count ((0, 0) or count 0: nothing fails). */
static inline void uvmsim_inject_plan(struct uvmsim_inject *in, uint64_t skip, uint64_t count)
{
    in->skip = count ? skip : 0;
    in->left = count;
}

/* Should the operation about to be done fail?  Advances the plan by one operation. */
static inline bool uvmsim_inject_fire(struct uvmsim_inject *in)
{
    if (in->left == 0)
        return false;
    if (in->skip > 0) {
        in->skip--;
        return false;
    }
    if (in->left != UVMSIM_INJECT_FOREVER)
        in->left--;
    return true;
}

/* The simulator instance.  Owns every other structure; nothing here is global. */
struct uvmsim_machine {
    uvmsim_machine_config cfg;
    unsigned page_shift;
    uint64_t page_mask;            /* page_size - 1 */

    struct vm_physseg *segs;       /* sorted by start; nsegs valid */
    unsigned nsegs, segs_cap;

    uvmsim_ram_stats ram;          /* kept current by the allocator */
    struct uvmsim_inject ram_fail; /* injected allocation failures (uvmsim_ram_fail_next) */
    struct vm_page *zero_pg;       /* the shared zero page (owner PGO_ZERO) */
    paddr_t zero_pa;

    struct pmap_machine *pmm;      /* pmap_sim: backend, TLBs, PV hash */

    struct uvmsim_proc *procs;     /* live processes, linked by p_next (vm) */
    struct uvmsim_proc *curproc;   /* on the CPU, or NULL (vm) */
    int curpid;                    /* curproc's pid, -1 when none: events carry it */
    int next_pid;

    struct uvmsim_flashdev *devs;  /* attached flash devices, linked by next */
    struct uvmsim_mount *mounts;   /* fs mount table (owned by fs) */

    uvmsim_vm_stats vmstats;

    uvmsim_trace_fn trace_fn;
    void *trace_arg;
    uint64_t trace_seq;

    uint64_t rng;                  /* xorshift state, from cfg.seed */
    char why[256];                 /* the last failure's sentence (uvmsim_last_error) */
    uint64_t next_id;              /* ids of amaps/objects for pictures and traces */
    struct uvm_object *objects;    /* live uvm objects (uo_next) */
};

/* ---- phys (uvm_phys.c) ---- */
struct vm_physseg *uvmsim_phys_lookup(const struct uvmsim_machine *m, paddr_t pa);
/* vm_page of a managed RAM address, NULL for device or unknown addresses. */
struct vm_page *uvmsim_phys_to_vm_page(const struct uvmsim_machine *m, paddr_t pa);
paddr_t uvmsim_vm_page_to_phys(const struct uvmsim_machine *m, const struct vm_page *pg);
/* Host pointer to len bytes at pa, NULL unless wholly inside one segment. */
uint8_t *uvmsim_phys_ptr(const struct uvmsim_machine *m, paddr_t pa, size_t len);
/* uvm_pagealloc: one RAM page with the given owner, optionally zeroed; NULL when RAM is
 * exhausted (ram.alloc_failures counted). */
struct vm_page *uvmsim_pagealloc(struct uvmsim_machine *m, enum vm_page_owner owner, bool zero);
void uvmsim_pagefree(struct uvmsim_machine *m, struct vm_page *pg);
/* Move a page's accounting from one owner kind to another. */
void uvmsim_page_set_owner(struct uvmsim_machine *m, struct vm_page *pg, enum vm_page_owner owner);
void uvmsim_phys_fini(struct uvmsim_machine *m);

/* ---- the machine core (machine.c) ----
 * core_init validates cfg and sets up what the core owns: the RAM segment and the zero
 * page; => on failure nothing is left allocated.  core_fini frees the segments; the
 * other subsystems' state must be gone by then (uvmsim_machine_destroy orders it). */
int uvmsim_machine_config_check(const uvmsim_machine_config *c, char *why, size_t whylen);
int uvmsim_machine_core_init(struct uvmsim_machine *m, const uvmsim_machine_config *cfg);
void uvmsim_machine_core_fini(struct uvmsim_machine *m);

/* Record why a call failed (uvmsim_last_error) and return err, for `return fail(...)`. */
int uvmsim_machine_fail(struct uvmsim_machine *m, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- event sink and random source (machine.c) ---- */
void uvmsim_emit(struct uvmsim_machine *m, uvmsim_event *ev);
static inline bool uvmsim_tracing(const struct uvmsim_machine *m) { return m->trace_fn != NULL; }
uint64_t uvmsim_rand(struct uvmsim_machine *m);

#endif
