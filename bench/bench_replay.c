/* uvmsim-bench — the replay workload (docs/replay.md, docs/bench.md):
 *
 *   tlb_hit_ns            host ns per 1-byte load record replayed on a TLB hit: the
 *                         replayer's memo of repeated hits (docs/replay.md, "Speed") after
 *                         the CPU model's inline hit of each page's first record in a
 *                         batch; no data moved, the counters batched
 *   tlb_miss_ns           the same when every access misses and walks (64-entry TLB, 512
 *                         pages in turn), and tlb_miss_over_hit
 *   tlb_hit_ns_no_memo    the CPU model's inline hit (as the replayer batches it,
 *                         rp_record_probe) with no memo to help: 4 pages in one
 *                         TLB set and one slot of either memo (the replayer's and the
 *                         CPU model's), so every record probes the set;
 *                         tlb_miss_over_no_memo_hit
 *   tlb_hit_ns_no_fast_path  the hit with uvmsim_pmap_set_fast_path(m, false)
 *   replay_records_per_s  a Lackey trace replayed from a file: the build's busybox `ls`
 *                         trace (or, without it, a synthetic trace over /bin/hello),
 *                         repeated into one long file so the time is not noise, with
 *                         the threads `uvmsim replay` takes here by default
 *                         (replay_threads, uvmsim_replay_threads_auto()); and
 *                         replay_ns_per_record_1thread with one
 *   replay_over_wc        that replay's time over `wc -l` of the same file, measured side
 *                         by side (best of three each, the file in the page cache);
 *                         replay_over_wc_1thread for one thread
 *   replay_over_wc_one_trace  the same on the trace as recorded (3 MB for ls), best of ten:
 *                         wc's process start is then a fair part of its time
 *   replay_ram_pages_xip / _copy  RAM in use after 8 processes replayed the trace
 *
 * Host memory behind simulated RAM is touched before timing (bench_machine). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/builtin.h"
#include "bench.h"

extern char **environ;

#define PG 4096u

/* ns per record of n load records cycling over `pages` pages, `stride` pages apart, of a
 * fresh mapping. */
static double hit_loop(unsigned pages, unsigned stride, uint64_t n, bool fast)
{
    uvmsim_tlb_config tlb = {.entries = 64, .ways = 4, .repl = UVMSIM_TLB_LRU, .split = false};
    uvmsim_machine *m = bench_machine(16u << 20, &tlb);
    uvmsim_pmap_set_fast_path(m, fast);
    uvmsim_proc *p;
    uvmsim_replayer *r;
    int err = uvmsim_proc_create(m, &p);
    if (!err)
        err = uvmsim_replay_open(p, NULL, &r);
    if (err)
        fail("replayer", err);
    enum { BATCH = 4096 };
    uvmsim_replay_rec *recs = malloc(BATCH * sizeof(*recs));
    if (recs == NULL)
        fail("host memory", UVMSIM_ENOHOST);
    for (unsigned i = 0; i < BATCH; i++)
        recs[i] = (uvmsim_replay_rec){0x10000000ull + (uint64_t)(i % pages) * stride * PG + (i * 8) % PG, 1, UVMSIM_REC_L};
    if ((err = uvmsim_replay_records(r, recs, BATCH)) != UVMSIM_OK)   /* fault everything in */
        fail("warm-up", err);
    double t0 = bench_now_ns();
    for (uint64_t done = 0; done < n; done += BATCH)
        if ((err = uvmsim_replay_records(r, recs, BATCH)) != UVMSIM_OK)
            fail("replay", err);
    double t = (bench_now_ns() - t0) / (double)((n + BATCH - 1) / BATCH * BATCH);
    free(recs);
    uvmsim_replay_close(r);
    uvmsim_machine_destroy(m);
    return t;
}

/* The trace to time: the build's busybox ls trace, else a synthetic one over /bin/hello.
 * Written `copies` times into one temporary file; returns its path (free it). */
