/* Check suite for src/pmap_sim/pmap.c and pmap_generic.c, without the VM: pmaps are
 * created directly, RAM pages come from uvmsim_ram_alloc and device pages from a device
 * segment over a host buffer.  Covers the backend registry, enter/remove/protect/
 * page_protect/extract, PV on RAM and in the device hash, the MMU (translate), ASIDs,
 * page tables in RAM, ENOMEM atomicity, trace events, and the checker failing on
 * deliberately broken state. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pmap_sim/pmap_impl.h"
#include "vmtest.h"

#define PG 4096u
#define DEV_BASE 0x80000000ull
#define DEV_PAGES 16u

#define CHECK_OK(m) do { \
        char msg_[256] = ""; \
        int e_ = uvmsim_pmap_check((m), msg_, sizeof(msg_)); \
        ck_assert_msg(e_ == UVMSIM_OK, "check: %s (%d)", msg_, e_); \
    } while (0)

struct fx {
    uvmsim_machine *m;
    uint8_t *dev;             /* host bytes behind the device segment (ours) */
};

static void fx_make(struct fx *f, const uvmsim_machine_config *cfg, bool device)
{
    f->m = NULL;
    f->dev = NULL;
    ck_assert_int_eq(uvmsim_machine_create(cfg, &f->m), UVMSIM_OK);
    if (device) {
        size_t psz = uvmsim_page_size(f->m);
        f->dev = calloc(DEV_PAGES, psz);
        ck_assert_ptr_nonnull(f->dev);
        ck_assert_int_eq(uvmsim_physload_device(f->m, DEV_BASE, DEV_BASE + DEV_PAGES * psz,
                                                UVMSIM_PROT_READ | UVMSIM_PROT_EXEC, f->dev), UVMSIM_OK);
    }
}

static void fx_default(struct fx *f)
{
    fx_make(f, NULL, true);
}

static void fx_done(struct fx *f)
{
    CHECK_OK(f->m);
    uvmsim_machine_destroy(f->m);
    free(f->dev);
}

static paddr_t ram(uvmsim_machine *m)
{
    paddr_t pa;
    ck_assert_int_eq(uvmsim_ram_alloc(m, true, &pa), UVMSIM_OK);
    return pa;
}

static struct pmap *mkpmap(uvmsim_machine *m, int pid)
{
    struct pmap *pm = NULL;
    ck_assert_int_eq(uvmsim_pmap_create(m, pid, &pm), UVMSIM_OK);
    return pm;
}

static uvmsim_pmap_stats stats(uvmsim_machine *m)
{
    uvmsim_pmap_stats s;
    uvmsim_pmap_stats_get(m, &s);
    return s;
}

/* ---- registry and machine ---- */

START_TEST(test_registry)
{
    const char *const *names = uvmsim_pmap_backends();
    ck_assert_ptr_nonnull(names);
    ck_assert_str_eq(names[0], "generic");
    for (size_t i = 0; names[i] != NULL; i++)
        ck_assert_ptr_nonnull(uvmsim_pmap_ops_find(names[i]));
    ck_assert_ptr_null(uvmsim_pmap_ops_find("nope"));
    ck_assert_ptr_null(uvmsim_pmap_ops_find(NULL));

    uvmsim_machine_config cfg;
    uvmsim_machine_config_init(&cfg);
    cfg.pmap = "nope";
    uvmsim_machine *m = (uvmsim_machine *)1;
    ck_assert_int_eq(uvmsim_machine_create(&cfg, &m), UVMSIM_EINVAL);
    ck_assert_ptr_null(m);

    struct fx f;
    fx_default(&f);
    ck_assert_str_eq(uvmsim_pmap_backend_name(f.m), "generic");
    ck_assert_ptr_null(uvmsim_pmap_backend_name(NULL));
    uvmsim_pmap_stats s = stats(f.m);
    ck_assert_str_eq(s.backend, "generic");
    ck_assert_uint_eq(s.pv_hash_buckets, 1024);
    ck_assert_uint_eq(s.ptp_pages, 0);
    ck_assert_ptr_null(s.domain_policy);
    fx_done(&f);
}
END_TEST

START_TEST(test_null_args)
{
    struct fx f;
    fx_default(&f);
    struct pmap *pm = mkpmap(f.m, 1);
    paddr_t pa;
    ck_assert_int_eq(uvmsim_pmap_create(NULL, 1, &pm), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_create(f.m, 1, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_enter(NULL, 0, 0, UVMSIM_PROT_READ, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_translate(NULL, 0, UVMSIM_ACCESS_LOAD, &pa), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0, UVMSIM_ACCESS_LOAD, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0, (uvmsim_access)7, &pa), UVMSIM_EINVAL);
    ck_assert(!uvmsim_pmap_extract(NULL, 0, &pa, NULL));
    ck_assert_int_eq(uvmsim_pmap_check(NULL, NULL, 0), UVMSIM_EINVAL);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(NULL, 0), 0);
    uvmsim_pmap_remove(NULL, 0, PG);
    uvmsim_pmap_protect(NULL, 0, PG, UVMSIM_PROT_READ);
    uvmsim_pmap_page_protect(NULL, 0, UVMSIM_PROT_NONE);
    uvmsim_pmap_activate(NULL);
    uvmsim_pmap_destroy(NULL);
    uvmsim_pmap_pv_foreach(f.m, 0, NULL, NULL);
    uvmsim_pmap_stats_get(f.m, NULL);
    uvmsim_pmap_stats s;
    memset(&s, 0xff, sizeof(s));
    uvmsim_pmap_stats_get(NULL, &s);
    ck_assert_uint_eq(s.enters, 0);
    ck_assert_ptr_null(s.backend);
    ck_assert_uint_eq(uvmsim_pmap_generic_asid(NULL), 0);
    ck_assert(!uvmsim_pmap_generic_pte_pa(NULL, 0, &pa));
    fx_done(&f);
}
END_TEST

/* ---- enter / extract / remove ---- */

