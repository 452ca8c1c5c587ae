/* The replayer's own shortcuts (src/replay/replay.c) change nothing but speed:
 *   - the memo of repeated hits: a record within one page that an earlier access of the
 *     same call hit costs the LRU stamp and a batched counter word, valid until anything
 *     but a hit happens (a miss, a fault, a fold check, the end of the call);
 *   - the fast decoder of Lackey's own line shapes, which hands every other line to the
 *     careful parser.
 * Both are off with the CPU model's fast path (uvmsim_pmap_set_fast_path), so each test
 * runs the same input with it and without it and compares every counter and message.
 * The traces here have the locality the memo feeds on (a drifting working set of more
 * pages than the TLB's sets hold, so LRU victims depend on the memo's stamps), every
 * record kind, records crossing pages, 32-bit folding, and lines the fast decoder must
 * refuse (upper case, long addresses, five-digit sizes, blanks, tabs, CRLF, comments,
 * long junk, malformed records in lenient mode); they are fed through all three entry
 * points (text in pieces with record budgets, records by value, a file) by three
 * processes taking turns, with forks, protects and unmaps between turns. */
#include <unistd.h>
#include "replay_testutil.h"

#define PG 4096u

static const struct rt_shape shapes[] = {
    {"8/2/lru", {8, 2, UVMSIM_TLB_LRU, false}},
    {"4/full/lru/split", {4, 0, UVMSIM_TLB_LRU, true}},
    {"16/4/fifo", {16, 4, UVMSIM_TLB_FIFO, false}},
    {"12/3/random/split (4 sets)", {12, 3, UVMSIM_TLB_RANDOM, true}},
    {"64/4/lru", {64, 4, UVMSIM_TLB_LRU, false}},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

/* ---- three processes, three entry points ---- */

static unsigned nlines(void)
{
    return rt_memcheck() ? 3000 : 15000;
}

/* The file the third process replays (in the test's working directory). */
static void file_path(char *buf, size_t len, const char *backend, unsigned s, bool lenient)
{
    snprintf(buf, len, "memo-%d-%s-%u-%d.trace", (int)getpid(), backend, s, (int)lenient);
}

struct run_out {
    struct rt_counters c;
    char msg[3][320];
};

/* One run: process 0 is fed text in pieces of random size with random record budgets,
 * process 1 records by value in batches (and one at a time), process 2 a file with a
 * budget per turn; things that change the mappings happen between turns. */
static void run(const char *backend, const struct rt_shape *sh, bool fast, bool lenient, uint64_t seed,
                struct run_out *out)
{
    uvmsim_machine *m = rt_machine(backend, &sh->tlb, seed, false, fast);
    uvmsim_proc *p[3];
    uvmsim_replayer *r[3];
    uvmsim_replay_opts o;
    uvmsim_replay_opts_init(&o);
    o.lenient = lenient;
    o.name = "t.trace";
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(uvmsim_proc_create(m, &p[i]), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_replay_open(p[i], &o, &r[i]), UVMSIM_OK);
    }
    size_t len, flen;
    char *text = gen_text(seed, nlines(), lenient, &len);
    char *ftext = gen_text(seed + 1000, nlines(), lenient, &flen);
    uvmsim_replay_rec *recs = gen_recs(seed + 2000, nlines());
    char path[128];
    file_path(path, sizeof path, backend, (unsigned)(sh - shapes), lenient);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(ftext, 1, flen, f), flen);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(uvmsim_replay_open_file(r[2], path), UVMSIM_OK);
    unlink(path);   /* the replayer holds it open; nothing is left behind if a check fails */

    uint64_t s = seed + 77;
    size_t pos = 0, ri = 0;
    bool fdone = false;
    uvmsim_proc *child = NULL;
    for (unsigned turn = 0; pos < len || ri < nlines() || !fdone; turn++) {
        uint64_t x = rt_rand(&s);
        int err = UVMSIM_OK;
        int who = (int)(turn % 3);
        if (who == 0 && pos < len) {
            size_t piece = 1 + (size_t)(x % 6000), used;
            if (piece > len - pos)
                piece = len - pos;
            uint64_t budget = (x >> 16) % 4 == 0 ? 0 : 1 + (x >> 20) % 400;
            bool last = pos + piece == len;
            err = uvmsim_replay_feed(r[0], text + pos, piece, budget, last, &used);
            pos += used;
        } else if (who == 1 && ri < nlines()) {
            size_t n = (x >> 8) % 8 == 0 ? 1 : 1 + (size_t)((x >> 16) % 700);
            if (n > nlines() - ri)
                n = nlines() - ri;
            if (n == 1)
                err = uvmsim_replay_record(r[1], recs[ri].kind, recs[ri].addr, recs[ri].size);
            else
                err = uvmsim_replay_records(r[1], recs + ri, n);
            ri += n;
        } else if (who == 2 && !fdone) {
            err = uvmsim_replay_run(r[2], 1 + (x >> 24) % 900, &fdone);
        }
        ck_assert_msg(err == UVMSIM_OK, "%s, %s, turn %u: %s", backend, sh->name, turn, uvmsim_replay_error(r[who]));
        switch (turn % 41) {
        case 10:   /* fork: writable pages become read-only until the next store */
            if (child == NULL)
                ck_assert_int_eq(uvmsim_proc_fork(p[turn % 2], &child), UVMSIM_OK);
            break;
        case 20:   /* a piece of a working area goes away and comes back on the next touch */
            ck_assert_int_eq(uvmsim_unmap(p[turn % 3], rt_areas[turn % RT_NAREAS] + (turn % 64) * PG, 2 * PG), UVMSIM_OK);
            break;
        case 30:   /* read-only and back: no write right may survive in what is remembered */
            if (uvmsim_protect(p[turn % 3], 0x4000000, 0x20000, UVMSIM_PROT_READ) == UVMSIM_OK)
                ck_assert_int_eq(uvmsim_protect(p[turn % 3], 0x4000000, 0x20000, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE),
                                 UVMSIM_OK);
            break;
        case 40:
            if (child != NULL)
                uvmsim_proc_exit(child);
            child = NULL;
            break;
        default:
            break;
        }
    }
    if (child != NULL)
        uvmsim_proc_exit(child);
    rt_counters(m, r, 3, &out->c);
    for (int i = 0; i < 3; i++) {
        snprintf(out->msg[i], sizeof out->msg[i], "%s", uvmsim_replay_error(r[i]));
        uvmsim_replay_close(r[i]);
    }
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
    free(text);
    free(ftext);
    free(recs);
}

