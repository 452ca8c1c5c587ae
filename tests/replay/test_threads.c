/* The threads that decode a trace file ahead of the replayer (src/replay/replay_ahead.c)
 * change nothing but speed.  Each test replays one file with one thread (the windows read()
 * would fill, parsed in the caller) and again with helper threads over segments of many
 * sizes (1 byte up, so segment edges fall at every place in a line), with record budgets
 * per call, and compares the return code and done flag of every call, every counter, the
 * faults reported, the message and the progress figures.  The files hold what the
 * segmenting must get right: lines the fast decoder refuses, runs of them, malformed
 * records (strict and lenient), a final line without its newline, and lines at and past
 * the length limit anywhere in the file (the limit holds wherever the line falls). */
#include <unistd.h>
#include "replay_testutil.h"

struct outcome {
    struct rt_counters c;
    unsigned faults;
    int err;
    char msg[320];
    unsigned calls;                /* run calls until done or a failure */
    uint64_t calls_hash;           /* every call's return code and done flag */
    uint64_t read, total;          /* progress at the end */
};

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void replay(const char *backend, const char *path, unsigned threads, uint64_t chunk, uint64_t budget,
                   bool lenient, struct outcome *out)
{
    static const uvmsim_tlb_config tlb = {16, 4, UVMSIM_TLB_LRU, false};
    memset(out, 0, sizeof(*out));
    uvmsim_machine *m = rt_machine(backend, &tlb, 1, false, true);
    uvmsim_proc *p;
    uvmsim_replayer *r;
    struct rt_faults f = {0};
    uvmsim_replay_opts o;
    uvmsim_replay_opts_init(&o);
    o.lenient = lenient;
    o.threads = threads;
    o.decode_chunk = chunk;
    o.on_fault = rt_on_fault;
    o.fault_arg = &f;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_replay_open(p, &o, &r), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_replay_open_file(r, path), UVMSIM_OK);
    bool done = false;
    while (!done && out->err == UVMSIM_OK) {
        out->err = uvmsim_replay_run(r, budget, &done);
        out->calls++;
        out->calls_hash = out->calls_hash * 1000003u + (uint64_t)out->err * 2u + done;
        ck_assert_uint_lt(out->calls, 10000000u);
    }
    /* after the end or a failure, a call changes nothing */
    int again = uvmsim_replay_run(r, budget, &done);
    ck_assert_int_eq(again, out->err);
    ck_assert(out->err != UVMSIM_OK || done);
    snprintf(out->msg, sizeof(out->msg), "%s", uvmsim_replay_error(r));
    uvmsim_replay_progress(r, &out->read, &out->total);
    rt_counters(m, &r, 1, &out->c);
    out->faults = f.n;
    uvmsim_replay_close(r);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}

static void same(const struct outcome *a, const struct outcome *b, const char *what)
{
    ck_assert_msg(a->err == b->err, "%s: %s vs %s", what, uvmsim_errname(a->err), uvmsim_errname(b->err));
    ck_assert_msg(strcmp(a->msg, b->msg) == 0, "%s: '%s' vs '%s'", what, a->msg, b->msg);
    ck_assert_msg(a->calls == b->calls && a->calls_hash == b->calls_hash, "%s: calls %u vs %u", what, a->calls,
                  b->calls);
    char why[160];
    const char *d = rt_counters_diff(&a->c, &b->c, why, sizeof why);
    ck_assert_msg(d == NULL, "%s: %s", what, d);
    ck_assert_msg(a->faults == b->faults, "%s: faults %u vs %u", what, a->faults, b->faults);
    ck_assert_msg(a->total == b->total, "%s: total %llu vs %llu", what, (unsigned long long)a->total,
                  (unsigned long long)b->total);
    if (a->err == UVMSIM_OK)
        ck_assert_msg(a->read == a->total && b->read == b->total, "%s: read %llu and %llu of %llu", what,
                      (unsigned long long)a->read, (unsigned long long)b->read, (unsigned long long)a->total);
}

/* ---- the files ---- */

struct text {
    char *t;
    size_t len, cap;
};

static void put(struct text *x, const char *s, size_t n)
{
    if (x->len + n + 1 > x->cap) {
        x->cap = (x->len + n + 1) * 2;
        x->t = realloc(x->t, x->cap);
        ck_assert_ptr_nonnull(x->t);
    }
    memcpy(x->t + x->len, s, n);
    x->len += n;
}

static void puts_(struct text *x, const char *s)
{
    put(x, s, strlen(s));
}

/* A line of n bytes of junk (not a record), then its newline unless nl is false. */
static void junk_line(struct text *x, size_t n, bool nl)
{
    char *j = malloc(n + 1);
    ck_assert_ptr_nonnull(j);
    memset(j, 'j', n);
    if (n > 0)
        j[0] = '=';
    j[n] = '\n';
    put(x, j, n + nl);
    free(j);
}

