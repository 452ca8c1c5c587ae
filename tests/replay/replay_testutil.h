/* Helpers shared by the replay suites: a machine with one process and a replayer, a
 * record of the faults it saw, every counter of a machine in one comparable block, and
 * a deterministic random Lackey trace.  Header-only (static functions). */
#ifndef UVMSIM_TESTS_REPLAY_TESTUTIL_H
#define UVMSIM_TESTS_REPLAY_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmtest.h"
#include "uvmsim/replay.h"

#define RT_UNUSED __attribute__((unused))

/* Under Valgrind (the memcheck label) the suites replay less. */
RT_UNUSED static bool rt_memcheck(void)
{
    return getenv("UVMSIM_MEMCHECK") != NULL;
}
#define RT_MAXF 64

/* The faults a replayer reported (the first RT_MAXF kept). */
struct rt_faults {
    unsigned n;
    uvmsim_fault_outcome o[RT_MAXF];
};

RT_UNUSED static void rt_on_fault(const uvmsim_fault_outcome *o, void *arg)
{
    struct rt_faults *f = arg;
    if (f->n < RT_MAXF)
        f->o[f->n] = *o;
    f->n++;
}

/* A machine (backend, 32 MiB RAM) with one empty process and a replayer named "t.trace". */
struct rt_rig {
    uvmsim_machine *m;
    uvmsim_proc *p;
    uvmsim_replayer *r;
    struct rt_faults f;
};

RT_UNUSED static void rt_up_opts(struct rt_rig *g, const char *backend, bool lenient, uint64_t region)
{
    memset(g, 0, sizeof(*g));
    g->m = vt_machine(32u << 20, backend);
    ck_assert_int_eq(uvmsim_proc_create(g->m, &g->p), UVMSIM_OK);
    uvmsim_replay_opts o;
    uvmsim_replay_opts_init(&o);
    o.lenient = lenient;
    o.region_size = region;
    o.on_fault = rt_on_fault;
    o.fault_arg = &g->f;
    o.name = "t.trace";
    ck_assert_int_eq(uvmsim_replay_open(g->p, &o, &g->r), UVMSIM_OK);
}

RT_UNUSED static void rt_up(struct rt_rig *g, const char *backend)
{
    rt_up_opts(g, backend, false, 0);
}

RT_UNUSED static void rt_down(struct rt_rig *g)
{
    uvmsim_replay_close(g->r);
    VT_CHECK(g->m);
    uvmsim_machine_destroy(g->m);
}

RT_UNUSED static int rt_feed(struct rt_rig *g, const char *text)
{
    return uvmsim_replay_feed(g->r, text, strlen(text), 0, true, NULL);
}

/* A TLB shape with its name, for tables of shapes a suite runs over. */
struct rt_shape {
    const char *name;
    uvmsim_tlb_config tlb;
};

/* A machine of 64 MiB (backend, TLB shape, seed, superpages) with the CPU model's
 * fast path on or off. */
RT_UNUSED static uvmsim_machine *rt_machine(const char *backend, const uvmsim_tlb_config *tlb, uint64_t seed,
                                            bool superpages, bool fast)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.ram_size = 64u << 20;
    c.pmap = backend;
    c.tlb = *tlb;
    c.seed = seed;
    c.superpages = superpages;
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
    uvmsim_pmap_set_fast_path(m, fast);
    ck_assert(uvmsim_pmap_fast_path(m) == fast);
    return m;
}

/* Every counter of a machine and its replayers, for equality checks. */
struct rt_counters {
    uvmsim_vm_stats vm;
    uvmsim_pmap_stats pmap;
    uvmsim_ram_stats ram;
    uvmsim_fs_stats fs;
    uvmsim_replay_stats rp[8];
};

RT_UNUSED static void rt_counters(uvmsim_machine *m, uvmsim_replayer *const *rs, unsigned n, struct rt_counters *c)
{
    memset(c, 0, sizeof(*c));
    uvmsim_vm_stats_get(m, &c->vm);
    uvmsim_pmap_stats_get(m, &c->pmap);
    uvmsim_ram_stats_get(m, &c->ram);
    uvmsim_fs_stats_get(m, &c->fs);
    for (unsigned i = 0; i < n && i < 8; i++)
        uvmsim_replay_stats_get(rs[i], &c->rp[i]);
}

/* Name the first differing 64-bit field of two counter blocks (all fields are 64-bit
 * numbers or pointers to static names). */
RT_UNUSED static const char *rt_counters_diff(const struct rt_counters *a, const struct rt_counters *b, char *buf,
                                              size_t len)
{
    const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
    for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++) {
        if (x[i] != y[i]) {
            const char *block = "vm";
            size_t off = i * 8;
            if (off >= offsetof(struct rt_counters, rp))
                block = "replay", off -= offsetof(struct rt_counters, rp);
            else if (off >= offsetof(struct rt_counters, fs))
                block = "fs", off -= offsetof(struct rt_counters, fs);
            else if (off >= offsetof(struct rt_counters, ram))
                block = "ram", off -= offsetof(struct rt_counters, ram);
            else if (off >= offsetof(struct rt_counters, pmap))
                block = "pmap", off -= offsetof(struct rt_counters, pmap);
            snprintf(buf, len, "%s counter at byte %zu: %llu vs %llu", block, off, (unsigned long long)x[i],
                     (unsigned long long)y[i]);
            return buf;
        }
    }
    return NULL;
}

