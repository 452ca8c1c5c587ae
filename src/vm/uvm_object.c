/* uvmsim — uvm_object bookkeeping shared by every pager, and the anonymous-object pager
 * (uvm_aobj): zero-filled pages that back shared anonymous memory. */
#include <stdlib.h>
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

/* On failure nothing is linked or counted: the caller just frees uo. */
int uvmsim_object_init(struct uvmsim_machine *m, struct uvm_object *uo,
                       const struct uvm_pagerops *ops, uint64_t npages, bool resident_array)
{
    memset(uo, 0, sizeof(*uo));
    uo->pgops = ops;
    uo->m = m;
    uo->uo_refs = 1;
    uo->uo_npages = npages;
    if (resident_array && npages) {
        uo->pages = calloc((size_t)npages, sizeof(*uo->pages));
        if (uo->pages == NULL)
            return UVMSIM_ENOHOST;
    }
    uo->uo_id = ++m->next_id;
    uo->uo_next = m->objects;
    m->objects = uo;
    m->vmstats.objects_live++;
    return UVMSIM_OK;
}

/* Free every resident page (unmapping it everywhere first) and unlink the object. */
void uvmsim_object_fini(struct uvm_object *uo)
{
    struct uvmsim_machine *m = uo->m;
    for (uint64_t i = 0; uo->pages && i < uo->uo_npages; i++) {
        struct vm_page *pg = uo->pages[i];
        if (pg == NULL)
            continue;
        uvmsim_pmap_page_protect(m, uvmsim_vm_page_to_phys(m, pg), UVMSIM_PROT_NONE);
        uvmsim_pagefree(m, pg);
        uo->pages[i] = NULL;
    }
    free(uo->pages);
    uo->pages = NULL;
    for (struct uvm_object **pp = &m->objects; *pp; pp = &(*pp)->uo_next) {
        if (*pp == uo) {
            *pp = uo->uo_next;
            break;
        }
    }
    m->vmstats.objects_live--;
}

/* Make page `idx` of uo resident: allocate it (zeroed when asked) and link it. */
struct vm_page *uvmsim_object_page_alloc(struct uvm_object *uo, uint64_t idx, bool zero)
{
    struct vm_page *pg = uvmsim_pagealloc(uo->m, PGO_OBJECT, zero);
    if (pg == NULL)
        return NULL;
    pg->uobject = uo;
    pg->offset = idx << uo->m->page_shift;
    uo->pages[idx] = pg;
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

/* get: a resident page, or (unlocked) a fresh zero-filled one. */
static int aobj_get(struct uvm_object *uo, voff_t off, unsigned flags,
                    struct uvm_pgref *ref, struct uvm_pagerio *io)
{
    uint64_t idx = off >> uo->m->page_shift;
    if (idx >= uo->uo_npages)
        return UVMSIM_ERANGE;
    struct vm_page *pg = uo->pages[idx];
    if (pg == NULL) {
        if (flags & PGO_LOCKED)
            return UVMSIM_EFAULT;
        pg = uvmsim_object_page_alloc(uo, idx, true);
        if (pg == NULL)
            return UVMSIM_ENOMEM;
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
    int err = uvmsim_object_init(m, uo, &aobj_pager, npages, true);
    if (err) {
        free(uo);                       /* a failed init linked and counted nothing */
        return err;
    }
    *out = uo;
    return UVMSIM_OK;
}
