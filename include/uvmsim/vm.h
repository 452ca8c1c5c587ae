/* uvmsim — processes, address spaces (vmspace = vm_map + pmap), the fault handler and
 * the CPU access model.
 *
 * Names follow NetBSD's sys/uvm: a process owns a vmspace; its map holds entries
 * (start, end, protection, max protection, inheritance, advice, copy-on-write,
 * needs-copy, object + offset, amap + slot).  Faults go through the steps of
 * uvm_fault.c (check, upper lookup, upper, lower lookup, lower, enter) and every fault
 * yields an uvmsim_fault_outcome. */
#ifndef UVMSIM_VM_H
#define UVMSIM_VM_H

#include "uvmsim/types.h"
#include "uvmsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvmsim_proc uvmsim_proc;
typedef struct uvmsim_vnode uvmsim_vnode;   /* defined by fs.h */

typedef enum uvmsim_inherit {
    UVMSIM_INHERIT_COPY = 0,   /* default for private mappings */
    UVMSIM_INHERIT_SHARE = 1,  /* default for shared mappings */
    UVMSIM_INHERIT_NONE = 2
} uvmsim_inherit;

typedef enum uvmsim_advice {
    UVMSIM_ADV_NORMAL = 0,     /* fault-ahead: 3 pages behind, 4 ahead (UVM's uvmadvice) */
    UVMSIM_ADV_RANDOM = 1,     /* no fault-ahead */
    UVMSIM_ADV_SEQUENTIAL = 2  /* 0 behind, 7 ahead (UVM deactivates the pages behind) */
} uvmsim_advice;

/* ---- processes ---- */

/* A new process with an empty address space. */
UVMSIM_API int uvmsim_proc_create(uvmsim_machine *m, uvmsim_proc **out);
/* fork(): share entries share their amap/object, copy entries become needs-copy on both
 * sides with the parent's writable mappings write-protected (the child's amap is copied
 * at once instead when it is shared by a third process, or the parent entry is wired or
 * shared: docs/vm.md), none entries are skipped.  Wiring is not inherited. */
UVMSIM_API int uvmsim_proc_fork(uvmsim_proc *parent, uvmsim_proc **child_out);
/* exit(): tear the address space down and free the process.  NULL ok. */
UVMSIM_API void uvmsim_proc_exit(uvmsim_proc *p);
UVMSIM_API int uvmsim_proc_pid(const uvmsim_proc *p);
UVMSIM_API uvmsim_machine *uvmsim_proc_machine(const uvmsim_proc *p);
/* Find a live process by pid (NULL if none). */
UVMSIM_API uvmsim_proc *uvmsim_proc_lookup(uvmsim_machine *m, int pid);
/* Context switch to p (pmap_activate); counted by the pmap backend. */
UVMSIM_API int uvmsim_proc_switch(uvmsim_proc *p);
/* The process now on the CPU, or NULL. */
UVMSIM_API uvmsim_proc *uvmsim_proc_current(uvmsim_machine *m);

/* ---- mappings ---- */

enum {
    UVMSIM_MAP_PRIVATE = 0,    /* copy-on-write */
    UVMSIM_MAP_SHARED = 1,     /* writes reach the object and every sharer */
    UVMSIM_MAP_FIXED = 2       /* addr is mandatory (fails with EOVERLAP if taken) */
};

typedef struct uvmsim_map_args {
    uvmsim_vaddr_t addr;       /* hint, or the address with UVMSIM_MAP_FIXED */
    uint64_t size;             /* bytes, page multiple, > 0 */
    uvmsim_prot_t prot;
    uvmsim_prot_t maxprot;     /* 0 → UVMSIM_PROT_ALL */
    unsigned flags;            /* UVMSIM_MAP_* */
    uvmsim_inherit inherit;    /* ignored unless inherit_set */
    bool inherit_set;
    uvmsim_advice advice;
    uvmsim_vnode *vnode;       /* NULL: anonymous memory */
    uvmsim_off_t offset;       /* into the vnode; page aligned */
} uvmsim_map_args;

UVMSIM_API void uvmsim_map_args_init(uvmsim_map_args *a);
UVMSIM_API int uvmsim_map(uvmsim_proc *p, const uvmsim_map_args *a, uvmsim_vaddr_t *va_out);
UVMSIM_API int uvmsim_unmap(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size);
UVMSIM_API int uvmsim_protect(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size, uvmsim_prot_t prot);
UVMSIM_API int uvmsim_inherit_set(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size, uvmsim_inherit inh);
UVMSIM_API int uvmsim_advise(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size, uvmsim_advice adv);
/* Wiring (mlock / munlock: NetBSD's uvm_map_pageable).  uvmsim_wire counts one more
 * wiring on every entry of the range (clipped to it) and, for an entry wired for the
 * first time, faults every page in with a wire fault: checked against the maximum
 * protection, copy-on-write resolved now when write is allowed there (a private
 * writable mapping promotes every page at wire time), the RAM page wired.  EFAULT when
 * va itself is unmapped, EINVAL when the range has a hole or an entry with protection
 * none (nothing is wired then); a fault's error (ENOMEM...) undoes the call.  Device
 * (XIP) pages need no wiring — they are never paged out and have no vm_page to count
 * in — so wiring them only enters their mappings (docs/vm.md, Wiring).
 * uvmsim_unwire: one call unwires a range however many times it was wired (POSIX);
 * EINVAL when some part is not wired or has a hole, EFAULT when va is unmapped. */
UVMSIM_API int uvmsim_wire(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size);
UVMSIM_API int uvmsim_unwire(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t size);

/* ---- SysV shared memory (shmget / shmat / shmctl IPC_RMID) ----
 * A segment is an anonymous object (uvm_aobj) of whole pages, zero-filled on first
 * touch; the pager's look-up without I/O (uao_get with PGO_LOCKED) allocates the pages
 * of the fault window that are not resident.  Attaching maps it shared, inherited
 * SHARE by fork, with random advice and maxprot == prot (read-only or read-write), as
 * sys_shmat.  Detach with uvmsim_unmap.  (Shared anonymous mmap memory is not backed by
 * an object: uvmsim_map with UVMSIM_MAP_SHARED and no vnode gives a shared amap.) */
typedef struct uvmsim_shmseg uvmsim_shmseg;
/* shmget: a segment of size bytes (rounded up to pages). */
UVMSIM_API int uvmsim_shm_create(uvmsim_machine *m, uint64_t size, uvmsim_shmseg **out);
/* shmat: attach seg at addr (page aligned; 0 lets the map choose), read-only or
 * read-write; the address in *va_out.  EOVERLAP / ERANGE as uvmsim_map with FIXED. */
UVMSIM_API int uvmsim_shm_attach(uvmsim_proc *p, uvmsim_shmseg *seg, uvmsim_vaddr_t addr, bool rdonly,
                                 uvmsim_vaddr_t *va_out);
/* shmctl(IPC_RMID): the handle is gone; the memory lives until the last detach. */
UVMSIM_API int uvmsim_shm_remove(uvmsim_shmseg *seg);
UVMSIM_API uint64_t uvmsim_shm_size(const uvmsim_shmseg *seg);

/* A read-only description of one map entry, for reports and tests. */
typedef struct uvmsim_entry_info {
    uvmsim_vaddr_t start, end;
    uvmsim_prot_t prot, maxprot;
    uvmsim_inherit inherit;
    uvmsim_advice advice;
    bool copy_on_write, needs_copy, shared;
    bool has_amap, has_object;
    const char *object_kind;   /* "anon", "vnode", "xip-vnode", NULL */
    uvmsim_off_t offset;
    unsigned amap_slot;        /* entry's first slot in its amap */
    unsigned amap_refs;        /* amap reference count (0 without amap) */
    unsigned wired_count;      /* uvmsim_wire calls covering the entry (0: pageable) */
} uvmsim_entry_info;
UVMSIM_API unsigned uvmsim_map_nentries(const uvmsim_proc *p);
UVMSIM_API int uvmsim_map_entry(const uvmsim_proc *p, unsigned idx, uvmsim_entry_info *out);
/* The entry containing va (UVMSIM_EFAULT when none). */
UVMSIM_API int uvmsim_map_lookup(const uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_entry_info *out);

/* ---- the fault handler ---- */

typedef enum uvmsim_fault_class {
    UVMSIM_FAULT_UPPER_DIRECT = 0,
    UVMSIM_FAULT_UPPER_PROMOTE,
    UVMSIM_FAULT_LOWER_DIRECT,
    UVMSIM_FAULT_LOWER_PROMOTE,
    UVMSIM_FAULT_ZERO_FILL,
    UVMSIM_FAULT_ERROR,
    UVMSIM_FAULT_NCLASSES
} uvmsim_fault_class;

