/* fass-switch — context-switch cost of the ARM pmap backends against the number of
 * processes: N processes (1..64) run round robin, each touching its text, data and
 * stack pages every time slice (uvmsim_switchbench_run), once per backend and N.
 * Prints a CSV; --png renders flushes per switch against N with gnuplot.
 *
 *   fass-switch [--procs 1,2,4,8] [--switches 1000] [--same | --different] [--high]
 *               [--backends armv5,fass] [--domain-policy NAME] [--pid-policy NAME]
 *               [--png FILE] [--detail FILE] [--json] [--cycles] [--cost-file FILE]
 *               [--cost KEY=VALUE,...] [--help] [--version]
 * --cycles prices each run's counters with the cycle cost model (include/uvmsim/cost.h,
 * SA-1100 defaults) and adds the column cycles_per_switch. */
#define _POSIX_C_SOURCE 200809L   /* popen, pclose */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/switchbench.h"
#include "uvmsim/cost.h"
#include "tool_json.h"
#include "tool_opt.h"
#include "tool_cost.h"

#define MAX_POINTS 64
#define MAX_BACKENDS 8

struct opts {
    unsigned procs[MAX_POINTS];
    unsigned nprocs;
    unsigned switches;
    bool different, high;
    const char *backends[MAX_BACKENDS];
    unsigned nbackends;
    char backends_buf[256];
    const char *domain_policy, *pid_policy;
    const char *png;
    const char *detail;
    bool json;
    bool cycles;
    uvmsim_cost_model cost;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fass-switch [options]\n"
            "  N processes run round robin; each maps a small program (text 4 pages r-x at +0x8000,\n"
            "  data 4 pages rw- at +0x10000, stack 2 pages just below +32 MiB) and touches all of it in\n"
            "  every time slice.  One CSV row per backend and N:\n"
            "    backend,procs,switches,tlb_flushes,cache_flushes,cpd_loads,cpd_collisions,domain_recycles\n"
            "options:\n"
            "  --procs LIST         comma list of process counts, 1..64 (default 1,2,4,8,12,15,16,20,32,64)\n"
            "  --switches K         measured time slices per run (default 1000)\n"
            "  --same               every process runs the same program at the same addresses (default)\n"
            "  --different          process i is linked at its own 32 MiB window 0x80000000 + i*32 MiB\n"
            "  --high               with --same: link the program at 0x80000000 instead of 0 (no FCSE relocation)\n"
            "  --backends LIST      comma list of pmap backends (default armv5,fass)\n"
            "  --domain-policy NAME fass domain recycling: clean-fewest (default), fewest, clean-lru, lru\n"
            "  --pid-policy NAME    fass FCSE slots: round-robin (default), least-used\n"
            "  --png FILE           plot TLB flushes per switch against N with gnuplot\n"
            "  --detail FILE        also write every counter per switch (CSV) to FILE\n"
            "  --json               one JSON object with a row per backend and N instead of the CSV\n"
            "  --cycles             price the counters with the cycle cost model (SA-1100 defaults,\n"
            "                       docs/fass.md) and add the column cycles_per_switch\n"
            "  --cost-file FILE     cost model entries as KEY=VALUE lines (implies --cycles)\n"
            "  --cost LIST          comma list of KEY=VALUE cost entries, after --cost-file (implies\n"
            "                       --cycles); keys: see uvmsim_cost_keys() or docs/fass.md\n"
            "  --help, --version    this text, the version\n"
            "Exit status: 0 ok, 2 usage error, 3 simulator error or gnuplot missing for --png.\n"
            "See fass-switch(1).\n");
}

