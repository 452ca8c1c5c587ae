/* uvmsim scenario library: the fault-handler test matrix.
 *
 * A case is one combination of twelve dimensions (backing, XIP design, the upper layer,
 * the amap, needs-copy, residency, wiring, maximum protection, advice, an injected
 * failure, the access and the protection).  What the fault handler must do in it is
 * written by hand in tests/: the rules (tests/matrix/mx_rules.c, each citing the NetBSD
 * function and condition it follows) and the table (tests/matrix/fault-matrix.txt,
 * embedded at build time: the combinations that cannot arise, with the reason, and the
 * exceptions to the rules).  Each case is run on a fresh machine per pmap backend: the
 * state is set up through the public API, checked against the layout the rules assume,
 * the fault handler is called once at the target page, and the outcome is compared.
 * Used by `uvmsim matrix` and tests/cli/cli_matrix.c. */
#ifndef UVMSIM_CLI_MX_H
#define UVMSIM_CLI_MX_H

#include <stdio.h>
#include "uvmsim/uvmsim.h"

enum {
    MX_BACKING = 0, MX_DESIGN, MX_UPPER, MX_AMAP, MX_NC, MX_RES, MX_WIRED, MX_MAXPROT, MX_ADVICE,
    MX_INJECT, MX_ACCESS, MX_PROT, MX_NDIMS
};

/* Values of each dimension, in the order uvmsim_mx_value_name() names them. */
enum { B_ANON_PRIVATE, B_ANON_SHARED, B_FILE_PRIVATE_COPY, B_FILE_SHARED_COPY, B_FILE_PRIVATE_XIP,
       B_FILE_SHARED_XIP, B_XIP_HOLE, B_COPY_HOLE, B_XIP_HOLE_SHARED, B_SYSV_SHM, B_UNMAPPED, B_N };
enum { D_VNODE, D_FAULTOP };
enum { U_NONE, U_ANON1, U_FORKED };
enum { AM_NONE, AM_OWN, AM_COW, AM_SHARED };
enum { YN_YES, YN_NO };                         /* nc, res */
enum { W_NO, W_YES };                           /* wired */
enum { MP_RWX, MP_RX, MP_RW, MP_R };            /* maxprot */
enum { ADV_NORMAL, ADV_RANDOM, ADV_SEQUENTIAL };
enum { INJ_NONE, INJ_EIO, INJ_ENOMEM };
enum { A_FETCH, A_LOAD, A_STORE };
enum { P_NONE, P_R, P_W, P_X, P_RW, P_RX, P_WX, P_RWX, P_N };

#define MX_PAGE 4096u                 /* the matrix machine's page size (= the image's block) */
#define MX_NPAGES 8                   /* pages of the mapped region */

/* What a sharer (a child that read the target page after fork) maps there afterwards. */
enum { SH_NONE, SH_KEPT, SH_GONE };

/* One outcome, expected or observed.  cls is a uvmsim_fault_class; err the uvmsim error
 * (0 none); pages are the data pages the fault left allocated (page-table pages are not
 * counted); nbr the other pages of the region the fault mapped (fault-ahead), nbrw how
 * many of them writable; sharer SH_*. */
struct uvmsim_mx_outcome {
    int cls;
    int err;
    unsigned pages;
    uint64_t copied;
    unsigned io;
    uvmsim_page_loc loc;
    bool writable;
    unsigned nbr, nbrw;
    int sharer;
    bool broken;              /* observed only: uvmsim_check() found an invariant broken
                                 after the fault (never expected) */
};

/* ---- the layout: the state a case names, as the rules read it ---- */

enum { MX_OBJ_NONE, MX_OBJ_VNODE, MX_OBJ_XIP, MX_OBJ_AOBJ };

struct uvmsim_mx_page {
    unsigned anon_refs;               /* 0: no anon at this page; else its reference count */
    bool resident;                    /* the object's page is in memory (always for XIP) */
    uvmsim_page_loc loc;              /* where the object's page lives (none: no object) */
};

/* Set up by uvmsim_mx_layout() from the case alone (never from a machine); the runner
 * checks the machine it built against it before the fault. */
struct uvmsim_mx_layout {
    bool mapped;                      /* an entry covers the target page */
    bool cow;                         /* a private (copy-on-write) entry */
    int obj;                          /* MX_OBJ_*: the object below the amap */
    bool faultop;                     /* the object's pager has Thomas's fault op */
    bool device;                      /* a flash device serves the object's reads */
    bool nc;                          /* needs-copy */
    unsigned amap_refs;               /* map entries naming the amap (0: no amap) */
    bool amap_shared;                 /* AMAP_SHARED (a share-inherited amap) */
    uvmsim_prot_t prot, maxprot;
    bool wired;
    int advice;                       /* ADV_* */
    unsigned target;                  /* page index of the fault in the region */
    struct uvmsim_mx_page pg[MX_NPAGES];
    bool sharer;                      /* a child reads the target page after fork */
};

