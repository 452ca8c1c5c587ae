/* uvmsim scenario library: the fault-handler test matrix.
 *
 * The expectations are a hand-written text table (tests/matrix/fault-matrix.txt,
 * embedded at build time).  Its cases are the combinations of six dimensions — backing,
 * upper state, needs-copy, lower residency, access, protection — that the table does not
 * exclude; each case is run on a fresh machine per pmap backend: the state is set up
 * through the public API, the fault handler is called once at the target page, and the
 * outcome is compared with the row.  Used by `uvmsim matrix` and tests/cli/cli_matrix.c. */
#ifndef UVMSIM_CLI_MX_H
#define UVMSIM_CLI_MX_H

#include <stdio.h>
#include "uvmsim/uvmsim.h"

enum { MX_BACKING = 0, MX_UPPER, MX_NC, MX_RES, MX_ACCESS, MX_PROT, MX_NDIMS };

#define MX_PAGE 4096u                 /* the matrix machine's page size (= the image's block) */

/* One outcome, expected or observed.  cls is a uvmsim_fault_class; err the uvmsim error
 * (0 none); pages excludes page-table pages. */
struct uvmsim_mx_outcome {
    int cls;
    int err;
    unsigned pages;
    uint64_t copied;
    unsigned io;
    uvmsim_page_loc loc;
    bool writable;
};

struct uvmsim_mx_case {
    uint8_t dim[MX_NDIMS];            /* value index per dimension */
    struct uvmsim_mx_outcome expect;
    unsigned line;                    /* table line of the row that gives the expectation */
};

struct uvmsim_mx_exclusion {
    uint8_t dim[MX_NDIMS];            /* MX_ANY = wildcard */
    char *reason;
    unsigned line;
    unsigned count;                   /* combinations it excludes (not excluded earlier) */
};
#define MX_ANY 0xff

struct uvmsim_mx_table {
    struct uvmsim_mx_case *cases;     /* in the order of the cross product */
    unsigned ncases;
    struct uvmsim_mx_exclusion *excl;
    unsigned nexcl;
    unsigned nexcluded;               /* combinations excluded */
};

unsigned uvmsim_mx_nvalues(int dim);
const char *uvmsim_mx_dim_name(int dim);
const char *uvmsim_mx_value_name(int dim, int value);
/* Value index, or -1. */
int uvmsim_mx_value_parse(int dim, const char *name);
/* Dimension index by name ("backing", ...), or -1. */
int uvmsim_mx_dim_parse(const char *name);

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
/* "lower-promote p2 c4096 io1 ram rw" style, for tables and messages. */
void uvmsim_mx_outcome_str(const struct uvmsim_mx_outcome *o, char *buf, size_t len);
/* "file-private-copy none yes no store rw" */
void uvmsim_mx_case_str(const struct uvmsim_mx_case *c, char *buf, size_t len);

/* The `uvmsim matrix` subcommand (argv[0] is "matrix"); returns the exit status. */
int uvmsim_mx_main(int argc, char **argv, FILE *out, FILE *err);

#endif
