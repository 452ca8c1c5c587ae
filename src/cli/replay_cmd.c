/* uvmsim scenario library: `uvmsim replay` — replay Valgrind Lackey traces of real
 * programs through the simulated MMU and report what they cost (docs/replay.md).
 *
 * The program is exec'd from an ext2 image into N processes of one machine (XIP, copy
 * or fault-op mount), each gets a replayer fed from a trace file (the traces given,
 * cycled over the processes; with one --program per trace, each trace's process execs
 * its own program), and the replayers run round robin, K records each, with a context
 * switch between them.  The report: a table, JSON or CSV. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "scn_internal.h"
#include "replay_cmd.h"
#include "uvmsim/replay.h"
#include "tool_opt.h"
#include "tool_json.h"
#include "tool_cost.h"

#ifndef UVMSIM_REPLAY_DIR
#define UVMSIM_REPLAY_DIR "."
#define UVMSIM_REPLAY_BUILT 0
#define UVMSIM_REPLAY_DEFAULT "ls"
#define UVMSIM_REPLAY_MISSING "this uvmsim was built without the replay data"
#endif

#define RP_DEFAULT_IMAGE UVMSIM_REPLAY_DIR "/busybox.img"
/* the same tree, busybox's blocks aligned for large pages (cmake/mkreplay.cmake) */
#define RP_ALIGNED_IMAGE UVMSIM_REPLAY_DIR "/busybox-aligned.img"
#define RP_DEFAULT_PROGRAM "/bin/busybox"
#define RP_DEFAULT_TRACE UVMSIM_REPLAY_DIR "/traces/" UVMSIM_REPLAY_DEFAULT ".trace"
#define RP_MAX_PROCS 1024u
#define RP_DEFAULT_QUANTUM 10000u
#define RP_DEFAULT_RAM (256ull << 20)
#define RP_PROGRESS_MIN (4ull << 20)    /* inputs at least this big show progress */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: uvmsim replay [OPTIONS] [TRACE...]\n"
            "Replays memory traces of a real program, recorded by Valgrind's Lackey tool with\n"
            "memory tracing on (see uvmsim(1)), through the simulated MMU: every fetch, load, store\n"
            "and modify becomes a CPU access of a process that exec'd the program from a flash\n"
            "image, with its TLB look-ups, page-table walks and faults.  Addresses outside the\n"
            "program's own mappings (stack, heap, mmap) get anonymous memory on first touch (auto\n"
            "regions).  TRACE may be gzip-compressed; - reads standard input.  With no TRACE, a\n"
            "trace of busybox made by the build is replayed:\n"
            "  " RP_DEFAULT_TRACE "\n"
            "Options:\n"
            "  --image IMG        ext2 image holding the program (default, with the build's traces:\n"
            "                     " RP_DEFAULT_IMAGE "); 'none': no program, every\n"
            "                     address is an auto region\n"
            "  --program PATH     the program in the image (default " RP_DEFAULT_PROGRAM " for the\n"
            "                     build's image; needed with any other --image).  Given once per\n"
            "                     TRACE, it pairs them: the process replaying the k-th TRACE execs\n"
            "                     the k-th program\n"
            "  --mount KIND       xip (default), copy or xip-faultop\n"
            "  --pmap NAME        pmap backend: generic (default), armv5, fass\n"
            "  --tlb SHAPE        TLB as in a scenario machine line: ENTRIES/WAYS/REPL[/split|unified]\n"
            "                     (e.g. 64/4/lru, 32/full/fifo/split) or off\n"
            "  --page SIZE        page size (default 4096; the ARM backends need 4096)\n"
            "  --ram SIZE         simulated RAM (K/M/G suffixes; default 256M)\n"
            "  --seed N           machine seed (random TLB replacement)\n"
            "  --superpages on|off  map the program's XIP text and data with large pages where\n"
            "                     the image's blocks allow (64 KiB and 1 MiB on ARM, 2 MiB on\n"
            "                     generic; docs/superpages.md); default off.  With on, the\n"
            "                     default image is the build's aligned variant,\n"
            "                     " RP_ALIGNED_IMAGE "\n"
            "  --procs N          run N processes of the program, each replaying a trace (the\n"
            "                     TRACEs are cycled over them); default 1\n"
            "  --quantum K        with --procs: switch to the next process every K records\n"
            "                     (default %u)\n"
            "  --lenient          count and skip malformed records instead of failing\n"
            "  --threads N|auto   threads that decode each trace file (plain files, not gzip or\n"
            "                     stdin): N - 1 helpers decode ahead while the replayer replays;\n"
            "                     the results are the same for every N.  auto (default): 2 on a\n"
            "                     host with two CPUs or more and one process, else 1\n"
            "  --json             print the report as one JSON object\n"
            "  --csv              print the report as key,value lines\n"
            "  --trace FILE       write every simulator event as JSON Lines to FILE (slow)\n"
            "  --no-fast-path     send every access through the backend's translate (the counters\n"
            "                     are the same; for timing the inline TLB-hit path)\n"
            "  --share-domains on|off\n"
            "                     fass: shared domains for pages several processes map at the same\n"
            "                     address (default off)\n"
            "  --placement on|off fass: least-contention placement of mappings without a fixed\n"
            "                     address (default off)\n"
            "  --pid-policy NAME  fass FCSE slots: round-robin (default), least-used, none (no relocation)\n"
            "  --cost-file FILE   cycle cost model entries as KEY=VALUE lines (default: SA-1100)\n"
            "  --cost LIST        comma list of KEY=VALUE cost entries, after --cost-file\n"
            "  --help             this text\n"
            "  --version          the version\n"
            "Exit status: 0 ok, 2 usage or input error (a malformed record is reported as\n"
            "FILE:LINE: message), 3 simulator error.  See uvmsim(1) and docs/replay.md.\n",
            RP_DEFAULT_QUANTUM);
}

