/* Scenario library: the Graphviz picture of a machine's state (uvmsim dot).  From a
 * read-only snapshot (src/vm/uvm_introspect.h) it draws, left to right:
 *   process → map entries → amap → anons → RAM pages         (the upper layer)
 *             map entries → object → its resident RAM pages  (the lower layer)
 *             map entries ┄┄ PTE ┄┄> the page each translation maps: RAM, NOR (device
 *                                   pages, no vm_page, their PV entries) or the zero page
 * Anything shared is filled orange and says by how many: amaps with several entries,
 * anons in several amaps, pages with several PV entries. */
#include <stdlib.h>
#include <string.h>
#include "scn_internal.h"
#include "vm/uvm_introspect.h"

#define SHARED_COLOR "orange"

struct pgnode {
    uvmsim_paddr_t pa;
    uvmsim_page_loc loc;
    unsigned pv;
};

static int cmp_pg(const void *a, const void *b)
{
    uvmsim_paddr_t x = ((const struct pgnode *)a)->pa, y = ((const struct pgnode *)b)->pa;
    return (x > y) - (x < y);
}

/* The scenario's name for a pid, if it has one. */
static const char *proc_label(struct scn_runtime *rt, int pid)
{
    for (unsigned i = 0; i < rt->s->nprocs; i++)
        if (rt->procs[i] && uvmsim_proc_pid(rt->procs[i]) == pid)
            return rt->s->procs[i];
    return NULL;
}

static void page_node(FILE *out, const struct pgnode *pg)
{
    const char *kind = pg->loc == UVMSIM_LOC_RAM ? "RAM" : pg->loc == UVMSIM_LOC_DEVICE ? "NOR" :
                       pg->loc == UVMSIM_LOC_ZERO ? "zero page" : "?";
    fprintf(out, "  pg_%llx [label=\"%s 0x%llx", (unsigned long long)pg->pa, kind, (unsigned long long)pg->pa);
    if (pg->loc == UVMSIM_LOC_DEVICE)
        fprintf(out, "\\ndevice page (no vm_page)");
    if (pg->loc == UVMSIM_LOC_ZERO)
        fprintf(out, "\\nshared by every hole");
    fprintf(out, "\\nPV entries: %u", pg->pv);
    if (pg->pv > 1)
        fprintf(out, "\\nshared: %u mappings", pg->pv);
    fprintf(out, "\", shape=box3d");
    if (pg->pv > 1)
        fprintf(out, ", style=filled, fillcolor=%s", SHARED_COLOR);
    else if (pg->loc == UVMSIM_LOC_DEVICE)
        fprintf(out, ", style=filled, fillcolor=lightyellow");
    else if (pg->loc == UVMSIM_LOC_ZERO)
        fprintf(out, ", style=filled, fillcolor=lightgrey");
    fprintf(out, "];\n");
}

