/* uvmsim — the physical address space: segment registration (uvm_page_physload and the
 * bus_space_physload_device analogue), the RAM page allocator and bounds-checked byte
 * access.  RAM segments carry one vm_page per page; device segments carry none. */
#include <stdlib.h>
#include <string.h>
#include "machine_internal.h"

#define FREE_END UINT32_MAX

/* Binary search over the sorted segment array: the segment containing pa, or NULL. */
struct vm_physseg *uvmsim_phys_lookup(const struct uvmsim_machine *m, paddr_t pa)
{
    unsigned lo = 0, hi = m->nsegs;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        struct vm_physseg *s = &m->segs[mid];
        if (pa < s->start)
            hi = mid;
        else if (pa >= s->end)
            lo = mid + 1;
        else
            return s;
    }
    return NULL;
}

struct vm_page *uvmsim_phys_to_vm_page(const struct uvmsim_machine *m, paddr_t pa)
{
    struct vm_physseg *s = uvmsim_phys_lookup(m, pa);
    if (s == NULL || s->kind != UVMSIM_SEG_RAM)
        return NULL;
    return &s->pgs[(pa - s->start) >> m->page_shift];
}

paddr_t uvmsim_vm_page_to_phys(const struct uvmsim_machine *m, const struct vm_page *pg)
{
    for (unsigned i = 0; i < m->nsegs; i++) {
        const struct vm_physseg *s = &m->segs[i];
        if (s->pgs != NULL && pg >= s->pgs && pg < s->pgs + s->npages)
            return s->start + ((paddr_t)(pg - s->pgs) << m->page_shift);
    }
    return (paddr_t)-1;
}

uint8_t *uvmsim_phys_ptr(const struct uvmsim_machine *m, paddr_t pa, size_t len)
{
    struct vm_physseg *s = uvmsim_phys_lookup(m, pa);
    if (s == NULL || len > s->end - pa)
        return NULL;
    return s->mem + (pa - s->start);
}

/* Insert a segment keeping the array sorted; refuse overlap and misalignment. */
static int seg_insert(struct uvmsim_machine *m, const struct vm_physseg *ns)
{
    if (ns->start >= ns->end)
        return UVMSIM_EINVAL;
    if ((ns->start & m->page_mask) || (ns->end & m->page_mask))
        return UVMSIM_EALIGN;
    unsigned pos = 0;
    while (pos < m->nsegs && m->segs[pos].start < ns->start)
        pos++;
    if (pos > 0 && m->segs[pos - 1].end > ns->start)
        return UVMSIM_EOVERLAP;
    if (pos < m->nsegs && m->segs[pos].start < ns->end)
        return UVMSIM_EOVERLAP;
    if (m->nsegs == m->segs_cap) {
        unsigned ncap = m->segs_cap ? m->segs_cap * 2 : 4;
        struct vm_physseg *n = realloc(m->segs, ncap * sizeof(*n));
        if (n == NULL)
            return UVMSIM_ENOHOST;
        m->segs = n;
        m->segs_cap = ncap;
    }
    memmove(&m->segs[pos + 1], &m->segs[pos], (m->nsegs - pos) * sizeof(*ns));
    m->segs[pos] = *ns;
    m->nsegs++;
    return UVMSIM_OK;
}

