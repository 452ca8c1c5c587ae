/* uvmsim — anons and amaps: the upper layer of every private mapping and of shared
 * anonymous memory.  An amap is an array of anon slots shared, reference counted, by the
 * map entries covering it; fork shares it, the first write after fork copies it
 * (amap_copy), and the fault handler promotes anons that are still shared (see
 * uvm_fault.c).
 *
 * Cost follows use, not size (NetBSD's design, with sparse arrays where NetBSD has dense
 * ones): the slots live in a sparse array, so an amap costs its used slots; per-slot
 * entry references (ppref) are kept only once some entry covers part of an amap, and then
 * run-length encoded, so fork (amap_ref) and exit (amap_unref) cost the runs touched, not
 * the slots; and an amap made at fault time for a large entry covers only a
 * UVM_AMAP_CHUNK-page chunk of it ("chunking"). */
#include <stdlib.h>
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

/* ---- anons ---- */

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

/* ---- ppref: run-length per-slot references ----
 * A run of `len` slots all covered by `ref` entries is written at its first slot s: one
 * cell ref + 1 when len is 1, else the cell -(ref + 1) and, at s + 1, the cell len (the
 * "plus one" keeps a zero count apart from an absent cell).  Cells inside a run are
 * don't-care.  Every write goes to a cell reserved beforehand (see amap_reserve_edges),
 * so no ppref operation can fail half way. */

static void pp_get(const struct vm_amap *am, unsigned s, unsigned *ref, unsigned *len)
{
    intptr_t v = (intptr_t)uvmsim_sparse_get(&am->am_ppref, s);
    if (v > 0) {
        *ref = (unsigned)(v - 1);
        *len = 1;
    } else {
        *ref = (unsigned)(-v - 1);
        *len = (unsigned)uvmsim_sparse_get(&am->am_ppref, (uint64_t)s + 1);
    }
}

static void pp_set(struct vm_amap *am, unsigned s, unsigned ref, unsigned len)
{
    uintptr_t *c = uvmsim_sparse_cell(&am->am_ppref, s, true);
    if (c == NULL)
        return;                    /* cannot happen: the cell was reserved */
    if (len == 1) {
        *c = (uintptr_t)(intptr_t)(ref + 1);
        return;
    }
    *c = (uintptr_t)(-(intptr_t)ref - 1);
    uintptr_t *c2 = uvmsim_sparse_cell(&am->am_ppref, (uint64_t)s + 1, true);
    if (c2 != NULL)
        *c2 = len;
}

/* Make the cells a range [s, s + n) may need as run boundaries: its first slot, the one
 * after, its end and the one after that (those inside the amap). */
static int amap_reserve_edges(struct vm_amap *am, unsigned s, unsigned n)
{
    uint64_t cells[4] = {s, (uint64_t)s + 1, (uint64_t)s + n, (uint64_t)s + n + 1};
    for (int i = 0; i < 4; i++)
        if (cells[i] < am->am_nslot && uvmsim_sparse_cell(&am->am_ppref, cells[i], true) == NULL)
            return UVMSIM_ENOHOST;
    return UVMSIM_OK;
}

/* amap_pp_establish: start keeping per-slot references; until now every slot was covered
 * by all am_ref entries. */
static void amap_pp_establish(struct vm_amap *am)
{
    if (am->am_pprefed)
        return;
    pp_set(am, 0, am->am_ref, am->am_nslot);
    am->am_pprefed = true;
}

void uvmsim_amap_pp_run(const struct vm_amap *am, unsigned s, unsigned *start, unsigned *len, unsigned *ref)
{
    if (!am->am_pprefed) {
        *start = 0;
        *len = am->am_nslot;
        *ref = am->am_ref;
        return;
    }
    unsigned lcv = 0, r = 0, l = 1;
    while (lcv < am->am_nslot) {
        pp_get(am, lcv, &r, &l);
        if (l == 0 || s < lcv + l)
            break;
        lcv += l;
    }
    *start = lcv;
    *len = l;
    *ref = r;
}

