/* Check suite for large mappings of device memory in the pmap layer (docs/superpages.md),
 * on every backend and every large size it maps (generic: 2 MiB pages and 64 KiB
 * contiguous runs of 16 PTEs; armv5 and fass: 1 MiB sections and 64 KiB large pages),
 * without the VM: pmaps are created directly over a
 * device segment whose bytes are known.  Covers enter_large and its refusals, the tables
 * in RAM (PTP pages, the real descriptors), one PV entry per large mapping in the device
 * hash, TLB hits across the large page from one fill, promotion over one-page mappings,
 * demotion by a partial protect, a partial remove, a one-page enter and page_protect (PV
 * entries, hash counts, resident pages, TLB), demotion without RAM (removed whole), the
 * two sizes of a backend refusing to overlap, and the checker catching a corrupted large
 * entry in RAM (a generic run whose PTEs disagree) and in the TLB (an entry wider than
 * what the tables map). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pmap_sim/pmap_impl.h"
#include "pmap_sim/pmap_arm.h"
#include "vmtest.h"

#define PG 4096u
#define DEV_BASE 0x80000000ull        /* 2 MiB aligned */
#define DEV_SIZE (4ull << 20)
#define VA_BASE 0x10000000ull         /* 2 MiB aligned */
#define RX (UVMSIM_PROT_READ | UVMSIM_PROT_EXEC)

#define CHECK_OK(m) do { \
        char msg_[256] = ""; \
        int e_ = uvmsim_pmap_check((m), msg_, sizeof(msg_)); \
        ck_assert_msg(e_ == UVMSIM_OK, "check: %s (%d)", msg_, e_); \
    } while (0)
#define CHECK_FAILS(m, what) do { \
        char msg_[256] = ""; \
        int e_ = uvmsim_pmap_check((m), msg_, sizeof(msg_)); \
        ck_assert_msg(e_ == UVMSIM_ESTATE && strstr(msg_, (what)) != NULL, "check said (%d) '%s', wanted '%s'", \
                      e_, msg_, (what)); \
    } while (0)

/* One case: a backend and one of its large sizes. */
struct lcase {
    const char *backend;
    unsigned lshift;
};
static struct lcase cases[8];
static unsigned ncases;

static void find_cases(void)
{
    ncases = 0;
    for (const char *const *b = uvmsim_pmap_backends(); *b != NULL; b++) {
        uvmsim_machine *m = vt_machine(16u << 20, *b);
        unsigned ls[4];
        unsigned n = uvmsim_pmap_large_sizes(m, ls, 4);
        ck_assert_uint_gt(n, 0);                 /* every backend maps some large size */
        for (unsigned i = 0; i < n && ncases < 8; i++)
            cases[ncases++] = (struct lcase){*b, ls[i]};
        uvmsim_machine_destroy(m);
    }
}

struct fx {
    uvmsim_machine *m;
    uint8_t *dev;
    struct pmap *pm;
    unsigned lshift;
    uint64_t len, npages;
};

static void fx_make(struct fx *f, const struct lcase *c, uint64_t ram)
{
    f->m = vt_machine(ram, c->backend);
    f->dev = malloc(DEV_SIZE);
    ck_assert_ptr_nonnull(f->dev);
    for (size_t i = 0; i < DEV_SIZE; i += 4) {   /* every word says where it is */
        uint32_t w = (uint32_t)(DEV_BASE + i);
        memcpy(f->dev + i, &w, 4);
    }
    ck_assert_int_eq(uvmsim_physload_device(f->m, DEV_BASE, DEV_BASE + DEV_SIZE, RX, f->dev), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_create(f->m, 1, &f->pm), UVMSIM_OK);
    f->lshift = c->lshift;
    f->npages = 1ull << c->lshift;
    f->len = f->npages * PG;
}

static void fx_done(struct fx *f)
{
    CHECK_OK(f->m);
    uvmsim_pmap_destroy(f->pm);
    CHECK_OK(f->m);
    uvmsim_pmap_stats s;
    uvmsim_pmap_stats_get(f->m, &s);
    ck_assert_uint_eq(s.pv_entries, 0);
    ck_assert_uint_eq(s.large_live, 0);
    ck_assert_uint_eq(s.large_bytes, 0);
    uvmsim_machine_destroy(f->m);
    free(f->dev);
}

static uvmsim_pmap_stats stats(struct fx *f)
{
    uvmsim_pmap_stats s;
    uvmsim_pmap_stats_get(f->m, &s);
    return s;
}

/* The pa the MMU gives for a load at va (UVMSIM_OK expected). */
static paddr_t mmu(struct fx *f, vaddr_t va, uvmsim_access kind)
{
    paddr_t pa = 0;
    int err = uvmsim_pmap_translate(f->pm, va, kind, &pa);
    ck_assert_msg(err == UVMSIM_OK, "translate %#llx: %s", (unsigned long long)va, uvmsim_strerror(err));
    return pa;
}

static void enter_big(struct fx *f, vaddr_t va, paddr_t pa)
{
    int err = uvmsim_pmap_enter_large(f->pm, va, pa, f->lshift, RX, PMAP_DEVICE);
    ck_assert_msg(err == UVMSIM_OK, "enter_large: %s", uvmsim_strerror(err));
}

