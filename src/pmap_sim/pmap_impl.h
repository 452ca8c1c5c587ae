/* Internal to libuvmsim: the pmap interface the VM layer calls, the backend operations
 * table, PV tracking and the TLB model.
 *
 * Layering: the VM calls only the uvmsim_pmap_*() functions below.  They do the
 * machine-independent part (PV entries for RAM pages on vm_page->pvlist, for device
 * pages in the machine's PV hash; counters; events) and delegate the page tables, the
 * TLB policy and context switching to the backend's ops table. */
#ifndef UVMSIM_PMAP_IMPL_H
#define UVMSIM_PMAP_IMPL_H

#include "../machine/machine_internal.h"

/* pmap_enter flags */
#define PMAP_CANFAIL   0x01   /* return UVMSIM_ENOMEM instead of asserting */
#define PMAP_DEVICE    0x02   /* pa is a device page (cacheable mapping, PV hash) */
#define PMAP_WIRED     0x04
#define PMAP_UNMANAGED 0x08   /* device pages only: no PV entry (a pager that enters
                                 device pages itself, the fault-op XIP design); such a
                                 mapping cannot be found from its physical page */

/* One (pmap, va) mapping of a physical page.  On a RAM page's pvlist or in a device PV
 * hash chain (then pv_pa says which page the chain entry is for).  A large mapping of
 * device memory (pv_lshift > 0) has one entry, for its first page: filed on the chain of
 * pv_pa, which is aligned to the mapping's size, as is pv_va (FreeBSD keeps a 2 MiB
 * mapping's PV entry with the superpage's first page the same way). */
struct pv_entry {
    struct pv_entry *pv_next;
    struct pmap *pv_pmap;
    vaddr_t pv_va;
    paddr_t pv_pa;            /* used by device hash chains */
    unsigned pv_lshift;       /* 0: one page; else the mapping covers 2^pv_lshift pages */
};

/* The result of a page-table walk.  walk(va) describes the page at va; when va lies in
 * a large mapping, pa is that page's frame and lshift the mapping's size.  next_valid
 * describes a whole mapping: *va and pa are its first page. */
struct pmap_pte {
    bool valid;
    paddr_t pa;               /* page frame address */
    vm_prot_t prot;           /* what the tables grant */
    unsigned domain;          /* ARM domain, 0 elsewhere */
    unsigned lshift;          /* 0: a one-page mapping; else 2^lshift pages (a large page) */
};

struct tlb;
struct pmap_fast;

/* The backend operations table.  A backend keeps its page tables in simulated RAM
 * (PTP pages, owner PGO_PTP) so that RAM accounting includes them, and keeps
 * pmap->ptp_pages (per-pmap tables) and pmap_machine->ptp_shared (machine-wide tables
 * such as a FASS CPD) current: the common checker demands
 *   #pages with owner PGO_PTP == m->ram.ptp_pages == ptp_shared + sum(pm->ptp_pages).
 * Every va handed to an op is the va the VM sees, page aligned and < pmm->va_end; a
 * backend that relocates addresses (FCSE PID) does so internally.  The TLBs are
 * pmm->itlb / pmm->dtlb, created by the common layer from the machine config; the
 * backend decides the tags and when to flush. */