/* TOOL_PARSE_OK, or the exit status (0 after --help / --version). */
static int parse(struct opts *o, int argc, char **argv)
{
    static const unsigned def[] = {1, 2, 4, 8, 12, 15, 16, 20, 32, 64};
    memset(o, 0, sizeof(*o));
    memcpy(o->procs, def, sizeof(def));
    o->nprocs = sizeof(def) / sizeof(def[0]);
    o->switches = 1000;
    o->backends[0] = "armv5";
    o->backends[1] = "fass";
    o->nbackends = 2;
    const char *procs = NULL, *backends = NULL, *cost_file = NULL, *cost_list = NULL;
    uvmsim_cost_defaults(&o->cost);
    bool same = false;
    int dpol = -1, ppol = -1;
    const struct tool_opt opts[] = {
        {"procs", 0, TOOL_STR, &procs, 0, 0, NULL, NULL},
        {"switches", 0, TOOL_UINT, &o->switches, 1, 100000000, NULL, NULL},
        {"same", 0, TOOL_FLAG, &same, 0, 0, NULL, NULL},
        {"different", 0, TOOL_FLAG, &o->different, 0, 0, NULL, NULL},
        {"high", 0, TOOL_FLAG, &o->high, 0, 0, NULL, NULL},
        {"backends", 0, TOOL_STR, &backends, 0, 0, NULL, NULL},
        {"domain-policy", 0, TOOL_CHOICE, &dpol, 0, 0, uvmsim_pmap_fass_policies("domain"), NULL},
        {"pid-policy", 0, TOOL_CHOICE, &ppol, 0, 0, uvmsim_pmap_fass_policies("pid"), NULL},
        {"png", 0, TOOL_STR, &o->png, 0, 0, NULL, NULL},
        {"detail", 0, TOOL_STR, &o->detail, 0, 0, NULL, NULL},
        {"json", 0, TOOL_FLAG, &o->json, 0, 0, NULL, NULL},
        {"cycles", 0, TOOL_FLAG, &o->cycles, 0, 0, NULL, NULL},
        {"cost-file", 0, TOOL_STR, &cost_file, 0, 0, NULL, NULL},
        {"cost", 0, TOOL_STR, &cost_list, 0, 0, NULL, NULL},
    };
    const struct tool_cmd cmd = {"fass-switch", usage, opts, sizeof(opts) / sizeof(opts[0]), NULL, 0, 0, NULL};
    unsigned npos;
    int rc = tool_parse(&cmd, argc, argv, &npos);
    if (rc != TOOL_PARSE_OK)
        return rc;
    if (same && o->different) {
        fprintf(stderr, "fass-switch: --same and --different exclude each other\n");
        return TOOL_EXIT_USAGE;
    }
    if (procs != NULL) {
        uint64_t v[MAX_POINTS];
        if (!tool_parse_u64_list("fass-switch", "--procs", procs, 1, UVMSIM_SWITCHBENCH_MAX_PROCS, v, MAX_POINTS,
                                 &o->nprocs))
            return TOOL_EXIT_USAGE;
        for (unsigned i = 0; i < o->nprocs; i++)
            o->procs[i] = (unsigned)v[i];
    }
    if (backends != NULL) {
        if (strlen(backends) >= sizeof(o->backends_buf)) {
            fprintf(stderr, "fass-switch: --backends: list too long\n");
            return TOOL_EXIT_USAGE;
        }
        strcpy(o->backends_buf, backends);
        o->nbackends = 0;
        for (char *tok = o->backends_buf, *next; tok != NULL; tok = next) {
            next = strchr(tok, ',');
            if (next)
                *next++ = '\0';
            int k = tool_parse_choice("fass-switch", "--backends", tok, uvmsim_pmap_backends());
            if (k < 0)
                return TOOL_EXIT_USAGE;
            if (o->nbackends == MAX_BACKENDS) {
                fprintf(stderr, "fass-switch: --backends: more than %d\n", MAX_BACKENDS);
                return TOOL_EXIT_USAGE;
            }
            o->backends[o->nbackends++] = uvmsim_pmap_backends()[k];
        }
    }
    if (cost_file != NULL || cost_list != NULL)
        o->cycles = true;
    if (!tool_cost_options("fass-switch", &o->cost, cost_file, cost_list))
        return TOOL_EXIT_USAGE;
    if (dpol >= 0)
        o->domain_policy = uvmsim_pmap_fass_policies("domain")[dpol];
    if (ppol >= 0)
        o->pid_policy = uvmsim_pmap_fass_policies("pid")[ppol];
    return TOOL_PARSE_OK;
}

struct row {
    const char *backend;
    unsigned procs;
    uvmsim_switchbench_result r;
    uvmsim_cost_terms cost;     /* the measured phase priced (with --cycles) */
};

static double per_switch(uint64_t n, uint64_t switches)
{
    return switches ? (double)n / (double)switches : 0.0;
}

