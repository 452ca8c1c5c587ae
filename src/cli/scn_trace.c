/* Scenario library: the event trace consumer.  Every event the machine emits goes to
 * the JSON Lines trace file when one is open, and in explain mode is narrated in plain
 * words: the TLB miss and page-table walk that led to a fault, each step of the fault
 * handler with the sentence it emitted, copies and block I/O, the decision and its cost
 * from the outcome record, and the TLB refill of the retried access. */
#include <stdlib.h>
#include <string.h>
#include "scn_internal.h"

void uvmsim_scn_json_outcome(struct sbuf *b, const uvmsim_fault_outcome *o)
{
    char pb[4];
    uvmsim_sb_printf(b, "{\"pid\":%d,\"va\":\"0x%llx\",\"access\":\"%s\",\"class\":\"%s\",\"error\":", o->pid,
                     (unsigned long long)o->va, uvmsim_scn_access_name(o->access), uvmsim_fault_class_name(o->cls));
    if (o->error)
        uvmsim_sb_json_str(b, uvmsim_errname(o->error));
    else
        uvmsim_sb_printf(b, "null");
    uvmsim_sb_printf(b, ",\"pa\":\"0x%llx\",\"loc\":\"%s\",\"prot\":\"%s\",\"pages\":%u,\"copied\":%llu,"
                     "\"neighbours\":%u,\"io\":%u,\"io_bytes\":%llu,\"anon_refs\":%u,\"amap_refs\":%u,"
                     "\"amap_copied\":%s,\"xip\":%s}",
                     (unsigned long long)o->pa, uvmsim_page_loc_name(o->loc), uvmsim_scn_prot_str(o->prot_entered, pb),
                     o->pages_allocated, (unsigned long long)o->bytes_copied, o->neighbours_mapped, o->io_requests,
                     (unsigned long long)o->io_bytes, o->anon_refs, o->amap_refs, o->amap_copied ? "true" : "false",
                     o->xip ? "true" : "false");
}

void uvmsim_scn_json_event(struct sbuf *bp, const uvmsim_event *ev, const char *ctx_key, uint64_t ctx)
{
    uvmsim_sb_printf(bp, "{\"seq\":%llu,\"%s\":%llu,\"type\":\"%s\",\"pid\":%d,\"va\":\"0x%llx\",\"pa\":\"0x%llx\","
                     "\"access\":\"%s\",\"step\":",
                     (unsigned long long)ev->seq, ctx_key, (unsigned long long)ctx, uvmsim_event_type_name(ev->type),
                     ev->pid, (unsigned long long)ev->va, (unsigned long long)ev->pa, uvmsim_scn_access_name(ev->access));
    if (ev->step)
        uvmsim_sb_json_str(bp, ev->step);
    else
        uvmsim_sb_printf(bp, "null");
    uvmsim_sb_printf(bp, ",\"text\":");
    if (ev->text)
        uvmsim_sb_json_str(bp, ev->text);
    else
        uvmsim_sb_printf(bp, "null");
    uvmsim_sb_printf(bp, ",\"a\":%llu,\"b\":%llu", (unsigned long long)ev->a, (unsigned long long)ev->b);
    if (ev->type == UVMSIM_EV_FAULT && ev->fault) {
        uvmsim_sb_printf(bp, ",\"fault\":");
        uvmsim_scn_json_outcome(bp, ev->fault);
    }
    uvmsim_sb_putc(bp, '}');
}

static void json_event(struct scn_runtime *rt, const uvmsim_event *ev)
{
    struct sbuf b = {0};
    uvmsim_scn_json_event(&b, ev, "scn_step", rt->step);
    if (b.oom || fprintf(rt->o->trace, "%s\n", uvmsim_sb_str(&b)) < 0)
        rt->trace_errors++;
    uvmsim_sb_free(&b);
}

static const char *why_class(uvmsim_fault_class c)
{
    switch (c) {
    case UVMSIM_FAULT_UPPER_DIRECT:
        return "the page is an anon of this mapping's amap, and it may be mapped as it is";
    case UVMSIM_FAULT_UPPER_PROMOTE:
        return "the page is an anon still referenced by another amap, so a store must get a private copy";
    case UVMSIM_FAULT_LOWER_DIRECT:
        return "no anon shadows the page, and the access may use the object's own page";
    case UVMSIM_FAULT_LOWER_PROMOTE:
        return "a store to a copy-on-write mapping must never reach the object, so its page is copied into a new anon";
    case UVMSIM_FAULT_ZERO_FILL:
        return "neither an anon nor an object backs the page, so a fresh zeroed anon is made";
    default:
        return "the access cannot be allowed";
    }
}

