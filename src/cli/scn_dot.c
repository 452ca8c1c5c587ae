/* Scenario library: the Graphviz picture of a machine's state (uvmsim dot, and every
 * step of uvmsim html).  From a read-only snapshot (src/vm/uvm_introspect.h) it draws,
 * left to right:
 *   process → map entries → amap → anons → RAM pages         (the upper layer)
 *             map entries → object → its resident RAM pages  (the lower layer)
 *             map entries ┄┄ PTE ┄┄> the page each translation maps: RAM, NOR (device
 *                                   pages, no vm_page, their PV entries) or the zero page
 * and a table of the valid TLB entries.  Anything shared is filled orange and says by
 * how many: amaps with several entries, anons in several amaps, pages with several PV
 * entries.
 *
 * Given the state before a step, the same picture marks what the step changed — new
 * things outlined green, changed ones (reference counts, PV counts, protections, a PTE
 * or TLB entry pointing elsewhere) purple with the old value, and what went away drawn
 * as grey dashed ghosts — and lists each change in words.  Node names are stable
 * across steps (pids, entry addresses, amap and object ids, page addresses), which is
 * what lets two snapshots be compared. */
#include <stdlib.h>
#include <string.h>
#include "scn_internal.h"
#include "vm/uvm_introspect.h"

#define SHARED_COLOR "orange"
#define NEW_COLOR "\"#1a9850\""
#define NEW_FILL "\"#c7e9c0\""
#define CHANGED_COLOR "\"#7b3294\""
#define CHANGED_FILL "\"#e7d4e8\""
#define GONE_COLOR "grey55"

static const char *const inh_names[] = {"copy", "share", "none"};
static const char *const adv_names[] = {"normal", "random", "sequential"};

/* ---- states ---- */

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

/* Every physical page the snapshot names (PTEs, anons, object pages), once, by address. */
static int collect_pages(struct scn_state *st)
{
    const struct uvmsim_isp_snapshot *s = st->snap;
    uint32_t n = s->nptes + s->nanons + s->nobjpages, np = 0;
    st->pages = calloc(n ? n : 1, sizeof(*st->pages));
    if (st->pages == NULL)
        return UVMSIM_ENOHOST;
    for (uint32_t i = 0; i < s->nptes; i++)
        st->pages[np++] = (struct pgnode){s->ptes[i].pa, s->ptes[i].loc, s->ptes[i].pv_count};
    for (uint32_t i = 0; i < s->nanons; i++)
        st->pages[np++] = (struct pgnode){s->anons[i].pa, UVMSIM_LOC_RAM, s->anons[i].pv_count};
    for (uint32_t i = 0; i < s->nobjpages; i++)
        st->pages[np++] = (struct pgnode){s->objpages[i].pa, UVMSIM_LOC_RAM, s->objpages[i].pv_count};
    qsort(st->pages, np, sizeof(*st->pages), cmp_pg);
    uint32_t u = 0;
    for (uint32_t i = 0; i < np; i++)
        if (u == 0 || st->pages[i].pa != st->pages[u - 1].pa)
            st->pages[u++] = st->pages[i];
    st->npages = u;
    return UVMSIM_OK;
}

int uvmsim_scn_state_take(struct scn_runtime *rt, struct scn_state *st)
{
    memset(st, 0, sizeof(*st));
    int err = uvmsim_introspect(rt->m, &st->snap);
    if (err)
        return err;
    st->pnames = calloc(st->snap->nprocs ? st->snap->nprocs : 1, sizeof(*st->pnames));
    if (st->pnames == NULL || collect_pages(st) != UVMSIM_OK) {
        uvmsim_scn_state_free(st);
        return UVMSIM_ENOHOST;
    }
    for (uint32_t i = 0; i < st->snap->nprocs; i++)
        st->pnames[i] = proc_label(rt, st->snap->procs[i].pid);
    st->step = rt->step;
    st->backend = uvmsim_pmap_backend_name(rt->m);
    return UVMSIM_OK;
}

void uvmsim_scn_state_free(struct scn_state *st)
{
    if (st == NULL)
        return;
    uvmsim_introspect_free(st->snap);
    free(st->pnames);
    free(st->pages);
    memset(st, 0, sizeof(*st));
}

/* ---- look-ups in a state (linear where the arrays are small or unsorted) ---- */

static uint32_t find_proc(const struct uvmsim_isp_snapshot *s, int pid)
{
    for (uint32_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == pid)
            return i;
    return UVMSIM_ISP_NONE;
}

static uint32_t find_entry(const struct uvmsim_isp_snapshot *s, int pid, uvmsim_vaddr_t start, uvmsim_vaddr_t end)
{
    uint32_t p = find_proc(s, pid);
    if (p == UVMSIM_ISP_NONE)
        return UVMSIM_ISP_NONE;
    for (uint32_t k = s->procs[p].first_entry; k < s->procs[p].first_entry + s->procs[p].nentries; k++)
        if (s->entries[k].start == start && s->entries[k].end == end)
            return k;
    return UVMSIM_ISP_NONE;
}

static const struct uvmsim_isp_pte *find_pte(const struct uvmsim_isp_snapshot *s, int pid, uvmsim_vaddr_t va)
{
    uint32_t p = find_proc(s, pid);
    if (p == UVMSIM_ISP_NONE)
        return NULL;
    for (uint32_t k = s->procs[p].first_entry; k < s->procs[p].first_entry + s->procs[p].nentries; k++) {
        const struct uvmsim_isp_entry *e = &s->entries[k];
        if (va < e->start || va >= e->end)
            continue;
        for (uint32_t t = e->first_pte; t < e->first_pte + e->npte; t++)
            if (s->ptes[t].va == va)
                return &s->ptes[t];
        return NULL;
    }
    return NULL;
}