START_TEST(test_enter_extract_remove)
{
    struct fx f;
    fx_default(&f);
    struct pmap *pm = mkpmap(f.m, 1);
    paddr_t pa = ram(f.m), got;
    vm_prot_t prot;
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, pa, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, 0), UVMSIM_OK);
    CHECK_OK(f.m);
    ck_assert(uvmsim_pmap_extract(pm, 0x10123, &got, &prot));
    ck_assert_uint_eq(got, pa + 0x123);
    ck_assert_uint_eq(prot, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE);
    ck_assert(uvmsim_pmap_extract(pm, 0x10000, NULL, NULL));
    ck_assert(!uvmsim_pmap_extract(pm, 0x11000, &got, &prot));
    ck_assert(!uvmsim_pmap_extract(pm, 1ull << 60, &got, &prot));
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, pa), 1);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, pa + 5), 1);   /* any address in the page */
    ck_assert_ptr_nonnull(uvmsim_phys_to_vm_page(f.m, pa)->pvlist);
    ck_assert_uint_eq(pm->resident, 1);
    uvmsim_pmap_stats s = stats(f.m);
    ck_assert_uint_eq(s.enters, 1);
    ck_assert_uint_eq(s.extracts, 4);
    ck_assert_uint_eq(s.pv_entries, 1);
    ck_assert_uint_eq(s.pv_entries_device, 0);

    /* Removing a range that does not cover it changes nothing. */
    uvmsim_pmap_remove(pm, 0x11000, 0x20000);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, pa), 1);
    uvmsim_pmap_remove(pm, 0x10000, 0x11000);
    ck_assert(!uvmsim_pmap_extract(pm, 0x10000, &got, &prot));
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, pa), 0);
    ck_assert_ptr_null(uvmsim_phys_to_vm_page(f.m, pa)->pvlist);
    ck_assert_uint_eq(pm->resident, 0);
    s = stats(f.m);
    ck_assert_uint_eq(s.removes, 2);
    ck_assert_uint_eq(s.pv_entries, 0);
    CHECK_OK(f.m);
    uvmsim_pmap_destroy(pm);
    CHECK_OK(f.m);
    fx_done(&f);
}
END_TEST

START_TEST(test_enter_errors)
{
    struct fx f;
    fx_default(&f);
    struct pmap *pm = mkpmap(f.m, 1);
    paddr_t pa = ram(f.m);
    uvmsim_ram_stats r0, r1;
    uvmsim_ram_stats_get(f.m, &r0);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, pa, UVMSIM_PROT_NONE, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, pa, 8, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10001, pa, UVMSIM_PROT_READ, 0), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, pa + 8, UVMSIM_PROT_READ, 0), UVMSIM_EALIGN);
    /* VAs are 48 bits. */
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 1ull << 48, pa, UVMSIM_PROT_READ, 0), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, ~0ull & ~(uint64_t)(PG - 1), pa, UVMSIM_PROT_READ, 0), UVMSIM_ERANGE);
    /* A pa in no segment (between RAM and the NOR window, nothing registered there). */
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, 0x70000000, UVMSIM_PROT_READ, 0), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, DEV_BASE + DEV_PAGES * PG, UVMSIM_PROT_READ, PMAP_DEVICE), UVMSIM_ERANGE);
    /* The device segment is read/exec only. */
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, DEV_BASE, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, PMAP_DEVICE), UVMSIM_EACCES);
    /* A free page, a page-table page. */
    paddr_t freed = ram(f.m);
    ck_assert_int_eq(uvmsim_ram_free(f.m, freed), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, freed, UVMSIM_PROT_READ, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, pa, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    paddr_t ptep;
    ck_assert(uvmsim_pmap_generic_pte_pa(pm, 0x10000, &ptep));
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x20000, ptep & ~(paddr_t)(PG - 1), UVMSIM_PROT_READ, 0), UVMSIM_EINVAL);
    uvmsim_pmap_remove(pm, 0x10000, 0x11000);
    /* None of the failures left anything behind. */
    uvmsim_ram_stats_get(f.m, &r1);
    ck_assert_uint_eq(r1.ptp_pages, r0.ptp_pages);
    ck_assert_uint_eq(pm->resident, 0);
    ck_assert_uint_eq(stats(f.m).pv_entries, 0);
    ck_assert_uint_eq(stats(f.m).enters, 1);
    fx_done(&f);
}
END_TEST

START_TEST(test_enter_replace)
{
    struct fx f;
    fx_default(&f);
    struct pmap *pm = mkpmap(f.m, 1);
    paddr_t a = ram(f.m), b = ram(f.m), got;
    vm_prot_t prot;
    vaddr_t va = 0x7000;
    ck_assert_int_eq(uvmsim_pmap_enter(pm, va, a, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    uvmsim_pmap_activate(pm);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, va, UVMSIM_ACCESS_STORE, &got), UVMSIM_EACCES);
    /* Same pa, more rights: no PV churn, and the stale read-only TLB entry is gone. */
    struct pv_entry *pv_before = uvmsim_phys_to_vm_page(f.m, a)->pvlist;
    uint64_t inval0 = stats(f.m).dtlb.single_invalidations;
    ck_assert_int_eq(uvmsim_pmap_enter(pm, va, a, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, 0), UVMSIM_OK);
    ck_assert_ptr_eq(uvmsim_phys_to_vm_page(f.m, a)->pvlist, pv_before);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, a), 1);
    ck_assert_uint_eq(stats(f.m).dtlb.single_invalidations, inval0 + 1);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, va, UVMSIM_ACCESS_STORE, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, a);
    CHECK_OK(f.m);
    /* Other pa: the old page loses the mapping, the TLB follows. */
    ck_assert_int_eq(uvmsim_pmap_enter(pm, va, b, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, a), 0);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, b), 1);
    ck_assert_uint_eq(pm->resident, 1);
    ck_assert(uvmsim_pmap_extract(pm, va, &got, &prot));
    ck_assert_uint_eq(got, b);
    ck_assert_uint_eq(prot, UVMSIM_PROT_READ);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, va, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, b);
    CHECK_OK(f.m);
    /* RAM page replaced by a device page: PV moves to the hash. */
    ck_assert_int_eq(uvmsim_pmap_enter(pm, va, DEV_BASE + PG, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC, PMAP_DEVICE), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, b), 0);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, DEV_BASE + PG), 1);
    uvmsim_pmap_stats s = stats(f.m);
    ck_assert_uint_eq(s.pv_entries, 1);
    ck_assert_uint_eq(s.pv_entries_device, 1);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, va + 4, UVMSIM_ACCESS_FETCH, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, DEV_BASE + PG + 4);
    /* ... and back to RAM (the device flag is decided by pa, not by the caller). */
    ck_assert_int_eq(uvmsim_pmap_enter(pm, va, a, UVMSIM_PROT_READ, PMAP_DEVICE | PMAP_WIRED), UVMSIM_OK);
    s = stats(f.m);
    ck_assert_uint_eq(s.pv_entries_device, 0);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, a), 1);
    ck_assert_uint_eq(s.enters, 5);
    fx_done(&f);
}
END_TEST

/* ---- PV ---- */

static void visit(struct pmap *p, vaddr_t va, void *arg)
{
    ck_assert_uint_eq(va, 0x100000);
    ck_assert_ptr_nonnull(p);
    (*(int *)arg)++;
}

