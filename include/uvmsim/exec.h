/* uvmsim — exec: load a static ELF program from a mounted filesystem into a process.
 *
 * The loader reads the ELF header and program headers through the file read path
 * (uvmsim_vnode_read), parses them with libelf, and builds the address space as a kernel
 * does (NetBSD exec_elf.c, Linux load_elf_binary):
 *   - each PT_LOAD's file part becomes a private (copy-on-write) mapping of the vnode at
 *     the page-rounded offset, with the segment's protection (text r-x, data rw-);
 *   - bytes past p_filesz in the segment's last file page are zeroed by storing zeros
 *     through the CPU model, which promotes that page into an anon (counted);
 *   - the rest of p_memsz (.bss) is anonymous zero-fill memory;
 *   - a stack: anonymous rw- memory below a fixed top.
 * The program itself is never run: the simulator models memory, not instructions.
 * 32- and 64-bit ELF files of any machine type load.  Dynamically linked programs
 * (PT_INTERP) are refused.  A statically linked position-independent program
 * (`-static-pie`: ET_DYN without PT_INTERP) is loaded at a fixed base, as a kernel
 * loads ET_DYN: every p_vaddr and the entry point are moved up by the load base
 * (UVMSIM_EXEC_PIE_BASE unless the options say otherwise). */
#ifndef UVMSIM_EXEC_H
#define UVMSIM_EXEC_H

#include "uvmsim/types.h"
#include "uvmsim/error.h"
#include "uvmsim/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits.  A program with more PT_LOAD headers, or whose segments add up to more memory,
 * is refused with UVMSIM_ENOEXEC ("absurd sizes"). */
#define UVMSIM_EXEC_MAX_LOADS   16
#define UVMSIM_EXEC_MAX_SEGS    (2 * UVMSIM_EXEC_MAX_LOADS + 1)   /* file + bss each, stack */
#define UVMSIM_EXEC_MAX_MEMORY  (1ull << 30)                      /* sum of p_memsz */

/* Default stacks: 256 KiB ending at 0x7fff0000 (32-bit programs) or at 0x7fffffff0000
 * (64-bit programs; 0x7fff0000 when the pmap backend translates only 32-bit addresses,
 * as the ARM ones do); both tops are 64 KiB aligned so any page size up to that fits.
 * Segments must lie in [page size, top of the map or of the MMU, whichever is lower). */
#define UVMSIM_EXEC_STACK_SIZE  (256u * 1024u)
#define UVMSIM_EXEC_STACK_TOP32 0x7fff0000ull
#define UVMSIM_EXEC_STACK_TOP64 0x7fffffff0000ull

/* Load base of a static position-independent (ET_DYN) program: 0x108000, where Valgrind
 * (amd64, x86) puts an ET_DYN client (1 MiB plus 8 pages), so that a Lackey trace of the
 * program replays at the addresses it names (docs/replay.md). */
#define UVMSIM_EXEC_PIE_BASE    0x108000ull

typedef enum uvmsim_exec_seg_kind {
    UVMSIM_EXEC_SEG_FILE = 0,  /* private mapping of the program file */
    UVMSIM_EXEC_SEG_ANON,      /* zero-fill memory past the file part (.bss) */
    UVMSIM_EXEC_SEG_STACK      /* the stack (anonymous zero-fill) */
} uvmsim_exec_seg_kind;

/* "file", "anon", "stack" */
UVMSIM_API const char *uvmsim_exec_seg_kind_name(uvmsim_exec_seg_kind k);

/* One mapping made by exec.  va and size are page aligned. */
typedef struct uvmsim_exec_seg {
    uvmsim_vaddr_t va;
    uint64_t size;
    uvmsim_prot_t prot;
    uvmsim_exec_seg_kind kind;
    uvmsim_off_t offset;       /* file offset of va (FILE only, page aligned) */
    int phdr;                  /* index of its program header; -1 for the stack */
} uvmsim_exec_seg;

typedef struct uvmsim_exec_info {
    unsigned elf_class;        /* 32 or 64 */
    unsigned elf_machine;      /* e_machine (EM_X86_64 = 62, EM_386 = 3, ...) */
    uvmsim_vaddr_t entry;      /* e_entry (plus load_base) */
    uvmsim_vaddr_t load_base;  /* ET_DYN: what every p_vaddr was moved by; 0 for ET_EXEC */
    uint64_t file_size;        /* bytes of the program file */
    unsigned nloads;           /* PT_LOAD headers used */
    unsigned nsegs;
    uvmsim_exec_seg segs[UVMSIM_EXEC_MAX_SEGS];   /* sorted by address */
    uvmsim_vaddr_t stack_base, stack_top;          /* [base, top) */
    uvmsim_vaddr_t brk;        /* first page past the highest segment (heap start) */
    uint64_t text_pages;       /* pages of executable file mappings */
    uint64_t data_pages;       /* pages of writable file mappings */
    uint64_t bss_pages;        /* pages of anonymous segment memory (not the stack) */
    unsigned promotions;       /* pages promoted by zeroing a partial page at exec */
    uint64_t bytes_zeroed;     /* bytes stored as zeros past p_filesz */
    uint64_t header_bytes;     /* bytes read through uvmsim_vnode_read for the headers */
    char error[160];           /* on failure: why (also for ENOEXEC); "" on success */
} uvmsim_exec_info;

/* Options; NULL means the defaults of uvmsim_exec_opts_init(). */
typedef struct uvmsim_exec_opts {
    uint64_t stack_size;       /* bytes, page multiple; 0 → UVMSIM_EXEC_STACK_SIZE */
    uvmsim_vaddr_t stack_top;  /* page aligned; 0 → the default for the ELF class */
    uvmsim_vaddr_t load_base;  /* ET_DYN programs; page aligned; 0 → UVMSIM_EXEC_PIE_BASE */
} uvmsim_exec_opts;

UVMSIM_API void uvmsim_exec_opts_init(uvmsim_exec_opts *o);

/* execve(): look path up (uvmsim_namei), check it is a regular file with an execute bit
 * (else UVMSIM_EACCES), validate the whole program, then replace p's address space with
 * the program's.  Every check that can fail on the file's contents runs before the old
 * address space is touched, so a malformed program (UVMSIM_ENOEXEC: not ELF, truncated
 * headers, no PT_LOAD, a segment past end of file, overlapping segments, p_offset and
 * p_vaddr not congruent modulo the page size, p_memsz < p_filesz, absurd sizes, a
 * segment below the first page or beyond the address space) leaves p exactly as it was.
 * A failure while building (UVMSIM_ENOMEM, UVMSIM_EIO, ...) leaves p with an empty
 * address space, never a half-built one.  out may be NULL; on success (and in the
 * process, see uvmsim_exec_info_get) it describes the new image; on failure out->error
 * says why. */
UVMSIM_API int uvmsim_exec(uvmsim_proc *p, const char *path, uvmsim_exec_info *out);
/* The same for a vnode the caller holds (it keeps its reference). */
UVMSIM_API int uvmsim_exec_vnode(uvmsim_proc *p, uvmsim_vnode *vp, const uvmsim_exec_opts *opts,
                                 uvmsim_exec_info *out);
/* The image p was last exec'd with: UVMSIM_ENOENT when p never exec'd (a fork child
 * has no record of its own). */
UVMSIM_API int uvmsim_exec_info_get(const uvmsim_proc *p, uvmsim_exec_info *out);

#ifdef __cplusplus
}
#endif
#endif
