/* uvmsim-bench — what the simulator costs, and what XIP saves, measured in one run and
 * reported as ratios (host time ratios are stable across machines; absolute times are
 * printed for reference only).
 *
 *   exec        N processes exec /bin/hello from the built-in image and touch text, data,
 *               bss, stack: XIP mount against copy mount (RAM pages, faults, host time)
 *   faults      host time per fault of each class, relative to zero-fill
 *   mmu         host time per 1-byte load on a TLB hit, a TLB miss (walk), relative
 *
 *   uvmsim-bench [--quick] [--procs N] [--csv] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/builtin.h"
#include "bench.h"

static bool csv;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void out(const char *group, const char *key, double value, const char *unit)
{
    if (csv)
        printf("%s,%s,%.6g,%s\n", group, key, value, unit);
    else
        printf("  %-34s %14.4g %s\n", key, value, unit);
}

static void fail(const char *what, int err)
{
    fprintf(stderr, "uvmsim-bench: %s: %s\n", what, uvmsim_strerror(err));
    exit(3);
}

static uvmsim_machine *machine(uint64_t ram, const uvmsim_tlb_config *tlb)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.ram_size = ram;
    if (tlb)
        c.tlb = *tlb;
    uvmsim_machine *m;
    int err = uvmsim_machine_create(&c, &m);
    if (err)
        fail("machine", err);
    return m;
}

/* One exec workload on one mount kind; returns host ns, fills RAM pages and faults. */
static double exec_run(unsigned flags, unsigned procs, uint64_t *ram_pages, uint64_t *faults)
{
    size_t len;
    const unsigned char *img = uvmsim_builtin_image(&len);
    double t0 = now_ns();
    uvmsim_machine *m = machine(64u << 20, NULL);
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    int err = uvmsim_flashdev_create_mem(m, NULL, img, len, &dev);
    if (!err)
        err = uvmsim_mount_ext2(m, dev, "/", flags, &mp);
    if (err)
        fail("mount", err);
    uvmsim_ram_stats r0, r1;
    uvmsim_ram_stats_get(m, &r0);
    for (unsigned i = 0; i < procs; i++) {
        uvmsim_proc *p;
        uvmsim_exec_info info;
        if ((err = uvmsim_proc_create(m, &p)) || (err = uvmsim_exec(p, uvmsim_builtin_program(), &info)))
            fail("exec", err);
        uint8_t b = 1;
        for (unsigned s = 0; s < info.nsegs; s++) {
            const uvmsim_exec_seg *sg = &info.segs[s];
            for (uvmsim_vaddr_t va = sg->va; va < sg->va + sg->size; va += 4096) {
                uvmsim_access k = (sg->prot & UVMSIM_PROT_EXEC) ? UVMSIM_ACCESS_FETCH :
                                  (sg->prot & UVMSIM_PROT_WRITE) ? UVMSIM_ACCESS_STORE : UVMSIM_ACCESS_LOAD;
                if ((err = uvmsim_access_mem(p, va, k, &b, 1, NULL, NULL)))
                    fail("touch", err);
            }
        }
    }
    uvmsim_ram_stats_get(m, &r1);
    uvmsim_vm_stats vs;
    uvmsim_vm_stats_get(m, &vs);
    *ram_pages = r1.used_pages - r0.used_pages;
    *faults = vs.faults_total;
    uvmsim_machine_destroy(m);
    return now_ns() - t0;
}

