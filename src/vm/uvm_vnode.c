/* uvmsim — the vnode pagers: the uvm_object of a file and three ways to back it.
 *
 *  vnode      (copy mount)  a page cache in RAM; get() reads the file's blocks through
 *                           the device's strategy routine, zero-fills holes and the tail
 *                           past EOF, and keeps the page for every mapping of the file.
 *  xip-vnode  (XIP mount)   get() bmaps the block and answers the device page at
 *                           base + block * size (no vm_page, no RAM, no I/O); a hole
 *                           answers the machine's shared zero page.
 *  xip-pager  (XIP mount with UVMSIM_MNT_XIP_FAULTOP) the tech-kern alternative: the
 *                           same get, plus a fault op that enters the device pages itself
 *                           and answers EROFS on a copy-on-write fault, and a copy_page
 *                           op the generic handler then uses to fill the new anon.
 *
 * The object lives while some map entry uses it; it holds a vnode reference, and its
 * cached pages are freed with it. */
#include <stdlib.h>
#include <string.h>
#include "uvm_vm.h"
#include "../fs/fs_internal.h"
#include "../flashdev/flashdev_internal.h"
#include "../pmap_sim/pmap_impl.h"

/* What a vnode object knows of its file. */
struct vnode_pager {
    uvmsim_vnode *vp;
    uvmsim_mount *mp;
    uvmsim_flashdev *dev;
    uint64_t size;                 /* file size in bytes at first map (read-only fs) */
    size_t fs_bsize, dev_bsize;
    paddr_t xip_base;
};

static struct vnode_pager *vpager(struct uvm_object *uo) { return uo->priv; }

static void vn_reference(struct uvm_object *uo)
{
    uo->uo_refs++;
}

static void vn_detach(struct uvm_object *uo)
{
    if (--uo->uo_refs > 0)
        return;
    struct vnode_pager *vnp = vpager(uo);
    *uvmsim_vnode_vmslot(vnp->vp) = NULL;
    uvmsim_object_fini(uo);
    uvmsim_vnode_rele(vnp->vp);
    free(vnp);
    free(uo);
}

/* Byte offset → page index, refusing offsets at or past end of file (a fault there is
 * SIGBUS on a real system). */
static int vn_index(struct uvm_object *uo, voff_t off, uint64_t *idx)
{
    if (off >= vpager(uo)->size)
        return UVMSIM_EFAULT;
    *idx = off >> uo->m->page_shift;
    return UVMSIM_OK;
}

/* Fill one page-cache page: every fs block of the page is a hole (zeros) or is read
 * through the strategy routine; runs of physically contiguous blocks are read with one
 * request, as a clustering block driver would. */
static int vn_fill(struct uvm_object *uo, uint64_t idx, uint8_t *dst, struct uvm_pagerio *io)
{
    struct vnode_pager *vnp = vpager(uo);
    size_t psize = uo->m->cfg.page_size;
    uint64_t off = idx * psize;
    memset(dst, 0, psize);
    size_t chunk = vnp->fs_bsize < psize ? vnp->fs_bsize : psize;
    if (chunk < vnp->dev_bsize)
        return UVMSIM_ENOTSUP;       /* device blocks larger than a page: not modelled */
    uint64_t run_dev = 0, run_n = 0;  /* pending contiguous device blocks */
    uint8_t *run_dst = NULL;
    size_t done = 0;
    int err = UVMSIM_OK;
    for (; done < psize && off + done < vnp->size; done += chunk) {
        uint64_t foff = off + done;
        uint64_t pbn;
        err = uvmsim_vnode_bmap(vnp->vp, foff / vnp->fs_bsize, &pbn);
        if (err)
            return err;
        uint64_t devblk = 0, ndev = chunk / vnp->dev_bsize;
        if (pbn != 0)
            devblk = (pbn * vnp->fs_bsize + foff % vnp->fs_bsize) / vnp->dev_bsize;
        if (run_n && (pbn == 0 || devblk != run_dev + run_n)) {
            err = uvmsim_flashdev_strategy(vnp->dev, run_dev, run_n, run_dst);
            if (err)
                return err;
            io->io_requests++;
            io->io_bytes += run_n * vnp->dev_bsize;
            run_n = 0;
        }
        if (pbn == 0)
            continue;                 /* hole: stays zero */
        if (run_n == 0) {
            run_dev = devblk;
            run_dst = dst + done;
        }
        run_n += ndev;
    }
    if (run_n) {
        err = uvmsim_flashdev_strategy(vnp->dev, run_dev, run_n, run_dst);
        if (err)
            return err;
        io->io_requests++;
        io->io_bytes += run_n * vnp->dev_bsize;
    }
    /* a block read past EOF inside the last page must not leak beyond i_size */
    if (off + psize > vnp->size)
        memset(dst + (vnp->size - off), 0, (size_t)(off + psize - vnp->size));
    return UVMSIM_OK;
}

