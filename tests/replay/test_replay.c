/* The replayer (include/uvmsim/replay.h, docs/replay.md): every rule of the Lackey
 * grammar and every error with its FILE:LINE message, lenient mode, text fed in pieces,
 * the record API, files (plain, gzip, truncated gzip, missing), record budgets, the
 * auto-region policy (granule, clipping, growth, merging, executable on fetch, limits),
 * folding into a 32-bit MMU and its collisions, determinism, and many processes of one
 * program sharing its text (XIP: no RAM; copy: one page cache). */
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "replay_testutil.h"
#include "uvmsim/builtin.h"

#define PG 4096u

/* ---- the grammar: lines that are records ---- */

struct good {
    const char *text;
    uint64_t I, L, S, M;           /* records of each kind */
    uint64_t accesses, split;
    uint64_t fetched, loaded, stored;
    uvmsim_vaddr_t first_fault;    /* page of the first fault */
};

static const struct good goods[] = {
    {"I  10000ebf0,2\n", 1, 0, 0, 0, 1, 0, 2, 0, 0, 0x10000e000},
    {" L 1fff0006f0,8\n", 0, 1, 0, 0, 1, 0, 0, 8, 0, 0x1fff000000},
    {" S 00601000,4\n", 0, 0, 1, 0, 1, 0, 0, 0, 4, 0x601000},
    {" M 00601ffc,4\n", 0, 0, 0, 1, 2, 0, 0, 4, 4, 0x601000},            /* load, then store */
    {"I  10000ffe,4\n", 1, 0, 0, 0, 2, 1, 4, 0, 0, 0x10000000},           /* crosses a page */
    {" M 10000ffe,4\n", 0, 0, 0, 1, 4, 1, 0, 4, 4, 0x10000000},           /* both pages, twice */
    {" S 20000000,1048576\n", 0, 0, 1, 0, 256, 1, 0, 0, 1048576, 0x20000000},
    {"L 10000000,4\n", 0, 1, 0, 0, 1, 0, 0, 4, 0, 0x10000000},            /* blanks optional */
    {"\tS\t1000ABCD,1\n", 0, 0, 1, 0, 1, 0, 0, 0, 1, 0x1000a000},         /* tabs, upper case */
    {"I  10000000,4\r\n", 1, 0, 0, 0, 1, 0, 4, 0, 0, 0x10000000},         /* CRLF */
    {"I  10000000,4   \n", 1, 0, 0, 0, 1, 0, 4, 0, 0, 0x10000000},       /* trailing blanks */
    {"I 10000000,16", 1, 0, 0, 0, 1, 0, 16, 0, 0, 0x10000000},            /* no final newline */
    {"I  10000000,0004\n", 1, 0, 0, 0, 1, 0, 4, 0, 0, 0x10000000},
};

START_TEST(test_grammar_records)
{
    const struct good *g = &goods[_i];
    struct rt_rig r;
    rt_up(&r, NULL);
    int err = rt_feed(&r, g->text);
    ck_assert_msg(err == UVMSIM_OK, "[%s]: %s", g->text, uvmsim_replay_error(r.r));
    uvmsim_replay_stats s;
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.by_kind[UVMSIM_REC_I], g->I);
    ck_assert_uint_eq(s.by_kind[UVMSIM_REC_L], g->L);
    ck_assert_uint_eq(s.by_kind[UVMSIM_REC_S], g->S);
    ck_assert_uint_eq(s.by_kind[UVMSIM_REC_M], g->M);
    ck_assert_uint_eq(s.records, g->I + g->L + g->S + g->M);
    ck_assert_uint_eq(s.accesses, g->accesses);
    ck_assert_uint_eq(s.split_records, g->split);
    ck_assert_uint_eq(s.skipped_lines, 0);
    ck_assert_uint_eq(s.lines, 1);
    uvmsim_vm_stats ps;
    uvmsim_proc_stats_get(r.p, &ps);
    ck_assert_uint_eq(ps.accesses, g->accesses);
    ck_assert_uint_eq(ps.bytes_fetched, g->fetched);
    ck_assert_uint_eq(ps.bytes_loaded, g->loaded);
    ck_assert_uint_eq(ps.bytes_stored, g->stored);
    ck_assert_uint_ge(r.f.n, 1);
    ck_assert_uint_eq(r.f.o[0].va, g->first_fault);
    ck_assert_uint_eq(s.faults, r.f.n);
    rt_down(&r);
}
END_TEST

