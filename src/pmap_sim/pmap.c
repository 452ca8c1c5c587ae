/* uvmsim — pmap common layer (placeholder). */
#include "pmap_impl.h"

int uvmsim_pmap_machine_init(struct uvmsim_machine *m) { (void)m; return 0; }
void uvmsim_pmap_machine_fini(struct uvmsim_machine *m) { (void)m; }
