/* uvmsim scenario library (static lib uvmsim_scenario): parse a scenario file — a small
 * line-oriented language that configures a machine, attaches flash images, runs
 * processes, maps memory, makes accesses and checks `expect` lines — and run it in one
 * of three modes: step lines (text or JSON), a plain-words explanation of every fault,
 * or a Graphviz picture of the final state; or write the explained run as one web page
 * with a picture per step (uvmsim_scn_html).  The language is described in docs/cli.md.
 *
 * The whole file is parsed before anything runs, so bad input never runs half a
 * scenario.  Status codes double as the `uvmsim` exit status. */
#ifndef UVMSIM_CLI_SCN_H
#define UVMSIM_CLI_SCN_H

#include <stdio.h>
#include "uvmsim/uvmsim.h"

enum {
    UVMSIM_SCN_OK = 0,        /* every expect line held */
    UVMSIM_SCN_FAILED = 1,    /* an expect line failed, or a step failed without `expect error` */
    UVMSIM_SCN_INPUT = 2,     /* usage or input error (parse error, bad configuration) */
    UVMSIM_SCN_SIMERR = 3     /* the simulator failed (invariant broken, host memory, tool missing) */
};

typedef struct uvmsim_scn uvmsim_scn;

/* Parse `len` bytes of scenario text.  `name` prefixes messages ("NAME:LINE: ...");
 * `base_dir` resolves relative image paths (NULL: the current directory).  Returns
 * UVMSIM_SCN_OK with *out set, or UVMSIM_SCN_INPUT with the first error in err. */
int uvmsim_scn_parse(const char *name, const char *text, size_t len, const char *base_dir,
                     uvmsim_scn **out, char *err, size_t errlen);
/* Read and parse a file ("-" reads stdin; messages then say "<stdin>"). */
int uvmsim_scn_load(const char *path, uvmsim_scn **out, char *err, size_t errlen);
void uvmsim_scn_free(uvmsim_scn *s);

unsigned uvmsim_scn_nsteps(const uvmsim_scn *s);
/* The pmap backend the scenario's machine line asks for ("generic" by default). */
const char *uvmsim_scn_pmap(const uvmsim_scn *s);

typedef enum uvmsim_scn_mode {
    UVMSIM_SCN_MODE_RUN = 0,  /* one line per step (JSON Lines with json) */
    UVMSIM_SCN_MODE_EXPLAIN,  /* each step, and for each fault the handler's path in words */
    UVMSIM_SCN_MODE_DOT       /* nothing per step; the state after the last step run as dot */
} uvmsim_scn_mode;

/* When the invariant checker (uvmsim_check) runs. */
typedef enum uvmsim_scn_check {
    UVMSIM_SCN_CHECK_AUTO = 0,  /* after every step of the first UVMSIM_SCN_CHECK_AUTO_STEPS, then
                                 * after steps 2^k and the last one (default) */
    UVMSIM_SCN_CHECK_STEP,      /* after every step: pinpoints the step that broke an invariant */
    UVMSIM_SCN_CHECK_END,       /* once, after the last step run */
    UVMSIM_SCN_CHECK_OFF        /* never */
} uvmsim_scn_check;
#define UVMSIM_SCN_CHECK_AUTO_STEPS 1000
/* "auto", "step", "end", "off", NULL-terminated, in enum order. */
extern const char *const uvmsim_scn_check_names[];

typedef struct uvmsim_scn_opts {
    uvmsim_scn_mode mode;
    bool json;                /* RUN: JSON Lines instead of text */
    FILE *out;                /* step lines, explanation or dot text (NULL: stdout) */
    FILE *err;                /* FILE:LINE messages (NULL: stderr) */
    FILE *trace;              /* every event as JSON Lines, or NULL */
    unsigned last_step;       /* run steps 1..last_step only (0: all) */
    const char *pmap;         /* override the machine line's backend (NULL: keep) */
    uvmsim_scn_check check;   /* when the invariant checker runs (default AUTO) */
} uvmsim_scn_opts;

void uvmsim_scn_opts_init(uvmsim_scn_opts *o);
/* Run the scenario on a fresh machine; returns a UVMSIM_SCN_* status. */
int uvmsim_scn_run(const uvmsim_scn *s, const uvmsim_scn_opts *o);

/* A TLB shape as a scenario machine line writes it: ENTRIES[/WAYS|full[/lru|fifo|random
 * [/split|unified]]], or off/none.  False with a reason in why (no prefix). */
bool uvmsim_scn_tlb_parse(const char *val, uvmsim_tlb_config *tlb, char *why, size_t whylen);

/* Is `name` one of uvmsim_pmap_backends()? */
bool uvmsim_scn_backend_exists(const char *name);

/* ---- Graphviz (scn_graphviz.c) ---- */

/* The dot program: $UVMSIM_DOT if it names an executable, else `dot` in PATH; NULL when
 * there is none.  The caller frees it. */
char *uvmsim_scn_find_dot(void);
/* "WHO: Graphviz 'dot' was not found ...; install the graphviz package ...HINT" on err. */
void uvmsim_scn_dot_missing(FILE *err, const char *who, const char *hint);
/* Run `DOT -TFORMAT` on the text in `in` (rewound first), writing to the file `outpath`
 * (`-o outpath`) or, when outpath is NULL, to `out`.  UVMSIM_SCN_SIMERR with a message
 * on err when dot cannot start or fails. */
int uvmsim_scn_graphviz(FILE *err, const char *who, const char *dot, FILE *in, const char *format,
                        const char *outpath, FILE *out);

/* ---- uvmsim html (scn_html.c) ---- */

typedef struct uvmsim_scn_html_opts {
    FILE *err;                /* FILE:LINE messages (NULL: stderr) */
    unsigned last_step;       /* run steps 1..last_step only (0: all) */
    const char *pmap;         /* override the machine line's backend (NULL: keep) */
    uvmsim_scn_check check;   /* when the invariant checker runs (default AUTO) */
    const char *dot;          /* the Graphviz program (NULL: uvmsim_scn_find_dot()) */
} uvmsim_scn_html_opts;

void uvmsim_scn_html_opts_init(uvmsim_scn_html_opts *o);
/* Run the scenario as `uvmsim explain` does and write it to `out` as one self-contained
 * HTML page: per step the scenario text with the line highlighted, the explanation, the
 * state picture (inline SVG) with the step's changes marked, the counters and the
 * expect results; navigation by buttons, arrow keys and #step=N.  Nothing is written
 * unless the page is complete.  Returns UVMSIM_SCN_OK or _FAILED (the page is written:
 * an expectation failed, shown in the page) or _INPUT / _SIMERR (nothing written;
 * Graphviz missing or failing is _SIMERR). */
int uvmsim_scn_html(const uvmsim_scn *s, const uvmsim_scn_html_opts *o, FILE *out);

#endif
