/* Check suite for FASS shared domains (src/pmap_sim/pmap_fass.c, sharing on): a region
 * forms when two address spaces map the same page at the same address, a TLB entry filled
 * by one sharer is hit by the other, and each consistency rule — a write (COW copy), an
 * unmap, a protect, a sharer mapping another page there, fork, exit, a PID slot move —
 * makes the sharer leave while the others keep sharing; a page only one sharer has is
 * served by its private entry.  A random differential run compares every byte and error
 * with sharing off, the checker after every step. */
#include <stdlib.h>
#include <string.h>
#include "vmtest.h"
#include "vm/uvm_vm.h"
#include "pmap_sim/pmap_arm.h"

#define PG 4096u
#define BASE 0x80000000ull
#define MI ((unsigned)(BASE >> 20))
#define RW (UVMSIM_PROT_READ | UVMSIM_PROT_WRITE)

static uvmsim_machine *share_machine(bool on)
{
    uvmsim_machine *m = vt_machine(16u << 20, "fass");
    ck_assert_int_eq(uvmsim_pmap_fass_set_sharing(m, on), UVMSIM_OK);
    ck_assert(uvmsim_pmap_fass_sharing(m) == on);
    return m;
}

static uvmsim_pmap_stats st(uvmsim_machine *m)
{
    uvmsim_pmap_stats s;
    uvmsim_pmap_stats_get(m, &s);
    return s;
}

static uint8_t load(uvmsim_proc *p, uvmsim_vaddr_t va)
{
    uint8_t v = 0;
    ck_assert_int_eq(vt_load(p, va, &v, NULL, NULL), UVMSIM_OK);
    return v;
}

static void store(uvmsim_proc *p, uvmsim_vaddr_t va, uint8_t v)
{
    ck_assert_int_eq(vt_store(p, va, v, NULL, NULL), UVMSIM_OK);
}

static uvmsim_proc *fork_of(uvmsim_proc *p)
{
    uvmsim_proc *c = NULL;
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    return c;
}

static unsigned sharers(uvmsim_machine *m, unsigned *common)
{
    unsigned n = 0;
    if (uvmsim_pmap_fass_share_info(m, MI, &n, common) < 0)
        return 0;
    return n;
}

/* A parent with a shared mapping of 4 pages at BASE (pages 0 and 1 written) and n - 1
 * children that each read pages 0 and 1: every one maps the same two anon pages. */
static void family(uvmsim_machine *m, uvmsim_proc **p, unsigned n, bool shared_map)
{
    ck_assert_int_eq(uvmsim_proc_create(m, &p[0]), UVMSIM_OK);
    vt_map_anon(p[0], BASE, 4 * PG, RW, shared_map);
    store(p[0], BASE, 10);
    store(p[0], BASE + PG, 11);
    for (unsigned i = 1; i < n; i++) {
        p[i] = fork_of(p[0]);
        ck_assert_uint_eq(load(p[i], BASE), 10);
        ck_assert_uint_eq(load(p[i], BASE + PG), 11);
    }
    VT_CHECK(m);
}