static char *long_trace(unsigned copies, bool *busybox, uint64_t *bytes)
{
    char src[512];
    snprintf(src, sizeof src, "%s/traces/ls.trace", UVMSIM_REPLAY_DIR);
    FILE *in = UVMSIM_REPLAY_BUILT ? fopen(src, "rb") : NULL;
    char *text = NULL;
    size_t len = 0;
    if (in != NULL) {
        fseek(in, 0, SEEK_END);
        len = (size_t)ftell(in);
        rewind(in);
        text = malloc(len);
        if (text == NULL || fread(text, 1, len, in) != len)
            fail("reading the busybox trace", UVMSIM_EIO);
        fclose(in);
        *busybox = true;
    } else {
        /* 200000 records: fetches over hello's text, loads and stores on a stack and heap */
        size_t cap = 200000u * 24;
        text = malloc(cap);
        if (text == NULL)
            fail("host memory", UVMSIM_ENOHOST);
        uint64_t s = 88172645463325252ull;
        for (unsigned i = 0; i < 200000; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            unsigned k = (unsigned)(s % 10);
            uint64_t a = k < 6 ? 0x401000 + (s >> 20) % 0x60000 : (k < 8 ? 0x1ffefff000ull : 0x4000000ull) + (s >> 24) % 0x20000;
            len += (size_t)snprintf(text + len, cap - len, "%s %08llx,%u\n", k < 6 ? "I " : k < 8 ? " L" : " S",
                                    (unsigned long long)a, k < 6 ? 4u : 8u);
        }
        *busybox = false;
    }
    const char *dir = getenv("TMPDIR");
    char *path = malloc(512);
    if (path == NULL)
        fail("host memory", UVMSIM_ENOHOST);
    snprintf(path, 512, "%s/uvmsim-bench-trace-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        fail("temporary trace file", UVMSIM_EIO);
    for (unsigned c = 0; c < copies; c++)
        for (size_t off = 0; off < len;) {
            ssize_t w = write(fd, text + off, len - off);
            if (w <= 0)
                fail("writing the temporary trace", UVMSIM_EIO);
            off += (size_t)w;
        }
    close(fd);
    free(text);
    *bytes = (uint64_t)len * copies;
    return path;
}

/* Host ns of `wc -l path` (spawned, output discarded); < 0 when wc cannot be run. */
static double time_wc(const char *path)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"wc", "-l", (char *)path, NULL};
    pid_t pid;
    double t0 = bench_now_ns();
    int err = posix_spawnp(&pid, "wc", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0)
        return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    double t = bench_now_ns() - t0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? t : -1;
}

/* Replay path in `procs` processes of a machine mounting the busybox image (or the
 * built-in one) with flags; returns host ns of the replay, *ram the RAM pages in use. */
static double time_replay(const char *path, bool busybox, unsigned flags, unsigned procs, unsigned threads,
                          uint64_t *records, uint64_t *ram)
{
    uvmsim_machine *m = bench_machine(256u << 20, NULL);
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    int err;
    if (busybox) {
        err = uvmsim_flashdev_create_file(m, NULL, UVMSIM_REPLAY_DIR "/busybox.img", &dev);
    } else {
        size_t len;
        const unsigned char *img = uvmsim_builtin_image(&len);
        err = img ? uvmsim_flashdev_create_mem(m, NULL, img, len, &dev) : UVMSIM_ENOENT;
    }
    if (!err)
        err = uvmsim_mount_ext2(m, dev, "/", flags, &mp);
    if (err)
        fail("replay image", err);
    uvmsim_replayer *r[8];
    uvmsim_replay_opts o;
    uvmsim_replay_opts_init(&o);
    o.threads = threads;
    for (unsigned i = 0; i < procs; i++) {
        uvmsim_proc *p;
        uvmsim_exec_info ei;
        if ((err = uvmsim_proc_create(m, &p)) || (err = uvmsim_exec(p, busybox ? "/bin/busybox" : "/bin/hello", &ei)) ||
            (err = uvmsim_replay_open(p, &o, &r[i])) || (err = uvmsim_replay_open_file(r[i], path)))
            fail("replay set-up", err);
    }
    double t0 = bench_now_ns();
    unsigned live = procs;
    bool done[8] = {false};
    while (live > 0)
        for (unsigned i = 0; i < procs; i++) {
            if (done[i])
                continue;
            if ((err = uvmsim_replay_run(r[i], procs > 1 ? 10000 : 0, &done[i])) != UVMSIM_OK) {
                fprintf(stderr, "uvmsim-bench: %s\n", uvmsim_replay_error(r[i]));
                fail("replay", err);
            }
            live -= done[i];
        }
    double t = bench_now_ns() - t0;
    *records = 0;
    for (unsigned i = 0; i < procs; i++) {
        uvmsim_replay_stats s;
        uvmsim_replay_stats_get(r[i], &s);
        *records += s.records;
        uvmsim_replay_close(r[i]);
    }
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    *ram = rs.used_pages;
    uvmsim_machine_destroy(m);
    return t;
}

