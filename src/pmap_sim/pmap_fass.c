/* uvmsim — the "fass" pmap backend: ARM Linux Fast Address-Space Switching (seed 004,
 * Adam Wiggins' FASS patch for the StrongARM).  One caching page directory (CPD) is the
 * only first-level table the MMU ever walks; it caches first-level entries of every
 * process's own table, each tagged with the ARM domain of its owner.  A switch rewrites
 * the domain access register (the old domain off, the new one on) and the FCSE PID, and
 * flushes nothing.  Flushes happen only when
 *   - a CPD entry is taken over by another domain (a collision: that 1 MiB region's TLB
 *     entries and cache lines go, if its old domain ran since the last flush), or
 *   - a domain is recycled because all 15 user domains are taken (a dirty victim
 *     costs a full cache clean/flush and TLB flush, after which every domain is clean).
 * Lazy flushing: a domain that has not been activated since the last full flush cannot
 * have TLB entries or cache lines, so it needs no flush whatever happens to it.
 *
 * Programs mapped below 32 MiB are relocated by the FCSE PID into a 32 MiB slot of the
 * first 2 GiB (slot chosen by a policy at the first such mapping), so identical binaries
 * do not collide in the CPD.  A process never uses its own slot's range above 32 MiB
 * (it would alias its relocated low region): a mapping there moves it to another slot.
 *
 * The CPD lives in simulated RAM (4 PTP pages, pmm->ptp_shared) while any pmap exists;
 * CPD entries point at the owners' coarse tables, so a PTE written by enter is seen
 * through the CPD at once, and a CPD load never copies second-level tables.
 *
 * Shared domains (off by default; uvmsim_pmap_fass_set_sharing): when two or more address
 * spaces map identical pages (same frame, same rights) at the same virtual address, i.e.
 * the same object there (XIP text of one binary), their 1 MiB region gets a domain of its
 * own and a shared coarse table holding exactly the pages every sharer maps identically
 * (their intersection).  The CPD entry of the region is tagged with the shared domain and
 * points at that table, and every sharer's DACR enables the shared domain, so a TLB entry
 * filled by one sharer serves all of them.  A sharer whose PTE in the region changes
 * (a write's COW, an unmap, a protect, a different page) leaves the group; a sharer's own
 * page that the others lack is served by loading its private entry into the CPD (a
 * fallback, a collision with the shared domain).
 *
 * Least-contention placement (off by default; uvmsim_pmap_fass_set_placement): a
 * non-fixed mapping goes into a 1 MiB region the process already uses if it fits, else
 * into the free region fewest other address spaces use (then the fewest past CPD
 * collisions there), as seed 004 (1a) describes. */
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "pmap_arm.h"

#define FASS_KERNEL_DOMAINS 1u            /* domain 0 */
#define FASS_LOW_L1        (ARM_FCSE_SIZE >> ARM_SECTION_SHIFT)   /* 32 first-level entries */

struct fass_machine;

/* Pick the domain to recycle; every user domain is owned when it is called. */
struct fass_domain_policy {
    const char *name;
    /* true when domain a is a better victim than domain b */
    bool (*better)(const struct fass_machine *f, unsigned a, unsigned b);
};

/* Pick an FCSE slot for pm (1..63 without conflict, 0 when none is left). */
struct fass_pid_policy {
    const char *name;
    unsigned (*pick)(struct fass_machine *f, const struct pmap *pm);
};

struct fass_share;

/* Invariants: free (owner == NULL && share == NULL) => !dirty && !wrote && cpd_entries == 0;
 * never both owner and share; !dirty => no TLB entry carries this domain;
 * cpd_entries == #CPD entries tagged. */
struct fass_domain {
    struct pmap *owner;       /* a process's private domain */
    struct fass_share *share; /* or a shared region's domain */
    bool dirty;               /* activated since the last full flush */
    bool wrote;               /* a store through it since then: its lines may be dirty */
    unsigned cpd_entries;
    uint64_t last_active;     /* f->clock at its last activation (tie-breaks) */
};

/* Host-side shadow of one CPD entry: who tagged it and which first-level index of the
 * owner's table it was loaded from (domain -1: the entry is a fault descriptor). */
struct cpd_meta {
    int8_t domain;
    uint16_t src;
};

/* A shared region: CPD index mi (MVA >> 20), loaded from first-level index src of every
 * member's own table (the same va in each).  Invariants: n >= 2 distinct live members,
 * each mapping MVA index mi from src with a coarse table there; table is a PGO_PTP page
 * (counted in ptp_shared) whose valid entries are exactly the entries valid and identical
 * (hardware word, shadow without the wired bit) in every member's table (nvalid of them);
 * domain is owned by this share (dom[domain].share == this). */
struct fass_share {
    unsigned mi, src;
    int domain;
    paddr_t table;
    unsigned nvalid;
    unsigned n, cap;
    struct pmap **mem;
};

struct fass_machine {
    uint32_t dacr;                        /* kernel domain + the active pmap's domains */
    unsigned pid_reg;                     /* FCSE PID of the active pmap */
    bool cpd_live;                        /* cpd allocated (<=> npmaps > 0) */
    struct arm_l1 cpd;
    unsigned npmaps;
    struct cpd_meta meta[ARM_L1_ENTRIES];
    struct fass_domain dom[ARM_NDOMAINS];
    unsigned slot_users[ARM_FCSE_SLOTS];  /* live pmaps relocated into each slot */
    unsigned rr_next;                     /* round robin: next slot to try, 1..63 */
    uint64_t clock;
    const struct fass_domain_policy *dpol;
    const struct fass_pid_policy *ppol;
    bool sharing;                         /* shared domains on (uvmsim_pmap_fass_set_sharing) */
    bool placing;                         /* least-contention placement on */
    unsigned nshares;
    struct fass_share *share[ARM_L1_ENTRIES];   /* by CPD index; NULL: not shared */
    uint32_t collisions[ARM_L1_ENTRIES];  /* CPD collisions so far at each index (placement) */
};

struct fass_pmap {
    struct arm_l1 l1;         /* first member (pmap_arm.h ops rely on it): the process's own L1 */
    int domain;               /* -1: none (recycled away or never had one) */
    int slot;                 /* FCSE PID; -1 until the first mapping below 32 MiB */
};
_Static_assert(offsetof(struct fass_pmap, l1) == 0, "the shared ARM ops find the L1 at pm->be");

static struct fass_machine *FM(const struct pmap_machine *pmm) { return pmm->be; }
static struct fass_pmap *FP(const struct pmap *pm) { return pm->be; }

static unsigned pm_slot(const struct pmap *pm)
{
    return FP(pm)->slot < 0 ? 0 : (unsigned)FP(pm)->slot;
}

static vaddr_t pm_mva(const struct pmap *pm, vaddr_t va)
{
    return arm_fcse_mva(va, pm_slot(pm));
}

static bool share_member(const struct fass_share *g, const struct pmap *pm)
{
    for (unsigned k = 0; g != NULL && k < g->n; k++)
        if (g->mem[k] == pm)
            return true;
    return false;
}

static bool dom_free(const struct fass_machine *f, unsigned d)
{
    return f->dom[d].owner == NULL && f->dom[d].share == NULL;
}

/* The DACR while pm runs: the kernel's domain, pm's own and those of its shared regions. */
static uint32_t dacr_of(const struct fass_machine *f, const struct pmap *pm)
{
    uint32_t dacr = 0;
    for (unsigned d = 0; d < FASS_KERNEL_DOMAINS; d++)
        dacr = arm_dacr_set(dacr, d, ARM_DACC_CLIENT);
    if (pm != NULL && FP(pm)->domain >= 0)
        dacr = arm_dacr_set(dacr, (unsigned)FP(pm)->domain, ARM_DACC_CLIENT);
    for (unsigned d = FASS_KERNEL_DOMAINS; pm != NULL && f->nshares > 0 && d < ARM_NDOMAINS; d++)
        if (share_member(f->dom[d].share, pm))
            dacr = arm_dacr_set(dacr, d, ARM_DACC_CLIENT);
    return dacr;
}

/* ---- policies ---- */

static bool by_lru(const struct fass_machine *f, unsigned a, unsigned b)
{
    if (f->dom[a].last_active != f->dom[b].last_active)
        return f->dom[a].last_active < f->dom[b].last_active;
    return a < b;
}

static bool by_fewest(const struct fass_machine *f, unsigned a, unsigned b)
{
    if (f->dom[a].cpd_entries != f->dom[b].cpd_entries)
        return f->dom[a].cpd_entries < f->dom[b].cpd_entries;
    return by_lru(f, a, b);
}

static bool by_clean_fewest(const struct fass_machine *f, unsigned a, unsigned b)
{
    if (f->dom[a].dirty != f->dom[b].dirty)
        return !f->dom[a].dirty;
    return by_fewest(f, a, b);
}

