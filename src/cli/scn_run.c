/* Scenario library: the runner.  Creates the machine, runs the parsed steps in order,
 * checks each step's expect lines right after it, runs the invariant checker after
 * every step, and reports: one line per step (text or JSON Lines), the explanation of
 * each fault (explain mode, narrated by scn_trace.c), or the final state as Graphviz
 * (dot mode, scn_dot.c).  Status: 0 all held, 1 an expectation failed or a step failed
 * unannounced, 2 bad configuration, 3 simulator error. */
#include <stdlib.h>
#include <string.h>
#include "scn_internal.h"
#include "vm/uvm_introspect.h"
#ifdef UVMSIM_HAVE_BUILTIN
#include "uvmsim/builtin.h"
#endif

const char *const uvmsim_scn_check_names[] = {"auto", "step", "end", "off", NULL};

void uvmsim_scn_opts_init(uvmsim_scn_opts *o)
{
    memset(o, 0, sizeof(*o));
}

static FILE *out_of(const uvmsim_scn_opts *o) { return o->out ? o->out : stdout; }
static FILE *err_of(const uvmsim_scn_opts *o) { return o->err ? o->err : stderr; }

static const char *pname(struct scn_runtime *rt, int slot) { return uvmsim_scn_pname(rt->s, slot); }

static void hex_size(struct sbuf *b, uint64_t bytes)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        uvmsim_sb_printf(b, "%llu MiB", (unsigned long long)(bytes >> 20));
    else if (bytes >= 1024 && bytes % 1024 == 0)
        uvmsim_sb_printf(b, "%llu KiB", (unsigned long long)(bytes >> 10));
    else
        uvmsim_sb_printf(b, "%llu bytes", (unsigned long long)bytes);
}

/* ---- addresses ---- */

static int resolve_addr(struct scn_runtime *rt, int slot, const struct scn_addr *a, uvmsim_vaddr_t *va,
                        struct sbuf *why)
{
    if (a->sym == SYM_NONE) {
        *va = a->value;
        return UVMSIM_OK;
    }
    if (slot < 0 || !rt->has_exec[slot]) {
        uvmsim_sb_printf(why, "process %s has no program (exec one first)", pname(rt, slot));
        return UVMSIM_EINVAL;
    }
    const uvmsim_exec_info *x = &rt->exec[slot];
    uvmsim_vaddr_t base = 0;
    bool found = false;
    size_t pg = uvmsim_page_size(rt->m);
    switch (a->sym) {
    case SYM_ENTRY: base = x->entry; found = true; break;
    case SYM_STACK: base = x->stack_top - pg; found = x->stack_top != 0; break;
    case SYM_BRK: base = x->brk; found = true; break;
    default:
        for (unsigned i = 0; i < x->nsegs && !found; i++) {
            const uvmsim_exec_seg *sg = &x->segs[i];
            if ((a->sym == SYM_TEXT && sg->kind == UVMSIM_EXEC_SEG_FILE && (sg->prot & UVMSIM_PROT_EXEC)) ||
                (a->sym == SYM_DATA && sg->kind == UVMSIM_EXEC_SEG_FILE && (sg->prot & UVMSIM_PROT_WRITE)) ||
                (a->sym == SYM_BSS && sg->kind == UVMSIM_EXEC_SEG_ANON)) {
                base = sg->va;
                found = true;
            }
        }
    }
    if (!found) {
        uvmsim_sb_printf(why, "the program of %s has no %s segment", pname(rt, slot),
                         a->sym == SYM_TEXT ? "text" : a->sym == SYM_DATA ? "data" : a->sym == SYM_BSS ? "bss" : "stack");
        return UVMSIM_EINVAL;
    }
    *va = a->negative ? base - a->value : base + a->value;
    return UVMSIM_OK;
}

static uint64_t step_bytes(struct scn_runtime *rt, const struct scn_step *st)
{
    return st->npages ? st->npages * uvmsim_page_size(rt->m) : st->size;
}

/* ---- describing results ---- */

static void describe_outcome(struct sbuf *b, const uvmsim_fault_outcome *o)
{
    char pb[4];
    if (o->cls == UVMSIM_FAULT_ERROR) {
        uvmsim_sb_printf(b, "fault error %s", uvmsim_errname(o->error));
        return;
    }
    uvmsim_sb_printf(b, "%s: %s page 0x%llx mapped %s, %u page%s allocated, %llu bytes copied, %u I/O",
                     uvmsim_fault_class_name(o->cls), uvmsim_page_loc_name(o->loc), (unsigned long long)o->pa,
                     uvmsim_scn_prot_str(o->prot_entered, pb), o->pages_allocated,
                     o->pages_allocated == 1 ? "" : "s", (unsigned long long)o->bytes_copied, o->io_requests);
    if (o->neighbours_mapped)
        uvmsim_sb_printf(b, ", %u neighbour%s mapped", o->neighbours_mapped, o->neighbours_mapped == 1 ? "" : "s");
    if (o->large_bytes)
        uvmsim_sb_printf(b, ", in a %llu KiB large page", (unsigned long long)(o->large_bytes >> 10));
}

static void describe_entry(struct sbuf *b, const uvmsim_entry_info *e)
{
    char pb[4];
    static const char *const inh[] = {"copy", "share", "none"};
    static const char *const adv[] = {"normal", "random", "sequential"};
    uvmsim_sb_printf(b, "[0x%llx-0x%llx) %s %s", (unsigned long long)e->start, (unsigned long long)e->end,
                     uvmsim_scn_prot_str(e->prot, pb), e->shared ? "shared" : "private");
    if (e->copy_on_write)
        uvmsim_sb_printf(b, " cow");
    if (e->needs_copy)
        uvmsim_sb_printf(b, " needs-copy");
    if (e->has_amap)
        uvmsim_sb_printf(b, " amap(slot %u, refs %u)", e->amap_slot, e->amap_refs);
    if (e->has_object)
        uvmsim_sb_printf(b, " object %s offset 0x%llx", e->object_kind, (unsigned long long)e->offset);
    else
        uvmsim_sb_printf(b, " anon");
    uvmsim_sb_printf(b, " inherit %s advice %s", inh[e->inherit % 3], adv[e->advice % 3]);
    if (e->wired_count)
        uvmsim_sb_printf(b, " wired %u", e->wired_count);
}

/* ---- steps ---- */

