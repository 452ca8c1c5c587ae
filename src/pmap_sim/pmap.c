/* uvmsim — the machine-independent half of pmap: backend registry, the per-machine pmap
 * state and TLBs, PV tracking (RAM pages on vm_page->pvlist, device pages in a hash
 * keyed by physical address), the range operations, the MMU entry point, counters,
 * trace events and the pmap invariant checker.  Page tables, TLB tags and switch policy
 * belong to the backend (pmap_ops). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pmap_impl.h"

/* ---- registry ---- */

/* Keep the two lists in the same order; both end with NULL. */
static const struct pmap_ops *const backend_ops[] = {
    &uvmsim_pmap_generic_ops,
    &uvmsim_pmap_armv5_ops,
    &uvmsim_pmap_fass_ops,
    NULL,
};
static const char *const backend_names[] = {
    "generic",
    "armv5",
    "fass",
    NULL,
};

const char *const *uvmsim_pmap_backends(void)
{
    return backend_names;
}

const struct pmap_ops *uvmsim_pmap_ops_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; backend_ops[i] != NULL; i++)
        if (strcmp(backend_ops[i]->name, name) == 0)
            return backend_ops[i];
    return NULL;
}

const char *uvmsim_pmap_backend_name(const uvmsim_machine *m)
{
    return (m != NULL && m->pmm != NULL) ? m->pmm->ops->name : NULL;
}

/* ---- machine init / fini ---- */

static void pmm_free(struct pmap_machine *pmm)
{
    uvmsim_tlb_destroy(pmm->itlb);
    uvmsim_tlb_destroy(pmm->dtlb);
    free(pmm->pv_hash);
    free(pmm->pv_hash_len);
    free(pmm);
}

int uvmsim_pmap_config_check(const uvmsim_machine_config *cfg, char *why, size_t whylen)
{
    const char *name = cfg->pmap ? cfg->pmap : "generic";
    const struct pmap_ops *ops = uvmsim_pmap_ops_find(name);
    if (ops == NULL) {
        if (why && whylen) {
            size_t n = (size_t)snprintf(why, whylen, "no pmap backend '%.40s' (have:", name);
            for (const char *const *b = uvmsim_pmap_backends(); *b && n < whylen; b++)
                n += (size_t)snprintf(why + n, whylen - n, " %s", *b);
            if (n < whylen)
                snprintf(why + n, whylen - n, ")");
        }
        return UVMSIM_EINVAL;
    }
    return ops->config_check ? ops->config_check(cfg, why, whylen) : UVMSIM_OK;
}

int uvmsim_pmap_machine_init(struct uvmsim_machine *m)
{
    const struct pmap_ops *ops = uvmsim_pmap_ops_find(m->cfg.pmap);
    if (ops == NULL || uvmsim_pmap_config_check(&m->cfg, NULL, 0) != UVMSIM_OK)
        return UVMSIM_EINVAL;
    /* cfg.pv_hash_buckets > 0: the machine config validation refuses 0. */
    struct pmap_machine *pmm = calloc(1, sizeof(*pmm));
    if (pmm == NULL)
        return UVMSIM_ENOHOST;
    pmm->m = m;
    pmm->ops = ops;
    pmm->pv_hash_buckets = m->cfg.pv_hash_buckets;
    pmm->pv_hash = calloc(pmm->pv_hash_buckets, sizeof(*pmm->pv_hash));
    pmm->pv_hash_len = calloc(pmm->pv_hash_buckets, sizeof(*pmm->pv_hash_len));
    if (m->cfg.tlb.split) {
        pmm->itlb = uvmsim_tlb_create(m, &m->cfg.tlb, "itlb");
        pmm->dtlb = uvmsim_tlb_create(m, &m->cfg.tlb, "dtlb");
    } else {
        pmm->dtlb = uvmsim_tlb_create(m, &m->cfg.tlb, "tlb");
    }
    if (pmm->pv_hash == NULL || pmm->pv_hash_len == NULL || pmm->dtlb == NULL ||
        (m->cfg.tlb.split && pmm->itlb == NULL)) {
        pmm_free(pmm);
        return UVMSIM_ENOHOST;
    }
    pmm->st.backend = ops->name;
    pmm->st.pv_hash_buckets = pmm->pv_hash_buckets;
    m->pmm = pmm;
    int err = ops->init(pmm);
    if (err != UVMSIM_OK) {
        m->pmm = NULL;
        pmm_free(pmm);
        return err;
    }
    return UVMSIM_OK;
}

