/* Check suite for the teaching output: the example scenarios (examples/scenarios/ (every .scn))
 * run and hold on every backend; `explain` names every handler step, the decision, the
 * cost and the TLB effect (src/cli/scn_trace.c); `dot` draws the right nodes and edges
 * (src/cli/scn_dot.c) from the introspection snapshot (src/vm/uvm_introspect.c), which
 * is tested directly too. */
#include "cli_util.h"
#include "vm/uvm_introspect.h"

static const char *const examples[] = {"cow-fork.scn", "xip-vs-copy-exec.scn", "xip-hole.scn", "protect-down.scn",
                                       "fass-domain-recycle.scn", "shared-anon.scn", "wire.scn", "sysv-shm.scn",
                                       "read-ubc.scn", "xip-faultop-stale.scn", "sparse-1tib.scn"};
#define NEXAMPLES (int)(sizeof(examples) / sizeof(examples[0]))

static bool needs_fass(const char *name)
{
    return strstr(name, "fass") != NULL;
}

/* Every example holds; the backend-neutral ones on every backend. */
START_TEST(test_example_runs)
{
    const char *name = examples[_i];
    if (needs_fass(name) && !cu_have_backend("fass")) {
        printf("SKIP %s: the fass backend is not in uvmsim_pmap_backends() of this build\n", name);
        return;
    }
    struct cu_run r;
    ck_assert_msg(cu_run_example(name, UVMSIM_SCN_MODE_RUN, &r) == UVMSIM_SCN_OK, "%s:\n%s%s", name, r.out, r.err);
    CU_HAS(r.out, "ok: ");
    ck_assert_str_eq(r.err, "");
    cu_free(&r);
    if (needs_fass(name) || strstr(name, "1tib") != NULL)   /* a terabyte needs the 64-bit MMU */
        return;
    char path[512];
    snprintf(path, sizeof(path), "%s/examples/scenarios/%s", UVMSIM_SOURCE_DIR, name);
    for (const char *const *be = uvmsim_pmap_backends(); *be; be++) {
        uvmsim_scn *s;
        char msg[512];
        ck_assert_int_eq(uvmsim_scn_load(path, &s, msg, sizeof(msg)), UVMSIM_SCN_OK);
        uvmsim_scn_opts o;
        uvmsim_scn_opts_init(&o);
        o.pmap = *be;
        char *out = NULL, *err = NULL;
        size_t ol, el;
        o.out = open_memstream(&out, &ol);
        o.err = open_memstream(&err, &el);
        int rc = uvmsim_scn_run(s, &o);
        fclose(o.out);
        fclose(o.err);
        ck_assert_msg(rc == UVMSIM_SCN_OK, "%s on %s:\n%s", name, *be, err);
        free(out);
        free(err);
        uvmsim_scn_free(s);
    }
}
END_TEST

/* ---- explain ---- */

/* The new steps narrate themselves: wiring faults with the maximum protection, and
 * amap_copy chunking of a large entry. */
