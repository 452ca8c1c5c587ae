/* uvmsim — introspection: a read-only snapshot of processes, map entries, amaps, anons,
 * objects, page-table translations and TLB entries for pictures and tests (see
 * uvm_introspect.h).
 * Page tables are read through the backend's walk / next_valid ops, which neither touch
 * the TLB nor count, so taking a snapshot leaves every statistic as it was. */
#include <stdlib.h>
#include <string.h>
#include "uvm_vm.h"
#include "uvm_introspect.h"
#include "../pmap_sim/pmap_impl.h"

/* Pointer → index map (open addressing) for de-duplicating amaps and anons that several
 * entries or amaps share.  cap is a power of two, at least twice the number of keys. */
struct ptrmap {
    const void **keys;
    uint32_t *vals;
    size_t cap, n;
};

static size_t ptr_hash(const void *p, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static int ptrmap_grow(struct ptrmap *pm)
{
    size_t ncap = pm->cap ? pm->cap * 2 : 64;
    const void **nk = calloc(ncap, sizeof(*nk));
    uint32_t *nv = calloc(ncap, sizeof(*nv));
    if (nk == NULL || nv == NULL) {
        free(nk);
        free(nv);
        return UVMSIM_ENOHOST;
    }
    for (size_t i = 0; i < pm->cap; i++) {
        if (pm->keys[i] == NULL)
            continue;
        size_t h = ptr_hash(pm->keys[i], ncap);
        while (nk[h] != NULL)
            h = (h + 1) & (ncap - 1);
        nk[h] = pm->keys[i];
        nv[h] = pm->vals[i];
    }
    free(pm->keys);
    free(pm->vals);
    pm->keys = nk;
    pm->vals = nv;
    pm->cap = ncap;
    return UVMSIM_OK;
}

/* Index of key, or UVMSIM_ISP_NONE. */
static uint32_t ptrmap_get(const struct ptrmap *pm, const void *key)
{
    if (pm->cap == 0)
        return UVMSIM_ISP_NONE;
    for (size_t h = ptr_hash(key, pm->cap); pm->keys[h] != NULL; h = (h + 1) & (pm->cap - 1))
        if (pm->keys[h] == key)
            return pm->vals[h];
    return UVMSIM_ISP_NONE;
}

/* Insert key with value val unless present; *was_new tells which. */
static int ptrmap_put(struct ptrmap *pm, const void *key, uint32_t val, bool *was_new)
{
    *was_new = false;
    if (ptrmap_get(pm, key) != UVMSIM_ISP_NONE)
        return UVMSIM_OK;
    if ((pm->n + 1) * 2 > pm->cap) {
        int err = ptrmap_grow(pm);
        if (err)
            return err;
    }
    size_t h = ptr_hash(key, pm->cap);
    while (pm->keys[h] != NULL)
        h = (h + 1) & (pm->cap - 1);
    pm->keys[h] = key;
    pm->vals[h] = val;
    pm->n++;
    *was_new = true;
    return UVMSIM_OK;
}

static void ptrmap_free(struct ptrmap *pm)
{
    free(pm->keys);
    free(pm->vals);
}

/* Append one element to a growing array; *cap doubles as needed. */
static void *grow(void *arr, uint32_t n, uint32_t *cap, size_t elem)
{
    if (n < *cap)
        return arr;
    uint32_t ncap = *cap ? *cap * 2 : 16;
    void *na = realloc(arr, (size_t)ncap * elem);
    if (na != NULL)
        *cap = ncap;
    return na;
}

uvmsim_page_loc uvmsim_introspect_loc(const uvmsim_machine *m, uvmsim_paddr_t pa)
{
    if (m == NULL)
        return UVMSIM_LOC_NONE;
    pa &= ~(uvmsim_paddr_t)m->page_mask;
    if (pa == m->zero_pa)
        return UVMSIM_LOC_ZERO;
    const struct vm_physseg *seg = uvmsim_phys_lookup(m, pa);
    if (seg == NULL)
        return UVMSIM_LOC_NONE;
    return seg->kind == UVMSIM_SEG_RAM ? UVMSIM_LOC_RAM : UVMSIM_LOC_DEVICE;
}

bool uvmsim_introspect_extract(const uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_paddr_t *pa,
                               uvmsim_prot_t *prot)
{
    if (p == NULL || p->pmap == NULL)
        return false;
    struct pmap_machine *pmm = p->pmap->pmm;
    struct pmap_pte pte;
    va &= ~(uvmsim_vaddr_t)pmm->m->page_mask;
    if (va >= pmm->va_end || !pmm->ops->walk(p->pmap, va, &pte) || !pte.valid)
        return false;
    if (pa)
        *pa = pte.pa;
    if (prot)
        *prot = pte.prot;
    return true;
}

static int cmp_proc(const void *a, const void *b)
{
    int x = (*(struct uvmsim_proc *const *)a)->pid, y = (*(struct uvmsim_proc *const *)b)->pid;
    return (x > y) - (x < y);
}

static int cmp_amap(const void *a, const void *b)
{
    uint64_t x = (*(struct vm_amap *const *)a)->am_id, y = (*(struct vm_amap *const *)b)->am_id;
    return (x > y) - (x < y);
}

static int cmp_object(const void *a, const void *b)
{
    uint64_t x = (*(struct uvm_object *const *)a)->uo_id, y = (*(struct uvm_object *const *)b)->uo_id;
    return (x > y) - (x < y);
}

static int cmp_tlbent(const void *a, const void *b)
{
    const struct uvmsim_isp_tlbent *x = a, *y = b;
    if (x->tlb != y->tlb)
        return x->tlb < y->tlb ? -1 : 1;
    if (x->tag != y->tag)
        return x->tag < y->tag ? -1 : 1;
    return (x->va > y->va) - (x->va < y->va);
}

const struct uvmsim_isp_tlbent *uvmsim_introspect_tlb_find(const struct uvmsim_isp_snapshot *s,
                                                           const struct uvmsim_isp_tlbent *e)
{
    return s && s->ntlb ? bsearch(e, s->tlb, s->ntlb, sizeof(*e), cmp_tlbent) : NULL;
}

/* Working state while a snapshot is built. */
struct isp_build {
    const struct uvmsim_machine *m;
    struct uvmsim_isp_snapshot *s;
    uint32_t cap_entries, cap_ptes, cap_slots, cap_anons, cap_objpages, cap_tlb;
    unsigned tlb_no;                   /* collect_tlb: which TLB is being visited */
    int err;                           /* collect_tlb: the first failure */
    struct uvmsim_proc **procs;
    struct vm_amap **amaps;            /* distinct amaps, then sorted by id */
    uint32_t namaps, cap_amaps;
    struct uvm_object **objects;       /* live objects sorted by id */
    struct ptrmap amap_idx, anon_idx, object_idx;
};

static int collect_objects(struct isp_build *b)
{
    const struct uvmsim_machine *m = b->m;
    uint32_t n = 0;
    for (struct uvm_object *uo = m->objects; uo; uo = uo->uo_next)
        n++;
    b->objects = calloc(n ? n : 1, sizeof(*b->objects));
    b->s->objects = calloc(n ? n : 1, sizeof(*b->s->objects));
    if (b->objects == NULL || b->s->objects == NULL)
        return UVMSIM_ENOHOST;
    n = 0;
    for (struct uvm_object *uo = m->objects; uo; uo = uo->uo_next)
        b->objects[n++] = uo;
    qsort(b->objects, n, sizeof(*b->objects), cmp_object);
    b->s->nobjects = n;
    for (uint32_t i = 0; i < n; i++) {
        struct uvm_object *uo = b->objects[i];
        struct uvmsim_isp_object *o = &b->s->objects[i];
        bool fresh;
        int err = ptrmap_put(&b->object_idx, uo, i, &fresh);
        if (err)
            return err;
        o->id = uo->uo_id;
        o->kind = uo->pgops->pgo_name;
        o->refs = uo->uo_refs;
        o->npages = uo->uo_npages;
        o->first_page = b->s->nobjpages;
        uint64_t k;
        struct vm_page *pg;
        for (uint64_t from = 0; uvmsim_object_next_page(uo, from, &k, &pg); from = k + 1) {
            struct uvmsim_isp_objpage *na = grow(b->s->objpages, b->s->nobjpages, &b->cap_objpages,
                                                 sizeof(*na));
            if (na == NULL)
                return UVMSIM_ENOHOST;
            b->s->objpages = na;
            paddr_t pa = uvmsim_vm_page_to_phys(m, pg);
            na[b->s->nobjpages++] = (struct uvmsim_isp_objpage){
                .index = k, .pa = pa, .pv_count = uvmsim_pmap_pv_count(m, pa)};
        }
        o->nres = b->s->nobjpages - o->first_page;
    }
    return UVMSIM_OK;
}

/* Every distinct amap named by some entry, sorted by id, indexed in amap_idx. */
static int collect_amaps(struct isp_build *b, uint32_t nprocs)
{
    for (uint32_t i = 0; i < nprocs; i++) {
        const struct vm_map *map = &b->procs[i]->map;
        for (unsigned k = 0; k < map->nents; k++) {
            struct vm_amap *am = map->ents[k]->amap;
            if (am == NULL)
                continue;
            bool fresh;
            int err = ptrmap_put(&b->amap_idx, am, 0, &fresh);
            if (err)
                return err;
            if (!fresh)
                continue;
            struct vm_amap **na = grow(b->amaps, b->namaps, &b->cap_amaps, sizeof(*na));
            if (na == NULL)
                return UVMSIM_ENOHOST;
            b->amaps = na;
            b->amaps[b->namaps++] = am;
        }
    }
    if (b->namaps)
        qsort(b->amaps, b->namaps, sizeof(*b->amaps), cmp_amap);
    /* renumber by sorted position */
    for (uint32_t i = 0; i < b->namaps; i++)
        for (size_t h = ptr_hash(b->amaps[i], b->amap_idx.cap); ; h = (h + 1) & (b->amap_idx.cap - 1))
            if (b->amap_idx.keys[h] == b->amaps[i]) {
                b->amap_idx.vals[h] = i;
                break;
            }
    b->s->amaps = calloc(b->namaps ? b->namaps : 1, sizeof(*b->s->amaps));
    if (b->s->amaps == NULL)
        return UVMSIM_ENOHOST;
    b->s->namaps = b->namaps;
    for (uint32_t i = 0; i < b->namaps; i++) {
        const struct vm_amap *am = b->amaps[i];
        struct uvmsim_isp_amap *a = &b->s->amaps[i];
        a->id = am->am_id;
        a->refs = am->am_ref;
        a->nslot = am->am_nslot;
        a->shared = (am->am_flags & AMAP_SHARED) != 0;
        a->first_slot = b->s->nslots;
        unsigned sl;
        struct vm_anon *an;
        for (unsigned from = 0; uvmsim_amap_next(am, from, am->am_nslot, &sl, &an); from = sl + 1) {
            bool fresh;
            int err = ptrmap_put(&b->anon_idx, an, b->s->nanons, &fresh);
            if (err)
                return err;
            if (fresh) {
                struct uvmsim_isp_anon *nan = grow(b->s->anons, b->s->nanons, &b->cap_anons, sizeof(*nan));
                if (nan == NULL)
                    return UVMSIM_ENOHOST;
                b->s->anons = nan;
                nan[b->s->nanons++] = (struct uvmsim_isp_anon){
                    .refs = an->an_ref, .pa = an->an_pa, .pv_count = uvmsim_pmap_pv_count(b->m, an->an_pa)};
            }
            struct uvmsim_isp_slot *ns = grow(b->s->slots, b->s->nslots, &b->cap_slots, sizeof(*ns));
            if (ns == NULL)
                return UVMSIM_ENOHOST;
            b->s->slots = ns;
            ns[b->s->nslots++] = (struct uvmsim_isp_slot){.slot = sl, .anon = ptrmap_get(&b->anon_idx, an)};
        }
        a->nused = b->s->nslots - a->first_slot;
    }
    return UVMSIM_OK;
}

static int collect_entry(struct isp_build *b, struct uvmsim_proc *p, const struct vm_map_entry *e)
{
    struct uvmsim_isp_snapshot *s = b->s;
    struct uvmsim_isp_entry *ne = grow(s->entries, s->nentries, &b->cap_entries, sizeof(*ne));
    if (ne == NULL)
        return UVMSIM_ENOHOST;
    s->entries = ne;
    struct uvmsim_isp_entry *x = &ne[s->nentries++];
    memset(x, 0, sizeof(*x));
    x->start = e->start;
    x->end = e->end;
    x->prot = e->prot;
    x->maxprot = e->maxprot;
    x->inherit = e->inherit;
    x->advice = e->advice;
    x->copy_on_write = (e->etype & UVM_ET_COPYONWRITE) != 0;
    x->needs_copy = (e->etype & UVM_ET_NEEDSCOPY) != 0;
    x->shared = e->shared;
    x->amap = e->amap ? ptrmap_get(&b->amap_idx, e->amap) : UVMSIM_ISP_NONE;
    x->slotoff = e->slotoff;
    x->object = e->object ? ptrmap_get(&b->object_idx, e->object) : UVMSIM_ISP_NONE;
    x->offset = e->offset;
    x->first_pte = s->nptes;
    struct pmap_machine *pmm = p->pmap->pmm;
    vaddr_t cur = e->start, eva = e->end < pmm->va_end ? e->end : pmm->va_end;
    vaddr_t va;
    struct pmap_pte pte;
    /* next_valid skips absent tables, so a large sparse entry costs what is mapped */
    while (cur < eva && pmm->ops->next_valid(p->pmap, cur, eva, &va, &pte)) {
        struct uvmsim_isp_pte *np = grow(s->ptes, s->nptes, &b->cap_ptes, sizeof(*np));
        if (np == NULL)
            return UVMSIM_ENOHOST;
        s->ptes = np;
        np[s->nptes++] = (struct uvmsim_isp_pte){
            .va = va, .pa = pte.pa, .prot = pte.prot, .loc = uvmsim_introspect_loc(b->m, pte.pa),
            .pv_count = uvmsim_pmap_pv_count(b->m, pte.pa)};
        cur = va + b->m->cfg.page_size;
    }
    /* s->entries may have moved while ptes grew: index again */
    s->entries[s->nentries - 1].npte = s->nptes - s->entries[s->nentries - 1].first_pte;
    return UVMSIM_OK;
}

static void collect_tlbent(const struct tlb_entry *e, void *arg)
{
    struct isp_build *b = arg;
    struct uvmsim_isp_snapshot *s = b->s;
    if (b->err)
        return;
    struct uvmsim_isp_tlbent *nt = grow(s->tlb, s->ntlb, &b->cap_tlb, sizeof(*nt));
    if (nt == NULL) {
        b->err = UVMSIM_ENOHOST;
        return;
    }
    s->tlb = nt;
    nt[s->ntlb++] = (struct uvmsim_isp_tlbent){.tlb = b->tlb_no, .tag = e->asid,
        .va = e->vpn << b->m->page_shift, .pa = e->pfn_pa, .prot = e->prot};
}

/* The valid entries of the machine's TLBs (uvmsim_tlb_foreach neither counts nor
 * touches the replacement state). */
static int collect_tlb(struct isp_build *b)
{
    struct pmap_machine *pmm = b->m->pmm;
    struct tlb *t[2] = {pmm->dtlb, pmm->itlb};
    b->s->split_tlb = pmm->itlb != NULL;
    for (unsigned i = 0; i < 2 && b->err == UVMSIM_OK; i++) {
        if (t[i] == NULL)
            continue;
        b->tlb_no = i;
        uvmsim_tlb_foreach(t[i], collect_tlbent, b);
    }
    if (b->err == UVMSIM_OK && b->s->ntlb > 1)
        qsort(b->s->tlb, b->s->ntlb, sizeof(*b->s->tlb), cmp_tlbent);
    return b->err;
}

static int build(struct isp_build *b)
{
    const struct uvmsim_machine *m = b->m;
    uint32_t nprocs = 0;
    for (struct uvmsim_proc *p = m->procs; p; p = p->p_next)
        nprocs++;
    b->procs = calloc(nprocs ? nprocs : 1, sizeof(*b->procs));
    b->s->procs = calloc(nprocs ? nprocs : 1, sizeof(*b->s->procs));
    if (b->procs == NULL || b->s->procs == NULL)
        return UVMSIM_ENOHOST;
    nprocs = 0;
    for (struct uvmsim_proc *p = m->procs; p; p = p->p_next)
        b->procs[nprocs++] = p;
    qsort(b->procs, nprocs, sizeof(*b->procs), cmp_proc);
    b->s->nprocs = nprocs;

    int err = collect_objects(b);
    if (err == UVMSIM_OK)
        err = collect_amaps(b, nprocs);
    for (uint32_t i = 0; err == UVMSIM_OK && i < nprocs; i++) {
        struct uvmsim_proc *p = b->procs[i];
        struct uvmsim_isp_proc *sp = &b->s->procs[i];
        sp->pid = p->pid;
        sp->current = m->curproc == p;
        sp->first_entry = b->s->nentries;
        for (unsigned k = 0; err == UVMSIM_OK && k < p->map.nents; k++)
            err = collect_entry(b, p, p->map.ents[k]);
        sp->nentries = b->s->nentries - sp->first_entry;
    }
    if (err == UVMSIM_OK)
        err = collect_tlb(b);
    return err;
}

int uvmsim_introspect(const uvmsim_machine *m, struct uvmsim_isp_snapshot **out)
{
    if (out != NULL)
        *out = NULL;
    if (m == NULL || out == NULL)
        return UVMSIM_EINVAL;
    struct isp_build b;
    memset(&b, 0, sizeof(b));
    b.m = m;
    b.s = calloc(1, sizeof(*b.s));
    if (b.s == NULL)
        return UVMSIM_ENOHOST;
    b.s->page_size = m->cfg.page_size;
    b.s->zero_pa = m->zero_pa;
    int err = build(&b);
    free(b.procs);
    free(b.amaps);
    free(b.objects);
    ptrmap_free(&b.amap_idx);
    ptrmap_free(&b.anon_idx);
    ptrmap_free(&b.object_idx);
    if (err) {
        uvmsim_introspect_free(b.s);
        return err;
    }
    *out = b.s;
    return UVMSIM_OK;
}

void uvmsim_introspect_free(struct uvmsim_isp_snapshot *s)
{
    if (s == NULL)
        return;
    free(s->procs);
    free(s->entries);
    free(s->ptes);
    free(s->amaps);
    free(s->slots);
    free(s->anons);
    free(s->objects);
    free(s->objpages);
    free(s->tlb);
    free(s);
}
