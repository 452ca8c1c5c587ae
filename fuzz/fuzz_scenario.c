/* Fuzz harness: scenario text, parsed and run (src/cli scn_*).
 *
 * The input is a scenario file.  It is parsed; a parse error must be a FILE:LINE
 * sentence.  A scenario that parses is run three times on fresh machines: as `uvmsim run
 * --json --trace`, as `uvmsim explain` and as `uvmsim dot`, each with its output thrown
 * away.  Every run must end with one of the documented statuses; the simulator's own
 * invariant checker runs after every step inside uvmsim_scn_run (a broken invariant is
 * status 3, which is a finding here), and the three runs must agree on the status.
 *
 * What the harness leaves out, because it is the host's business, not the parser's:
 * `image FILE` lines (they read host files; `image builtin` stays), and machines larger
 * than FZ_RAM_MAX of simulated RAM or FZ_TLB_MAX TLB entries (they only cost host
 * memory in proportion to what the line asks for).  Also left out: mappings larger than
 * FZ_MAP_PAGES_MAX pages.  An amap has one slot per page of its entry, so the first
 * write into `map p 0x100000 pages=2G` costs 24 GiB of host memory and a minute of
 * slot loops (NetBSD avoids it by chunking amaps, UVM_AMAP_CHUNK; see docs/fuzz.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "scn_internal.h"

#define FZ_RAM_MAX (64u << 20)
#define FZ_TLB_MAX 4096u
#define FZ_TEXT_MAX (64u << 10)
#define FZ_MAP_PAGES_MAX (256u << 10)

/* Is this scenario one the harness runs (see above)? */
static bool runnable(const uvmsim_scn *s)
{
    uint64_t page = s->has_machine ? s->steps[0].cfg.page_size : 4096;
    for (unsigned i = 0; i < s->nsteps; i++) {
        const struct scn_step *st = &s->steps[i];
        if (st->op == SOP_IMAGE && !st->builtin)
            return false;
        if (st->op == SOP_MACHINE && (st->cfg.ram_size > FZ_RAM_MAX || st->cfg.tlb.entries > FZ_TLB_MAX))
            return false;
        if (st->op == SOP_MAP && page > 0 && (st->size ? st->size / page : st->npages) > FZ_MAP_PAGES_MAX)
            return false;
    }
    return true;
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
    FILE *null = fopen("/dev/null", "w");
    FZ_ASSERT(null != NULL, "cannot open /dev/null");
    static const uvmsim_scn_mode modes[] = {UVMSIM_SCN_MODE_RUN, UVMSIM_SCN_MODE_EXPLAIN, UVMSIM_SCN_MODE_DOT};
    int first = -1;
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        uvmsim_scn_opts o;
        uvmsim_scn_opts_init(&o);
        o.mode = modes[k];
        o.json = modes[k] == UVMSIM_SCN_MODE_RUN;
        o.trace = modes[k] == UVMSIM_SCN_MODE_RUN ? null : NULL;
        o.out = null;
        o.err = null;
        int st = uvmsim_scn_run(s, &o);
        FZ_ASSERT(st == UVMSIM_SCN_OK || st == UVMSIM_SCN_FAILED || st == UVMSIM_SCN_INPUT,
                  "run (mode %d) ended with status %d (simulator error)", (int)modes[k], st);
        if (first < 0)
            first = st;
        FZ_ASSERT(st == first, "mode %d ended with status %d, run mode with %d", (int)modes[k], st, first);
    }
    fclose(null);
    uvmsim_scn_free(s);
    return 0;
}