START_TEST(test_explain_wire_chunk)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run_example("wire.scn", UVMSIM_SCN_MODE_EXPLAIN, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "Wiring faults 0x10000000 in (uvm_fault_wire: no CPU access, no TLB)");
    CU_HAS(r.out, "wire fault (uvm_fault_wire): the entry's maximum protection rwx is checked; copy-on-write is resolved now");
    CU_HAS(r.out, "lower-promote: a store to a copy-on-write mapping; copy the nor page into a new anon");
    cu_free(&r);
    ck_assert_int_eq(cu_run_example("sparse-1tib.scn", UVMSIM_SCN_MODE_EXPLAIN, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "amap_copy chunking: the 268435456-page entry was clipped to [0x8000000000-0x8000010000) so the new amap covers 16 pages");
    cu_free(&r);
    ck_assert_int_eq(cu_run_example("xip-faultop-stale.scn", UVMSIM_SCN_MODE_EXPLAIN, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "pgo_fault answered EROFS: a copy-on-write fault, promote with pgo_copy_page");
    CU_HAS(r.out, "other processes' mappings of the device page are unmanaged (no PV entry): nothing can find them to unmap");
    cu_free(&r);
}
END_TEST

START_TEST(test_explain_cow)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run_example("cow-fork.scn", UVMSIM_SCN_MODE_EXPLAIN, &r), UVMSIM_SCN_OK);
    const char *o = r.out;
    CU_HAS(o, "Step 4 (line 19): store parent 0x10000000 \"hello\"");
    /* the way in: TLB miss and walk */
    CU_HAS(o, "TLB miss: pid 1 store at 0x10000000 is not in the TLB; the MMU walks the page tables");
    CU_HAS(o, "Walk: no valid page-table entry for 0x10000000: page fault");
    /* the steps of the handler, numbered, with the entry and its protection */
    CU_HAS(o, "Fault 1: pid 1, store at 0x10000000, enters the fault handler");
    CU_HAS(o, "1. check        map entry [0x10000000-0x10002000) prot rw-, private copy-on-write needs-copy, amap none, object none");
    CU_HAS(o, "upper-lookup amap (refs 1) has no anon in slot 0: lower fault");
    CU_HAS(o, "lower        zero-fill: no object below the amap; allocate a zeroed anon");
    CU_HAS(o, "enter        pmap_enter va 0x10000000 -> pa 0x");
    CU_HAS(o, "Decision: zero-fill, because neither an anon nor an object backs the page");
    CU_HAS(o, "Cost: ");
    CU_HAS(o, "1 for data, ");
    /* after fork: the amap copy, the shared anon, the promotion and the copy */
    CU_HAS(o, "needs-copy: the amap was shared (2 refs), so amap_copy gave this entry its own");
    CU_HAS(o, "holds an anon (refs 2)");
    CU_HAS(o, "upper-direct: a read of an anon shared by 2 amaps: map it without write");
    CU_HAS(o, "upper-promote: a store to an anon with 2 references must not be seen by the others");
    CU_HAS(o, "Copy: 4096 bytes from page 0x");
    CU_HAS(o, "Decision: upper-promote, because the page is an anon still referenced by another amap");
    CU_HAS(o, "4096 bytes copied");
    CU_HAS(o, "the anon has 1 reference; the amap has 1 reference");
    /* the protection fault of a read-only mapped page, and the TLB effect */
    CU_HAS(o, "TLB hit: the cached translation of 0x10000000 does not allow a store: protection fault");
    CU_HAS(o, "TLB (tlb): invalidate 0x10000000: a cached translation was dropped");
    CU_HAS(o, "the TLB is refilled and the store completes");
    CU_HAS(o, "Context switch: pid 2 goes on the CPU; the generic pmap is activated");
    CU_HAS(o, "Result: child is pid 2, a child of parent (pid 1)");
    /* every fault narrated ends with its decision */
    ck_assert_uint_eq(cu_count(o, "enters the fault handler"), cu_count(o, "    Decision: "));
    ck_assert_uint_ge(cu_count(o, "enters the fault handler"), 4);
    cu_free(&r);
}
END_TEST

START_TEST(test_explain_xip)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run_example("xip-vs-copy-exec.scn", UVMSIM_SCN_MODE_EXPLAIN, &r), UVMSIM_SCN_OK);
    const char *o = r.out;
    CU_HAS(o, "object xip-vnode");
    CU_HAS(o, "lower-lookup xip-vnode pager: page at object offset 0x");
    CU_HAS(o, "XIP: bmap gives filesystem block ");
    CU_HAS(o, "; device page at pa 0x4");
    CU_HAS(o, "lower-direct: not a store, so map the object's page itself, without write (copy-on-write)");
    CU_HAS(o, "the lower layer is XIP: NOR pages are mapped in place");
    CU_HAS(o, "-> nor page 0x4");
    /* the copy mount: a block read through the strategy routine */
    CU_HAS(o, "lower-lookup vnode pager: page at object offset 0x");
    CU_HAS(o, "is not resident");
    CU_HAS(o, "I/O: nor1: read 8 blocks at block ");
    CU_HAS(o, "vnode pager get: 1 block request(s), 4096 bytes read");
    CU_HAS(o, "1 I/O request (4096 bytes)");
    /* writable data promoted from NOR */
    CU_HAS(o, "lower-promote: a store to a copy-on-write mapping; copy the nor page into a new anon");
    CU_HAS(o, "Decision: lower-promote, because a store to a copy-on-write mapping must never reach the object");
    cu_free(&r);
}
END_TEST