static bool by_clean_lru(const struct fass_machine *f, unsigned a, unsigned b)
{
    if (f->dom[a].dirty != f->dom[b].dirty)
        return !f->dom[a].dirty;
    return by_lru(f, a, b);
}

static const struct fass_domain_policy domain_policies[] = {
    {"clean-fewest", by_clean_fewest},    /* the seed's: clean first, then fewest entries */
    {"fewest", by_fewest},
    {"clean-lru", by_clean_lru},
    {"lru", by_lru},
};
static const char *const domain_policy_names[] = {"clean-fewest", "fewest", "clean-lru", "lru", NULL};

/* Would relocating pm into slot s alias one of its own mappings above 32 MiB? */
static bool slot_conflicts(const struct pmap_machine *pmm, const struct pmap *pm, unsigned s)
{
    if (s == 0)
        return false;
    for (unsigned i = 0; i < FASS_LOW_L1; i++)
        if (uvmsim_arm_l1_get(pmm, &FP(pm)->l1, s * FASS_LOW_L1 + i) != 0)
            return true;
    return false;
}

static unsigned pid_round_robin(struct fass_machine *f, const struct pmap *pm)
{
    for (unsigned k = 0; k + 1 < ARM_FCSE_SLOTS; k++) {
        unsigned s = 1 + (f->rr_next - 1 + k) % (ARM_FCSE_SLOTS - 1);
        if (!slot_conflicts(pm->pmm, pm, s)) {
            f->rr_next = s % (ARM_FCSE_SLOTS - 1) + 1;
            return s;
        }
    }
    return 0;
}

static unsigned pid_least_used(struct fass_machine *f, const struct pmap *pm)
{
    unsigned best = 0;
    for (unsigned s = 1; s < ARM_FCSE_SLOTS; s++)
        if (!slot_conflicts(pm->pmm, pm, s) && (best == 0 || f->slot_users[s] < f->slot_users[best]))
            best = s;
    return best;
}

/* No relocation at all: every program linked low shares PID 0 (and so its MVAs). */
static unsigned pid_none(struct fass_machine *f, const struct pmap *pm)
{
    return 0;
}

static const struct fass_pid_policy pid_policies[] = {
    {"round-robin", pid_round_robin},     /* the seed's current allocator */
    {"least-used", pid_least_used},
    {"none", pid_none},
};
static const char *const pid_policy_names[] = {"round-robin", "least-used", "none", NULL};

/* ---- CPD ---- */

/* Invalidate CPD entry mi.  flush: its domain may have TLB entries and cache lines for
 * the region (a collision, a slot move); then they go if the domain is dirty. */
static void cpd_drop(struct pmap_machine *pmm, unsigned mi, bool flush, const char *why)
{
    struct fass_machine *f = FM(pmm);
    struct fass_domain *od = &f->dom[f->meta[mi].domain];
    vaddr_t base = (vaddr_t)mi << ARM_SECTION_SHIFT;
    if (flush && od->dirty) {
        uvmsim_arm_tlb_flush_range(pmm, base, ARM_SECTION_SIZE);
        pmm->st.tlb_flushes++;
        uvmsim_arm_cache_op(pmm, "region", why, base, od->wrote, true);
    }
    uvmsim_arm_l1_set(pmm, &f->cpd, mi, 0);
    f->meta[mi].domain = -1;
    f->meta[mi].src = 0;
    od->cpd_entries--;
}

/* Load the CPD entry for (pm, va): the answer to a CPD miss or a domain fault.  A sharer
 * of the region gets the shared entry (unless private: a page of its own the shared table
 * lacks), anyone else its own first-level entry retagged with its domain.  False when pm's
 * table has nothing there (a real fault for the VM). */
static bool cpd_load(struct pmap *pm, vaddr_t va, vaddr_t mva, bool private)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    unsigned src = (unsigned)(va >> ARM_SECTION_SHIFT), mi = (unsigned)(mva >> ARM_SECTION_SHIFT);
    uint32_t pgd = uvmsim_arm_l1_get(pmm, &fp->l1, src);
    if ((pgd & L1_TYPE_MASK) != L1_TYPE_COARSE && !uvmsim_arm_is_section(pgd))
        return false;
    struct fass_share *g = private ? NULL : f->share[mi];
    int dom = share_member(g, pm) ? g->domain : fp->domain;
    uint32_t desc = dom == fp->domain ? (pgd & ~L1_DOMAIN_MASK) | (uint32_t)dom << L1_DOMAIN_SHIFT
                                      : (uint32_t)g->table | (uint32_t)dom << L1_DOMAIN_SHIFT | L1_TYPE_COARSE;
    if (f->meta[mi].domain >= 0) {
        uvmsim_arm_event(pmm, pm->pid, "cpd-collision", (vaddr_t)mi << ARM_SECTION_SHIFT,
                         (uint64_t)f->meta[mi].domain, (uint64_t)dom,
                         "fass: CPD entry taken over from another domain");
        pmm->st.cpd_collisions++;
        f->collisions[mi]++;
        cpd_drop(pmm, mi, true, "cpd-collision");
    }
    uvmsim_arm_l1_set(pmm, &f->cpd, mi, desc);
    f->meta[mi].domain = (int8_t)dom;
    f->meta[mi].src = (uint16_t)src;
    f->dom[dom].cpd_entries++;
    pmm->st.cpd_loads++;
    uvmsim_arm_event(pmm, pm->pid, "cpd-load", (vaddr_t)mi << ARM_SECTION_SHIFT, (uint64_t)dom, src,
                     dom == fp->domain ? "fass: first-level entry loaded into the CPD"
                                       : "fass: shared region's entry loaded into the CPD");
    return true;
}

/* ---- shared regions ---- */


/* The coarse table (hardware half, then shadow half) behind first-level entry src of pm's
 * own table; NULL when there is none. */
static uint8_t *own_table(const struct pmap_machine *pmm, const struct pmap *pm, unsigned src)
{
    uint32_t d = uvmsim_arm_l1_get(pmm, &FP(pm)->l1, src);
    if ((d & L1_TYPE_MASK) != L1_TYPE_COARSE)
        return NULL;
    return uvmsim_phys_ptr(pmm->m, d & L1_COARSE_BASE, 2 * ARM_L2_SHADOW_OFF);
}

static bool pte_valid(const uint8_t *t, unsigned i)
{
    return t != NULL && (uvmsim_arm_rd32(t + ARM_L2_SHADOW_OFF + (size_t)i * 4) & SH_VALID) != 0;
}

/* The same page with the same rights (the wired bit is the owner's business). */
static bool pte_same(const uint8_t *a, const uint8_t *b, unsigned i)
{
    size_t h = (size_t)i * 4, sh = ARM_L2_SHADOW_OFF + h;
    return uvmsim_arm_rd32(a + h) == uvmsim_arm_rd32(b + h) && ((uvmsim_arm_rd32(a + sh) ^ uvmsim_arm_rd32(b + sh)) & ~(uint32_t)SH_WIRED) == 0;
}

/* No index where both tables are valid and differ. */
static bool tables_agree(const uint8_t *a, const uint8_t *b)
{
    for (unsigned i = 0; i < ARM_L2_ENTRIES; i++)
        if (pte_valid(a, i) && pte_valid(b, i) && !pte_same(a, b, i))
            return false;
    return true;
}

/* The active pmap's sharing changed: its DACR again, and a shared region it now runs in
 * is dirty from here on (its TLB entries can be filled at once). */
static void dacr_refresh(struct pmap_machine *pmm)
{
    struct fass_machine *f = FM(pmm);
    if (pmm->active == NULL)
        return;
    f->dacr = dacr_of(f, pmm->active);
    for (unsigned d = FASS_KERNEL_DOMAINS; d < ARM_NDOMAINS && f->nshares > 0; d++)
        if (share_member(f->dom[d].share, pmm->active))
            f->dom[d].dirty = true;
}

/* Which entries every member maps identically: keep[i]. */
static void share_intersection(const struct pmap_machine *pmm, const struct fass_share *g, bool keep[ARM_L2_ENTRIES],
                               const uint8_t **first)
{
    const uint8_t *t0 = own_table(pmm, g->mem[0], g->src);
    for (unsigned i = 0; i < ARM_L2_ENTRIES; i++)
        keep[i] = pte_valid(t0, i);
    for (unsigned k = 1; k < g->n; k++) {
        const uint8_t *tk = own_table(pmm, g->mem[k], g->src);
        for (unsigned i = 0; i < ARM_L2_ENTRIES; i++)
            keep[i] = keep[i] && pte_valid(tk, i) && pte_same(t0, tk, i);
    }
    *first = t0;
}

/* Make g's table the intersection of its members' tables again.  An entry that goes may
 * sit in the TLB under the shared domain: invalidated (a member that lacks the page must
 * not reach it). */
