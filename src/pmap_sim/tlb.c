/* uvmsim — the TLB model: a set-associative cache of translations tagged by (asid, vpn),
 * with LRU, FIFO or seeded-random replacement and the counters the pmap statistics
 * report.  Backends own the policy (which tag, when to flush); this file only models
 * the hardware structure.  Everything is deterministic for a given machine seed. */
#include <stdlib.h>
#include "pmap_impl.h"

struct tlb *uvmsim_tlb_create(struct uvmsim_machine *m, const uvmsim_tlb_config *cfg, const char *name)
{
    struct tlb *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->m = m;
    t->name = name;
    t->entries = cfg->entries;
    t->repl = cfg->repl;
    t->gen = 1;
    if (t->entries > 0) {
        t->ways = (cfg->ways == 0 || cfg->ways >= cfg->entries) ? cfg->entries : cfg->ways;
        /* A way count that does not divide the entries (refused by the machine config,
         * but the TLB may be built directly) rounds the set count down. */
        t->nsets = t->entries / t->ways;
        t->entries = t->nsets * t->ways;
        t->sets_pow2 = (t->nsets & (t->nsets - 1)) == 0;
        t->set_mask = t->sets_pow2 ? t->nsets - 1 : 0;
        t->e = calloc(t->entries, sizeof(*t->e));
        if (t->e == NULL) {
            free(t);
            return NULL;
        }
    }
    return t;
}

void uvmsim_tlb_destroy(struct tlb *t)
{
    if (t == NULL)
        return;
    free(t->e);
    free(t);
}

struct tlb_entry *uvmsim_tlb_lookup(struct tlb *t, uint32_t asid, vaddr_t vpn)
{
    struct tlb_entry *e = uvmsim_tlb_probe(t, asid, vpn);
    if (e == NULL) {
        t->st.misses++;
        return NULL;
    }
    uvmsim_tlb_count_hit(t, e);
    return e;
}

/* The way a fill goes to: the first invalid one, else the policy's victim. */
static struct tlb_entry *victim(struct tlb *t, struct tlb_entry *s)
{
    for (unsigned w = 0; w < t->ways; w++)
        if (!s[w].valid)
            return &s[w];
    if (t->repl == UVMSIM_TLB_RANDOM)
        return &s[uvmsim_rand(t->m) % t->ways];
    /* LRU stamps are last use, FIFO stamps are fill time: both evict the smallest.  FIFO
     * therefore behaves as a per-set round-robin pointer as long as nothing is
     * invalidated, and stays exact "oldest fill first" when something is. */
    struct tlb_entry *v = &s[0];
    for (unsigned w = 1; w < t->ways; w++)
        if (s[w].stamp < v->stamp)
            v = &s[w];
    return v;
}

void uvmsim_tlb_insert(struct tlb *t, uint32_t asid, vaddr_t vpn, paddr_t pa, vm_prot_t prot, unsigned domain)
{
    if (t->entries == 0)
        return;
    struct tlb_entry *e = uvmsim_tlb_probe(t, asid, vpn);
    if (e == NULL) {
        e = victim(t, uvmsim_tlb_set(t, vpn));
        if (e->valid)
            t->st.evictions++;
    }
    t->gen++;
    e->valid = true;
    e->asid = asid;
    e->vpn = vpn;
    e->pfn_pa = pa;
    e->prot = prot;
    e->domain = domain;
    e->stamp = ++t->clock;
    t->st.fills++;
}

void uvmsim_tlb_invalidate(struct tlb *t, uint32_t asid, vaddr_t vpn)
{
    if (t->entries == 0)
        return;
    t->st.single_invalidations++;
    struct tlb_entry *e = uvmsim_tlb_probe(t, asid, vpn);
    if (e != NULL) {
        t->gen++;
        e->valid = false;
        t->st.entries_flushed++;
    }
    if (uvmsim_tracing(t->m)) {
        uvmsim_event ev = {.type = UVMSIM_EV_TLB_INVAL, .va = vpn << t->m->page_shift,
                           .pa = e ? e->pfn_pa : 0, .step = t->name, .a = asid, .b = e != NULL};
        uvmsim_emit(t->m, &ev);
    }
}

/* Invalidate the valid entries selected by what (0: all, 1: asid == key, 2: domain ==
 * key); returns how many were dropped. */
static uint64_t drop(struct tlb *t, int what, uint32_t key)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < t->entries; i++) {
        struct tlb_entry *e = &t->e[i];
        if (!e->valid)
            continue;
        if ((what == 1 && e->asid != key) || (what == 2 && e->domain != key))
            continue;
        e->valid = false;
        n++;
    }
    t->gen++;
    t->st.entries_flushed += n;
    return n;
}

static void flush_event(struct tlb *t, const char *why, uint64_t n, uint64_t key)
{
    if (uvmsim_tracing(t->m)) {
        uvmsim_event ev = {.type = UVMSIM_EV_TLB_FLUSH, .step = t->name, .text = why,
                           .a = n, .b = key};
        uvmsim_emit(t->m, &ev);
    }
}

void uvmsim_tlb_flush_all(struct tlb *t, const char *why)
{
    if (t->entries == 0)
        return;
    t->st.full_flushes++;
    flush_event(t, why, drop(t, 0, 0), 0);
}

void uvmsim_tlb_flush_asid(struct tlb *t, uint32_t asid, const char *why)
{
    if (t->entries == 0)
        return;
    t->st.asid_flushes++;
    flush_event(t, why, drop(t, 1, asid), asid);
}

void uvmsim_tlb_flush_domain(struct tlb *t, unsigned domain, const char *why)
{
    if (t->entries == 0)
        return;
    t->st.asid_flushes++;
    flush_event(t, why, drop(t, 2, domain), domain);
}

void uvmsim_tlb_foreach(struct tlb *t, void (*fn)(const struct tlb_entry *e, void *arg), void *arg)
{
    for (unsigned i = 0; i < t->entries; i++)
        if (t->e[i].valid)
            fn(&t->e[i], arg);
}

const uvmsim_tlb_stats *uvmsim_tlb_stats_of(struct tlb *t)
{
    t->st.lookups = t->st.hits + t->st.misses;
    return &t->st;
}

void uvmsim_tlb_count_walk(struct tlb *t)
{
    t->st.walks++;
}

unsigned uvmsim_tlb_valid_count(const struct tlb *t)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->entries; i++)
        n += t->e[i].valid;
    return n;
}
