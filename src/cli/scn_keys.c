/* Scenario library: the counters an `expect KEY [OP] VALUE` line can name — numbers of
 * the step's last fault (pages, copied, io ...), and machine counters under a prefix:
 * ram.*, vm.*, pmap.*, tlb.* (I + D summed), itlb.*, dtlb.*, flash.* (all devices),
 * fs.*, and NAME.* for one process's VM counters. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "scn_internal.h"

struct field {
    const char *name;
    size_t off;               /* of a uint64_t in the source's stats struct */
};

#define F(s, f) {#f, offsetof(s, f)}
static const struct field ram_fields[] = {
    F(uvmsim_ram_stats, total_pages), F(uvmsim_ram_stats, free_pages), F(uvmsim_ram_stats, used_pages),
    F(uvmsim_ram_stats, high_water), F(uvmsim_ram_stats, allocs), F(uvmsim_ram_stats, frees),
    F(uvmsim_ram_stats, alloc_failures), F(uvmsim_ram_stats, anon_pages), F(uvmsim_ram_stats, object_pages),
    F(uvmsim_ram_stats, ptp_pages), F(uvmsim_ram_stats, zero_pages), F(uvmsim_ram_stats, other_pages),
    {NULL, 0}};

#define FC(c) {"faults." c, offsetof(uvmsim_vm_stats, faults)}
static const struct field vm_fields[] = {
    {"faults", offsetof(uvmsim_vm_stats, faults_total)},
    /* faults.<class>: offset completed with the class index in key_value() */
    FC("upper-direct"), FC("upper-promote"), FC("lower-direct"), FC("lower-promote"),
    FC("zero-fill"), FC("error"),
    F(uvmsim_vm_stats, neighbours_mapped), F(uvmsim_vm_stats, bytes_copied),
    F(uvmsim_vm_stats, anons_live), F(uvmsim_vm_stats, anons_high), F(uvmsim_vm_stats, amaps_live),
    F(uvmsim_vm_stats, amap_copies), F(uvmsim_vm_stats, objects_live), F(uvmsim_vm_stats, io_requests),
    F(uvmsim_vm_stats, io_bytes), F(uvmsim_vm_stats, forks), F(uvmsim_vm_stats, exits),
    F(uvmsim_vm_stats, procs_live), F(uvmsim_vm_stats, accesses), F(uvmsim_vm_stats, bytes_loaded),
    F(uvmsim_vm_stats, bytes_stored), F(uvmsim_vm_stats, bytes_fetched),
    F(uvmsim_vm_stats, pager_gets), F(uvmsim_vm_stats, pager_lgets), F(uvmsim_vm_stats, wired_pages),
    {NULL, 0}};
#define VM_FAULT_CLASS_FIRST 1   /* index of "faults.upper-direct" in vm_fields */

static const struct field pmap_fields[] = {
    F(uvmsim_pmap_stats, enters), F(uvmsim_pmap_stats, removes), F(uvmsim_pmap_stats, protects),
    F(uvmsim_pmap_stats, page_protects), F(uvmsim_pmap_stats, extracts), F(uvmsim_pmap_stats, activations),
    F(uvmsim_pmap_stats, switch_cost), F(uvmsim_pmap_stats, ptp_pages), F(uvmsim_pmap_stats, pv_entries),
    F(uvmsim_pmap_stats, pv_entries_device), F(uvmsim_pmap_stats, pv_hash_buckets),
    F(uvmsim_pmap_stats, pv_hash_max_chain), F(uvmsim_pmap_stats, pv_hash_lookups),
    F(uvmsim_pmap_stats, pv_hash_steps), F(uvmsim_pmap_stats, mmu_faults),
    F(uvmsim_pmap_stats, cache_cleans), F(uvmsim_pmap_stats, cache_flushes),
    F(uvmsim_pmap_stats, tlb_flushes), F(uvmsim_pmap_stats, cpd_loads), F(uvmsim_pmap_stats, cpd_collisions),
    F(uvmsim_pmap_stats, domain_faults), F(uvmsim_pmap_stats, domain_recycles_clean),
    F(uvmsim_pmap_stats, domain_recycles_dirty), F(uvmsim_pmap_stats, pid_relocations),
    F(uvmsim_pmap_stats, pid_slot_shared), F(uvmsim_pmap_stats, asid_rollovers),
    F(uvmsim_pmap_stats, ttb_writes), F(uvmsim_pmap_stats, dacr_writes), F(uvmsim_pmap_stats, pid_writes),
    F(uvmsim_pmap_stats, shared_domain_hits), F(uvmsim_pmap_stats, shared_domain_fills),
    F(uvmsim_pmap_stats, share_groups_made), F(uvmsim_pmap_stats, share_joins), F(uvmsim_pmap_stats, share_leaves),
    F(uvmsim_pmap_stats, share_updates), F(uvmsim_pmap_stats, share_fallbacks), F(uvmsim_pmap_stats, shared_regions),
    F(uvmsim_pmap_stats, placements),
    {NULL, 0}};

