/* Check suite from a correctness review of the VM core (src/vm/uvm_fault.c, uvm_amap.c,
 * uvm_map.c, uvm_proc.c): one test per bug found, each a scenario the invariant checker
 * and the random model did not reach.  Each test runs once per pmap backend. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "vmtest.h"

#define PG 4096u
#define RW (UVMSIM_PROT_READ | UVMSIM_PROT_WRITE)
static const char *backend(int i) { return vt_backends()[i]; }

/* A write that promotes an object page into an amap shared by inheritance must be seen
 * by every sharer, including one that already maps the object page (NetBSD's
 * uvm_fault_lower_promote removes the object page from all pmaps when the amap is
 * AMAP_SHARED).  Set-up without a file system: a SysV segment (an anonymous object)
 * attached shared and inherited COPY gives the child a copy-on-write entry over the
 * object; the child then shares that entry with a grandchild. */
START_TEST(test_lower_promote_shared_amap)
{
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p, *c, *g;
    uvmsim_shmseg *seg;
    uvmsim_fault_outcome o;
    uint8_t v;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_shm_create(m, PG, &seg), UVMSIM_OK);
    uvmsim_vaddr_t va;
    ck_assert_int_eq(uvmsim_shm_attach(p, seg, 0, false, &va), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_shm_remove(seg), UVMSIM_OK);
    ck_assert_int_eq(vt_store(p, va, 'A', NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_inherit_set(p, va, PG, UVMSIM_INHERIT_COPY), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_inherit_set(c, va, PG, UVMSIM_INHERIT_SHARE), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(c, &g), UVMSIM_OK);
    VT_CHECK(m);
    /* the grandchild maps the object page (read-only: copy-on-write entry) */
    ck_assert_int_eq(vt_load(g, va, &v, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'A');
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_DIRECT);
    /* the child's store promotes into the amap it shares with the grandchild */
    ck_assert_int_eq(vt_store(c, va, 'C', &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    VT_CHECK(m);
    ck_assert_int_eq(vt_load(g, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'C');
    ck_assert_int_eq(vt_load(p, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'A');                                    /* the segment itself */
    ck_assert_int_eq(vt_store(g, va, 'G', NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_load(c, va, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(v, 'G');
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Host address space in use (VmSize), or 0 when it cannot be read. */
static rlim_t vm_size(void)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%lu", &pages) != 1)
        pages = 0;
    fclose(f);
    return (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Host allocation failures are forced with RLIMIT_AS, in a forked test process only:
 * not under Valgrind or ASan, which manage the address space themselves, nor with
 * CK_FORK=no, where free heap left by earlier tests could serve the allocation. */
static bool as_limit_usable(void)
{
#ifdef UNDER_ASAN
    return false;
#endif
    const char *ckfork = getenv("CK_FORK");
    return getenv("UVMSIM_MEMCHECK") == NULL && !(ckfork && strcmp(ckfork, "no") == 0) && vm_size() != 0;
}

/* From now on a host allocation of more than about 256 KiB fails. */
static void as_limit_begin(struct rlimit *old)
{
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);    /* large blocks from mmap, not the heap */
#endif
    ck_assert_int_eq(getrlimit(RLIMIT_AS, old), 0);
    struct rlimit lim = *old;
    lim.rlim_cur = vm_size() + 256 * 1024;
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
}

static void as_limit_end(const struct rlimit *old)
{
    ck_assert_int_eq(setrlimit(RLIMIT_AS, old), 0);
}

/* fork copying an entry whose amap is shared by inheritance copies the amap for the
 * child at once; when that copy cannot get host memory the fork fails, and the
 * reference the child's entry took on the shared amap must go with it.  Amaps are sparse
 * (their memory follows the slots used), so the copy is made big by 1024 anons one
 * radix leaf apart: about 530 KiB of nodes, past the limit. */
START_TEST(test_fork_copy_shared_amap_enohost)
{
    if (!as_limit_usable())
        return;
    const uint64_t npages = 65536, nanons = 1024;
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p, *c, *d = NULL;
    uvmsim_entry_info ei;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0, npages * PG, RW, true);
    for (uint64_t i = 0; i < nanons; i++)
        ck_assert_int_eq(vt_store(p, va + i * (npages / nanons) * PG, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);   /* shared: inherited SHARE */
    ck_assert_int_eq(uvmsim_inherit_set(p, va, npages * PG, UVMSIM_INHERIT_COPY), UVMSIM_OK);
    VT_CHECK(m);

    struct rlimit old;
    as_limit_begin(&old);
    int err = uvmsim_proc_fork(p, &d);
    as_limit_end(&old);
    ck_assert_int_eq(err, UVMSIM_ENOHOST);
    ck_assert_int_eq(uvmsim_map_lookup(p, va, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.amap_refs, 2);                /* parent and first child only */
    VT_CHECK(m);
    ck_assert_int_eq(uvmsim_proc_fork(p, &d), UVMSIM_OK);  /* memory back: it works */
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Host memory follows the pages used, not the size mapped: with the host address space
 * limited to 256 KiB more than in use, a 256 MiB shared anonymous mapping (a shared amap),
 * a 256 MiB SysV segment (an anonymous object) and a 256 MiB private mapping are made
 * and each touched once.  Dense arrays sized to the mapping (an amap's slots, an
 * object's page array: 512 KiB each here) would fail with ENOHOST. */
START_TEST(test_sparse_under_as_limit)
{
    if (!as_limit_usable())
        return;
    const uint64_t npages = 65536;
    uvmsim_machine *m = vt_machine(0, backend(_i));
    uvmsim_proc *p;
    uvmsim_shmseg *seg;
    uvmsim_vaddr_t va[3];
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.size = npages * PG;
    struct rlimit old;
    as_limit_begin(&old);
    a.flags = UVMSIM_MAP_SHARED;
    int e0 = uvmsim_map(p, &a, &va[0]);
    a.flags = UVMSIM_MAP_PRIVATE;
    int e1 = uvmsim_map(p, &a, &va[1]);
    int e2 = uvmsim_shm_create(m, npages * PG, &seg);
    int e3 = e2 ? e2 : uvmsim_shm_attach(p, seg, 0, false, &va[2]);
    int e4 = UVMSIM_OK;
    for (int i = 0; i < 3 && !e0 && !e1 && !e3 && !e4; i++)
        e4 = vt_store(p, va[i] + (npages / 2) * PG, 7, NULL, NULL);
    as_limit_end(&old);
    ck_assert_int_eq(e0, UVMSIM_OK);
    ck_assert_int_eq(e1, UVMSIM_OK);
    ck_assert_int_eq(e2, UVMSIM_OK);
    ck_assert_int_eq(e3, UVMSIM_OK);
    ck_assert_int_eq(e4, UVMSIM_OK);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vm-review");
    vt_tcase_each_backend(s, "lower-promote-shared-amap", test_lower_promote_shared_amap);
    vt_tcase_each_backend(s, "fork-copy-shared-amap-enohost", test_fork_copy_shared_amap_enohost);
    vt_tcase_each_backend(s, "sparse-under-as-limit", test_sparse_under_as_limit);
    return vt_run(s);
}
