/* uvmsim — the machine core: configuration defaults and validation, the parts of a
 * machine the core owns (RAM segment, zero page, page geometry, random source), the event
 * sink.  uvmsim_machine_create/destroy live in the vm layer (src/vm/uvm_machine.c),
 * which is the one place allowed to call every subsystem. */
#include <stdarg.h>
#include <stdio.h>
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

/* The core's rules for a configuration; every refusal says which rule in why. */
int uvmsim_machine_config_check(const uvmsim_machine_config *c, char *why, size_t whylen)
{
#define REFUSE(err, ...) do { if (why && whylen) snprintf(why, whylen, __VA_ARGS__); return (err); } while (0)
    if (!is_pow2(c->page_size) || c->page_size < 512 || c->page_size > (1u << 20))
        REFUSE(UVMSIM_EINVAL, "page size %zu: must be a power of two from 512 bytes to 1 MiB", c->page_size);
    uint64_t mask = c->page_size - 1;
    if (c->ram_size == 0)
        REFUSE(UVMSIM_EINVAL, "RAM size 0: a machine needs RAM");
    if ((c->ram_base & mask) || (c->ram_size & mask))
        REFUSE(UVMSIM_EALIGN, "RAM base 0x%llx and size %llu must be multiples of the page size %zu",
               (unsigned long long)c->ram_base, (unsigned long long)c->ram_size, c->page_size);
    if ((c->nor_base & mask) || (c->nor_size & mask))
        REFUSE(UVMSIM_EALIGN, "NOR window base 0x%llx and size %llu must be multiples of the page size %zu",
               (unsigned long long)c->nor_base, (unsigned long long)c->nor_size, c->page_size);
    if (c->ram_base + c->ram_size < c->ram_base || c->nor_base + c->nor_size < c->nor_base)
        REFUSE(UVMSIM_ERANGE, "RAM or NOR window wraps past the end of the 64-bit physical address space");
    if (c->nor_size && c->ram_base < c->nor_base + c->nor_size && c->nor_base < c->ram_base + c->ram_size)
        REFUSE(UVMSIM_EOVERLAP, "RAM [0x%llx, 0x%llx) overlaps the NOR window [0x%llx, 0x%llx)",
               (unsigned long long)c->ram_base, (unsigned long long)(c->ram_base + c->ram_size),
               (unsigned long long)c->nor_base, (unsigned long long)(c->nor_base + c->nor_size));
    if (c->pv_hash_buckets == 0)
        REFUSE(UVMSIM_EINVAL, "the device PV hash needs at least one bucket");
    if (c->tlb.ways && c->tlb.entries && (c->tlb.entries % c->tlb.ways))
        REFUSE(UVMSIM_EINVAL, "TLB of %u entries cannot have %u ways: the ways must divide the entries",
               c->tlb.entries, c->tlb.ways);
    if (c->tlb.repl > UVMSIM_TLB_RANDOM)
        REFUSE(UVMSIM_EINVAL, "unknown TLB replacement policy %d (lru, fifo or random)", (int)c->tlb.repl);
#undef REFUSE
    if (why && whylen)
        why[0] = '\0';
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

const char *uvmsim_version(void)
{
    return UVMSIM_VERSION_STRING;
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

int uvmsim_machine_fail(struct uvmsim_machine *m, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why, sizeof(m->why), fmt, ap);
    va_end(ap);
    return err;
}

const char *uvmsim_last_error(const uvmsim_machine *m)
{
    return m ? m->why : "";
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