struct rp_args {
    const char *image, *trace_out, *tlb;
    struct tool_strs programs;        /* none, one for every process, or one per trace */
    unsigned mount_flags;
    const char *mount_name;
    uvmsim_machine_config cfg;
    uint64_t procs, quantum;
    bool json, csv, lenient, no_fast;
    const char *threads_arg;          /* --threads: a number or "auto" (NULL: auto) */
    unsigned threads;                 /* threads per replayer (1: the caller's only) */
    int share, place;                 /* --share-domains / --placement: 1 on, 0 off */
    int pid_policy;                   /* index in uvmsim_pmap_fass_policies("pid"), -1: default */
    uvmsim_cost_model cost;
    const char **traces;
    unsigned ntraces;
};

static void free_args(struct rp_args *a)
{
    free(a->traces);
    free(a->programs.items);
}

/* The program process i execs (NULL: none, --image none). */
static const char *program_of(const struct rp_args *a, uint64_t i)
{
    if (a->programs.n == 0)
        return NULL;
    return a->programs.items[a->programs.n == 1 ? 0 : i % a->programs.n];
}

static const char *const mount_names[] = {"xip", "copy", "xip-faultop", NULL};
static const unsigned mount_flags[] = {UVMSIM_MNT_XIP, 0, UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP};