static int step_machine(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    uvmsim_machine_config cfg = st->cfg;
    if (rt->o->pmap)
        cfg.pmap = rt->o->pmap;
    char why[256];
    int err = uvmsim_machine_config_explain(&cfg, why, sizeof(why));
    if (err) {
        uvmsim_sb_printf(&res->info, "cannot create the machine: %s", why);
        return err;
    }
    if ((err = uvmsim_machine_create(&cfg, &rt->m)) != UVMSIM_OK) {
        uvmsim_sb_printf(&res->info, "cannot create the machine: %s", uvmsim_strerror(err));
        return err;
    }
    const uvmsim_machine_config *c = uvmsim_machine_config_get(rt->m);
    static const char *const repl[] = {"lru", "fifo", "random"};
    hex_size(&res->info, c->ram_size);
    uvmsim_sb_printf(&res->info, " RAM at 0x%llx, %zu-byte pages, pmap %s, ", (unsigned long long)c->ram_base,
                     c->page_size, uvmsim_pmap_backend_name(rt->m));
    if (c->tlb.entries == 0)
        uvmsim_sb_printf(&res->info, "no TLB (tlb=0: every access walks the page tables)");
    else
        uvmsim_sb_printf(&res->info, "TLB %u entries %s %s %s", c->tlb.entries,
                         c->tlb.ways == 0 || c->tlb.ways >= c->tlb.entries ? "fully associative" : "set-associative",
                         repl[c->tlb.repl % 3], c->tlb.split ? "split I/D" : "unified");
    if (c->tlb.entries && c->tlb.ways && c->tlb.ways < c->tlb.entries)
        uvmsim_sb_printf(&res->info, " (%u ways)", c->tlb.ways);
    if (st->share_domains || st->placement) {
        /* FASS options: the backend must be fass (a --pmap override may have changed it) */
        if ((st->share_domains && (err = uvmsim_pmap_fass_set_sharing(rt->m, true)) != UVMSIM_OK) ||
            (st->placement && (err = uvmsim_pmap_fass_set_placement(rt->m, true)) != UVMSIM_OK)) {
            uvmsim_sb_printf(&res->info, "; %s=on needs pmap fass", st->share_domains ? "share-domains" : "placement");
            return err;
        }
        uvmsim_sb_printf(&res->info, "%s%s", st->share_domains ? ", shared domains" : "",
                         st->placement ? ", least-contention placement" : "");
    }
    return UVMSIM_OK;
}

static int step_image(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    uvmsim_flashdev_config cfg;
    uvmsim_flashdev_config_init(&cfg);
    if (st->block_size)
        cfg.block_size = st->block_size;
    cfg.direct_access = !st->nodirect;
    uvmsim_flashdev *dev = NULL;
    int err;
    if (st->builtin) {
#ifdef UVMSIM_HAVE_BUILTIN
        size_t len = 0;
        const unsigned char *img = uvmsim_builtin_image(&len);
        if (img == NULL) {
            uvmsim_sb_printf(&res->info, "this build's built-in image is empty (no mke2fs at build time)");
            return UVMSIM_ENOTSUP;
        }
        err = uvmsim_flashdev_create_mem(rt->m, &cfg, img, len, &dev);
#else
        err = UVMSIM_ENOTSUP;
#endif
    } else {
        err = uvmsim_flashdev_create_file(rt->m, &cfg, st->path, &dev);
    }
    if (err) {
        const char *why = uvmsim_last_error(rt->m);
        uvmsim_sb_printf(&res->info, "cannot attach %s: %s", st->builtin ? "the built-in image" : st->path,
                         *why ? why : uvmsim_strerror(err));
        return err;
    }
    rt->devs[st->image] = dev;
    uvmsim_sb_printf(&res->info, "%s: ", uvmsim_flashdev_name(dev));
    hex_size(&res->info, uvmsim_flashdev_size(dev));
    uvmsim_sb_printf(&res->info, " %s at 0x%llx, %zu-byte blocks, %s", st->builtin ? "built-in image" : st->path,
                     (unsigned long long)uvmsim_flashdev_base(dev), uvmsim_flashdev_block_size(dev),
                     uvmsim_flashdev_is_direct(dev) ? "direct access" : "block access only");
    return UVMSIM_OK;
}

static int step_mount(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    static const char *const kinds[] = {"copy", "xip", "xip-faultop"};
    unsigned flags = st->mount == MNT_XIP ? UVMSIM_MNT_XIP :
                     st->mount == MNT_XIP_FAULTOP ? UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP : 0;
    flags |= st->mount_flags;
    uvmsim_flashdev *dev = rt->devs[st->image];
    if (dev == NULL) {
        uvmsim_sb_printf(&res->info, "the image of this mount was not attached");
        return UVMSIM_ENOENT;
    }
    uvmsim_mount *mp;
    int err = uvmsim_mount_ext2(rt->m, dev, st->path, flags, &mp);
    if (err) {
        const char *why = uvmsim_fs_last_error(rt->m);
        uvmsim_sb_printf(&res->info, "cannot mount %s on %s (%s): %s%s%s", uvmsim_flashdev_name(dev), st->path,
                         kinds[st->mount], uvmsim_strerror(err), why[0] ? ": " : "", why);
        return err;
    }
    uvmsim_sb_printf(&res->info, "%s mounted on %s (%s), %zu-byte blocks", uvmsim_flashdev_name(dev), st->path,
                     kinds[st->mount], uvmsim_mount_block_size(mp));
    if (flags & UVMSIM_MNT_XIP)
        uvmsim_sb_printf(&res->info, ", XIP base 0x%llx", (unsigned long long)uvmsim_mount_xip_base(mp));
    if (flags & (UVMSIM_MNT_SUPERPAGES | UVMSIM_MNT_NOSUPERPAGES))
        uvmsim_sb_printf(&res->info, ", superpages %s", (flags & UVMSIM_MNT_SUPERPAGES) ? "on" : "off");
    return UVMSIM_OK;
}

static int step_exec(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    uvmsim_exec_info *x = &rt->exec[st->proc];
    int err = uvmsim_exec(rt->procs[st->proc], st->path, x);
    if (err) {
        rt->has_exec[st->proc] = false;
        uvmsim_sb_printf(&res->info, "exec %s failed: %s%s%s", st->path, uvmsim_strerror(err),
                         x->error[0] ? ": " : "", x->error);
        return err;
    }
    rt->has_exec[st->proc] = true;
    uvmsim_sb_printf(&res->info, "%s (pid %d) runs %s: entry 0x%llx, %u mappings (%llu text, %llu data, %llu bss pages, stack [0x%llx-0x%llx)), %u page%s promoted at exec",
                     pname(rt, st->proc), uvmsim_proc_pid(rt->procs[st->proc]), st->path,
                     (unsigned long long)x->entry, x->nsegs, (unsigned long long)x->text_pages,
                     (unsigned long long)x->data_pages, (unsigned long long)x->bss_pages,
                     (unsigned long long)x->stack_base, (unsigned long long)x->stack_top, x->promotions,
                     x->promotions == 1 ? "" : "s");
    return UVMSIM_OK;
}