/* The CSV header (cycles_per_switch with --cycles; 0 for a run without switches). */
static void csv_header(const struct opts *o)
{
    printf("backend,procs,switches,tlb_flushes,cache_flushes,cpd_loads,cpd_collisions,domain_recycles%s\n",
           o->cycles ? ",cycles_per_switch" : "");
}

/* gnuplot reads the script, data inline, from a pipe. */
static int plot(const struct opts *o, const struct row *rows, unsigned nrows)
{
    FILE *gp = popen("gnuplot", "w");
    if (gp == NULL) {
        fprintf(stderr, "fass-switch: cannot run gnuplot\n");
        return -1;
    }
    fprintf(gp, "set terminal pngcairo size 800,480 font ',10'\n");
    fprintf(gp, "set output '%s'\n", o->png);
    fprintf(gp, "set title 'TLB flushes per context switch, %s layout, %u slices'\n",
            o->different ? "different" : (o->high ? "same (high)" : "same (below 32 MiB)"), o->switches);
    fprintf(gp, "set xlabel 'processes'\nset ylabel 'flushes per switch'\nset key right center\nset grid\n");
    /* headroom so a line at the top of the range stays visible */
    fprintf(gp, "set logscale x 2\nset yrange [0:*]\nset offsets 0, 0, graph 0.08, 0\n");
    for (unsigned b = 0; b < o->nbackends; b++) {
        fprintf(gp, "$D%u << EOD\n", b);
        for (unsigned i = 0; i < nrows; i++)
            if (strcmp(rows[i].backend, o->backends[b]) == 0 && rows[i].r.switches > 0)
                fprintf(gp, "%u %.6f\n", rows[i].procs, per_switch(rows[i].r.tlb_flushes, rows[i].r.switches));
        fprintf(gp, "EOD\n");
    }
    fprintf(gp, "plot ");
    for (unsigned b = 0; b < o->nbackends; b++)
        fprintf(gp, "%s$D%u using 1:2 with linespoints lw 2 title '%s'", b ? ", " : "", b, o->backends[b]);
    fprintf(gp, "\n");
    int st = pclose(gp);
    if (st != 0) {
        fprintf(stderr, "fass-switch: gnuplot failed (status %d)\n", st);
        return -1;
    }
    fprintf(stderr, "fass-switch: wrote %s\n", o->png);
    return 0;
}

