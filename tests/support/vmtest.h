/* Helpers shared by the VM test suites: machine set-up, checked operations. */
#ifndef UVMSIM_TEST_VMTEST_H
#define UVMSIM_TEST_VMTEST_H
#include <check.h>
#include "uvmsim/uvmsim.h"

/* A machine with the given RAM (bytes) and pmap backend (NULL: generic). */
uvmsim_machine *vt_machine(uint64_t ram, const char *pmap);
/* Run the invariant checker and fail the test with its message. */
#define VT_CHECK(m) do { char _msg[512]; int _e = uvmsim_check((m), _msg, sizeof _msg); \
        ck_assert_msg(_e == UVMSIM_OK, "invariant: %s", _msg); } while (0)
/* Map anonymous memory; returns its address. */
uvmsim_vaddr_t vt_map_anon(uvmsim_proc *p, uvmsim_vaddr_t fixed, uint64_t size, uvmsim_prot_t prot, bool shared);
/* Store / load one byte through the CPU model; returns the fault outcome of the last fault
 * (cls ERROR with error 0 when none was taken). */
int vt_store(uvmsim_proc *p, uvmsim_vaddr_t va, uint8_t v, uvmsim_fault_outcome *o, unsigned *nf);
int vt_load(uvmsim_proc *p, uvmsim_vaddr_t va, uint8_t *v, uvmsim_fault_outcome *o, unsigned *nf);
/* The backend names to run a suite over (NULL-terminated), from uvmsim_pmap_backends(). */
const char *const *vt_backends(void);
int vt_nbackends(void);
/* A test case running t once per backend (_i indexes vt_backends()). */
void vt_tcase_each_backend(Suite *s, const char *name, const TTest *t);
/* Run a Check suite; exit status for main(). */
int vt_run(Suite *s);
#endif