/* amap_wiperange: free the anons of slots [s0, s0 + n), which no entry covers now. */
static void amap_wiperange(struct uvmsim_machine *m, struct vm_amap *am, unsigned s0, unsigned n)
{
    unsigned slot, end = s0 + n;
    struct vm_anon *an;
    while (uvmsim_amap_next(am, s0, end, &slot, &an)) {
        *uvmsim_sparse_cell(&am->am_anon, slot, false) = 0;
        am->am_nused--;
        anon_unref(m, an);
        s0 = slot + 1;
    }
}

/* amap_pp_adjref: add adj to the reference count of slots [s0, s0 + n).
 * => ppref established; the cells at the range's edges reserved.
 * 1. walk the runs up to s0, splitting the one that straddles it;
 * 2. adjust every run inside the range (splitting the one that straddles its end),
 *    merging with the run before when the counts become equal; a run that drops to
 *    zero references loses its anons;
 * 3. merge the last run with the one after when their counts are equal.
 * <= runs still partition [0, am_nslot). */
static void amap_pp_adjref(struct uvmsim_machine *m, struct vm_amap *am, unsigned s0, unsigned n, int adj)
{
    unsigned end = s0 + n, lcv = 0, ref, len;
    unsigned prev = 0, prevref = 0, prevlen = 0;
    bool have_prev = false;
    /* 1 */
    while (lcv < s0) {
        pp_get(am, lcv, &ref, &len);
        if (lcv + len > s0) {
            pp_set(am, lcv, ref, s0 - lcv);
            pp_set(am, s0, ref, len - (s0 - lcv));
            len = s0 - lcv;
        }
        prev = lcv;
        prevref = ref;
        prevlen = len;
        have_prev = true;
        lcv += len;
    }
    /* 2 */
    while (lcv < end) {
        pp_get(am, lcv, &ref, &len);
        if (lcv + len > end) {
            pp_set(am, lcv, ref, end - lcv);
            pp_set(am, end, ref, len - (end - lcv));
            len = end - lcv;
        }
        ref = (unsigned)((int)ref + adj);
        if (have_prev && prev + prevlen == lcv && prevref == ref) {
            prevlen += len;
            pp_set(am, prev, ref, prevlen);
        } else {
            pp_set(am, lcv, ref, len);
            prev = lcv;
            prevref = ref;
            prevlen = len;
            have_prev = true;
        }
        if (ref == 0)
            amap_wiperange(m, am, lcv, len);
        lcv += len;
    }
    /* 3 */
    if (have_prev && lcv < am->am_nslot) {
        pp_get(am, lcv, &ref, &len);
        if (ref == prevref)
            pp_set(am, prev, ref, prevlen + len);
    }
}

/* ---- amaps ---- */

struct vm_amap *uvmsim_amap_alloc(struct uvmsim_machine *m, unsigned nslot)
{
    struct vm_amap *am = calloc(1, sizeof(*am));
    if (am == NULL)
        return NULL;
    am->am_nslot = nslot;
    uvmsim_sparse_init(&am->am_anon, nslot);
    uvmsim_sparse_init(&am->am_ppref, nslot);
    /* the cells amap_pp_establish writes, so that it cannot fail later */
    if (amap_reserve_edges(am, 0, nslot) != UVMSIM_OK) {
        uvmsim_sparse_fini(&am->am_ppref);
        free(am);
        return NULL;
    }
    am->am_ref = 1;
    am->am_id = ++m->next_id;
    m->vmstats.amaps_live++;
    return am;
}

/* amap_wipeout + amap_free: the last reference is gone. */
static void amap_free(struct uvmsim_machine *m, struct vm_amap *am)
{
    amap_wiperange(m, am, 0, am->am_nslot);
    uvmsim_sparse_fini(&am->am_anon);
    uvmsim_sparse_fini(&am->am_ppref);
    free(am);
    m->vmstats.amaps_live--;
}

static unsigned entry_npages(const struct uvmsim_machine *m, const struct vm_map_entry *e)
{
    return (unsigned)((e->end - e->start) >> m->page_shift);
}

static unsigned entry_slot(const struct uvmsim_machine *m, const struct vm_map_entry *e, vaddr_t va)
{
    return e->slotoff + (unsigned)((va - e->start) >> m->page_shift);
}

bool uvmsim_amap_next(const struct vm_amap *am, unsigned from, unsigned to, unsigned *slot, struct vm_anon **an)
{
    uint64_t idx;
    uintptr_t v;
    if (!uvmsim_sparse_next(&am->am_anon, from, to, &idx, &v))
        return false;
    *slot = (unsigned)idx;
    *an = (struct vm_anon *)v;
    return true;
}