static int step_map(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    uvmsim_proc *p = rt->procs[st->proc];
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = res->va;
    a.size = step_bytes(rt, st);
    a.prot = st->prot;
    a.maxprot = st->maxprot;
    a.flags = (st->shared ? UVMSIM_MAP_SHARED : UVMSIM_MAP_PRIVATE) | (res->va ? UVMSIM_MAP_FIXED : 0);
    a.inherit = st->inherit;
    a.inherit_set = st->inherit_set;
    a.advice = st->advice;
    a.offset = st->offset;
    uvmsim_vnode *vp = NULL;
    if (st->path) {
        int err = uvmsim_namei(rt->m, st->path, &vp);
        if (err) {
            uvmsim_sb_printf(&res->info, "cannot map %s: %s", st->path, uvmsim_strerror(err));
            return err;
        }
        a.vnode = vp;
    }
    uvmsim_vaddr_t va;
    int err = uvmsim_map(p, &a, &va);
    if (vp)
        uvmsim_vnode_rele(vp);
    if (err) {
        uvmsim_sb_printf(&res->info, "map refused: %s", uvmsim_strerror(err));
        return err;
    }
    res->va = va;
    uvmsim_entry_info e;
    if (uvmsim_map_lookup(p, va, &e) == UVMSIM_OK) {
        uvmsim_sb_printf(&res->info, "%s: ", pname(rt, st->proc));
        describe_entry(&res->info, &e);
        if (st->path)
            uvmsim_sb_printf(&res->info, " (%s)", st->path);
    }
    return UVMSIM_OK;
}

static int step_range(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    uvmsim_proc *p = rt->procs[st->proc];
    uint64_t size = step_bytes(rt, st);
    int err;
    const char *what;
    char pb[4];
    static const char *const inh[] = {"copy", "share", "none"};
    static const char *const adv[] = {"normal", "random", "sequential"};
    switch (st->op) {
    case SOP_PROTECT: err = uvmsim_protect(p, res->va, size, st->prot); what = uvmsim_scn_prot_str(st->prot, pb); break;
    case SOP_UNMAP: err = uvmsim_unmap(p, res->va, size); what = "unmapped"; break;
    case SOP_INHERIT: err = uvmsim_inherit_set(p, res->va, size, st->inherit); what = inh[st->inherit % 3]; break;
    case SOP_WIRE: err = uvmsim_wire(p, res->va, size); what = "wired"; break;
    case SOP_UNWIRE: err = uvmsim_unwire(p, res->va, size); what = "unwired"; break;
    default: err = uvmsim_advise(p, res->va, size, st->advice); what = adv[st->advice % 3]; break;
    }
    if (err) {
        uvmsim_sb_printf(&res->info, "refused: %s", uvmsim_strerror(err));
        return err;
    }
    uvmsim_sb_printf(&res->info, "%s: [0x%llx-0x%llx) %s%s; %u map entr%s now", pname(rt, st->proc),
                     (unsigned long long)res->va, (unsigned long long)(res->va + size),
                     st->op == SOP_PROTECT ? "now " : st->op == SOP_INHERIT ? "inherit " :
                     st->op == SOP_ADVISE ? "advice " : "", what, uvmsim_map_nentries(p),
                     uvmsim_map_nentries(p) == 1 ? "y" : "ies");
    return UVMSIM_OK;
}

static int step_access(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    uvmsim_proc *p = rt->procs[st->proc];
    uvmsim_access kind = st->op == SOP_FETCH ? UVMSIM_ACCESS_FETCH :
                         st->op == SOP_LOAD ? UVMSIM_ACCESS_LOAD : UVMSIM_ACCESS_STORE;
    int err;
    uvmsim_ram_stats r0, r1;
    uvmsim_ram_stats_get(rt->m, &r0);
    if (st->op == SOP_FAULT) {
        err = uvmsim_fault(p, res->va, st->access, &res->last);
        uvmsim_ram_stats_get(rt->m, &r1);
        res->ptp_growth = r1.ptp_pages > r0.ptp_pages ? r1.ptp_pages - r0.ptp_pages : 0;
        res->nfaults = 1;
        res->have_fault = true;
        uvmsim_sb_printf(&res->info, "%s fault handler, %s at 0x%llx: ", pname(rt, st->proc),
                         uvmsim_scn_access_name(st->access), (unsigned long long)res->va);
        describe_outcome(&res->info, &res->last);
        return err;
    }
    size_t len;
    uint8_t *buf;
    if (kind == UVMSIM_ACCESS_STORE) {
        len = st->datalen;
        buf = st->data;
    } else {
        len = (size_t)st->size;
        buf = calloc(1, len);
        if (buf == NULL) {
            uvmsim_sb_printf(&res->info, "out of host memory");
            return UVMSIM_ENOHOST;
        }
        res->bytes = buf;
    }
    err = uvmsim_access_mem(p, res->va, kind, buf, len, &res->nfaults, &res->last);
    res->have_fault = res->nfaults > 0;
    uvmsim_ram_stats_get(rt->m, &r1);
    res->ptp_growth = r1.ptp_pages > r0.ptp_pages ? r1.ptp_pages - r0.ptp_pages : 0;
    uvmsim_sb_printf(&res->info, "%s %s %zu byte%s at 0x%llx: ", pname(rt, st->proc), uvmsim_scn_access_name(kind),
                     len, len == 1 ? "" : "s", (unsigned long long)res->va);
    if (res->nfaults == 0)
        uvmsim_sb_printf(&res->info, "no fault (the TLB or the page tables allowed it)");
    else if (res->nfaults > 1)
        uvmsim_sb_printf(&res->info, "%u faults, the last ", res->nfaults);
    else
        uvmsim_sb_printf(&res->info, "1 fault, ");
    if (res->nfaults > 0)
        describe_outcome(&res->info, &res->last);
    if (err) {
        if (res->nfaults == 0 || res->last.cls != UVMSIM_FAULT_ERROR)
            uvmsim_sb_printf(&res->info, "; error %s", uvmsim_errname(err));
        return err;
    }
    if (kind != UVMSIM_ACCESS_STORE) {
        res->nbytes = len;
        uvmsim_sb_printf(&res->info, "; read ");
        uvmsim_sb_bytes(&res->info, buf, len);
    }
    return UVMSIM_OK;
}

/* ---- SysV segments and read(2) ---- */

static struct scn_shm *shm_find(struct scn_runtime *rt, uint64_t key)
{
    for (unsigned i = 0; i < rt->nshms; i++)
        if (rt->shms[i].key == key)
            return &rt->shms[i];
    return NULL;
}

