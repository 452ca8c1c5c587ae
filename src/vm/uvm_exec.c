/* uvmsim — exec: build a process image from a static ELF program on a mounted
 * filesystem, the way NetBSD's exec_elf.c does it (see include/uvmsim/exec.h).
 *
 * Two phases.  Validation reads the headers through uvmsim_vnode_read, parses them with
 * libelf and checks every PT_LOAD (sizes, file bounds, congruence of p_offset and p_vaddr
 * modulo the page size, overlaps, address range) without touching the process, so a
 * malformed program leaves the caller's address space as it was.  Then, past the point
 * of no return, the old map is torn down and the new one built: file mappings, the
 * zeroing of partial last pages through the CPU model (a real store, hence a real
 * promotion), anonymous .bss and the stack.  A failure there tears the new map down
 * again: the process ends with an empty address space, never a half-built one. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libelf.h>
#include <gelf.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"
#include "uvmsim/fs.h"
#include "uvmsim/exec.h"

/* Largest header area (ELF header + program header table) we agree to read. */
#define EXEC_MAX_HDR (64u * 1024u)
/* More program headers than this is not a program a linker made. */
#define EXEC_MAX_PHNUM 128u

/* One PT_LOAD that passed validation.
 * Invariants: filesz <= memsz, memsz > 0, offset + filesz <= file size,
 *             offset % page == vaddr % page, [trunc(vaddr), round(vaddr + memsz)) lies in
 *             the map's usable range and overlaps no other load's page range. */
struct exec_load {
    int phdr;
    uint64_t vaddr, memsz, filesz, offset;
    vm_prot_t prot;
};

/* Everything validation learned: the plan the build phase carries out. */
struct exec_plan {
    struct exec_load loads[UVMSIM_EXEC_MAX_LOADS];
    unsigned nloads;               /* sorted by vaddr */
    uvmsim_exec_info info;         /* filled as we go; copied out at the end */
};

static int exec_fail(uvmsim_exec_info *info, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->error, sizeof(info->error), fmt, ap);
    va_end(ap);
    return err;
}

const char *uvmsim_exec_seg_kind_name(uvmsim_exec_seg_kind k)
{
    switch (k) {
    case UVMSIM_EXEC_SEG_FILE: return "file";
    case UVMSIM_EXEC_SEG_ANON: return "anon";
    case UVMSIM_EXEC_SEG_STACK: return "stack";
    }
    return "unknown";
}

void uvmsim_exec_opts_init(uvmsim_exec_opts *o)
{
    if (o != NULL)
        memset(o, 0, sizeof(*o));
}

/* The section header table is of no use to a loader, and elf_memory() refuses a buffer
 * that does not contain it; we hold only the headers, so we blank its description in our
 * copy (zero reads the same in either byte order). */
static void exec_forget_sections(uint8_t *buf, size_t len)
{
    size_t shoff, shoff_len, shnum;
    if (buf[EI_CLASS] == ELFCLASS32) {
        shoff = offsetof(Elf32_Ehdr, e_shoff);
        shoff_len = sizeof(Elf32_Off);
        shnum = offsetof(Elf32_Ehdr, e_shnum);
    } else {
        shoff = offsetof(Elf64_Ehdr, e_shoff);
        shoff_len = sizeof(Elf64_Off);
        shnum = offsetof(Elf64_Ehdr, e_shnum);
    }
    /* e_shnum and e_shstrndx are adjacent 16-bit fields in both classes */
    if (len >= shnum + 4) {
        memset(buf + shoff, 0, shoff_len);
        memset(buf + shnum, 0, 4);
    }
}

static const char *exec_type_name(unsigned t)
{
    switch (t) {
    case ET_NONE: return "ET_NONE, no file type";
    case ET_REL: return "ET_REL, a relocatable object: link it first";
    case ET_EXEC: return "ET_EXEC, an executable";
    case ET_DYN: return "ET_DYN, a shared object or position-independent program";
    case ET_CORE: return "ET_CORE, a core dump";
    }
    return NULL;
}

/* Why a file whose e_type is neither ET_EXEC nor ET_DYN does not load.  A type that
 * makes sense only with its two bytes swapped means the header's byte order (EI_DATA)
 * is wrong. */
