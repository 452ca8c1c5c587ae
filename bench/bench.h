/* uvmsim-bench's shared helpers (bench_vm.c): every workload file reports through out()
 * and builds machines with bench_machine(), so the output formats (table, CSV, JSON) and
 * the host pre-touch live in one place. */
#ifndef UVMSIM_BENCH_H
#define UVMSIM_BENCH_H

#include "uvmsim/uvmsim.h"

/* Monotonic host time in nanoseconds. */
double bench_now_ns(void);
/* Report one figure: group ("exec", "faults", ...), key (unique over the run), value, unit. */
void out(const char *group, const char *key, double value, const char *unit);
/* A simulator call failed: message and exit 3. */
_Noreturn void fail(const char *what, int err);
/* A machine of `ram` bytes (tlb NULL: the default TLB) whose host memory behind simulated
 * RAM has been touched already, so timing sees the simulator, not the host's page faults. */
uvmsim_machine *bench_machine(uint64_t ram, const uvmsim_tlb_config *tlb);
/* Touch every host page behind the machine's RAM (uvmsim_phys_zero over free RAM). */
void bench_pretouch(uvmsim_machine *m);
/* Workloads in their own files. */
void bench_fork(bool quick);      /* bench_fork.c: fork/exit of a sparse 1 GiB entry vs 1 MiB */
/* bench_replay.c: TLB hit and miss through the CPU model, Lackey trace replay speed
 * against `wc -l`, RAM of 8 replaying processes XIP against copy. */
void bench_replay(bool quick);

#endif