struct pmap_ops {
    const char *name;
    /* Optional: refuse a machine configuration this backend cannot model, with a
     * sentence in why (e.g. the ARM backends need 4 KiB pages).  Called before init. */
    int  (*config_check)(const uvmsim_machine_config *cfg, char *why, size_t whylen);
    /* machine-wide state (e.g. the FASS CPD); called once per machine */
    int  (*init)(struct pmap_machine *pmm);
    void (*fini)(struct pmap_machine *pmm);
    int  (*create)(struct pmap *pm);
    void (*destroy)(struct pmap *pm);         /* all mappings already removed */
    /* Set the PTE for va (replacing any old one) and make the TLB coherent.  ENOMEM when
     * a PTP cannot be had: then nothing may have changed.  The common layer fixes PV
     * after a successful call (so a failed enter needs no PV undo).  va never lies in a
     * large mapping (the common layer demotes it first). */
    int  (*enter)(struct pmap *pm, vaddr_t va, paddr_t pa, vm_prot_t prot, unsigned flags);
    /* Clear the mapping at va — one page, or the whole large mapping va is the first page
     * of; invalidate any TLB entry for it. */
    void (*remove)(struct pmap *pm, vaddr_t va);
    /* Reduce the mapping at va (one page, or the large mapping it starts) to prot (never
     * adds rights); invalidate its TLB entry. */
    void (*protect)(struct pmap *pm, vaddr_t va, vm_prot_t prot);
    /* Walk the tables as the MMU would (no TLB, no counters), for va as the VM sees it. */
    bool (*walk)(struct pmap *pm, vaddr_t va, struct pmap_pte *pte);
    /* The first valid mapping overlapping [sva, eva), skipping absent tables wholesale so
     * a sparse 64-bit range costs what is mapped, not its size (*va: its first page, which
     * is below sva when sva falls inside a large mapping).  Range operations loop on it,
     * restarting after each hit, so the backend may free tables in between. */
    bool (*next_valid)(struct pmap *pm, vaddr_t sva, vaddr_t eva, vaddr_t *va, struct pmap_pte *pte);
    /* Optional (both or neither; the sizes are pmm->large_lshift): map 2^lshift pages from
     * va (aligned) to the device range from pa (aligned) with one large entry.  The range
     * holds nothing but one-page mappings of those same pages (or this very large
     * mapping, whose protection then changes): they are replaced and their TLB entries
     * invalidated.  ENOMEM (a table cannot be had) with nothing changed. */
    int  (*enter_large)(struct pmap *pm, vaddr_t va, paddr_t pa, unsigned lshift, vm_prot_t prot, unsigned flags);
    /* Split the large mapping whose first page is va into one-page PTEs with the same
     * frames, rights and flags, and invalidate its TLB entry.  ENOMEM with nothing
     * changed. */
    int  (*demote)(struct pmap *pm, vaddr_t va);
    /* Context switch to pm (pmap_activate): counts its cost, flushes what it must. */
    void (*activate)(struct pmap *pm);
    /* MMU translation for the current pmap: TLB look-up, walk on miss (and the backend's
     * own fix-ups such as FASS CPD loads).  Returns UVMSIM_OK with *pa, or EFAULT (no
     * valid PTE) / EACCES (PTE lacks the access right). */
    int  (*translate)(struct pmap *pm, vaddr_t va, uvmsim_access kind, paddr_t *pa);
    /* Optional: describe how a TLB hit of the active pmap pm is decided and what it
     * touches (struct pmap_fast), so the CPU model can take hits inline.  Called by the
     * common layer after a translate through this table; pmm->fast is cleared whenever
     * something the description depends on may change (activate, enter, remove,
     * protect, destroy).  NULL, or false returned: every access goes through translate. */
    bool (*fast_setup)(struct pmap *pm, struct pmap_fast *f);
    /* Optional: choose where a mapping of size bytes without a fixed address goes, in
     * [lo, hi); is_free(arg, s, e) tells whether the VM's map has nothing in [s, e).
     * True with *va (a page-aligned free range); false: the VM's own first fit. */
    bool (*place)(struct pmap *pm, vaddr_t lo, vaddr_t hi, uint64_t size,
                  bool (*is_free)(void *arg, vaddr_t s, vaddr_t e), void *arg, vaddr_t *va);
    /* Check backend-private invariants (TLB ⊆ tables, PTP accounting); msg on failure. */
    int  (*check)(struct pmap_machine *pmm, char *msg, size_t msglen);
    /* Backend counters into the public stats. */
    void (*stats)(const struct pmap_machine *pmm, uvmsim_pmap_stats *out);
};

/* Memo slots per access kind (a power of two). */
#define PMAP_FAST_MEMO 16

/* The TLB-hit fast path of the CPU model (uvmsim_pmap_fast_hit).  A hit decided here
 * must have exactly the effects the backend's translate has on a hit: the same TLB
 * look-up and counters, the same access decision, the same side effects; anything else
 * (a miss, a permission or domain problem, an address the backend treats specially)
 * falls back to the ops table, which counts it as if the fast path did not exist.
 * Invariant: pm != NULL => pm == pmm->active and every field describes pm now. */