/* Every counter of every run, divided by the switches measured. */
static int write_detail(const struct opts *o, const char *path, const struct row *rows, unsigned nrows)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    fprintf(f, "backend,procs,switches,tlb_flushes,tlb_full_flushes,tlb_domain_flushes,"
               "tlb_single_invalidations,tlb_misses,cache_cleans,cache_flushes,cpd_loads,cpd_collisions,"
               "domain_faults,domain_recycles_clean,domain_recycles_dirty,pid_slot_shared%s\n",
            o->cycles ? ",cycles_per_switch" : "");
    for (unsigned i = 0; i < nrows; i++) {
        const uvmsim_switchbench_result *r = &rows[i].r;
        uint64_t sw = r->switches;
        fprintf(f, "%s,%u,%llu,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%llu",
                rows[i].backend, rows[i].procs, (unsigned long long)sw, per_switch(r->tlb_flushes, sw),
                per_switch(r->tlb_full_flushes, sw), per_switch(r->tlb_domain_flushes, sw),
                per_switch(r->tlb_single_invalidations, sw), per_switch(r->tlb_misses, sw),
                per_switch(r->cache_cleans, sw), per_switch(r->cache_flushes, sw), per_switch(r->cpd_loads, sw),
                per_switch(r->cpd_collisions, sw), per_switch(r->domain_faults, sw),
                per_switch(r->domain_recycles - r->domain_recycles_dirty, sw),
                per_switch(r->domain_recycles_dirty, sw), (unsigned long long)r->pid_slot_shared);
        if (o->cycles)
            fprintf(f, ",%.2f", per_switch(rows[i].cost.total, sw));
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

static void json_rows(const struct opts *o, const struct row *rows, unsigned nrows)
{
    struct tool_json j;
    tj_begin(&j, stdout);
    tj_u64(&j, "switches", o->switches);
    tj_str(&j, "layout", o->different ? "different" : (o->high ? "same-high" : "same"));
    if (o->cycles)
        tool_cost_json_model(&j, "cost_model", &o->cost);
    tj_arr(&j, "rows");
    for (unsigned i = 0; i < nrows; i++) {
        const uvmsim_switchbench_result *r = &rows[i].r;
        tj_obj(&j, NULL);
        tj_str(&j, "backend", rows[i].backend);
        tj_u64(&j, "procs", rows[i].procs);
        tj_u64(&j, "switches", r->switches);
        tj_u64(&j, "tlb_flushes", r->tlb_flushes);
        tj_u64(&j, "tlb_full_flushes", r->tlb_full_flushes);
        tj_u64(&j, "tlb_domain_flushes", r->tlb_domain_flushes);
        tj_u64(&j, "tlb_single_invalidations", r->tlb_single_invalidations);
        tj_u64(&j, "tlb_misses", r->tlb_misses);
        tj_u64(&j, "cache_cleans", r->cache_cleans);
        tj_u64(&j, "cache_flushes", r->cache_flushes);
        tj_u64(&j, "cpd_loads", r->cpd_loads);
        tj_u64(&j, "cpd_collisions", r->cpd_collisions);
        tj_u64(&j, "domain_faults", r->domain_faults);
        tj_u64(&j, "domain_recycles", r->domain_recycles);
        tj_u64(&j, "domain_recycles_dirty", r->domain_recycles_dirty);
        tj_u64(&j, "pid_slot_shared", r->pid_slot_shared);
        if (o->cycles) {
            tj_u64(&j, "cycles", rows[i].cost.total);
            tj_f64(&j, "cycles_per_switch", per_switch(rows[i].cost.total, r->switches));
            tool_cost_json_terms(&j, "cycles_per_switch_by_term", &rows[i].cost, r->switches);
        }
        tj_end(&j);
    }
    tj_finish(&j);
}

int main(int argc, char **argv)
{
    struct opts o;
    int rc = parse(&o, argc, argv);
    if (rc != TOOL_PARSE_OK)
        return rc;
    if (o.png != NULL && system("command -v gnuplot >/dev/null 2>&1") != 0) {
        fprintf(stderr, "fass-switch: --png needs gnuplot, which is not installed "
                        "(apt-get install gnuplot-nox)\n");
        return TOOL_EXIT_SIMERR;
    }
    static struct row rows[MAX_BACKENDS * MAX_POINTS];
    unsigned nrows = 0;
    if (!o.json)
        csv_header(&o);
    for (unsigned b = 0; b < o.nbackends; b++) {
        for (unsigned i = 0; i < o.nprocs; i++) {
            uvmsim_switchbench_config c;
            uvmsim_switchbench_config_init(&c);
            c.backend = o.backends[b];
            c.procs = o.procs[i];
            c.switches = o.switches;
            c.different = o.different;
            c.high = o.high;
            if (strcmp(c.backend, "fass") == 0) {
                c.domain_policy = o.domain_policy;
                c.pid_policy = o.pid_policy;
            }
            struct row *rw = &rows[nrows++];
            rw->backend = o.backends[b];
            rw->procs = o.procs[i];
            int err = uvmsim_switchbench_run(&c, &rw->r);
            if (err != UVMSIM_OK) {
                fprintf(stderr, "fass-switch: backend %s, %u processes: %s\n", c.backend, c.procs,
                        uvmsim_strerror(err));
                return TOOL_EXIT_SIMERR;
            }
            uvmsim_cost_price(&o.cost, &rw->r.delta, &rw->cost);
            if (o.json)
                continue;
            const uvmsim_switchbench_result *r = &rw->r;
            printf("%s,%u,%llu,%llu,%llu,%llu,%llu,%llu", c.backend, c.procs, (unsigned long long)r->switches,
                   (unsigned long long)r->tlb_flushes, (unsigned long long)r->cache_flushes,
                   (unsigned long long)r->cpd_loads, (unsigned long long)r->cpd_collisions,
                   (unsigned long long)r->domain_recycles);
            if (o.cycles)
                printf(",%.2f", per_switch(rw->cost.total, r->switches));
            putchar('\n');
            fflush(stdout);
        }
    }
    if (o.json)
        json_rows(&o, rows, nrows);
    if (o.detail != NULL && write_detail(&o, o.detail, rows, nrows) != 0)
        return TOOL_EXIT_USAGE;
    if (o.png != NULL && plot(&o, rows, nrows) != 0)
        return TOOL_EXIT_SIMERR;
    return tool_finish("fass-switch", TOOL_EXIT_OK);
}