static int vn_get(struct uvm_object *uo, voff_t off, unsigned flags,
                  struct uvm_pgref *ref, struct uvm_pagerio *io)
{
    uint64_t idx;
    int err = vn_index(uo, off, &idx);
    if (err)
        return err;
    struct vm_page *pg = uo->pages[idx];
    if (pg == NULL) {
        if (flags & PGO_LOCKED)
            return UVMSIM_EFAULT;
        pg = uvmsim_object_page_alloc(uo, idx, false);
        if (pg == NULL)
            return UVMSIM_ENOMEM;
        paddr_t pa = uvmsim_vm_page_to_phys(uo->m, pg);
        err = vn_fill(uo, idx, uvmsim_phys_ptr(uo->m, pa, uo->m->cfg.page_size), io);
        if (err) {
            uo->pages[idx] = NULL;
            uo->uo_npages_resident--;
            uvmsim_pagefree(uo->m, pg);
            return err;
        }
        io->pages_allocated++;
    }
    ref->pg = pg;
    ref->pa = uvmsim_vm_page_to_phys(uo->m, pg);
    return UVMSIM_OK;
}

/* Drop cached pages that no pmap maps any more. */
static void vn_put(struct uvm_object *uo, voff_t start, voff_t end)
{
    for (uint64_t i = start >> uo->m->page_shift; i < uo->uo_npages && (i << uo->m->page_shift) < end; i++) {
        struct vm_page *pg = uo->pages[i];
        if (pg == NULL || pg->pvlist != NULL)
            continue;
        uo->pages[i] = NULL;
        uo->uo_npages_resident--;
        uvmsim_pagefree(uo->m, pg);
    }
}

/* XIP get: device page or the zero page; never allocates, never reads data. */
static int xip_get(struct uvm_object *uo, voff_t off, unsigned flags,
                   struct uvm_pgref *ref, struct uvm_pagerio *io)
{
    struct vnode_pager *vnp = vpager(uo);
    uint64_t idx, pbn;
    (void)flags;
    int err = vn_index(uo, off, &idx);
    if (err)
        return err;
    err = uvmsim_vnode_bmap(vnp->vp, idx, &pbn);   /* block == page on XIP mounts */
    if (err)
        return err;
    io->bmap_done = true;
    io->bmap_block = pbn;
    if (pbn == 0) {
        ref->pa = uo->m->zero_pa;
        ref->pg = uo->m->zero_pg;
    } else {
        ref->pa = vnp->xip_base + pbn * vnp->fs_bsize;
        ref->pg = NULL;
    }
    return UVMSIM_OK;
}

static void xip_put(struct uvm_object *uo, voff_t start, voff_t end)
{
    (void)uo; (void)start; (void)end;   /* nothing cached: the pages are the device's */
}

/* Helpers the fault handler exports for pagers with a fault op. */
vaddr_t uvmsim_fault_va(const struct uvm_faultctx *flt);
voff_t uvmsim_fault_offset(const struct uvm_faultctx *flt);
bool uvmsim_fault_cow(const struct uvm_faultctx *flt);
struct uvm_object *uvmsim_fault_object(const struct uvm_faultctx *flt);
int uvmsim_fault_enter_device(struct uvm_faultctx *flt, const struct uvm_pgref *ref, uint64_t bmap_block);
void uvmsim_fault_window(const struct uvm_faultctx *flt, vaddr_t *startva, unsigned *npages, unsigned *center);
void uvmsim_fault_enter_neighbour(struct uvm_faultctx *flt, unsigned i, const struct uvm_pgref *ref);

/* pgo_fault of the dedicated XIP pager: enter the device pages of the fault-ahead
 * window itself (as NetBSD's device pager udv_fault walks its range), or answer EROFS
 * so the generic handler promotes (copy-on-write). */
static int xipp_fault(struct uvm_faultctx *flt)
{
    if (uvmsim_fault_cow(flt))
        return UVMSIM_EROFS;
    struct uvm_object *uo = uvmsim_fault_object(flt);
    struct uvm_pgref ref;
    struct uvm_pagerio io = {0};
    vaddr_t startva;
    unsigned npages, center;
    uvmsim_fault_window(flt, &startva, &npages, &center);
    voff_t off0 = uvmsim_fault_offset(flt) - ((voff_t)center << uo->m->page_shift);
    for (unsigned i = 0; i < npages; i++) {
        struct uvm_pagerio nio = {0};
        if (i != center && xip_get(uo, off0 + ((voff_t)i << uo->m->page_shift), PGO_LOCKED, &ref, &nio) == UVMSIM_OK)
            uvmsim_fault_enter_neighbour(flt, i, &ref);
    }
    int err = xip_get(uo, uvmsim_fault_offset(flt), 0, &ref, &io);
    if (err)
        return err;
    return uvmsim_fault_enter_device(flt, &ref, io.bmap_block);
}

/* pgo_copy_page: fill dst with the object's page at off (NOR or zeros for a hole). */
static int xipp_copy_page(struct uvm_object *uo, voff_t off, paddr_t dst)
{
    struct uvm_pgref ref;
    struct uvm_pagerio io = {0};
    int err = xip_get(uo, off, 0, &ref, &io);
    if (err)
        return err;
    if (ref.pa == uo->m->zero_pa)
        return uvmsim_phys_zero(uo->m, dst, uo->m->cfg.page_size);
    return uvmsim_phys_copy(uo->m, dst, ref.pa, uo->m->cfg.page_size);
}

static const struct uvm_pagerops vnode_pager = {
    .pgo_name = "vnode", .pgo_reference = vn_reference, .pgo_detach = vn_detach,
    .pgo_get = vn_get, .pgo_put = vn_put,
};
static const struct uvm_pagerops xip_vnode_pager = {
    .pgo_name = "xip-vnode", .pgo_reference = vn_reference, .pgo_detach = vn_detach,
    .pgo_get = xip_get, .pgo_put = xip_put,
};
static const struct uvm_pagerops xip_dedicated_pager = {
    .pgo_name = "xip-pager", .pgo_reference = vn_reference, .pgo_detach = vn_detach,
    .pgo_get = xip_get, .pgo_put = xip_put,
    .pgo_fault = xipp_fault, .pgo_copy_page = xipp_copy_page,
};

int uvmsim_vnode_object(struct uvmsim_machine *m, uvmsim_vnode *vp, struct uvm_object **out, bool *rdonly)
{
    void **slot = uvmsim_vnode_vmslot(vp);
    uvmsim_mount *mp = uvmsim_vnode_mount(vp);
    if (mp == NULL || slot == NULL)
        return UVMSIM_EINVAL;
    unsigned mflags = uvmsim_mount_flags(mp);
    *rdonly = (mflags & UVMSIM_MNT_RDONLY) != 0;
    if (*slot != NULL) {
        struct uvm_object *uo = *slot;
        vn_reference(uo);
        *out = uo;
        return UVMSIM_OK;
    }
    uvmsim_vattr va;
    int err = uvmsim_vnode_getattr(vp, &va);
    if (err)
        return err;
    if (va.type != UVMSIM_VREG)
        return va.type == UVMSIM_VDIR ? UVMSIM_EISDIR : UVMSIM_EINVAL;
    struct vnode_pager *vnp = calloc(1, sizeof(*vnp));
    struct uvm_object *uo = malloc(sizeof(*uo));
    if (vnp == NULL || uo == NULL) {
        free(vnp);
        free(uo);
        return UVMSIM_ENOHOST;
    }
    vnp->vp = vp;
    vnp->mp = mp;
    vnp->dev = uvmsim_mount_device(mp);
    vnp->size = va.size;
    vnp->fs_bsize = uvmsim_mount_block_size(mp);
    vnp->dev_bsize = uvmsim_flashdev_block_size(vnp->dev);
    vnp->xip_base = uvmsim_mount_xip_base(mp);
    const struct uvm_pagerops *ops = &vnode_pager;
    if (mflags & UVMSIM_MNT_XIP)
        ops = (mflags & UVMSIM_MNT_XIP_FAULTOP) ? &xip_dedicated_pager : &xip_vnode_pager;
    uint64_t npages = (va.size + m->page_mask) >> m->page_shift;
    err = uvmsim_object_init(m, uo, ops, npages, ops == &vnode_pager);
    if (err) {
        free(uo);                       /* a failed init linked and counted nothing */
        free(vnp);
        return err;
    }
    uo->priv = vnp;
    uvmsim_vnode_ref(vp);
    *slot = uo;
    *out = uo;
    return UVMSIM_OK;
}
