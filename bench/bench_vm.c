/* uvmsim-bench — what the simulator costs, and what XIP saves, measured in one run and
 * reported as ratios (host time ratios are stable across machines; absolute times are
 * printed for reference only).
 *
 *   exec        N processes exec /bin/hello from the built-in image and touch text, data,
 *               bss, stack: XIP mount against copy mount (RAM pages, faults, host time)
 *   faults      host time per fault of each class, relative to zero-fill
 *   mmu         host time per 1-byte load on a TLB hit, a TLB miss (walk), relative
 *
 *   uvmsim-bench [--quick] [--procs N] [--csv | --json]
 *
 * Host timings pre-touch the host memory behind simulated RAM (bench_machine), because a
 * first touch of a host page costs tens of microseconds here and would swamp the
 * simulator's own cost. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/builtin.h"
#include "bench.h"
#include "tool_json.h"
#include "tool_opt.h"

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };
static enum fmt fmt;   /* one run of one program: set once by main */

/* JSON is written at the end, so the figures are kept. */
struct figure {
    const char *group;
    char key[64];
    double value;
    const char *unit;
};
static struct figure figures[256];
static unsigned nfigures;

double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

void out(const char *group, const char *key, double value, const char *unit)
{
    if (fmt == FMT_CSV) {
        printf("%s,%s,%.6g,%s\n", group, key, value, unit);
    } else if (fmt == FMT_TABLE) {
        printf("  %-34s %14.4g %s\n", key, value, unit);
    } else if (nfigures < sizeof(figures) / sizeof(figures[0])) {
        struct figure *f = &figures[nfigures++];
        f->group = group;
        snprintf(f->key, sizeof(f->key), "%s", key);
        f->value = value;
        f->unit = unit;
    }
    fflush(stdout);
}

/* A heading line for the table only. */
static void heading(const char *fmt_text, ...)
{
    if (fmt != FMT_TABLE)
        return;
    va_list ap;
    va_start(ap, fmt_text);
    vprintf(fmt_text, ap);
    va_end(ap);
}

_Noreturn void fail(const char *what, int err)
{
    fprintf(stderr, "uvmsim-bench: %s: %s\n", what, uvmsim_strerror(err));
    exit(TOOL_EXIT_SIMERR);
}

void bench_pretouch(uvmsim_machine *m)
{
    /* Zeroing a free page changes nothing the simulator can see (a page is zeroed again
     * when allocated with zero set); the zero page stays zero.  Pages in use are not
     * touched: a fresh machine has only the zero page in use. */
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(m, &rs);
    if (rs.used_pages != rs.zero_pages)
        fail("pretouch on a machine already in use", UVMSIM_EINVAL);
    for (unsigned i = 0; i < uvmsim_phys_nsegs(m); i++) {
        uvmsim_seg_info si;
        if (uvmsim_phys_seg(m, i, &si) == UVMSIM_OK && si.kind == UVMSIM_SEG_RAM) {
            int err = uvmsim_phys_zero(m, si.start, (size_t)(si.end - si.start));
            if (err)
                fail("pretouch", err);
        }
    }
}

uvmsim_machine *bench_machine(uint64_t ram, const uvmsim_tlb_config *tlb)
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
    bench_pretouch(m);
    return m;
}

/* One exec workload on one mount kind; returns host ns, fills RAM pages and faults. */
static double exec_run(unsigned flags, unsigned procs, uint64_t *ram_pages, uint64_t *faults)
{
    size_t len;
    const unsigned char *img = uvmsim_builtin_image(&len);
    uvmsim_machine *m = bench_machine(64u << 20, NULL);
    double t0 = bench_now_ns();
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
    double t = bench_now_ns() - t0;   /* the exec and touches, not the teardown */
    uvmsim_ram_stats_get(m, &r1);
    uvmsim_vm_stats vs;
    uvmsim_vm_stats_get(m, &vs);
    *ram_pages = r1.used_pages - r0.used_pages;
    *faults = vs.faults_total;
    uvmsim_machine_destroy(m);
    return t;
}

