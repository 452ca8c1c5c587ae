/* uvmsim-bench: what the benchmark groups in separate files share with bench_vm.c. */
#ifndef UVMSIM_BENCH_H
#define UVMSIM_BENCH_H
#include <stdbool.h>

/* Print one result: group, key, value, unit (table or CSV, as bench_vm.c decides). */
typedef void (*bench_out_fn)(const char *group, const char *key, double value, const char *unit);

/* bench_fork.c: fork and exit of a sparse 1 GiB entry against a full 1 MiB one. */
void uvmsim_bench_fork(bool quick, bool csv, bench_out_fn out);

#endif