/* Records of every kind over a few pages (the fast decoder's shape). */
static void records(struct text *x, unsigned n, uint64_t seed)
{
    static const char *const pre[4] = {"I  ", " L ", " S ", " M "};
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 3;
    for (unsigned i = 0; i < n; i++) {
        uint64_t v = rt_rand(&s);
        char line[64];
        int l = snprintf(line, sizeof line, "%s%08llx,%u\n", pre[v % 4],
                         (unsigned long long)(0x10000000ull + (v >> 8) % (40 * 4096)), 1u << ((v >> 4) % 4));
        put(x, line, (size_t)l);
    }
}

enum { F_RANDOM, F_RANDOM_LENIENT, F_MALFORMED, F_EDGES, F_LONG, F_LONG_FIRST, F_HUGE_LAST, F_NO_NEWLINE,
       F_BLANKS, F_NFILES };
static const char *const fname[F_NFILES] = {
    "random", "random-lenient", "malformed-strict", "edges", "long-line", "long-line-first", "huge-last-line",
    "no-final-newline", "blank-lines"};

/* File k; *lenient: how to replay it; *line: the line its failure must name (0: none). */
static struct text make(unsigned k, bool *lenient, unsigned *line)
{
    struct text x = {0};
    size_t n;
    char *t;
    unsigned lines = rt_memcheck() ? 600 : 3000;
    *lenient = false;
    *line = 0;
    switch (k) {
    case F_RANDOM:
    case F_RANDOM_LENIENT:
    case F_MALFORMED:
        *lenient = k == F_RANDOM_LENIENT;
        t = gen_text(7 + k, lines, k != F_RANDOM, &n);
        put(&x, t, n);
        free(t);
        break;
    case F_EDGES:   /* the longest line accepted, runs of refused shapes, records between */
        records(&x, 40, 1);
        junk_line(&x, UVMSIM_REPLAY_MAX_LINE - 1, true);
        records(&x, 40, 2);
        for (int i = 0; i < 30; i++)
            puts_(&x, i % 3 ? "==7== text\n" : " L 10000008,16\r\n");
        records(&x, 40, 3);
        puts_(&x, "I  10000000,3");
        break;
    case F_LONG:    /* a line at the limit in the middle: refused there */
        records(&x, 100, 4);
        junk_line(&x, UVMSIM_REPLAY_MAX_LINE, true);
        records(&x, 100, 5);
        *line = 101;
        break;
    case F_LONG_FIRST:   /* a long line that one window holds whole: refused all the same */
        junk_line(&x, 70000, true);
        records(&x, 50, 6);
        *line = 1;
        break;
    case F_HUGE_LAST:    /* many segments of one line with no newline at all */
        records(&x, 20, 7);
        junk_line(&x, 300000, false);
        *line = 21;
        break;
    case F_NO_NEWLINE:
        records(&x, 200, 8);
        puts_(&x, " M 10000010,8");
        break;
    case F_BLANKS:
        for (int i = 0; i < 200; i++)
            puts_(&x, i % 7 ? "\n" : "I  10000000,1\n");
        break;
    }
    return x;
}

static void path_of(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "threads-%d-%s.trace", (int)getpid(), tag);
}

/* Every file, one thread against 2 and 3 over segment sizes from 1 byte, with budgets. */
START_TEST(test_threads_same_as_one)
{
    const char *backend = vt_backends()[_i];
    static const uint64_t chunks[] = {1, 7, 61, 1000, 4096, 0};
    static const uint64_t budgets[] = {0, 1, 13, 977};
    /* under Valgrind: one backend, fewer shapes (the full table runs in the unit label) */
    bool vg = rt_memcheck();
    if (vg && _i > 0)
        return;
    for (unsigned k = 0; k < F_NFILES; k++) {
        bool lenient;
        unsigned line;
        struct text x = make(k, &lenient, &line);
        char path[128];
        path_of(path, sizeof path, fname[k]);
        write_file(path, x.t, x.len);
        for (unsigned b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
            if (vg && (b == 1 || b == 3))
                continue;
            struct outcome one, many;
            replay(backend, path, 1, 0, budgets[b], lenient, &one);
            if (line != 0) {
                char want[64];
                snprintf(want, sizeof want, ":%u: line longer than %u bytes", line, UVMSIM_REPLAY_MAX_LINE);
                ck_assert_msg(one.err == UVMSIM_EINVAL && strstr(one.msg, want) != NULL, "%s: '%s', wanted '%s'",
                              fname[k], one.msg, want);
            }
            if (k == F_MALFORMED)
                ck_assert_msg(one.err == UVMSIM_EINVAL && strstr(one.msg, "malformed record") != NULL, "%s",
                              one.msg);
            if (k != F_MALFORMED && line == 0)
                ck_assert_msg(one.err == UVMSIM_OK && one.c.rp[0].records > 0, "%s: %s", fname[k], one.msg);
            for (unsigned c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
                /* tiny segments cost a lock each: the small files and one budget */
                if (chunks[c] < 61 && (x.len > 200000 || b != 2))
                    continue;
                if (vg && (c == 0 || c == 3 || c == 4))
                    continue;
                for (unsigned th = 2; th <= (vg ? 2u : 3u); th++) {
                    replay(backend, path, th, chunks[c], budgets[b], lenient, &many);
                    char what[160];
                    snprintf(what, sizeof what, "%s, %s, %u threads, chunk %llu, budget %llu", backend, fname[k], th,
                             (unsigned long long)chunks[c], (unsigned long long)budgets[b]);
                    same(&one, &many, what);
                }
            }
        }
        unlink(path);
        free(x.t);
    }
}
END_TEST