struct vm_anon *uvmsim_amap_lookup(const struct uvmsim_machine *m, const struct vm_map_entry *e, vaddr_t va)
{
    if (e->amap == NULL)
        return NULL;
    return (struct vm_anon *)uvmsim_sparse_get(&e->amap->am_anon, entry_slot(m, e, va));
}

int uvmsim_amap_add(struct uvmsim_machine *m, struct vm_map_entry *e, vaddr_t va, struct vm_anon *an)
{
    struct vm_amap *am = e->amap;
    uintptr_t *cell = uvmsim_sparse_cell(&am->am_anon, entry_slot(m, e, va), true);
    if (cell == NULL)
        return UVMSIM_ENOHOST;
    struct vm_anon *old = (struct vm_anon *)*cell;
    *cell = (uintptr_t)an;
    if (old == NULL) {
        am->am_nused++;
        return UVMSIM_OK;
    }
    /* Other entries sharing this amap may still map the old anon's page: make them
     * fault again so they find the new anon (NetBSD's amap_add with replace). */
    if (am->am_flags & AMAP_SHARED)
        uvmsim_pmap_page_protect(m, old->an_pa, UVMSIM_PROT_NONE);
    anon_unref(m, old);
    return UVMSIM_OK;
}

int uvmsim_amap_ref(struct uvmsim_machine *m, struct vm_map_entry *e, bool shared)
{
    struct vm_amap *am = e->amap;
    unsigned n = entry_npages(m, e);
    int err = amap_reserve_edges(am, e->slotoff, n);
    if (err)
        return err;
    if (e->slotoff != 0 || n != am->am_nslot)
        amap_pp_establish(am);
    am->am_ref++;
    if (am->am_pprefed)
        amap_pp_adjref(m, am, e->slotoff, n, +1);
    if (shared)
        am->am_flags |= AMAP_SHARED;
    return UVMSIM_OK;
}

void uvmsim_amap_unref(struct uvmsim_machine *m, struct vm_map_entry *e)
{
    struct vm_amap *am = e->amap;
    if (am == NULL)
        return;
    e->amap = NULL;
    if (am->am_ref == 1) {
        amap_free(m, am);
        return;
    }
    unsigned n = entry_npages(m, e);
    /* the edges of e's range were reserved when e took its reference */
    if (e->slotoff != 0 || n != am->am_nslot)
        amap_pp_establish(am);
    am->am_ref--;
    if (am->am_ref == 1)
        am->am_flags &= ~AMAP_SHARED;   /* one entry left: nobody shares it any more */
    if (am->am_pprefed)
        amap_pp_adjref(m, am, e->slotoff, n, -1);
}

int uvmsim_amap_splitref(struct uvmsim_machine *m, struct vm_map_entry *e, unsigned delta)
{
    (void)m;
    struct vm_amap *am = e->amap;
    int err = amap_reserve_edges(am, e->slotoff + delta, 0);
    if (err)
        return err;
    /* Each half covers part of the amap from now on: the counts become per slot. */
    amap_pp_establish(am);
    am->am_ref++;
    return UVMSIM_OK;
}

/* Clip so that [startva, endva) rounded out to UVM_AMAP_CHUNK pages is an entry of its
 * own; *ep becomes the entry holding startva. */
static int amap_chunk(struct uvmsim_proc *p, struct vm_map_entry **ep, vaddr_t startva, vaddr_t endva)
{
    struct uvmsim_machine *m = p->m;
    vaddr_t chunk = (vaddr_t)UVM_AMAP_CHUNK << m->page_shift;
    vaddr_t s = startva / chunk * chunk;
    vaddr_t e = endva + chunk - 1 < endva ? 0 : (endva + chunk - 1) / chunk * chunk;
    int err = UVMSIM_OK;
    if (s > (*ep)->start)
        err = uvmsim_map_clip(p, s);
    if (err == UVMSIM_OK && e != 0 && e < uvmsim_map_lookup_entry(&p->map, startva)->end)
        err = uvmsim_map_clip(p, e);
    *ep = uvmsim_map_lookup_entry(&p->map, startva);
    return err;
}

