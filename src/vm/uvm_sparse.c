/* uvmsim — a sparse array of machine words indexed by a 64-bit number: a radix tree of
 * 64-way nodes whose depth is fixed by the largest index at creation.  Amaps keep their
 * anon slots and their run-length per-page references in it, objects their resident
 * pages, so host memory and time follow the slots used, not the size of the range
 * (a 1 TiB mapping with one page touched holds one path of nodes).
 *
 * Cells are never freed before the whole array is: a cell once created stays valid, so
 * a caller can create ("reserve") the cells an operation will write first, and then
 * perform the operation knowing no write can fail. */
#include <stdlib.h>
#include "uvm_vm.h"

#define SP_BITS 6
#define SP_FAN (1u << SP_BITS)

/* One node: child node pointers on interior levels, values on the leaf level. */
struct uvm_sparse_node {
    uintptr_t v[SP_FAN];
};

void uvmsim_sparse_init(struct uvm_sparse *sp, uint64_t n)
{
    sp->root = NULL;
    sp->depth = 1;
    if (n == 0)
        n = 1;
    while (sp->depth < 11 && (n - 1) >> (SP_BITS * sp->depth) != 0)
        sp->depth++;
    sp->nodes = 0;
}

/* Indices one child of a node at `level` spans (level 1 is the leaf). */
static uint64_t sp_span(unsigned level)
{
    return (uint64_t)1 << (SP_BITS * (level - 1));
}

uintptr_t *uvmsim_sparse_cell(struct uvm_sparse *sp, uint64_t i, bool create)
{
    struct uvm_sparse_node **np = &sp->root;
    for (unsigned level = sp->depth; ; level--) {
        if (*np == NULL) {
            if (!create)
                return NULL;
            *np = calloc(1, sizeof(**np));
            if (*np == NULL)
                return NULL;
            sp->nodes++;
        }
        unsigned c = (unsigned)((i / sp_span(level)) & (SP_FAN - 1));
        if (level == 1)
            return &(*np)->v[c];
        np = (struct uvm_sparse_node **)&(*np)->v[c];
    }
}

uintptr_t uvmsim_sparse_get(const struct uvm_sparse *sp, uint64_t i)
{
    const struct uvm_sparse_node *nd = sp->root;
    for (unsigned level = sp->depth; nd != NULL; level--) {
        uintptr_t v = nd->v[(i / sp_span(level)) & (SP_FAN - 1)];
        if (level == 1)
            return v;
        nd = (const struct uvm_sparse_node *)v;
    }
    return 0;
}

static bool sp_next(const struct uvm_sparse_node *nd, unsigned level, uint64_t base, uint64_t from,
                    uint64_t to, uint64_t *idx, uintptr_t *val)
{
    uint64_t span = sp_span(level);
    unsigned c = from > base ? (unsigned)((from - base) / span) : 0;
    for (; c < SP_FAN; c++) {
        uint64_t cb = base + c * span;
        if (cb >= to)
            return false;
        uintptr_t v = nd->v[c];
        if (v == 0)
            continue;
        if (level == 1) {
            *idx = cb;
            *val = v;
            return true;
        }
        if (sp_next((const struct uvm_sparse_node *)v, level - 1, cb, from, to, idx, val))
            return true;
    }
    return false;
}

bool uvmsim_sparse_next(const struct uvm_sparse *sp, uint64_t from, uint64_t to, uint64_t *idx, uintptr_t *val)
{
    if (sp->root == NULL || from >= to)
        return false;
    return sp_next(sp->root, sp->depth, 0, from, to, idx, val);
}

static void sp_free(struct uvm_sparse_node *nd, unsigned level)
{
    if (level > 1)
        for (unsigned c = 0; c < SP_FAN; c++)
            if (nd->v[c])
                sp_free((struct uvm_sparse_node *)nd->v[c], level - 1);
    free(nd);
}

void uvmsim_sparse_fini(struct uvm_sparse *sp)
{
    if (sp->root)
        sp_free(sp->root, sp->depth);
    sp->root = NULL;
    sp->nodes = 0;
}

size_t uvmsim_sparse_bytes(const struct uvm_sparse *sp)
{
    return (size_t)sp->nodes * sizeof(struct uvm_sparse_node);
}
