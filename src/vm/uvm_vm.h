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

/* A sparse array of machine words (uvm_sparse.c): a radix tree whose nodes are made on
 * first write, so memory follows the indices used.  A cell, once made, lives until
 * uvmsim_sparse_fini (callers reserve the cells an operation writes, then write). */
struct uvm_sparse_node;
struct uvm_sparse {
    struct uvm_sparse_node *root;
    unsigned depth;                /* levels: indices < 64^depth */
    size_t nodes;                  /* allocated nodes */
};
void uvmsim_sparse_init(struct uvm_sparse *sp, uint64_t n);       /* indices [0, n) */
void uvmsim_sparse_fini(struct uvm_sparse *sp);
uintptr_t uvmsim_sparse_get(const struct uvm_sparse *sp, uint64_t i);   /* 0: absent */
/* The cell of index i; create makes the nodes on the way (NULL: no host memory, or
 * absent without create). */
uintptr_t *uvmsim_sparse_cell(struct uvm_sparse *sp, uint64_t i, bool create);
/* The first non-zero cell with index in [from, to). */
bool uvmsim_sparse_next(const struct uvm_sparse *sp, uint64_t from, uint64_t to, uint64_t *idx, uintptr_t *val);
size_t uvmsim_sparse_bytes(const struct uvm_sparse *sp);

#define AMAP_SHARED 0x1            /* referenced by a share-inherited entry */

/* Sizes of NetBSD's uvm_amap.h: an entry of at least UVM_AMAP_LARGE pages that needs an
 * amap at fault time gets one for a UVM_AMAP_CHUNK-page chunk around the fault, the
 * entry being clipped to the chunk (amap_copy "chunking"). */
#define UVM_AMAP_LARGE 256
#define UVM_AMAP_CHUNK 16

/* amap_copy flags */
#define AMAP_COPY_NOCHUNK 0x1      /* copy the whole entry (fork, wiring) */
#define AMAP_COPY_WPROTECT 0x2     /* the old amap's entries may map its anons writable
                                      (a shared entry): write-protect every anon copied */

/* An anonymous map (vm_amap): the upper layer of a mapping.
 * Invariants: am_ref == number of map entries (over all maps) whose aref names this amap;
 *             without am_pprefed every one of them covers all am_nslot slots; with it,
 *             the run-length array am_ppref gives for every slot the number of entries
 *             covering it (NetBSD's ppref: a run of len slots with ref r starts with the
 *             cell r + 1 when len is 1, else -(r + 1) followed by a cell holding len);
 *             an anon sits only in a slot some entry covers (a slot no entry covers is
 *             emptied at once, which is how a partial unmap frees exactly its pages);
 *             am_nused == number of anons in am_anon.
 * am_anon and am_ppref are sparse: memory follows the slots used and the runs, never
 * am_nslot. */
struct vm_amap {
    unsigned am_ref;
    unsigned am_flags;             /* AMAP_SHARED */
    unsigned am_nslot;
    unsigned am_nused;
    struct uvm_sparse am_anon;     /* slot -> struct vm_anon * */
    struct uvm_sparse am_ppref;    /* run-length per-slot references (am_pprefed) */
    bool am_pprefed;
    uint64_t am_id;                /* for pictures and traces */
    unsigned am_check;             /* scratch for uvmsim_check() only */
};

struct uvm_object;
struct uvm_faultctx;

/* Pager get flags */
#define PGO_LOCKED   0x1           /* no I/O (a vnode pager answers resident pages only;
                                      the anonymous object allocates zeroed ones, as
                                      uao_get does) */
#define PGO_RESIDENT 0x2           /* a look that changes nothing: resident pages only,
                                      no allocation (the checker, pictures) */

/* What a pager reports back from a get: I/O done, pages allocated. */
struct uvm_pagerio {
    unsigned io_requests;
    uint64_t io_bytes;
    unsigned pages_allocated;
    uint64_t bmap_block;           /* XIP: fs block answered by bmap (0: hole) */
    bool bmap_done;
};

