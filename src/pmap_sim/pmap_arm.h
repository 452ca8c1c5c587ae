/* Internal to pmap_sim: the ARMv5 MMU model shared by the "armv5" and "fass" backends
 * (pmap_arm.c): two-level page tables kept in simulated RAM, the domain access control
 * register, FCSE PID relocation, the VIVT cache abstraction and TLB helpers.
 *
 * Table format (ARM ARM, ARMv5 VMSA, little-endian 32-bit descriptors):
 *   first level  4096 entries x 1 MiB: bits[1:0] 00 fault, 01 coarse table (base
 *                bits[31:10]), 10 section; domain in bits[8:5].  A section (a large
 *                mapping of 1 MiB of device memory, docs/superpages.md) has its base in
 *                bits[31:20], AP in bits[11:10], bit 4 set (ARMv4/v5 "should be one",
 *                Linux's PMD_BIT4), C bit 3, B bit 2.  16 KiB = ARM_L1_PAGES simulated
 *                page frames.  The sections' shadow entries (one byte per first-level
 *                index, the bits of a second-level shadow entry) live in one more
 *                PGO_PTP page, allocated with the first section and freed with the last.
 *   second level a coarse table of 256 page descriptors in the first KiB of one PGO_PTP
 *                page: small pages (bits[1:0] 10, frame bits[31:12], AP0..AP3 in
 *                bits[11:4], C bit 3, B bit 2) and large pages of 64 KiB (bits[1:0] 01,
 *                base bits[31:16], the same AP, C, B), whose descriptor the hardware
 *                wants in 16 consecutive entries starting at a multiple of 16; the next
 *                KiB holds a Linux-style shadow entry per PTE with the VM's protection
 *                (R/W/X: ARMv5 has no execute-never bit, so the MMU model takes EXEC
 *                from the shadow entry), the wired/device bits and SH_LARGE on the 16
 *                copies of a large page.  The page's vm_page->offset counts its valid
 *                PTEs (16 for a large page). */
#ifndef UVMSIM_PMAP_ARM_H
#define UVMSIM_PMAP_ARM_H

#include "pmap_impl.h"

/* Raw descriptors are 32-bit little-endian words in simulated RAM (like the generic
 * backend's PTEs), so a dump reads the same on every host. */
static inline uint32_t uvmsim_arm_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void uvmsim_arm_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#define ARM_PAGE_SIZE      4096u
#define ARM_PAGE_SHIFT     12
#define ARM_VA_END         (1ull << 32)
#define ARM_PA_END         (1ull << 32)
#define ARM_L1_ENTRIES     4096u
#define ARM_L1_PAGES       4u                 /* 16 KiB first-level table */
#define ARM_L1_PER_PAGE    (ARM_L1_ENTRIES / ARM_L1_PAGES)
#define ARM_L2_ENTRIES     256u
#define ARM_SECTION_SHIFT  20                 /* one first-level entry: 1 MiB */
#define ARM_SECTION_SIZE   (1ull << ARM_SECTION_SHIFT)
#define ARM_NDOMAINS       16u
#define ARM_DOMAIN_KERNEL  0u                 /* reserved; enabled in every DACR value */
#define ARM_DOMAIN_USER    1u                 /* armv5 user mappings (as ARM Linux) */
#define ARM_FCSE_SHIFT     25                 /* FCSE slots are 32 MiB */
#define ARM_FCSE_SIZE      (1ull << ARM_FCSE_SHIFT)
#define ARM_FCSE_SLOTS     64u                /* PID slots 0..63 fill the first 2 GiB */

