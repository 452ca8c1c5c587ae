/* uvmsim — the trace replayer: Lackey records become CPU accesses of one process.
 *
 * The hot path is one record.  A line of one of Lackey's own shapes is decoded with a
 * few byte masks (rp_fast_line; the newlines of 64 bytes at a time, so lines do not wait
 * for each other); any other line goes to the careful parser (rp_lines_careful), which
 * decides every rule and writes every message.  A plain file may be decoded ahead by
 * other threads (replay_ahead.c), replayed here in file order (rp_run_ahead).  A record
 * within one page whose page was hit before in this batch (the replayer's memo of TLB
 * entries, valid until anything but a hit or a plain TLB miss happens: rp_memo_keep)
 * costs the hit's LRU stamp (from a clock the loop keeps in a local: struct rp_loop) and
 * one counter word (r->acc): the record, access, byte and TLB-hit counters are derived
 * from those words before anyone can look (rp_flush).  A record within one page that the
 * memo does not know takes the CPU model's inline hit batched the same way
 * (rp_record_probe) when it can.  Otherwise the record is split at page boundaries,
 * folded when the MMU is 32-bit, and each page goes through the inline TLB hit of the
 * CPU model (uvmsim_pmap_fast_entry), or else the slow path: a TLB miss, a fault, an
 * address no mapping covers (the auto-region policy), a fold into a new 1 MiB.
 * See include/uvmsim/replay.h for the interface and docs/replay.md for the rules. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "replay_internal.h"
#include "replay_lackey.h"
#include "../pmap_sim/pmap_impl.h"

/* Folding works at this granule: a 1 MiB of the 32-bit space belongs to one original
 * 1 MiB (the ARM section size, so a CPD entry never mixes two of them). */
#define FOLD_SHIFT 20
#define RP_NONE UINT64_MAX

/* Memo slots per access kind (a power of two), direct-mapped on the page number. */
#define RP_MEMO 64
/* r->acc: records counted in the top 24 bits, their bytes in the low 40.  Only records
 * of at most RP_FAST_SIZE bytes go there, and rp_flush runs at least every
 * RP_FLUSH_RECORDS of them, so neither field can overflow. */
#define RP_ACC_SHIFT 40
#define RP_ACC_ONE (1ull << RP_ACC_SHIFT)
#define RP_ACC_BYTES (RP_ACC_ONE - 1)
#define RP_FAST_SIZE 65536u
#define RP_FLUSH_RECORDS (1u << 16)

/* A repeated hit: an access of its kind to the page hit a TLB entry, whose LRU stamp a
 * hit again writes at *stamp (uvmsim_tlb_stamp_ptr).  key: the page's address | the
 * replayer's epoch (0: empty). */
struct rp_memo {
    uint64_t key;
    uint64_t *stamp;
};

/* One auto region: the union of adjacent auto mappings.  Sorted, disjoint, and never
 * adjacent to each other (adjacent ones are merged). */
struct rp_region {
    vaddr_t start, end;
};

/* A replayer (see replay.h).  Invariants: p is live and keeps the mappings the
 * regions name; owner != NULL <=> fold_limit != 0; err != OK => msg says why. */
struct uvmsim_replayer {
    struct uvmsim_proc *p;
    struct uvmsim_machine *m;
    struct pmap *pm;
    struct pmap_fast *fastd;       /* &pm->pmm->fast: the machine's, for the inline hit */
    uvmsim_replay_opts o;
    char *name;                    /* owned: the input's name in messages */
    uint64_t page_size, page_mask;
    int err;                       /* sticky failure */
    char msg[320];
    uvmsim_replay_stats st;        /* by kind, skipped, malformed and the rest; records,
                                      lines and accesses are derived */
    int64_t lines_adj;             /* lines = records + skipped + malformed + lines_adj
                                      (records and malformed given as values are no lines) */
    uint64_t acc0;                 /* p->st.accesses when opened */
    bool in_text;                  /* the current record came from text (line numbers) */
    /* The batch of repeated hits.  Invariant: a memo entry whose key carries the current
     * epoch names the TLB entry that an access of its kind to its page hits now, a
     * one-page entry of an address that is not folded, found by uvmsim_pmap_fast_entry
     * in this epoch; the epoch advances whenever anything but a hit may have happened
     * (every entry point, every slow path but a plain TLB miss, after which only the
     * entries naming the refilled TLB entry go: rp_memo_keep), which empties the memo.
     * acc[k] counts the records of kind k replayed by memo since the last rp_flush
     * (zero at every return to the caller and before every slow path). */
    bool fast;                     /* fast paths on (uvmsim_pmap_set_fast_path) */
    unsigned page_shift;
    uint64_t epoch;                /* 1 .. page_size - 1 */
    struct tlb *tlbk[3];           /* by uvmsim_access: the TLB it goes through */
    uint64_t acc[UVMSIM_REC_NKINDS];
    struct rp_memo memo[3][RP_MEMO];
    uint64_t sink;                 /* the stamps of memo hits a TLB does not stamp */
    uint64_t probe_missed;         /* memo key of the page whose TLB probe rp_record_probe
                                      just found empty, for the rp_access that follows (0:
                                      none): the inline hit would probe in vain again */
    /* auto regions */
    uint64_t gran;
    struct rp_region *reg;
    size_t nreg, capreg;
    /* folding (32-bit MMUs) */
    uint64_t fold_limit;           /* 0: none; else a power of two, addresses >= fold */
    uint64_t *owner;               /* [fold_limit >> FOLD_SHIFT]: original 1 MiB + 1, 0 free */
    uint64_t last_chunk;           /* original 1 MiB last checked (RP_NONE: none) */
    /* attached file */
    struct rp_file *f;
    bool line_limit;               /* lines of UVMSIM_REPLAY_MAX_LINE bytes are refused
                                      (text from a file; fed text has no such limit) */
    bool ahead_decided;            /* the first run chose between the two ways below */
    struct rp_ahead *ahead;        /* non-NULL: the file is decoded ahead by threads
                                      (replay_ahead.c) and replayed from its segments;
                                      NULL: read in windows and parsed here */
};

void uvmsim_replay_opts_init(uvmsim_replay_opts *o)
{
    if (o != NULL)
        memset(o, 0, sizeof(*o));
}

/* ---- failures ---- */

static uint64_t rp_records(const struct uvmsim_replayer *r)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < UVMSIM_REC_NKINDS; k++)
        n += r->st.by_kind[k];
    return n;
}

static uint64_t rp_line_count(const struct uvmsim_replayer *r)
{
    return (uint64_t)((int64_t)(rp_records(r) + r->st.skipped_lines + r->st.malformed) + r->lines_adj);
}

/* Add what the memo hits since the last flush did to the counters they would have
 * changed one by one: the records by kind, the process's accesses and bytes (an M is a
 * load and a store), the TLB hits by the TLB each access went through. */
