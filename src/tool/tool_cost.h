/* The programs' cost-model options (--cost-file FILE, --cost KEY=VALUE,...) and the JSON
 * form of a model and of a priced delta, shared by fass-switch and uvmsim replay. */
#ifndef UVMSIM_TOOL_COST_H
#define UVMSIM_TOOL_COST_H

#include <stdbool.h>
#include "uvmsim/cost.h"
#include "tool_json.h"

/* Apply a cost file, then a comma list of KEY=VALUE (either NULL) to cm.  False after a
 * message "PROG: --cost-file: ..." / "PROG: --cost: ..." on stderr (usage error). */
bool tool_cost_options(const char *prog, uvmsim_cost_model *cm, const char *file, const char *list);
/* "key": {every entry of the model}. */
void tool_cost_json_model(struct tool_json *j, const char *key, const uvmsim_cost_model *cm);
/* "key": {the terms of a price, divided by n when n > 0 (per switch), as numbers}. */
void tool_cost_json_terms(struct tool_json *j, const char *key, const uvmsim_cost_terms *t, uint64_t n);

#endif
