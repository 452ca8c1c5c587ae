/* Random operation sequences (map, unmap, protect, inherit, wire, fork, exit, load, store)
 * against a reference model of the bytes every process should see, with the invariant
 * checker after every step.  UVMSIM_SEED and UVMSIM_STEPS choose longer runs:
 *   UVMSIM_SEED=7 UVMSIM_STEPS=200000 ./build/tests/test_random */
#include <stdlib.h>
#include <string.h>
#include "vmtest.h"

#define PG 4096u
#define WIN 48                    /* pages in each process's window */
#define BASE 0x10000000ull
/* The third seed's window straddles 32 MiB, where ARM FCSE relocation starts. */
#define BASE_FCSE (0x02000000ull - (WIN / 2) * PG)
#define MAXP 6
#define MAXP_BIG 24               /* seed 3: past the 15 FASS domains, so they get recycled */

/* A model page: the bytes its sharers see; reference counted between processes. */
struct mpage { unsigned refs; uint8_t data[PG]; };

struct mslot {
    struct mpage *pg;             /* NULL: unmapped */
    uvmsim_prot_t prot;
    uvmsim_inherit inh;
    bool shared;                  /* MAP_SHARED anonymous */
    unsigned wired;               /* uvmsim_wire calls covering the page */
};

struct mproc { uvmsim_proc *p; struct mslot s[WIN]; };

struct model {
    uvmsim_machine *m;
    struct mproc procs[MAXP_BIG];
    int nprocs, maxp;
    uint64_t rng;
    uvmsim_vaddr_t base;          /* first page of every process's window */
};

static uint64_t rnd(struct model *md)
{
    md->rng ^= md->rng << 13;
    md->rng ^= md->rng >> 7;
    md->rng ^= md->rng << 17;
    return md->rng;
}
static unsigned rn(struct model *md, unsigned n) { return (unsigned)(rnd(md) % n); }

static struct mpage *mp_new(void) { struct mpage *p = calloc(1, sizeof(*p)); p->refs = 1; return p; }
static void mp_drop(struct mpage *p) { if (p && --p->refs == 0) free(p); }

static void op_map(struct model *md, struct mproc *mp)
{
    unsigned start = rn(md, WIN), len = 1 + rn(md, 6);
    if (start + len > WIN)
        return;
    for (unsigned i = start; i < start + len; i++)
        if (mp->s[i].pg)
            return;
    bool shared = rn(md, 4) == 0;
    vt_map_anon(mp->p, md->base + start * PG, len * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, shared);
    for (unsigned i = start; i < start + len; i++)
        mp->s[i] = (struct mslot){mp_new(), UVMSIM_PROT_READ | UVMSIM_PROT_WRITE,
                                  shared ? UVMSIM_INHERIT_SHARE : UVMSIM_INHERIT_COPY, shared, 0};
}

static void op_unmap(struct model *md, struct mproc *mp)
{
    unsigned start = rn(md, WIN), len = 1 + rn(md, 5);
    if (start + len > WIN)
        len = WIN - start;
    ck_assert_int_eq(uvmsim_unmap(mp->p, md->base + start * PG, len * PG), UVMSIM_OK);
    for (unsigned i = start; i < start + len; i++) {
        mp_drop(mp->s[i].pg);
        mp->s[i].pg = NULL;
        mp->s[i].wired = 0;
    }
}

static bool all_mapped(struct mproc *mp, unsigned start, unsigned len, bool private_only)
{
    for (unsigned i = start; i < start + len; i++)
        if (!mp->s[i].pg || (private_only && mp->s[i].shared))
            return false;
    return true;
}

static void op_protect(struct model *md, struct mproc *mp)
{
    unsigned start = rn(md, WIN), len = 1 + rn(md, 4);
    if (start + len > WIN || !all_mapped(mp, start, len, false))
        return;
    static const uvmsim_prot_t prots[] = {UVMSIM_PROT_READ, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE,
                                          UVMSIM_PROT_NONE, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE};
    uvmsim_prot_t prot = prots[rn(md, 4)];
    ck_assert_int_eq(uvmsim_protect(mp->p, md->base + start * PG, len * PG, prot), UVMSIM_OK);
    for (unsigned i = start; i < start + len; i++)
        mp->s[i].prot = prot;
}

