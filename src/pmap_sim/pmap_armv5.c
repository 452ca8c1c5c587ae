/* uvmsim — the "armv5" pmap backend: ARM Linux on an ARMv5 core with a VIVT cache and
 * no FCSE.  Each process has its own first-level table (the translation table base
 * register is reloaded on a switch); the TLB entries carry no address-space tag, and the
 * virtually indexed cache cannot tell address spaces apart, so every real context switch
 * cleans and flushes the cache and flushes both TLBs.  All user mappings live in domain
 * ARM_DOMAIN_USER (client), the kernel's in ARM_DOMAIN_KERNEL.
 *
 * Consequence used throughout: only the active pmap can have TLB entries or cache
 * lines, so remove/protect of another pmap need no maintenance at all. */
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include "pmap_arm.h"

struct v5_machine {
    uint32_t dacr;            /* kernel and user domains client, the rest no access */
    bool lines;               /* the cache may hold lines of the active pmap */
    bool dirty_lines;         /* ... some of them dirty (a store since the last clean) */
};

struct v5_pmap {
    struct arm_l1 l1;         /* first member (pmap_arm.h ops rely on it); allocated by create */
};
_Static_assert(offsetof(struct v5_pmap, l1) == 0, "the shared ARM ops find the L1 at pm->be");

static struct v5_machine *VM5(const struct pmap_machine *pmm) { return pmm->be; }
static struct v5_pmap *VP5(const struct pmap *pm) { return pm->be; }

static int v5_init(struct pmap_machine *pmm)
{
    int err = uvmsim_arm_machine_setup(pmm);
    if (err != UVMSIM_OK)
        return err;
    struct v5_machine *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return UVMSIM_ENOHOST;
    v->dacr = arm_dacr_set(arm_dacr_set(0, ARM_DOMAIN_KERNEL, ARM_DACC_CLIENT), ARM_DOMAIN_USER, ARM_DACC_CLIENT);
    pmm->be = v;
    return UVMSIM_OK;
}

static void v5_fini(struct pmap_machine *pmm)
{
    free(pmm->be);
    pmm->be = NULL;
}

static int v5_create(struct pmap *pm)
{
    struct v5_pmap *vp = calloc(1, sizeof(*vp));
    if (vp == NULL)
        return UVMSIM_ENOHOST;
    int err = uvmsim_arm_l1_alloc(pm->pmm, &vp->l1);
    if (err != UVMSIM_OK) {
        free(vp);
        return err;
    }
    pm->be = vp;
    pm->ptp_pages = ARM_L1_PAGES;
    return UVMSIM_OK;
}

static void v5_destroy(struct pmap *pm)
{
    uvmsim_arm_pt_free(pm->pmm, &VP5(pm)->l1, &pm->ptp_pages);
    free(pm->be);
    pm->be = NULL;
}

/* A PTE of pm changed or went away: drop what the TLB and the cache may hold for it.
 * Only the active pmap can have any. */
static void v5_shootdown(struct pmap *pm, vaddr_t va, bool page_gone, bool write_lost)
{
    struct pmap_machine *pmm = pm->pmm;
    struct v5_machine *v = VM5(pmm);
    if (pmm->active != pm)
        return;
    uvmsim_arm_tlb_inval(pmm, va);
    if (!v->lines)
        return;
    /* VIVT: lines of a page that leaves the address space must go (cleaned first when
     * they may be dirty); a page losing write only needs its dirty lines written back. */
    if (page_gone)
        uvmsim_arm_cache_op(pmm, "page", "unmap", va, v->dirty_lines, true);
    else if (write_lost && v->dirty_lines)
        uvmsim_arm_cache_op(pmm, "page", "write-protect", va, true, false);
}

static int v5_enter(struct pmap *pm, vaddr_t va, paddr_t pa, vm_prot_t prot, unsigned flags)
{
    struct arm_pt_result r;
    int err = uvmsim_arm_pt_enter(pm->pmm, &VP5(pm)->l1, &pm->ptp_pages, va, pa, prot, flags, &r);
    if (err == UVMSIM_OK && r.was_valid)
        v5_shootdown(pm, va, r.old.pa != pa, (r.old.prot & UVMSIM_PROT_WRITE) && !(prot & UVMSIM_PROT_WRITE));
    return err;
}

