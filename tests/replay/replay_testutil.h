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

#endif
