/* Fuzz harness: an ELF program exec'd from a filesystem.
 *
 * The input is the program file.  It is put in a small ext2 image of its own
 * (fz_mkfs_one_file: /prog, mode 0755), and on every pmap backend a fresh machine mounts
 * it three times (copy, XIP, XIP with the fault-op pager) and execs it from each mount in
 * a process of its own.
 *
 * What must hold:
 *   - every answer is a defined code, and a refusal says why (uvmsim_exec_info.error);
 *   - on one backend, the three mounts give the same answer and the same image;
 *   - a 32-bit program gets the same answer on every backend (its user range is 32 bits
 *     everywhere); a 64-bit one the same on the two ARM backends (32-bit MMUs);
 *   - on success, the image holds the program: the first and last page of every file
 *     segment load, through the MMU, the file's bytes (zeros past p_filesz when the
 *     segment goes on in memory), the first and last page of every zero-fill segment and
 *     of the stack load zeros, and a fork child sees the same bytes;
 *   - a refused program leaves the process's earlier image as it was;
 *   - the invariant checker passes after every step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "uvmsim/fs.h"
#include "uvmsim/exec.h"

#define FZ_RAM (4u << 20)
#define PG 4096u
#define PRE_VA 0x20000000ull      /* a page mapped before exec: a refusal must keep it */

enum { NB = 3, NM = 3 };
static const char *const backends[NB] = {"generic", "armv5", "fass"};
static const unsigned mnt_flags[NM] = {0, UVMSIM_MNT_XIP, UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP};
static const char *const mnt_name[NM] = {"copy", "xip", "xip-faultop"};
static const char *const mnt_path[NM] = {"/c", "/x", "/f"};

/* One PT_LOAD as the harness reads it. */
struct load {
    int idx;                       /* program header index */
    uint64_t offset, vaddr, filesz, memsz;
};

/* The program's PT_LOAD headers, for the byte checks, read by the harness's own parser
 * below (not libelf, which the loader uses: two readings of one header must agree). */
struct prog {
    const uint8_t *data;
    size_t size;
    struct load loads[UVMSIM_EXEC_MAX_LOADS];
    unsigned nloads;
    bool parsed;
};

/* The byte at va of a file segment's page, as exec must have built it (va as the
 * program's headers say it: an ET_DYN program's load base taken off). */
static uint8_t want_byte(const struct prog *pr, const struct load *l, uint64_t va)
{
    if (va >= l->vaddr + l->filesz && l->memsz > l->filesz)
        return 0;
    uint64_t off = (l->offset & ~(uint64_t)(PG - 1)) + (va - (l->vaddr & ~(uint64_t)(PG - 1)));
    return off < pr->size ? pr->data[off] : 0;
}

static const struct load *load_of(const struct prog *pr, int idx)
{
    for (unsigned i = 0; i < pr->nloads; i++)
        if (pr->loads[i].idx == idx)
            return &pr->loads[i];
    return NULL;
}

/* An n-byte field at off, in the file's byte order. */
static uint64_t field(const struct prog *pr, uint64_t off, unsigned n)
{
    FZ_ASSERT(off + n <= pr->size, "exec accepted a file whose headers end past it (byte %llu)",
              (unsigned long long)(off + n));
    bool msb = pr->data[5] == 2;
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)pr->data[off + (msb ? n - 1 - i : i)] << (8 * i);
    return v;
}

/* Read the PT_LOAD headers (only after the simulator accepted the file, so the identity
 * bytes are sane). */
static void parse_prog(struct prog *pr)
{
    pr->parsed = true;
    FZ_ASSERT(pr->size >= 52 && (pr->data[4] == 1 || pr->data[4] == 2) && (pr->data[5] == 1 || pr->data[5] == 2),
              "exec accepted a file without an ELF identity");
    bool c64 = pr->data[4] == 2;
    uint64_t phoff = c64 ? field(pr, 32, 8) : field(pr, 28, 4);
    unsigned phentsize = (unsigned)field(pr, c64 ? 54 : 42, 2), phnum = (unsigned)field(pr, c64 ? 56 : 44, 2);
    FZ_ASSERT(phentsize == (c64 ? 56u : 32u), "exec accepted program headers of %u bytes", phentsize);
    for (unsigned i = 0; i < phnum; i++) {
        uint64_t h = phoff + (uint64_t)i * phentsize;
        struct load l = {.idx = (int)i};
        if (field(pr, h, 4) != 1)   /* PT_LOAD */
            continue;
        if (c64) {
            l.offset = field(pr, h + 8, 8);
            l.vaddr = field(pr, h + 16, 8);
            l.filesz = field(pr, h + 32, 8);
            l.memsz = field(pr, h + 40, 8);
        } else {
            l.offset = field(pr, h + 4, 4);
            l.vaddr = field(pr, h + 8, 4);
            l.filesz = field(pr, h + 16, 4);
            l.memsz = field(pr, h + 20, 4);
        }
        if (l.memsz == 0)
            continue;
        FZ_ASSERT(pr->nloads < UVMSIM_EXEC_MAX_LOADS, "exec accepted more than %d loads", UVMSIM_EXEC_MAX_LOADS);
        pr->loads[pr->nloads++] = l;
    }
}