/* xorshift64*: the tests' own deterministic numbers. */
RT_UNUSED static uint64_t rt_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

/* A random Lackey trace of n records over a few hot areas (a "text" range fetched, a
 * stack, a heap, scattered pages, some far above 4 GiB, some crossing pages), with
 * ==PID== lines sprinkled in.  text_lo/text_pages: where fetches go (0: an auto area). */
RT_UNUSED static char *rt_random_trace(uint64_t seed, unsigned n, uint64_t text_lo, unsigned text_pages, size_t *len)
{
    size_t cap = (size_t)n * 24 + 256, l = 0;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    uint64_t s = seed * 2654435761u + 1;
    if (text_lo == 0) {
        text_lo = 0x400000;
        text_pages = 64;
    }
    static const uint64_t areas[] = {0x1ffefff000ull, 0x4000000ull, 0x10000000ull, 0x7fff0000ull, 0x3020000000ull};
    l += (size_t)snprintf(t + l, cap - l, "==42== Lackey, an example Valgrind tool\n");
    for (unsigned i = 0; i < n; i++) {
        uint64_t x = rt_rand(&s);
        unsigned k = (unsigned)(x % 10);
        const char *kind = k < 5 ? "I " : k < 7 ? " L" : k < 9 ? " S" : " M";
        uint64_t addr, size;
        if (k < 5) {
            addr = text_lo + (x >> 8) % ((uint64_t)text_pages * 4096 - 16);   /* stays in the text */
            size = 1 + (x >> 40) % 15;
        } else {
            uint64_t area = areas[(x >> 8) % 5];
            addr = area + (x >> 16) % (1u << 22);     /* within 4 MiB of it */
            size = (x >> 50) % 64 == 0 ? 4096 + (x >> 56) : 1u << ((x >> 44) % 4);
        }
        if (i % 997 == 0)
            l += (size_t)snprintf(t + l, cap - l, "==42== comment %u\n", i);
        l += (size_t)snprintf(t + l, cap - l, "%s %08llx,%llu\n", kind, (unsigned long long)addr,
                              (unsigned long long)size);
        ck_assert_uint_lt(l + 64, cap);
    }
    *len = l;
    return t;
}

/* ---- a trace with locality (test_memo, test_threads) ---- */

/* Where pages come from: low text, a stack above 4 GiB (folds on a 32-bit MMU), a heap,
 * scattered pages, far memory (folds too).  Each area's pages stay within 1 MiB of its
 * base, so folded ones never collide with each other. */
static const uint64_t rt_areas[] = {0x400000ull, 0x1ffef00000ull, 0x4000000ull, 0x10000000ull, 0x3020000000ull};
#define RT_NAREAS (sizeof rt_areas / sizeof rt_areas[0])

struct gen {
    uint64_t s;
    uint64_t ws[8];                /* the working set: page addresses */
};

RT_UNUSED static uint64_t gen_page(struct gen *g)
{
    uint64_t x = rt_rand(&g->s);
    return rt_areas[x % RT_NAREAS] + ((x >> 8) % 96) * 4096u;
}

RT_UNUSED static void gen_init(struct gen *g, uint64_t seed)
{
    g->s = seed * 0x9E3779B97F4A7C15ull + 7;
    for (unsigned i = 0; i < 8; i++)
        g->ws[i] = gen_page(g);
}

/* The next record: mostly a page of the working set, which drifts one page at a time. */
RT_UNUSED static uvmsim_replay_rec gen_rec(struct gen *g)
{
    uint64_t x = rt_rand(&g->s);
    if (x % 16 == 0)
        g->ws[(x >> 4) % 8] = gen_page(g);
    uint64_t page = g->ws[(x >> 8) % 8];
    unsigned k = (unsigned)((x >> 12) % 20);
    uvmsim_rec_kind kind = k < 9 ? UVMSIM_REC_I : k < 14 ? UVMSIM_REC_L : k < 17 ? UVMSIM_REC_S : UVMSIM_REC_M;
    unsigned v = (unsigned)((x >> 20) % 100);
    uint64_t size, off;
    if (v < 4) {                   /* across the page's end */
        size = 2 + (x >> 32) % 7;
        off = 4096u - 1 - (x >> 40) % (size - 1);
    } else if (v < 6) {            /* several pages: four digits, then five */
        size = v == 4 ? 4097 + (x >> 32) % 5000 : 10000 + (x >> 32) % 9000;
        off = (x >> 48) % 4096u;
    } else {
        size = 1u << ((x >> 32) % 4);
        off = ((x >> 40) % 4096u) & ~(size - 1);
    }
    return (uvmsim_replay_rec){page + off, (uint32_t)size, kind};
}

static const char *const kind_pre[4] = {"I  ", " L ", " S ", " M "};
static const char kind_letter[4] = {'I', 'L', 'S', 'M'};