static void bench_exec(unsigned procs, unsigned reps)
{
    size_t len;
    if (uvmsim_builtin_image(&len) == NULL) {
        fprintf(stderr, "uvmsim-bench: built without the built-in image; exec bench skipped\n");
        return;
    }
    if (!csv)
        printf("exec: %u processes exec %s and touch every page (best of %u)\n", procs,
               uvmsim_builtin_program(), reps);
    double best[2] = {1e300, 1e300};
    uint64_t ram[2], faults[2];
    unsigned flags[2] = {UVMSIM_MNT_XIP, 0};
    for (unsigned r = 0; r < reps; r++)
        for (int k = 0; k < 2; k++) {
            double t = exec_run(flags[k], procs, &ram[k], &faults[k]);
            if (t < best[k])
                best[k] = t;
        }
    out("exec", "ram_pages_xip", (double)ram[0], "pages");
    out("exec", "ram_pages_copy", (double)ram[1], "pages");
    out("exec", "ram_ratio_xip_over_copy", (double)ram[0] / (double)ram[1], "ratio");
    out("exec", "faults_xip", (double)faults[0], "faults");
    out("exec", "faults_copy", (double)faults[1], "faults");
    out("exec", "host_time_xip", best[0] / 1e6, "ms");
    out("exec", "host_time_copy", best[1] / 1e6, "ms");
    out("exec", "host_time_ratio_xip_over_copy", best[0] / best[1], "ratio");
}

/* Host ns per fault for n faults of one class. */
static double faults_zero_fill(unsigned n)
{
    uvmsim_machine *m = machine((uint64_t)(n + 512) * 4096 * 2, NULL);
    uvmsim_proc *p;
    uvmsim_proc_create(m, &p);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.size = (uint64_t)n * 4096;
    a.advice = UVMSIM_ADV_RANDOM;
    uvmsim_vaddr_t va;
    int err = uvmsim_map(p, &a, &va);
    if (err)
        fail("map", err);
    uint8_t b = 1;
    double t0 = now_ns();
    for (unsigned i = 0; i < n; i++)
        if ((err = uvmsim_fault(p, va + (uint64_t)i * 4096, UVMSIM_ACCESS_STORE, NULL)))
            fail("zero-fill", err);
    double t = (now_ns() - t0) / n;
    /* upper-promote: fork, then the child stores to every page */
    uvmsim_proc *c;
    if ((err = uvmsim_proc_fork(p, &c)))
        fail("fork", err);
    t0 = now_ns();
    for (unsigned i = 0; i < n; i++)
        if ((err = uvmsim_fault(c, va + (uint64_t)i * 4096, UVMSIM_ACCESS_STORE, NULL)))
            fail("upper-promote", err);
    double tp = (now_ns() - t0) / n;
    (void)b;
    out("faults", "zero_fill_host_time", t, "ns/fault");
    out("faults", "upper_promote_host_time", tp, "ns/fault");
    out("faults", "upper_promote_over_zero_fill", tp / t, "ratio");
    uvmsim_machine_destroy(m);
    return t;
}

static void faults_lower(double zero_fill_ns)
{
    size_t len;
    const unsigned char *img = uvmsim_builtin_image(&len);
    if (img == NULL)
        return;
    const char *names[2] = {"lower_direct_xip", "lower_direct_copy"};
    unsigned flags[2] = {UVMSIM_MNT_XIP, 0};
    for (int k = 0; k < 2; k++) {
        uvmsim_machine *m = machine(64u << 20, NULL);
        uvmsim_flashdev *dev;
        uvmsim_mount *mp;
        uvmsim_vnode *vp;
        int err = uvmsim_flashdev_create_mem(m, NULL, img, len, &dev);
        if (!err)
            err = uvmsim_mount_ext2(m, dev, "/", flags[k], &mp);
        if (!err)
            err = uvmsim_namei(m, uvmsim_builtin_program(), &vp);
        if (err)
            fail("mount", err);
        uvmsim_vattr at;
        uvmsim_vnode_getattr(vp, &at);
        uint64_t pages = at.size / 4096;
        uvmsim_proc *p;
        uvmsim_proc_create(m, &p);
        uvmsim_map_args a;
        uvmsim_map_args_init(&a);
        a.size = pages * 4096;
        a.prot = UVMSIM_PROT_READ | UVMSIM_PROT_EXEC;
        a.vnode = vp;
        a.advice = UVMSIM_ADV_RANDOM;
        uvmsim_vaddr_t va;
        if ((err = uvmsim_map(p, &a, &va)))
            fail("map file", err);
        double t0 = now_ns();
        for (uint64_t i = 0; i < pages; i++)
            if ((err = uvmsim_fault(p, va + i * 4096, UVMSIM_ACCESS_FETCH, NULL)))
                fail("lower fault", err);
        double t = (now_ns() - t0) / (double)pages;
        char key[64];
        snprintf(key, sizeof key, "%s_host_time", names[k]);
        out("faults", key, t, "ns/fault");
        snprintf(key, sizeof key, "%s_over_zero_fill", names[k]);
        out("faults", key, t / zero_fill_ns, "ratio");
        uvmsim_vnode_rele(vp);
        uvmsim_machine_destroy(m);
    }
}