/* The PTP pages a pmap holds beside its first-level table / root. */
static uint64_t ptp(struct fx *f)
{
    return f->pm->ptp_pages;
}

START_TEST(test_enter_and_refusals)
{
    find_cases();
    for (unsigned c = 0; c < ncases; c++) {
        struct fx f;
        fx_make(&f, &cases[c], 16u << 20);
        uint64_t ptp0 = ptp(&f);
        /* refusals: each leaves nothing behind */
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE, DEV_BASE, 3, RX, 0), UVMSIM_EINVAL);
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE, DEV_BASE, f.lshift, UVMSIM_PROT_NONE, 0), UVMSIM_EINVAL);
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE + PG, DEV_BASE, f.lshift, RX, 0), UVMSIM_EALIGN);
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE, DEV_BASE + PG, f.lshift, RX, 0), UVMSIM_EALIGN);
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE, DEV_BASE + DEV_SIZE, f.lshift, RX, 0),
                         UVMSIM_ERANGE);                 /* past the segment */
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE, 0, f.lshift, RX, 0), UVMSIM_EINVAL);  /* RAM */
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE, DEV_BASE, f.lshift, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE,
                                                 0), UVMSIM_EACCES);
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, f.pm->pmm->va_end, DEV_BASE, f.lshift, RX, 0), UVMSIM_ERANGE);
        /* another page inside the range: busy */
        ck_assert_int_eq(uvmsim_pmap_enter(f.pm, VA_BASE + 2 * PG, DEV_BASE + 7 * PG, RX, 0), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE, DEV_BASE, f.lshift, RX, 0), UVMSIM_EBUSY);
        uvmsim_pmap_remove(f.pm, VA_BASE, VA_BASE + f.len);
        ck_assert_uint_eq(stats(&f).large_mappings, 0);
        ck_assert_uint_eq(ptp(&f), ptp0);
        CHECK_OK(f.m);

        enter_big(&f, VA_BASE, DEV_BASE + f.len);
        uvmsim_pmap_stats s = stats(&f);
        ck_assert_uint_eq(s.large_mappings, 1);
        ck_assert_uint_eq(s.large_live, 1);
        ck_assert_uint_eq(s.large_bytes, f.len);
        ck_assert_uint_eq(s.pv_entries, 1);             /* one PV entry for the whole mapping */
        ck_assert_uint_eq(s.pv_entries_device, 1);
        ck_assert_uint_eq(f.pm->resident, f.npages);
        for (uint64_t i = 0; i < f.npages; i += f.npages / 8) {
            paddr_t pa;
            vm_prot_t prot;
            ck_assert(uvmsim_pmap_extract(f.pm, VA_BASE + i * PG + 12, &pa, &prot));
            ck_assert_uint_eq(pa, DEV_BASE + f.len + i * PG + 12);
            ck_assert_uint_eq(prot, RX);
            ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, DEV_BASE + f.len + i * PG), 1);
            ck_assert(uvmsim_pmap_managed(f.pm, VA_BASE + i * PG, DEV_BASE + f.len + i * PG));
            ck_assert(!uvmsim_pmap_managed(f.pm, VA_BASE + i * PG + PG, DEV_BASE + f.len + i * PG));
        }
        ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, DEV_BASE + f.len - PG), 0);
        ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, DEV_BASE + 2 * f.len), 0);
        ck_assert(!uvmsim_pmap_extract(f.pm, VA_BASE + f.len, NULL, NULL));
        /* Tables: a section needs no coarse table, only the section shadow page; a 64 KiB
         * page one coarse table; a 2 MiB page the tables down to level 2, no leaf table;
         * a 64 KiB run the tables down to its leaf table. */
        bool generic = strcmp(cases[c].backend, "generic") == 0;
        ck_assert_uint_eq(ptp(&f), ptp0 + (!generic ? 1 : f.lshift == 9 ? 2 : 3));
        /* the same large mapping again: only its rights change */
        ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE, DEV_BASE + f.len, f.lshift, UVMSIM_PROT_READ, 0),
                         UVMSIM_OK);
        ck_assert_uint_eq(stats(&f).large_mappings, 1);
        vm_prot_t prot;
        ck_assert(uvmsim_pmap_extract(f.pm, VA_BASE + f.len - PG, NULL, &prot));
        ck_assert_uint_eq(prot, UVMSIM_PROT_READ);
        CHECK_OK(f.m);
        /* removed whole */
        uvmsim_pmap_remove(f.pm, VA_BASE, VA_BASE + f.len);
        s = stats(&f);
        ck_assert_uint_eq(s.large_live, 0);
        ck_assert_uint_eq(s.demotions, 0);
        ck_assert_uint_eq(s.pv_entries, 0);
        ck_assert_uint_eq(f.pm->resident, 0);
        ck_assert_uint_eq(ptp(&f), ptp0);               /* tables (and the section shadow) freed */
        fx_done(&f);
    }
}
END_TEST

