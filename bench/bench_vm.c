/* uvmsim-bench — what the simulator costs, and what XIP saves, measured in one run and
 * reported as ratios (host time ratios are stable across machines; absolute times are
 * printed for reference only).
 *
 *   exec        N processes exec /bin/hello from the built-in image and touch text, data,
 *               bss, stack: XIP mount against copy mount (RAM pages, faults, host time)
 *   faults      host time per fault of each class (anonymous, and file faults on XIP,
 *               XIP fault-op and copy mounts), relative to zero-fill
 *   mmu         host time per 1-byte load on a TLB hit, a TLB miss (walk), relative
 *
 *   uvmsim-bench [--quick] [--procs N] [--group NAME] [--csv | --json]
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
        printf("  %-42s %14.4g %s\n", key, value, unit);
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

/* ---- faults: host time per fault of each class ----
 *
 * Each measurement builds a fresh pre-touched machine, prepares the state the class needs
 * (untimed), then times n faults of that class one page apart with random advice (no
 * fault-ahead, so one fault maps one page).  The machine's fault counters must show
 * exactly n faults of the class during the timed loop, or the benchmark fails: the time
 * belongs to the class it is reported under.  Best of `reps` runs. */

enum fault_bench {
    FB_ZERO_FILL,          /* store to fresh anonymous memory */
    FB_UPPER_PROMOTE,      /* a forked child stores to a page the parent had written */
    FB_UPPER_DIRECT,       /* then the parent stores again: its anon is its own again */
    FB_LOWER_DIRECT,       /* fetch from a file mapping (XIP: device page; copy: page cache) */
    FB_LOWER_PROMOTE       /* store to a private file mapping: copy the file page */
};

struct fault_case {
    const char *key;       /* figure name before _host_time / _over_zero_fill */
    enum fault_bench kind;
    unsigned mount;        /* mount flags of the built-in image (lower classes) */
};

static const struct fault_case fault_cases[] = {
    {"zero_fill", FB_ZERO_FILL, 0},
    {"upper_promote", FB_UPPER_PROMOTE, 0},
    {"upper_direct", FB_UPPER_DIRECT, 0},
    {"lower_direct_xip", FB_LOWER_DIRECT, UVMSIM_MNT_XIP},
    {"lower_direct_xip_faultop", FB_LOWER_DIRECT, UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP},
    {"lower_direct_copy", FB_LOWER_DIRECT, 0},
    {"lower_promote_xip", FB_LOWER_PROMOTE, UVMSIM_MNT_XIP},
    {"lower_promote_xip_faultop", FB_LOWER_PROMOTE, UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP},
    {"lower_promote_copy", FB_LOWER_PROMOTE, 0},
};

static uvmsim_fault_class class_of(enum fault_bench k)
{
    switch (k) {
    case FB_ZERO_FILL:
        return UVMSIM_FAULT_ZERO_FILL;
    case FB_UPPER_PROMOTE:
        return UVMSIM_FAULT_UPPER_PROMOTE;
    case FB_UPPER_DIRECT:
        return UVMSIM_FAULT_UPPER_DIRECT;
    case FB_LOWER_DIRECT:
        return UVMSIM_FAULT_LOWER_DIRECT;
    case FB_LOWER_PROMOTE:
        break;
    }
    return UVMSIM_FAULT_LOWER_PROMOTE;
}

/* n faults, one per page from va, by p; host ns per fault.  Exactly n faults of class c
 * must be counted meanwhile. */
static double time_faults(uvmsim_proc *p, uvmsim_vaddr_t va, uint64_t n, uvmsim_access acc,
                          uvmsim_fault_class c, const char *what)
{
    uvmsim_machine *m = uvmsim_proc_machine(p);
    uvmsim_vm_stats before, after;
    uvmsim_vm_stats_get(m, &before);
    double t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        int err = uvmsim_fault(p, va + i * 4096, acc, NULL);
        if (err)
            fail(what, err);
    }
    double t = (bench_now_ns() - t0) / (double)n;
    uvmsim_vm_stats_get(m, &after);
    if (after.faults[c] - before.faults[c] != n || after.faults_total - before.faults_total != n) {
        fprintf(stderr, "uvmsim-bench: %s: %llu faults of %llu were %s faults\n", what,
                (unsigned long long)(after.faults[c] - before.faults[c]), (unsigned long long)n,
                uvmsim_fault_class_name(c));
        exit(TOOL_EXIT_SIMERR);
    }
    return t;
}