static int step_shm(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    int err;
    if (st->op == SOP_SHMGET) {
        struct scn_shm *ns = realloc(rt->shms, (rt->nshms + 1) * sizeof(*ns));
        if (ns == NULL) {
            uvmsim_sb_printf(&res->info, "out of host memory");
            return UVMSIM_ENOHOST;
        }
        rt->shms = ns;
        uvmsim_shmseg *seg;
        if ((err = uvmsim_shm_create(rt->m, step_bytes(rt, st), &seg)) != UVMSIM_OK) {
            uvmsim_sb_printf(&res->info, "shmget refused: %s", uvmsim_strerror(err));
            return err;
        }
        rt->shms[rt->nshms++] = (struct scn_shm){st->key, seg};
        uvmsim_sb_printf(&res->info, "segment %llu: %llu bytes, an anonymous object", (unsigned long long)st->key,
                         (unsigned long long)uvmsim_shm_size(seg));
        return UVMSIM_OK;
    }
    struct scn_shm *sh = shm_find(rt, st->key);
    if (sh == NULL) {                /* its shmget failed (and was expected to) */
        uvmsim_sb_printf(&res->info, "no segment with key %llu: its shmget failed", (unsigned long long)st->key);
        return UVMSIM_EINVAL;
    }
    if (st->op == SOP_SHMRM) {
        uvmsim_shm_remove(sh->seg);
        *sh = rt->shms[--rt->nshms];
        uvmsim_sb_printf(&res->info, "segment %llu removed: its memory lives until the last detach",
                         (unsigned long long)st->key);
        return UVMSIM_OK;
    }
    uvmsim_proc *p = rt->procs[st->proc];
    uvmsim_vaddr_t va;
    if ((err = uvmsim_shm_attach(p, sh->seg, res->va, st->rdonly, &va)) != UVMSIM_OK) {
        uvmsim_sb_printf(&res->info, "shmat refused: %s", uvmsim_strerror(err));
        return err;
    }
    res->va = va;
    uvmsim_entry_info e;
    uvmsim_sb_printf(&res->info, "%s: segment %llu attached ", pname(rt, st->proc), (unsigned long long)st->key);
    if (uvmsim_map_lookup(p, va, &e) == UVMSIM_OK)
        describe_entry(&res->info, &e);
    return UVMSIM_OK;
}

static int step_readfile(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    uvmsim_vnode *vp;
    int err = uvmsim_namei(rt->m, st->path, &vp);
    if (err) {
        uvmsim_sb_printf(&res->info, "cannot read %s: %s", st->path, uvmsim_strerror(err));
        return err;
    }
    uint8_t *buf = calloc(1, (size_t)st->size);
    if (buf == NULL) {
        uvmsim_vnode_rele(vp);
        uvmsim_sb_printf(&res->info, "out of host memory");
        return UVMSIM_ENOHOST;
    }
    res->bytes = buf;
    uvmsim_vm_stats v0, v1;
    uvmsim_flashdev_stats f0 = {0}, f1 = {0}, d;
    uvmsim_vm_stats_get(rt->m, &v0);
    for (unsigned i = 0; i < rt->ndevs; i++)
        if (rt->devs[i]) {
            uvmsim_flashdev_stats_get(rt->devs[i], &d);
            f0.read_requests += d.read_requests;
        }
    size_t got = 0;
    err = uvmsim_vnode_read(vp, st->offset, buf, (size_t)st->size, &got);
    /* the file stays open to the end of the run, as in a process that read() it: its
     * page cache (copy mount) stays with it, for later mappings to find */
    bool seen = false;
    for (unsigned i = 0; i < rt->nopen; i++)
        seen |= rt->open[i] == vp;
    uvmsim_vnode **no = seen ? NULL : realloc(rt->open, (rt->nopen + 1) * sizeof(*no));
    if (no != NULL) {
        rt->open = no;
        rt->open[rt->nopen++] = vp;
    } else {
        uvmsim_vnode_rele(vp);
    }
    uvmsim_vm_stats_get(rt->m, &v1);
    for (unsigned i = 0; i < rt->ndevs; i++)
        if (rt->devs[i]) {
            uvmsim_flashdev_stats_get(rt->devs[i], &d);
            f1.read_requests += d.read_requests;
        }
    if (err) {
        uvmsim_sb_printf(&res->info, "read %s failed: %s", st->path, uvmsim_strerror(err));
        return err;
    }
    res->nbytes = got;
    uvmsim_sb_printf(&res->info, "read(2) %s: %zu byte%s at offset %llu; page-cache I/O %llu request%s, %llu device request%s in all; read ",
                     st->path, got, got == 1 ? "" : "s", (unsigned long long)st->offset,
                     (unsigned long long)(v1.io_requests - v0.io_requests), v1.io_requests - v0.io_requests == 1 ? "" : "s",
                     (unsigned long long)(f1.read_requests - f0.read_requests),
                     f1.read_requests - f0.read_requests == 1 ? "" : "s");
    uvmsim_sb_bytes(&res->info, buf, got);
    return UVMSIM_OK;
}

static int step_show(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    uvmsim_proc *p = rt->procs[st->proc];
    unsigned n = uvmsim_map_nentries(p);
    uvmsim_sb_printf(&res->info, "%s (pid %d): %u map entr%s", pname(rt, st->proc), uvmsim_proc_pid(p), n,
                     n == 1 ? "y" : "ies");
    for (unsigned i = 0; i < n; i++) {
        uvmsim_entry_info e;
        if (uvmsim_map_entry(p, i, &e) != UVMSIM_OK)
            continue;
        uvmsim_sb_printf(&res->info, "\n      ");
        describe_entry(&res->info, &e);
    }
    return UVMSIM_OK;
}

