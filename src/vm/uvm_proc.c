/* uvmsim — processes: creation, fork (uvmspace_fork with share/copy/none inheritance and
 * needs-copy), exit and context switches. */
#include <stdlib.h>
#include <string.h>
#include "uvm_vm.h"
#include "../pmap_sim/pmap_impl.h"

/* Access counters live in the processes' blocks only (one block per access on the hot
 * path); exit folds a process's into the machine's. */
static void add_access_counts(uvmsim_vm_stats *to, const uvmsim_vm_stats *from)
{
    to->accesses += from->accesses;
    to->bytes_loaded += from->bytes_loaded;
    to->bytes_stored += from->bytes_stored;
    to->bytes_fetched += from->bytes_fetched;
}

static int proc_alloc(struct uvmsim_machine *m, struct uvmsim_proc **out)
{
    struct uvmsim_proc *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return UVMSIM_ENOHOST;
    p->m = m;
    p->pid = m->next_pid;
    int err = uvmsim_pmap_create(m, p->pid, &p->pmap);
    if (err) {
        free(p);
        return err;
    }
    m->next_pid++;
    uvmsim_map_init(m, &p->map);
    p->p_next = m->procs;
    m->procs = p;
    m->vmstats.procs_live++;
    *out = p;
    return UVMSIM_OK;
}

int uvmsim_proc_create(uvmsim_machine *m, uvmsim_proc **out)
{
    if (m == NULL || out == NULL)
        return UVMSIM_EINVAL;
    return proc_alloc(m, out);
}

/* uvm_mapent_forkshare: parent and child share the upper and lower layers.
 * A needs-copy parent entry gets its own amap first (amap_copy without chunking), so the
 * two really share one. */
static int fork_share(struct uvmsim_proc *parent, struct vm_map_entry *pe, struct vm_map_entry *ce)
{
    if (pe->etype & UVM_ET_NEEDSCOPY) {
        bool copied;
        int err = uvmsim_amap_copy(parent, &pe, AMAP_COPY_NOCHUNK, pe->start, pe->end, &copied);
        if (err)
            return err;
    }
    *ce = *pe;
    ce->wired_count = 0;            /* wiring is not inherited */
    return ce->amap ? uvmsim_amap_ref(parent->m, ce, true) : UVMSIM_OK;
}

/* uvm_mapent_forkcopy: the child gets a copy-on-write view.
 * 1. child shares the amap, marked needs-copy;
 * 2. the amap is copied for the child now when the parent may not become needs-copy:
 *    an amap already shared with a third party (a later needs-copy resolution in the
 *    parent would break that sharing), a wired parent entry (it must never fault: its
 *    wired anons are copied for the child at once, NetBSD's amap_cow_now), and a shared
 *    (not copy-on-write) parent entry — NetBSD marks even that one needs-copy, so its
 *    next fault would give the parent a private amap and silently end its sharing;
 *    we keep needs-copy for copy-on-write entries and copy for the child instead;
 * 3. otherwise the parent becomes needs-copy too and loses write access to its pages, so
 *    the first write on either side faults and copies. */
static int fork_copy(struct uvmsim_proc *parent, struct uvmsim_proc *child,
                     struct vm_map_entry *pe, struct vm_map_entry *ce)
{
    *ce = *pe;
    ce->etype |= UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
    ce->shared = false;
    ce->wired_count = 0;
    if (ce->amap == NULL)
        return UVMSIM_OK;
    int err = uvmsim_amap_ref(parent->m, ce, false);
    if (err) {
        ce->amap = NULL;                /* the caller frees ce: it holds nothing */
        return err;
    }
    if ((pe->amap->am_flags & AMAP_SHARED) || pe->wired_count > 0 || !(pe->etype & UVM_ET_COPYONWRITE)) {
        bool copied;
        struct vm_map_entry *cep = ce;
        (void)child;
        unsigned fl = AMAP_COPY_NOCHUNK | ((pe->etype & UVM_ET_COPYONWRITE) ? 0 : AMAP_COPY_WPROTECT);
        err = uvmsim_amap_copy(parent, &cep, fl, ce->start, ce->end, &copied);
        if (err)
            uvmsim_amap_unref(parent->m, ce);   /* the caller frees ce: take its reference back */
        return err;
    }
    if (!(pe->etype & UVM_ET_NEEDSCOPY)) {
        if (pe->prot & UVMSIM_PROT_WRITE)
            uvmsim_pmap_protect(parent->pmap, pe->start, pe->end, pe->prot & ~UVMSIM_PROT_WRITE);
        pe->etype |= UVM_ET_NEEDSCOPY;
    }
    return UVMSIM_OK;
}

