/* uvmsim — the invariant checker.  Recomputes every reference count and accounting
 * total from the structures themselves and compares with what is stored; also checks
 * that every live mapping agrees with the VM (right page, no more rights than allowed)
 * and that wired entries hold wired pages.  Tests call it after every operation; a
 * failure names the first violation found.
 *
 * Its cost follows what exists, not the size of the address space: page tables are
 * walked with the backend's next_valid (absent tables skipped), amaps through their used
 * slots and reference runs, objects through their resident pages — so a scenario that
 * maps a terabyte and touches a page is checked in microseconds. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

static int fail(char *msg, size_t len, const char *fmt, ...)
{
    if (msg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return UVMSIM_ESTATE;
}

/* Working state of one check. */
struct chk {
    struct uvmsim_machine *m;
    char *msg;
    size_t len;
    /* one (amap, first slot, slots) per map entry with an amap, over all processes */
    struct aref { struct vm_amap *am; unsigned s, n; } *arefs;
    size_t narefs, cap_arefs;
    /* expected wirings of every RAM page: wire[seg][page] (RAM segments only) */
    uint32_t **wire;
};

/* The page the VM says lives at va of e: the anon's page, or the object's resident page
 * (a RAM page, a device page or the zero page).  false when there is none. */
static bool vm_page_at(struct uvmsim_machine *m, struct vm_map_entry *e, vaddr_t va, struct uvm_pgref *ref,
                       struct vm_anon **anp)
{
    struct vm_anon *an = uvmsim_amap_lookup(m, e, va);
    *anp = an;
    if (an != NULL) {
        ref->pa = an->an_pa;
        ref->pg = an->an_page;
        return true;
    }
    if (e->object == NULL)
        return false;
    struct uvm_pagerio io = {0};
    return e->object->pgops->pgo_get(e->object, e->offset + (va - e->start), PGO_RESIDENT, ref, &io) == UVMSIM_OK;
}

