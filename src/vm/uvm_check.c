/* uvmsim — the invariant checker.  Recomputes every reference count and accounting
 * total from the structures themselves and compares with what is stored; also checks
 * that every live mapping agrees with the VM (right page, no more rights than allowed).
 * Tests call it after every operation; a failure names the first violation found. */
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

/* Pass 1: zero the scratch counters of everything reachable. */
static int scratch_reset(struct uvmsim_machine *m)
{
    for (struct uvm_object *uo = m->objects; uo; uo = uo->uo_next)
        uo->uo_check = 0;
    for (struct uvmsim_proc *p = m->procs; p; p = p->p_next) {
        for (unsigned i = 0; i < p->map.nents; i++) {
            struct vm_amap *am = p->map.ents[i]->amap;
            if (am == NULL)
                continue;
            am->am_check = 0;
            free(am->am_ppcheck);
            am->am_ppcheck = calloc(am->am_nslot ? am->am_nslot : 1, sizeof(unsigned));
            if (am->am_ppcheck == NULL)
                return UVMSIM_ENOHOST;
            for (unsigned s = 0; s < am->am_nslot; s++)
                if (am->am_anon[s])
                    am->am_anon[s]->an_check = 0;
        }
    }
    return UVMSIM_OK;
}

static void scratch_free(struct uvmsim_machine *m)
{
    for (struct uvmsim_proc *p = m->procs; p; p = p->p_next)
        for (unsigned i = 0; i < p->map.nents; i++)
            if (p->map.ents[i]->amap) {
                free(p->map.ents[i]->amap->am_ppcheck);
                p->map.ents[i]->amap->am_ppcheck = NULL;
            }
}

/* Check the PTE at va (if any) against what the VM says lives there. */
static int check_pte(struct uvmsim_machine *m, struct uvmsim_proc *p, struct vm_map_entry *e,
                     vaddr_t va, uint64_t *mapped, char *msg, size_t len)
{
    paddr_t pa;
    vm_prot_t prot;
    if (!uvmsim_pmap_extract(p->pmap, va, &pa, &prot))
        return UVMSIM_OK;
    (*mapped)++;
    if (prot & ~e->prot)
        return fail(msg, len, "pid %d va 0x%llx: PTE prot %u exceeds entry prot %u", p->pid,
                    (unsigned long long)va, prot, e->prot);
    struct vm_anon *an = uvmsim_amap_lookup(m, e, va);
    if (an != NULL) {
        if (pa != an->an_pa)
            return fail(msg, len, "pid %d va 0x%llx: PTE maps 0x%llx but the anon's page is 0x%llx",
                        p->pid, (unsigned long long)va, (unsigned long long)pa, (unsigned long long)an->an_pa);
        if ((prot & UVMSIM_PROT_WRITE) && (an->an_ref > 1 || (e->etype & UVM_ET_NEEDSCOPY)))
            return fail(msg, len, "pid %d va 0x%llx: writable mapping of a shared anon (refs %u%s)", p->pid,
                        (unsigned long long)va, an->an_ref, (e->etype & UVM_ET_NEEDSCOPY) ? ", needs-copy" : "");
        return UVMSIM_OK;
    }
    if (e->object == NULL)
        return fail(msg, len, "pid %d va 0x%llx: mapped with neither anon nor object", p->pid, (unsigned long long)va);
    struct uvm_pgref ref;
    struct uvm_pagerio io = {0};
    if (e->object->pgops->pgo_get(e->object, e->offset + (va - e->start), PGO_LOCKED, &ref, &io) != UVMSIM_OK)
        return fail(msg, len, "pid %d va 0x%llx: mapped, but the object page is not resident", p->pid,
                    (unsigned long long)va);
    if (ref.pa != pa)
        return fail(msg, len, "pid %d va 0x%llx: PTE maps 0x%llx but the object page is 0x%llx", p->pid,
                    (unsigned long long)va, (unsigned long long)pa, (unsigned long long)ref.pa);
    if ((prot & UVMSIM_PROT_WRITE) && ((e->etype & UVM_ET_COPYONWRITE) || ref.pg == NULL || pa == m->zero_pa))
        return fail(msg, len, "pid %d va 0x%llx: writable mapping of a copy-on-write, device or zero page",
                    p->pid, (unsigned long long)va);
    return UVMSIM_OK;
}