/* One fill serves every page of the large page: npages accesses, one miss. */
START_TEST(test_tlb_hits_across)
{
    find_cases();
    for (unsigned c = 0; c < ncases; c++) {
        struct fx f;
        fx_make(&f, &cases[c], 16u << 20);
        enter_big(&f, VA_BASE, DEV_BASE);
        uvmsim_pmap_stats s0 = stats(&f);
        for (uint64_t i = 0; i < f.npages; i++) {
            paddr_t pa = mmu(&f, VA_BASE + i * PG + 4 * (i % 1000), UVMSIM_ACCESS_LOAD);
            ck_assert_uint_eq(pa, DEV_BASE + i * PG + 4 * (i % 1000));
            uint32_t w;
            ck_assert_int_eq(uvmsim_phys_read(f.m, pa, &w, 4), UVMSIM_OK);
            ck_assert_uint_eq(w, (uint32_t)pa);         /* the device's own bytes */
        }
        uvmsim_pmap_stats s = stats(&f);
        /* (FASS: the first access also misses in the CPD, loads it and looks up again) */
        ck_assert_msg(s.dtlb.misses - s0.dtlb.misses == 1 + s.cpd_loads - s0.cpd_loads, "%s %u: %llu misses",
                      cases[c].backend, f.lshift, (unsigned long long)(s.dtlb.misses - s0.dtlb.misses));
        ck_assert_uint_eq(s.dtlb.hits - s0.dtlb.hits, f.npages - 1);
        ck_assert_uint_eq(s.dtlb.large_fills - s0.dtlb.large_fills, 1);
        ck_assert_uint_eq(s.dtlb.large_hits - s0.dtlb.large_hits, f.npages - 1);
        ck_assert_uint_eq(s.dtlb.large_entries, 1);
        ck_assert_uint_ge(s.dtlb.reach, f.len);
        ck_assert_uint_ge(s.tlb_reach, f.len);
        /* a fetch through the I-TLB (split TLBs): its own fill */
        ck_assert_uint_eq(mmu(&f, VA_BASE + f.len - 8, UVMSIM_ACCESS_FETCH), DEV_BASE + f.len - 8);
        paddr_t pa;
        ck_assert_int_eq(uvmsim_pmap_translate(f.pm, VA_BASE + f.len, UVMSIM_ACCESS_LOAD, &pa), UVMSIM_EFAULT);
        ck_assert_int_eq(uvmsim_pmap_translate(f.pm, VA_BASE, UVMSIM_ACCESS_STORE, &pa), UVMSIM_EACCES);
        CHECK_OK(f.m);
        /* a single invalidation by any page of it drops the entry */
        struct tlb *t = f.pm->pmm->dtlb;
        uvmsim_tlb_invalidate(t, uvmsim_pmap_generic_asid(f.pm), (VA_BASE + f.len - PG) >> 12);
        ck_assert_uint_eq(t->nlarge, 0);
        s0 = stats(&f);
        mmu(&f, VA_BASE + PG, UVMSIM_ACCESS_LOAD);
        ck_assert_uint_eq(stats(&f).dtlb.misses - s0.dtlb.misses, 1);
        fx_done(&f);
    }
}
END_TEST

/* One-page mappings of the same pages become one large mapping: their PV entries and TLB
 * entries go, the pages stay mapped. */
START_TEST(test_promotion)
{
    find_cases();
    for (unsigned c = 0; c < ncases; c++) {
        struct fx f;
        fx_make(&f, &cases[c], 16u << 20);
        for (uint64_t i = 0; i < f.npages; i += 3) {
            ck_assert_int_eq(uvmsim_pmap_enter(f.pm, VA_BASE + i * PG, DEV_BASE + i * PG, RX, 0), UVMSIM_OK);
            mmu(&f, VA_BASE + i * PG, UVMSIM_ACCESS_LOAD);     /* in the TLB */
        }
        uint64_t small = (f.npages + 2) / 3;
        ck_assert_uint_eq(stats(&f).pv_entries, small);
        uint64_t inval0 = stats(&f).dtlb.single_invalidations;
        enter_big(&f, VA_BASE, DEV_BASE);
        uvmsim_pmap_stats s = stats(&f);
        ck_assert_uint_eq(s.pv_entries, 1);
        ck_assert_uint_eq(s.large_live, 1);
        ck_assert_uint_eq(f.pm->resident, f.npages);
        /* every replaced translation was invalidated; none is left beside the large one */
        ck_assert_uint_ge(s.dtlb.single_invalidations - inval0, small);
        CHECK_OK(f.m);
        mmu(&f, VA_BASE + f.len - PG, UVMSIM_ACCESS_LOAD);
        ck_assert_uint_eq(f.pm->pmm->dtlb->nlarge, 1);
        CHECK_OK(f.m);
        fx_done(&f);
    }
}
END_TEST

/* What a demotion must leave: n one-page mappings with the frames of the large one, one
 * PV entry each, in the right buckets. */