static int exec_type_fail(uvmsim_exec_info *info, unsigned type, unsigned data)
{
    if (exec_type_name(type) != NULL)
        return exec_fail(info, UVMSIM_ENOEXEC, "not an executable: e_type %u (%s)", type, exec_type_name(type));
    unsigned swapped = ((type & 0xffu) << 8) | (type >> 8);
    if (exec_type_name(swapped) != NULL)
        return exec_fail(info, UVMSIM_ENOEXEC,
                         "e_type %u is %u in the other byte order: the header says %s-endian (EI_DATA %u) but its "
                         "fields are %s-endian",
                         type, swapped, data == ELFDATA2MSB ? "big" : "little", data,
                         data == ELFDATA2MSB ? "little" : "big");
    return exec_fail(info, UVMSIM_ENOEXEC, "not an executable: unknown e_type %u (ET_EXEC is %u, ET_DYN %u)", type,
                     ET_EXEC, ET_DYN);
}

/* Read [0, len) of the file; a short read is a truncated program. */
static int exec_read(uvmsim_vnode *vp, uint8_t *buf, size_t len, uvmsim_exec_info *info)
{
    size_t got = 0;
    int err = uvmsim_vnode_read(vp, 0, buf, len, &got);
    if (err)
        return exec_fail(info, err, "reading the program headers: %s", uvmsim_strerror(err));
    info->header_bytes += got;
    if (got != len)
        return exec_fail(info, UVMSIM_ENOEXEC, "short read of the headers (%zu of %zu bytes)", got, len);
    return UVMSIM_OK;
}

/* The top of what a program may use: the map's limit, or the MMU's when it has fewer
 * address bits (the ARM backends translate 32-bit addresses only), and 4 GiB for a
 * 32-bit program on every backend: its addresses have 32 bits, whatever the MMU has. */
#define EXEC_TOP_ELF32 (1ull << 32)
static uint64_t exec_user_top(const struct uvmsim_proc *p, unsigned elf_class)
{
    uint64_t top = p->map.max_va, mmu = p->m->pmm->va_end;
    if (mmu < top)
        top = mmu;
    if (elf_class == 32 && top > EXEC_TOP_ELF32)
        top = EXEC_TOP_ELF32;
    return top;
}

static vm_prot_t exec_prot(uint32_t flags)
{
    return ((flags & PF_R) ? UVMSIM_PROT_READ : 0) | ((flags & PF_W) ? UVMSIM_PROT_WRITE : 0) |
           ((flags & PF_X) ? UVMSIM_PROT_EXEC : 0);
}