/* ---- the rules (tests/matrix/mx_rules.c) ---- */

struct uvmsim_mx_rule {
    const char *id;                   /* "R5" */
    const char *what;                 /* one line: what the rule says */
    const char *cite;                 /* the NetBSD function and condition it follows */
};

/* The layout of case dim (every combination the table does not exclude). */
void uvmsim_mx_layout(const uint8_t dim[MX_NDIMS], struct uvmsim_mx_layout *L);
/* The expected outcome of case dim by the rules; *rules gets the set of rules applied
 * (bit i: uvmsim_mx_rules()[i]). */
void uvmsim_mx_expect(const uint8_t dim[MX_NDIMS], struct uvmsim_mx_outcome *out, uint64_t *rules);
/* Every rule, in order; *n their number. */
const struct uvmsim_mx_rule *uvmsim_mx_rules(unsigned *n);
/* "R2+R5+R12" for a rule set. */
void uvmsim_mx_rules_str(uint64_t rules, char *buf, size_t len);

/* ---- the table ---- */

struct uvmsim_mx_case {
    uint8_t dim[MX_NDIMS];            /* value index per dimension */
    struct uvmsim_mx_outcome expect;
    uint64_t rules;                   /* rules that gave the expectation */
    unsigned line;                    /* table line of the exception row applied, or 0 */
};

struct uvmsim_mx_exclusion {
    uint32_t set[MX_NDIMS];           /* accepted values per dimension; 0: any */
    char *reason;
    unsigned line;
    uint64_t count;                   /* combinations it excludes (not excluded earlier) */
};

struct uvmsim_mx_table {
    struct uvmsim_mx_case *cases;     /* in the order of the cross product */
    unsigned ncases;
    struct uvmsim_mx_exclusion *excl;
    unsigned nexcl;
    uint64_t nexcluded;               /* combinations excluded */
    uint64_t ncombinations;           /* the whole cross product */
    unsigned nrows;                   /* exception rows */
};

unsigned uvmsim_mx_nvalues(int dim);
const char *uvmsim_mx_dim_name(int dim);
const char *uvmsim_mx_value_name(int dim, int value);
/* Value index, or -1. */
int uvmsim_mx_value_parse(int dim, const char *name);
/* Dimension index by name ("backing", ...), or -1. */
int uvmsim_mx_dim_parse(const char *name);
/* The protection bits of a P_* / MP_* value. */
uvmsim_prot_t uvmsim_mx_prot_bits(int prot);
uvmsim_prot_t uvmsim_mx_maxprot_bits(int maxprot);

/* Parse a table; errors are "NAME:LINE: message" in err.  Returns 0 or -1. */
int uvmsim_mx_table_parse(const char *name, const char *text, size_t len, struct uvmsim_mx_table **out,
                          char *err, size_t errlen);
/* The table embedded at build time. */
int uvmsim_mx_table_builtin(struct uvmsim_mx_table **out, char *err, size_t errlen);
void uvmsim_mx_table_free(struct uvmsim_mx_table *t);

/* Set a case up on a fresh machine with the given backend and take the fault.  Returns
 * UVMSIM_OK with *obs filled, or an error with `why` saying which set-up step failed
 * (a failure of the set-up, not a differing outcome). */
int uvmsim_mx_run_case(const struct uvmsim_mx_case *c, const char *backend, struct uvmsim_mx_outcome *obs,
                       char *why, size_t whylen);
bool uvmsim_mx_outcome_eq(const struct uvmsim_mx_outcome *a, const struct uvmsim_mx_outcome *b);
/* "lower-promote p2 c4096 io1 ram  rw n3w1 -" style (" BROKEN" appended when an
 * invariant broke), for tables and messages. */
void uvmsim_mx_outcome_str(const struct uvmsim_mx_outcome *o, char *buf, size_t len);
/* "file-private-copy vnode none own nc=yes res=no ... store rw" */
void uvmsim_mx_case_str(const struct uvmsim_mx_case *c, char *buf, size_t len);
const char *uvmsim_mx_sharer_name(int sharer);

/* The `uvmsim matrix` subcommand (argv[0] is "matrix"); returns the exit status. */
int uvmsim_mx_main(int argc, char **argv, FILE *out, FILE *err);

#endif