struct pmap_fast {
    struct pmap *pm;                /* the pmap described; NULL: fast path off */
    struct tlb *tlb[3];             /* by uvmsim_access: the TLB a fetch/load/store uses */
    vaddr_t va_end;                 /* va >= va_end: never fast */
    vaddr_t hole_lo, hole_len;      /* va - hole_lo < hole_len: never fast (FASS own slot) */
    vaddr_t reloc_end, reloc_add;   /* va < reloc_end looks up va + reloc_add (FCSE) */
    unsigned shift;                 /* vpn = va >> shift (the offset comes from the entry:
                                       it may be a large page) */
    uint32_t asid;                  /* tag of pm's entries */
    const uint32_t *dacr;           /* 2 bits per entry domain: 0 slow path, 3 no check,
                                       else the entry's prot decides */
    bool *touch;                    /* set true on every hit (ARM: cache lines live) */
    bool *touch_store;              /* set true on every store hit */
    bool *touch_kind[3];            /* by access kind: touch_store for stores, else scratch
                                       (filled by the common layer after fast_setup) */
    bool scratch;                   /* where touch pointers a backend ignores point */
    /* Recent hits by access kind, direct-mapped on the vpn: its entry and the TLB's
     * generation then.  While the generation is unchanged no entry was filled,
     * replaced, invalidated or flushed, so the same vpn is the same hit on the same
     * entry, already checked (its domain and rights cannot have changed either: the
     * DACR changes only at activate and destroy, which clear this description).  A
     * memo of the search, never a second TLB: every hit is still counted and stamped. */
    struct pmap_fast_memo {
        vaddr_t vpn;
        uint64_t gen;               /* 0: empty (TLB generations start at 1) */
        struct tlb_entry *e;
    } memo[3][PMAP_FAST_MEMO];
};

/* Per-machine pmap state. */
struct pmap_machine {
    struct uvmsim_machine *m;
    const struct pmap_ops *ops;
    void *be;                       /* backend machine-wide state */
    vaddr_t va_end;                 /* set by ops->init: valid VAs are [0, va_end) */
    uint64_t ptp_shared;            /* PTP pages not owned by one pmap (backend keeps it) */
    struct pmap *pmaps;             /* all live pmaps (pm_next) */
    struct pmap *active;            /* pmap on the CPU, NULL before the first activate */
    /* TLBs: dtlb is the unified TLB unless cfg.tlb.split, then itlb serves fetches.
     * Never NULL (dtlb) / NULL unless split (itlb). */
    struct tlb *itlb, *dtlb;
    /* Device-page PV hash: chains keyed by pfn % buckets; an entry is on the chain of
     * its pv_pa.  pv_hash_len[i] == length of chain i. */
    struct pv_entry **pv_hash;
    unsigned *pv_hash_len;
    unsigned pv_hash_buckets;
    uvmsim_pmap_stats st;           /* common counters; backend adds its own */
    /* Large mappings (docs/superpages.md): the sizes the backend maps, largest first
     * (set by ops->init; none without enter_large), and the live large PV entries (while
     * there are none, a look-up by physical page searches its own chain only). */
    unsigned large_lshift[2];
    unsigned nlarge_sizes;
    uint64_t large_pv;
    struct pmap_fast fast;          /* inline TLB-hit path (see struct pmap_fast) */
    uint64_t fast_clears;           /* advances whenever the description is cleared
                                       (uvmsim_pmap_fast_clear: every pmap operation
                                       that may change a mapping, activate, destroy) */
    bool fast_disabled;             /* uvmsim_pmap_set_fast_path(m, false) */
};

/* One physical map.  Invariant: every valid PTE has exactly one PV entry (pmap, va),
 * except the unmanaged device mappings (PMAP_UNMANAGED), which have none; every PV
 * entry names a valid PTE of its pmap with that pa. */