START_TEST(test_device_pv_ten_pmaps)
{
    struct fx f;
    fx_default(&f);
    struct pmap *pm[10];
    paddr_t dpa = DEV_BASE + 3 * PG;
    for (int i = 0; i < 10; i++) {
        pm[i] = mkpmap(f.m, i + 1);
        ck_assert_int_eq(uvmsim_pmap_enter(pm[i], 0x100000, dpa, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC, PMAP_DEVICE), UVMSIM_OK);
        /* A second device page in a different bucket, to show the selectivity. */
        ck_assert_int_eq(uvmsim_pmap_enter(pm[i], 0x101000, dpa + PG, UVMSIM_PROT_READ, PMAP_DEVICE), UVMSIM_OK);
    }
    CHECK_OK(f.m);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, dpa), 10);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, dpa + PG), 10);
    uvmsim_pmap_stats s = stats(f.m);
    ck_assert_uint_eq(s.pv_entries, 20);
    ck_assert_uint_eq(s.pv_entries_device, 20);
    ck_assert_uint_eq(s.pv_hash_max_chain, 10);
    ck_assert_uint_eq(s.pv_hash_lookups, 20);        /* one per insertion so far */
    /* Device pages have no vm_page: nothing to hang PV on but the hash. */
    ck_assert_ptr_null(uvmsim_phys_to_vm_page(f.m, dpa));

    int visits = 0;
    uvmsim_pmap_pv_foreach(f.m, dpa, visit, &visits);
    ck_assert_int_eq(visits, 10);

    uvmsim_pmap_page_protect(f.m, dpa, UVMSIM_PROT_NONE);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, dpa), 0);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, dpa + PG), 10);
    for (int i = 0; i < 10; i++) {
        ck_assert(!uvmsim_pmap_extract(pm[i], 0x100000, NULL, NULL));
        ck_assert(uvmsim_pmap_extract(pm[i], 0x101000, NULL, NULL));
        ck_assert_uint_eq(pm[i]->resident, 1);
    }
    s = stats(f.m);
    ck_assert_uint_eq(s.pv_entries, 10);
    ck_assert_uint_eq(s.pv_entries_device, 10);
    ck_assert_uint_eq(s.page_protects, 1);
    ck_assert_uint_eq(s.pv_hash_max_chain, 10);      /* a high-water mark */
    ck_assert_uint_ge(s.pv_hash_steps, 10);
    CHECK_OK(f.m);
    for (int i = 0; i < 10; i++)
        uvmsim_pmap_destroy(pm[i]);
    ck_assert_uint_eq(stats(f.m).pv_entries, 0);
    fx_done(&f);
}
END_TEST

/* One bucket: every device page shares a chain, page_protect must still pick its own. */
START_TEST(test_device_pv_one_bucket)
{
    uvmsim_machine_config cfg;
    uvmsim_machine_config_init(&cfg);
    cfg.pv_hash_buckets = 1;
    struct fx f;
    fx_make(&f, &cfg, true);
    struct pmap *a = mkpmap(f.m, 1), *b = mkpmap(f.m, 2);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_int_eq(uvmsim_pmap_enter(a, 0x1000 * (i + 1), DEV_BASE + i * PG, UVMSIM_PROT_READ, 0), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_enter(b, 0x1000 * (i + 1), DEV_BASE + i * PG, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    }
    ck_assert_uint_eq(stats(f.m).pv_hash_max_chain, 8);
    uvmsim_pmap_page_protect(f.m, DEV_BASE + 2 * PG, UVMSIM_PROT_NONE);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, DEV_BASE + 2 * PG), 0);
    for (unsigned i = 0; i < 4; i++)
        if (i != 2)
            ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, DEV_BASE + i * PG), 2);
    ck_assert_uint_eq(stats(f.m).pv_entries_device, 6);
    CHECK_OK(f.m);
    /* Remove through the range path, too. */
    uvmsim_pmap_remove(a, 0, 1ull << 48);
    ck_assert_uint_eq(stats(f.m).pv_entries_device, 3);
    CHECK_OK(f.m);
    fx_done(&f);
}
END_TEST

START_TEST(test_page_protect_ram)
{
    struct fx f;
    fx_default(&f);
    struct pmap *pm[3];
    paddr_t pa = ram(f.m), got;
    vm_prot_t prot;
    for (int i = 0; i < 3; i++) {
        pm[i] = mkpmap(f.m, i + 1);
        ck_assert_int_eq(uvmsim_pmap_enter(pm[i], 0x5000 + (vaddr_t)i * PG, pa, UVMSIM_PROT_ALL, 0), UVMSIM_OK);
    }
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, pa), 3);
    /* pm[0] has a writable TLB entry. */
    ck_assert_int_eq(uvmsim_pmap_translate(pm[0], 0x5000, UVMSIM_ACCESS_STORE, &got), UVMSIM_OK);
    uvmsim_pmap_page_protect(f.m, pa, UVMSIM_PROT_ALL);        /* nothing to lower */
    ck_assert_uint_eq(stats(f.m).dtlb.single_invalidations, 0);
    uvmsim_pmap_page_protect(f.m, pa, UVMSIM_PROT_READ);
    CHECK_OK(f.m);
    /* Only pm[0] ever ran, so only it can have TLB entries to shoot down. */
    ck_assert_uint_eq(stats(f.m).dtlb.single_invalidations, 1);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, pa), 3);
    for (int i = 0; i < 3; i++) {
        ck_assert(uvmsim_pmap_extract(pm[i], 0x5000 + (vaddr_t)i * PG, NULL, &prot));
        ck_assert_uint_eq(prot, UVMSIM_PROT_READ);
    }
    /* Coherence: the writable TLB entry went with the PTE's write right. */
    ck_assert_int_eq(uvmsim_pmap_translate(pm[0], 0x5000, UVMSIM_ACCESS_STORE, &got), UVMSIM_EACCES);
    ck_assert_int_eq(uvmsim_pmap_translate(pm[0], 0x5000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    /* EXEC on a read-only mapping leaves no right at all: the mappings go. */
    uvmsim_pmap_page_protect(f.m, pa, UVMSIM_PROT_EXEC);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, pa), 0);
    ck_assert_int_eq(uvmsim_pmap_translate(pm[0], 0x5000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_EFAULT);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(pm[i]->resident, 0);
    /* Unmapped page, unknown page: harmless. */
    uvmsim_pmap_page_protect(f.m, pa, UVMSIM_PROT_NONE);
    uvmsim_pmap_page_protect(f.m, 0x70000000, UVMSIM_PROT_NONE);
    ck_assert_uint_eq(stats(f.m).page_protects, 5);
    fx_done(&f);
}
END_TEST

/* ---- range operations ---- */