static uint32_t find_amap(const struct uvmsim_isp_snapshot *s, uint64_t id)
{
    for (uint32_t i = 0; i < s->namaps; i++)
        if (s->amaps[i].id == id)
            return i;
    return UVMSIM_ISP_NONE;
}

static uint32_t find_object(const struct uvmsim_isp_snapshot *s, uint64_t id)
{
    for (uint32_t i = 0; i < s->nobjects; i++)
        if (s->objects[i].id == id)
            return i;
    return UVMSIM_ISP_NONE;
}

/* An anon owns its RAM page for its whole life: the page address names it. */
static uint32_t find_anon(const struct uvmsim_isp_snapshot *s, uvmsim_paddr_t pa)
{
    for (uint32_t i = 0; i < s->nanons; i++)
        if (s->anons[i].pa == pa)
            return i;
    return UVMSIM_ISP_NONE;
}

/* The anon page in slot `slot` of amap `id`, or false. */
static bool find_slot(const struct uvmsim_isp_snapshot *s, uint64_t id, unsigned slot, uvmsim_paddr_t *pa)
{
    uint32_t a = find_amap(s, id);
    if (a == UVMSIM_ISP_NONE)
        return false;
    for (uint32_t k = s->amaps[a].first_slot; k < s->amaps[a].first_slot + s->amaps[a].nused; k++)
        if (s->slots[k].slot == slot) {
            *pa = s->anons[s->slots[k].anon].pa;
            return true;
        }
    return false;
}

static bool find_objpage(const struct uvmsim_isp_snapshot *s, uint64_t id, uint64_t index, uvmsim_paddr_t *pa)
{
    uint32_t o = find_object(s, id);
    if (o == UVMSIM_ISP_NONE)
        return false;
    for (uint32_t k = s->objects[o].first_page; k < s->objects[o].first_page + s->objects[o].nres; k++)
        if (s->objpages[k].index == index) {
            *pa = s->objpages[k].pa;
            return true;
        }
    return false;
}

static const struct pgnode *find_page(const struct scn_state *st, uvmsim_paddr_t pa)
{
    struct pgnode key = {.pa = pa};
    return st->npages ? bsearch(&key, st->pages, st->npages, sizeof(key), cmp_pg) : NULL;
}

/* ---- the writer ---- */

typedef enum mark { MK_NONE = 0, MK_NEW, MK_CHANGED, MK_GONE } mark;
static const char *const mark_names[] = {"", "new", "changed", "freed"};

struct dotw {
    FILE *out;
    const struct scn_state *cur, *prev;  /* prev NULL: nothing is marked */
    const char *idp;                     /* SVG id prefix, NULL: no ids */
    struct sbuf *changes;                /* "MARK\tTEXT\n" per change, or NULL */
    unsigned nedge;                      /* edges given an id so far */
};