/* Failures stop the helpers; a replayer closed half-way leaves nothing behind (memcheck);
 * many replayers with threads live in one process at once. */
START_TEST(test_threads_close_early)
{
    bool lenient;
    unsigned line;
    struct text x = make(F_RANDOM, &lenient, &line);
    char path[128];
    path_of(path, sizeof path, "early");
    write_file(path, x.t, x.len);
    static const uvmsim_tlb_config tlb = {16, 4, UVMSIM_TLB_LRU, false};
    uvmsim_machine *m = rt_machine(NULL, &tlb, 1, false, true);
    uvmsim_replayer *r[4];
    uvmsim_replay_opts o;
    uvmsim_replay_opts_init(&o);
    o.decode_chunk = 100;
    for (unsigned i = 0; i < 4; i++) {
        uvmsim_proc *p;
        o.threads = 2 + i;
        ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_replay_open(p, &o, &r[i]), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_replay_open_file(r[i], path), UVMSIM_OK);
    }
    bool done;
    for (unsigned turn = 0; turn < 8; turn++)
        ck_assert_int_eq(uvmsim_replay_run(r[turn % 4], 50, &done), UVMSIM_OK);
    ck_assert(!done);
    uint64_t rd, total;
    uvmsim_replay_progress(r[0], &rd, &total);
    ck_assert_uint_eq(total, x.len);
    ck_assert(rd > 0 && rd <= total);
    for (unsigned i = 0; i < 4; i++)
        uvmsim_replay_close(r[i]);
    uvmsim_machine_destroy(m);
    unlink(path);
    free(x.t);
}
END_TEST

START_TEST(test_threads_opts)
{
    static const uvmsim_tlb_config tlb = {16, 4, UVMSIM_TLB_LRU, false};
    uvmsim_machine *m = rt_machine(NULL, &tlb, 1, false, true);
    uvmsim_proc *p;
    uvmsim_replayer *r;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_replay_opts o;
    uvmsim_replay_opts_init(&o);
    o.threads = UVMSIM_REPLAY_MAX_THREADS + 1;
    ck_assert_int_eq(uvmsim_replay_open(p, &o, &r), UVMSIM_EINVAL);
    o.threads = 2;
    o.decode_chunk = (1ull << 30) + 1;
    ck_assert_int_eq(uvmsim_replay_open(p, &o, &r), UVMSIM_EINVAL);
    o.decode_chunk = 1ull << 30;
    ck_assert_int_eq(uvmsim_replay_open(p, &o, &r), UVMSIM_OK);
    uvmsim_replay_close(r);
    unsigned a = uvmsim_replay_threads_auto();
    ck_assert_msg(a == (sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2u : 1u), "auto: %u", a);
    uvmsim_machine_destroy(m);
}
END_TEST

/* The build's busybox traces, whole, with the default segments. */
START_TEST(test_threads_real)
{
    if (!UVMSIM_REPLAY_BUILT)
        return;   /* no traces on this host (test_replay_real says so and skips) */
    static const char *const names[] = {"ls", "sh", "hellopie"};
    for (unsigned i = 0; i < (rt_memcheck() ? 1u : 3u); i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/traces/%s.trace", UVMSIM_REPLAY_DIR, names[i]);
        struct outcome one, many;
        replay(NULL, path, 1, 0, 10000, false, &one);
        ck_assert_msg(one.err == UVMSIM_OK, "%s", one.msg);
        replay(NULL, path, 2, 0, 10000, false, &many);
        same(&one, &many, names[i]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("threads");
    vt_tcase_each_backend(s, "same-as-one", test_threads_same_as_one);
    TCase *tc = tcase_create("close-early");
    tcase_add_test(tc, test_threads_close_early);
    tcase_add_test(tc, test_threads_opts);
    tcase_add_test(tc, test_threads_real);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
