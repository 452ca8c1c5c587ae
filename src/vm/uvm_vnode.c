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
 * The object lives as long as its vnode; while a map entry uses it, it holds a vnode
 * reference.  Its cached pages go with it.  read(2) is here too (uvmsim_ubc_read): the
 * copy mount reads through the same page cache, the XIP mount from the device window. */
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
    uint64_t size;                 /* file size in bytes at first use (read-only fs) */
    size_t fs_bsize, dev_bsize;
    paddr_t xip_base;
};

static struct vnode_pager *vpager(struct uvm_object *uo) { return uo->priv; }

/* A vnode object lives as long as its vnode: mappings reference the object (uo_refs),
 * and while any does the object holds one vnode reference; the page cache stays with
 * the vnode when the last mapping goes (read() and a later mapping find it), and is
 * freed when the vnode is (vn_reclaim). */
static void vn_reference(struct uvm_object *uo)
{
    if (uo->uo_refs++ == 0)
        uvmsim_vnode_ref(vpager(uo)->vp);
}

static void vn_detach(struct uvm_object *uo)
{
    if (--uo->uo_refs > 0)
        return;
    uvmsim_vnode_rele(vpager(uo)->vp);   /* may free the vnode, and uo with it */
}

/* VOP_RECLAIM's VM half: the vnode is being freed, no mapping uses the object. */
static void vn_reclaim(void *obj)
{
    struct uvm_object *uo = obj;
    struct vnode_pager *vnp = vpager(uo);
    *uvmsim_vnode_vmslot(vnp->vp) = NULL;
    uvmsim_object_fini(uo);
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

/* Fill pages [idx0, idx0 + n) of the page cache (freshly allocated, zeroed) from the
 * file, as genfs_getpages does: bmap every filesystem block of the range, then one read
 * request through the filesystem for each run of contiguous blocks (the pages need not
 * be contiguous in RAM: the run is read into a bounce buffer and scattered, as a pager
 * maps a page list into kernel space for one transfer).  Holes and the tail past end of
 * file stay zero.  io receives the device requests and bytes the reads cost. */
static int vn_fill(struct uvm_object *uo, uint64_t idx0, uint64_t n, struct vm_page **pgs, struct uvm_pagerio *io)
{
    struct vnode_pager *vnp = vpager(uo);
    struct uvmsim_machine *m = uo->m;
    size_t psize = m->cfg.page_size;
    uint64_t off0 = idx0 * psize, off1 = (idx0 + n) * psize;
    if (off1 > vnp->size)
        off1 = vnp->size;
    if (off0 >= off1)
        return UVMSIM_OK;
    uint64_t bsize = vnp->fs_bsize, lbn = off0 / bsize, lend = (off1 - 1) / bsize + 1;
    int err = UVMSIM_OK;
    while (err == UVMSIM_OK && lbn < lend) {
        uint64_t pbn, next, run = 1;
        if ((err = uvmsim_vnode_bmap(vnp->vp, lbn, &pbn)) != UVMSIM_OK)
            break;
        if (pbn == 0) {                 /* a hole: the page stays zero */
            lbn++;
            continue;
        }
        while (lbn + run < lend && (err = uvmsim_vnode_bmap(vnp->vp, lbn + run, &next)) == UVMSIM_OK &&
               next == pbn + run)
            run++;
        if (err)
            break;
        uint8_t *tmp = malloc((size_t)(run * bsize));
        if (tmp == NULL) {
            err = UVMSIM_ENOHOST;
            break;
        }
        /* the data transfer is the pager's I/O (bmap's metadata reads are the fs's) */
        uvmsim_flashdev_stats d0, d1;
        uvmsim_flashdev_stats_get(vnp->dev, &d0);
        err = uvmsim_fs_devread(vnp->mp, pbn, run, tmp);
        uvmsim_flashdev_stats_get(vnp->dev, &d1);
        io->io_requests += (unsigned)(d1.read_requests - d0.read_requests);
        io->io_bytes += d1.read_bytes - d0.read_bytes;
        /* scatter the run's bytes that lie in [off0, off1) into their pages */
        for (uint64_t b = 0; err == UVMSIM_OK && b < run; b++) {
            uint64_t fo = (lbn + b) * bsize, s = fo < off0 ? off0 : fo, e = fo + bsize > off1 ? off1 : fo + bsize;
            while (s < e) {
                uint64_t pi = s / psize - idx0, po = s % psize;
                size_t k = (size_t)(e - s < psize - po ? e - s : psize - po);
                paddr_t pa = uvmsim_vm_page_to_phys(m, pgs[pi]) + po;
                err = uvmsim_phys_write(m, pa, tmp + b * bsize + (s - fo), k);
                if (err)
                    break;
                s += k;
            }
        }
        free(tmp);
        lbn += run;
    }
    return err;
}

/* genfs_getpages for the copy mount: make pages [idx0, idx0 + n) resident, none of which
 * is yet, with one fill.  On failure nothing of the range stays resident. */
static int vn_getpages(struct uvm_object *uo, uint64_t idx0, uint64_t n, struct uvm_pagerio *io)
{
    struct vm_page *stackpgs[16], **pgs = n <= 16 ? stackpgs : malloc((size_t)n * sizeof(*pgs));
    if (pgs == NULL)
        return UVMSIM_ENOHOST;
    int err = UVMSIM_OK;
    uint64_t got = 0;
    for (; got < n; got++) {
        pgs[got] = uvmsim_object_page_alloc(uo, idx0 + got, true, &err);
        if (pgs[got] == NULL)
            break;
    }
    if (err == UVMSIM_OK)
        err = vn_fill(uo, idx0, n, pgs, io);
    if (err) {
        for (uint64_t i = 0; i < got; i++)
            uvmsim_object_page_free(uo, idx0 + i);
    } else {
        io->pages_allocated += (unsigned)n;
    }
    if (pgs != stackpgs)
        free(pgs);
    return err;
}

static int vn_get(struct uvm_object *uo, voff_t off, unsigned flags,
                  struct uvm_pgref *ref, struct uvm_pagerio *io)
{
    uint64_t idx;
    int err = vn_index(uo, off, &idx);
    if (err)
        return err;
    struct vm_page *pg = uvmsim_object_page(uo, idx);
    if (pg == NULL) {
        if (flags & (PGO_LOCKED | PGO_RESIDENT))
            return UVMSIM_EFAULT;
        if ((err = vn_getpages(uo, idx, 1, io)) != UVMSIM_OK)
            return err;
        pg = uvmsim_object_page(uo, idx);
    }
    ref->pg = pg;
    ref->pa = uvmsim_vm_page_to_phys(uo->m, pg);
    return UVMSIM_OK;
}

/* Drop cached pages that no pmap maps and nothing wires any more. */
static void vn_put(struct uvm_object *uo, voff_t start, voff_t end)
{
    uint64_t idx;
    struct vm_page *pg;
    for (uint64_t from = start >> uo->m->page_shift;
         uvmsim_object_next_page(uo, from, &idx, &pg) && (idx << uo->m->page_shift) < end; from = idx + 1)
        if (pg->pvlist == NULL && pg->wire_count == 0)
            uvmsim_object_page_free(uo, idx);
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

/* The object of vp, made on first use (mapping or read()) and attached to the vnode;
 * no reference is taken. */
static int vnode_object_lookup(struct uvmsim_machine *m, uvmsim_vnode *vp, struct uvm_object **out)
{
    void **slot = uvmsim_vnode_vmslot(vp);
    uvmsim_mount *mp = uvmsim_vnode_mount(vp);
    if (mp == NULL || slot == NULL)
        return UVMSIM_EINVAL;
    if (*slot != NULL) {
        *out = *slot;
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
    unsigned mflags = uvmsim_mount_flags(mp);
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
    uvmsim_object_init(m, uo, ops, (va.size + m->page_mask) >> m->page_shift);
    uo->uo_refs = 0;
    uo->priv = vnp;
    *slot = uo;
    uvmsim_vnode_set_vmreclaim(vp, vn_reclaim);
    *out = uo;
    return UVMSIM_OK;
}

int uvmsim_vnode_object(struct uvmsim_machine *m, uvmsim_vnode *vp, struct uvm_object **out, bool *rdonly)
{
    struct uvm_object *uo;
    int err = vnode_object_lookup(m, vp, &uo);
    if (err)
        return err;
    *rdonly = (uvmsim_mount_flags(uvmsim_vnode_mount(vp)) & UVMSIM_MNT_RDONLY) != 0;
    vn_reference(uo);
    *out = uo;
    return UVMSIM_OK;
}

/* ---- read(2): NetBSD's UBC (uvm_bio.c) on a copy mount, Linux's xip_file_read on an
 * XIP one ---- */

/* XIP: every block of the range is a device page (or a hole): copy from the device's
 * physical window, memory to memory, with no strategy I/O and no page cache. */
static int xip_read(struct uvmsim_machine *m, uvmsim_vnode *vp, uint64_t off, uint8_t *buf, size_t len)
{
    uvmsim_mount *mp = uvmsim_vnode_mount(vp);
    uint64_t bsize = uvmsim_mount_block_size(mp);
    paddr_t base = uvmsim_mount_xip_base(mp);
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done, pbn;
        size_t k = (size_t)(bsize - pos % bsize);
        if (k > len - done)
            k = len - done;
        int err = uvmsim_vnode_bmap(vp, pos / bsize, &pbn);
        if (err)
            return err;
        if (pbn == 0)
            memset(buf + done, 0, k);
        else if ((err = uvmsim_phys_read(m, base + pbn * bsize + pos % bsize, buf + done, k)) != UVMSIM_OK)
            return err;
        done += k;
    }
    return UVMSIM_OK;
}

/* Copy mount: the pages of the range come from the vnode's page cache, the very pages
 * its mappings use; the missing ones of each run are brought in by one getpages (I/O
 * counted as the pager's).  They stay cached with the vnode. */
static int ubc_copy_read(struct uvmsim_machine *m, uvmsim_vnode *vp, uint64_t off, uint8_t *buf, size_t len)
{
    struct uvm_object *uo;
    int err = vnode_object_lookup(m, vp, &uo);
    if (err)
        return err;
    size_t psize = m->cfg.page_size;
    uint64_t first = off >> m->page_shift, last = (off + len - 1) >> m->page_shift;
    for (uint64_t idx = first; idx <= last;) {
        if (uvmsim_object_page(uo, idx) != NULL) {
            idx++;
            continue;
        }
        uint64_t n = 1;
        while (idx + n <= last && uvmsim_object_page(uo, idx + n) == NULL)
            n++;
        struct uvm_pagerio io = {0};
        err = vn_getpages(uo, idx, n, &io);
        m->vmstats.io_requests += io.io_requests;
        m->vmstats.io_bytes += io.io_bytes;
        if (err)
            return err;
        idx += n;
    }
    for (size_t done = 0; done < len;) {
        uint64_t pos = off + done;
        size_t po = (size_t)(pos & m->page_mask), k = psize - po < len - done ? psize - po : len - done;
        struct vm_page *pg = uvmsim_object_page(uo, pos >> m->page_shift);
        if ((err = uvmsim_phys_read(m, uvmsim_vm_page_to_phys(m, pg) + po, buf + done, k)) != UVMSIM_OK)
            return err;
        done += k;
    }
    return UVMSIM_OK;
}

/* read(2) of a vnode (the public uvmsim_vnode_read of fs.h lives here, in the vm layer,
 * since it reads through the VM's page cache). */
int uvmsim_vnode_read(uvmsim_vnode *vp, uint64_t off, void *buf, size_t len, size_t *nread)
{
    if (nread != NULL)
        *nread = 0;
    if (vp == NULL || nread == NULL || (buf == NULL && len > 0))
        return UVMSIM_EINVAL;
    if (vp->type == UVMSIM_VDIR)
        return UVMSIM_EISDIR;
    if (vp->type != UVMSIM_VREG)
        return UVMSIM_EINVAL;
    uint64_t size = vp->in.size;
    int err;
    if (off >= size || len == 0)
        return UVMSIM_OK;
    if (len > size - off)
        len = (size_t)(size - off);
    uvmsim_mount *mp = uvmsim_vnode_mount(vp);
    struct uvmsim_machine *m = uvmsim_flashdev_machine(uvmsim_mount_device(mp));
    if (uvmsim_mount_flags(mp) & UVMSIM_MNT_XIP)
        err = xip_read(m, vp, off, buf, len);
    else
        err = ubc_copy_read(m, vp, off, buf, len);
    if (err == UVMSIM_OK)
        *nread = len;
    return err;
}