/* Check one PT_LOAD and add it to the plan (loads with p_memsz == 0 map nothing). */
static int exec_check_load(struct uvmsim_proc *p, struct exec_plan *pl, int idx, const GElf_Phdr *ph,
                           uint64_t *total)
{
    uvmsim_exec_info *info = &pl->info;
    struct uvmsim_machine *m = p->m;
    if (ph->p_filesz > ph->p_memsz)
        return exec_fail(info, UVMSIM_ENOEXEC, "segment %d: p_filesz 0x%llx exceeds p_memsz 0x%llx", idx,
                         (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
    if (ph->p_offset + ph->p_filesz < ph->p_offset || ph->p_offset + ph->p_filesz > info->file_size)
        return exec_fail(info, UVMSIM_ENOEXEC, "segment %d: file bytes [0x%llx, +0x%llx) extend past end of file (%llu bytes)",
                         idx, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
                         (unsigned long long)info->file_size);
    if ((ph->p_offset & m->page_mask) != (ph->p_vaddr & m->page_mask))
        return exec_fail(info, UVMSIM_ENOEXEC, "segment %d: p_offset 0x%llx and p_vaddr 0x%llx differ modulo the page size (%zu)",
                         idx, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_vaddr, m->cfg.page_size);
    if (ph->p_memsz == 0)
        return UVMSIM_OK;
    if (ph->p_memsz > UVMSIM_EXEC_MAX_MEMORY || (*total += ph->p_memsz) > UVMSIM_EXEC_MAX_MEMORY)
        return exec_fail(info, UVMSIM_ENOEXEC, "segment %d: absurd size (p_memsz 0x%llx; at most %llu bytes in all)",
                         idx, (unsigned long long)ph->p_memsz, (unsigned long long)UVMSIM_EXEC_MAX_MEMORY);
    uint64_t start = uvmsim_trunc_page(m, ph->p_vaddr);
    uint64_t end = ph->p_vaddr + ph->p_memsz + m->page_mask;
    uint64_t top = exec_user_top(p, info->elf_class);
    if (end < ph->p_vaddr || start < p->map.min_va || (end & ~m->page_mask) > top)
        return exec_fail(info, UVMSIM_ENOEXEC, "segment %d: [0x%llx, +0x%llx) lies outside the user address space [0x%llx, 0x%llx)%s",
                         idx, (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_memsz,
                         (unsigned long long)p->map.min_va, (unsigned long long)top,
                         top == EXEC_TOP_ELF32 && info->elf_class == 32 ? " of a 32-bit program" : "");
    if (pl->nloads == UVMSIM_EXEC_MAX_LOADS)
        return exec_fail(info, UVMSIM_ENOEXEC, "more than %u loadable segments", UVMSIM_EXEC_MAX_LOADS);
    /* insertion by address: linkers emit PT_LOADs sorted, but nothing forces them to */
    unsigned i = pl->nloads++;
    while (i > 0 && pl->loads[i - 1].vaddr > ph->p_vaddr) {
        pl->loads[i] = pl->loads[i - 1];
        i--;
    }
    pl->loads[i] = (struct exec_load){.phdr = idx, .vaddr = ph->p_vaddr, .memsz = ph->p_memsz,
                                      .filesz = ph->p_filesz, .offset = ph->p_offset,
                                      .prot = exec_prot(ph->p_flags)};
    return UVMSIM_OK;
}

static uint64_t round_page(const struct uvmsim_machine *m, uint64_t x)
{
    return (x + m->page_mask) & ~m->page_mask;
}

/* Phase one: read and check everything; the process is not touched. */
static int exec_validate(struct uvmsim_proc *p, uvmsim_vnode *vp, const uvmsim_exec_opts *opts,
                         struct exec_plan *pl)
{
    struct uvmsim_machine *m = p->m;
    uvmsim_exec_info *info = &pl->info;
    uvmsim_vattr va;
    int err = uvmsim_vnode_getattr(vp, &va);
    if (err)
        return exec_fail(info, err, "getattr: %s", uvmsim_strerror(err));
    if (va.type != UVMSIM_VREG)
        return exec_fail(info, UVMSIM_EACCES, "not a regular file");
    if ((va.mode & 0111) == 0)
        return exec_fail(info, UVMSIM_EACCES, "no execute permission (mode %04o)", (unsigned)(va.mode & 07777));
    info->file_size = va.size;
    if (va.size < EI_NIDENT)
        return exec_fail(info, UVMSIM_ENOEXEC, "not an ELF file (only %llu bytes)", (unsigned long long)va.size);

    /* The first page holds the headers of every program a linker makes; read more only
     * when the program header table lies beyond it. */
    size_t len = va.size < m->cfg.page_size ? (size_t)va.size : m->cfg.page_size;
    if (len > EXEC_MAX_HDR)
        len = EXEC_MAX_HDR;
    uint8_t *buf = malloc(len);
    if (buf == NULL)
        return exec_fail(info, UVMSIM_ENOHOST, "out of host memory");
    Elf *elf = NULL;
    err = exec_read(vp, buf, len, info);
    if (err)
        goto out;
    if (memcmp(buf, ELFMAG, SELFMAG) != 0) {
        err = exec_fail(info, UVMSIM_ENOEXEC, "not an ELF file (bad magic)");
        goto out;
    }
    if (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64) {
        err = exec_fail(info, UVMSIM_ENOEXEC, "unknown ELF class %u", buf[EI_CLASS]);
        goto out;
    }
    if (buf[EI_DATA] != ELFDATA2LSB && buf[EI_DATA] != ELFDATA2MSB) {
        err = exec_fail(info, UVMSIM_ENOEXEC, "unknown ELF byte order EI_DATA %u (1 is little-endian, 2 big-endian)",
                        buf[EI_DATA]);
        goto out;
    }
    if (buf[EI_VERSION] != EV_CURRENT) {
        err = exec_fail(info, UVMSIM_ENOEXEC, "unknown ELF version EI_VERSION %u (only %u exists)", buf[EI_VERSION],
                        EV_CURRENT);
        goto out;
    }
    size_t ehsize = buf[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
    if (len < ehsize) {
        err = exec_fail(info, UVMSIM_ENOEXEC, "truncated ELF header (%zu of %zu bytes)", len, ehsize);
        goto out;
    }
    for (int pass = 0;; pass++) {
        exec_forget_sections(buf, len);
        elf = elf_memory((char *)buf, len);
        GElf_Ehdr eh;
        if (elf == NULL || elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &eh) == NULL) {
            int e = elf_errno();   /* 0 when libelf refused without saying why */
            err = exec_fail(info, UVMSIM_ENOEXEC, "not a valid ELF file: %s",
                            e ? elf_errmsg(e) : "libelf cannot read its header");
            goto out;
        }
        if (pass == 0) {
            info->elf_class = gelf_getclass(elf) == ELFCLASS32 ? 32 : 64;
            info->elf_machine = eh.e_machine;
            info->entry = eh.e_entry;
            if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
                err = exec_type_fail(info, eh.e_type, buf[EI_DATA]);
                goto out;
            }
            if (eh.e_type == ET_DYN) {
                /* static-pie: a fixed base, as a kernel picks one for ET_DYN (a dynamic
                 * one is refused below, at its PT_INTERP) */
                uint64_t base = opts->load_base ? opts->load_base : UVMSIM_EXEC_PIE_BASE;
                if (base & m->page_mask) {
                    err = exec_fail(info, UVMSIM_EALIGN, "load base 0x%llx not page aligned", (unsigned long long)base);
                    goto out;
                }
                info->load_base = base;
                info->entry = eh.e_entry + base;
            }
            if (eh.e_phnum == 0 || eh.e_phnum > EXEC_MAX_PHNUM) {
                err = exec_fail(info, UVMSIM_ENOEXEC, "%u program headers", (unsigned)eh.e_phnum);
                goto out;
            }
            if (eh.e_phentsize != gelf_fsize(elf, ELF_T_PHDR, 1, EV_CURRENT)) {
                err = exec_fail(info, UVMSIM_ENOEXEC, "program header entries of %u bytes", (unsigned)eh.e_phentsize);
                goto out;
            }
            uint64_t phend = eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize;
            if (eh.e_phoff < ehsize) {
                err = exec_fail(info, UVMSIM_ENOEXEC, "program header table at 0x%llx overlaps the ELF header",
                                (unsigned long long)eh.e_phoff);
                goto out;
            }
            if (phend < eh.e_phoff || phend > va.size) {
                err = exec_fail(info, UVMSIM_ENOEXEC, "truncated program header table [0x%llx, 0x%llx) in a %llu-byte file",
                                (unsigned long long)eh.e_phoff, (unsigned long long)phend,
                                (unsigned long long)va.size);
                goto out;
            }
            if (phend > EXEC_MAX_HDR) {
                err = exec_fail(info, UVMSIM_ENOEXEC, "program header table ends at 0x%llx, beyond %u bytes",
                                (unsigned long long)phend, EXEC_MAX_HDR);
                goto out;
            }
            if (phend > len) {
                elf_end(elf);
                elf = NULL;
                uint8_t *nb = realloc(buf, (size_t)phend);
                if (nb == NULL) {
                    err = exec_fail(info, UVMSIM_ENOHOST, "out of host memory");
                    goto out;
                }
                buf = nb;
                len = (size_t)phend;
                err = exec_read(vp, buf, len, info);
                if (err)
                    goto out;
                continue;
            }
        }
        break;
    }

    size_t phnum = 0;
    if (elf_getphdrnum(elf, &phnum) != 0) {
        err = exec_fail(info, UVMSIM_ENOEXEC, "program headers: %s", elf_errmsg(-1));
        goto out;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) == NULL) {
            err = exec_fail(info, UVMSIM_ENOEXEC, "program header %zu: %s", i, elf_errmsg(-1));
            goto out;
        }
        if (ph.p_type == PT_INTERP) {
            err = exec_fail(info, UVMSIM_ENOEXEC, "a dynamically linked program (PT_INTERP): only static programs load");
            goto out;
        }
        if (ph.p_type == PT_LOAD && info->load_base != 0) {
            if (ph.p_vaddr + info->load_base < ph.p_vaddr) {
                err = exec_fail(info, UVMSIM_ENOEXEC, "segment %zu: p_vaddr 0x%llx plus the load base 0x%llx wraps around",
                                i, (unsigned long long)ph.p_vaddr, (unsigned long long)info->load_base);
                goto out;
            }
            ph.p_vaddr += info->load_base;
        }
        if (ph.p_type == PT_LOAD && (err = exec_check_load(p, pl, (int)i, &ph, &total)) != UVMSIM_OK)
            goto out;
    }
    if (pl->nloads == 0) {
        err = exec_fail(info, UVMSIM_ENOEXEC, "no loadable segment (PT_LOAD)");
        goto out;
    }
    for (unsigned i = 1; i < pl->nloads; i++) {
        const struct exec_load *a = &pl->loads[i - 1], *b = &pl->loads[i];
        if (round_page(m, a->vaddr + a->memsz) > uvmsim_trunc_page(m, b->vaddr)) {
            err = exec_fail(info, UVMSIM_ENOEXEC, "segments %d and %d overlap (their pages share [0x%llx, 0x%llx))",
                            a->phdr, b->phdr, (unsigned long long)uvmsim_trunc_page(m, b->vaddr),
                            (unsigned long long)round_page(m, a->vaddr + a->memsz));
            goto out;
        }
    }

    /* the stack */
    uint64_t ssize = opts->stack_size ? opts->stack_size : UVMSIM_EXEC_STACK_SIZE;
    uint64_t top = opts->stack_top;
    if (top == 0) {
        top = info->elf_class == 32 ? UVMSIM_EXEC_STACK_TOP32 : UVMSIM_EXEC_STACK_TOP64;
        if (top > exec_user_top(p, info->elf_class))      /* a 64-bit program on a 32-bit MMU */
            top = UVMSIM_EXEC_STACK_TOP32;
    }
    if ((ssize & m->page_mask) || (top & m->page_mask)) {
        err = exec_fail(info, UVMSIM_EALIGN, "stack size 0x%llx or top 0x%llx not page aligned",
                        (unsigned long long)ssize, (unsigned long long)top);
        goto out;
    }
    if (ssize > top || top - ssize < p->map.min_va || top > exec_user_top(p, info->elf_class)) {
        err = exec_fail(info, UVMSIM_ERANGE, "stack [0x%llx - 0x%llx, 0x%llx) outside the user address space",
                        (unsigned long long)top, (unsigned long long)ssize, (unsigned long long)top);
        goto out;
    }
    info->stack_base = top - ssize;
    info->stack_top = top;
    for (unsigned i = 0; i < pl->nloads; i++) {
        const struct exec_load *l = &pl->loads[i];
        if (uvmsim_trunc_page(m, l->vaddr) < top && round_page(m, l->vaddr + l->memsz) > info->stack_base) {
            err = exec_fail(info, UVMSIM_ENOEXEC, "segment %d overlaps the stack [0x%llx, 0x%llx)", l->phdr,
                            (unsigned long long)info->stack_base, (unsigned long long)top);
            goto out;
        }
    }
    err = UVMSIM_OK;
out:
    if (elf != NULL)
        elf_end(elf);
    free(buf);
    return err;
}