/* Returns TOOL_PARSE_OK, or the exit status (0 after --help / --version). */
static int parse_args(int argc, char **argv, struct rp_args *a, FILE *err)
{
    memset(a, 0, sizeof(*a));
    uvmsim_machine_config_init(&a->cfg);
    a->cfg.ram_size = RP_DEFAULT_RAM;
    a->procs = 1;
    a->quantum = RP_DEFAULT_QUANTUM;
    a->traces = calloc((size_t)argc + 1, sizeof(*a->traces));
    a->programs.items = calloc((size_t)argc + 1, sizeof(*a->programs.items));
    a->programs.cap = (unsigned)argc + 1;
    if (a->traces == NULL || a->programs.items == NULL) {
        fprintf(err, "uvmsim replay: out of host memory\n");
        return TOOL_EXIT_SIMERR;
    }
    int mount = 0, pmap = -1, superpages = 0;
    uint64_t page = 0;
    static const char *const onoff[] = {"off", "on", NULL};
    a->pid_policy = -1;
    const char *cost_file = NULL, *cost_list = NULL;
    uvmsim_cost_defaults(&a->cost);
    const struct tool_opt opts[] = {
        {"image", 0, TOOL_STR, &a->image, 0, 0, NULL, NULL},
        {"program", 0, TOOL_STRS, &a->programs, 0, 0, NULL, NULL},
        {"mount", 0, TOOL_CHOICE, &mount, 0, 0, mount_names, NULL},
        {"pmap", 0, TOOL_CHOICE, &pmap, 0, 0, uvmsim_pmap_backends(), NULL},
        {"tlb", 0, TOOL_STR, &a->tlb, 0, 0, NULL, NULL},
        {"page", 0, TOOL_SIZE, &page, 512, 1u << 20, NULL, NULL},
        {"ram", 0, TOOL_SIZE, &a->cfg.ram_size, 1u << 20, 1ull << 36, NULL, NULL},
        {"seed", 0, TOOL_U64, &a->cfg.seed, 0, UINT64_MAX, NULL, NULL},
        {"superpages", 0, TOOL_CHOICE, &superpages, 0, 0, onoff, NULL},
        {"procs", 0, TOOL_U64, &a->procs, 1, RP_MAX_PROCS, NULL, NULL},
        {"quantum", 0, TOOL_U64, &a->quantum, 1, 1ull << 40, NULL, NULL},
        {"lenient", 0, TOOL_FLAG, &a->lenient, 0, 0, NULL, NULL},
        {"json", 0, TOOL_FLAG, &a->json, 0, 0, NULL, NULL},
        {"csv", 0, TOOL_FLAG, &a->csv, 0, 0, NULL, NULL},
        {"trace", 0, TOOL_STR, &a->trace_out, 0, 0, NULL, NULL},
        {"no-fast-path", 0, TOOL_FLAG, &a->no_fast, 0, 0, NULL, NULL},
        {"threads", 0, TOOL_STR, &a->threads_arg, 0, 0, NULL, NULL},
        {"share-domains", 0, TOOL_CHOICE, &a->share, 0, 0, onoff, NULL},
        {"pid-policy", 0, TOOL_CHOICE, &a->pid_policy, 0, 0, uvmsim_pmap_fass_policies("pid"), NULL},
        {"placement", 0, TOOL_CHOICE, &a->place, 0, 0, onoff, NULL},
        {"cost-file", 0, TOOL_STR, &cost_file, 0, 0, NULL, NULL},
        {"cost", 0, TOOL_STR, &cost_list, 0, 0, NULL, NULL},
    };
    const struct tool_cmd c = {"uvmsim replay", usage, opts, sizeof(opts) / sizeof(opts[0]), a->traces, 0,
                               (unsigned)argc, "[TRACE...], files or - for stdin"};
    int rc = tool_parse(&c, argc, argv, &a->ntraces);
    if (rc != TOOL_PARSE_OK)
        return rc;
    if (!tool_cost_options("uvmsim replay", &a->cost, cost_file, cost_list))
        return TOOL_EXIT_USAGE;
    /* --threads auto: helpers for one process; several processes already take turns */
    if (a->threads_arg == NULL || strcmp(a->threads_arg, "auto") == 0) {
        a->threads = a->procs == 1 ? uvmsim_replay_threads_auto() : 1u;
    } else {
        uint64_t t;
        if (!tool_parse_u64("uvmsim replay", "--threads", a->threads_arg, 1, UVMSIM_REPLAY_MAX_THREADS, &t))
            return TOOL_EXIT_USAGE;
        a->threads = (unsigned)t;
    }
    a->mount_flags = mount_flags[mount];
    a->mount_name = mount_names[mount];
    a->cfg.superpages = superpages == 1;
    if (pmap >= 0)
        a->cfg.pmap = uvmsim_pmap_backends()[pmap];
    if ((a->share || a->place || a->pid_policy >= 0) && (a->cfg.pmap == NULL || strcmp(a->cfg.pmap, "fass") != 0)) {
        fprintf(err, "uvmsim replay: --%s: needs --pmap fass (pmap is %s)\n",
                a->share ? "share-domains on" : a->place ? "placement on" : "pid-policy",
                a->cfg.pmap ? a->cfg.pmap : "generic");
        return TOOL_EXIT_USAGE;
    }
    if (page) {
        if (page & (page - 1)) {
            fprintf(err, "uvmsim replay: --page: '%llu' is not a power of two\n", (unsigned long long)page);
            return TOOL_EXIT_USAGE;
        }
        a->cfg.page_size = (size_t)page;
    }
    char why[160];
    if (a->tlb && !uvmsim_scn_tlb_parse(a->tlb, &a->cfg.tlb, why, sizeof(why))) {
        fprintf(err, "uvmsim replay: --tlb: %s\n", why);
        return TOOL_EXIT_USAGE;
    }
    for (unsigned k = 0; k < a->programs.n; k++)
        if (a->programs.items[k][0] != '/') {
            fprintf(err, "uvmsim replay: --program: expected an absolute path in the image, got '%s'\n",
                    a->programs.items[k]);
            return TOOL_EXIT_USAGE;
        }
    if (a->json && a->csv) {
        fprintf(err, "uvmsim replay: --json and --csv: choose one\n");
        return TOOL_EXIT_USAGE;
    }
    /* Defaults: the build's busybox image and trace. */
    if (a->ntraces == 0 || (a->image == NULL && a->programs.n == 0)) {
        if (!UVMSIM_REPLAY_BUILT) {
            fprintf(err, "uvmsim replay: %s, and this build has no busybox image or traces (%s).\n"
                         "Give a trace and its program: uvmsim replay --image IMG --program PATH TRACE\n"
                         "(uvmsim(1) says how to record one with Valgrind's Lackey tool), or install\n"
                         "busybox-static and valgrind (apt-get install busybox-static valgrind) and rebuild\n"
                         "to get " RP_DEFAULT_TRACE ".\n",
                    a->ntraces == 0 ? "no TRACE given" : "no --image given", UVMSIM_REPLAY_MISSING);
            return TOOL_EXIT_USAGE;
        }
        if (a->ntraces == 0)
            a->traces[a->ntraces++] = RP_DEFAULT_TRACE;
        if (a->image == NULL) {
            a->image = a->cfg.superpages ? RP_ALIGNED_IMAGE : RP_DEFAULT_IMAGE;
            if (a->programs.n == 0)
                a->programs.items[a->programs.n++] = RP_DEFAULT_PROGRAM;
        }
    }
    if (a->image == NULL) {
        fprintf(err, "uvmsim replay: --program needs --image (the image that holds it)\n");
        return TOOL_EXIT_USAGE;
    }
    bool none = strcmp(a->image, "none") == 0;
    if (!none && a->programs.n == 0) {
        if (strcmp(a->image, RP_DEFAULT_IMAGE) != 0) {
            fprintf(err, "uvmsim replay: --image %s: which program? give --program PATH\n", a->image);
            return TOOL_EXIT_USAGE;
        }
        a->programs.items[a->programs.n++] = RP_DEFAULT_PROGRAM;
    }
    if (none && a->programs.n > 0) {
        fprintf(err, "uvmsim replay: --program %s: --image none has no programs\n", a->programs.items[0]);
        return TOOL_EXIT_USAGE;
    }
    if (a->programs.n > 1 && a->programs.n != a->ntraces) {
        fprintf(err, "uvmsim replay: --program given %u times for %u TRACE%s: give it once (every process "
                     "execs that program) or once per TRACE (the k-th TRACE's processes exec the k-th)\n",
                a->programs.n, a->ntraces, a->ntraces == 1 ? "" : "s");
        return TOOL_EXIT_USAGE;
    }
    unsigned stdin_users = 0;
    for (uint64_t p = 0; p < a->procs; p++)
        stdin_users += strcmp(a->traces[p % a->ntraces], "-") == 0;
    if (stdin_users > 1) {
        fprintf(err, "uvmsim replay: - (standard input) can feed one process only (%u would read it); "
                     "give a file\n", stdin_users);
        return TOOL_EXIT_USAGE;
    }
    return TOOL_PARSE_OK;
}

/* ---- the run ---- */