/* Lines that are not records are skipped and counted; they change nothing. */
START_TEST(test_grammar_skipped)
{
    struct rt_rig r;
    rt_up(&r, NULL);
    const char *t = "==13594== Lackey, an example Valgrind tool\n"
                    "==13594== Command: /bin/busybox ls -l d\n"
                    "\n"
                    "Ignored text\n"
                    "--5-- a Valgrind debug line\n"
                    "   \n"
                    "Lackey\n"
                    "==13594== Counted 0 calls to main()\n";
    ck_assert_int_eq(rt_feed(&r, t), UVMSIM_OK);
    uvmsim_replay_stats s;
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.skipped_lines, 8);
    ck_assert_uint_eq(s.lines, 8);
    ck_assert_uint_eq(s.records, 0);
    ck_assert_uint_eq(s.accesses, 0);
    ck_assert_uint_eq(uvmsim_map_nentries(r.p), 0);
    ck_assert_str_eq(uvmsim_replay_error(r.r), "");
    rt_down(&r);
}
END_TEST

/* ---- the grammar: malformed records ---- */

struct bad {
    const char *line;
    const char *msg;               /* after "t.trace:3: malformed record: " */
};

static const struct bad bads[] = {
    {"I  0040zz00,2", "bad hex digit 'z' in the address"},
    {"I  -12,4", "bad hex digit '-' in the address"},
    {"I  0x10,4", "bad hex digit 'x' in the address"},
    {"I  0040ebf0", "missing size (expected ADDR,SIZE)"},
    {"I  0040ebf0 8", "missing size (expected ADDR,SIZE)"},
    {"I  0040ebf0,", "missing size after the address"},
    {" L ,4", "missing address"},
    {"I  0040ebf0,0", "size 0"},
    {"I  0040ebf0,1048577", "size larger than 1048576"},
    {"I  0040ebf0,99999999999", "size larger than 1048576"},
    {"I  ffffffffffffffff,2", "address 0xffffffffffffffff + size 2 wraps around"},
    {"I  10000000000000000,1", "address of 17 hex digits (at most 16)"},
    {"I  00000000000010000,1", "address of 17 hex digits (at most 16)"},
    {"I  0040ebf0,2x", "unexpected 'x' after the size"},
    {"I  0040ebf0,2 3", "unexpected '3' after the size"},
    {"I  0040ebf0,2\x01", "unexpected '\\x01' after the size"},
};
#define NBADS (sizeof bads / sizeof bads[0])

/* Strict: the third line fails with NAME:LINE: and the replayer stays failed.
 * Lenient: it is counted and skipped, and the lines around it are replayed. */
START_TEST(test_grammar_errors)
{
    const struct bad *b = &bads[_i];
    char text[256], want[256];
    snprintf(text, sizeof text, "==1== x\n I 10000000,4\n%s\n S 10000008,4\n", b->line);
    struct rt_rig r;
    rt_up(&r, NULL);
    int err = rt_feed(&r, text);
    ck_assert_int_eq(err, UVMSIM_EINVAL);
    snprintf(want, sizeof want, "t.trace:3: malformed record: %s", b->msg);
    ck_assert_str_eq(uvmsim_replay_error(r.r), want);
    uvmsim_replay_stats s;
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.records, 1);
    /* failed for good */
    ck_assert_int_eq(rt_feed(&r, " L 10000000,4\n"), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_replay_record(r.r, UVMSIM_REC_L, 0x10000000, 4), UVMSIM_EINVAL);
    ck_assert_str_eq(uvmsim_replay_error(r.r), want);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.records, 1);
    rt_down(&r);

    rt_up_opts(&r, NULL, true, 0);
    ck_assert_int_eq(rt_feed(&r, text), UVMSIM_OK);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.records, 2);
    ck_assert_uint_eq(s.malformed, 1);
    ck_assert_uint_eq(s.skipped_lines, 1);
    ck_assert_uint_eq(s.lines, 4);
    ck_assert_str_eq(uvmsim_replay_error(r.r), "");
    rt_down(&r);
}
END_TEST

/* Text handed over in two pieces, split anywhere, replays as the whole does; an error
 * names the same line. */
START_TEST(test_feed_pieces)
{
    const char *text = "==7== start\n"
                       "I  10000ff0,16\n"
                       " L 1fff0006f0,8\n"
                       "\n"
                       " M 00601ffe,4\n"
                       "I  10001000,3\n"
                       " S 00700000,8\n"
                       "I  10zz,4\n"
                       " L 00700000,1\n";
    size_t len = strlen(text);
    struct rt_rig whole;
    rt_up(&whole, NULL);
    ck_assert_int_eq(rt_feed(&whole, text), UVMSIM_EINVAL);
    struct rt_counters cw;
    rt_counters(whole.m, &whole.r, 1, &cw);
    const char *msg = uvmsim_replay_error(whole.r);
    ck_assert_str_eq(msg, "t.trace:8: malformed record: bad hex digit 'z' in the address");
    for (size_t cut = 0; cut <= len; cut += rt_memcheck() ? 5 : 1) {
        struct rt_rig r;
        rt_up(&r, NULL);
        size_t used = 99;
        int err = uvmsim_replay_feed(r.r, text, cut, 0, false, &used);
        ck_assert_msg(used <= cut && (used == 0 || text[used - 1] == '\n'), "cut %zu: used %zu", cut, used);
        if (err == UVMSIM_OK)   /* else the bad line was whole in the first piece */
            err = uvmsim_replay_feed(r.r, text + used, len - used, 0, true, NULL);
        ck_assert_int_eq(err, UVMSIM_EINVAL);
        ck_assert_str_eq(uvmsim_replay_error(r.r), msg);
        struct rt_counters c;
        rt_counters(r.m, &r.r, 1, &c);
        char why[128];
        const char *d = rt_counters_diff(&cw, &c, why, sizeof why);
        ck_assert_msg(d == NULL, "cut at %zu: %s", cut, d);
        rt_down(&r);
    }
    rt_down(&whole);
}
END_TEST