static void narrate_outcome(FILE *out, const uvmsim_fault_outcome *o, uint64_t ptp)
{
    char pb[4];
    if (o->cls == UVMSIM_FAULT_ERROR) {
        fprintf(out, "    Decision: error %s (%s): %s; a real kernel would send the process SIGSEGV\n",
                uvmsim_errname(o->error), uvmsim_strerror(o->error), why_class(o->cls));
        return;
    }
    fprintf(out, "    Decision: %s, because %s.\n", uvmsim_fault_class_name(o->cls), why_class(o->cls));
    if (ptp > o->pages_allocated)
        ptp = o->pages_allocated;
    fprintf(out, "    Cost: %u RAM page%s allocated (%llu for data, %llu for page tables), %llu bytes copied, "
                 "%u I/O request%s (%llu bytes)%s\n",
            o->pages_allocated, o->pages_allocated == 1 ? "" : "s",
            (unsigned long long)(o->pages_allocated - ptp), (unsigned long long)ptp, (unsigned long long)o->bytes_copied,
            o->io_requests, o->io_requests == 1 ? "" : "s", (unsigned long long)o->io_bytes,
            o->xip ? "; the lower layer is XIP: NOR pages are mapped in place" : "");
    fprintf(out, "    Result: va 0x%llx -> %s page 0x%llx, mapped %s (%s)", (unsigned long long)o->va,
            uvmsim_page_loc_name(o->loc), (unsigned long long)o->pa, uvmsim_scn_prot_str(o->prot_entered, pb),
            (o->prot_entered & UVMSIM_PROT_WRITE) ? "writable" : "not writable");
    if (o->anon_refs)
        fprintf(out, "; the anon has %u reference%s", o->anon_refs, o->anon_refs == 1 ? "" : "s");
    if (o->amap_refs)
        fprintf(out, "; the amap has %u reference%s%s", o->amap_refs, o->amap_refs == 1 ? "" : "s",
                o->amap_copied ? " (it was copied by this fault)" : "");
    if (o->neighbours_mapped)
        fprintf(out, "; %u resident neighbour%s mapped too (fault-ahead)", o->neighbours_mapped,
                o->neighbours_mapped == 1 ? "" : "s");
    fprintf(out, "\n");
}

static bool access_allowed(uvmsim_prot_t prot, uvmsim_access a)
{
    return a == UVMSIM_ACCESS_FETCH ? (prot & UVMSIM_PROT_EXEC) != 0 :
           a == UVMSIM_ACCESS_LOAD ? (prot & UVMSIM_PROT_READ) != 0 : (prot & UVMSIM_PROT_WRITE) != 0;
}