void uvmsim_pmap_machine_fini(struct uvmsim_machine *m)
{
    struct pmap_machine *pmm = m->pmm;
    if (pmm == NULL)
        return;
    /* The VM destroys its pmaps first; whatever is left (tests, a caller that leaked a
     * process) still has PV entries on the host heap. */
    while (pmm->pmaps != NULL)
        uvmsim_pmap_destroy(pmm->pmaps);
    pmm->ops->fini(pmm);
    m->pmm = NULL;
    pmm_free(pmm);
}

/* ---- PV tracking ---- */

static unsigned pv_bucket(const struct pmap_machine *pmm, paddr_t pa)
{
    return (unsigned)((pa >> pmm->m->page_shift) % pmm->pv_hash_buckets);
}

/* Head of the list holding pa's PV entries: the vm_page's pvlist for RAM, the hash chain
 * otherwise (shared with other pas: callers filter on pv_pa).  *dev tells which; when
 * count is set, a hash look-up is counted. */
static struct pv_entry **pv_head(struct pmap_machine *pmm, paddr_t pa, bool *dev, bool count)
{
    struct vm_page *pg = uvmsim_phys_to_vm_page(pmm->m, pa);
    if (pg != NULL) {
        *dev = false;
        return &pg->pvlist;
    }
    *dev = true;
    if (count)
        pmm->st.pv_hash_lookups++;
    return &pmm->pv_hash[pv_bucket(pmm, pa)];
}

static void pv_link(struct pmap_machine *pmm, struct pv_entry *pv)
{
    bool dev;
    struct pv_entry **head = pv_head(pmm, pv->pv_pa, &dev, true);
    pv->pv_next = *head;
    *head = pv;
    pmm->st.pv_entries++;
    if (dev) {
        unsigned b = pv_bucket(pmm, pv->pv_pa);
        pmm->st.pv_entries_device++;
        if (++pmm->pv_hash_len[b] > pmm->st.pv_hash_max_chain)
            pmm->st.pv_hash_max_chain = pmm->pv_hash_len[b];
    }
}

static void pv_unlinked(struct pmap_machine *pmm, struct pv_entry *pv, bool dev)
{
    pmm->st.pv_entries--;
    if (dev) {
        pmm->st.pv_entries_device--;
        pmm->pv_hash_len[pv_bucket(pmm, pv->pv_pa)]--;
    }
}

/* Unlink and free the PV entry (pm, va) of pa; false when there is none (an unmanaged
 * device mapping). */
static bool pv_remove(struct pmap_machine *pmm, paddr_t pa, struct pmap *pm, vaddr_t va)
{
    bool dev;
    for (struct pv_entry **pp = pv_head(pmm, pa, &dev, true); *pp != NULL; pp = &(*pp)->pv_next) {
        struct pv_entry *pv = *pp;
        if (dev)
            pmm->st.pv_hash_steps++;
        if (pv->pv_pmap == pm && pv->pv_va == va && pv->pv_pa == pa) {
            *pp = pv->pv_next;
            pv_unlinked(pmm, pv, dev);
            free(pv);
            return true;
        }
    }
    return false;
}