/* Random text — bytes of the record alphabet, Lackey-like fragments, binary junk — in
 * buffers of every small length, strict and lenient, ending with and without a newline:
 * every answer is OK or an input error, nothing is read outside the buffer (the buffers
 * are exactly sized heap blocks: ASan and memcheck see a stray read), and the machine
 * stays consistent. */
START_TEST(test_feed_random_text)
{
    static const char alphabet[] = "ILSM ,\n\t\r0123456789abcdefABCDEFxyz=-\x01\xff";
    static const char *const frags[] = {"I  ", " L ", " S ", " M ", "==9== ", "\n", ",", "10000000", "1fff0006f0",
                                        "ffffffffffffffff", "0", "4096", "1048577"};
    uint64_t s = 12345;
    for (int round = 0; round < (rt_memcheck() ? 40 : 200); round++) {
        struct rt_rig r;
        rt_up_opts(&r, NULL, round % 2 == 1, 0);
        for (int piece = 0; piece < 8; piece++) {
            size_t len = (size_t)(rt_rand(&s) % 40);
            char *buf = malloc(len ? len : 1);
            ck_assert_ptr_nonnull(buf);
            for (size_t i = 0; i < len;) {
                uint64_t x = rt_rand(&s);
                if (x % 3 == 0) {
                    const char *f = frags[(x >> 8) % (sizeof frags / sizeof frags[0])];
                    for (; *f && i < len; f++)
                        buf[i++] = *f;
                } else {
                    buf[i++] = alphabet[(x >> 8) % (sizeof alphabet - 1)];
                }
            }
            size_t used = 0;
            int err = uvmsim_replay_feed(r.r, buf, len, 0, piece % 2 == 0, &used);
            ck_assert_msg(err == UVMSIM_OK || err == UVMSIM_EINVAL || err == UVMSIM_ERANGE || err == UVMSIM_EACCES,
                          "round %d: %s (%s)", round, uvmsim_errname(err), uvmsim_replay_error(r.r));
            ck_assert_uint_le(used, len);
            free(buf);
        }
        rt_down(&r);
    }
}
END_TEST

/* A record budget stops after whole records and says how much text it used. */
START_TEST(test_feed_budget)
{
    struct rt_rig r;
    rt_up(&r, NULL);
    const char *text = "==1== a\nI  10000000,4\n==1== b\n L 10000004,4\n S 10000008,4\n";
    size_t used;
    ck_assert_int_eq(uvmsim_replay_feed(r.r, text, strlen(text), 1, true, &used), UVMSIM_OK);
    ck_assert_uint_eq(used, strlen("==1== a\nI  10000000,4\n"));
    uvmsim_replay_stats s;
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.records, 1);
    size_t more;
    ck_assert_int_eq(uvmsim_replay_feed(r.r, text + used, strlen(text) - used, 1, true, &more), UVMSIM_OK);
    ck_assert_uint_eq(more, strlen("==1== b\n L 10000004,4\n"));
    ck_assert_int_eq(uvmsim_replay_feed(r.r, text + used + more, strlen(text) - used - more, 5, true, NULL),
                     UVMSIM_OK);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.records, 3);
    ck_assert_uint_eq(s.skipped_lines, 2);
    /* no complete line: nothing used */
    ck_assert_int_eq(uvmsim_replay_feed(r.r, "I  1000", 7, 0, false, &used), UVMSIM_OK);
    ck_assert_uint_eq(used, 0);
    ck_assert_int_eq(uvmsim_replay_feed(r.r, NULL, 0, 0, true, &used), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_replay_feed(NULL, "x", 1, 0, true, &used), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_replay_feed(r.r, NULL, 3, 0, true, &used), UVMSIM_EINVAL);
    rt_down(&r);
}
END_TEST