static void share_rebuild(struct pmap_machine *pmm, struct fass_share *g)
{
    struct fass_machine *f = FM(pmm);
    bool keep[ARM_L2_ENTRIES];
    const uint8_t *t0;
    share_intersection(pmm, g, keep, &t0);
    uint8_t *t = uvmsim_phys_ptr(pmm->m, g->table, 2 * ARM_L2_SHADOW_OFF);
    g->nvalid = 0;
    for (unsigned i = 0; i < ARM_L2_ENTRIES; i++) {
        size_t h = (size_t)i * 4, sh = ARM_L2_SHADOW_OFF + h;
        if (keep[i]) {
            uint32_t hw = uvmsim_arm_rd32(t0 + h), shw = uvmsim_arm_rd32(t0 + sh) & ~(uint32_t)SH_WIRED;
            if (uvmsim_arm_rd32(t + h) != hw || uvmsim_arm_rd32(t + sh) != shw) {
                uvmsim_arm_wr32(t + h, hw);
                uvmsim_arm_wr32(t + sh, shw);
                pmm->st.share_updates++;
            }
            g->nvalid++;
        } else if (uvmsim_arm_rd32(t + sh) != 0 || uvmsim_arm_rd32(t + h) != 0) {
            uvmsim_arm_wr32(t + h, 0);
            uvmsim_arm_wr32(t + sh, 0);
            pmm->st.share_updates++;
            if (f->dom[g->domain].dirty)
                uvmsim_arm_tlb_inval(pmm, ((vaddr_t)g->mi << ARM_SECTION_SHIFT) | ((vaddr_t)i << ARM_PAGE_SHIFT));
        }
    }
}

/* Dissolve g: its CPD entry (flushed when flush and its domain ran: the shared domain's
 * TLB entries can only be in region mi, so afterwards the domain is clean), its table and
 * its domain.  A recycle passes flush false and does its own flushing.  Returns the CPD
 * entries dropped. */
static uint64_t share_teardown(struct pmap_machine *pmm, struct fass_share *g, bool flush)
{
    struct fass_machine *f = FM(pmm);
    struct fass_domain *d = &f->dom[g->domain];
    uint64_t dropped = 0;
    if (f->meta[g->mi].domain == g->domain) {
        cpd_drop(pmm, g->mi, flush, "share-dissolve");
        dropped++;
    }
    uvmsim_pagefree(pmm->m, uvmsim_phys_to_vm_page(pmm->m, g->table));
    pmm->ptp_shared--;
    f->share[g->mi] = NULL;
    f->nshares--;
    pmm->st.shared_regions--;
    d->share = NULL;
    if (flush)
        d->dirty = d->wrote = false;
    uvmsim_arm_event(pmm, 0, "share-dissolve", (vaddr_t)g->mi << ARM_SECTION_SHIFT, (uint64_t)g->domain, g->n,
                     "fass: shared region dissolved");
    free(g->mem);
    free(g);
    dacr_refresh(pmm);
    return dropped;
}

static void share_leave(struct pmap_machine *pmm, struct fass_share *g, struct pmap *pm, const char *why)
{
    unsigned k = 0;
    while (k < g->n && g->mem[k] != pm)
        k++;
    if (k == g->n)
        return;
    g->mem[k] = g->mem[--g->n];
    pmm->st.share_leaves++;
    uvmsim_arm_event(pmm, pm->pid, "share-leave", (vaddr_t)g->mi << ARM_SECTION_SHIFT, (uint64_t)g->domain, g->n,
                     why);
    if (g->n < 2) {
        share_teardown(pmm, g, true);
        return;
    }
    share_rebuild(pmm, g);
    dacr_refresh(pmm);
}

static bool share_add(struct fass_share *g, struct pmap *pm)
{
    if (g->n == g->cap) {
        unsigned cap = g->cap ? 2 * g->cap : 4;
        struct pmap **mem = realloc(g->mem, cap * sizeof(*mem));
        if (mem == NULL)
            return false;             /* no host memory: simply not shared */
        g->mem = mem;
        g->cap = cap;
    }
    g->mem[g->n++] = pm;
    return true;
}

/* Form a shared region of pm and q at CPD index mi: needs a free domain (sharing never
 * recycles one) and a page for the table; without either the region stays private. */
static void share_make(struct pmap_machine *pmm, struct pmap *pm, struct pmap *q, unsigned mi, unsigned src)
{
    struct fass_machine *f = FM(pmm);
    unsigned d = FASS_KERNEL_DOMAINS;
    while (d < ARM_NDOMAINS && !dom_free(f, d))
        d++;
    if (d == ARM_NDOMAINS)
        return;
    struct fass_share *g = calloc(1, sizeof(*g));
    if (g == NULL || !share_add(g, q) || !share_add(g, pm)) {
        if (g)
            free(g->mem);
        free(g);
        return;
    }
    struct vm_page *pg = uvmsim_pagealloc(pmm->m, PGO_PTP, true);
    if (pg == NULL) {
        free(g->mem);
        free(g);
        return;
    }
    pg->offset = 0;
    g->table = uvmsim_vm_page_to_phys(pmm->m, pg);
    g->mi = mi;
    g->src = src;
    g->domain = (int)d;
    f->dom[d].share = g;
    f->share[mi] = g;
    f->nshares++;
    pmm->ptp_shared++;
    pmm->st.shared_regions++;
    pmm->st.share_groups_made++;
    uvmsim_arm_event(pmm, pm->pid, "share-form", (vaddr_t)mi << ARM_SECTION_SHIFT, d, (uint64_t)q->pid,
                     "fass: shared region formed");
    share_rebuild(pmm, g);
    dacr_refresh(pmm);
}

/* After pm entered va (its table holds the new PTE; old: what was there, if anything):
 * the consistency rules of shared regions.
 *   1. A sharer whose PTE changed (a write's COW copy, new rights) leaves the region.
 *   2. A sharer's new page: shared when every other sharer maps it identically; a sharer
 *      that maps something else there than another sharer leaves.
 *   3. A non-sharer whose region agrees with every sharer (no index where they differ)
 *      and maps the entered page identically to one of them joins.
 *   4. With no shared region there, pm and the first other address space mapping the
 *      same page at the same MVA, with agreeing regions, form one. */
static void share_after_enter(struct pmap *pm, vaddr_t va, const struct arm_pt_result *r, paddr_t pa,
                              vm_prot_t prot)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    unsigned src = (unsigned)(va >> ARM_SECTION_SHIFT), mi = (unsigned)(pm_mva(pm, va) >> ARM_SECTION_SHIFT);
    unsigned i = (unsigned)((va >> ARM_PAGE_SHIFT) & (ARM_L2_ENTRIES - 1));
    struct fass_share *g = f->share[mi];
    if (r->was_valid && (r->old.pa != pa || r->old.prot != prot) && share_member(g, pm)) {
        share_leave(pmm, g, pm, "fass: a sharer's page changed");
        g = f->share[mi];
    }
    if (!f->sharing)
        return;
    const uint8_t *mine = own_table(pmm, pm, src);
    if (mine == NULL)
        return;
    if (share_member(g, pm)) {
        bool all = true;
        for (unsigned k = 0; k < g->n; k++) {
            if (g->mem[k] == pm)
                continue;
            const uint8_t *t = own_table(pmm, g->mem[k], g->src);
            if (!pte_valid(t, i))
                all = false;
            else if (!pte_same(t, mine, i)) {
                share_leave(pmm, g, pm, "fass: a sharer mapped another page there");
                return;
            }
        }
        if (all)
            share_rebuild(pmm, g);
        return;
    }
    if (g != NULL) {
        if (g->src != src)
            return;
        bool same = false;
        for (unsigned k = 0; k < g->n; k++) {
            const uint8_t *t = own_table(pmm, g->mem[k], src);
            if (!tables_agree(t, mine))
                return;
            same = same || (pte_valid(t, i) && pte_same(t, mine, i));
        }
        if (same && share_add(g, pm)) {
            pmm->st.share_joins++;
            uvmsim_arm_event(pmm, pm->pid, "share-join", (vaddr_t)mi << ARM_SECTION_SHIFT, (uint64_t)g->domain, g->n,
                             "fass: address space joined a shared region");
            share_rebuild(pmm, g);
            dacr_refresh(pmm);
        }
        return;
    }
    for (struct pmap *q = pmm->pmaps; q != NULL; q = q->pm_next) {
        if (q == pm || FP(q) == NULL || (pm_mva(q, va) >> ARM_SECTION_SHIFT) != mi)
            continue;
        const uint8_t *t = own_table(pmm, q, src);
        if (pte_valid(t, i) && pte_same(t, mine, i) && tables_agree(t, mine)) {
            share_make(pmm, pm, q, mi, src);
            return;
        }
    }
}