int uvmsim_page_physload(uvmsim_machine *m, uvmsim_paddr_t start, uvmsim_paddr_t end)
{
    if (m == NULL)
        return UVMSIM_EINVAL;
    if (start >= end)
        return UVMSIM_EINVAL;
    if ((start & m->page_mask) || (end & m->page_mask))
        return UVMSIM_EALIGN;
    uint64_t npages = (end - start) >> m->page_shift;
    if (npages >= FREE_END)
        return UVMSIM_ERANGE;
    /* Check overlap before allocating: a segment wholly inside [start, end) escapes a
     * look-up of the two ends, and would cost a useless host allocation first. */
    for (unsigned i = 0; i < m->nsegs; i++)
        if (m->segs[i].start < end && start < m->segs[i].end)
            return UVMSIM_EOVERLAP;
    /* The NOR window is reserved for flash devices even while none is attached. */
    if (m->cfg.nor_size && start < m->cfg.nor_base + m->cfg.nor_size && m->cfg.nor_base < end)
        return UVMSIM_EOVERLAP;
    struct vm_physseg s = {.kind = UVMSIM_SEG_RAM, .start = start, .end = end,
                           .npages = npages, .prot = UVMSIM_PROT_ALL, .owns_mem = true};
    s.mem = calloc(1, (size_t)(end - start));
    s.pgs = calloc((size_t)npages, sizeof(struct vm_page));
    if (s.mem == NULL || s.pgs == NULL) {
        free(s.mem);
        free(s.pgs);
        return UVMSIM_ENOHOST;
    }
    /* Thread the free list in address order so allocation is deterministic. */
    for (uint64_t i = 0; i < npages; i++)
        s.pgs[i].free_next = (i + 1 < npages) ? (uint32_t)(i + 1) : FREE_END;
    s.free_head = 0;
    s.nfree = npages;
    int err = seg_insert(m, &s);
    if (err != UVMSIM_OK) {
        free(s.mem);
        free(s.pgs);
        return err;
    }
    m->ram.total_pages += npages;
    m->ram.free_pages += npages;
    return UVMSIM_OK;
}

int uvmsim_physload_device(uvmsim_machine *m, uvmsim_paddr_t start, uvmsim_paddr_t end,
                           uvmsim_prot_t prot, uint8_t *backing)
{
    if (m == NULL || backing == NULL || (prot & ~UVMSIM_PROT_ALL))
        return UVMSIM_EINVAL;
    struct vm_physseg s = {.kind = UVMSIM_SEG_DEVICE, .start = start, .end = end,
                           .prot = prot, .mem = backing, .owns_mem = false,
                           .free_head = FREE_END};
    if (start < end)
        s.npages = (end - start) >> m->page_shift;
    return seg_insert(m, &s);
}

int uvmsim_physunload_device(uvmsim_machine *m, uvmsim_paddr_t start)
{
    if (m == NULL)
        return UVMSIM_EINVAL;
    for (unsigned i = 0; i < m->nsegs; i++) {
        if (m->segs[i].start == start) {
            if (m->segs[i].kind != UVMSIM_SEG_DEVICE)
                return UVMSIM_EINVAL;
            memmove(&m->segs[i], &m->segs[i + 1], (m->nsegs - i - 1) * sizeof(m->segs[0]));
            m->nsegs--;
            return UVMSIM_OK;
        }
    }
    return UVMSIM_ERANGE;
}

static void seg_info(const struct uvmsim_machine *m, const struct vm_physseg *s, uvmsim_seg_info *out)
{
    out->kind = s->kind;
    out->start = s->start;
    out->end = s->end;
    out->npages = s->npages;
    out->prot = s->prot;
    out->metadata_bytes = s->pgs ? (size_t)s->npages * sizeof(struct vm_page) : 0;
    out->free_pages = s->kind == UVMSIM_SEG_RAM ? s->nfree : 0;
    (void)m;
}

unsigned uvmsim_phys_nsegs(const uvmsim_machine *m)
{
    return m ? m->nsegs : 0;
}

int uvmsim_phys_seg(const uvmsim_machine *m, unsigned idx, uvmsim_seg_info *out)
{
    if (m == NULL || out == NULL)
        return UVMSIM_EINVAL;
    if (idx >= m->nsegs)
        return UVMSIM_ERANGE;
    seg_info(m, &m->segs[idx], out);
    return UVMSIM_OK;
}

int uvmsim_phys_find(const uvmsim_machine *m, uvmsim_paddr_t pa, uvmsim_seg_info *out)
{
    if (m == NULL || out == NULL)
        return UVMSIM_EINVAL;
    struct vm_physseg *s = uvmsim_phys_lookup(m, pa);
    if (s == NULL)
        return UVMSIM_ERANGE;
    seg_info(m, s, out);
    return UVMSIM_OK;
}

/* A byte range is accessible only when it lies inside one segment: segments are not
 * guaranteed contiguous, and a real bus would fault between them. */