/* The record API checks what the parser checks. */
START_TEST(test_record_api)
{
    struct rt_rig r;
    rt_up(&r, NULL);
    ck_assert_int_eq(uvmsim_replay_record(r.r, UVMSIM_REC_S, 0x10000ffe, 4), UVMSIM_OK);
    uvmsim_replay_rec recs[3] = {{0x10000000, 8, UVMSIM_REC_I}, {0x10000010, 2, UVMSIM_REC_M},
                                 {0x1fff000000, 8, UVMSIM_REC_L}};
    ck_assert_int_eq(uvmsim_replay_records(r.r, recs, 3), UVMSIM_OK);
    uvmsim_replay_stats s;
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.records, 4);
    ck_assert_uint_eq(s.accesses, 2 + 1 + 2 + 1);
    ck_assert_uint_eq(s.lines, 0);
    ck_assert_int_eq(uvmsim_replay_records(r.r, NULL, 0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_replay_records(r.r, NULL, 1), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_replay_record(NULL, UVMSIM_REC_S, 0x1000, 1), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_replay_record(r.r, UVMSIM_REC_S, 0x10000000, 0), UVMSIM_EINVAL);
    ck_assert_str_eq(uvmsim_replay_error(r.r), "t.trace: record 5: size 0 (kind 2, address 0x10000000, size 0)");
    rt_down(&r);

    rt_up_opts(&r, NULL, true, 0);
    ck_assert_int_eq(uvmsim_replay_record(r.r, (uvmsim_rec_kind)7, 0x10000000, 1), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_replay_record(r.r, UVMSIM_REC_L, ~0ull, 2), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_replay_record(r.r, UVMSIM_REC_L, 0x1000, UVMSIM_REPLAY_MAX_SIZE + 1), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_replay_record(r.r, UVMSIM_REC_L, 0x10000000, 1), UVMSIM_OK);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.malformed, 3);
    ck_assert_uint_eq(s.records, 1);
    rt_down(&r);
}
END_TEST

/* ---- files ---- */

static char workdir[64];