void bench_replay(bool quick)
{
    uint64_t n = quick ? 200000 : 20000000;
    double hit = hit_loop(16, 1, n, true), miss = hit_loop(512, 1, n / 4, true), slow = hit_loop(16, 1, n, false);
    /* 4 pages 64 pages apart: one set of the 4-way TLB (all hit) but one slot of the
     * replayer's memo and of the CPU model's (every record misses both), so each record
     * takes the inline hit's probe of the set. */
    double inl = hit_loop(4, 64, n, true);
    out("replay", "tlb_hit_ns", hit, "ns/record");
    out("replay", "tlb_hit_ns_no_memo", inl, "ns/record");
    out("replay", "tlb_miss_ns", miss, "ns/record");
    out("replay", "tlb_miss_over_hit", miss / hit, "ratio");
    out("replay", "tlb_miss_over_no_memo_hit", miss / inl, "ratio");
    out("replay", "tlb_hit_ns_no_fast_path", slow, "ns/record");

    size_t ilen;
    if (!UVMSIM_REPLAY_BUILT && uvmsim_builtin_image(&ilen) == NULL) {
        fprintf(stderr, "uvmsim-bench: no busybox traces and no built-in image: replay timing skipped\n");
        return;
    }
    bool busybox;
    uint64_t bytes, records = 0, ram;
    char *path = long_trace(quick ? 2 : 20, &busybox, &bytes);
    double best_wc = 1e300, best_rp = 1e300, best_rp1 = 1e300;
    unsigned threads = uvmsim_replay_threads_auto();  /* what `uvmsim replay` takes here */
    time_wc(path);                                   /* the file into the page cache */
    for (int k = 0; k < (quick ? 1 : 3); k++) {
        double w = time_wc(path);
        if (w >= 0 && w < best_wc)
            best_wc = w;
        double t = time_replay(path, busybox, UVMSIM_MNT_XIP, 1, threads, &records, &ram);
        if (t < best_rp)
            best_rp = t;
        t = time_replay(path, busybox, UVMSIM_MNT_XIP, 1, 1, &records, &ram);
        if (t < best_rp1)
            best_rp1 = t;
    }
    out("replay", busybox ? "replay_trace_busybox_ls_bytes" : "replay_trace_synthetic_bytes", (double)bytes, "bytes");
    out("replay", "replay_records", (double)records, "records");
    out("replay", "replay_records_per_s", (double)records / (best_rp / 1e9), "records/s");
    out("replay", "replay_ns_per_record", best_rp / (double)records, "ns/record");
    out("replay", "replay_threads", (double)threads, "threads");
    out("replay", "replay_ns_per_record_1thread", best_rp1 / (double)records, "ns/record");
    if (best_wc < 1e300) {
        out("replay", "wc_l_ms", best_wc / 1e6, "ms");
        out("replay", "replay_over_wc", best_rp / best_wc, "ratio");
        out("replay", "replay_over_wc_1thread", best_rp1 / best_wc, "ratio");
    } else {
        fprintf(stderr, "uvmsim-bench: wc could not be run: replay_over_wc skipped\n");
    }
    unlink(path);
    free(path);
    /* RAM: 8 processes of the program replaying the (short) trace, XIP against copy */
    char one[512];
    snprintf(one, sizeof one, "%s/traces/ls.trace", UVMSIM_REPLAY_DIR);
    if (busybox) {
        best_wc = best_rp = 1e300;
        for (int k = 0; k < (quick ? 2 : 10); k++) {
            double w = time_wc(one);
            if (w >= 0 && w < best_wc)
                best_wc = w;
            double t = time_replay(one, true, UVMSIM_MNT_XIP, 1, threads, &records, &ram);
            if (t < best_rp)
                best_rp = t;
        }
        if (best_wc < 1e300)
            out("replay", "replay_over_wc_one_trace", best_rp / best_wc, "ratio");
        uint64_t ram_xip, ram_copy;
        time_replay(one, true, UVMSIM_MNT_XIP, 8, 1, &records, &ram_xip);
        time_replay(one, true, 0, 8, 1, &records, &ram_copy);
        out("replay", "replay_ram_pages_xip", (double)ram_xip, "pages");
        out("replay", "replay_ram_pages_copy", (double)ram_copy, "pages");
    }
}
