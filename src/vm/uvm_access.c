/* uvmsim — the CPU model: an access goes through the MMU (TLB, walk), faults when the
 * mapping is absent or insufficient, retries, and then moves real bytes.
 *
 * A TLB hit of the running process is taken inline (uvmsim_pmap_fast_hit: no call into
 * the backend, no division); everything else goes through the pmap's translate and the
 * fault handler (uvmsim_cpu_translate_slow).  Access counters are kept in one block, the
 * process's: the machine's totals add the live processes' blocks to what exited ones
 * left (uvmsim_vm_stats_get). */
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

/* A correct handler resolves any fault in one go; a second fault on the same page
 * means the handler entered less than the access needs, which is a simulator bug. */
#define ACCESS_MAX_FAULTS 2

int uvmsim_cpu_translate_slow(struct uvmsim_proc *p, vaddr_t va, uvmsim_access kind, paddr_t *pa,
                              uvmsim_cpu_fault_fn on_fault, void *arg)
{
    for (unsigned nf = 0;; nf++) {
        int err = uvmsim_pmap_translate(p->pmap, va, kind, pa);
        if (err == UVMSIM_OK)
            return UVMSIM_OK;
        if (nf == ACCESS_MAX_FAULTS)
            return UVMSIM_ESTATE;
        uvmsim_fault_outcome o;
        err = uvmsim_fault_internal(p, va, kind, &o);
        if (on_fault != NULL)
            on_fault(&o, arg);
        if (err)
            return err;
    }
}

/* uvmsim_access_mem's view of the faults: how many, and the last one. */
struct access_faults {
    unsigned *faults;
    uvmsim_fault_outcome *last;
};

static void access_on_fault(const uvmsim_fault_outcome *o, void *arg)
{
    struct access_faults *af = arg;
    if (af->faults)
        (*af->faults)++;
    if (af->last)
        *af->last = *o;
}

int uvmsim_access_mem(uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_access kind,
                      void *buf, size_t len, unsigned *faults, uvmsim_fault_outcome *last)
{
    if (faults)
        *faults = 0;
    if (last) {
        memset(last, 0, sizeof(*last));
        last->cls = UVMSIM_FAULT_ERROR;
    }
    if (p == NULL || buf == NULL || len == 0 || kind > UVMSIM_ACCESS_STORE)
        return UVMSIM_EINVAL;
    if (va + len < va)
        return UVMSIM_ERANGE;
    struct uvmsim_machine *m = p->m;
    int err = uvmsim_proc_switch(p);
    if (err)
        return err;
    struct access_faults af = {faults, last};
    uint8_t *bp = buf;
    while (len > 0) {
        size_t in_page = (size_t)(m->cfg.page_size - (va & m->page_mask));
        size_t n = len < in_page ? len : in_page;
        paddr_t pa;
        if (!uvmsim_pmap_fast_hit(p->pmap, va, kind, &pa) &&
            (err = uvmsim_cpu_translate_slow(p, va, kind, &pa, access_on_fault, &af)) != UVMSIM_OK)
            return err;
        if (kind == UVMSIM_ACCESS_STORE)
            err = uvmsim_phys_write(m, pa, bp, n);
        else
            err = uvmsim_phys_read(m, pa, bp, n);
        if (err)
            return err;   /* EROFS here would mean a writable device mapping: a bug */
        uvmsim_cpu_count(p, kind, n);
        va += n;
        bp += n;
        len -= n;
    }
    return UVMSIM_OK;
}