/* A wired page is never shared copy-on-write (its owner must never fault on it): an
 * amap copy takes a private copy of a wired anon at once, as NetBSD's fork does for
 * wired entries with amap_cow_now. */
static struct vm_anon *amap_cow_now_anon(struct uvmsim_machine *m, struct vm_anon *an)
{
    struct vm_anon *nan = uvmsim_anon_alloc(m, false);
    if (nan == NULL)
        return NULL;
    if (uvmsim_phys_copy(m, nan->an_pa, an->an_pa, m->cfg.page_size) != UVMSIM_OK) {
        nan->an_ref = 0;
        uvmsim_anon_free(m, nan);
        return NULL;
    }
    m->vmstats.bytes_copied += m->cfg.page_size;
    return nan;
}

/* amap_copy: clear needs-copy on *ep.
 * => entry is copy-on-write with NEEDSCOPY set (or about to be wired).
 * 1. no amap yet: allocate a fresh one covering the entry (first private fault); a large
 *    entry is first clipped to the chunk around the fault unless AMAP_COPY_NOCHUNK;
 * 2. amap referenced by this entry alone: nothing to copy, just clear the flag;
 * 3. otherwise: a new amap holds the entry's slots, each anon gaining a reference (a
 *    page some other entry wired is copied at once instead), and the entry drops its
 *    reference on the old amap.
 * <= (*ep)->amap is referenced by *ep alone (am_ref == 1), NEEDSCOPY clear; on failure
 *    the entry is as it was (possibly clipped). */
int uvmsim_amap_copy(struct uvmsim_proc *p, struct vm_map_entry **ep, unsigned flags,
                     vaddr_t startva, vaddr_t endva, bool *copied)
{
    struct uvmsim_machine *m = p->m;
    struct vm_map_entry *e = *ep;
    *copied = false;
    /* 1 */
    if (e->amap == NULL) {
        if (!(flags & AMAP_COPY_NOCHUNK) && entry_npages(m, e) >= UVM_AMAP_LARGE) {
            int err = amap_chunk(p, ep, startva, endva);
            e = *ep;
            if (err)
                return err;
        }
        struct vm_amap *am = uvmsim_amap_alloc(m, entry_npages(m, e));
        if (am == NULL)
            return UVMSIM_ENOHOST;
        e->amap = am;
        e->slotoff = 0;
        e->etype &= ~UVM_ET_NEEDSCOPY;
        return UVMSIM_OK;
    }
    /* 2 */
    if (e->amap->am_ref == 1) {
        e->etype &= ~UVM_ET_NEEDSCOPY;
        return UVMSIM_OK;
    }
    /* 3 */
    unsigned n = entry_npages(m, e);
    struct vm_amap *old = e->amap, *nam = uvmsim_amap_alloc(m, n);
    if (nam == NULL)
        return UVMSIM_ENOHOST;
    unsigned slot;
    struct vm_anon *an;
    for (unsigned from = e->slotoff; uvmsim_amap_next(old, from, e->slotoff + n, &slot, &an); from = slot + 1) {
        uintptr_t *cell = uvmsim_sparse_cell(&nam->am_anon, slot - e->slotoff, true);
        struct vm_anon *nan = an;
        if (cell != NULL && e->wired_count == 0 && an->an_page->wire_count > 0)
            nan = amap_cow_now_anon(m, an);
        if (cell == NULL || nan == NULL) {
            amap_free(m, nam);
            return cell == NULL ? UVMSIM_ENOHOST : UVMSIM_ENOMEM;
        }
        if (nan == an) {
            an->an_ref++;
            /* A shared amap's sharers may hold writable mappings of this anon; now that
             * a second amap references it, nobody may write it without a fault. */
            if ((old->am_flags & AMAP_SHARED) || (flags & AMAP_COPY_WPROTECT))
                uvmsim_pmap_page_protect(m, an->an_pa, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC);
        }
        *cell = (uintptr_t)nan;
        nam->am_nused++;
    }
    uvmsim_amap_unref(m, e);
    e->amap = nam;
    e->slotoff = 0;
    e->etype &= ~UVM_ET_NEEDSCOPY;
    *copied = true;
    m->vmstats.amap_copies++;
    return UVMSIM_OK;
}