static const char *wpath(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", workdir, name);
    return buf;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_gz(const char *path, const char *data, size_t len)
{
    gzFile g = gzopen(path, "wb");
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(gzwrite(g, data, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(g), Z_OK);
}

static void replay_path(struct rt_rig *r, const char *path, int want)
{
    ck_assert_int_eq(uvmsim_replay_open_file(r->r, path), UVMSIM_OK);
    bool done = false;
    int err = uvmsim_replay_run(r->r, 0, &done);
    ck_assert_msg(err == want, "%s: %s (%s)", path, uvmsim_errname(err), uvmsim_replay_error(r->r));
    if (want == UVMSIM_OK)
        ck_assert(done);
}

/* A plain file, the same gzip-compressed (with or without a .gz name), the same across
 * many fills (a big file), a truncated gzip file, and files that are not there. */
START_TEST(test_files)
{
    size_t len;
    unsigned nrec = rt_memcheck() ? 70000 : 120000;       /* 1.2 or 2 MB: several fills */
    char *text = rt_random_trace(5, nrec, 0, 0, &len);
    char p1[128], p2[128], p3[128], p4[128];
    write_file(wpath(p1, sizeof p1, "plain.trace"), text, len);
    write_gz(wpath(p2, sizeof p2, "t.trace.gz"), text, len);
    write_gz(wpath(p3, sizeof p3, "gz-without-suffix"), text, len);
    struct rt_rig a, b, c;
    rt_up(&a, NULL);
    rt_up(&b, NULL);
    rt_up(&c, NULL);
    struct rt_rig w;
    rt_up(&w, NULL);
    ck_assert_int_eq(uvmsim_replay_feed(w.r, text, len, 0, true, NULL), UVMSIM_OK);
    replay_path(&a, p1, UVMSIM_OK);
    replay_path(&b, p2, UVMSIM_OK);
    replay_path(&c, p3, UVMSIM_OK);
    struct rt_counters cw, ca, cb, cc;
    rt_counters(w.m, &w.r, 1, &cw);
    rt_counters(a.m, &a.r, 1, &ca);
    rt_counters(b.m, &b.r, 1, &cb);
    rt_counters(c.m, &c.r, 1, &cc);
    char why[128];
    const char *d;
    ck_assert_msg((d = rt_counters_diff(&cw, &ca, why, sizeof why)) == NULL, "plain file: %s", d);
    ck_assert_msg((d = rt_counters_diff(&cw, &cb, why, sizeof why)) == NULL, "gzip file: %s", d);
    ck_assert_msg((d = rt_counters_diff(&cw, &cc, why, sizeof why)) == NULL, "gzip, no suffix: %s", d);
    ck_assert_uint_eq(cw.rp[0].records, nrec);
    uint64_t rd, total;
    uvmsim_replay_progress(a.r, &rd, &total);
    ck_assert_uint_eq(rd, len);
    ck_assert_uint_eq(total, len);
    uvmsim_replay_progress(b.r, &rd, &total);
    ck_assert_uint_eq(rd, total);
    ck_assert_uint_lt(total, len);
    /* a second file on the same replayer is refused */
    ck_assert_int_eq(uvmsim_replay_open_file(a.r, p1), UVMSIM_EBUSY);
    rt_down(&a);
    rt_down(&b);
    rt_down(&c);
    rt_down(&w);

    /* truncated gzip: an I/O error naming the file */
    size_t glen;
    char *gz = NULL;
    {
        FILE *f = fopen(p2, "rb");
        ck_assert_ptr_nonnull(f);
        fseek(f, 0, SEEK_END);
        glen = (size_t)ftell(f);
        rewind(f);
        gz = malloc(glen);
        ck_assert_uint_eq(fread(gz, 1, glen, f), glen);
        fclose(f);
    }
    write_file(wpath(p4, sizeof p4, "cut.trace.gz"), gz, glen / 2);
    struct rt_rig t;
    rt_up(&t, NULL);
    replay_path(&t, p4, UVMSIM_EIO);
    char want[256];
    snprintf(want, sizeof want, "%s: the gzip stream ends early (truncated file?)", p4);
    ck_assert_str_eq(uvmsim_replay_error(t.r), want);
    rt_down(&t);
    free(gz);

    /* missing, a directory */
    rt_up(&t, NULL);
    ck_assert_int_eq(uvmsim_replay_open_file(t.r, wpath(p4, sizeof p4, "nope.trace")), UVMSIM_ENOENT);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", p4);
    ck_assert_str_eq(uvmsim_replay_error(t.r), want);
    rt_down(&t);
    rt_up(&t, NULL);
    ck_assert_int_eq(uvmsim_replay_open_file(t.r, workdir), UVMSIM_EISDIR);
    ck_assert_int_eq(uvmsim_replay_run(t.r, 0, NULL), UVMSIM_EISDIR);
    rt_down(&t);
    rt_up(&t, NULL);
    ck_assert_int_eq(uvmsim_replay_run(t.r, 0, NULL), UVMSIM_EINVAL);   /* no file */
    rt_down(&t);
    free(text);
}
END_TEST

/* Errors in a file name the file and the line; a file without a final newline and a
 * run with a record budget. */
START_TEST(test_file_lines)
{
    char p[128];
    const char *text = "==9== hello\n==9== again\nI  10000000,4\n S 10000000,4\n L 1000000g,4\n";
    write_file(wpath(p, sizeof p, "bad.trace"), text, strlen(text));
    struct rt_rig r;
    rt_up(&r, NULL);
    replay_path(&r, p, UVMSIM_EINVAL);
    char want[256];
    snprintf(want, sizeof want, "%s:5: malformed record: bad hex digit 'g' in the address", p);
    ck_assert_str_eq(uvmsim_replay_error(r.r), want);
    rt_down(&r);

    const char *t2 = "I  10000000,4\n S 10000000,4\n L 10000000,4\n M 10000000,4\nI  10001000,4";
    write_file(wpath(p, sizeof p, "budget.trace"), t2, strlen(t2));
    rt_up(&r, NULL);
    ck_assert_int_eq(uvmsim_replay_open_file(r.r, p), UVMSIM_OK);
    bool done = true;
    uvmsim_replay_stats s;
    for (uint64_t want_recs = 2; want_recs <= 6; want_recs += 2) {
        ck_assert_int_eq(uvmsim_replay_run(r.r, 2, &done), UVMSIM_OK);
        uvmsim_replay_stats_get(r.r, &s);
        ck_assert_uint_eq(s.records, want_recs > 5 ? 5 : want_recs);
        ck_assert(done == (want_recs > 5));
    }
    ck_assert_int_eq(uvmsim_replay_run(r.r, 2, &done), UVMSIM_OK);
    ck_assert(done);
    rt_down(&r);
}
END_TEST

/* ---- the auto-region policy ---- */

/* [start, end) is mapped anonymous with prot, by entries that begin at start and end at
 * end (the fault handler may have chunked the mapping: UVM_AMAP_CHUNK), and va is in it. */
static void expect_entry(uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_vaddr_t start, uvmsim_vaddr_t end,
                         uvmsim_prot_t prot)
{
    ck_assert(va >= start && va < end);
    uvmsim_vaddr_t at = start;
    while (at < end) {
        uvmsim_entry_info e;
        ck_assert_msg(uvmsim_map_lookup(p, at, &e) == UVMSIM_OK, "nothing mapped at 0x%llx", (unsigned long long)at);
        ck_assert_msg((at != start || e.start == start) && e.end <= end && e.prot == prot,
                      "entry at 0x%llx: [0x%llx, 0x%llx) prot %u, wanted within [0x%llx, 0x%llx) prot %u",
                      (unsigned long long)at, (unsigned long long)e.start, (unsigned long long)e.end, e.prot,
                      (unsigned long long)start, (unsigned long long)end, prot);
        ck_assert(!e.has_object && !e.shared);
        at = e.end;
    }
    ck_assert_uint_eq(at, end);
}

/* Aligned 1 MiB granules, clipped to the hole between mappings; neighbours grow into one
 * region, a granule between two merges them. */
START_TEST(test_auto_regions)
{
    struct rt_rig r;
    rt_up(&r, vt_backends()[_i]);
    const uint64_t M1 = 1u << 20, RW = UVMSIM_PROT_READ | UVMSIM_PROT_WRITE;
    vt_map_anon(r.p, 0x10180000, PG, UVMSIM_PROT_READ, false);      /* someone else's page */
    uvmsim_replay_stats s;
    ck_assert_int_eq(rt_feed(&r, " S 10012345,8\n"), UVMSIM_OK);
    expect_entry(r.p, 0x10012345, 0x10000000, 0x10000000 + M1, RW);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.auto_regions, 1);
    ck_assert_uint_eq(s.auto_maps, 1);
    ck_assert_uint_eq(s.auto_bytes, M1);
    ck_assert_uint_eq(r.f.n, 1);
    ck_assert_int_eq(r.f.o[0].cls, UVMSIM_FAULT_ZERO_FILL);         /* a real fault, not an error */
    /* grows: the next granule up, clipped below the foreign page */
    ck_assert_int_eq(rt_feed(&r, " L 10100000,8\n"), UVMSIM_OK);
    expect_entry(r.p, 0x10100000, 0x10100000, 0x10180000, RW);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.auto_regions, 1);
    ck_assert_uint_eq(s.auto_maps, 2);
    /* above the foreign page: the rest of that granule, a separate region */
    ck_assert_int_eq(rt_feed(&r, " L 101ff000,8\n"), UVMSIM_OK);
    expect_entry(r.p, 0x101ff000, 0x10181000, 0x10200000, RW);
    /* two granules up, then the one between: merged */
    ck_assert_int_eq(rt_feed(&r, " S 10300000,8\n"), UVMSIM_OK);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.auto_regions, 3);
    ck_assert_int_eq(rt_feed(&r, " S 10200010,8\n"), UVMSIM_OK);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.auto_regions, 2);                           /* [0x10000000,0x10180000) [0x10181000,0x10400000) */
    ck_assert_uint_eq(s.auto_maps, 5);
    ck_assert_uint_eq(s.auto_bytes, 4 * M1 - PG);
    /* below, adjacent: grows the first region downwards */
    ck_assert_int_eq(rt_feed(&r, " S 0ff00000,8\n"), UVMSIM_OK);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.auto_regions, 2);
    /* a fetch makes its own mapping executable; a fetch where a mapping without execute
     * exists that is not an auto region is the program's error */
    ck_assert_int_eq(rt_feed(&r, "I  10012000,4\n"), UVMSIM_OK);
    expect_entry(r.p, 0x10012000, 0x10000000, 0x10000000 + M1, RW | UVMSIM_PROT_EXEC);
    ck_assert_int_eq(rt_feed(&r, "I  20000000,4\n"), UVMSIM_OK);
    expect_entry(r.p, 0x20000000, 0x20000000, 0x20000000 + M1, RW | UVMSIM_PROT_EXEC);
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.auto_exec, 2);
    ck_assert_int_eq(rt_feed(&r, " S 10180010,1\n"), UVMSIM_EACCES);
    ck_assert_str_eq(uvmsim_replay_error(r.r),
                     "t.trace:9: store at 0x10180010 (in a r-- mapping): access not permitted by protection (EACCES)");
    rt_down(&r);

    /* a smaller granule */
    rt_up_opts(&r, vt_backends()[_i], false, 64u << 10);
    ck_assert_int_eq(rt_feed(&r, " S 10012345,8\n"), UVMSIM_OK);
    expect_entry(r.p, 0x10012345, 0x10010000, 0x10020000, RW);
    rt_down(&r);
}
END_TEST

/* Page 0, and (on a 64-bit MMU) beyond the user space: errors that say where. */
START_TEST(test_auto_limits)
{
    struct rt_rig r;
    rt_up(&r, NULL);
    ck_assert_int_eq(rt_feed(&r, "\n L 00000010,4\n"), UVMSIM_ERANGE);
    ck_assert_str_eq(uvmsim_replay_error(r.r),
                     "t.trace:2: load at 0x10: outside the user address space [0x1000, 0x800000000000)");
    rt_down(&r);
    rt_up(&r, NULL);
    ck_assert_int_eq(rt_feed(&r, " S 800000000000,4\n"), UVMSIM_ERANGE);
    rt_down(&r);
    uvmsim_replay_opts o;
    uvmsim_replay_opts_init(&o);
    rt_up(&r, NULL);
    uvmsim_replayer *bad;
    o.region_size = 3u << 20;
    ck_assert_int_eq(uvmsim_replay_open(r.p, &o, &bad), UVMSIM_EINVAL);
    o.region_size = 1024;   /* below the page size */
    ck_assert_int_eq(uvmsim_replay_open(r.p, &o, &bad), UVMSIM_EINVAL);
    ck_assert_ptr_null(bad);
    ck_assert_int_eq(uvmsim_replay_open(NULL, NULL, &bad), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_replay_open(r.p, NULL, NULL), UVMSIM_EINVAL);
    uint64_t lim = 7;
    uvmsim_replay_fold_limit(r.r, &lim);
    ck_assert_uint_eq(lim, 0);                                       /* generic: no folding */
    ck_assert_ptr_eq(uvmsim_replay_proc(r.r), r.p);
    uvmsim_replay_close(NULL);
    rt_down(&r);
}
END_TEST