/* pm leaves the shared region of CPD index mi, if it is a sharer there. */
static void share_drop_member(struct pmap *pm, unsigned mi, const char *why)
{
    struct fass_share *g = FM(pm->pmm)->share[mi];
    if (share_member(g, pm))
        share_leave(pm->pmm, g, pm, why);
}

/* ---- domains ---- */

/* Take domain v from its owner (or dissolve the shared region it tags).  Its CPD entries
 * go; if it ran since the last flush its TLB entries and lines may be anywhere, and
 * neither a VIVT cache nor the SA-1100 TLB can be flushed by domain: full flush, after
 * which every domain is clean. */
static void domain_recycle(struct pmap_machine *pmm, unsigned v)
{
    struct fass_machine *f = FM(pmm);
    struct fass_domain *dv = &f->dom[v];
    uint64_t cost = 0;
    int pid = 0;
    if (dv->share != NULL) {
        cost += share_teardown(pmm, dv->share, false);
    } else {
        for (unsigned mi = 0; mi < ARM_L1_ENTRIES && dv->cpd_entries > 0; mi++) {
            if (f->meta[mi].domain == (int)v) {
                cpd_drop(pmm, mi, false, "domain-recycle");
                cost++;
            }
        }
        FP(dv->owner)->domain = -1;
        pid = dv->owner->pid;
    }
    bool dirty = dv->dirty;
    if (dirty) {
        bool wrote = false;
        for (unsigned d = 0; d < ARM_NDOMAINS; d++)
            wrote |= f->dom[d].wrote;
        uvmsim_arm_cache_op(pmm, "all", "domain-recycle", 0, wrote, true);
        cost += uvmsim_arm_tlb_flush_all(pmm, "domain-recycle");
        pmm->st.tlb_flushes++;
        for (unsigned d = 0; d < ARM_NDOMAINS; d++)
            f->dom[d].dirty = f->dom[d].wrote = false;
        pmm->st.domain_recycles_dirty++;
    } else {
        pmm->st.domain_recycles_clean++;
    }
    pmm->st.switch_cost += cost;
    uvmsim_arm_event(pmm, pid, dirty ? "domain-recycle-dirty" : "domain-recycle-clean", 0, v, cost,
                     dirty ? "fass: dirty domain recycled: cache and TLBs flushed"
                           : "fass: clean domain recycled: CPD entries dropped, no flush");
    dv->owner = NULL;
}

/* Give pm a domain: a free one, else the policy's victim. */
static void domain_get(struct pmap *pm)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    unsigned pick = ARM_NDOMAINS;
    for (unsigned d = FASS_KERNEL_DOMAINS; d < ARM_NDOMAINS && pick == ARM_NDOMAINS; d++)
        if (dom_free(f, d))
            pick = d;
    if (pick == ARM_NDOMAINS) {
        pick = FASS_KERNEL_DOMAINS;
        for (unsigned d = FASS_KERNEL_DOMAINS + 1; d < ARM_NDOMAINS; d++)
            if (f->dpol->better(f, d, pick))
                pick = d;
        domain_recycle(pmm, pick);
    }
    f->dom[pick].owner = pm;
    FP(pm)->domain = (int)pick;
}

/* ---- FCSE slots ---- */

static void slot_set(struct pmap *pm, unsigned s)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    if (fp->slot >= 0) {
        /* Moving: the relocated low region's CPD entries name the old slot, and so do the
         * shared regions it belongs to there. */
        for (unsigned src = 0; src < FASS_LOW_L1 && f->nshares > 0; src++)
            share_drop_member(pm, (unsigned)fp->slot * FASS_LOW_L1 + src, "fass: a sharer moved to another PID slot");
        f->slot_users[fp->slot]--;
        for (unsigned src = 0; src < FASS_LOW_L1 && fp->domain >= 0; src++) {
            unsigned mi = (unsigned)fp->slot * FASS_LOW_L1 + src;
            if (f->meta[mi].domain == fp->domain && f->meta[mi].src == src)
                cpd_drop(pmm, mi, true, "pid-move");
        }
    }
    if (f->slot_users[s] > 0)
        pmm->st.pid_slot_shared++;
    f->slot_users[s]++;
    fp->slot = (int)s;
    if (s != 0)
        pmm->st.pid_relocations++;
    if (pmm->active == pm)
        f->pid_reg = s;
    uvmsim_arm_event(pmm, pm->pid, "pid-slot", (vaddr_t)s << ARM_FCSE_SHIFT, s, f->slot_users[s],
                     "fass: FCSE PID slot assigned");
}

/* ---- ops ---- */

static int fass_init(struct pmap_machine *pmm)
{
    int err = uvmsim_arm_machine_setup(pmm);
    if (err != UVMSIM_OK)
        return err;
    struct fass_machine *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return UVMSIM_ENOHOST;
    for (unsigned i = 0; i < ARM_L1_ENTRIES; i++)
        f->meta[i].domain = -1;
    f->dacr = dacr_of(f, NULL);
    f->rr_next = 1;
    f->dpol = &domain_policies[0];
    f->ppol = &pid_policies[0];
    pmm->be = f;
    return UVMSIM_OK;
}

static void fass_fini(struct pmap_machine *pmm)
{
    free(pmm->be);
    pmm->be = NULL;
}

static int fass_create(struct pmap *pm)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = calloc(1, sizeof(*fp));
    if (fp == NULL)
        return UVMSIM_ENOHOST;
    fp->domain = -1;
    fp->slot = -1;
    bool new_cpd = !f->cpd_live;
    if (new_cpd) {
        int err = uvmsim_arm_l1_alloc(pmm, &f->cpd);
        if (err != UVMSIM_OK) {
            free(fp);
            return err;
        }
    }
    int err = uvmsim_arm_l1_alloc(pmm, &fp->l1);
    if (err != UVMSIM_OK) {
        if (new_cpd)
            uvmsim_arm_l1_free(pmm, &f->cpd);
        free(fp);
        return err;
    }
    if (new_cpd) {
        f->cpd_live = true;
        pmm->ptp_shared += ARM_L1_PAGES;
    }
    pm->be = fp;
    pm->ptp_pages = ARM_L1_PAGES;
    f->npmaps++;
    /* A free domain is handed out now (it is clean, so it costs nothing to take back);
     * with none free the pmap gets one when it is first activated. */
    for (unsigned d = FASS_KERNEL_DOMAINS; d < ARM_NDOMAINS && fp->domain < 0; d++) {
        if (dom_free(f, d)) {
            f->dom[d].owner = pm;
            fp->domain = (int)d;
        }
    }
    return UVMSIM_OK;
}

static void fass_destroy(struct pmap *pm)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    for (unsigned d = FASS_KERNEL_DOMAINS; d < ARM_NDOMAINS && f->nshares > 0; d++)
        if (share_member(f->dom[d].share, pm))
            share_leave(pmm, f->dom[d].share, pm, "fass: a sharer exited");
    if (fp->domain >= 0) {
        /* Every mapping is gone: the removes invalidated its TLB entries and cache
         * lines page by page and the freed tables took their CPD entries along, so the
         * domain is clean again. */
        struct fass_domain *d = &f->dom[fp->domain];
        d->owner = NULL;
        d->dirty = d->wrote = false;
        f->dacr = arm_dacr_set(f->dacr, (unsigned)fp->domain, ARM_DACC_NOACCESS);
    }
    if (fp->slot >= 0)
        f->slot_users[fp->slot]--;
    uvmsim_arm_pt_free(pmm, &fp->l1, &pm->ptp_pages);
    free(fp);
    pm->be = NULL;
    if (--f->npmaps == 0) {
        uvmsim_arm_l1_free(pmm, &f->cpd);
        f->cpd_live = false;
        pmm->ptp_shared -= ARM_L1_PAGES;
    }
}

/* A PTE of pm changed or went away (a mapping of 2^lshift pages).  Its TLB entry and
 * lines can exist only if the CPD entry is still pm's (or its shared region's, pm a
 * sharer) and that domain ran since the last flush (a collision or a recycle that took the
 * entry flushed them already). */
static void fass_shootdown(struct pmap *pm, vaddr_t va, unsigned lshift, bool page_gone, bool write_lost)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    vaddr_t mva = pm_mva(pm, va);
    const struct cpd_meta *cm = &f->meta[mva >> ARM_SECTION_SHIFT];
    const struct fass_share *g = f->share[mva >> ARM_SECTION_SHIFT];
    int d = -1;
    if (fp->domain >= 0 && cm->domain == fp->domain && cm->src == (va >> ARM_SECTION_SHIFT))
        d = fp->domain;
    else if (share_member(g, pm) && cm->domain == g->domain)
        d = g->domain;
    if (d < 0 || !f->dom[d].dirty)
        return;
    uvmsim_arm_tlb_inval(pmm, mva);
    bool wrote = f->dom[d].wrote;
    if (page_gone)
        uvmsim_arm_cache_op(pmm, uvmsim_arm_extent(lshift), "unmap", mva, wrote, true);
    else if (write_lost && wrote)
        uvmsim_arm_cache_op(pmm, uvmsim_arm_extent(lshift), "write-protect", mva, true, false);
}

