/* Internal to libuvmsim: the machine-independent VM structures — anons, amaps, uvm
 * objects and their pager operations, map entries, maps, processes — and the functions
 * the VM files call on each other.  Names mirror NetBSD sys/uvm. */
#ifndef UVMSIM_UVM_VM_H
#define UVMSIM_UVM_VM_H

#include "uvm_internal.h"

struct pmap;

/* An anonymous page (uvm_anon).  No swap: the page is always resident.
 * Invariants: an_ref == number of amap slots (over all amaps) pointing here, >= 1 while
 * live; an_page->owner == PGO_ANON and an_page->uanon == this anon. */
struct vm_anon {
    unsigned an_ref;
    struct vm_page *an_page;
    paddr_t an_pa;                 /* cached VM_PAGE_TO_PHYS(an_page) */
    unsigned an_check;             /* scratch for uvmsim_check() only */
};

#define AMAP_SHARED 0x1            /* referenced by a share-inherited entry */

/* An anonymous map (vm_amap): the upper layer of a mapping.
 * Invariants: am_ref == number of map entries (over all maps) whose aref names this amap;
 *             am_ppref[s] == number of those entries whose range covers slot s;
 *             am_anon[s] != NULL only while am_ppref[s] > 0 (a slot no entry covers is
 *             emptied at once, which is how a partial unmap frees exactly its pages);
 *             am_nused == number of non-NULL am_anon[]. */
struct vm_amap {
    unsigned am_ref;
    unsigned am_flags;             /* AMAP_SHARED */
    unsigned am_nslot;
    unsigned am_nused;
    struct vm_anon **am_anon;      /* [am_nslot] */
    unsigned *am_ppref;            /* [am_nslot] per-slot entry references */
    uint64_t am_id;                /* for pictures and traces */
    unsigned am_check;             /* scratch for uvmsim_check() only */
    unsigned *am_ppcheck;          /* scratch for uvmsim_check() only */
};

struct uvm_object;
struct uvm_faultctx;

/* Pager get flags */
#define PGO_LOCKED  0x1            /* resident look-up only: no allocation, no I/O */

/* What a pager reports back from a get: I/O done, pages allocated. */
struct uvm_pagerio {
    unsigned io_requests;
    uint64_t io_bytes;
    unsigned pages_allocated;
    uint64_t bmap_block;           /* XIP: fs block answered by bmap (0: hole) */
    bool bmap_done;
};

/* Pager operations (uvm_pagerops).  get() fills *ref with the page at byte offset `off`:
 * a RAM page of the object, a device page, or the zero page.  With PGO_LOCKED it only
 * reports what is resident (UVMSIM_EFAULT when nothing is, which is not an error).
 * The optional fault/copy_page ops are the second XIP design (a dedicated pager whose
 * fault op enters device pages itself and answers EROFS on a copy-on-write fault). */
struct uvm_pagerops {
    const char *pgo_name;          /* "anon", "vnode", "xip-vnode", "xip-pager" */
    void (*pgo_reference)(struct uvm_object *uobj);
    void (*pgo_detach)(struct uvm_object *uobj);    /* drop a reference; free at 0 */
    int  (*pgo_get)(struct uvm_object *uobj, voff_t off, unsigned flags,
                    struct uvm_pgref *ref, struct uvm_pagerio *io);
    /* Free resident pages in [start, end) that no mapping uses (cache trim). */
    void (*pgo_put)(struct uvm_object *uobj, voff_t start, voff_t end);
    int  (*pgo_fault)(struct uvm_faultctx *flt);                    /* optional */
    int  (*pgo_copy_page)(struct uvm_object *uobj, voff_t off, paddr_t dst); /* optional */
};

/* A memory object (uvm_object): the lower layer.
 * Invariants: uo_refs == number of map entries naming it + holders (vnode VM slot holds
 * none: the object holds a vnode reference instead); pages[i] != NULL iff page i is
 * resident in RAM with owner PGO_OBJECT, uobject == this, offset == i << page_shift. */
struct uvm_object {
    const struct uvm_pagerops *pgops;
    struct uvmsim_machine *m;
    unsigned uo_refs;
    uint64_t uo_npages;            /* size in pages */
    struct vm_page **pages;        /* resident RAM pages, [uo_npages] */
    uint64_t uo_npages_resident;
    void *priv;                    /* pager data: the vnode for vnode pagers */
    uint64_t uo_id;
    struct uvm_object *uo_next;    /* machine's list of live objects */
    unsigned uo_check;             /* scratch for uvmsim_check() only */
};

/* Entry flags (etype) */
#define UVM_ET_COPYONWRITE 0x1
#define UVM_ET_NEEDSCOPY   0x2

/* A map entry (vm_map_entry).
 * Invariants: start < end, both page aligned; entries of a map never overlap;
 *             amap != NULL => [slotoff, slotoff + npages) lies inside the amap and those
 *             slots' ppref count this entry; object != NULL => object ref counts it;
 *             prot ⊆ maxprot; NEEDSCOPY => COPYONWRITE. */
struct vm_map_entry {
    vaddr_t start, end;
    struct uvm_object *object;
    voff_t offset;                 /* of `start` in object */
    struct vm_amap *amap;
    unsigned slotoff;              /* aref.ar_pageoff */
    vm_prot_t prot, maxprot;
    uvmsim_inherit inherit;
    uvmsim_advice advice;
    unsigned etype;                /* UVM_ET_* */
    bool shared;                   /* mapped MAP_SHARED */
};

/* A map (vm_map): entries sorted by start in an array, so look-up is a binary search
 * (O(log n)); `hint` remembers the last entry found, as UVM's map hint does. */
