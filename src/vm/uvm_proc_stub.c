/* placeholder */
#include "uvm_internal.h"
void uvmsim_proc_exit_all(struct uvmsim_machine *m) { (void)m; }
int uvmsim_curpid(const struct uvmsim_machine *m) { (void)m; return -1; }