/* Wire (uvm_map_pageable): EFAULT when the first page is unmapped, EINVAL for a later
 * hole or a page with protection none (nothing changes then); unwire: EINVAL unless every
 * page is mapped and wired.  The bytes never change. */
static void op_wire(struct model *md, struct mproc *mp)
{
    unsigned start = rn(md, WIN), len = 1 + rn(md, 6);
    if (start + len > WIN)
        len = WIN - start;
    bool unwire = rn(md, 3) == 0;
    int want = UVMSIM_OK;
    for (unsigned i = start; i < start + len && want == UVMSIM_OK; i++) {
        const struct mslot *s = &mp->s[i];
        if (!s->pg)
            want = i == start ? UVMSIM_EFAULT : UVMSIM_EINVAL;
        else if (unwire ? s->wired == 0 : s->prot == UVMSIM_PROT_NONE)
            want = UVMSIM_EINVAL;
    }
    uvmsim_vaddr_t va = md->base + start * PG;
    int err = unwire ? uvmsim_unwire(mp->p, va, len * PG) : uvmsim_wire(mp->p, va, len * PG);
    ck_assert_msg(err == want, "%s page %u+%u: got %s want %s", unwire ? "unwire" : "wire", start, len,
                  uvmsim_errname(err), uvmsim_errname(want));
    for (unsigned i = start; !err && i < start + len; i++)
        mp->s[i].wired = unwire ? 0 : mp->s[i].wired + 1;
}

static void op_inherit(struct model *md, struct mproc *mp)
{
    unsigned start = rn(md, WIN), len = 1 + rn(md, 4);
    /* shared pages too: a COPY child of a shared mapping gets a snapshot at fork */
    if (start + len > WIN || !all_mapped(mp, start, len, false))
        return;
    uvmsim_inherit inh = (uvmsim_inherit)rn(md, 3);
    ck_assert_int_eq(uvmsim_inherit_set(mp->p, md->base + start * PG, len * PG, inh), UVMSIM_OK);
    for (unsigned i = start; i < start + len; i++)
        mp->s[i].inh = inh;
}

static void op_fork(struct model *md, struct mproc *mp)
{
    if (md->nprocs == md->maxp)
        return;
    struct mproc *c = &md->procs[md->nprocs++];
    memset(c, 0, sizeof(*c));
    ck_assert_int_eq(uvmsim_proc_fork(mp->p, &c->p), UVMSIM_OK);
    for (unsigned i = 0; i < WIN; i++) {
        struct mslot *s = &mp->s[i];
        if (!s->pg || s->inh == UVMSIM_INHERIT_NONE)
            continue;
        c->s[i] = *s;
        c->s[i].wired = 0;            /* wiring is not inherited */
        if (s->inh == UVMSIM_INHERIT_SHARE) {
            s->pg->refs++;
        } else {
            c->s[i].pg = mp_new();
            memcpy(c->s[i].pg->data, s->pg->data, PG);
            c->s[i].shared = false;   /* a copy-inherited view is private */
        }
    }
}

static void proc_free(struct mproc *mp)
{
    for (unsigned i = 0; i < WIN; i++)
        mp_drop(mp->s[i].pg);
}

static void op_exit(struct model *md)
{
    if (md->nprocs <= 1)
        return;
    int k = 1 + (int)rn(md, (unsigned)md->nprocs - 1);
    uvmsim_proc_exit(md->procs[k].p);
    proc_free(&md->procs[k]);
    md->procs[k] = md->procs[--md->nprocs];
}