static int range_seg(const struct uvmsim_machine *m, paddr_t pa, size_t len, struct vm_physseg **sp)
{
    if (len == 0)
        return UVMSIM_EINVAL;
    if (pa + len < pa)
        return UVMSIM_ERANGE;
    struct vm_physseg *s = uvmsim_phys_lookup(m, pa);
    if (s == NULL || len > s->end - pa)
        return UVMSIM_ERANGE;
    *sp = s;
    return UVMSIM_OK;
}

int uvmsim_phys_read(const uvmsim_machine *m, uvmsim_paddr_t pa, void *buf, size_t len)
{
    struct vm_physseg *s;
    if (m == NULL || buf == NULL)
        return UVMSIM_EINVAL;
    int err = range_seg(m, pa, len, &s);
    if (err)
        return err;
    memcpy(buf, s->mem + (pa - s->start), len);
    return UVMSIM_OK;
}

int uvmsim_phys_write(uvmsim_machine *m, uvmsim_paddr_t pa, const void *buf, size_t len)
{
    struct vm_physseg *s;
    if (m == NULL || buf == NULL)
        return UVMSIM_EINVAL;
    int err = range_seg(m, pa, len, &s);
    if (err)
        return err;
    if (s->kind == UVMSIM_SEG_DEVICE)
        return UVMSIM_EROFS;
    memcpy(s->mem + (pa - s->start), buf, len);
    return UVMSIM_OK;
}

int uvmsim_phys_copy(uvmsim_machine *m, uvmsim_paddr_t dst, uvmsim_paddr_t src, size_t len)
{
    struct vm_physseg *sd, *ss;
    if (m == NULL)
        return UVMSIM_EINVAL;
    int err = range_seg(m, src, len, &ss);
    if (err == UVMSIM_OK)
        err = range_seg(m, dst, len, &sd);
    if (err)
        return err;
    if (sd->kind == UVMSIM_SEG_DEVICE)
        return UVMSIM_EROFS;
    memmove(sd->mem + (dst - sd->start), ss->mem + (src - ss->start), len);
    return UVMSIM_OK;
}

int uvmsim_phys_zero(uvmsim_machine *m, uvmsim_paddr_t pa, size_t len)
{
    struct vm_physseg *s;
    if (m == NULL)
        return UVMSIM_EINVAL;
    int err = range_seg(m, pa, len, &s);
    if (err)
        return err;
    if (s->kind == UVMSIM_SEG_DEVICE)
        return UVMSIM_EROFS;
    memset(s->mem + (pa - s->start), 0, len);
    return UVMSIM_OK;
}

/* ---- allocator ---- */

static void owner_count(struct uvmsim_machine *m, enum vm_page_owner o, int delta)
{
    uint64_t *c = NULL;
    switch (o) {
    case PGO_ANON: c = &m->ram.anon_pages; break;
    case PGO_OBJECT: c = &m->ram.object_pages; break;
    case PGO_PTP: c = &m->ram.ptp_pages; break;
    case PGO_ZERO: c = &m->ram.zero_pages; break;
    case PGO_OTHER: c = &m->ram.other_pages; break;
    case PGO_FREE: return;
    }
    *c += (uint64_t)(int64_t)delta;
}

struct vm_page *uvmsim_pagealloc(struct uvmsim_machine *m, enum vm_page_owner owner, bool zero)
{
    if (uvmsim_inject_fire(&m->ram_fail)) {
        m->ram.alloc_failures++;
        return NULL;
    }
    for (unsigned i = 0; i < m->nsegs; i++) {
        struct vm_physseg *s = &m->segs[i];
        if (s->kind != UVMSIM_SEG_RAM || s->free_head == FREE_END)
            continue;
        struct vm_page *pg = &s->pgs[s->free_head];
        s->free_head = pg->free_next;
        s->nfree--;
        memset(pg, 0, sizeof(*pg));
        pg->free_next = FREE_END;
        pg->owner = (uint8_t)owner;
        m->ram.free_pages--;
        m->ram.used_pages++;
        m->ram.allocs++;
        if (m->ram.used_pages > m->ram.high_water)
            m->ram.high_water = m->ram.used_pages;
        owner_count(m, owner, 1);
        if (zero) {
            size_t idx = (size_t)(pg - s->pgs);
            memset(s->mem + (idx << m->page_shift), 0, (size_t)1 << m->page_shift);
            pg->flags |= PG_ZERO;
        }
        return pg;
    }
    m->ram.alloc_failures++;
    return NULL;
}