bool uvmsim_pmap_managed(struct pmap *pm, vaddr_t va, paddr_t pa)
{
    bool dev;
    if (pm == NULL)
        return false;
    for (const struct pv_entry *pv = *pv_head(pm->pmm, pa, &dev, false); pv != NULL; pv = pv->pv_next)
        if (pv->pv_pmap == pm && pv->pv_va == va && pv->pv_pa == pa)
            return true;
    return false;
}

void uvmsim_pmap_pv_foreach(struct uvmsim_machine *m, paddr_t pa,
                            void (*fn)(struct pmap *pm, vaddr_t va, void *arg), void *arg)
{
    if (m == NULL || m->pmm == NULL || fn == NULL)
        return;
    struct pmap_machine *pmm = m->pmm;
    bool dev;
    pa &= ~m->page_mask;
    for (struct pv_entry *pv = *pv_head(pmm, pa, &dev, true); pv != NULL; pv = pv->pv_next) {
        if (dev)
            pmm->st.pv_hash_steps++;
        if (pv->pv_pa == pa)
            fn(pv->pv_pmap, pv->pv_va, arg);
    }
}

unsigned uvmsim_pmap_pv_count(const uvmsim_machine *m, uvmsim_paddr_t pa)
{
    if (m == NULL || m->pmm == NULL)
        return 0;
    bool dev;
    unsigned n = 0;
    pa &= ~m->page_mask;
    /* A query, not a pmap operation: the hash counters are left alone. */
    for (struct pv_entry *pv = *pv_head(m->pmm, pa, &dev, false); pv != NULL; pv = pv->pv_next)
        n += pv->pv_pa == pa;
    return n;
}

/* ---- pmaps ---- */

int uvmsim_pmap_create(struct uvmsim_machine *m, int pid, struct pmap **out)
{
    if (m == NULL || m->pmm == NULL || out == NULL)
        return UVMSIM_EINVAL;
    *out = NULL;
    struct pmap *pm = calloc(1, sizeof(*pm));
    if (pm == NULL)
        return UVMSIM_ENOHOST;
    pm->pmm = m->pmm;
    pm->pid = pid;
    int err = m->pmm->ops->create(pm);
    if (err != UVMSIM_OK) {
        free(pm);
        return err;
    }
    pm->pm_next = m->pmm->pmaps;
    m->pmm->pmaps = pm;
    *out = pm;
    return UVMSIM_OK;
}

/* Drop one valid mapping (its PV entry, the PTE, the TLB entry). */
static void remove_one(struct pmap *pm, vaddr_t va, paddr_t pa)
{
    if (!pv_remove(pm->pmm, pa, pm, va))
        pm->unmanaged--;
    pm->pmm->ops->remove(pm, va);
    pm->resident--;
}

/* Clip [*sva, *eva) to whole pages inside [0, va_end); false when empty. */
static bool clip_range(const struct pmap *pm, vaddr_t *sva, vaddr_t *eva)
{
    const struct uvmsim_machine *m = pm->pmm->m;
    vaddr_t end = pm->pmm->va_end;
    vaddr_t s = *sva & ~m->page_mask;
    vaddr_t e = *eva > end ? end : *eva;
    /* Cannot wrap or pass va_end: e <= va_end, which is page aligned. */
    e = (e + m->page_mask) & ~m->page_mask;
    if (s >= e)
        return false;
    *sva = s;
    *eva = e;
    return true;
}

/* Visit the valid PTEs of [sva, eva) one at a time.  The search restarts after each
 * hit so fn may remove the mapping (and the backend free tables) under us. */
static void range_apply(struct pmap *pm, vaddr_t sva, vaddr_t eva, vm_prot_t prot, bool remove)
{
    const struct pmap_ops *ops = pm->pmm->ops;
    size_t pgsz = pm->pmm->m->cfg.page_size;
    struct pmap_pte pte;
    vaddr_t va;
    while (sva < eva && ops->next_valid(pm, sva, eva, &va, &pte)) {
        vm_prot_t np = pte.prot & prot;
        if (remove || np == UVMSIM_PROT_NONE)
            remove_one(pm, va, pte.pa);
        else if (np != pte.prot)
            ops->protect(pm, va, np);
        sva = va + pgsz;
    }
}

