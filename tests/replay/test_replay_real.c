/* Real traces: the busybox image and the Lackey traces the build recorded
 * (cmake/replay.cmake).  Exits 77 (CTest: skipped) with the reason when the build has
 * none.  For each trace: every I/L/S/M line is one record (counted here independently,
 * with sscanf), the program's text is where the fetches go (no auto region is made
 * executable), the replay is deterministic, the inline hit path changes no counter on
 * any backend or TLB shape, XIP and copy mounts differ in page cache and I/O but not in
 * what the program does, and eight processes share the text (XIP: no RAM; copy: one page
 * cache). */
#include <unistd.h>
#include "replay_testutil.h"

static const char *const traces[] = {"sh", "ls", "sort", "gzip"};
#define NTRACES (sizeof traces / sizeof traces[0])

/* Valgrind makes the big traces slow: under memcheck only the smallest, sh. */
static unsigned ntraces(void)
{
    return rt_memcheck() ? 1 : NTRACES;
}

/* The trace of the single-trace tests. */
static const char *small_trace(void)
{
    return rt_memcheck() ? "sh" : "ls";
}

static void trace_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/traces/%s.trace", UVMSIM_REPLAY_DIR, name);
}

/* Records in a trace file, counted the slow, obvious way. */
static uint64_t count_records(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    uint64_t n = 0;
    while (fgets(line, sizeof line, f)) {
        char k;
        unsigned long long a, s;
        if (sscanf(line, " %c %llx,%llu", &k, &a, &s) == 3 && (k == 'I' || k == 'L' || k == 'S' || k == 'M'))
            n++;
    }
    fclose(f);
    return n;
}

struct real_run {
    const char *backend;
    uvmsim_tlb_config tlb;
    unsigned mount;
    unsigned procs;
    bool fast;
};

/* Exec busybox in procs processes and replay the trace in each, 10000 records a turn. */
static void run(const char *trace, const struct real_run *rr, struct rt_counters *out, uint64_t *object_pages)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.ram_size = 256u << 20;
    c.pmap = rr->backend;
    c.tlb = rr->tlb;
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
    uvmsim_pmap_set_fast_path(m, rr->fast);
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, NULL, UVMSIM_REPLAY_DIR "/busybox.img", &dev), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", rr->mount, &mp), UVMSIM_OK);
    uvmsim_proc *p[8];
    uvmsim_replayer *r[8];
    char path[512];
    trace_path(path, sizeof path, trace);
    for (unsigned i = 0; i < rr->procs; i++) {
        uvmsim_exec_info ei;
        ck_assert_int_eq(uvmsim_proc_create(m, &p[i]), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_exec(p[i], "/bin/busybox", &ei), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_replay_open(p[i], NULL, &r[i]), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_replay_open_file(r[i], path), UVMSIM_OK);
    }
    uvmsim_ram_stats r0, r1;
    uvmsim_ram_stats_get(m, &r0);
    bool done[8] = {false};
    for (unsigned live = rr->procs; live > 0;) {
        for (unsigned i = 0; i < rr->procs; i++) {
            if (done[i])
                continue;
            int err = uvmsim_replay_run(r[i], 10000, &done[i]);
            ck_assert_msg(err == UVMSIM_OK, "%s on %s: %s", trace, rr->backend, uvmsim_replay_error(r[i]));
            live -= done[i];
        }
    }
    uvmsim_ram_stats_get(m, &r1);
    if (object_pages)
        *object_pages = r1.object_pages - r0.object_pages;
    rt_counters(m, r, rr->procs, out);
    for (unsigned i = 0; i < rr->procs; i++)
        uvmsim_replay_close(r[i]);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}

/* Records, the auto regions of a real run, determinism. */
START_TEST(test_records_and_policy)
{
    for (unsigned t = 0; t < ntraces(); t++) {
        char path[512];
        trace_path(path, sizeof path, traces[t]);
        uint64_t want = count_records(path);
        struct real_run rr = {vt_backends()[_i], {64, 4, UVMSIM_TLB_LRU, false}, UVMSIM_MNT_XIP, 1, true};
        struct rt_counters a, b;
        run(traces[t], &rr, &a, NULL);
        ck_assert_uint_eq(a.rp[0].records, want);
        ck_assert_uint_gt(want, 10000);
        ck_assert_uint_gt(a.rp[0].skipped_lines, 10);          /* Valgrind's ==PID== lines */
        ck_assert_uint_eq(a.rp[0].malformed, 0);
        ck_assert_uint_eq(a.rp[0].auto_exec, 0);               /* every fetch is in busybox's text */
        ck_assert_uint_ge(a.rp[0].auto_regions, 2);            /* at least a stack and a heap */
        ck_assert_uint_ge(a.rp[0].accesses, want);
        ck_assert_uint_eq(a.vm.faults[UVMSIM_FAULT_ERROR], 0);
        run(traces[t], &rr, &b, NULL);
        char why[160];
        const char *d = rt_counters_diff(&a, &b, why, sizeof why);
        ck_assert_msg(d == NULL, "%s: two runs differ: %s", traces[t], d);
    }
}
END_TEST

/* The inline hit path changes no counter. */
START_TEST(test_fast_path_same)
{
    static const uvmsim_tlb_config shapes[] = {
        {64, 4, UVMSIM_TLB_LRU, false}, {32, 0, UVMSIM_TLB_FIFO, true}, {24, 2, UVMSIM_TLB_RANDOM, false}};
    for (unsigned t = 0; t < ntraces(); t++) {
        for (unsigned s = 0; s < (rt_memcheck() ? 2u : 3u); s++) {
            struct real_run on = {vt_backends()[_i], shapes[s], UVMSIM_MNT_XIP, 2, true}, off = on;
            off.fast = false;
            struct rt_counters a, b;
            run(traces[t], &on, &a, NULL);
            run(traces[t], &off, &b, NULL);
            char why[160];
            const char *d = rt_counters_diff(&a, &b, why, sizeof why);
            ck_assert_msg(d == NULL, "%s on %s, shape %u: %s", traces[t], vt_backends()[_i], s, d);
        }
    }
}
END_TEST

