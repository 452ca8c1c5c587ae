/* uvmsim — anons and amaps: the upper layer of every private mapping.  An amap is an
 * array of anon slots shared, reference counted, by the map entries covering it; fork
 * shares it, the first write after fork copies it (amap_copy), and the fault handler
 * promotes anons that are still shared (see uvm_fault.c). */
#include <stdlib.h>
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

struct vm_anon *uvmsim_anon_alloc(struct uvmsim_machine *m, bool zero)
{
    struct vm_anon *an = calloc(1, sizeof(*an));
    if (an == NULL)
        return NULL;
    an->an_page = uvmsim_pagealloc(m, PGO_ANON, zero);
    if (an->an_page == NULL) {
        free(an);
        return NULL;
    }
    an->an_page->uanon = an;
    an->an_pa = uvmsim_vm_page_to_phys(m, an->an_page);
    an->an_ref = 1;
    m->vmstats.anons_live++;
    if (m->vmstats.anons_live > m->vmstats.anons_high)
        m->vmstats.anons_high = m->vmstats.anons_live;
    return an;
}

/* Free an anon whose last reference is gone: its page leaves every pmap first. */
void uvmsim_anon_free(struct uvmsim_machine *m, struct vm_anon *an)
{
    uvmsim_pmap_page_protect(m, an->an_pa, UVMSIM_PROT_NONE);
    uvmsim_pagefree(m, an->an_page);
    m->vmstats.anons_live--;
    free(an);
}

static void anon_unref(struct uvmsim_machine *m, struct vm_anon *an)
{
    if (--an->an_ref == 0)
        uvmsim_anon_free(m, an);
}

struct vm_amap *uvmsim_amap_alloc(struct uvmsim_machine *m, unsigned nslot)
{
    struct vm_amap *am = calloc(1, sizeof(*am));
    if (am == NULL)
        return NULL;
    am->am_anon = calloc(nslot ? nslot : 1, sizeof(*am->am_anon));
    am->am_ppref = calloc(nslot ? nslot : 1, sizeof(*am->am_ppref));
    if (am->am_anon == NULL || am->am_ppref == NULL) {
        free(am->am_anon);
        free(am->am_ppref);
        free(am);
        return NULL;
    }
    am->am_nslot = nslot;
    am->am_id = ++m->next_id;
    m->vmstats.amaps_live++;
    return am;
}

static void amap_free(struct uvmsim_machine *m, struct vm_amap *am)
{
    for (unsigned s = 0; s < am->am_nslot; s++)
        if (am->am_anon[s])
            anon_unref(m, am->am_anon[s]);
    free(am->am_anon);
    free(am->am_ppref);
    free(am);
    m->vmstats.amaps_live--;
}

static unsigned entry_npages(const struct uvmsim_machine *m, const struct vm_map_entry *e)
{
    return (unsigned)((e->end - e->start) >> m->page_shift);
}

struct vm_anon *uvmsim_amap_lookup(const struct uvmsim_machine *m, const struct vm_map_entry *e, vaddr_t va)
{
    if (e->amap == NULL)
        return NULL;
    return e->amap->am_anon[e->slotoff + ((va - e->start) >> m->page_shift)];
}

void uvmsim_amap_add(struct uvmsim_machine *m, struct vm_map_entry *e, vaddr_t va, struct vm_anon *an)
{
    struct vm_amap *am = e->amap;
    unsigned slot = e->slotoff + (unsigned)((va - e->start) >> m->page_shift);
    struct vm_anon *old = am->am_anon[slot];
    am->am_anon[slot] = an;
    if (old == NULL) {
        am->am_nused++;
        return;
    }
    /* Other entries sharing this amap may still map the old anon's page: make them
     * fault again so they find the new anon (NetBSD's amap_add with replace). */
    if (am->am_flags & AMAP_SHARED)
        uvmsim_pmap_page_protect(m, old->an_pa, UVMSIM_PROT_NONE);
    anon_unref(m, old);
}

/* The entry starts covering its slots (new entry, fork share). */
void uvmsim_amap_ref(struct uvmsim_machine *m, struct vm_map_entry *e)
{
    struct vm_amap *am = e->amap;
    unsigned n = entry_npages(m, e);
    am->am_ref++;
    for (unsigned i = 0; i < n; i++)
        am->am_ppref[e->slotoff + i]++;
}

/* Drop one entry's coverage of slots [s0, s0+n): a slot nobody covers loses its anon,
 * which is how unmapping part of a shared amap frees exactly the unmapped pages. */
static void ppref_drop(struct uvmsim_machine *m, struct vm_amap *am, unsigned s0, unsigned n)
{
    for (unsigned s = s0; s < s0 + n; s++) {
        if (--am->am_ppref[s] == 0 && am->am_anon[s] != NULL) {
            struct vm_anon *an = am->am_anon[s];
            am->am_anon[s] = NULL;
            am->am_nused--;
            anon_unref(m, an);
        }
    }
}

void uvmsim_amap_unref(struct uvmsim_machine *m, struct vm_map_entry *e)
{
    struct vm_amap *am = e->amap;
    if (am == NULL)
        return;
    e->amap = NULL;
    ppref_drop(m, am, e->slotoff, entry_npages(m, e));
    if (--am->am_ref == 0)
        amap_free(m, am);
}

void uvmsim_amap_unref_range(struct uvmsim_machine *m, struct vm_map_entry *e, vaddr_t start, vaddr_t end)
{
    struct vm_amap *am = e->amap;
    if (am == NULL)
        return;
    unsigned first = e->slotoff + (unsigned)((start - e->start) >> m->page_shift);
    unsigned n = (unsigned)((end - start) >> m->page_shift);
    ppref_drop(m, am, first, n);
}

/* amap_copy: clear needs-copy on e.
 * => entry is copy-on-write with NEEDSCOPY set.
 * 1. no amap yet: allocate a fresh one covering the entry (first private fault).
 * 2. amap referenced by this entry alone: nothing to copy, just clear the flag.
 * 3. otherwise: a new amap holds the entry's slots, each anon gaining a reference,
 *    and the entry drops its reference on the old amap.
 * <= e->amap is referenced by e alone (am_ref == 1), NEEDSCOPY clear. */
int uvmsim_amap_copy(struct uvmsim_machine *m, struct vm_map_entry *e, bool *copied)
{
    unsigned n = entry_npages(m, e);
    *copied = false;
    if (e->amap != NULL && e->amap->am_ref == 1) {
        e->etype &= ~UVM_ET_NEEDSCOPY;
        return UVMSIM_OK;
    }
    struct vm_amap *nam = uvmsim_amap_alloc(m, n);
    if (nam == NULL)
        return UVMSIM_ENOHOST;
    struct vm_amap *old = e->amap;
    if (old != NULL) {
        for (unsigned i = 0; i < n; i++) {
            struct vm_anon *an = old->am_anon[e->slotoff + i];
            if (an == NULL)
                continue;
            an->an_ref++;
            nam->am_anon[i] = an;
            nam->am_nused++;
            /* A shared amap's sharers may hold writable mappings of this anon; now that
             * a second amap references it, nobody may write it without a fault. */
            if (old->am_flags & AMAP_SHARED)
                uvmsim_pmap_page_protect(m, an->an_pa, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC);
        }
        uvmsim_amap_unref(m, e);
        *copied = true;
        m->vmstats.amap_copies++;
    }
    e->amap = nam;
    e->slotoff = 0;
    uvmsim_amap_ref(m, e);
    e->etype &= ~UVM_ET_NEEDSCOPY;
    return UVMSIM_OK;
}
