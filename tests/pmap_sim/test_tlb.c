/* Check suite for src/pmap_sim/tlb.c: replacement policies with hand-computed miss
 * counts, set mapping, ASID tags, flush/invalidate counters, the "no TLB" shape, and the
 * same policies driven through the MMU (uvmsim_pmap_translate) of the generic backend. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pmap_sim/pmap_impl.h"
#include "vmtest.h"

static uvmsim_machine *mk(unsigned entries, unsigned ways, uvmsim_tlb_repl repl, bool split, uint64_t seed)
{
    uvmsim_machine_config cfg;
    uvmsim_machine_config_init(&cfg);
    cfg.tlb.entries = entries;
    cfg.tlb.ways = ways;
    cfg.tlb.repl = repl;
    cfg.tlb.split = split;
    cfg.seed = seed;
    uvmsim_machine *m = NULL;
    ck_assert_int_eq(uvmsim_machine_create(&cfg, &m), UVMSIM_OK);
    return m;
}

static struct tlb *mktlb(uvmsim_machine *m, unsigned entries, unsigned ways, uvmsim_tlb_repl repl)
{
    uvmsim_tlb_config c = {.entries = entries, .ways = ways, .repl = repl};
    struct tlb *t = uvmsim_tlb_create(m, &c, "test");
    ck_assert_ptr_nonnull(t);
    return t;
}

/* One access as the MMU does it: look up, fill on a miss.  Returns true on a hit. */
static bool touch(struct tlb *t, uint32_t asid, vaddr_t vpn)
{
    if (uvmsim_tlb_lookup(t, asid, vpn) != NULL)
        return true;
    uvmsim_tlb_insert(t, asid, vpn, vpn << 12, UVMSIM_PROT_READ, 0);
    return false;
}

static unsigned run_pattern(struct tlb *t, const char *pat)
{
    unsigned misses = 0;
    for (const char *p = pat; *p; p++)
        misses += !touch(t, 1, (vaddr_t)(*p - 'A' + 100));
    return misses;
}

/* 4-entry fully associative, cyclic loop over 5 pages: both LRU and FIFO always evict
 * exactly the page needed next, so every access misses. */
static void loop5(uvmsim_tlb_repl repl)
{
    uvmsim_machine *m = mk(64, 4, UVMSIM_TLB_LRU, false, 1);
    struct tlb *t = mktlb(m, 4, 0, repl);
    for (int it = 0; it < 10; it++)
        for (vaddr_t v = 0; v < 5; v++)
            touch(t, 1, v);
    const uvmsim_tlb_stats *s = uvmsim_tlb_stats_of(t);
    ck_assert_uint_eq(s->lookups, 50);
    ck_assert_uint_eq(s->misses, 50);
    ck_assert_uint_eq(s->hits, 0);
    ck_assert_uint_eq(s->fills, 50);
    ck_assert_uint_eq(s->evictions, 46);     /* the first 4 fills find empty ways */
    ck_assert_uint_eq(uvmsim_tlb_valid_count(t), 4);
    /* Four pages fit: after warm-up everything hits. */
    struct tlb *t4 = mktlb(m, 4, 4, repl);
    for (int it = 0; it < 10; it++)
        for (vaddr_t v = 0; v < 4; v++)
            touch(t4, 1, v);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(t4)->misses, 4);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(t4)->hits, 36);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(t4)->evictions, 0);
    uvmsim_tlb_destroy(t4);
    uvmsim_tlb_destroy(t);
    uvmsim_machine_destroy(m);
}

START_TEST(test_lru_loop5) { loop5(UVMSIM_TLB_LRU); }
END_TEST

START_TEST(test_fifo_loop5) { loop5(UVMSIM_TLB_FIFO); }
END_TEST

/* A B C D A E A B:
 *   LRU : A B C D miss; A hit (order B C D A); E miss evicts B; A hit; B miss evicts C
 *         -> 6 misses.
 *   FIFO: A B C D miss; A hit (queue A B C D); E miss evicts A; A miss evicts B;
 *         B miss evicts C -> 7 misses.
 * Continuing with C D E:
 *   LRU : (D E A B) C evicts D, D evicts E, E evicts A -> 9 misses of 11.
 *   FIFO: (D E A B) C evicts D, D evicts E, E evicts A -> 10 misses of 11. */