static void op_access(struct model *md, struct mproc *mp, bool store)
{
    unsigned i = rn(md, WIN), off = rn(md, PG);
    uvmsim_vaddr_t va = md->base + i * PG + off;
    struct mslot *s = &mp->s[i];
    uint8_t v = (uint8_t)rnd(md);
    int want;
    if (!s->pg)
        want = UVMSIM_EFAULT;
    else if (!(s->prot & (store ? UVMSIM_PROT_WRITE : UVMSIM_PROT_READ)))
        want = UVMSIM_EACCES;
    else
        want = UVMSIM_OK;
    int err = store ? vt_store(mp->p, va, v, NULL, NULL) : vt_load(mp->p, va, &v, NULL, NULL);
    ck_assert_msg(err == want, "pid %d %s page %u: got %s want %s", uvmsim_proc_pid(mp->p),
                  store ? "store" : "load", i, uvmsim_errname(err), uvmsim_errname(want));
    if (err)
        return;
    if (store)
        s->pg->data[off] = v;
    else
        ck_assert_msg(v == s->pg->data[off], "pid %d load page %u off %u: got %u want %u",
                      uvmsim_proc_pid(mp->p), i, off, v, s->pg->data[off]);
}

static void run_model(const char *backend, uint64_t seed, unsigned steps)
{
    struct model md;
    memset(&md, 0, sizeof(md));
    md.rng = seed * 2654435761u + 1;
    md.base = seed == 3 ? BASE_FCSE : BASE;
    md.maxp = seed == 3 ? MAXP_BIG : MAXP;
    md.m = vt_machine(0, backend);
    uvmsim_ram_stats r0;
    uvmsim_ram_stats_get(md.m, &r0);
    ck_assert_int_eq(uvmsim_proc_create(md.m, &md.procs[0].p), UVMSIM_OK);
    md.nprocs = 1;
    for (unsigned step = 0; step < steps; step++) {
        struct mproc *mp = &md.procs[rn(&md, (unsigned)md.nprocs)];
        unsigned op = rn(&md, 100);
        if (op < 10) op_map(&md, mp);
        else if (op < 16) op_unmap(&md, mp);
        else if (op < 22) op_protect(&md, mp);
        else if (op < 26) op_inherit(&md, mp);
        else if (op < 31) op_fork(&md, mp);
        else if (op < 35) op_exit(&md);
        else if (op < 39) op_wire(&md, mp);
        else if (op < 65) op_access(&md, mp, true);
        else op_access(&md, mp, false);
        char msg[512];
        int err = uvmsim_check(md.m, msg, sizeof(msg));
        ck_assert_msg(err == UVMSIM_OK, "%s seed %llu step %u op %u: %s", backend, (unsigned long long)seed,
                      step, op, msg);
    }
    for (int k = 0; k < md.nprocs; k++) {
        uvmsim_proc_exit(md.procs[k].p);
        proc_free(&md.procs[k]);
    }
    uvmsim_ram_stats r1;
    uvmsim_ram_stats_get(md.m, &r1);
    ck_assert_uint_eq(r1.used_pages, r0.used_pages);   /* teardown returns every page */
    uvmsim_vm_stats st;
    uvmsim_vm_stats_get(md.m, &st);
    ck_assert_uint_eq(st.anons_live, 0);
    ck_assert_uint_eq(st.amaps_live, 0);
    ck_assert_uint_eq(st.objects_live, 0);
    uvmsim_pmap_stats ps;
    uvmsim_pmap_stats_get(md.m, &ps);
    ck_assert_uint_eq(ps.pv_entries, 0);
    uvmsim_machine_destroy(md.m);
}

/* Loop index i: backend i % nbackends, seed i / nbackends + 1 — every backend must
 * agree with the same byte-level model. */

START_TEST(test_random_ops)
{
    const char *e = getenv("UVMSIM_STEPS");
    unsigned steps = e ? (unsigned)strtoul(e, NULL, 10) : (getenv("UVMSIM_MEMCHECK") ? 800 : 3000);
    e = getenv("UVMSIM_SEED");
    uint64_t seed = e ? strtoull(e, NULL, 10) : (uint64_t)(_i / vt_nbackends() + 1);
    run_model(vt_backends()[_i % vt_nbackends()], seed, steps);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vm-random");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_random_ops, 0, 3 * vt_nbackends());
    suite_add_tcase(s, tc);
    return vt_run(s);
}