START_TEST(test_remove_sparse_range)
{
    struct fx f;
    fx_default(&f);
    struct pmap *pm = mkpmap(f.m, 1);
    const vaddr_t vas[] = {0x1000, 0x2000, 0x200000, 0x40000000, 0x400000000000ull,
                           (1ull << 48) - PG};
    const size_t n = sizeof(vas) / sizeof(vas[0]);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(uvmsim_pmap_enter(pm, vas[i], ram(f.m), UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, 0), UVMSIM_OK);
    ck_assert_uint_eq(pm->resident, n);
    CHECK_OK(f.m);
    /* Unaligned bounds round outwards: [0x1800, 0x1801) covers the page at 0x1000. */
    uvmsim_pmap_remove(pm, 0x1800, 0x1801);
    ck_assert(!uvmsim_pmap_extract(pm, 0x1000, NULL, NULL));
    ck_assert(uvmsim_pmap_extract(pm, 0x2000, NULL, NULL));
    /* Empty and inverted ranges do nothing. */
    uvmsim_pmap_remove(pm, 0x2000, 0x2000);
    uvmsim_pmap_remove(pm, 0x3000, 0x2000);
    uvmsim_pmap_remove(pm, 1ull << 50, ~0ull);
    ck_assert_uint_eq(pm->resident, n - 1);
    /* Write-protect everything in the whole 64-bit space: only valid PTEs are visited. */
    uvmsim_pmap_protect(pm, 0, ~0ull, UVMSIM_PROT_READ);
    for (size_t i = 1; i < n; i++) {
        vm_prot_t prot;
        ck_assert(uvmsim_pmap_extract(pm, vas[i], NULL, &prot));
        ck_assert_uint_eq(prot, UVMSIM_PROT_READ);
    }
    CHECK_OK(f.m);
    /* protect to NONE removes. */
    uvmsim_pmap_protect(pm, 0x200000, 0x200000 + PG, UVMSIM_PROT_NONE);
    ck_assert(!uvmsim_pmap_extract(pm, 0x200000, NULL, NULL));
    /* protect to a right the PTE does not have leaves nothing: removed as well. */
    uvmsim_pmap_protect(pm, 0x40000000, 0x40000000 + PG, UVMSIM_PROT_EXEC);
    ck_assert(!uvmsim_pmap_extract(pm, 0x40000000, NULL, NULL));
    uvmsim_pmap_remove(pm, 0, ~0ull);
    ck_assert_uint_eq(pm->resident, 0);
    ck_assert_uint_eq(pm->ptp_pages, 1);             /* only the root is left */
    uvmsim_pmap_stats s = stats(f.m);
    ck_assert_uint_eq(s.pv_entries, 0);
    ck_assert_uint_eq(s.protects, 3);
    ck_assert_uint_eq(s.removes, 5);
    fx_done(&f);
}
END_TEST

/* ---- MMU ---- */

START_TEST(test_translate_kinds)
{
    struct fx f;
    fx_default(&f);
    struct pmap *pm = mkpmap(f.m, 1);
    paddr_t r = ram(f.m), x = ram(f.m), got;
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, r, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x11000, x, UVMSIM_PROT_EXEC, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x12000, DEV_BASE, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC, 0), UVMSIM_OK);
    /* translate on a pmap that is not active switches to it. */
    ck_assert_ptr_null(f.m->pmm->active);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x10010, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_ptr_eq(f.m->pmm->active, pm);
    ck_assert_uint_eq(got, r + 0x10);
    uvmsim_pmap_stats s = stats(f.m);
    ck_assert_uint_eq(s.activations, 1);
    ck_assert_uint_eq(s.dtlb.misses, 1);
    ck_assert_uint_eq(s.dtlb.walks, 1);
    ck_assert_uint_eq(s.dtlb.fills, 1);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x10020, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, r + 0x20);
    ck_assert_uint_eq(stats(f.m).dtlb.hits, 1);
    /* Faults: absent, and each missing right (on a miss and on a hit). */
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x20000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_EFAULT);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 1ull << 48, UVMSIM_ACCESS_LOAD, &got), UVMSIM_EFAULT);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x10000, UVMSIM_ACCESS_STORE, &got), UVMSIM_EACCES); /* hit */
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x10000, UVMSIM_ACCESS_FETCH, &got), UVMSIM_EACCES);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x11000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_EACCES);  /* miss */
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x11000, UVMSIM_ACCESS_FETCH, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, x);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x12000, UVMSIM_ACCESS_STORE, &got), UVMSIM_EACCES);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x12fff, UVMSIM_ACCESS_FETCH, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, DEV_BASE + 0xfff);
    s = stats(f.m);
    ck_assert_uint_eq(s.mmu_faults, 6);
    /* EFAULT does not fill; the 0x11000 and 0x12000 walks did. */
    ck_assert_uint_eq(s.dtlb.fills, 3);
    ck_assert_uint_eq(uvmsim_tlb_valid_count(f.m->pmm->dtlb), 3);
    fx_done(&f);
}
END_TEST