/* pm's first-level entry for va changed (a table freed, a section entered, changed or
 * removed): the CPD must not keep a stale copy of it.  Its TLB entries went with the
 * shootdowns already, so nothing is flushed. */
static void cpd_forget(struct pmap *pm, vaddr_t va, const char *why)
{
    struct fass_machine *f = FM(pm->pmm);
    struct fass_pmap *fp = FP(pm);
    if (fp->domain < 0)
        return;
    unsigned mi = (unsigned)(pm_mva(pm, va) >> ARM_SECTION_SHIFT);
    if (f->meta[mi].domain == fp->domain && f->meta[mi].src == (va >> ARM_SECTION_SHIFT))
        cpd_drop(pm->pmm, mi, false, why);
}

static int fass_enter(struct pmap *pm, vaddr_t va, paddr_t pa, vm_prot_t prot, unsigned flags)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_pmap *fp = FP(pm);
    struct arm_pt_result r;
    int err = uvmsim_arm_pt_enter(pmm, &fp->l1, &pm->ptp_pages, va, pa, prot, flags, &r);
    if (err != UVMSIM_OK)
        return err;
    if (r.was_valid)
        fass_shootdown(pm, va, 0, r.old.pa != pa, (r.old.prot & UVMSIM_PROT_WRITE) && !(prot & UVMSIM_PROT_WRITE));
    if (va < ARM_FCSE_SIZE && fp->slot < 0)
        slot_set(pm, FM(pmm)->ppol->pick(FM(pmm), pm));       /* a program linked low */
    else if (va >= ARM_FCSE_SIZE && fp->slot > 0 && (va >> ARM_FCSE_SHIFT) == (vaddr_t)fp->slot)
        slot_set(pm, FM(pmm)->ppol->pick(FM(pmm), pm));       /* would alias: move */
    if (FM(pmm)->sharing || FM(pmm)->nshares > 0)
        share_after_enter(pm, va, &r, pa, prot);
    return UVMSIM_OK;
}

static void fass_remove(struct pmap *pm, vaddr_t va)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_pmap *fp = FP(pm);
    struct arm_pt_result r;
    uvmsim_arm_pt_remove(pmm, &fp->l1, &pm->ptp_pages, va, &r);
    if (!r.was_valid)
        return;
    fass_shootdown(pm, va, r.old.lshift, true, false);
    if (FM(pmm)->nshares > 0)
        share_drop_member(pm, (unsigned)(pm_mva(pm, va) >> ARM_SECTION_SHIFT), "fass: a sharer unmapped a page");
    if (r.l1_changed)     /* the CPD must not point at a freed table or a gone section */
        cpd_forget(pm, va, r.table_freed ? "table-freed" : "section-removed");
}

static void fass_protect(struct pmap *pm, vaddr_t va, vm_prot_t prot)
{
    struct arm_pt_result r;
    uvmsim_arm_op_protect(pm, va, prot, fass_shootdown, &r);
    if (FM(pm->pmm)->nshares > 0)
        share_drop_member(pm, (unsigned)(pm_mva(pm, va) >> ARM_SECTION_SHIFT), "fass: a sharer's page was protected");
    if (r.l1_changed)
        cpd_forget(pm, va, "section-protect");
}

/* Large mappings (docs/superpages.md): sections live in the first-level table, so the
 * CPD's copy of a replaced or split entry goes (it reloads on the next access).  A
 * sharer whose entries change (one-page copies become a large page's, or back) leaves
 * its shared region; a section is never shared (shared regions are coarse tables), but
 * 64 KiB pages are, when the sharers' tables agree, as one-page entries are. */
static int fass_enter_large(struct pmap *pm, vaddr_t va, paddr_t pa, unsigned lshift, vm_prot_t prot, unsigned flags)
{
    struct fass_machine *f = FM(pm->pmm);
    struct arm_pt_result r;
    int err = uvmsim_arm_op_enter_large(pm, va, pa, lshift, prot, flags, fass_shootdown, &r);
    if (err != UVMSIM_OK)
        return err;
    if (f->nshares > 0)
        share_drop_member(pm, (unsigned)(pm_mva(pm, va) >> ARM_SECTION_SHIFT), "fass: a sharer's pages became a large page");
    if (r.l1_changed)
        cpd_forget(pm, va, "section-entered");
    if (f->sharing && lshift == ARM_LARGE_LSHIFT) {
        struct arm_pt_result none;
        memset(&none, 0, sizeof(none));
        share_after_enter(pm, va, &none, pa, prot);
    }
    return UVMSIM_OK;
}

static int fass_demote(struct pmap *pm, vaddr_t va)
{
    struct arm_pt_result r;
    int err = uvmsim_arm_op_demote(pm, va, fass_shootdown, &r);
    if (err != UVMSIM_OK)
        return err;
    if (FM(pm->pmm)->nshares > 0)
        share_drop_member(pm, (unsigned)(pm_mva(pm, va) >> ARM_SECTION_SHIFT), "fass: a sharer's large page was split");
    if (r.l1_changed)
        cpd_forget(pm, va, "section-demoted");
    return UVMSIM_OK;
}

static void fass_activate(struct pmap *pm)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    if (fp->domain < 0)
        domain_get(pm);
    struct fass_domain *d = &f->dom[fp->domain];
    f->dacr = dacr_of(f, pm);
    f->pid_reg = pm_slot(pm);
    pmm->st.dacr_writes++;
    pmm->st.pid_writes++;
    d->dirty = true;
    d->last_active = ++f->clock;
    /* The shared regions pm belongs to are enabled too: they run now. */
    for (unsigned sd = FASS_KERNEL_DOMAINS; sd < ARM_NDOMAINS && f->nshares > 0; sd++) {
        if (share_member(f->dom[sd].share, pm)) {
            f->dom[sd].dirty = true;
            f->dom[sd].last_active = f->clock;
        }
    }
    uvmsim_arm_event(pmm, pm->pid, "switch", (vaddr_t)f->pid_reg << ARM_FCSE_SHIFT, (uint64_t)fp->domain,
                     f->pid_reg, "fass: DACR and FCSE PID rewritten");
}

static int fass_translate(struct pmap *pm, vaddr_t va, uvmsim_access kind, paddr_t *pa)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    /* The process's own slot range above 32 MiB is never mapped (enter moves the
     * process first); an access there must not hit the relocated low region. */
    if (fp->slot > 0 && va >= ARM_FCSE_SIZE && (va >> ARM_FCSE_SHIFT) == (vaddr_t)fp->slot)
        return UVMSIM_EFAULT;
    vaddr_t mva = pm_mva(pm, va);
    unsigned mi = (unsigned)(mva >> ARM_SECTION_SHIFT);
    struct tlb *t = uvmsim_pmap_tlb_for(pmm, kind);
    vaddr_t vpn = mva >> ARM_PAGE_SHIFT;
    paddr_t off = va & (ARM_PAGE_SIZE - 1);
    /* A CPD load makes the entry pm's (or its shared region's), so the next round hits or
     * walks it; a sharer's own page missing from the shared table takes one more load. */
    for (int round = 0; round < 3; round++) {
        struct pmap_pte pte;
        struct tlb_entry *e = uvmsim_tlb_lookup(t, 0, vpn);
        if (e != NULL) {
            if (arm_dacr_get(f->dacr, e->domain) == ARM_DACC_NOACCESS) {
                pmm->st.domain_faults++;
                if (!cpd_load(pm, va, mva, false))
                    return UVMSIM_EFAULT;
                continue;
            }
            if (f->dom[e->domain].share != NULL)
                pmm->st.shared_domain_hits++;
            pte.valid = true;
            pte.pa = e->pfn_pa + ((va & e->off_mask) & ~(vaddr_t)(ARM_PAGE_SIZE - 1));
            pte.prot = e->prot;
            pte.domain = e->domain;
        } else {
            if (uvmsim_tracing(pmm->m))
                uvmsim_pmap_ev_miss(pm, va, kind);
            uvmsim_tlb_count_walk(t);
            uint32_t desc = uvmsim_arm_l1_get(pmm, &f->cpd, mi);
            if ((desc & L1_TYPE_MASK) == L1_TYPE_FAULT) {
                if (!cpd_load(pm, va, mva, false)) {
                    memset(&pte, 0, sizeof(pte));
                    if (uvmsim_tracing(pmm->m))
                        uvmsim_pmap_ev_walk(pm, va, kind, &pte);
                    return UVMSIM_EFAULT;
                }
                continue;
            }
            unsigned dd = (desc & L1_DOMAIN_MASK) >> L1_DOMAIN_SHIFT;
            if (arm_dacr_get(f->dacr, dd) == ARM_DACC_NOACCESS) {
                pmm->st.domain_faults++;
                if (!cpd_load(pm, va, mva, false))
                    return UVMSIM_EFAULT;
                continue;
            }
            /* an accessible entry is pm's own or its shared region's (a coarse table); a
             * section, never shared, takes its rights from pm's shadow */
            uvmsim_arm_desc_lookup(pmm, desc, &fp->l1, f->meta[mi].src, mva - off, &pte);
            if (!pte.valid && f->dom[dd].share != NULL &&
                pte_valid(own_table(pmm, pm, (unsigned)(va >> ARM_SECTION_SHIFT)),
                          (unsigned)((va >> ARM_PAGE_SHIFT) & (ARM_L2_ENTRIES - 1)))) {
                /* pm's own page, not (yet) in every sharer's table: its private entry */
                pmm->st.share_fallbacks++;
                cpd_load(pm, va, mva, true);
                continue;
            }
            if (uvmsim_tracing(pmm->m))
                uvmsim_pmap_ev_walk(pm, va, kind, &pte);
            if (!pte.valid)
                return UVMSIM_EFAULT;
            vaddr_t first = vpn & ~(((vaddr_t)1 << pte.lshift) - 1);
            uvmsim_tlb_insert_sized(t, 0, first, pte.lshift, pte.pa - ((vpn - first) << ARM_PAGE_SHIFT), pte.prot,
                                    dd);
            if (f->dom[dd].share != NULL)
                pmm->st.shared_domain_fills++;
        }
        if (arm_dacr_get(f->dacr, pte.domain) != ARM_DACC_MANAGER && !uvmsim_pmap_access_ok(pte.prot, kind))
            return UVMSIM_EACCES;
        if (kind == UVMSIM_ACCESS_STORE)
            f->dom[fp->domain].wrote = f->dom[pte.domain].wrote = true;
        *pa = pte.pa | off;
        return UVMSIM_OK;
    }
    return UVMSIM_ESTATE;     /* a CPD load that did not take: caught by the checker */
}