/* first-level descriptors */
#define L1_TYPE_MASK       0x3u
#define L1_TYPE_FAULT      0x0u
#define L1_TYPE_COARSE     0x1u
#define L1_TYPE_SECTION    0x2u
#define L1_DOMAIN_SHIFT    5
#define L1_DOMAIN_MASK     (0xFu << L1_DOMAIN_SHIFT)
#define L1_COARSE_BASE     0xFFFFFC00u
#define L1_SECT_BASE       0xFFF00000u
#define L1_SECT_AP_SHIFT   10
#define L1_SECT_BIT4       0x10u
#define L1_SECT_C          0x8u
#define L1_SECT_B          0x4u
/* second-level small-page descriptors */
#define L2_TYPE_MASK       0x3u
#define L2_TYPE_SMALL      0x2u
#define L2_TYPE_LARGE      0x1u
#define L2_LARGE_BASE      0xFFFF0000u
#define ARM_LARGE_SHIFT    16                 /* a large page: 64 KiB, 16 small entries */
#define ARM_LARGE_LSHIFT   (ARM_LARGE_SHIFT - ARM_PAGE_SHIFT)
#define ARM_SECTION_LSHIFT (ARM_SECTION_SHIFT - ARM_PAGE_SHIFT)
#define L2_BUFFERABLE      0x4u
#define L2_CACHEABLE       0x8u
#define L2_AP_SHIFT        4                  /* AP0; AP1..AP3 follow, 2 bits each */
#define L2_FRAME           0xFFFFF000u
#define ARM_AP_USER_RO     0x2u               /* svc RW, user RO */
#define ARM_AP_USER_RW     0x3u
#define ARM_L2_SHADOW_OFF  1024u              /* byte offset of the shadow entries */
/* shadow entries */
#define SH_VALID           0x01u
#define SH_PROT_SHIFT      1                  /* R, W, X in bits 1..3 */
#define SH_WIRED           0x10u
#define SH_DEVICE          0x20u
#define SH_LARGE           0x40u              /* one of the 16 copies of a large page */

/* Domain access control register: two bits per domain. */
enum arm_dacc { ARM_DACC_NOACCESS = 0, ARM_DACC_CLIENT = 1, ARM_DACC_MANAGER = 3 };
static inline unsigned arm_dacr_get(uint32_t dacr, unsigned d) { return (dacr >> (2 * d)) & 3u; }
static inline uint32_t arm_dacr_set(uint32_t dacr, unsigned d, unsigned acc)
{
    return (dacr & ~(3u << (2 * d))) | ((acc & 3u) << (2 * d));
}

/* FCSE: the modified virtual address the TLB and the CPD see. */
static inline vaddr_t arm_fcse_mva(vaddr_t va, unsigned pid_slot)
{
    return va < ARM_FCSE_SIZE ? va + ((vaddr_t)pid_slot << ARM_FCSE_SHIFT) : va;
}

/* A 16 KiB first-level table: ARM_L1_PAGES PGO_PTP page frames, entry i in frame
 * i / ARM_L1_PER_PAGE.  Real hardware wants 16 KiB contiguous and aligned; the RAM
 * allocator hands out single pages, and nothing in the model depends on contiguity.
 * present is a host-side summary for range scans (bit i set <=> descriptor i is not a
 * zero fault descriptor), kept by uvmsim_arm_l1_set and verified by the checker, so a
 * scan of 4 GiB costs what is mapped rather than 4096 reads of simulated RAM. */
struct arm_l1 {
    paddr_t frame[ARM_L1_PAGES];
    uint64_t present[ARM_L1_ENTRIES / 64];
    paddr_t sect_shadow;      /* the sections' shadow page; 0 while there is no section */
    unsigned nsections;       /* section descriptors in the table */
};

/* ---- tables (pmap_arm.c) ---- */
/* Allocate a zeroed (all fault) table; ENOMEM leaves nothing allocated. */
int  uvmsim_arm_l1_alloc(struct pmap_machine *pmm, struct arm_l1 *l1);
void uvmsim_arm_l1_free(struct pmap_machine *pmm, struct arm_l1 *l1);
uint32_t uvmsim_arm_l1_get(const struct pmap_machine *pmm, const struct arm_l1 *l1, unsigned idx);
/* The first index >= idx whose descriptor is not zero (by the summary); ARM_L1_ENTRIES
 * when there is none. */
unsigned uvmsim_arm_l1_next(const struct arm_l1 *l1, unsigned idx);
/* Descriptor idx read straight from RAM, frame by frame (checkers: they must not trust
 * the summary).  frame_ptr caches the host pointer of the current frame. */
uint32_t uvmsim_arm_l1_raw(const struct pmap_machine *pmm, const struct arm_l1 *l1, unsigned idx,
                           const uint8_t **frame_ptr);
void uvmsim_arm_l1_set(struct pmap_machine *pmm, struct arm_l1 *l1, unsigned idx, uint32_t desc);
/* Look va up through first-level descriptor desc (any table: a process's or the CPD).
 * A section takes its rights from the shadow of the table it belongs to: owner, entry
 * src (the process's own first-level index; a CPD entry was loaded from one).  False
 * (pte->valid false) for a fault descriptor, a table outside RAM, or an invalid
 * entry.  No counters. */
bool uvmsim_arm_desc_lookup(const struct pmap_machine *pmm, uint32_t desc, const struct arm_l1 *owner,
                            unsigned src, vaddr_t va, struct pmap_pte *pte);