int uvmsim_scn_dot(struct scn_runtime *rt, FILE *out)
{
    struct uvmsim_isp_snapshot *s;
    int err = uvmsim_introspect(rt->m, &s);
    if (err)
        return err;
    char pb[4];
    static const char *const inh[] = {"copy", "share", "none"};
    static const char *const adv[] = {"normal", "random", "sequential"};

    fprintf(out, "digraph uvmsim {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10, shape=box];\n"
                 "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    const struct scn_step *last = rt->step ? &rt->s->steps[rt->step - 1] : NULL;
    fprintf(out, "  labelloc=t;\n  label=\"%s: state after step %u", rt->s->name, rt->step);
    if (last)
        fprintf(out, " (line %u)", last->line);
    fprintf(out, ", pmap %s\";\n", uvmsim_pmap_backend_name(rt->m));

    /* processes and their entries */
    for (uint32_t i = 0; i < s->nprocs; i++) {
        const struct uvmsim_isp_proc *p = &s->procs[i];
        const char *name = proc_label(rt, p->pid);
        fprintf(out, "  subgraph cluster_p%d {\n    label=\"%s%s(pid %d)\";\n", p->pid, name ? name : "",
                name ? " " : "", p->pid);
        fprintf(out, "    p%d [label=\"%s\\npid %d%s\", shape=ellipse%s];\n", p->pid, name ? name : "process",
                p->pid, p->current ? "\\n(on the CPU)" : "", p->current ? ", style=bold" : "");
        for (uint32_t k = p->first_entry; k < p->first_entry + p->nentries; k++) {
            const struct uvmsim_isp_entry *e = &s->entries[k];
            fprintf(out, "    e%u [label=\"entry 0x%llx-0x%llx\\n%s %s%s%s\\ninherit %s, advice %s\"];\n", k,
                    (unsigned long long)e->start, (unsigned long long)e->end, uvmsim_scn_prot_str(e->prot, pb),
                    e->shared ? "shared" : "private", e->copy_on_write ? " cow" : "",
                    e->needs_copy ? " needs-copy" : "", inh[e->inherit % 3], adv[e->advice % 3]);
        }
        fprintf(out, "  }\n");
        for (uint32_t k = p->first_entry; k < p->first_entry + p->nentries; k++)
            fprintf(out, "  p%d -> e%u;\n", p->pid, k);
    }

    /* amaps and anons: the upper layer */
    for (uint32_t i = 0; i < s->namaps; i++) {
        const struct uvmsim_isp_amap *a = &s->amaps[i];
        fprintf(out, "  amap%llu [label=\"amap #%llu\\nrefs %u%s\\n%u of %u slots used%s\", shape=folder",
                (unsigned long long)a->id, (unsigned long long)a->id, a->refs,
                a->refs > 1 ? " (shared)" : "", a->nused, a->nslot, a->shared ? "\\ninherited share" : "");
        if (a->refs > 1)
            fprintf(out, ", style=filled, fillcolor=%s", SHARED_COLOR);
        fprintf(out, "];\n");
        for (uint32_t k = a->first_slot; k < a->first_slot + a->nused; k++)
            fprintf(out, "  amap%llu -> anon%u [label=\"slot %u\"];\n", (unsigned long long)a->id,
                    s->slots[k].anon, s->slots[k].slot);
    }
    for (uint32_t i = 0; i < s->nanons; i++) {
        const struct uvmsim_isp_anon *an = &s->anons[i];
        fprintf(out, "  anon%u [label=\"anon\\nrefs %u%s\", shape=oval", i, an->refs,
                an->refs > 1 ? "\\nshared by amaps" : "");
        if (an->refs > 1)
            fprintf(out, ", style=filled, fillcolor=%s", SHARED_COLOR);
        fprintf(out, "];\n  anon%u -> pg_%llx;\n", i, (unsigned long long)an->pa);
    }

    /* objects: the lower layer */
    for (uint32_t i = 0; i < s->nobjects; i++) {
        const struct uvmsim_isp_object *o = &s->objects[i];
        fprintf(out, "  obj%llu [label=\"%s object #%llu\\nrefs %u\\n%llu page%s, %u resident in RAM\", shape=component",
                (unsigned long long)o->id, o->kind, (unsigned long long)o->id, o->refs,
                (unsigned long long)o->npages, o->npages == 1 ? "" : "s", o->nres);
        if (o->refs > 1)
            fprintf(out, ", style=filled, fillcolor=%s", SHARED_COLOR);
        fprintf(out, "];\n");
        for (uint32_t k = o->first_page; k < o->first_page + o->nres; k++)
            fprintf(out, "  obj%llu -> pg_%llx [label=\"page %llu\"];\n", (unsigned long long)o->id,
                    (unsigned long long)s->objpages[k].pa, (unsigned long long)s->objpages[k].index);
    }

    /* entry → amap / object, and the translations (PV entries) */
    for (uint32_t k = 0; k < s->nentries; k++) {
        const struct uvmsim_isp_entry *e = &s->entries[k];
        if (e->amap != UVMSIM_ISP_NONE)
            fprintf(out, "  e%u -> amap%llu [label=\"slots %u-%u\"];\n", k, (unsigned long long)s->amaps[e->amap].id,
                    e->slotoff, e->slotoff + (unsigned)((e->end - e->start) / s->page_size) - 1);
        if (e->object != UVMSIM_ISP_NONE)
            fprintf(out, "  e%u -> obj%llu [label=\"offset 0x%llx\"];\n", k, (unsigned long long)s->objects[e->object].id,
                    (unsigned long long)e->offset);
        for (uint32_t t = e->first_pte; t < e->first_pte + e->npte; t++) {
            const struct uvmsim_isp_pte *pt = &s->ptes[t];
            fprintf(out, "  e%u -> pg_%llx [label=\"PTE va 0x%llx %s\", style=dashed, color=blue, fontcolor=blue];\n",
                    k, (unsigned long long)pt->pa, (unsigned long long)pt->va, uvmsim_scn_prot_str(pt->prot, pb));
        }
    }

    /* every physical page named above, once */
    uint32_t n = s->nptes + s->nanons + s->nobjpages, np = 0;
    struct pgnode *pgs = calloc(n ? n : 1, sizeof(*pgs));
    if (pgs == NULL) {
        uvmsim_introspect_free(s);
        return UVMSIM_ENOHOST;
    }
    for (uint32_t i = 0; i < s->nptes; i++)
        pgs[np++] = (struct pgnode){s->ptes[i].pa, s->ptes[i].loc, s->ptes[i].pv_count};
    for (uint32_t i = 0; i < s->nanons; i++)
        pgs[np++] = (struct pgnode){s->anons[i].pa, UVMSIM_LOC_RAM, s->anons[i].pv_count};
    for (uint32_t i = 0; i < s->nobjpages; i++)
        pgs[np++] = (struct pgnode){s->objpages[i].pa, UVMSIM_LOC_RAM, s->objpages[i].pv_count};
    qsort(pgs, np, sizeof(*pgs), cmp_pg);
    for (uint32_t i = 0; i < np; i++)
        if (i == 0 || pgs[i].pa != pgs[i - 1].pa)
            page_node(out, &pgs[i]);
    free(pgs);
    fprintf(out, "}\n");
    uvmsim_introspect_free(s);
    return UVMSIM_OK;
}
