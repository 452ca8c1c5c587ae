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
 * through the CPD at once, and a CPD load never copies second-level tables. */
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

/* Invariants: owner == NULL => !dirty && !wrote && cpd_entries == 0;
 * !dirty => no TLB entry carries this domain; cpd_entries == #CPD entries tagged. */
struct fass_domain {
    struct pmap *owner;
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

struct fass_machine {
    uint32_t dacr;                        /* kernel domain + the active pmap's domain */
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

static uint32_t dacr_for(int domain)
{
    uint32_t dacr = 0;
    for (unsigned d = 0; d < FASS_KERNEL_DOMAINS; d++)
        dacr = arm_dacr_set(dacr, d, ARM_DACC_CLIENT);
    if (domain >= 0)
        dacr = arm_dacr_set(dacr, (unsigned)domain, ARM_DACC_CLIENT);
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

static const struct fass_pid_policy pid_policies[] = {
    {"round-robin", pid_round_robin},     /* the seed's current allocator */
    {"least-used", pid_least_used},
};
static const char *const pid_policy_names[] = {"round-robin", "least-used", NULL};

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

/* Load the CPD entry for (pm, va) from pm's own table: the answer to a CPD miss or a
 * domain fault.  False when pm's table has nothing there (a real fault for the VM). */
static bool cpd_load(struct pmap *pm, vaddr_t va, vaddr_t mva)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    unsigned src = (unsigned)(va >> ARM_SECTION_SHIFT), mi = (unsigned)(mva >> ARM_SECTION_SHIFT);
    uint32_t pgd = uvmsim_arm_l1_get(pmm, &fp->l1, src);
    if ((pgd & L1_TYPE_MASK) != L1_TYPE_COARSE)
        return false;
    if (f->meta[mi].domain >= 0) {
        uvmsim_arm_event(pmm, pm->pid, "cpd-collision", (vaddr_t)mi << ARM_SECTION_SHIFT,
                         (uint64_t)f->meta[mi].domain, (uint64_t)fp->domain,
                         "fass: CPD entry taken over from another domain");
        pmm->st.cpd_collisions++;
        cpd_drop(pmm, mi, true, "cpd-collision");
    }
    uvmsim_arm_l1_set(pmm, &f->cpd, mi, (pgd & ~L1_DOMAIN_MASK) | (uint32_t)fp->domain << L1_DOMAIN_SHIFT);
    f->meta[mi].domain = (int8_t)fp->domain;
    f->meta[mi].src = (uint16_t)src;
    f->dom[fp->domain].cpd_entries++;
    pmm->st.cpd_loads++;
    uvmsim_arm_event(pmm, pm->pid, "cpd-load", (vaddr_t)mi << ARM_SECTION_SHIFT, (uint64_t)fp->domain, src,
                     "fass: first-level entry loaded into the CPD");
    return true;
}

/* ---- domains ---- */

/* Take domain v from its owner.  Its CPD entries go; if it ran since the last flush its
 * TLB entries and lines may be anywhere, and neither a VIVT cache nor the SA-1100 TLB
 * can be flushed by domain: full flush, after which every domain is clean. */
static void domain_recycle(struct pmap_machine *pmm, unsigned v)
{
    struct fass_machine *f = FM(pmm);
    struct fass_domain *dv = &f->dom[v];
    uint64_t cost = 0;
    for (unsigned mi = 0; mi < ARM_L1_ENTRIES && dv->cpd_entries > 0; mi++) {
        if (f->meta[mi].domain == (int)v) {
            cpd_drop(pmm, mi, false, "domain-recycle");
            cost++;
        }
    }
    FP(dv->owner)->domain = -1;
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
    uvmsim_arm_event(pmm, dv->owner->pid, dirty ? "domain-recycle-dirty" : "domain-recycle-clean", 0, v, cost,
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
        if (f->dom[d].owner == NULL)
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
        /* Moving: the relocated low region's CPD entries name the old slot. */
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
    f->dacr = dacr_for(-1);
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
        if (f->dom[d].owner == NULL) {
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

/* A PTE of pm changed or went away.  Its TLB entry and lines can exist only if pm's
 * domain ran since the last flush and the CPD entry is still pm's (a collision or a
 * recycle that took it flushed them already). */
static void fass_shootdown(struct pmap *pm, vaddr_t va, bool page_gone, bool write_lost)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    if (fp->domain < 0 || !f->dom[fp->domain].dirty)
        return;
    vaddr_t mva = pm_mva(pm, va);
    const struct cpd_meta *cm = &f->meta[mva >> ARM_SECTION_SHIFT];
    if (cm->domain != fp->domain || cm->src != (va >> ARM_SECTION_SHIFT))
        return;
    uvmsim_arm_tlb_inval(pmm, mva);
    bool wrote = f->dom[fp->domain].wrote;
    if (page_gone)
        uvmsim_arm_cache_op(pmm, "page", "unmap", mva, wrote, true);
    else if (write_lost && wrote)
        uvmsim_arm_cache_op(pmm, "page", "write-protect", mva, true, false);
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
        fass_shootdown(pm, va, r.old.pa != pa, (r.old.prot & UVMSIM_PROT_WRITE) && !(prot & UVMSIM_PROT_WRITE));
    if (va < ARM_FCSE_SIZE && fp->slot < 0)
        slot_set(pm, FM(pmm)->ppol->pick(FM(pmm), pm));       /* a program linked low */
    else if (va >= ARM_FCSE_SIZE && fp->slot > 0 && (va >> ARM_FCSE_SHIFT) == (vaddr_t)fp->slot)
        slot_set(pm, FM(pmm)->ppol->pick(FM(pmm), pm));       /* would alias: move */
    return UVMSIM_OK;
}

static void fass_remove(struct pmap *pm, vaddr_t va)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    struct arm_pt_result r;
    uvmsim_arm_pt_remove(pmm, &fp->l1, &pm->ptp_pages, va, &r);
    if (!r.was_valid)
        return;
    fass_shootdown(pm, va, true, false);
    if (r.table_freed && fp->domain >= 0) {
        /* The CPD must not point at a freed table. */
        unsigned mi = (unsigned)(pm_mva(pm, va) >> ARM_SECTION_SHIFT);
        if (f->meta[mi].domain == fp->domain && f->meta[mi].src == (va >> ARM_SECTION_SHIFT))
            cpd_drop(pmm, mi, false, "table-freed");
    }
}

static void fass_protect(struct pmap *pm, vaddr_t va, vm_prot_t prot)
{
    uvmsim_arm_op_protect(pm, va, prot, fass_shootdown);
}

static void fass_activate(struct pmap *pm)
{
    struct pmap_machine *pmm = pm->pmm;
    struct fass_machine *f = FM(pmm);
    struct fass_pmap *fp = FP(pm);
    if (fp->domain < 0)
        domain_get(pm);
    struct fass_domain *d = &f->dom[fp->domain];
    f->dacr = dacr_for(fp->domain);
    f->pid_reg = pm_slot(pm);
    d->dirty = true;
    d->last_active = ++f->clock;
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
    /* A CPD load makes the entry pm's, so the second round hits or walks it. */
    for (int round = 0; round < 2; round++) {
        struct pmap_pte pte;
        struct tlb_entry *e = uvmsim_tlb_lookup(t, 0, vpn);
        if (e != NULL) {
            if (arm_dacr_get(f->dacr, e->domain) == ARM_DACC_NOACCESS) {
                pmm->st.domain_faults++;
                if (!cpd_load(pm, va, mva))
                    return UVMSIM_EFAULT;
                continue;
            }
            pte.valid = true;
            pte.pa = e->pfn_pa;
            pte.prot = e->prot;
            pte.domain = e->domain;
        } else {
            if (uvmsim_tracing(pmm->m))
                uvmsim_pmap_ev_miss(pm, va, kind);
            uvmsim_tlb_count_walk(t);
            uint32_t desc = uvmsim_arm_l1_get(pmm, &f->cpd, mi);
            if ((desc & L1_TYPE_MASK) == L1_TYPE_FAULT) {
                if (!cpd_load(pm, va, mva)) {
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
                if (!cpd_load(pm, va, mva))
                    return UVMSIM_EFAULT;
                continue;
            }
            uvmsim_arm_l2_lookup(pmm, desc, mva - off, &pte);
            if (uvmsim_tracing(pmm->m))
                uvmsim_pmap_ev_walk(pm, va, kind, &pte);
            if (!pte.valid)
                return UVMSIM_EFAULT;
            uvmsim_tlb_insert(t, 0, vpn, pte.pa, pte.prot, dd);
        }
        if (arm_dacr_get(f->dacr, pte.domain) != ARM_DACC_MANAGER && !uvmsim_pmap_access_ok(pte.prot, kind))
            return UVMSIM_EACCES;
        if (kind == UVMSIM_ACCESS_STORE)
            f->dom[fp->domain].wrote = true;
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
    f->shift = ARM_PAGE_SHIFT;
    f->off_mask = ARM_PAGE_SIZE - 1;
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
    if (e->asid != 0 || d == NULL || d->owner == NULL || !d->dirty || cm == NULL || cm->domain != (int)e->domain) {
        snprintf(c->msg, c->len, "fass: %s entry mva %#llx domain %u: domain free, clean or not tagging "
                 "that CPD entry", c->tlbname, (unsigned long long)mva, e->domain);
        c->err = UVMSIM_ESTATE;
        return;
    }
    vaddr_t va = ((vaddr_t)cm->src << ARM_SECTION_SHIFT) | (mva & (ARM_SECTION_SIZE - 1));
    if (!uvmsim_arm_op_walk(d->owner, va, &pte) || pte.pa != e->pfn_pa || (e->prot & ~pte.prot)) {
        snprintf(c->msg, c->len, "fass: %s entry mva %#llx -> %#llx prot %u exceeds the tables of pid %d",
                 c->tlbname, (unsigned long long)mva, (unsigned long long)e->pfn_pa, e->prot, d->owner->pid);
        c->err = UVMSIM_ESTATE;
    }
}

static int check_cpd(struct pmap_machine *pmm, char *msg, size_t len)
{
    const struct fass_machine *f = FM(pmm);
    unsigned count[ARM_NDOMAINS] = {0};
    if (pmm->ptp_shared != (f->cpd_live ? ARM_L1_PAGES : 0) || f->cpd_live != (f->npmaps > 0))
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
        const struct pmap *q = f->dom[cm->domain].owner;
        if (q == NULL || FP(q)->domain != cm->domain)
            return cfail(msg, len, "fass: CPD entry %lld tagged with domain %lld that no pmap owns%.0lld", mi,
                         cm->domain, 0);
        uint32_t pgd = uvmsim_arm_l1_get(pmm, &FP(q)->l1, cm->src);
        if ((pgd & L1_TYPE_MASK) != L1_TYPE_COARSE ||
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
        if (fd->owner == NULL ? (fd->dirty || fd->wrote) : (d < FASS_KERNEL_DOMAINS || FP(fd->owner)->domain != (int)d))
            return cfail(msg, len, "fass: domain %lld state is inconsistent (owner %lld, dirty %lld)", d,
                         fd->owner ? fd->owner->pid : -1, fd->dirty);
    }
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
    if (pmm->active != NULL && (FP(pmm->active)->domain < 0 || f->dacr != dacr_for(FP(pmm->active)->domain) ||
                                f->pid_reg != pm_slot(pmm->active)))
        return cfail(msg, msglen, "fass: DACR %#llx / PID %lld do not match the active pid %lld", f->dacr,
                     f->pid_reg, pmm->active->pid);
    int err = check_cpd(pmm, msg, msglen);
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
