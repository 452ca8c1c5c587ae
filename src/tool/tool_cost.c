/* The programs' cost-model options and JSON (tool_cost.h). */
#define _POSIX_C_SOURCE 200809L   /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tool_cost.h"

bool tool_cost_options(const char *prog, uvmsim_cost_model *cm, const char *file, const char *list)
{
    char why[512];
    if (file != NULL && uvmsim_cost_load(cm, file, why, sizeof(why)) != UVMSIM_OK) {
        fprintf(stderr, "%s: --cost-file: %s\n", prog, why);
        return false;
    }
    if (list == NULL)
        return true;
    char *copy = strdup(list);
    if (copy == NULL) {
        fprintf(stderr, "%s: out of host memory\n", prog);
        return false;
    }
    bool ok = true;
    for (char *tok = copy, *next; ok && tok != NULL; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        if (uvmsim_cost_assign(cm, tok, why, sizeof(why)) != UVMSIM_OK) {
            fprintf(stderr, "%s: --cost: '%s': %s\n", prog, tok, why);
            ok = false;
        }
    }
    free(copy);
    return ok;
}

void tool_cost_json_model(struct tool_json *j, const char *key, const uvmsim_cost_model *cm)
{
    tj_obj(j, key);
    for (const char *const *k = uvmsim_cost_keys(); *k; k++) {
        uint64_t v = 0;
        uvmsim_cost_get(cm, *k, &v);
        tj_u64(j, *k, v);
    }
    tj_end(j);
}

void tool_cost_json_terms(struct tool_json *j, const char *key, const uvmsim_cost_terms *t, uint64_t n)
{
    double d = n ? (double)n : 1.0;
    tj_obj(j, key);
    tj_f64(j, "switch_base", (double)t->switch_base / d);
    tj_f64(j, "registers", (double)t->registers / d);
    tj_f64(j, "tlb_miss", (double)t->tlb_miss / d);
    tj_f64(j, "tlb_flush", (double)t->tlb_flush / d);
    tj_f64(j, "cache", (double)t->cache / d);
    tj_f64(j, "fass", (double)t->fass / d);
    tj_f64(j, "total", (double)t->total / d);
    tj_end(j);
}