struct pmap {
    struct pmap_machine *pmm;
    struct pmap *pm_next;
    int pid;                        /* owner, for traces */
    uint64_t resident;              /* pages mapped: one per one-page PTE, 2^lshift per large
                                       mapping (whose PV entry is one) */
    uint64_t unmanaged;             /* pages mapped unmanaged: device pages with no PV entry */
    uint64_t ptp_pages;             /* RAM pages holding this pmap's tables (backend) */
    void *be;                       /* backend per-pmap state */
};

/* ---- what the VM calls ----
 * Addresses: va and pa passed to enter must be page aligned; ranges are [sva, eva) with
 * sva rounded down and eva rounded up to pages and clipped to [0, va_end).
 * enter: EINVAL (NULL pmap, prot NONE or unknown bits, pa on a free RAM page), EALIGN,
 *        ERANGE (va >= va_end, pa in no segment), EACCES (prot beyond what the device
 *        segment allows), ENOMEM (no RAM for a PTP), ENOHOST (no host memory for PV);
 *        on any error nothing has changed.
 * translate: the MMU.  pm becomes the active pmap first if it is not (counted as a
 *        switch).  *pa receives the full physical address (page frame | va offset). */
/* The backend named by cfg->pmap exists and accepts cfg (why: the sentence when not). */
int  uvmsim_pmap_config_check(const uvmsim_machine_config *cfg, char *why, size_t whylen);
int  uvmsim_pmap_machine_init(struct uvmsim_machine *m);
void uvmsim_pmap_machine_fini(struct uvmsim_machine *m);
int  uvmsim_pmap_create(struct uvmsim_machine *m, int pid, struct pmap **out);
void uvmsim_pmap_destroy(struct pmap *pm);                    /* removes everything */
int  uvmsim_pmap_enter(struct pmap *pm, vaddr_t va, paddr_t pa, vm_prot_t prot, unsigned flags);
void uvmsim_pmap_remove(struct pmap *pm, vaddr_t sva, vaddr_t eva);
void uvmsim_pmap_protect(struct pmap *pm, vaddr_t sva, vaddr_t eva, vm_prot_t prot);
/* Lower every mapping of physical page pa to prot (NONE removes them), via PV. */
void uvmsim_pmap_page_protect(struct uvmsim_machine *m, paddr_t pa, vm_prot_t prot);
bool uvmsim_pmap_extract(struct pmap *pm, vaddr_t va, paddr_t *pa, vm_prot_t *prot);
void uvmsim_pmap_activate(struct pmap *pm);
/* The backend's placement of a mapping without a fixed address (pmap_ops.place); false
 * when it has none, then the VM places it itself. */
bool uvmsim_pmap_place(struct pmap *pm, vaddr_t lo, vaddr_t hi, uint64_t size,
                       bool (*is_free)(void *arg, vaddr_t s, vaddr_t e), void *arg, vaddr_t *va);
int  uvmsim_pmap_translate(struct pmap *pm, vaddr_t va, uvmsim_access kind, paddr_t *pa);
int  uvmsim_pmap_check(struct uvmsim_machine *m, char *msg, size_t msglen);
/* Does the mapping (pm, va) of pa have a PV entry?  (false for an unmanaged one) */
bool uvmsim_pmap_managed(struct pmap *pm, vaddr_t va, paddr_t pa);
/* Visit every PV entry of page pa (a large mapping covering pa: with the va of pa in it).
 * fn must not enter or remove mappings of pa. */
void uvmsim_pmap_pv_foreach(struct uvmsim_machine *m, paddr_t pa,
                            void (*fn)(struct pmap *pm, vaddr_t va, void *arg), void *arg);
/* ---- large mappings of device memory (docs/superpages.md) ----
 * The sizes the machine's backend can map with one entry, as lshift (2^lshift pages),
 * largest first; returns how many (0: none) and fills up to max of them. */
unsigned uvmsim_pmap_large_sizes(const struct uvmsim_machine *m, unsigned *lshift, unsigned max);
/* Map [va, va + 2^lshift pages) to the device range from pa with one entry.  EINVAL (a
 * size the backend does not map, prot NONE, RAM), EALIGN (va or pa not aligned to the
 * size), ERANGE (va range past va_end, or the pa range not inside one device segment),
 * EACCES (prot beyond the segment's), EBUSY (the range maps other pages, or part of
 * another large mapping), ENOMEM, ENOHOST; on any error nothing has changed.  One-page
 * mappings of the same pages in the range are replaced (a promotion). */