/* Check the PTE (pa, prot) at va against what the VM says lives there. */
static int check_pte(struct chk *c, struct uvmsim_proc *p, struct vm_map_entry *e, vaddr_t va, paddr_t pa,
                     vm_prot_t prot)
{
    struct uvmsim_machine *m = c->m;
    if (prot & ~e->prot)
        return fail(c->msg, c->len, "pid %d va 0x%llx: PTE prot %u exceeds entry prot %u", p->pid,
                    (unsigned long long)va, prot, e->prot);
    struct uvm_pgref ref;
    struct vm_anon *an;
    bool have = vm_page_at(m, e, va, &ref, &an);
    /* Device pages are mapped unmanaged (no PV entry) by a pager with a fault op — the
     * fault-op XIP design — and only by it; everything else is managed. */
    bool faultop = e->object != NULL && e->object->pgops->pgo_fault != NULL;
    const struct vm_physseg *seg = uvmsim_phys_lookup(m, pa);
    bool device = seg != NULL && seg->kind == UVMSIM_SEG_DEVICE;
    bool managed = uvmsim_pmap_managed(p->pmap, va, pa);
    if (device && managed == faultop)
        return fail(c->msg, c->len, "pid %d va 0x%llx: a %s mapping of device page 0x%llx in a %s entry", p->pid,
                    (unsigned long long)va, managed ? "managed" : "unmanaged", (unsigned long long)pa,
                    e->object ? e->object->pgops->pgo_name : "anonymous");
    if (an != NULL && faultop && pa != an->an_pa) {
        /* The one incoherence that design has: a sharer promoted this page into the
         * shared amap through pgo_copy_page, with no source page known, so nothing could
         * find this mapping of the object's page (a device page, unmanaged, or the zero
         * page of a hole) to remove it.  It must still be the object's page, read-only. */
        struct uvm_pgref dref;
        struct uvm_pagerio io = {0};
        if (e->object->pgops->pgo_get(e->object, e->offset + (va - e->start), PGO_RESIDENT, &dref, &io) ||
            dref.pa != pa || (prot & UVMSIM_PROT_WRITE))
            return fail(c->msg, c->len, "pid %d va 0x%llx: PTE maps 0x%llx, neither the anon's page nor the object's",
                        p->pid, (unsigned long long)va, (unsigned long long)pa);
        return UVMSIM_OK;
    }
    if (an != NULL) {
        if (pa != an->an_pa)
            return fail(c->msg, c->len, "pid %d va 0x%llx: PTE maps 0x%llx but the anon's page is 0x%llx",
                        p->pid, (unsigned long long)va, (unsigned long long)pa, (unsigned long long)an->an_pa);
        if ((prot & UVMSIM_PROT_WRITE) && (an->an_ref > 1 || (e->etype & UVM_ET_NEEDSCOPY)))
            return fail(c->msg, c->len, "pid %d va 0x%llx: writable mapping of a shared anon (refs %u%s)", p->pid,
                        (unsigned long long)va, an->an_ref, (e->etype & UVM_ET_NEEDSCOPY) ? ", needs-copy" : "");
        return UVMSIM_OK;
    }
    if (e->object == NULL)
        return fail(c->msg, c->len, "pid %d va 0x%llx: mapped with neither anon nor object", p->pid,
                    (unsigned long long)va);
    if (!have)
        return fail(c->msg, c->len, "pid %d va 0x%llx: mapped, but the object page is not resident", p->pid,
                    (unsigned long long)va);
    if (ref.pa != pa)
        return fail(c->msg, c->len, "pid %d va 0x%llx: PTE maps 0x%llx but the object page is 0x%llx", p->pid,
                    (unsigned long long)va, (unsigned long long)pa, (unsigned long long)ref.pa);
    if ((prot & UVMSIM_PROT_WRITE) && ((e->etype & UVM_ET_COPYONWRITE) || ref.pg == NULL || pa == m->zero_pa))
        return fail(c->msg, c->len, "pid %d va 0x%llx: writable mapping of a copy-on-write, device or zero page",
                    p->pid, (unsigned long long)va);
    return UVMSIM_OK;
}

/* Count one expected wiring of the page ref (anon and object RAM pages only). */
static void expect_wired(struct chk *c, const struct uvm_pgref *ref)
{
    if (ref->pg == NULL || ref->pg->owner == PGO_ZERO)
        return;                     /* device and zero pages have nothing to wire */
    for (unsigned i = 0; i < c->m->nsegs; i++) {
        const struct vm_physseg *s = &c->m->segs[i];
        if (s->kind == UVMSIM_SEG_RAM && ref->pa >= s->start && ref->pa < s->end) {
            c->wire[i][(ref->pa - s->start) >> c->m->page_shift]++;
            return;
        }
    }
}

/* Every page of a wired entry is resident (the wire fault brought it in). */
static int check_wired_entry(struct chk *c, struct uvmsim_proc *p, struct vm_map_entry *e)
{
    for (vaddr_t va = e->start; va < e->end; va += c->m->cfg.page_size) {
        struct uvm_pgref ref;
        struct vm_anon *an;
        if (!vm_page_at(c->m, e, va, &ref, &an))
            return fail(c->msg, c->len, "pid %d va 0x%llx: in a wired entry but no page is resident", p->pid,
                        (unsigned long long)va);
        expect_wired(c, &ref);
    }
    return UVMSIM_OK;
}