/* The same for a coarse-table descriptor only (a section reads as absent). */
bool uvmsim_arm_l2_lookup(const struct pmap_machine *pmm, uint32_t desc, vaddr_t va, struct pmap_pte *pte);
static inline bool uvmsim_arm_is_section(uint32_t desc) { return (desc & L1_TYPE_MASK) == L1_TYPE_SECTION; }

/* What a table operation did, for the backend's TLB/cache/CPD bookkeeping. */
struct arm_pt_result {
    bool was_valid;            /* a valid PTE was there before */
    struct pmap_pte old;       /* ... and this is what it said */
    bool table_added;          /* enter allocated a coarse table */
    bool table_freed;          /* remove freed the now empty coarse table */
    bool l1_changed;           /* the first-level descriptor changed (a section entered,
                                  changed or removed, a table freed): a copy of it in the
                                  FASS CPD is stale */
    uint64_t replaced[4];      /* enter_large: bit i set: page i of the range had a valid
                                  translation before (its TLB entry must go) */
};
/* Page-table operations on a process table (va as the VM sees it, < ARM_VA_END).
 * enter: ENOMEM when a coarse table cannot be had (nothing changed); ERANGE for a pa the
 * 32-bit descriptors cannot hold.  *ptp_pages follows the tables allocated/freed. */
int  uvmsim_arm_pt_enter(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, vaddr_t va,
                         paddr_t pa, vm_prot_t prot, unsigned flags, struct arm_pt_result *r);
void uvmsim_arm_pt_remove(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, vaddr_t va,
                          struct arm_pt_result *r);
void uvmsim_arm_pt_protect(struct pmap_machine *pmm, struct arm_l1 *l1, vaddr_t va, vm_prot_t prot,
                           struct arm_pt_result *r);
bool uvmsim_arm_pt_walk(const struct pmap_machine *pmm, const struct arm_l1 *l1, vaddr_t va, struct pmap_pte *pte);
/* Large mappings: a 64 KiB large page (lshift ARM_LARGE_LSHIFT) or a 1 MiB section
 * (ARM_SECTION_LSHIFT) over whatever one-page PTEs of the same pages the range held
 * (r->replaced says which); ENOMEM (a coarse table or the section shadow page) with
 * nothing changed.  demote: the large mapping starting at va becomes one-page PTEs (a
 * section needs a coarse table: ENOMEM with nothing changed). */
int  uvmsim_arm_pt_enter_large(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, vaddr_t va,
                               paddr_t pa, unsigned lshift, vm_prot_t prot, unsigned flags, struct arm_pt_result *r);
int  uvmsim_arm_pt_demote(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages, vaddr_t va,
                          struct arm_pt_result *r);
bool uvmsim_arm_pt_next_valid(const struct pmap_machine *pmm, const struct arm_l1 *l1, vaddr_t sva, vaddr_t eva,
                              vaddr_t *va, struct pmap_pte *pte);
/* Ops both ARM backends share.  They rely on one layout rule: every ARM backend's
 * per-pmap state (pm->be) begins with its struct arm_l1. */
bool uvmsim_arm_op_walk(struct pmap *pm, vaddr_t va, struct pmap_pte *pte);
bool uvmsim_arm_op_next_valid(struct pmap *pm, vaddr_t sva, vaddr_t eva, vaddr_t *va, struct pmap_pte *pte);
/* A backend's reaction to a changed or removed PTE: drop what its TLB and cache hold for
 * the mapping at va of 2^lshift pages (gone: it left the address space; lost_write: it
 * lost the write right). */
typedef void (*arm_shootdown_fn)(struct pmap *pm, vaddr_t va, unsigned lshift, bool gone, bool lost_write);
/* pmap protect: lower the PTE, then let the backend drop what its TLB and cache hold. */
void uvmsim_arm_op_protect(struct pmap *pm, vaddr_t va, vm_prot_t prot, arm_shootdown_fn shootdown,
                           struct arm_pt_result *r);
/* enter_large / demote for both ARM backends: the table change, then shootdown of every
 * translation replaced (enter) or of the large one (demote); *r for the CPD. */
int  uvmsim_arm_op_enter_large(struct pmap *pm, vaddr_t va, paddr_t pa, unsigned lshift, vm_prot_t prot,
                               unsigned flags, arm_shootdown_fn shootdown, struct arm_pt_result *r);