static void v5_remove(struct pmap *pm, vaddr_t va)
{
    struct arm_pt_result r;
    uvmsim_arm_pt_remove(pm->pmm, &VP5(pm)->l1, &pm->ptp_pages, va, &r);
    if (r.was_valid)
        v5_shootdown(pm, va, true, false);
}

static void v5_protect(struct pmap *pm, vaddr_t va, vm_prot_t prot)
{
    uvmsim_arm_op_protect(pm, va, prot, v5_shootdown);
}

static void v5_activate(struct pmap *pm)
{
    struct pmap_machine *pmm = pm->pmm;
    struct v5_machine *v = VM5(pmm);
    struct pmap *old = pmm->active;
    /* Nothing to flush at the first activation or after the active pmap died: its
     * removes invalidated every TLB entry and cache line it had. */
    if (old == pm)
        return;
    pmm->st.ttb_writes++;         /* the new table base is loaded at any real activation */
    if (old == NULL)
        return;
    /* cpu_switch_mm of ARM Linux on a VIVT core: clean + invalidate the whole cache,
     * invalidate both TLBs, load the new table base.  The kernel does not know what the
     * cache holds, so the clean is issued (and counted) unconditionally. */
    uvmsim_arm_cache_op(pmm, "all", "switch", 0, true, true);
    pmm->st.switch_cost += uvmsim_arm_tlb_flush_all(pmm, "switch");
    pmm->st.tlb_flushes++;
    v->lines = false;
    v->dirty_lines = false;
    uvmsim_arm_event(pmm, pm->pid, "switch", 0, 1, 1, "armv5: cache cleaned+flushed, TLBs flushed, TTB loaded");
}

static int v5_translate(struct pmap *pm, vaddr_t va, uvmsim_access kind, paddr_t *pa)
{
    struct pmap_machine *pmm = pm->pmm;
    struct v5_machine *v = VM5(pmm);
    struct tlb *t = uvmsim_pmap_tlb_for(pmm, kind);
    vaddr_t vpn = va >> ARM_PAGE_SHIFT;
    paddr_t off = va & (ARM_PAGE_SIZE - 1);
    struct pmap_pte pte;
    struct tlb_entry *e = uvmsim_tlb_lookup(t, 0, vpn);
    if (e != NULL) {
        pte.pa = e->pfn_pa;
        pte.prot = e->prot;
        pte.domain = e->domain;
    } else {
        if (uvmsim_tracing(pmm->m))
            uvmsim_pmap_ev_miss(pm, va, kind);
        uvmsim_tlb_count_walk(t);
        uvmsim_arm_pt_walk(pmm, &VP5(pm)->l1, va - off, &pte);
        if (uvmsim_tracing(pmm->m))
            uvmsim_pmap_ev_walk(pm, va, kind, &pte);
        if (!pte.valid)
            return UVMSIM_EFAULT;
        uvmsim_tlb_insert(t, 0, vpn, pte.pa, pte.prot, pte.domain);
    }
    /* Every user mapping is in the user domain, a client: the AP (and shadow X) bits
     * decide.  A domain fault cannot happen here. */
    if (arm_dacr_get(v->dacr, pte.domain) != ARM_DACC_MANAGER && !uvmsim_pmap_access_ok(pte.prot, kind))
        return UVMSIM_EACCES;
    v->lines = true;
    if (kind == UVMSIM_ACCESS_STORE)
        v->dirty_lines = true;
    *pa = pte.pa | off;
    return UVMSIM_OK;
}

/* A hit: untagged entries, the DACR decides, and the cache gets (dirty) lines. */
static bool v5_fast_setup(struct pmap *pm, struct pmap_fast *f)
{
    struct v5_machine *v = VM5(pm->pmm);
    f->shift = ARM_PAGE_SHIFT;
    f->off_mask = ARM_PAGE_SIZE - 1;
    f->dacr = &v->dacr;
    f->touch = &v->lines;
    f->touch_store = &v->dirty_lines;
    return true;
}