/* The pages of p's image that must hold known bytes do. */
static void check_image(uvmsim_proc *p, const uvmsim_exec_info *ei, const struct prog *pr, const char *where)
{
    uint8_t *buf = malloc(PG);
    FZ_ASSERT(buf != NULL, "out of host memory");
    for (unsigned s = 0; s < ei->nsegs; s++) {
        const uvmsim_exec_seg *sg = &ei->segs[s];
        uint64_t last = sg->va + sg->size - PG;
        for (uint64_t va = sg->va;; va = last) {
            int err = uvmsim_access_mem(p, va, UVMSIM_ACCESS_LOAD, buf, PG, NULL, NULL);
            FZ_CODE(err, "load");
            if (err == UVMSIM_ENOMEM || err == UVMSIM_ENOHOST)
                break;
            if (!(sg->prot & UVMSIM_PROT_READ) && !(sg->prot & (UVMSIM_PROT_WRITE | UVMSIM_PROT_EXEC))) {
                FZ_ASSERT(err == UVMSIM_EACCES, "%s: a load from the no-access segment at 0x%llx: %s", where,
                          (unsigned long long)va, uvmsim_errname(err));
            } else if (sg->prot & UVMSIM_PROT_READ) {
                FZ_ASSERT(err == UVMSIM_OK, "%s: a load from the readable segment at 0x%llx: %s", where,
                          (unsigned long long)va, uvmsim_errname(err));
                const struct load *ph = sg->kind == UVMSIM_EXEC_SEG_FILE ? load_of(pr, sg->phdr) : NULL;
                FZ_ASSERT(sg->kind != UVMSIM_EXEC_SEG_FILE || ph != NULL, "%s: file segment %d has no PT_LOAD", where,
                          sg->phdr);
                for (unsigned b = 0; b < PG; b++) {
                    uint8_t want = ph ? want_byte(pr, ph, va + b - ei->load_base) : 0;   /* ET_DYN: moved */
                    FZ_ASSERT(buf[b] == want, "%s: %s segment byte at 0x%llx is 0x%02x, the file says 0x%02x", where,
                              uvmsim_exec_seg_kind_name(sg->kind), (unsigned long long)(va + b), buf[b], want);
                }
            }
            if (va == last)
                break;
        }
    }
    free(buf);
}

/* Exec /prog from one mount in a new process of m; fills *info and returns exec's code. */
static int exec_from(uvmsim_machine *m, struct prog *pr, const char *backend, int mount, uvmsim_exec_info *info)
{
    char where[64], path[16];
    snprintf(where, sizeof where, "%s/%s", backend, mnt_name[mount]);
    snprintf(path, sizeof path, "%s/prog", mnt_path[mount]);
    memset(info, 0, sizeof(*info));
    uvmsim_proc *p = NULL;
    int err = uvmsim_proc_create(m, &p);
    if (err != UVMSIM_OK)
        return err;
    /* an earlier image: one page with a known byte */
    uint8_t mark = 0x5a, got = 0;
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = PRE_VA;
    a.size = PG;
    a.prot = UVMSIM_PROT_READ | UVMSIM_PROT_WRITE;
    a.flags = UVMSIM_MAP_FIXED;
    if ((err = uvmsim_map(p, &a, NULL)) != UVMSIM_OK ||
        (err = uvmsim_access_mem(p, PRE_VA, UVMSIM_ACCESS_STORE, &mark, 1, NULL, NULL)) != UVMSIM_OK) {
        uvmsim_proc_exit(p);
        return err;
    }
    err = uvmsim_exec(p, path, info);
    FZ_CODE(err, "exec");
    if (err == UVMSIM_ENOEXEC || err == UVMSIM_EACCES || err == UVMSIM_EALIGN || err == UVMSIM_ERANGE) {
        /* refused before the point of no return: the old image is intact */
        FZ_ASSERT(info->error[0] != '\0', "%s: exec refused the program with %s without a reason", where,
                  uvmsim_errname(err));
        FZ_ASSERT(uvmsim_map_nentries(p) == 1, "%s: exec refused the program (%s) but changed the map", where,
                  info->error);
        int e = uvmsim_access_mem(p, PRE_VA, UVMSIM_ACCESS_LOAD, &got, 1, NULL, NULL);
        FZ_ASSERT(e == UVMSIM_OK && got == mark, "%s: exec refused the program but the old image lost its byte",
                  where);
    } else if (err == UVMSIM_OK) {
        FZ_ASSERT(info->error[0] == '\0', "%s: exec succeeded with an error text '%s'", where, info->error);
        if (!pr->parsed)
            parse_prog(pr);
        check_image(p, info, pr, where);
        uvmsim_proc *child;
        int e = uvmsim_proc_fork(p, &child);
        FZ_CODE(e, "fork");
        if (e == UVMSIM_OK) {
            check_image(child, info, pr, where);
            uvmsim_proc_exit(child);
        }
    } else {
        /* a failure while building (ENOMEM...): an empty address space */
        FZ_ASSERT(uvmsim_map_nentries(p) == 0, "%s: exec failed while building (%s) and left %u entries", where,
                  uvmsim_errname(err), uvmsim_map_nentries(p));
    }
    fz_check(m, where);
    uvmsim_proc_exit(p);
    return err;
}

