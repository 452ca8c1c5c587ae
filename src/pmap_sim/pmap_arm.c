/* uvmsim — the ARMv5 MMU model shared by the armv5 and fass backends: first-level and
 * coarse second-level tables in simulated RAM (see pmap_arm.h for the formats), the
 * machine set-up (4 KiB pages, 32-bit physical plan, SA-1100 TLB shape), TLB helpers
 * that act on both TLBs, and the counted VIVT cache maintenance.  Policy — when to
 * flush, which domain tags what — stays in the backends. */
#include <stdio.h>
#include <string.h>
#include "pmap_arm.h"

int uvmsim_arm_l1_alloc(struct pmap_machine *pmm, struct arm_l1 *l1)
{
    struct vm_page *pg[ARM_L1_PAGES];
    for (unsigned i = 0; i < ARM_L1_PAGES; i++) {
        pg[i] = uvmsim_pagealloc(pmm->m, PGO_PTP, true);
        if (pg[i] == NULL) {
            while (i-- > 0)
                uvmsim_pagefree(pmm->m, pg[i]);
            return UVMSIM_ENOMEM;
        }
    }
    for (unsigned i = 0; i < ARM_L1_PAGES; i++) {
        pg[i]->offset = 0;
        l1->frame[i] = uvmsim_vm_page_to_phys(pmm->m, pg[i]);
    }
    memset(l1->present, 0, sizeof(l1->present));
    return UVMSIM_OK;
}

void uvmsim_arm_l1_free(struct pmap_machine *pmm, struct arm_l1 *l1)
{
    for (unsigned i = 0; i < ARM_L1_PAGES; i++) {
        uvmsim_pagefree(pmm->m, uvmsim_phys_to_vm_page(pmm->m, l1->frame[i]));
        l1->frame[i] = 0;
    }
}

static uint8_t *l1_slot(const struct pmap_machine *pmm, const struct arm_l1 *l1, unsigned idx)
{
    uint8_t *t = uvmsim_phys_ptr(pmm->m, l1->frame[idx / ARM_L1_PER_PAGE], ARM_PAGE_SIZE);
    return t + (size_t)(idx % ARM_L1_PER_PAGE) * 4;
}

uint32_t uvmsim_arm_l1_get(const struct pmap_machine *pmm, const struct arm_l1 *l1, unsigned idx)
{
    return uvmsim_arm_rd32(l1_slot(pmm, l1, idx));
}

void uvmsim_arm_l1_set(struct pmap_machine *pmm, struct arm_l1 *l1, unsigned idx, uint32_t desc)
{
    uvmsim_arm_wr32(l1_slot(pmm, l1, idx), desc);
    if (desc != 0)
        l1->present[idx / 64] |= 1ull << (idx % 64);
    else
        l1->present[idx / 64] &= ~(1ull << (idx % 64));
}

unsigned uvmsim_arm_l1_next(const struct arm_l1 *l1, unsigned idx)
{
    while (idx < ARM_L1_ENTRIES) {
        uint64_t w = l1->present[idx / 64] >> (idx % 64);
        if (w != 0)
            return idx + (unsigned)__builtin_ctzll(w);
        idx = (idx | 63u) + 1;
    }
    return ARM_L1_ENTRIES;
}

uint32_t uvmsim_arm_l1_raw(const struct pmap_machine *pmm, const struct arm_l1 *l1, unsigned idx,
                           const uint8_t **frame_ptr)
{
    if (idx % ARM_L1_PER_PAGE == 0 || *frame_ptr == NULL)
        *frame_ptr = uvmsim_phys_ptr(pmm->m, l1->frame[idx / ARM_L1_PER_PAGE], ARM_PAGE_SIZE);
    return uvmsim_arm_rd32(*frame_ptr + (size_t)(idx % ARM_L1_PER_PAGE) * 4);
}

/* The coarse table a descriptor points at (hardware half; the shadow half follows), or
 * NULL when it is not a coarse descriptor or points outside RAM (a corrupt entry reads
 * as absent rather than being dereferenced). */
static uint8_t *coarse_of(const struct pmap_machine *pmm, uint32_t desc)
{
    if ((desc & L1_TYPE_MASK) != L1_TYPE_COARSE)
        return NULL;
    return uvmsim_phys_ptr(pmm->m, desc & L1_COARSE_BASE, 2 * ARM_L2_SHADOW_OFF);
}

static unsigned l2_index(vaddr_t va)
{
    return (unsigned)((va >> ARM_PAGE_SHIFT) & (ARM_L2_ENTRIES - 1));
}

static void pte_clear(struct pmap_pte *pte)
{
    pte->valid = false;
    pte->pa = 0;
    pte->prot = UVMSIM_PROT_NONE;
    pte->domain = 0;
    pte->lshift = 0;
}

/* Decode entry i of a coarse table (hardware + shadow): a small page, or one of the 16
 * copies of a large page (pa: the frame of page i within it). */
static bool l2_decode(const uint8_t *t, unsigned i, unsigned domain, struct pmap_pte *pte)
{
    uint32_t hw = uvmsim_arm_rd32(t + (size_t)i * 4);
    uint32_t sh = uvmsim_arm_rd32(t + ARM_L2_SHADOW_OFF + (size_t)i * 4);
    pte_clear(pte);
    if (!(sh & SH_VALID))
        return false;
    if ((hw & L2_TYPE_MASK) == L2_TYPE_SMALL && !(sh & SH_LARGE)) {
        pte->pa = hw & L2_FRAME;
    } else if ((hw & L2_TYPE_MASK) == L2_TYPE_LARGE && (sh & SH_LARGE)) {
        pte->pa = (hw & L2_LARGE_BASE) | (paddr_t)(i & ((1u << ARM_LARGE_LSHIFT) - 1)) << ARM_PAGE_SHIFT;
        pte->lshift = ARM_LARGE_LSHIFT;
    } else {
        return false;
    }
    pte->valid = true;
    pte->prot = (vm_prot_t)((sh >> SH_PROT_SHIFT) & UVMSIM_PROT_ALL);
    pte->domain = domain;
    return true;
}