static int run_step(struct scn_runtime *rt, const struct scn_step *st, struct scn_result *res)
{
    if (st->proc >= 0 && st->op != SOP_SPAWN) {
        int err = resolve_addr(rt, st->proc, &st->addr, &res->va, &res->info);
        if (err)
            return err;
    }
    switch (st->op) {
    case SOP_MACHINE: return step_machine(rt, st, res);
    case SOP_IMAGE: return step_image(rt, st, res);
    case SOP_MOUNT: return step_mount(rt, st, res);
    case SOP_SPAWN: {
        int err = uvmsim_proc_create(rt->m, &rt->procs[st->proc]);
        if (err) {
            uvmsim_sb_printf(&res->info, "cannot create %s: %s", pname(rt, st->proc), uvmsim_strerror(err));
            return err;
        }
        rt->has_exec[st->proc] = false;
        uvmsim_sb_printf(&res->info, "%s is pid %d", pname(rt, st->proc), uvmsim_proc_pid(rt->procs[st->proc]));
        return UVMSIM_OK;
    }
    case SOP_EXEC: return step_exec(rt, st, res);
    case SOP_FORK: {
        int err = uvmsim_proc_fork(rt->procs[st->proc], &rt->procs[st->proc2]);
        if (err) {
            rt->procs[st->proc2] = NULL;
            uvmsim_sb_printf(&res->info, "fork failed: %s", uvmsim_strerror(err));
            return err;
        }
        rt->has_exec[st->proc2] = rt->has_exec[st->proc];
        rt->exec[st->proc2] = rt->exec[st->proc];
        uvmsim_sb_printf(&res->info, "%s is pid %d, a child of %s (pid %d)", pname(rt, st->proc2),
                         uvmsim_proc_pid(rt->procs[st->proc2]), pname(rt, st->proc),
                         uvmsim_proc_pid(rt->procs[st->proc]));
        return UVMSIM_OK;
    }
    case SOP_EXIT: {
        int pid = uvmsim_proc_pid(rt->procs[st->proc]);
        uvmsim_proc_exit(rt->procs[st->proc]);
        rt->procs[st->proc] = NULL;
        rt->has_exec[st->proc] = false;
        uvmsim_sb_printf(&res->info, "%s (pid %d) exited", pname(rt, st->proc), pid);
        return UVMSIM_OK;
    }
    case SOP_SWITCH: {
        int err = uvmsim_proc_switch(rt->procs[st->proc]);
        uvmsim_sb_printf(&res->info, "%s (pid %d) is on the CPU", pname(rt, st->proc),
                         uvmsim_proc_pid(rt->procs[st->proc]));
        return err;
    }
    case SOP_MAP: return step_map(rt, st, res);
    case SOP_PROTECT: case SOP_UNMAP: case SOP_INHERIT: case SOP_ADVISE:
    case SOP_WIRE: case SOP_UNWIRE: return step_range(rt, st, res);
    case SOP_SHMGET: case SOP_SHMAT: case SOP_SHMRM: return step_shm(rt, st, res);
    case SOP_READ: return step_readfile(rt, st, res);
    case SOP_FETCH: case SOP_LOAD: case SOP_STORE: case SOP_FAULT: return step_access(rt, st, res);
    case SOP_SHOW: return step_show(rt, st, res);
    }
    return UVMSIM_EINVAL;
}

/* ---- expectations ---- */

static bool cmp_ok(scn_cmp c, uint64_t got, uint64_t want)
{
    switch (c) {
    case CMP_EQ: return got == want;
    case CMP_NE: return got != want;
    case CMP_LT: return got < want;
    case CMP_LE: return got <= want;
    case CMP_GT: return got > want;
    default: return got >= want;
    }
}

static const char *cmp_str(scn_cmp c)
{
    static const char *const s[] = {"==", "!=", "<", "<=", ">", ">="};
    return s[c];
}

/* Find p's page at an address of the expectation; false (with why) when unmapped. */
static bool exp_extract(struct scn_runtime *rt, int slot, const struct scn_addr *a, uvmsim_paddr_t *pa,
                        uvmsim_vaddr_t *va_out, struct sbuf *why)
{
    uvmsim_vaddr_t va;
    if (rt->procs[slot] == NULL) {
        uvmsim_sb_printf(why, "process %s is not alive", pname(rt, slot));
        return false;
    }
    if (resolve_addr(rt, slot, a, &va, why) != UVMSIM_OK)
        return false;
    if (va_out)
        *va_out = va;
    if (!uvmsim_introspect_extract(rt->procs[slot], va, pa, NULL)) {
        uvmsim_sb_printf(why, "%s has nothing mapped at 0x%llx", pname(rt, slot), (unsigned long long)va);
        return false;
    }
    return true;
}

static bool check_entry(struct scn_runtime *rt, const struct scn_expect *ex, struct sbuf *why)
{
    uvmsim_vaddr_t va;
    uvmsim_entry_info e;
    if (rt->procs[ex->proc] == NULL) {
        uvmsim_sb_printf(why, "process %s is not alive", pname(rt, ex->proc));
        return false;
    }
    if (resolve_addr(rt, ex->proc, &ex->addr, &va, why) != UVMSIM_OK)
        return false;
    if (uvmsim_map_lookup(rt->procs[ex->proc], va, &e) != UVMSIM_OK) {
        uvmsim_sb_printf(why, "%s has no map entry at 0x%llx", pname(rt, ex->proc), (unsigned long long)va);
        return false;
    }
    bool ok = true;
    for (unsigned i = 0; i < ex->nchecks; i++) {
        const struct scn_echeck *c = &ex->checks[i];
        uint64_t got = 0;
        const char *name = "";
        char pb[4], wb[4];
        switch (c->prop) {
        case EP_PROT: got = e.prot; name = "prot"; break;
        case EP_MAXPROT: got = e.maxprot; name = "maxprot"; break;
        case EP_INHERIT: got = e.inherit; name = "inherit"; break;
        case EP_ADVICE: got = e.advice; name = "advice"; break;
        case EP_COW: got = e.copy_on_write; name = "cow"; break;
        case EP_NEEDS_COPY: got = e.needs_copy; name = "needs-copy"; break;
        case EP_SHARED: got = e.shared; name = "shared"; break;
        case EP_AMAP: got = e.has_amap; name = "amap"; break;
        case EP_AMAP_REFS: got = e.amap_refs; name = "amap-refs"; break;
        case EP_OFFSET: got = e.offset; name = "offset"; break;
        case EP_START: got = e.start; name = "start"; break;
        case EP_END: got = e.end; name = "end"; break;
        case EP_WIRED: got = e.wired_count; name = "wired"; break;
        case EP_OBJECT: {
            const char *kind = e.has_object ? e.object_kind : "none";
            if (strcmp(kind, c->str) != 0) {
                uvmsim_sb_printf(why, "%sobject is %s, not %s", ok ? "" : "; ", kind, c->str);
                ok = false;
            }
            continue;
        }
        }
        if (got == c->value)
            continue;
        if (c->prop == EP_PROT || c->prop == EP_MAXPROT)
            uvmsim_sb_printf(why, "%s%s is %s, not %s", ok ? "" : "; ", name,
                             uvmsim_scn_prot_str((uvmsim_prot_t)got, pb), uvmsim_scn_prot_str((uvmsim_prot_t)c->value, wb));
        else if (c->prop == EP_COW || c->prop == EP_NEEDS_COPY || c->prop == EP_SHARED || c->prop == EP_AMAP)
            uvmsim_sb_printf(why, "%s%s is %s", ok ? "" : "; ", name, got ? "yes" : "no");
        else
            uvmsim_sb_printf(why, "%s%s is %llu (0x%llx), not %llu", ok ? "" : "; ", name, (unsigned long long)got,
                             (unsigned long long)got, (unsigned long long)c->value);
        ok = false;
    }
    return ok;
}