static int check_map(struct chk *c, struct uvmsim_proc *p)
{
    struct uvmsim_machine *m = c->m;
    struct pmap_machine *pmm = p->pmap->pmm;
    uint64_t mapped = 0;
    for (unsigned i = 0; i < p->map.nents; i++) {
        struct vm_map_entry *e = p->map.ents[i];
        if (e->start >= e->end || (e->start & m->page_mask) || (e->end & m->page_mask))
            return fail(c->msg, c->len, "pid %d entry %u: bad range", p->pid, i);
        if (i > 0 && p->map.ents[i - 1]->end > e->start)
            return fail(c->msg, c->len, "pid %d entries %u and %u overlap or are unsorted", p->pid, i - 1, i);
        if (e->prot & ~e->maxprot)
            return fail(c->msg, c->len, "pid %d entry %u: prot above maxprot", p->pid, i);
        if ((e->etype & UVM_ET_NEEDSCOPY) && !(e->etype & UVM_ET_COPYONWRITE))
            return fail(c->msg, c->len, "pid %d entry %u: needs-copy without copy-on-write", p->pid, i);
        if (e->amap == NULL && e->object == NULL && !(e->etype & UVM_ET_NEEDSCOPY))
            return fail(c->msg, c->len, "pid %d entry %u: neither amap nor object, and not needs-copy", p->pid, i);
        uint64_t npages = (e->end - e->start) >> m->page_shift;
        if (e->amap) {
            if ((uint64_t)e->slotoff + npages > e->amap->am_nslot)
                return fail(c->msg, c->len, "pid %d entry %u: slots past the amap's end", p->pid, i);
            if (c->narefs == c->cap_arefs) {
                size_t ncap = c->cap_arefs ? c->cap_arefs * 2 : 64;
                struct aref *na = realloc(c->arefs, ncap * sizeof(*na));
                if (na == NULL)
                    return UVMSIM_ENOHOST;
                c->arefs = na;
                c->cap_arefs = ncap;
            }
            c->arefs[c->narefs++] = (struct aref){e->amap, e->slotoff, (unsigned)npages};
        }
        if (e->object)
            e->object->uo_check++;
        vaddr_t cur = e->start, eva = e->end < pmm->va_end ? e->end : pmm->va_end, va;
        struct pmap_pte pte;
        while (cur < eva && pmm->ops->next_valid(p->pmap, cur, eva, &va, &pte)) {
            mapped++;
            int err = check_pte(c, p, e, va, pte.pa, pte.prot);
            if (err)
                return err;
            cur = va + m->cfg.page_size;
        }
        if (e->wired_count > 0) {
            int err = check_wired_entry(c, p, e);
            if (err)
                return err;
        }
    }
    if (mapped != p->pmap->resident)
        return fail(c->msg, c->len, "pid %d: pmap has %llu valid PTEs but %llu lie inside map entries", p->pid,
                    (unsigned long long)p->pmap->resident, (unsigned long long)mapped);
    return UVMSIM_OK;
}

static int cmp_aref(const void *a, const void *b)
{
    const struct aref *x = a, *y = b;
    if (x->am != y->am)
        return x->am->am_id < y->am->am_id ? -1 : 1;
    return (x->s > y->s) - (x->s < y->s);
}

/* The number of entries of g[0..n) covering slot x. */
static unsigned covering(const struct aref *g, size_t n, unsigned x)
{
    unsigned k = 0;
    for (size_t i = 0; i < n; i++)
        k += g[i].s <= x && x < g[i].s + g[i].n;
    return k;
}

/* Coverage of [lo, hi) by the entries g[0..n): the number covering lo, and whether it is
 * the same all along the interval (checked at every entry edge inside it). */
static unsigned coverage(const struct aref *g, size_t n, unsigned lo, unsigned hi, bool *constant)
{
    unsigned at_lo = covering(g, n, lo);
    *constant = true;
    for (size_t i = 0; i < n && *constant; i++) {
        unsigned edge[2] = {g[i].s, g[i].s + g[i].n};
        for (int k = 0; k < 2; k++)
            if (edge[k] > lo && edge[k] < hi && covering(g, n, edge[k]) != at_lo)
                *constant = false;
    }
    return at_lo;
}