static int exec_add_seg(uvmsim_exec_info *info, uvmsim_vaddr_t va, uint64_t size, vm_prot_t prot,
                        uvmsim_exec_seg_kind kind, uvmsim_off_t off, int phdr)
{
    /* room for every segment is guaranteed by UVMSIM_EXEC_MAX_SEGS */
    info->segs[info->nsegs++] = (uvmsim_exec_seg){.va = va, .size = size, .prot = prot, .kind = kind,
                                                  .offset = off, .phdr = phdr};
    return UVMSIM_OK;
}

static int exec_map(struct uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size, vm_prot_t prot,
                    uvmsim_vnode *vp, uvmsim_off_t off)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = va;
    a.size = size;
    a.prot = prot;
    a.flags = UVMSIM_MAP_PRIVATE | UVMSIM_MAP_FIXED;
    a.vnode = vp;
    a.offset = off;
    return uvmsim_map(p, &a, NULL);
}

/* Zero [va, va + len) — the tail of a segment's last file page — with a real store, as
 * the kernel's clear_user()/padzero does.  A segment without write is opened for the
 * store and closed again (the whole file mapping, so the entry is not split). */
static int exec_zero_tail(struct uvmsim_proc *p, const struct exec_load *l, uvmsim_vaddr_t fstart,
                          uvmsim_vaddr_t fend, uvmsim_vaddr_t va, size_t len, uvmsim_exec_info *info)
{
    struct uvmsim_machine *m = p->m;
    int err;
    if (!(l->prot & UVMSIM_PROT_WRITE) &&
        (err = uvmsim_protect(p, fstart, fend - fstart, l->prot | UVMSIM_PROT_WRITE)) != UVMSIM_OK)
        return exec_fail(info, err, "segment %d: opening the last page for zeroing: %s", l->phdr, uvmsim_strerror(err));
    uint8_t *zeros = calloc(1, m->cfg.page_size);
    if (zeros == NULL)
        return exec_fail(info, UVMSIM_ENOHOST, "out of host memory");
    unsigned nf = 0;
    uvmsim_fault_outcome o;
    err = uvmsim_access_mem(p, va, UVMSIM_ACCESS_STORE, zeros, len, &nf, &o);
    free(zeros);
    if (err)
        return exec_fail(info, err, "segment %d: zeroing [0x%llx, +%zu) past p_filesz: %s", l->phdr,
                         (unsigned long long)va, len, uvmsim_strerror(err));
    if (nf > 0 && (o.cls == UVMSIM_FAULT_LOWER_PROMOTE || o.cls == UVMSIM_FAULT_UPPER_PROMOTE))
        info->promotions++;
    info->bytes_zeroed += len;
    if (!(l->prot & UVMSIM_PROT_WRITE) &&
        (err = uvmsim_protect(p, fstart, fend - fstart, l->prot)) != UVMSIM_OK)
        return exec_fail(info, err, "segment %d: closing the last page after zeroing: %s", l->phdr, uvmsim_strerror(err));
    return UVMSIM_OK;
}