/* Every counter, fast path on against off, strict and lenient, every shape. */
START_TEST(test_memo_same_counters)
{
    const char *backend = vt_backends()[_i];
    for (unsigned s = 0; s < NSHAPES; s++) {
        for (int lenient = 0; lenient < 2; lenient++) {
            struct run_out *with = malloc(sizeof *with), *without = malloc(sizeof *without);
            ck_assert(with != NULL && without != NULL);
            run(backend, &shapes[s], true, lenient, 3 + s, with);
            run(backend, &shapes[s], false, lenient, 3 + s, without);
            char why[160];
            const char *d = rt_counters_diff(&with->c, &without->c, why, sizeof why);
            ck_assert_msg(d == NULL, "%s, TLB %s, %s: with and without the fast path: %s", backend, shapes[s].name,
                          lenient ? "lenient" : "strict", d);
            for (int i = 0; i < 3; i++)
                ck_assert_str_eq(with->msg[i], without->msg[i]);
            /* the input is what it should be: every line counted, malformed ones too */
            for (int i = 0; i < 3; i++)
                ck_assert_uint_eq(with->c.rp[i].records, nlines());
            ck_assert_uint_eq(with->c.rp[1].lines, 0);
            ck_assert_uint_eq(with->c.rp[0].lines, with->c.rp[0].records + with->c.rp[0].skipped_lines +
                                                       with->c.rp[0].malformed);
            if (lenient)
                ck_assert_uint_gt(with->c.rp[0].malformed + with->c.rp[2].malformed, 50);
            ck_assert_uint_gt(with->c.rp[0].split_records, 100);
            if (shapes[s].tlb.entries > 0)
                ck_assert_uint_gt(with->c.pmap.dtlb.hits, nlines());
            free(with);
            free(without);
        }
    }
}
END_TEST

/* ---- the LRU order of memo hits ---- */

/* Two-entry fully associative LRU TLB, pages A B C faulted in beforehand.  In one call,
 * A B A B A C A: A and B miss, then hit (the inline path, which fills the memo), then A
 * hits again from the memo; C's miss must then evict B, the least recently used, so the
 * last A hits.  (Were the memo hit not stamped, C would evict A and A miss.) */