/* "upper-direct", "upper-promote", "lower-direct", "lower-promote", "zero-fill", "error" */
UVMSIM_API const char *uvmsim_fault_class_name(uvmsim_fault_class c);
/* Parse a class name; -1 when unknown. */
UVMSIM_API int uvmsim_fault_class_parse(const char *name);

typedef enum uvmsim_page_loc {
    UVMSIM_LOC_NONE = 0,       /* nothing mapped (error) */
    UVMSIM_LOC_RAM,            /* a managed RAM page */
    UVMSIM_LOC_DEVICE,         /* a device (NOR) page: no vm_page */
    UVMSIM_LOC_ZERO            /* the shared zero page */
} uvmsim_page_loc;
UVMSIM_API const char *uvmsim_page_loc_name(uvmsim_page_loc l);  /* "ram" "nor" "zero" "none" */

/* What one fault did.  Filled by every step of the handler; read by tests, the matrix,
 * the CLI and the teaching trace. */
typedef struct uvmsim_fault_outcome {
    int pid;
    uvmsim_vaddr_t va;         /* faulting address (page aligned) */
    uvmsim_access access;
    uvmsim_fault_class cls;
    int error;                 /* UVMSIM_OK unless cls == ERROR */
    uvmsim_paddr_t pa;         /* physical page entered */
    uvmsim_page_loc loc;
    uvmsim_prot_t prot_entered;
    unsigned pages_allocated;  /* RAM pages allocated by this fault (anons, cache, PTPs) */
    uint64_t bytes_copied;     /* by promotion */
    unsigned neighbours_mapped;/* fault-ahead */
    unsigned io_requests;      /* block requests issued by the pager */
    uint64_t io_bytes;
    unsigned anon_refs;        /* refs of the anon mapped (0 when the page is not an anon) */
    unsigned amap_refs;        /* refs of the entry's amap after the fault (0 if none) */
    bool amap_copied;          /* needs-copy was cleared by copying the amap */
    bool xip;                  /* the lower layer was an XIP vnode */
    bool wired;                /* a wire fault (uvmsim_wire): the page entered was wired */
} uvmsim_fault_outcome;

/* Run the fault handler for (va, access) in p's address space, as the MMU would. */
UVMSIM_API int uvmsim_fault(uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_access access,
                            uvmsim_fault_outcome *out);

/* ---- the CPU model ---- */

/* One CPU access: switch to p if it is not current, then per page: TLB look-up, walk on
 * a miss, fault on an absent or insufficient mapping, retry, and move the real bytes
 * (buf is read into for fetch/load, written from for store).  Accesses may cross pages.
 * When `last` is non-NULL it receives the outcome of the last fault taken (cls ERROR with
 * error OK when no fault was needed: check `faults`). */
UVMSIM_API int uvmsim_access_mem(uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_access kind,
                                 void *buf, size_t len, unsigned *faults,
                                 uvmsim_fault_outcome *last);

/* ---- statistics and invariants ---- */

typedef struct uvmsim_vm_stats {
    uint64_t faults[UVMSIM_FAULT_NCLASSES];
    uint64_t faults_total;
    uint64_t neighbours_mapped;
    uint64_t bytes_copied;
    uint64_t anons_live, anons_high;
    uint64_t amaps_live;
    uint64_t amap_copies;
    uint64_t objects_live;
    uint64_t io_requests, io_bytes;   /* issued by pagers (faults and read()) */
    uint64_t pager_gets;              /* pgo_get calls of the fault handler that may do I/O
                                         (NetBSD uvmexp.fltget) */
    uint64_t pager_lgets;             /* PGO_LOCKED gets of its lower look-up (fltlget) */
    uint64_t wired_pages;             /* RAM pages with a wire count (uvm_pagewire) */
    uint64_t forks, exits, procs_live;
    uint64_t accesses, bytes_loaded, bytes_stored, bytes_fetched;
} uvmsim_vm_stats;
UVMSIM_API void uvmsim_vm_stats_get(const uvmsim_machine *m, uvmsim_vm_stats *out);
/* Per-process fault counters. */
UVMSIM_API void uvmsim_proc_stats_get(const uvmsim_proc *p, uvmsim_vm_stats *out);

/* Verify every invariant of the machine (see docs/vm.md): PTE ↔ PV, anon and
 * amap reference counts, TLB ⊆ page tables, RAM accounting.  Returns UVMSIM_OK or
 * UVMSIM_ESTATE with a description of the first violation in msg. */
UVMSIM_API int uvmsim_check(uvmsim_machine *m, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