START_TEST(test_explain_hole_protect)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run_example("xip-hole.scn", UVMSIM_SCN_MODE_EXPLAIN, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "XIP: bmap says the block is a hole (0); map the shared zero page at pa 0x");
    CU_HAS(r.out, "-> zero page 0x");
    CU_HAS(r.out, "copy the zero page into a new anon");
    cu_free(&r);
    ck_assert_int_eq(cu_run_example("protect-down.scn", UVMSIM_SCN_MODE_EXPLAIN, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "Walk: 0x20000000 maps page 0x");
    CU_HAS(r.out, "with r-- only; a store needs more: protection fault");
    CU_HAS(r.out, "check        map entry [0x20000000-0x20001000) has protection r--; a store needs write: EACCES");
    CU_HAS(r.out, "Decision: error EACCES (access not permitted by protection)");
    CU_HAS(r.out, "a fetch needs execute: EACCES");
    CU_HAS(r.out, "Result: failed: p store 4 bytes at 0x20000000: 1 fault, fault error EACCES");
    cu_free(&r);
}
END_TEST

/* The fault command calls the handler without a CPU access: said so, no TLB events. */
START_TEST(test_explain_fault_command)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run_mode("spawn p\nmap p 0x10000 pages=1\nfault p 0x10000 load\nexpect fault zero-fill\n",
                                 UVMSIM_SCN_MODE_EXPLAIN, false, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "Step 3 (line 3): fault p 0x10000 load\n  The fault handler is called directly for 0x10000 (no CPU access, no TLB)\n"
                  "  Fault 1: pid 1, load at 0x10000, enters the fault handler\n");
    CU_HASNT(r.out, "TLB miss");
    CU_HAS(r.out, "Decision: zero-fill");
    cu_free(&r);
}
END_TEST

START_TEST(test_explain_fass)
{
    if (!cu_have_backend("fass")) {
        printf("SKIP explain fass-domain-recycle: the fass backend is not in this build\n");
        return;
    }
    struct cu_run r;
    ck_assert_int_eq(cu_run_example("fass-domain-recycle.scn", UVMSIM_SCN_MODE_EXPLAIN, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "pmap (domain-recycle-dirty): fass: dirty domain recycled: cache and TLBs flushed");
    CU_HAS(r.out, "pmap (domain-recycle-clean): fass: clean domain recycled: CPD entries dropped, no flush");
    CU_HAS(r.out, "TLB flush (");
    CU_HAS(r.out, "the fass pmap is activated");
    ck_assert_uint_eq(cu_count(r.out, "domain-recycle-dirty):"), 1);
    cu_free(&r);
}
END_TEST

/* ---- dot ---- */

/* The picture without its legend cluster (edited in place; the legend has samples of
 * every colour, so "nothing is orange" must look past it). */
static char *without_legend(char *dot)
{
    char *a = strstr(dot, "  subgraph cluster_legend {\n");
    ck_assert_ptr_nonnull(a);
    char *b = strstr(a, "\n  }\n");
    ck_assert_ptr_nonnull(b);
    memmove(a, b + 5, strlen(b + 5) + 1);
    return dot;
}

static char *dot_of(const char *example, unsigned step)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/examples/scenarios/%s", UVMSIM_SOURCE_DIR, example);
    uvmsim_scn *s;
    char msg[512];
    ck_assert_int_eq(uvmsim_scn_load(path, &s, msg, sizeof(msg)), UVMSIM_SCN_OK);
    uvmsim_scn_opts o;
    uvmsim_scn_opts_init(&o);
    o.mode = UVMSIM_SCN_MODE_DOT;
    o.last_step = step;
    char *out = NULL, *err = NULL;
    size_t ol, el;
    o.out = open_memstream(&out, &ol);
    o.err = open_memstream(&err, &el);
    ck_assert_int_eq(uvmsim_scn_run(s, &o), UVMSIM_SCN_OK);
    fclose(o.out);
    fclose(o.err);
    ck_assert_str_eq(err, "");
    free(err);
    uvmsim_scn_free(s);
    dot_well_formed(out);
    return out;
}