int  uvmsim_pmap_enter_large(struct pmap *pm, vaddr_t va, paddr_t pa, unsigned lshift, vm_prot_t prot,
                             unsigned flags);
/* If va lies inside a large mapping (not at its first page), split it into one-page
 * mappings (counted in demotions; without RAM or host memory for the split the mapping
 * is removed whole instead, counted in demotion_drops: it maps device pages only, which
 * fault back in). */
void uvmsim_pmap_demote(struct pmap *pm, vaddr_t va);
/* Page-by-page iteration for the VM's checker and pictures: the first mapped page in
 * [sva, eva) (sva page aligned), with the frame of that page; pte->lshift tells whether
 * it lies in a large mapping. */
bool uvmsim_pmap_next_page(struct pmap *pm, vaddr_t sva, vaddr_t eva, vaddr_t *va, struct pmap_pte *pte);

/* ---- helpers for backends (pmap.c) ---- */
/* Does prot allow an access of this kind? (fetch: EXEC, load: READ, store: WRITE) */
static inline bool uvmsim_pmap_access_ok(vm_prot_t prot, uvmsim_access kind)
{
    static const vm_prot_t need[3] = {UVMSIM_PROT_EXEC, UVMSIM_PROT_READ, UVMSIM_PROT_WRITE};
    return (unsigned)kind < 3 && (prot & need[kind]) != 0;
}
/* The TLB an access of this kind goes through (I-TLB for fetches when split). */
static inline struct tlb *uvmsim_pmap_tlb_for(struct pmap_machine *pmm, uvmsim_access kind)
{
    return (kind == UVMSIM_ACCESS_FETCH && pmm->itlb != NULL) ? pmm->itlb : pmm->dtlb;
}
/* Trace events; callers test uvmsim_tracing() first so the hot path builds nothing. */
void uvmsim_pmap_ev_miss(struct pmap *pm, vaddr_t va, uvmsim_access kind);
void uvmsim_pmap_ev_walk(struct pmap *pm, vaddr_t va, uvmsim_access kind, const struct pmap_pte *pte);

/* ---- TLB model (tlb.c), used by backends ----
 * Sets = entries / ways (one set when ways is 0 or >= entries), set index = vpn % sets.
 * A fill prefers an invalid way; otherwise the victim is the least recently used (LRU),
 * the oldest fill (FIFO: per-set round robin) or a uvmsim_rand() pick (RANDOM).
 * entries == 0 models "no TLB": every look-up misses, insert/flush/invalidate do
 * nothing and count nothing.
 *
 * Entries of mixed sizes: an entry covers 2^lshift pages from its vpn (aligned to that
 * many pages): one page, or a large page (64 KiB, 1 MiB, 2 MiB ...).  A large entry
 * lives in the set of vpn >> lshift, so a look-up probes the page's own set and then,
 * while the TLB holds large entries, the set each large size in use gives (a hardware
 * TLB with several page sizes probes them in parallel; the model counts one look-up
 * either way).  Invariant kept by the backends and verified by the checker: at most
 * one valid entry of a TLB matches any (asid, va). */
struct tlb_entry {
    bool valid;
    uint8_t lshift;           /* log2 of the pages covered: 0 for one page */
    uint32_t asid;            /* tag (generic: pmap ASID; ARM: 0, or FCSE-relocated va) */
    vaddr_t vpn;              /* va >> page_shift of the first page covered */
    vaddr_t off_mask;         /* byte offset within what the entry maps: (page << lshift) - 1 */
    paddr_t pfn_pa;           /* physical address of the first page covered */
    vm_prot_t prot;
    unsigned domain;
    uint64_t stamp;           /* LRU: last use; FIFO: fill time */
};
/* The TLB structure (its fields are read by the inline look-up below; only tlb.c
 * writes them). */
