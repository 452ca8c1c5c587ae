/* uvmsim — the cycle cost model (include/uvmsim/cost.h): a table of cycles per counted
 * pmap event with StrongARM SA-1100 defaults, set by key, from KEY=VALUE text or a file,
 * and the pricing of a pmap statistics delta.  The defaults and their sources are
 * documented in docs/fass.md ("Switch cost in cycles"); the ones marked estimate there are
 * derived from the SA-1100's structure, not measured. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uvmsim/cost.h"

#define COST_MAX 1000000000ull      /* any single cost: at most 1e9 cycles */

/* Key table: name and offset of every entry, in the order of the struct. */
struct cost_key {
    const char *name;
    size_t off;
};
#define K(f) {#f, offsetof(uvmsim_cost_model, f)}
static const struct cost_key keys[] = {
    K(cpu_mhz), K(switch_base), K(ttb_write), K(dacr_write), K(pid_write), K(tlb_miss), K(tlb_flush),
    K(tlb_flush_asid), K(tlb_inval), K(cache_clean), K(cache_flush), K(refill_lines), K(line_fill),
    K(cache_line), K(cache_line_size), K(cpd_load), K(cpd_collision), K(domain_fault), K(domain_recycle),
    K(share_update),
};
#undef K
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS * sizeof(uint64_t) == sizeof(uvmsim_cost_model), "every field of the model has a key");

static const char *const key_names[NKEYS + 1] = {
    "cpu_mhz", "switch_base", "ttb_write", "dacr_write", "pid_write", "tlb_miss", "tlb_flush",
    "tlb_flush_asid", "tlb_inval", "cache_clean", "cache_flush", "refill_lines", "line_fill",
    "cache_line", "cache_line_size", "cpd_load", "cpd_collision", "domain_fault", "domain_recycle",
    "share_update", NULL,
};

void uvmsim_cost_defaults(uvmsim_cost_model *cm)
{
    if (cm == NULL)
        return;
    /* Sources (docs/fass.md): [M] SA-1100 Developer's Manual, [A] Wiggins & Heiser, ACAC
     * 2000; E = an estimate from the structure the manual describes. */
    cm->cpu_mhz = 200;            /* [A] "a high clock rate of 200MHz" */
    cm->switch_base = 200;        /* E: register save/restore and scheduler of a switch */
    cm->ttb_write = 2;            /* E: one MCR to CP15 register 2 [M 5.2] */
    cm->dacr_write = 2;           /* E: one MCR to CP15 register 3 [M 5.2] */
    cm->pid_write = 2;            /* E: one MCR to CP15 register 13 [M 5.2] */
    cm->tlb_miss = 45;            /* E: the hardware walk reads two descriptors from DRAM [M 7.1] */
    cm->tlb_flush = 2;            /* E: one MCR to CP15 register 8 per TLB [M 5.2] */
    cm->tlb_flush_asid = 2;       /* E: as tlb_flush (the SA-1100 has no ASID flush) */
    cm->tlb_inval = 2;            /* E: one MCR to CP15 register 8 [M 5.2] */
    cm->cache_clean = 6000;       /* E: 256 + 16 loads of the flush region, dirty lines written
                                     back [M 6.2.3] */
    cm->cache_flush = 2;          /* E: one MCR to CP15 register 7 invalidates I and D [M 5.2] */
    cm->refill_lines = 128;       /* E: lines the next time slice refetches */
    cm->line_fill = 40;           /* E: an 8-word line fill from DRAM [M 6.1, 6.2] */
    cm->cache_line = 6;           /* E: clean + invalidate of one D line, two MCRs [M 5.2] */
    cm->cache_line_size = 32;     /* [M 6.1, 6.2]: 32-byte lines, I and D */
    cm->cpd_load = 150;           /* E: abort entry and return, handler, CPD write */
    cm->cpd_collision = 50;       /* E: bookkeeping of the displaced entry */
    cm->domain_fault = 0;         /* E: decoding it is part of cpd_load's handler */
    cm->domain_recycle = 300;     /* E: victim choice, its CPD entries invalidated */
    cm->share_update = 20;        /* E: one shared-table descriptor written or cleared */
}

const char *const *uvmsim_cost_keys(void)
{
    return key_names;
}

static uint64_t *field(uvmsim_cost_model *cm, size_t k)
{
    return (uint64_t *)((char *)cm + keys[k].off);
}

static int find_key(const char *key)
{
    for (size_t k = 0; key != NULL && k < NKEYS; k++)
        if (strcmp(keys[k].name, key) == 0)
            return (int)k;
    return -1;
}

static int say(char *why, size_t whylen, const char *fmt, const char *a, unsigned long long v)
{
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, fmt, a, v);
    return UVMSIM_EINVAL;
}