/* ---- folding (32-bit MMUs) ---- */

START_TEST(test_fold)
{
    const char *be = _i == 0 ? "armv5" : "fass";
    struct rt_rig r;
    rt_up(&r, be);
    uint64_t lim;
    uvmsim_replay_fold_limit(r.r, &lim);
    ck_assert_uint_eq(lim, 1ull << 32);
    vt_map_anon(r.p, 0x400000, 16 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);   /* "the program" */
    /* Valgrind's stack, far above 4 GiB, lands at its low 32 bits */
    ck_assert_int_eq(rt_feed(&r, " S 1fff0006f0,8\n L 1fff0006f8,8\n"), UVMSIM_OK);
    ck_assert_uint_eq(r.f.n, 1);
    ck_assert_uint_eq(r.f.o[0].va, 0xff000000);
    expect_entry(r.p, 0xff000000, 0xff000000, 0xff100000, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE);
    uvmsim_replay_stats s;
    uvmsim_replay_stats_get(r.r, &s);
    ck_assert_uint_eq(s.folded, 2);
    /* the data really is shared by the two addresses of one page: the store's page is the
     * load's */
    ck_assert_uint_eq(s.faults, 1);
    /* a second far 1 MiB folding onto the same one: a collision */
    ck_assert_int_eq(rt_feed(&r, "\n S 2fff000000,8\n"), UVMSIM_EOVERLAP);
    ck_assert_str_eq(uvmsim_replay_error(r.r),
                     "t.trace:4: address 0x2fff000000 folds to 0xff000000, into the 1 MiB at 0xff000000 that the "
                     "addresses from 0x1fff000000 already use (a fold collision: the 32-bit MMU cannot hold both)");
    rt_down(&r);

    /* folding onto the program's own mappings is a collision too, and so is the other way */
    rt_up(&r, be);
    vt_map_anon(r.p, 0x400000, 16 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    ck_assert_int_eq(rt_feed(&r, " L 100400010,4\n"), UVMSIM_EOVERLAP);
    rt_down(&r);
    rt_up(&r, be);
    ck_assert_int_eq(rt_feed(&r, " L 300100010,4\n L 00100010,4\n"), UVMSIM_EOVERLAP);
    rt_down(&r);
    rt_up(&r, be);
    ck_assert_int_eq(rt_feed(&r, " L 20000010,4\n L 120000010,4\n"), UVMSIM_EOVERLAP);
    rt_down(&r);
}
END_TEST

/* ---- determinism ---- */

/* The same trace twice, on fresh machines: every counter equal. */
START_TEST(test_determinism)
{
    size_t len;
    char *text = rt_random_trace(11, 20000, 0, 0, &len);
    struct rt_counters c[2];
    for (int k = 0; k < 2; k++) {
        struct rt_rig r;
        rt_up(&r, vt_backends()[_i]);
        int err = uvmsim_replay_feed(r.r, text, len, 0, true, NULL);
        ck_assert_msg(err == UVMSIM_OK, "%s", uvmsim_replay_error(r.r));
        rt_counters(r.m, &r.r, 1, &c[k]);
        rt_down(&r);
    }
    char why[128];
    const char *d = rt_counters_diff(&c[0], &c[1], why, sizeof why);
    ck_assert_msg(d == NULL, "%s", d);
    ck_assert_uint_eq(c[0].rp[0].records, 20000);
    free(text);
}
END_TEST

/* ---- many processes of one program ---- */

/* N processes exec /bin/hello from the built-in image and replay the same trace (every
 * text page fetched, data stored, a stack).  XIP: the text takes no RAM however many
 * run; copy: its page cache once, not N times. */
START_TEST(test_procs_share_text)
{
    size_t ilen;
    const unsigned char *img = uvmsim_builtin_image(&ilen);
    if (img == NULL) {
        fprintf(stderr, "test_replay: no built-in image (UVMSIM_BUILTIN_IMAGE=OFF): sharing not tested\n");
        return;
    }
    const unsigned nprocs = 8;
    uint64_t object[2], anon[2], first_object = 0;
    for (int copy = 0; copy < 2; copy++) {
        uvmsim_machine *m = vt_machine(64u << 20, NULL);
        uvmsim_flashdev *dev;
        uvmsim_mount *mp;
        ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, ilen, &dev), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", copy ? 0 : UVMSIM_MNT_XIP, &mp), UVMSIM_OK);
        uvmsim_proc *p[8];
        uvmsim_replayer *r[8];
        uvmsim_exec_info ei;
        uint64_t text_pages = 0;
        for (unsigned i = 0; i < nprocs; i++) {
            ck_assert_int_eq(uvmsim_proc_create(m, &p[i]), UVMSIM_OK);
            ck_assert_int_eq(uvmsim_exec(p[i], uvmsim_builtin_program(), &ei), UVMSIM_OK);
            ck_assert_int_eq(uvmsim_replay_open(p[i], NULL, &r[i]), UVMSIM_OK);
        }
        uvmsim_ram_stats r0, r1;
        uvmsim_ram_stats_get(m, &r0);
        for (unsigned i = 0; i < nprocs; i++) {
            for (unsigned s = 0; s < ei.nsegs; s++) {
                const uvmsim_exec_seg *sg = &ei.segs[s];
                if (sg->kind == UVMSIM_EXEC_SEG_FILE && (sg->prot & UVMSIM_PROT_EXEC)) {
                    for (uvmsim_vaddr_t va = sg->va; va < sg->va + sg->size; va += PG)
                        ck_assert_int_eq(uvmsim_replay_record(r[i], UVMSIM_REC_I, va + 16, 4), UVMSIM_OK);
                    text_pages = sg->size / PG;
                } else if (sg->kind == UVMSIM_EXEC_SEG_FILE && (sg->prot & UVMSIM_PROT_WRITE)) {
                    ck_assert_int_eq(uvmsim_replay_record(r[i], UVMSIM_REC_M, sg->va, 8), UVMSIM_OK);
                }
            }
            ck_assert_int_eq(uvmsim_replay_record(r[i], UVMSIM_REC_S, 0x1ffefff000ull, 8), UVMSIM_OK);
            if (i == 0) {
                uvmsim_ram_stats r01;
                uvmsim_ram_stats_get(m, &r01);
                first_object = r01.object_pages - r0.object_pages;
            }
        }
        uvmsim_ram_stats_get(m, &r1);
        object[copy] = r1.object_pages - r0.object_pages;
        anon[copy] = r1.anon_pages - r0.anon_pages;
        /* copy: the text (and the data page read) cached once, not 8 times; XIP: none */
        ck_assert_uint_eq(object[copy], first_object);
        if (copy)
            ck_assert_uint_ge(object[copy], text_pages);
        else
            ck_assert_uint_eq(object[copy], 0);
        ck_assert_uint_gt(text_pages, 10);
        for (unsigned i = 0; i < nprocs; i++)
            uvmsim_replay_close(r[i]);
        VT_CHECK(m);
        uvmsim_machine_destroy(m);
    }
    ck_assert_uint_eq(anon[0], anon[1]);                        /* private pages are the same */
}
END_TEST