/* The section shadow byte of first-level index idx (0 without a shadow page). */
static uint8_t sect_shadow_get(const struct pmap_machine *pmm, const struct arm_l1 *l1, unsigned idx)
{
    const uint8_t *p = l1->sect_shadow ? uvmsim_phys_ptr(pmm->m, l1->sect_shadow, ARM_PAGE_SIZE) : NULL;
    return p ? p[idx] : 0;
}

static void sect_shadow_set(struct pmap_machine *pmm, struct arm_l1 *l1, unsigned idx, uint8_t v)
{
    uvmsim_phys_ptr(pmm->m, l1->sect_shadow, ARM_PAGE_SIZE)[idx] = v;
}

/* Decode a section descriptor with its shadow byte. */
static bool sect_decode(uint32_t desc, uint8_t sh, vaddr_t va, struct pmap_pte *pte)
{
    pte_clear(pte);
    if (!uvmsim_arm_is_section(desc) || !(sh & SH_VALID))
        return false;
    pte->valid = true;
    pte->pa = (desc & L1_SECT_BASE) | (va & (ARM_SECTION_SIZE - 1) & ~(vaddr_t)(ARM_PAGE_SIZE - 1));
    pte->prot = (vm_prot_t)((sh >> SH_PROT_SHIFT) & UVMSIM_PROT_ALL);
    pte->domain = (desc & L1_DOMAIN_MASK) >> L1_DOMAIN_SHIFT;
    pte->lshift = ARM_SECTION_LSHIFT;
    return true;
}

bool uvmsim_arm_l2_lookup(const struct pmap_machine *pmm, uint32_t desc, vaddr_t va, struct pmap_pte *pte)
{
    const uint8_t *t = coarse_of(pmm, desc);
    pte_clear(pte);
    if (t == NULL)
        return false;
    return l2_decode(t, l2_index(va), (desc & L1_DOMAIN_MASK) >> L1_DOMAIN_SHIFT, pte);
}

bool uvmsim_arm_desc_lookup(const struct pmap_machine *pmm, uint32_t desc, const struct arm_l1 *owner,
                            unsigned src, vaddr_t va, struct pmap_pte *pte)
{
    if (uvmsim_arm_is_section(desc))
        return sect_decode(desc, sect_shadow_get(pmm, owner, src), va, pte);
    return uvmsim_arm_l2_lookup(pmm, desc, va, pte);
}

/* AP for all four subpages: user RW when writable, else user read-only (reads and
 * fetches; the shadow entry decides EXEC). */
static uint32_t ap_of(vm_prot_t prot)
{
    return (prot & UVMSIM_PROT_WRITE) ? ARM_AP_USER_RW : ARM_AP_USER_RO;
}

static uint32_t ap_bits(vm_prot_t prot)
{
    uint32_t ap = ap_of(prot);
    return ap << L2_AP_SHIFT | ap << (L2_AP_SHIFT + 2) | ap << (L2_AP_SHIFT + 4) | ap << (L2_AP_SHIFT + 6);
}

static uint32_t hw_small(paddr_t pa, vm_prot_t prot)
{
    /* Every page is cacheable write-back (C|B), device pages too: NOR is read-only, and
     * the XIP design maps it cacheable. */
    return (uint32_t)pa | ap_bits(prot) | L2_CACHEABLE | L2_BUFFERABLE | L2_TYPE_SMALL;
}

static uint32_t hw_large(paddr_t pa, vm_prot_t prot)
{
    return ((uint32_t)pa & L2_LARGE_BASE) | ap_bits(prot) | L2_CACHEABLE | L2_BUFFERABLE | L2_TYPE_LARGE;
}

static uint32_t hw_section(paddr_t pa, vm_prot_t prot)
{
    return ((uint32_t)pa & L1_SECT_BASE) | ap_of(prot) << L1_SECT_AP_SHIFT | ARM_DOMAIN_USER << L1_DOMAIN_SHIFT |
           L1_SECT_BIT4 | L1_SECT_C | L1_SECT_B | L1_TYPE_SECTION;
}

static uint32_t shadow(vm_prot_t prot, unsigned flags)
{
    uint32_t sh = SH_VALID | (uint32_t)prot << SH_PROT_SHIFT;
    if (flags & PMAP_WIRED)
        sh |= SH_WIRED;
    if (flags & PMAP_DEVICE)
        sh |= SH_DEVICE;
    return sh;
}

/* The coarse table of first-level entry idx, made when missing (ENOMEM: nothing made). */
static uint8_t *coarse_get(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, unsigned idx,
                           uint32_t *descp, struct arm_pt_result *r)
{
    uint32_t desc = uvmsim_arm_l1_get(pmm, l1, idx);
    uint8_t *t = coarse_of(pmm, desc);
    if (t == NULL) {
        struct vm_page *pg = uvmsim_pagealloc(pmm->m, PGO_PTP, true);
        if (pg == NULL)
            return NULL;
        pg->offset = 0;
        paddr_t tpa = uvmsim_vm_page_to_phys(pmm->m, pg);
        desc = (uint32_t)tpa | ARM_DOMAIN_USER << L1_DOMAIN_SHIFT | L1_TYPE_COARSE;
        uvmsim_arm_l1_set(pmm, l1, idx, desc);
        (*ptp_pages)++;
        r->table_added = true;
        t = coarse_of(pmm, desc);
    }
    *descp = desc;
    return t;
}

