/* uvmsim — the "generic" pmap backend: a per-pmap radix page table kept in simulated RAM
 * (8-byte little-endian PTEs in PGO_PTP pages, so RAM accounting sees page tables), an
 * ASID-tagged TLB that is never flushed on a context switch, and ASIDs handed out by
 * generation (a rollover flushes everything).
 *
 * Geometry: VAs are 48 bits; a table holds page_size / 8 entries, i.e. page_shift - 3
 * index bits per level, and there are as many levels as it takes to cover the bits
 * above the page offset (4 KiB pages: 4 levels of 512, like x86-64 / AArch64; 512 B: 7;
 * 64 KiB: 3; 1 MiB: 2).  Level 0 is the root.
 *
 * Table lifetime: the root is allocated by create and freed by destroy; every other
 * table is allocated by enter when first needed and freed by remove as soon as its last
 * valid entry goes (cascading up to, not including, the root).  The number of valid
 * entries of a table is kept in its vm_page's offset field (free for PTP pages, like
 * NetBSD's wire_count on x86 PTPs) and verified by the checker.
 *
 * Large pages (docs/superpages.md), two kinds:
 * - With three levels or more, an entry of the level above the leaves may itself be a
 *   leaf (PTE_PS, x86's page-size bit) mapping the span a leaf table would cover — 2 MiB
 *   with 4 KiB pages, as an x86-64 PDE or an AArch64 level-2 block does.  No leaf table
 *   hangs below it.
 * - A contiguous run: 64 KiB of leaf PTEs (16 with 4 KiB pages), aligned to their number
 *   in the leaf table, mapping one 64 KiB-aligned physically contiguous range with the
 *   same rights and flags, each marked PTE_CONT.  This is the idea of AArch64's
 *   contiguous bit and RISC-V's Svnapot: the tables keep one PTE per page (each with its
 *   own frame, so a walker ignoring the mark still translates right), and the mark lets
 *   the TLB cache the run as one 64 KiB entry.  The run is one mapping for the common
 *   layer: one PV entry, entered, protected, removed and split as a whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pmap_impl.h"

#define GEN_VA_BITS   48
#define GEN_MAX_LEVELS 8          /* 512-byte pages need 7 */
#define GEN_ASID_MAX  255u        /* 8-bit ASIDs; 0 means "none" */

/* PTE bits below the page frame (page_size >= 512 leaves 9 bits). */
#define PTE_V      0x01ull        /* valid */
#define PTE_R      0x02ull
#define PTE_W      0x04ull
#define PTE_X      0x08ull
#define PTE_WIRED  0x10ull
#define PTE_DEV    0x20ull        /* maps a device page (informative) */
#define PTE_TABLE  0x40ull        /* non-leaf: points at the next-level table */
#define PTE_PS     0x80ull        /* a leaf one level above the leaves: a large page */
#define PTE_CONT   UVMSIM_GENERIC_PTE_CONT  /* a leaf PTE of a contiguous run (all of the run carry it) */
#define PTE_PROT_SHIFT 1

struct gen_machine {
    unsigned levels, bits;        /* levels; index bits per level (page_shift - 3) */
    unsigned cont_lshift;         /* a contiguous run is 2^cont_lshift leaf PTEs (64 KiB);
                                     0: the page size allows none (< 2 PTEs, or not less
                                     than a leaf table, or more than 512) */
    uint64_t gen;                 /* current ASID generation, from 1 */
    uint32_t next_asid;           /* next free ASID of this generation */
    uint32_t asid_max;
    /* checker scratch, filled by gen_check: the pmap holding each ASID of this generation */
    struct pmap *asid_owner[GEN_ASID_MAX + 1];
};

/* Invariant: asid is usable (may have TLB entries) only while gen == machine gen. */
struct gen_pmap {
    paddr_t root;                 /* level-0 table, always present */
    uint32_t asid;
    uint64_t gen;                 /* 0: never had an ASID */
};

static struct gen_machine *GM(const struct pmap *pm) { return pm->pmm->be; }
static unsigned GM_bits(const struct pmap_machine *pmm) { return ((const struct gen_machine *)pmm->be)->bits; }
static struct gen_pmap *GP(const struct pmap *pm) { return pm->be; }

static unsigned level_shift(const struct pmap_machine *pmm, unsigned level)
{
    const struct gen_machine *g = pmm->be;
    return pmm->m->page_shift + g->bits * (g->levels - 1 - level);
}

static unsigned level_index(const struct pmap_machine *pmm, unsigned level, vaddr_t va)
{
    const struct gen_machine *g = pmm->be;
    return (unsigned)((va >> level_shift(pmm, level)) & ((1ull << g->bits) - 1));
}

static uint8_t *table(const struct pmap_machine *pmm, paddr_t tpa)
{
    return uvmsim_phys_ptr(pmm->m, tpa, pmm->m->cfg.page_size);
}

/* PTEs are stored little-endian whatever the host, so a dump of simulated RAM reads the
 * same everywhere. */