static void narrate(struct scn_runtime *rt, const uvmsim_event *ev)
{
    FILE *out = rt->o->out ? rt->o->out : stdout;
    const char *ind = rt->in_fault ? "       " : "  ";
    char pb[4];
    switch (ev->type) {
    case UVMSIM_EV_FAULT_STEP:
        if (!rt->in_fault) {
            uvmsim_ram_stats rs;
            uvmsim_ram_stats_get(rt->m, &rs);
            rt->fault_ptp0 = rs.ptp_pages;
            rt->in_fault = true;
            rt->fault_no++;
            rt->step_no = 0;
            /* no walk led here: the handler was called directly, or the TLB hit a
             * translation that lacks the right (no walk is needed to know that) */
            scn_op op = rt->step ? rt->s->steps[rt->step - 1].op : SOP_FAULT;
            if (!rt->walk_faulted && op == SOP_WIRE)
                fprintf(out, "  Wiring faults 0x%llx in (uvm_fault_wire: no CPU access, no TLB)\n",
                        (unsigned long long)ev->va);
            else if (!rt->walk_faulted && rt->step && op == SOP_FAULT)
                fprintf(out, "  The fault handler is called directly for 0x%llx (no CPU access, no TLB)\n",
                        (unsigned long long)ev->va);
            else if (!rt->walk_faulted)
                fprintf(out, "  TLB hit: the cached translation of 0x%llx does not allow a %s: protection fault\n",
                        (unsigned long long)ev->va, uvmsim_scn_access_name(ev->access));
            rt->walk_faulted = false;
            fprintf(out, "  Fault %u: pid %d, %s at 0x%llx, enters the fault handler\n", rt->fault_no, ev->pid,
                    uvmsim_scn_access_name(ev->access), (unsigned long long)ev->va);
        }
        rt->step_no++;
        fprintf(out, "    %u. %-12s %s\n", rt->step_no, ev->step ? ev->step : "?", ev->text ? ev->text : "");
        break;
    case UVMSIM_EV_FAULT:
        if (!rt->in_fault) {
            rt->fault_no++;
            fprintf(out, "  Fault %u: pid %d, %s at 0x%llx\n", rt->fault_no, ev->pid,
                    uvmsim_scn_access_name(ev->access), (unsigned long long)ev->va);
        }
        if (ev->fault) {
            uvmsim_ram_stats rs;
            uvmsim_ram_stats_get(rt->m, &rs);
            narrate_outcome(out, ev->fault, rt->in_fault && rs.ptp_pages > rt->fault_ptp0 ? rs.ptp_pages - rt->fault_ptp0 : 0);
        }
        rt->in_fault = false;
        break;
    case UVMSIM_EV_TLB_MISS:
        fprintf(out, "%sTLB miss: pid %d %s at 0x%llx is not in the TLB; the MMU walks the page tables\n", ind,
                ev->pid, uvmsim_scn_access_name(ev->access), (unsigned long long)ev->va);
        break;
    case UVMSIM_EV_WALK:
        rt->walk_faulted = !ev->a || !access_allowed((uvmsim_prot_t)ev->b, ev->access);
        if (!ev->a)
            fprintf(out, "%sWalk: no valid page-table entry for 0x%llx: page fault\n", ind, (unsigned long long)ev->va);
        else if (!access_allowed((uvmsim_prot_t)ev->b, ev->access))
            fprintf(out, "%sWalk: 0x%llx maps page 0x%llx with %s only; a %s needs more: protection fault\n", ind,
                    (unsigned long long)ev->va, (unsigned long long)ev->pa,
                    uvmsim_scn_prot_str((uvmsim_prot_t)ev->b, pb), uvmsim_scn_access_name(ev->access));
        else
            fprintf(out, "%sWalk: 0x%llx -> page 0x%llx %s; the TLB is refilled and the %s completes\n", ind,
                    (unsigned long long)ev->va, (unsigned long long)ev->pa,
                    uvmsim_scn_prot_str((uvmsim_prot_t)ev->b, pb), uvmsim_scn_access_name(ev->access));
        break;
    case UVMSIM_EV_TLB_INVAL:
        fprintf(out, "%sTLB (%s): invalidate 0x%llx: %s\n", ind, ev->step ? ev->step : "tlb",
                (unsigned long long)ev->va, ev->b ? "a cached translation was dropped, so the old mapping cannot be used"
                                                  : "nothing was cached for it");
        break;
    case UVMSIM_EV_TLB_FLUSH:
        fprintf(out, "%sTLB flush (%s): %s; %llu entr%s dropped\n", ind, ev->step ? ev->step : "tlb",
                ev->text ? ev->text : "flush", (unsigned long long)ev->a, ev->a == 1 ? "y" : "ies");
        break;
    case UVMSIM_EV_CACHE:
        fprintf(out, "%sCache (%s): %s; %llu clean%s, %llu flush%s\n", ind, ev->step ? ev->step : "cache",
                ev->text ? ev->text : "", (unsigned long long)ev->a, ev->a == 1 ? "" : "s", (unsigned long long)ev->b,
                ev->b == 1 ? "" : "es");
        break;
    case UVMSIM_EV_IO:
        fprintf(out, "%sI/O: %s\n", ind, ev->text ? ev->text : "block request");
        break;
    case UVMSIM_EV_PROMOTE:
        fprintf(out, "%sCopy: %llu bytes from page 0x%llx into the new anon's page 0x%llx\n", ind,
                (unsigned long long)ev->b, (unsigned long long)ev->a, (unsigned long long)ev->pa);
        break;
    case UVMSIM_EV_SWITCH:
        /* the process-level event is followed by the pmap's: narrate that one, with its cost */
        if (ev->step && strcmp(ev->step, "switch") != 0)
            fprintf(out, "%sContext switch: pid %d goes on the CPU; the %s pmap is activated (switch cost %llu)\n", ind,
                    ev->pid, ev->step, (unsigned long long)ev->a);
        break;
    case UVMSIM_EV_PMAP:
        fprintf(out, "%spmap (%s): %s\n", ind, ev->step ? ev->step : "event", ev->text ? ev->text : "");
        break;
    default:
        break;
    }
}

void uvmsim_scn_on_event(const uvmsim_event *ev, void *arg)
{
    struct scn_runtime *rt = arg;
    if (rt->o->trace)
        json_event(rt, ev);
    if (rt->o->mode == UVMSIM_SCN_MODE_EXPLAIN)
        narrate(rt, ev);
}