int uvmsim_arm_pt_enter(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, vaddr_t va,
                        paddr_t pa, vm_prot_t prot, unsigned flags, struct arm_pt_result *r)
{
    memset(r, 0, sizeof(*r));
    if (va >= ARM_VA_END || pa >= ARM_PA_END)
        return UVMSIM_ERANGE;
    unsigned idx = (unsigned)(va >> ARM_SECTION_SHIFT);
    if (uvmsim_arm_is_section(uvmsim_arm_l1_get(pmm, l1, idx)))
        return UVMSIM_EBUSY;           /* the common layer demotes first: a bug */
    uint32_t desc;
    uint8_t *t = coarse_get(pmm, l1, ptp_pages, idx, &desc, r);
    if (t == NULL)
        return UVMSIM_ENOMEM;
    unsigned i = l2_index(va);
    r->was_valid = l2_decode(t, i, 0, &r->old);
    if (r->was_valid && r->old.lshift != 0)
        return UVMSIM_EBUSY;           /* likewise: one copy of a large page */
    uvmsim_arm_wr32(t + (size_t)i * 4, hw_small(pa, prot));
    uvmsim_arm_wr32(t + ARM_L2_SHADOW_OFF + (size_t)i * 4, shadow(prot, flags));
    if (!r->was_valid)
        uvmsim_phys_to_vm_page(pmm->m, desc & L1_COARSE_BASE)->offset++;
    return UVMSIM_OK;
}

/* The section shadow page exists (made now if not: ENOMEM). */
static int sect_shadow_need(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages)
{
    if (l1->sect_shadow != 0)
        return UVMSIM_OK;
    struct vm_page *pg = uvmsim_pagealloc(pmm->m, PGO_PTP, true);
    if (pg == NULL)
        return UVMSIM_ENOMEM;
    pg->offset = 0;
    l1->sect_shadow = uvmsim_vm_page_to_phys(pmm->m, pg);
    (*ptp_pages)++;
    return UVMSIM_OK;
}

/* A section went away from index idx: its shadow byte, and the page with the last. */
static void sect_gone(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, unsigned idx)
{
    sect_shadow_set(pmm, l1, idx, 0);
    if (--l1->nsections == 0) {
        uvmsim_pagefree(pmm->m, uvmsim_phys_to_vm_page(pmm->m, l1->sect_shadow));
        l1->sect_shadow = 0;
        (*ptp_pages)--;
    }
}

int uvmsim_arm_pt_enter_large(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, vaddr_t va,
                              paddr_t pa, unsigned lshift, vm_prot_t prot, unsigned flags, struct arm_pt_result *r)
{
    memset(r, 0, sizeof(*r));
    if (va >= ARM_VA_END || pa >= ARM_PA_END)
        return UVMSIM_ERANGE;
    unsigned idx = (unsigned)(va >> ARM_SECTION_SHIFT);
    uint32_t sh = shadow(prot, flags);
    if (lshift == ARM_SECTION_LSHIFT) {
        int err = sect_shadow_need(pmm, l1, ptp_pages);
        if (err != UVMSIM_OK)
            return err;
        uint32_t old = uvmsim_arm_l1_get(pmm, l1, idx);
        uint8_t *t = coarse_of(pmm, old);
        if (uvmsim_arm_is_section(old)) {
            r->was_valid = sect_decode(old, sect_shadow_get(pmm, l1, idx), va, &r->old);
            r->replaced[0] = 1;                        /* the section itself */
        } else if (t != NULL) {
            /* a promotion: the table's translations (pages of this very range) go with it */
            struct pmap_pte pte;
            for (unsigned i = 0; i < ARM_L2_ENTRIES; i++)
                if (l2_decode(t, i, 0, &pte) && (pte.lshift == 0 || i % (1u << ARM_LARGE_LSHIFT) == 0))
                    r->replaced[i / 64] |= 1ull << (i % 64);   /* a large page: its first copy */
            uvmsim_pagefree(pmm->m, uvmsim_phys_to_vm_page(pmm->m, old & L1_COARSE_BASE));
            (*ptp_pages)--;
            r->table_freed = true;
        }
        if (!uvmsim_arm_is_section(old))
            l1->nsections++;
        uvmsim_arm_l1_set(pmm, l1, idx, hw_section(pa, prot));
        sect_shadow_set(pmm, l1, idx, (uint8_t)sh);
        r->l1_changed = true;
        return UVMSIM_OK;
    }
    if (uvmsim_arm_is_section(uvmsim_arm_l1_get(pmm, l1, idx)))
        return UVMSIM_EBUSY;
    uint32_t desc;
    uint8_t *t = coarse_get(pmm, l1, ptp_pages, idx, &desc, r);
    if (t == NULL)
        return UVMSIM_ENOMEM;
    unsigned i0 = l2_index(va), n = 1u << ARM_LARGE_LSHIFT, had = 0;
    for (unsigned i = 0; i < n; i++) {
        struct pmap_pte pte;
        if (l2_decode(t, i0 + i, 0, &pte)) {
            had++;
            if (pte.lshift == 0 || i == 0)
                r->replaced[0] |= 1ull << i;       /* this very large page: once */
            r->was_valid = true;
        }
        uvmsim_arm_wr32(t + (size_t)(i0 + i) * 4, hw_large(pa, prot));
        uvmsim_arm_wr32(t + ARM_L2_SHADOW_OFF + (size_t)(i0 + i) * 4, sh | SH_LARGE);
    }
    uvmsim_phys_to_vm_page(pmm->m, desc & L1_COARSE_BASE)->offset += n - had;
    return UVMSIM_OK;
}