static void bench_mmu(unsigned n)
{
    /* A 64-entry TLB: a loop over 16 pages always hits, over 512 pages always misses. */
    uvmsim_tlb_config tlb = {.entries = 64, .ways = 4, .repl = UVMSIM_TLB_LRU, .split = false};
    uvmsim_machine *m = machine(16u << 20, &tlb);
    uvmsim_proc *p;
    uvmsim_proc_create(m, &p);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.size = 512 * 4096;
    uvmsim_vaddr_t va;
    int err = uvmsim_map(p, &a, &va);
    if (err)
        fail("map", err);
    uint8_t b = 0;
    for (unsigned i = 0; i < 512; i++)
        uvmsim_access_mem(p, va + i * 4096, UVMSIM_ACCESS_STORE, &b, 1, NULL, NULL);
    double t[2];
    unsigned span[2] = {16, 512};
    for (int k = 0; k < 2; k++) {
        double t0 = now_ns();
        for (unsigned i = 0; i < n; i++)
            if ((err = uvmsim_access_mem(p, va + (uint64_t)(i % span[k]) * 4096, UVMSIM_ACCESS_LOAD, &b, 1, NULL, NULL)))
                fail("load", err);
        t[k] = (now_ns() - t0) / n;
    }
    uvmsim_pmap_stats ps;
    uvmsim_pmap_stats_get(m, &ps);
    out("mmu", "load_tlb_hit_host_time", t[0], "ns/access");
    out("mmu", "load_tlb_miss_walk_host_time", t[1], "ns/access");
    out("mmu", "miss_over_hit", t[1] / t[0], "ratio");
    out("mmu", "tlb_hit_rate", (double)ps.dtlb.hits / (double)ps.dtlb.lookups, "fraction");
    uvmsim_machine_destroy(m);
}

int main(int argc, char **argv)
{
    bool quick = false;
    unsigned procs = 8;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--csv") == 0) {
            csv = true;
        } else if (strcmp(argv[i], "--procs") == 0 && i + 1 < argc) {
            procs = (unsigned)strtoul(argv[++i], NULL, 10);
            if (procs == 0 || procs > 256) {
                fprintf(stderr, "uvmsim-bench: --procs wants 1..256\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: uvmsim-bench [--quick] [--procs N] [--csv]\n"
                   "Measures simulator cost and XIP savings in one run; reports ratios.\n");
            return 0;
        } else {
            fprintf(stderr, "uvmsim-bench: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (csv)
        printf("group,key,value,unit\n");
    bench_exec(quick ? 2 : procs, quick ? 1 : 5);
    if (!csv)
        printf("faults: host time per fault by class\n");
    double zf = faults_zero_fill(quick ? 256 : 4096);
    faults_lower(zf);
    if (!csv)
        printf("mmu: host time per 1-byte load through the CPU model\n");
    bench_mmu(quick ? 20000 : 2000000);
    uvmsim_bench_fork(quick, csv, out);
    return 0;
}