START_TEST(test_lru_vs_fifo)
{
    uvmsim_machine *m = mk(64, 4, UVMSIM_TLB_LRU, false, 1);
    struct tlb *lru = mktlb(m, 4, 0, UVMSIM_TLB_LRU);
    struct tlb *fifo = mktlb(m, 4, 0, UVMSIM_TLB_FIFO);
    ck_assert_uint_eq(run_pattern(lru, "ABCDAEAB"), 6);
    ck_assert_uint_eq(run_pattern(fifo, "ABCDAEAB"), 7);
    ck_assert_uint_eq(run_pattern(lru, "CDE"), 3);
    ck_assert_uint_eq(run_pattern(fifo, "CDE"), 3);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(lru)->misses, 9);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(lru)->hits, 2);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(fifo)->misses, 10);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(fifo)->hits, 1);
    /* LRU now holds B C D E, FIFO holds B C D E too; A is gone from both. */
    ck_assert_ptr_null(uvmsim_tlb_lookup(lru, 1, 'A' - 'A' + 100));
    ck_assert_ptr_nonnull(uvmsim_tlb_lookup(lru, 1, 'E' - 'A' + 100));
    uvmsim_tlb_destroy(lru);
    uvmsim_tlb_destroy(fifo);
    uvmsim_machine_destroy(m);
}
END_TEST

/* FIFO is "oldest fill first": a hit does not rejuvenate, an invalidated way is reused
 * before anything is evicted. */
START_TEST(test_fifo_invalidate_reuse)
{
    uvmsim_machine *m = mk(64, 4, UVMSIM_TLB_LRU, false, 1);
    struct tlb *t = mktlb(m, 4, 4, UVMSIM_TLB_FIFO);
    ck_assert_uint_eq(run_pattern(t, "ABCD"), 4);
    uvmsim_tlb_invalidate(t, 1, 'B' - 'A' + 100);
    ck_assert_uint_eq(run_pattern(t, "E"), 1);      /* fills B's way, no eviction */
    ck_assert_uint_eq(uvmsim_tlb_stats_of(t)->evictions, 0);
    ck_assert_uint_eq(run_pattern(t, "F"), 1);      /* evicts A, the oldest fill */
    ck_assert_uint_eq(run_pattern(t, "CDEF"), 0);
    ck_assert_uint_eq(run_pattern(t, "A"), 1);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(t)->evictions, 2);
    uvmsim_tlb_destroy(t);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_set_associative)
{
    uvmsim_machine *m = mk(64, 4, UVMSIM_TLB_LRU, false, 1);
    struct tlb *t = mktlb(m, 8, 2, UVMSIM_TLB_LRU);       /* 4 sets of 2 */
    touch(t, 1, 1);                                        /* set 1 */
    touch(t, 1, 0);
    touch(t, 1, 4);
    touch(t, 1, 8);                                        /* set 0 is full: evicts 0 */
    ck_assert_uint_eq(uvmsim_tlb_stats_of(t)->evictions, 1);
    ck_assert_ptr_null(uvmsim_tlb_lookup(t, 1, 0));
    ck_assert_ptr_nonnull(uvmsim_tlb_lookup(t, 1, 4));
    ck_assert_ptr_nonnull(uvmsim_tlb_lookup(t, 1, 8));
    touch(t, 1, 12);
    touch(t, 1, 16);
    ck_assert_ptr_nonnull(uvmsim_tlb_lookup(t, 1, 1));    /* other sets untouched */
    ck_assert_uint_eq(uvmsim_tlb_valid_count(t), 3);
    /* The same three pages all fit in 8 fully associative entries (ways == entries). */
    struct tlb *fa = mktlb(m, 8, 8, UVMSIM_TLB_LRU);
    touch(fa, 1, 0);
    touch(fa, 1, 4);
    touch(fa, 1, 8);
    ck_assert_ptr_nonnull(uvmsim_tlb_lookup(fa, 1, 0));
    ck_assert_uint_eq(uvmsim_tlb_stats_of(fa)->evictions, 0);
    /* Direct mapped: 1 way. */
    struct tlb *dm = mktlb(m, 4, 1, UVMSIM_TLB_LRU);
    ck_assert_uint_eq(run_pattern(dm, "AEAE"), 4);        /* 100 and 104 collide */
    ck_assert_uint_eq(run_pattern(dm, "EB"), 1);        /* E stayed; B is in set 1 */
    uvmsim_tlb_destroy(dm);
    uvmsim_tlb_destroy(fa);
    uvmsim_tlb_destroy(t);
    uvmsim_machine_destroy(m);
}
END_TEST

static void random_run(uint64_t seed, uvmsim_tlb_stats *out, vaddr_t *contents)
{
    uvmsim_machine *m = mk(64, 4, UVMSIM_TLB_LRU, false, seed);
    struct tlb *t = mktlb(m, 4, 0, UVMSIM_TLB_RANDOM);
    for (int it = 0; it < 50; it++)
        for (vaddr_t v = 0; v < 5; v++)
            touch(t, 1, v);
    *out = *uvmsim_tlb_stats_of(t);
    for (vaddr_t v = 0; v < 5; v++)
        contents[v] = uvmsim_tlb_lookup(t, 1, v) != NULL;
    uvmsim_tlb_destroy(t);
    uvmsim_machine_destroy(m);
}

START_TEST(test_random_deterministic)
{
    uvmsim_tlb_stats a, b;
    vaddr_t ca[5], cb[5];
    random_run(7, &a, ca);
    random_run(7, &b, cb);
    ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
    ck_assert_int_eq(memcmp(ca, cb, sizeof(ca)), 0);
    ck_assert_uint_eq(a.lookups, 250);
    ck_assert_uint_eq(a.hits + a.misses, a.lookups);
    ck_assert_uint_eq(a.fills, a.misses);
    ck_assert_uint_eq(a.evictions, a.misses - 4);
    ck_assert_uint_eq(ca[0] + ca[1] + ca[2] + ca[3] + ca[4], 4);
    /* Unlike LRU/FIFO, random replacement keeps some of the loop: hits happen. */
    ck_assert_uint_gt(a.hits, 0);
    /* Another seed makes other choices. */
    bool differs = false;
    for (uint64_t seed = 1; seed <= 8 && !differs; seed++) {
        if (seed == 7)
            continue;
        random_run(seed, &b, cb);
        differs = b.hits != a.hits;
    }
    ck_assert(differs);
}
END_TEST

START_TEST(test_asid_tags_and_flushes)
{
    uvmsim_machine *m = mk(64, 4, UVMSIM_TLB_LRU, false, 1);
    struct tlb *t = mktlb(m, 16, 0, UVMSIM_TLB_LRU);
    uvmsim_tlb_insert(t, 1, 5, 0x5000, UVMSIM_PROT_READ, 0);
    uvmsim_tlb_insert(t, 2, 5, 0x9000, UVMSIM_PROT_ALL, 3);
    uvmsim_tlb_insert(t, 2, 6, 0xa000, UVMSIM_PROT_ALL, 3);
    uvmsim_tlb_insert(t, 3, 7, 0xb000, UVMSIM_PROT_ALL, 4);
    struct tlb_entry *e = uvmsim_tlb_lookup(t, 1, 5);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->pfn_pa, 0x5000);
    e = uvmsim_tlb_lookup(t, 2, 5);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->pfn_pa, 0x9000);
    ck_assert_ptr_null(uvmsim_tlb_lookup(t, 4, 5));
    /* Re-inserting a present tag updates it in place. */
    uvmsim_tlb_insert(t, 1, 5, 0x6000, UVMSIM_PROT_ALL, 0);
    ck_assert_uint_eq(uvmsim_tlb_valid_count(t), 4);
    ck_assert_uint_eq(uvmsim_tlb_lookup(t, 1, 5)->pfn_pa, 0x6000);

    uvmsim_tlb_flush_asid(t, 2, "test");
    ck_assert_ptr_null(uvmsim_tlb_lookup(t, 2, 5));
    ck_assert_ptr_nonnull(uvmsim_tlb_lookup(t, 1, 5));
    uvmsim_tlb_flush_domain(t, 4, "test");
    ck_assert_ptr_null(uvmsim_tlb_lookup(t, 3, 7));
    uvmsim_tlb_invalidate(t, 1, 5);
    uvmsim_tlb_invalidate(t, 1, 99);               /* nothing there: still issued */
    ck_assert_uint_eq(uvmsim_tlb_valid_count(t), 0);
    uvmsim_tlb_insert(t, 1, 1, 0x1000, UVMSIM_PROT_READ, 0);
    uvmsim_tlb_insert(t, 1, 2, 0x2000, UVMSIM_PROT_READ, 0);
    uvmsim_tlb_flush_all(t, "test");
    uvmsim_tlb_flush_all(t, "test");               /* empty: counted, drops nothing */
    const uvmsim_tlb_stats *s = uvmsim_tlb_stats_of(t);
    ck_assert_uint_eq(s->asid_flushes, 2);
    ck_assert_uint_eq(s->full_flushes, 2);
    ck_assert_uint_eq(s->single_invalidations, 2);
    ck_assert_uint_eq(s->entries_flushed, 2 + 1 + 1 + 2);
    ck_assert_uint_eq(s->fills, 7);
    ck_assert_uint_eq(s->evictions, 0);
    uvmsim_tlb_destroy(t);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Entries of mixed sizes (docs/superpages.md): a 16-page entry in a 4-set, 2-way TLB
 * lives in the set of vpn >> 4, serves every page it covers whatever set that page's
 * own entries use, is dropped by an invalidation of any of its pages, is evicted by its
 * own set's fills only, and counts in reach.  The structural check catches a misaligned
 * entry, two entries for one page and a wrong count. */
START_TEST(test_mixed_sizes)
{
    uvmsim_machine *m = mk(64, 4, UVMSIM_TLB_LRU, false, 1);
    struct tlb *t = mktlb(m, 8, 2, UVMSIM_TLB_LRU);
    char msg[200];
    uvmsim_tlb_insert_sized(t, 1, 0x120, 4, 0x80120000, UVMSIM_PROT_READ, 0);   /* set (0x12) & 3 = 2 */
    uvmsim_tlb_insert(t, 1, 0x200, 0x200000, UVMSIM_PROT_READ, 0);              /* set 0 */
    ck_assert_uint_eq(t->nlarge, 1);
    for (vaddr_t v = 0x120; v < 0x130; v++) {
        struct tlb_entry *e = uvmsim_tlb_lookup(t, 1, v);
        ck_assert_ptr_nonnull(e);
        ck_assert_uint_eq(e->lshift, 4);
        ck_assert_uint_eq(e->pfn_pa | ((v << 12) & e->off_mask), 0x80000000 + (v << 12));
    }
    ck_assert_ptr_null(uvmsim_tlb_lookup(t, 1, 0x130));
    ck_assert_ptr_null(uvmsim_tlb_lookup(t, 1, 0x11f));
    ck_assert_ptr_null(uvmsim_tlb_lookup(t, 2, 0x125));                         /* another tag */
    const uvmsim_tlb_stats *s = uvmsim_tlb_stats_of(t);
    ck_assert_uint_eq(s->hits, 16);
    ck_assert_uint_eq(s->large_hits, 16);
    ck_assert_uint_eq(s->large_fills, 1);
    ck_assert_uint_eq(s->large_entries, 1);
    ck_assert_uint_eq(s->reach, 17 * 4096);
    ck_assert_int_eq(uvmsim_tlb_check(t, msg, sizeof msg), UVMSIM_OK);
    /* a one-page entry for a page the large one covers: the check sees two for one page */
    uvmsim_tlb_insert(t, 1, 0x12c, 0x8012c000, UVMSIM_PROT_READ, 0);
    ck_assert_int_eq(uvmsim_tlb_check(t, msg, sizeof msg), UVMSIM_ESTATE);
    ck_assert_ptr_nonnull(strstr(msg, "overlaps"));
    /* an invalidation by one page drops every entry covering it, counted once */
    uint64_t inv0 = s->single_invalidations, fl0 = s->entries_flushed;
    uvmsim_tlb_invalidate(t, 1, 0x12c);
    s = uvmsim_tlb_stats_of(t);
    ck_assert_uint_eq(s->single_invalidations - inv0, 1);
    ck_assert_uint_eq(s->entries_flushed - fl0, 2);
    ck_assert_uint_eq(t->nlarge, 0);
    ck_assert_ptr_null(uvmsim_tlb_lookup(t, 1, 0x121));
    ck_assert_int_eq(uvmsim_tlb_check(t, msg, sizeof msg), UVMSIM_OK);
    /* a large entry is evicted by fills of its own set (LRU), not of the page's set */
    uvmsim_tlb_insert_sized(t, 1, 0x120, 4, 0x80120000, UVMSIM_PROT_READ, 0);
    uvmsim_tlb_insert(t, 1, 0x121, 0x121000, UVMSIM_PROT_READ, 1);   /* set 1: elsewhere */
    uvmsim_tlb_insert(t, 1, 0x122, 0x122000, UVMSIM_PROT_READ, 1);   /* set 2, way 2 */
    ck_assert_uint_eq(t->nlarge, 1);
    uvmsim_tlb_insert(t, 1, 0x126, 0x126000, UVMSIM_PROT_READ, 1);   /* set 2: evicts the oldest, the large one */
    ck_assert_uint_eq(t->nlarge, 0);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(t)->evictions, 1);
    ck_assert_int_eq(uvmsim_tlb_check(t, msg, sizeof msg), UVMSIM_OK);
    /* flushes count large entries out too */
    uvmsim_tlb_insert_sized(t, 3, 0x300, 4, 0x80300000, UVMSIM_PROT_READ, 0);
    uvmsim_tlb_flush_asid(t, 3, "test");
    ck_assert_uint_eq(t->nlarge, 0);
    uvmsim_tlb_insert_sized(t, 3, 0x300, 4, 0x80300000, UVMSIM_PROT_READ, 0);
    uvmsim_tlb_flush_all(t, "test");
    ck_assert_uint_eq(t->nlarge, 0);
    ck_assert_uint_eq(uvmsim_tlb_stats_of(t)->reach, 0);
    /* corruptions the check must catch */
    uvmsim_tlb_insert_sized(t, 1, 0x120, 4, 0x80120000, UVMSIM_PROT_READ, 0);
    struct tlb_entry *e = uvmsim_tlb_probe(t, 1, 0x125);
    ck_assert_ptr_nonnull(e);
    e->vpn = 0x121;
    ck_assert_int_eq(uvmsim_tlb_check(t, msg, sizeof msg), UVMSIM_ESTATE);
    ck_assert_ptr_nonnull(strstr(msg, "aligned"));
    e->vpn = 0x120;
    t->nlarge = 2;
    ck_assert_int_eq(uvmsim_tlb_check(t, msg, sizeof msg), UVMSIM_ESTATE);
    ck_assert_ptr_nonnull(strstr(msg, "large entries"));
    t->nlarge = 1;
    e->vpn = 0x130;             /* aligned, but (0x13) & 3 = 3 is not the set it sits in */
    ck_assert_int_eq(uvmsim_tlb_check(t, msg, sizeof msg), UVMSIM_ESTATE);
    ck_assert_ptr_nonnull(strstr(msg, "wrong set"));
    e->vpn = 0x120;
    ck_assert_int_eq(uvmsim_tlb_check(t, msg, sizeof msg), UVMSIM_OK);
    uvmsim_tlb_destroy(t);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_no_tlb)
{
    uvmsim_machine *m = mk(0, 0, UVMSIM_TLB_LRU, false, 1);
    struct tlb *t = mktlb(m, 0, 0, UVMSIM_TLB_LRU);
    ck_assert(!touch(t, 1, 3));
    ck_assert(!touch(t, 1, 3));
    uvmsim_tlb_invalidate(t, 1, 3);
    uvmsim_tlb_flush_all(t, "x");
    uvmsim_tlb_flush_asid(t, 1, "x");
    uvmsim_tlb_flush_domain(t, 1, "x");
    const uvmsim_tlb_stats *s = uvmsim_tlb_stats_of(t);
    ck_assert_uint_eq(s->lookups, 2);
    ck_assert_uint_eq(s->misses, 2);
    ck_assert_uint_eq(s->fills + s->full_flushes + s->asid_flushes + s->single_invalidations, 0);
    ck_assert_uint_eq(uvmsim_tlb_valid_count(t), 0);
    uvmsim_tlb_destroy(t);
    uvmsim_tlb_destroy(NULL);
    /* Through the MMU: every access walks. */
    struct pmap *pm;
    paddr_t pa, got;
    ck_assert_int_eq(uvmsim_pmap_create(m, 1, &pm), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_ram_alloc(m, true, &pa), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_enter(pm, 0x10000, pa, UVMSIM_PROT_READ, 0), UVMSIM_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(uvmsim_pmap_translate(pm, 0x10004, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_uint_eq(got, pa + 4);
    uvmsim_pmap_stats ps;
    uvmsim_pmap_stats_get(m, &ps);
    ck_assert_uint_eq(ps.dtlb.walks, 3);
    ck_assert_uint_eq(ps.dtlb.misses, 3);
    ck_assert_uint_eq(ps.dtlb.hits, 0);
    ck_assert_int_eq(uvmsim_pmap_check(m, NULL, 0), UVMSIM_OK);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Odd shapes built directly: ways that do not divide entries round the sets down. */
START_TEST(test_odd_shape)
{
    uvmsim_machine *m = mk(64, 4, UVMSIM_TLB_LRU, false, 1);
    struct tlb *t = mktlb(m, 10, 4, UVMSIM_TLB_LRU);   /* 2 sets of 4 = 8 entries */
    for (vaddr_t v = 0; v < 20; v++)
        touch(t, 1, v);
    ck_assert_uint_eq(uvmsim_tlb_valid_count(t), 8);
    uvmsim_tlb_destroy(t);
    uvmsim_machine_destroy(m);
}
END_TEST

/* ---- the same policies through the MMU of the generic backend ---- */

struct mmu {
    uvmsim_machine *m;
    struct pmap *pm;
    paddr_t pa[8];
};

static void mmu_setup(struct mmu *x, unsigned entries, unsigned ways, uvmsim_tlb_repl repl, bool split)
{
    x->m = mk(entries, ways, repl, split, 1);
    ck_assert_int_eq(uvmsim_pmap_create(x->m, 1, &x->pm), UVMSIM_OK);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(uvmsim_ram_alloc(x->m, true, &x->pa[i]), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_pmap_enter(x->pm, 0x400000 + (vaddr_t)i * 4096, x->pa[i],
                                           UVMSIM_PROT_ALL, 0), UVMSIM_OK);
    }
    uvmsim_pmap_activate(x->pm);
}

static unsigned mmu_pattern(struct mmu *x, const char *pat)
{
    uvmsim_pmap_stats s0, s1;
    uvmsim_pmap_stats_get(x->m, &s0);
    for (const char *p = pat; *p; p++) {
        paddr_t got;
        int i = *p - 'A';
        ck_assert_int_eq(uvmsim_pmap_translate(x->pm, 0x400000 + (vaddr_t)i * 4096 + 8,
                                               UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
        ck_assert_uint_eq(got, x->pa[i] + 8);
    }
    uvmsim_pmap_stats_get(x->m, &s1);
    ck_assert_uint_eq(s1.dtlb.walks - s0.dtlb.walks, s1.dtlb.misses - s0.dtlb.misses);
    return (unsigned)(s1.dtlb.misses - s0.dtlb.misses);
}

static void mmu_teardown(struct mmu *x)
{
    char msg[256] = "";
    ck_assert_msg(uvmsim_pmap_check(x->m, msg, sizeof(msg)) == UVMSIM_OK, "%s", msg);
    uvmsim_machine_destroy(x->m);
}

START_TEST(test_mmu_loop5)
{
    for (int r = 0; r < 2; r++) {
        struct mmu x;
        mmu_setup(&x, 4, 0, r ? UVMSIM_TLB_FIFO : UVMSIM_TLB_LRU, false);
        unsigned misses = 0;
        for (int it = 0; it < 10; it++)
            misses += mmu_pattern(&x, "ABCDE");
        ck_assert_uint_eq(misses, 50);
        uvmsim_pmap_stats s;
        uvmsim_pmap_stats_get(x.m, &s);
        ck_assert_uint_eq(s.dtlb.hits, 0);
        ck_assert_uint_eq(s.dtlb.evictions, 46);
        ck_assert_uint_eq(s.itlb.lookups, 0);     /* unified: reported as dtlb */
        mmu_teardown(&x);
    }
}
END_TEST

START_TEST(test_mmu_lru_vs_fifo)
{
    struct mmu a, b;
    mmu_setup(&a, 4, 4, UVMSIM_TLB_LRU, false);
    mmu_setup(&b, 4, 4, UVMSIM_TLB_FIFO, false);
    ck_assert_uint_eq(mmu_pattern(&a, "ABCDAEAB"), 6);
    ck_assert_uint_eq(mmu_pattern(&b, "ABCDAEAB"), 7);
    mmu_teardown(&a);
    mmu_teardown(&b);
}
END_TEST

START_TEST(test_mmu_split)
{
    struct mmu x;
    mmu_setup(&x, 8, 0, UVMSIM_TLB_LRU, true);
    paddr_t got;
    vaddr_t va = 0x400000;
    ck_assert_int_eq(uvmsim_pmap_translate(x.pm, va, UVMSIM_ACCESS_FETCH, &got), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_translate(x.pm, va, UVMSIM_ACCESS_FETCH, &got), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_translate(x.pm, va, UVMSIM_ACCESS_LOAD, &got), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_pmap_translate(x.pm, va, UVMSIM_ACCESS_STORE, &got), UVMSIM_OK);
    uvmsim_pmap_stats s;
    uvmsim_pmap_stats_get(x.m, &s);
    ck_assert_uint_eq(s.itlb.lookups, 2);
    ck_assert_uint_eq(s.itlb.misses, 1);
    ck_assert_uint_eq(s.itlb.hits, 1);
    ck_assert_uint_eq(s.dtlb.lookups, 2);
    ck_assert_uint_eq(s.dtlb.misses, 1);       /* the I-TLB fill did not help the data side */
    ck_assert_uint_eq(s.dtlb.hits, 1);
    /* Removing the page shoots the entry down in both. */
    uvmsim_pmap_remove(x.pm, va, va + 4096);
    uvmsim_pmap_stats_get(x.m, &s);
    ck_assert_uint_eq(s.itlb.single_invalidations, 1);
    ck_assert_uint_eq(s.dtlb.single_invalidations, 1);
    ck_assert_uint_eq(uvmsim_tlb_valid_count(x.m->pmm->itlb), 0);
    ck_assert_uint_eq(uvmsim_tlb_valid_count(x.m->pmm->dtlb), 0);
    ck_assert_int_eq(uvmsim_pmap_translate(x.pm, va, UVMSIM_ACCESS_FETCH, &got), UVMSIM_EFAULT);
    mmu_teardown(&x);
}
END_TEST

struct evcount {
    unsigned n[UVMSIM_EV_NTYPES];
    uint64_t last_flush_a;
};

static void count_ev(const uvmsim_event *ev, void *arg)
{
    struct evcount *c = arg;
    c->n[ev->type]++;
    if (ev->type == UVMSIM_EV_TLB_FLUSH)
        c->last_flush_a = ev->a;
}

START_TEST(test_tlb_events)
{
    uvmsim_machine *m = mk(64, 4, UVMSIM_TLB_LRU, false, 1);
    struct evcount c;
    memset(&c, 0, sizeof(c));
    uvmsim_trace_set(m, count_ev, &c);
    struct tlb *t = mktlb(m, 8, 0, UVMSIM_TLB_LRU);
    touch(t, 1, 1);
    touch(t, 1, 2);
    uvmsim_tlb_invalidate(t, 1, 1);
    uvmsim_tlb_flush_all(t, "test");
    ck_assert_uint_eq(c.n[UVMSIM_EV_TLB_INVAL], 1);
    ck_assert_uint_eq(c.n[UVMSIM_EV_TLB_FLUSH], 1);
    ck_assert_uint_eq(c.last_flush_a, 1);
    ck_assert_uint_eq(c.n[UVMSIM_EV_TLB_MISS], 0);   /* the MMU, not the TLB, reports misses */
    uvmsim_trace_set(m, NULL, NULL);
    uvmsim_tlb_flush_all(t, "quiet");
    ck_assert_uint_eq(c.n[UVMSIM_EV_TLB_FLUSH], 1);
    uvmsim_tlb_destroy(t);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tlb");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, test_lru_loop5);
    tcase_add_test(tc, test_fifo_loop5);
    tcase_add_test(tc, test_lru_vs_fifo);
    tcase_add_test(tc, test_fifo_invalidate_reuse);
    tcase_add_test(tc, test_set_associative);
    tcase_add_test(tc, test_random_deterministic);
    tcase_add_test(tc, test_asid_tags_and_flushes);
    tcase_add_test(tc, test_mixed_sizes);
    tcase_add_test(tc, test_no_tlb);
    tcase_add_test(tc, test_odd_shape);
    tcase_add_test(tc, test_tlb_events);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("mmu");
    tcase_add_test(tm, test_mmu_loop5);
    tcase_add_test(tm, test_mmu_lru_vs_fifo);
    tcase_add_test(tm, test_mmu_split);
    suite_add_tcase(s, tm);
    return vt_run(s);
}
