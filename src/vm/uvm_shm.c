/* uvmsim — SysV shared memory segments (NetBSD's sysv_shm.c on top of uvm_aobj): a
 * segment is an anonymous object (uao_create) that the segment itself holds a reference
 * on; attaching maps it shared, share-inherited, with random advice and a maximum
 * protection equal to the protection, as sys_shmat does.  Shared anonymous mmap(2)
 * memory is not backed this way: it is a shared amap (see uvmsim_map). */
#include <stdlib.h>
#include "uvm_vm.h"

struct uvmsim_shmseg {
    struct uvmsim_machine *m;
    struct uvm_object *uo;          /* the aobj; uo->priv points back; one uo_held reference */
    uint64_t size;                  /* bytes, a page multiple */
};

int uvmsim_shm_create(uvmsim_machine *m, uint64_t size, uvmsim_shmseg **out)
{
    if (out != NULL)
        *out = NULL;
    if (m == NULL || out == NULL || size == 0)
        return UVMSIM_EINVAL;
    uint64_t npages = (size + m->page_mask) >> m->page_shift;
    if (npages == 0 || npages > UINT32_MAX / 2)
        return UVMSIM_ERANGE;
    struct uvmsim_shmseg *seg = calloc(1, sizeof(*seg));
    if (seg == NULL)
        return UVMSIM_ENOHOST;
    int err = uvmsim_aobj_create(m, npages, &seg->uo);
    if (err) {
        free(seg);
        return err;
    }
    seg->m = m;
    seg->size = npages << m->page_shift;
    seg->uo->priv = seg;
    seg->uo->uo_held = 1;           /* the segment's own reference, until removed */
    *out = seg;
    return UVMSIM_OK;
}

uint64_t uvmsim_shm_size(const uvmsim_shmseg *seg)
{
    return seg ? seg->size : 0;
}

int uvmsim_shm_attach(uvmsim_proc *p, uvmsim_shmseg *seg, uvmsim_vaddr_t addr, bool rdonly, uvmsim_vaddr_t *va_out)
{
    if (p == NULL || seg == NULL || seg->m != p->m)
        return UVMSIM_EINVAL;
    if (addr & p->m->page_mask)
        return UVMSIM_EALIGN;
    vm_prot_t prot = rdonly ? UVMSIM_PROT_READ : UVMSIM_PROT_READ | UVMSIM_PROT_WRITE;
    vaddr_t va;
    uvmsim_object_reference(seg->uo);
    int err = uvmsim_map_object(p, addr, seg->size, addr != 0, seg->uo, prot, prot, UVMSIM_INHERIT_SHARE,
                                UVMSIM_ADV_RANDOM, &va);
    if (err) {
        uvmsim_object_detach(seg->uo);
        return err;
    }
    if (va_out)
        *va_out = va;
    return UVMSIM_OK;
}

int uvmsim_shm_remove(uvmsim_shmseg *seg)
{
    if (seg == NULL)
        return UVMSIM_EINVAL;
    struct uvm_object *uo = seg->uo;
    uo->priv = NULL;
    uo->uo_held = 0;
    free(seg);
    uvmsim_object_detach(uo);       /* freed now unless still attached somewhere */
    return UVMSIM_OK;
}

void uvmsim_shm_destroy_all(struct uvmsim_machine *m)
{
    for (struct uvm_object *uo = m->objects, *next; uo; uo = next) {
        next = uo->uo_next;
        if (uo->uo_held && uo->priv)
            uvmsim_shm_remove(uo->priv);
    }
}