void uvmsim_pmap_destroy(struct pmap *pm)
{
    if (pm == NULL)
        return;
    struct pmap_machine *pmm = pm->pmm;
    uvmsim_pmap_fast_clear(pmm);
    range_apply(pm, 0, pmm->va_end, UVMSIM_PROT_NONE, true);
    if (pmm->active == pm)
        pmm->active = NULL;
    pmm->ops->destroy(pm);
    for (struct pmap **pp = &pmm->pmaps; *pp != NULL; pp = &(*pp)->pm_next) {
        if (*pp == pm) {
            *pp = pm->pm_next;
            break;
        }
    }
    free(pm);
}

int uvmsim_pmap_enter(struct pmap *pm, vaddr_t va, paddr_t pa, vm_prot_t prot, unsigned flags)
{
    if (pm == NULL)
        return UVMSIM_EINVAL;
    struct pmap_machine *pmm = pm->pmm;
    struct uvmsim_machine *m = pmm->m;
    if (prot == UVMSIM_PROT_NONE || (prot & ~(vm_prot_t)UVMSIM_PROT_ALL))
        return UVMSIM_EINVAL;
    if ((va | pa) & m->page_mask)
        return UVMSIM_EALIGN;
    if (va >= pmm->va_end)
        return UVMSIM_ERANGE;
    uvmsim_pmap_fast_clear(pmm);    /* the backend may move the pmap (FASS slots) */
    struct vm_page *pg = uvmsim_phys_to_vm_page(m, pa);
    if (pg != NULL) {
        /* Mapping a free page or a page table is always a caller bug. */
        if (pg->owner == PGO_FREE || pg->owner == PGO_PTP)
            return UVMSIM_EINVAL;
        flags &= ~(unsigned)PMAP_DEVICE;
    } else {
        struct vm_physseg *seg = uvmsim_phys_lookup(m, pa);
        if (seg == NULL)
            return UVMSIM_ERANGE;
        if (prot & ~seg->prot)
            return UVMSIM_EACCES;      /* e.g. a writable mapping of NOR */
        flags |= PMAP_DEVICE;
    }

    bool unmanaged = pg == NULL && (flags & PMAP_UNMANAGED);
    struct pmap_pte old;
    bool had = pmm->ops->walk(pm, va, &old);
    if (had && old.pa == pa && uvmsim_pmap_managed(pm, va, pa) == !unmanaged) {
        /* Same page, same management: only the protection changes (the backend
         * invalidates the TLB entry that may carry the old rights); PV is untouched. */
        int err = pmm->ops->enter(pm, va, pa, prot, flags);
        if (err == UVMSIM_OK)
            pmm->st.enters++;
        return err;
    }
    struct pv_entry *pv = unmanaged ? NULL : malloc(sizeof(*pv));
    if (!unmanaged && pv == NULL)
        return UVMSIM_ENOHOST;
    int err = pmm->ops->enter(pm, va, pa, prot, flags);
    if (err != UVMSIM_OK) {
        free(pv);
        return err;
    }
    if (had) {
        /* replaced: the old page loses this mapping */
        if (!pv_remove(pmm, old.pa, pm, va))
            pm->unmanaged--;
    } else {
        pm->resident++;
    }
    pmm->st.enters++;
    if (unmanaged) {
        pm->unmanaged++;
        return UVMSIM_OK;
    }
    pv->pv_pmap = pm;
    pv->pv_va = va;
    pv->pv_pa = pa;
    pv_link(pmm, pv);
    return UVMSIM_OK;
}

void uvmsim_pmap_remove(struct pmap *pm, vaddr_t sva, vaddr_t eva)
{
    if (pm == NULL)
        return;
    pm->pmm->st.removes++;
    uvmsim_pmap_fast_clear(pm->pmm);
    if (clip_range(pm, &sva, &eva))
        range_apply(pm, sva, eva, UVMSIM_PROT_NONE, true);
}

