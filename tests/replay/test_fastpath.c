/* The CPU model's inline TLB-hit path (uvmsim_pmap_fast_hit) changes nothing but speed:
 * random traces replayed with it and without it (uvmsim_pmap_set_fast_path) give the same
 * value for every counter of the machine — VM, pmap and TLB, RAM, filesystem, replayer —
 * on every backend and several TLB shapes (unified and split, LRU, FIFO and random
 * replacement, power-of-two and other set counts, fully associative, none), with two
 * processes of a real program interleaved and the things that must invalidate what the
 * fast path remembers happening in between: fork (write protection), unmap and refault,
 * protect, a process exiting, a context switch. */
#include "replay_testutil.h"
#include "uvmsim/builtin.h"

struct shape {
    const char *name;
    uvmsim_tlb_config tlb;
};

static const struct shape shapes[] = {
    {"64/4/lru", {64, 4, UVMSIM_TLB_LRU, false}},
    {"32/full/fifo/split", {32, 0, UVMSIM_TLB_FIFO, true}},
    {"24/2/random (12 sets)", {24, 2, UVMSIM_TLB_RANDOM, false}},
    {"8/2/lru/split", {8, 2, UVMSIM_TLB_LRU, true}},
    {"48/3/lru (16 sets)", {48, 3, UVMSIM_TLB_LRU, false}},
    {"off", {0, 0, UVMSIM_TLB_LRU, false}},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

#define CHUNK 200u        /* records per process turn */

/* One run: returns the counters. */
static void run(const char *backend, const struct shape *sh, bool fast, uint64_t seed, struct rt_counters *out)
{
    size_t ilen;
    const unsigned char *img = uvmsim_builtin_image(&ilen);
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.ram_size = 64u << 20;
    c.pmap = backend;
    c.tlb = sh->tlb;
    c.seed = seed;
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
    uvmsim_pmap_set_fast_path(m, fast);
    ck_assert(uvmsim_pmap_fast_path(m) == fast);
    uvmsim_proc *p[2];
    uvmsim_replayer *r[2];
    uvmsim_exec_info ei;
    uint64_t text_lo = 0, text_pages = 0;
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(uvmsim_proc_create(m, &p[i]), UVMSIM_OK);
    if (img != NULL) {
        uvmsim_flashdev *dev;
        uvmsim_mount *mp;
        ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, ilen, &dev), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", UVMSIM_MNT_XIP, &mp), UVMSIM_OK);
        for (int i = 0; i < 2; i++)
            ck_assert_int_eq(uvmsim_exec(p[i], uvmsim_builtin_program(), &ei), UVMSIM_OK);
        for (unsigned s = 0; s < ei.nsegs; s++)
            if (ei.segs[s].kind == UVMSIM_EXEC_SEG_FILE && (ei.segs[s].prot & UVMSIM_PROT_EXEC)) {
                text_lo = ei.segs[s].va;
                text_pages = ei.segs[s].size / 4096;
            }
    }
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(uvmsim_replay_open(p[i], NULL, &r[i]), UVMSIM_OK);
    size_t len[2];
    char *text[2];
    unsigned nrec = rt_memcheck() ? 3000 : 12000;
    text[0] = rt_random_trace(seed, nrec, text_lo, (unsigned)text_pages, &len[0]);
    text[1] = rt_random_trace(seed + 100, nrec, text_lo, (unsigned)text_pages, &len[1]);
    size_t pos[2] = {0, 0};
    uvmsim_proc *child = NULL, *extra = NULL;
    for (unsigned turn = 0; pos[0] < len[0] || pos[1] < len[1]; turn++) {
        int i = (int)(turn % 2);
        if (pos[i] < len[i]) {
            size_t used;
            int err = uvmsim_replay_feed(r[i], text[i] + pos[i], len[i] - pos[i], CHUNK, true, &used);
            ck_assert_msg(err == UVMSIM_OK, "%s %s: %s", backend, sh->name, uvmsim_replay_error(r[i]));
            pos[i] += used;
        }
        /* what the fast path must notice */
        switch (turn) {
        case 3:   /* fork: the parent's writable pages become read-only until the next write */
            ck_assert_int_eq(uvmsim_proc_fork(p[0], &child), UVMSIM_OK);
            break;
        case 6:   /* a piece of the heap area goes away and comes back on the next touch */
            ck_assert_int_eq(uvmsim_unmap(p[1], 0x10000000, 0x40000), UVMSIM_OK);
            break;
        case 8:   /* protect a stack page read-only and back: no stale write right may stay */
            ck_assert_int_eq(uvmsim_protect(p[0], 0x4000000, 0x10000, UVMSIM_PROT_READ), UVMSIM_OK);
            ck_assert_int_eq(uvmsim_protect(p[0], 0x4000000, 0x10000, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE),
                             UVMSIM_OK);
            break;
        case 10:  /* another process runs a little and exits */
            ck_assert_int_eq(uvmsim_proc_create(m, &extra), UVMSIM_OK);
            {
                uint8_t b = 7;
                ck_assert_int_eq(uvmsim_map(extra, &(uvmsim_map_args){.addr = 0x10000000, .size = 8192,
                                                                        .prot = UVMSIM_PROT_READ | UVMSIM_PROT_WRITE,
                                                                        .flags = UVMSIM_MAP_FIXED}, NULL),
                                 UVMSIM_OK);
                ck_assert_int_eq(uvmsim_access_mem(extra, 0x10000010, UVMSIM_ACCESS_STORE, &b, 1, NULL, NULL),
                                 UVMSIM_OK);
            }
            uvmsim_proc_exit(extra);
            break;
        case 12:  /* the fork child exits: the parent's pages are its own again */
            uvmsim_proc_exit(child);
            child = NULL;
            break;
        default:
            break;
        }
    }
    rt_counters(m, r, 2, out);
    ck_assert_uint_eq(out->rp[0].records + out->rp[1].records, 2 * nrec);
    for (int i = 0; i < 2; i++)
        uvmsim_replay_close(r[i]);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
    free(text[0]);
    free(text[1]);
}

