/* fass-switch — context-switch cost of the ARM pmap backends against the number of
 * processes: N processes (1..64) run round robin, each touching its text, data and
 * stack pages every time slice (uvmsim_switchbench_run), once per backend and N.
 * Prints a CSV; --png renders flushes per switch against N with gnuplot.
 *
 *   fass-switch [--procs 1,2,4,8] [--switches 1000] [--same | --different] [--high]
 *               [--backends armv5,fass] [--domain-policy NAME] [--pid-policy NAME]
 *               [--png FILE] [--detail FILE] [--help] */
#define _POSIX_C_SOURCE 200809L   /* popen, pclose */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uvmsim/uvmsim.h"
#include "uvmsim/switchbench.h"

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
            "  --help               this text\n");
}

static int parse_procs(struct opts *o, const char *s)
{
    o->nprocs = 0;
    while (*s) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v < 1 || v > UVMSIM_SWITCHBENCH_MAX_PROCS || o->nprocs == MAX_POINTS)
            return -1;
        o->procs[o->nprocs++] = (unsigned)v;
        if (*end == ',')
            end++;
        else if (*end != '\0')
            return -1;
        s = end;
    }
    return o->nprocs > 0 ? 0 : -1;
}

static int parse_backends(struct opts *o, const char *s)
{
    if (strlen(s) >= sizeof(o->backends_buf))
        return -1;
    strcpy(o->backends_buf, s);
    o->nbackends = 0;
    for (char *tok = strtok(o->backends_buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
        if (o->nbackends == MAX_BACKENDS)
            return -1;
        o->backends[o->nbackends++] = tok;
    }
    return o->nbackends > 0 ? 0 : -1;
}

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
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--same") == 0) {
            o->different = false;
        } else if (strcmp(a, "--different") == 0) {
            o->different = true;
        } else if (strcmp(a, "--high") == 0) {
            o->high = true;
        } else if (val == NULL) {
            fprintf(stderr, "fass-switch: %s: unknown option or missing value\n", a);
            return -1;
        } else if (strcmp(a, "--procs") == 0) {
            if (parse_procs(o, val) != 0) {
                fprintf(stderr, "fass-switch: --procs wants a comma list of numbers in 1..64\n");
                return -1;
            }
            i++;
        } else if (strcmp(a, "--switches") == 0) {
            char *end;
            unsigned long v = strtoul(val, &end, 10);
            if (*end != '\0' || v < 1 || v > 100000000ul) {
                fprintf(stderr, "fass-switch: --switches wants a number >= 1\n");
                return -1;
            }
            o->switches = (unsigned)v;
            i++;
        } else if (strcmp(a, "--backends") == 0) {
            if (parse_backends(o, val) != 0) {
                fprintf(stderr, "fass-switch: --backends wants a comma list of backend names\n");
                return -1;
            }
            i++;
        } else if (strcmp(a, "--domain-policy") == 0) {
            o->domain_policy = argv[++i];
        } else if (strcmp(a, "--pid-policy") == 0) {
            o->pid_policy = argv[++i];
        } else if (strcmp(a, "--png") == 0) {
            o->png = argv[++i];
        } else if (strcmp(a, "--detail") == 0) {
            o->detail = argv[++i];
        } else {
            fprintf(stderr, "fass-switch: %s: unknown option\n", a);
            return -1;
        }
    }
    return 0;
}

struct row {
    const char *backend;
    unsigned procs;
    uvmsim_switchbench_result r;
};

static double per_switch(uint64_t n, uint64_t switches)
{
    return switches ? (double)n / (double)switches : 0.0;
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
static int write_detail(const char *path, const struct row *rows, unsigned nrows)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    fprintf(f, "backend,procs,switches,tlb_flushes,tlb_full_flushes,tlb_domain_flushes,"
               "tlb_single_invalidations,tlb_misses,cache_cleans,cache_flushes,cpd_loads,cpd_collisions,"
               "domain_faults,domain_recycles_clean,domain_recycles_dirty,pid_slot_shared\n");
    for (unsigned i = 0; i < nrows; i++) {
        const uvmsim_switchbench_result *r = &rows[i].r;
        uint64_t sw = r->switches;
        fprintf(f, "%s,%u,%llu,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%llu\n",
                rows[i].backend, rows[i].procs, (unsigned long long)sw, per_switch(r->tlb_flushes, sw),
                per_switch(r->tlb_full_flushes, sw), per_switch(r->tlb_domain_flushes, sw),
                per_switch(r->tlb_single_invalidations, sw), per_switch(r->tlb_misses, sw),
                per_switch(r->cache_cleans, sw), per_switch(r->cache_flushes, sw), per_switch(r->cpd_loads, sw),
                per_switch(r->cpd_collisions, sw), per_switch(r->domain_faults, sw),
                per_switch(r->domain_recycles - r->domain_recycles_dirty, sw),
                per_switch(r->domain_recycles_dirty, sw), (unsigned long long)r->pid_slot_shared);
    }
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse(&o, argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    if (o.png != NULL && system("command -v gnuplot >/dev/null 2>&1") != 0) {
        fprintf(stderr, "fass-switch: --png needs gnuplot, which is not installed "
                        "(apt-get install gnuplot-nox)\n");
        return 1;
    }
    static struct row rows[MAX_BACKENDS * MAX_POINTS];
    unsigned nrows = 0;
    printf("backend,procs,switches,tlb_flushes,cache_flushes,cpd_loads,cpd_collisions,domain_recycles\n");
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
                return 1;
            }
            const uvmsim_switchbench_result *r = &rw->r;
            printf("%s,%u,%llu,%llu,%llu,%llu,%llu,%llu\n", c.backend, c.procs, (unsigned long long)r->switches,
                   (unsigned long long)r->tlb_flushes, (unsigned long long)r->cache_flushes,
                   (unsigned long long)r->cpd_loads, (unsigned long long)r->cpd_collisions,
                   (unsigned long long)r->domain_recycles);
            fflush(stdout);
        }
    }
    if (o.detail != NULL && write_detail(o.detail, rows, nrows) != 0)
        return 1;
    if (o.png != NULL && plot(&o, rows, nrows) != 0)
        return 1;
    return 0;
}