/* Pager operations (uvm_pagerops).  get() fills *ref with the page at byte offset `off`:
 * a RAM page of the object, a device page, or the zero page.  With PGO_LOCKED it does no
 * I/O: a vnode pager reports what is resident (UVMSIM_EFAULT when nothing is, which is
 * not an error), the anonymous object makes a zeroed page (uao_get); with PGO_RESIDENT
 * nothing is made at all.  The optional fault/copy_page ops are the second XIP design (a
 * dedicated pager whose fault op enters device pages itself, unmanaged, and answers
 * EROFS on a copy-on-write fault; copy_page then fills the new anon). */
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
    /* Optional, XIP pagers (docs/superpages.md): may [off, off + len) be mapped with one
     * large page?  UVMSIM_OK with *pa when the range is one run of device memory starting
     * at a len-aligned physical address (the file's blocks contiguous on the device, by
     * bmap) and the machine's or the mount's policy allows large pages; ENOTSUP (policy
     * off) or EFAULT (a hole, a discontinuity, misaligned, past end of file) otherwise.
     * The iomap_begin of Linux's DAX PMD fault, in pager form. */
    int  (*pgo_contig)(struct uvm_object *uobj, voff_t off, uint64_t len, paddr_t *pa);
};

/* A memory object (uvm_object): the lower layer.
 * Invariants: uo_refs == number of map entries naming it + holders (a SysV segment holds
 * one on its aobj; a vnode holds none on its object, which holds a vnode reference while
 * uo_refs > 0); page i is in `pages` iff it is resident in RAM with owner PGO_OBJECT,
 * uobject == this, offset == i << page_shift; uo_npages_resident counts them. */