void uvmsim_pagefree(struct uvmsim_machine *m, struct vm_page *pg)
{
    for (unsigned i = 0; i < m->nsegs; i++) {
        struct vm_physseg *s = &m->segs[i];
        if (s->pgs == NULL || pg < s->pgs || pg >= s->pgs + s->npages)
            continue;
        if (pg->owner == PGO_FREE)
            return;   /* double free: ignore, the checker reports accounting drift */
        owner_count(m, (enum vm_page_owner)pg->owner, -1);
        pg->owner = PGO_FREE;
        pg->uanon = NULL;
        pg->uobject = NULL;
        pg->flags = 0;
        pg->free_next = s->free_head;
        s->free_head = (uint32_t)(pg - s->pgs);
        s->nfree++;
        m->ram.free_pages++;
        m->ram.used_pages--;
        m->ram.frees++;
        return;
    }
}

void uvmsim_page_set_owner(struct uvmsim_machine *m, struct vm_page *pg, enum vm_page_owner owner)
{
    owner_count(m, (enum vm_page_owner)pg->owner, -1);
    pg->owner = (uint8_t)owner;
    owner_count(m, owner, 1);
}

void uvmsim_ram_stats_get(const uvmsim_machine *m, uvmsim_ram_stats *out)
{
    if (m == NULL || out == NULL)
        return;
    *out = m->ram;
}

int uvmsim_ram_alloc(uvmsim_machine *m, bool zero, uvmsim_paddr_t *pa_out)
{
    if (m == NULL || pa_out == NULL)
        return UVMSIM_EINVAL;
    struct vm_page *pg = uvmsim_pagealloc(m, PGO_OTHER, zero);
    if (pg == NULL)
        return UVMSIM_ENOMEM;
    *pa_out = uvmsim_vm_page_to_phys(m, pg);
    return UVMSIM_OK;
}

int uvmsim_ram_fail_next(uvmsim_machine *m, uint64_t skip, uint64_t count)
{
    if (m == NULL)
        return UVMSIM_EINVAL;
    uvmsim_inject_plan(&m->ram_fail, skip, count);
    return UVMSIM_OK;
}

int uvmsim_ram_free(uvmsim_machine *m, uvmsim_paddr_t pa)
{
    if (m == NULL)
        return UVMSIM_EINVAL;
    if (pa & m->page_mask)
        return UVMSIM_EALIGN;
    struct vm_page *pg = uvmsim_phys_to_vm_page(m, pa);
    if (pg == NULL)
        return UVMSIM_ERANGE;
    if (pg->owner != PGO_OTHER)
        return UVMSIM_EINVAL;   /* only pages handed out by uvmsim_ram_alloc */
    uvmsim_pagefree(m, pg);
    return UVMSIM_OK;
}

uvmsim_paddr_t uvmsim_zero_page(const uvmsim_machine *m)
{
    return m ? m->zero_pa : 0;
}

void uvmsim_metadata_report_get(const uvmsim_machine *m, uvmsim_metadata_report *out)
{
    if (m == NULL || out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    out->vm_page_size = sizeof(struct vm_page);
    for (unsigned i = 0; i < m->nsegs; i++) {
        const struct vm_physseg *s = &m->segs[i];
        if (s->kind == UVMSIM_SEG_RAM) {
            out->ram_pages += s->npages;
            out->ram_metadata_bytes += (size_t)s->npages * sizeof(struct vm_page);
        } else {
            out->device_pages += s->npages;
        }
    }
}

/* Release every RAM segment (machine teardown). */
void uvmsim_phys_fini(struct uvmsim_machine *m)
{
    for (unsigned i = 0; i < m->nsegs; i++) {
        if (m->segs[i].owns_mem)
            free(m->segs[i].mem);
        free(m->segs[i].pgs);
    }
    free(m->segs);
    m->segs = NULL;
    m->nsegs = m->segs_cap = 0;
}