/* XIP against copy: the program does the same (records, accesses, private pages, bytes
 * copied by promotion); only the page cache and the I/O differ (and with them the lower
 * faults: fault-ahead maps resident neighbours, and on XIP every page is resident). */
START_TEST(test_xip_vs_copy)
{
    struct real_run x = {vt_backends()[_i], {64, 4, UVMSIM_TLB_LRU, false}, UVMSIM_MNT_XIP, 1, true}, c = x;
    c.mount = 0;
    struct rt_counters a, b;
    uint64_t oa, ob;
    run(small_trace(), &x, &a, &oa);
    run(small_trace(), &c, &b, &ob);
    ck_assert_uint_eq(a.rp[0].records, b.rp[0].records);
    ck_assert_uint_eq(a.rp[0].accesses, b.rp[0].accesses);
    ck_assert_uint_eq(a.ram.anon_pages, b.ram.anon_pages);
    ck_assert_uint_eq(a.vm.bytes_copied, b.vm.bytes_copied);
    ck_assert_uint_eq(a.rp[0].auto_regions, b.rp[0].auto_regions);
    ck_assert_uint_eq(a.ram.object_pages, 0);
    ck_assert_uint_eq(oa, 0);
    ck_assert_uint_gt(ob, 50);
    ck_assert_uint_eq(a.vm.io_requests, 0);
    ck_assert_uint_gt(b.vm.io_requests, 0);
    ck_assert_uint_gt(a.pmap.pv_entries_device, 50);
    ck_assert_uint_eq(b.pmap.pv_entries_device, 0);
}
END_TEST

/* Eight processes: the text's RAM once — zero under XIP, one page cache under copy. */
START_TEST(test_eight_procs)
{
    struct real_run one = {vt_backends()[_i], {64, 4, UVMSIM_TLB_LRU, false}, 0, 1, true}, eight = one;
    eight.procs = 8;
    struct rt_counters a, b;
    uint64_t o1, o8;
    run(small_trace(), &one, &a, &o1);
    run(small_trace(), &eight, &b, &o8);
    ck_assert_uint_eq(o1, o8);                 /* copy: the page cache once, not 8 times */
    ck_assert_uint_eq(b.ram.object_pages, a.ram.object_pages);
    ck_assert_uint_eq(b.ram.anon_pages, 8 * a.ram.anon_pages);
    one.mount = eight.mount = UVMSIM_MNT_XIP;
    run(small_trace(), &eight, &b, &o8);
    ck_assert_uint_eq(o8, 0);                  /* XIP: none */
    ck_assert_uint_eq(b.ram.object_pages, 0);
    ck_assert_uint_ge(b.pmap.activations, 8);
}
END_TEST

/* A static PIE: exec puts it where Valgrind did (UVMSIM_EXEC_PIE_BASE), so every fetch
 * of its trace lands in its text — none in an auto region — and every load of its data
 * in its data. */
START_TEST(test_static_pie)
{
    if (!UVMSIM_REPLAY_PIE) {
        fprintf(stderr, "test_replay_real: no hellopie trace (the compiler cannot link -static-pie)\n");
        return;
    }
    uvmsim_machine *m = vt_machine(64u << 20, vt_backends()[_i]);
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, NULL, UVMSIM_REPLAY_DIR "/busybox.img", &dev), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", UVMSIM_MNT_XIP, &mp), UVMSIM_OK);
    uvmsim_proc *p;
    uvmsim_exec_info ei;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_exec(p, "/bin/hellopie", &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.load_base, UVMSIM_EXEC_PIE_BASE);
    uvmsim_replayer *r;
    ck_assert_int_eq(uvmsim_replay_open(p, NULL, &r), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_replay_open_file(r, UVMSIM_REPLAY_DIR "/traces/hellopie.trace"), UVMSIM_OK);
    bool done;
    int err = uvmsim_replay_run(r, 0, &done);
    ck_assert_msg(err == UVMSIM_OK, "%s", uvmsim_replay_error(r));
    uvmsim_replay_stats s;
    uvmsim_replay_stats_get(r, &s);
    ck_assert_uint_eq(s.records, count_records(UVMSIM_REPLAY_DIR "/traces/hellopie.trace"));
    ck_assert_uint_eq(s.auto_exec, 0);         /* no fetch outside the text */
    /* where the text is: the first fetch of the trace is the entry point */
    FILE *f = fopen(UVMSIM_REPLAY_DIR "/traces/hellopie.trace", "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    unsigned long long first = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "I %llx,", &first) == 1)
            break;
    fclose(f);
    ck_assert_uint_eq(first, ei.entry);
    uvmsim_replay_close(r);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    if (!UVMSIM_REPLAY_BUILT) {
        printf("test_replay_real: skipped: no busybox image or traces in this build (%s)\n", UVMSIM_REPLAY_MISSING);
        return 77;
    }
    Suite *s = suite_create("replay-real");
    TCase *tc = tcase_create("real");
    tcase_set_timeout(tc, 600);
    int nb = vt_nbackends();
    tcase_add_loop_test(tc, test_records_and_policy, 0, nb);
    tcase_add_loop_test(tc, test_fast_path_same, 0, nb);
    tcase_add_loop_test(tc, test_xip_vs_copy, 0, nb);
    tcase_add_loop_test(tc, test_eight_procs, 0, nb);
    tcase_add_loop_test(tc, test_static_pie, 0, nb);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