/* Two address spaces, same va, different pages: switching keeps both in the TLB. */
START_TEST(test_asid_switch)
{
    struct fx f;
    fx_default(&f);
    struct pmap *a = mkpmap(f.m, 1), *b = mkpmap(f.m, 2);
    paddr_t pa = ram(f.m), pb = ram(f.m), got;
    ck_assert_int_eq(uvmsim_pmap_enter(a, 0x10000, pa, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_enter(b, 0x10000, pb, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_pmap_generic_asid(a), 0);    /* assigned on first activation */
    for (int round = 0; round < 3; round++) {
        uvmsim_pmap_activate(a);
        ck_assert_int_eq(uvmsim_pmap_translate(a, 0x10000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
        ck_assert_uint_eq(got, pa);
        uvmsim_pmap_activate(b);
        ck_assert_int_eq(uvmsim_pmap_translate(b, 0x10000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
        ck_assert_uint_eq(got, pb);
    }
    ck_assert_uint_ne(uvmsim_pmap_generic_asid(a), 0);
    ck_assert_uint_ne(uvmsim_pmap_generic_asid(b), 0);
    ck_assert_uint_ne(uvmsim_pmap_generic_asid(a), uvmsim_pmap_generic_asid(b));
    uvmsim_pmap_stats s = stats(f.m);
    ck_assert_uint_eq(s.activations, 6);
    ck_assert_uint_eq(s.dtlb.misses, 2);
    ck_assert_uint_eq(s.dtlb.hits, 4);
    ck_assert_uint_eq(s.dtlb.full_flushes + s.dtlb.asid_flushes, 0);
    ck_assert_uint_eq(s.switch_cost, 0);
    ck_assert_uint_eq(s.asid_rollovers, 0);
    /* Changing b's mapping only touches b's entry. */
    uvmsim_pmap_remove(b, 0x10000, 0x11000);
    ck_assert_int_eq(uvmsim_pmap_translate(b, 0x10000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_EFAULT);
    uvmsim_pmap_activate(a);
    ck_assert_int_eq(uvmsim_pmap_translate(a, 0x10000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_uint_eq(stats(f.m).dtlb.hits, 5);
    CHECK_OK(f.m);
    /* Destroying the active pmap leaves none active. */
    uvmsim_pmap_destroy(a);
    ck_assert_ptr_null(f.m->pmm->active);
    fx_done(&f);
}
END_TEST

static void rollover(bool split)
{
    uvmsim_machine_config cfg;
    uvmsim_machine_config_init(&cfg);
    cfg.tlb.split = split;
    struct fx f;
    fx_make(&f, &cfg, true);
    struct pmap *keep = mkpmap(f.m, 1);
    paddr_t pk = ram(f.m), pc = ram(f.m), got;
    ck_assert_int_eq(uvmsim_pmap_enter(keep, 0x3000, pk, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_translate(keep, 0x3000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    uint32_t first = uvmsim_pmap_generic_asid(keep);
    ck_assert_uint_eq(first, 1);
    /* 254 more ASIDs are free; the 255th short-lived pmap forces a rollover. */
    for (int i = 0; i < 300; i++) {
        struct pmap *p = mkpmap(f.m, 100 + i);
        ck_assert_int_eq(uvmsim_pmap_enter(p, 0x10000, pc, UVMSIM_PROT_READ, 0), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_translate(p, 0x10000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
        if (i == 253) {        /* the last ASID of generation 1 */
            ck_assert_uint_eq(uvmsim_pmap_generic_asid(p), 255);
            ck_assert_uint_eq(stats(f.m).asid_rollovers, 0);
            CHECK_OK(f.m);
        }
        if (i == 254) {        /* generation 2 starts over at 1 */
            ck_assert_uint_eq(uvmsim_pmap_generic_asid(p), 1);
            ck_assert_uint_eq(stats(f.m).asid_rollovers, 1);
            CHECK_OK(f.m);
        }
        uvmsim_pmap_destroy(p);
    }
    uvmsim_pmap_stats s = stats(f.m);
    ck_assert_uint_eq(s.asid_rollovers, 1);
    ck_assert_uint_eq(s.dtlb.full_flushes, 1);
    ck_assert_uint_eq(s.switch_cost, 1);             /* keep's entry was the only one left */
    ck_assert_uint_eq(uvmsim_pmap_generic_asid(keep), 0);   /* retired by the rollover */
    ck_assert_uint_eq(s.dtlb.misses, 301);
    uvmsim_pmap_activate(keep);
    ck_assert_uint_ne(uvmsim_pmap_generic_asid(keep), 0);
    ck_assert_int_eq(uvmsim_pmap_translate(keep, 0x3000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_uint_eq(stats(f.m).dtlb.misses, 302);  /* its entry was flushed */
    ck_assert_uint_eq(stats(f.m).itlb.full_flushes, split ? 1 : 0);
    fx_done(&f);
}

START_TEST(test_asid_rollover) { rollover(false); }
END_TEST
START_TEST(test_asid_rollover_split) { rollover(true); }
END_TEST

/* ---- page tables in RAM ---- */

START_TEST(test_ptp_accounting)
{
    struct fx f;
    fx_default(&f);
    uvmsim_ram_stats r;
    struct pmap *pm = mkpmap(f.m, 1);
    paddr_t pa = ram(f.m);
    uvmsim_ram_stats_get(f.m, &r);
    ck_assert_uint_eq(r.ptp_pages, 1);                      /* the root */
    /* 4 KiB pages: 4 levels, a leaf table spans 2 MiB, a level-2 table 1 GiB, a
     * level-1 table 512 GiB. */
    const struct { vaddr_t va; bool enter; uint64_t ptp; } steps[] = {
        {0x1000, true, 4},
        {0x2000, true, 4},                                 /* same leaf table */
        {0x200000, true, 5},                               /* new leaf table */
        {1ull << 39, true, 8},                             /* new level 1, 2, 3 */
        {0x1000, false, 8},
        {0x2000, false, 7},                                /* leaf table empty: freed */
        {1ull << 39, false, 4},                            /* three tables freed */
        {0x200000, false, 1},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (steps[i].enter)
            ck_assert_int_eq(uvmsim_pmap_enter(pm, steps[i].va, pa, UVMSIM_PROT_READ, 0), UVMSIM_OK);
        else
            uvmsim_pmap_remove(pm, steps[i].va, steps[i].va + PG);
        uvmsim_ram_stats_get(f.m, &r);
        ck_assert_msg(r.ptp_pages == steps[i].ptp, "step %zu: %llu PTP pages", i,
                      (unsigned long long)r.ptp_pages);
        ck_assert_uint_eq(pm->ptp_pages, steps[i].ptp);
        ck_assert_uint_eq(stats(f.m).ptp_pages, steps[i].ptp);
        CHECK_OK(f.m);
    }
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, pa), 0);
    /* The PTEs are real bytes in RAM: little-endian, pa | flags. */
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x5000, pa, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, 0), UVMSIM_OK);
    paddr_t ptep;
    uint8_t raw[8];
    ck_assert(uvmsim_pmap_generic_pte_pa(pm, 0x5000, &ptep));
    ck_assert_uint_eq(ptep & 7, 0);
    ck_assert_int_eq(uvmsim_phys_read(f.m, ptep, raw, 8), UVMSIM_OK);
    uint64_t pte = 0;
    for (int i = 7; i >= 0; i--)
        pte = pte << 8 | raw[i];
    ck_assert_uint_eq(pte & ~(uint64_t)(PG - 1), pa);
    ck_assert_uint_eq(pte & 1, 1);
    ck_assert(!uvmsim_pmap_generic_pte_pa(pm, 0x400000, &ptep));  /* no leaf table there */
    /* destroy gives every table back. */
    uvmsim_pmap_destroy(pm);
    uvmsim_ram_stats_get(f.m, &r);
    ck_assert_uint_eq(r.ptp_pages, 0);
    fx_done(&f);
}
END_TEST

static void geometry(size_t page_size, unsigned levels)
{
    uvmsim_machine_config cfg;
    uvmsim_machine_config_init(&cfg);
    cfg.page_size = page_size;
    struct fx f;
    fx_make(&f, &cfg, true);
    struct pmap *pm = mkpmap(f.m, 1);
    paddr_t pa = ram(f.m), got;
    vaddr_t top = (1ull << 48) - page_size;
    ck_assert_int_eq(uvmsim_pmap_enter(pm, top, pa, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0, DEV_BASE, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    ck_assert_uint_eq(pm->ptp_pages, 1 + 2 * (levels - 1));
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 1ull << 48, pa, UVMSIM_PROT_READ, 0), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, top + 3, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, pa + 3);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, page_size - 1, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, DEV_BASE + page_size - 1);
    CHECK_OK(f.m);
    uvmsim_pmap_remove(pm, 0, ~0ull);
    ck_assert_uint_eq(pm->ptp_pages, 1);
    fx_done(&f);
}

START_TEST(test_geometry_512) { geometry(512, 7); }
END_TEST
START_TEST(test_geometry_64k) { geometry(65536, 3); }
END_TEST
START_TEST(test_geometry_1m) { geometry(1u << 20, 2); }
END_TEST

/* Tables cannot be had: enter fails with ENOMEM and leaves no half-built path. */
START_TEST(test_enomem_atomic)
{
    uvmsim_machine_config cfg;
    uvmsim_machine_config_init(&cfg);
    cfg.ram_size = 16 * PG;
    struct fx f;
    fx_make(&f, &cfg, true);
    struct pmap *pm = mkpmap(f.m, 1);
    paddr_t held[16];
    unsigned n = 0;
    while (uvmsim_ram_alloc(f.m, false, &held[n]) == UVMSIM_OK)
        n++;
    ck_assert_uint_eq(n, 16 - 2);                     /* zero page, root */
    /* Leave two free pages; the first enter needs three tables. */
    ck_assert_int_eq(uvmsim_ram_free(f.m, held[--n]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_free(f.m, held[--n]), UVMSIM_OK);
    uvmsim_ram_stats r0, r1;
    uvmsim_ram_stats_get(f.m, &r0);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, held[0], UVMSIM_PROT_READ, PMAP_CANFAIL), UVMSIM_ENOMEM);
    uvmsim_ram_stats_get(f.m, &r1);
    ck_assert_uint_eq(r1.free_pages, r0.free_pages);
    ck_assert_uint_eq(r1.ptp_pages, 1);
    ck_assert_uint_eq(r1.alloc_failures, r0.alloc_failures + 1);
    ck_assert_uint_eq(pm->ptp_pages, 1);
    ck_assert_uint_eq(pm->resident, 0);
    ck_assert_uint_eq(uvmsim_pmap_pv_count(f.m, held[0]), 0);
    ck_assert(!uvmsim_pmap_extract(pm, 0x10000, NULL, NULL));
    ck_assert(!uvmsim_pmap_generic_pte_pa(pm, 0x10000, NULL));
    ck_assert_uint_eq(stats(f.m).enters, 0);
    CHECK_OK(f.m);
    /* Device pages need tables too. */
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, DEV_BASE, UVMSIM_PROT_READ, PMAP_DEVICE), UVMSIM_ENOMEM);
    ck_assert_uint_eq(stats(f.m).pv_entries_device, 0);
    /* No RAM for a root either. */
    paddr_t extra[2];
    ck_assert_int_eq(uvmsim_ram_alloc(f.m, false, &extra[0]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_alloc(f.m, false, &extra[1]), UVMSIM_OK);
    struct pmap *none = (struct pmap *)1;
    ck_assert_int_eq(uvmsim_pmap_create(f.m, 2, &none), UVMSIM_ENOMEM);
    ck_assert_ptr_null(none);
    ck_assert_int_eq(uvmsim_ram_free(f.m, extra[0]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_free(f.m, extra[1]), UVMSIM_OK);
    CHECK_OK(f.m);
    /* One more free page and it works. */
    ck_assert_int_eq(uvmsim_ram_free(f.m, held[--n]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, held[0], UVMSIM_PROT_READ, PMAP_CANFAIL), UVMSIM_OK);
    ck_assert_uint_eq(pm->ptp_pages, 4);
    uvmsim_ram_stats_get(f.m, &r1);
    ck_assert_uint_eq(r1.free_pages, 0);
    /* The same leaf table serves a neighbour without any RAM. */
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x11000, DEV_BASE, UVMSIM_PROT_READ, PMAP_DEVICE), UVMSIM_OK);
    CHECK_OK(f.m);
    fx_done(&f);
}
END_TEST

/* ---- the checker must be able to fail ---- */

static void expect_broken(uvmsim_machine *m, const char *needle)
{
    char msg[256] = "";
    ck_assert_int_eq(uvmsim_pmap_check(m, msg, sizeof(msg)), UVMSIM_ESTATE);
    ck_assert_msg(strstr(msg, needle) != NULL, "message '%s' lacks '%s'", msg, needle);
    ck_assert_int_eq(uvmsim_pmap_check(m, NULL, 0), UVMSIM_ESTATE);
}

START_TEST(test_check_detects)
{
    struct fx f;
    fx_default(&f);
    struct pmap *pm = mkpmap(f.m, 7);
    paddr_t pa = ram(f.m), got, ptep;
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x8000, pa, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x8000, UVMSIM_ACCESS_STORE, &got), UVMSIM_OK);
    CHECK_OK(f.m);
    ck_assert(uvmsim_pmap_generic_pte_pa(pm, 0x8000, &ptep));
    uint8_t b0;
    ck_assert_int_eq(uvmsim_phys_read(f.m, ptep, &b0, 1), UVMSIM_OK);

    /* 1. PTE poked invalid behind pmap's back: PV names a PTE that is gone. */
    uint8_t poke = b0 & ~1u;
    ck_assert_int_eq(uvmsim_phys_write(f.m, ptep, &poke, 1), UVMSIM_OK);
    expect_broken(f.m, "has no such PTE");
    /* 2. Write right removed from the PTE: the TLB still grants it. */
    poke = b0 & ~4u;
    ck_assert_int_eq(uvmsim_phys_write(f.m, ptep, &poke, 1), UVMSIM_OK);
    expect_broken(f.m, "exceeds the tables");
    /* 3. PTE retargeted to another page: PV and pa disagree. */
    ck_assert_int_eq(uvmsim_phys_write(f.m, ptep, &b0, 1), UVMSIM_OK);
    CHECK_OK(f.m);
    uint64_t other = (ram(f.m) | b0);
    uint8_t raw[8];
    for (int i = 0; i < 8; i++)
        raw[i] = (uint8_t)(other >> (8 * i));
    uint8_t saved[8];
    ck_assert_int_eq(uvmsim_phys_read(f.m, ptep, saved, 8), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_write(f.m, ptep, raw, 8), UVMSIM_OK);
    expect_broken(f.m, "PTE");
    ck_assert_int_eq(uvmsim_phys_write(f.m, ptep, saved, 8), UVMSIM_OK);
    CHECK_OK(f.m);

    /* 4. A bogus TLB entry for an unmapped page, through the TLB API. */
    uint32_t asid = uvmsim_pmap_generic_asid(pm);
    uvmsim_tlb_insert(f.m->pmm->dtlb, asid, 0x9000 >> 12, pa, UVMSIM_PROT_READ, 0);
    expect_broken(f.m, "exceeds the tables");
    uvmsim_tlb_invalidate(f.m->pmm->dtlb, asid, 0x9000 >> 12);
    /* 5. ... and ones whose ASID belongs to nobody (the first is reported). */
    uvmsim_tlb_insert(f.m->pmm->dtlb, 200, 0x8000 >> 12, pa, UVMSIM_PROT_READ, 0);
    uvmsim_tlb_insert(f.m->pmm->dtlb, 201, 0x8000 >> 12, pa, UVMSIM_PROT_READ, 0);
    expect_broken(f.m, "owned by no pmap");
    uvmsim_tlb_invalidate(f.m->pmm->dtlb, 200, 0x8000 >> 12);
    uvmsim_tlb_invalidate(f.m->pmm->dtlb, 201, 0x8000 >> 12);
    CHECK_OK(f.m);

    /* 6. Counter drift. */
    f.m->pmm->st.pv_entries++;
    expect_broken(f.m, "PV counters");
    f.m->pmm->st.pv_entries--;
    pm->resident++;
    expect_broken(f.m, "resident");
    pm->resident--;
    pm->ptp_pages++;
    expect_broken(f.m, "PTP pages");
    pm->ptp_pages--;
    /* 7. A table's use count out of step with its entries. */
    uvmsim_phys_to_vm_page(f.m, ptep)->offset++;
    expect_broken(f.m, "entries, count");
    uvmsim_phys_to_vm_page(f.m, ptep)->offset--;
    /* 8. A lost PV entry. */
    struct vm_page *pg = uvmsim_phys_to_vm_page(f.m, pa);
    struct pv_entry *pv = pg->pvlist;
    pg->pvlist = NULL;
    f.m->pmm->st.pv_entries--;
    expect_broken(f.m, "has 0 PV entries");
    pg->pvlist = pv;
    f.m->pmm->st.pv_entries++;
    CHECK_OK(f.m);
    fx_done(&f);
}
END_TEST

/* Every other branch of the checker, each provoked and undone. */
START_TEST(test_check_detects_more)
{
    struct fx f;
    fx_default(&f);
    struct pmap_machine *pmm = f.m->pmm;
    struct pmap *pm = mkpmap(f.m, 9);
    paddr_t pa = ram(f.m), ptep;
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x8000, pa, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x9000, DEV_BASE + 5 * PG, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    uvmsim_pmap_activate(pm);
    CHECK_OK(f.m);
    struct vm_page *pg = uvmsim_phys_to_vm_page(f.m, pa);
    struct pv_entry *pv = pg->pvlist;
    struct pmap fake = *pm;

    pv->pv_pmap = &fake;
    expect_broken(f.m, "dead pmap");
    pv->pv_pmap = pm;
    pg->owner = PGO_FREE;
    expect_broken(f.m, "is mapped");
    pg->owner = PGO_OTHER;
    pv->pv_pa = pa + PG;
    expect_broken(f.m, "says pa");
    pv->pv_pa = pa;
    CHECK_OK(f.m);

    unsigned b = (unsigned)(((DEV_BASE + 5 * PG) / PG) % pmm->pv_hash_buckets);
    struct pv_entry *dpv = pmm->pv_hash[b];
    ck_assert_ptr_nonnull(dpv);
    dpv->pv_pa = pa;
    expect_broken(f.m, "misfiled");
    dpv->pv_pa = DEV_BASE + 5 * PG;
    dpv->pv_pmap = &fake;
    expect_broken(f.m, "dead pmap");
    dpv->pv_pmap = pm;
    pmm->pv_hash_len[b]++;
    expect_broken(f.m, "hash chain");
    pmm->pv_hash_len[b]--;
    pmm->active = &fake;
    expect_broken(f.m, "not live");
    pmm->active = pm;
    CHECK_OK(f.m);

    /* Backend-only breakage (the common census is kept consistent on purpose). */
    ck_assert(uvmsim_pmap_generic_pte_pa(pm, 0x8000, &ptep));
    struct vm_page *leaf = uvmsim_phys_to_vm_page(f.m, ptep);
    uvmsim_page_set_owner(f.m, leaf, PGO_OTHER);
    pm->ptp_pages--;
    expect_broken(f.m, "not a PTP page");
    uvmsim_page_set_owner(f.m, leaf, PGO_PTP);
    pm->ptp_pages++;
    uint8_t b0, poke;
    ck_assert_int_eq(uvmsim_phys_read(f.m, ptep, &b0, 1), UVMSIM_OK);
    poke = b0 | 0x40;                                  /* a leaf claiming to be a table */
    ck_assert_int_eq(uvmsim_phys_write(f.m, ptep, &poke, 1), UVMSIM_OK);
    expect_broken(f.m, "wrong kind");
    ck_assert_int_eq(uvmsim_phys_write(f.m, ptep, &b0, 1), UVMSIM_OK);
    pm->ptp_pages++;
    pmm->ptp_shared--;                                 /* wraps: the sum still matches */
    expect_broken(f.m, "ptp_pages says");
    pm->ptp_pages--;
    pmm->ptp_shared++;
    CHECK_OK(f.m);

    /* A non-leaf entry pointing outside every segment reads as absent (no crash): the
     * mappings below it vanish for the walker and the checker says so. */
    paddr_t l2e;
    uint8_t saved[8], bad[8] = {0x41, 0, 0, 0, 0x70, 0, 0, 0};   /* 0x70000000 | T | V */
    ck_assert(uvmsim_pmap_generic_pte_pa(pm, 0x8000, &l2e));
    /* Find the level-2 entry: the parent of the leaf table is the one that names it. */
    paddr_t leaf_tbl = l2e & ~(paddr_t)(PG - 1);
    bool found = false;
    for (unsigned i = 0; i < 4096 && !found; i++) {          /* 16 MiB of RAM at 0 */
        struct vm_page *cand = uvmsim_phys_to_vm_page(f.m, (paddr_t)i * PG);
        if (cand == NULL || cand->owner != PGO_PTP)
            continue;
        for (unsigned k = 0; k < PG / 8 && !found; k++) {
            uint8_t raw[8];
            ck_assert_int_eq(uvmsim_phys_read(f.m, (paddr_t)i * PG + k * 8, raw, 8), UVMSIM_OK);
            uint64_t e = 0;
            for (int j = 7; j >= 0; j--)
                e = e << 8 | raw[j];
            if ((e & 1) && (e & ~(uint64_t)(PG - 1)) == leaf_tbl) {
                l2e = (paddr_t)i * PG + k * 8;
                found = true;
            }
        }
    }
    ck_assert(found);
    ck_assert_int_eq(uvmsim_phys_read(f.m, l2e, saved, 8), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_write(f.m, l2e, bad, 8), UVMSIM_OK);
    ck_assert(!uvmsim_pmap_extract(pm, 0x8000, NULL, NULL));
    expect_broken(f.m, "has no such PTE");
    ck_assert_int_eq(uvmsim_phys_write(f.m, l2e, saved, 8), UVMSIM_OK);
    CHECK_OK(f.m);
    fx_done(&f);
}
END_TEST

/* The backend ops are safe on absent PTEs and odd ranges even though the common layer
 * never asks that of them. */
START_TEST(test_backend_ops_direct)
{
    struct fx f;
    fx_default(&f);
    const struct pmap_ops *ops = f.m->pmm->ops;
    struct pmap *pm = mkpmap(f.m, 1);
    paddr_t pa = ram(f.m);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x8000, pa, UVMSIM_PROT_ALL, 0), UVMSIM_OK);
    ops->remove(pm, 0x40000000);                    /* no leaf table */
    ops->remove(pm, 0x9000);                        /* leaf table, invalid PTE */
    ops->protect(pm, 0x40000000, UVMSIM_PROT_READ);
    ops->protect(pm, 0x9000, UVMSIM_PROT_READ);
    CHECK_OK(f.m);
    struct pmap_pte pte;
    vaddr_t va;
    ck_assert(!ops->next_valid(pm, 0x9000, 0x9000, &va, &pte));
    ck_assert(!ops->next_valid(pm, 0x9000, ~0ull, &va, &pte));
    ck_assert(ops->next_valid(pm, 0, ~0ull, &va, &pte));
    ck_assert_uint_eq(va, 0x8000);
    ck_assert_uint_eq(pte.pa, pa);
    ck_assert_uint_eq(pte.prot, UVMSIM_PROT_ALL);
    ck_assert(!ops->walk(pm, 1ull << 48, &pte));
    ck_assert(!pte.valid);
    ck_assert(ops->walk(pm, 0x8000, &pte));
    ck_assert_uint_eq(pm->ptp_pages, 4);
    ck_assert_uint_eq(pm->resident, 1);
    fx_done(&f);
}
END_TEST

/* ---- trace ---- */

struct evlog {
    unsigned n[UVMSIM_EV_NTYPES];
    uvmsim_event last[UVMSIM_EV_NTYPES];
};

static void log_ev(const uvmsim_event *ev, void *arg)
{
    struct evlog *l = arg;
    l->n[ev->type]++;
    l->last[ev->type] = *ev;
}

START_TEST(test_events)
{
    struct fx f;
    fx_default(&f);
    struct evlog l;
    memset(&l, 0, sizeof(l));
    struct pmap *pm = mkpmap(f.m, 42);
    paddr_t pa = ram(f.m), got;
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, pa, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    /* Silent until a callback is set. */
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x30000, UVMSIM_ACCESS_LOAD, &got), UVMSIM_EFAULT);
    uvmsim_trace_set(f.m, log_ev, &l);
    uvmsim_pmap_activate(pm);
    ck_assert_uint_eq(l.n[UVMSIM_EV_SWITCH], 1);
    ck_assert_int_eq(l.last[UVMSIM_EV_SWITCH].pid, 42);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x10008, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_uint_eq(l.n[UVMSIM_EV_TLB_MISS], 1);
    ck_assert_uint_eq(l.last[UVMSIM_EV_TLB_MISS].va, 0x10008);
    ck_assert_int_eq(l.last[UVMSIM_EV_TLB_MISS].access, UVMSIM_ACCESS_LOAD);
    ck_assert_uint_eq(l.n[UVMSIM_EV_WALK], 1);
    ck_assert_uint_eq(l.last[UVMSIM_EV_WALK].pa, pa);
    ck_assert_uint_eq(l.last[UVMSIM_EV_WALK].a, 1);
    ck_assert_uint_eq(l.last[UVMSIM_EV_WALK].b, UVMSIM_PROT_READ);
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x10008, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_uint_eq(l.n[UVMSIM_EV_TLB_MISS], 1);               /* a hit is quiet */
    ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x20000, UVMSIM_ACCESS_FETCH, &got), UVMSIM_EFAULT);
    ck_assert_uint_eq(l.n[UVMSIM_EV_WALK], 2);
    ck_assert_uint_eq(l.last[UVMSIM_EV_WALK].a, 0);
    uvmsim_pmap_remove(pm, 0x10000, 0x11000);
    ck_assert_uint_eq(l.n[UVMSIM_EV_TLB_INVAL], 1);
    ck_assert_uint_eq(l.last[UVMSIM_EV_TLB_INVAL].va, 0x10000);
    ck_assert_uint_eq(l.last[UVMSIM_EV_TLB_INVAL].b, 1);
    ck_assert_uint_gt(l.last[UVMSIM_EV_TLB_INVAL].seq, l.last[UVMSIM_EV_WALK].seq);
    ck_assert_uint_eq(l.n[UVMSIM_EV_TLB_FLUSH], 0);
    uvmsim_trace_set(f.m, NULL, NULL);
    fx_done(&f);
}
END_TEST