int  uvmsim_arm_op_demote(struct pmap *pm, vaddr_t va, arm_shootdown_fn shootdown, struct arm_pt_result *r);
/* The cache extent a shootdown of a mapping of 2^lshift pages names: "page" or "region". */
static inline const char *uvmsim_arm_extent(unsigned lshift) { return lshift ? "region" : "page"; }
/* Free every (empty) coarse table and the first-level table. */
void uvmsim_arm_pt_free(struct pmap_machine *pmm, struct arm_l1 *l1, uint64_t *ptp_pages);
/* Verify a process table: PTP pages, descriptor types, hardware entry == shadow entry,
 * valid counts; *ntables receives the pages found (first level included). */
int  uvmsim_arm_pt_check(const struct pmap_machine *pmm, const struct arm_l1 *l1, int pid,
                         uint64_t *ntables, char *msg, size_t len);

/* ---- machine set-up ---- */
/* Common init checks (4 KiB pages, 32-bit physical plan) and the SA-1100 TLB shape
 * (32-entry I + 32-entry D, fully associative, round robin) when the machine config
 * asks for the default TLB; sets va_end. */
int  uvmsim_arm_machine_setup(struct pmap_machine *pmm);
/* The ops' config_check of both ARM backends: 4 KiB pages, physical plan below 4 GiB. */
int  uvmsim_arm_config_check(const uvmsim_machine_config *c, char *why, size_t whylen);

/* ---- TLB helpers: both TLBs ---- */
/* Full flush of I and D TLB; returns entries dropped. */
uint64_t uvmsim_arm_tlb_flush_all(struct pmap_machine *pmm, const char *why);
/* Invalidate every entry covering an mva in [base, base + size); returns entries dropped
 * (one single-entry invalidation per entry present, per TLB). */
uint64_t uvmsim_arm_tlb_flush_range(struct pmap_machine *pmm, vaddr_t base, uint64_t size);
/* One single-entry invalidation of mva in each TLB. */
void uvmsim_arm_tlb_inval(struct pmap_machine *pmm, vaddr_t mva);

/* ---- the VIVT cache abstraction ----
 * No lines are simulated; the backends track who may hold lines and count the
 * maintenance the kernel must issue.  extent: "all" and "region" operations count in
 * cache_cleans / cache_flushes, "page" operations (a mapping removed or write-protected)
 * in cache_page_ops.  Each is a UVMSIM_EV_CACHE event: step = extent, text = why,
 * va = start, a = cleaned, b = flushed (invalidated). */
void uvmsim_arm_cache_op(struct pmap_machine *pmm, const char *extent, const char *why, vaddr_t va,
                         bool clean, bool flush);
/* A backend event (CPD load, collision, recycle...): UVMSIM_EV_PMAP. */
void uvmsim_arm_event(struct pmap_machine *pmm, int pid, const char *tag, vaddr_t va, uint64_t a, uint64_t b,
                      const char *text);

/* FASS introspection for tests and tools (false / -1 when not a FASS pmap):
 * the domain a pmap holds (-1: none), its FCSE PID slot (-1: not relocated yet),
 * the domain tagging CPD entry idx (-1: invalid) and the machine's DACR. */
int uvmsim_pmap_fass_domain(const struct pmap *pm);
int uvmsim_pmap_fass_slot(const struct pmap *pm);
int uvmsim_pmap_fass_cpd_domain(const struct uvmsim_machine *m, unsigned idx);
uint32_t uvmsim_pmap_arm_dacr(const struct uvmsim_machine *m);
/* Physical address of first-level descriptor idx of an ARM pmap's own table / of the
 * FASS CPD (false: not an ARM pmap / not a FASS machine, no CPD now, idx out of range). */
bool uvmsim_pmap_arm_l1_pa(const struct pmap *pm, unsigned idx, paddr_t *pa);
bool uvmsim_pmap_fass_cpd_pa(const struct uvmsim_machine *m, unsigned idx, paddr_t *pa);
/* The FASS shared region at CPD index idx: its domain, with its sharers and the pages
 * they all map identically (its table's valid entries); -1 when the region is not shared
 * or m is not a FASS machine. */
int uvmsim_pmap_fass_share_info(const struct uvmsim_machine *m, unsigned idx, unsigned *sharers, unsigned *common);
/* backend-private accessors behind the two above */
uint32_t uvmsim_pmap_fass_dacr(const struct pmap_machine *pmm);
const struct arm_l1 *uvmsim_pmap_fass_l1(const struct pmap *pm);

#endif