static void bench_exec(unsigned procs, unsigned reps)
{
    size_t len;
    if (uvmsim_builtin_image(&len) == NULL) {
        fprintf(stderr, "uvmsim-bench: built without the built-in image; exec bench skipped\n");
        return;
    }
    heading("exec: %u processes exec %s and touch every page (best of %u)\n", procs,
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
    uvmsim_machine *m = bench_machine((uint64_t)(n + 512) * 4096 * 2, NULL);
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
    double t0 = bench_now_ns();
    for (unsigned i = 0; i < n; i++)
        if ((err = uvmsim_fault(p, va + (uint64_t)i * 4096, UVMSIM_ACCESS_STORE, NULL)))
            fail("zero-fill", err);
    double t = (bench_now_ns() - t0) / n;
    /* upper-promote: fork, then the child stores to every page */
    uvmsim_proc *c;
    if ((err = uvmsim_proc_fork(p, &c)))
        fail("fork", err);
    t0 = bench_now_ns();
    for (unsigned i = 0; i < n; i++)
        if ((err = uvmsim_fault(c, va + (uint64_t)i * 4096, UVMSIM_ACCESS_STORE, NULL)))
            fail("upper-promote", err);
    double tp = (bench_now_ns() - t0) / n;
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
        uvmsim_machine *m = bench_machine(64u << 20, NULL);
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
        double t0 = bench_now_ns();
        for (uint64_t i = 0; i < pages; i++)
            if ((err = uvmsim_fault(p, va + i * 4096, UVMSIM_ACCESS_FETCH, NULL)))
                fail("lower fault", err);
        double t = (bench_now_ns() - t0) / (double)pages;
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
    uvmsim_machine *m = bench_machine(16u << 20, &tlb);
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
    double t[2], hit_rate[2];
    unsigned span[2] = {16, 512};
    for (int k = 0; k < 2; k++) {
        /* The hit rate of each loop alone: the loop before it warms the TLB for the
         * 16-page span (its first pass misses 16 times) and leaves it cold for 512. */
        for (unsigned i = 0; i < span[k]; i++)
            uvmsim_access_mem(p, va + (uint64_t)i * 4096, UVMSIM_ACCESS_LOAD, &b, 1, NULL, NULL);
        uvmsim_pmap_stats before, after;
        uvmsim_pmap_stats_get(m, &before);
        double t0 = bench_now_ns();
        for (unsigned i = 0; i < n; i++)
            if ((err = uvmsim_access_mem(p, va + (uint64_t)(i % span[k]) * 4096, UVMSIM_ACCESS_LOAD, &b, 1, NULL, NULL)))
                fail("load", err);
        t[k] = (bench_now_ns() - t0) / n;
        uvmsim_pmap_stats_get(m, &after);
        hit_rate[k] = (double)(after.dtlb.hits - before.dtlb.hits) / (double)(after.dtlb.lookups - before.dtlb.lookups);
    }
    out("mmu", "load_tlb_hit_host_time", t[0], "ns/access");
    out("mmu", "load_tlb_miss_walk_host_time", t[1], "ns/access");
    out("mmu", "miss_over_hit", t[1] / t[0], "ratio");
    out("mmu", "tlb_hit_rate_hit_loop", hit_rate[0], "fraction");
    out("mmu", "tlb_hit_rate_miss_loop", hit_rate[1], "fraction");
    uvmsim_machine_destroy(m);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: uvmsim-bench [--quick] [--procs N] [--csv | --json]\n"
            "Measures the simulator's host cost and what XIP saves in the simulated machine, in\n"
            "one run, and reports ratios within the run (absolute host times are for reference).\n"
            "  --quick     small sizes and one repetition (a smoke run; --procs still applies)\n"
            "  --procs N   processes of the exec workload, 1..256 (default 8; 2 with --quick)\n"
            "  --csv       group,key,value,unit lines\n"
            "  --json      one object: {\"KEY\": value, ..., \"units\": {\"KEY\": \"unit\", ...}}\n"
            "  --help      this text\n"
            "  --version   the version\n"
            "Exit status: 0 ok, 2 usage error, 3 simulator error.  See uvmsim-bench(1).\n");
}

static void print_json(void)
{
    struct tool_json j;
    tj_begin(&j, stdout);
    for (unsigned i = 0; i < nfigures; i++)
        tj_f64(&j, figures[i].key, figures[i].value);
    tj_obj(&j, "units");
    for (unsigned i = 0; i < nfigures; i++)
        tj_str(&j, figures[i].key, figures[i].unit);
    tj_end(&j);
    tj_obj(&j, "groups");
    for (unsigned i = 0; i < nfigures; i++)
        tj_str(&j, figures[i].key, figures[i].group);
    tj_end(&j);
    tj_finish(&j);
}

int main(int argc, char **argv)
{
    bool quick = false, want_csv = false, want_json = false, procs_given = false;
    unsigned procs = 8;
    const struct tool_opt opts[] = {
        {"quick", 0, TOOL_FLAG, &quick, 0, 0, NULL, NULL},
        {"procs", 0, TOOL_UINT, &procs, 1, 256, NULL, &procs_given},
        {"csv", 0, TOOL_FLAG, &want_csv, 0, 0, NULL, NULL},
        {"json", 0, TOOL_FLAG, &want_json, 0, 0, NULL, NULL},
    };
    const struct tool_cmd cmd = {"uvmsim-bench", usage, opts, sizeof(opts) / sizeof(opts[0]), NULL, 0, 0, NULL};
    unsigned npos;
    int rc = tool_parse(&cmd, argc, argv, &npos);
    if (rc != TOOL_PARSE_OK)
        return rc;
    if (want_csv && want_json) {
        fprintf(stderr, "uvmsim-bench: --csv and --json exclude each other\n");
        return TOOL_EXIT_USAGE;
    }
    fmt = want_csv ? FMT_CSV : want_json ? FMT_JSON : FMT_TABLE;
    if (quick && !procs_given)
        procs = 2;
    if (fmt == FMT_CSV)
        printf("group,key,value,unit\n");
    bench_exec(procs, quick ? 1 : 5);
    heading("faults: host time per fault by class\n");
    double zf = faults_zero_fill(quick ? 256 : 4096);
    faults_lower(zf);
    heading("mmu: host time per 1-byte load through the CPU model\n");
    bench_mmu(quick ? 20000 : 2000000);
    heading("fork: fork and exit of 1 GiB with 1 MiB touched against 1 MiB all touched\n");
    bench_fork(quick);
    heading("replay: the CPU model's TLB hit, and Lackey traces against wc -l\n");
    bench_replay(quick);
    if (fmt == FMT_JSON)
        print_json();
    return tool_finish("uvmsim-bench", TOOL_EXIT_OK);
}