/* Does one expect line hold?  why gets what was found otherwise. */
static bool check_expect(struct scn_runtime *rt, const struct scn_expect *ex, const struct scn_result *res,
                         struct sbuf *why)
{
    const uvmsim_fault_outcome *o = &res->last;
    char pb[4], wb[4];
    switch (ex->kind) {
    case EX_OK:
        if (res->err == UVMSIM_OK)
            return true;
        uvmsim_sb_printf(why, "the step failed with %s", uvmsim_errname(res->err));
        return false;
    case EX_ERROR:
        if (res->err == ex->err)
            return true;
        if (res->err == UVMSIM_OK)
            uvmsim_sb_printf(why, "the step succeeded");
        else
            uvmsim_sb_printf(why, "the step failed with %s instead", uvmsim_errname(res->err));
        return false;
    case EX_FAULT:
        if (ex->cls < 0) {
            if (res->nfaults == 0)
                return true;
            uvmsim_sb_printf(why, "the step took %u fault%s, the last %s", res->nfaults, res->nfaults == 1 ? "" : "s",
                             uvmsim_fault_class_name(o->cls));
            return false;
        }
        if (!res->have_fault) {
            uvmsim_sb_printf(why, "the step took no fault");
            return false;
        }
        if ((int)o->cls == ex->cls)
            return true;
        uvmsim_sb_printf(why, "the last fault was %s", uvmsim_fault_class_name(o->cls));
        if (o->cls == UVMSIM_FAULT_ERROR)
            uvmsim_sb_printf(why, " (%s)", uvmsim_errname(o->error));
        return false;
    case EX_BYTES:
        if (res->err != UVMSIM_OK) {
            uvmsim_sb_printf(why, "nothing was read: the step failed with %s", uvmsim_errname(res->err));
            return false;
        }
        if (ex->datalen <= res->nbytes && memcmp(ex->data, res->bytes, ex->datalen) == 0)
            return true;
        uvmsim_sb_printf(why, "read ");
        uvmsim_sb_bytes(why, res->bytes, res->nbytes);
        return false;
    case EX_LOC: case EX_WRITABLE: case EX_PROT:
        if (!res->have_fault) {
            uvmsim_sb_printf(why, "the step took no fault");
            return false;
        }
        if (ex->kind == EX_LOC) {
            if (o->loc == ex->loc)
                return true;
            uvmsim_sb_printf(why, "the page is in %s", uvmsim_page_loc_name(o->loc));
        } else if (ex->kind == EX_WRITABLE) {
            bool w = (o->prot_entered & UVMSIM_PROT_WRITE) != 0;
            if (w == ex->flag)
                return true;
            uvmsim_sb_printf(why, "the page was entered %s", uvmsim_scn_prot_str(o->prot_entered, pb));
        } else {
            if (o->prot_entered == ex->prot)
                return true;
            uvmsim_sb_printf(why, "the page was entered %s, not %s", uvmsim_scn_prot_str(o->prot_entered, pb),
                             uvmsim_scn_prot_str(ex->prot, wb));
        }
        return false;
    case EX_NUM: {
        uint64_t v;
        if (!uvmsim_scn_key_value(rt, &ex->key, res, &v)) {
            uvmsim_sb_printf(why, ex->key.src == SRC_PROC ? "the process has exited" : "the step took no fault");
            return false;
        }
        if (cmp_ok(ex->cmp, v, ex->value))
            return true;
        uvmsim_sb_printf(why, "the value is %llu, wanted %s %llu", (unsigned long long)v, cmp_str(ex->cmp),
                         (unsigned long long)ex->value);
        return false;
    }
    case EX_PV: {
        uvmsim_paddr_t pa = ex->pa;
        if (ex->proc >= 0 && !exp_extract(rt, ex->proc, &ex->addr, &pa, NULL, why))
            return false;
        unsigned n = uvmsim_pmap_pv_count(rt->m, pa);
        if (cmp_ok(ex->cmp, n, ex->value))
            return true;
        uvmsim_sb_printf(why, "page 0x%llx has %u PV entr%s, wanted %s %llu", (unsigned long long)pa, n,
                         n == 1 ? "y" : "ies", cmp_str(ex->cmp), (unsigned long long)ex->value);
        return false;
    }
    case EX_ENTRY:
        return check_entry(rt, ex, why);
    case EX_MAPPED: {
        uvmsim_paddr_t pa;
        struct sbuf tmp = {0};
        uvmsim_page_loc loc = UVMSIM_LOC_NONE;
        if (exp_extract(rt, ex->proc, &ex->addr, &pa, NULL, &tmp))
            loc = uvmsim_introspect_loc(rt->m, pa);
        else if (rt->procs[ex->proc] == NULL || strstr(uvmsim_sb_str(&tmp), "nothing mapped") == NULL) {
            uvmsim_sb_printf(why, "%s", uvmsim_sb_str(&tmp));
            uvmsim_sb_free(&tmp);
            return false;
        }
        uvmsim_sb_free(&tmp);
        if (loc == ex->loc)
            return true;
        uvmsim_sb_printf(why, "it maps %s", uvmsim_page_loc_name(loc));
        if (loc != UVMSIM_LOC_NONE)
            uvmsim_sb_printf(why, " page 0x%llx", (unsigned long long)pa);
        return false;
    }
    case EX_SAME: {
        uvmsim_paddr_t pa1, pa2;
        if (!exp_extract(rt, ex->proc, &ex->addr, &pa1, NULL, why) ||
            !exp_extract(rt, ex->proc2, &ex->addr2, &pa2, NULL, why))
            return false;
        if ((pa1 == pa2) == ex->flag)
            return true;
        uvmsim_sb_printf(why, pa1 == pa2 ? "both map page 0x%llx" : "they map pages 0x%llx and 0x%llx",
                         (unsigned long long)pa1, (unsigned long long)pa2);
        return false;
    }
    }
    return false;
}

/* ---- output ---- */

static void json_step(struct scn_runtime *rt, const struct scn_step *st, const struct scn_result *res,
                      const struct sbuf *exjson)
{
    struct sbuf b = {0};
    uvmsim_sb_printf(&b, "{\"step\":%u,\"line\":%u,\"command\":", rt->step, st->line);
    uvmsim_sb_json_str(&b, st->text);
    uvmsim_sb_printf(&b, ",\"ok\":%s,\"error\":", res->err ? "false" : "true");
    if (res->err)
        uvmsim_sb_json_str(&b, uvmsim_errname(res->err));
    else
        uvmsim_sb_printf(&b, "null");
    uvmsim_sb_printf(&b, ",\"result\":");
    uvmsim_sb_json_str(&b, uvmsim_sb_str(&res->info));
    if (st->proc >= 0 && st->op != SOP_SPAWN && st->op != SOP_EXIT) {
        uvmsim_sb_printf(&b, ",\"process\":");
        uvmsim_sb_json_str(&b, pname(rt, st->proc));
    }
    if (st->op == SOP_MAP || st->op == SOP_PROTECT || st->op == SOP_UNMAP || st->op == SOP_INHERIT ||
        st->op == SOP_ADVISE || st->op == SOP_FETCH || st->op == SOP_LOAD || st->op == SOP_STORE ||
        st->op == SOP_FAULT)
        uvmsim_sb_printf(&b, ",\"va\":\"0x%llx\"", (unsigned long long)res->va);
    if (st->op == SOP_FETCH || st->op == SOP_LOAD || st->op == SOP_STORE || st->op == SOP_FAULT) {
        uvmsim_sb_printf(&b, ",\"faults\":%u,\"fault\":", res->nfaults);
        if (res->have_fault)
            uvmsim_scn_json_outcome(&b, &res->last);
        else
            uvmsim_sb_printf(&b, "null");
    }
    if (res->nbytes) {
        uvmsim_sb_printf(&b, ",\"bytes\":\"");
        for (size_t i = 0; i < res->nbytes; i++)
            uvmsim_sb_printf(&b, "%02x", res->bytes[i]);
        uvmsim_sb_printf(&b, "\"");
    }
    uvmsim_sb_printf(&b, ",\"expects\":[%s]}", uvmsim_sb_str(exjson));
    fprintf(out_of(rt->o), "%s\n", uvmsim_sb_str(&b));
    uvmsim_sb_free(&b);
}