START_TEST(test_memo_lru_order)
{
    const char *backend = vt_backends()[_i];
    for (int fast = 1; fast >= 0; fast--) {
        uvmsim_machine *m = rt_machine(backend, &(uvmsim_tlb_config){2, 0, UVMSIM_TLB_LRU, false}, 1, false, fast);
        uvmsim_proc *p;
        uvmsim_replayer *r;
        ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_replay_open(p, NULL, &r), UVMSIM_OK);
        const uint64_t A = 0x10000000, B = 0x10001000, C = 0x10002000;
        uvmsim_replay_rec warm[3] = {{A, 4, UVMSIM_REC_L}, {B, 4, UVMSIM_REC_L}, {C, 4, UVMSIM_REC_L}};
        ck_assert_int_eq(uvmsim_replay_records(r, warm, 3), UVMSIM_OK);
        uvmsim_pmap_stats s0, s1;
        uvmsim_pmap_stats_get(m, &s0);
        uvmsim_replay_rec seq[7] = {{A, 4, UVMSIM_REC_L},      {B + 8, 4, UVMSIM_REC_L}, {A + 16, 4, UVMSIM_REC_L},
                                    {B + 24, 4, UVMSIM_REC_L}, {A + 32, 4, UVMSIM_REC_L}, {C, 4, UVMSIM_REC_L},
                                    {A + 40, 4, UVMSIM_REC_L}};
        ck_assert_int_eq(uvmsim_replay_records(r, seq, 7), UVMSIM_OK);
        uvmsim_pmap_stats_get(m, &s1);
        ck_assert_msg(s1.dtlb.misses - s0.dtlb.misses == 3 && s1.dtlb.hits - s0.dtlb.hits == 4,
                      "%s, fast path %s: %llu misses, %llu hits (wanted 3 and 4)", backend, fast ? "on" : "off",
                      (unsigned long long)(s1.dtlb.misses - s0.dtlb.misses),
                      (unsigned long long)(s1.dtlb.hits - s0.dtlb.hits));
        /* and the same as text, after the same warm-up (TLB: B C): comments after the
         * records, so that the fast decoder takes every record line */
        ck_assert_int_eq(uvmsim_replay_records(r, warm, 3), UVMSIM_OK);
        uvmsim_pmap_stats_get(m, &s1);
        char text[512];
        size_t l = 0;
        for (int k = 0; k < 7; k++)
            l += (size_t)snprintf(text + l, sizeof text - l, " L %08llx,4\n", (unsigned long long)seq[k].addr);
        for (int k = 0; k < 4; k++)
            l += (size_t)snprintf(text + l, sizeof text - l, "==1== a comment line of forty bytes...\n");
        ck_assert_int_eq(uvmsim_replay_feed(r, text, l, 0, true, NULL), UVMSIM_OK);
        uvmsim_pmap_stats_get(m, &s0);
        ck_assert_msg(s0.dtlb.misses - s1.dtlb.misses == 3 && s0.dtlb.hits - s1.dtlb.hits == 4,
                      "%s, fast path %s, text: %llu misses, %llu hits (wanted 3 and 4)", backend,
                      fast ? "on" : "off", (unsigned long long)(s0.dtlb.misses - s1.dtlb.misses),
                      (unsigned long long)(s0.dtlb.hits - s1.dtlb.hits));
        uvmsim_replay_close(r);
        VT_CHECK(m);
        uvmsim_machine_destroy(m);
    }
}
END_TEST

/* ---- messages after many memo hits ---- */

struct late_error {
    const char *what;
    const char *line;              /* the failing line, %s: nothing */
    bool folds;                    /* needs a 32-bit MMU (folding) */
    const char *want;              /* after "t.trace:LINE: " */
};

static const struct late_error lates[] = {
    {"malformed", "I  0040zz00,2\n", false, "malformed record: bad hex digit 'z' in the address"},
    {"access", " S 50000010,4\n", false, "store at 0x50000010 (in a r-- mapping): "},
    {"fold collision", " L 110000000,4\n", true, "address 0x110000000 folds to 0x10000000"},
};

/* Thousands of lines with hits on a few pages, then the failing line: the message names
 * its line, the counters stop before it, with and without the fast path. */
