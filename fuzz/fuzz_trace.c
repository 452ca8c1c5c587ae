/* Fuzz harness: Lackey trace text replayed through the simulated MMU (uvmsim replay).
 *
 * The input is trace text.  On each pmap backend (generic: 64-bit addresses; armv5 and
 * fass: a 32-bit MMU, so high addresses fold) it is replayed by a process with no program
 * (every address lands in an auto region) five ways:
 *   A  strict, fed in one piece;
 *   B  strict, fed in two pieces cut at a point the input chooses (streaming);
 *   C  strict, in one piece, with the CPU model's inline TLB-hit path turned off;
 *   D  lenient, in one piece;
 *   E  lenient, one line at a time;
 *   F  strict, from a file, one thread (read in windows);
 *   G  strict, from the same file, three threads decoding segments of 1 to 64 bytes (the
 *      input chooses) ahead of the replayer.
 *
 * What must hold:
 *   - every answer is a defined code; a failure has a message, and an input error
 *     (EINVAL) says "<trace>:LINE: ...";
 *   - A, B and C agree exactly: the same answer, the same message, the same replay
 *     counters, and (A against C) the same pmap and VM counters — the fast path is a
 *     shortcut, never a different machine;
 *   - a lenient replay never fails with EINVAL, and D and E agree;
 *   - F and G agree exactly, and with A (the file's name in the message for "<trace>"),
 *     for inputs shorter than the longest line a file may have;
 *   - records + skipped lines + malformed lines == lines read (D), and the records of A
 *     are those of D when A succeeds;
 *   - the invariant checker passes after each replay. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "uvmsim/replay.h"

#define FZ_RAM (4u << 20)

enum { NB = 3 };
static const char *const backends[NB] = {"generic", "armv5", "fass"};

struct outcome {
    int err;
    char msg[256];
    uvmsim_replay_stats rs;
    uvmsim_vm_stats vs;
    uvmsim_pmap_stats ps;
};

/* Feed text[0, len) cut at the offsets in cuts (increasing, < len); whole lines only are
 * consumed each time, the rest is handed in again with the next piece. */
static int feed_pieces(uvmsim_replayer *r, const char *text, size_t len, const size_t *cuts, unsigned ncuts)
{
    size_t start = 0;
    for (unsigned i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        bool last = i == ncuts;
        if (end < start)
            continue;
        size_t used = 0;
        int err = uvmsim_replay_feed(r, text + start, end - start, 0, last, &used);
        FZ_CODE(err, "uvmsim_replay_feed");
        if (err)
            return err;
        FZ_ASSERT(used <= end - start, "used %zu of %zu", used, end - start);
        FZ_ASSERT(!last || used == end - start, "the last piece was not consumed (%zu of %zu)", used, end - start);
        start += used;
    }
    return UVMSIM_OK;
}

static void replay(const char *backend, const char *text, size_t len, bool lenient, bool fast,
                   const size_t *cuts, unsigned ncuts, struct outcome *o)
{
    memset(o, 0, sizeof(*o));
    uvmsim_machine *m = fz_machine(4096, FZ_RAM, backend);
    if (m == NULL)
        FZ_FAIL("no host memory for a machine");
    uvmsim_pmap_set_fast_path(m, fast);
    uvmsim_proc *p;
    int err = uvmsim_proc_create(m, &p);
    FZ_ASSERT(err == UVMSIM_OK, "proc_create: %s", uvmsim_errname(err));
    uvmsim_replay_opts opts;
    uvmsim_replay_opts_init(&opts);
    opts.lenient = lenient;
    uvmsim_replayer *r;
    err = uvmsim_replay_open(p, &opts, &r);
    FZ_ASSERT(err == UVMSIM_OK, "replay_open: %s", uvmsim_errname(err));
    o->err = feed_pieces(r, text, len, cuts, ncuts);
    snprintf(o->msg, sizeof(o->msg), "%s", uvmsim_replay_error(r));
    if (o->err) {
        FZ_ASSERT(o->msg[0] != '\0', "%s failed without a message", uvmsim_errname(o->err));
        if (o->err == UVMSIM_EINVAL)
            FZ_ASSERT(strncmp(o->msg, "<trace>:", 8) == 0, "an input error without its line: %s", o->msg);
    }
    uvmsim_replay_stats_get(r, &o->rs);
    uvmsim_vm_stats_get(m, &o->vs);
    uvmsim_pmap_stats_get(m, &o->ps);
    fz_check(m, "after the replay");
    uvmsim_replay_close(r);
    uvmsim_machine_destroy(m);
}