struct uvm_object {
    const struct uvm_pagerops *pgops;
    struct uvmsim_machine *m;
    unsigned uo_refs;
    uint64_t uo_npages;            /* size in pages */
    struct uvm_sparse pages;       /* resident RAM pages: index -> struct vm_page * */
    uint64_t uo_npages_resident;
    unsigned uo_held;              /* references held outside map entries (a SysV segment) */
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
    unsigned wired_count;          /* uvm_map_pageable wirings; > 0: every page of the
                                      entry is resident and its RAM page is wired */
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
/* amap_alloc: an empty amap of nslot slots with one reference (the caller's entry);
 * NULL when host memory runs out. */
struct vm_amap *uvmsim_amap_alloc(struct uvmsim_machine *m, unsigned nslot);
struct vm_anon *uvmsim_amap_lookup(const struct uvmsim_machine *m, const struct vm_map_entry *e, vaddr_t va);
/* The first anon of am at a slot in [from, to), in slot order. */
bool uvmsim_amap_next(const struct vm_amap *am, unsigned from, unsigned to, unsigned *slot, struct vm_anon **an);
/* amap_add: put anon in the entry's slot for va, replacing and unreferencing any old
 * anon; ENOHOST (nothing changed) when the slot cannot be made. */
int uvmsim_amap_add(struct uvmsim_machine *m, struct vm_map_entry *e, vaddr_t va, struct vm_anon *an);
/* amap_ref: a new entry (fork) covers e's slot range of e's amap (marked AMAP_SHARED when
 * shared); ENOHOST with nothing changed. */
int uvmsim_amap_ref(struct uvmsim_machine *m, struct vm_map_entry *e, bool shared);
/* amap_unref: e stops covering its slots (anons no entry covers any more are freed, the
 * amap with its last reference); e->amap becomes NULL.  Never fails. */
void uvmsim_amap_unref(struct uvmsim_machine *m, struct vm_map_entry *e);
/* amap_splitref: e is being clipped at slot offset `delta` of its range; both halves will
 * reference the amap.  ENOHOST with nothing changed. */
int uvmsim_amap_splitref(struct uvmsim_machine *m, struct vm_map_entry *e, unsigned delta);
/* The reference run that holds slot s: its first slot, length and count (the amap's
 * am_ref for every slot while no ppref exists). */
void uvmsim_amap_pp_run(const struct vm_amap *am, unsigned s, unsigned *start, unsigned *len, unsigned *ref);
/* amap_copy: clear needs-copy on *ep (see uvm_amap.c).  With no amap and a large entry,
 * the entry is first clipped to the UVM_AMAP_CHUNK-page chunk around [startva, endva)
 * unless AMAP_COPY_NOCHUNK; *ep then names the entry holding startva. */
int uvmsim_amap_copy(struct uvmsim_proc *p, struct vm_map_entry **ep, unsigned flags,
                     vaddr_t startva, vaddr_t endva, bool *copied);

/* ---- objects (uvm_object.c: bookkeeping and the anonymous object) ---- */
int uvmsim_aobj_create(struct uvmsim_machine *m, uint64_t npages, struct uvm_object **out);
/* Common object bookkeeping for pagers: one reference, no resident page.  Never fails. */
int uvmsim_object_init(struct uvmsim_machine *m, struct uvm_object *uo,
                       const struct uvm_pagerops *ops, uint64_t npages);
void uvmsim_object_fini(struct uvm_object *uo);   /* frees resident pages, unlinks */
/* The resident page idx, or NULL. */
struct vm_page *uvmsim_object_page(const struct uvm_object *uo, uint64_t idx);
/* The first resident page at an index >= from. */
bool uvmsim_object_next_page(const struct uvm_object *uo, uint64_t from, uint64_t *idx, struct vm_page **pg);
/* Make page idx resident (zeroed when asked): NULL with *err ENOMEM or ENOHOST. */
struct vm_page *uvmsim_object_page_alloc(struct uvm_object *uo, uint64_t idx, bool zero, int *err);
/* Unmap page idx everywhere and free it (no-op when not resident). */
void uvmsim_object_page_free(struct uvm_object *uo, uint64_t idx);
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
/* uvm_map of an object, shared (not copy-on-write): at addr when fixed, else first fit.
 * On success the entry takes the caller's object reference. */
int uvmsim_map_object(struct uvmsim_proc *p, vaddr_t addr, uint64_t size, bool fixed, struct uvm_object *uo,
                      vm_prot_t prot, vm_prot_t maxprot, uvmsim_inherit inh, uvmsim_advice adv, vaddr_t *va_out);
/* Tear down what processes left behind at machine destruction (SysV segments). */
void uvmsim_shm_destroy_all(struct uvmsim_machine *m);

/* ---- faults (uvm_fault.c) ---- */
int uvmsim_fault_internal(struct uvmsim_proc *p, vaddr_t va, uvmsim_access access,
                          uvmsim_fault_outcome *out);
/* uvm_fault_wire: wire faults for every page of [start, end) of entry e, checked against
 * access_type (its maximum protection); on failure what was wired is unwired. */
int uvmsim_fault_wire(struct uvmsim_proc *p, struct vm_map_entry *e, vaddr_t start, vaddr_t end, vm_prot_t access_type);
/* uvm_fault_unwire: unwire the pages [start, end) of e resolve to. */
void uvmsim_fault_unwire(struct uvmsim_machine *m, struct vm_map_entry *e, vaddr_t start, vaddr_t end);

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
/* Count n page accesses of one kind moving bytes in all, at once (a caller that batches
 * its accesses adds them before anyone looks). */
static inline void uvmsim_cpu_count_n(struct uvmsim_proc *p, uvmsim_access kind, uint64_t n, uint64_t bytes)
{
    p->st.accesses += n;
    if (kind == UVMSIM_ACCESS_FETCH)
        p->st.bytes_fetched += bytes;
    else if (kind == UVMSIM_ACCESS_LOAD)
        p->st.bytes_loaded += bytes;
    else
        p->st.bytes_stored += bytes;
}

static inline vaddr_t uvmsim_trunc_page(const struct uvmsim_machine *m, vaddr_t va)
{
    return va & ~(vaddr_t)m->page_mask;
}

#endif