static void late(const char *backend, const struct late_error *le, bool fast, bool pieces, struct run_out *out,
                 unsigned *line)
{
    struct rt_rig g;
    rt_up(&g, backend);
    uvmsim_pmap_set_fast_path(g.m, fast);
    vt_map_anon(g.p, 0x50000000, 4 * PG, UVMSIM_PROT_READ, false);
    uvmsim_vaddr_t fold;
    uvmsim_replay_fold_limit(g.r, &fold);
    if (le->folds && fold == 0) {
        rt_down(&g);
        *line = 0;
        return;
    }
    size_t cap = 200000, l = 0;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    unsigned n = 0;
    for (unsigned i = 0; i < 3000; i++, n++)
        l += (size_t)snprintf(t + l, cap - l, "%s%08x,%u\n", kind_pre[i % 4], 0x10000000u + (i % 3) * PG + (i % 64) * 8,
                              1u << (i % 4));
    l += (size_t)snprintf(t + l, cap - l, "%s", le->line);
    *line = ++n;
    for (unsigned i = 0; i < 200; i++)
        l += (size_t)snprintf(t + l, cap - l, " L %08x,4\n", 0x10000000u + i * 8);
    int err;
    if (pieces) {   /* in pieces of 1000 bytes */
        size_t pos = 0, used;
        do {
            size_t piece = l - pos < 1000 ? l - pos : 1000;
            err = uvmsim_replay_feed(g.r, t + pos, piece, 0, pos + piece == l, &used);
            pos += used;
        } while (err == UVMSIM_OK && pos < l);
    } else {
        err = uvmsim_replay_feed(g.r, t, l, 0, true, NULL);
    }
    ck_assert_int_ne(err, UVMSIM_OK);
    rt_counters(g.m, &g.r, 1, &out->c);
    snprintf(out->msg[0], sizeof out->msg[0], "%s", uvmsim_replay_error(g.r));
    free(t);
    rt_down(&g);
}

START_TEST(test_memo_late_errors)
{
    const char *backend = vt_backends()[_i];
    for (unsigned k = 0; k < sizeof lates / sizeof lates[0]; k++) {
        for (int pieces = 0; pieces < 2; pieces++) {
            struct run_out with, without;
            unsigned line, line2;
            late(backend, &lates[k], true, pieces, &with, &line);
            if (line == 0)
                continue;   /* no folding on this backend */
            late(backend, &lates[k], false, pieces, &without, &line2);
            char want[200];
            snprintf(want, sizeof want, "t.trace:%u: %s", line, lates[k].want);
            ck_assert_msg(strncmp(with.msg[0], want, strlen(want)) == 0, "%s, %s: '%s' (wanted '%s...')", backend,
                          lates[k].what, with.msg[0], want);
            ck_assert_str_eq(with.msg[0], without.msg[0]);
            char why[160];
            const char *d = rt_counters_diff(&with.c, &without.c, why, sizeof why);
            ck_assert_msg(d == NULL, "%s, %s: %s", backend, lates[k].what, d);
            ck_assert_uint_eq(with.c.rp[0].records, line - 1);
            ck_assert_uint_eq(with.c.rp[0].lines, line - 1);
        }
    }
}
END_TEST

/* The record API: an error after many memo hits names its record. */
START_TEST(test_memo_late_record_error)
{
    const char *backend = vt_backends()[_i];
    for (int fast = 0; fast < 2; fast++) {
        struct rt_rig g;
        rt_up(&g, backend);
        uvmsim_pmap_set_fast_path(g.m, fast);
        vt_map_anon(g.p, 0x50000000, PG, UVMSIM_PROT_READ, false);
        uvmsim_replay_rec recs[2001];
        for (unsigned i = 0; i < 2000; i++)
            recs[i] = (uvmsim_replay_rec){0x10000000u + (i % 3) * PG + (i % 64) * 8, 1u << (i % 4),
                                          (uvmsim_rec_kind)(i % 4)};
        recs[2000] = (uvmsim_replay_rec){0x50000008, 2, UVMSIM_REC_M};
        ck_assert_int_eq(uvmsim_replay_records(g.r, recs, 2000), UVMSIM_OK);
        ck_assert_int_ne(uvmsim_replay_records(g.r, recs, 2001), UVMSIM_OK);
        const char *want = "t.trace: record 4001: store at 0x50000008 (in a r-- mapping): ";
        ck_assert_msg(strncmp(uvmsim_replay_error(g.r), want, strlen(want)) == 0, "'%s'", uvmsim_replay_error(g.r));
        uvmsim_replay_stats s;
        uvmsim_replay_stats_get(g.r, &s);
        ck_assert_uint_eq(s.records, 4000);
        ck_assert_uint_eq(s.lines, 0);
        uvmsim_vm_stats ps;
        uvmsim_proc_stats_get(g.p, &ps);
        ck_assert_uint_eq(ps.bytes_loaded, 2 * (500 * 2 + 500 * 8) + 2);   /* L and M records, then M's load */
        rt_down(&g);
    }
}
END_TEST

