/* Check suite for the machine core, src/machine/uvm_phys.c and src/machine/machine.c
 * (with create/destroy from src/vm/uvm_machine.c): configuration checks, many machines per process, RAM and device segment registration and look-up, the RAM
 * page allocator and its counters, the zero page, bounds-checked byte access, the
 * metadata report, NULL handling, error strings, the trace hook and the seeded RNG. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "uvmsim/uvmsim.h"
#include "machine/machine_internal.h"
#include "vmtest.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

static uvmsim_machine *mk(uint64_t ram_size)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.ram_size = ram_size;
    uvmsim_machine *m = NULL;
    ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
    ck_assert_ptr_nonnull(m);
    return m;
}

static int try_cfg(const uvmsim_machine_config *c)
{
    uvmsim_machine *m = (uvmsim_machine *)c;   /* must come back NULL on failure */
    int err = uvmsim_machine_create(c, &m);
    if (err == UVMSIM_OK)
        uvmsim_machine_destroy(m);
    else
        ck_assert_ptr_null(m);
    return err;
}

/* ---- configuration ---- */

START_TEST(test_create_default)
{
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(NULL, &m), UVMSIM_OK);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.total_pages, 4096);
    ck_assert_uint_eq(rs.used_pages, 1); /* the zero page */
    ck_assert_uint_eq(rs.free_pages, 4095);
    ck_assert_uint_eq(rs.zero_pages, 1);
    ck_assert_uint_eq(uvmsim_page_size(m), 4096);
    ck_assert_uint_eq(uvmsim_phys_nsegs(m), 1);   /* RAM only: no NOR until a device attaches */
    const uvmsim_machine_config *c = uvmsim_machine_config_get(m);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->pmap, "generic");
    ck_assert_uint_eq(c->nor_base, 0x40000000u);
    uvmsim_machine_destroy(m);
    uvmsim_machine_destroy(NULL);   /* allowed */
}
END_TEST

START_TEST(test_config_init)
{
    uvmsim_machine_config c;
    memset(&c, 0xa5, sizeof(c));
    uvmsim_machine_config_init(&c);
    ck_assert_uint_eq(c.page_size, 4096);
    ck_assert_uint_eq(c.ram_base, 0);
    ck_assert_uint_eq(c.ram_size, 16 * MiB);
    ck_assert_uint_eq(c.nor_base, 0x40000000u);
    ck_assert_uint_eq(c.nor_size, 64 * MiB);
    ck_assert_str_eq(c.pmap, "generic");
    ck_assert_uint_eq(c.tlb.entries, 64);
    ck_assert_uint_eq(c.tlb.ways, 4);
    ck_assert_int_eq(c.tlb.repl, UVMSIM_TLB_LRU);
    ck_assert(!c.tlb.split);
    ck_assert_uint_eq(c.pv_hash_buckets, 1024);
    ck_assert_uint_eq(c.seed, 1);
    uvmsim_machine_config_init(NULL);
}
END_TEST

START_TEST(test_config_validation)
{
    uvmsim_machine_config c;
    ck_assert_int_eq(uvmsim_machine_create(NULL, NULL), UVMSIM_EINVAL);

    /* Page size: power of two in [512, 1 MiB]. */
    static const size_t bad_ps[] = {0, 256, 3000, 4097, 2u << 20};
    for (size_t i = 0; i < sizeof(bad_ps) / sizeof(bad_ps[0]); i++) {
        uvmsim_machine_config_init(&c);
        c.page_size = bad_ps[i];
        ck_assert_int_eq(try_cfg(&c), UVMSIM_EINVAL);
    }
    static const size_t good_ps[] = {512, 8192, 65536};
    for (size_t i = 0; i < sizeof(good_ps) / sizeof(good_ps[0]); i++) {
        uvmsim_machine_config_init(&c);
        c.page_size = good_ps[i];
        c.ram_size = 1 * MiB;
        ck_assert_int_eq(try_cfg(&c), UVMSIM_OK);
    }

    /* RAM size zero; misaligned bases and sizes. */
    uvmsim_machine_config_init(&c);
    c.ram_size = 0;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EINVAL);
    uvmsim_machine_config_init(&c);
    c.ram_base = 100;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EALIGN);
    uvmsim_machine_config_init(&c);
    c.ram_size = 16 * MiB + 512;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EALIGN);
    uvmsim_machine_config_init(&c);
    c.nor_base = 0x40000800u;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EALIGN);
    uvmsim_machine_config_init(&c);
    c.nor_size = 4096 + 1;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EALIGN);

    /* Wrapping past the top of the 64-bit address space. */
    uvmsim_machine_config_init(&c);
    c.ram_base = UINT64_MAX - 4095;   /* page aligned, end would be 2^64 */
    c.ram_size = 4096;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_ERANGE);
    uvmsim_machine_config_init(&c);
    c.nor_base = UINT64_MAX - 4095;
    c.nor_size = 8192;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_ERANGE);

    /* RAM and the NOR window must not overlap: NOR inside RAM, RAM inside NOR, partial
     * from either side.  Adjacent is fine, and so is an empty window. */
    struct { uint64_t rb, rs, nb, ns; int want; } ov[] = {
        {0, 16 * MiB, 4 * MiB, 1 * MiB, UVMSIM_EOVERLAP},
        {8 * MiB, 1 * MiB, 0, 64 * MiB, UVMSIM_EOVERLAP},
        {0, 16 * MiB, 15 * MiB, 4 * MiB, UVMSIM_EOVERLAP},
        {16 * MiB, 16 * MiB, 12 * MiB, 8 * MiB, UVMSIM_EOVERLAP},
        {0, 16 * MiB, 16 * MiB, 4 * MiB, UVMSIM_OK},
        {16 * MiB, 1 * MiB, 0, 16 * MiB, UVMSIM_OK},
        {0, 16 * MiB, 4 * MiB, 0, UVMSIM_OK},
    };
    for (size_t i = 0; i < sizeof(ov) / sizeof(ov[0]); i++) {
        uvmsim_machine_config_init(&c);
        c.ram_base = ov[i].rb;
        c.ram_size = ov[i].rs;
        c.nor_base = ov[i].nb;
        c.nor_size = ov[i].ns;
        ck_assert_msg(try_cfg(&c) == ov[i].want, "overlap case %zu", i);
    }

    /* PV hash, TLB shape, replacement policy. */
    uvmsim_machine_config_init(&c);
    c.pv_hash_buckets = 0;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EINVAL);
    uvmsim_machine_config_init(&c);
    c.tlb.entries = 64;
    c.tlb.ways = 3;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EINVAL);
    uvmsim_machine_config_init(&c);
    c.tlb.entries = 4;
    c.tlb.ways = 8;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EINVAL);
    uvmsim_machine_config_init(&c);
    c.tlb.repl = (uvmsim_tlb_repl)3;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EINVAL);
    uvmsim_machine_config_init(&c);
    c.tlb.entries = 0;   /* TLB disabled */
    ck_assert_int_eq(try_cfg(&c), UVMSIM_OK);

    /* More pages than a segment's free-list index can name (2^32 - 1): refused while
     * registering the boot RAM, before any host memory is asked for. */
    uvmsim_machine_config_init(&c);
    c.ram_size = 1ull << 44;   /* 2^32 pages of 4 KiB */
    c.nor_size = 0;
    ck_assert_int_eq(try_cfg(&c), UVMSIM_ERANGE);
    /* An unknown pmap backend: the machine is torn down again. */
    uvmsim_machine_config_init(&c);
    c.pmap = "no-such-pmap";
    ck_assert_int_eq(try_cfg(&c), UVMSIM_EINVAL);

    /* A NULL pmap name means the default backend. */
    uvmsim_machine_config_init(&c);
    c.pmap = NULL;
    c.ram_size = 1 * MiB;
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
    ck_assert_str_eq(uvmsim_machine_config_get(m)->pmap, "generic");
    uvmsim_machine_destroy(m);
}
END_TEST

