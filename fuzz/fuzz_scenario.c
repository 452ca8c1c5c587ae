/* Fuzz harness: scenario text, parsed and run (src/cli scn_*).
 *
 * The input is a scenario file.  It is parsed; a parse error must be a FILE:LINE
 * sentence.  A scenario that parses is run four times on fresh machines: twice as
 * `uvmsim run --json --trace`, which must write the same bytes both times (runs are
 * deterministic), then as `uvmsim explain` and as `uvmsim dot`.  Every run must end with
 * one of the documented statuses; the simulator's own invariant checker runs inside
 * uvmsim_scn_run after the steps the default `--check auto` names, every one of the
 * first 1000 (a broken invariant is status 3, which is a finding here),
 * and the runs must agree on the status.
 *
 * What the harness leaves out, because it is the host's business, not the parser's:
 * `image FILE` lines (they read host files; `image builtin` stays), and machines larger
 * than FZ_RAM_MAX of simulated RAM or FZ_TLB_MAX TLB entries (they only cost host
 * memory in proportion to what the line asks for). */
#define _GNU_SOURCE   /* fopencookie */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "scn_internal.h"

#define FZ_RAM_MAX (64u << 20)
#define FZ_TLB_MAX 4096u
#define FZ_TEXT_MAX (64u << 10)

/* Is this scenario one the harness runs (see above)? */
static bool runnable(const uvmsim_scn *s)
{
    for (unsigned i = 0; i < s->nsteps; i++) {
        const struct scn_step *st = &s->steps[i];
        if (st->op == SOP_IMAGE && !st->builtin)
            return false;
        if (st->op == SOP_MACHINE && (st->cfg.ram_size > FZ_RAM_MAX || st->cfg.tlb.entries > FZ_TLB_MAX))
            return false;
    }
    return true;
}

/* A FILE that keeps only a hash and a count of what is written to it: two runs' outputs
 * compare without holding them (a 16 MiB load prints 32 MiB of JSON). */
struct sink {
    uint64_t hash, bytes;
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
    struct sink *k = cookie;
    for (size_t i = 0; i < n; i++)
        k->hash = (k->hash ^ (uint8_t)buf[i]) * 0x100000001b3ull;   /* FNV-1a */
    k->bytes += n;
    return (ssize_t)n;
}

static FILE *sink_open(struct sink *k)
{
    k->hash = 0xcbf29ce484222325ull;
    k->bytes = 0;
    cookie_io_functions_t io = {.write = sink_write};
    FILE *f = fopencookie(k, "w", io);
    FZ_ASSERT(f != NULL, "fopencookie failed");
    return f;
}

/* One run; returns its status; out, err and trace (when asked) go to the sinks. */
static int run_mode(const uvmsim_scn *s, uvmsim_scn_mode mode, struct sink k[3])
{
    FILE *f[3];
    for (int i = 0; i < 3; i++)
        f[i] = sink_open(&k[i]);
    uvmsim_scn_opts o;
    uvmsim_scn_opts_init(&o);
    o.mode = mode;
    o.json = mode == UVMSIM_SCN_MODE_RUN;
    o.out = f[0];
    o.err = f[1];
    o.trace = mode == UVMSIM_SCN_MODE_RUN ? f[2] : NULL;
    int st = uvmsim_scn_run(s, &o);
    for (int i = 0; i < 3; i++)
        fclose(f[i]);
    FZ_ASSERT(st == UVMSIM_SCN_OK || st == UVMSIM_SCN_FAILED || st == UVMSIM_SCN_INPUT,
              "run (mode %d) ended with status %d (simulator error)", (int)mode, st);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FZ_TEXT_MAX)
        return 0;
    char err[512];
    uvmsim_scn *s = NULL;
    err[0] = '\0';
    int rc = uvmsim_scn_parse("fuzz.scn", (const char *)data, size, NULL, &s, err, sizeof err);
    if (rc != UVMSIM_SCN_OK) {
        FZ_ASSERT(rc == UVMSIM_SCN_INPUT && s == NULL, "parse returned %d", rc);
        FZ_ASSERT(strncmp(err, "fuzz.scn:", 9) == 0 && strlen(err) > 12, "a parse error without a sentence: '%s'", err);
        return 0;
    }
    FZ_ASSERT(s != NULL, "parse succeeded without a scenario");
    if (!runnable(s)) {
        uvmsim_scn_free(s);
        return 0;
    }
    /* run twice: a run is deterministic, so the same bytes come out; then the other modes */
    struct sink a[3], b[3];
    int st = run_mode(s, UVMSIM_SCN_MODE_RUN, a);
    FZ_ASSERT(run_mode(s, UVMSIM_SCN_MODE_RUN, b) == st, "a second run ended with another status");
    static const char *const what[3] = {"standard output", "standard error", "trace"};
    for (int i = 0; i < 3; i++)
        FZ_ASSERT(a[i].hash == b[i].hash && a[i].bytes == b[i].bytes,
                  "two runs of one scenario wrote different %s (%llu and %llu bytes)", what[i],
                  (unsigned long long)a[i].bytes, (unsigned long long)b[i].bytes);
    FZ_ASSERT(run_mode(s, UVMSIM_SCN_MODE_EXPLAIN, b) == st, "explain ended with another status than run");
    FZ_ASSERT(run_mode(s, UVMSIM_SCN_MODE_DOT, b) == st, "dot ended with another status than run");
    uvmsim_scn_free(s);
    return 0;
}