struct vm_map {
    struct vm_map_entry **ents;
    unsigned nents, cap;
    unsigned hint;
    vaddr_t min_va, max_va;        /* [min_va, max_va) usable */
};

/* A process: pid, vmspace (map + pmap) and counters. */
struct uvmsim_proc {
    struct uvmsim_machine *m;
    int pid;
    struct vm_map map;
    struct pmap *pmap;
    uvmsim_vm_stats st;
    struct uvmsim_proc *p_next;
    void *exec;                    /* exec info (entry point etc.), owned by exec code */
    void (*exec_free)(void *);
};

/* ---- anons and amaps (uvm_amap.c) ---- */
struct vm_anon *uvmsim_anon_alloc(struct uvmsim_machine *m, bool zero);
void uvmsim_anon_free(struct uvmsim_machine *m, struct vm_anon *an);
struct vm_amap *uvmsim_amap_alloc(struct uvmsim_machine *m, unsigned nslot);
struct vm_anon *uvmsim_amap_lookup(const struct uvmsim_machine *m, const struct vm_map_entry *e, vaddr_t va);
/* Put anon in the entry's slot for va (replacing and unreferencing any old anon). */
void uvmsim_amap_add(struct uvmsim_machine *m, struct vm_map_entry *e, vaddr_t va, struct vm_anon *an);
/* Entry starts referencing its slot range / stops (freeing anons no entry covers). */
void uvmsim_amap_ref(struct uvmsim_machine *m, struct vm_map_entry *e);
void uvmsim_amap_unref(struct uvmsim_machine *m, struct vm_map_entry *e);
/* Split bookkeeping: the entry's range is shrinking to [start, end) (slots outside it
 * lose this entry's coverage, anons no one covers any more are freed). */
void uvmsim_amap_unref_range(struct uvmsim_machine *m, struct vm_map_entry *e, vaddr_t start, vaddr_t end);
/* Clear needs-copy: create an amap if there is none, else copy a shared one. */
int uvmsim_amap_copy(struct uvmsim_machine *m, struct vm_map_entry *e, bool *copied);

/* ---- objects (uvm_aobj.c and the vnode pagers) ---- */
int uvmsim_aobj_create(struct uvmsim_machine *m, uint64_t npages, struct uvm_object **out);
/* Common object bookkeeping for pagers. */
int uvmsim_object_init(struct uvmsim_machine *m, struct uvm_object *uo,
                       const struct uvm_pagerops *ops, uint64_t npages, bool resident_array);
void uvmsim_object_fini(struct uvm_object *uo);   /* frees resident pages, unlinks */
struct vm_page *uvmsim_object_page_alloc(struct uvm_object *uo, uint64_t idx, bool zero);
static inline void uvmsim_object_reference(struct uvm_object *uo) { uo->pgops->pgo_reference(uo); }
static inline void uvmsim_object_detach(struct uvm_object *uo) { uo->pgops->pgo_detach(uo); }

/* ---- vnode pagers (uvm_vnode.c): the object of a vnode, created on first map, with a
 * new reference for the caller.  *rdonly tells whether its mount is read-only. ---- */
int uvmsim_vnode_object(struct uvmsim_machine *m, uvmsim_vnode *vp, struct uvm_object **out, bool *rdonly);

/* ---- maps (uvm_map.c) ---- */
struct vm_map_entry *uvmsim_map_lookup_entry(struct vm_map *map, vaddr_t va);
int  uvmsim_map_insert(struct vm_map *map, struct vm_map_entry *e);
void uvmsim_map_entry_free(struct uvmsim_machine *m, struct uvmsim_proc *p, struct vm_map_entry *e);
void uvmsim_map_teardown(struct uvmsim_proc *p);
int  uvmsim_map_init(struct uvmsim_machine *m, struct vm_map *map);
/* Split so that an entry boundary falls at va (no-op if one does). */
int  uvmsim_map_clip(struct uvmsim_proc *p, vaddr_t va);
unsigned uvmsim_map_index(const struct vm_map *map, vaddr_t va);  /* first entry with end > va */

/* ---- faults (uvm_fault.c) ---- */
int uvmsim_fault_internal(struct uvmsim_proc *p, vaddr_t va, uvmsim_access access,
                          uvmsim_fault_outcome *out);

/* ---- the CPU model (uvm_access.c) ---- */
typedef void (*uvmsim_cpu_fault_fn)(const uvmsim_fault_outcome *o, void *arg);
/* The MMU through the pmap's translate, the fault handler on a failure, retried: the
 * path of an access that is not an inline TLB hit (uvmsim_pmap_fast_hit).  va lies in
 * one page; p must be current.  on_fault (NULL ok) sees each fault's outcome. */
int uvmsim_cpu_translate_slow(struct uvmsim_proc *p, vaddr_t va, uvmsim_access kind, paddr_t *pa,
                              uvmsim_cpu_fault_fn on_fault, void *arg);
/* Count one page access of n bytes: the process's block only (see uvmsim_vm_stats_get). */
static inline void uvmsim_cpu_count(struct uvmsim_proc *p, uvmsim_access kind, uint64_t n)
{
    /* by kind without a branch: the access kinds of a real trace do not follow a pattern */
    static const size_t bytes_field[3] = {offsetof(uvmsim_vm_stats, bytes_fetched),
                                          offsetof(uvmsim_vm_stats, bytes_loaded),
                                          offsetof(uvmsim_vm_stats, bytes_stored)};
    p->st.accesses++;
    *(uint64_t *)((char *)&p->st + bytes_field[kind]) += n;
}

static inline vaddr_t uvmsim_trunc_page(const struct uvmsim_machine *m, vaddr_t va)
{
    return va & ~(vaddr_t)m->page_mask;
}

#endif
