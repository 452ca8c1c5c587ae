/* xip-exec — the XIP demo: one program, two mounts, side by side.
 *
 * Two machines get the same ext2 image on a NOR flash device.  One mounts it execute-in-
 * place, the other as an ordinary (copy) mount with a RAM page cache.  On each, N
 * processes exec the same static program and touch all of it: fetch every text page,
 * load every read-only data page, store to every data page and every .bss page, and to
 * the top page of the stack.  Then the two are compared: RAM pages the processes cost,
 * faults by class, bytes copied by promotions, pager I/O, PV entries, text pages.
 *
 *   xip-exec [--json] [--procs N] [--pmap NAME] [--faultop] [IMAGE [PROGRAM]]
 *
 * Without IMAGE: the built-in image and its program (/bin/hello). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/exec.h"
#include "uvmsim/builtin.h"
#include "tool_opt.h"

#define MAX_PROCS 64

struct opts {
    bool json, faultop;
    unsigned procs;
    const char *pmap;
    const char *image;        /* NULL: built-in */
    const char *program;
};

/* What one machine measured. */
struct result {
    const char *name;         /* "xip" / "copy" */
    const char *pager;        /* object kind of the text mapping */
    uint64_t ram_pages;       /* RAM pages the processes cost (used now - used before) */
    uint64_t anon_pages, object_pages, ptp_pages;
    uint64_t faults[UVMSIM_FAULT_NCLASSES], faults_total;
    uint64_t bytes_copied;
    uint64_t io_requests, io_bytes;   /* issued by pagers */
    uint64_t device_reads;            /* every strategy request (fs metadata, headers too) */
    uint64_t pv_entries, pv_entries_device;
    uint64_t text_pages, data_pages, bss_pages;
    unsigned exec_promotions;
    size_t page_size;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xip-exec [--json] [--procs N] [--pmap NAME] [--faultop] [IMAGE [PROGRAM]]\n"
            "Execs PROGRAM in N processes (default 4) on two machines holding the same ext2\n"
            "IMAGE on NOR flash, one mounted execute-in-place (XIP) and one copying through a\n"
            "RAM page cache, touches all of each process (text, data, .bss, stack) and\n"
            "compares RAM pages, faults by class, bytes copied, I/O, PV entries, text pages.\n"
            "  IMAGE      ext2 image with 4 KiB blocks (default: the built-in image)\n"
            "  PROGRAM    static ELF program inside IMAGE (default: %s)\n"
            "  --json     one JSON object {\"xip\": {...}, \"copy\": {...}}\n"
            "  -n, --procs N  processes per machine, 1..%d (default 4)\n"
            "  --pmap NAME    pmap backend: generic (default), armv5, fass\n"
            "  --faultop      XIP through the dedicated pager with a fault op (the second design)\n"
            "  --help         this text\n"
            "  --version      show the version\n"
            "Exit status: 0 ok, 2 usage or input error (image, program, mount), 3 simulator\n"
            "error.  See xip-exec(1).\n",
            uvmsim_builtin_program(), MAX_PROCS);
}

/* Report a failure; input errors (the image, the program, a mount the filesystem
 * refuses) exit 2, the simulator's own 3. */
static int fail(const char *what, int err, const char *why)
{
    fprintf(stderr, "xip-exec: %s: %s%s%s\n", what, uvmsim_strerror(err), why && *why ? ": " : "", why ? why : "");
    switch (err) {
    case UVMSIM_ENOMEM: case UVMSIM_ENOHOST: case UVMSIM_ESTATE: case UVMSIM_ELIMIT:
        return TOOL_EXIT_SIMERR;
    default:
        return TOOL_EXIT_USAGE;
    }
}