/* A refused configuration names the rule it breaks, the backend's rules included; the
 * code is the one uvmsim_machine_create() returns. */
START_TEST(test_config_explain)
{
    static const struct {
        const char *pmap;
        size_t page;
        uint64_t ram_base, nor_base;
        unsigned tlb_entries, tlb_ways;
        int err;
        const char *why;
    } cases[] = {
        {"generic", 4096, 0, 0x40000000u, 64, 4, UVMSIM_OK, ""},
        {"armv5", 4096, 0, 0x40000000u, 64, 4, UVMSIM_OK, ""},
        {"generic", 3000, 0, 0x40000000u, 64, 4, UVMSIM_EINVAL, "page size 3000: must be a power of two"},
        {"armv5", 8192, 0, 0x40000000u, 64, 4, UVMSIM_EINVAL, "the ARM backends model 4 KiB small pages only (page size 8192 asked)"},
        {"fass", 4096, 0, 0x100000000ull, 64, 4, UVMSIM_ERANGE, "the ARM backends have a 32-bit physical address space"},
        {"fass", 4096, 0xfff000000ull, 0x40000000u, 64, 4, UVMSIM_ERANGE, "must end at or below 4 GiB"},
        {"generic", 4096, 0, 0x100000000ull, 64, 4, UVMSIM_OK, ""},
        {"nope", 4096, 0, 0x40000000u, 64, 4, UVMSIM_EINVAL, "no pmap backend 'nope' (have: generic armv5 fass)"},
        {"generic", 4096, 0, 0x40000000u, 64, 3, UVMSIM_EINVAL, "TLB of 64 entries cannot have 3 ways"},
        {"generic", 4096, 0, 0x800000u, 64, 4, UVMSIM_EOVERLAP, "RAM [0x0, 0x1000000) overlaps the NOR window"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uvmsim_machine_config c;
        uvmsim_machine_config_init(&c);
        c.pmap = cases[i].pmap;
        c.page_size = cases[i].page;
        c.ram_base = cases[i].ram_base;
        c.nor_base = cases[i].nor_base;
        c.tlb.entries = cases[i].tlb_entries;
        c.tlb.ways = cases[i].tlb_ways;
        char why[256] = "unchanged";
        ck_assert_int_eq(uvmsim_machine_config_explain(&c, why, sizeof(why)), cases[i].err);
        ck_assert_msg(strstr(why, cases[i].why) != NULL && (cases[i].err || why[0] == '\0'),
                      "case %zu: '%s' lacks '%s'", i, why, cases[i].why);
        ck_assert_int_eq(try_cfg(&c), cases[i].err);
    }
    ck_assert_int_eq(uvmsim_machine_config_explain(NULL, NULL, 0), UVMSIM_OK);
}
END_TEST

START_TEST(test_page_size_shift)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.page_size = 512;
    c.ram_size = 64 * KiB;
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
    ck_assert_uint_eq(m->page_shift, 9);
    ck_assert_uint_eq(m->page_mask, 511);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.total_pages, 128);
    uvmsim_paddr_t pa;
    ck_assert_int_eq(uvmsim_ram_alloc(m, true, &pa), UVMSIM_OK);
    ck_assert_uint_eq(pa, 512);   /* page 0 is the zero page */
    uvmsim_machine_destroy(m);
}
END_TEST

/* ---- many instances ---- */

START_TEST(test_many_instances)
{
    enum { N = 8 };
    uvmsim_machine *m[N];
    for (unsigned i = 0; i < N; i++)
        m[i] = mk((i + 1) * 64 * KiB);
    /* Allocate i pages in machine i: each machine's counters see only its own. */
    for (unsigned i = 0; i < N; i++)
        for (unsigned k = 0; k < i; k++) {
            uvmsim_paddr_t pa;
            ck_assert_int_eq(uvmsim_ram_alloc(m[i], false, &pa), UVMSIM_OK);
            ck_assert_int_eq(uvmsim_phys_write(m[i], pa, &i, sizeof(i)), UVMSIM_OK);
        }
    for (unsigned i = 0; i < N; i++) {
        uvmsim_ram_stats rs;
        uvmsim_ram_stats_get(m[i], &rs);
        ck_assert_uint_eq(rs.total_pages, (i + 1) * 16);
        ck_assert_uint_eq(rs.used_pages, 1 + i);
        ck_assert_uint_eq(rs.other_pages, i);
        /* Same physical address, different memory. */
        unsigned v = 0xdead;
        if (i > 0) {
            ck_assert_int_eq(uvmsim_phys_read(m[i], 4096, &v, sizeof(v)), UVMSIM_OK);
            ck_assert_uint_eq(v, i);
        }
    }
    /* Destroy in a scrambled order; the survivors keep working. */
    static const unsigned order[N] = {3, 0, 7, 5, 1, 6, 2, 4};
    for (unsigned j = 0; j < N; j++) {
        uvmsim_machine_destroy(m[order[j]]);
        m[order[j]] = NULL;
        for (unsigned i = 0; i < N; i++) {
            if (m[i] == NULL)
                continue;
            uvmsim_ram_stats rs;
            uvmsim_ram_stats_get(m[i], &rs);
            ck_assert_uint_eq(rs.used_pages, 1 + i);
        }
    }
}
END_TEST