/* One timed run of a case; n_anon: pages for the anonymous classes. */
static double fault_run(const struct fault_case *fc, unsigned n_anon)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.advice = UVMSIM_ADV_RANDOM;
    uvmsim_vaddr_t va;
    uvmsim_proc *p;
    int err;
    double t;
    if (fc->kind == FB_ZERO_FILL || fc->kind == FB_UPPER_PROMOTE || fc->kind == FB_UPPER_DIRECT) {
        uvmsim_machine *m = bench_machine((uint64_t)(3 * n_anon + 512) * 4096, NULL);
        if ((err = uvmsim_proc_create(m, &p)))
            fail("proc", err);
        a.size = (uint64_t)n_anon * 4096;
        if ((err = uvmsim_map(p, &a, &va)))
            fail("map", err);
        t = time_faults(p, va, n_anon, UVMSIM_ACCESS_STORE, UVMSIM_FAULT_ZERO_FILL, "zero-fill");
        if (fc->kind != FB_ZERO_FILL) {
            uvmsim_proc *c;
            if ((err = uvmsim_proc_fork(p, &c)))
                fail("fork", err);
            t = time_faults(c, va, n_anon, UVMSIM_ACCESS_STORE, UVMSIM_FAULT_UPPER_PROMOTE, "upper-promote");
            if (fc->kind == FB_UPPER_DIRECT)
                t = time_faults(p, va, n_anon, UVMSIM_ACCESS_STORE, UVMSIM_FAULT_UPPER_DIRECT, "upper-direct");
        }
        uvmsim_machine_destroy(m);
        return t;
    }
    size_t len;
    const unsigned char *img = uvmsim_builtin_image(&len);
    uvmsim_machine *m = bench_machine(64u << 20, NULL);
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    uvmsim_vnode *vp;
    err = uvmsim_flashdev_create_mem(m, NULL, img, len, &dev);
    if (!err)
        err = uvmsim_mount_ext2(m, dev, "/", fc->mount, &mp);
    if (!err)
        err = uvmsim_namei(m, uvmsim_builtin_program(), &vp);
    if (err)
        fail("mount", err);
    uvmsim_vattr at;
    uvmsim_vnode_getattr(vp, &at);
    uint64_t pages = at.size / 4096;
    if ((err = uvmsim_proc_create(m, &p)))
        fail("proc", err);
    a.size = pages * 4096;
    a.vnode = vp;
    bool promote = fc->kind == FB_LOWER_PROMOTE;
    a.prot = promote ? UVMSIM_PROT_READ | UVMSIM_PROT_WRITE : UVMSIM_PROT_READ | UVMSIM_PROT_EXEC;
    if ((err = uvmsim_map(p, &a, &va)))
        fail("map file", err);
    t = time_faults(p, va, pages, promote ? UVMSIM_ACCESS_STORE : UVMSIM_ACCESS_FETCH,
                    class_of(fc->kind), promote ? "lower-promote" : "lower-direct");
    uvmsim_vnode_rele(vp);
    uvmsim_machine_destroy(m);
    return t;
}

static void bench_faults(unsigned n_anon, unsigned reps)
{
    size_t len;
    bool have_image = uvmsim_builtin_image(&len) != NULL;
    double zero_fill = 0;
    for (size_t k = 0; k < sizeof(fault_cases) / sizeof(fault_cases[0]); k++) {
        const struct fault_case *fc = &fault_cases[k];
        if (!have_image && (fc->kind == FB_LOWER_DIRECT || fc->kind == FB_LOWER_PROMOTE))
            continue;
        double best = 1e300;
        for (unsigned r = 0; r < reps; r++) {
            double t = fault_run(fc, n_anon);
            if (t < best)
                best = t;
        }
        if (fc->kind == FB_ZERO_FILL)
            zero_fill = best;
        char key[64];
        snprintf(key, sizeof key, "%s_host_time", fc->key);
        out("faults", key, best, "ns/fault");
        if (fc->kind != FB_ZERO_FILL) {
            snprintf(key, sizeof key, "%s_over_zero_fill", fc->key);
            out("faults", key, best / zero_fill, "ratio");
        }
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
            "usage: uvmsim-bench [--quick] [--procs N] [--group NAME] [--csv | --json]\n"
            "Measures the simulator's host cost and what XIP saves in the simulated machine, in\n"
            "one run, and reports ratios within the run (absolute host times are for reference).\n"
            "  --quick       small sizes and one repetition (a smoke run; --procs still applies)\n"
            "  --procs N     processes of the exec workload, 1..256 (default 8; 2 with --quick)\n"
            "  --group NAME  run one workload only: exec, faults, mmu, fork or replay\n"
            "  --csv         group,key,value,unit lines\n"
            "  --json        one object: {\"KEY\": value, ..., \"units\": {\"KEY\": \"unit\", ...}}\n"
            "  --help        this text\n"
            "  --version     the version\n"
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
    static const char *const groups[] = {"all", "exec", "faults", "mmu", "fork", "replay", NULL};
    enum { G_ALL, G_EXEC, G_FAULTS, G_MMU, G_FORK, G_REPLAY };
    int group = G_ALL;
    const struct tool_opt opts[] = {
        {"quick", 0, TOOL_FLAG, &quick, 0, 0, NULL, NULL},
        {"procs", 0, TOOL_UINT, &procs, 1, 256, NULL, &procs_given},
        {"group", 0, TOOL_CHOICE, &group, 0, 0, groups, NULL},
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
    if (group == G_ALL || group == G_EXEC)
        bench_exec(procs, quick ? 1 : 5);
    if (group == G_ALL || group == G_FAULTS) {
        heading("faults: host time per fault by class (best of %u)\n", quick ? 1 : 5);
        bench_faults(quick ? 256 : 4096, quick ? 1 : 5);
    }
    if (group == G_ALL || group == G_MMU) {
        heading("mmu: host time per 1-byte load through the CPU model\n");
        bench_mmu(quick ? 20000 : 2000000);
    }
    if (group == G_ALL || group == G_FORK) {
        heading("fork: fork and exit of 1 GiB with 1 MiB touched against 1 MiB all touched\n");
        bench_fork(quick);
    }
    if (group == G_ALL || group == G_REPLAY) {
        heading("replay: the CPU model's TLB hit, and Lackey traces against wc -l\n");
        bench_replay(quick);
    }
    if (fmt == FMT_JSON)
        print_json();
    return tool_finish("uvmsim-bench", TOOL_EXIT_OK);
}