/* Phase two: the process gets the planned image. */
static int exec_build(struct uvmsim_proc *p, uvmsim_vnode *vp, struct exec_plan *pl)
{
    struct uvmsim_machine *m = p->m;
    uvmsim_exec_info *info = &pl->info;
    int err;
    uint64_t brk = 0;
    for (unsigned i = 0; i < pl->nloads; i++) {
        const struct exec_load *l = &pl->loads[i];
        uvmsim_vaddr_t start = uvmsim_trunc_page(m, l->vaddr);
        uvmsim_vaddr_t fend = round_page(m, l->vaddr + l->filesz);
        uvmsim_vaddr_t mend = round_page(m, l->vaddr + l->memsz);
        uvmsim_vaddr_t astart = start;
        if (l->filesz > 0) {
            uvmsim_off_t off = uvmsim_trunc_page(m, l->offset);
            if ((err = exec_map(p, start, fend - start, l->prot, vp, off)) != UVMSIM_OK)
                return exec_fail(info, err, "segment %d: mapping the file part: %s", l->phdr, uvmsim_strerror(err));
            exec_add_seg(info, start, fend - start, l->prot, UVMSIM_EXEC_SEG_FILE, off, l->phdr);
            astart = fend;
        }
        if (mend > astart) {
            if ((err = exec_map(p, astart, mend - astart, l->prot, NULL, 0)) != UVMSIM_OK)
                return exec_fail(info, err, "segment %d: mapping its zero-fill part: %s", l->phdr, uvmsim_strerror(err));
            exec_add_seg(info, astart, mend - astart, l->prot, UVMSIM_EXEC_SEG_ANON, 0, l->phdr);
        }
        uvmsim_vaddr_t fileend = l->vaddr + l->filesz;
        if (l->memsz > l->filesz && l->filesz > 0 && fileend < fend) {
            err = exec_zero_tail(p, l, start, fend, fileend, (size_t)(fend - fileend), info);
            if (err)
                return err;
        }
        if (mend > brk)
            brk = mend;
    }
    err = exec_map(p, info->stack_base, info->stack_top - info->stack_base,
                   UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, NULL, 0);
    if (err)
        return exec_fail(info, err, "mapping the stack: %s", uvmsim_strerror(err));
    exec_add_seg(info, info->stack_base, info->stack_top - info->stack_base,
                 UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, UVMSIM_EXEC_SEG_STACK, 0, -1);

    /* segments in address order (a stack may sit below a high segment) and totals */
    for (unsigned i = 1; i < info->nsegs; i++) {
        uvmsim_exec_seg s = info->segs[i];
        unsigned j = i;
        for (; j > 0 && info->segs[j - 1].va > s.va; j--)
            info->segs[j] = info->segs[j - 1];
        info->segs[j] = s;
    }
    for (unsigned i = 0; i < info->nsegs; i++) {
        const uvmsim_exec_seg *s = &info->segs[i];
        uint64_t npg = s->size >> m->page_shift;
        if (s->kind == UVMSIM_EXEC_SEG_FILE && (s->prot & UVMSIM_PROT_EXEC))
            info->text_pages += npg;
        if (s->kind == UVMSIM_EXEC_SEG_FILE && (s->prot & UVMSIM_PROT_WRITE))
            info->data_pages += npg;
        if (s->kind == UVMSIM_EXEC_SEG_ANON)
            info->bss_pages += npg;
    }
    info->brk = brk;
    info->nloads = pl->nloads;
    return UVMSIM_OK;
}