/* expects: the step's expect lines with their results, in order (explain only). */
static void text_step(struct scn_runtime *rt, const struct scn_step *st, const struct scn_result *res,
                      const struct sbuf *expects)
{
    FILE *out = out_of(rt->o);
    if (rt->o->mode == UVMSIM_SCN_MODE_EXPLAIN) {
        fprintf(out, "  Result: %s%s\n%s\n", res->err ? "failed: " : "", uvmsim_sb_str(&res->info),
                uvmsim_sb_str(expects));
        return;
    }
    fprintf(out, "%u: %s => %s\n", rt->step, st->text, uvmsim_sb_str(&res->info));
}

/* ---- driver ---- */

static void rt_free(struct scn_runtime *rt)
{
    for (unsigned i = 0; i < rt->nopen; i++)
        uvmsim_vnode_rele(rt->open[i]);  /* before the forced unmount frees them */
    free(rt->open);
    if (rt->m) {
        uvmsim_trace_set(rt->m, NULL, NULL);
        uvmsim_machine_destroy(rt->m);   /* exits every process, unmounts, detaches devices */
    }
    free(rt->procs);
    free(rt->exec);
    free(rt->has_exec);
    free(rt->devs);
    free(rt->shms);             /* the segments themselves go with the machine */
}

static void set_trace(struct scn_runtime *rt)
{
    if (rt->o->trace || rt->o->mode == UVMSIM_SCN_MODE_EXPLAIN)
        uvmsim_trace_set(rt->m, uvmsim_scn_on_event, rt);
}

/* Does the invariant checker run after step `step` of `last`?  AUTO checks every step of a
 * short scenario and, past UVMSIM_SCN_CHECK_AUTO_STEPS, at powers of two and at the end,
 * so a generated 100,000-step file costs a few whole-machine checks, not 100,000. */
bool uvmsim_scn_check_due(uvmsim_scn_check mode, unsigned step, unsigned last)
{
    switch (mode) {
    case UVMSIM_SCN_CHECK_STEP: return true;
    case UVMSIM_SCN_CHECK_END: return step == last;
    case UVMSIM_SCN_CHECK_OFF: return false;
    case UVMSIM_SCN_CHECK_AUTO: break;
    }
    return step <= UVMSIM_SCN_CHECK_AUTO_STEPS || step == last || (step & (step - 1)) == 0;
}

/* A step's text for a one-line summary: at most 60 characters, cut with "...". */
static void print_quoted_step(FILE *out, const char *text)
{
    size_t n = strlen(text);
    if (n <= 60)
        fputs(text, out);
    else
        fprintf(out, "%.57s...", text);
}

int uvmsim_scn_run(const uvmsim_scn *s, const uvmsim_scn_opts *opts)
{
    return uvmsim_scn_run_hooked(s, opts, NULL);
}