static void change(struct dotw *w, mark m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void change(struct dotw *w, mark m, const char *fmt, ...)
{
    if (w->changes == NULL)
        return;
    uvmsim_sb_printf(w->changes, "%s\t", mark_names[m]);
    va_list ap;
    va_start(ap, fmt);
    uvmsim_sb_vprintf(w->changes, fmt, ap);
    va_end(ap);
    uvmsim_sb_putc(w->changes, '\n');
}

/* The attributes that mark a node or edge (after its own, inside the brackets). */
static void mark_attrs(struct dotw *w, mark m, bool edge)
{
    switch (m) {
    case MK_NEW:
        fprintf(w->out, ", color=%s, penwidth=3%s", NEW_COLOR, edge ? ", fontcolor=" NEW_COLOR : "");
        break;
    case MK_CHANGED:
        fprintf(w->out, ", color=%s, penwidth=3%s", CHANGED_COLOR, edge ? ", fontcolor=" CHANGED_COLOR : "");
        break;
    case MK_GONE:
        fprintf(w->out, ", style=dashed, color=%s, fontcolor=%s", GONE_COLOR, GONE_COLOR);
        break;
    default:
        break;
    }
    if (m != MK_NONE && w->idp)
        fprintf(w->out, ", class=\"%s\"", mark_names[m]);
}

/* A node's id (for the SVG) when the picture has ids. */
static void node_id(struct dotw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void node_id(struct dotw *w, const char *fmt, ...)
{
    if (w->idp == NULL)
        return;
    fprintf(w->out, ", id=\"%s", w->idp);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(w->out, fmt, ap);
    va_end(ap);
    fprintf(w->out, "\"");
}

static void edge_id(struct dotw *w)
{
    if (w->idp)
        fprintf(w->out, ", id=\"%sx%u\"", w->idp, w->nedge++);
}

/* The end of an edge without a label of its own: attributes only when it has an id or a mark. */
static void bare_edge_end(struct dotw *w, mark m)
{
    if (w->idp == NULL && m == MK_NONE) {
        fprintf(w->out, ";\n");
        return;
    }
    fprintf(w->out, " [style=solid");
    edge_id(w);
    mark_attrs(w, m, true);
    fprintf(w->out, "];\n");
}

static const char *pname_of(const struct scn_state *st, uint32_t pidx)
{
    return st->pnames[pidx] ? st->pnames[pidx] : "process";
}

static void entry_flags(struct sbuf *b, const struct uvmsim_isp_entry *e)
{
    char pb[4];
    uvmsim_sb_printf(b, "%s %s%s%s", uvmsim_scn_prot_str(e->prot, pb), e->shared ? "shared" : "private",
                     e->copy_on_write ? " cow" : "", e->needs_copy ? " needs-copy" : "");
}

static const char *loc_word(uvmsim_page_loc l)
{
    return l == UVMSIM_LOC_RAM ? "RAM" : l == UVMSIM_LOC_DEVICE ? "NOR" : l == UVMSIM_LOC_ZERO ? "zero page" : "?";
}

/* processes and their map entries */
static void draw_procs(struct dotw *w)
{
    const struct uvmsim_isp_snapshot *s = w->cur->snap, *ps = w->prev ? w->prev->snap : NULL;
    for (uint32_t i = 0; i < s->nprocs; i++) {
        const struct uvmsim_isp_proc *p = &s->procs[i];
        const char *name = w->cur->pnames[i];
        uint32_t pi = ps ? find_proc(ps, p->pid) : UVMSIM_ISP_NONE;
        mark m = !ps ? MK_NONE : pi == UVMSIM_ISP_NONE ? MK_NEW : ps->procs[pi].current != p->current ? MK_CHANGED : MK_NONE;
        if (m == MK_NEW)
            change(w, m, "process %s (pid %d) created", pname_of(w->cur, i), p->pid);
        else if (m == MK_CHANGED && p->current)
            change(w, m, "%s (pid %d) goes on the CPU", pname_of(w->cur, i), p->pid);
        fprintf(w->out, "  subgraph cluster_p%d {\n    label=\"%s%s(pid %d)\";\n", p->pid, name ? name : "",
                name ? " " : "", p->pid);
        if (w->idp)
            fprintf(w->out, "    id=\"%scluster_p%d\";\n", w->idp, p->pid);
        fprintf(w->out, "    p%d [label=\"%s\\npid %d%s\", shape=ellipse%s", p->pid, name ? name : "process",
                p->pid, p->current ? "\\n(on the CPU)" : "", p->current ? ", style=bold" : "");
        node_id(w, "p%d", p->pid);
        mark_attrs(w, m, false);
        fprintf(w->out, "];\n");
        for (uint32_t k = p->first_entry; k < p->first_entry + p->nentries; k++) {
            const struct uvmsim_isp_entry *e = &s->entries[k];
            struct sbuf was = {0}, now = {0};
            mark em = MK_NONE;
            entry_flags(&now, e);
            if (ps) {
                uint32_t pk = find_entry(ps, p->pid, e->start, e->end);
                if (pk == UVMSIM_ISP_NONE) {
                    em = MK_NEW;
                    change(w, em, "new map entry of %s [0x%llx-0x%llx) %s", pname_of(w->cur, i),
                           (unsigned long long)e->start, (unsigned long long)e->end, uvmsim_sb_str(&now));
                } else {
                    const struct uvmsim_isp_entry *pe = &ps->entries[pk];
                    entry_flags(&was, pe);
                    uint64_t am = e->amap == UVMSIM_ISP_NONE ? 0 : s->amaps[e->amap].id;
                    uint64_t pam = pe->amap == UVMSIM_ISP_NONE ? 0 : ps->amaps[pe->amap].id;
                    if (strcmp(uvmsim_sb_str(&was), uvmsim_sb_str(&now)) != 0 || pe->inherit != e->inherit ||
                        pe->advice != e->advice || am != pam) {
                        em = MK_CHANGED;
                        change(w, em, "map entry of %s [0x%llx-0x%llx): %s%s, was %s%s", pname_of(w->cur, i),
                               (unsigned long long)e->start, (unsigned long long)e->end, uvmsim_sb_str(&now),
                               am != pam ? (am ? " with an amap" : " without an amap") : "", uvmsim_sb_str(&was),
                               am != pam ? (pam ? " with another amap" : " without an amap") : "");
                    }
                }
            }
            fprintf(w->out, "    e%d_%llx [label=\"entry 0x%llx-0x%llx\\n%s%s%s\\ninherit %s, advice %s\"", p->pid,
                    (unsigned long long)e->start, (unsigned long long)e->start, (unsigned long long)e->end,
                    uvmsim_sb_str(&now), em == MK_CHANGED ? "\\nwas: " : "", em == MK_CHANGED ? uvmsim_sb_str(&was) : "",
                    inh_names[e->inherit % 3], adv_names[e->advice % 3]);
            node_id(w, "e%d_%llx", p->pid, (unsigned long long)e->start);
            mark_attrs(w, em, false);
            fprintf(w->out, "];\n");
            uvmsim_sb_free(&was);
            uvmsim_sb_free(&now);
        }
        /* entries of this process that the step removed */
        uint32_t pp = ps ? find_proc(ps, p->pid) : UVMSIM_ISP_NONE;
        for (uint32_t k = pp == UVMSIM_ISP_NONE ? 0 : ps->procs[pp].first_entry;
             pp != UVMSIM_ISP_NONE && k < ps->procs[pp].first_entry + ps->procs[pp].nentries; k++) {
            const struct uvmsim_isp_entry *e = &ps->entries[k];
            if (find_entry(s, p->pid, e->start, e->end) != UVMSIM_ISP_NONE)
                continue;
            change(w, MK_GONE, "map entry of %s [0x%llx-0x%llx) removed", pname_of(w->cur, i),
                   (unsigned long long)e->start, (unsigned long long)e->end);
            fprintf(w->out, "    e%d_%llx [label=\"removed entry\\n0x%llx-0x%llx\"", p->pid,
                    (unsigned long long)e->start, (unsigned long long)e->start, (unsigned long long)e->end);
            node_id(w, "e%d_%llx", p->pid, (unsigned long long)e->start);
            mark_attrs(w, MK_GONE, false);
            fprintf(w->out, "];\n");
        }
        fprintf(w->out, "  }\n");
        for (uint32_t k = p->first_entry; k < p->first_entry + p->nentries; k++) {
            fprintf(w->out, "  p%d -> e%d_%llx", p->pid, p->pid, (unsigned long long)s->entries[k].start);
            bare_edge_end(w, MK_NONE);
        }
    }
    for (uint32_t i = 0; ps && i < ps->nprocs; i++) {
        const struct uvmsim_isp_proc *p = &ps->procs[i];
        if (find_proc(s, p->pid) != UVMSIM_ISP_NONE)
            continue;
        change(w, MK_GONE, "process %s (pid %d) exited: its %u map entr%s and their PTEs are gone",
               pname_of(w->prev, i), p->pid, p->nentries, p->nentries == 1 ? "y" : "ies");
        fprintf(w->out, "  p%d [label=\"exited\\n%s\\npid %d\", shape=ellipse", p->pid, pname_of(w->prev, i), p->pid);
        node_id(w, "p%d", p->pid);
        mark_attrs(w, MK_GONE, false);
        fprintf(w->out, "];\n");
    }
}

/* amaps and anons: the upper layer */
static void draw_upper(struct dotw *w)
{
    const struct uvmsim_isp_snapshot *s = w->cur->snap, *ps = w->prev ? w->prev->snap : NULL;
    for (uint32_t i = 0; i < s->namaps; i++) {
        const struct uvmsim_isp_amap *a = &s->amaps[i];
        uint32_t pa = ps ? find_amap(ps, a->id) : UVMSIM_ISP_NONE;
        const struct uvmsim_isp_amap *pam = pa == UVMSIM_ISP_NONE ? NULL : &ps->amaps[pa];
        mark m = !ps ? MK_NONE : !pam ? MK_NEW : (pam->refs != a->refs || pam->nused != a->nused) ? MK_CHANGED : MK_NONE;
        fprintf(w->out, "  amap%llu [label=\"amap #%llu\\nrefs %u%s", (unsigned long long)a->id,
                (unsigned long long)a->id, a->refs, a->refs > 1 ? " (shared)" : "");
        if (m == MK_CHANGED && pam->refs != a->refs)
            fprintf(w->out, " (was %u)", pam->refs);
        fprintf(w->out, "\\n%u of %u slots used%s\", shape=folder", a->nused, a->nslot,
                a->shared ? "\\ninherited share" : "");
        if (a->refs > 1)
            fprintf(w->out, ", style=filled, fillcolor=%s", SHARED_COLOR);
        node_id(w, "amap%llu", (unsigned long long)a->id);
        mark_attrs(w, m, false);
        fprintf(w->out, "];\n");
        if (m == MK_NEW)
            change(w, m, "new amap #%llu: refs %u, %u of %u slots used", (unsigned long long)a->id, a->refs,
                   a->nused, a->nslot);
        else if (m == MK_CHANGED && pam->refs != a->refs)
            change(w, m, "amap #%llu: refs %u, was %u", (unsigned long long)a->id, a->refs, pam->refs);
        else if (m == MK_CHANGED)
            change(w, m, "amap #%llu: %u slots used, was %u", (unsigned long long)a->id, a->nused, pam->nused);
        for (uint32_t k = a->first_slot; k < a->first_slot + a->nused; k++) {
            uvmsim_paddr_t apa = s->anons[s->slots[k].anon].pa, old;
            mark em = !ps ? MK_NONE : !find_slot(ps, a->id, s->slots[k].slot, &old) ? MK_NEW :
                      old != apa ? MK_CHANGED : MK_NONE;
            fprintf(w->out, "  amap%llu -> anon_%llx [label=\"slot %u\"", (unsigned long long)a->id,
                    (unsigned long long)apa, s->slots[k].slot);
            edge_id(w);
            mark_attrs(w, em, true);
            fprintf(w->out, "];\n");
        }
    }
    for (uint32_t i = 0; ps && i < ps->namaps; i++) {
        if (find_amap(s, ps->amaps[i].id) != UVMSIM_ISP_NONE)
            continue;
        change(w, MK_GONE, "amap #%llu freed", (unsigned long long)ps->amaps[i].id);
        fprintf(w->out, "  amap%llu [label=\"freed\\namap #%llu\", shape=folder", (unsigned long long)ps->amaps[i].id,
                (unsigned long long)ps->amaps[i].id);
        node_id(w, "amap%llu", (unsigned long long)ps->amaps[i].id);
        mark_attrs(w, MK_GONE, false);
        fprintf(w->out, "];\n");
    }
    for (uint32_t i = 0; i < s->nanons; i++) {
        const struct uvmsim_isp_anon *an = &s->anons[i];
        uint32_t pi = ps ? find_anon(ps, an->pa) : UVMSIM_ISP_NONE;
        mark m = !ps ? MK_NONE : pi == UVMSIM_ISP_NONE ? MK_NEW : ps->anons[pi].refs != an->refs ? MK_CHANGED : MK_NONE;
        fprintf(w->out, "  anon_%llx [label=\"anon\\nrefs %u", (unsigned long long)an->pa, an->refs);
        if (m == MK_CHANGED)
            fprintf(w->out, " (was %u)", ps->anons[pi].refs);
        fprintf(w->out, "%s\", shape=oval", an->refs > 1 ? "\\nshared by amaps" : "");
        if (an->refs > 1)
            fprintf(w->out, ", style=filled, fillcolor=%s", SHARED_COLOR);
        node_id(w, "anon_%llx", (unsigned long long)an->pa);
        mark_attrs(w, m, false);
        fprintf(w->out, "];\n  anon_%llx -> pg_%llx", (unsigned long long)an->pa, (unsigned long long)an->pa);
        bare_edge_end(w, m == MK_NEW ? MK_NEW : MK_NONE);
        if (m == MK_NEW)
            change(w, m, "new anon with RAM page 0x%llx (refs %u)", (unsigned long long)an->pa, an->refs);
        else if (m == MK_CHANGED)
            change(w, m, "anon of page 0x%llx: refs %u, was %u", (unsigned long long)an->pa, an->refs, ps->anons[pi].refs);
    }
    for (uint32_t i = 0; ps && i < ps->nanons; i++) {
        if (find_anon(s, ps->anons[i].pa) != UVMSIM_ISP_NONE)
            continue;
        change(w, MK_GONE, "anon of page 0x%llx freed", (unsigned long long)ps->anons[i].pa);
        fprintf(w->out, "  anon_%llx [label=\"freed\\nanon\", shape=oval", (unsigned long long)ps->anons[i].pa);
        node_id(w, "anon_%llx", (unsigned long long)ps->anons[i].pa);
        mark_attrs(w, MK_GONE, false);
        fprintf(w->out, "];\n");
    }
}

/* objects: the lower layer */
static void draw_lower(struct dotw *w)
{
    const struct uvmsim_isp_snapshot *s = w->cur->snap, *ps = w->prev ? w->prev->snap : NULL;
    for (uint32_t i = 0; i < s->nobjects; i++) {
        const struct uvmsim_isp_object *o = &s->objects[i];
        uint32_t pi = ps ? find_object(ps, o->id) : UVMSIM_ISP_NONE;
        const struct uvmsim_isp_object *po = pi == UVMSIM_ISP_NONE ? NULL : &ps->objects[pi];
        mark m = !ps ? MK_NONE : !po ? MK_NEW : (po->refs != o->refs || po->nres != o->nres) ? MK_CHANGED : MK_NONE;
        fprintf(w->out, "  obj%llu [label=\"%s object #%llu\\nrefs %u", (unsigned long long)o->id, o->kind,
                (unsigned long long)o->id, o->refs);
        if (m == MK_CHANGED && po->refs != o->refs)
            fprintf(w->out, " (was %u)", po->refs);
        fprintf(w->out, "\\n%llu page%s, %u resident in RAM", (unsigned long long)o->npages, o->npages == 1 ? "" : "s",
                o->nres);
        if (m == MK_CHANGED && po->nres != o->nres)
            fprintf(w->out, " (was %u)", po->nres);
        fprintf(w->out, "\", shape=component");
        if (o->refs > 1)
            fprintf(w->out, ", style=filled, fillcolor=%s", SHARED_COLOR);
        node_id(w, "obj%llu", (unsigned long long)o->id);
        mark_attrs(w, m, false);
        fprintf(w->out, "];\n");
        if (m == MK_NEW)
            change(w, m, "new %s object #%llu: refs %u, %u page%s resident", o->kind, (unsigned long long)o->id,
                   o->refs, o->nres, o->nres == 1 ? "" : "s");
        else if (m == MK_CHANGED)
            change(w, m, "%s object #%llu: refs %u, %u resident (was refs %u, %u resident)", o->kind,
                   (unsigned long long)o->id, o->refs, o->nres, po->refs, po->nres);
        for (uint32_t k = o->first_page; k < o->first_page + o->nres; k++) {
            uvmsim_paddr_t old;
            mark em = !ps ? MK_NONE : !find_objpage(ps, o->id, s->objpages[k].index, &old) ? MK_NEW :
                      old != s->objpages[k].pa ? MK_CHANGED : MK_NONE;
            fprintf(w->out, "  obj%llu -> pg_%llx [label=\"page %llu\"", (unsigned long long)o->id,
                    (unsigned long long)s->objpages[k].pa, (unsigned long long)s->objpages[k].index);
            edge_id(w);
            mark_attrs(w, em, true);
            fprintf(w->out, "];\n");
        }
    }
    for (uint32_t i = 0; ps && i < ps->nobjects; i++) {
        if (find_object(s, ps->objects[i].id) != UVMSIM_ISP_NONE)
            continue;
        change(w, MK_GONE, "%s object #%llu freed", ps->objects[i].kind, (unsigned long long)ps->objects[i].id);
        fprintf(w->out, "  obj%llu [label=\"freed\\n%s object #%llu\", shape=component",
                (unsigned long long)ps->objects[i].id, ps->objects[i].kind, (unsigned long long)ps->objects[i].id);
        node_id(w, "obj%llu", (unsigned long long)ps->objects[i].id);
        mark_attrs(w, MK_GONE, false);
        fprintf(w->out, "];\n");
    }
}

/* entry → amap / object, and the translations (PV entries) */
static void draw_links(struct dotw *w)
{
    const struct uvmsim_isp_snapshot *s = w->cur->snap, *ps = w->prev ? w->prev->snap : NULL;
    char pb[4], ob[4];
    for (uint32_t i = 0; i < s->nprocs; i++) {
        const struct uvmsim_isp_proc *p = &s->procs[i];
        for (uint32_t k = p->first_entry; k < p->first_entry + p->nentries; k++) {
            const struct uvmsim_isp_entry *e = &s->entries[k];
            uint32_t pk = ps ? find_entry(ps, p->pid, e->start, e->end) : UVMSIM_ISP_NONE;
            const struct uvmsim_isp_entry *pe = pk == UVMSIM_ISP_NONE ? NULL : &ps->entries[pk];
            if (e->amap != UVMSIM_ISP_NONE) {
                uint64_t id = s->amaps[e->amap].id;
                mark m = ps && (!pe || pe->amap == UVMSIM_ISP_NONE || ps->amaps[pe->amap].id != id) ? MK_NEW : MK_NONE;
                fprintf(w->out, "  e%d_%llx -> amap%llu [label=\"slots %u-%u\"", p->pid, (unsigned long long)e->start,
                        (unsigned long long)id, e->slotoff,
                        e->slotoff + (unsigned)((e->end - e->start) / s->page_size) - 1);
                edge_id(w);
                mark_attrs(w, m, true);
                fprintf(w->out, "];\n");
            }
            if (e->object != UVMSIM_ISP_NONE) {
                uint64_t id = s->objects[e->object].id;
                mark m = ps && (!pe || pe->object == UVMSIM_ISP_NONE || ps->objects[pe->object].id != id) ? MK_NEW : MK_NONE;
                fprintf(w->out, "  e%d_%llx -> obj%llu [label=\"offset 0x%llx\"", p->pid, (unsigned long long)e->start,
                        (unsigned long long)id, (unsigned long long)e->offset);
                edge_id(w);
                mark_attrs(w, m, true);
                fprintf(w->out, "];\n");
            }
            for (uint32_t t = e->first_pte; t < e->first_pte + e->npte; t++) {
                const struct uvmsim_isp_pte *pt = &s->ptes[t];
                const struct uvmsim_isp_pte *old = ps ? find_pte(ps, p->pid, pt->va) : NULL;
                mark m = !ps ? MK_NONE : !old ? MK_NEW : (old->pa != pt->pa || old->prot != pt->prot) ? MK_CHANGED : MK_NONE;
                fprintf(w->out, "  e%d_%llx -> pg_%llx [label=\"PTE va 0x%llx %s", p->pid, (unsigned long long)e->start,
                        (unsigned long long)pt->pa, (unsigned long long)pt->va, uvmsim_scn_prot_str(pt->prot, pb));
                if (m == MK_CHANGED)
                    fprintf(w->out, "\\nwas 0x%llx %s", (unsigned long long)old->pa, uvmsim_scn_prot_str(old->prot, ob));
                fprintf(w->out, "\", style=dashed");
                if (m == MK_NONE)
                    fprintf(w->out, ", color=blue, fontcolor=blue");
                edge_id(w);
                mark_attrs(w, m, true);
                fprintf(w->out, "];\n");
                if (m == MK_NEW)
                    change(w, m, "new PTE of %s: va 0x%llx maps %s page 0x%llx %s", pname_of(w->cur, i),
                           (unsigned long long)pt->va, loc_word(pt->loc), (unsigned long long)pt->pa,
                           uvmsim_scn_prot_str(pt->prot, pb));
                else if (m == MK_CHANGED)
                    change(w, m, "PTE of %s: va 0x%llx maps %s page 0x%llx %s, was page 0x%llx %s", pname_of(w->cur, i),
                           (unsigned long long)pt->va, loc_word(pt->loc), (unsigned long long)pt->pa,
                           uvmsim_scn_prot_str(pt->prot, pb), (unsigned long long)old->pa,
                           uvmsim_scn_prot_str(old->prot, ob));
            }
        }
        /* translations this step removed from an entry that is still there */
        uint32_t pp = ps ? find_proc(ps, p->pid) : UVMSIM_ISP_NONE;
        for (uint32_t k = pp == UVMSIM_ISP_NONE ? 0 : ps->procs[pp].first_entry;
             pp != UVMSIM_ISP_NONE && k < ps->procs[pp].first_entry + ps->procs[pp].nentries; k++) {
            const struct uvmsim_isp_entry *pe = &ps->entries[k];
            for (uint32_t t = pe->first_pte; t < pe->first_pte + pe->npte; t++) {
                const struct uvmsim_isp_pte *pt = &ps->ptes[t];
                if (find_pte(s, p->pid, pt->va) != NULL)
                    continue;
                change(w, MK_GONE, "PTE of %s for va 0x%llx removed (it mapped page 0x%llx %s)", pname_of(w->cur, i),
                       (unsigned long long)pt->va, (unsigned long long)pt->pa, uvmsim_scn_prot_str(pt->prot, pb));
                fprintf(w->out, "  e%d_%llx -> pg_%llx [label=\"removed PTE va 0x%llx\"", p->pid,
                        (unsigned long long)pe->start, (unsigned long long)pt->pa,
                        (unsigned long long)pt->va);
                edge_id(w);
                mark_attrs(w, MK_GONE, true);
                fprintf(w->out, "];\n");
            }
        }
    }
}

static void page_node(struct dotw *w, const struct pgnode *pg, mark m, unsigned old_pv)
{
    FILE *out = w->out;
    fprintf(out, "  pg_%llx [label=\"%s0x%llx", (unsigned long long)pg->pa,
            m == MK_GONE ? "no longer used\\n" : pg->loc == UVMSIM_LOC_RAM ? "RAM " : pg->loc == UVMSIM_LOC_DEVICE ? "NOR " :
            pg->loc == UVMSIM_LOC_ZERO ? "zero page " : "? ", (unsigned long long)pg->pa);
    if (m == MK_GONE) {
        fprintf(out, "\", shape=box3d");
    } else {
        if (pg->loc == UVMSIM_LOC_DEVICE)
            fprintf(out, "\\ndevice page (no vm_page)");
        if (pg->loc == UVMSIM_LOC_ZERO)
            fprintf(out, "\\nshared by every hole");
        fprintf(out, "\\nPV entries: %u", pg->pv);
        if (m == MK_CHANGED)
            fprintf(out, " (was %u)", old_pv);
        if (pg->pv > 1)
            fprintf(out, "\\nshared: %u mappings", pg->pv);
        fprintf(out, "\", shape=box3d");
        if (pg->pv > 1)
            fprintf(out, ", style=filled, fillcolor=%s", SHARED_COLOR);
        else if (pg->loc == UVMSIM_LOC_DEVICE)
            fprintf(out, ", style=filled, fillcolor=lightyellow");
        else if (pg->loc == UVMSIM_LOC_ZERO)
            fprintf(out, ", style=filled, fillcolor=lightgrey");
    }
    node_id(w, "pg_%llx", (unsigned long long)pg->pa);
    mark_attrs(w, m, false);
    fprintf(out, "];\n");
}

/* every physical page named above, once; pages the step let go as ghosts */
static void draw_pages(struct dotw *w)
{
    for (uint32_t i = 0; i < w->cur->npages; i++) {
        const struct pgnode *pg = &w->cur->pages[i];
        const struct pgnode *old = w->prev ? find_page(w->prev, pg->pa) : NULL;
        mark m = !w->prev ? MK_NONE : !old ? MK_NEW : old->pv != pg->pv ? MK_CHANGED : MK_NONE;
        page_node(w, pg, m, old ? old->pv : 0);
        if (m == MK_NEW)
            change(w, m, "%s page 0x%llx now in use (PV entries: %u)", loc_word(pg->loc), (unsigned long long)pg->pa, pg->pv);
        else if (m == MK_CHANGED)
            change(w, m, "%s page 0x%llx: PV entries %u, was %u", loc_word(pg->loc), (unsigned long long)pg->pa, pg->pv,
                   old->pv);
    }
    for (uint32_t i = 0; w->prev && i < w->prev->npages; i++) {
        const struct pgnode *pg = &w->prev->pages[i];
        if (find_page(w->cur, pg->pa) != NULL)
            continue;
        change(w, MK_GONE, "%s page 0x%llx no longer used (no anon, object or PTE names it)", loc_word(pg->loc),
               (unsigned long long)pg->pa);
        page_node(w, pg, MK_GONE, 0);
    }
}

/* What a TLB entry's tag is: the generic backend tags by ASID; the ARM ones do not. */
static const char *tag_name(const struct scn_state *st)
{
    return strcmp(st->backend, "generic") == 0 ? "ASID" : "tag";
}

static const char *tlb_name(const struct uvmsim_isp_snapshot *s, unsigned tlb)
{
    return !s->split_tlb ? "TLB" : tlb ? "I-TLB" : "D-TLB";
}

static void tlb_row(struct dotw *w, const struct uvmsim_isp_snapshot *s, const struct uvmsim_isp_tlbent *t, mark m)
{
    char pb[4];
    const char *bg = m == MK_NEW ? " bgcolor=" NEW_FILL : m == MK_CHANGED ? " bgcolor=" CHANGED_FILL : "";
    const char *o = m == MK_GONE ? "<font color=\"grey45\"><s>" : "", *c = m == MK_GONE ? "</s></font>" : "";
    fprintf(w->out, "    <tr>");
    if (s->split_tlb)
        fprintf(w->out, "<td%s>%s%s%s</td>", bg, o, tlb_name(s, t->tlb), c);
    fprintf(w->out, "<td%s>%s%u%s</td><td%s>%s0x%llx%s</td><td%s>%s0x%llx%s</td><td%s>%s%s%s</td><td%s>%s%s%s</td></tr>\n",
            bg, o, t->tag, c, bg, o, (unsigned long long)t->va, c, bg, o, (unsigned long long)t->pa, c, bg, o,
            uvmsim_scn_prot_str(t->prot, pb), c, bg, o,
            m == MK_NEW ? "filled" : m == MK_CHANGED ? "refilled" : m == MK_GONE ? "flushed" : "", c);
}

/* The valid TLB entries as one table; filled, refilled and flushed rows marked. */
static void draw_tlb(struct dotw *w)
{
    const struct uvmsim_isp_snapshot *s = w->cur->snap, *ps = w->prev ? w->prev->snap : NULL;
    uint32_t gone = 0;
    for (uint32_t i = 0; ps && i < ps->ntlb; i++)
        gone += uvmsim_introspect_tlb_find(s, &ps->tlb[i]) == NULL;
    if (s->ntlb == 0 && gone == 0)
        return;
    fprintf(w->out, "  tlb [shape=plaintext");
    node_id(w, "tlb");
    fprintf(w->out, ", label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"3\">\n"
                    "    <tr><td colspan=\"%d\"><b>%s: %u valid entr%s</b></td></tr>\n    <tr>%s<td>%s</td>"
                    "<td>va</td><td>pa</td><td>prot</td><td>this step</td></tr>\n",
            s->split_tlb ? 6 : 5, s->split_tlb ? "TLBs" : "TLB", s->ntlb, s->ntlb == 1 ? "y" : "ies",
            s->split_tlb ? "<td>TLB</td>" : "", tag_name(w->cur));
    char pb[4], ob[4];
    for (uint32_t i = 0; i < s->ntlb; i++) {
        const struct uvmsim_isp_tlbent *t = &s->tlb[i];
        const struct uvmsim_isp_tlbent *old = ps ? uvmsim_introspect_tlb_find(ps, t) : NULL;
        mark m = !ps ? MK_NONE : !old ? MK_NEW : (old->pa != t->pa || old->prot != t->prot) ? MK_CHANGED : MK_NONE;
        tlb_row(w, s, t, m);
        if (m == MK_NEW)
            change(w, m, "%s filled: %s %u va 0x%llx maps page 0x%llx %s", tlb_name(s, t->tlb), tag_name(w->cur), t->tag,
                   (unsigned long long)t->va, (unsigned long long)t->pa, uvmsim_scn_prot_str(t->prot, pb));
        else if (m == MK_CHANGED)
            change(w, m, "%s refilled: %s %u va 0x%llx maps page 0x%llx %s, was page 0x%llx %s", tlb_name(s, t->tlb),
                   tag_name(w->cur), t->tag, (unsigned long long)t->va, (unsigned long long)t->pa, uvmsim_scn_prot_str(t->prot, pb),
                   (unsigned long long)old->pa, uvmsim_scn_prot_str(old->prot, ob));
    }
    for (uint32_t i = 0; ps && i < ps->ntlb; i++) {
        const struct uvmsim_isp_tlbent *t = &ps->tlb[i];
        if (uvmsim_introspect_tlb_find(s, t) != NULL)
            continue;
        tlb_row(w, ps, t, MK_GONE);
        change(w, MK_GONE, "%s entry flushed: %s %u va 0x%llx (it mapped page 0x%llx %s)", tlb_name(ps, t->tlb),
               tag_name(w->cur), t->tag,
               (unsigned long long)t->va, (unsigned long long)t->pa, uvmsim_scn_prot_str(t->prot, pb));
    }
    fprintf(w->out, "  </table>>];\n");   /* the rows carry the marks */
}

/* The legend's samples: nodes drawn as the picture draws them, and edges between them. */
static const struct {
    const char *name, *attrs;
    bool mark;                /* a sample of a change mark (pictures of one step only) */
} legend_nodes[] = {
    {"lg_proc", "label=\"process\", shape=ellipse", false},
    {"lg_entry", "label=\"map entry\\nprot, cow, needs-copy\"", false},
    {"lg_amap", "label=\"amap\\n(anon slots)\", shape=folder", false},
    {"lg_anon", "label=\"anon\", shape=oval", false},
    {"lg_obj", "label=\"object\\n(vnode, XIP, anon)\", shape=component", false},
    {"lg_ram", "label=\"RAM page\\nPV entries\", shape=box3d", false},
    {"lg_nor", "label=\"NOR page\\n(device, no vm_page)\", shape=box3d, style=filled, fillcolor=lightyellow", false},
    {"lg_zero", "label=\"the zero page\", shape=box3d, style=filled, fillcolor=lightgrey", false},
    {"lg_shared", "label=\"filled orange:\\nshared by several\", style=filled, fillcolor=" SHARED_COLOR, false},
    {"lg_new", "label=\"new in this step\", color=" NEW_COLOR ", penwidth=3", true},
    {"lg_changed", "label=\"changed in this step\\n(was: the old value)\", color=" CHANGED_COLOR ", penwidth=3", true},
    {"lg_gone", "label=\"freed or removed\\nin this step\", style=dashed, color=" GONE_COLOR ", fontcolor=" GONE_COLOR, true},
    {"lg_tlb", "shape=plaintext, label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"2\">"
               "<tr><td>TLB row</td></tr><tr><td bgcolor=" NEW_FILL ">filled</td></tr><tr><td bgcolor=" CHANGED_FILL
               ">refilled</td></tr><tr><td><font color=\"grey45\"><s>flushed</s></font></td></tr></table>>", true},
};
static const struct {
    const char *from, *to, *attrs;
    bool mark;
} legend_edges[] = {
    {"lg_proc", "lg_entry", "label=\"has\"", false},
    {"lg_entry", "lg_amap", "label=\"upper layer\"", false},
    {"lg_amap", "lg_anon", "label=\"slot\"", false},
    {"lg_anon", "lg_ram", "style=solid", false},
    {"lg_entry", "lg_obj", "label=\"lower layer\"", false},
    {"lg_obj", "lg_ram", "label=\"resident page\"", false},
    {"lg_entry", "lg_nor", "label=\"PTE (a PV entry):\\nva and rights\", style=dashed, color=blue, fontcolor=blue", false},
    /* invisible: keep the samples without edges in one column */
    {"lg_nor", "lg_zero", "style=invis", false},
    {"lg_zero", "lg_shared", "style=invis", false},
    {"lg_shared", "lg_new", "style=invis", true},
    {"lg_new", "lg_changed", "style=invis", true},
    {"lg_changed", "lg_gone", "style=invis", true},
    {"lg_gone", "lg_tlb", "style=invis", true},
};

void uvmsim_scn_dot_legend(FILE *out, bool marks, const char *idp)
{
    fprintf(out, "  subgraph cluster_legend {\n    label=\"legend\";\n    style=rounded;\n    color=grey60;\n");
    if (idp)
        fprintf(out, "    id=\"%slegend\";\n", idp);
    fprintf(out, "    node [fontsize=9];\n    edge [fontsize=8];\n");
    for (size_t i = 0; i < sizeof(legend_nodes) / sizeof(legend_nodes[0]); i++) {
        if (legend_nodes[i].mark && !marks)
            continue;
        fprintf(out, "    %s [%s", legend_nodes[i].name, legend_nodes[i].attrs);
        if (idp)
            fprintf(out, ", id=\"%s%s\"", idp, legend_nodes[i].name);
        fprintf(out, "];\n");
    }
    for (size_t i = 0; i < sizeof(legend_edges) / sizeof(legend_edges[0]); i++) {
        if (legend_edges[i].mark && !marks)
            continue;
        fprintf(out, "    %s -> %s [%s", legend_edges[i].from, legend_edges[i].to, legend_edges[i].attrs);
        if (idp)
            fprintf(out, ", id=\"%sx%zu\"", idp, i);
        fprintf(out, "];\n");
    }
    fprintf(out, "  }\n");
}

int uvmsim_scn_dot_write(const struct scn_state *cur, const struct scn_dot_opts *o, FILE *out)
{
    struct dotw w = {.out = out, .cur = cur, .prev = o ? o->prev : NULL, .idp = o ? o->idp : NULL,
                     .changes = o ? o->changes : NULL};
    fprintf(out, "digraph uvmsim {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10, shape=box];\n"
                 "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    if (w.idp)
        fprintf(out, "  id=\"%sgraph\";\n", w.idp);
    fprintf(out, "  labelloc=t;\n  label=\"%s: state after step %u", o && o->name ? o->name : "", cur->step);
    if (o && o->line)
        fprintf(out, " (line %u)", o->line);
    fprintf(out, ", pmap %s\";\n", cur->backend);
    /* declared first, Graphviz puts the legend below the picture (rankdir=LR) */
    if (o && o->legend)
        uvmsim_scn_dot_legend(out, w.prev != NULL, w.idp);
    draw_procs(&w);
    draw_upper(&w);
    draw_lower(&w);
    draw_links(&w);
    draw_pages(&w);
    draw_tlb(&w);
    fprintf(out, "}\n");
    return UVMSIM_OK;
}

int uvmsim_scn_dot(struct scn_runtime *rt, FILE *out)
{
    struct scn_state st;
    int err = uvmsim_scn_state_take(rt, &st);
    if (err)
        return err;
    const struct scn_step *last = rt->step ? &rt->s->steps[rt->step - 1] : NULL;
    struct scn_dot_opts o = {.name = rt->s->name, .line = last ? last->line : 0, .legend = true};
    err = uvmsim_scn_dot_write(&st, &o, out);
    uvmsim_scn_state_free(&st);
    return err;
}