static int check_map(struct uvmsim_machine *m, struct uvmsim_proc *p, char *msg, size_t len)
{
    uint64_t mapped = 0;
    for (unsigned i = 0; i < p->map.nents; i++) {
        struct vm_map_entry *e = p->map.ents[i];
        if (e->start >= e->end || (e->start & m->page_mask) || (e->end & m->page_mask))
            return fail(msg, len, "pid %d entry %u: bad range", p->pid, i);
        if (i > 0 && p->map.ents[i - 1]->end > e->start)
            return fail(msg, len, "pid %d entries %u and %u overlap or are unsorted", p->pid, i - 1, i);
        if (e->prot & ~e->maxprot)
            return fail(msg, len, "pid %d entry %u: prot above maxprot", p->pid, i);
        if ((e->etype & UVM_ET_NEEDSCOPY) && !(e->etype & UVM_ET_COPYONWRITE))
            return fail(msg, len, "pid %d entry %u: needs-copy without copy-on-write", p->pid, i);
        unsigned npages = (unsigned)((e->end - e->start) >> m->page_shift);
        if (e->amap) {
            struct vm_amap *am = e->amap;
            if ((uint64_t)e->slotoff + npages > am->am_nslot)
                return fail(msg, len, "pid %d entry %u: slots past the amap's end", p->pid, i);
            am->am_check++;
            for (unsigned s = 0; s < npages; s++)
                am->am_ppcheck[e->slotoff + s]++;
        }
        if (e->object)
            e->object->uo_check++;
        /* only the valid PTEs: a sparse mapping of 2^31 pages costs what is mapped */
        const struct pmap_ops *ops = p->pmap->pmm->ops;
        struct pmap_pte pte;
        vaddr_t sva = e->start, va;
        while (sva < e->end && ops->next_valid(p->pmap, sva, e->end, &va, &pte)) {
            int err = check_pte(m, p, e, va, &mapped, msg, len);
            if (err)
                return err;
            sva = va + m->cfg.page_size;
        }
    }
    if (mapped != p->pmap->resident)
        return fail(msg, len, "pid %d: pmap has %llu valid PTEs but %llu lie inside map entries", p->pid,
                    (unsigned long long)p->pmap->resident, (unsigned long long)mapped);
    return UVMSIM_OK;
}

/* Pass 3: each amap's stored counts against the recomputed ones; anons counted once per
 * amap slot.  An amap is visited once (am_check set to 0 after). */
static int check_amaps(struct uvmsim_machine *m, uint64_t *amaps, char *msg, size_t len)
{
    for (struct uvmsim_proc *p = m->procs; p; p = p->p_next) {
        for (unsigned i = 0; i < p->map.nents; i++) {
            struct vm_amap *am = p->map.ents[i]->amap;
            if (am == NULL || am->am_ppcheck == NULL)
                continue;
            if (am->am_check != am->am_ref)
                return fail(msg, len, "amap %llu: am_ref %u but %u entries reference it",
                            (unsigned long long)am->am_id, am->am_ref, am->am_check);
            unsigned used = 0;
            for (unsigned s = 0; s < am->am_nslot; s++) {
                if (am->am_ppcheck[s] != am->am_ppref[s])
                    return fail(msg, len, "amap %llu slot %u: ppref %u but %u entries cover it",
                                (unsigned long long)am->am_id, s, am->am_ppref[s], am->am_ppcheck[s]);
                struct vm_anon *an = am->am_anon[s];
                if (an == NULL)
                    continue;
                used++;
                if (am->am_ppref[s] == 0)
                    return fail(msg, len, "amap %llu slot %u: anon in a slot no entry covers",
                                (unsigned long long)am->am_id, s);
                an->an_check++;
            }
            if (used != am->am_nused)
                return fail(msg, len, "amap %llu: am_nused %u but %u slots hold anons",
                            (unsigned long long)am->am_id, am->am_nused, used);
            free(am->am_ppcheck);
            am->am_ppcheck = NULL;
            (*amaps)++;
        }
    }
    return UVMSIM_OK;
}

/* Pass 4: anon reference counts and page ownership (each anon visited once). */
static int check_anons(struct uvmsim_machine *m, uint64_t *anons, char *msg, size_t len)
{
    for (struct uvmsim_proc *p = m->procs; p; p = p->p_next) {
        for (unsigned i = 0; i < p->map.nents; i++) {
            struct vm_amap *am = p->map.ents[i]->amap;
            for (unsigned s = 0; am && s < am->am_nslot; s++) {
                struct vm_anon *an = am->am_anon[s];
                if (an == NULL || an->an_check == UINT32_MAX)
                    continue;
                if (an->an_check != an->an_ref)
                    return fail(msg, len, "anon at pa 0x%llx: an_ref %u but %u amap slots hold it",
                                (unsigned long long)an->an_pa, an->an_ref, an->an_check);
                if (an->an_page->owner != PGO_ANON || an->an_page->uanon != an)
                    return fail(msg, len, "anon at pa 0x%llx: its page does not point back", (unsigned long long)an->an_pa);
                an->an_check = UINT32_MAX;   /* counted */
                (*anons)++;
            }
        }
    }
    return UVMSIM_OK;
}