START_TEST(test_dot_cow)
{
    /* after the fork (step 5): one amap with two references, shared by both entries */
    char *d = dot_of("cow-fork.scn", 5);
    CU_HAS(d, "examples/scenarios/cow-fork.scn: state after step 5 (line 25), pmap generic\"");
    CU_HAS(d, "subgraph cluster_p1 {\n    label=\"parent (pid 1)\";");
    CU_HAS(d, "p1 [label=\"parent\\npid 1\\n(on the CPU)\", shape=ellipse, style=bold];");
    CU_HAS(d, "subgraph cluster_p2 {\n    label=\"child (pid 2)\";");
    CU_HAS(d, "e1_10000000 [label=\"entry 0x10000000-0x10002000\\nrw- private cow needs-copy\\ninherit copy, advice normal\"];");
    CU_HAS(d, "p1 -> e1_10000000;");
    CU_HAS(d, "p2 -> e2_10000000;");
    CU_HAS(d, "amap1 [label=\"amap #1\\nrefs 2 (shared)\\n1 of 2 slots used\", shape=folder, style=filled, fillcolor=orange];");
    CU_HAS(d, "e1_10000000 -> amap1 [label=\"slots 0-1\"];");
    CU_HAS(d, "e2_10000000 -> amap1 [label=\"slots 0-1\"];");
    CU_HAS(d, "amap1 -> anon_2000 [label=\"slot 0\"];");
    CU_HAS(d, "anon_2000 [label=\"anon\\nrefs 1\", shape=oval];");
    CU_HAS(d, "anon_2000 -> pg_2000;");
    CU_HAS(d, "e1_10000000 -> pg_2000 [label=\"PTE va 0x10000000 r--\"");
    CU_HAS(d, "[label=\"PTE va 0x10000000 r--\", style=dashed");   /* write-protected by fork */
    CU_HASNT(d, "e2_10000000 -> pg_");                                     /* the child has no PTE yet */
    CU_HAS(d, "[label=\"RAM 0x");
    /* the legend explains shapes, colours and edge styles; plain dot marks no change */
    CU_HAS(d, "  subgraph cluster_legend {\n    label=\"legend\";");
    CU_HAS(d, "lg_entry -> lg_nor [label=\"PTE (a PV entry):\\nva and rights\", style=dashed, color=blue");
    CU_HAS(d, "lg_shared [label=\"filled orange:\\nshared by several\", style=filled, fillcolor=orange];");
    CU_HASNT(d, "lg_new");
    CU_HASNT(d, "class=");
    CU_HASNT(d, "penwidth=3");
    /* the TLB: fork write-protected the parent's page and invalidated its translation,
     * so no entry is valid and no table is drawn */
    CU_HASNT(d, "  tlb [");
    free(d);
    /* after the child's read (step 6): two amaps, one anon shared by both, one page with
     * two PV entries */
    d = dot_of("cow-fork.scn", 6);
    CU_HAS(d, "anon_2000 [label=\"anon\\nrefs 2\\nshared by amaps\", shape=oval, style=filled, fillcolor=orange];");
    CU_HAS(d, "amap1 -> anon_2000");
    CU_HAS(d, "amap2 -> anon_2000");
    CU_HAS(d, "PV entries: 2\\nshared: 2 mappings\", shape=box3d, style=filled, fillcolor=orange];");
    CU_HAS(d, "e2_10000000 -> pg_2000");
    free(d);
    /* after the child's store (step 7): each has its own anon and page */
    d = dot_of("cow-fork.scn", 7);
    CU_HAS(d, "amap1 -> anon_2000");
    CU_HAS(d, "amap2 -> anon_a000");
    CU_HAS(d, "<td>ASID</td><td>va</td><td>pa</td><td>prot</td>");
    CU_HAS(d, "<tr><td>2</td><td>0x10000000</td><td>0xa000</td><td>rw-</td><td></td></tr>");   /* refilled */
    CU_HASNT(without_legend(d), "fillcolor=orange");
    ck_assert_uint_eq(cu_count(d, "[label=\"RAM 0x"), 2);
    free(d);
}
END_TEST