/* A hit: addresses below 32 MiB are relocated by the FCSE PID, the process's own slot
 * above 32 MiB always takes the slow path (it faults there), the DACR decides (a
 * no-access domain is a domain fault: slow path), and a store marks the domain written. */
static bool fass_fast_setup(struct pmap *pm, struct pmap_fast *f)
{
    struct fass_machine *fm = FM(pm->pmm);
    struct fass_pmap *fp = FP(pm);
    if (fp->domain < 0)
        return false;
    /* A sharer's hits are counted by kind (shared_domain_hits): the slow path does that. */
    for (unsigned d = FASS_KERNEL_DOMAINS; d < ARM_NDOMAINS && fm->nshares > 0; d++)
        if (share_member(fm->dom[d].share, pm))
            return false;
    f->shift = ARM_PAGE_SHIFT;
    f->dacr = &fm->dacr;
    f->touch_store = &fm->dom[fp->domain].wrote;
    if (fp->slot > 0) {
        f->hole_lo = (vaddr_t)fp->slot << ARM_FCSE_SHIFT;
        f->hole_len = ARM_FCSE_SIZE;
    }
    f->reloc_end = ARM_FCSE_SIZE;
    f->reloc_add = (vaddr_t)pm_slot(pm) << ARM_FCSE_SHIFT;
    return true;
}

/* ---- least-contention placement (seed 004, 1a) ---- */

/* pm may not use its own slot's range above 32 MiB (it would alias its relocated low
 * region), nor the first 32 MiB (relocated, not a place for run-time bindings). */
static bool place_ok(const struct pmap *pm, vaddr_t s, vaddr_t e)
{
    if (s < ARM_FCSE_SIZE || e > ARM_VA_END)
        return false;
    int slot = FP(pm)->slot;
    vaddr_t hs = (vaddr_t)(slot > 0 ? slot : 0) << ARM_FCSE_SHIFT;
    return slot <= 0 || e <= hs || s >= hs + ARM_FCSE_SIZE;
}

/* 1. A 1 MiB region pm already uses (a first-level entry of its own) with room: the
 *    lowest free page-aligned start in it.
 * 2. Else the 1 MiB-aligned free range whose regions the fewest other address spaces use
 *    (their first-level entries, at the MVAs they occupy), then the fewest CPD collisions
 *    seen there, then the lowest. */
static bool fass_place(struct pmap *pm, vaddr_t lo, vaddr_t hi, uint64_t size,
                       bool (*is_free)(void *arg, vaddr_t s, vaddr_t e), void *arg, vaddr_t *va)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    if (!f->placing)
        return false;
    if (hi > ARM_VA_END)
        hi = ARM_VA_END;
    if (size <= ARM_SECTION_SIZE) {
        const struct arm_l1 *l1 = &FP(pm)->l1;
        for (unsigned idx = uvmsim_arm_l1_next(l1, (unsigned)(lo >> ARM_SECTION_SHIFT)); idx < ARM_L1_ENTRIES;
             idx = uvmsim_arm_l1_next(l1, idx + 1)) {
            vaddr_t base = (vaddr_t)idx << ARM_SECTION_SHIFT;
            for (vaddr_t s = base < lo ? lo : base; s + size <= base + ARM_SECTION_SIZE && s + size <= hi;
                 s += ARM_PAGE_SIZE) {
                if (place_ok(pm, s, s + size) && is_free(arg, s, s + size)) {
                    *va = s;
                    return true;
                }
            }
        }
    }
    uint16_t *users = calloc(ARM_L1_ENTRIES, sizeof(*users));
    if (users == NULL)
        return false;
    for (const struct pmap *q = pmm->pmaps; q != NULL; q = q->pm_next) {
        if (q == pm || FP(q) == NULL)
            continue;
        for (unsigned idx = uvmsim_arm_l1_next(&FP(q)->l1, 0); idx < ARM_L1_ENTRIES;
             idx = uvmsim_arm_l1_next(&FP(q)->l1, idx + 1))
            users[pm_mva(q, (vaddr_t)idx << ARM_SECTION_SHIFT) >> ARM_SECTION_SHIFT]++;
    }
    uint64_t nreg = (size + ARM_SECTION_SIZE - 1) >> ARM_SECTION_SHIFT;
    uint64_t best_u = UINT64_MAX, best_c = UINT64_MAX;
    vaddr_t best = 0;
    for (vaddr_t b = (lo + ARM_SECTION_SIZE - 1) & ~(vaddr_t)(ARM_SECTION_SIZE - 1); b + size <= hi && b + size > b;
         b += ARM_SECTION_SIZE) {
        if (!place_ok(pm, b, b + size) || !is_free(arg, b, b + size))
            continue;
        uint64_t u = 0, c = 0;
        for (uint64_t k = 0; k < nreg; k++) {
            u += users[(b >> ARM_SECTION_SHIFT) + k];
            c += f->collisions[(b >> ARM_SECTION_SHIFT) + k];
        }
        if (u < best_u || (u == best_u && c < best_c)) {
            best_u = u;
            best_c = c;
            best = b;
            if (u == 0 && c == 0)
                break;
        }
    }
    free(users);
    if (best_u == UINT64_MAX)
        return false;
    *va = best;
    return true;
}

/* ---- checker ---- */

static int cfail(char *msg, size_t len, const char *fmt, long long a, long long b, long long c)
{
    snprintf(msg, len, fmt, a, b, c);
    return UVMSIM_ESTATE;
}