int uvmsim_arm_pt_demote(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, vaddr_t va,
                         struct arm_pt_result *r)
{
    memset(r, 0, sizeof(*r));
    if (va >= ARM_VA_END || !uvmsim_arm_pt_walk(pmm, l1, va, &r->old) || r->old.lshift == 0)
        return UVMSIM_EINVAL;
    r->was_valid = true;
    unsigned idx = (unsigned)(va >> ARM_SECTION_SHIFT);
    uint32_t desc = uvmsim_arm_l1_get(pmm, l1, idx);
    if (r->old.lshift == ARM_SECTION_LSHIFT) {
        uint8_t sh = sect_shadow_get(pmm, l1, idx);
        struct vm_page *pg = uvmsim_pagealloc(pmm->m, PGO_PTP, true);
        if (pg == NULL)
            return UVMSIM_ENOMEM;
        paddr_t tpa = uvmsim_vm_page_to_phys(pmm->m, pg);
        uint8_t *t = uvmsim_phys_ptr(pmm->m, tpa, ARM_PAGE_SIZE);
        for (unsigned i = 0; i < ARM_L2_ENTRIES; i++) {
            uvmsim_arm_wr32(t + (size_t)i * 4, hw_small((desc & L1_SECT_BASE) + ((paddr_t)i << ARM_PAGE_SHIFT), r->old.prot));
            uvmsim_arm_wr32(t + ARM_L2_SHADOW_OFF + (size_t)i * 4, sh);
        }
        pg->offset = ARM_L2_ENTRIES;
        (*ptp_pages)++;
        uvmsim_arm_l1_set(pmm, l1, idx, (uint32_t)tpa | ARM_DOMAIN_USER << L1_DOMAIN_SHIFT | L1_TYPE_COARSE);
        sect_gone(pmm, l1, ptp_pages, idx);
        r->table_added = true;
        r->l1_changed = true;
        return UVMSIM_OK;
    }
    uint8_t *t = coarse_of(pmm, desc);
    unsigned i0 = l2_index(va) & ~((1u << ARM_LARGE_LSHIFT) - 1);
    uint32_t hw = uvmsim_arm_rd32(t + (size_t)i0 * 4);
    uint32_t sh = uvmsim_arm_rd32(t + ARM_L2_SHADOW_OFF + (size_t)i0 * 4) & ~SH_LARGE;
    for (unsigned i = 0; i < (1u << ARM_LARGE_LSHIFT); i++) {
        uvmsim_arm_wr32(t + (size_t)(i0 + i) * 4, hw_small((hw & L2_LARGE_BASE) + ((paddr_t)i << ARM_PAGE_SHIFT), r->old.prot));
        uvmsim_arm_wr32(t + ARM_L2_SHADOW_OFF + (size_t)(i0 + i) * 4, sh);
    }
    return UVMSIM_OK;
}

void uvmsim_arm_pt_remove(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, vaddr_t va,
                          struct arm_pt_result *r)
{
    memset(r, 0, sizeof(*r));
    if (va >= ARM_VA_END)
        return;
    unsigned idx = (unsigned)(va >> ARM_SECTION_SHIFT);
    uint32_t desc = uvmsim_arm_l1_get(pmm, l1, idx);
    if (uvmsim_arm_is_section(desc)) {
        if (!sect_decode(desc, sect_shadow_get(pmm, l1, idx), va, &r->old))
            return;
        r->old.pa = desc & L1_SECT_BASE;
        r->was_valid = true;
        uvmsim_arm_l1_set(pmm, l1, idx, 0);
        sect_gone(pmm, l1, ptp_pages, idx);
        r->l1_changed = true;
        return;
    }
    uint8_t *t = coarse_of(pmm, desc);
    if (t == NULL)
        return;
    unsigned i = l2_index(va);
    if (!l2_decode(t, i, 0, &r->old))
        return;
    r->was_valid = true;
    unsigned n = 1u << r->old.lshift;                       /* a large page: its 16 copies */
    i &= ~(n - 1);
    r->old.pa &= ~(((paddr_t)n << ARM_PAGE_SHIFT) - 1);
    for (unsigned k = 0; k < n; k++) {
        uvmsim_arm_wr32(t + (size_t)(i + k) * 4, 0);
        uvmsim_arm_wr32(t + ARM_L2_SHADOW_OFF + (size_t)(i + k) * 4, 0);
    }
    struct vm_page *pg = uvmsim_phys_to_vm_page(pmm->m, desc & L1_COARSE_BASE);
    pg->offset -= n;
    if (pg->offset == 0) {
        uvmsim_pagefree(pmm->m, pg);
        uvmsim_arm_l1_set(pmm, l1, idx, 0);
        (*ptp_pages)--;
        r->table_freed = true;
        r->l1_changed = true;
    }
}

