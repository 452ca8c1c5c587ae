/* uvmsim — address maps (vm_map): entries sorted by address, O(log n) look-up with a
 * hint, and the map operations: map (fixed or first fit), unmap with entry splitting,
 * protect, inherit, advise.  Mirrors sys/uvm/uvm_map.c in role, not in code. */
#include <stdlib.h>
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

#define MAP_BASE_DEFAULT 0x10000000ull      /* where first fit starts without a hint */
#define MAP_MAX_VA       (1ull << 47)       /* user space top (48-bit VA, lower half) */

int uvmsim_map_init(struct uvmsim_machine *m, struct vm_map *map)
{
    memset(map, 0, sizeof(*map));
    map->min_va = m->cfg.page_size;         /* page 0 stays unmapped, as on every Unix */
    /* The top is what the MMU can translate: 2^47 on the generic backend, 4 GiB on the
     * 32-bit ARM ones. */
    map->max_va = m->pmm->va_end < MAP_MAX_VA ? m->pmm->va_end : MAP_MAX_VA;
    return UVMSIM_OK;
}

/* Index of the first entry whose end is above va (== nents when none). */
unsigned uvmsim_map_index(const struct vm_map *map, vaddr_t va)
{
    unsigned lo = 0, hi = map->nents;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (map->ents[mid]->end <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* uvm_map_lookup_entry: the entry containing va, or NULL.  Tries the hint first. */
struct vm_map_entry *uvmsim_map_lookup_entry(struct vm_map *map, vaddr_t va)
{
    if (map->hint < map->nents) {
        struct vm_map_entry *h = map->ents[map->hint];
        if (va >= h->start && va < h->end)
            return h;
    }
    unsigned i = uvmsim_map_index(map, va);
    if (i < map->nents && map->ents[i]->start <= va) {
        map->hint = i;
        return map->ents[i];
    }
    return NULL;
}

static int map_grow(struct vm_map *map)
{
    if (map->nents < map->cap)
        return UVMSIM_OK;
    unsigned ncap = map->cap ? map->cap * 2 : 8;
    struct vm_map_entry **n = realloc(map->ents, ncap * sizeof(*n));
    if (n == NULL)
        return UVMSIM_ENOHOST;
    map->ents = n;
    map->cap = ncap;
    return UVMSIM_OK;
}

/* Insert an entry that overlaps nothing (caller checked). */
int uvmsim_map_insert(struct vm_map *map, struct vm_map_entry *e)
{
    int err = map_grow(map);
    if (err)
        return err;
    unsigned i = uvmsim_map_index(map, e->start);
    memmove(&map->ents[i + 1], &map->ents[i], (map->nents - i) * sizeof(*map->ents));
    map->ents[i] = e;
    map->nents++;
    map->hint = i;
    return UVMSIM_OK;
}

static void map_remove_index(struct vm_map *map, unsigned i)
{
    memmove(&map->ents[i], &map->ents[i + 1], (map->nents - i - 1) * sizeof(*map->ents));
    map->nents--;
    map->hint = 0;
}

/* Drop an entry's wiring, mappings and references, then free it. */
void uvmsim_map_entry_free(struct uvmsim_machine *m, struct uvmsim_proc *p, struct vm_map_entry *e)
{
    if (e->wired_count > 0) {
        uvmsim_fault_unwire(m, e, e->start, e->end);   /* uvm_map_entry_unwire */
        e->wired_count = 0;
    }
    if (p != NULL)
        uvmsim_pmap_remove(p->pmap, e->start, e->end);
    uvmsim_amap_unref(m, e);
    if (e->object)
        uvmsim_object_detach(e->object);
    free(e);
}

/* uvm_map_clip_start/end in one: split the entry containing va so that va is a
 * boundary.  Both halves keep the amap (amap_splitref: one more reference, per-slot
 * coverage unchanged), the object (one more reference) and the wiring.  A large mapping
 * across va is split first, so every large mapping stays inside one entry (Linux splits
 * a huge PMD when a VMA boundary falls inside it, vma_adjust_trans_huge). */
int uvmsim_map_clip(struct uvmsim_proc *p, vaddr_t va)
{
    struct uvmsim_machine *m = p->m;
    struct vm_map_entry *e = uvmsim_map_lookup_entry(&p->map, va);
    if (e == NULL || e->start == va)
        return UVMSIM_OK;
    int err = map_grow(&p->map);
    if (err)
        return err;
    uvmsim_pmap_demote(p->pmap, va);
    struct vm_map_entry *ne = malloc(sizeof(*ne));
    if (ne == NULL)
        return UVMSIM_ENOHOST;
    uint64_t delta = va - e->start;
    if (e->amap && (err = uvmsim_amap_splitref(m, e, (unsigned)(delta >> m->page_shift))) != UVMSIM_OK) {
        free(ne);
        return err;
    }
    *ne = *e;
    ne->start = va;
    ne->offset = e->offset + delta;
    if (e->amap)
        ne->slotoff = e->slotoff + (unsigned)(delta >> m->page_shift);
    if (e->object)
        uvmsim_object_reference(e->object);
    e->end = va;
    return uvmsim_map_insert(&p->map, ne);
}

/* First fit: the lowest gap of `size` bytes at or above `hint`. */
static int map_findspace(struct vm_map *map, vaddr_t hint, uint64_t size, vaddr_t *out)
{
    vaddr_t va = hint < map->min_va ? map->min_va : hint;
    for (unsigned i = uvmsim_map_index(map, va); i <= map->nents; i++) {
        vaddr_t gap_end = i < map->nents ? map->ents[i]->start : map->max_va;
        if (va + size >= va && va + size <= gap_end) {
            *out = va;
            return UVMSIM_OK;
        }
        if (i < map->nents && map->ents[i]->end > va)
            va = map->ents[i]->end;
    }
    return UVMSIM_ENOMEM;
}

static bool range_free(struct vm_map *map, vaddr_t start, vaddr_t end)
{
    unsigned i = uvmsim_map_index(map, start);
    return i >= map->nents || map->ents[i]->start >= end;
}

void uvmsim_map_args_init(uvmsim_map_args *a)
{
    if (a == NULL)
        return;
    memset(a, 0, sizeof(*a));
    a->prot = UVMSIM_PROT_READ | UVMSIM_PROT_WRITE;
    a->flags = UVMSIM_MAP_PRIVATE;
    a->advice = UVMSIM_ADV_NORMAL;
}

static bool map_range_free(void *arg, vaddr_t s, vaddr_t e)
{
    struct vm_map *map = arg;
    return s >= map->min_va && e > s && e <= map->max_va && range_free(map, s, e);
}

/* Where a mapping of size bytes goes: exactly at addr when fixed (ERANGE outside the
 * map, EOVERLAP over another mapping), else where the pmap backend places it (FASS
 * least-contention placement, when on), else the first fit at or above addr. */
static int map_place(struct uvmsim_proc *p, vaddr_t addr, uint64_t size, bool fixed, vaddr_t *va)
{
    if (fixed) {
        if (addr < p->map.min_va || addr + size < addr || addr + size > p->map.max_va)
            return UVMSIM_ERANGE;
        if (!range_free(&p->map, addr, addr + size))
            return UVMSIM_EOVERLAP;
        *va = addr;
        return UVMSIM_OK;
    }
    vaddr_t lo = addr ? addr : MAP_BASE_DEFAULT;
    if (uvmsim_pmap_place(p->pmap, lo < p->map.min_va ? p->map.min_va : lo, p->map.max_va, size, map_range_free,
                          &p->map, va))
        return UVMSIM_OK;
    return map_findspace(&p->map, lo, size, va);
}

int uvmsim_map_object(struct uvmsim_proc *p, vaddr_t addr, uint64_t size, bool fixed, struct uvm_object *uo,
                      vm_prot_t prot, vm_prot_t maxprot, uvmsim_inherit inh, uvmsim_advice adv, vaddr_t *va_out)
{
    vaddr_t va;
    int err = map_place(p, addr, size, fixed, &va);
    if (err)
        return err;
    struct vm_map_entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return UVMSIM_ENOHOST;
    e->start = va;
    e->end = va + size;
    e->object = uo;
    e->prot = prot;
    e->maxprot = maxprot;
    e->inherit = inh;
    e->advice = adv;
    e->shared = true;
    if ((err = uvmsim_map_insert(&p->map, e)) != UVMSIM_OK) {
        free(e);
        return err;
    }
    *va_out = va;
    return UVMSIM_OK;
}

int uvmsim_map(uvmsim_proc *p, const uvmsim_map_args *a, uvmsim_vaddr_t *va_out)
{
    if (p == NULL || a == NULL)
        return UVMSIM_EINVAL;
    struct uvmsim_machine *m = p->m;
    if (a->size == 0 || (a->prot & ~UVMSIM_PROT_ALL) || (a->maxprot & ~UVMSIM_PROT_ALL) ||
        (a->flags & ~(UVMSIM_MAP_SHARED | UVMSIM_MAP_FIXED)) || a->advice > UVMSIM_ADV_SEQUENTIAL ||
        (a->inherit_set && a->inherit > UVMSIM_INHERIT_NONE))
        return UVMSIM_EINVAL;
    if ((a->size & m->page_mask) || (a->addr & m->page_mask) || (a->offset & m->page_mask))
        return UVMSIM_EALIGN;
    vm_prot_t maxprot = a->maxprot ? a->maxprot : UVMSIM_PROT_ALL;
    if (a->prot & ~maxprot)
        return UVMSIM_EACCES;
    bool shared = (a->flags & UVMSIM_MAP_SHARED) != 0;
    uint64_t npages = a->size >> m->page_shift;
    if (npages > UINT32_MAX / 2)
        return UVMSIM_ERANGE;

    vaddr_t va;
    int perr = map_place(p, a->addr, a->size, (a->flags & UVMSIM_MAP_FIXED) != 0, &va);
    if (perr)
        return perr;

    struct uvm_object *uo = NULL;
    struct vm_amap *am = NULL;
    if (a->vnode != NULL) {
        bool rdonly = false;
        int err = uvmsim_vnode_object(m, a->vnode, &uo, &rdonly);
        if (err)
            return err;
        if (a->offset + a->size < a->offset) {
            uvmsim_object_detach(uo);
            return UVMSIM_ERANGE;
        }
        /* A shared mapping writes through to the file, which could only have been opened
         * for writing on a writable mount (open(O_RDWR) is where EROFS comes from): like
         * NetBSD's vn_mmap for a file not open for writing, a shared writable mapping is
         * EACCES, and write is not even in the maximum protection of a read-only one. */
        if (shared && rdonly) {
            if (a->prot & UVMSIM_PROT_WRITE) {
                uvmsim_object_detach(uo);
                return UVMSIM_EACCES;
            }
            maxprot &= ~UVMSIM_PROT_WRITE;
        }
    } else if (shared) {
        /* MAP_ANON|MAP_SHARED: uvm_mmap maps it with UVM_FLAG_OVERLAY, an amap made now
         * and no object; sharers after fork share the amap (see uvmsim_shm_* for the
         * anonymous-object backing of SysV segments). */
        am = uvmsim_amap_alloc(m, (unsigned)npages);
        if (am == NULL)
            return UVMSIM_ENOHOST;
    }

    struct vm_map_entry *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        if (uo)
            uvmsim_object_detach(uo);
        if (am) {
            struct vm_map_entry tmp = {.start = va, .end = va + a->size, .amap = am};
            uvmsim_amap_unref(m, &tmp);
        }
        return UVMSIM_ENOHOST;
    }
    e->start = va;
    e->end = va + a->size;
    e->object = uo;
    e->offset = a->vnode ? a->offset : 0;
    e->amap = am;
    e->prot = a->prot;
    e->maxprot = maxprot;
    e->inherit = a->inherit_set ? a->inherit : (shared ? UVMSIM_INHERIT_SHARE : UVMSIM_INHERIT_COPY);
    e->advice = a->advice;
    e->shared = shared;
    /* Private mappings are copy-on-write and start needs-copy with no amap: the amap is
     * made by the first fault that needs it (uvm_map's UVM_FLAG_COPYONW). */
    if (!shared)
        e->etype = UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
    int err = uvmsim_map_insert(&p->map, e);
    if (err) {
        uvmsim_map_entry_free(m, NULL, e);
        return err;
    }
    if (va_out)
        *va_out = va;
    return UVMSIM_OK;
}

/* Clip at both ends of [start, end) so the range is made of whole entries. */
static int map_clip_range(struct uvmsim_proc *p, vaddr_t start, vaddr_t end)
{
    int err = uvmsim_map_clip(p, start);
    if (err == UVMSIM_OK)
        err = uvmsim_map_clip(p, end);
    return err;
}

static int range_check(struct uvmsim_proc *p, vaddr_t va, uint64_t size)
{
    if (p == NULL || size == 0)
        return UVMSIM_EINVAL;
    if ((va & p->m->page_mask) || (size & p->m->page_mask))
        return UVMSIM_EALIGN;
    if (va + size < va)
        return UVMSIM_ERANGE;
    return UVMSIM_OK;
}

int uvmsim_unmap(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size)
{
    int err = range_check(p, va, size);
    if (err)
        return err;
    vaddr_t end = va + size;
    err = map_clip_range(p, va, end);
    if (err)
        return err;
    unsigned i = uvmsim_map_index(&p->map, va);
    while (i < p->map.nents && p->map.ents[i]->start < end) {
        struct vm_map_entry *e = p->map.ents[i];
        map_remove_index(&p->map, i);
        uvmsim_map_entry_free(p->m, p, e);
    }
    return UVMSIM_OK;
}

/* uvm_map_protect: change the protection of the mapped parts of [va, va + size).
 * 1. refuse before changing anything when some entry's maxprot lacks a right (EACCES);
 * 2. clip at both ends, set the protection of every entry in the range; lowering takes
 *    rights away from live mappings now, raising is lazy (the next fault enters the page
 *    with the new rights).
 * Holes in the range are skipped, and a range with nothing mapped is no error: NetBSD's
 * uvm_map_protect has no hole check (Linux's mprotect changes up to the first hole and
 * then fails with ENOMEM). */
int uvmsim_protect(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size, uvmsim_prot_t prot)
{
    int err = range_check(p, va, size);
    if (err)
        return err;
    if (prot & ~UVMSIM_PROT_ALL)
        return UVMSIM_EINVAL;
    vaddr_t end = va + size;
    /* 1 */
    for (unsigned i = uvmsim_map_index(&p->map, va); i < p->map.nents && p->map.ents[i]->start < end; i++)
        if (prot & ~p->map.ents[i]->maxprot)
            return UVMSIM_EACCES;
    /* 2 */
    err = map_clip_range(p, va, end);
    if (err)
        return err;
    for (unsigned i = uvmsim_map_index(&p->map, va); i < p->map.nents && p->map.ents[i]->start < end; i++) {
        struct vm_map_entry *e = p->map.ents[i];
        vm_prot_t old = e->prot;
        e->prot = prot;
        if (old & ~prot)
            uvmsim_pmap_protect(p->pmap, e->start, e->end, prot);
    }
    return UVMSIM_OK;
}

/* ---- wiring: uvm_map_pageable ---- */

/* Entries are found by address while wiring, since clipping moves them in the array. */
static struct vm_map_entry *entry_at(struct uvmsim_proc *p, vaddr_t va)
{
    return uvmsim_map_lookup_entry(&p->map, va);
}

/* Wiring and unwiring both: a valid range whose start is mapped (EFAULT otherwise, as
 * uvm_map_pageable's first lookup). */
static int wire_range_check(struct uvmsim_proc *p, vaddr_t va, uint64_t size)
{
    int err = range_check(p, va, size);
    if (err)
        return err;
    return entry_at(p, va) == NULL ? UVMSIM_EFAULT : UVMSIM_OK;
}

/* Take back one wiring of every entry in [va, end) (a wire call that failed). */
static void wire_undo_counts(struct uvmsim_proc *p, vaddr_t va, vaddr_t end)
{
    for (struct vm_map_entry *e = entry_at(p, va); e != NULL && e->start < end; e = entry_at(p, e->end))
        e->wired_count--;
}

/* uvm_map_pageable(new_pageable = false).
 * => range page aligned; va mapped (else EFAULT).
 * 1. per entry: one not yet wired gets its amap now when it will need one (needs-copy
 *    and writable maximum protection, or no object: amap_copy, chunked to the range);
 *    clip it to the range and count the wiring; a hole or an entry with protection none
 *    takes every count back: EINVAL;
 * 2. every entry wired for the first time is faulted in (uvm_fault_wire with its maximum
 *    protection); on a failure the entries not reached lose their count, those done are
 *    unwired again.
 * <= every page of the range resident, its RAM page wired. */
int uvmsim_wire(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size)
{
    int err = wire_range_check(p, va, size);
    if (err)
        return err;
    vaddr_t end = va + size;
    /* 1 */
    for (vaddr_t at = va; at < end;) {
        struct vm_map_entry *e = entry_at(p, at);
        if (e == NULL) {
            wire_undo_counts(p, va, at);
            return UVMSIM_EINVAL;
        }
        if (e->wired_count == 0 && (e->etype & UVM_ET_NEEDSCOPY) &&
            ((e->maxprot & UVMSIM_PROT_WRITE) || e->object == NULL)) {
            bool copied;
            err = uvmsim_amap_copy(p, &e, 0, at, end, &copied);
            if (err) {
                wire_undo_counts(p, va, at);
                return err;
            }
        }
        if ((err = map_clip_range(p, at, end)) != UVMSIM_OK) {
            wire_undo_counts(p, va, at);
            return err;
        }
        e = entry_at(p, at);
        e->wired_count++;
        if (e->prot == UVMSIM_PROT_NONE) {
            wire_undo_counts(p, va, e->end);
            return UVMSIM_EINVAL;
        }
        at = e->end;
    }
    /* 2 */
    for (vaddr_t at = va; at < end;) {
        struct vm_map_entry *e = entry_at(p, at);
        if (e->wired_count == 1 && (err = uvmsim_fault_wire(p, e, e->start, e->end, e->maxprot)) != UVMSIM_OK) {
            wire_undo_counts(p, at, end);
            for (vaddr_t b = va; b < at;) {
                struct vm_map_entry *d = entry_at(p, b);
                if (--d->wired_count == 0)
                    uvmsim_fault_unwire(p->m, d, d->start, d->end);
                b = d->end;
            }
            return err;
        }
        at = e->end;
    }
    return UVMSIM_OK;
}

/* uvm_map_pageable(new_pageable = true): every entry of the range must be wired, with
 * no hole (else EINVAL, nothing changed); each is unwired whatever its count. */
int uvmsim_unwire(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size)
{
    int err = wire_range_check(p, va, size);
    if (err)
        return err;
    vaddr_t end = va + size;
    for (vaddr_t at = va; at < end;) {
        struct vm_map_entry *e = entry_at(p, at);
        if (e == NULL || e->wired_count == 0)
            return UVMSIM_EINVAL;
        at = e->end;
    }
    if ((err = map_clip_range(p, va, end)) != UVMSIM_OK)
        return err;
    for (vaddr_t at = va; at < end;) {
        struct vm_map_entry *e = entry_at(p, at);
        uvmsim_fault_unwire(p->m, e, e->start, e->end);
        e->wired_count = 0;
        at = e->end;
    }
    return UVMSIM_OK;
}

int uvmsim_inherit_set(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size, uvmsim_inherit inh)
{
    int err = range_check(p, va, size);
    if (err)
        return err;
    if (inh > UVMSIM_INHERIT_NONE)
        return UVMSIM_EINVAL;
    err = map_clip_range(p, va, va + size);
    if (err)
        return err;
    for (unsigned i = uvmsim_map_index(&p->map, va); i < p->map.nents && p->map.ents[i]->start < va + size; i++)
        p->map.ents[i]->inherit = inh;
    return UVMSIM_OK;
}

int uvmsim_advise(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size, uvmsim_advice adv)
{
    int err = range_check(p, va, size);
    if (err)
        return err;
    if (adv > UVMSIM_ADV_SEQUENTIAL)
        return UVMSIM_EINVAL;
    err = map_clip_range(p, va, va + size);
    if (err)
        return err;
    for (unsigned i = uvmsim_map_index(&p->map, va); i < p->map.nents && p->map.ents[i]->start < va + size; i++)
        p->map.ents[i]->advice = adv;
    return UVMSIM_OK;
}

void uvmsim_map_teardown(struct uvmsim_proc *p)
{
    /* Remove from the top so that the array shrinks without moving entries. */
    while (p->map.nents > 0) {
        struct vm_map_entry *e = p->map.ents[--p->map.nents];
        uvmsim_map_entry_free(p->m, p, e);
    }
    free(p->map.ents);
    p->map.ents = NULL;
    p->map.cap = 0;
}

static void entry_info(const struct vm_map_entry *e, uvmsim_entry_info *out)
{
    memset(out, 0, sizeof(*out));
    out->start = e->start;
    out->end = e->end;
    out->prot = e->prot;
    out->maxprot = e->maxprot;
    out->inherit = e->inherit;
    out->advice = e->advice;
    out->copy_on_write = (e->etype & UVM_ET_COPYONWRITE) != 0;
    out->needs_copy = (e->etype & UVM_ET_NEEDSCOPY) != 0;
    out->shared = e->shared;
    out->has_amap = e->amap != NULL;
    out->has_object = e->object != NULL;
    out->object_kind = e->object ? e->object->pgops->pgo_name : NULL;
    out->offset = e->offset;
    out->amap_slot = e->slotoff;
    out->amap_refs = e->amap ? e->amap->am_ref : 0;
    out->wired_count = e->wired_count;
}

unsigned uvmsim_map_nentries(const uvmsim_proc *p)
{
    return p ? p->map.nents : 0;
}

int uvmsim_map_entry(const uvmsim_proc *p, unsigned idx, uvmsim_entry_info *out)
{
    if (p == NULL || out == NULL)
        return UVMSIM_EINVAL;
    if (idx >= p->map.nents)
        return UVMSIM_ERANGE;
    entry_info(p->map.ents[idx], out);
    return UVMSIM_OK;
}

int uvmsim_map_lookup(const uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_entry_info *out)
{
    if (p == NULL || out == NULL)
        return UVMSIM_EINVAL;
    struct vm_map_entry *e = uvmsim_map_lookup_entry((struct vm_map *)&p->map, va);
    if (e == NULL)
        return UVMSIM_EFAULT;
    entry_info(e, out);
    return UVMSIM_OK;
}
