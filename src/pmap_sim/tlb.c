/* uvmsim — the TLB model: a set-associative cache of translations tagged by (asid, vpn),
 * with LRU, FIFO or seeded-random replacement and the counters the pmap statistics
 * report.  An entry maps one page or a large page (2^lshift pages, docs/superpages.md).
 * Backends own the policy (which tag, when to flush); this file only models the hardware
 * structure.  Everything is deterministic for a given machine seed. */
#include <stdio.h>
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

struct tlb_entry *uvmsim_tlb_probe_large(const struct tlb *t, uint32_t asid, vaddr_t vpn)
{
    for (uint64_t ks = t->large_shifts; ks != 0; ks &= ks - 1) {
        unsigned k = (unsigned)__builtin_ctzll(ks);
        vaddr_t base = vpn & ~(((vaddr_t)1 << k) - 1);
        struct tlb_entry *s = uvmsim_tlb_set(t, base >> k);
        for (unsigned w = 0; w < t->ways; w++)
            if (s[w].vpn == base && s[w].lshift == k && s[w].valid && s[w].asid == asid)
                return &s[w];
    }
    return NULL;
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

/* The entry tagged exactly (asid, vpn, lshift), for a refill in place. */
static struct tlb_entry *probe_exact(const struct tlb *t, uint32_t asid, vaddr_t vpn, unsigned lshift)
{
    struct tlb_entry *s = uvmsim_tlb_set(t, vpn >> lshift);
    for (unsigned w = 0; w < t->ways; w++)
        if (s[w].vpn == vpn && s[w].lshift == lshift && s[w].valid && s[w].asid == asid)
            return &s[w];
    return NULL;
}

/* An entry stops being valid (invalidation, flush, replacement). */
static void entry_gone(struct tlb *t, struct tlb_entry *e)
{
    e->valid = false;
    t->nlarge -= e->lshift != 0;
}

void uvmsim_tlb_insert_sized(struct tlb *t, uint32_t asid, vaddr_t vpn, unsigned lshift, paddr_t pa,
                             vm_prot_t prot, unsigned domain)
{
    if (t->entries == 0)
        return;
    struct tlb_entry *e = probe_exact(t, asid, vpn, lshift);
    if (e == NULL) {
        e = victim(t, uvmsim_tlb_set(t, vpn >> lshift));
        if (e->valid) {
            t->st.evictions++;
            entry_gone(t, e);
        }
    } else {
        entry_gone(t, e);
    }
    t->gen++;
    t->last_fill = e;
    t->last_fill_gen = t->gen;
    e->valid = true;
    e->lshift = (uint8_t)lshift;
    e->asid = asid;
    e->vpn = vpn;
    e->off_mask = ((vaddr_t)1 << (t->m->page_shift + lshift)) - 1;
    e->pfn_pa = pa;
    e->prot = prot;
    e->domain = domain;
    e->stamp = ++t->clock;
    t->st.fills++;
    if (lshift != 0) {
        t->nlarge++;
        t->large_shifts |= 1ull << lshift;
        t->st.large_fills++;
    }
}

void uvmsim_tlb_insert(struct tlb *t, uint32_t asid, vaddr_t vpn, paddr_t pa, vm_prot_t prot, unsigned domain)
{
    uvmsim_tlb_insert_sized(t, asid, vpn, 0, pa, prot, domain);
}

void uvmsim_tlb_invalidate(struct tlb *t, uint32_t asid, vaddr_t vpn)
{
    if (t->entries == 0)
        return;
    t->st.single_invalidations++;
    /* By address, as the MMU's "invalidate entry by VA" does: whatever entry covers vpn,
     * a page or a large page, goes (and any other, should a bug have made two). */
    struct tlb_entry *e, *first = NULL;
    while ((e = uvmsim_tlb_probe(t, asid, vpn)) != NULL) {
        if (first == NULL)
            first = e;
        t->gen++;
        entry_gone(t, e);
        t->st.entries_flushed++;
    }
    if (uvmsim_tracing(t->m)) {
        uvmsim_event ev = {.type = UVMSIM_EV_TLB_INVAL, .va = vpn << t->m->page_shift,
                           .pa = first ? first->pfn_pa : 0, .step = t->name, .a = asid, .b = first != NULL};
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
        entry_gone(t, e);
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
    t->st.large_entries = t->nlarge;
    t->st.reach = 0;
    for (unsigned i = 0; i < t->entries; i++)
        if (t->e[i].valid)
            t->st.reach += (uint64_t)t->e[i].off_mask + 1;
    return &t->st;
}

static int tfail(char *msg, size_t len, const struct tlb *t, const struct tlb_entry *e, const char *why)
{
    if (msg != NULL && len > 0)
        snprintf(msg, len, "tlb: %s entry (asid %u, va %#llx, %llu pages): %s", t->name, (unsigned)e->asid,
                 (unsigned long long)(e->vpn << t->m->page_shift), 1ull << e->lshift, why);
    return UVMSIM_ESTATE;
}

int uvmsim_tlb_check(const struct tlb *t, char *msg, size_t msglen)
{
    unsigned nlarge = 0;
    for (unsigned i = 0; i < t->entries; i++) {
        const struct tlb_entry *e = &t->e[i];
        if (!e->valid)
            continue;
        vaddr_t npg = (vaddr_t)1 << e->lshift;
        if (e->lshift >= 32 || (e->vpn & (npg - 1)) != 0 || (e->pfn_pa & (((paddr_t)npg << t->m->page_shift) - 1)) != 0 ||
            e->off_mask != ((vaddr_t)npg << t->m->page_shift) - 1)
            return tfail(msg, msglen, t, e, "not aligned to its size, or its offset mask disagrees");
        if (e->lshift != 0 && !((t->large_shifts >> e->lshift) & 1))
            return tfail(msg, msglen, t, e, "a size the look-up never probes");
        if ((size_t)(uvmsim_tlb_set(t, e->vpn >> e->lshift) - t->e) != (size_t)(i / t->ways) * t->ways)
            return tfail(msg, msglen, t, e, "in the wrong set for its size");
        nlarge += e->lshift != 0;
        for (unsigned j = i + 1; j < t->entries; j++) {
            const struct tlb_entry *f = &t->e[j];
            if (f->valid && f->asid == e->asid && f->vpn < e->vpn + npg && e->vpn < f->vpn + ((vaddr_t)1 << f->lshift))
                return tfail(msg, msglen, t, e, "overlaps another valid entry with the same tag");
        }
    }
    if (nlarge != t->nlarge) {
        if (msg != NULL && msglen > 0)
            snprintf(msg, msglen, "tlb: %s holds %u large entries, its count says %u", t->name, nlarge, t->nlarge);
        return UVMSIM_ESTATE;
    }
    return UVMSIM_OK;
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