static void assert_demoted(struct fx *f, vaddr_t va, paddr_t pa, uint64_t skip_page, vm_prot_t skip_prot,
                           unsigned sharers)
{
    uvmsim_pmap_stats s = stats(f);
    ck_assert_uint_eq(s.large_live, 0);
    for (uint64_t i = 0; i < f->npages; i++) {
        paddr_t got;
        vm_prot_t prot;
        bool mapped = uvmsim_pmap_extract(f->pm, va + i * PG, &got, &prot);
        if (i == skip_page) {
            ck_assert(skip_prot == UVMSIM_PROT_NONE ? !mapped : (mapped && prot == skip_prot));
            continue;
        }
        ck_assert(mapped);
        ck_assert_uint_eq(got, pa + i * PG);
        ck_assert_uint_eq(prot, RX);
        ck_assert_uint_eq(uvmsim_pmap_pv_count(f->m, pa + i * PG), sharers);
        ck_assert(uvmsim_pmap_managed(f->pm, va + i * PG, pa + i * PG));
    }
    CHECK_OK(f->m);
}

START_TEST(test_demote_protect_part)
{
    find_cases();
    for (unsigned c = 0; c < ncases; c++) {
        struct fx f;
        fx_make(&f, &cases[c], 16u << 20);
        enter_big(&f, VA_BASE, DEV_BASE);
        mmu(&f, VA_BASE + 5 * PG, UVMSIM_ACCESS_LOAD);
        uvmsim_pmap_protect(f.pm, VA_BASE + 5 * PG, VA_BASE + 6 * PG, UVMSIM_PROT_READ);
        uvmsim_pmap_stats s = stats(&f);
        ck_assert_uint_eq(s.demotions, 1);
        ck_assert_uint_eq(s.pv_entries, f.npages);
        ck_assert_uint_eq(s.pv_entries_device, f.npages);
        ck_assert_uint_eq(f.pm->resident, f.npages);
        ck_assert_uint_eq(f.pm->pmm->dtlb->nlarge, 0);   /* the large TLB entry went */
        assert_demoted(&f, VA_BASE, DEV_BASE, 5, UVMSIM_PROT_READ, 1);
        paddr_t pa;
        ck_assert_int_eq(uvmsim_pmap_translate(f.pm, VA_BASE + 5 * PG, UVMSIM_ACCESS_FETCH, &pa), UVMSIM_EACCES);
        ck_assert_uint_eq(mmu(&f, VA_BASE + 6 * PG, UVMSIM_ACCESS_FETCH), DEV_BASE + 6 * PG);
        /* a protect of the whole range lowers every page, no more demotion */
        uvmsim_pmap_protect(f.pm, VA_BASE, VA_BASE + f.len, UVMSIM_PROT_READ);
        ck_assert_uint_eq(stats(&f).demotions, 1);
        /* a protect that changes nothing splits nothing */
        enter_big(&f, VA_BASE + f.len, DEV_BASE + f.len);
        uvmsim_pmap_protect(f.pm, VA_BASE + f.len + PG, VA_BASE + f.len + 2 * PG, RX);
        ck_assert_uint_eq(stats(&f).demotions, 1);
        ck_assert_uint_eq(stats(&f).large_live, 1);
        fx_done(&f);
    }
}
END_TEST

START_TEST(test_demote_remove_part)
{
    find_cases();
    for (unsigned c = 0; c < ncases; c++) {
        struct fx f;
        fx_make(&f, &cases[c], 16u << 20);
        enter_big(&f, VA_BASE, DEV_BASE);
        uvmsim_pmap_remove(f.pm, VA_BASE + f.len - PG, VA_BASE + f.len + PG);
        uvmsim_pmap_stats s = stats(&f);
        ck_assert_uint_eq(s.demotions, 1);
        ck_assert_uint_eq(s.pv_entries, f.npages - 1);
        ck_assert_uint_eq(f.pm->resident, f.npages - 1);
        assert_demoted(&f, VA_BASE, DEV_BASE, f.npages - 1, UVMSIM_PROT_NONE, 1);
        fx_done(&f);
    }
}
END_TEST

/* A one-page enter inside a large mapping (a copy-on-write promotion puts an anon there). */
START_TEST(test_demote_enter_one)
{
    find_cases();
    for (unsigned c = 0; c < ncases; c++) {
        struct fx f;
        fx_make(&f, &cases[c], 16u << 20);
        enter_big(&f, VA_BASE, DEV_BASE);
        mmu(&f, VA_BASE, UVMSIM_ACCESS_LOAD);
        paddr_t ram;
        ck_assert_int_eq(uvmsim_ram_alloc(f.m, true, &ram), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_enter(f.pm, VA_BASE + 2 * PG, ram, UVMSIM_PROT_ALL, 0), UVMSIM_OK);
        uvmsim_pmap_stats s = stats(&f);
        ck_assert_uint_eq(s.demotions, 1);
        ck_assert_uint_eq(s.pv_entries, f.npages);            /* n - 1 device + 1 RAM */
        ck_assert_uint_eq(s.pv_entries_device, f.npages - 1);
        ck_assert_uint_eq(mmu(&f, VA_BASE + 2 * PG + 1, UVMSIM_ACCESS_STORE), ram + 1);
        ck_assert_uint_eq(mmu(&f, VA_BASE + 3 * PG, UVMSIM_ACCESS_LOAD), DEV_BASE + 3 * PG);
        CHECK_OK(f.m);
        uvmsim_pmap_remove(f.pm, VA_BASE + 2 * PG, VA_BASE + 3 * PG);
        ck_assert_int_eq(uvmsim_ram_free(f.m, ram), UVMSIM_OK);
        fx_done(&f);
    }
}
END_TEST

