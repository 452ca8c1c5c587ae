/* cow-fork — a teaching example: copy-on-write after fork, step by step.
 *
 * A process maps one private anonymous page and stores to it, forks, the child stores,
 * then the parent stores.  Each step prints the fault's class, the physical page mapped,
 * the anon and amap reference counts and the bytes each process now reads.
 * UVM's answer: zero-fill, upper-promote, upper-direct.
 *
 *   cow-fork [--json] [--pmap NAME] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uvmsim/uvmsim.h"
#include "tool_opt.h"

#define MSGLEN 8

struct step {
    const char *name;
    uvmsim_fault_outcome o;
    bool faulted;
    char parent[MSGLEN + 1], child[MSGLEN + 1];
};

static int die(const char *what, int err)
{
    fprintf(stderr, "cow-fork: %s: %s\n", what, uvmsim_strerror(err));
    return 3;
}

static void read_str(uvmsim_proc *p, uvmsim_vaddr_t va, char *out)
{
    memset(out, 0, MSGLEN + 1);
    if (p && uvmsim_access_mem(p, va, UVMSIM_ACCESS_LOAD, out, MSGLEN, NULL, NULL) != UVMSIM_OK)
        strcpy(out, "?");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: cow-fork [--json] [--pmap generic|armv5|fass]\n"
               "Shows copy-on-write after fork: store, fork, child store, parent store.\n"
               "  --json           a JSON array, one object per step, instead of the table\n"
               "  --pmap NAME      pmap backend: generic (default), armv5, fass\n"
               "  --help, --version  this text, the version\n"
               "Exit status: 0 ok, 2 usage error, 3 simulator error.  See cow-fork(1).\n");
}

int main(int argc, char **argv)
{
    bool json = false;
    int backend = 0;
    const struct tool_opt opts[] = {
        {"json", 0, TOOL_FLAG, &json, 0, 0, NULL, NULL},
        {"pmap", 0, TOOL_CHOICE, &backend, 0, 0, uvmsim_pmap_backends(), NULL},
    };
    const struct tool_cmd cmd = {"cow-fork", usage, opts, 2, NULL, 0, 0, NULL};
    unsigned npos;
    int rc = tool_parse(&cmd, argc, argv, &npos);
    if (rc != TOOL_PARSE_OK)
        return rc;
    const char *pmap = uvmsim_pmap_backends()[backend];
    uvmsim_machine_config cfg;
    uvmsim_machine_config_init(&cfg);
    cfg.pmap = pmap;
    uvmsim_machine *m;
    int err = uvmsim_machine_create(&cfg, &m);
    if (err)
        return die("machine", err);
    uvmsim_proc *parent, *child = NULL;
    if ((err = uvmsim_proc_create(m, &parent)))
        return die("spawn", err);
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.size = uvmsim_page_size(m);
    uvmsim_vaddr_t va;
    if ((err = uvmsim_map(parent, &a, &va)))
        return die("map", err);

    /* Each step runs, then both processes read the page through the MMU, as a program
     * would; those reads may fault too (read-only mappings), but the step's outcome is
     * recorded before them. */
    struct step steps[4] = {{.name = "parent-store"}, {.name = "fork"}, {.name = "child-store"}, {.name = "parent-store-again"}};
    unsigned nf = 0;
    for (int i = 0; i < 4 && err == UVMSIM_OK; i++) {
        struct step *s = &steps[i];
        switch (i) {
        case 0: err = uvmsim_access_mem(parent, va, UVMSIM_ACCESS_STORE, "parent!", MSGLEN, &nf, &s->o); break;
        case 1: err = uvmsim_proc_fork(parent, &child); nf = 0; break;
        case 2: err = uvmsim_access_mem(child, va, UVMSIM_ACCESS_STORE, "child!!", MSGLEN, &nf, &s->o); break;
        case 3: err = uvmsim_access_mem(parent, va, UVMSIM_ACCESS_STORE, "PARENT!", MSGLEN, &nf, &s->o); break;
        }
        s->faulted = nf > 0;
        read_str(parent, va, s->parent);
        if (child)
            read_str(child, va, s->child);
        else
            strcpy(s->child, "-");
    }
    if (err)
        return die(steps[0].faulted ? "step" : "first store", err);
    char msg[256];
    if ((err = uvmsim_check(m, msg, sizeof msg)))
        fprintf(stderr, "cow-fork: invariant violated: %s\n", msg);

    if (json)
        printf("[\n");
    for (int i = 0; i < 4; i++) {
        struct step *s = &steps[i];
        const char *cls = s->faulted ? uvmsim_fault_class_name(s->o.cls) : "none";
        if (json) {
            printf("  {\"step\": \"%s\", \"fault_class\": \"%s\", \"pa\": \"0x%llx\", \"anon_refs\": %u, "
                   "\"amap_refs\": %u, \"bytes_copied\": %llu, \"bytes\": {\"parent\": \"%s\", \"child\": \"%s\"}}%s\n",
                   s->name, cls, (unsigned long long)(s->faulted ? s->o.pa : 0), s->faulted ? s->o.anon_refs : 0,
                   s->faulted ? s->o.amap_refs : 0, (unsigned long long)s->o.bytes_copied, s->parent,
                   s->child, i < 3 ? "," : "");
        } else if (s->faulted) {
            printf("%-19s fault %-13s pa 0x%08llx  anon refs %u  amap refs %u  copied %4llu B  parent reads \"%s\"  child reads \"%s\"\n",
                   s->name, cls, (unsigned long long)s->o.pa, s->o.anon_refs, s->o.amap_refs,
                   (unsigned long long)s->o.bytes_copied, s->parent, s->child);
        } else {
            printf("%-19s (no fault)                                                 parent reads \"%s\"  child reads \"%s\"\n",
                   s->name, s->parent, s->child);
        }
    }
    if (json)
        printf("]\n");
    uvmsim_machine_destroy(m);
    return err ? 3 : 0;
}