/* ---- segments ---- */

START_TEST(test_physload_ram)
{
    uvmsim_machine *m = mk(1 * MiB);   /* [0, 1 MiB) */
    /* Out of address order on purpose: segments are reported sorted. */
    ck_assert_int_eq(uvmsim_page_physload(m, 8 * MiB, 9 * MiB), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_page_physload(m, 2 * MiB, 2 * MiB + 64 * KiB), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_page_physload(m, 1 * MiB, 1 * MiB + 4 * KiB), UVMSIM_OK);   /* adjacent */
    ck_assert_uint_eq(uvmsim_phys_nsegs(m), 4);
    static const uint64_t starts[] = {0, 1 * MiB, 2 * MiB, 8 * MiB};
    static const uint64_t pages[] = {256, 1, 16, 256};
    for (unsigned i = 0; i < 4; i++) {
        uvmsim_seg_info si;
        ck_assert_int_eq(uvmsim_phys_seg(m, i, &si), UVMSIM_OK);
        ck_assert_int_eq(si.kind, UVMSIM_SEG_RAM);
        ck_assert_uint_eq(si.start, starts[i]);
        ck_assert_uint_eq(si.npages, pages[i]);
        ck_assert_uint_eq(si.end, starts[i] + pages[i] * 4096);
        ck_assert_uint_eq(si.prot, UVMSIM_PROT_ALL);
        ck_assert_uint_eq(si.metadata_bytes, pages[i] * sizeof(struct vm_page));
        ck_assert_uint_eq(si.free_pages, i == 0 ? 255 : pages[i]);
    }
    uvmsim_seg_info si;
    ck_assert_int_eq(uvmsim_phys_seg(m, 4, &si), UVMSIM_ERANGE);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.total_pages, 256 + 1 + 16 + 256);
    ck_assert_uint_eq(rs.free_pages, rs.total_pages - 1);

    /* Refusals: every kind of overlap, misalignment, empty or reversed ranges. */
    ck_assert_int_eq(uvmsim_page_physload(m, 8 * MiB, 9 * MiB), UVMSIM_EOVERLAP);            /* same */
    ck_assert_int_eq(uvmsim_page_physload(m, 7 * MiB, 8 * MiB + 4096), UVMSIM_EOVERLAP);     /* tail */
    ck_assert_int_eq(uvmsim_page_physload(m, 9 * MiB - 4096, 10 * MiB), UVMSIM_EOVERLAP);    /* head */
    ck_assert_int_eq(uvmsim_page_physload(m, 7 * MiB, 10 * MiB), UVMSIM_EOVERLAP);           /* contains */
    ck_assert_int_eq(uvmsim_page_physload(m, 8 * MiB + 4096, 8 * MiB + 8192), UVMSIM_EOVERLAP); /* inside */
    ck_assert_int_eq(uvmsim_page_physload(m, 0x40000000u, 0x40001000u), UVMSIM_EOVERLAP);  /* NOR window */
    ck_assert_int_eq(uvmsim_page_physload(m, 0x3ffff000u, 0x40001000u), UVMSIM_EOVERLAP);
    ck_assert_int_eq(uvmsim_page_physload(m, 16 * MiB + 100, 17 * MiB), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_page_physload(m, 16 * MiB, 17 * MiB + 100), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_page_physload(m, 16 * MiB, 16 * MiB), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_page_physload(m, 17 * MiB, 16 * MiB), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_page_physload(NULL, 16 * MiB, 17 * MiB), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_page_physload(m, 1ull << 40, (1ull << 40) + (1ull << 44)), UVMSIM_ERANGE);
    ck_assert_uint_eq(uvmsim_phys_nsegs(m), 4);
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.total_pages, 529);

    /* Look-up over several segments: first byte, last byte, gaps. */
    ck_assert_int_eq(uvmsim_phys_find(m, 2 * MiB, &si), UVMSIM_OK);
    ck_assert_uint_eq(si.start, 2 * MiB);
    ck_assert_int_eq(uvmsim_phys_find(m, 2 * MiB + 64 * KiB - 1, &si), UVMSIM_OK);
    ck_assert_uint_eq(si.start, 2 * MiB);
    ck_assert_int_eq(uvmsim_phys_find(m, 2 * MiB + 64 * KiB, &si), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_phys_find(m, 1 * MiB + 4095, &si), UVMSIM_OK);
    ck_assert_uint_eq(si.start, 1 * MiB);
    ck_assert_int_eq(uvmsim_phys_find(m, 9 * MiB - 1, &si), UVMSIM_OK);
    ck_assert_uint_eq(si.start, 8 * MiB);
    ck_assert_int_eq(uvmsim_phys_find(m, 9 * MiB, &si), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_phys_find(m, UINT64_MAX, &si), UVMSIM_ERANGE);
    ck_assert_ptr_eq(uvmsim_phys_lookup(m, 8 * MiB + 5), &m->segs[3]);
    ck_assert_ptr_null(uvmsim_phys_lookup(m, 3 * MiB));

    /* vm_page <-> address round trips in each segment. */
    for (unsigned i = 0; i < 4; i++) {
        paddr_t pa = starts[i] + (pages[i] - 1) * 4096;
        struct vm_page *pg = uvmsim_phys_to_vm_page(m, pa + 17);
        ck_assert_ptr_nonnull(pg);
        ck_assert_ptr_eq(pg, &m->segs[i].pgs[pages[i] - 1]);
        ck_assert_uint_eq(uvmsim_vm_page_to_phys(m, pg), pa);
    }
    ck_assert_ptr_null(uvmsim_phys_to_vm_page(m, 3 * MiB));
    struct vm_page stray;
    ck_assert_uint_eq(uvmsim_vm_page_to_phys(m, &stray), (paddr_t)-1);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_alloc_spans_segments)
{
    /* 4 pages of boot RAM (one is the zero page) + a 2-page segment: the allocator
     * exhausts the first (lowest) segment, then uses the next. */
    uvmsim_machine *m = mk(16 * KiB);
    ck_assert_int_eq(uvmsim_page_physload(m, 1 * MiB, 1 * MiB + 8 * KiB), UVMSIM_OK);
    uvmsim_paddr_t pa[5];
    for (unsigned i = 0; i < 5; i++)
        ck_assert_int_eq(uvmsim_ram_alloc(m, true, &pa[i]), UVMSIM_OK);
    ck_assert_uint_eq(pa[0], 4096);
    ck_assert_uint_eq(pa[2], 12288);
    ck_assert_uint_eq(pa[3], 1 * MiB);
    ck_assert_uint_eq(pa[4], 1 * MiB + 4096);
    uvmsim_paddr_t x = 77;
    ck_assert_int_eq(uvmsim_ram_alloc(m, true, &x), UVMSIM_ENOMEM);
    ck_assert_uint_eq(x, 77);
    uvmsim_seg_info si;
    ck_assert_int_eq(uvmsim_phys_seg(m, 1, &si), UVMSIM_OK);
    ck_assert_uint_eq(si.free_pages, 0);
    ck_assert_int_eq(uvmsim_ram_free(m, pa[4]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_seg(m, 1, &si), UVMSIM_OK);
    ck_assert_uint_eq(si.free_pages, 1);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &x), UVMSIM_OK);
    ck_assert_uint_eq(x, pa[4]);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_physload_device)
{
    uvmsim_machine *m = mk(1 * MiB);
    uint8_t *dev = malloc(64 * KiB);
    ck_assert_ptr_nonnull(dev);
    for (unsigned i = 0; i < 64 * KiB; i++)
        dev[i] = (uint8_t)(i * 7 + 3);
    const paddr_t B = 0x40000000u;

    ck_assert_int_eq(uvmsim_physload_device(NULL, B, B + 64 * KiB, UVMSIM_PROT_READ, dev), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_physload_device(m, B, B + 64 * KiB, UVMSIM_PROT_READ, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_physload_device(m, B, B + 64 * KiB, 8, dev), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_physload_device(m, B + 1, B + 64 * KiB, UVMSIM_PROT_READ, dev), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_physload_device(m, B, B + 100, UVMSIM_PROT_READ, dev), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_physload_device(m, B, B, UVMSIM_PROT_READ, dev), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_physload_device(m, 512 * KiB, 576 * KiB, UVMSIM_PROT_READ, dev), UVMSIM_EOVERLAP);
    ck_assert_int_eq(uvmsim_physload_device(m, 1 * MiB - 4096, 1 * MiB + 60 * KiB, UVMSIM_PROT_READ, dev),
                     UVMSIM_EOVERLAP);
    ck_assert_uint_eq(uvmsim_phys_nsegs(m), 1);

    ck_assert_int_eq(uvmsim_physload_device(m, B, B + 64 * KiB, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC, dev),
                     UVMSIM_OK);
    ck_assert_int_eq(uvmsim_physload_device(m, B + 32 * KiB, B + 96 * KiB, UVMSIM_PROT_READ, dev),
                     UVMSIM_EOVERLAP);
    ck_assert_int_eq(uvmsim_page_physload(m, B + 64 * KiB, B + 128 * KiB), UVMSIM_EOVERLAP);
    ck_assert_uint_eq(uvmsim_phys_nsegs(m), 2);
    uvmsim_seg_info si;
    ck_assert_int_eq(uvmsim_phys_find(m, B + 64 * KiB - 1, &si), UVMSIM_OK);
    ck_assert_int_eq(si.kind, UVMSIM_SEG_DEVICE);
    ck_assert_uint_eq(si.start, B);
    ck_assert_uint_eq(si.end, B + 64 * KiB);
    ck_assert_uint_eq(si.npages, 16);
    ck_assert_uint_eq(si.metadata_bytes, 0);
    ck_assert_uint_eq(si.free_pages, 0);
    ck_assert_uint_eq(si.prot, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC);
    /* No vm_page for a device address. */
    ck_assert_ptr_null(uvmsim_phys_to_vm_page(m, B));

    /* The window shows the backing bytes; it is not writable through the bus. */
    uint8_t buf[256];
    ck_assert_int_eq(uvmsim_phys_read(m, B + 1000, buf, sizeof(buf)), UVMSIM_OK);
    ck_assert_int_eq(memcmp(buf, dev + 1000, sizeof(buf)), 0);
    ck_assert_ptr_eq(uvmsim_phys_ptr(m, B + 1000, 10), dev + 1000);
    ck_assert_int_eq(uvmsim_phys_write(m, B, buf, 1), UVMSIM_EROFS);
    ck_assert_int_eq(uvmsim_phys_zero(m, B, 4096), UVMSIM_EROFS);
    ck_assert_int_eq(uvmsim_phys_copy(m, B, 0, 16), UVMSIM_EROFS);
    ck_assert_int_eq(uvmsim_ram_free(m, B), UVMSIM_ERANGE);
    ck_assert_uint_eq(dev[0], 3);
    /* Copy device → RAM works (the COW promotion of an XIP page). */
    uvmsim_paddr_t ram;
    ck_assert_int_eq(uvmsim_ram_alloc(m, true, &ram), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_copy(m, ram, B + 4096, 4096), UVMSIM_OK);
    ck_assert_int_eq(memcmp(uvmsim_phys_ptr(m, ram, 4096), dev + 4096, 4096), 0);

    /* The metadata report counts device pages at zero bytes. */
    uvmsim_metadata_report mr;
    uvmsim_metadata_report_get(m, &mr);
    ck_assert_uint_eq(mr.device_pages, 16);
    ck_assert_uint_eq(mr.device_metadata_bytes, 0);
    ck_assert_uint_eq(mr.ram_pages, 256);

    /* Unload. */
    ck_assert_int_eq(uvmsim_physunload_device(NULL, B), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_physunload_device(m, 0), UVMSIM_EINVAL);   /* RAM segment */
    ck_assert_int_eq(uvmsim_physunload_device(m, B + 4096), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_physunload_device(m, B), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_physunload_device(m, B), UVMSIM_ERANGE);
    ck_assert_uint_eq(uvmsim_phys_nsegs(m), 1);
    ck_assert_int_eq(uvmsim_phys_read(m, B, buf, 1), UVMSIM_ERANGE);
    uvmsim_metadata_report_get(m, &mr);
    ck_assert_uint_eq(mr.device_pages, 0);
    /* The space is free again; a device may sit outside the NOR window too. */
    ck_assert_int_eq(uvmsim_physload_device(m, B, B + 64 * KiB, UVMSIM_PROT_READ, dev), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_physload_device(m, 4 * MiB, 4 * MiB + 64 * KiB, UVMSIM_PROT_NONE, dev), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_phys_nsegs(m), 3);
    ck_assert_int_eq(uvmsim_phys_seg(m, 1, &si), UVMSIM_OK);
    ck_assert_uint_eq(si.start, 4 * MiB);
    uvmsim_machine_destroy(m);   /* does not free device backing */
    ck_assert_uint_eq(dev[1], 10);
    free(dev);
}
END_TEST

/* ---- allocator ---- */

START_TEST(test_alloc_counters)
{
    uvmsim_machine *m = mk(64 * KiB);   /* 16 pages, one of them the zero page */
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.total_pages, 16);
    ck_assert_uint_eq(rs.allocs, 1);
    ck_assert_uint_eq(rs.high_water, 1);
    uvmsim_paddr_t pa[15];
    for (unsigned i = 0; i < 10; i++) {
        ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa[i]), UVMSIM_OK);
        ck_assert_uint_eq(pa[i], (i + 1) * 4096);   /* address order: deterministic */
    }
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.used_pages, 11);
    ck_assert_uint_eq(rs.free_pages, 5);
    ck_assert_uint_eq(rs.high_water, 11);
    ck_assert_uint_eq(rs.allocs, 11);
    ck_assert_uint_eq(rs.other_pages, 10);
    for (unsigned i = 0; i < 6; i++)
        ck_assert_int_eq(uvmsim_ram_free(m, pa[i]), UVMSIM_OK);
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.used_pages, 5);
    ck_assert_uint_eq(rs.free_pages, 11);
    ck_assert_uint_eq(rs.high_water, 11);   /* a high-water mark never drops */
    ck_assert_uint_eq(rs.frees, 6);
    ck_assert_uint_eq(rs.other_pages, 4);
    ck_assert_uint_eq(rs.used_pages, rs.total_pages - rs.free_pages);
    /* The last page freed is the first handed out again. */
    uvmsim_paddr_t x;
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &x), UVMSIM_OK);
    ck_assert_uint_eq(x, pa[5]);
    pa[5] = x;

    /* Freeing errors. */
    ck_assert_int_eq(uvmsim_ram_free(m, pa[0]), UVMSIM_EINVAL);          /* already free */
    ck_assert_int_eq(uvmsim_ram_free(m, pa[6] + 8), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_ram_free(m, 1 * MiB), UVMSIM_ERANGE);        /* no segment */
    ck_assert_int_eq(uvmsim_ram_free(m, uvmsim_zero_page(m)), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_ram_free(NULL, pa[6]), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_ram_alloc(NULL, false, &x), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, NULL), UVMSIM_EINVAL);
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.frees, 6);
    ck_assert_uint_eq(rs.used_pages, 6);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_exhaustion)
{
    uvmsim_machine *m = mk(64 * KiB);
    uvmsim_paddr_t pa;
    for (unsigned i = 0; i < 15; i++)
        ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_OK);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.free_pages, 0);
    ck_assert_uint_eq(rs.alloc_failures, 0);
    uvmsim_paddr_t last = pa;
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_ENOMEM);
    ck_assert_int_eq(uvmsim_ram_alloc(m, true, &pa), UVMSIM_ENOMEM);
    ck_assert_ptr_null(uvmsim_pagealloc(m, PGO_ANON, false));
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.alloc_failures, 3);
    ck_assert_uint_eq(rs.allocs, 16);
    ck_assert_uint_eq(rs.used_pages, 16);
    ck_assert_uint_eq(rs.high_water, 16);
    /* One page back, one allocation succeeds again. */
    ck_assert_int_eq(uvmsim_ram_free(m, last), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_OK);
    ck_assert_uint_eq(pa, last);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_ENOMEM);
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.alloc_failures, 4);
    uvmsim_machine_destroy(m);
}
END_TEST

