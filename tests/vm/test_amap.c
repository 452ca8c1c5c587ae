/* Check suite: amaps whose cost follows use (src/vm/uvm_amap.c), on every pmap backend —
 * NetBSD's run-length per-slot references (ppref: one run per stretch of equal counts,
 * established only by a partial reference), amap_copy chunking at fault time
 * (UVM_AMAP_CHUNK pages of a large entry), sparse slot arrays (host memory follows the
 * slots used), and fork/exit of a huge sparse entry touching only what is used. */
#include <stdlib.h>
#include <string.h>
#include "vmtest.h"
#include "vm/uvm_vm.h"
#include "vm/uvm_introspect.h"

#define PG 4096u
#define RW (UVMSIM_PROT_READ | UVMSIM_PROT_WRITE)
static const char *backend(int i) { return vt_backends()[i]; }

/* The runs of an amap's per-slot references, as (first slot, length, count) triples. */
static unsigned runs(const struct vm_amap *am, unsigned out[][3], unsigned max)
{
    unsigned n = 0;
    for (unsigned s = 0; s < am->am_nslot && n < max;) {
        unsigned start, len, ref;
        uvmsim_amap_pp_run(am, s, &start, &len, &ref);
        ck_assert_uint_eq(start, s);
        ck_assert_uint_gt(len, 0);
        out[n][0] = s;
        out[n][1] = len;
        out[n][2] = ref;
        n++;
        s += len;
    }
    return n;
}

static struct vm_map_entry *entry(uvmsim_proc *p, uvmsim_vaddr_t va)
{
    struct vm_map_entry *e = uvmsim_map_lookup_entry(&p->map, va);
    ck_assert_ptr_nonnull(e);
    return e;
}

/* A 200-page amap (below UVM_AMAP_LARGE: not chunked) cut into pieces by unmaps and a
 * fork: the references stay a handful of runs, each slot's count is the number of
 * entries covering it, and a run that drops to zero frees exactly its anons. */