struct rp_run {
    struct rp_args *a;
    uvmsim_machine *m;
    uvmsim_proc **procs;
    uvmsim_replayer **rps;
    bool *done;
    unsigned cur;                     /* the replayer running (for --trace) */
    FILE *trace;
    uint64_t trace_errors;
    double seconds;
    uvmsim_pmap_stats before;         /* pmap counters when the replay started (after exec) */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_event(const uvmsim_event *ev, void *arg)
{
    struct rp_run *run = arg;
    uint64_t rec = 0;
    if (run->rps != NULL && run->rps[run->cur] != NULL) {
        uvmsim_replay_stats s;
        uvmsim_replay_stats_get(run->rps[run->cur], &s);
        rec = s.records + 1;
    }
    struct sbuf b = {0};
    uvmsim_scn_json_event(&b, ev, "record", rec);
    if (b.oom || fprintf(run->trace, "%s\n", uvmsim_sb_str(&b)) < 0)
        run->trace_errors++;
    uvmsim_sb_free(&b);
}

/* Exit status for a failure of the simulator's answer to the input. */
static int status_of(int err)
{
    switch (err) {
    case UVMSIM_ENOHOST:
    case UVMSIM_ESTATE:
    case UVMSIM_ENOMEM:
        return UVMSIM_SCN_SIMERR;
    default:
        return UVMSIM_SCN_INPUT;
    }
}

static int setup(struct rp_run *run, FILE *err)
{
    struct rp_args *a = run->a;
    int e = uvmsim_machine_create(&a->cfg, &run->m);
    if (e) {
        fprintf(err, "uvmsim replay: machine (pmap %s, page %zu, RAM %llu bytes): %s\n",
                a->cfg.pmap ? a->cfg.pmap : "generic", a->cfg.page_size, (unsigned long long)a->cfg.ram_size,
                uvmsim_strerror(e));
        return e == UVMSIM_ENOHOST ? UVMSIM_SCN_SIMERR : UVMSIM_SCN_INPUT;
    }
    if (a->no_fast)
        uvmsim_pmap_set_fast_path(run->m, false);
    if (a->share)
        uvmsim_pmap_fass_set_sharing(run->m, true);
    if (a->pid_policy >= 0)
        uvmsim_pmap_fass_set_policy(run->m, NULL, uvmsim_pmap_fass_policies("pid")[a->pid_policy]);
    if (a->place)
        uvmsim_pmap_fass_set_placement(run->m, true);
    if (a->trace_out) {
        run->trace = fopen(a->trace_out, "w");
        if (run->trace == NULL) {
            fprintf(err, "uvmsim replay: --trace %s: cannot open: %s\n", a->trace_out, strerror(errno));
            return UVMSIM_SCN_INPUT;
        }
        uvmsim_trace_set(run->m, on_event, run);
    }
    if (strcmp(a->image, "none") != 0) {
        uvmsim_flashdev *dev;
        uvmsim_mount *mp;
        e = uvmsim_flashdev_create_file(run->m, NULL, a->image, &dev);
        if (e) {
            fprintf(err, "uvmsim replay: --image %s: %s\n", a->image, uvmsim_strerror(e));
            return status_of(e);
        }
        e = uvmsim_mount_ext2(run->m, dev, "/", a->mount_flags, &mp);
        if (e) {
            fprintf(err, "uvmsim replay: --image %s: mount (%s): %s%s%s\n", a->image, a->mount_name,
                    uvmsim_strerror(e), uvmsim_fs_last_error(run->m)[0] ? ": " : "", uvmsim_fs_last_error(run->m));
            return status_of(e);
        }
    }
    run->procs = calloc(a->procs, sizeof(*run->procs));
    run->rps = calloc(a->procs, sizeof(*run->rps));
    run->done = calloc(a->procs, sizeof(*run->done));
    if (run->procs == NULL || run->rps == NULL || run->done == NULL) {
        fprintf(err, "uvmsim replay: out of host memory\n");
        return UVMSIM_SCN_SIMERR;
    }
    for (uint64_t i = 0; i < a->procs; i++) {
        if ((e = uvmsim_proc_create(run->m, &run->procs[i])) != UVMSIM_OK) {
            fprintf(err, "uvmsim replay: process %llu: %s\n", (unsigned long long)i + 1, uvmsim_strerror(e));
            return status_of(e);
        }
        const char *prog = program_of(a, i);
        if (prog != NULL) {
            uvmsim_exec_info ei;
            if ((e = uvmsim_exec(run->procs[i], prog, &ei)) != UVMSIM_OK) {
                fprintf(err, "uvmsim replay: exec %s from %s: %s (%s)\n", prog, a->image, uvmsim_strerror(e),
                        ei.error);
                return status_of(e);
            }
        }
        uvmsim_replay_opts o;
        uvmsim_replay_opts_init(&o);
        o.lenient = a->lenient;
        o.threads = a->threads;
        run->cur = (unsigned)i;
        if ((e = uvmsim_replay_open(run->procs[i], &o, &run->rps[i])) != UVMSIM_OK) {
            fprintf(err, "uvmsim replay: replayer for process %llu: %s\n", (unsigned long long)i + 1,
                    uvmsim_strerror(e));
            return status_of(e);
        }
        if ((e = uvmsim_replay_open_file(run->rps[i], a->traces[i % a->ntraces])) != UVMSIM_OK) {
            fprintf(err, "uvmsim replay: %s\n", uvmsim_replay_error(run->rps[i]));
            return status_of(e);
        }
    }
    return UVMSIM_SCN_OK;
}

static void progress(struct rp_run *run, FILE *err, double t0, bool last)
{
    uint64_t rd = 0, total = 0, recs = 0;
    for (uint64_t i = 0; i < run->a->procs; i++) {
        uint64_t r1, t1;
        uvmsim_replay_progress(run->rps[i], &r1, &t1);
        rd += r1;
        total += t1;
        uvmsim_replay_stats s;
        uvmsim_replay_stats_get(run->rps[i], &s);
        recs += s.records;
    }
    double dt = now_s() - t0;
    fprintf(err, "\rreplay: %.1f of %.1f MB read, %.2f M records/s%s", (double)rd / 1e6, (double)total / 1e6,
            dt > 0 ? (double)recs / dt / 1e6 : 0.0, last ? "\n" : "   ");
    fflush(err);
}

static int replay_all(struct rp_run *run, FILE *err)
{
    struct rp_args *a = run->a;
    uint64_t total = 0;
    for (uint64_t i = 0; i < a->procs; i++) {
        uint64_t t;
        uvmsim_replay_progress(run->rps[i], NULL, &t);
        total += t;
    }
    bool show = total >= RP_PROGRESS_MIN && isatty(fileno(err));
    uvmsim_pmap_stats_get(run->m, &run->before);
    /* one process: chunks only for the progress line; several: the quantum */
    uint64_t chunk = a->procs > 1 ? a->quantum : show ? (1u << 20) : 0;
    uint64_t live = a->procs;
    double t0 = now_s(), shown = t0;
    while (live > 0) {
        for (uint64_t i = 0; i < a->procs; i++) {
            if (run->done[i])
                continue;
            run->cur = (unsigned)i;
            int e = uvmsim_replay_run(run->rps[i], chunk, &run->done[i]);
            if (e) {
                run->seconds = now_s() - t0;
                if (show)
                    fputc('\n', err);
                fprintf(err, "uvmsim replay: %s\n", uvmsim_replay_error(run->rps[i]));
                return status_of(e);
            }
            if (run->done[i])
                live--;
        }
        if (show && now_s() - shown > 0.25) {
            progress(run, err, t0, false);
            shown = now_s();
        }
    }
    run->seconds = now_s() - t0;
    if (show)
        progress(run, err, t0, true);
    return UVMSIM_SCN_OK;
}

/* ---- the report ---- */

struct rp_report {
    uvmsim_replay_stats rs;           /* summed over the processes */
    uvmsim_vm_stats vs;
    uvmsim_pmap_stats ps;
    uvmsim_ram_stats ram;
    bool split;
    uvmsim_pmap_stats delta;          /* the replay itself (exec excluded) */
    uvmsim_cost_terms cost;           /* delta priced */
    uint64_t switches;                /* context switches during the replay */
};

static void collect(struct rp_run *run, struct rp_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    for (uint64_t i = 0; i < run->a->procs; i++) {
        uvmsim_replay_stats s;
        uvmsim_replay_stats_get(run->rps[i], &s);
        const uint64_t *src = (const uint64_t *)&s;
        uint64_t *dst = (uint64_t *)&rep->rs;
        for (size_t k = 0; k < sizeof(s) / sizeof(uint64_t); k++)
            dst[k] += src[k];
    }
    uvmsim_vm_stats_get(run->m, &rep->vs);
    uvmsim_pmap_stats_get(run->m, &rep->ps);
    uvmsim_ram_stats_get(run->m, &rep->ram);
    /* the machine's TLB, not the one asked for: an ARM machine given the default
     * gets the SA-1100's split I and D TLBs */
    rep->split = uvmsim_machine_config_get(run->m)->tlb.split;
    uvmsim_pmap_stats_delta(&run->before, &rep->ps, &rep->delta);
    uvmsim_cost_price(&run->a->cost, &rep->delta, &rep->cost);
    rep->switches = rep->delta.activations;
}

/* Cycles per context switch: every priced cycle of the replay over its switches (what a
 * switch costs with everything it makes the processes redo), 0 without switches. */
static double cycles_per_switch(const struct rp_report *r)
{
    return r->switches ? (double)r->cost.total / (double)r->switches : 0.0;
}

static uint64_t tlb_hits(const struct rp_report *r)
{
    return r->ps.dtlb.hits + r->ps.itlb.hits;
}

static uint64_t tlb_misses(const struct rp_report *r)
{
    return r->ps.dtlb.misses + r->ps.itlb.misses;
}

static void json_tlb(struct tool_json *j, const char *key, const uvmsim_tlb_stats *t)
{
    tj_obj(j, key);
    tj_u64(j, "hits", t->hits);
    tj_u64(j, "misses", t->misses);
    tj_u64(j, "fills", t->fills);
    tj_u64(j, "evictions", t->evictions);
    tj_u64(j, "flushed", t->entries_flushed);
    tj_u64(j, "large_fills", t->large_fills);
    tj_u64(j, "large_hits", t->large_hits);
    tj_u64(j, "reach", t->reach);
    tj_end(j);
}

static void print_json(struct rp_run *run, const struct rp_report *r, FILE *out)
{
    const struct rp_args *a = run->a;
    struct tool_json j;
    tj_begin(&j, out);
    tj_arr(&j, "traces");
    for (unsigned i = 0; i < a->ntraces; i++)
        tj_str(&j, NULL, a->traces[i]);
    tj_end(&j);
    tj_str(&j, "image", a->image);
    /* program: the one every process runs (null with none or several); programs: all */
    tj_str(&j, "program", a->programs.n == 1 ? a->programs.items[0] : NULL);
    tj_arr(&j, "programs");
    for (unsigned i = 0; i < a->programs.n; i++)
        tj_str(&j, NULL, a->programs.items[i]);
    tj_end(&j);
    tj_str(&j, "mount", a->mount_name);
    tj_str(&j, "pmap", r->ps.backend);
    tj_u64(&j, "page_size", uvmsim_page_size(run->m));
    tj_str(&j, "superpages", a->cfg.superpages ? "on" : "off");
    tj_u64(&j, "procs", a->procs);
    tj_u64(&j, "quantum", a->quantum);
    tj_u64(&j, "records", r->rs.records);
    tj_obj(&j, "records_by_kind");
    tj_u64(&j, "I", r->rs.by_kind[UVMSIM_REC_I]);
    tj_u64(&j, "L", r->rs.by_kind[UVMSIM_REC_L]);
    tj_u64(&j, "S", r->rs.by_kind[UVMSIM_REC_S]);
    tj_u64(&j, "M", r->rs.by_kind[UVMSIM_REC_M]);
    tj_end(&j);
    tj_u64(&j, "skipped_lines", r->rs.skipped_lines);
    tj_u64(&j, "malformed", r->rs.malformed);
    tj_u64(&j, "accesses", r->rs.accesses);
    tj_u64(&j, "split_records", r->rs.split_records);
    tj_obj(&j, "bytes");
    tj_u64(&j, "fetched", r->vs.bytes_fetched);
    tj_u64(&j, "loaded", r->vs.bytes_loaded);
    tj_u64(&j, "stored", r->vs.bytes_stored);
    tj_end(&j);
    tj_obj(&j, "faults");
    for (int c = 0; c < UVMSIM_FAULT_NCLASSES; c++)
        tj_u64(&j, uvmsim_fault_class_name((uvmsim_fault_class)c), r->vs.faults[c]);
    tj_u64(&j, "total", r->vs.faults_total);
    tj_end(&j);
    tj_obj(&j, "tlb");
    tj_u64(&j, "hits", tlb_hits(r));
    tj_u64(&j, "misses", tlb_misses(r));
    if (r->split) {
        json_tlb(&j, "itlb", &r->ps.itlb);
        json_tlb(&j, "dtlb", &r->ps.dtlb);
    }
    tj_end(&j);
    tj_obj(&j, "ram_pages");
    tj_u64(&j, "anon", r->ram.anon_pages);
    tj_u64(&j, "object", r->ram.object_pages);
    tj_u64(&j, "ptp", r->ram.ptp_pages);
    tj_u64(&j, "zero", r->ram.zero_pages);
    tj_u64(&j, "used", r->ram.used_pages);
    tj_u64(&j, "high_water", r->ram.high_water);
    tj_u64(&j, "total", r->ram.total_pages);
    tj_end(&j);
    tj_u64(&j, "pv_entries", r->ps.pv_entries);
    tj_u64(&j, "pv_entries_device", r->ps.pv_entries_device);
    tj_u64(&j, "large_mappings", r->ps.large_mappings);
    tj_u64(&j, "large_live", r->ps.large_live);
    tj_u64(&j, "large_bytes", r->ps.large_bytes);
    tj_u64(&j, "demotions", r->ps.demotions);
    tj_u64(&j, "demotion_drops", r->ps.demotion_drops);
    tj_u64(&j, "tlb_reach", r->ps.tlb_reach);
    tj_u64(&j, "auto_regions", r->rs.auto_regions);
    tj_u64(&j, "auto_maps", r->rs.auto_maps);
    tj_u64(&j, "auto_bytes", r->rs.auto_bytes);
    tj_u64(&j, "auto_exec", r->rs.auto_exec);
    tj_u64(&j, "folded", r->rs.folded);
    tj_u64(&j, "io_requests", r->vs.io_requests);
    tj_u64(&j, "io_bytes", r->vs.io_bytes);
    tj_u64(&j, "bytes_copied", r->vs.bytes_copied);
    tj_u64(&j, "switches", r->ps.activations);
    tj_u64(&j, "switch_cost", r->ps.switch_cost);
    tj_u64(&j, "tlb_flushes", r->ps.tlb_flushes);
    tj_str(&j, "share_domains", a->share ? "on" : "off");
    tj_str(&j, "placement", a->place ? "on" : "off");
    tj_obj(&j, "fass");
    tj_u64(&j, "cpd_loads", r->ps.cpd_loads);
    tj_u64(&j, "cpd_collisions", r->ps.cpd_collisions);
    tj_u64(&j, "domain_faults", r->ps.domain_faults);
    tj_u64(&j, "domain_recycles", r->ps.domain_recycles_clean + r->ps.domain_recycles_dirty);
    tj_u64(&j, "shared_domain_hits", r->ps.shared_domain_hits);
    tj_u64(&j, "shared_domain_fills", r->ps.shared_domain_fills);
    tj_u64(&j, "share_groups_made", r->ps.share_groups_made);
    tj_u64(&j, "share_joins", r->ps.share_joins);
    tj_u64(&j, "share_leaves", r->ps.share_leaves);
    tj_u64(&j, "share_fallbacks", r->ps.share_fallbacks);
    tj_u64(&j, "shared_regions", r->ps.shared_regions);
    tj_u64(&j, "placements", r->ps.placements);
    tj_end(&j);
    tj_obj(&j, "cycles");
    tj_u64(&j, "replay_switches", r->switches);
    tj_u64(&j, "total", r->cost.total);
    tj_f64(&j, "per_switch", cycles_per_switch(r));
    tool_cost_json_terms(&j, "per_switch_by_term", &r->cost, r->switches);
    tj_end(&j);
    tool_cost_json_model(&j, "cost_model", &a->cost);
    tj_f64(&j, "seconds", run->seconds);
    tj_u64(&j, "records_per_second", run->seconds > 0 ? (uint64_t)((double)r->rs.records / run->seconds) : 0);
    tj_finish(&j);
}

static void print_csv(struct rp_run *run, const struct rp_report *r, FILE *out)
{
    fprintf(out, "key,value\n");
#define ROW(k, v) fprintf(out, "%s,%llu\n", k, (unsigned long long)(v))
    ROW("records", r->rs.records);
    ROW("records.I", r->rs.by_kind[UVMSIM_REC_I]);
    ROW("records.L", r->rs.by_kind[UVMSIM_REC_L]);
    ROW("records.S", r->rs.by_kind[UVMSIM_REC_S]);
    ROW("records.M", r->rs.by_kind[UVMSIM_REC_M]);
    ROW("skipped_lines", r->rs.skipped_lines);
    ROW("malformed", r->rs.malformed);
    ROW("accesses", r->rs.accesses);
    ROW("split_records", r->rs.split_records);
    for (int c = 0; c < UVMSIM_FAULT_NCLASSES; c++) {
        char k[48];
        snprintf(k, sizeof(k), "faults.%s", uvmsim_fault_class_name((uvmsim_fault_class)c));
        ROW(k, r->vs.faults[c]);
    }
    ROW("faults.total", r->vs.faults_total);
    ROW("tlb.hits", tlb_hits(r));
    ROW("tlb.misses", tlb_misses(r));
    if (r->split) {
        ROW("tlb.itlb.hits", r->ps.itlb.hits);
        ROW("tlb.itlb.misses", r->ps.itlb.misses);
        ROW("tlb.dtlb.hits", r->ps.dtlb.hits);
        ROW("tlb.dtlb.misses", r->ps.dtlb.misses);
    }
    ROW("ram_pages.anon", r->ram.anon_pages);
    ROW("ram_pages.object", r->ram.object_pages);
    ROW("ram_pages.ptp", r->ram.ptp_pages);
    ROW("ram_pages.zero", r->ram.zero_pages);
    ROW("ram_pages.used", r->ram.used_pages);
    ROW("ram_pages.high_water", r->ram.high_water);
    ROW("pv_entries", r->ps.pv_entries);
    ROW("pv_entries_device", r->ps.pv_entries_device);
    ROW("large_mappings", r->ps.large_mappings);
    ROW("demotions", r->ps.demotions);
    ROW("tlb_reach", r->ps.tlb_reach);
    ROW("auto_regions", r->rs.auto_regions);
    ROW("auto_exec", r->rs.auto_exec);
    ROW("folded", r->rs.folded);
    ROW("io_requests", r->vs.io_requests);
    ROW("io_bytes", r->vs.io_bytes);
    ROW("bytes_copied", r->vs.bytes_copied);
    ROW("switches", r->ps.activations);
    ROW("tlb_flushes", r->ps.tlb_flushes);
    ROW("procs", run->a->procs);
    ROW("page_size", uvmsim_page_size(run->m));
    ROW("cpd_collisions", r->ps.cpd_collisions);
    ROW("shared_domain_hits", r->ps.shared_domain_hits);
    ROW("share_groups_made", r->ps.share_groups_made);
    ROW("cycles.total", r->cost.total);
#undef ROW
    fprintf(out, "cycles.per_switch,%.2f\n", cycles_per_switch(r));
    fprintf(out, "seconds,%.6f\nrecords_per_second,%.0f\n", run->seconds,
            run->seconds > 0 ? (double)r->rs.records / run->seconds : 0.0);
}

static void print_table(struct rp_run *run, const struct rp_report *r, FILE *out)
{
    const struct rp_args *a = run->a;
    fprintf(out, "uvmsim replay: %s", a->traces[0]);
    for (unsigned i = 1; i < a->ntraces; i++)
        fprintf(out, ", %s", a->traces[i]);
    if (a->programs.n > 0) {
        fprintf(out, "\n  program%s %s", a->programs.n > 1 ? "s" : "", a->programs.items[0]);
        for (unsigned i = 1; i < a->programs.n; i++)
            fprintf(out, ", %s", a->programs.items[i]);
        fprintf(out, " from %s (%s mount)", a->image, a->mount_name);
    } else
        fprintf(out, "\n  no program (every address an auto region)");
    fprintf(out, ", pmap %s, %zu-byte pages, %llu process%s", r->ps.backend, uvmsim_page_size(run->m),
            (unsigned long long)a->procs, a->procs == 1 ? "" : "es");
    if (a->procs > 1)
        fprintf(out, " (switching every %llu records)", (unsigned long long)a->quantum);
    fprintf(out, "\n");
    fprintf(out, "  %-16s %llu (I %llu, L %llu, S %llu, M %llu); %llu other lines skipped", "records",
            (unsigned long long)r->rs.records, (unsigned long long)r->rs.by_kind[0], (unsigned long long)r->rs.by_kind[1],
            (unsigned long long)r->rs.by_kind[2], (unsigned long long)r->rs.by_kind[3],
            (unsigned long long)r->rs.skipped_lines);
    if (r->rs.malformed)
        fprintf(out, ", %llu malformed skipped", (unsigned long long)r->rs.malformed);
    fprintf(out, "\n  %-16s %llu (%llu records crossed a page boundary)\n", "page accesses",
            (unsigned long long)r->rs.accesses, (unsigned long long)r->rs.split_records);
    fprintf(out, "  %-16s %llu:", "faults", (unsigned long long)r->vs.faults_total);
    for (int c = 0; c < UVMSIM_FAULT_NCLASSES; c++)
        fprintf(out, "%s %s %llu", c ? "," : "", uvmsim_fault_class_name((uvmsim_fault_class)c),
                (unsigned long long)r->vs.faults[c]);
    uint64_t h = tlb_hits(r), m = tlb_misses(r);
    fprintf(out, "\n  %-16s %llu hits, %llu misses (%.2f%% hits)", "TLB", (unsigned long long)h,
            (unsigned long long)m, h + m ? 100.0 * (double)h / (double)(h + m) : 0.0);
    if (r->split)
        fprintf(out, "; I-TLB %llu/%llu, D-TLB %llu/%llu", (unsigned long long)r->ps.itlb.hits,
                (unsigned long long)r->ps.itlb.misses, (unsigned long long)r->ps.dtlb.hits,
                (unsigned long long)r->ps.dtlb.misses);
    fprintf(out, "\n  %-16s %llu in use: anon %llu, object (page cache) %llu, page tables %llu\n", "RAM pages",
            (unsigned long long)r->ram.used_pages, (unsigned long long)r->ram.anon_pages,
            (unsigned long long)r->ram.object_pages, (unsigned long long)r->ram.ptp_pages);
    fprintf(out, "  %-16s %llu (on device pages %llu)\n", "PV entries", (unsigned long long)r->ps.pv_entries,
            (unsigned long long)r->ps.pv_entries_device);
    if (a->cfg.superpages)
        fprintf(out, "  %-16s %llu made (%llu live, %llu KiB), %llu demoted; TLB reach %llu KiB\n", "large mappings",
                (unsigned long long)r->ps.large_mappings, (unsigned long long)r->ps.large_live,
                (unsigned long long)(r->ps.large_bytes >> 10), (unsigned long long)r->ps.demotions,
                (unsigned long long)(r->ps.tlb_reach >> 10));
    fprintf(out, "  %-16s %llu (%llu mappings, %llu KiB)", "auto regions", (unsigned long long)r->rs.auto_regions,
            (unsigned long long)r->rs.auto_maps, (unsigned long long)(r->rs.auto_bytes >> 10));
    if (r->rs.folded)
        fprintf(out, "; %llu accesses folded into 32 bits", (unsigned long long)r->rs.folded);
    fprintf(out, "\n  %-16s %llu requests (%llu bytes), %llu bytes copied by promotion\n", "I/O",
            (unsigned long long)r->vs.io_requests, (unsigned long long)r->vs.io_bytes,
            (unsigned long long)r->vs.bytes_copied);
    if (a->procs > 1) {
        fprintf(out, "  %-16s %llu (cost %llu, TLB flushes %llu)\n", "switches", (unsigned long long)r->ps.activations,
                (unsigned long long)r->ps.switch_cost, (unsigned long long)r->ps.tlb_flushes);
        fprintf(out, "  %-16s %.0f per switch (%llu in all, cost model: %s)\n", "cycles", cycles_per_switch(r),
                (unsigned long long)r->cost.total, "SA-1100 defaults or --cost");
    }
    if (a->share)
        fprintf(out, "  %-16s %llu regions formed, %llu hits on shared entries, %llu leaves, %llu fallbacks\n",
                "shared domains", (unsigned long long)r->ps.share_groups_made,
                (unsigned long long)r->ps.shared_domain_hits, (unsigned long long)r->ps.share_leaves,
                (unsigned long long)r->ps.share_fallbacks);
    fprintf(out, "  %-16s %.3f s, %.2f M records/s\n", "time", run->seconds,
            run->seconds > 0 ? (double)r->rs.records / run->seconds / 1e6 : 0.0);
}

static void teardown(struct rp_run *run)
{
    for (uint64_t i = 0; run->rps && i < run->a->procs; i++)
        uvmsim_replay_close(run->rps[i]);
    if (run->m)
        uvmsim_trace_set(run->m, NULL, NULL);
    uvmsim_machine_destroy(run->m);
    free(run->rps);
    free(run->procs);
    free(run->done);
}

int uvmsim_replay_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct rp_args a;
    int rc = parse_args(argc, argv, &a, err);
    if (rc != TOOL_PARSE_OK) {
        free_args(&a);
        return rc;
    }
    struct rp_run run;
    memset(&run, 0, sizeof(run));
    run.a = &a;
    rc = setup(&run, err);
    if (rc == UVMSIM_SCN_OK)
        rc = replay_all(&run, err);
    if (rc == UVMSIM_SCN_OK) {
        char msg[256];
        int e = uvmsim_check(run.m, msg, sizeof(msg));
        if (e) {
            fprintf(err, "uvmsim replay: simulator invariant broken after the replay: %s\n", msg);
            rc = UVMSIM_SCN_SIMERR;
        }
    }
    if (rc == UVMSIM_SCN_OK) {
        struct rp_report rep;
        collect(&run, &rep);
        if (a.json)
            print_json(&run, &rep, out);
        else if (a.csv)
            print_csv(&run, &rep, out);
        else
            print_table(&run, &rep, out);
    }
    if (run.trace != NULL) {
        uvmsim_trace_set(run.m, NULL, NULL);
        if ((fclose(run.trace) != 0 || run.trace_errors) && rc == UVMSIM_SCN_OK) {
            fprintf(err, "uvmsim replay: --trace %s: write error\n", a.trace_out);
            rc = UVMSIM_SCN_SIMERR;
        }
    }
    teardown(&run);
    free_args(&a);
    if (fflush(out) != 0 && rc == UVMSIM_SCN_OK)
        rc = UVMSIM_SCN_SIMERR;
    return rc;
}