void uvmsim_arm_pt_protect(struct pmap_machine *pmm, struct arm_l1 *l1, vaddr_t va, vm_prot_t prot,
                           struct arm_pt_result *r)
{
    memset(r, 0, sizeof(*r));
    if (va >= ARM_VA_END)
        return;
    unsigned idx = (unsigned)(va >> ARM_SECTION_SHIFT);
    uint32_t desc = uvmsim_arm_l1_get(pmm, l1, idx);
    if (uvmsim_arm_is_section(desc)) {
        uint8_t sh = sect_shadow_get(pmm, l1, idx);
        if (!sect_decode(desc, sh, va, &r->old))
            return;
        r->was_valid = true;
        vm_prot_t np = r->old.prot & prot;
        sh = (uint8_t)((sh & ~((uint32_t)UVMSIM_PROT_ALL << SH_PROT_SHIFT)) | (uint32_t)np << SH_PROT_SHIFT);
        uvmsim_arm_l1_set(pmm, l1, idx, hw_section(desc & L1_SECT_BASE, np));
        sect_shadow_set(pmm, l1, idx, sh);
        r->l1_changed = true;
        return;
    }
    uint8_t *t = coarse_of(pmm, desc);
    unsigned i = l2_index(va);
    if (t == NULL || !l2_decode(t, i, 0, &r->old))
        return;
    r->was_valid = true;
    vm_prot_t np = r->old.prot & prot;
    unsigned n = 1u << r->old.lshift;
    i &= ~(n - 1);
    for (unsigned k = 0; k < n; k++) {
        uint32_t sh = uvmsim_arm_rd32(t + ARM_L2_SHADOW_OFF + (size_t)(i + k) * 4);
        uint32_t hw = uvmsim_arm_rd32(t + (size_t)(i + k) * 4);
        sh = (sh & ~((uint32_t)UVMSIM_PROT_ALL << SH_PROT_SHIFT)) | (uint32_t)np << SH_PROT_SHIFT;
        uvmsim_arm_wr32(t + (size_t)(i + k) * 4, r->old.lshift ? hw_large(hw & L2_LARGE_BASE, np) : hw_small(r->old.pa, np));
        uvmsim_arm_wr32(t + ARM_L2_SHADOW_OFF + (size_t)(i + k) * 4, sh);
    }
}

bool uvmsim_arm_pt_walk(const struct pmap_machine *pmm, const struct arm_l1 *l1, vaddr_t va, struct pmap_pte *pte)
{
    pte_clear(pte);
    if (va >= ARM_VA_END)
        return false;
    unsigned idx = (unsigned)(va >> ARM_SECTION_SHIFT);
    return uvmsim_arm_desc_lookup(pmm, uvmsim_arm_l1_get(pmm, l1, idx), l1, idx, va, pte);
}

bool uvmsim_arm_pt_next_valid(const struct pmap_machine *pmm, const struct arm_l1 *l1, vaddr_t sva, vaddr_t eva,
                              vaddr_t *va, struct pmap_pte *pte)
{
    if (eva > ARM_VA_END)
        eva = ARM_VA_END;
    for (vaddr_t at = sva & ~(vaddr_t)(ARM_PAGE_SIZE - 1); at < eva;) {
        unsigned idx = uvmsim_arm_l1_next(l1, (unsigned)(at >> ARM_SECTION_SHIFT));
        if (idx == ARM_L1_ENTRIES)
            return false;
        if ((vaddr_t)idx << ARM_SECTION_SHIFT > at)
            at = (vaddr_t)idx << ARM_SECTION_SHIFT;     /* absent regions skipped wholesale */
        if (at >= eva)
            return false;                               /* the next table is past the range */
        uint32_t desc = uvmsim_arm_l1_get(pmm, l1, idx);
        vaddr_t sec = (vaddr_t)idx << ARM_SECTION_SHIFT;
        if (uvmsim_arm_is_section(desc) && sect_decode(desc, sect_shadow_get(pmm, l1, idx), sec, pte)) {
            *va = sec;                                  /* the whole section */
            return true;
        }
        const uint8_t *t = coarse_of(pmm, desc);
        vaddr_t next_sec = (at | (ARM_SECTION_SIZE - 1)) + 1;
        if (t != NULL) {
            for (; at < next_sec && at < eva; at += ARM_PAGE_SIZE) {
                if (l2_decode(t, l2_index(at), (desc & L1_DOMAIN_MASK) >> L1_DOMAIN_SHIFT, pte)) {
                    vaddr_t first = at & ~((((vaddr_t)1 << pte->lshift) << ARM_PAGE_SHIFT) - 1);
                    pte->pa -= at - first;              /* a large page: its first page */
                    *va = first;
                    return true;
                }
            }
        }
        at = next_sec;
    }
    return false;
}

void uvmsim_arm_pt_free(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages)
{
    for (unsigned idx = uvmsim_arm_l1_next(l1, 0); idx < ARM_L1_ENTRIES; idx = uvmsim_arm_l1_next(l1, idx + 1)) {
        uint32_t desc = uvmsim_arm_l1_get(pmm, l1, idx);
        uvmsim_arm_l1_set(pmm, l1, idx, 0);
        if (uvmsim_arm_is_section(desc))
            sect_gone(pmm, l1, ptp_pages, idx);
        if (coarse_of(pmm, desc) == NULL)
            continue;
        uvmsim_pagefree(pmm->m, uvmsim_phys_to_vm_page(pmm->m, desc & L1_COARSE_BASE));
        (*ptp_pages)--;
    }
    uvmsim_arm_l1_free(pmm, l1);
    *ptp_pages -= ARM_L1_PAGES;
}

static int bad(char *msg, size_t len, const char *fmt, int pid, unsigned long long x, unsigned long long y)
{
    snprintf(msg, len, fmt, pid, x, y);
    return UVMSIM_ESTATE;
}

/* Does the presence summary say descriptors [idx, idx+n) are all zero? (n a multiple of 64) */
static bool summary_empty(const struct arm_l1 *l1, unsigned idx, unsigned n)
{
    for (unsigned w = idx / 64; w < (idx + n) / 64; w++)
        if (l1->present[w])
            return false;
    return true;
}