/* Touch one exec'd process all over. */
static int touch(uvmsim_proc *p, const uvmsim_exec_info *ei, size_t pg, uint8_t *buf)
{
    for (unsigned s = 0; s < ei->nsegs; s++) {
        const uvmsim_exec_seg *sg = &ei->segs[s];
        uvmsim_vaddr_t first = sg->va, end = sg->va + sg->size;
        if (sg->kind == UVMSIM_EXEC_SEG_STACK)
            first = end - pg;   /* a fresh program uses the top of its stack */
        for (uvmsim_vaddr_t va = first; va < end; va += pg) {
            int err;
            if (sg->prot & UVMSIM_PROT_WRITE) {
                uint8_t v = 0x5a;
                err = uvmsim_access_mem(p, va + 16, UVMSIM_ACCESS_STORE, &v, 1, NULL, NULL);
            } else if (sg->prot & UVMSIM_PROT_EXEC) {
                err = uvmsim_access_mem(p, va, UVMSIM_ACCESS_FETCH, buf, pg, NULL, NULL);
            } else {
                err = uvmsim_access_mem(p, va, UVMSIM_ACCESS_LOAD, buf, pg, NULL, NULL);
            }
            if (err) {
                fprintf(stderr, "xip-exec: touching 0x%llx (%s segment): %s\n", (unsigned long long)va,
                        uvmsim_exec_seg_kind_name(sg->kind), uvmsim_strerror(err));
                return err;
            }
        }
    }
    return UVMSIM_OK;
}