void uvmsim_pmap_protect(struct pmap *pm, vaddr_t sva, vaddr_t eva, vm_prot_t prot)
{
    if (pm == NULL)
        return;
    pm->pmm->st.protects++;
    uvmsim_pmap_fast_clear(pm->pmm);
    if (clip_range(pm, &sva, &eva))
        range_apply(pm, sva, eva, prot & UVMSIM_PROT_ALL, (prot & UVMSIM_PROT_ALL) == 0);
}

void uvmsim_pmap_page_protect(struct uvmsim_machine *m, paddr_t pa, vm_prot_t prot)
{
    if (m == NULL || m->pmm == NULL)
        return;
    struct pmap_machine *pmm = m->pmm;
    const struct pmap_ops *ops = pmm->ops;
    bool dev;
    pmm->st.page_protects++;
    uvmsim_pmap_fast_clear(pmm);
    pa &= ~m->page_mask;
    prot &= UVMSIM_PROT_ALL;
    /* One pass with a link pointer: entries are unlinked as their mappings go. */
    struct pv_entry **pp = pv_head(pmm, pa, &dev, true);
    while (*pp != NULL) {
        struct pv_entry *pv = *pp;
        if (dev)
            pmm->st.pv_hash_steps++;
        if (pv->pv_pa != pa) {
            pp = &pv->pv_next;
            continue;
        }
        struct pmap_pte pte;
        vm_prot_t np = UVMSIM_PROT_NONE;
        if (prot != UVMSIM_PROT_NONE && ops->walk(pv->pv_pmap, pv->pv_va, &pte))
            np = pte.prot & prot;
        if (np == UVMSIM_PROT_NONE) {
            *pp = pv->pv_next;
            pv_unlinked(pmm, pv, dev);
            ops->remove(pv->pv_pmap, pv->pv_va);
            pv->pv_pmap->resident--;
            free(pv);
            continue;
        }
        if (np != pte.prot)
            ops->protect(pv->pv_pmap, pv->pv_va, np);
        pp = &pv->pv_next;
    }
}

bool uvmsim_pmap_extract(struct pmap *pm, vaddr_t va, paddr_t *pa, vm_prot_t *prot)
{
    if (pm == NULL)
        return false;
    struct pmap_machine *pmm = pm->pmm;
    struct pmap_pte pte;
    pmm->st.extracts++;
    if (va >= pmm->va_end || !pmm->ops->walk(pm, va & ~pmm->m->page_mask, &pte))
        return false;
    if (pa != NULL)
        *pa = pte.pa | (va & pmm->m->page_mask);
    if (prot != NULL)
        *prot = pte.prot;
    return true;
}

void uvmsim_pmap_activate(struct pmap *pm)
{
    if (pm == NULL)
        return;
    struct pmap_machine *pmm = pm->pmm;
    uint64_t cost0 = pmm->st.switch_cost;
    pmm->st.activations++;
    uvmsim_pmap_fast_clear(pmm);
    /* The backend sees the outgoing pmap in pmm->active (armv5 flushes for it, FASS
     * disables its domain) and adds what the switch cost to st.switch_cost. */
    pmm->ops->activate(pm);
    pmm->active = pm;
    if (uvmsim_tracing(pmm->m)) {
        uvmsim_event ev = {.type = UVMSIM_EV_SWITCH, .pid = pm->pid, .step = pmm->ops->name,
                           .a = pmm->st.switch_cost - cost0};
        uvmsim_emit(pmm->m, &ev);
    }
}

bool uvmsim_pmap_place(struct pmap *pm, vaddr_t lo, vaddr_t hi, uint64_t size,
                       bool (*is_free)(void *arg, vaddr_t s, vaddr_t e), void *arg, vaddr_t *va)
{
    if (pm == NULL || pm->pmm->ops->place == NULL || lo >= hi || size == 0 || size > hi - lo)
        return false;
    if (!pm->pmm->ops->place(pm, lo, hi, size, is_free, arg, va))
        return false;
    pm->pmm->st.placements++;
    return true;
}