START_TEST(test_destroy_with_live_pmaps)
{
    /* The machine tears down what the caller left: PV entries and tables (valgrind
     * proves nothing leaks). */
    struct fx f;
    fx_default(&f);
    for (int i = 0; i < 4; i++) {
        struct pmap *pm = mkpmap(f.m, i);
        ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x1000, DEV_BASE, UVMSIM_PROT_READ, 0), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x200000000ull, ram(f.m), UVMSIM_PROT_ALL, 0), UVMSIM_OK);
    }
    CHECK_OK(f.m);
    uvmsim_machine_destroy(f.m);
    free(f.dev);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pmap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_null_args);
    tcase_add_test(tc, test_enter_extract_remove);
    tcase_add_test(tc, test_enter_errors);
    tcase_add_test(tc, test_enter_replace);
    tcase_add_test(tc, test_device_pv_ten_pmaps);
    tcase_add_test(tc, test_device_pv_one_bucket);
    tcase_add_test(tc, test_page_protect_ram);
    tcase_add_test(tc, test_remove_sparse_range);
    tcase_add_test(tc, test_translate_kinds);
    tcase_add_test(tc, test_asid_switch);
    tcase_add_test(tc, test_asid_rollover);
    tcase_add_test(tc, test_asid_rollover_split);
    tcase_add_test(tc, test_ptp_accounting);
    tcase_add_test(tc, test_geometry_512);
    tcase_add_test(tc, test_geometry_64k);
    tcase_add_test(tc, test_geometry_1m);
    tcase_add_test(tc, test_enomem_atomic);
    tcase_add_test(tc, test_check_detects);
    tcase_add_test(tc, test_check_detects_more);
    tcase_add_test(tc, test_backend_ops_direct);
    tcase_add_test(tc, test_events);
    tcase_add_test(tc, test_destroy_with_live_pmaps);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
