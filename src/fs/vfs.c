/* uvmsim — mount table and vnodes (placeholder until the fs issue lands). */
#include "../vm/uvm_internal.h"

void uvmsim_fs_unmount_all(struct uvmsim_machine *m)
{
    (void)m;
}