int uvmsim_proc_fork(uvmsim_proc *parent, uvmsim_proc **child_out)
{
    if (parent == NULL || child_out == NULL)
        return UVMSIM_EINVAL;
    struct uvmsim_machine *m = parent->m;
    struct uvmsim_proc *c;
    int err = proc_alloc(m, &c);
    if (err)
        return err;
    for (unsigned i = 0; i < parent->map.nents; i++) {
        struct vm_map_entry *pe = parent->map.ents[i];
        if (pe->inherit == UVMSIM_INHERIT_NONE)
            continue;
        struct vm_map_entry *ce = malloc(sizeof(*ce));
        if (ce == NULL) {
            err = UVMSIM_ENOHOST;
            break;
        }
        if (pe->inherit == UVMSIM_INHERIT_SHARE)
            err = fork_share(parent, pe, ce);
        else
            err = fork_copy(parent, c, pe, ce);
        if (err) {
            free(ce);
            break;
        }
        if (ce->object)
            uvmsim_object_reference(ce->object);
        err = uvmsim_map_insert(&c->map, ce);
        if (err) {
            uvmsim_map_entry_free(m, NULL, ce);
            break;
        }
    }
    if (err) {
        uvmsim_proc_exit(c);
        return err;
    }
    m->vmstats.forks++;
    *child_out = c;
    return UVMSIM_OK;
}

void uvmsim_proc_exit(uvmsim_proc *p)
{
    if (p == NULL)
        return;
    struct uvmsim_machine *m = p->m;
    uvmsim_map_teardown(p);
    if (p->exec_free)
        p->exec_free(p->exec);
    uvmsim_pmap_destroy(p->pmap);
    for (struct uvmsim_proc **pp = &m->procs; *pp; pp = &(*pp)->p_next) {
        if (*pp == p) {
            *pp = p->p_next;
            break;
        }
    }
    if (m->curproc == p) {
        m->curproc = NULL;
        m->curpid = -1;
    }
    m->vmstats.procs_live--;
    m->vmstats.exits++;
    add_access_counts(&m->vmstats, &p->st);
    free(p);
}

void uvmsim_proc_exit_all(struct uvmsim_machine *m)
{
    while (m->procs)
        uvmsim_proc_exit(m->procs);
    uvmsim_shm_destroy_all(m);      /* segments nobody removed */
}

int uvmsim_proc_pid(const uvmsim_proc *p)
{
    return p ? p->pid : -1;
}

uvmsim_machine *uvmsim_proc_machine(const uvmsim_proc *p)
{
    return p ? p->m : NULL;
}

uvmsim_proc *uvmsim_proc_lookup(uvmsim_machine *m, int pid)
{
    for (struct uvmsim_proc *p = m ? m->procs : NULL; p; p = p->p_next)
        if (p->pid == pid)
            return p;
    return NULL;
}

int uvmsim_proc_switch(uvmsim_proc *p)
{
    if (p == NULL)
        return UVMSIM_EINVAL;
    struct uvmsim_machine *m = p->m;
    if (m->curproc == p)
        return UVMSIM_OK;
    m->curproc = p;
    m->curpid = p->pid;
    if (uvmsim_tracing(m)) {
        uvmsim_event ev = {.type = UVMSIM_EV_SWITCH, .pid = p->pid, .step = "switch",
                           .text = "context switch: pmap_activate"};
        uvmsim_emit(m, &ev);
    }
    uvmsim_pmap_activate(p->pmap);
    return UVMSIM_OK;
}

uvmsim_proc *uvmsim_proc_current(uvmsim_machine *m)
{
    return m ? m->curproc : NULL;
}

void uvmsim_vm_stats_get(const uvmsim_machine *m, uvmsim_vm_stats *out)
{
    if (m == NULL || out == NULL)
        return;
    *out = m->vmstats;
    for (const struct uvmsim_proc *p = m->procs; p != NULL; p = p->p_next)
        add_access_counts(out, &p->st);
}

void uvmsim_proc_stats_get(const uvmsim_proc *p, uvmsim_vm_stats *out)
{
    if (p && out)
        *out = p->st;
}
