/* uvmsim — the page fault handler, shaped like NetBSD's uvm_fault.c after the XIP
 * cleanup: one context per fault and one function per step.
 *
 *   check ──► upper lookup ──► upper (anon found):  promote | direct
 *                          └─► lower lookup ──► lower: zero-fill | promote | direct
 *                                                                      └─► enter
 *
 * The upper layer is the entry's amap of anons (private pages); the lower layer is the
 * entry's uvm_object, reached through its pager (anonymous object, vnode page cache, or
 * XIP device pages).  A write to a copy-on-write entry never writes the lower page: it
 * promotes a copy into a new anon.  Every decision is recorded in the outcome record and
 * narrated to the event trace (see uvmsim explain). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

#define FAULT_MAXWIN 16     /* largest fault-ahead window: 1 + back + ahead */

/* uvmadvice[]: pages mapped behind and ahead of the faulting page when resident.
 * UVM's sequential advice also has 8 behind, but only to deactivate them: none are
 * mapped, so we map ahead only. */
static const struct { unsigned nback, nforw; } fault_advice[] = {
    [UVMSIM_ADV_NORMAL] = {3, 4},
    [UVMSIM_ADV_RANDOM] = {0, 0},
    [UVMSIM_ADV_SEQUENTIAL] = {0, 7},
};

/* The context of one fault (struct uvm_faultctx); each field says who sets it. */
struct uvm_faultctx {
    /* set by the caller */
    struct uvmsim_proc *p;
    struct uvmsim_machine *m;
    vaddr_t va;                    /* page-aligned faulting address */
    uvmsim_access access;
    vm_prot_t access_type;         /* rights the access needs (all of them) */
    bool maxprot;                  /* check access_type against the maximum protection
                                      (UVM_FAULT_MAXPROT: wiring) */
    bool narrow;                   /* the faulting page only, no fault-ahead (wiring) */
    bool wire_paging;              /* wire the page entered (UVM_FAULT_WIRE) */
    uvmsim_fault_outcome *out;
    /* set by fault_check */
    struct vm_map_entry *entry;
    bool wire_mapping;             /* enter the mapping wired: a wire fault, or a fault on
                                      a wired entry (VM_MAPENT_ISWIRED) */
    vm_prot_t enter_prot;          /* what we may enter: entry prot, less write while
                                      needs-copy is pending */
    bool cow_now;                  /* a write: must resolve copy-on-write now */
    vaddr_t startva;               /* fault-ahead window */
    unsigned npages, centeridx;
    /* set by fault_upper_lookup */
    struct vm_anon *anons[FAULT_MAXWIN];
    bool shadowed;                 /* an anon sits at the faulting page */
    /* set by fault_lower_lookup */
    struct uvm_pgref uobjpage;     /* the object's page at va, if resident */
    bool uobjpage_valid;
    struct uvm_pagerio io;         /* pager I/O and allocations */
    uint64_t allocs_before;        /* m->ram.allocs at entry */
};

static const char *prot_str(vm_prot_t p, char buf[4])
{
    buf[0] = (p & UVMSIM_PROT_READ) ? 'r' : '-';
    buf[1] = (p & UVMSIM_PROT_WRITE) ? 'w' : '-';
    buf[2] = (p & UVMSIM_PROT_EXEC) ? 'x' : '-';
    buf[3] = '\0';
    return buf;
}

static const char *access_name(uvmsim_access a)
{
    return a == UVMSIM_ACCESS_FETCH ? "fetch" : a == UVMSIM_ACCESS_LOAD ? "load" : "store";
}