START_TEST(test_form_and_share_tlb)
{
    uvmsim_machine *m = share_machine(true);
    uvmsim_proc *p[2];
    family(m, p, 2, true);
    unsigned common = 0;
    ck_assert_uint_eq(sharers(m, &common), 2);
    ck_assert_uint_eq(common, 2);                      /* pages 0 and 1, in both */
    uvmsim_pmap_stats s0 = st(m);
    ck_assert_uint_eq(s0.share_groups_made, 1);
    ck_assert_uint_eq(s0.shared_regions, 1);
    /* The parent's access fills the TLB through the shared entry; the child's hits it. */
    ck_assert_int_eq(uvmsim_proc_switch(p[0]), UVMSIM_OK);
    ck_assert_uint_eq(load(p[0], BASE + PG), 11);
    ck_assert_int_eq(uvmsim_proc_switch(p[1]), UVMSIM_OK);
    uvmsim_pmap_stats a = st(m);
    ck_assert_uint_eq(load(p[1], BASE + PG), 11);
    uvmsim_pmap_stats b = st(m);
    ck_assert_uint_eq(b.dtlb.misses - a.dtlb.misses, 0);
    ck_assert_uint_eq(b.shared_domain_hits - a.shared_domain_hits, 1);
    ck_assert_uint_ge(b.shared_domain_fills, 1);
    /* a store by one is seen by the other: the same page */
    store(p[1], BASE + PG, 42);
    ck_assert_int_eq(uvmsim_proc_switch(p[0]), UVMSIM_OK);
    ck_assert_uint_eq(load(p[0], BASE + PG), 42);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);

    /* Sharing off: the same run forms nothing and the child misses. */
    m = share_machine(false);
    family(m, p, 2, true);
    ck_assert_uint_eq(sharers(m, NULL), 0);
    ck_assert_int_eq(uvmsim_proc_switch(p[0]), UVMSIM_OK);
    load(p[0], BASE + PG);
    ck_assert_int_eq(uvmsim_proc_switch(p[1]), UVMSIM_OK);
    a = st(m);
    load(p[1], BASE + PG);
    b = st(m);
    ck_assert_uint_eq(b.dtlb.misses - a.dtlb.misses, 1);
    ck_assert_uint_eq(b.shared_domain_hits + b.share_groups_made, 0);
    uvmsim_machine_destroy(m);
}
END_TEST

/* A write to a private (COW) page by one sharer: it gets its own copy and leaves; the
 * other two keep sharing, and nobody sees the write but the writer. */