/* Describe the hit path of the active pmap pm (struct pmap_fast): the common part here,
 * the backend's through its fast_setup op. */
static void fast_setup(struct pmap *pm)
{
    struct pmap_machine *pmm = pm->pmm;
    struct pmap_fast *f = &pmm->fast;
    static const uint32_t all_client = 0x55555555u;
    memset(f, 0, sizeof(*f));
    f->tlb[UVMSIM_ACCESS_FETCH] = uvmsim_pmap_tlb_for(pmm, UVMSIM_ACCESS_FETCH);
    f->tlb[UVMSIM_ACCESS_LOAD] = pmm->dtlb;
    f->tlb[UVMSIM_ACCESS_STORE] = pmm->dtlb;
    f->va_end = pmm->va_end;
    f->shift = pmm->m->page_shift;
    f->off_mask = pmm->m->page_mask;
    f->dacr = &all_client;
    f->touch = f->touch_store = &f->scratch;
    if (!pmm->ops->fast_setup(pm, f))
        return;
    f->touch_kind[UVMSIM_ACCESS_FETCH] = f->touch_kind[UVMSIM_ACCESS_LOAD] = &f->scratch;
    f->touch_kind[UVMSIM_ACCESS_STORE] = f->touch_store;
    f->pm = pm;
}

int uvmsim_pmap_translate(struct pmap *pm, vaddr_t va, uvmsim_access kind, paddr_t *pa)
{
    if (pm == NULL || pa == NULL || (unsigned)kind > UVMSIM_ACCESS_STORE)
        return UVMSIM_EINVAL;
    struct pmap_machine *pmm = pm->pmm;
    if (pmm->active != pm)
        uvmsim_pmap_activate(pm);
    int err = va < pmm->va_end ? pmm->ops->translate(pm, va, kind, pa) : UVMSIM_EFAULT;
    if (err != UVMSIM_OK)
        pmm->st.mmu_faults++;
    if (pmm->fast.pm != pm && pmm->ops->fast_setup != NULL && !pmm->fast_disabled)
        fast_setup(pm);
    return err;
}

void uvmsim_pmap_set_fast_path(uvmsim_machine *m, bool enabled)
{
    if (m == NULL || m->pmm == NULL)
        return;
    m->pmm->fast_disabled = !enabled;
    uvmsim_pmap_fast_clear(m->pmm);
}

bool uvmsim_pmap_fast_path(const uvmsim_machine *m)
{
    return m != NULL && m->pmm != NULL && !m->pmm->fast_disabled && m->pmm->ops->fast_setup != NULL;
}

/* ---- trace helpers for backends ---- */

void uvmsim_pmap_ev_miss(struct pmap *pm, vaddr_t va, uvmsim_access kind)
{
    uvmsim_event ev = {.type = UVMSIM_EV_TLB_MISS, .pid = pm->pid, .va = va, .access = kind};
    uvmsim_emit(pm->pmm->m, &ev);
}

void uvmsim_pmap_ev_walk(struct pmap *pm, vaddr_t va, uvmsim_access kind, const struct pmap_pte *pte)
{
    uvmsim_event ev = {.type = UVMSIM_EV_WALK, .pid = pm->pid, .va = va, .access = kind,
                       .pa = pte->valid ? pte->pa : 0, .a = pte->valid,
                       .b = pte->valid ? pte->prot : 0};
    uvmsim_emit(pm->pmm->m, &ev);
}

/* ---- statistics ---- */

