/* uvmsim — machine instances as a whole: creation (the core's RAM and zero page, then the
 * pmap layer) and ordered teardown of every subsystem.  This lives in vm, the top layer,
 * because only it may call all the others (docs/layering.md). */
#include <stdlib.h>
#include "uvm_internal.h"
#include "../pmap_sim/pmap_impl.h"

int uvmsim_machine_config_explain(const uvmsim_machine_config *cfg, char *why, size_t whylen)
{
    uvmsim_machine_config def;
    if (cfg == NULL) {
        uvmsim_machine_config_init(&def);
        cfg = &def;
    }
    int err = uvmsim_machine_config_check(cfg, why, whylen);
    return err ? err : uvmsim_pmap_config_check(cfg, why, whylen);
}

int uvmsim_machine_create(const uvmsim_machine_config *cfg, uvmsim_machine **out)
{
    uvmsim_machine_config def;
    if (out == NULL)
        return UVMSIM_EINVAL;
    *out = NULL;
    if (cfg == NULL) {
        uvmsim_machine_config_init(&def);
        cfg = &def;
    }
    int err = uvmsim_machine_config_explain(cfg, NULL, 0);
    if (err)
        return err;
    struct uvmsim_machine *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return UVMSIM_ENOHOST;
    err = uvmsim_machine_core_init(m, cfg);
    if (err) {
        free(m);
        return err;
    }
    err = uvmsim_pmap_machine_init(m);
    if (err) {
        uvmsim_machine_core_fini(m);
        free(m);
        return err;
    }
    *out = m;
    return UVMSIM_OK;
}

void uvmsim_machine_destroy(uvmsim_machine *m)
{
    if (m == NULL)
        return;
    /* Order matters: processes hold mappings of vnodes and device pages, mounts hold
     * devices, the pmap layer holds PTP pages in RAM. */
    uvmsim_proc_exit_all(m);
    uvmsim_fs_unmount_all(m);
    uvmsim_flashdev_destroy_all(m);
    uvmsim_pmap_machine_fini(m);
    uvmsim_machine_core_fini(m);
    free(m);
}