/* F and G: text[0, len) written to a temporary file, replayed from it with `threads`. */
static void replay_file(const char *backend, const char *text, size_t len, unsigned threads, uint64_t chunk,
                        struct outcome *o)
{
    memset(o, 0, sizeof(*o));
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/fuzz-trace-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    FZ_ASSERT(fd >= 0, "no temporary file in %s", path);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, text + off, len - off);
        FZ_ASSERT(w > 0, "writing %s", path);
        off += (size_t)w;
    }
    close(fd);
    uvmsim_machine *m = fz_machine(4096, FZ_RAM, backend);
    if (m == NULL)
        FZ_FAIL("no host memory for a machine");
    uvmsim_proc *p;
    int err = uvmsim_proc_create(m, &p);
    FZ_ASSERT(err == UVMSIM_OK, "proc_create: %s", uvmsim_errname(err));
    uvmsim_replay_opts opts;
    uvmsim_replay_opts_init(&opts);
    opts.threads = threads;
    opts.decode_chunk = chunk;
    uvmsim_replayer *r;
    err = uvmsim_replay_open(p, &opts, &r);
    FZ_ASSERT(err == UVMSIM_OK, "replay_open: %s", uvmsim_errname(err));
    err = uvmsim_replay_open_file(r, path);
    FZ_ASSERT(err == UVMSIM_OK, "replay_open_file: %s", uvmsim_errname(err));
    bool done = false;
    while (!done && (o->err = uvmsim_replay_run(r, 0, &done)) == UVMSIM_OK)
        ;
    FZ_CODE(o->err, "uvmsim_replay_run");
    /* the message with "<trace>" for the file's name, as A says it */
    const char *msg = uvmsim_replay_error(r);
    size_t pl = strlen(path);
    if (strncmp(msg, path, pl) == 0)
        snprintf(o->msg, sizeof(o->msg), "<trace>%s", msg + pl);
    else
        snprintf(o->msg, sizeof(o->msg), "%s", msg);
    uvmsim_replay_stats_get(r, &o->rs);
    uvmsim_vm_stats_get(m, &o->vs);
    uvmsim_pmap_stats_get(m, &o->ps);
    fz_check(m, "after the replay from a file");
    uvmsim_replay_close(r);
    uvmsim_machine_destroy(m);
    unlink(path);
}

static void same(const struct outcome *a, const struct outcome *b, const char *what, const char *backend, bool machine)
{
    FZ_ASSERT(a->err == b->err, "%s on %s: %s vs %s", what, backend, uvmsim_errname(a->err), uvmsim_errname(b->err));
    FZ_ASSERT(strcmp(a->msg, b->msg) == 0, "%s on %s: '%s' vs '%s'", what, backend, a->msg, b->msg);
    FZ_ASSERT(memcmp(&a->rs, &b->rs, sizeof(a->rs)) == 0, "%s on %s: replay counters differ", what, backend);
    if (!machine)
        return;
    FZ_ASSERT(memcmp(&a->vs, &b->vs, sizeof(a->vs)) == 0, "%s on %s: VM counters differ", what, backend);
    /* pointers (names) aside, every pmap counter */
    uvmsim_pmap_stats x = a->ps, y = b->ps;
    x.backend = y.backend = NULL;
    x.domain_policy = y.domain_policy = NULL;
    x.pid_policy = y.pid_policy = NULL;
    FZ_ASSERT(memcmp(&x, &y, sizeof(x)) == 0, "%s on %s: pmap counters differ", what, backend);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 16)
        return 0;   /* long inputs only cost time: the parser's state is one line */
    const char *text = (const char *)data;
    /* where B cuts: chosen by the input, anywhere in it */
    size_t cut = size ? (size_t)(data[0] * 257u + data[size - 1]) % (size + 1) : 0;
    /* E: at every newline */
    size_t *lines = malloc((size + 1) * sizeof(*lines));
    if (lines == NULL)
        return 0;
    unsigned nlines = 0;
    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n' && i + 1 < size)
            lines[nlines++] = i + 1;
    for (unsigned b = 0; b < NB; b++) {
        struct outcome A, B, C, D, E;
        replay(backends[b], text, size, false, true, NULL, 0, &A);
        replay(backends[b], text, size, false, true, &cut, 1, &B);
        replay(backends[b], text, size, false, false, NULL, 0, &C);
        replay(backends[b], text, size, true, true, NULL, 0, &D);
        replay(backends[b], text, size, true, true, lines, nlines, &E);
        same(&A, &B, "one piece vs two pieces", backends[b], false);
        same(&A, &C, "fast path vs none", backends[b], true);
        same(&D, &E, "lenient, one piece vs line by line", backends[b], false);
        if (size < UVMSIM_REPLAY_MAX_LINE) {
            struct outcome F, G;
            replay_file(backends[b], text, size, 1, 0, &F);
            replay_file(backends[b], text, size, 3, size ? 1u + data[size / 2] % 64u : 1u, &G);
            same(&F, &G, "a file, one thread vs three", backends[b], true);
            same(&A, &F, "text vs a file", backends[b], true);
        }
        FZ_ASSERT(D.err != UVMSIM_EINVAL, "a lenient replay failed on input: %s", D.msg);
        if (D.err == UVMSIM_OK)
            FZ_ASSERT(D.rs.records + D.rs.skipped_lines + D.rs.malformed == D.rs.lines,
                      "%s: records %llu + skipped %llu + malformed %llu != lines %llu", backends[b],
                      (unsigned long long)D.rs.records, (unsigned long long)D.rs.skipped_lines,
                      (unsigned long long)D.rs.malformed, (unsigned long long)D.rs.lines);
        if (A.err == UVMSIM_OK) {
            FZ_ASSERT(D.err == UVMSIM_OK && D.rs.malformed == 0 && D.rs.records == A.rs.records,
                      "%s: a strict success must be a lenient one with nothing skipped as malformed", backends[b]);
        }
    }
    free(lines);
    return 0;
}