/* uvmsim_ram_fail_next: skip, then fail count allocations (every allocator: the raw
 * one and the VM's), counted as allocation failures; forever until cleared; a new plan
 * replaces the old one; the RAM itself is untouched (free pages stay free). */
START_TEST(test_inject_alloc)
{
    uvmsim_machine *m = mk(64 * KiB);
    uvmsim_paddr_t pa;
    uvmsim_ram_stats r0, rs;
    uvmsim_ram_stats_get(m, &r0);
    ck_assert_int_eq(uvmsim_ram_fail_next(NULL, 0, 1), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_ram_fail_next(m, 2, 3), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_OK);     /* skipped */
    ck_assert_ptr_nonnull(uvmsim_pagealloc(m, PGO_ANON, true));       /* skipped */
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_ENOMEM); /* 1 of 3 */
    ck_assert_ptr_null(uvmsim_pagealloc(m, PGO_OBJECT, false));       /* 2 of 3 */
    ck_assert_ptr_null(uvmsim_pagealloc(m, PGO_PTP, true));           /* 3 of 3 */
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_OK);     /* the plan is spent */
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.alloc_failures, r0.alloc_failures + 3);
    ck_assert_uint_eq(rs.allocs, r0.allocs + 3);
    ck_assert_uint_eq(rs.free_pages, r0.free_pages - 3);
    /* forever, until cleared */
    ck_assert_int_eq(uvmsim_ram_fail_next(m, 0, UVMSIM_INJECT_FOREVER), UVMSIM_OK);
    for (unsigned i = 0; i < 20; i++)
        ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_ENOMEM);
    ck_assert_int_eq(uvmsim_ram_fail_next(m, 0, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_OK);
    /* a new plan replaces the old one; skip without count means nothing */
    ck_assert_int_eq(uvmsim_ram_fail_next(m, 0, 5), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_fail_next(m, 1, 1), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_ENOMEM);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_fail_next(m, 7, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_OK);
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.alloc_failures, r0.alloc_failures + 3 + 20 + 1);
    ck_assert_uint_eq(rs.used_pages, r0.used_pages + 7);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_zero_alloc)
{
    uvmsim_machine *m = mk(64 * KiB);
    uvmsim_paddr_t pa;
    ck_assert_int_eq(uvmsim_ram_alloc(m, false, &pa), UVMSIM_OK);
    uint8_t junk[4096], back[4096], zeros[4096];
    memset(junk, 0xee, sizeof(junk));
    memset(zeros, 0, sizeof(zeros));
    ck_assert_int_eq(uvmsim_phys_write(m, pa, junk, sizeof(junk)), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_free(m, pa), UVMSIM_OK);
    uvmsim_paddr_t pb;
    ck_assert_int_eq(uvmsim_ram_alloc(m, true, &pb), UVMSIM_OK);
    ck_assert_uint_eq(pb, pa);   /* the same dirty page, now cleared */
    ck_assert_int_eq(uvmsim_phys_read(m, pb, back, sizeof(back)), UVMSIM_OK);
    ck_assert_int_eq(memcmp(back, zeros, sizeof(back)), 0);
    struct vm_page *pg = uvmsim_phys_to_vm_page(m, pb);
    ck_assert(pg->flags & PG_ZERO);
    ck_assert_int_eq(pg->owner, PGO_OTHER);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_zero_page)
{
    uvmsim_machine *m = mk(1 * MiB);
    uvmsim_paddr_t z = uvmsim_zero_page(m);
    ck_assert_uint_eq(z, 0);   /* first page of the first RAM segment */
    uint8_t buf[4096], zeros[4096];
    memset(zeros, 0, sizeof(zeros));
    memset(buf, 1, sizeof(buf));
    ck_assert_int_eq(uvmsim_phys_read(m, z, buf, sizeof(buf)), UVMSIM_OK);
    ck_assert_int_eq(memcmp(buf, zeros, sizeof(buf)), 0);
    ck_assert_ptr_nonnull(m->zero_pg);
    ck_assert_int_eq(m->zero_pg->owner, PGO_ZERO);
    ck_assert_ptr_eq(uvmsim_phys_to_vm_page(m, z), m->zero_pg);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.zero_pages, 1);
    ck_assert_uint_eq(rs.other_pages, 0);
    ck_assert_uint_eq(uvmsim_zero_page(NULL), 0);

    /* With RAM elsewhere, the zero page moves with it. */
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.ram_base = 0x10000000u;
    c.ram_size = 1 * MiB;
    uvmsim_machine *m2;
    ck_assert_int_eq(uvmsim_machine_create(&c, &m2), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_zero_page(m2), 0x10000000u);
    ck_assert_int_eq(uvmsim_phys_read(m2, 0, buf, 1), UVMSIM_ERANGE);
    uvmsim_machine_destroy(m2);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_owner_accounting)
{
    uvmsim_machine *m = mk(64 * KiB);
    struct vm_page *a = uvmsim_pagealloc(m, PGO_ANON, false);
    struct vm_page *o = uvmsim_pagealloc(m, PGO_OBJECT, true);
    struct vm_page *p = uvmsim_pagealloc(m, PGO_PTP, true);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_nonnull(p);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.anon_pages, 1);
    ck_assert_uint_eq(rs.object_pages, 1);
    ck_assert_uint_eq(rs.ptp_pages, 1);
    ck_assert_uint_eq(rs.used_pages, 4);
    uvmsim_page_set_owner(m, o, PGO_ANON);
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.anon_pages, 2);
    ck_assert_uint_eq(rs.object_pages, 0);
    ck_assert_int_eq(o->owner, PGO_ANON);
    uvmsim_pagefree(m, a);
    uvmsim_pagefree(m, a);   /* double free: ignored */
    struct vm_page stray;
    memset(&stray, 0, sizeof(stray));
    stray.owner = PGO_ANON;
    uvmsim_pagefree(m, &stray);   /* not ours: ignored */
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.anon_pages, 1);
    ck_assert_uint_eq(rs.frees, 1);
    ck_assert_uint_eq(rs.used_pages, 3);
    ck_assert_int_eq(a->owner, PGO_FREE);
    ck_assert_ptr_null(a->uanon);
    uvmsim_pagefree(m, o);
    uvmsim_pagefree(m, p);
    uvmsim_ram_stats_get(m, &rs);
    ck_assert_uint_eq(rs.anon_pages + rs.object_pages + rs.ptp_pages + rs.other_pages, 0);
    ck_assert_uint_eq(rs.used_pages, 1);
    uvmsim_machine_destroy(m);
}
END_TEST