void uvmsim_pmap_stats_get(const uvmsim_machine *m, uvmsim_pmap_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    if (m == NULL || m->pmm == NULL)
        return;
    const struct pmap_machine *pmm = m->pmm;
    *out = pmm->st;
    out->backend = pmm->ops->name;
    out->dtlb = *uvmsim_tlb_stats_of(pmm->dtlb);
    if (pmm->itlb != NULL)
        out->itlb = *uvmsim_tlb_stats_of(pmm->itlb);
    out->ptp_pages = m->ram.ptp_pages;
    if (pmm->ops->stats != NULL)
        pmm->ops->stats(pmm, out);
}

/* ---- invariant checker ---- */

static int fail(char *msg, size_t len, const char *fmt, ...)
{
    if (msg != NULL && len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return UVMSIM_ESTATE;
}

static bool pmap_live(const struct pmap_machine *pmm, const struct pmap *pm)
{
    for (const struct pmap *p = pmm->pmaps; p != NULL; p = p->pm_next)
        if (p == pm)
            return true;
    return false;
}

/* One PV entry must name a live pmap whose tables map va to pa. */
static int check_pv(struct pmap_machine *pmm, const struct pv_entry *pv, char *msg, size_t len)
{
    struct pmap_pte pte;
    if (!pmap_live(pmm, pv->pv_pmap))
        return fail(msg, len, "pmap: PV entry of pa %#llx names a dead pmap",
                    (unsigned long long)pv->pv_pa);
    if (!pmm->ops->walk(pv->pv_pmap, pv->pv_va, &pte) || pte.pa != pv->pv_pa)
        return fail(msg, len, "pmap: PV entry (pid %d, va %#llx) -> pa %#llx has no such PTE",
                    pv->pv_pmap->pid, (unsigned long long)pv->pv_va, (unsigned long long)pv->pv_pa);
    return UVMSIM_OK;
}

int uvmsim_pmap_check(struct uvmsim_machine *m, char *msg, size_t msglen)
{
    if (m == NULL || m->pmm == NULL)
        return UVMSIM_EINVAL;
    struct pmap_machine *pmm = m->pmm;
    int err;
    uint64_t n_pv = 0, n_dev = 0, n_ptp_pages = 0;

    /* PV → PTE, RAM side; and the PTP page census on the way. */
    for (unsigned i = 0; i < m->nsegs; i++) {
        const struct vm_physseg *s = &m->segs[i];
        if (s->kind != UVMSIM_SEG_RAM)
            continue;
        for (uint64_t p = 0; p < s->npages; p++) {
            const struct vm_page *pg = &s->pgs[p];
            paddr_t pa = s->start + (p << m->page_shift);
            n_ptp_pages += pg->owner == PGO_PTP;
            if (pg->pvlist != NULL && (pg->owner == PGO_FREE || pg->owner == PGO_PTP))
                return fail(msg, msglen, "pmap: page %#llx (owner %u) is mapped",
                            (unsigned long long)pa, pg->owner);
            for (const struct pv_entry *pv = pg->pvlist; pv != NULL; pv = pv->pv_next) {
                if (pv->pv_pa != pa)
                    return fail(msg, msglen, "pmap: PV entry on page %#llx says pa %#llx",
                                (unsigned long long)pa, (unsigned long long)pv->pv_pa);
                if ((err = check_pv(pmm, pv, msg, msglen)) != UVMSIM_OK)
                    return err;
                n_pv++;
            }
        }
    }
    /* PV → PTE, device side. */
    for (unsigned b = 0; b < pmm->pv_hash_buckets; b++) {
        unsigned chain = 0;
        for (const struct pv_entry *pv = pmm->pv_hash[b]; pv != NULL; pv = pv->pv_next) {
            const struct vm_physseg *s = uvmsim_phys_lookup(m, pv->pv_pa);
            if (s == NULL || s->kind != UVMSIM_SEG_DEVICE || pv_bucket(pmm, pv->pv_pa) != b)
                return fail(msg, msglen, "pmap: hash PV entry for pa %#llx misfiled or not a device page",
                            (unsigned long long)pv->pv_pa);
            if ((err = check_pv(pmm, pv, msg, msglen)) != UVMSIM_OK)
                return err;
            chain++;
        }
        if (chain != pmm->pv_hash_len[b])
            return fail(msg, msglen, "pmap: hash chain %u has %u entries, length says %u",
                        b, chain, pmm->pv_hash_len[b]);
        n_dev += chain;
    }
    n_pv += n_dev;
    if (n_pv != pmm->st.pv_entries || n_dev != pmm->st.pv_entries_device)
        return fail(msg, msglen, "pmap: PV counters %llu/%llu, real %llu/%llu",
                    (unsigned long long)pmm->st.pv_entries,
                    (unsigned long long)pmm->st.pv_entries_device,
                    (unsigned long long)n_pv, (unsigned long long)n_dev);

    /* PTE → exactly one PV entry; resident counts; PTP sums.  With PV → PTE above this
     * makes PV and valid PTEs a bijection. */
    uint64_t ptp_sum = pmm->ptp_shared;
    bool active_live = pmm->active == NULL;
    for (struct pmap *pm = pmm->pmaps; pm != NULL; pm = pm->pm_next) {
        uint64_t res = 0, unmanaged = 0;
        struct pmap_pte pte;
        vaddr_t sva = 0, va;
        active_live |= pm == pmm->active;
        ptp_sum += pm->ptp_pages;
        while (sva < pmm->va_end && pmm->ops->next_valid(pm, sva, pmm->va_end, &va, &pte)) {
            bool dev;
            unsigned hits = 0;
            for (const struct pv_entry *pv = *pv_head(pmm, pte.pa, &dev, false); pv != NULL; pv = pv->pv_next)
                hits += pv->pv_pmap == pm && pv->pv_va == va && pv->pv_pa == pte.pa;
            if (hits == 0 && dev)
                unmanaged++;             /* an unmanaged device mapping (PMAP_UNMANAGED) */
            else if (hits != 1)
                return fail(msg, msglen, "pmap: PTE (pid %d, va %#llx) -> pa %#llx has %u PV entries",
                            pm->pid, (unsigned long long)va, (unsigned long long)pte.pa, hits);
            res++;
            sva = va + m->cfg.page_size;
        }
        if (res != pm->resident)
            return fail(msg, msglen, "pmap: pid %d has %llu valid PTEs, resident says %llu",
                        pm->pid, (unsigned long long)res, (unsigned long long)pm->resident);
        if (unmanaged != pm->unmanaged)
            return fail(msg, msglen, "pmap: pid %d has %llu device PTEs without PV entry, unmanaged says %llu",
                        pm->pid, (unsigned long long)unmanaged, (unsigned long long)pm->unmanaged);
    }
    if (!active_live)
        return fail(msg, msglen, "pmap: the active pmap is not live");
    if (n_ptp_pages != m->ram.ptp_pages || ptp_sum != n_ptp_pages)
        return fail(msg, msglen, "pmap: PTP pages: %llu in RAM, ram.ptp_pages %llu, pmaps hold %llu",
                    (unsigned long long)n_ptp_pages, (unsigned long long)m->ram.ptp_pages,
                    (unsigned long long)ptp_sum);
    return pmm->ops->check(pmm, msg, msglen);
}

int uvmsim_pmap_check_tlbs(struct pmap_machine *pmm, void (*fn)(const struct tlb_entry *e, void *arg),
                           char *msg, size_t msglen)
{
    struct pmap_tlbcheck c = {.pmm = pmm, .msg = msg, .len = msglen, .err = UVMSIM_OK};
    c.tlbname = pmm->itlb ? "dtlb" : "tlb";
    uvmsim_tlb_foreach(pmm->dtlb, fn, &c);
    if (pmm->itlb != NULL && c.err == UVMSIM_OK) {
        c.tlbname = "itlb";
        uvmsim_tlb_foreach(pmm->itlb, fn, &c);
    }
    return c.err;
}