/* The process's record of its image (uvmsim_proc.exec), freed with the process. */
static void exec_info_free(void *info)
{
    free(info);
}

int uvmsim_exec_vnode(uvmsim_proc *p, uvmsim_vnode *vp, const uvmsim_exec_opts *opts, uvmsim_exec_info *out)
{
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (p == NULL || vp == NULL) {
        if (out != NULL)
            snprintf(out->error, sizeof(out->error), "no process or no vnode");
        return UVMSIM_EINVAL;
    }
    uvmsim_exec_opts defaults;
    uvmsim_exec_opts_init(&defaults);
    if (opts == NULL)
        opts = &defaults;
    struct exec_plan *pl = calloc(1, sizeof(*pl));
    if (pl == NULL)
        return UVMSIM_ENOHOST;
    if (elf_version(EV_CURRENT) == EV_NONE) {
        free(pl);
        return UVMSIM_ENOTSUP;
    }
    int err = exec_validate(p, vp, opts, pl);
    /* the record the process keeps, allocated before the point of no return */
    uvmsim_exec_info *keep = err ? NULL : malloc(sizeof(*keep));
    if (err == UVMSIM_OK && keep == NULL)
        err = exec_fail(&pl->info, UVMSIM_ENOHOST, "out of host memory");
    if (err == UVMSIM_OK) {
        /* point of no return: the old image goes */
        uvmsim_map_teardown(p);
        if (p->exec_free)
            p->exec_free(p->exec);
        p->exec = NULL;
        p->exec_free = NULL;
        err = exec_build(p, vp, pl);
        if (err) {
            uvmsim_map_teardown(p);   /* never leave a half-built image */
            free(keep);
        } else {
            *keep = pl->info;
            p->exec = keep;
            p->exec_free = exec_info_free;
        }
    }
    if (out != NULL)
        *out = pl->info;
    free(pl);
    return err;
}

int uvmsim_exec(uvmsim_proc *p, const char *path, uvmsim_exec_info *out)
{
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (p == NULL || path == NULL) {
        if (out != NULL)
            snprintf(out->error, sizeof(out->error), "no process or no path");
        return UVMSIM_EINVAL;
    }
    uvmsim_vnode *vp = NULL;
    int err = uvmsim_namei(p->m, path, &vp);
    if (err) {
        if (out != NULL)
            snprintf(out->error, sizeof(out->error), "%s: %s", path, uvmsim_fs_last_error(p->m)[0] ?
                     uvmsim_fs_last_error(p->m) : uvmsim_strerror(err));
        return err;
    }
    err = uvmsim_exec_vnode(p, vp, NULL, out);
    uvmsim_vnode_rele(vp);
    return err;
}

int uvmsim_exec_info_get(const uvmsim_proc *p, uvmsim_exec_info *out)
{
    if (p == NULL || out == NULL)
        return UVMSIM_EINVAL;
    if (p->exec == NULL || p->exec_free != exec_info_free)
        return UVMSIM_ENOENT;
    *out = *(const uvmsim_exec_info *)p->exec;
    return UVMSIM_OK;
}