static void rp_flush(struct uvmsim_replayer *r)
{
    uint64_t n[UVMSIM_REC_NKINDS], b[UVMSIM_REC_NKINDS], any = 0;
    for (unsigned k = 0; k < UVMSIM_REC_NKINDS; k++) {
        any |= r->acc[k];
        n[k] = r->acc[k] >> RP_ACC_SHIFT;
        b[k] = r->acc[k] & RP_ACC_BYTES;
        r->acc[k] = 0;
        r->st.by_kind[k] += n[k];
    }
    if (any == 0)
        return;
    uvmsim_cpu_count_n(r->p, UVMSIM_ACCESS_FETCH, n[UVMSIM_REC_I], b[UVMSIM_REC_I]);
    uvmsim_cpu_count_n(r->p, UVMSIM_ACCESS_LOAD, n[UVMSIM_REC_L] + n[UVMSIM_REC_M], b[UVMSIM_REC_L] + b[UVMSIM_REC_M]);
    uvmsim_cpu_count_n(r->p, UVMSIM_ACCESS_STORE, n[UVMSIM_REC_S] + n[UVMSIM_REC_M], b[UVMSIM_REC_S] + b[UVMSIM_REC_M]);
    uvmsim_tlb_add_hits(r->tlbk[UVMSIM_ACCESS_FETCH], n[UVMSIM_REC_I]);
    uvmsim_tlb_add_hits(r->tlbk[UVMSIM_ACCESS_LOAD], n[UVMSIM_REC_L] + n[UVMSIM_REC_M]);
    uvmsim_tlb_add_hits(r->tlbk[UVMSIM_ACCESS_STORE], n[UVMSIM_REC_S] + n[UVMSIM_REC_M]);
}

/* A new epoch: every memo entry is stale. */
static void rp_memo_forget(struct uvmsim_replayer *r)
{
    if (++r->epoch == r->page_size) {
        memset(r->memo, 0, sizeof(r->memo));
        r->epoch = 1;
    }
}

/* Record the failure err with a message; input errors name NAME:LINE. */
static int rp_fail(struct uvmsim_replayer *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int rp_fail(struct uvmsim_replayer *r, int err, const char *fmt, ...)
{
    size_t n = 0;
    rp_flush(r);
    if (r->in_text)
        n = (size_t)snprintf(r->msg, sizeof(r->msg), "%s:%llu: ", r->name, (unsigned long long)rp_line_count(r) + 1);
    else
        n = (size_t)snprintf(r->msg, sizeof(r->msg), "%s: record %llu: ", r->name,
                             (unsigned long long)(rp_records(r) + r->st.malformed + 1));
    if (n < sizeof(r->msg)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->msg + n, sizeof(r->msg) - n, fmt, ap);
        va_end(ap);
    }
    r->err = err;
    return err;
}

/* ---- the fold rule (32-bit MMUs) ---- */

/* The original 1 MiB `chunk` is about to be used: it must be the only one its folded
 * 1 MiB ever serves. */
static int rp_fold_check(struct uvmsim_replayer *r, uint64_t chunk, vaddr_t va)
{
    uint64_t nchunks = r->fold_limit >> FOLD_SHIFT;
    uint64_t fc = chunk & (nchunks - 1);
    if (r->owner[fc] == 0 && chunk != fc) {
        /* a folded address into a 1 MiB nobody claimed yet: it is native all the same if
         * the process maps something there (mapped after the replayer was opened) */
        struct vm_map *map = &r->p->map;
        vaddr_t lo = fc << FOLD_SHIFT, hi = (fc + 1) << FOLD_SHIFT;
        unsigned i = uvmsim_map_index(map, lo);
        if (i < map->nents && map->ents[i]->start < hi)
            r->owner[fc] = fc + 1;
    }
    if (r->owner[fc] == 0) {
        r->owner[fc] = chunk + 1;
    } else if (r->owner[fc] != chunk + 1) {
        uint64_t other = (r->owner[fc] - 1) << FOLD_SHIFT;
        return rp_fail(r, UVMSIM_EOVERLAP,
                       "address 0x%llx folds to 0x%llx, into the 1 MiB at 0x%llx that the addresses from 0x%llx "
                       "already use (a fold collision: the %d-bit MMU cannot hold both)",
                       (unsigned long long)va, (unsigned long long)(va & (r->fold_limit - 1)),
                       (unsigned long long)(fc << FOLD_SHIFT), (unsigned long long)other,
                       __builtin_ctzll(r->fold_limit));
    }
    r->last_chunk = chunk;
    return UVMSIM_OK;
}

static inline int rp_fold(struct uvmsim_replayer *r, vaddr_t *va)
{
    uint64_t chunk = *va >> FOLD_SHIFT;
    if (chunk != r->last_chunk) {
        int err = rp_fold_check(r, chunk, *va);
        if (err)
            return err;
    }
    if (*va >= r->fold_limit) {
        *va &= r->fold_limit - 1;
        r->st.folded++;
    }
    return UVMSIM_OK;
}

/* ---- auto regions ---- */