static uint64_t pte_rd(const uint8_t *t, unsigned idx)
{
    const uint8_t *p = t + (size_t)idx * 8;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void pte_wr(uint8_t *t, unsigned idx, uint64_t v)
{
    uint8_t *p = t + (size_t)idx * 8;
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static paddr_t pte_frame(const struct pmap_machine *pmm, uint64_t e)
{
    return e & ~pmm->m->page_mask;
}

static struct vm_page *ptp_page(const struct pmap_machine *pmm, paddr_t tpa)
{
    return uvmsim_phys_to_vm_page(pmm->m, tpa);
}

/* The table a non-leaf entry points to, or false when it points nowhere usable.  Only a
 * corrupted entry (the checker's tests poke them) can fail the second test, but a walk
 * must not dereference garbage, so such an entry reads as absent. */
static bool next_table(const struct pmap_machine *pmm, uint64_t e, paddr_t *tpa)
{
    if (!(e & PTE_V) || !(e & PTE_TABLE) || table(pmm, pte_frame(pmm, e)) == NULL)
        return false;
    *tpa = pte_frame(pmm, e);
    return true;
}

/* Descend from the root towards va; path[l] receives the table at level l.  Returns the
 * number of levels present (levels when the leaf table exists). */
static unsigned descend(const struct pmap *pm, vaddr_t va, paddr_t path[GEN_MAX_LEVELS])
{
    const struct pmap_machine *pmm = pm->pmm;
    unsigned n = GM(pm)->levels;
    path[0] = GP(pm)->root;
    for (unsigned l = 0; l + 1 < n; l++) {
        uint64_t e = pte_rd(table(pmm, path[l]), level_index(pmm, l, va));
        if (!next_table(pmm, e, &path[l + 1]))
            return l + 1;
    }
    return n;
}

static void fill_pte(const struct pmap_machine *pmm, uint64_t e, struct pmap_pte *pte)
{
    pte->valid = (e & PTE_V) != 0;
    pte->pa = pte_frame(pmm, e);
    pte->prot = (vm_prot_t)((e >> PTE_PROT_SHIFT) & UVMSIM_PROT_ALL);
    pte->domain = 0;
    pte->lshift = 0;
}

/* A large page: the level above the leaves (levels >= 3), 2^bits pages. */
static bool is_large(const struct pmap_machine *pmm, unsigned level, uint64_t e)
{
    const struct gen_machine *g = pmm->be;
    return (e & (PTE_V | PTE_PS | PTE_TABLE)) == (PTE_V | PTE_PS) && g->levels >= 3 && level + 2 == g->levels;
}

static uint64_t large_bytes(const struct pmap_machine *pmm)
{
    return (uint64_t)pmm->m->cfg.page_size << GM_bits(pmm);
}

/* Where va's large entry would live: the table of level levels-2 (path[levels-2]) when
 * descend got that far; its entry through *e.  False when the path stops above. */
static bool large_slot(const struct pmap *pm, vaddr_t va, paddr_t path[GEN_MAX_LEVELS], unsigned have, uint64_t *e)
{
    unsigned n = GM(pm)->levels;
    if (n < 3 || have < n - 1)
        return false;
    *e = pte_rd(table(pm->pmm, path[n - 2]), level_index(pm->pmm, n - 2, va));
    return true;
}

/* A large page above va's leaf table: descend stopped at level levels-1 on a PTE_PS
 * entry.  One-page PTEs and contiguous runs cannot go there (the common layer demotes
 * it, or refuses, first). */
static bool under_large(const struct pmap *pm, vaddr_t va, paddr_t path[GEN_MAX_LEVELS], unsigned have)
{
    unsigned n = GM(pm)->levels;
    uint64_t big;
    return have < n && large_slot(pm, va, path, have, &big) && is_large(pm->pmm, n - 2, big);
}

/* PTEs in a contiguous run (0: the page size allows none). */
static unsigned cont_ptes(const struct pmap_machine *pmm)
{
    unsigned k = ((const struct gen_machine *)pmm->be)->cont_lshift;
    return k != 0 ? 1u << k : 0;
}

/* The leaf-table index of the first PTE of the run holding index idx. */
static unsigned cont_first(const struct pmap_machine *pmm, unsigned idx)
{
    return idx & ~(cont_ptes(pmm) - 1);
}

/* Drop any TLB entry for (pm, va) in both TLBs.  A pmap without a live ASID cannot have
 * entries: the rollover that retired its ASID flushed them. */
static void tlb_shootdown(struct pmap *pm, vaddr_t va)
{
    struct pmap_machine *pmm = pm->pmm;
    struct gen_pmap *gp = GP(pm);
    if (gp->gen != GM(pm)->gen)
        return;
    vaddr_t vpn = va >> pmm->m->page_shift;
    uvmsim_tlb_invalidate(pmm->dtlb, gp->asid, vpn);
    if (pmm->itlb != NULL)
        uvmsim_tlb_invalidate(pmm->itlb, gp->asid, vpn);
}

/* Give pm a live ASID, rolling the generation over when the space is used up. */
static void asid_assign(struct pmap *pm)
{
    struct pmap_machine *pmm = pm->pmm;
    struct gen_machine *g = GM(pm);
    struct gen_pmap *gp = GP(pm);
    if (gp->gen == g->gen)
        return;
    if (g->next_asid > g->asid_max) {
        uint64_t before = uvmsim_tlb_stats_of(pmm->dtlb)->entries_flushed;
        if (pmm->itlb != NULL)
            before += uvmsim_tlb_stats_of(pmm->itlb)->entries_flushed;
        g->gen++;
        g->next_asid = 1;
        uvmsim_tlb_flush_all(pmm->dtlb, "asid-rollover");
        if (pmm->itlb != NULL)
            uvmsim_tlb_flush_all(pmm->itlb, "asid-rollover");
        uint64_t after = uvmsim_tlb_stats_of(pmm->dtlb)->entries_flushed;
        if (pmm->itlb != NULL)
            after += uvmsim_tlb_stats_of(pmm->itlb)->entries_flushed;
        pmm->st.asid_rollovers++;
        pmm->st.switch_cost += after - before;
    }
    gp->asid = g->next_asid++;
    gp->gen = g->gen;
}

/* ---- ops ---- */

static int gen_init(struct pmap_machine *pmm)
{
    struct gen_machine *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return UVMSIM_ENOHOST;
    unsigned shift = pmm->m->page_shift;
    /* The machine allows pages of 512 B .. 1 MiB: 2 .. 7 levels, within GEN_MAX_LEVELS. */
    g->bits = shift - 3;
    g->levels = (GEN_VA_BITS - shift + g->bits - 1) / g->bits;
    g->gen = 1;
    g->next_asid = 1;
    g->asid_max = GEN_ASID_MAX;
    pmm->be = g;
    if (g->levels >= 3 && g->bits <= 9) {
        /* a leaf one level up maps what a leaf table would: 2 MiB with 4 KiB pages (the
         * common layer handles up to 512 pages per large mapping: pages up to 4 KiB) */
        pmm->large_lshift[pmm->nlarge_sizes++] = g->bits;
    }
    if (shift < 16 && 16 - shift < g->bits && 16 - shift <= 9) {
        /* contiguous runs of 64 KiB, at least two PTEs and less than a leaf table: 16
         * with 4 KiB pages, as AArch64's contiguous bit and Svnapot's 64 KiB size */
        g->cont_lshift = 16 - shift;
        pmm->large_lshift[pmm->nlarge_sizes++] = g->cont_lshift;
    }
    pmm->va_end = 1ull << GEN_VA_BITS;
    return UVMSIM_OK;
}

static void gen_fini(struct pmap_machine *pmm)
{
    free(pmm->be);
    pmm->be = NULL;
}

static int gen_create(struct pmap *pm)
{
    struct gen_pmap *gp = calloc(1, sizeof(*gp));
    if (gp == NULL)
        return UVMSIM_ENOHOST;
    struct vm_page *pg = uvmsim_pagealloc(pm->pmm->m, PGO_PTP, true);
    if (pg == NULL) {
        free(gp);
        return UVMSIM_ENOMEM;
    }
    pg->offset = 0;
    gp->root = uvmsim_vm_page_to_phys(pm->pmm->m, pg);
    pm->be = gp;
    pm->ptp_pages = 1;
    return UVMSIM_OK;
}

static void gen_destroy(struct pmap *pm)
{
    struct gen_pmap *gp = GP(pm);
    /* Every mapping is gone, and empty tables go with their last entry: only the root
     * is left. */
    uvmsim_pagefree(pm->pmm->m, ptp_page(pm->pmm, gp->root));
    pm->ptp_pages--;
    free(gp);
    pm->be = NULL;
}

/* A leaf PTE for frame pa. */
static uint64_t pte_make(paddr_t pa, vm_prot_t prot, unsigned flags)
{
    uint64_t e = pa | PTE_V | ((uint64_t)prot << PTE_PROT_SHIFT);
    if (flags & PMAP_WIRED)
        e |= PTE_WIRED;
    if (flags & PMAP_DEVICE)
        e |= PTE_DEV;
    return e;
}

/* Make path[0 .. need) whole for va: the tables missing below the have that descend
 * found are allocated, every one before anything is written (so ENOMEM leaves no trace),
 * then linked in. */
static int tables_down_to(struct pmap *pm, vaddr_t va, paddr_t path[GEN_MAX_LEVELS], unsigned have, unsigned need)
{
    struct pmap_machine *pmm = pm->pmm;
    struct vm_page *fresh[GEN_MAX_LEVELS];
    unsigned missing = have < need ? need - have : 0;
    for (unsigned i = 0; i < missing; i++) {
        fresh[i] = uvmsim_pagealloc(pmm->m, PGO_PTP, true);
        if (fresh[i] == NULL) {
            while (i-- > 0)
                uvmsim_pagefree(pmm->m, fresh[i]);
            return UVMSIM_ENOMEM;
        }
    }
    for (unsigned i = 0; i < missing; i++) {
        unsigned l = have - 1 + i;            /* parent level */
        paddr_t tpa = uvmsim_vm_page_to_phys(pmm->m, fresh[i]);
        fresh[i]->offset = 0;
        pte_wr(table(pmm, path[l]), level_index(pmm, l, va), tpa | PTE_TABLE | PTE_V);
        ptp_page(pmm, path[l])->offset++;
        path[l + 1] = tpa;
        pm->ptp_pages++;
    }
    return UVMSIM_OK;
}

static int gen_enter(struct pmap *pm, vaddr_t va, paddr_t pa, vm_prot_t prot, unsigned flags)
{
    struct pmap_machine *pmm = pm->pmm;
    unsigned n = GM(pm)->levels;
    paddr_t path[GEN_MAX_LEVELS];
    unsigned have = descend(pm, va, path);      /* va < va_end: the common layer checked */
    if (under_large(pm, va, path, have))
        return UVMSIM_EBUSY;                    /* the common layer demotes first: a bug */

    int err = tables_down_to(pm, va, path, have, n);
    if (err != UVMSIM_OK)
        return err;

    uint8_t *leaf = table(pmm, path[n - 1]);
    unsigned idx = level_index(pmm, n - 1, va);
    uint64_t old = pte_rd(leaf, idx);
    if (old & PTE_CONT)
        return UVMSIM_EBUSY;                    /* likewise: one PTE of a contiguous run */
    pte_wr(leaf, idx, pte_make(pa, prot, flags));
    if (old & PTE_V)
        tlb_shootdown(pm, va);                /* the old entry may carry other pa/rights */
    else
        ptp_page(pmm, path[n - 1])->offset++;
    return UVMSIM_OK;
}

/* n entries of the level-l table of path (the one for va, or its contiguous run) went
 * invalid: count them, and free the tables that became empty, bottom up; the root stays. */
static void entries_cleared(struct pmap *pm, vaddr_t va, paddr_t path[GEN_MAX_LEVELS], unsigned l, unsigned n)
{
    struct pmap_machine *pmm = pm->pmm;
    ptp_page(pmm, path[l])->offset -= n;
    for (; l > 0; l--) {
        struct vm_page *pg = ptp_page(pmm, path[l]);
        if (pg->offset != 0)
            break;
        uvmsim_pagefree(pmm->m, pg);
        pm->ptp_pages--;
        pte_wr(table(pmm, path[l - 1]), level_index(pmm, l - 1, va), 0);
        ptp_page(pmm, path[l - 1])->offset--;
    }
}

/* The entry mapping va (a leaf, or the large entry of its span) and its level; false
 * when there is none.  A leaf marked PTE_CONT is one PTE of a run (run_span says which). */
static bool mapping_slot(const struct pmap *pm, vaddr_t va, paddr_t path[GEN_MAX_LEVELS], unsigned *level,
                         uint64_t *e)
{
    const struct pmap_machine *pmm = pm->pmm;
    unsigned n = GM(pm)->levels;
    unsigned have = descend(pm, va, path);
    if (have == n) {
        *level = n - 1;
        *e = pte_rd(table(pmm, path[n - 1]), level_index(pmm, n - 1, va));
        return (*e & PTE_V) != 0;
    }
    if (large_slot(pm, va, path, have, e) && is_large(pmm, n - 2, *e)) {
        *level = n - 2;
        return true;
    }
    return false;
}

/* The entries of the mapping whose entry e (level l) maps va: the first index and how
 * many — the whole run for a PTE of a contiguous run, else that entry alone. */
static unsigned run_span(const struct pmap *pm, vaddr_t va, unsigned l, uint64_t e, unsigned *i0)
{
    const struct pmap_machine *pmm = pm->pmm;
    *i0 = level_index(pmm, l, va);
    if (l + 1 < GM(pm)->levels || !(e & PTE_CONT) || cont_ptes(pmm) == 0)
        return 1;
    *i0 = cont_first(pmm, *i0);
    return cont_ptes(pmm);
}

static void gen_remove(struct pmap *pm, vaddr_t va)
{
    struct pmap_machine *pmm = pm->pmm;
    paddr_t path[GEN_MAX_LEVELS];
    unsigned l, i0;
    uint64_t e;
    if (!mapping_slot(pm, va, path, &l, &e))
        return;
    unsigned n = run_span(pm, va, l, e, &i0);
    uint8_t *t = table(pmm, path[l]);
    for (unsigned i = 0; i < n; i++)
        pte_wr(t, i0 + i, 0);
    tlb_shootdown(pm, va);                     /* by address: the entry covering va, any size */
    entries_cleared(pm, va, path, l, n);
}

static void gen_protect(struct pmap *pm, vaddr_t va, vm_prot_t prot)
{
    struct pmap_machine *pmm = pm->pmm;
    paddr_t path[GEN_MAX_LEVELS];
    unsigned l, i0;
    uint64_t e;
    if (!mapping_slot(pm, va, path, &l, &e))
        return;
    uint64_t keep = (e >> PTE_PROT_SHIFT) & prot & UVMSIM_PROT_ALL;
    uint64_t protmask = (uint64_t)UVMSIM_PROT_ALL << PTE_PROT_SHIFT;
    unsigned n = run_span(pm, va, l, e, &i0);
    uint8_t *t = table(pmm, path[l]);
    for (unsigned i = 0; i < n; i++)            /* a run keeps one set of rights */
        pte_wr(t, i0 + i, (pte_rd(t, i0 + i) & ~protmask) | (keep << PTE_PROT_SHIFT));
    tlb_shootdown(pm, va);
}

static bool gen_walk(struct pmap *pm, vaddr_t va, struct pmap_pte *pte)
{
    const struct pmap_machine *pmm = pm->pmm;
    paddr_t path[GEN_MAX_LEVELS];
    unsigned l;
    uint64_t e;
    pte->valid = false;
    pte->pa = 0;
    pte->prot = UVMSIM_PROT_NONE;
    pte->domain = 0;
    pte->lshift = 0;
    if (va >= pmm->va_end || !mapping_slot(pm, va, path, &l, &e))
        return false;
    fill_pte(pmm, e, pte);
    if (l + 1 < GM(pm)->levels) {
        pte->lshift = GM(pm)->bits;
        pte->pa += (va & (large_bytes(pmm) - 1)) & ~pmm->m->page_mask;
    } else if (e & PTE_CONT) {
        pte->lshift = GM(pm)->cont_lshift;     /* the PTE carries its own page's frame */
    }
    return pte->valid;
}

/* The large entry for [va, va + 2 MiB) (PTE_PS): the tables down to the level above the leaves
 * are found or made (all of them before anything is written, so ENOMEM changes
 * nothing); a leaf table there (one-page mappings of the same pages, the common layer
 * checked) gives way: its TLB entries are invalidated and it is freed. */
static int enter_pde(struct pmap *pm, vaddr_t va, paddr_t pa, vm_prot_t prot, unsigned flags)
{
    struct pmap_machine *pmm = pm->pmm;
    unsigned n = GM(pm)->levels;
    paddr_t path[GEN_MAX_LEVELS];
    unsigned have = descend(pm, va, path);
    int err = tables_down_to(pm, va, path, have, n - 1);      /* levels 0 .. n-2 */
    if (err != UVMSIM_OK)
        return err;
    uint8_t *t = table(pmm, path[n - 2]);
    unsigned idx = level_index(pmm, n - 2, va);
    uint64_t old = pte_rd(t, idx);
    uint64_t e = pte_make(pa, prot, flags) | PTE_PS;
    paddr_t leaf;
    if (next_table(pmm, old, &leaf)) {
        /* a promotion: the one-page PTEs go with their table */
        const uint8_t *lt = table(pmm, leaf);
        size_t pgsz = pmm->m->cfg.page_size;
        for (unsigned i = 0; i < (1u << GM(pm)->bits); i++)
            if (pte_rd(lt, i) & PTE_V)
                tlb_shootdown(pm, va + i * pgsz);
        uvmsim_pagefree(pmm->m, ptp_page(pmm, leaf));
        pm->ptp_pages--;
    } else if (old & PTE_V) {
        tlb_shootdown(pm, va);                 /* the same large page, new rights */
    } else {
        ptp_page(pmm, path[n - 2])->offset++;
    }
    pte_wr(t, idx, e);
    return UVMSIM_OK;
}

/* The contiguous run for [va, va + 64 KiB): the tables down to the leaves are found or
 * made (ENOMEM changes nothing); each of the run's PTEs gets its own page's frame, the
 * same rights and flags, and PTE_CONT.  One-page PTEs there (of the same pages: the
 * common layer checked) are replaced and their TLB entries invalidated; the same run
 * again only changes its rights. */
static int enter_cont(struct pmap *pm, vaddr_t va, paddr_t pa, vm_prot_t prot, unsigned flags)
{
    struct pmap_machine *pmm = pm->pmm;
    unsigned n = GM(pm)->levels, run = cont_ptes(pmm);
    size_t pgsz = pmm->m->cfg.page_size;
    paddr_t path[GEN_MAX_LEVELS];
    unsigned have = descend(pm, va, path);
    if (under_large(pm, va, path, have))
        return UVMSIM_EBUSY;                   /* a 2 MiB page: the common layer refuses it */
    int err = tables_down_to(pm, va, path, have, n);
    if (err != UVMSIM_OK)
        return err;
    uint8_t *t = table(pmm, path[n - 1]);
    unsigned i0 = level_index(pmm, n - 1, va), had = 0;
    bool was_run = false;
    for (unsigned i = 0; i < run; i++) {
        uint64_t old = pte_rd(t, i0 + i);
        if (old & PTE_V) {
            had++;
            if (old & PTE_CONT)
                was_run = true;
            else
                tlb_shootdown(pm, va + i * pgsz);
        }
        pte_wr(t, i0 + i, pte_make(pa + i * pgsz, prot, flags) | PTE_CONT);
    }
    if (was_run)
        tlb_shootdown(pm, va);                 /* the same run, new rights */
    ptp_page(pmm, path[n - 1])->offset += run - had;
    return UVMSIM_OK;
}

static int gen_enter_large(struct pmap *pm, vaddr_t va, paddr_t pa, unsigned lshift, vm_prot_t prot, unsigned flags)
{
    /* the common layer checked that lshift is one of the two sizes */
    return lshift == GM(pm)->cont_lshift ? enter_cont(pm, va, pa, prot, flags) : enter_pde(pm, va, pa, prot, flags);
}

/* Split the large mapping at va into one-page PTEs (same frames, rights and flags): a
 * contiguous run loses its marks in place; a 2 MiB entry becomes a leaf table, ENOMEM
 * when the table cannot be had. */
static int gen_demote(struct pmap *pm, vaddr_t va)
{
    struct pmap_machine *pmm = pm->pmm;
    paddr_t path[GEN_MAX_LEVELS];
    unsigned l, i0;
    uint64_t e;
    if (!mapping_slot(pm, va, path, &l, &e))
        return UVMSIM_EINVAL;
    if (l + 1 == GM(pm)->levels) {
        unsigned n = run_span(pm, va, l, e, &i0);
        if (n == 1)
            return UVMSIM_EINVAL;              /* a one-page PTE: nothing to split */
        uint8_t *t = table(pmm, path[l]);
        for (unsigned i = 0; i < n; i++)
            pte_wr(t, i0 + i, pte_rd(t, i0 + i) & ~PTE_CONT);
        tlb_shootdown(pm, va);                 /* by address: drops the 64 KiB entry */
        return UVMSIM_OK;
    }
    struct vm_page *pg = uvmsim_pagealloc(pmm->m, PGO_PTP, true);
    if (pg == NULL)
        return UVMSIM_ENOMEM;
    paddr_t tpa = uvmsim_vm_page_to_phys(pmm->m, pg);
    uint8_t *lt = table(pmm, tpa);
    uint64_t flagbits = e & pmm->m->page_mask & ~PTE_PS;
    unsigned nent = 1u << GM(pm)->bits;
    for (unsigned i = 0; i < nent; i++)
        pte_wr(lt, i, (pte_frame(pmm, e) + ((uint64_t)i << pmm->m->page_shift)) | flagbits);
    pg->offset = nent;
    pm->ptp_pages++;
    pte_wr(table(pmm, path[l]), level_index(pmm, l, va), tpa | PTE_TABLE | PTE_V);
    tlb_shootdown(pm, va);                     /* by address: drops the large entry */
    return UVMSIM_OK;
}

/* Depth-first search of table tpa (level l, covering VAs from base) for the first valid
 * leaf in [sva, eva); invalid entries skip their whole span. */
static bool scan(const struct pmap *pm, paddr_t tpa, unsigned l, vaddr_t base,
                 vaddr_t sva, vaddr_t eva, vaddr_t *va, struct pmap_pte *pte)
{
    const struct pmap_machine *pmm = pm->pmm;
    const struct gen_machine *g = GM(pm);
    if (ptp_page(pmm, tpa)->offset == 0)
        return false;   /* no valid entry (the checker verifies the count) */
    unsigned shift = level_shift(pmm, l);
    uint64_t nent = 1ull << g->bits;
    const uint8_t *t = table(pmm, tpa);
    for (uint64_t i = sva > base ? (sva - base) >> shift : 0; i < nent; i++) {
        vaddr_t at = base + (i << shift);
        if (at >= eva)
            return false;
        uint64_t e = pte_rd(t, (unsigned)i);
        if (!(e & PTE_V))
            continue;
        if (l + 1 == g->levels || is_large(pmm, l, e)) {
            *va = at;                  /* a large page's first page: below sva if sva is inside */
            fill_pte(pmm, e, pte);
            pte->lshift = l + 1 == g->levels ? 0 : g->bits;
            if (l + 1 == g->levels && (e & PTE_CONT) && g->cont_lshift != 0) {
                /* a run: its first page, found from any of its PTEs */
                vaddr_t first = base + ((vaddr_t)cont_first(pmm, (unsigned)i) << shift);
                pte->pa -= at - first;
                pte->lshift = g->cont_lshift;
                *va = first;
            }
            return true;
        }
        paddr_t next;
        if (next_table(pmm, e, &next) && scan(pm, next, l + 1, at, sva, eva, va, pte))
            return true;
    }
    return false;
}

static bool gen_next_valid(struct pmap *pm, vaddr_t sva, vaddr_t eva, vaddr_t *va, struct pmap_pte *pte)
{
    if (eva > pm->pmm->va_end)
        eva = pm->pmm->va_end;
    if (sva >= eva)
        return false;
    return scan(pm, GP(pm)->root, 0, 0, sva, eva, va, pte);
}

static void gen_activate(struct pmap *pm)
{
    /* ASID-tagged TLB: the switch only loads the new ASID (no flush). */
    asid_assign(pm);
}

static int gen_translate(struct pmap *pm, vaddr_t va, uvmsim_access kind, paddr_t *pa)
{
    struct pmap_machine *pmm = pm->pmm;
    struct gen_pmap *gp = GP(pm);
    struct tlb *t = uvmsim_pmap_tlb_for(pmm, kind);
    vaddr_t vpn = va >> pmm->m->page_shift;
    paddr_t off = va & pmm->m->page_mask;
    asid_assign(pm);        /* no-op for the active pmap; keeps the tags honest anyway */

    struct tlb_entry *e = uvmsim_tlb_lookup(t, gp->asid, vpn);
    if (e != NULL) {
        if (!uvmsim_pmap_access_ok(e->prot, kind))
            return UVMSIM_EACCES;
        *pa = e->pfn_pa | (va & e->off_mask);
        return UVMSIM_OK;
    }
    if (uvmsim_tracing(pmm->m))
        uvmsim_pmap_ev_miss(pm, va, kind);
    uvmsim_tlb_count_walk(t);
    struct pmap_pte pte;
    gen_walk(pm, va - off, &pte);
    if (uvmsim_tracing(pmm->m))
        uvmsim_pmap_ev_walk(pm, va, kind, &pte);
    if (!pte.valid)
        return UVMSIM_EFAULT;
    /* one entry for the whole mapping: a large page fills a large entry */
    vaddr_t first = vpn & ~(((vaddr_t)1 << pte.lshift) - 1);
    uvmsim_tlb_insert_sized(t, gp->asid, first, pte.lshift, pte.pa - ((vpn - first) << pmm->m->page_shift), pte.prot, 0);
    if (!uvmsim_pmap_access_ok(pte.prot, kind))
        return UVMSIM_EACCES;
    *pa = pte.pa | off;
    return UVMSIM_OK;
}

/* A hit: the pmap's ASID tags its entries; no domains, nothing else touched. */
static bool gen_fast_setup(struct pmap *pm, struct pmap_fast *f)
{
    f->asid = GP(pm)->asid;
    return true;
}

/* ---- checker ---- */

static void tlb_entry_check(const struct tlb_entry *e, void *arg)
{
    struct pmap_tlbcheck *c = arg;
    struct pmap_machine *pmm = c->pmm;
    const struct gen_machine *g = pmm->be;
    if (c->err != UVMSIM_OK)
        return;
    struct pmap *owner = e->asid <= GEN_ASID_MAX ? g->asid_owner[e->asid] : NULL;
    vaddr_t va = e->vpn << pmm->m->page_shift;
    struct pmap_pte pte;
    if (owner == NULL) {
        snprintf(c->msg, c->len, "generic: %s entry va %#llx has ASID %u owned by no pmap",
                 c->tlbname, (unsigned long long)va, (unsigned)e->asid);
        c->err = UVMSIM_ESTATE;
    } else if (!gen_walk(owner, va, &pte) || pte.pa != e->pfn_pa || pte.lshift != e->lshift ||
               (e->prot & ~pte.prot)) {
        snprintf(c->msg, c->len, "generic: %s entry (asid %u, va %#llx, %llu pages) -> %#llx prot %u "
                 "exceeds the tables", c->tlbname, (unsigned)e->asid, (unsigned long long)va,
                 1ull << e->lshift, (unsigned long long)e->pfn_pa, e->prot);
        c->err = UVMSIM_ESTATE;
    }
}

/* Verify the contiguous run of leaf table t from index i0 (va: its first page) if any of
 * its PTEs is marked: all valid and marked, with the first one's rights and flags, and
 * frames following the first, which is aligned to the run's size (what the TLB caches as
 * one entry must be what each PTE says). */
static int check_run(const struct pmap *pm, const uint8_t *t, unsigned i0, vaddr_t va, char *msg, size_t len)
{
    const struct pmap_machine *pmm = pm->pmm;
    unsigned run = cont_ptes(pmm), marked = 0;
    for (unsigned i = 0; i < run; i++)
        marked += (pte_rd(t, i0 + i) & PTE_CONT) != 0;
    if (marked == 0)
        return UVMSIM_OK;
    uint64_t first = pte_rd(t, i0);
    uint64_t bytes = (uint64_t)run << pmm->m->page_shift;
    if (!(first & PTE_V) || !(first & PTE_CONT) || (pte_frame(pmm, first) & (bytes - 1)) != 0) {
        snprintf(msg, len, "generic: pid %d contiguous run at va %#llx: its first PTE %#llx is not a marked "
                 "leaf of a %llu KiB-aligned frame", pm->pid, (unsigned long long)va, (unsigned long long)first,
                 (unsigned long long)(bytes >> 10));
        return UVMSIM_ESTATE;
    }
    for (unsigned i = 1; i < run; i++) {
        uint64_t e = pte_rd(t, i0 + i);
        if (e != first + ((uint64_t)i << pmm->m->page_shift)) {
            snprintf(msg, len, "generic: pid %d contiguous run at va %#llx: PTE %u of %u (%#llx) disagrees with "
                     "the first (%#llx): frame, rights, flags or mark", pm->pid, (unsigned long long)va, i, run,
                     (unsigned long long)e, (unsigned long long)first);
            return UVMSIM_ESTATE;
        }
    }
    return UVMSIM_OK;
}

/* Verify one table (level l, mapping VAs from base) and everything below it; adds the
 * tables it finds to *ntables. */
static int check_table(const struct pmap *pm, paddr_t tpa, unsigned l, vaddr_t base, uint64_t *ntables,
                       char *msg, size_t len)
{
    const struct pmap_machine *pmm = pm->pmm;
    const struct gen_machine *g = GM(pm);
    const struct vm_page *pg = ptp_page(pmm, tpa);
    if (pg == NULL || pg->owner != PGO_PTP) {
        snprintf(msg, len, "generic: pid %d table %#llx is not a PTP page", pm->pid,
                 (unsigned long long)tpa);
        return UVMSIM_ESTATE;
    }
    (*ntables)++;
    const uint8_t *t = table(pmm, tpa);
    if (pg->offset == 0) {
        /* An empty table (every new process's root) is all zero: one compare with the
         * zero page instead of decoding each entry. */
        const uint8_t *zero = uvmsim_phys_ptr(pmm->m, pmm->m->zero_pa, pmm->m->cfg.page_size);
        if (memcmp(t, zero, pmm->m->cfg.page_size) == 0) {
            if (l > 0) {
                snprintf(msg, len, "generic: pid %d table %#llx (level %u) is empty but still linked",
                         pm->pid, (unsigned long long)tpa, l);
                return UVMSIM_ESTATE;
            }
            return UVMSIM_OK;
        }
    }
    uint64_t used = 0;
    bool leaf = l + 1 == g->levels;
    unsigned shift = level_shift(pmm, l), run = cont_ptes(pmm);
    for (unsigned i = 0; i < (1u << g->bits); i++) {
        if (leaf && run != 0 && i % run == 0) {
            int err = check_run(pm, t, i, base + ((vaddr_t)i << shift), msg, len);
            if (err != UVMSIM_OK)
                return err;
        }
        uint64_t e = pte_rd(t, i);
        if (!(e & PTE_V))
            continue;
        used++;
        /* a leaf (marked only in a run: checked above), a large leaf (the level above the
         * leaves only) or a table */
        bool big = (e & PTE_PS) != 0;
        if ((e & PTE_CONT) && (!leaf || run == 0 || big)) {
            snprintf(msg, len, "generic: pid %d table %#llx (level %u) entry %u is marked contiguous but is no "
                     "leaf PTE of a run", pm->pid, (unsigned long long)tpa, l, i);
            return UVMSIM_ESTATE;
        }
        if (big ? (!is_large(pmm, l, e) || (pte_frame(pmm, e) & (large_bytes(pmm) - 1)) != 0)
                : leaf != !(e & PTE_TABLE)) {
            snprintf(msg, len, "generic: pid %d table %#llx entry %u has the wrong kind",
                     pm->pid, (unsigned long long)tpa, i);
            return UVMSIM_ESTATE;
        }
        /* Leaf frames need no check here: the common checker matched each with a PV
         * entry, whose pa enter validated. */
        if (!leaf && !big) {
            int err = check_table(pm, pte_frame(pmm, e), l + 1, base + ((vaddr_t)i << shift), ntables, msg, len);
            if (err != UVMSIM_OK)
                return err;
        }
    }
    if (used != pg->offset || (l > 0 && used == 0)) {
        snprintf(msg, len, "generic: pid %d table %#llx (level %u) has %llu entries, count %llu",
                 pm->pid, (unsigned long long)tpa, l, (unsigned long long)used,
                 (unsigned long long)pg->offset);
        return UVMSIM_ESTATE;
    }
    return UVMSIM_OK;
}

static int gen_check(struct pmap_machine *pmm, char *msg, size_t msglen)
{
    char dummy[1];
    struct gen_machine *g = pmm->be;
    if (msg == NULL || msglen == 0) {
        msg = dummy;
        msglen = sizeof(dummy);
    }
    /* ASIDs of this generation are unique: one owner table instead of comparing every
     * pair of pmaps (which made the check quadratic in the number of processes). */
    memset(g->asid_owner, 0, sizeof(g->asid_owner));
    for (struct pmap *pm = pmm->pmaps; pm != NULL; pm = pm->pm_next) {
        if (GP(pm)->gen != g->gen)
            continue;
        uint32_t a = GP(pm)->asid;
        if (a == 0 || a > GEN_ASID_MAX) {
            snprintf(msg, msglen, "generic: pid %d holds ASID %u of this generation", pm->pid, (unsigned)a);
            return UVMSIM_ESTATE;
        }
        if (g->asid_owner[a] != NULL) {
            snprintf(msg, msglen, "generic: pids %d and %d share ASID %u", g->asid_owner[a]->pid, pm->pid,
                     (unsigned)a);
            return UVMSIM_ESTATE;
        }
        g->asid_owner[a] = pm;
    }
    for (struct pmap *pm = pmm->pmaps; pm != NULL; pm = pm->pm_next) {
        uint64_t ntables = 0;
        int err = check_table(pm, GP(pm)->root, 0, 0, &ntables, msg, msglen);
        if (err != UVMSIM_OK)
            return err;
        if (ntables != pm->ptp_pages) {
            snprintf(msg, msglen, "generic: pid %d has %llu tables, ptp_pages says %llu",
                     pm->pid, (unsigned long long)ntables, (unsigned long long)pm->ptp_pages);
            return UVMSIM_ESTATE;
        }
    }
    return uvmsim_pmap_check_tlbs(pmm, tlb_entry_check, msg, msglen);
}

const struct pmap_ops uvmsim_pmap_generic_ops = {
    .name = "generic",
    .init = gen_init,
    .fini = gen_fini,
    .create = gen_create,
    .destroy = gen_destroy,
    .enter = gen_enter,
    .remove = gen_remove,
    .protect = gen_protect,
    .walk = gen_walk,
    .next_valid = gen_next_valid,
    .activate = gen_activate,
    .translate = gen_translate,
    .fast_setup = gen_fast_setup,
    .enter_large = gen_enter_large,
    .demote = gen_demote,
    .check = gen_check,
    .stats = NULL,
};

/* ---- introspection ---- */

bool uvmsim_pmap_generic_pte_pa(struct pmap *pm, vaddr_t va, paddr_t *pte_pa)
{
    if (pm == NULL || pm->pmm->ops != &uvmsim_pmap_generic_ops || va >= pm->pmm->va_end)
        return false;
    unsigned n = GM(pm)->levels;
    paddr_t path[GEN_MAX_LEVELS];
    unsigned have = descend(pm, va, path), l = n - 1;
    uint64_t e;
    if (have != n) {
        if (!large_slot(pm, va, path, have, &e) || !is_large(pm->pmm, n - 2, e))
            return false;
        l = n - 2;                  /* the large entry that maps va */
    }
    if (pte_pa != NULL)
        *pte_pa = path[l] + (paddr_t)level_index(pm->pmm, l, va) * 8;
    return true;
}

uint32_t uvmsim_pmap_generic_asid(const struct pmap *pm)
{
    if (pm == NULL || pm->pmm->ops != &uvmsim_pmap_generic_ops)
        return 0;
    return GP(pm)->gen == GM(pm)->gen ? GP(pm)->asid : 0;
}