int uvmsim_check(uvmsim_machine *m, char *msg, size_t msglen)
{
    if (m == NULL)
        return UVMSIM_EINVAL;
    if (msg && msglen)
        msg[0] = '\0';
    int err = uvmsim_pmap_check(m, msg, msglen);
    if (err)
        return err;
    err = scratch_reset(m);
    if (err)
        return err;
    for (struct uvmsim_proc *p = m->procs; p && !err; p = p->p_next)
        err = check_map(m, p, msg, msglen);
    uint64_t amaps = 0, anons = 0;
    if (!err)
        err = check_amaps(m, &amaps, msg, msglen);
    scratch_free(m);
    if (!err)
        err = check_anons(m, &anons, msg, msglen);
    if (err)
        return err;
    if (amaps != m->vmstats.amaps_live)
        return fail(msg, msglen, "%llu amaps live but %llu reachable", (unsigned long long)m->vmstats.amaps_live,
                    (unsigned long long)amaps);
    if (anons != m->vmstats.anons_live)
        return fail(msg, msglen, "%llu anons live but %llu reachable", (unsigned long long)m->vmstats.anons_live,
                    (unsigned long long)anons);
    uint64_t objects = 0, objpages = 0;
    for (struct uvm_object *uo = m->objects; uo; uo = uo->uo_next) {
        objects++;
        if (uo->uo_check != uo->uo_refs)
            return fail(msg, msglen, "object %llu (%s): uo_refs %u but %u entries use it", (unsigned long long)uo->uo_id,
                        uo->pgops->pgo_name, uo->uo_refs, uo->uo_check);
        uint64_t res = 0;
        for (uint64_t i = 0; uo->pages && i < uo->uo_npages; i++) {
            struct vm_page *pg = uo->pages[i];
            if (pg == NULL)
                continue;
            res++;
            if (pg->owner != PGO_OBJECT || pg->uobject != uo || pg->offset != (i << m->page_shift))
                return fail(msg, msglen, "object %llu page %llu does not point back", (unsigned long long)uo->uo_id,
                            (unsigned long long)i);
        }
        if (res != uo->uo_npages_resident)
            return fail(msg, msglen, "object %llu: %llu resident pages counted, %llu found", (unsigned long long)uo->uo_id,
                        (unsigned long long)uo->uo_npages_resident, (unsigned long long)res);
        objpages += res;
    }
    if (objects != m->vmstats.objects_live)
        return fail(msg, msglen, "%llu objects live but %llu listed", (unsigned long long)m->vmstats.objects_live,
                    (unsigned long long)objects);
    const uvmsim_ram_stats *r = &m->ram;
    if (r->used_pages != r->anon_pages + r->object_pages + r->ptp_pages + r->zero_pages + r->other_pages)
        return fail(msg, msglen, "RAM: %llu pages used but owners add up to %llu", (unsigned long long)r->used_pages,
                    (unsigned long long)(r->anon_pages + r->object_pages + r->ptp_pages + r->zero_pages + r->other_pages));
    if (r->used_pages + r->free_pages != r->total_pages)
        return fail(msg, msglen, "RAM: used + free != total");
    if (r->anon_pages != anons)
        return fail(msg, msglen, "RAM: %llu anon pages but %llu anons", (unsigned long long)r->anon_pages,
                    (unsigned long long)anons);
    if (r->object_pages != objpages)
        return fail(msg, msglen, "RAM: %llu object pages but objects hold %llu", (unsigned long long)r->object_pages,
                    (unsigned long long)objpages);
    if (r->zero_pages != 1 || m->zero_pg->owner != PGO_ZERO)
        return fail(msg, msglen, "RAM: the zero page is missing");
    static const uint8_t zeros[64];
    for (size_t off = 0; off < m->cfg.page_size; off += sizeof(zeros)) {
        uint8_t buf[sizeof(zeros)];
        uvmsim_phys_read(m, m->zero_pa + off, buf, sizeof(buf));
        if (memcmp(buf, zeros, sizeof(buf)) != 0)
            return fail(msg, msglen, "the shared zero page is no longer zero at offset %zu", off);
    }
    return UVMSIM_OK;
}