int uvmsim_cost_set(uvmsim_cost_model *cm, const char *key, uint64_t value, char *why, size_t whylen)
{
    if (cm == NULL || key == NULL)
        return say(why, whylen, "%s%llu", "no model or no key", 0);
    int k = find_key(key);
    if (k < 0) {
        if (why != NULL && whylen > 0) {
            size_t n = (size_t)snprintf(why, whylen, "unknown cost key '%.40s' (keys:", key);
            for (size_t i = 0; i < NKEYS && n < whylen; i++)
                n += (size_t)snprintf(why + n, whylen - n, " %s", keys[i].name);
            if (n < whylen)
                snprintf(why + n, whylen - n, ")");
        }
        return UVMSIM_EINVAL;
    }
    if (strcmp(key, "cpu_mhz") == 0 && (value < 1 || value > 1000000))
        return say(why, whylen, "%s: %llu is out of range 1..1000000", key, (unsigned long long)value);
    if (strcmp(key, "cache_line_size") == 0 && (value < 4 || value > 4096 || (value & (value - 1))))
        return say(why, whylen, "%s: %llu is not a power of two in 4..4096", key, (unsigned long long)value);
    if (value > COST_MAX)
        return say(why, whylen, "%s: %llu is larger than 1000000000", key, (unsigned long long)value);
    *field(cm, (size_t)k) = value;
    return UVMSIM_OK;
}

int uvmsim_cost_get(const uvmsim_cost_model *cm, const char *key, uint64_t *value)
{
    int k = find_key(key);
    if (cm == NULL || value == NULL || k < 0)
        return UVMSIM_EINVAL;
    *value = *field((uvmsim_cost_model *)cm, (size_t)k);
    return UVMSIM_OK;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Parse one assignment from [s, e) (no newline inside). */
static int assign_span(uvmsim_cost_model *cm, const char *s, const char *e, char *why, size_t whylen)
{
    char key[48], num[32];
    while (s < e && is_blank(*s))
        s++;
    while (e > s && is_blank(e[-1]))
        e--;
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (eq == NULL)
        return say(why, whylen, "expected KEY=VALUE, got '%.60s'%.0llu", s, 0);
    const char *ke = eq;
    while (ke > s && is_blank(ke[-1]))
        ke--;
    const char *v = eq + 1;
    while (v < e && is_blank(*v))
        v++;
    size_t kl = (size_t)(ke - s), vl = (size_t)(e - v);
    if (kl == 0)
        return say(why, whylen, "missing key before '='%s%.0llu", "", 0);
    if (kl >= sizeof(key))
        return say(why, whylen, "key too long: '%.40s...'%.0llu", s, 0);
    memcpy(key, s, kl);
    key[kl] = '\0';
    if (vl == 0)
        return say(why, whylen, "%s: missing value after '='%.0llu", key, 0);
    if (vl >= sizeof(num))
        return say(why, whylen, "%s: value too long%.0llu", key, 0);
    memcpy(num, v, vl);
    num[vl] = '\0';
    for (size_t i = 0; i < vl; i++)
        if (num[i] < '0' || num[i] > '9') {
            if (why != NULL && whylen > 0)
                snprintf(why, whylen, "%s: '%s' is not a whole number of cycles", key, num);
            return UVMSIM_EINVAL;
        }
    errno = 0;
    unsigned long long val = strtoull(num, NULL, 10);
    if (errno != 0 || vl > 10)
        return say(why, whylen, "%s: value too large%.0llu", key, 0);
    return uvmsim_cost_set(cm, key, val, why, whylen);
}

int uvmsim_cost_assign(uvmsim_cost_model *cm, const char *text, char *why, size_t whylen)
{
    if (cm == NULL || text == NULL)
        return say(why, whylen, "%s%.0llu", "no model or no text", 0);
    if (strchr(text, '\n') != NULL)
        return say(why, whylen, "%s%.0llu", "one KEY=VALUE, no newline", 0);
    return assign_span(cm, text, text + strlen(text), why, whylen);
}

int uvmsim_cost_parse(uvmsim_cost_model *cm, const char *text, size_t len, const char *name, char *why,
                      size_t whylen)
{
    if (cm == NULL || (text == NULL && len > 0))
        return say(why, whylen, "%s%.0llu", "no model or no text", 0);
    uvmsim_cost_model work = *cm;
    const char *p = text, *end = text + len;
    unsigned line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line++;
        const char *s = p;
        while (s < e && is_blank(*s))
            s++;
        if (s < e && *s != '#') {
            if (memchr(s, '\0', (size_t)(e - s)) != NULL)
                return say(why, whylen, "%s:%llu: a NUL byte in the line", name ? name : "<costs>", line);
            char msg[200];
            if (assign_span(&work, s, e, msg, sizeof(msg)) != UVMSIM_OK) {
                if (why != NULL && whylen > 0)
                    snprintf(why, whylen, "%s:%u: %s", name ? name : "<costs>", line, msg);
                return UVMSIM_EINVAL;
            }
        }
        p = nl ? nl + 1 : end;
    }
    *cm = work;
    return UVMSIM_OK;
}