START_TEST(test_rule_write)
{
    uvmsim_machine *m = share_machine(true);
    uvmsim_proc *p[3];
    family(m, p, 3, false);
    /* The parent write-protected its pages at fork and re-faulted them read-only, so all
     * three map the same anon pages read-only. */
    ck_assert_uint_eq(sharers(m, NULL), 3);
    uvmsim_pmap_stats a = st(m);
    store(p[2], BASE, 99);                          /* COW: p[2] gets a copy */
    uvmsim_pmap_stats b = st(m);
    ck_assert_uint_eq(b.share_leaves - a.share_leaves, 1);
    unsigned common = 0;
    ck_assert_uint_eq(sharers(m, &common), 2);
    ck_assert_uint_eq(common, 2);
    ck_assert_uint_eq(load(p[0], BASE), 10);
    ck_assert_uint_eq(load(p[1], BASE), 10);
    ck_assert_uint_eq(load(p[2], BASE), 99);
    VT_CHECK(m);
    store(p[1], BASE + PG, 77);                     /* two left: the region dissolves */
    ck_assert_uint_eq(sharers(m, NULL), 0);
    ck_assert_uint_eq(st(m).shared_regions, 0);
    ck_assert_uint_eq(load(p[0], BASE + PG), 11);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_rule_unmap_protect)
{
    uvmsim_machine *m = share_machine(true);
    uvmsim_proc *p[4];
    family(m, p, 4, true);
    ck_assert_uint_eq(sharers(m, NULL), 4);
    ck_assert_int_eq(uvmsim_unmap(p[3], BASE + PG, PG), UVMSIM_OK);
    unsigned common = 0;
    ck_assert_uint_eq(sharers(m, &common), 3);      /* p[3] left; the others keep both pages */
    ck_assert_uint_eq(common, 2);
    ck_assert_int_ne(vt_load(p[3], BASE + PG, &(uint8_t){0}, NULL, NULL), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert_int_eq(uvmsim_protect(p[2], BASE, PG, UVMSIM_PROT_READ), UVMSIM_OK);
    ck_assert_uint_eq(sharers(m, &common), 2);
    ck_assert_int_ne(vt_store(p[2], BASE, 1, NULL, NULL), UVMSIM_OK);  /* its own rights */
    store(p[1], BASE, 5);                           /* the sharers' are unchanged */
    ck_assert_uint_eq(load(p[2], BASE), 5);
    ck_assert_uint_eq(st(m).share_leaves, 2);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* A sharer that maps another page where another sharer has one leaves. */
START_TEST(test_rule_other_page)
{
    uvmsim_machine *m = share_machine(true);
    uvmsim_proc *p[3];
    family(m, p, 3, true);
    store(p[0], BASE + 3 * PG, 3);                  /* only the parent has page 3 */
    ck_assert_uint_eq(sharers(m, NULL), 3);
    ck_assert_int_eq(uvmsim_unmap(p[1], BASE + 3 * PG, PG), UVMSIM_OK);   /* no PTE there: still a sharer */
    ck_assert_uint_eq(sharers(m, NULL), 3);
    vt_map_anon(p[1], BASE + 3 * PG, PG, RW, false);
    store(p[1], BASE + 3 * PG, 4);                  /* another page where the parent has one */
    ck_assert_uint_eq(sharers(m, NULL), 2);
    ck_assert_uint_eq(load(p[0], BASE + 3 * PG), 3);
    ck_assert_uint_eq(load(p[1], BASE + 3 * PG), 4);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* A page one sharer has and the other lacks is not shared: that sharer's access loads
 * its private entry (a fallback, a collision with the shared domain), and once the other
 * maps it too the page joins the shared table. */
START_TEST(test_fallback_then_common)
{
    uvmsim_machine *m = share_machine(true);
    uvmsim_proc *p[2];
    family(m, p, 2, true);
    store(p[0], BASE + 2 * PG, 7);
    unsigned common = 0;
    sharers(m, &common);
    ck_assert_uint_eq(common, 2);
    ck_assert_int_eq(uvmsim_proc_switch(p[1]), UVMSIM_OK);
    load(p[1], BASE);                               /* the CPD entry is the shared one now */
    ck_assert_int_eq(uvmsim_proc_switch(p[0]), UVMSIM_OK);
    load(p[0], BASE);
    uvmsim_pmap_stats a = st(m);
    ck_assert_uint_eq(load(p[0], BASE + 2 * PG), 7);
    uvmsim_pmap_stats b = st(m);
    ck_assert_uint_eq(b.share_fallbacks - a.share_fallbacks, 1);
    ck_assert_uint_eq(b.cpd_collisions - a.cpd_collisions, 1);
    ck_assert_uint_eq(b.mmu_faults - a.mmu_faults, 0);
    VT_CHECK(m);
    ck_assert_uint_eq(load(p[1], BASE + 2 * PG), 7);
    sharers(m, &common);
    ck_assert_uint_eq(common, 3);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Exit of a sharer: it leaves; the last but one dissolves the region, freeing its table
 * and its domain. */
START_TEST(test_rule_exit)
{
    uvmsim_machine *m = share_machine(true);
    uvmsim_proc *p[3];
    family(m, p, 3, true);
    uvmsim_ram_stats r0;
    uvmsim_ram_stats_get(m, &r0);
    uvmsim_proc_exit(p[1]);
    ck_assert_uint_eq(sharers(m, NULL), 2);
    VT_CHECK(m);
    uvmsim_proc_exit(p[0]);
    ck_assert_uint_eq(sharers(m, NULL), 0);
    uvmsim_pmap_stats s = st(m);
    ck_assert_uint_eq(s.shared_regions, 0);
    ck_assert_uint_eq(s.share_leaves, 2);
    ck_assert_uint_eq(load(p[2], BASE + PG), 11);
    VT_CHECK(m);
    /* turning sharing off dissolves what is left; on again, a new fork shares again */
    uvmsim_proc *c = fork_of(p[2]);
    load(c, BASE);
    ck_assert_uint_eq(sharers(m, NULL), 2);
    ck_assert_int_eq(uvmsim_pmap_fass_set_sharing(m, false), UVMSIM_OK);
    ck_assert_uint_eq(sharers(m, NULL), 0);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Below 32 MiB each process is relocated by its own PID: the same virtual address is a
 * different MVA, so nothing is shared — the reason shared domains rarely apply to
 * programs linked low. */
START_TEST(test_low_relocated_not_shared)
{
    uvmsim_machine *m = share_machine(true);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    vt_map_anon(p, 0x100000, 2 * PG, RW, true);
    store(p, 0x100000, 1);
    uvmsim_proc *c = fork_of(p);
    ck_assert_uint_eq(load(c, 0x100000), 1);
    ck_assert_uint_eq(st(m).share_groups_made, 0);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Least-contention placement: a second mapping goes into the region its process already
 * uses, another process's mapping into a region nobody uses, so the two never collide
 * in the CPD; without it both get the first fit at the same address and collide at every
 * switch. */
START_TEST(test_placement)
{
    for (int on = 0; on < 2; on++) {
        uvmsim_machine *m = vt_machine(16u << 20, "fass");
        ck_assert_int_eq(uvmsim_pmap_fass_set_placement(m, on), UVMSIM_OK);
        ck_assert(uvmsim_pmap_fass_placement(m) == on);
        uvmsim_proc *a, *b;
        ck_assert_int_eq(uvmsim_proc_create(m, &a), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_proc_create(m, &b), UVMSIM_OK);
        uvmsim_vaddr_t va = vt_map_anon(a, 0, 4 * PG, RW, false);
        store(a, va, 1);
        uvmsim_vaddr_t va2 = vt_map_anon(a, 0, PG, RW, false);
        store(a, va2, 2);
        uvmsim_vaddr_t vb = vt_map_anon(b, 0, 4 * PG, RW, false);
        store(b, vb, 3);
        ck_assert_uint_eq(va2 >> 20, va >> 20);         /* first fit or the region a uses */
        if (on)
            ck_assert_uint_ne(vb >> 20, va >> 20);
        else
            ck_assert_uint_eq(vb, va);
        uvmsim_pmap_stats s0 = st(m);
        for (int k = 0; k < 10; k++) {
            store(a, va, (uint8_t)k);
            store(b, vb, (uint8_t)k);
        }
        uvmsim_pmap_stats s1 = st(m);
        if (on) {
            ck_assert_uint_eq(s1.cpd_collisions - s0.cpd_collisions, 0);
            ck_assert_uint_eq(s1.placements, 3);
        } else {
            ck_assert_uint_eq(s1.cpd_collisions - s0.cpd_collisions, 20);
            ck_assert_uint_eq(s1.placements, 0);
        }
        ck_assert_uint_eq(load(a, va), 9);
        ck_assert_uint_eq(load(a, va2), 2);
        VT_CHECK(m);
        uvmsim_machine_destroy(m);
    }
}
END_TEST

START_TEST(test_api_errors)
{
    uvmsim_machine *m = vt_machine(0, "armv5");
    ck_assert_int_eq(uvmsim_pmap_fass_set_sharing(m, true), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_pmap_fass_set_placement(m, true), UVMSIM_EINVAL);
    ck_assert(!uvmsim_pmap_fass_sharing(m));
    ck_assert_int_eq(uvmsim_pmap_fass_share_info(m, MI, NULL, NULL), -1);
    uvmsim_machine_destroy(m);
    ck_assert_int_eq(uvmsim_pmap_fass_set_sharing(NULL, true), UVMSIM_EINVAL);
    ck_assert(!uvmsim_pmap_fass_sharing(NULL));
}
END_TEST

/* ---- differential random run ---- */

struct rnd {
    uint64_t s;
};
static unsigned rnd(struct rnd *r, unsigned n)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((r->s >> 33) % n);
}

#define MAXP 6

struct world {
    uvmsim_machine *m;
    uvmsim_proc *p[MAXP];
    unsigned n;
};

/* One random step on a world; returns a number describing the result (error and byte). */
static unsigned step(struct world *w, unsigned op, unsigned a, unsigned b, unsigned c)
{
    uvmsim_proc *p = w->p[a % w->n];
    /* two 1 MiB regions of 8 pages each, high (shareable) */
    uvmsim_vaddr_t va = BASE + (uvmsim_vaddr_t)(b % 2) * 0x100000 + (uvmsim_vaddr_t)(c % 8) * PG;
    uint8_t v = (uint8_t)(a * 7 + b);
    switch (op) {
    case 0:
        if (w->n < MAXP) {
            uvmsim_proc *ch = NULL;
            int e = uvmsim_proc_fork(p, &ch);
            if (e == UVMSIM_OK)
                w->p[w->n++] = ch;
            return 1000u + (unsigned)e;
        }
        return 0;
    case 1:
        if (w->n > 1) {
            unsigned k = a % w->n;
            uvmsim_proc_exit(p);
            w->n--;
            w->p[k] = w->p[w->n];
        }
        return 1;
    case 2: {
        uvmsim_map_args ma;
        uvmsim_map_args_init(&ma);
        ma.addr = va;
        ma.size = (uint64_t)(1 + c % 3) * PG;
        ma.prot = (c & 4) ? UVMSIM_PROT_READ : RW;
        ma.flags = UVMSIM_MAP_FIXED | ((c & 8) ? UVMSIM_MAP_SHARED : UVMSIM_MAP_PRIVATE);
        uvmsim_vaddr_t out;
        return 2000u + (unsigned)uvmsim_map(p, &ma, &out);
    }
    case 3:
        return 3000u + (unsigned)uvmsim_unmap(p, va, PG);
    case 4:
        return 4000u + (unsigned)uvmsim_protect(p, va, PG, (c & 1) ? UVMSIM_PROT_READ : RW);
    case 5:
    case 6: {
        int e = uvmsim_access_mem(p, va, UVMSIM_ACCESS_STORE, &v, 1, NULL, NULL);
        return 5000u + (unsigned)e;
    }
    default: {
        int e = uvmsim_proc_switch(p);
        if (e == UVMSIM_OK)
            e = uvmsim_access_mem(p, va, UVMSIM_ACCESS_LOAD, &v, 1, NULL, NULL);
        return 6000u + (unsigned)e * 256u + v;
    }
    }
}

START_TEST(test_random_differential)
{
    struct world w[2];
    for (int k = 0; k < 2; k++) {
        w[k].m = share_machine(k == 1);
        ck_assert_int_eq(uvmsim_proc_create(w[k].m, &w[k].p[0]), UVMSIM_OK);
        w[k].n = 1;
    }
    struct rnd r = {0x5eed + (uint64_t)_i};
    unsigned steps = getenv("UVMSIM_MEMCHECK") ? 300 : 1500;
    for (unsigned i = 0; i < steps; i++) {
        unsigned op = rnd(&r, 9), a = rnd(&r, 64), b = rnd(&r, 64), c = rnd(&r, 64);
        unsigned x = step(&w[0], op, a, b, c), y = step(&w[1], op, a, b, c);
        ck_assert_msg(x == y, "step %u op %u: without sharing %u, with %u", i, op, x, y);
        char msg[256];
        ck_assert_msg(uvmsim_check(w[1].m, msg, sizeof(msg)) == UVMSIM_OK, "step %u op %u: %s", i, op, msg);
    }
    uvmsim_pmap_stats s = st(w[1].m);
    ck_assert_uint_gt(s.share_groups_made, 0);        /* the run did exercise sharing */
    ck_assert_uint_gt(s.share_leaves, 0);
    uvmsim_vm_stats v0, v1;
    uvmsim_vm_stats_get(w[0].m, &v0);
    uvmsim_vm_stats_get(w[1].m, &v1);
    ck_assert_uint_eq(v0.faults_total, v1.faults_total);
    for (int k = 0; k < 2; k++)
        uvmsim_machine_destroy(w[k].m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pmap-fass-share");
    TCase *tc = tcase_create("share");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_form_and_share_tlb);
    tcase_add_test(tc, test_rule_write);
    tcase_add_test(tc, test_rule_unmap_protect);
    tcase_add_test(tc, test_rule_other_page);
    tcase_add_test(tc, test_fallback_then_common);
    tcase_add_test(tc, test_rule_exit);
    tcase_add_test(tc, test_low_relocated_not_shared);
    tcase_add_test(tc, test_placement);
    tcase_add_test(tc, test_api_errors);
    tcase_add_loop_test(tc, test_random_differential, 0, 3);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
