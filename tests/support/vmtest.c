/* Helpers shared by the VM test suites. */
#include <stdlib.h>
#include "vmtest.h"

uvmsim_machine *vt_machine(uint64_t ram, const char *pmap)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    if (ram)
        c.ram_size = ram;
    if (pmap)
        c.pmap = pmap;
    uvmsim_machine *m = NULL;
    int err = uvmsim_machine_create(&c, &m);
    ck_assert_msg(err == UVMSIM_OK, "machine_create: %s", uvmsim_strerror(err));
    return m;
}

uvmsim_vaddr_t vt_map_anon(uvmsim_proc *p, uvmsim_vaddr_t fixed, uint64_t size, uvmsim_prot_t prot, bool shared)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = fixed;
    a.size = size;
    a.prot = prot;
    a.flags = (shared ? UVMSIM_MAP_SHARED : UVMSIM_MAP_PRIVATE) | (fixed ? UVMSIM_MAP_FIXED : 0);
    uvmsim_vaddr_t va = 0;
    int err = uvmsim_map(p, &a, &va);
    ck_assert_msg(err == UVMSIM_OK, "map: %s", uvmsim_strerror(err));
    return va;
}

int vt_store(uvmsim_proc *p, uvmsim_vaddr_t va, uint8_t v, uvmsim_fault_outcome *o, unsigned *nf)
{
    return uvmsim_access_mem(p, va, UVMSIM_ACCESS_STORE, &v, 1, nf, o);
}

int vt_load(uvmsim_proc *p, uvmsim_vaddr_t va, uint8_t *v, uvmsim_fault_outcome *o, unsigned *nf)
{
    return uvmsim_access_mem(p, va, UVMSIM_ACCESS_LOAD, v, 1, nf, o);
}

const char *const *vt_backends(void)
{
    return uvmsim_pmap_backends();
}

int vt_nbackends(void)
{
    int n = 0;
    while (vt_backends()[n])
        n++;
    return n;
}

void vt_tcase_each_backend(Suite *s, const char *name, const TTest *t)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t, 0, vt_nbackends());
    suite_add_tcase(s, tc);
}

int vt_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
