/* uvmsim — uvm_object bookkeeping shared by every pager, and the anonymous-object pager
 * (uvm_aobj): zero-filled pages that back shared anonymous memory. */
#include <stdlib.h>
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

/* On failure nothing is linked or counted: the caller just frees uo. */
int uvmsim_object_init(struct uvmsim_machine *m, struct uvm_object *uo,
                       const struct uvm_pagerops *ops, uint64_t npages)
{
    memset(uo, 0, sizeof(*uo));
    uo->pgops = ops;
    uo->m = m;
    uo->uo_refs = 1;
    uo->uo_npages = npages;
    uvmsim_sparse_init(&uo->pages, npages);
    uo->uo_id = ++m->next_id;
    uo->uo_next = m->objects;
    m->objects = uo;
    m->vmstats.objects_live++;
    return UVMSIM_OK;
}

struct vm_page *uvmsim_object_page(const struct uvm_object *uo, uint64_t idx)
{
    return (struct vm_page *)uvmsim_sparse_get(&uo->pages, idx);
}

bool uvmsim_object_next_page(const struct uvm_object *uo, uint64_t from, uint64_t *idx, struct vm_page **pg)
{
    uintptr_t v;
    if (!uvmsim_sparse_next(&uo->pages, from, uo->uo_npages, idx, &v))
        return false;
    *pg = (struct vm_page *)v;
    return true;
}

/* Drop resident page idx (unmapping it everywhere first) and free it. */
void uvmsim_object_page_free(struct uvm_object *uo, uint64_t idx)
{
    uintptr_t *cell = uvmsim_sparse_cell(&uo->pages, idx, false);
    if (cell == NULL || *cell == 0)
        return;
    struct vm_page *pg = (struct vm_page *)*cell;
    *cell = 0;
    uo->uo_npages_resident--;
    uvmsim_pmap_page_protect(uo->m, uvmsim_vm_page_to_phys(uo->m, pg), UVMSIM_PROT_NONE);
    uvmsim_pagefree(uo->m, pg);
}

/* Free every resident page and unlink the object. */
void uvmsim_object_fini(struct uvm_object *uo)
{
    struct uvmsim_machine *m = uo->m;
    uint64_t idx;
    struct vm_page *pg;
    for (uint64_t from = 0; uvmsim_object_next_page(uo, from, &idx, &pg); from = idx + 1)
        uvmsim_object_page_free(uo, idx);
    uvmsim_sparse_fini(&uo->pages);
    for (struct uvm_object **pp = &m->objects; *pp; pp = &(*pp)->uo_next) {
        if (*pp == uo) {
            *pp = uo->uo_next;
            break;
        }
    }
    m->vmstats.objects_live--;
}

/* Make page `idx` of uo resident: allocate it (zeroed when asked) and link it.  NULL when
 * RAM (ENOMEM) or host memory (*err ENOHOST) runs out. */
struct vm_page *uvmsim_object_page_alloc(struct uvm_object *uo, uint64_t idx, bool zero, int *err)
{
    uintptr_t *cell = uvmsim_sparse_cell(&uo->pages, idx, true);
    if (cell == NULL) {
        *err = UVMSIM_ENOHOST;
        return NULL;
    }
    struct vm_page *pg = uvmsim_pagealloc(uo->m, PGO_OBJECT, zero);
    if (pg == NULL) {
        *err = UVMSIM_ENOMEM;
        return NULL;
    }
    pg->uobject = uo;
    pg->offset = idx << uo->m->page_shift;
    *cell = (uintptr_t)pg;
    uo->uo_npages_resident++;
    return pg;
}

/* ---- the anonymous object pager ---- */

static void aobj_reference(struct uvm_object *uo)
{
    uo->uo_refs++;
}

static void aobj_detach(struct uvm_object *uo)
{
    if (--uo->uo_refs > 0)
        return;
    uvmsim_object_fini(uo);
    free(uo);
}

/* uao_get: a resident page, or a fresh zero-filled one.  The anonymous object has no
 * backing store here (no swap), so a page that is not resident has never been written:
 * even a PGO_LOCKED get allocates it zeroed, as NetBSD's uao_get does for the pages of
 * the fault window that are neither resident nor swapped out. */
static int aobj_get(struct uvm_object *uo, voff_t off, unsigned flags,
                    struct uvm_pgref *ref, struct uvm_pagerio *io)
{
    uint64_t idx = off >> uo->m->page_shift;
    if (idx >= uo->uo_npages)
        return UVMSIM_ERANGE;
    struct vm_page *pg = uvmsim_object_page(uo, idx);
    if (pg == NULL) {
        if (flags & PGO_RESIDENT)
            return UVMSIM_EFAULT;
        int err;
        pg = uvmsim_object_page_alloc(uo, idx, true, &err);
        if (pg == NULL)
            return err;
        io->pages_allocated++;
    }
    ref->pg = pg;
    ref->pa = uvmsim_vm_page_to_phys(uo->m, pg);
    return UVMSIM_OK;
}

static void aobj_put(struct uvm_object *uo, voff_t start, voff_t end)
{
    (void)uo; (void)start; (void)end;   /* anonymous data has no backing store to drop to */
}

static const struct uvm_pagerops aobj_pager = {
    .pgo_name = "anon",
    .pgo_reference = aobj_reference,
    .pgo_detach = aobj_detach,
    .pgo_get = aobj_get,
    .pgo_put = aobj_put,
};

int uvmsim_aobj_create(struct uvmsim_machine *m, uint64_t npages, struct uvm_object **out)
{
    struct uvm_object *uo = malloc(sizeof(*uo));
    if (uo == NULL)
        return UVMSIM_ENOHOST;
    uvmsim_object_init(m, uo, &aobj_pager, npages);
    *out = uo;
    return UVMSIM_OK;
}