/* ---- what a hit touches besides the TLB ---- */

/* After a context switch (ARMv5: the cache and the TLBs flushed) a load misses and
 * refills, then a store or M record to the same page hits an entry neither memo knows:
 * that hit must mark the cache dirty as the ops table's would, or the write-protect that
 * follows cleans nothing.  Every counter, with and without the fast path. */
static void store_after_switch(const char *backend, bool fast, uvmsim_rec_kind second, struct rt_counters *out)
{
    uvmsim_machine *m = vt_machine(32u << 20, backend);
    uvmsim_pmap_set_fast_path(m, fast);
    uvmsim_proc *p[2];
    uvmsim_replayer *r[2];
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(uvmsim_proc_create(m, &p[i]), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_replay_open(p[i], NULL, &r[i]), UVMSIM_OK);
    }
    const uint64_t x = 0x10000000u;
    ck_assert_int_eq(uvmsim_replay_record(r[0], UVMSIM_REC_S, x + 8, 4), UVMSIM_OK);      /* fault it in */
    ck_assert_int_eq(uvmsim_replay_record(r[1], UVMSIM_REC_L, 0x20000000u, 4), UVMSIM_OK); /* a switch */
    const uvmsim_replay_rec recs[2] = {{x + 16, 4, UVMSIM_REC_L}, {x + 24, 2, second}};
    ck_assert_int_eq(uvmsim_replay_records(r[0], recs, 2), UVMSIM_OK);                    /* back: miss, hit */
    ck_assert_int_eq(uvmsim_protect(p[0], x, PG, UVMSIM_PROT_READ), UVMSIM_OK);
    rt_counters(m, r, 2, out);
    for (int i = 0; i < 2; i++)
        uvmsim_replay_close(r[i]);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}

START_TEST(test_memo_store_touch)
{
    const char *backend = vt_backends()[_i];
    static const uvmsim_rec_kind second[] = {UVMSIM_REC_S, UVMSIM_REC_M};
    for (unsigned k = 0; k < 2; k++) {
        struct rt_counters with, without;
        store_after_switch(backend, true, second[k], &with);
        store_after_switch(backend, false, second[k], &without);
        char why[160];
        const char *d = rt_counters_diff(&with, &without, why, sizeof why);
        ck_assert_msg(d == NULL, "%s, %s after a switch: with and without the fast path: %s", backend,
                      second[k] == UVMSIM_REC_S ? "S" : "M", d);
        ck_assert_uint_eq(with.rp[0].records, 3);
    }
}
END_TEST

/* ---- FCSE slots (fass) ----
 * A process in FCSE slot s sees its low 32 MiB relocated to s x 32 MiB, and its slot
 * moves when it maps into its slot's own region.  A page below 32 MiB is touched between
 * touches of the same offset in each of the first slots' regions (each a new auto region,
 * one of them the process's slot at the time), as records and as text, with and without
 * the fast path: every counter equal (pid_relocations counts the moves).  A hit the
 * batched probe takes on a relocated tag it should not match shows here; on the other
 * backends the same trace is just more pages. */
static void fcse_run(const char *backend, bool fast, bool text, struct rt_counters *c)
{
    static const uvmsim_tlb_config tlb = {16, 4, UVMSIM_TLB_LRU, false};
    uvmsim_machine *m = rt_machine(backend, &tlb, 1, false, fast);
    uvmsim_proc *p;
    uvmsim_replayer *r;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_replay_open(p, NULL, &r), UVMSIM_OK);
    uvmsim_replay_rec recs[64];
    size_t n = 0;
    for (unsigned round = 0; round < 2; round++)
        for (uint64_t slot = 0; slot < 8; slot++) {
            uint64_t a = (slot << 25) + 0x401008;
            recs[n++] = (uvmsim_replay_rec){0x401000, 4, UVMSIM_REC_L};    /* relocated, in the TLB */
            recs[n++] = (uvmsim_replay_rec){a, 4, round ? UVMSIM_REC_M : UVMSIM_REC_L};
        }
    if (text) {
        char buf[4096];
        size_t l = 0;
        for (size_t i = 0; i < n; i++)
            l += (size_t)snprintf(buf + l, sizeof buf - l, "%s%08llx,%u\n", kind_pre[recs[i].kind],
                                  (unsigned long long)recs[i].addr, recs[i].size);
        ck_assert_int_eq(uvmsim_replay_feed(r, buf, l, 0, true, NULL), UVMSIM_OK);
    } else {
        ck_assert_int_eq(uvmsim_replay_records(r, recs, n), UVMSIM_OK);
    }
    rt_counters(m, &r, 1, c);
    uvmsim_replay_close(r);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}