static void setup_dir(void)
{
    snprintf(workdir, sizeof workdir, "replay-test-%d", (int)getpid());
    mkdir(workdir, 0755);
}

static void cleanup_dir(void)
{
    const char *names[] = {"plain.trace", "t.trace.gz", "gz-without-suffix", "cut.trace.gz", "bad.trace",
                           "budget.trace"};
    char p[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(wpath(p, sizeof p, names[i]));
    rmdir(workdir);
}

int main(void)
{
    setup_dir();
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("grammar");
    tcase_add_loop_test(tc, test_grammar_records, 0, (int)(sizeof goods / sizeof goods[0]));
    tcase_add_test(tc, test_grammar_skipped);
    tcase_add_loop_test(tc, test_grammar_errors, 0, (int)NBADS);
    tcase_add_test(tc, test_feed_pieces);
    tcase_add_test(tc, test_feed_budget);
    tcase_add_test(tc, test_record_api);
    suite_add_tcase(s, tc);
    tc = tcase_create("random-text");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_feed_random_text);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_files);
    tcase_add_test(tc, test_file_lines);
    suite_add_tcase(s, tc);
    vt_tcase_each_backend(s, "auto", test_auto_regions);
    tc = tcase_create("limits");
    tcase_add_test(tc, test_auto_limits);
    tcase_add_loop_test(tc, test_fold, 0, 2);
    tcase_add_test(tc, test_procs_share_text);
    suite_add_tcase(s, tc);
    vt_tcase_each_backend(s, "determinism", test_determinism);
    int rc = vt_run(s);
    cleanup_dir();
    return rc;
}