START_TEST(test_same_counters)
{
    const char *backend = vt_backends()[_i];
    for (unsigned s = 0; s < NSHAPES; s++) {
        struct rt_counters with, without;
        run(backend, &shapes[s], true, 1 + s, &with);
        run(backend, &shapes[s], false, 1 + s, &without);
        char why[160];
        const char *d = rt_counters_diff(&with, &without, why, sizeof why);
        ck_assert_msg(d == NULL, "%s, TLB %s: with and without the fast path: %s", backend, shapes[s].name, d);
        if (shapes[s].tlb.entries > 0)
            ck_assert_uint_gt(with.pmap.dtlb.hits, 500);
    }
}
END_TEST

/* A hit's side effects: after a switch, a load misses (the slow path: on armv5 the cache
 * now holds lines, none dirty), then a store to the same page hits (the inline path:
 * the lines become dirty), then the page loses its write right, which on a VIVT cache
 * must write the dirty lines back.  The cache operations counted must not depend on
 * which path took the store. */
static void side_effects(const char *backend, bool fast, struct rt_counters *out)
{
    uvmsim_machine *m = vt_machine(0, backend);
    uvmsim_pmap_set_fast_path(m, fast);
    uvmsim_proc *a, *b;
    ck_assert_int_eq(uvmsim_proc_create(m, &a), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_create(m, &b), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(a, 0x10000000, 4 * 4096, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    vt_map_anon(b, 0x20000000, 4096, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    uint8_t v = 1;
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(vt_store(a, va + 8, 1, NULL, NULL), UVMSIM_OK);
        ck_assert_int_eq(vt_store(b, 0x20000000, 2, NULL, NULL), UVMSIM_OK);     /* switch away */
        ck_assert_int_eq(vt_load(a, va + 16, &v, NULL, NULL), UVMSIM_OK);        /* and back: a miss */
        ck_assert_int_eq(vt_store(a, va + 24, 3, NULL, NULL), UVMSIM_OK);        /* a hit */
        ck_assert_int_eq(uvmsim_protect(a, va, 4096, UVMSIM_PROT_READ), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_protect(a, va, 4096, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE), UVMSIM_OK);
        ck_assert_int_eq(vt_load(a, va + 4096, &v, NULL, NULL), UVMSIM_OK);
        ck_assert_int_eq(vt_store(a, va + 4097, 4, NULL, NULL), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_unmap(a, va + 4096, 4096), UVMSIM_OK);
        vt_map_anon(a, va + 4096, 4096, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    }
    rt_counters(m, NULL, 0, out);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}

START_TEST(test_side_effects)
{
    struct rt_counters with, without;
    side_effects(vt_backends()[_i], true, &with);
    side_effects(vt_backends()[_i], false, &without);
    char why[160];
    const char *d = rt_counters_diff(&with, &without, why, sizeof why);
    ck_assert_msg(d == NULL, "%s: with and without the fast path: %s", vt_backends()[_i], d);
}
END_TEST

/* The switch itself: on by default, off and on again. */
START_TEST(test_switch)
{
    uvmsim_machine *m = vt_machine(0, vt_backends()[_i]);
    ck_assert(uvmsim_pmap_fast_path(m));
    uvmsim_pmap_set_fast_path(m, false);
    ck_assert(!uvmsim_pmap_fast_path(m));
    uvmsim_pmap_set_fast_path(m, true);
    ck_assert(uvmsim_pmap_fast_path(m));
    uvmsim_pmap_set_fast_path(NULL, true);
    ck_assert(!uvmsim_pmap_fast_path(NULL));
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fastpath");
    vt_tcase_each_backend(s, "same-counters", test_same_counters);
    vt_tcase_each_backend(s, "side-effects", test_side_effects);
    vt_tcase_each_backend(s, "switch", test_switch);
    return vt_run(s);
}