/* page_protect of one device page of a large mapping (what a copy-on-write fault on a
 * shared amap does to the object page): split, then that page alone loses its mapping;
 * page_protect with rights the mapping keeps splits nothing. */
START_TEST(test_demote_page_protect)
{
    find_cases();
    for (unsigned c = 0; c < ncases; c++) {
        struct fx f;
        fx_make(&f, &cases[c], 16u << 20);
        enter_big(&f, VA_BASE, DEV_BASE);
        struct pmap *other;
        ck_assert_int_eq(uvmsim_pmap_create(f.m, 2, &other), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_enter_large(other, VA_BASE + 4 * f.len, DEV_BASE, f.lshift, RX, 0), UVMSIM_OK);
        ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, DEV_BASE + 9 * PG), 2);
        uvmsim_pmap_page_protect(f.m, DEV_BASE + 9 * PG, RX);
        ck_assert_uint_eq(stats(&f).demotions, 0);
        uvmsim_pmap_page_protect(f.m, DEV_BASE + 9 * PG, UVMSIM_PROT_NONE);
        uvmsim_pmap_stats s = stats(&f);
        ck_assert_uint_eq(s.demotions, 2);
        ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, DEV_BASE + 9 * PG), 0);
        ck_assert_uint_eq(s.pv_entries, 2 * (f.npages - 1));
        ck_assert_uint_eq(other->resident, f.npages - 1);
        assert_demoted(&f, VA_BASE, DEV_BASE, 9, UVMSIM_PROT_NONE, 2);
        uvmsim_pmap_destroy(other);
        fx_done(&f);
    }
}
END_TEST

/* Without RAM for the table a split needs (a section's coarse table, a 2 MiB page's leaf
 * table), the large mapping is removed whole and counted; a 64 KiB page (ARM's large
 * page, generic's contiguous run) splits in its own table and needs nothing. */
START_TEST(test_demote_without_ram)
{
    find_cases();
    for (unsigned c = 0; c < ncases; c++) {
        struct fx f;
        fx_make(&f, &cases[c], 1u << 20);
        enter_big(&f, VA_BASE, DEV_BASE);
        paddr_t *held = malloc(256 * sizeof(*held));
        unsigned nheld = 0;
        while (nheld < 256 && uvmsim_ram_alloc(f.m, false, &held[nheld]) == UVMSIM_OK)
            nheld++;
        ck_assert_uint_lt(nheld, 256);                 /* RAM is full now */
        uvmsim_pmap_remove(f.pm, VA_BASE + PG, VA_BASE + 2 * PG);
        uvmsim_pmap_stats s = stats(&f);
        bool needs_table = (PG << f.lshift) != 64 * 1024;
        if (needs_table) {
            ck_assert_uint_eq(s.demotions, 0);
            ck_assert_uint_eq(s.demotion_drops, 1);
            ck_assert_uint_eq(f.pm->resident, 0);
            ck_assert_uint_eq(s.pv_entries, 0);
        } else {
            ck_assert_uint_eq(s.demotions, 1);
            ck_assert_uint_eq(f.pm->resident, f.npages - 1);
        }
        CHECK_OK(f.m);
        for (unsigned i = 0; i < nheld; i++)
            ck_assert_int_eq(uvmsim_ram_free(f.m, held[i]), UVMSIM_OK);
        free(held);
        fx_done(&f);
    }
}
END_TEST