START_TEST(test_dot_xip)
{
    char *d = dot_of("xip-vs-copy-exec.scn", 0);
    CU_HAS(d, "[label=\"xip-vnode object #");
    CU_HAS(d, "[label=\"vnode object #");
    CU_HAS(d, "resident in RAM\", shape=component");
    CU_HAS(d, "[label=\"page ");                          /* object -> resident cache page */
    CU_HAS(d, "[label=\"NOR 0x4");
    CU_HAS(d, "\\ndevice page (no vm_page)\\nPV entries: 2\\nshared: 2 mappings\", shape=box3d, style=filled, fillcolor=orange];");
    CU_HAS(d, "\\ndevice page (no vm_page)\\nPV entries: 1\", shape=box3d, style=filled, fillcolor=lightyellow];");
    CU_HAS(d, "[label=\"offset 0x");                       /* entry -> object */
    CU_HAS(d, "r-x\", style=dashed");                      /* a text PTE */
    for (int pid = 1; pid <= 4; pid++) {
        char want[64];
        snprintf(want, sizeof(want), "subgraph cluster_p%d {", pid);
        CU_HAS(d, want);
    }
    free(d);
    d = dot_of("xip-hole.scn", 6);   /* one mapping of the zero page so far */
    CU_HAS(d, "[label=\"zero page 0x");
    CU_HAS(d, "\\nshared by every hole\\nPV entries: 1\", shape=box3d, style=filled, fillcolor=lightgrey];");
    free(d);
    d = dot_of("xip-hole.scn", 0);
    CU_HAS(d, "[label=\"zero page 0x");
    CU_HAS(d, "\\nshared by every hole\\nPV entries: 2\\nshared: 2 mappings\"");
    free(d);
}
END_TEST

/* ---- the introspection snapshot itself ---- */