int uvmsim_arm_pt_check(const struct pmap_machine *pmm, const struct arm_l1 *l1, int pid,
                        uint64_t *ntables, char *msg, size_t len)
{
    *ntables = 0;
    for (unsigned i = 0; i < ARM_L1_PAGES; i++) {
        const struct vm_page *pg = uvmsim_phys_to_vm_page(pmm->m, l1->frame[i]);
        if (pg == NULL || pg->owner != PGO_PTP)
            return bad(msg, len, "arm: pid %d first-level frame %llu (%#llx) is not a PTP page", pid, i,
                       (unsigned long long)l1->frame[i]);
        (*ntables)++;
    }
    const uint8_t *fptr = NULL;
    const uint8_t *zero = uvmsim_phys_ptr(pmm->m, pmm->m->zero_pa, ARM_PAGE_SIZE);
    unsigned long long nsect = 0;
    for (unsigned idx = 0; idx < ARM_L1_ENTRIES; idx++) {
        if (idx % ARM_L1_PER_PAGE == 0 && summary_empty(l1, idx, ARM_L1_PER_PAGE) &&
            memcmp(uvmsim_phys_ptr(pmm->m, l1->frame[idx / ARM_L1_PER_PAGE], ARM_PAGE_SIZE), zero,
                   ARM_PAGE_SIZE) == 0) {
            /* A first-level page with nothing present, as the summary says: one compare
             * with the zero page instead of 1024 descriptor checks. */
            idx += ARM_L1_PER_PAGE - 1;
            fptr = NULL;
            continue;
        }
        uint32_t desc = uvmsim_arm_l1_raw(pmm, l1, idx, &fptr);
        if ((desc != 0) != ((l1->present[idx / 64] >> (idx % 64)) & 1))
            return bad(msg, len, "arm: pid %d L1 entry %llu (%#llx) disagrees with the presence summary",
                       pid, idx, desc);
        if (desc == 0)
            continue;
        if (uvmsim_arm_is_section(desc)) {
            /* a section: the real format, its shadow byte agreeing, device memory */
            uint8_t sh = sect_shadow_get(pmm, l1, idx);
            vm_prot_t prot = (vm_prot_t)((sh >> SH_PROT_SHIFT) & UVMSIM_PROT_ALL);
            const struct vm_physseg *seg = uvmsim_phys_lookup(pmm->m, desc & L1_SECT_BASE);
            if (!(sh & SH_VALID) || (sh & SH_LARGE) || prot == UVMSIM_PROT_NONE ||
                desc != hw_section(desc & L1_SECT_BASE, prot))
                return bad(msg, len, "arm: pid %d section of L1 entry %llu (%#llx) disagrees with its shadow", pid,
                           idx, desc);
            if (seg == NULL || seg->kind != UVMSIM_SEG_DEVICE || seg->end - (desc & L1_SECT_BASE) < ARM_SECTION_SIZE)
                return bad(msg, len, "arm: pid %d section of L1 entry %llu (%#llx) maps no 1 MiB of device memory",
                           pid, idx, desc);
            nsect++;
            continue;
        }
        if (l1->sect_shadow != 0 && sect_shadow_get(pmm, l1, idx) != 0)
            return bad(msg, len, "arm: pid %d L1 entry %llu (%#llx) is no section but has a section shadow", pid,
                       idx, desc);
        const struct vm_page *pg = uvmsim_phys_to_vm_page(pmm->m, desc & L1_COARSE_BASE);
        if ((desc & L1_TYPE_MASK) != L1_TYPE_COARSE || pg == NULL || pg->owner != PGO_PTP ||
            (desc & ~L1_COARSE_BASE) != (ARM_DOMAIN_USER << L1_DOMAIN_SHIFT | L1_TYPE_COARSE))
            return bad(msg, len, "arm: pid %d L1 entry %llu (%#llx) is not a coarse table in RAM", pid, idx, desc);
        (*ntables)++;
        const uint8_t *t = coarse_of(pmm, desc);
        uint64_t used = 0;
        for (unsigned i = 0; i < ARM_L2_ENTRIES; i++) {
            uint32_t hw = uvmsim_arm_rd32(t + (size_t)i * 4), sh = uvmsim_arm_rd32(t + ARM_L2_SHADOW_OFF + (size_t)i * 4);
            if (hw == 0 && sh == 0)
                continue;
            vm_prot_t prot = (vm_prot_t)((sh >> SH_PROT_SHIFT) & UVMSIM_PROT_ALL);
            vaddr_t va = ((vaddr_t)idx << ARM_SECTION_SHIFT) | ((vaddr_t)i << ARM_PAGE_SHIFT);
            bool large = (sh & SH_LARGE) != 0;
            paddr_t frame = large ? hw & L2_LARGE_BASE : hw & L2_FRAME;
            if (!(sh & SH_VALID) || prot == UVMSIM_PROT_NONE ||
                hw != (large ? hw_large(frame, prot) : hw_small(frame, prot)))
                return bad(msg, len, "arm: pid %d va %#llx: hardware entry %#llx disagrees with its shadow",
                           pid, (unsigned long long)va, hw);
            if (large) {
                /* the 16 copies: the first at a multiple of 16, the others equal to it */
                unsigned i0 = i & ~((1u << ARM_LARGE_LSHIFT) - 1);
                const struct vm_physseg *seg = uvmsim_phys_lookup(pmm->m, frame);
                if (uvmsim_arm_rd32(t + (size_t)i0 * 4) != hw || uvmsim_arm_rd32(t + ARM_L2_SHADOW_OFF + (size_t)i0 * 4) != sh)
                    return bad(msg, len, "arm: pid %d va %#llx: a copy of a large-page entry differs from the "
                               "first (%#llx)", pid, (unsigned long long)va, hw);
                if (seg == NULL || seg->kind != UVMSIM_SEG_DEVICE || seg->end - frame < (1ull << ARM_LARGE_SHIFT))
                    return bad(msg, len, "arm: pid %d va %#llx: large page %#llx is not 64 KiB of device memory",
                               pid, (unsigned long long)va, frame);
            }
            if (uvmsim_phys_lookup(pmm->m, frame) == NULL)
                return bad(msg, len, "arm: pid %d va %#llx maps %#llx, in no segment", pid,
                           (unsigned long long)va, frame);
            used++;
        }
        if (used == 0 || used != pg->offset)
            return bad(msg, len, "arm: pid %d coarse table of L1 entry %llu has %llu entries, count says "
                       "otherwise", pid, idx, used);
    }
    if (nsect != l1->nsections || (nsect != 0) != (l1->sect_shadow != 0))
        return bad(msg, len, "arm: pid %d has %llu sections, count says %llu (or a section shadow page "
                   "without sections)", pid, nsect, l1->nsections);
    if (l1->sect_shadow != 0) {
        const struct vm_page *sp = uvmsim_phys_to_vm_page(pmm->m, l1->sect_shadow);
        if (sp == NULL || sp->owner != PGO_PTP)
            return bad(msg, len, "arm: pid %d section shadow %#llx is not a PTP page%.0llu", pid,
                       (unsigned long long)l1->sect_shadow, 0);
        const uint8_t *shp = uvmsim_phys_ptr(pmm->m, l1->sect_shadow, ARM_PAGE_SIZE);
        unsigned long long used = 0;
        for (unsigned idx = 0; idx < ARM_L1_ENTRIES; idx++)
            used += shp[idx] != 0;
        if (used != nsect)
            return bad(msg, len, "arm: pid %d has %llu section shadow entries for %llu sections", pid, used, nsect);
        (*ntables)++;
    }
    return UVMSIM_OK;
}