START_TEST(test_memo_fcse_slots)
{
    const char *backend = vt_backends()[_i];
    for (int text = 0; text < 2; text++) {
        struct rt_counters with, without;
        fcse_run(backend, true, text, &with);
        fcse_run(backend, false, text, &without);
        char why[160];
        const char *d = rt_counters_diff(&with, &without, why, sizeof why);
        ck_assert_msg(d == NULL, "%s, %s: with and without the fast path: %s", backend, text ? "text" : "records", d);
        ck_assert_uint_eq(with.rp[0].records, 32);
        if (strcmp(backend, "fass") == 0)
            ck_assert_uint_ge(with.pmap.pid_relocations, 2);    /* the slot did move */
    }
}
END_TEST

/* ---- random text through the decoder ---- */

/* Near-Lackey text with bytes changed at random, in exactly sized heap blocks (a stray
 * read is an error under ASan and memcheck), strict and lenient, fed whole and in two
 * pieces: the same answer, message and counters with and without the fast path. */
START_TEST(test_memo_random_text)
{
    const char *backend = vt_backends()[_i];
    static const char subst[] = "ILSM ,\n\t\r0123456789abcdefABCDEFxz=\x01\x80\xff";
    uint64_t s = 99 + (uint64_t)_i;
    for (int round = 0; round < (rt_memcheck() ? 12 : 60); round++) {
        struct gen g;
        gen_init(&g, (uint64_t)round + 1);
        size_t cap = 4000, l = 0;
        char *base = malloc(cap + 400);
        ck_assert_ptr_nonnull(base);
        while (l < cap - 200)
            gen_line(&g, false, base, cap + 400, &l);
        unsigned nchange = (unsigned)(rt_rand(&s) % 12);
        for (unsigned i = 0; i < nchange; i++) {
            uint64_t x = rt_rand(&s);
            base[x % l] = subst[(x >> 32) % (sizeof subst - 1)];
        }
        size_t len = l - (size_t)(rt_rand(&s) % 20);   /* maybe no final newline */
        char *text = malloc(len);
        ck_assert_ptr_nonnull(text);
        memcpy(text, base, len);
        free(base);
        size_t cut = (size_t)(rt_rand(&s) % (len + 1));
        for (int lenient = 0; lenient < 2; lenient++) {
            struct rt_counters c[2];
            char msg[2][320];
            int err[2];
            for (int fast = 0; fast < 2; fast++) {
                struct rt_rig r;
                rt_up_opts(&r, backend, lenient, 0);
                uvmsim_pmap_set_fast_path(r.m, fast);
                size_t used = 0;
                err[fast] = uvmsim_replay_feed(r.r, text, cut, 0, false, &used);
                if (err[fast] == UVMSIM_OK)
                    err[fast] = uvmsim_replay_feed(r.r, text + used, len - used, 0, true, NULL);
                snprintf(msg[fast], sizeof msg[fast], "%s", uvmsim_replay_error(r.r));
                rt_counters(r.m, &r.r, 1, &c[fast]);
                rt_down(&r);
            }
            ck_assert_msg(err[0] == err[1], "round %d: %s vs %s", round, uvmsim_errname(err[0]),
                          uvmsim_errname(err[1]));
            ck_assert_str_eq(msg[0], msg[1]);
            char why[160];
            const char *d = rt_counters_diff(&c[0], &c[1], why, sizeof why);
            ck_assert_msg(d == NULL, "%s, round %d, %s: %s", backend, round, lenient ? "lenient" : "strict", d);
        }
        free(text);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memo");
    vt_tcase_each_backend(s, "same-counters", test_memo_same_counters);
    vt_tcase_each_backend(s, "lru-order", test_memo_lru_order);
    vt_tcase_each_backend(s, "late-errors", test_memo_late_errors);
    vt_tcase_each_backend(s, "late-record-error", test_memo_late_record_error);
    vt_tcase_each_backend(s, "random-text", test_memo_random_text);
    vt_tcase_each_backend(s, "fcse-slots", test_memo_fcse_slots);
    vt_tcase_each_backend(s, "store-touch", test_memo_store_touch);
    return vt_run(s);
}