static const struct field tlb_fields[] = {
    F(uvmsim_tlb_stats, lookups), F(uvmsim_tlb_stats, hits), F(uvmsim_tlb_stats, misses),
    F(uvmsim_tlb_stats, walks), F(uvmsim_tlb_stats, fills), F(uvmsim_tlb_stats, evictions),
    F(uvmsim_tlb_stats, full_flushes), F(uvmsim_tlb_stats, asid_flushes),
    F(uvmsim_tlb_stats, single_invalidations), F(uvmsim_tlb_stats, entries_flushed),
    {NULL, 0}};

static const struct field flash_fields[] = {
    F(uvmsim_flashdev_stats, read_requests), F(uvmsim_flashdev_stats, read_blocks),
    F(uvmsim_flashdev_stats, read_bytes), F(uvmsim_flashdev_stats, failed_requests),
    {NULL, 0}};

static const struct field fs_fields[] = {
    F(uvmsim_fs_stats, bcache_hits), F(uvmsim_fs_stats, bcache_misses), F(uvmsim_fs_stats, block_reads),
    F(uvmsim_fs_stats, vnodes_live),
    {NULL, 0}};
#undef F
#undef FC

/* Step-local numbers: of the step, or of its last fault. */
enum { ST_FAULTS, ST_PAGES, ST_DATA_PAGES, ST_COPIED, ST_IO, ST_IO_BYTES, ST_NEIGHBOURS, ST_ANON_REFS, ST_AMAP_REFS, ST_N };
static const char *const step_fields[ST_N] = {
    "faults", "pages", "data_pages", "copied", "io", "io_bytes", "neighbours", "anon_refs", "amap_refs"};

static const struct {
    const char *prefix;
    scn_src src;
    const struct field *fields;
} sources[] = {
    {"ram", SRC_RAM, ram_fields}, {"vm", SRC_VM, vm_fields}, {"pmap", SRC_PMAP, pmap_fields},
    {"tlb", SRC_TLB, tlb_fields}, {"itlb", SRC_ITLB, tlb_fields}, {"dtlb", SRC_DTLB, tlb_fields},
    {"flash", SRC_FLASH, flash_fields}, {"fs", SRC_FS, fs_fields},
};
#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

static int field_find(const struct field *t, const char *name)
{
    for (int i = 0; t[i].name; i++)
        if (strcmp(t[i].name, name) == 0)
            return i;
    return -1;
}

bool uvmsim_scn_key_parse(const char *key, int (*proc_slot)(void *arg, const char *name), void *arg,
                          struct scn_key *out)
{
    memset(out, 0, sizeof(*out));
    out->proc = -1;
    const char *dot = strchr(key, '.');
    if (dot == NULL) {
        for (int i = 0; i < ST_N; i++)
            if (strcmp(step_fields[i], key) == 0) {
                out->src = SRC_STEP;
                out->field = i;
                return true;
            }
        return false;
    }
    size_t plen = (size_t)(dot - key);
    for (size_t i = 0; i < NSOURCES; i++) {
        if (strlen(sources[i].prefix) == plen && strncmp(sources[i].prefix, key, plen) == 0) {
            out->src = sources[i].src;
            out->field = field_find(sources[i].fields, dot + 1);
            return out->field >= 0;
        }
    }
    /* NAME.<vm field>: one process's counters */
    char name[64];
    if (plen == 0 || plen >= sizeof(name) || proc_slot == NULL)
        return false;
    memcpy(name, key, plen);
    name[plen] = '\0';
    int slot = proc_slot(arg, name);
    if (slot < 0)
        return false;
    out->src = SRC_PROC;
    out->proc = slot;
    out->field = field_find(vm_fields, dot + 1);
    return out->field >= 0;
}

