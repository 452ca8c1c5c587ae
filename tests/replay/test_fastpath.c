/* The CPU model's inline TLB-hit path (uvmsim_pmap_fast_hit) changes nothing but speed:
 * random traces replayed with it and without it (uvmsim_pmap_set_fast_path) give the same
 * value for every counter of the machine — VM, pmap and TLB, RAM, filesystem, replayer —
 * on every backend and several TLB shapes (unified and split, LRU, FIFO and random
 * replacement, power-of-two and other set counts, fully associative, none), with two
 * processes of a real program interleaved and the things that must invalidate what the
 * fast path remembers happening in between: fork (write protection), unmap and refault,
 * protect, a process exiting, a context switch.  With superpages on, the fetches run
 * over a file mapped from an image aligned for large pages, so the TLBs hold entries of
 * mixed sizes (every backend's two large sizes at once: generic's 2 MiB pages and 64 KiB
 * contiguous runs, ARM's sections and 64 KiB pages), and copy-on-write stores, protects
 * and unmaps of part of them, of either size, demote large mappings between turns. */
#include "../fs/fs_testutil.h"
#include "replay_testutil.h"
#include "uvmsim/builtin.h"
#include "uvmsim/fs.h"
#include "pmap_sim/pmap_impl.h"

static const struct rt_shape shapes[] = {
    {"64/4/lru", {64, 4, UVMSIM_TLB_LRU, false}},
    {"32/full/fifo/split", {32, 0, UVMSIM_TLB_FIFO, true}},
    {"24/2/random (12 sets)", {24, 2, UVMSIM_TLB_RANDOM, false}},
    {"8/2/lru/split", {8, 2, UVMSIM_TLB_LRU, true}},
    {"48/3/lru (16 sets)", {48, 3, UVMSIM_TLB_LRU, false}},
    {"off", {0, 0, UVMSIM_TLB_LRU, false}},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

#define CHUNK 200u        /* records per process turn */

/* Two random traces of nrec records over text_lo (text_pages pages) and the other areas. */
static void two_traces(uint64_t seed, uint64_t text_lo, unsigned text_pages, char *text[2], size_t len[2])
{
    unsigned nrec = rt_memcheck() ? 3000 : 12000;
    text[0] = rt_random_trace(seed, nrec, text_lo, text_pages, &len[0]);
    text[1] = rt_random_trace(seed + 100, nrec, text_lo, text_pages, &len[1]);
}

/* Turn `turn` of the round robin: CHUNK records of process turn % 2, if it has any left.
 * False when both traces are done. */
static bool feed_turn(uvmsim_replayer *r[2], char *text[2], const size_t len[2], size_t pos[2], unsigned turn,
                      const char *what)
{
    int i = (int)(turn % 2);
    if (pos[0] >= len[0] && pos[1] >= len[1])
        return false;
    if (pos[i] < len[i]) {
        size_t used;
        int err = uvmsim_replay_feed(r[i], text[i] + pos[i], len[i] - pos[i], CHUNK, true, &used);
        ck_assert_msg(err == UVMSIM_OK, "%s: %s", what, uvmsim_replay_error(r[i]));
        pos[i] += used;
    }
    return true;
}

/* The end of a run: the counters into out, then everything closed and checked. */
static void finish(uvmsim_machine *m, uvmsim_replayer *r[2], char *text[2], struct rt_counters *out)
{
    rt_counters(m, r, 2, out);
    for (int i = 0; i < 2; i++)
        uvmsim_replay_close(r[i]);
    VT_CHECK(m);
    free(text[0]);
    free(text[1]);
}

/* One run: returns the counters. */
static void run(const char *backend, const struct rt_shape *sh, bool fast, uint64_t seed, struct rt_counters *out)
{
    size_t ilen;
    const unsigned char *img = uvmsim_builtin_image(&ilen);
    uvmsim_machine *m = rt_machine(backend, &sh->tlb, seed, false, fast);
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
    two_traces(seed, text_lo, (unsigned)text_pages, text, len);
    size_t pos[2] = {0, 0};
    uvmsim_proc *child = NULL, *extra = NULL;
    for (unsigned turn = 0; feed_turn(r, text, len, pos, turn, backend); turn++) {
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
    finish(m, r, text, out);
    ck_assert_uint_eq(out->rp[0].records + out->rp[1].records, 2 * (rt_memcheck() ? 3000 : 12000));
    uvmsim_machine_destroy(m);
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

/* ---- superpages: the same counters with entries of mixed sizes ---- */

#define SP_VA 0x30000000ull           /* 2 MiB aligned; clear of the trace's areas when folded */
#define SP_LEN (4ull << 20)
static char sp_dir[256], sp_img[300];

static void sp_build_image(void)
{
    char src[300], p[400], err[1024];
    uint64_t b0;
    snprintf(sp_dir, sizeof sp_dir, "fastpath-sp-%d", (int)getpid());
    fsu_rmtree(sp_dir);
    if (mkdir(sp_dir, 0755) != 0 || mkdir(fsu_path(src, sizeof src, "%s/src", sp_dir), 0755) != 0 ||
        fsu_write_at(fsu_path(p, sizeof p, "%s/big", src), 0, SP_LEN, 5) != 0) {
        fprintf(stderr, "set-up failed in %s\n", sp_dir);
        exit(1);
    }
    snprintf(sp_img, sizeof sp_img, "%s/aligned.img", sp_dir);
    if (!fsu_mkimage_aligned(src, sp_img, "12M", "/big", &b0, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

static void sp_cleanup(void) { fsu_rmtree(sp_dir); }

static void sp_map(uvmsim_proc *p, uvmsim_vnode *vp)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = SP_VA;
    a.size = SP_LEN;
    a.prot = UVMSIM_PROT_ALL;
    a.flags = UVMSIM_MAP_PRIVATE | UVMSIM_MAP_FIXED;
    a.vnode = vp;
    ck_assert_int_eq(uvmsim_map(p, &a, NULL), UVMSIM_OK);
}

/* Which sizes of entry the machine's TLBs hold now: bit k for an entry of 2^k pages. */
static void tlb_size_of(const struct tlb_entry *e, void *arg)
{
    *(uint64_t *)arg |= 1ull << e->lshift;
}

static uint64_t tlb_sizes(uvmsim_machine *m)
{
    uint64_t bits = 0;
    uvmsim_tlb_foreach(m->pmm->dtlb, tlb_size_of, &bits);
    if (m->pmm->itlb != NULL)
        uvmsim_tlb_foreach(m->pmm->itlb, tlb_size_of, &bits);
    return bits;
}

/* One run with superpages on; *both: the TLBs held entries of the backend's two large
 * sizes at once after some turn. */
static void run_sp(const char *backend, const struct rt_shape *sh, bool fast, uint64_t seed, struct rt_counters *out,
                   bool *both)
{
    uvmsim_machine *m = rt_machine(backend, &sh->tlb, seed, true, fast);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &fc, sp_img, &dev), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", UVMSIM_MNT_XIP, &mp), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_namei(m, "/big", &vp), UVMSIM_OK);
    uvmsim_proc *p[2];
    uvmsim_replayer *r[2];
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(uvmsim_proc_create(m, &p[i]), UVMSIM_OK);
        sp_map(p[i], vp);
        ck_assert_int_eq(uvmsim_replay_open(p[i], NULL, &r[i]), UVMSIM_OK);
    }
    size_t len[2];
    char *text[2];
    two_traces(seed, SP_VA, (unsigned)(SP_LEN / 4096), text, len);
    size_t pos[2] = {0, 0};
    uvmsim_proc *child = NULL;
    uint8_t b = 9;
    unsigned ls[4];
    ck_assert_uint_eq(uvmsim_pmap_large_sizes(m, ls, 4), 2);
    uint64_t want = (1ull << ls[0]) | (1ull << ls[1]);
    *both = false;
    for (unsigned turn = 0; feed_turn(r, text, len, pos, turn, sh->name); turn++) {
        *both = *both || (tlb_sizes(m) & want) == want;
        switch (turn) {
        case 4:   /* a copy-on-write store into a large page */
            ck_assert_int_eq(uvmsim_access_mem(p[0], SP_VA + (3u << 20) + 4096 * 5 + 1, UVMSIM_ACCESS_STORE, &b, 1,
                                               NULL, NULL), UVMSIM_OK);
            break;
        case 6:   /* a fork: the parent's mappings are write-protected, large ones whole */
            ck_assert_int_eq(uvmsim_proc_fork(p[1], &child), UVMSIM_OK);
            break;
        case 8:   /* protect part of a large page and back */
            ck_assert_int_eq(uvmsim_protect(p[1], SP_VA + (2u << 20) + 0x30000, 4096, UVMSIM_PROT_READ), UVMSIM_OK);
            ck_assert_int_eq(uvmsim_protect(p[1], SP_VA + (2u << 20) + 0x30000, 4096, UVMSIM_PROT_ALL), UVMSIM_OK);
            break;
        case 9:   /* the same in a 64 KiB mapping (the first MiB holds no larger one) */
            ck_assert_int_eq(uvmsim_protect(p[0], SP_VA + 0x50000 + 4096, 4096, UVMSIM_PROT_READ), UVMSIM_OK);
            ck_assert_int_eq(uvmsim_protect(p[0], SP_VA + 0x50000 + 4096, 4096, UVMSIM_PROT_ALL), UVMSIM_OK);
            break;
        case 10:  /* unmap a page of one and map it again */
            ck_assert_int_eq(uvmsim_unmap(p[0], SP_VA + (1u << 20) + 0x20000, 4096), UVMSIM_OK);
            break;
        case 11:  /* a copy-on-write store into a 64 KiB mapping */
            ck_assert_int_eq(uvmsim_access_mem(p[1], SP_VA + 0x70000 + 4096 * 2 + 5, UVMSIM_ACCESS_STORE, &b, 1,
                                               NULL, NULL), UVMSIM_OK);
            break;
        case 12:
            uvmsim_proc_exit(child);
            child = NULL;
            break;
        default:
            break;
        }
    }
    finish(m, r, text, out);
    uvmsim_vnode_rele(vp);
    uvmsim_machine_destroy(m);
}

START_TEST(test_same_counters_superpages)
{
    const char *backend = vt_backends()[_i];
    static const unsigned pick[] = {0, 1, 2, 3};     /* 64/4/lru, 32/full/fifo/split, 24/2/random, 8/2/lru/split */
    for (unsigned k = 0; k < sizeof pick / sizeof pick[0]; k++) {
        const struct rt_shape *sh = &shapes[pick[k]];
        struct rt_counters with, without;
        bool both_with, both_without;
        run_sp(backend, sh, true, 7 + k, &with, &both_with);
        run_sp(backend, sh, false, 7 + k, &without, &both_without);
        char why[160];
        const char *d = rt_counters_diff(&with, &without, why, sizeof why);
        ck_assert_msg(d == NULL, "%s, TLB %s, superpages: with and without the fast path: %s", backend, sh->name, d);
        ck_assert_uint_gt(with.pmap.large_mappings, 0);
        ck_assert_uint_gt(with.pmap.demotions, 0);
        ck_assert_uint_gt(with.pmap.itlb.large_hits + with.pmap.dtlb.large_hits, 100);
        ck_assert_msg(both_with && both_without, "%s, TLB %s: never entries of both large sizes at once", backend,
                      sh->name);
    }
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
    sp_build_image();
    Suite *s = suite_create("fastpath");
    vt_tcase_each_backend(s, "same-counters", test_same_counters);
    vt_tcase_each_backend(s, "same-counters-superpages", test_same_counters_superpages);
    vt_tcase_each_backend(s, "side-effects", test_side_effects);
    vt_tcase_each_backend(s, "switch", test_switch);
    int rc = vt_run(s);        /* (not atexit: Check's forked test processes exit too) */
    sp_cleanup();
    return rc;
}
