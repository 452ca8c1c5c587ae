/* uvmsim — vnode pagers (placeholder until the files/XIP work lands). */
#include "uvm_vm.h"

int uvmsim_vnode_object(struct uvmsim_machine *m, uvmsim_vnode *vp, struct uvm_object **out, bool *rdonly)
{
    (void)m; (void)vp; (void)out; (void)rdonly;
    return UVMSIM_ENOTSUP;
}