static void fass_tlb_entry_check(const struct tlb_entry *e, void *arg)
{
    struct pmap_tlbcheck *c = arg;
    const struct fass_machine *f = FM(c->pmm);
    if (c->err != UVMSIM_OK)
        return;
    vaddr_t mva = e->vpn << ARM_PAGE_SHIFT;
    const struct cpd_meta *cm = mva < ARM_VA_END ? &f->meta[mva >> ARM_SECTION_SHIFT] : NULL;
    const struct fass_domain *d = e->domain < ARM_NDOMAINS ? &f->dom[e->domain] : NULL;
    struct pmap_pte pte;
    if (e->asid != 0 || d == NULL || (d->owner == NULL && d->share == NULL) || !d->dirty || cm == NULL ||
        cm->domain != (int)e->domain) {
        snprintf(c->msg, c->len, "fass: %s entry mva %#llx domain %u: domain free, clean or not tagging "
                 "that CPD entry", c->tlbname, (unsigned long long)mva, e->domain);
        c->err = UVMSIM_ESTATE;
        return;
    }
    vaddr_t va = ((vaddr_t)cm->src << ARM_SECTION_SHIFT) | (mva & (ARM_SECTION_SIZE - 1));
    if (d->share != NULL) {
        /* through the shared table, which every sharer's own table agrees with */
        const struct fass_share *g = d->share;
        if ((mva >> ARM_SECTION_SHIFT) != g->mi ||
            !uvmsim_arm_l2_lookup(c->pmm, (uint32_t)g->table | L1_TYPE_COARSE, mva, &pte) || pte.pa != e->pfn_pa ||
            pte.lshift != e->lshift || (e->prot & ~pte.prot)) {
            snprintf(c->msg, c->len, "fass: %s entry mva %#llx (%llu pages) -> %#llx prot %u is not in shared region "
                     "%u's table", c->tlbname, (unsigned long long)mva, 1ull << e->lshift,
                     (unsigned long long)e->pfn_pa, e->prot, g->mi);
            c->err = UVMSIM_ESTATE;
        }
        return;
    }
    if (!uvmsim_arm_op_walk(d->owner, va, &pte) || pte.pa != e->pfn_pa || pte.lshift != e->lshift ||
        (e->prot & ~pte.prot)) {
        snprintf(c->msg, c->len, "fass: %s entry mva %#llx (%llu pages) -> %#llx prot %u exceeds the tables of "
                 "pid %d", c->tlbname, (unsigned long long)mva, 1ull << e->lshift, (unsigned long long)e->pfn_pa,
                 e->prot, d->owner->pid);
        c->err = UVMSIM_ESTATE;
    }
}

static int check_cpd(struct pmap_machine *pmm, char *msg, size_t len)
{
    const struct fass_machine *f = FM(pmm);
    unsigned count[ARM_NDOMAINS] = {0};
    if (pmm->ptp_shared != (f->cpd_live ? ARM_L1_PAGES : 0) + f->nshares || f->cpd_live != (f->npmaps > 0))
        return cfail(msg, len, "fass: CPD live %lld with %lld pmaps, ptp_shared %lld", f->cpd_live, f->npmaps,
                     (long long)pmm->ptp_shared);
    if (!f->cpd_live)
        return UVMSIM_OK;
    for (unsigned i = 0; i < ARM_L1_PAGES; i++) {
        const struct vm_page *pg = uvmsim_phys_to_vm_page(pmm->m, f->cpd.frame[i]);
        if (pg == NULL || pg->owner != PGO_PTP)
            return cfail(msg, len, "fass: CPD frame %lld (%#llx) is not a PTP page%.0lld", i,
                         (long long)f->cpd.frame[i], 0);
    }
    const uint8_t *fptr = NULL;
    for (unsigned mi = 0; mi < ARM_L1_ENTRIES; mi++) {
        uint32_t desc = uvmsim_arm_l1_raw(pmm, &f->cpd, mi, &fptr);
        const struct cpd_meta *cm = &f->meta[mi];
        if (cm->domain < 0) {
            if (desc != 0)
                return cfail(msg, len, "fass: CPD entry %lld is %#llx but untagged%.0lld", mi, desc, 0);
            continue;
        }
        const struct fass_share *g = f->dom[cm->domain].share;
        if (g != NULL) {
            if (g->mi != mi || cm->src != g->src ||
                desc != ((uint32_t)g->table | (uint32_t)cm->domain << L1_DOMAIN_SHIFT | L1_TYPE_COARSE))
                return cfail(msg, len, "fass: CPD entry %lld (%#llx) is not shared region %lld's entry", mi, desc,
                             (long long)g->mi);
            count[cm->domain]++;
            continue;
        }
        const struct pmap *q = f->dom[cm->domain].owner;
        if (q == NULL || FP(q)->domain != cm->domain)
            return cfail(msg, len, "fass: CPD entry %lld tagged with domain %lld that no pmap owns%.0lld", mi,
                         cm->domain, 0);
        uint32_t pgd = uvmsim_arm_l1_get(pmm, &FP(q)->l1, cm->src);
        if (((pgd & L1_TYPE_MASK) != L1_TYPE_COARSE && !uvmsim_arm_is_section(pgd)) ||
            desc != ((pgd & ~L1_DOMAIN_MASK) | (uint32_t)cm->domain << L1_DOMAIN_SHIFT) ||
            (pm_mva(q, (vaddr_t)cm->src << ARM_SECTION_SHIFT) >> ARM_SECTION_SHIFT) != mi)
            return cfail(msg, len, "fass: CPD entry %lld (%#llx) is not pid %lld's first-level entry", mi, desc,
                         q->pid);
        count[cm->domain]++;
    }
    for (unsigned d = 0; d < ARM_NDOMAINS; d++) {
        const struct fass_domain *fd = &f->dom[d];
        if (count[d] != fd->cpd_entries)
            return cfail(msg, len, "fass: domain %lld tags %lld CPD entries, count says %lld", d, count[d],
                         fd->cpd_entries);
        if ((fd->owner == NULL && fd->share == NULL) ? (fd->dirty || fd->wrote)
            : (d < FASS_KERNEL_DOMAINS || (fd->owner != NULL && fd->share != NULL) ||
               (fd->owner != NULL && FP(fd->owner)->domain != (int)d) ||
               (fd->share != NULL && fd->share->domain != (int)d)))
            return cfail(msg, len, "fass: domain %lld state is inconsistent (owner %lld, dirty %lld)", d,
                         fd->owner ? fd->owner->pid : -1, fd->dirty);
    }
    return UVMSIM_OK;
}

static bool pmap_is_live(const struct pmap_machine *pmm, const struct pmap *pm)
{
    for (const struct pmap *q = pmm->pmaps; q != NULL; q = q->pm_next)
        if (q == pm)
            return true;
    return false;
}

/* Every shared region: its domain, live distinct sharers mapping its MVA from src, and a
 * table in RAM holding exactly the entries every sharer maps identically. */
static int check_shares(struct pmap_machine *pmm, char *msg, size_t len)
{
    const struct fass_machine *f = FM(pmm);
    unsigned n = 0;
    for (unsigned mi = 0; mi < ARM_L1_ENTRIES; mi++) {
        const struct fass_share *g = f->share[mi];
        if (g == NULL)
            continue;
        n++;
        if (g->mi != mi || g->n < 2 || g->domain < (int)FASS_KERNEL_DOMAINS || g->domain >= (int)ARM_NDOMAINS ||
            f->dom[g->domain].share != g)
            return cfail(msg, len, "fass: shared region %lld: index, sharers (%lld) or domain %lld wrong", mi, g->n,
                         g->domain);
        for (unsigned k = 0; k < g->n; k++) {
            const struct pmap *q = g->mem[k];
            bool dup = false;
            for (unsigned j = 0; j < k; j++)
                dup = dup || g->mem[j] == q;
            if (dup || !pmap_is_live(pmm, q) || own_table(pmm, q, g->src) == NULL ||
                (pm_mva(q, (vaddr_t)g->src << ARM_SECTION_SHIFT) >> ARM_SECTION_SHIFT) != mi)
                return cfail(msg, len, "fass: shared region %lld: sharer %lld is dead, twice there, or does not map "
                             "it%.0lld", mi, k, 0);
        }
        const struct vm_page *pg = uvmsim_phys_to_vm_page(pmm->m, g->table);
        if (pg == NULL || pg->owner != PGO_PTP)
            return cfail(msg, len, "fass: shared region %lld: table %#llx is not a PTP page%.0lld", mi,
                         (long long)g->table, 0);
        bool keep[ARM_L2_ENTRIES];
        const uint8_t *t0;
        share_intersection(pmm, g, keep, &t0);
        const uint8_t *t = uvmsim_phys_ptr(pmm->m, g->table, 2 * ARM_L2_SHADOW_OFF);
        unsigned valid = 0;
        for (unsigned i = 0; i < ARM_L2_ENTRIES; i++) {
            size_t h = (size_t)i * 4, sh = ARM_L2_SHADOW_OFF + h;
            bool ok = keep[i] ? uvmsim_arm_rd32(t + h) == uvmsim_arm_rd32(t0 + h) && uvmsim_arm_rd32(t + sh) == (uvmsim_arm_rd32(t0 + sh) & ~(uint32_t)SH_WIRED)
                              : uvmsim_arm_rd32(t + h) == 0 && uvmsim_arm_rd32(t + sh) == 0;
            if (!ok)
                return cfail(msg, len, "fass: shared region %lld: entry %lld is not the sharers' common entry "
                             "(common: %lld)", mi, i, keep[i]);
            valid += keep[i];
        }
        if (valid != g->nvalid)
            return cfail(msg, len, "fass: shared region %lld has %lld common entries, count says %lld", mi, valid,
                         g->nvalid);
    }
    if (n != f->nshares || n != pmm->st.shared_regions)
        return cfail(msg, len, "fass: %lld shared regions, count %lld, stats %lld", n, f->nshares,
                     (long long)pmm->st.shared_regions);
    return UVMSIM_OK;
}