int uvmsim_cost_load(uvmsim_cost_model *cm, const char *path, char *why, size_t whylen)
{
    if (cm == NULL || path == NULL)
        return say(why, whylen, "%s%.0llu", "no model or no path", 0);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (why != NULL && whylen > 0)
            snprintf(why, whylen, "%s: cannot open: %s", path, strerror(errno));
        return UVMSIM_EIO;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int err = buf ? UVMSIM_OK : UVMSIM_ENOHOST;
    while (err == UVMSIM_OK) {
        if (n == cap) {
            if (cap >= (1u << 20)) {           /* a cost file is a few lines */
                err = say(why, whylen, "%s: larger than 1 MiB%.0llu", path, 0);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                err = UVMSIM_ENOHOST;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                if (why != NULL && whylen > 0)
                    snprintf(why, whylen, "%s: read error", path);
                err = UVMSIM_EIO;
            }
            break;
        }
    }
    fclose(f);
    if (err == UVMSIM_OK)
        err = uvmsim_cost_parse(cm, buf, n, path, why, whylen);
    else if (err == UVMSIM_ENOHOST && why != NULL && whylen > 0)
        snprintf(why, whylen, "%s: out of host memory", path);
    free(buf);
    return err;
}

/* ---- deltas and prices ---- */

static void tlb_delta(const uvmsim_tlb_stats *a, const uvmsim_tlb_stats *b, uvmsim_tlb_stats *d)
{
    const uint64_t *pa = (const uint64_t *)a, *pb = (const uint64_t *)b;
    uint64_t *pd = (uint64_t *)d;
    for (size_t i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
        pd[i] = pb[i] - pa[i];
}

void uvmsim_pmap_stats_delta(const uvmsim_pmap_stats *a, const uvmsim_pmap_stats *b, uvmsim_pmap_stats *d)
{
    if (a == NULL || b == NULL || d == NULL)
        return;
    uvmsim_pmap_stats r = *b;
    tlb_delta(&a->itlb, &b->itlb, &r.itlb);
    tlb_delta(&a->dtlb, &b->dtlb, &r.dtlb);
    /* Every counter is a uint64_t between dtlb and domain_policy, and after pid_policy. */
    size_t lo = offsetof(uvmsim_pmap_stats, dtlb) + sizeof(uvmsim_tlb_stats);
    size_t hi = offsetof(uvmsim_pmap_stats, domain_policy);
    for (size_t off = lo; off < hi; off += sizeof(uint64_t))
        *(uint64_t *)((char *)&r + off) = *(const uint64_t *)((const char *)b + off) -
                                          *(const uint64_t *)((const char *)a + off);
    for (size_t off = offsetof(uvmsim_pmap_stats, pid_policy) + sizeof(const char *); off < sizeof(r);
         off += sizeof(uint64_t))
        *(uint64_t *)((char *)&r + off) = *(const uint64_t *)((const char *)b + off) -
                                          *(const uint64_t *)((const char *)a + off);
    /* Levels, not counts: the value at b. */
    r.ptp_pages = b->ptp_pages;
    r.pv_entries = b->pv_entries;
    r.pv_entries_device = b->pv_entries_device;
    r.pv_hash_buckets = b->pv_hash_buckets;
    r.pv_hash_max_chain = b->pv_hash_max_chain;
    r.shared_regions = b->shared_regions;
    *d = r;
}

uint64_t uvmsim_cost_price(const uvmsim_cost_model *cm, const uvmsim_pmap_stats *d, uvmsim_cost_terms *terms)
{
    uvmsim_cost_terms t;
    memset(&t, 0, sizeof(t));
    if (cm != NULL && d != NULL) {
        const uvmsim_tlb_stats *i = &d->itlb, *D = &d->dtlb;
        uint64_t lines_per_page = cm->cache_line_size ? 4096 / cm->cache_line_size : 0;
        t.switch_base = cm->switch_base * d->activations;
        t.registers = cm->ttb_write * d->ttb_writes + cm->dacr_write * d->dacr_writes +
                      cm->pid_write * d->pid_writes;
        t.tlb_miss = cm->tlb_miss * (i->misses + D->misses);
        t.tlb_flush = cm->tlb_flush * (i->full_flushes + D->full_flushes) +
                      cm->tlb_flush_asid * (i->asid_flushes + D->asid_flushes) +
                      cm->tlb_inval * (i->single_invalidations + D->single_invalidations);
        t.cache = cm->cache_clean * d->cache_cleans +
                  (cm->cache_flush + cm->refill_lines * cm->line_fill) * d->cache_flushes +
                  cm->cache_line * lines_per_page * d->cache_page_ops;
        t.fass = cm->cpd_load * d->cpd_loads + cm->cpd_collision * d->cpd_collisions +
                 cm->domain_fault * d->domain_faults +
                 cm->domain_recycle * (d->domain_recycles_clean + d->domain_recycles_dirty) +
                 cm->share_update * d->share_updates;
        t.total = t.switch_base + t.registers + t.tlb_miss + t.tlb_flush + t.cache + t.fass;
    }
    if (terms != NULL)
        *terms = t;
    return t.total;
}