static int run(const struct opts *o, bool xip, struct result *res)
{
    memset(res, 0, sizeof(*res));
    res->name = xip ? "xip" : "copy";
    uvmsim_machine_config cfg;
    uvmsim_machine_config_init(&cfg);
    cfg.pmap = o->pmap;
    cfg.ram_size = 64ull << 20;
    uvmsim_machine *m;
    char why[256];
    int err = uvmsim_machine_config_explain(&cfg, why, sizeof(why));
    if (err)
        return fail("machine", err, why);
    if ((err = uvmsim_machine_create(&cfg, &m)) != UVMSIM_OK)
        return fail("machine", err, NULL);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    fc.block_size = UVMSIM_BUILTIN_BLOCK_SIZE;
    uvmsim_flashdev *dev;
    int rc = TOOL_EXIT_SIMERR;
    if (o->image) {
        err = uvmsim_flashdev_create_file(m, &fc, o->image, &dev);
        if (err) {
            rc = fail("image", err, uvmsim_last_error(m));
            goto out;
        }
    } else {
        size_t len;
        const unsigned char *img = uvmsim_builtin_image(&len);
        if (img == NULL) {
            fprintf(stderr, "xip-exec: this build has no built-in image (UVMSIM_BUILTIN_IMAGE=OFF): give an IMAGE\n");
            rc = TOOL_EXIT_USAGE;
            goto out;
        }
        if ((err = uvmsim_flashdev_create_mem(m, &fc, img, len, &dev)) != UVMSIM_OK) {
            rc = fail("built-in image", err, uvmsim_last_error(m));
            goto out;
        }
    }
    unsigned mflags = xip ? UVMSIM_MNT_XIP | (o->faultop ? UVMSIM_MNT_XIP_FAULTOP : 0) : 0;
    uvmsim_mount *mp;
    if ((err = uvmsim_mount_ext2(m, dev, "/", mflags, &mp)) != UVMSIM_OK) {
        rc = fail(xip ? "XIP mount" : "mount", err, uvmsim_fs_last_error(m));
        goto out;
    }
    uvmsim_ram_stats r0, r1;
    uvmsim_flashdev_stats f0, f1;
    uvmsim_ram_stats_get(m, &r0);
    uvmsim_flashdev_stats_get(dev, &f0);
    size_t pg = uvmsim_page_size(m);
    res->page_size = pg;
    uint8_t *buf = malloc(pg);
    if (buf == NULL)
        goto out;
    for (unsigned k = 0; k < o->procs; k++) {
        uvmsim_proc *p;
        uvmsim_exec_info ei;
        if ((err = uvmsim_proc_create(m, &p)) != UVMSIM_OK) {
            rc = fail("process", err, NULL);
            goto out_buf;
        }
        if ((err = uvmsim_exec(p, o->program, &ei)) != UVMSIM_OK) {
            rc = fail(o->program, err, ei.error);
            goto out_buf;
        }
        if ((err = touch(p, &ei, pg, buf)) != UVMSIM_OK) {
            rc = TOOL_EXIT_SIMERR;
            goto out_buf;
        }
        res->text_pages = ei.text_pages;
        res->data_pages = ei.data_pages;
        res->bss_pages = ei.bss_pages;
        res->exec_promotions += ei.promotions;
        uvmsim_entry_info en;
        for (unsigned s = 0; s < ei.nsegs; s++)
            if ((ei.segs[s].prot & UVMSIM_PROT_EXEC) && uvmsim_map_lookup(p, ei.segs[s].va, &en) == UVMSIM_OK)
                res->pager = en.object_kind;
    }
    char msg[256];
    if ((err = uvmsim_check(m, msg, sizeof msg)) != UVMSIM_OK) {
        rc = fail("invariant check", err, msg);
        goto out_buf;
    }
    uvmsim_ram_stats_get(m, &r1);
    uvmsim_flashdev_stats_get(dev, &f1);
    uvmsim_vm_stats vs;
    uvmsim_vm_stats_get(m, &vs);
    uvmsim_pmap_stats ps;
    uvmsim_pmap_stats_get(m, &ps);
    res->ram_pages = r1.used_pages - r0.used_pages;
    res->anon_pages = r1.anon_pages - r0.anon_pages;
    res->object_pages = r1.object_pages - r0.object_pages;
    res->ptp_pages = r1.ptp_pages - r0.ptp_pages;
    memcpy(res->faults, vs.faults, sizeof res->faults);
    res->faults_total = vs.faults_total;
    res->bytes_copied = vs.bytes_copied;
    res->io_requests = vs.io_requests;
    res->io_bytes = vs.io_bytes;
    res->device_reads = f1.read_requests - f0.read_requests;
    res->pv_entries = ps.pv_entries;
    res->pv_entries_device = ps.pv_entries_device;
    rc = TOOL_EXIT_OK;
out_buf:
    free(buf);
out:
    uvmsim_machine_destroy(m);
    return rc;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_json(const struct opts *o, const struct result res[2])
{
    printf("{\"program\": ");
    json_str(o->program);
    printf(", \"image\": ");
    json_str(o->image ? o->image : "built-in");
    printf(", \"procs\": %u, \"pmap\": ", o->procs);
    json_str(o->pmap ? o->pmap : "generic");
    printf(", \"xip_design\": \"%s\"", o->faultop ? "faultop" : "vnode-pager");
    for (int i = 0; i < 2; i++) {
        const struct result *r = &res[i];
        printf(",\n \"%s\": {\"pager\": \"%s\", \"ram_pages\": %llu, \"anon_pages\": %llu, \"object_pages\": %llu, "
               "\"ptp_pages\": %llu,\n   \"faults\": {", r->name, r->pager ? r->pager : "",
               (unsigned long long)r->ram_pages, (unsigned long long)r->anon_pages,
               (unsigned long long)r->object_pages, (unsigned long long)r->ptp_pages);
        for (int c = 0; c < UVMSIM_FAULT_NCLASSES; c++)
            printf("%s\"%s\": %llu", c ? ", " : "", uvmsim_fault_class_name((uvmsim_fault_class)c),
                   (unsigned long long)r->faults[c]);
        printf("},\n   \"faults_total\": %llu, \"bytes_copied\": %llu, \"io_requests\": %llu, \"io_bytes\": %llu, "
               "\"device_reads\": %llu, \"pv_entries\": %llu, \"pv_entries_device\": %llu,\n"
               "   \"text_pages\": %llu, \"data_pages\": %llu, \"bss_pages\": %llu, \"exec_promotions\": %u}",
               (unsigned long long)r->faults_total, (unsigned long long)r->bytes_copied,
               (unsigned long long)r->io_requests, (unsigned long long)r->io_bytes,
               (unsigned long long)r->device_reads, (unsigned long long)r->pv_entries,
               (unsigned long long)r->pv_entries_device, (unsigned long long)r->text_pages,
               (unsigned long long)r->data_pages, (unsigned long long)r->bss_pages, r->exec_promotions);
    }
    printf("}\n");
}

static void row(const char *label, unsigned long long a, unsigned long long b)
{
    printf("  %-34s %14llu %14llu\n", label, a, b);
}

static void print_text(const struct opts *o, const struct result res[2])
{
    const struct result *x = &res[0], *c = &res[1];
    printf("xip-exec: %s from %s, %u process%s per machine, pmap %s\n", o->program,
           o->image ? o->image : "the built-in image", o->procs, o->procs == 1 ? "" : "es",
           o->pmap ? o->pmap : "generic");
    printf("  %-34s %14s %14s\n", "", "XIP", "copy");
    printf("  %-34s %14s %14s\n", "text pager", x->pager ? x->pager : "?", c->pager ? c->pager : "?");
    row("text pages (per process)", x->text_pages, c->text_pages);
    row("data pages (per process)", x->data_pages, c->data_pages);
    row("bss pages (per process)", x->bss_pages, c->bss_pages);
    row("RAM pages in use by the processes", x->ram_pages, c->ram_pages);
    row("  anon (private)", x->anon_pages, c->anon_pages);
    row("  page cache (object)", x->object_pages, c->object_pages);
    row("  page tables", x->ptp_pages, c->ptp_pages);
    for (int k = 0; k < UVMSIM_FAULT_NCLASSES; k++) {
        char label[64];
        snprintf(label, sizeof label, "faults %s", uvmsim_fault_class_name((uvmsim_fault_class)k));
        row(label, x->faults[k], c->faults[k]);
    }
    row("faults total", x->faults_total, c->faults_total);
    row("bytes copied (promotions)", x->bytes_copied, c->bytes_copied);
    row("I/O requests by pagers", x->io_requests, c->io_requests);
    row("I/O bytes by pagers", x->io_bytes, c->io_bytes);
    row("device reads (all, incl. metadata)", x->device_reads, c->device_reads);
    row("PV entries", x->pv_entries, c->pv_entries);
    row("  of device pages", x->pv_entries_device, c->pv_entries_device);
    long long saved = (long long)c->ram_pages - (long long)x->ram_pages;
    printf("XIP saves %lld RAM pages (%lld KiB) and %llu pager I/O requests for %u processes.\n", saved,
           saved * (long long)x->page_size / 1024, (unsigned long long)(c->io_requests - x->io_requests), o->procs);
}

int main(int argc, char **argv)
{
    struct opts o = {.procs = 4, .program = NULL};
    int pmap = -1;
    const char *pos[2] = {NULL, NULL};
    const struct tool_opt opts[] = {
        {"json", 0, TOOL_FLAG, &o.json, 0, 0, NULL, NULL},
        {"faultop", 0, TOOL_FLAG, &o.faultop, 0, 0, NULL, NULL},
        {"procs", 'n', TOOL_UINT, &o.procs, 1, MAX_PROCS, NULL, NULL},
        {"pmap", 0, TOOL_CHOICE, &pmap, 0, 0, uvmsim_pmap_backends(), NULL},
    };
    const struct tool_cmd cmd = {"xip-exec", usage, opts, sizeof(opts) / sizeof(opts[0]), pos, 0, 2,
                                 "[IMAGE [PROGRAM]]"};
    unsigned npos;
    int rc = tool_parse(&cmd, argc, argv, &npos);
    if (rc != TOOL_PARSE_OK)
        return rc;
    o.image = pos[0];
    o.program = pos[1] ? pos[1] : uvmsim_builtin_program();
    if (pmap >= 0)
        o.pmap = uvmsim_pmap_backends()[pmap];
    struct result res[2];
    if ((rc = run(&o, true, &res[0])) != TOOL_EXIT_OK || (rc = run(&o, false, &res[1])) != TOOL_EXIT_OK)
        return rc;
    if (o.json)
        print_json(&o, res);
    else
        print_text(&o, res);
    return tool_finish("xip-exec", TOOL_EXIT_OK);
}