struct tlb {
    struct uvmsim_machine *m;       /* for the RNG, page shift and trace */
    const char *name;
    unsigned entries;               /* 0: no TLB */
    unsigned ways, nsets;           /* ways * nsets == entries (when entries > 0) */
    uint64_t set_mask;              /* nsets - 1 when nsets is a power of two, else 0 */
    bool sets_pow2;                 /* the set index is vpn & set_mask (no division) */
    uvmsim_tlb_repl repl;
    uint64_t clock;                 /* advances on every use/fill; feeds the stamps */
    uint64_t gen;                   /* advances whenever an entry changes (fill, replace,
                                       invalidate, flush); starts at 1 */
    struct tlb_entry *last_fill;    /* the entry the last fill wrote, at generation */
    uint64_t last_fill_gen;         /* last_fill_gen (NULL, 0: none yet) */
    unsigned nlarge;                /* valid entries with lshift > 0 */
    uint64_t large_shifts;          /* bit k set: an entry of lshift k was ever filled */
    struct tlb_entry *e;            /* set s occupies e[s*ways .. s*ways+ways-1] */
    uvmsim_tlb_stats st;            /* lookups is kept as hits + misses by stats_of */
};
/* First way of the set of index key (vpn >> lshift): key % nsets, by a mask when nsets
 * is a power of two. */
static inline struct tlb_entry *uvmsim_tlb_set(const struct tlb *t, vaddr_t key)
{
    size_t set = t->sets_pow2 ? (size_t)(key & t->set_mask) : (size_t)(key % t->nsets);
    return &t->e[set * t->ways];
}
/* The large entry covering (asid, vpn), for the probe below. */
struct tlb_entry *uvmsim_tlb_probe_large(const struct tlb *t, uint32_t asid, vaddr_t vpn);
/* The way of the set s (ways of them) whose entry has first page vpn under asid; NULL
 * when none.  Four ways, the commonest shape, are compared without the loop's counting. */
static inline __attribute__((always_inline)) struct tlb_entry *uvmsim_tlb_set_find(struct tlb_entry *s, unsigned ways,
                                                                                uint32_t asid, vaddr_t vpn)
{
#define TLB_WAY(w) (s[w].vpn == vpn && s[w].valid && s[w].asid == asid)
    if (ways == 4)
        return TLB_WAY(0) ? &s[0] : TLB_WAY(1) ? &s[1] : TLB_WAY(2) ? &s[2] : TLB_WAY(3) ? &s[3] : NULL;
    for (unsigned w = 0; w < ways; w++)
        if (TLB_WAY(w))
            return &s[w];
    return NULL;
#undef TLB_WAY
}
/* The entry covering (asid, vpn), counting nothing; NULL when none (or no TLB).  A
 * one-page entry is found in vpn's set; any entry whose first page is vpn covers it. */
static inline __attribute__((always_inline)) struct tlb_entry *uvmsim_tlb_probe(const struct tlb *t, uint32_t asid, vaddr_t vpn)
{
    if (t->entries == 0)
        return NULL;
    struct tlb_entry *e = uvmsim_tlb_set_find(uvmsim_tlb_set(t, vpn), t->ways, asid, vpn);
    if (e != NULL)
        return e;
    return t->nlarge != 0 ? uvmsim_tlb_probe_large(t, asid, vpn) : NULL;
}
/* Count a hit on e exactly as uvmsim_tlb_lookup does. */
static inline void uvmsim_tlb_count_hit(struct tlb *t, struct tlb_entry *e)
{
    t->st.hits++;
    t->st.large_hits += e->lshift != 0;
    if (t->repl == UVMSIM_TLB_LRU)
        e->stamp = ++t->clock;
}
/* Repeated hits on one-page entries, batched by a caller (the replayer's memo): their
 * count added later (uvmsim_tlb_add_hits, before anyone looks), their LRU stamps taken
 * from the caller's own clock, written where uvmsim_tlb_stamp_ptr says (e's stamp under
 * LRU; else sink, a word of the caller's: other policies stamp nothing on a hit).  LRU
 * compares stamps within a set only, so any clock serves that starts at or above
 * t->clock (uvmsim_tlb_clock), advances on every hit, and is handed back
 * (uvmsim_tlb_clock_sync) before t stamps or fills anything itself: the use order, and
 * with it every victim, is then the one uvmsim_tlb_count_hit gives. */