static uint64_t rd(uvmsim_machine *m, paddr_t pa, unsigned n)
{
    uint8_t b[8] = {0};
    ck_assert_int_eq(uvmsim_phys_read(m, pa, b, n), UVMSIM_OK);
    uint64_t v = 0;
    for (int i = (int)n - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static void wr(uvmsim_machine *m, paddr_t pa, uint64_t v, unsigned n)
{
    uint8_t b[8];
    for (unsigned i = 0; i < n; i++, v >>= 8)
        b[i] = (uint8_t)v;
    ck_assert_int_eq(uvmsim_phys_write(m, pa, b, n), UVMSIM_OK);
}

/* Where the descriptor of a large mapping at va sits in RAM, and its width. */
static paddr_t desc_pa(struct fx *f, vaddr_t va, unsigned *width)
{
    paddr_t pa;
    if (strcmp(uvmsim_pmap_backend_name(f->m), "generic") == 0) {
        ck_assert(uvmsim_pmap_generic_pte_pa(f->pm, va, &pa));
        *width = 8;
        return pa;
    }
    *width = 4;
    ck_assert(uvmsim_pmap_arm_l1_pa(f->pm, (unsigned)(va >> 20), &pa));
    if (f->lshift == ARM_SECTION_LSHIFT)
        return pa;
    uint32_t l1 = (uint32_t)rd(f->m, pa, 4);
    return (l1 & L1_COARSE_BASE) + ((va >> 12) & 0xff) * 4;
}

START_TEST(test_checker_catches)
{
    find_cases();
    for (unsigned c = 0; c < ncases; c++) {
        struct fx f;
        fx_make(&f, &cases[c], 16u << 20);
        enter_big(&f, VA_BASE, DEV_BASE);
        unsigned w;
        paddr_t dpa = desc_pa(&f, VA_BASE, &w);
        uint64_t good = rd(f.m, dpa, w);
        /* 1. the frame of the large descriptor moved: the PV entry names no such mapping */
        wr(f.m, dpa, good + f.len, w);
        CHECK_FAILS(f.m, "PV entry");
        wr(f.m, dpa, good, w);
        CHECK_OK(f.m);
        if (w == 4 && f.lshift == ARM_LARGE_LSHIFT) {
            /* 2. ARM: one of the 16 copies of a large-page descriptor differs */
            paddr_t last = desc_pa(&f, VA_BASE + f.len - PG, &w);
            wr(f.m, last, good + (1u << ARM_LARGE_SHIFT), 4);
            CHECK_FAILS(f.m, "copy of a large-page entry");
            wr(f.m, last, good, 4);
        } else if (w == 4) {
            /* 2. ARM: the section's AP bits disagree with its shadow */
            wr(f.m, dpa, good ^ (1u << L1_SECT_AP_SHIFT), 4);
            CHECK_FAILS(f.m, "disagrees with its shadow");
            wr(f.m, dpa, good, 4);
        } else {
            /* 2. generic: a large leaf granting write on read-only NOR */
            wr(f.m, dpa, good | 0x4, 8);
            CHECK_FAILS(f.m, "segment allows");
            wr(f.m, dpa, good, 8);
        }
        CHECK_OK(f.m);
        /* 3. a large TLB entry that says more than the tables: another frame */
        mmu(&f, VA_BASE, UVMSIM_ACCESS_LOAD);
        struct tlb *t = f.pm->pmm->dtlb;
        uint32_t asid = uvmsim_pmap_generic_asid(f.pm);
        struct tlb_entry *e = uvmsim_tlb_probe(t, asid, VA_BASE >> 12);
        ck_assert_ptr_nonnull(e);
        ck_assert_uint_eq(e->lshift, f.lshift);
        e->pfn_pa += f.len;
        CHECK_FAILS(f.m, "exceeds the tables");
        e->pfn_pa -= f.len;
        CHECK_OK(f.m);
        /* 4. a one-page entry for a page the large entry covers: two entries, one page */
        uvmsim_tlb_insert(t, asid, (VA_BASE >> 12) + 3, DEV_BASE + 3 * PG, UVMSIM_PROT_READ, e->domain);
        CHECK_FAILS(f.m, "overlaps another valid entry");
        uvmsim_tlb_invalidate(t, asid, (VA_BASE >> 12) + 3);
        ck_assert_ptr_null(uvmsim_tlb_probe(t, asid, VA_BASE >> 12));   /* both went */
        CHECK_OK(f.m);
        /* 5. the large-mapping counters */
        f.pm->pmm->st.large_live++;
        CHECK_FAILS(f.m, "large mappings");
        f.pm->pmm->st.large_live--;
        fx_done(&f);
    }
}
END_TEST

/* generic: the PTEs of a contiguous run agree in everything but their frames, which
 * follow the first one's; a run PTE that differs in any of that, a mark on a PTE that no
 * run holds, and a TLB entry wider than what the tables map are all caught. */
START_TEST(test_checker_generic_run)
{
    struct lcase c = {"generic", 0};
    uvmsim_machine *m = vt_machine(16u << 20, "generic");
    unsigned ls[4];
    unsigned n = uvmsim_pmap_large_sizes(m, ls, 4);
    uvmsim_machine_destroy(m);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(PG << ls[1], 64 * 1024);     /* 2 MiB first, then the 64 KiB run */
    c.lshift = ls[1];
    struct fx f;
    fx_make(&f, &c, 16u << 20);
    enter_big(&f, VA_BASE, DEV_BASE);
    /* every PTE of the run holds its own page's frame, the run's rights and the mark */
    uint64_t pte[16];
    for (unsigned i = 0; i < 16; i++) {
        paddr_t at;
        ck_assert(uvmsim_pmap_generic_pte_pa(f.pm, VA_BASE + i * PG, &at));
        pte[i] = rd(f.m, at, 8);
        ck_assert_uint_eq(pte[i] & ~(uint64_t)(PG - 1), DEV_BASE + i * PG);
        ck_assert_uint_eq(pte[i] - i * PG, pte[0]);
        ck_assert(pte[i] & UVMSIM_GENERIC_PTE_CONT);
    }
    paddr_t mid;
    ck_assert(uvmsim_pmap_generic_pte_pa(f.pm, VA_BASE + 7 * PG, &mid));
    const struct { const char *what; uint64_t bad; } bad[] = {
        {"another frame", pte[7] + PG},
        {"fewer rights", pte[7] & ~0x8ull},                /* no EXEC */
        {"wired", pte[7] | 0x10ull},
        {"no mark", pte[7] & ~UVMSIM_GENERIC_PTE_CONT},
        {"invalid", 0},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        wr(f.m, mid, bad[k].bad, 8);
        char msg[256] = "";
        int err = uvmsim_pmap_check(f.m, msg, sizeof msg);
        ck_assert_msg(err == UVMSIM_ESTATE && strstr(msg, "PTE 7 of 16") != NULL, "%s: (%d) %s", bad[k].what, err,
                      msg);
        wr(f.m, mid, pte[7], 8);
        CHECK_OK(f.m);
    }
    /* a mark on a one-page PTE outside any run */
    vaddr_t lone = VA_BASE + 4 * f.len + 3 * PG;
    ck_assert_int_eq(uvmsim_pmap_enter(f.pm, lone, DEV_BASE + 4 * f.len + 3 * PG, RX, 0), UVMSIM_OK);
    paddr_t lpa;
    ck_assert(uvmsim_pmap_generic_pte_pa(f.pm, lone, &lpa));
    uint64_t lgood = rd(f.m, lpa, 8);
    wr(f.m, lpa, lgood | UVMSIM_GENERIC_PTE_CONT, 8);
    CHECK_FAILS(f.m, "pid 1");
    wr(f.m, lpa, lgood, 8);
    CHECK_OK(f.m);
    /* TLB: a 2 MiB entry over the 64 KiB run */
    struct tlb *t = f.pm->pmm->dtlb;
    mmu(&f, VA_BASE, UVMSIM_ACCESS_LOAD);
    uint32_t asid = uvmsim_pmap_generic_asid(f.pm);
    uvmsim_tlb_invalidate(t, asid, VA_BASE >> 12);
    uvmsim_tlb_insert_sized(t, asid, VA_BASE >> 12, 9, DEV_BASE, UVMSIM_PROT_READ, 0);
    CHECK_FAILS(f.m, "exceeds the tables");
    uvmsim_tlb_invalidate(t, asid, VA_BASE >> 12);
    CHECK_OK(f.m);
    /* TLB: a 64 KiB entry kept after the run was split into one-page PTEs */
    uvmsim_pmap_demote(f.pm, VA_BASE + PG);
    ck_assert_uint_eq(stats(&f).demotions, 1);
    for (unsigned i = 0; i < 16; i++) {
        paddr_t at;
        ck_assert(uvmsim_pmap_generic_pte_pa(f.pm, VA_BASE + i * PG, &at));
        ck_assert_uint_eq(rd(f.m, at, 8), pte[i] & ~UVMSIM_GENERIC_PTE_CONT);   /* same frame and rights */
    }
    CHECK_OK(f.m);
    uvmsim_tlb_insert_sized(t, asid, VA_BASE >> 12, f.lshift, DEV_BASE, UVMSIM_PROT_READ, 0);
    CHECK_FAILS(f.m, "exceeds the tables");
    uvmsim_tlb_invalidate(t, asid, VA_BASE >> 12);
    fx_done(&f);
}
END_TEST

/* A backend's two sizes never overlap: a large mapping over a range that holds one of the
 * other size is refused either way round (EBUSY, nothing changed); side by side they
 * live, and the TLB holds one entry of each. */
START_TEST(test_sizes_do_not_overlap)
{
    const char *backend = vt_backends()[_i];
    uvmsim_machine *m0 = vt_machine(16u << 20, backend);
    unsigned ls[4];
    unsigned n = uvmsim_pmap_large_sizes(m0, ls, 4);
    uvmsim_machine_destroy(m0);
    ck_assert_uint_eq(n, 2);                         /* every backend maps two sizes */
    ck_assert_uint_gt(ls[0], ls[1]);                 /* largest first */
    struct lcase c = {backend, ls[0]};
    struct fx f;
    fx_make(&f, &c, 16u << 20);
    uint64_t slen = (uint64_t)PG << ls[1];
    ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE + slen, DEV_BASE + slen, ls[1], RX, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE, DEV_BASE, ls[0], RX, 0), UVMSIM_EBUSY);
    ck_assert_uint_eq(stats(&f).large_live, 1);
    CHECK_OK(f.m);
    uvmsim_pmap_remove(f.pm, VA_BASE, VA_BASE + f.len);
    enter_big(&f, VA_BASE, DEV_BASE);
    ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE + slen, DEV_BASE + slen, ls[1], RX, 0), UVMSIM_EBUSY);
    ck_assert_int_eq(uvmsim_pmap_enter_large(f.pm, VA_BASE + f.len, DEV_BASE + f.len, ls[1], RX, 0), UVMSIM_OK);
    uvmsim_pmap_stats s = stats(&f);
    ck_assert_uint_eq(s.large_live, 2);
    ck_assert_uint_eq(s.large_bytes, f.len + slen);
    ck_assert_uint_eq(s.demotions, 0);
    ck_assert_uint_eq(mmu(&f, VA_BASE + f.len - 4, UVMSIM_ACCESS_LOAD), DEV_BASE + f.len - 4);
    ck_assert_uint_eq(mmu(&f, VA_BASE + f.len + slen - 4, UVMSIM_ACCESS_LOAD), DEV_BASE + f.len + slen - 4);
    ck_assert_uint_eq(f.pm->pmm->dtlb->nlarge, 2);
    ck_assert_uint_eq(stats(&f).dtlb.reach, f.len + slen);
    CHECK_OK(f.m);
    fx_done(&f);
}
END_TEST

