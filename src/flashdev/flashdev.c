/* uvmsim — NOR flash device (placeholder). */
#include "../vm/uvm_internal.h"

void uvmsim_flashdev_destroy_all(struct uvmsim_machine *m)
{
    (void)m;
}