static inline uint64_t *uvmsim_tlb_stamp_ptr(const struct tlb *t, struct tlb_entry *e, uint64_t *sink)
{
    return t->repl == UVMSIM_TLB_LRU ? &e->stamp : sink;
}
static inline uint64_t uvmsim_tlb_clock(const struct tlb *t)
{
    return t->clock;
}
static inline void uvmsim_tlb_clock_sync(struct tlb *t, uint64_t clock)
{
    if (t->repl == UVMSIM_TLB_LRU && clock > t->clock)
        t->clock = clock;
}
static inline void uvmsim_tlb_add_hits(struct tlb *t, uint64_t n)
{
    t->st.hits += n;
}
/* NULL when host memory runs out.  name ("itlb", "dtlb", "tlb") is kept, not copied. */
struct tlb *uvmsim_tlb_create(struct uvmsim_machine *m, const uvmsim_tlb_config *cfg, const char *name);
void uvmsim_tlb_destroy(struct tlb *t);
/* NULL on miss (counted).  Entries are matched on (asid, vpn), each by its own size. */
struct tlb_entry *uvmsim_tlb_lookup(struct tlb *t, uint32_t asid, vaddr_t vpn);
/* Fill one page (lshift 0), or 2^lshift pages from vpn (aligned) to pa (aligned). */
void uvmsim_tlb_insert(struct tlb *t, uint32_t asid, vaddr_t vpn, paddr_t pa, vm_prot_t prot, unsigned domain);
void uvmsim_tlb_insert_sized(struct tlb *t, uint32_t asid, vaddr_t vpn, unsigned lshift, paddr_t pa,
                             vm_prot_t prot, unsigned domain);
/* Counted as a single invalidation whether or not an entry matched (the instruction is
 * issued either way); the entry covering vpn, whatever its size, is dropped and counts
 * in entries_flushed. */
void uvmsim_tlb_invalidate(struct tlb *t, uint32_t asid, vaddr_t vpn);
void uvmsim_tlb_flush_all(struct tlb *t, const char *why);
void uvmsim_tlb_flush_asid(struct tlb *t, uint32_t asid, const char *why);
void uvmsim_tlb_flush_domain(struct tlb *t, unsigned domain, const char *why);
/* Visit valid entries (for the invariant checker). */
void uvmsim_tlb_foreach(struct tlb *t, void (*fn)(const struct tlb_entry *e, void *arg), void *arg);
/* The TLB half of a backend's check(): fn sees every valid entry of the machine's TLBs
 * (the data or unified TLB first, then the I-TLB) with c->tlbname set to "tlb", "dtlb" or
 * "itlb"; on a violation it writes c->msg and sets c->err, which stops the walk of the
 * next TLB.  Returns c->err. */
struct pmap_tlbcheck {
    struct pmap_machine *pmm;
    const char *tlbname;
    char *msg;
    size_t len;
    int err;
};
int uvmsim_pmap_check_tlbs(struct pmap_machine *pmm, void (*fn)(const struct tlb_entry *e, void *arg),
                           char *msg, size_t msglen);
/* Mixed sizes: every valid entry is aligned to its size, nlarge matches, and no two valid
 * entries cover the same (asid, page).  UVMSIM_ESTATE with a sentence in msg. */
int uvmsim_tlb_check(const struct tlb *t, char *msg, size_t msglen);
/* lookups = hits + misses; reach and large_entries describe the valid entries now. */
const uvmsim_tlb_stats *uvmsim_tlb_stats_of(struct tlb *t);
/* A table walk was done because of a miss in t. */
void uvmsim_tlb_count_walk(struct tlb *t);
unsigned uvmsim_tlb_valid_count(const struct tlb *t);

/* ---- the inline TLB-hit path of the CPU model ---- */
/* Does a hit on e allow an access of this kind (the entry's domain by the DACR value,
 * then its rights)?  False: the slow path decides (a fault, a domain fault).  Shared with
 * the replayer's batched hit, which keeps the DACR value in a local. */