/* generic at every page size: a 2 MiB-style page is the span of a leaf table (pages up
 * to 4 KiB), a run is 64 KiB of PTEs (at least two, fewer than a leaf table holds).  Each
 * size maps, serves every page from one TLB fill, and splits on a protect of one page. */
START_TEST(test_generic_page_sizes)
{
    static const struct { size_t page; unsigned n, ls[2]; } want[] = {
        {512, 1, {6}},            /* 32 KiB leaf span; 64 KiB would not fit in a leaf table */
        {1024, 2, {7, 6}},        /* 128 KiB, and 64 KiB runs of 64 PTEs */
        {2048, 2, {8, 5}},
        {4096, 2, {9, 4}},        /* 2 MiB, 16 PTEs */
        {8192, 1, {3}},           /* no leaf-span page past 512 PTEs; runs of 8 */
        {32768, 1, {1}},
        {65536, 0, {0}},          /* a run would be one PTE */
    };
    for (size_t c = 0; c < sizeof want / sizeof want[0]; c++) {
        size_t pg = want[c].page;
        uvmsim_machine_config cfg;
        uvmsim_machine_config_init(&cfg);
        cfg.pmap = "generic";
        cfg.page_size = pg;
        cfg.ram_size = 16u << 20;
        uvmsim_machine *m;
        ck_assert_int_eq(uvmsim_machine_create(&cfg, &m), UVMSIM_OK);
        uint8_t *dev = calloc(1, DEV_SIZE);
        ck_assert_ptr_nonnull(dev);
        for (size_t i = 0; i < DEV_SIZE; i += 4) {
            uint32_t w = (uint32_t)(DEV_BASE + i);
            memcpy(dev + i, &w, 4);
        }
        ck_assert_int_eq(uvmsim_physload_device(m, DEV_BASE, DEV_BASE + DEV_SIZE, RX, dev), UVMSIM_OK);
        struct pmap *pm;
        ck_assert_int_eq(uvmsim_pmap_create(m, 1, &pm), UVMSIM_OK);
        unsigned ls[4];
        unsigned n = uvmsim_pmap_large_sizes(m, ls, 4);
        ck_assert_msg(n == want[c].n, "%zu-byte pages: %u sizes", pg, n);
        for (unsigned k = 0; k < n; k++) {
            ck_assert_uint_eq(ls[k], want[c].ls[k]);
            uint64_t npages = 1ull << ls[k], len = npages * pg;
            vaddr_t va = VA_BASE + k * (2u << 20);
            paddr_t pa = DEV_BASE + k * (2u << 20);
            ck_assert_int_eq(uvmsim_pmap_enter_large(pm, va, pa, ls[k], RX, 0), UVMSIM_OK);
            uvmsim_pmap_stats s0;
            uvmsim_pmap_stats_get(m, &s0);
            for (uint64_t i = 0; i < npages; i++) {
                paddr_t got;
                ck_assert_int_eq(uvmsim_pmap_translate(pm, va + i * pg + 8, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
                ck_assert_uint_eq(got, pa + i * pg + 8);
            }
            uvmsim_pmap_stats s;
            uvmsim_pmap_stats_get(m, &s);
            ck_assert_uint_eq(s.dtlb.misses - s0.dtlb.misses, 1);
            ck_assert_uint_eq(s.dtlb.large_hits - s0.dtlb.large_hits, npages - 1);
            ck_assert_uint_eq(s.large_bytes, len);
            CHECK_OK(m);
            uvmsim_pmap_protect(pm, va + len - pg, va + len, UVMSIM_PROT_READ);
            uvmsim_pmap_stats_get(m, &s);
            ck_assert_uint_eq(s.demotions, k + 1);
            ck_assert_uint_eq(s.pv_entries, npages);
            paddr_t got;
            vm_prot_t prot;
            ck_assert(uvmsim_pmap_extract(pm, va + len - 2 * pg, &got, &prot));
            ck_assert_uint_eq(got, pa + len - 2 * pg);
            ck_assert_uint_eq(prot, RX);
            CHECK_OK(m);
            uvmsim_pmap_remove(pm, va, va + len);
        }
        uvmsim_pmap_destroy(pm);
        CHECK_OK(m);
        uvmsim_machine_destroy(m);
        free(dev);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pmap-large");
    TCase *tc = tcase_create("large");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_enter_and_refusals);
    tcase_add_test(tc, test_tlb_hits_across);
    tcase_add_test(tc, test_promotion);
    tcase_add_test(tc, test_demote_protect_part);
    tcase_add_test(tc, test_demote_remove_part);
    tcase_add_test(tc, test_demote_enter_one);
    tcase_add_test(tc, test_demote_page_protect);
    tcase_add_test(tc, test_demote_without_ram);
    tcase_add_test(tc, test_checker_catches);
    tcase_add_test(tc, test_checker_generic_run);
    tcase_add_test(tc, test_generic_page_sizes);
    suite_add_tcase(s, tc);
    vt_tcase_each_backend(s, "sizes", test_sizes_do_not_overlap);
    return vt_run(s);
}