/* One amap against the entries naming it (g[0..n), sorted by first slot): am_ref, the
 * per-slot references (run by run), the anons only in covered slots, am_nused; each anon
 * found gains an_check. */
static int check_amap(struct chk *c, struct vm_amap *am, const struct aref *g, size_t n)
{
    if (n != am->am_ref)
        return fail(c->msg, c->len, "amap %llu: am_ref %u but %zu entries reference it",
                    (unsigned long long)am->am_id, am->am_ref, n);
    if (am->am_ref == 1 && (am->am_flags & AMAP_SHARED))
        return fail(c->msg, c->len, "amap %llu: AMAP_SHARED with one reference", (unsigned long long)am->am_id);
    if (!am->am_pprefed) {
        for (size_t i = 0; i < n; i++)
            if (g[i].s != 0 || g[i].n != am->am_nslot)
                return fail(c->msg, c->len, "amap %llu: no per-slot references, yet an entry covers slots [%u, %u) of %u",
                            (unsigned long long)am->am_id, g[i].s, g[i].s + g[i].n, am->am_nslot);
    } else {
        /* the entries overlap on nothing but what the runs say, run by run */
        size_t nruns = 0;
        for (unsigned s = 0; s < am->am_nslot;) {
            unsigned start, len, ref;
            uvmsim_amap_pp_run(am, s, &start, &len, &ref);
            if (start != s || len == 0 || (uint64_t)s + len > am->am_nslot || ++nruns > am->am_nslot)
                return fail(c->msg, c->len, "amap %llu: corrupt reference run at slot %u", (unsigned long long)am->am_id, s);
            bool constant;
            unsigned cov = coverage(g, n, s, s + len, &constant);
            if (!constant || cov != ref)
                return fail(c->msg, c->len, "amap %llu slots [%u, %u): ppref %u but %u entries cover slot %u%s",
                            (unsigned long long)am->am_id, s, s + len, ref, cov, s,
                            constant ? "" : " (and the coverage changes inside the run)");
            s += len;
        }
    }
    unsigned used = 0, slot;
    struct vm_anon *an;
    for (unsigned from = 0; uvmsim_amap_next(am, from, am->am_nslot, &slot, &an); from = slot + 1) {
        used++;
        unsigned start, len, ref;
        uvmsim_amap_pp_run(am, slot, &start, &len, &ref);
        if (ref == 0)
            return fail(c->msg, c->len, "amap %llu slot %u: anon in a slot no entry covers",
                        (unsigned long long)am->am_id, slot);
        an->an_check++;
    }
    if (used != am->am_nused)
        return fail(c->msg, c->len, "amap %llu: am_nused %u but %u slots hold anons",
                    (unsigned long long)am->am_id, am->am_nused, used);
    return UVMSIM_OK;
}

/* Amaps and anons: every distinct amap once; then every anon's an_ref against the slots
 * holding it. */
static int check_amaps(struct chk *c, uint64_t *amaps, uint64_t *anons)
{
    if (c->narefs > 1)
        qsort(c->arefs, c->narefs, sizeof(*c->arefs), cmp_aref);
    /* zero the anons' scratch counters */
    for (size_t i = 0; i < c->narefs; i++) {
        if (i > 0 && c->arefs[i].am == c->arefs[i - 1].am)
            continue;
        unsigned slot;
        struct vm_anon *an;
        for (unsigned from = 0; uvmsim_amap_next(c->arefs[i].am, from, c->arefs[i].am->am_nslot, &slot, &an);
             from = slot + 1)
            an->an_check = 0;
    }
    for (size_t i = 0; i < c->narefs;) {
        size_t j = i;
        while (j < c->narefs && c->arefs[j].am == c->arefs[i].am)
            j++;
        int err = check_amap(c, c->arefs[i].am, &c->arefs[i], j - i);
        if (err)
            return err;
        (*amaps)++;
        i = j;
    }
    for (size_t i = 0; i < c->narefs; i++) {
        if (i > 0 && c->arefs[i].am == c->arefs[i - 1].am)
            continue;
        unsigned slot;
        struct vm_anon *an;
        for (unsigned from = 0; uvmsim_amap_next(c->arefs[i].am, from, c->arefs[i].am->am_nslot, &slot, &an);
             from = slot + 1) {
            if (an->an_check == UINT32_MAX)
                continue;
            if (an->an_check != an->an_ref)
                return fail(c->msg, c->len, "anon at pa 0x%llx: an_ref %u but %u amap slots hold it",
                            (unsigned long long)an->an_pa, an->an_ref, an->an_check);
            if (an->an_page->owner != PGO_ANON || an->an_page->uanon != an)
                return fail(c->msg, c->len, "anon at pa 0x%llx: its page does not point back",
                            (unsigned long long)an->an_pa);
            an->an_check = UINT32_MAX;   /* counted */
            (*anons)++;
        }
    }
    return UVMSIM_OK;
}

