/* uvmsim — the machine core: configuration defaults and validation, the parts of a
 * machine the core owns (RAM segment, zero page, page geometry, random source), the event
 * sink.  uvmsim_machine_create/destroy live in the vm layer (src/vm/uvm_machine.c),
 * which is the one place allowed to call every subsystem. */
#include <stdlib.h>
#include <string.h>
#include "machine_internal.h"

void uvmsim_machine_config_init(uvmsim_machine_config *cfg)
{
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof(*cfg));
    cfg->page_size = 4096;
    cfg->ram_base = 0;
    cfg->ram_size = 16u << 20;
    cfg->nor_base = 0x40000000u;
    cfg->nor_size = 64u << 20;
    cfg->pmap = "generic";
    cfg->tlb.entries = 64;
    cfg->tlb.ways = 4;
    cfg->tlb.repl = UVMSIM_TLB_LRU;
    cfg->tlb.split = false;
    cfg->pv_hash_buckets = 1024;
    cfg->seed = 1;
}

static bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

int uvmsim_machine_config_check(const uvmsim_machine_config *c)
{
    if (!is_pow2(c->page_size) || c->page_size < 512 || c->page_size > (1u << 20))
        return UVMSIM_EINVAL;
    uint64_t mask = c->page_size - 1;
    if (c->ram_size == 0)
        return UVMSIM_EINVAL;
    if ((c->ram_base & mask) || (c->ram_size & mask) || (c->nor_base & mask) || (c->nor_size & mask))
        return UVMSIM_EALIGN;
    if (c->ram_base + c->ram_size < c->ram_base || c->nor_base + c->nor_size < c->nor_base)
        return UVMSIM_ERANGE;
    if (c->nor_size && c->ram_base < c->nor_base + c->nor_size && c->nor_base < c->ram_base + c->ram_size)
        return UVMSIM_EOVERLAP;
    if (c->pv_hash_buckets == 0)
        return UVMSIM_EINVAL;
    if (c->tlb.ways && c->tlb.entries && (c->tlb.entries % c->tlb.ways))
        return UVMSIM_EINVAL;
    if (c->tlb.repl > UVMSIM_TLB_RANDOM)
        return UVMSIM_EINVAL;
    return UVMSIM_OK;
}

int uvmsim_machine_core_init(struct uvmsim_machine *m, const uvmsim_machine_config *cfg)
{
    m->cfg = *cfg;
    if (m->cfg.pmap == NULL)
        m->cfg.pmap = "generic";
    m->page_mask = cfg->page_size - 1;
    m->page_shift = 0;
    while (((size_t)1 << m->page_shift) < cfg->page_size)
        m->page_shift++;
    m->next_pid = 1;
    m->curpid = -1;
    m->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ull;

    int err = uvmsim_page_physload(m, cfg->ram_base, cfg->ram_base + cfg->ram_size);
    if (err)
        goto fail;
    m->zero_pg = uvmsim_pagealloc(m, PGO_ZERO, true);
    if (m->zero_pg == NULL) {
        err = UVMSIM_ENOMEM;
        goto fail;
    }
    m->zero_pa = uvmsim_vm_page_to_phys(m, m->zero_pg);
    return UVMSIM_OK;
fail:
    uvmsim_phys_fini(m);
    return err;
}

void uvmsim_machine_core_fini(struct uvmsim_machine *m)
{
    uvmsim_phys_fini(m);
}

size_t uvmsim_page_size(const uvmsim_machine *m)
{
    return m ? m->cfg.page_size : 0;
}

const uvmsim_machine_config *uvmsim_machine_config_get(const uvmsim_machine *m)
{
    return m ? &m->cfg : NULL;
}

void uvmsim_trace_set(uvmsim_machine *m, uvmsim_trace_fn fn, void *arg)
{
    if (m == NULL)
        return;
    m->trace_fn = fn;
    m->trace_arg = arg;
}

void uvmsim_emit(struct uvmsim_machine *m, uvmsim_event *ev)
{
    if (m->trace_fn == NULL)
        return;
    ev->seq = ++m->trace_seq;
    if (ev->pid == 0)
        ev->pid = m->curpid;
    m->trace_fn(ev, m->trace_arg);
}

const char *uvmsim_event_type_name(uvmsim_event_type t)
{
    static const char *const names[UVMSIM_EV_NTYPES] = {
        "fault", "fault-step", "tlb-miss", "walk", "tlb-flush", "tlb-inval",
        "cache", "io", "promote", "switch", "pmap",
    };
    return (unsigned)t < UVMSIM_EV_NTYPES ? names[t] : "unknown";
}

/* xorshift64*: deterministic for a given seed, private to the machine. */
uint64_t uvmsim_rand(struct uvmsim_machine *m)
{
    uint64_t x = m->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    m->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}