int uvmsim_scn_run_hooked(const uvmsim_scn *s, const uvmsim_scn_opts *opts, const struct scn_hooks *hooks)
{
    uvmsim_scn_opts defaults;
    if (opts == NULL) {
        uvmsim_scn_opts_init(&defaults);
        opts = &defaults;
    }
    FILE *err = err_of(opts);
    if (s == NULL) {
        fprintf(err, "uvmsim: no scenario\n");
        return UVMSIM_SCN_INPUT;
    }
    if (opts->pmap && !uvmsim_scn_backend_exists(opts->pmap)) {
        fprintf(err, "uvmsim: unknown pmap backend '%s'\n", opts->pmap);
        return UVMSIM_SCN_INPUT;
    }
    struct scn_runtime rt;
    memset(&rt, 0, sizeof(rt));
    rt.s = s;
    rt.o = opts;
    rt.hooks = hooks;
    unsigned np = s->nprocs ? s->nprocs : 1, ni = s->nimages ? s->nimages : 1;
    rt.procs = calloc(np, sizeof(*rt.procs));
    rt.exec = calloc(np, sizeof(*rt.exec));
    rt.has_exec = calloc(np, sizeof(*rt.has_exec));
    rt.devs = calloc(ni, sizeof(*rt.devs));
    rt.ndevs = s->nimages;
    if (!rt.procs || !rt.exec || !rt.has_exec || !rt.devs) {
        rt_free(&rt);
        fprintf(err, "uvmsim: out of host memory\n");
        return UVMSIM_SCN_SIMERR;
    }
    if (!s->has_machine) {
        uvmsim_machine_config cfg;
        uvmsim_machine_config_init(&cfg);
        if (opts->pmap)
            cfg.pmap = opts->pmap;
        int e = uvmsim_machine_create(&cfg, &rt.m);
        if (e) {
            fprintf(err, "uvmsim: cannot create the default machine: %s\n", uvmsim_strerror(e));
            rt_free(&rt);
            return UVMSIM_SCN_SIMERR;
        }
        set_trace(&rt);
    }
    unsigned last = opts->last_step && opts->last_step < s->nsteps ? opts->last_step : s->nsteps;
    int status = UVMSIM_SCN_OK;
    unsigned nexpects = 0, nfailed = 0;
    unsigned first_fail = 0, first_fail_step = 0;   /* line and step of the first failed expect */
    unsigned stop_step = 0;                          /* the step the run stopped at, 0: none */
    for (unsigned i = 0; i < last && status != UVMSIM_SCN_SIMERR && status != UVMSIM_SCN_INPUT; i++) {
        const struct scn_step *st = &s->steps[i];
        struct scn_result res;
        memset(&res, 0, sizeof(res));
        rt.step = i + 1;
        rt.fault_no = 0;
        rt.in_fault = false;
        rt.walk_faulted = false;
        if (opts->mode == UVMSIM_SCN_MODE_EXPLAIN)
            fprintf(out_of(opts), "Step %u (line %u): %s\n", rt.step, st->line, st->text);
        res.err = run_step(&rt, st, &res);
        if (st->op == SOP_MACHINE && res.err == UVMSIM_OK)
            set_trace(&rt);
        /* expectations: JSON for run --json, lines for explain */
        struct sbuf exjson = {0}, extext = {0};
        bool expected_error = false;
        for (unsigned k = 0; k < st->nex; k++) {
            const struct scn_expect *ex = &st->ex[k];
            struct sbuf why = {0};
            bool ok = rt.m != NULL && check_expect(&rt, ex, &res, &why);
            if (hooks && hooks->on_expect)
                hooks->on_expect(hooks->arg, ex, ok, uvmsim_sb_str(&why));
            if (ex->kind == EX_ERROR)
                expected_error = true;
            nexpects++;
            if (!ok) {
                nfailed++;
                if (status == UVMSIM_SCN_OK) {
                    status = UVMSIM_SCN_FAILED;
                    first_fail = ex->line;
                    first_fail_step = i + 1;
                }
                fflush(out_of(opts));
                char brief[UVMSIM_SCN_BRIEF];
                fprintf(err, "%s:%u: expect failed: %s: %s\n", s->name, ex->line,
                        uvmsim_scn_brief(ex->text, brief, sizeof brief), uvmsim_sb_str(&why));
            }
            if (opts->mode == UVMSIM_SCN_MODE_EXPLAIN) {
                uvmsim_sb_printf(&extext, "  Line %u: %s: ", ex->line, ex->text);
                if (ok)
                    uvmsim_sb_printf(&extext, "held\n");
                else
                    uvmsim_sb_printf(&extext, "FAILED: %s\n", uvmsim_sb_str(&why));
            }
            if (opts->json) {
                uvmsim_sb_printf(&exjson, "%s{\"line\":%u,\"expect\":", k ? "," : "", ex->line);
                uvmsim_sb_json_str(&exjson, ex->text);
                uvmsim_sb_printf(&exjson, ",\"ok\":%s", ok ? "true" : "false");
                if (!ok) {
                    uvmsim_sb_printf(&exjson, ",\"found\":");
                    uvmsim_sb_json_str(&exjson, uvmsim_sb_str(&why));
                }
                uvmsim_sb_putc(&exjson, '}');
            }
            uvmsim_sb_free(&why);
        }
        if (opts->mode != UVMSIM_SCN_MODE_DOT) {
            if (opts->json && opts->mode == UVMSIM_SCN_MODE_RUN)
                json_step(&rt, st, &res, &exjson);
            else
                text_step(&rt, st, &res, &extext);
        }
        uvmsim_sb_free(&exjson);
        uvmsim_sb_free(&extext);
        bool stop = false;
        char brief[UVMSIM_SCN_BRIEF];
        if (res.err && !expected_error) {
            fflush(out_of(opts));
            stop_step = i + 1;
            if (st->op == SOP_MACHINE) {
                fprintf(err, "%s:%u: machine: invalid configuration: %s\n", s->name, st->line, uvmsim_sb_str(&res.info));
                status = UVMSIM_SCN_INPUT;
            } else if (res.err == UVMSIM_ENOHOST || res.err == UVMSIM_ESTATE) {
                fprintf(err, "%s:%u: simulator error: %s: %s\n", s->name, st->line,
                        uvmsim_scn_brief(st->text, brief, sizeof brief), uvmsim_sb_str(&res.info));
                status = UVMSIM_SCN_SIMERR;
            } else {
                fprintf(err, "%s:%u: step failed: %s: %s (%s)\n", s->name, st->line,
                        uvmsim_scn_brief(st->text, brief, sizeof brief), uvmsim_errname(res.err),
                        uvmsim_strerror(res.err));
                if (status == UVMSIM_SCN_OK)
                    status = UVMSIM_SCN_FAILED;
                stop = true;   /* the state is not what the rest of the scenario assumes */
            }
        }
        if (rt.m != NULL && status != UVMSIM_SCN_INPUT && !stop && uvmsim_scn_check_due(opts->check, i + 1, last)) {
            char msg[512];
            if (uvmsim_check(rt.m, msg, sizeof(msg)) != UVMSIM_OK) {
                fflush(out_of(opts));
                fprintf(err, "%s:%u: simulator error: invariant broken after this step%s: %s\n", s->name, st->line,
                        opts->check == UVMSIM_SCN_CHECK_STEP ? "" : " (or an earlier unchecked one)", msg);
                status = UVMSIM_SCN_SIMERR;
                stop_step = i + 1;
            }
        }
        if (rt.trace_errors) {
            fprintf(err, "uvmsim: cannot write the trace\n");
            status = UVMSIM_SCN_SIMERR;
            rt.trace_errors = 0;
        }
        if (hooks && hooks->on_step && status != UVMSIM_SCN_INPUT && status != UVMSIM_SCN_SIMERR) {
            int hs = hooks->on_step(hooks->arg, &rt, st, &res);
            if (hs != UVMSIM_SCN_OK)
                status = hs;
        }
        free(res.bytes);
        uvmsim_sb_free(&res.info);
        if (stop)
            break;
    }
    if (opts->mode == UVMSIM_SCN_MODE_DOT && rt.m != NULL && status != UVMSIM_SCN_INPUT) {
        if (uvmsim_scn_dot(&rt, out_of(opts)) != UVMSIM_OK) {
            fprintf(err, "uvmsim: cannot take a snapshot of the machine: out of host memory\n");
            status = UVMSIM_SCN_SIMERR;
        }
    } else if (opts->json && opts->mode == UVMSIM_SCN_MODE_RUN) {
        fprintf(out_of(opts), "{\"result\":\"%s\",\"steps\":%u,\"expects\":%u,\"failed\":%u,\"status\":%d}\n",
                status == UVMSIM_SCN_OK ? "ok" : status == UVMSIM_SCN_FAILED ? "failed" : "error", last, nexpects,
                nfailed, status);
    } else if (opts->mode != UVMSIM_SCN_MODE_DOT) {
        fflush(err);
        FILE *out = out_of(opts);
        if (status == UVMSIM_SCN_OK) {
            fprintf(out, "ok: %u step%s, %u expectation%s held\n", last, last == 1 ? "" : "s", nexpects,
                    nexpects == 1 ? "" : "s");
        } else {
            fprintf(out, "%s: ", status == UVMSIM_SCN_FAILED ? "FAILED" : "ERROR");
            if (stop_step) {
                const struct scn_step *st = &s->steps[stop_step - 1];
                fprintf(out, "stopped at step %u of %u (line %u: ", stop_step, last, st->line);
                print_quoted_step(out, st->text);
                fprintf(out, "); ");
            }
            fprintf(out, "%u of %u expectation%s failed", nfailed, nexpects, nexpects == 1 ? "" : "s");
            if (first_fail)
                fprintf(out, ", the first at line %u after step %u", first_fail, first_fail_step);
            fprintf(out, "\n");
        }
    }
    rt_free(&rt);
    return status;
}