static inline __attribute__((always_inline)) bool uvmsim_pmap_fast_allows_dacr(uint32_t dacr, const struct tlb_entry *e,
                                                                              uvmsim_access kind)
{
    static const vm_prot_t need[3] = {UVMSIM_PROT_EXEC, UVMSIM_PROT_READ, UVMSIM_PROT_WRITE};
    unsigned acc = (dacr >> (2 * e->domain)) & 3u;
    return acc == 3 || (acc != 0 && (e->prot & need[kind]) != 0);     /* kind < 3: it indexes f->tlb */
}
/* The entry of a TLB hit the active pmap pm may take as it is: everything a hit does
 * through the ops table has been done (counted, stamped, the touch flags set).  NULL
 * (nothing counted, nothing changed): go through uvmsim_pmap_translate.  The entry stays
 * the hit for va and kind while the TLB's generation is unchanged and pm stays active
 * and described, so a caller may keep it to repeat the hit (uvmsim_tlb_stamp_ptr). */
static inline __attribute__((always_inline)) struct tlb_entry *uvmsim_pmap_fast_entry(struct pmap_fast *f, struct pmap *pm,
                                                                                  vaddr_t va, uvmsim_access kind)
{
    if (f->pm != pm || va >= f->va_end || va - f->hole_lo < f->hole_len)
        return NULL;
    vaddr_t mva = va < f->reloc_end ? va + f->reloc_add : va;
    vaddr_t vpn = mva >> f->shift;
    struct tlb *t = f->tlb[kind];
    struct pmap_fast_memo *mo = &f->memo[kind][vpn & (PMAP_FAST_MEMO - 1)];
    struct tlb_entry *e;
    if (mo->vpn == vpn && mo->gen == t->gen) {
        e = mo->e;
    } else {
        e = uvmsim_tlb_probe(t, f->asid, vpn);
        if (e == NULL || !uvmsim_pmap_fast_allows_dacr(*f->dacr, e, kind))
            return NULL;
        mo->vpn = vpn;
        mo->gen = t->gen;
        mo->e = e;
    }
    uvmsim_tlb_count_hit(t, e);
    *f->touch = true;             /* besides the TLB (ARM: cache lines live, written) */
    *f->touch_kind[kind] = true;
    return e;
}
/* True when the access is such a hit, with *pa set (the description found from pm). */
static inline __attribute__((always_inline)) bool uvmsim_pmap_fast_hit(struct pmap *pm, vaddr_t va, uvmsim_access kind,
                                                                    paddr_t *pa)
{
    struct tlb_entry *e = uvmsim_pmap_fast_entry(&pm->pmm->fast, pm, va, kind);
    if (e == NULL)
        return false;
    *pa = e->pfn_pa | (va & e->off_mask);
    return true;
}
/* Forget the fast-path description (something it depends on may change). */
static inline void uvmsim_pmap_fast_clear(struct pmap_machine *pmm)
{
    pmm->fast.pm = NULL;
    pmm->fast_clears++;
}

/* Backend registry */
extern const struct pmap_ops uvmsim_pmap_generic_ops;
extern const struct pmap_ops uvmsim_pmap_armv5_ops;     /* pmap_armv5.c */
extern const struct pmap_ops uvmsim_pmap_fass_ops;      /* pmap_fass.c */
const struct pmap_ops *uvmsim_pmap_ops_find(const char *name);

/* Generic backend introspection (tests, tools): physical address of the PTE that maps va
 * (the leaf — one of a contiguous run's — or the large entry one level up), false when
 * there is no table for it; the ASID now held (0: none).  A leaf PTE of a contiguous run
 * (docs/superpages.md) carries UVMSIM_GENERIC_PTE_CONT. */
#define UVMSIM_GENERIC_PTE_CONT 0x100ull
bool uvmsim_pmap_generic_pte_pa(struct pmap *pm, vaddr_t va, paddr_t *pte_pa);
uint32_t uvmsim_pmap_generic_asid(const struct pmap *pm);

#endif