/* ---- checker ---- */

static void v5_tlb_entry_check(const struct tlb_entry *e, void *arg)
{
    struct pmap_tlbcheck *c = arg;
    if (c->err != UVMSIM_OK)
        return;
    struct pmap *act = c->pmm->active;
    vaddr_t va = e->vpn << ARM_PAGE_SHIFT;
    struct pmap_pte pte;
    if (act == NULL) {
        snprintf(c->msg, c->len, "armv5: %s entry va %#llx but no pmap is active", c->tlbname,
                 (unsigned long long)va);
        c->err = UVMSIM_ESTATE;
    } else if (e->asid != 0 || e->domain != ARM_DOMAIN_USER || !uvmsim_arm_op_walk(act, va, &pte) ||
               pte.pa != e->pfn_pa || (e->prot & ~pte.prot)) {
        snprintf(c->msg, c->len, "armv5: %s entry va %#llx -> %#llx prot %u domain %u exceeds the tables "
                 "of pid %d", c->tlbname, (unsigned long long)va, (unsigned long long)e->pfn_pa, e->prot,
                 e->domain, act->pid);
        c->err = UVMSIM_ESTATE;
    }
}

static int v5_check(struct pmap_machine *pmm, char *msg, size_t msglen)
{
    char dummy[1];
    if (msg == NULL || msglen == 0) {
        msg = dummy;
        msglen = sizeof(dummy);
    }
    for (struct pmap *pm = pmm->pmaps; pm != NULL; pm = pm->pm_next) {
        uint64_t ntables;
        int err = uvmsim_arm_pt_check(pmm, &VP5(pm)->l1, pm->pid, &ntables, msg, msglen);
        if (err != UVMSIM_OK)
            return err;
        if (ntables != pm->ptp_pages) {
            snprintf(msg, msglen, "armv5: pid %d has %llu table pages, ptp_pages says %llu", pm->pid,
                     (unsigned long long)ntables, (unsigned long long)pm->ptp_pages);
            return UVMSIM_ESTATE;
        }
    }
    return uvmsim_pmap_check_tlbs(pmm, v5_tlb_entry_check, msg, msglen);
}

static void v5_stats(const struct pmap_machine *pmm, uvmsim_pmap_stats *out)
{
    (void)pmm;
    out->domain_policy = NULL;
    out->pid_policy = NULL;
}

const struct pmap_ops uvmsim_pmap_armv5_ops = {
    .name = "armv5",
    .config_check = uvmsim_arm_config_check,
    .init = v5_init,
    .fini = v5_fini,
    .create = v5_create,
    .destroy = v5_destroy,
    .enter = v5_enter,
    .remove = v5_remove,
    .protect = v5_protect,
    .walk = uvmsim_arm_op_walk,
    .next_valid = uvmsim_arm_op_next_valid,
    .activate = v5_activate,
    .translate = v5_translate,
    .fast_setup = v5_fast_setup,
    .check = v5_check,
    .stats = v5_stats,
};

uint32_t uvmsim_pmap_arm_dacr(const struct uvmsim_machine *m)
{
    if (m == NULL || m->pmm == NULL)
        return 0;
    if (m->pmm->ops == &uvmsim_pmap_armv5_ops)
        return VM5(m->pmm)->dacr;
    if (m->pmm->ops == &uvmsim_pmap_fass_ops)
        return uvmsim_pmap_fass_dacr(m->pmm);
    return 0;
}

bool uvmsim_pmap_arm_l1_pa(const struct pmap *pm, unsigned idx, paddr_t *pa)
{
    if (pm == NULL || idx >= ARM_L1_ENTRIES)
        return false;
    const struct arm_l1 *l1;
    if (pm->pmm->ops == &uvmsim_pmap_armv5_ops)
        l1 = &VP5(pm)->l1;
    else if (pm->pmm->ops == &uvmsim_pmap_fass_ops)
        l1 = uvmsim_pmap_fass_l1(pm);
    else
        return false;
    if (pa != NULL)
        *pa = l1->frame[idx / ARM_L1_PER_PAGE] + (paddr_t)(idx % ARM_L1_PER_PAGE) * 4;
    return true;
}