/* Objects: references, resident pages pointing back, counts. */
static int check_objects(struct chk *c, uint64_t *objpages)
{
    struct uvmsim_machine *m = c->m;
    uint64_t objects = 0;
    for (struct uvm_object *uo = m->objects; uo; uo = uo->uo_next) {
        objects++;
        if (uo->uo_check + uo->uo_held != uo->uo_refs)
            return fail(c->msg, c->len, "object %llu (%s): uo_refs %u but %u entries and %u holders use it",
                        (unsigned long long)uo->uo_id, uo->pgops->pgo_name, uo->uo_refs, uo->uo_check, uo->uo_held);
        uint64_t res = 0, idx;
        struct vm_page *pg;
        for (uint64_t from = 0; uvmsim_object_next_page(uo, from, &idx, &pg); from = idx + 1) {
            res++;
            if (pg->owner != PGO_OBJECT || pg->uobject != uo || pg->offset != (idx << m->page_shift))
                return fail(c->msg, c->len, "object %llu page %llu does not point back", (unsigned long long)uo->uo_id,
                            (unsigned long long)idx);
        }
        if (res != uo->uo_npages_resident)
            return fail(c->msg, c->len, "object %llu: %llu resident pages counted, %llu found",
                        (unsigned long long)uo->uo_id, (unsigned long long)uo->uo_npages_resident,
                        (unsigned long long)res);
        *objpages += res;
    }
    if (objects != m->vmstats.objects_live)
        return fail(c->msg, c->len, "%llu objects live but %llu listed", (unsigned long long)m->vmstats.objects_live,
                    (unsigned long long)objects);
    return UVMSIM_OK;
}

/* Every RAM page's wire count against the wired entries resolving to it. */
static int check_wiring(struct chk *c)
{
    struct uvmsim_machine *m = c->m;
    uint64_t wired = 0;
    for (unsigned i = 0; i < m->nsegs; i++) {
        const struct vm_physseg *s = &m->segs[i];
        if (s->kind != UVMSIM_SEG_RAM)
            continue;
        for (uint64_t k = 0; k < s->npages; k++) {
            if (s->pgs[k].wire_count != c->wire[i][k])
                return fail(c->msg, c->len, "page 0x%llx (owner %u): wire count %u but %u wired mappings resolve to it",
                            (unsigned long long)(s->start + (k << m->page_shift)), s->pgs[k].owner,
                            s->pgs[k].wire_count, c->wire[i][k]);
            wired += s->pgs[k].wire_count > 0;
        }
    }
    if (wired != m->vmstats.wired_pages)
        return fail(c->msg, c->len, "%llu pages wired but vm.wired_pages says %llu", (unsigned long long)wired,
                    (unsigned long long)m->vmstats.wired_pages);
    return UVMSIM_OK;
}