/* One machine of the backend with the image on three devices, mounted copy, XIP and XIP
 * fault-op; exec from each.  err[k] gets each exec's code (ENOHOST when the harness could
 * not set up). */
static void run_backend(const uint8_t *img, size_t img_size, struct prog *pr, const char *backend,
                        uvmsim_exec_info info[NM], int err[NM])
{
    for (int k = 0; k < NM; k++)
        err[k] = UVMSIM_ENOHOST;
    uvmsim_machine *m = fz_machine(PG, FZ_RAM, backend);
    if (m == NULL)
        return;
    bool ready = true;
    for (int k = 0; k < NM && ready; k++) {
        uvmsim_flashdev *dev = fz_flashdev(m, img, img_size, img_size, 0);
        uvmsim_mount *mp;
        ready = dev != NULL;
        if (ready) {
            int e = uvmsim_mount_ext2(m, dev, mnt_path[k], mnt_flags[k], &mp);
            FZ_ASSERT(e == UVMSIM_OK, "%s: the harness's own image does not mount on %s: %s (%s)", backend,
                      mnt_name[k], uvmsim_errname(e), uvmsim_fs_last_error(m));
        }
    }
    for (int k = 0; k < NM && ready; k++)
        err[k] = exec_from(m, pr, backend, k, &info[k]);
    uvmsim_machine_destroy(m);
}

static bool same_image(const uvmsim_exec_info *a, const uvmsim_exec_info *b)
{
    return a->elf_class == b->elf_class && a->entry == b->entry && a->nsegs == b->nsegs && a->brk == b->brk &&
           a->stack_base == b->stack_base && a->stack_top == b->stack_top && a->nloads == b->nloads &&
           a->promotions == b->promotions && a->bytes_zeroed == b->bytes_zeroed &&
           memcmp(a->segs, b->segs, a->nsegs * sizeof(a->segs[0])) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t img_size;
    uint8_t *img = fz_mkfs_one_file(data, size, 0755, &img_size);
    if (img == NULL)
        return 0;
    struct prog pr = {.data = data, .size = size};
    uvmsim_exec_info *info = calloc(NB * NM, sizeof(*info));
    int err[NB][NM];
    FZ_ASSERT(info != NULL, "out of host memory");
    bool complete = true;   /* no answer was about host memory or simulated RAM */
    for (int b = 0; b < NB; b++) {
        run_backend(img, img_size, &pr, backends[b], &info[b * NM], err[b]);
        for (int k = 0; k < NM; k++)
            if (err[b][k] == UVMSIM_ENOHOST || err[b][k] == UVMSIM_ENOMEM)
                complete = false;
    }
    for (int b = 0; complete && b < NB; b++)
        for (int k = 1; k < NM; k++) {
            FZ_ASSERT(err[b][k] == err[b][0], "%s: exec on the %s mount says %s (%s), on the %s mount %s (%s)",
                      backends[b], mnt_name[0], uvmsim_errname(err[b][0]), info[b * NM].error, mnt_name[k],
                      uvmsim_errname(err[b][k]), info[b * NM + k].error);
            FZ_ASSERT(err[b][0] != UVMSIM_OK || same_image(&info[b * NM], &info[b * NM + k]),
                      "%s: the image built from the %s mount differs from the %s mount's", backends[b], mnt_name[k],
                      mnt_name[0]);
        }
    bool elf32 = size > 4 && memcmp(data, "\177ELF", 4) == 0 && data[4] == 1;
    for (int b = elf32 ? 1 : 2; complete && b < NB; b++) {
        int ref = elf32 ? 0 : 1;
        FZ_ASSERT(err[b][0] == err[ref][0], "a %d-bit program: exec on %s says %s (%s), on %s %s (%s)", elf32 ? 32 : 64,
                  backends[ref], uvmsim_errname(err[ref][0]), info[ref * NM].error, backends[b],
                  uvmsim_errname(err[b][0]), info[b * NM].error);
        FZ_ASSERT(err[b][0] != UVMSIM_OK || same_image(&info[ref * NM], &info[b * NM]),
                  "a %d-bit program: the image on %s differs from the one on %s", elf32 ? 32 : 64, backends[b],
                  backends[ref]);
    }
    free(info);
    free(img);
    return 0;
}