/* ---- byte access ---- */

START_TEST(test_phys_rw)
{
    uvmsim_machine *m = mk(64 * KiB);
    /* A second RAM segment directly after the first: contiguous, yet a range that
     * crosses the boundary is still refused (a segment is the unit of access). */
    ck_assert_int_eq(uvmsim_page_physload(m, 64 * KiB, 128 * KiB), UVMSIM_OK);
    uint8_t in[100], out[100];
    for (unsigned i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i + 1);
    ck_assert_int_eq(uvmsim_phys_write(m, 5000, in, sizeof(in)), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_read(m, 5000, out, sizeof(out)), UVMSIM_OK);
    ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
    ck_assert_ptr_nonnull(uvmsim_phys_ptr(m, 5000, 100));
    ck_assert_uint_eq(uvmsim_phys_ptr(m, 5000, 100)[0], 1);

    /* Exactly to the end of a segment: fine.  One byte more: ERANGE. */
    ck_assert_int_eq(uvmsim_phys_write(m, 64 * KiB - 100, in, 100), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_read(m, 64 * KiB - 100, out, 100), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_write(m, 64 * KiB - 99, in, 100), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_phys_read(m, 64 * KiB - 99, out, 100), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_phys_zero(m, 64 * KiB - 99, 100), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_phys_copy(m, 64 * KiB - 99, 0, 100), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_phys_copy(m, 0, 64 * KiB - 99, 100), UVMSIM_ERANGE);
    ck_assert_ptr_null(uvmsim_phys_ptr(m, 64 * KiB - 99, 100));
    ck_assert_int_eq(uvmsim_phys_read(m, 128 * KiB - 1, out, 2), UVMSIM_ERANGE);
    /* Outside every segment; wrapping around the address space. */
    ck_assert_int_eq(uvmsim_phys_read(m, 1 * MiB, out, 1), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_phys_write(m, 1 * MiB, in, 1), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_phys_read(m, UINT64_MAX - 10, out, 100), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_phys_zero(m, 1 * MiB, 1), UVMSIM_ERANGE);
    ck_assert_ptr_null(uvmsim_phys_ptr(m, 1 * MiB, 1));
    /* Bad arguments. */
    ck_assert_int_eq(uvmsim_phys_read(m, 0, out, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_write(m, 0, in, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_zero(m, 0, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_copy(m, 0, 4096, 0), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_read(m, 0, NULL, 1), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_write(m, 0, NULL, 1), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_read(NULL, 0, out, 1), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_write(NULL, 0, in, 1), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_copy(NULL, 0, 0, 1), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_zero(NULL, 0, 1), UVMSIM_EINVAL);

    /* Zero, then copy across segments and an overlapping copy (memmove semantics). */
    ck_assert_int_eq(uvmsim_phys_zero(m, 5010, 10), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_read(m, 5000, out, 30), UVMSIM_OK);
    ck_assert_uint_eq(out[9], 10);
    ck_assert_uint_eq(out[10], 0);
    ck_assert_uint_eq(out[19], 0);
    ck_assert_uint_eq(out[20], 21);
    ck_assert_int_eq(uvmsim_phys_write(m, 5000, in, sizeof(in)), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_copy(m, 100 * KiB, 5000, 100), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_read(m, 100 * KiB, out, 100), UVMSIM_OK);
    ck_assert_int_eq(memcmp(in, out, 100), 0);
    ck_assert_int_eq(uvmsim_phys_copy(m, 5010, 5000, 50), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_read(m, 5010, out, 50), UVMSIM_OK);
    ck_assert_int_eq(memcmp(in, out, 50), 0);
    uvmsim_machine_destroy(m);
}
END_TEST

/* ---- metadata ---- */

START_TEST(test_metadata_report)
{
    uvmsim_machine *m = mk(16 * MiB);
    uvmsim_metadata_report mr;
    memset(&mr, 0xff, sizeof(mr));
    uvmsim_metadata_report_get(m, &mr);
    ck_assert_uint_eq(mr.vm_page_size, sizeof(struct vm_page));
    ck_assert_uint_eq(mr.ram_pages, 4096);
    ck_assert_uint_eq(mr.ram_metadata_bytes, 4096 * sizeof(struct vm_page));
    ck_assert_uint_eq(mr.device_pages, 0);
    ck_assert_uint_eq(mr.device_metadata_bytes, 0);
    ck_assert_int_eq(uvmsim_page_physload(m, 32 * MiB, 36 * MiB), UVMSIM_OK);
    uint8_t backing[8192];
    memset(backing, 0, sizeof(backing));
    ck_assert_int_eq(uvmsim_physload_device(m, 0x40000000u, 0x40002000u, UVMSIM_PROT_READ, backing), UVMSIM_OK);
    uvmsim_metadata_report_get(m, &mr);
    ck_assert_uint_eq(mr.ram_pages, 4096 + 1024);
    ck_assert_uint_eq(mr.ram_metadata_bytes, (4096 + 1024) * sizeof(struct vm_page));
    ck_assert_uint_eq(mr.device_pages, 2);
    ck_assert_uint_eq(mr.device_metadata_bytes, 0);
    /* The per-segment figures add up to the report. */
    size_t sum = 0;
    for (unsigned i = 0; i < uvmsim_phys_nsegs(m); i++) {
        uvmsim_seg_info si;
        ck_assert_int_eq(uvmsim_phys_seg(m, i, &si), UVMSIM_OK);
        sum += si.metadata_bytes;
    }
    ck_assert_uint_eq(sum, mr.ram_metadata_bytes);
    uvmsim_metadata_report_get(NULL, &mr);
    uvmsim_metadata_report_get(m, NULL);
    ck_assert_int_eq(uvmsim_physunload_device(m, 0x40000000u), UVMSIM_OK);
    uvmsim_machine_destroy(m);
}
END_TEST

/* ---- NULL handles ---- */

START_TEST(test_null_handles)
{
    uvmsim_seg_info si;
    uvmsim_paddr_t pa;
    ck_assert_uint_eq(uvmsim_page_size(NULL), 0);
    ck_assert_ptr_null(uvmsim_machine_config_get(NULL));
    ck_assert_uint_eq(uvmsim_phys_nsegs(NULL), 0);
    ck_assert_int_eq(uvmsim_phys_seg(NULL, 0, &si), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_find(NULL, 0, &si), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_ram_alloc(NULL, true, &pa), UVMSIM_EINVAL);
    uvmsim_ram_stats rs;
    memset(&rs, 0x5a, sizeof(rs));
    uvmsim_ram_stats_get(NULL, &rs);   /* leaves *out alone, does not crash */
    ck_assert_uint_eq(rs.total_pages, 0x5a5a5a5a5a5a5a5aull);
    uvmsim_trace_set(NULL, NULL, NULL);

    uvmsim_machine *m = mk(64 * KiB);
    ck_assert_int_eq(uvmsim_phys_seg(m, 0, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_phys_find(m, 0, NULL), UVMSIM_EINVAL);
    uvmsim_ram_stats_get(m, NULL);
    uvmsim_machine_destroy(m);
}
END_TEST

/* ---- error strings ---- */

START_TEST(test_error_strings)
{
    for (int e = 0; e < UVMSIM_ERR_COUNT; e++) {
        const char *msg = uvmsim_strerror(e), *name = uvmsim_errname(e);
        ck_assert_ptr_nonnull(msg);
        ck_assert_ptr_nonnull(name);
        ck_assert_str_ne(msg, "unknown error");
        ck_assert_str_ne(name, "EUNKNOWN");
        ck_assert_uint_gt(strlen(msg), 3);
        if (e != UVMSIM_OK)
            ck_assert_int_eq(name[0], 'E');
        for (int f = 0; f < e; f++) {
            ck_assert_str_ne(uvmsim_errname(f), name);
            ck_assert_str_ne(uvmsim_strerror(f), msg);
        }
    }
    ck_assert_str_eq(uvmsim_errname(UVMSIM_OK), "OK");
    ck_assert_str_eq(uvmsim_errname(UVMSIM_EROFS), "EROFS");
    ck_assert_str_eq(uvmsim_errname(UVMSIM_ENOXIP), "ENOXIP");
    ck_assert_str_eq(uvmsim_strerror(UVMSIM_ENOMEM), "simulated RAM exhausted");
    ck_assert_str_eq(uvmsim_strerror(-1), "unknown error");
    ck_assert_str_eq(uvmsim_strerror(UVMSIM_ERR_COUNT), "unknown error");
    ck_assert_str_eq(uvmsim_errname(-1), "EUNKNOWN");
    ck_assert_str_eq(uvmsim_errname(UVMSIM_ERR_COUNT), "EUNKNOWN");
    ck_assert_str_eq(uvmsim_errname(1000), "EUNKNOWN");
}
END_TEST

/* ---- trace hook and RNG (uvm_machine.c) ---- */

struct tlog {
    unsigned n;
    uint64_t seq[4];
    int pid[4];
};

static void tcb(const uvmsim_event *ev, void *arg)
{
    struct tlog *l = arg;
    if (l->n < 4) {
        l->seq[l->n] = ev->seq;
        l->pid[l->n] = ev->pid;
    }
    l->n++;
}

START_TEST(test_trace_and_names)
{
    uvmsim_machine *m = mk(64 * KiB);
    struct tlog l;
    memset(&l, 0, sizeof(l));
    uvmsim_event ev;
    memset(&ev, 0, sizeof(ev));
    uvmsim_emit(m, &ev);   /* no callback: dropped, no sequence number used */
    ck_assert_uint_eq(ev.seq, 0);
    ck_assert(!uvmsim_tracing(m));
    uvmsim_trace_set(m, tcb, &l);
    ck_assert(uvmsim_tracing(m));
    ev.type = UVMSIM_EV_IO;
    ev.pid = 0;
    uvmsim_emit(m, &ev);
    ev.pid = 42;   /* an explicit pid is kept */
    uvmsim_emit(m, &ev);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(l.seq[0], 1);
    ck_assert_uint_eq(l.seq[1], 2);
    ck_assert_int_eq(l.pid[0], uvmsim_proc_pid(uvmsim_proc_current(m)));   /* -1: none on the CPU */
    ck_assert_int_eq(l.pid[1], 42);
    uvmsim_trace_set(m, NULL, NULL);
    uvmsim_emit(m, &ev);
    ck_assert_uint_eq(l.n, 2);

    for (int t = 0; t < UVMSIM_EV_NTYPES; t++) {
        const char *n = uvmsim_event_type_name((uvmsim_event_type)t);
        ck_assert_str_ne(n, "unknown");
        for (int u = 0; u < t; u++)
            ck_assert_str_ne(uvmsim_event_type_name((uvmsim_event_type)u), n);
    }
    ck_assert_str_eq(uvmsim_event_type_name(UVMSIM_EV_IO), "io");
    ck_assert_str_eq(uvmsim_event_type_name(UVMSIM_EV_NTYPES), "unknown");
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_rng)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.ram_size = 64 * KiB;
    uvmsim_machine *a, *b, *d, *z;
    ck_assert_int_eq(uvmsim_machine_create(&c, &a), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_machine_create(&c, &b), UVMSIM_OK);
    c.seed = 2;
    ck_assert_int_eq(uvmsim_machine_create(&c, &d), UVMSIM_OK);
    c.seed = 0;   /* 0 is replaced by a fixed non-zero state (xorshift would stick at 0) */
    ck_assert_int_eq(uvmsim_machine_create(&c, &z), UVMSIM_OK);
    unsigned differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = uvmsim_rand(a), y = uvmsim_rand(b), w = uvmsim_rand(d), q = uvmsim_rand(z);
        ck_assert_uint_eq(x, y);   /* same seed, same sequence, machines independent */
        differ += x != w;
        ck_assert_uint_ne(q, 0);
    }
    ck_assert_uint_gt(differ, 95);
    uvmsim_machine_destroy(a);
    uvmsim_machine_destroy(b);
    uvmsim_machine_destroy(d);
    uvmsim_machine_destroy(z);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("phys");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_create_default);
    tcase_add_test(tc, test_config_init);
    tcase_add_test(tc, test_config_validation);
    tcase_add_test(tc, test_config_explain);
    tcase_add_test(tc, test_page_size_shift);
    tcase_add_test(tc, test_many_instances);
    tcase_add_test(tc, test_physload_ram);
    tcase_add_test(tc, test_alloc_spans_segments);
    tcase_add_test(tc, test_physload_device);
    tcase_add_test(tc, test_alloc_counters);
    tcase_add_test(tc, test_exhaustion);
    tcase_add_test(tc, test_inject_alloc);
    tcase_add_test(tc, test_zero_alloc);
    tcase_add_test(tc, test_zero_page);
    tcase_add_test(tc, test_owner_accounting);
    tcase_add_test(tc, test_phys_rw);
    tcase_add_test(tc, test_metadata_report);
    tcase_add_test(tc, test_null_handles);
    tcase_add_test(tc, test_error_strings);
    tcase_add_test(tc, test_trace_and_names);
    tcase_add_test(tc, test_rng);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