static int fass_check(struct pmap_machine *pmm, char *msg, size_t msglen)
{
    char dummy[1];
    const struct fass_machine *f = FM(pmm);
    if (msg == NULL || msglen == 0) {
        msg = dummy;
        msglen = sizeof(dummy);
    }
    unsigned users[ARM_FCSE_SLOTS] = {0};
    unsigned n = 0;
    for (struct pmap *pm = pmm->pmaps; pm != NULL; pm = pm->pm_next) {
        const struct fass_pmap *fp = FP(pm);
        uint64_t ntables;
        int err = uvmsim_arm_pt_check(pmm, &fp->l1, pm->pid, &ntables, msg, msglen);
        if (err != UVMSIM_OK)
            return err;
        if (ntables != pm->ptp_pages)
            return cfail(msg, msglen, "fass: pid %lld has %lld table pages, ptp_pages says %lld", pm->pid,
                         (long long)ntables, (long long)pm->ptp_pages);
        if (fp->domain >= 0 && f->dom[fp->domain].owner != pm)
            return cfail(msg, msglen, "fass: pid %lld holds domain %lld owned by another%.0lld", pm->pid,
                         fp->domain, 0);
        if (fp->slot >= 0) {
            users[fp->slot]++;
            if (slot_conflicts(pmm, pm, (unsigned)fp->slot))
                return cfail(msg, msglen, "fass: pid %lld maps inside its own FCSE slot %lld range%.0lld",
                             pm->pid, fp->slot, 0);
        }
        n++;
    }
    if (n != f->npmaps || memcmp(users, f->slot_users, sizeof(users)) != 0)
        return cfail(msg, msglen, "fass: %lld pmaps (count %lld) or FCSE slot users disagree%.0lld", n,
                     f->npmaps, 0);
    if (pmm->active != NULL && (FP(pmm->active)->domain < 0 || f->dacr != dacr_of(f, pmm->active) ||
                                f->pid_reg != pm_slot(pmm->active)))
        return cfail(msg, msglen, "fass: DACR %#llx / PID %lld do not match the active pid %lld", f->dacr,
                     f->pid_reg, pmm->active->pid);
    int err = check_cpd(pmm, msg, msglen);
    if (err == UVMSIM_OK)
        err = check_shares(pmm, msg, msglen);
    if (err != UVMSIM_OK)
        return err;
    return uvmsim_pmap_check_tlbs(pmm, fass_tlb_entry_check, msg, msglen);
}

static void fass_stats(const struct pmap_machine *pmm, uvmsim_pmap_stats *out)
{
    out->domain_policy = FM(pmm)->dpol->name;
    out->pid_policy = FM(pmm)->ppol->name;
}

const struct pmap_ops uvmsim_pmap_fass_ops = {
    .name = "fass",
    .config_check = uvmsim_arm_config_check,
    .init = fass_init,
    .fini = fass_fini,
    .create = fass_create,
    .destroy = fass_destroy,
    .enter = fass_enter,
    .remove = fass_remove,
    .protect = fass_protect,
    .walk = uvmsim_arm_op_walk,
    .next_valid = uvmsim_arm_op_next_valid,
    .activate = fass_activate,
    .translate = fass_translate,
    .fast_setup = fass_fast_setup,
    .enter_large = fass_enter_large,
    .demote = fass_demote,
    .place = fass_place,
    .check = fass_check,
    .stats = fass_stats,
};

/* ---- policy selection and introspection ---- */

int uvmsim_pmap_fass_set_policy(uvmsim_machine *m, const char *domain_policy, const char *pid_policy)
{
    if (m == NULL || m->pmm == NULL || m->pmm->ops != &uvmsim_pmap_fass_ops)
        return UVMSIM_EINVAL;
    const struct fass_domain_policy *dp = NULL;
    const struct fass_pid_policy *pp = NULL;
    if (domain_policy != NULL) {
        for (size_t i = 0; i < sizeof(domain_policies) / sizeof(domain_policies[0]); i++)
            if (strcmp(domain_policies[i].name, domain_policy) == 0)
                dp = &domain_policies[i];
        if (dp == NULL)
            return UVMSIM_EINVAL;
    }
    if (pid_policy != NULL) {
        for (size_t i = 0; i < sizeof(pid_policies) / sizeof(pid_policies[0]); i++)
            if (strcmp(pid_policies[i].name, pid_policy) == 0)
                pp = &pid_policies[i];
        if (pp == NULL)
            return UVMSIM_EINVAL;
    }
    if (dp != NULL)
        FM(m->pmm)->dpol = dp;
    if (pp != NULL)
        FM(m->pmm)->ppol = pp;
    return UVMSIM_OK;
}

static struct pmap_machine *fass_pmm(const uvmsim_machine *m)
{
    return (m != NULL && m->pmm != NULL && m->pmm->ops == &uvmsim_pmap_fass_ops) ? m->pmm : NULL;
}

int uvmsim_pmap_fass_set_sharing(uvmsim_machine *m, bool on)
{
    struct pmap_machine *pmm = fass_pmm(m);
    if (pmm == NULL)
        return UVMSIM_EINVAL;
    struct fass_machine *f = FM(pmm);
    f->sharing = on;
    if (!on) {
        for (unsigned mi = 0; mi < ARM_L1_ENTRIES && f->nshares > 0; mi++)
            if (f->share[mi] != NULL)
                share_teardown(pmm, f->share[mi], true);
    }
    uvmsim_pmap_fast_clear(pmm);
    return UVMSIM_OK;
}

bool uvmsim_pmap_fass_sharing(const uvmsim_machine *m)
{
    const struct pmap_machine *pmm = fass_pmm(m);
    return pmm != NULL && FM(pmm)->sharing;
}

int uvmsim_pmap_fass_set_placement(uvmsim_machine *m, bool on)
{
    struct pmap_machine *pmm = fass_pmm(m);
    if (pmm == NULL)
        return UVMSIM_EINVAL;
    FM(pmm)->placing = on;
    return UVMSIM_OK;
}

bool uvmsim_pmap_fass_placement(const uvmsim_machine *m)
{
    const struct pmap_machine *pmm = fass_pmm(m);
    return pmm != NULL && FM(pmm)->placing;
}

int uvmsim_pmap_fass_share_info(const struct uvmsim_machine *m, unsigned idx, unsigned *sharers, unsigned *common)
{
    const struct pmap_machine *pmm = fass_pmm(m);
    if (pmm == NULL || idx >= ARM_L1_ENTRIES || FM(pmm)->share[idx] == NULL)
        return -1;
    const struct fass_share *g = FM(pmm)->share[idx];
    if (sharers != NULL)
        *sharers = g->n;
    if (common != NULL)
        *common = g->nvalid;
    return g->domain;
}

const char *const *uvmsim_pmap_fass_policies(const char *kind)
{
    if (kind != NULL && strcmp(kind, "domain") == 0)
        return domain_policy_names;
    if (kind != NULL && strcmp(kind, "pid") == 0)
        return pid_policy_names;
    return NULL;
}

static bool is_fass(const struct pmap *pm)
{
    return pm != NULL && pm->pmm->ops == &uvmsim_pmap_fass_ops;
}

int uvmsim_pmap_fass_domain(const struct pmap *pm)
{
    return is_fass(pm) ? FP(pm)->domain : -1;
}

int uvmsim_pmap_fass_slot(const struct pmap *pm)
{
    return is_fass(pm) ? FP(pm)->slot : -1;
}

int uvmsim_pmap_fass_cpd_domain(const struct uvmsim_machine *m, unsigned idx)
{
    if (m == NULL || m->pmm == NULL || m->pmm->ops != &uvmsim_pmap_fass_ops || idx >= ARM_L1_ENTRIES)
        return -1;
    return FM(m->pmm)->meta[idx].domain;
}

uint32_t uvmsim_pmap_fass_dacr(const struct pmap_machine *pmm)
{
    return FM(pmm)->dacr;
}

const struct arm_l1 *uvmsim_pmap_fass_l1(const struct pmap *pm)
{
    return &FP(pm)->l1;
}

bool uvmsim_pmap_fass_cpd_pa(const struct uvmsim_machine *m, unsigned idx, paddr_t *pa)
{
    if (m == NULL || m->pmm == NULL || m->pmm->ops != &uvmsim_pmap_fass_ops || idx >= ARM_L1_ENTRIES ||
        !FM(m->pmm)->cpd_live)
        return false;
    if (pa != NULL)
        *pa = FM(m->pmm)->cpd.frame[idx / ARM_L1_PER_PAGE] + (paddr_t)(idx % ARM_L1_PER_PAGE) * 4;
    return true;
}