START_TEST(test_ppref_runs)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p, *c;
    unsigned r[16][3];
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0x10000000, 200 * PG, RW, false);
    for (unsigned i = 0; i < 200; i += 10)
        ck_assert_int_eq(vt_store(p, va + i * PG, 1, NULL, NULL), UVMSIM_OK);
    struct vm_amap *am = entry(p, va)->amap;
    ck_assert_uint_eq(am->am_nslot, 200);
    ck_assert(!am->am_pprefed);                         /* full references only: no ppref */
    ck_assert_uint_eq(runs(am, r, 16), 1);
    ck_assert_uint_eq(r[0][2], 1);
    /* unmap slots [50, 100): the two halves split the amap */
    ck_assert_int_eq(uvmsim_unmap(p, va + 50 * PG, 50 * PG), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert(am->am_pprefed);
    ck_assert_uint_eq(runs(am, r, 16), 3);
    ck_assert_uint_eq(r[0][0], 0);   ck_assert_uint_eq(r[0][1], 50);  ck_assert_uint_eq(r[0][2], 1);
    ck_assert_uint_eq(r[1][0], 50);  ck_assert_uint_eq(r[1][1], 50);  ck_assert_uint_eq(r[1][2], 0);
    ck_assert_uint_eq(r[2][0], 100); ck_assert_uint_eq(r[2][1], 100); ck_assert_uint_eq(r[2][2], 1);
    ck_assert_uint_eq(am->am_nused, 15);                /* slots 50..90 lost their 5 anons */
    ck_assert_uint_eq(am->am_ref, 2);
    /* fork: each half gains a reference over its own range */
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert_uint_eq(am->am_ref, 4);
    ck_assert_uint_eq(runs(am, r, 16), 3);
    ck_assert_uint_eq(r[0][2], 2);
    ck_assert_uint_eq(r[1][2], 0);
    ck_assert_uint_eq(r[2][2], 2);
    /* the child unmaps [100, 150): those slots keep the parent's reference */
    ck_assert_int_eq(uvmsim_unmap(c, va + 100 * PG, 50 * PG), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert_uint_eq(runs(am, r, 16), 4);
    ck_assert_uint_eq(r[2][0], 100); ck_assert_uint_eq(r[2][1], 50);  ck_assert_uint_eq(r[2][2], 1);
    ck_assert_uint_eq(r[3][0], 150); ck_assert_uint_eq(r[3][1], 50);  ck_assert_uint_eq(r[3][2], 2);
    ck_assert_uint_eq(am->am_nused, 15);
    /* the parent unmaps [100, 150) too: its anons go, exactly those */
    ck_assert_int_eq(uvmsim_unmap(p, va + 100 * PG, 50 * PG), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert_uint_eq(am->am_nused, 10);
    ck_assert_uint_eq(runs(am, r, 16), 3);              /* [50, 150) merged at zero */
    ck_assert_uint_eq(r[1][0], 50);  ck_assert_uint_eq(r[1][1], 100); ck_assert_uint_eq(r[1][2], 0);
    uint8_t v;
    ck_assert_int_eq(vt_load(c, va + 190 * PG, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 1);
    uvmsim_proc_exit(c);
    VT_CHECK(m);
    ck_assert_uint_eq(am->am_ref, 2);                   /* the parent's two pieces */
    /* after the child's exit the counts merge back into fewer runs */
    unsigned n = runs(am, r, 16);
    ck_assert_uint_le(n, 4);
    for (unsigned i = 1; i < n; i++)
        ck_assert_uint_ne(r[i][2], r[i - 1][2]);        /* neighbouring runs differ */
    uvmsim_proc_exit(p);
    VT_CHECK(m);
    uvmsim_vm_stats st;
    uvmsim_vm_stats_get(m, &st);
    ck_assert_uint_eq(st.amaps_live + st.anons_live, 0);
    uvmsim_machine_destroy(m);
}
END_TEST

/* amap_copy chunking: the first fault of a large private entry (>= UVM_AMAP_LARGE pages)
 * clips it to the UVM_AMAP_CHUNK-page chunk around the fault and gives only that chunk
 * an amap; a smaller entry gets one amap for all of it. */
START_TEST(test_chunking)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    uvmsim_fault_outcome o;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    const uvmsim_vaddr_t base = 0x10000000, size = 1ull << 30;   /* 1 GiB: fits every MMU */
    vt_map_anon(p, base, size, RW, false);
    uvmsim_vaddr_t va = base + 0x12345000;
    ck_assert_int_eq(vt_store(p, va, 1, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ZERO_FILL);
    VT_CHECK(m);
    ck_assert_uint_eq(uvmsim_map_nentries(p), 3);
    uvmsim_entry_info e0, e1, e2;
    ck_assert_int_eq(uvmsim_map_entry(p, 0, &e0), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_map_entry(p, 1, &e1), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_map_entry(p, 2, &e2), UVMSIM_OK);
    const uvmsim_vaddr_t chunk = UVM_AMAP_CHUNK * PG;
    ck_assert_uint_eq(e1.start, va / chunk * chunk);
    ck_assert_uint_eq(e1.end, e1.start + chunk);
    ck_assert(e1.has_amap && !e1.needs_copy);
    ck_assert(!e0.has_amap && e0.needs_copy && !e2.has_amap && e2.needs_copy);
    ck_assert_uint_eq(e0.start, base);
    ck_assert_uint_eq(e2.end, base + size);
    ck_assert_uint_eq(entry(p, va)->amap->am_nslot, UVM_AMAP_CHUNK);
    /* a fault in the same chunk uses that amap; one elsewhere makes another chunk */
    ck_assert_int_eq(vt_store(p, e1.start + chunk - PG, 2, &o, NULL), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_map_nentries(p), 3);
    ck_assert_int_eq(vt_store(p, base, 3, &o, NULL), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_map_nentries(p), 4);
    ck_assert_uint_eq(entry(p, base)->end, base + chunk);
    uvmsim_vm_stats st;
    uvmsim_vm_stats_get(m, &st);
    ck_assert_uint_eq(st.amaps_live, 2);
    VT_CHECK(m);
    /* below UVM_AMAP_LARGE: no chunking */
    uvmsim_vaddr_t small = vt_map_anon(p, 0, (UVM_AMAP_LARGE - 1) * PG, RW, false);
    ck_assert_int_eq(vt_store(p, small + 100 * PG, 4, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(entry(p, small)->end, small + (UVM_AMAP_LARGE - 1) * PG);
    ck_assert_uint_eq(entry(p, small)->amap->am_nslot, UVM_AMAP_LARGE - 1);
    VT_CHECK(m);
    /* fork and exit see every piece; the bytes are where they were stored */
    uvmsim_proc *c;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    ck_assert_int_eq(vt_load(c, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(vt_load(c, base, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 3);
    ck_assert_int_eq(vt_load(c, base + PG, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 0);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Sparse slots: a shared anonymous mapping of 1 GiB (its amap made at map time for the
 * whole size, as UVM_FLAG_OVERLAY does) costs host memory for the slots touched only; a
 * fork shares it without visiting its slots. */
START_TEST(test_sparse_slots)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p, *c;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    const uint64_t npages = 1ull << 18;                 /* 1 GiB */
    uvmsim_vaddr_t va = vt_map_anon(p, 0x10000000, npages * PG, RW, true);
    struct vm_amap *am = entry(p, va)->amap;
    ck_assert_uint_eq(am->am_nslot, npages);
    size_t empty = uvmsim_sparse_bytes(&am->am_anon);
    ck_assert_uint_eq(empty, 0);
    for (unsigned i = 0; i < 4; i++)
        ck_assert_int_eq(vt_store(p, va + (uvmsim_vaddr_t)i * (npages / 4) * PG, (uint8_t)i, NULL, NULL), UVMSIM_OK);
    /* four slots far apart: four radix paths of a few 64-way nodes, not 2 MiB of slots */
    size_t used = uvmsim_sparse_bytes(&am->am_anon) + uvmsim_sparse_bytes(&am->am_ppref);
    ck_assert_uint_lt(used, 32 * 1024);
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_sparse_bytes(&am->am_anon) + uvmsim_sparse_bytes(&am->am_ppref), used);
    uint8_t v;
    ck_assert_int_eq(vt_load(c, va + 3 * (npages / 4) * PG, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 3);
    VT_CHECK(m);
    /* the introspection snapshot lists the four used slots only */
    struct uvmsim_isp_snapshot *s;
    ck_assert_int_eq(uvmsim_introspect(m, &s), UVMSIM_OK);
    ck_assert_uint_eq(s->namaps, 1);
    ck_assert_uint_eq(s->amaps[0].nused, 4);
    ck_assert_uint_eq(s->amaps[0].nslot, npages);
    uvmsim_introspect_free(s);
    uvmsim_machine_destroy(m);
}
END_TEST

/* The sparse array itself: cells made on demand, next() in index order, bounds. */
START_TEST(test_sparse_array)
{
    struct uvm_sparse sp;
    uvmsim_sparse_init(&sp, 1ull << 40);
    ck_assert_uint_eq(uvmsim_sparse_get(&sp, 12345), 0);
    ck_assert_ptr_null(uvmsim_sparse_cell(&sp, 12345, false));
    const uint64_t idx[] = {0, 63, 64, 4095, 4096, 1ull << 30, (1ull << 40) - 1};
    for (unsigned i = 0; i < 7; i++)
        *uvmsim_sparse_cell(&sp, idx[i], true) = i + 1;
    for (unsigned i = 0; i < 7; i++)
        ck_assert_uint_eq(uvmsim_sparse_get(&sp, idx[i]), i + 1);
    uint64_t at = 0, k;
    uintptr_t v;
    for (unsigned i = 0; i < 7; i++, at = k + 1) {
        ck_assert(uvmsim_sparse_next(&sp, at, 1ull << 40, &k, &v));
        ck_assert_uint_eq(k, idx[i]);
        ck_assert_uint_eq(v, i + 1);
    }
    ck_assert(!uvmsim_sparse_next(&sp, at, 1ull << 40, &k, &v));
    ck_assert(!uvmsim_sparse_next(&sp, 65, 4095, &k, &v));      /* bounded range */
    ck_assert(uvmsim_sparse_next(&sp, 65, 4096, &k, &v) && k == 4095);
    ck_assert_uint_lt(uvmsim_sparse_bytes(&sp), 64 * 1024);
    uvmsim_sparse_fini(&sp);
    ck_assert_uint_eq(uvmsim_sparse_bytes(&sp), 0);
}
END_TEST

/* 1 TiB mapped, one byte stored, forked, exited: three entries, two small amaps, and the
 * checker runs through it (generic backend only: the ARM MMUs translate 4 GiB). */
START_TEST(test_terabyte)
{
    uvmsim_machine *m = vt_machine(0, "generic");
    uvmsim_proc *p, *c;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0x10000000, 1ull << 40, RW, false);
    ck_assert_int_eq(vt_store(p, va + (1ull << 39), 'x', NULL, NULL), UVMSIM_OK);
    VT_CHECK(m);
    ck_assert_uint_eq(uvmsim_map_nentries(p), 3);
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    ck_assert_int_eq(vt_store(c, va + (1ull << 39), 'y', NULL, NULL), UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_proc_exit(p);
    VT_CHECK(m);
    uint8_t v;
    ck_assert_int_eq(vt_load(c, va + (1ull << 39), &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 'y');
    ck_assert_int_eq(uvmsim_unmap(c, va, 1ull << 40), UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_vm_stats st;
    uvmsim_vm_stats_get(m, &st);
    ck_assert_uint_eq(st.amaps_live + st.anons_live, 0);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vm-amap");
    vt_tcase_each_backend(s, "ppref-runs", test_ppref_runs);
    vt_tcase_each_backend(s, "chunking", test_chunking);
    vt_tcase_each_backend(s, "sparse-slots", test_sparse_slots);
    TCase *tc = tcase_create("single");
    tcase_add_test(tc, test_sparse_array);
    tcase_add_test(tc, test_terabyte);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