void uvmsim_scn_key_list(struct sbuf *b)
{
    for (int i = 0; i < ST_N; i++)
        uvmsim_sb_printf(b, "%s%s", i ? ", " : "", step_fields[i]);
    for (size_t i = 0; i < NSOURCES; i++)
        uvmsim_sb_printf(b, ", %s.{%s, ...}", sources[i].prefix, sources[i].fields[0].name);
    uvmsim_sb_printf(b, ", NAME.{faults, ...} (a process's vm counters)");
}

static uint64_t get_u64(const void *base, size_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)base + off, sizeof(v));
    return v;
}

static uint64_t vm_value(const uvmsim_vm_stats *st, int field)
{
    size_t off = vm_fields[field].off;
    if (field >= VM_FAULT_CLASS_FIRST && field < VM_FAULT_CLASS_FIRST + UVMSIM_FAULT_NCLASSES)
        off += (size_t)(field - VM_FAULT_CLASS_FIRST) * sizeof(uint64_t);
    return get_u64(st, off);
}

bool uvmsim_scn_key_value(struct scn_runtime *rt, const struct scn_key *k, const struct scn_result *res,
                          uint64_t *out)
{
    uvmsim_machine *m = rt->m;
    switch (k->src) {
    case SRC_STEP: {
        const uvmsim_fault_outcome *o = &res->last;
        if (k->field == ST_FAULTS) {
            *out = res->nfaults;
            return true;
        }
        if (!res->have_fault)
            return false;
        switch (k->field) {
        case ST_PAGES: *out = o->pages_allocated; break;
        case ST_DATA_PAGES:
            /* the last fault's pages less the page-table pages the step added */
            *out = o->pages_allocated > res->ptp_growth ? o->pages_allocated - res->ptp_growth : 0;
            break;
        case ST_COPIED: *out = o->bytes_copied; break;
        case ST_IO: *out = o->io_requests; break;
        case ST_IO_BYTES: *out = o->io_bytes; break;
        case ST_NEIGHBOURS: *out = o->neighbours_mapped; break;
        case ST_ANON_REFS: *out = o->anon_refs; break;
        default: *out = o->amap_refs; break;
        }
        return true;
    }
    case SRC_RAM: {
        uvmsim_ram_stats st;
        uvmsim_ram_stats_get(m, &st);
        *out = get_u64(&st, ram_fields[k->field].off);
        return true;
    }
    case SRC_VM: {
        uvmsim_vm_stats st;
        uvmsim_vm_stats_get(m, &st);
        *out = vm_value(&st, k->field);
        return true;
    }
    case SRC_PROC: {
        if (rt->procs[k->proc] == NULL)
            return false;
        uvmsim_vm_stats st;
        uvmsim_proc_stats_get(rt->procs[k->proc], &st);
        *out = vm_value(&st, k->field);
        return true;
    }
    case SRC_PMAP: case SRC_TLB: case SRC_ITLB: case SRC_DTLB: {
        uvmsim_pmap_stats st;
        uvmsim_pmap_stats_get(m, &st);
        if (k->src == SRC_PMAP)
            *out = get_u64(&st, pmap_fields[k->field].off);
        else if (k->src == SRC_ITLB)
            *out = get_u64(&st.itlb, tlb_fields[k->field].off);
        else if (k->src == SRC_DTLB)
            *out = get_u64(&st.dtlb, tlb_fields[k->field].off);
        else
            *out = get_u64(&st.itlb, tlb_fields[k->field].off) + get_u64(&st.dtlb, tlb_fields[k->field].off);
        return true;
    }
    case SRC_FLASH: {
        uint64_t sum = 0;
        for (unsigned i = 0; i < rt->ndevs; i++) {
            if (rt->devs[i] == NULL)
                continue;
            uvmsim_flashdev_stats st;
            uvmsim_flashdev_stats_get(rt->devs[i], &st);
            sum += get_u64(&st, flash_fields[k->field].off);
        }
        *out = sum;
        return true;
    }
    case SRC_FS: {
        uvmsim_fs_stats st;
        uvmsim_fs_stats_get(m, &st);
        *out = get_u64(&st, fs_fields[k->field].off);
        return true;
    }
    }
    return false;
}