/* ---- machine set-up ---- */

static bool tlb_cfg_eq(const uvmsim_tlb_config *a, const uvmsim_tlb_config *b)
{
    return a->entries == b->entries && a->ways == b->ways && a->repl == b->repl && a->split == b->split;
}

int uvmsim_arm_config_check(const uvmsim_machine_config *c, char *why, size_t whylen)
{
    if (c->page_size != ARM_PAGE_SIZE) {
        if (why && whylen)
            snprintf(why, whylen, "the ARM backends model 4 KiB small pages only (page size %zu asked)",
                     c->page_size);
        return UVMSIM_EINVAL;
    }
    /* A 32-bit MMU cannot reach RAM or a NOR window above 4 GiB. */
    if (c->ram_base + c->ram_size > ARM_PA_END || c->nor_base + c->nor_size > ARM_PA_END) {
        if (why && whylen)
            snprintf(why, whylen, "the ARM backends have a 32-bit physical address space: RAM [0x%llx, 0x%llx) "
                     "and the NOR window [0x%llx, 0x%llx) must end at or below 4 GiB",
                     (unsigned long long)c->ram_base, (unsigned long long)(c->ram_base + c->ram_size),
                     (unsigned long long)c->nor_base, (unsigned long long)(c->nor_base + c->nor_size));
        return UVMSIM_ERANGE;
    }
    return UVMSIM_OK;
}

int uvmsim_arm_machine_setup(struct pmap_machine *pmm)
{
    struct uvmsim_machine *m = pmm->m;
    int err = uvmsim_arm_config_check(&m->cfg, NULL, 0);
    if (err)
        return err;
    uvmsim_machine_config def;
    uvmsim_machine_config_init(&def);
    if (tlb_cfg_eq(&m->cfg.tlb, &def.tlb)) {
        /* The default TLB is the generic model's; an ARM machine gets the StrongARM
         * SA-1100's instead: 32-entry I and D TLBs, fully associative, round robin. */
        uvmsim_tlb_config sa = {.entries = 32, .ways = 0, .repl = UVMSIM_TLB_FIFO, .split = true};
        struct tlb *it = uvmsim_tlb_create(m, &sa, "itlb");
        struct tlb *dt = uvmsim_tlb_create(m, &sa, "dtlb");
        if (it == NULL || dt == NULL) {
            uvmsim_tlb_destroy(it);
            uvmsim_tlb_destroy(dt);
            return UVMSIM_ENOHOST;
        }
        uvmsim_tlb_destroy(pmm->itlb);
        uvmsim_tlb_destroy(pmm->dtlb);
        pmm->itlb = it;
        pmm->dtlb = dt;
        m->cfg.tlb = sa;          /* the machine reports the TLB it really has */
    }
    pmm->va_end = ARM_VA_END;
    /* large mappings: 1 MiB sections and 64 KiB large pages (docs/superpages.md) */
    pmm->large_lshift[0] = ARM_SECTION_LSHIFT;
    pmm->large_lshift[1] = ARM_LARGE_LSHIFT;
    pmm->nlarge_sizes = 2;
    return UVMSIM_OK;
}

/* ---- TLB helpers ---- */

uint64_t uvmsim_arm_tlb_flush_all(struct pmap_machine *pmm, const char *why)
{
    uint64_t before = uvmsim_tlb_stats_of(pmm->dtlb)->entries_flushed;
    uvmsim_tlb_flush_all(pmm->dtlb, why);
    uint64_t n = uvmsim_tlb_stats_of(pmm->dtlb)->entries_flushed - before;
    if (pmm->itlb != NULL) {
        before = uvmsim_tlb_stats_of(pmm->itlb)->entries_flushed;
        uvmsim_tlb_flush_all(pmm->itlb, why);
        n += uvmsim_tlb_stats_of(pmm->itlb)->entries_flushed - before;
    }
    return n;
}