START_TEST(test_introspect)
{
    uvmsim_machine *m;
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
    struct uvmsim_isp_snapshot *s = (struct uvmsim_isp_snapshot *)&s;
    ck_assert_int_eq(uvmsim_introspect(NULL, &s), UVMSIM_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(uvmsim_introspect(m, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_introspect(m, &s), UVMSIM_OK);
    ck_assert_uint_eq(s->nprocs, 0);
    ck_assert_uint_eq(s->page_size, 4096);
    uvmsim_introspect_free(s);
    uvmsim_introspect_free(NULL);

    uvmsim_proc *p, *q;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = 0x10000000;
    a.size = 64 * 4096;
    a.flags = UVMSIM_MAP_FIXED;
    ck_assert_int_eq(uvmsim_map(p, &a, NULL), UVMSIM_OK);
    uvmsim_shmseg *seg;                              /* an anonymous object (SysV) */
    ck_assert_int_eq(uvmsim_shm_create(m, 2 * 4096, &seg), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_shm_attach(p, seg, 0x20000000, false, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_shm_remove(seg), UVMSIM_OK);
    uint8_t b = 1;
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(uvmsim_access_mem(p, 0x10000000 + (uvmsim_vaddr_t)i * 4096, UVMSIM_ACCESS_STORE, &b, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_access_mem(p, 0x20001000, UVMSIM_ACCESS_STORE, &b, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(p, &q), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_access_mem(q, 0x10000000, UVMSIM_ACCESS_LOAD, &b, 1, NULL, NULL), UVMSIM_OK);

    uvmsim_pmap_stats ps0, ps1;
    uvmsim_vm_stats vs0, vs1;
    uvmsim_pmap_stats_get(m, &ps0);
    uvmsim_vm_stats_get(m, &vs0);
    ck_assert_int_eq(uvmsim_introspect(m, &s), UVMSIM_OK);
    uvmsim_pmap_stats_get(m, &ps1);
    uvmsim_vm_stats_get(m, &vs1);
    ck_assert_mem_eq(&ps0, &ps1, sizeof(ps0));        /* nothing counted, TLB untouched */
    ck_assert_mem_eq(&vs0, &vs1, sizeof(vs0));

    ck_assert_uint_eq(s->nprocs, 2);
    ck_assert_int_eq(s->procs[0].pid, uvmsim_proc_pid(p));
    ck_assert_int_eq(s->procs[1].pid, uvmsim_proc_pid(q));
    ck_assert(s->procs[1].current);
    ck_assert_uint_eq(s->procs[0].nentries, 2);
    ck_assert_uint_eq(s->nentries, 4);
    const struct uvmsim_isp_entry *e0 = &s->entries[s->procs[0].first_entry];
    ck_assert_uint_eq(e0->start, 0x10000000);
    ck_assert(e0->needs_copy && e0->copy_on_write && !e0->shared);
    ck_assert_uint_eq(e0->npte, 64);                   /* every page stored */
    ck_assert_int_eq(s->ptes[e0->first_pte].loc, UVMSIM_LOC_RAM);
    ck_assert_uint_eq(s->ptes[e0->first_pte].prot, UVMSIM_PROT_READ);   /* write-protected by fork */
    ck_assert_uint_eq(s->ptes[e0->first_pte + 1].va, 0x10001000);
    ck_assert_uint_ne(e0->amap, UVMSIM_ISP_NONE);
    ck_assert_uint_eq(e0->object, UVMSIM_ISP_NONE);
    const struct uvmsim_isp_entry *e1 = &s->entries[s->procs[0].first_entry + 1];
    ck_assert(e1->shared);
    ck_assert_uint_eq(e1->amap, UVMSIM_ISP_NONE);
    ck_assert_uint_ne(e1->object, UVMSIM_ISP_NONE);
    ck_assert_str_eq(s->objects[e1->object].kind, "anon");
    ck_assert_uint_eq(s->objects[e1->object].refs, 2);
    ck_assert_uint_eq(s->objects[e1->object].nres, 1);
    ck_assert_uint_eq(s->objpages[s->objects[e1->object].first_page].index, 1);
    /* the child's copy of the amap: two amaps, 64 anons, the first one in both */
    ck_assert_uint_eq(s->namaps, 2);
    ck_assert_uint_eq(s->nanons, 64);
    ck_assert_uint_eq(s->amaps[0].nused, 64);
    ck_assert_uint_eq(s->amaps[0].nslot, 64);
    ck_assert_uint_eq(s->anons[s->slots[s->amaps[0].first_slot].anon].refs, 2);
    ck_assert_uint_eq(s->anons[s->slots[s->amaps[0].first_slot].anon].pv_count, 2);
    ck_assert_uint_lt(s->amaps[0].id, s->amaps[1].id);
    /* single look-ups */
    uvmsim_paddr_t pa;
    uvmsim_prot_t prot;
    ck_assert(uvmsim_introspect_extract(p, 0x10001000, &pa, &prot));
    ck_assert_uint_eq(pa, s->ptes[e0->first_pte + 1].pa);
    ck_assert(!uvmsim_introspect_extract(p, 0x10040000, NULL, NULL));
    ck_assert(!uvmsim_introspect_extract(p, ~0ull, NULL, NULL));
    ck_assert(!uvmsim_introspect_extract(NULL, 0x10002000, NULL, NULL));
    /* the TLB: the child's load left its translation of 0x10000000 (read-only, the
     * shared anon's page); entries come sorted by (tlb, tag, va) */
    ck_assert(!s->split_tlb);
    uvmsim_paddr_t qpa;
    ck_assert(uvmsim_introspect_extract(q, 0x10000000, &qpa, NULL));
    bool found = false;
    for (uint32_t i = 0; i < s->ntlb; i++) {
        ck_assert_uint_eq(s->tlb[i].tlb, 0);
        if (i > 0)
            ck_assert(s->tlb[i - 1].tag < s->tlb[i].tag ||
                      (s->tlb[i - 1].tag == s->tlb[i].tag && s->tlb[i - 1].va < s->tlb[i].va));
        if (s->tlb[i].va == 0x10000000 && s->tlb[i].pa == qpa && s->tlb[i].prot == UVMSIM_PROT_READ)
            found = true;
    }
    ck_assert_msg(found, "no TLB entry 0x10000000 -> 0x%llx r-- among %u", (unsigned long long)qpa, s->ntlb);
    ck_assert_uint_le(s->ntlb, 64);
    ck_assert_int_eq(uvmsim_introspect_loc(m, pa + 12), UVMSIM_LOC_RAM);
    ck_assert_int_eq(uvmsim_introspect_loc(m, uvmsim_zero_page(m)), UVMSIM_LOC_ZERO);
    ck_assert_int_eq(uvmsim_introspect_loc(m, 0x7000000000ull), UVMSIM_LOC_NONE);
    ck_assert_int_eq(uvmsim_introspect_loc(NULL, 0), UVMSIM_LOC_NONE);
    uvmsim_introspect_free(s);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli-teach");
    TCase *tc = tcase_create("examples");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_example_runs, 0, NEXAMPLES);
    suite_add_tcase(s, tc);
    tc = tcase_create("explain");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_explain_cow);
    tcase_add_test(tc, test_explain_wire_chunk);
    tcase_add_test(tc, test_explain_xip);
    tcase_add_test(tc, test_explain_hole_protect);
    tcase_add_test(tc, test_explain_fault_command);
    tcase_add_test(tc, test_explain_fass);
    suite_add_tcase(s, tc);
    tc = tcase_create("dot");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_dot_cow);
    tcase_add_test(tc, test_dot_xip);
    tcase_add_test(tc, test_introspect);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