static int check_ram(struct chk *c, uint64_t anons, uint64_t objpages)
{
    struct uvmsim_machine *m = c->m;
    const uvmsim_ram_stats *r = &m->ram;
    if (r->used_pages != r->anon_pages + r->object_pages + r->ptp_pages + r->zero_pages + r->other_pages)
        return fail(c->msg, c->len, "RAM: %llu pages used but owners add up to %llu", (unsigned long long)r->used_pages,
                    (unsigned long long)(r->anon_pages + r->object_pages + r->ptp_pages + r->zero_pages + r->other_pages));
    if (r->used_pages + r->free_pages != r->total_pages)
        return fail(c->msg, c->len, "RAM: used + free != total");
    if (r->anon_pages != anons)
        return fail(c->msg, c->len, "RAM: %llu anon pages but %llu anons", (unsigned long long)r->anon_pages,
                    (unsigned long long)anons);
    if (r->object_pages != objpages)
        return fail(c->msg, c->len, "RAM: %llu object pages but objects hold %llu", (unsigned long long)r->object_pages,
                    (unsigned long long)objpages);
    if (r->zero_pages != 1 || m->zero_pg->owner != PGO_ZERO)
        return fail(c->msg, c->len, "RAM: the zero page is missing");
    static const uint8_t zeros[64];
    for (size_t off = 0; off < m->cfg.page_size; off += sizeof(zeros)) {
        uint8_t buf[sizeof(zeros)];
        uvmsim_phys_read(m, m->zero_pa + off, buf, sizeof(buf));
        if (memcmp(buf, zeros, sizeof(buf)) != 0)
            return fail(c->msg, c->len, "the shared zero page is no longer zero at offset %zu", off);
    }
    return UVMSIM_OK;
}

static int check_all(struct chk *c)
{
    struct uvmsim_machine *m = c->m;
    int err = uvmsim_pmap_check(m, c->msg, c->len);
    if (err)
        return err;
    c->wire = calloc(m->nsegs ? m->nsegs : 1, sizeof(*c->wire));
    if (c->wire == NULL)
        return UVMSIM_ENOHOST;
    for (unsigned i = 0; i < m->nsegs; i++)
        if (m->segs[i].kind == UVMSIM_SEG_RAM &&
            (c->wire[i] = calloc(m->segs[i].npages ? m->segs[i].npages : 1, sizeof(uint32_t))) == NULL)
            return UVMSIM_ENOHOST;
    for (struct uvm_object *uo = m->objects; uo; uo = uo->uo_next)
        uo->uo_check = 0;
    for (struct uvmsim_proc *p = m->procs; p; p = p->p_next)
        if ((err = check_map(c, p)) != UVMSIM_OK)
            return err;
    uint64_t amaps = 0, anons = 0, objpages = 0;
    if ((err = check_amaps(c, &amaps, &anons)) != UVMSIM_OK)
        return err;
    if (amaps != m->vmstats.amaps_live)
        return fail(c->msg, c->len, "%llu amaps live but %llu reachable", (unsigned long long)m->vmstats.amaps_live,
                    (unsigned long long)amaps);
    if (anons != m->vmstats.anons_live)
        return fail(c->msg, c->len, "%llu anons live but %llu reachable", (unsigned long long)m->vmstats.anons_live,
                    (unsigned long long)anons);
    if ((err = check_objects(c, &objpages)) != UVMSIM_OK)
        return err;
    if ((err = check_wiring(c)) != UVMSIM_OK)
        return err;
    return check_ram(c, anons, objpages);
}

int uvmsim_check(uvmsim_machine *m, char *msg, size_t msglen)
{
    if (m == NULL)
        return UVMSIM_EINVAL;
    if (msg && msglen)
        msg[0] = '\0';
    struct chk c = {.m = m, .msg = msg, .len = msglen};
    int err = check_all(&c);
    if (c.wire)
        for (unsigned i = 0; i < m->nsegs; i++)
            free(c.wire[i]);
    free(c.wire);
    free(c.arefs);
    return err;
}
