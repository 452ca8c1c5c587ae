/* uvmsim-bench, fork group: fork and exit cost in O(map entries), not O(size mapped).
 *
 * A process maps 1 GiB of private anonymous memory and stores to its first 1 MiB (256
 * pages), or maps exactly 1 MiB and stores to all of it: the same 256 anons either way.
 * Timed (host time, best of several rounds): fork of that process, and the exits of the
 * child and of the parent (the parent's exit frees the amaps and the anons).  The keys
 * fork_1g_sparse_over_1m and exit_1g_sparse_over_1m are the 1 GiB cost over the 1 MiB
 * cost: with run-length per-slot references, sparse amaps and amap_copy chunking they
 * stay near 1 (issue 12 asks for <= 2).  Also timed: a 1 TiB mapping with one byte
 * stored, then its process's exit.  Machines come from bench_machine (host memory behind
 * simulated RAM touched beforehand), so the host's page faults are not timed. */
#include <stdio.h>
#include "bench.h"

#define PG 4096u

/* One process with `size` bytes mapped at 0x10000000 and its first 256 pages stored to. */
static uvmsim_proc *prepared(uvmsim_machine *m, uint64_t size)
{
    uvmsim_proc *p;
    uvmsim_map_args a;
    int err = uvmsim_proc_create(m, &p);
    if (err)
        fail("fork: proc_create", err);
    uvmsim_map_args_init(&a);
    a.addr = 0x10000000;
    a.size = size;
    a.flags = UVMSIM_MAP_FIXED;
    if ((err = uvmsim_map(p, &a, NULL)) != UVMSIM_OK)
        fail("fork: map", err);
    uint8_t b = 1;
    for (unsigned i = 0; i < 256; i++)
        if ((err = uvmsim_access_mem(p, 0x10000000 + (uvmsim_vaddr_t)i * PG, UVMSIM_ACCESS_STORE, &b, 1, NULL, NULL)))
            fail("fork: store", err);
    return p;
}

/* Best-of-rounds host time of one fork and of the two exits, for a mapping of size. */
static void fork_exit_ns(uint64_t size, unsigned rounds, double *fork_ns, double *exit_ns)
{
    uvmsim_machine *m = bench_machine(16u << 20, NULL);
    *fork_ns = *exit_ns = 1e30;
    /* round 0 warms the allocator and the caches up and is not kept */
    for (unsigned r = 0; r <= rounds; r++) {
        uvmsim_proc *p = prepared(m, size), *ch;
        double t0 = bench_now_ns();
        int err = uvmsim_proc_fork(p, &ch);
        if (err)
            fail("fork: fork", err);
        double t1 = bench_now_ns();
        uvmsim_proc_exit(ch);
        uvmsim_proc_exit(p);
        double t2 = bench_now_ns();
        if (r > 0 && t1 - t0 < *fork_ns)
            *fork_ns = t1 - t0;
        if (r > 0 && t2 - t1 < *exit_ns)
            *exit_ns = t2 - t1;
    }
    uvmsim_machine_destroy(m);
}

void bench_fork(bool quick)
{
    unsigned rounds = quick ? 3 : 200;
    double f1g, e1g, f1m, e1m;
    fork_exit_ns(1ull << 30, rounds, &f1g, &e1g);
    fork_exit_ns(1ull << 20, rounds, &f1m, &e1m);
    out("fork", "fork_1g_sparse_host_time", f1g / 1e3, "us");
    out("fork", "fork_1m_host_time", f1m / 1e3, "us");
    out("fork", "fork_1g_sparse_over_1m", f1g / f1m, "ratio");
    out("fork", "exit_1g_sparse_host_time", e1g / 1e3, "us");
    out("fork", "exit_1m_host_time", e1m / 1e3, "us");
    out("fork", "exit_1g_sparse_over_1m", e1g / e1m, "ratio");

    /* 1 TiB mapped, one byte stored, the process exits: what it costs does not depend on
     * the size mapped (the generic backend: the ARM ones translate 4 GiB) */
    uvmsim_machine *m = bench_machine(16u << 20, NULL);
    uvmsim_proc *p;
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = 0x10000000;
    a.size = 1ull << 40;
    a.flags = UVMSIM_MAP_FIXED;
    uint8_t b = 1;
    double t0 = bench_now_ns();
    int err;
    if ((err = uvmsim_proc_create(m, &p)) || (err = uvmsim_map(p, &a, NULL)) ||
        (err = uvmsim_access_mem(p, 0x10000000, UVMSIM_ACCESS_STORE, &b, 1, NULL, NULL)))
        fail("fork: 1 TiB", err);
    uvmsim_proc_exit(p);
    double t1 = bench_now_ns();
    uvmsim_machine_destroy(m);
    out("fork", "map_1t_store_exit_host_time", (t1 - t0) / 1e3, "us");
}