struct range_pick {
    vaddr_t lo, hi;           /* vpn range [lo, hi) */
    vaddr_t vpn[64];
    unsigned n;
    bool more;                /* more matches than vpn[] holds: call again */
};

static void pick_in_range(const struct tlb_entry *e, void *arg)
{
    struct range_pick *r = arg;
    if (e->vpn >= r->hi || e->vpn + ((vaddr_t)1 << e->lshift) <= r->lo)
        return;                   /* covers no page of the range */
    if (r->n < sizeof(r->vpn) / sizeof(r->vpn[0]))
        r->vpn[r->n++] = e->vpn;
    else
        r->more = true;
}

static uint64_t flush_range_one(struct tlb *t, vaddr_t lo, vaddr_t hi)
{
    uint64_t n = 0;
    struct range_pick r;
    do {
        r.lo = lo;
        r.hi = hi;
        r.n = 0;
        r.more = false;
        uvmsim_tlb_foreach(t, pick_in_range, &r);
        /* ARM TLB entries carry no ASID: the FCSE-modified va is the whole tag. */
        for (unsigned i = 0; i < r.n; i++)
            uvmsim_tlb_invalidate(t, 0, r.vpn[i]);
        n += r.n;
    } while (r.more);
    return n;
}

uint64_t uvmsim_arm_tlb_flush_range(struct pmap_machine *pmm, vaddr_t base, uint64_t size)
{
    vaddr_t lo = base >> ARM_PAGE_SHIFT, hi = (base + size) >> ARM_PAGE_SHIFT;
    uint64_t n = flush_range_one(pmm->dtlb, lo, hi);
    if (pmm->itlb != NULL)
        n += flush_range_one(pmm->itlb, lo, hi);
    return n;
}

void uvmsim_arm_tlb_inval(struct pmap_machine *pmm, vaddr_t mva)
{
    uvmsim_tlb_invalidate(pmm->dtlb, 0, mva >> ARM_PAGE_SHIFT);
    if (pmm->itlb != NULL)
        uvmsim_tlb_invalidate(pmm->itlb, 0, mva >> ARM_PAGE_SHIFT);
}

/* ---- cache and events ---- */

void uvmsim_arm_cache_op(struct pmap_machine *pmm, const char *extent, const char *why, vaddr_t va,
                         bool clean, bool flush)
{
    if (strcmp(extent, "page") == 0) {
        pmm->st.cache_page_ops++;
    } else {
        pmm->st.cache_cleans += clean;
        pmm->st.cache_flushes += flush;
    }
    if (uvmsim_tracing(pmm->m)) {
        uvmsim_event ev = {.type = UVMSIM_EV_CACHE, .va = va, .step = extent, .text = why,
                           .a = clean, .b = flush};
        uvmsim_emit(pmm->m, &ev);
    }
}

void uvmsim_arm_event(struct pmap_machine *pmm, int pid, const char *tag, vaddr_t va, uint64_t a, uint64_t b,
                      const char *text)
{
    if (!uvmsim_tracing(pmm->m))
        return;
    uvmsim_event ev = {.type = UVMSIM_EV_PMAP, .pid = pid, .va = va, .step = tag, .text = text,
                       .a = a, .b = b};
    uvmsim_emit(pmm->m, &ev);
}

/* ---- ops shared by the ARM backends (pm->be begins with its struct arm_l1) ---- */

static struct arm_l1 *pm_l1(struct pmap *pm) { return pm->be; }

bool uvmsim_arm_op_walk(struct pmap *pm, vaddr_t va, struct pmap_pte *pte)
{
    return uvmsim_arm_pt_walk(pm->pmm, pm_l1(pm), va, pte);
}

bool uvmsim_arm_op_next_valid(struct pmap *pm, vaddr_t sva, vaddr_t eva, vaddr_t *va, struct pmap_pte *pte)
{
    return uvmsim_arm_pt_next_valid(pm->pmm, pm_l1(pm), sva, eva, va, pte);
}

void uvmsim_arm_op_protect(struct pmap *pm, vaddr_t va, vm_prot_t prot, arm_shootdown_fn shootdown,
                           struct arm_pt_result *r)
{
    uvmsim_arm_pt_protect(pm->pmm, pm_l1(pm), va, prot, r);
    if (r->was_valid)
        shootdown(pm, va, r->old.lshift, false, (r->old.prot & UVMSIM_PROT_WRITE) && !(prot & UVMSIM_PROT_WRITE));
}

int uvmsim_arm_op_enter_large(struct pmap *pm, vaddr_t va, paddr_t pa, unsigned lshift, vm_prot_t prot,
                              unsigned flags, arm_shootdown_fn shootdown, struct arm_pt_result *r)
{
    int err = uvmsim_arm_pt_enter_large(pm->pmm, pm_l1(pm), &pm->ptp_pages, va, pa, lshift, prot, flags, r);
    if (err != UVMSIM_OK)
        return err;
    /* The pages stay where they were (a promotion maps the same frames), so only the old
     * translations go: no cache maintenance beyond what losing write asks for. */
    for (unsigned i = 0; i < 256; i++)
        if ((r->replaced[i / 64] >> (i % 64)) & 1)
            shootdown(pm, va + ((vaddr_t)i << ARM_PAGE_SHIFT), 0, false, false);
    return UVMSIM_OK;
}

int uvmsim_arm_op_demote(struct pmap *pm, vaddr_t va, arm_shootdown_fn shootdown, struct arm_pt_result *r)
{
    int err = uvmsim_arm_pt_demote(pm->pmm, pm_l1(pm), &pm->ptp_pages, va, r);
    if (err == UVMSIM_OK)
        shootdown(pm, va, r->old.lshift, false, false);   /* the large TLB entry */
    return err;
}