/* Narrate one step to the trace; the sentence is only built when someone listens. */
static void fault_step(struct uvm_faultctx *flt, const char *step, const char *fmt, ...)
{
    if (!uvmsim_tracing(flt->m))
        return;
    char text[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    uvmsim_event ev = {.type = UVMSIM_EV_FAULT_STEP, .pid = flt->p->pid, .va = flt->va,
                       .access = flt->access, .step = step, .text = text};
    uvmsim_emit(flt->m, &ev);
}

static uvmsim_page_loc page_loc(const struct uvmsim_machine *m, const struct uvm_pgref *ref)
{
    if (ref->pa == m->zero_pa)
        return UVMSIM_LOC_ZERO;
    return ref->pg ? UVMSIM_LOC_RAM : UVMSIM_LOC_DEVICE;
}

/* uvm_pagewire / uvm_pageunwire: a RAM page of an anon or an object gains / loses a
 * wiring.  Device pages have no vm_page to count in, and the shared zero page is the
 * machine's own, never paged out: neither is counted (see docs/vm.md, Wiring). */
static bool wirable(const struct uvm_pgref *ref)
{
    return ref->pg != NULL && (ref->pg->owner == PGO_ANON || ref->pg->owner == PGO_OBJECT);
}

static void uvmsim_pagewire(struct uvmsim_machine *m, const struct uvm_pgref *ref)
{
    if (wirable(ref) && ref->pg->wire_count++ == 0)
        m->vmstats.wired_pages++;
}

static void uvmsim_pageunwire(struct uvmsim_machine *m, const struct uvm_pgref *ref)
{
    if (wirable(ref) && ref->pg->wire_count > 0 && --ref->pg->wire_count == 0)
        m->vmstats.wired_pages--;
}

/* Enter one page; device pages are never writable (NOR is read-only). */
static int fault_pmap_enter(struct uvm_faultctx *flt, vaddr_t va, const struct uvm_pgref *ref, vm_prot_t prot)
{
    unsigned flags = PMAP_CANFAIL | (flt->wire_mapping ? PMAP_WIRED : 0);
    if (ref->pg == NULL) {
        flags |= PMAP_DEVICE;
        prot &= ~UVMSIM_PROT_WRITE;
        /* a pager with a fault op enters its device pages itself, unmanaged */
        struct uvm_object *uo = flt->entry->object;
        if (uo != NULL && uo->pgops->pgo_fault != NULL)
            flags |= PMAP_UNMANAGED;
    }
    if (ref->pa == flt->m->zero_pa)
        prot &= ~UVMSIM_PROT_WRITE;
    return uvmsim_pmap_enter(flt->p->pmap, va, ref->pa, prot, flags);
}

/* uvm_fault_check: find the entry, check protection, resolve needs-copy, size window.
 * => flt->va, access_type set.
 * 1. look the entry up: none → EFAULT.
 * 2. the access needs a right the entry lacks → EACCES (a wire fault checks against
 *    the maximum protection); a wired fault (wire fault, or any fault on a wired entry)
 *    asks for the entry's full protection and resolves copy-on-write now whenever
 *    write is allowed, as uvm_fault_check does with wire_mapping.
 * 3. needs-copy: a write, or an entry with no object (its amap is all it has), copies
 *    the amap now; a read keeps sharing and maps without write.
 * 4. the fault-ahead window from the entry's advice, clipped to the entry (one page for
 *    a wire fault).
 * <= on success: entry, enter_prot, cow_now, wire_mapping, startva/npages/centeridx. */
static int fault_check(struct uvm_faultctx *flt)
{
    struct uvmsim_machine *m = flt->m;
    char pb[4];

    /* 1 */
    flt->entry = uvmsim_map_lookup_entry(&flt->p->map, flt->va);
    struct vm_map_entry *e = flt->entry;
    if (e == NULL) {
        fault_step(flt, "check", "no map entry covers 0x%llx: EFAULT", (unsigned long long)flt->va);
        return UVMSIM_EFAULT;
    }
    /* 2 */
    vm_prot_t check_prot = flt->maxprot ? e->maxprot : e->prot;
    if (flt->access_type & ~check_prot) {
        fault_step(flt, "check", "map entry [0x%llx-0x%llx) has protection %s; a %s needs %s: EACCES",
                   (unsigned long long)e->start, (unsigned long long)e->end, prot_str(check_prot, pb),
                   access_name(flt->access), flt->access == UVMSIM_ACCESS_STORE ? "write" :
                   flt->access == UVMSIM_ACCESS_FETCH ? "execute" : "read");
        return UVMSIM_EACCES;
    }
    flt->enter_prot = e->prot;
    flt->wire_mapping = flt->wire_paging || e->wired_count > 0;
    if (flt->wire_mapping) {
        flt->access_type = e->prot;
        flt->cow_now = (check_prot & UVMSIM_PROT_WRITE) != 0;
        fault_step(flt, "check", flt->wire_paging ?
                   "wire fault (uvm_fault_wire): the entry's maximum protection %s is checked; copy-on-write is resolved now%s" :
                   "the entry is wired: the mapping is entered wired, copy-on-write resolved now%s%s",
                   flt->wire_paging ? prot_str(check_prot, pb) : "",
                   flt->cow_now ? " (write is allowed)" : " (no: write is not allowed)");
    } else {
        flt->cow_now = (flt->access_type & UVMSIM_PROT_WRITE) != 0;
    }
    fault_step(flt, "check", "map entry [0x%llx-0x%llx) prot %s, %s%s%s, amap %s, object %s",
               (unsigned long long)e->start, (unsigned long long)e->end, prot_str(e->prot, pb),
               e->shared ? "shared" : "private", (e->etype & UVM_ET_COPYONWRITE) ? " copy-on-write" : "",
               (e->etype & UVM_ET_NEEDSCOPY) ? " needs-copy" : "",
               e->amap ? "present" : "none", e->object ? e->object->pgops->pgo_name : "none");
    /* 3 */
    if (e->etype & UVM_ET_NEEDSCOPY) {
        if (flt->cow_now || e->object == NULL) {
            bool copied = false;
            unsigned before = e->amap ? e->amap->am_ref : 0;
            vaddr_t e0 = e->start, e1 = e->end;
            int err = uvmsim_amap_copy(flt->p, &flt->entry, 0, flt->va, flt->va + m->cfg.page_size, &copied);
            e = flt->entry;
            if (e->start != e0 || e->end != e1)
                fault_step(flt, "check", "amap_copy chunking: the %llu-page entry was clipped to [0x%llx-0x%llx) so the new amap covers %llu pages",
                           (unsigned long long)((e1 - e0) >> m->page_shift), (unsigned long long)e->start,
                           (unsigned long long)e->end, (unsigned long long)((e->end - e->start) >> m->page_shift));
            if (err)
                return err;
            flt->out->amap_copied = copied;
            fault_step(flt, "check", copied ?
                       "needs-copy: the amap was shared (%u refs), so amap_copy gave this entry its own; its anons gained a reference" :
                       before ? "needs-copy: the amap had %u reference, only ours, so the flag is simply cleared" :
                       "needs-copy with no amap yet: amap_copy creates an empty one (%u refs before)", before);
        } else {
            flt->enter_prot &= ~UVMSIM_PROT_WRITE;
            fault_step(flt, "check", "needs-copy and a read: keep sharing, map without write");
        }
    }
    /* 4 */
    unsigned nback = fault_advice[e->advice].nback, nforw = fault_advice[e->advice].nforw;
    if (flt->narrow)
        nback = nforw = 0;
    uint64_t before = (flt->va - e->start) >> m->page_shift;
    uint64_t after = ((e->end - flt->va) >> m->page_shift) - 1;
    if (nback > before)
        nback = (unsigned)before;
    if (nforw > after)
        nforw = (unsigned)after;
    flt->startva = flt->va - ((vaddr_t)nback << m->page_shift);
    flt->npages = nback + 1 + nforw;
    flt->centeridx = nback;
    return UVMSIM_OK;
}

/* Map a resident neighbour unless something is already mapped there. */
static void fault_neighbour(struct uvm_faultctx *flt, vaddr_t va, const struct uvm_pgref *ref, vm_prot_t prot)
{
    if (uvmsim_pmap_extract(flt->p->pmap, va, NULL, NULL))
        return;
    if (fault_pmap_enter(flt, va, ref, prot) == UVMSIM_OK)
        flt->out->neighbours_mapped++;
}

/* uvm_fault_upper_lookup: look at the anons of the window.
 * => window set by fault_check.
 * 1. collect the anon of every window page from the amap;
 * 2. map resident neighbour anons (read-only while an anon is shared);
 * <= anons[], shadowed set. */
static void fault_upper_lookup(struct uvm_faultctx *flt)
{
    struct uvmsim_machine *m = flt->m;
    struct vm_map_entry *e = flt->entry;
    for (unsigned i = 0; i < flt->npages; i++) {
        vaddr_t va = flt->startva + ((vaddr_t)i << m->page_shift);
        struct vm_anon *an = uvmsim_amap_lookup(m, e, va);
        flt->anons[i] = an;
        if (i == flt->centeridx || an == NULL)
            continue;
        struct uvm_pgref ref = {.pa = an->an_pa, .pg = an->an_page};
        fault_neighbour(flt, va, &ref, an->an_ref > 1 ? flt->enter_prot & ~UVMSIM_PROT_WRITE : flt->enter_prot);
    }
    flt->shadowed = flt->anons[flt->centeridx] != NULL;
    if (e->amap == NULL)
        fault_step(flt, "upper-lookup", "no amap: nothing in the upper layer, go to the lower layer");
    else if (flt->shadowed)
        fault_step(flt, "upper-lookup", "amap slot %u holds an anon (refs %u) at pa 0x%llx: upper fault",
                   e->slotoff + (unsigned)((flt->va - e->start) >> m->page_shift),
                   flt->anons[flt->centeridx]->an_ref, (unsigned long long)flt->anons[flt->centeridx]->an_pa);
    else
        fault_step(flt, "upper-lookup", "amap (refs %u) has no anon in slot %u: lower fault",
                   e->amap->am_ref, e->slotoff + (unsigned)((flt->va - e->start) >> m->page_shift));
}

/* How a promotion fills its new anon. */
enum promote_src {
    PROMOTE_ZERO,       /* zero-fill: no object below the amap */
    PROMOTE_COPY,       /* uvm_pagecopy from src (an anon, a cache page, NOR, the zero page) */
    PROMOTE_PGO_COPY    /* the pager's pgo_copy_page: the fault-op design has no source page */
};

/* uvmfault_promote: a new anon for the faulting page, filled as `how` says, placed in the
 * amap in place of whatever was there. */
static int fault_promote(struct uvm_faultctx *flt, enum promote_src how, const struct uvm_pgref *src,
                         struct vm_anon **out)
{
    struct uvmsim_machine *m = flt->m;
    struct vm_anon *an = uvmsim_anon_alloc(m, how == PROMOTE_ZERO);
    if (an == NULL)
        return UVMSIM_ENOMEM;
    if (how != PROMOTE_ZERO) {
        struct uvm_object *uo = flt->entry->object;
        int err = how == PROMOTE_PGO_COPY ?
                  uo->pgops->pgo_copy_page(uo, flt->entry->offset + (flt->va - flt->entry->start), an->an_pa) :
                  uvmsim_phys_copy(m, an->an_pa, src->pa, m->cfg.page_size);
        if (err) {
            an->an_ref = 0;
            uvmsim_anon_free(m, an);
            return err;
        }
        flt->out->bytes_copied += m->cfg.page_size;
        m->vmstats.bytes_copied += m->cfg.page_size;
        flt->p->st.bytes_copied += m->cfg.page_size;
        if (uvmsim_tracing(m)) {
            uvmsim_event ev = {.type = UVMSIM_EV_PROMOTE, .pid = flt->p->pid, .va = flt->va,
                               .pa = an->an_pa, .a = src ? src->pa : 0, .b = m->cfg.page_size,
                               .text = how == PROMOTE_PGO_COPY ? "the pager's pgo_copy_page filled a new anon" :
                                       "page copied into a new anon"};
            uvmsim_emit(m, &ev);
        }
    }
    int err = uvmsim_amap_add(m, flt->entry, flt->va, an);
    if (err) {
        an->an_ref = 0;
        uvmsim_anon_free(m, an);
        return err;
    }
    *out = an;
    return UVMSIM_OK;
}

/* uvm_fault_enter (the common tail): enter the page and fill the outcome. */
static int fault_enter(struct uvm_faultctx *flt, const struct uvm_pgref *ref, vm_prot_t prot,
                       struct vm_anon *an, uvmsim_fault_class cls)
{
    char pb[4];
    if (ref->pg == NULL || ref->pa == flt->m->zero_pa)
        prot &= ~UVMSIM_PROT_WRITE;
    int err = fault_pmap_enter(flt, flt->va, ref, prot);
    if (err) {
        /* Whatever was mapped here before may now be the wrong page (a promotion put a
         * new anon in the amap): drop it, so the next access faults again. */
        uvmsim_pmap_remove(flt->p->pmap, flt->va, flt->va + flt->m->cfg.page_size);
        fault_step(flt, "enter", "pmap_enter failed: %s; nothing left mapped at this address", uvmsim_strerror(err));
        return err;
    }
    if (flt->wire_paging)
        uvmsim_pagewire(flt->m, ref);
    uvmsim_fault_outcome *o = flt->out;
    o->cls = cls;
    o->wired = flt->wire_paging;
    o->pa = ref->pa;
    o->loc = page_loc(flt->m, ref);
    o->prot_entered = prot;
    o->anon_refs = an ? an->an_ref : 0;
    fault_step(flt, "enter", "pmap_enter va 0x%llx -> pa 0x%llx (%s page) prot %s; the stale TLB entry, if any, is invalidated",
               (unsigned long long)flt->va, (unsigned long long)ref->pa, uvmsim_page_loc_name(o->loc),
               prot_str(prot, pb));
    return UVMSIM_OK;
}

/* uvm_fault_upper: the page is an anon.
 * => shadowed: anons[centeridx] is the anon.
 * 1. a write to an anon others still reference → promote (copy into a new anon);
 * 2. otherwise → direct: map the anon, read-only while it is shared. */
static int fault_upper(struct uvm_faultctx *flt)
{
    struct vm_anon *an = flt->anons[flt->centeridx];
    struct uvm_pgref ref = {.pa = an->an_pa, .pg = an->an_page};
    if (flt->cow_now && an->an_ref > 1) {
        fault_step(flt, "upper", "upper-promote: a store to an anon with %u references must not be seen by the others; copy it into a new anon", an->an_ref);
        struct vm_anon *nan;
        int err = fault_promote(flt, PROMOTE_COPY, &ref, &nan);
        if (err)
            return err;
        ref.pa = nan->an_pa;
        ref.pg = nan->an_page;
        return fault_enter(flt, &ref, flt->enter_prot, nan, UVMSIM_FAULT_UPPER_PROMOTE);
    }
    vm_prot_t prot = flt->enter_prot;
    if (an->an_ref > 1)
        prot &= ~UVMSIM_PROT_WRITE;
    fault_step(flt, "upper", an->an_ref > 1 ?
               "upper-direct: a read of an anon shared by %u amaps: map it without write" :
               "upper-direct: the anon has %u reference, ours alone: map it as it is", an->an_ref);
    return fault_enter(flt, &ref, prot, an, UVMSIM_FAULT_UPPER_DIRECT);
}

/* uvm_fault_lower_lookup: ask the pager for resident pages of the window.
 * => not shadowed; entry has an object.
 * 1. for each window page without an anon, a resident-only get (no I/O);
 * 2. map the neighbours (without write on copy-on-write entries);
 * <= uobjpage set when the faulting page is resident. */
static void fault_lower_lookup(struct uvm_faultctx *flt)
{
    struct uvmsim_machine *m = flt->m;
    struct vm_map_entry *e = flt->entry;
    struct uvm_object *uo = e->object;
    vm_prot_t nprot = flt->enter_prot;
    if (e->etype & UVM_ET_COPYONWRITE)
        nprot &= ~UVMSIM_PROT_WRITE;
    for (unsigned i = 0; i < flt->npages; i++) {
        if (flt->anons[i] != NULL)
            continue;
        vaddr_t va = flt->startva + ((vaddr_t)i << m->page_shift);
        struct uvm_pgref ref;
        struct uvm_pagerio io = {0};
        m->vmstats.pager_lgets++;
        if (uo->pgops->pgo_get(uo, e->offset + (va - e->start), PGO_LOCKED, &ref, &io) != UVMSIM_OK)
            continue;
        if (i == flt->centeridx) {
            flt->uobjpage = ref;
            flt->uobjpage_valid = true;
            if (io.bmap_done) {
                flt->io.bmap_done = true;
                flt->io.bmap_block = io.bmap_block;
            }
        } else {
            fault_neighbour(flt, va, &ref, nprot);
        }
    }
    fault_step(flt, "lower-lookup", "%s pager: page at object offset 0x%llx is %s; %u neighbour(s) mapped ahead/behind",
               uo->pgops->pgo_name, (unsigned long long)(e->offset + (flt->va - e->start)),
               flt->uobjpage_valid ? "resident" : "not resident", flt->out->neighbours_mapped);
}

/* uvm_fault_lower: the page comes from the object (or is zero-fill without one).
 * 1. no object: zero-fill a new anon;
 * 2. get the page from the pager (I/O for a non-resident vnode page);
 * 3. a write to a copy-on-write entry → promote into a new anon (from NOR for a device
 *    page, from the zero page for an XIP hole);
 * 4. otherwise → direct: map the object's page (without write when copy-on-write). */
static int fault_lower(struct uvm_faultctx *flt)
{
    struct uvmsim_machine *m = flt->m;
    struct vm_map_entry *e = flt->entry;
    struct uvm_object *uo = e->object;
    struct vm_anon *an;
    int err;

    /* 1 */
    if (uo == NULL) {
        fault_step(flt, "lower", "zero-fill: no object below the amap; allocate a zeroed anon");
        err = fault_promote(flt, PROMOTE_ZERO, NULL, &an);
        if (err)
            return err;
        struct uvm_pgref ref = {.pa = an->an_pa, .pg = an->an_page};
        return fault_enter(flt, &ref, flt->enter_prot, an, UVMSIM_FAULT_ZERO_FILL);
    }
    /* 2 */
    voff_t off = e->offset + (flt->va - e->start);
    if (!flt->uobjpage_valid) {
        m->vmstats.pager_gets++;
        err = uo->pgops->pgo_get(uo, off, 0, &flt->uobjpage, &flt->io);
        if (err) {
            fault_step(flt, "lower", "%s pager get failed: %s", uo->pgops->pgo_name, uvmsim_strerror(err));
            return err;
        }
        flt->uobjpage_valid = true;
        fault_step(flt, "lower", "%s pager get: %u block request(s), %llu bytes read; page at pa 0x%llx",
                   uo->pgops->pgo_name, flt->io.io_requests, (unsigned long long)flt->io.io_bytes,
                   (unsigned long long)flt->uobjpage.pa);
    }
    if (flt->io.bmap_done)
        fault_step(flt, "lower", flt->io.bmap_block ?
                   "XIP: bmap gives filesystem block %llu; device page at pa 0x%llx, no RAM and no I/O" :
                   "XIP: bmap says the block is a hole (%llu); map the shared zero page at pa 0x%llx",
                   (unsigned long long)flt->io.bmap_block, (unsigned long long)flt->uobjpage.pa);
    /* 3 */
    if (flt->cow_now && (e->etype & UVM_ET_COPYONWRITE)) {
        fault_step(flt, "lower", "lower-promote: a store to a copy-on-write mapping; copy the %s page into a new anon",
                   uvmsim_page_loc_name(page_loc(m, &flt->uobjpage)));
        err = fault_promote(flt, PROMOTE_COPY, &flt->uobjpage, &an);
        if (err)
            return err;
        /* Sharers of this amap may map the object page at this slot: make them fault
         * again so they find the new anon (uvm_fault_lower_promote does the same). */
        if (e->amap->am_flags & AMAP_SHARED)
            uvmsim_pmap_page_protect(m, flt->uobjpage.pa, UVMSIM_PROT_NONE);
        struct uvm_pgref ref = {.pa = an->an_pa, .pg = an->an_page};
        return fault_enter(flt, &ref, flt->enter_prot, an, UVMSIM_FAULT_LOWER_PROMOTE);
    }
    /* 4 */
    vm_prot_t prot = flt->enter_prot;
    if (e->etype & UVM_ET_COPYONWRITE)
        prot &= ~UVMSIM_PROT_WRITE;
    fault_step(flt, "lower", (e->etype & UVM_ET_COPYONWRITE) ?
               "lower-direct: not a store, so map the object's page itself, without write (copy-on-write)" :
               "lower-direct: a shared mapping: map the object's page itself");
    return fault_enter(flt, &flt->uobjpage, prot, NULL, UVMSIM_FAULT_LOWER_DIRECT);
}

/* The second XIP design as Matt Thomas wrote it (tech-kern, "XIP (Rev. 2)"): a pager
 * whose fault op enters the device page itself with pmap_enter — unmanaged, no vm_page
 * and no PV entry — and answers EROFS on a copy-on-write fault; UVM then promotes, and
 * since it knows no source page it asks the pager's pgo_copy_page to fill the anon.
 * (NetBSD's own device pager, udv_fault, refuses copy-on-write entries with EIO.) */
static int fault_pgo_fault(struct uvm_faultctx *flt, bool *handled)
{
    struct uvm_object *uo = flt->entry->object;
    *handled = false;
    int err = uo->pgops->pgo_fault(flt);
    if (err == UVMSIM_EROFS) {
        fault_step(flt, "lower", "pgo_fault answered EROFS: a copy-on-write fault, promote with pgo_copy_page");
        return UVMSIM_OK;
    }
    *handled = true;
    return err;
}

/* The EROFS answer: lower-promote with pgo_copy_page as the only source (no pgo_get, a
 * hole too).  The other sharers of an AMAP_SHARED amap cannot be made to refault as the
 * generic path does (pmap_page_protect of the object page): their mappings of the device
 * page are unmanaged, so nothing finds them, and they keep reading the device page until
 * they fault for another reason (docs/xip.md). */
static int fault_pgo_promote(struct uvm_faultctx *flt)
{
    struct vm_anon *an;
    int err = fault_promote(flt, PROMOTE_PGO_COPY, NULL, &an);
    if (err)
        return err;
    if (flt->entry->amap->am_flags & AMAP_SHARED)
        fault_step(flt, "lower", "the amap is shared, but other processes' mappings of the device page are unmanaged (no PV entry): nothing can find them to unmap");
    struct uvm_pgref ref = {.pa = an->an_pa, .pg = an->an_page};
    return fault_enter(flt, &ref, flt->enter_prot, an, UVMSIM_FAULT_LOWER_PROMOTE);
}

/* For pagers with a fault op: enter the page they found for this fault (a device page,
 * or the zero page for a hole), never writable. */
int uvmsim_fault_enter_device(struct uvm_faultctx *flt, const struct uvm_pgref *ref, uint64_t bmap_block);
int uvmsim_fault_enter_device(struct uvm_faultctx *flt, const struct uvm_pgref *ref, uint64_t bmap_block)
{
    vm_prot_t prot = flt->enter_prot;
    if (flt->entry->etype & UVM_ET_COPYONWRITE)
        prot &= ~UVMSIM_PROT_WRITE;
    flt->io.bmap_done = true;
    flt->io.bmap_block = bmap_block;
    fault_step(flt, "lower", bmap_block ?
               "pgo_fault: bmap gives filesystem block %llu; the pager enters device pa 0x%llx itself" :
               "pgo_fault: bmap says hole (%llu); the pager enters the zero page at pa 0x%llx",
               (unsigned long long)bmap_block, (unsigned long long)ref->pa);
    return fault_enter(flt, ref, prot, NULL, UVMSIM_FAULT_LOWER_DIRECT);
}

/* For pagers with a fault op: the fault-ahead window, and entering a neighbour in it
 * (skipped when an anon shadows it or something is mapped there already), so that a
 * fault op maps ahead as the generic lower look-up does. */
void uvmsim_fault_window(const struct uvm_faultctx *flt, vaddr_t *startva, unsigned *npages, unsigned *center);
void uvmsim_fault_window(const struct uvm_faultctx *flt, vaddr_t *startva, unsigned *npages, unsigned *center)
{
    *startva = flt->startva;
    *npages = flt->npages;
    *center = flt->centeridx;
}
void uvmsim_fault_enter_neighbour(struct uvm_faultctx *flt, unsigned i, const struct uvm_pgref *ref);
void uvmsim_fault_enter_neighbour(struct uvm_faultctx *flt, unsigned i, const struct uvm_pgref *ref)
{
    if (i >= flt->npages || i == flt->centeridx || flt->anons[i] != NULL)
        return;
    vm_prot_t prot = flt->enter_prot;
    if (flt->entry->etype & UVM_ET_COPYONWRITE)
        prot &= ~UVMSIM_PROT_WRITE;
    fault_neighbour(flt, flt->startva + ((vaddr_t)i << flt->m->page_shift), ref, prot);
}

/* Fault accessors for pagers with a fault op (the struct stays private to this file). */
vaddr_t uvmsim_fault_va(const struct uvm_faultctx *flt);
vaddr_t uvmsim_fault_va(const struct uvm_faultctx *flt) { return flt->va; }
voff_t uvmsim_fault_offset(const struct uvm_faultctx *flt);
voff_t uvmsim_fault_offset(const struct uvm_faultctx *flt)
{
    return flt->entry->offset + (flt->va - flt->entry->start);
}
bool uvmsim_fault_cow(const struct uvm_faultctx *flt);
bool uvmsim_fault_cow(const struct uvm_faultctx *flt)
{
    return flt->cow_now && (flt->entry->etype & UVM_ET_COPYONWRITE);
}
struct uvm_object *uvmsim_fault_object(const struct uvm_faultctx *flt);
struct uvm_object *uvmsim_fault_object(const struct uvm_faultctx *flt) { return flt->entry->object; }

static vm_prot_t access_prot(uvmsim_access a)
{
    return a == UVMSIM_ACCESS_FETCH ? UVMSIM_PROT_EXEC :
           a == UVMSIM_ACCESS_LOAD ? UVMSIM_PROT_READ : UVMSIM_PROT_WRITE;
}

static int fault_run(struct uvm_faultctx *flt)
{
    int err = fault_check(flt);
    if (err)
        return err;
    fault_upper_lookup(flt);
    if (flt->shadowed)
        return fault_upper(flt);
    struct uvm_object *uo = flt->entry->object;
    if (uo != NULL && uo->pgops->pgo_fault != NULL) {
        bool handled;
        err = fault_pgo_fault(flt, &handled);
        if (handled)
            return err;
        return fault_pgo_promote(flt);   /* EROFS: copy-on-write */
    }
    if (uo != NULL)
        fault_lower_lookup(flt);
    return fault_lower(flt);
}

/* flags of fault_do (NetBSD's fault_flag) */
#define UVM_FAULT_WIRE    0x1      /* wire the page and the mapping; no fault-ahead */
#define UVM_FAULT_MAXPROT 0x2      /* check against the maximum protection */

/* uvm_fault_internal: one fault, its outcome record, the counters and the trace. */
static int fault_do(struct uvmsim_proc *p, vaddr_t va, uvmsim_access access, vm_prot_t access_type,
                    unsigned fflags, uvmsim_fault_outcome *out)
{
    struct uvmsim_machine *m = p->m;
    struct uvm_faultctx flt;
    memset(&flt, 0, sizeof(flt));
    memset(out, 0, sizeof(*out));
    flt.p = p;
    flt.m = m;
    flt.va = uvmsim_trunc_page(m, va);
    flt.access = access;
    flt.access_type = access_type;
    flt.maxprot = (fflags & UVM_FAULT_MAXPROT) != 0;
    flt.narrow = flt.wire_paging = (fflags & UVM_FAULT_WIRE) != 0;
    flt.out = out;
    flt.allocs_before = m->ram.allocs;
    out->pid = p->pid;
    out->va = flt.va;
    out->access = access;

    int err = fault_run(&flt);

    out->error = err;
    if (err) {
        out->cls = UVMSIM_FAULT_ERROR;
        out->loc = UVMSIM_LOC_NONE;
        out->pa = 0;
        out->prot_entered = 0;
        out->wired = false;
    }
    out->pages_allocated = (unsigned)(m->ram.allocs - flt.allocs_before);
    out->io_requests = flt.io.io_requests;
    out->io_bytes = flt.io.io_bytes;
    out->xip = flt.io.bmap_done;
    out->amap_refs = (flt.entry && flt.entry->amap) ? flt.entry->amap->am_ref : 0;

    uvmsim_vm_stats *st[2] = {&m->vmstats, &p->st};
    for (int i = 0; i < 2; i++) {
        st[i]->faults[out->cls]++;
        st[i]->faults_total++;
        st[i]->neighbours_mapped += out->neighbours_mapped;
        st[i]->io_requests += out->io_requests;
        st[i]->io_bytes += out->io_bytes;
    }
    if (uvmsim_tracing(m)) {
        uvmsim_event ev = {.type = UVMSIM_EV_FAULT, .pid = p->pid, .va = out->va, .pa = out->pa,
                           .access = access, .step = uvmsim_fault_class_name(out->cls),
                           .fault = out};
        uvmsim_emit(m, &ev);
    }
    return err;
}

int uvmsim_fault_internal(struct uvmsim_proc *p, vaddr_t va, uvmsim_access access,
                          uvmsim_fault_outcome *out)
{
    return fault_do(p, va, access, access_prot(access), 0, out);
}

/* uvm_fault_unwire: unwire the pages of [start, end) of entry e.  The page of each
 * address is the one the VM holds there (anon or resident object page), not whatever the
 * page tables map: a wired entry protected to none has no translations, yet its pages
 * stay wired. */
void uvmsim_fault_unwire(struct uvmsim_machine *m, struct vm_map_entry *e, vaddr_t start, vaddr_t end)
{
    for (vaddr_t va = start; va < end; va += m->cfg.page_size) {
        struct uvm_pgref ref;
        struct vm_anon *an = uvmsim_amap_lookup(m, e, va);
        struct uvm_pagerio io = {0};
        if (an != NULL) {
            ref.pa = an->an_pa;
            ref.pg = an->an_page;
        } else if (e->object == NULL ||
                   e->object->pgops->pgo_get(e->object, e->offset + (va - e->start), PGO_RESIDENT, &ref, &io)) {
            continue;
        }
        uvmsim_pageunwire(m, &ref);
    }
}

/* uvm_fault_wire: fault every page of [start, end) in with a wire fault checked against
 * access_type (the entry's maximum protection); on a failure the pages wired so far are
 * unwired again and the error returned. */
int uvmsim_fault_wire(struct uvmsim_proc *p, struct vm_map_entry *e, vaddr_t start, vaddr_t end, vm_prot_t access_type)
{
    uvmsim_access access = (access_type & UVMSIM_PROT_WRITE) ? UVMSIM_ACCESS_STORE :
                           (access_type & UVMSIM_PROT_READ) ? UVMSIM_ACCESS_LOAD : UVMSIM_ACCESS_FETCH;
    for (vaddr_t va = start; va < end; va += p->m->cfg.page_size) {
        uvmsim_fault_outcome o;
        int err = fault_do(p, va, access, access_type, UVM_FAULT_WIRE | UVM_FAULT_MAXPROT, &o);
        if (err) {
            /* (a wire fault never clips: amap_copy was done by uvmsim_wire beforehand) */
            uvmsim_fault_unwire(p->m, e, start, va);
            return err;
        }
    }
    return UVMSIM_OK;
}

int uvmsim_fault(uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_access access, uvmsim_fault_outcome *out)
{
    uvmsim_fault_outcome tmp;
    if (p == NULL || access > UVMSIM_ACCESS_STORE)
        return UVMSIM_EINVAL;
    return uvmsim_fault_internal(p, va, access, out ? out : &tmp);
}

const char *uvmsim_fault_class_name(uvmsim_fault_class c)
{
    static const char *const names[UVMSIM_FAULT_NCLASSES] = {
        "upper-direct", "upper-promote", "lower-direct", "lower-promote", "zero-fill", "error",
    };
    return (unsigned)c < UVMSIM_FAULT_NCLASSES ? names[c] : "unknown";
}

int uvmsim_fault_class_parse(const char *name)
{
    for (int c = 0; name && c < UVMSIM_FAULT_NCLASSES; c++)
        if (strcmp(name, uvmsim_fault_class_name((uvmsim_fault_class)c)) == 0)
            return c;
    return -1;
}

const char *uvmsim_page_loc_name(uvmsim_page_loc l)
{
    switch (l) {
    case UVMSIM_LOC_RAM: return "ram";
    case UVMSIM_LOC_DEVICE: return "nor";
    case UVMSIM_LOC_ZERO: return "zero";
    default: return "none";
    }
}
