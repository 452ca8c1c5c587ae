/* Internal to uvmsim tools: a read-only snapshot of a machine's VM structures — per
 * process its map entries and the pages its pmap translates, the amaps with their anon
 * slots, the anons, the memory objects with their resident pages, the valid TLB entries —
 * for pictures (uvmsim dot, uvmsim html), the scenario language's `expect` lines and tests.  Taking a snapshot changes
 * nothing, not even a counter: page tables are read with the backend's walk, which does
 * not touch the TLB or the statistics.
 *
 * The snapshot owns its arrays; they refer to each other by index, never by pointer,
 * so a snapshot can outlive the machine (kind strings are the pagers' static names). */
#ifndef UVMSIM_UVM_INTROSPECT_H
#define UVMSIM_UVM_INTROSPECT_H

#include "uvmsim/machine.h"
#include "uvmsim/vm.h"

#define UVMSIM_ISP_NONE UINT32_MAX      /* "no such index" in the cross references */

/* One valid translation (PTE) of a process. */
struct uvmsim_isp_pte {
    uvmsim_vaddr_t va;                  /* page aligned */
    uvmsim_paddr_t pa;                  /* page frame */
    uvmsim_prot_t prot;                 /* what the tables grant */
    uvmsim_page_loc loc;                /* ram / nor / zero */
    unsigned pv_count;                  /* mappings of pa over all pmaps (>= 1) */
};

/* One map entry.  Invariant: ptes[first_pte .. first_pte + npte) are the valid
 * translations inside [start, end), by address. */
struct uvmsim_isp_entry {
    uvmsim_vaddr_t start, end;
    uvmsim_prot_t prot, maxprot;
    uvmsim_inherit inherit;
    uvmsim_advice advice;
    bool copy_on_write, needs_copy, shared;
    uint32_t amap;                      /* index into amaps, or UVMSIM_ISP_NONE */
    unsigned slotoff;                   /* entry's first slot in its amap */
    uint32_t object;                    /* index into objects, or UVMSIM_ISP_NONE */
    uvmsim_off_t offset;                /* of start in the object */
    uint32_t first_pte, npte;
};

/* Invariant: entries[first_entry .. first_entry + nentries) are its entries by address. */
struct uvmsim_isp_proc {
    int pid;
    bool current;                       /* on the CPU */
    uint32_t first_entry, nentries;
};

/* One occupied amap slot. */
struct uvmsim_isp_slot {
    unsigned slot;
    uint32_t anon;                      /* index into anons */
};

/* Invariant: slots[first_slot .. first_slot + nused) are its occupied slots by number. */
struct uvmsim_isp_amap {
    uint64_t id;                        /* the amap's id (stable while it lives) */
    unsigned refs;                      /* map entries naming it */
    unsigned nslot;
    bool shared;                        /* AMAP_SHARED: inherited share */
    uint32_t first_slot, nused;
};

struct uvmsim_isp_anon {
    unsigned refs;                      /* amap slots pointing here */
    uvmsim_paddr_t pa;                  /* its RAM page */
    unsigned pv_count;
};

/* One resident RAM page of an object (page cache / aobj page). */
struct uvmsim_isp_objpage {
    uint64_t index;                     /* page index in the object */
    uvmsim_paddr_t pa;
    unsigned pv_count;
};

/* Invariant: pages[first_page .. first_page + nres) are its resident pages by index. */
struct uvmsim_isp_object {
    uint64_t id;
    const char *kind;                   /* pager name: "anon", "vnode", "xip-vnode", "xip-pager" */
    unsigned refs;
    uint64_t npages;                    /* size in pages */
    uint32_t first_page, nres;
};

/* One valid TLB entry, as the hardware model holds it. */
struct uvmsim_isp_tlbent {
    unsigned tlb;                       /* 0: the unified (or data) TLB, 1: the instruction TLB */
    uint32_t tag;                       /* the backend's tag: generic the pmap's ASID, ARM 0 */
    uvmsim_vaddr_t va;                  /* page aligned (ARM FCSE: the modified va) */
    uvmsim_paddr_t pa;
    uvmsim_prot_t prot;
};

struct uvmsim_isp_snapshot {
    size_t page_size;
    uvmsim_paddr_t zero_pa;
    struct uvmsim_isp_proc *procs;       uint32_t nprocs;   /* by pid */
    struct uvmsim_isp_entry *entries;    uint32_t nentries;
    struct uvmsim_isp_pte *ptes;         uint32_t nptes;
    struct uvmsim_isp_amap *amaps;       uint32_t namaps;   /* by id */
    struct uvmsim_isp_slot *slots;       uint32_t nslots;
    struct uvmsim_isp_anon *anons;       uint32_t nanons;   /* by first appearance */
    struct uvmsim_isp_object *objects;   uint32_t nobjects; /* by id */
    struct uvmsim_isp_objpage *objpages; uint32_t nobjpages;
    struct uvmsim_isp_tlbent *tlb;       uint32_t ntlb;     /* by (tlb, tag, va) */
    bool split_tlb;                      /* tlb 1 exists (fetches use their own TLB) */
};

/* Take a snapshot.  UVMSIM_EINVAL for NULL arguments, UVMSIM_ENOHOST when host memory
 * runs out (then *out is NULL). */
int uvmsim_introspect(const uvmsim_machine *m, struct uvmsim_isp_snapshot **out);
void uvmsim_introspect_free(struct uvmsim_isp_snapshot *s);

/* The translation p's tables hold for va (page frame and rights), without touching the
 * TLB or any counter.  false when nothing valid is mapped there. */
bool uvmsim_introspect_extract(const uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_paddr_t *pa,
                               uvmsim_prot_t *prot);
/* The snapshot's TLB entry with e's (tlb, tag, va), or NULL. */
const struct uvmsim_isp_tlbent *uvmsim_introspect_tlb_find(const struct uvmsim_isp_snapshot *s,
                                                           const struct uvmsim_isp_tlbent *e);
/* Where a physical page lives: ram, nor (device) or the zero page; none if unknown. */
uvmsim_page_loc uvmsim_introspect_loc(const uvmsim_machine *m, uvmsim_paddr_t pa);

#endif
