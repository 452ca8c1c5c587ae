/* uvmsim — the machine's event trace: every fault step, TLB event, I/O and switch. */
#ifndef UVMSIM_TRACE_H
#define UVMSIM_TRACE_H

#include "uvmsim/types.h"
#include "uvmsim/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum uvmsim_event_type {
    UVMSIM_EV_FAULT = 0,      /* a fault finished: ev->fault is its outcome */
    UVMSIM_EV_FAULT_STEP,     /* one step of the handler: ev->step, ev->text */
    UVMSIM_EV_TLB_MISS,       /* va, kind */
    UVMSIM_EV_WALK,           /* va; pa and prot found (a = 1 if valid) */
    UVMSIM_EV_TLB_FLUSH,      /* full or partial flush: text says why; a = entries dropped */
    UVMSIM_EV_TLB_INVAL,      /* single-entry invalidation: va */
    UVMSIM_EV_CACHE,          /* cache clean/flush (ARM backends): text says why */
    UVMSIM_EV_IO,             /* block request: a = blkno, b = nblks */
    UVMSIM_EV_PROMOTE,        /* a page copied into a new anon: pa = new page, b = bytes */
    UVMSIM_EV_SWITCH,         /* context switch to pid */
    UVMSIM_EV_PMAP,           /* backend-specific event (CPD load, domain recycle...) */
    UVMSIM_EV_NTYPES
} uvmsim_event_type;

UVMSIM_API const char *uvmsim_event_type_name(uvmsim_event_type t);

typedef struct uvmsim_event {
    uvmsim_event_type type;
    uint64_t seq;             /* per machine, from 1 */
    int pid;                  /* current process, -1 if none */
    uvmsim_vaddr_t va;
    uvmsim_paddr_t pa;
    uvmsim_access access;
    const char *step;         /* FAULT_STEP: "check", "upper-lookup", "upper", "lower-lookup",
                                 "lower", "enter"; otherwise a short tag or NULL */
    const char *text;         /* human-readable sentence, or NULL */
    const uvmsim_fault_outcome *fault; /* FAULT only */
    uint64_t a, b;            /* type-specific numbers */
} uvmsim_event;

/* The callback sees each event as it happens; pointers inside are valid only during
 * the call.  Pass NULL to stop tracing. */
typedef void (*uvmsim_trace_fn)(const uvmsim_event *ev, void *arg);
UVMSIM_API void uvmsim_trace_set(uvmsim_machine *m, uvmsim_trace_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif
