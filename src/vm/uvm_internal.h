/* Internal to libuvmsim: what the vm layer adds to the machine core.  vm is the top
 * layer of the library, where the others meet (docs/layering.md): it may include and call
 * flashdev, fs, pmap_sim and the machine core, never the other way round. */
#ifndef UVMSIM_UVM_INTERNAL_H
#define UVMSIM_UVM_INTERNAL_H

#include "../machine/machine_internal.h"

/* ---- teardown hooks of the lower subsystems (called by uvmsim_machine_destroy) ---- */
void uvmsim_proc_exit_all(struct uvmsim_machine *m);      /* vm */
void uvmsim_fs_unmount_all(struct uvmsim_machine *m);     /* fs: force-unmounts */
void uvmsim_flashdev_destroy_all(struct uvmsim_machine *m); /* flashdev */

#endif