/* Index of the first region whose end is above va. */
static size_t rp_region_index(const struct uvmsim_replayer *r, vaddr_t va)
{
    size_t lo = 0, hi = r->nreg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->reg[mid].end <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool rp_in_region(const struct uvmsim_replayer *r, vaddr_t va)
{
    size_t i = rp_region_index(r, va);
    return i < r->nreg && r->reg[i].start <= va;
}

/* Account [lo, hi), just mapped: start a region, or grow the ones it touches into one
 * (a granule between two merges them; a hole the caller unmapped inside a region and
 * that is mapped again changes nothing). */
static int rp_region_add(struct uvmsim_replayer *r, vaddr_t lo, vaddr_t hi)
{
    size_t i = 0, lo_i = 0, hi_i = r->nreg;
    while (lo_i < hi_i) {                     /* first region with end >= lo */
        size_t mid = lo_i + (hi_i - lo_i) / 2;
        if (r->reg[mid].end < lo)
            lo_i = mid + 1;
        else
            hi_i = mid;
    }
    i = lo_i;
    size_t j = i;
    while (j < r->nreg && r->reg[j].start <= hi)
        j++;                                  /* [i, j): the regions [lo, hi) touches */
    if (j > i) {
        if (r->reg[i].start < lo)
            lo = r->reg[i].start;
        if (r->reg[j - 1].end > hi)
            hi = r->reg[j - 1].end;
        r->reg[i] = (struct rp_region){lo, hi};
        memmove(&r->reg[i + 1], &r->reg[j], (r->nreg - j) * sizeof(*r->reg));
        r->nreg -= j - i - 1;
        return UVMSIM_OK;
    }
    if (r->nreg == r->capreg) {
        size_t ncap = r->capreg ? 2 * r->capreg : 16;
        struct rp_region *n = realloc(r->reg, ncap * sizeof(*n));
        if (n == NULL)
            return UVMSIM_ENOHOST;
        r->reg = n;
        r->capreg = ncap;
    }
    memmove(&r->reg[i + 1], &r->reg[i], (r->nreg - i) * sizeof(*r->reg));
    r->reg[i] = (struct rp_region){lo, hi};
    r->nreg++;
    return UVMSIM_OK;
}

static const char *rp_access_name(uvmsim_access k)
{
    return k == UVMSIM_ACCESS_FETCH ? "fetch" : k == UVMSIM_ACCESS_LOAD ? "load" : "store";
}

/* No map entry covers va: map the aligned granule around it, clipped to the hole
 * between the neighbouring entries, as private anonymous rw- memory (rwx when a fetch
 * asks for it). */
static int rp_auto_map(struct uvmsim_replayer *r, vaddr_t va, uvmsim_access kind)
{
    struct vm_map *map = &r->p->map;
    if (va < map->min_va || va >= map->max_va)
        return rp_fail(r, UVMSIM_ERANGE, "%s at 0x%llx: outside the user address space [0x%llx, 0x%llx)",
                       rp_access_name(kind), (unsigned long long)va, (unsigned long long)map->min_va,
                       (unsigned long long)map->max_va);
    vaddr_t lo = va & ~(r->gran - 1), hi = lo + r->gran;
    if (hi < lo || hi > map->max_va)
        hi = map->max_va;
    unsigned i = uvmsim_map_index(map, va);
    vaddr_t prev_end = i > 0 ? map->ents[i - 1]->end : map->min_va;
    vaddr_t next_start = i < map->nents ? map->ents[i]->start : map->max_va;
    if (lo < prev_end)
        lo = prev_end;
    if (hi > next_start)
        hi = next_start;
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = lo;
    a.size = hi - lo;
    a.prot = UVMSIM_PROT_READ | UVMSIM_PROT_WRITE | (kind == UVMSIM_ACCESS_FETCH ? UVMSIM_PROT_EXEC : 0);
    a.flags = UVMSIM_MAP_PRIVATE | UVMSIM_MAP_FIXED;
    int err = uvmsim_map(r->p, &a, NULL);
    if (err == UVMSIM_OK)
        err = rp_region_add(r, lo, hi);
    if (err)
        return rp_fail(r, err, "%s at 0x%llx: mapping the auto region [0x%llx, 0x%llx): %s", rp_access_name(kind),
                       (unsigned long long)va, (unsigned long long)lo, (unsigned long long)hi, uvmsim_strerror(err));
    r->st.auto_maps++;
    r->st.auto_bytes += hi - lo;
    if (kind == UVMSIM_ACCESS_FETCH)
        r->st.auto_exec++;
    return UVMSIM_OK;
}

static void rp_on_fault(const uvmsim_fault_outcome *o, void *arg)
{
    struct uvmsim_replayer *r = arg;
    r->st.faults++;
    if (r->o.on_fault != NULL)
        r->o.on_fault(o, r->o.fault_arg);
}

/* Everything but an inline TLB hit: the auto-region policy first (before the MMU, so a
 * new region costs the faults its pages take, not an error fault), then the MMU through
 * the pmap and the fault handler. */
static int __attribute__((noinline)) rp_slow(struct uvmsim_replayer *r, vaddr_t va, uvmsim_access kind)
{
    struct vm_map_entry *e = uvmsim_map_lookup_entry(&r->p->map, va);
    int err;
    if (e == NULL) {
        if ((err = rp_auto_map(r, va, kind)) != UVMSIM_OK)
            return err;
    } else if (kind == UVMSIM_ACCESS_FETCH && !(e->prot & UVMSIM_PROT_EXEC) && rp_in_region(r, va)) {
        /* code run from the stack or heap (a trampoline, a JIT): that auto mapping — its
         * granule of the region, which the fault handler may have split into chunks —
         * executes; the entry alone if the caller has unmapped a part of it */
        const struct rp_region *rg = &r->reg[rp_region_index(r, va)];
        vaddr_t lo = va & ~(r->gran - 1), hi = lo + r->gran;
        if (lo < rg->start)
            lo = rg->start;
        if (hi < lo || hi > rg->end)
            hi = rg->end;
        if (uvmsim_protect(r->p, lo, hi - lo, UVMSIM_PROT_ALL) != UVMSIM_OK &&
            (err = uvmsim_protect(r->p, e->start, e->end - e->start, e->prot | UVMSIM_PROT_EXEC)) != UVMSIM_OK)
            return rp_fail(r, err, "fetch at 0x%llx: making the auto mapping executable: %s",
                           (unsigned long long)va, uvmsim_strerror(err));
        r->st.auto_exec++;
    }
    paddr_t pa;
    err = uvmsim_cpu_translate_slow(r->p, va, kind, &pa, rp_on_fault, r);
    if (err) {
        e = uvmsim_map_lookup_entry(&r->p->map, va);
        char prot[4] = "---";
        if (e != NULL) {
            prot[0] = (e->prot & UVMSIM_PROT_READ) ? 'r' : '-';
            prot[1] = (e->prot & UVMSIM_PROT_WRITE) ? 'w' : '-';
            prot[2] = (e->prot & UVMSIM_PROT_EXEC) ? 'x' : '-';
        }
        return rp_fail(r, err, "%s at 0x%llx%s%s%s: %s (%s)", rp_access_name(kind), (unsigned long long)va,
                       e ? " (in a " : "", e ? prot : "", e ? " mapping)" : "", uvmsim_strerror(err),
                       uvmsim_errname(err));
    }
    return UVMSIM_OK;
}

/* ---- the hot path ---- */

/* What a slow path may change that the memo depends on, taken before it: the TLBs'
 * generations (fetch's and load's: store's is load's) and the fast path's clears. */
struct rp_mark {
    uint64_t gen[2];
    uint64_t clears;
};

static void rp_mark(const struct uvmsim_replayer *r, struct rp_mark *mk)
{
    mk->gen[0] = r->tlbk[UVMSIM_ACCESS_FETCH]->gen;
    mk->gen[1] = r->tlbk[UVMSIM_ACCESS_LOAD]->gen;
    mk->clears = r->m->pmm->fast_clears;
}

/* After a slow path that succeeded: may the memo stay (true, its entries that name a
 * refilled TLB entry dropped), or must it be emptied (false)?  It may when the slow path
 * was a TLB miss and nothing else, the commonest slow path by far once the pages are in
 * (emptying the memo then costs every page of the working set an inline hit again):
 * - no pmap operation ran (the fast description was not cleared: no fault entered a
 *   page, nothing was removed or protected, no activate), so no mapping and no access
 *   decision changed, and the description is the one the memo's hits were checked by;
 * - the touch flags a memo hit does not set are set (ARM cache lines live, written);
 * - each TLB changed by one fill at most, and under LRU, where the memo's stamp pointer
 *   names the entry: every other entry still holds what it held, so every memo entry
 *   that does not name the filled one still names the entry its access hits now. */
static bool rp_memo_keep(struct uvmsim_replayer *r, const struct rp_mark *mk)
{
    const struct pmap_fast *f = r->fastd;
    if (r->m->pmm->fast_clears != mk->clears || f->pm != r->pm || !*f->touch || !*f->touch_store)
        return false;
    const uint64_t *gone[2] = {NULL, NULL};         /* stamps of the refilled entries */
    for (unsigned i = 0; i < 2; i++) {
        const struct tlb *t = r->tlbk[i == 0 ? UVMSIM_ACCESS_FETCH : UVMSIM_ACCESS_LOAD];
        if (i == 1 && t == r->tlbk[UVMSIM_ACCESS_FETCH])
            break;                                  /* one TLB for both */
        uint64_t d = t->gen - mk->gen[i];
        if (d == 0)
            continue;
        if (d != 1 || t->last_fill_gen != t->gen || t->repl != UVMSIM_TLB_LRU)
            return false;
        gone[i] = &t->last_fill->stamp;
    }
    /* only the memo of an access kind that goes through the refilled TLB can name it */
    for (unsigned k = 0; k < 3; k++) {
        const uint64_t *g = r->tlbk[k] == r->tlbk[UVMSIM_ACCESS_FETCH] ? gone[0] : gone[1];
        if (g == NULL)
            continue;
        struct rp_memo *mo = r->memo[k];
        for (unsigned i = 0; i < RP_MEMO; i++)
            if (mo[i].stamp == g)
                mo[i].key = 0;
    }
    return true;
}

/* One access of n bytes within one page, counted now.  An inline hit on a one-page
 * entry of an address that is not folded goes into the memo. */
static inline __attribute__((always_inline)) int rp_access(struct uvmsim_replayer *r, vaddr_t va, uvmsim_access kind, uint64_t n)
{
    vaddr_t va0 = va;
    if (r->fold_limit) {
        int err = rp_fold(r, &va);
        if (err)
            return err;
    }
    struct tlb_entry *e = NULL;
    if (r->probe_missed != ((va & ~r->page_mask) | r->epoch))
        e = uvmsim_pmap_fast_entry(r->fastd, r->pm, va, kind);
    r->probe_missed = 0;
    if (__builtin_expect(e != NULL, 1)) {
        if (va == va0 && e->lshift == 0) {
            struct rp_memo *mo = &r->memo[kind][(va >> r->page_shift) & (RP_MEMO - 1)];
            mo->key = (va & ~r->page_mask) | r->epoch;
            mo->stamp = uvmsim_tlb_stamp_ptr(r->tlbk[kind], e, &r->sink);
        }
    } else {
        struct rp_mark mk;
        rp_mark(r, &mk);
        rp_flush(r);
        int err = rp_slow(r, va, kind);
        if (err != UVMSIM_OK || !rp_memo_keep(r, &mk))
            rp_memo_forget(r);
        if (err)
            return err;
    }
    uvmsim_cpu_count(r->p, kind, n);
    return UVMSIM_OK;
}

/* [a, a + size) as accesses of kind, page by page. */
static int rp_range(struct uvmsim_replayer *r, vaddr_t a, uint64_t size, uvmsim_access kind)
{
    while (size > 0) {
        uint64_t n = r->page_size - (a & r->page_mask);
        if (n > size)
            n = size;
        int err = rp_access(r, a, kind, n);
        if (err)
            return err;
        a += n;
        size -= n;
    }
    return UVMSIM_OK;
}

static const uvmsim_access rec_access[UVMSIM_REC_NKINDS] = {
    UVMSIM_ACCESS_FETCH, UVMSIM_ACCESS_LOAD, UVMSIM_ACCESS_STORE, UVMSIM_ACCESS_LOAD};

/* One well-formed record (kind valid, 1 <= size <= max, no wrap). */
static inline __attribute__((always_inline)) int rp_record(struct uvmsim_replayer *r, unsigned kind, vaddr_t a, uint64_t size)
{
    int err;
    if (__builtin_expect((a & r->page_mask) + size <= r->page_size, 1)) {
        err = rp_access(r, a, rec_access[kind], size);
        if (err == UVMSIM_OK && kind == UVMSIM_REC_M)
            err = rp_access(r, a, UVMSIM_ACCESS_STORE, size);
    } else {
        r->st.split_records++;
        err = rp_range(r, a, size, rec_access[kind]);
        if (err == UVMSIM_OK && kind == UVMSIM_REC_M)
            err = rp_range(r, a, size, UVMSIM_ACCESS_STORE);
    }
    if (err == UVMSIM_OK)
        r->st.by_kind[kind]++;
    return err;
}

/* What the loop that replays memo hits keeps in locals, from rp_loop_begin to rp_loop_end,
 * between which nothing but memo hits and batched inline hits may happen (any other step
 * ends the loop's view first and begins it again after: through r the compiler would
 * reload every field after every stamp it stores):
 * - the clock those hits stamp with: one for both TLBs, at or above each one's (see
 *   uvmsim_tlb_stamp_ptr), handed back by rp_loop_end;
 * - the memo's page geometry and epoch;
 * - what the batched inline hit (rp_record_probe) reads of the CPU model's fast
 *   description and of the TLBs; none of it changes but in a pmap operation, a fill or
 *   an activate, none of which happens between begin and end. */
struct rp_loop {
    uint64_t clock;
    uint64_t page_mask, page_size, epoch;
    unsigned page_shift;
    uint64_t fold_limit, last_chunk;
    vaddr_t a_end, hole_lo, hole_len, reloc_end, reloc_add;
    bool fcse;                     /* a hole or a relocation to mind (else both empty) */
    unsigned shift;
    uint32_t asid, dacr;
    bool *touch, *touch_kind[3];   /* what a hit touches besides the TLB (as
                                      uvmsim_pmap_fast_entry sets them) */
    struct rp_loop_tlb {           /* by access kind: the TLB it goes through */
        struct tlb_entry *e;       /* its entries; NULL: no batched probe (the description
                                      is not the replayer's pmap's, no TLB, a set count
                                      that is not a power of two, large entries) */
        uint64_t set_mask;
        unsigned ways;
        bool lru;                  /* a hit stamps the entry (else r->sink) */
    } t[3];
};

static inline __attribute__((always_inline)) void rp_loop_begin(const struct uvmsim_replayer *r, struct rp_loop *L)
{
    uint64_t ci = uvmsim_tlb_clock(r->tlbk[UVMSIM_ACCESS_FETCH]), cd = uvmsim_tlb_clock(r->tlbk[UVMSIM_ACCESS_LOAD]);
    L->clock = ci > cd ? ci : cd;
    L->page_mask = r->page_mask;
    L->page_size = r->page_size;
    L->page_shift = r->page_shift;
    L->epoch = r->epoch;
    const struct pmap_fast *f = r->fastd;
    bool probe = f->pm == r->pm && r->fast;     /* the description is the replayer's pmap's */
    L->fold_limit = r->fold_limit;
    L->last_chunk = r->last_chunk;
    /* below the fast description's end, and not folded */
    L->a_end = r->fold_limit != 0 && r->fold_limit < f->va_end ? r->fold_limit : f->va_end;
    L->hole_lo = f->hole_lo;
    L->hole_len = f->hole_len;
    L->reloc_end = f->reloc_end;
    L->reloc_add = f->reloc_add;
    L->fcse = f->hole_len != 0 || f->reloc_end != 0;
    L->shift = f->shift;
    L->asid = f->asid;
    L->dacr = probe ? *f->dacr : 0;
    L->touch = f->touch;
    for (unsigned k = 0; k < 3; k++)
        L->touch_kind[k] = f->touch_kind[k];
    for (unsigned k = 0; k < 3; k++) {
        const struct tlb *t = r->tlbk[k];
        bool simple = probe && t->entries != 0 && t->sets_pow2 && t->nlarge == 0;
        L->t[k] = (struct rp_loop_tlb){simple ? t->e : NULL, t->set_mask, t->ways, t->repl == UVMSIM_TLB_LRU};
    }
}

static inline __attribute__((always_inline)) void rp_loop_end(struct uvmsim_replayer *r, const struct rp_loop *L)
{
    uvmsim_tlb_clock_sync(r->tlbk[UVMSIM_ACCESS_FETCH], L->clock);
    uvmsim_tlb_clock_sync(r->tlbk[UVMSIM_ACCESS_LOAD], L->clock);
}

/* A record within one page whose page the memo does not know for its kind: the CPU
 * model's inline hit as rp_access takes it, but batched like a memo hit (stamped from
 * L's clock, counted in r->acc), and put in the memo.  Taken when the page is not folded
 * and rp_fold would change nothing (its 1 MiB is the last one checked), the TLB is one
 * L describes, the entry found allows every access the record makes (an M: a load and a
 * store); then every counter, stamp and touch flag ends as rp_record would leave it (the
 * CPU model's own memo, a memo of the search only, is not filled).  False otherwise,
 * with nothing done.  key and slot: the record's page in the memo; ak: rec_access[kind]. */
static inline __attribute__((always_inline)) bool rp_record_probe(struct uvmsim_replayer *r, struct rp_loop *L,
                                                                  unsigned kind, uvmsim_access ak, vaddr_t a,
                                                                  uint64_t size, uint64_t key, size_t slot)
{
    const struct rp_loop_tlb *lt = &L->t[ak];
    if (lt->e == NULL || a >= L->a_end || (L->fold_limit != 0 && (a >> FOLD_SHIFT) != L->last_chunk))
        return false;
    vaddr_t vpn = a >> L->shift;
    if (__builtin_expect(L->fcse, 0)) {                /* the FASS own slot and relocation */
        if (a - L->hole_lo < L->hole_len)
            return false;
        vpn = (a < L->reloc_end ? a + L->reloc_add : a) >> L->shift;
    }
    struct tlb_entry *e = uvmsim_tlb_set_find(lt->e + (size_t)(vpn & lt->set_mask) * lt->ways, lt->ways, L->asid, vpn);
    if (e == NULL) {
        r->probe_missed = key;      /* nothing changes before rp_record's first rp_access */
        return false;
    }
    if (!uvmsim_pmap_fast_allows_dacr(L->dacr, e, ak) ||
        (kind == UVMSIM_REC_M && !uvmsim_pmap_fast_allows_dacr(L->dacr, e, UVMSIM_ACCESS_STORE)))
        return false;
    uint64_t *stamp = lt->lru ? &e->stamp : &r->sink;
    *L->touch = true;
    *L->touch_kind[ak] = true;
    *stamp = ++L->clock;
    r->memo[ak][slot] = (struct rp_memo){key, stamp};
    if (kind == UVMSIM_REC_M) {
        *L->touch_kind[UVMSIM_ACCESS_STORE] = true;
        *stamp = ++L->clock;
        r->memo[UVMSIM_ACCESS_STORE][slot] = (struct rp_memo){key, stamp};
    }
    r->acc[kind] += RP_ACC_ONE + size;
    return true;
}

/* A record of at most RP_FAST_SIZE bytes within one page: its hits stamped from L's
 * clock, the record counted in r->acc, true, when this batch's memo knows its page for
 * each access the record makes, or else the CPU model's inline hit takes it
 * (rp_record_probe).  False otherwise, with nothing done. */
static inline __attribute__((always_inline)) bool rp_record_fast(struct uvmsim_replayer *r, struct rp_loop *L,
                                                                 unsigned kind, vaddr_t a, uint64_t size)
{
    uint64_t off = a & L->page_mask;
    uint64_t key = (a - off) | L->epoch;
    size_t slot = (size_t)(a >> L->page_shift) & (RP_MEMO - 1);
    if (__builtin_expect(off + size > L->page_size, 0))
        return false;
    if (__builtin_expect(kind != UVMSIM_REC_M, 1)) {
        /* I, L, S: the record kind is the access kind */
        const struct rp_memo *mo = &r->memo[kind][slot];
        if (__builtin_expect(mo->key != key, 0))
            return rp_record_probe(r, L, kind, (uvmsim_access)kind, a, size, key, slot);
        *mo->stamp = ++L->clock;
    } else {
        const struct rp_memo *ml = &r->memo[UVMSIM_ACCESS_LOAD][slot], *ms = &r->memo[UVMSIM_ACCESS_STORE][slot];
        if (ml->key != key || ms->key != key)
            return rp_record_probe(r, L, kind, UVMSIM_ACCESS_LOAD, a, size, key, slot);
        *ml->stamp = ++L->clock;
        *ms->stamp = ++L->clock;
    }
    r->acc[kind] += RP_ACC_ONE + size;
    return true;
}

/* ---- the API: open, close, records ---- */

int uvmsim_replay_open(uvmsim_proc *p, const uvmsim_replay_opts *o, uvmsim_replayer **out)
{
    if (out != NULL)
        *out = NULL;
    if (p == NULL || out == NULL)
        return UVMSIM_EINVAL;
    struct uvmsim_machine *m = p->m;
    uvmsim_replay_opts defaults;
    uvmsim_replay_opts_init(&defaults);
    if (o == NULL)
        o = &defaults;
    uint64_t gran = o->region_size ? o->region_size : UVMSIM_REPLAY_REGION;
    if ((gran & (gran - 1)) != 0 || gran < m->cfg.page_size || gran > (1ull << 40))
        return UVMSIM_EINVAL;
    if (o->threads > UVMSIM_REPLAY_MAX_THREADS || o->decode_chunk > (1ull << 30))
        return UVMSIM_EINVAL;
    struct uvmsim_replayer *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return UVMSIM_ENOHOST;
    r->p = p;
    r->m = m;
    r->pm = p->pmap;
    r->fastd = &m->pmm->fast;
    r->o = *o;
    r->name = strdup(o->name ? o->name : "<trace>");
    r->page_size = m->cfg.page_size;
    r->page_mask = m->page_mask;
    r->page_shift = m->page_shift;
    r->epoch = 1;
    r->tlbk[UVMSIM_ACCESS_FETCH] = uvmsim_pmap_tlb_for(m->pmm, UVMSIM_ACCESS_FETCH);
    r->tlbk[UVMSIM_ACCESS_LOAD] = r->tlbk[UVMSIM_ACCESS_STORE] = m->pmm->dtlb;
    r->gran = gran;
    r->acc0 = p->st.accesses;
    r->last_chunk = RP_NONE;
    /* A 32-bit MMU: fold (docs/replay.md).  A wider one covers every address Valgrind
     * hands a program (below 2^47); beyond the map's top is an error. */
    vaddr_t va_end = m->pmm->va_end;
    if (va_end <= (1ull << 32)) {
        if ((va_end & (va_end - 1)) != 0 || va_end < (1ull << FOLD_SHIFT)) {
            free(r->name);
            free(r);
            return UVMSIM_ENOTSUP;
        }
        r->fold_limit = va_end;
        r->owner = calloc(va_end >> FOLD_SHIFT, sizeof(*r->owner));
    }
    if (r->name == NULL || (r->fold_limit && r->owner == NULL)) {
        free(r->owner);
        free(r->name);
        free(r);
        return UVMSIM_ENOHOST;
    }
    /* What the process maps now (the exec'd program, its stack) is native: a folded
     * address may not land there. */
    for (unsigned i = 0; r->fold_limit && i < p->map.nents; i++) {
        const struct vm_map_entry *e = p->map.ents[i];
        for (uint64_t c = e->start >> FOLD_SHIFT; c <= (e->end - 1) >> FOLD_SHIFT; c++)
            r->owner[c] = c + 1;
    }
    *out = r;
    return UVMSIM_OK;
}

void uvmsim_replay_close(uvmsim_replayer *r)
{
    if (r == NULL)
        return;
    uvmsim_rp_ahead_stop(r->ahead);
    uvmsim_rp_file_close(r->f);
    free(r->reg);
    free(r->owner);
    free(r->name);
    free(r);
}

uvmsim_proc *uvmsim_replay_proc(const uvmsim_replayer *r)
{
    return r ? r->p : NULL;
}

const char *uvmsim_replay_error(const uvmsim_replayer *r)
{
    return (r != NULL && r->err) ? r->msg : "";
}

void uvmsim_replay_fold_limit(const uvmsim_replayer *r, uint64_t *limit)
{
    if (limit != NULL)
        *limit = r ? r->fold_limit : 0;
}

void uvmsim_replay_stats_get(const uvmsim_replayer *r, uvmsim_replay_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    if (r == NULL)
        return;
    *out = r->st;
    out->records = rp_records(r);
    out->lines = rp_line_count(r);
    out->accesses = r->p->st.accesses - r->acc0;
    out->auto_regions = r->nreg;
}

/* Every entry point: a failed replayer stays failed; the process goes on the CPU. */
static int rp_enter(struct uvmsim_replayer *r)
{
    if (r->err)
        return r->err;
    r->fast = !r->m->pmm->fast_disabled;
    rp_memo_forget(r);
    int err = uvmsim_proc_switch(r->p);
    if (err)
        return rp_fail(r, err, "switching to pid %d: %s", r->p->pid, uvmsim_strerror(err));
    return UVMSIM_OK;
}

/* A record given by value: checked like a parsed one. */
static inline __attribute__((always_inline)) int rp_record_checked(struct uvmsim_replayer *r, unsigned kind, vaddr_t addr, uint64_t size)
{
    const char *why = NULL;
    if (kind >= UVMSIM_REC_NKINDS)
        why = "unknown record kind";
    else if (size == 0)
        why = "size 0";
    else if (size > UVMSIM_REPLAY_MAX_SIZE)
        why = "size larger than 1048576";
    else if (addr + (size - 1) < addr)
        why = "address + size wraps around";
    if (why != NULL) {
        if (r->o.lenient) {
            r->st.malformed++;
            return UVMSIM_OK;
        }
        return rp_fail(r, UVMSIM_EINVAL, "%s (kind %u, address 0x%llx, size %llu)", why, kind,
                       (unsigned long long)addr, (unsigned long long)size);
    }
    return rp_record(r, kind, addr, size);
}

/* The end of a call that took records as values: the counters complete, and what it
 * replayed or skipped as malformed since `before` (records + malformed) is no lines. */
static int rp_values_done(struct uvmsim_replayer *r, uint64_t before, int err)
{
    rp_flush(r);
    r->lines_adj -= (int64_t)(rp_records(r) + r->st.malformed - before);
    return err;
}

int uvmsim_replay_record(uvmsim_replayer *r, uvmsim_rec_kind kind, uvmsim_vaddr_t addr, uint64_t size)
{
    if (r == NULL)
        return UVMSIM_EINVAL;
    int err = rp_enter(r);
    if (err)
        return err;
    r->in_text = false;
    uint64_t before = rp_records(r) + r->st.malformed;
    return rp_values_done(r, before, rp_record_checked(r, (unsigned)kind, addr, size));
}

int uvmsim_replay_records(uvmsim_replayer *r, const uvmsim_replay_rec *recs, size_t n)
{
    if (r == NULL || (recs == NULL && n > 0))
        return UVMSIM_EINVAL;
    int err = rp_enter(r);
    if (err)
        return err;
    r->in_text = false;
    uint64_t before = rp_records(r) + r->st.malformed;
    struct rp_loop L;
    rp_loop_begin(r, &L);
    /* in blocks of RP_FLUSH_RECORDS, with a flush after each */
    for (size_t b = 0; b < n && err == UVMSIM_OK; b += RP_FLUSH_RECORDS) {
        size_t bn = n - b < RP_FLUSH_RECORDS ? n - b : RP_FLUSH_RECORDS;
        const uvmsim_replay_rec *rb = recs + b;
        for (size_t i = 0; i < bn; i++) {
            unsigned kind = (unsigned)rb[i].kind;
            uint64_t size = rb[i].size;
            /* size <= RP_FAST_SIZE and within one page: no wrap */
            if (!(kind < UVMSIM_REC_NKINDS && size - 1 < RP_FAST_SIZE && rp_record_fast(r, &L, kind, rb[i].addr, size))) {
                rp_loop_end(r, &L);
                err = rp_record_checked(r, kind, rb[i].addr, size);
                rp_loop_begin(r, &L);
                if (err != UVMSIM_OK)
                    break;
            }
        }
        rp_flush(r);
    }
    rp_loop_end(r, &L);
    return rp_values_done(r, before, err);
}

/* ---- Lackey text ---- */

/* hex digit value + 1; 0: not a hex digit */
static const uint8_t hexv[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9,
    ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};
/* record letter → kind + 1 */
static const uint8_t kindv[256] = {['I'] = 1, ['L'] = 2, ['S'] = 3, ['M'] = 4};

/* A character for a message: itself when printable, else \xNN. */
static const char *rp_char(unsigned char c, char buf[8])
{
    if (c >= 0x21 && c < 0x7f)
        snprintf(buf, 8, "%c", c);
    else
        snprintf(buf, 8, "\\x%02x", c);
    return buf;
}

/* A malformed record at the current line: fail, or (lenient) count it. */
static int rp_malformed(struct uvmsim_replayer *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rp_malformed(struct uvmsim_replayer *r, const char *fmt, ...)
{
    if (r->o.lenient) {
        r->st.malformed++;
        return UVMSIM_OK;
    }
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return rp_fail(r, UVMSIM_EINVAL, "malformed record: %s", what);
}

/* The careful parser: every rule of the grammar and every message.  Parse and replay
 * the lines of [p, stop): stop[-1] is '\n', so every scan below ends at a newline at the
 * latest.  Returns the error, *next the first line not consumed (lines are counted as
 * records, skipped or malformed: rp_line_count). */
static int rp_lines_careful(struct uvmsim_replayer *r, const unsigned char *p, const unsigned char *stop,
                            uint64_t *budget, const unsigned char **next)
{
    int err = UVMSIM_OK;
    uint64_t left = *budget;
    while (p < stop && left > 0) {
        const unsigned char *q = p;
        unsigned kind;
        if (r->line_limit && (size_t)((const unsigned char *)memchr(p, '\n', (size_t)(stop - p)) - p) >= UVMSIM_REPLAY_MAX_LINE) {
            err = rp_fail(r, UVMSIM_EINVAL, "line longer than %u bytes", UVMSIM_REPLAY_MAX_LINE);
            break;
        }
        /* Lackey's own forms first, decided without a branch on the letter: three
         * characters, the letter and two blanks ("I  ", " L ", " S ", " M ") */
        unsigned k = 0;
        if (stop - q >= 4) {            /* q[0..3] readable (a line may be shorter) */
            unsigned c0 = q[0], c1 = q[1];
            k = kindv[(c0 ^ c1 ^ ' ') & 0xffu];
            if (!((q[2] == ' ') & ((c0 == ' ') ^ (c1 == ' ')) & (k != 0)) || hexv[q[3]] == 0)
                k = 0;
        }
        if (k != 0) {
            kind = k - 1u;
            q += 3;
        } else {
            while (*q == ' ' || *q == '\t')
                q++;
            if (kindv[q[0]] != 0 && (q[1] == ' ' || q[1] == '\t')) {
                kind = kindv[q[0]] - 1u;
                q += 2;
            } else {
                /* not a record: Valgrind's ==PID== lines, blank lines, other text */
                p = (const unsigned char *)memchr(q, '\n', (size_t)(stop - q)) + 1;
                r->st.skipped_lines++;
                continue;
            }
            while (*q == ' ' || *q == '\t')
                q++;
        }
        uint64_t a = 0, size = 0;
        unsigned nd = 0;
        uint8_t h;
        char cb[8];
        if (stop - q > 8) {
            /* Lackey writes at least 8 digits: take 8 without a branch per digit */
            unsigned v0 = hexv[q[0]] - 1u, v1 = hexv[q[1]] - 1u, v2 = hexv[q[2]] - 1u, v3 = hexv[q[3]] - 1u;
            unsigned v4 = hexv[q[4]] - 1u, v5 = hexv[q[5]] - 1u, v6 = hexv[q[6]] - 1u, v7 = hexv[q[7]] - 1u;
            if ((v0 | v1 | v2 | v3 | v4 | v5 | v6 | v7) < 16u) {
                a = (uint64_t)(v0 << 28 | v1 << 24 | v2 << 20 | v3 << 16 | v4 << 12 | v5 << 8 | v6 << 4 | v7);
                q += 8;
                nd = 8;
            }
        }
        while ((h = hexv[*q]) != 0) {
            a = a << 4 | (uint64_t)(h - 1u);
            q++;
            nd++;
        }
        if (nd == 0 || nd > 16 || *q != ',') {
            if (nd > 16)
                err = rp_malformed(r, "address of %u hex digits (at most 16)", nd);
            else if (nd == 0 && (*q == ',' || *q == '\n' || *q == '\r'))
                err = rp_malformed(r, "missing address");
            else if (*q == '\n' || *q == '\r' || *q == ' ' || *q == '\t')
                err = rp_malformed(r, "missing size (expected ADDR,SIZE)");
            else
                err = rp_malformed(r, "bad hex digit '%s' in the address", rp_char(*q, cb));
            goto bad;
        }
        q++;
        nd = 0;
        while ((unsigned)(*q - '0') < 10u && nd < 8) {
            size = size * 10 + (uint64_t)(*q - '0');
            q++;
            nd++;
        }
        if (nd == 0) {
            err = rp_malformed(r, "missing size after the address");
            goto bad;
        }
        if ((unsigned)(*q - '0') < 10u || size > UVMSIM_REPLAY_MAX_SIZE) {
            err = rp_malformed(r, "size larger than %u", UVMSIM_REPLAY_MAX_SIZE);
            goto bad;
        }
        if (size == 0) {
            err = rp_malformed(r, "size 0");
            goto bad;
        }
        if (*q != '\n') {
            while (*q == ' ' || *q == '\t' || *q == '\r')
                q++;
            if (*q != '\n') {
                err = rp_malformed(r, "unexpected '%s' after the size", rp_char(*q, cb));
                goto bad;
            }
        }
        if (a + (size - 1) < a) {
            err = rp_malformed(r, "address 0x%llx + size %llu wraps around", (unsigned long long)a,
                               (unsigned long long)size);
            goto bad;
        }
        if ((err = rp_record(r, kind, a, size)) != UVMSIM_OK)
            break;
        p = q + 1;
        left--;
        continue;
    bad:
        if (err)
            break;
        p = (const unsigned char *)memchr(q, '\n', (size_t)(stop - q)) + 1;
    }
    *budget = left;
    *next = p;
    return err;
}

#if RP_FAST_PARSE
/* rp_flush at least every so many blocks: at most 10 records a block (a record line
 * has 7 bytes at least), so fewer than RP_FLUSH_RECORDS * 3 records in between. */
#define RP_FLUSH_BLOCKS 16384
#endif

/* Parse and replay the lines of [p, stop) (stop[-1] is '\n'): the fast parser for the
 * lines it knows while 64-byte blocks with their lookahead fit, the careful parser for
 * every other line and the tail.  Returns the error, *next the first line not consumed. */
static int rp_lines(struct uvmsim_replayer *r, const unsigned char *p, const unsigned char *stop,
                    uint64_t *budget, const unsigned char **next)
{
#if RP_FAST_PARSE
    if (r->fast && stop - p >= RP_LOOKAHEAD) {
        int err = UVMSIM_OK;
        uint64_t left = *budget;
        const unsigned char *blk = p;
        unsigned nblk = 0;
        struct rp_loop L;
    rp_loop_begin(r, &L);
        while (stop - blk >= RP_LOOKAHEAD) {
            /* p <= blk: the lines ending in this block start at p and after each newline */
            for (uint64_t m = rp_nl_mask(blk); m != 0; m &= m - 1) {
                const unsigned char *e = blk + __builtin_ctzll(m);
                if (left == 0)
                    goto out;
                uint64_t a = 0, size = 0;
                unsigned k = rp_fast_line_1(p, e, &a, &size);
                if (__builtin_expect(k == 0, 0))
                    k = rp_fast_line(p, e, &a, &size);
                if (__builtin_expect(k != 0 && rp_record_fast(r, &L, k - 1u, a, size), 1)) {
                    left--;
                } else {
                    rp_loop_end(r, &L);
                    if (k != 0) {
                        err = rp_record(r, k - 1u, a, size);
                        left -= err == UVMSIM_OK;
                    } else {
                        const unsigned char *q;
                        err = rp_lines_careful(r, p, e + 1, &left, &q);
                    }
                    rp_loop_begin(r, &L);
                    if (err)
                        goto out;
                }
                p = e + 1;
            }
            blk += 64;
            if (++nblk == RP_FLUSH_BLOCKS) {
                rp_flush(r);
                nblk = 0;
            }
        }
    out:
        rp_loop_end(r, &L);
        if (err != UVMSIM_OK || left == 0) {
            *budget = left;
            *next = p;
            return err;
        }
        *budget = left;
    }
#endif
    return rp_lines_careful(r, p, stop, budget, next);
}

/* The final line of the input, p[0, n), which has no newline: parsed from a copy that
 * has one.  *whole: it was consumed (not left for want of budget). */
static int rp_last_line(struct uvmsim_replayer *r, const unsigned char *p, size_t n, uint64_t *budget, bool *whole)
{
    *whole = false;
    unsigned char *tmp = malloc(n + 1);
    if (tmp == NULL)
        return rp_fail(r, UVMSIM_ENOHOST, "out of host memory");
    memcpy(tmp, p, n);
    tmp[n] = '\n';
    const unsigned char *q;
    int err = rp_lines(r, tmp, tmp + n + 1, budget, &q);
    *whole = q == tmp + n + 1;
    free(tmp);
    return err;
}

int uvmsim_replay_feed(uvmsim_replayer *r, const char *text, size_t len, uint64_t max_records, bool last,
                       size_t *used)
{
    if (used != NULL)
        *used = 0;
    if (r == NULL || (text == NULL && len > 0))
        return UVMSIM_EINVAL;
    int err = rp_enter(r);
    if (err)
        return err;
    r->in_text = true;
    const unsigned char *t = (const unsigned char *)text, *end = t + len;
    const unsigned char *stop = end, *p = t;
    while (stop > t && stop[-1] != '\n')     /* one past the last newline */
        stop--;
    uint64_t budget = max_records ? max_records : UINT64_MAX;
    if (stop > t)
        err = rp_lines(r, t, stop, &budget, &p);
    if (err == UVMSIM_OK && last && p == stop && stop < end && budget > 0) {
        bool whole;
        if ((err = rp_last_line(r, stop, (size_t)(end - stop), &budget, &whole)) == UVMSIM_OK && whole)
            p = end;
    }
    rp_flush(r);
    if (used != NULL)
        *used = (size_t)(p - t);
    return err;
}

/* ---- an attached file ---- */

int uvmsim_replay_open_file(uvmsim_replayer *r, const char *path)
{
    if (r == NULL || path == NULL)
        return UVMSIM_EINVAL;
    if (r->err)
        return r->err;
    if (r->f != NULL)
        return UVMSIM_EBUSY;
    char msg[256];
    int err = uvmsim_rp_file_open(path, &r->f, msg, sizeof(msg));
    if (err) {
        snprintf(r->msg, sizeof(r->msg), "%s", msg);
        r->err = err;
        return err;
    }
    char *name = strdup(r->f->name);
    if (name == NULL)
        return rp_fail(r, UVMSIM_ENOHOST, "out of host memory");
    free(r->name);
    r->name = name;
    return UVMSIM_OK;
}

/* Read the file in windows (those read() fills) and parse them here. */
static int rp_run_windows(struct uvmsim_replayer *r, uint64_t max_records, bool *done)
{
    struct rp_file *f = r->f;
    uint64_t left = max_records ? max_records : UINT64_MAX;
    for (;;) {
        if (f->pos < f->len) {
            uint64_t before = rp_records(r);
            size_t used;
            int err = uvmsim_replay_feed(r, f->buf + f->pos, f->len - f->pos, left, f->eof, &used);
            f->pos += used;
            if (err)
                return err;
            uint64_t did = rp_records(r) - before;
            if (max_records) {
                left -= did;
                if (left == 0)
                    break;
            }
        }
        if (f->eof) {
            /* unconsumed bytes at eof can only be a budget stop, handled above */
            break;
        }
        if (f->len - f->pos >= UVMSIM_REPLAY_MAX_LINE) {
            r->in_text = true;
            return rp_fail(r, UVMSIM_EINVAL, "line longer than %u bytes", UVMSIM_REPLAY_MAX_LINE);
        }
        char msg[256];
        int err = uvmsim_rp_file_fill(f, msg, sizeof(msg));
        if (err != UVMSIM_OK) {
            snprintf(r->msg, sizeof(r->msg), "%s", msg);
            r->err = err;
            return err;
        }
    }
    *done = f->eof && f->pos == f->len;
    return UVMSIM_OK;
}

/* An item of lines for the careful parser, [p, p + n) of the mapped file: *next the first
 * line not consumed (the budget ran out) or p + n. */
static int rp_seg_lines(struct uvmsim_replayer *r, unsigned kind, const unsigned char *p, uint64_t n,
                        uint64_t *left, const unsigned char **next)
{
    if (kind == RP_D_LINES)
        return rp_lines_careful(r, p, p + n, left, next);
    /* a tail: the file's final line, without its newline (as uvmsim_replay_feed takes
     * it), or the start of a line cut for its length */
    *next = p;
    const unsigned char *end = (const unsigned char *)r->f->map + r->f->map_len;
    if (p + n != end || n >= UVMSIM_REPLAY_MAX_LINE)
        return rp_fail(r, UVMSIM_EINVAL, "line longer than %u bytes", UVMSIM_REPLAY_MAX_LINE);
    bool whole;
    int err = rp_last_line(r, p, (size_t)n, left, &whole);
    if (whole)
        *next = end;
    return err;
}

/* Replay the items of a decoded segment from s->next on, within *budget records: the
 * records as rp_lines replays what rp_fast_line decodes (the memo first), the lines
 * through the careful parser.  s->next is left at the first item not replayed, an item
 * of lines shortened to what is left of it. */
static int rp_seg_replay(struct uvmsim_replayer *r, struct rp_seg *s, uint64_t *budget)
{
    const unsigned char *map = (const unsigned char *)r->f->map;
    uint64_t left = *budget;
    int err = UVMSIM_OK;
    size_t i = s->next;
    unsigned since = 0;                       /* memo records since the last rp_flush */
    struct rp_loop L;
    rp_loop_begin(r, &L);
    for (; i < s->nd && left > 0; i++) {
        uint64_t a = s->d[i].a, n = s->d[i].n & RP_D_VALUE;
        unsigned kind = (unsigned)(s->d[i].n >> RP_D_SHIFT);
        if (__builtin_expect(kind < UVMSIM_REC_NKINDS, 1)) {
            if (__builtin_expect(r->fast && rp_record_fast(r, &L, kind, a, n), 1)) {
                left--;
                if (__builtin_expect(++since == RP_FLUSH_RECORDS, 0)) {
                    rp_flush(r);
                    since = 0;
                }
                continue;
            }
            rp_loop_end(r, &L);
            err = rp_record(r, kind, a, n);
            rp_loop_begin(r, &L);
            if (err != UVMSIM_OK)
                break;
            left--;
            continue;
        }
        rp_loop_end(r, &L);
        const unsigned char *p = map + a, *q;
        err = rp_seg_lines(r, kind, p, n, &left, &q);
        rp_loop_begin(r, &L);
        if (err != UVMSIM_OK)
            break;
        if (q < p + n) {                      /* the budget ran out inside */
            s->d[i].a += (uint64_t)(q - p);
            s->d[i].n = (n - (uint64_t)(q - p)) | (uint64_t)kind << RP_D_SHIFT;
            break;
        }
    }
    rp_loop_end(r, &L);
    rp_flush(r);
    s->next = i;
    *budget = left;
    return err;
}

/* Replay the segments the threads decoded, in file order.  *done as the windows would
 * say it: the file has ended and the replayer knows it, which it does after the end of a
 * file without a final newline (its last line needs the end to be seen) or once a call
 * has records to spare when everything is replayed. */
static int rp_run_ahead(struct uvmsim_replayer *r, uint64_t max_records, bool *done)
{
    struct rp_file *f = r->f;
    const unsigned char *map = (const unsigned char *)f->map;
    uint64_t left = max_records ? max_records : UINT64_MAX;
    bool ended = false;
    int err = UVMSIM_OK;
    r->in_text = true;
    while (left > 0) {
        struct rp_seg *s = uvmsim_rp_ahead_next(r->ahead);
        if (s == NULL) {
            ended = true;
            break;
        }
        f->consumed = s->end;
        if ((err = rp_seg_replay(r, s, &left)) != UVMSIM_OK || s->next < s->nd)
            break;
        uint64_t end = s->end;
        uvmsim_rp_ahead_release(r->ahead);            /* s is not ours any more */
        if (left == 0 && end == f->map_len && map[end - 1] != '\n')
            ended = true;
    }
    if (err == UVMSIM_OK && !ended)
        return UVMSIM_OK;                     /* the budget ran out */
    /* the end, or a failure (sticky): the threads are done with; a later run finds the
     * windows at the end of the file */
    uvmsim_rp_ahead_stop(r->ahead);
    r->ahead = NULL;
    if (err != UVMSIM_OK)
        return err;
    f->consumed = f->total;
    f->pos = f->len = 0;
    f->eof = true;
    *done = true;
    return UVMSIM_OK;
}

int uvmsim_replay_run(uvmsim_replayer *r, uint64_t max_records, bool *done)
{
    bool done_local;
    if (done == NULL)
        done = &done_local;
    *done = false;
    if (r == NULL)
        return UVMSIM_EINVAL;
    if (r->err)
        return r->err;
    if (r->f == NULL)
        return UVMSIM_EINVAL;
    int err = rp_enter(r);
    if (err)
        return err;
    struct rp_file *f = r->f;
    if (!r->ahead_decided) {
        /* threads only for a mapped file (gzip and pipes are read in windows) */
        r->ahead_decided = true;
        if (r->o.threads > 1 && f->map != NULL && f->pos == 0 && f->len == 0 && !f->eof) {
            uint64_t chunk = r->o.decode_chunk ? r->o.decode_chunk : UVMSIM_REPLAY_CHUNK;
            if ((err = uvmsim_rp_ahead_start((const unsigned char *)f->map, f->map_len, chunk, r->o.threads - 1,
                                             &r->ahead)) != UVMSIM_OK) {
                r->in_text = true;
                return rp_fail(r, err, "out of host memory for the decoding threads");
            }
        }
    }
    r->line_limit = true;
    err = r->ahead != NULL ? rp_run_ahead(r, max_records, done) : rp_run_windows(r, max_records, done);
    r->line_limit = false;
    return err;
}

unsigned uvmsim_replay_threads_auto(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2 ? 2u : 1u;
}

void uvmsim_replay_progress(const uvmsim_replayer *r, uint64_t *bytes_read, uint64_t *bytes_total)
{
    if (bytes_read != NULL)
        *bytes_read = (r && r->f) ? r->f->consumed : 0;
    if (bytes_total != NULL)
        *bytes_total = (r && r->f) ? r->f->total : 0;
}