/* Append to t (capacity cap, length *l) one line: the record in Lackey's shape mostly,
 * else one of the shapes the careful parser decides; comments and (lenient) malformed
 * lines in between. */
RT_UNUSED static void gen_line(struct gen *g, bool lenient, char *t, size_t cap, size_t *l)
{
    uvmsim_replay_rec rc = gen_rec(g);
    unsigned long long a = rc.addr, sz = rc.size;
    const char *pre = kind_pre[rc.kind];
    char c = kind_letter[rc.kind];
    unsigned v = (unsigned)(rt_rand(&g->s) % 200);
    size_t room = cap - *l;
    char *o = t + *l;
    int n;
    switch (v) {
    case 0: n = snprintf(o, room, "%s%08llX,%llu\n", pre, a, sz); break;            /* upper case */
    case 1: n = snprintf(o, room, "%s%016llx,%llu\n", pre, a, sz); break;           /* 16 digits */
    case 2: n = snprintf(o, room, "%s%013llx,%llu\n", pre, a, sz); break;           /* 13: the decoder's most */
    case 3: n = snprintf(o, room, "%s%014llx,%llu\n", pre, a, sz); break;           /* 14 */
    case 4: n = snprintf(o, room, "%s%llx,%llu\n", pre, a, sz); break;              /* no padding */
    case 5: n = snprintf(o, room, "%s%08llx,%04llu\n", pre, a, sz % 10000); break;  /* leading zeros */
    case 6: n = snprintf(o, room, "%s%08llx,%05llu\n", pre, a, sz); break;          /* five digits */
    case 7: n = snprintf(o, room, "%s%08llx,%llu \n", pre, a, sz); break;           /* trailing blank */
    case 8: n = snprintf(o, room, "%s%08llx,%llu\t\n", pre, a, sz); break;          /* trailing tab */
    case 9: n = snprintf(o, room, "%s%08llx,%llu\r\n", pre, a, sz); break;          /* CRLF */
    case 10: n = snprintf(o, room, "\t%c\t%08llx,%llu\n", c, a, sz); break;         /* tabs */
    case 11: n = snprintf(o, room, "%c %08llx,%llu\n", c, a, sz); break;            /* no leading blank */
    case 12: n = snprintf(o, room, "   %c  %08llx,%llu\n", c, a, sz); break;        /* more blanks */
    case 13: n = snprintf(o, room, "==42== a comment\n%s%08llx,%llu\n", pre, a, sz); break;
    case 14: n = snprintf(o, room, "\n%s%08llx,%llu\n", pre, a, sz); break;         /* a blank line first */
    case 15:   /* a comment longer than the decoder's blocks */
        n = snprintf(o, room, "==42== %0120d\n%s%08llx,%llu\n", 7, pre, a, sz);
        break;
    case 16: n = snprintf(o, room, "%s%08llx,%llu", pre, a, sz); break;            /* ... */
    default: n = snprintf(o, room, "%s%08llx,%llu\n", pre, a, sz); break;
    }
    if (v == 16)   /* ... with its newline after a junk line of 300 bytes */
        n += snprintf(o + n, room - (size_t)n, "\n==42== %0300d\n", 1);
    ck_assert(n > 0 && (size_t)n < room);
    *l += (size_t)n;
    if (lenient && v >= 185) {     /* malformed lines, one of each kind in turn */
        static const char *const bad[] = {"I  0040zz00,2\n", " S 10000000,0\n", " L 10000000\n",
                                          " M 10000000,99999999\n", " L 10000000,4x\n", "I  ,4\n",
                                          " S 10000000,\n", "I  ffffffffffffffff,2\n", "I  10000000000000000,1\n",
                                          " L 1000000a,1048577\n",
                                          /* one-digit sizes next to a valid one (the decoder's
                                           * shortcut for them reads the last two bytes) */
                                          "I  10000000,:\n", " L 10000000,/\n", "I  1000000g,4\n",
                                          " S 10000000;4\n", " M 1000,4,\n"};
        n = snprintf(t + *l, cap - *l, "%s", bad[v - 185]);
        ck_assert(n > 0 && (size_t)n < cap - *l);
        *l += (size_t)n;
    }
}

RT_UNUSED static char *gen_text(uint64_t seed, unsigned nlines, bool lenient, size_t *len)
{
    size_t cap = (size_t)nlines * 80 + 4096, l = 0;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    struct gen g;
    gen_init(&g, seed);
    l += (size_t)snprintf(t, cap, "==42== Lackey, an example Valgrind tool\n");
    for (unsigned i = 0; i < nlines; i++)
        gen_line(&g, lenient, t, cap, &l);
    *len = l;
    return t;
}

RT_UNUSED static uvmsim_replay_rec *gen_recs(uint64_t seed, unsigned n)
{
    uvmsim_replay_rec *r = malloc(n * sizeof(*r));
    ck_assert_ptr_nonnull(r);
    struct gen g;
    gen_init(&g, seed);
    for (unsigned i = 0; i < n; i++)
        r[i] = gen_rec(&g);
    return r;
}


#endif
