/* uvmsim — the CPU model: an access goes through the MMU (TLB, walk), faults when the
 * mapping is absent or insufficient, retries, and then moves real bytes. */
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

/* A correct handler resolves any fault in one go; a second fault on the same page
 * means the handler entered less than the access needs, which is a simulator bug. */
#define ACCESS_MAX_FAULTS 2

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
    uint8_t *bp = buf;
    while (len > 0) {
        size_t in_page = (size_t)(m->cfg.page_size - (va & m->page_mask));
        size_t n = len < in_page ? len : in_page;
        paddr_t pa;
        unsigned nf = 0;
        for (;;) {
            err = uvmsim_pmap_translate(p->pmap, va, kind, &pa);
            if (err == UVMSIM_OK)
                break;
            if (nf == ACCESS_MAX_FAULTS)
                return UVMSIM_ESTATE;
            uvmsim_fault_outcome o;
            err = uvmsim_fault_internal(p, va, kind, &o);
            nf++;
            if (faults)
                (*faults)++;
            if (last)
                *last = o;
            if (err)
                return err;
        }
        if (kind == UVMSIM_ACCESS_STORE)
            err = uvmsim_phys_write(m, pa, bp, n);
        else
            err = uvmsim_phys_read(m, pa, bp, n);
        if (err)
            return err;   /* EROFS here would mean a writable device mapping: a bug */
        uvmsim_vm_stats *st[2] = {&m->vmstats, &p->st};
        for (int i = 0; i < 2; i++) {
            st[i]->accesses++;
            if (kind == UVMSIM_ACCESS_STORE)
                st[i]->bytes_stored += n;
            else if (kind == UVMSIM_ACCESS_LOAD)
                st[i]->bytes_loaded += n;
            else
                st[i]->bytes_fetched += n;
        }
        va += n;
        bp += n;
        len -= n;
    }
    return UVMSIM_OK;
}
