/* Internal to the scenario library: the parsed form of a scenario (steps with their
 * expect lines), shared by the parser, the runner, the explainer and the dot writer,
 * and small text helpers (growing strings, JSON escaping). */
#ifndef UVMSIM_CLI_SCN_INTERNAL_H
#define UVMSIM_CLI_SCN_INTERNAL_H

#include <stdarg.h>
#include "scn.h"
#include "uvmsim/exec.h"

/* ---- growing strings ---- */
struct sbuf {
    char *s;                  /* NUL-terminated; NULL until the first append */
    size_t len, cap;
    bool oom;                 /* an append failed: the text is truncated */
};
void uvmsim_sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void uvmsim_sb_vprintf(struct sbuf *b, const char *fmt, va_list ap);
void uvmsim_sb_putc(struct sbuf *b, char c);
/* Append s as a JSON string literal (quotes included). */
void uvmsim_sb_json_str(struct sbuf *b, const char *s);
/* Append bytes as a C-like quoted string when printable, else as hex bytes. */
void uvmsim_sb_bytes(struct sbuf *b, const uint8_t *p, size_t n);
void uvmsim_sb_free(struct sbuf *b);
static inline const char *uvmsim_sb_str(const struct sbuf *b) { return b->s ? b->s : ""; }
/* Make room for element n of an array of `elem`-byte elements with *cap allocated
 * (doubling); false when host memory runs out (the array is kept). */
bool uvmsim_scn_grow(void **arr, unsigned n, unsigned *cap, size_t elem);

/* A command or expect line for an error message: text itself when it fits in len bytes
 * (NUL included), else its beginning and its length in buf (a 16 MiB store line must not
 * make 16 MiB of standard error).  UVMSIM_SCN_BRIEF is the size callers use. */
#define UVMSIM_SCN_BRIEF 160
const char *uvmsim_scn_brief(const char *text, char *buf, size_t len);

/* "rwx" style protection string into buf[4]. */
const char *uvmsim_scn_prot_str(uvmsim_prot_t p, char buf[4]);
const char *uvmsim_scn_access_name(uvmsim_access a);

/* ---- the parsed scenario ---- */

typedef enum scn_op {
    SOP_MACHINE, SOP_IMAGE, SOP_MOUNT, SOP_SPAWN, SOP_EXEC, SOP_FORK, SOP_EXIT, SOP_SWITCH,
    SOP_MAP, SOP_PROTECT, SOP_UNMAP, SOP_INHERIT, SOP_ADVISE,
    SOP_FETCH, SOP_LOAD, SOP_STORE, SOP_FAULT, SOP_SHOW,
    SOP_WIRE, SOP_UNWIRE, SOP_SHMGET, SOP_SHMAT, SOP_SHMRM, SOP_READ
} scn_op;

/* An address: a number, or an exec symbol of the step's process plus an offset. */
typedef enum scn_sym { SYM_NONE = 0, SYM_ENTRY, SYM_TEXT, SYM_DATA, SYM_BSS, SYM_STACK, SYM_BRK } scn_sym;
struct scn_addr {
    scn_sym sym;
    uint64_t value;           /* the address (SYM_NONE) or the offset added to the symbol */
    bool negative;            /* the offset is subtracted */
};

/* What a counter key names (expect KEY [OP] VALUE). */
typedef enum scn_src {
    SRC_STEP = 0,             /* a number of the step's last fault or the step itself */
    SRC_RAM, SRC_VM, SRC_PROC, SRC_PMAP, SRC_TLB, SRC_ITLB, SRC_DTLB, SRC_FLASH, SRC_FS
} scn_src;
struct scn_key {
    scn_src src;
    int field;                /* index into the source's field table */
    int proc;                 /* SRC_PROC: process slot */
};
/* Resolve a key such as "ram.anon_pages", "vm.faults.zero-fill", "p1.faults", "pages".
 * proc_slot maps a process name to its slot (-1 unknown).  Returns false when unknown. */
bool uvmsim_scn_key_parse(const char *key, int (*proc_slot)(void *arg, const char *name), void *arg,
                          struct scn_key *out);
/* Current value of a key (step-local keys read `res`). */
struct scn_result;
struct scn_runtime;
bool uvmsim_scn_key_value(struct scn_runtime *rt, const struct scn_key *k, const struct scn_result *res,
                          uint64_t *out);
/* All key names, for messages ("ram.anon_pages, ram.used_pages, ..."). */
void uvmsim_scn_key_list(struct sbuf *b);

typedef enum scn_cmp { CMP_EQ = 0, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } scn_cmp;

typedef enum scn_ex_kind {
    EX_OK,                    /* the step succeeded */
    EX_ERROR,                 /* the step failed with err */
    EX_FAULT,                 /* the step's last fault was of class cls (-1: no fault taken) */
    EX_BYTES,                 /* the bytes a load/fetch read */
    EX_LOC,                   /* where the last fault's page lives */
    EX_WRITABLE,              /* the last fault entered a writable mapping */
    EX_PROT,                  /* the last fault entered exactly prot */
    EX_NUM,                   /* key cmp value */
    EX_PV,                    /* PV entries of a physical page (by address or by proc + va) */
    EX_ENTRY,                 /* properties of the map entry at proc + va */
    EX_MAPPED,                /* what proc's tables map at va: ram, nor, zero or none */
    EX_SAME                   /* proc + va and proc2 + va2 map the same page (flag) or not */
} scn_ex_kind;

/* One property of `expect entry` (needs-copy=yes, amap-refs=2, prot=rw, object=vnode ...). */
typedef enum scn_eprop {
    EP_PROT, EP_MAXPROT, EP_INHERIT, EP_ADVICE, EP_COW, EP_NEEDS_COPY, EP_SHARED,
    EP_AMAP, EP_AMAP_REFS, EP_OBJECT, EP_OFFSET, EP_START, EP_END, EP_WIRED
} scn_eprop;
struct scn_echeck {
    scn_eprop prop;
    uint64_t value;           /* numbers, booleans, enums, protections */
    char *str;                /* object kind ("none" for no object) */
};

struct scn_expect {
    scn_ex_kind kind;
    unsigned line;
    char *text;               /* the line as written, for messages */
    int err;                  /* EX_ERROR */
    int cls;                  /* EX_FAULT: a uvmsim_fault_class, or -1 for "none" */
    uvmsim_page_loc loc;      /* EX_LOC, EX_MAPPED */
    bool flag;                /* EX_WRITABLE, EX_SAME */
    uvmsim_prot_t prot;       /* EX_PROT */
    struct scn_key key;       /* EX_NUM */
    scn_cmp cmp;              /* EX_NUM, EX_PV */
    uint64_t value;           /* EX_NUM, EX_PV */
    uint8_t *data;            /* EX_BYTES */
    size_t datalen;
    int proc, proc2;          /* EX_PV (proc >= 0: by va), EX_ENTRY, EX_MAPPED, EX_SAME */
    struct scn_addr addr, addr2;
    uint64_t pa;              /* EX_PV by physical address */
    struct scn_echeck *checks;/* EX_ENTRY */
    unsigned nchecks;
};

typedef enum scn_mount_kind { MNT_COPY = 0, MNT_XIP, MNT_XIP_FAULTOP } scn_mount_kind;

struct scn_step {
    scn_op op;
    unsigned line;
    char *text;               /* the command as written (comment and blanks trimmed) */
    int proc, proc2;          /* process slots (-1 unused) */
    struct scn_addr addr;
    uint64_t size;            /* bytes (size=) for mapping ops; access length for fetch/load */
    uint64_t npages;          /* pages= for mapping ops (size is 0 then) */
    uvmsim_prot_t prot, maxprot;
    bool shared;
    char *path;               /* MAP file=, EXEC program, IMAGE file (resolved), MOUNT path */
    uvmsim_off_t offset;
    uvmsim_inherit inherit;
    bool inherit_set;
    uvmsim_advice advice;
    uvmsim_access access;     /* FAULT */
    uint64_t key;             /* SHMGET, SHMAT, SHMRM: the segment's key */
    bool rdonly;              /* SHMAT: attach read-only */
    uint8_t *data;            /* STORE */
    size_t datalen;
    /* MACHINE */
    uvmsim_machine_config cfg;
    char *pmap_name;          /* owned copy for cfg.pmap */
    int share_domains;        /* machine share-domains=on|off (fass): 1 on, 0 off (default) */
    int placement;            /* machine placement=on|off (fass) */
    /* IMAGE */
    bool builtin;
    size_t block_size;        /* 0: device default */
    bool nodirect;
    /* MOUNT */
    scn_mount_kind mount;
    unsigned mount_flags;     /* UVMSIM_MNT_SUPERPAGES / _NOSUPERPAGES from superpages=on|off */
    int image;                /* index of the image it mounts */
    struct scn_expect *ex;
    unsigned nex;
};

struct uvmsim_scn {
    char *name;               /* for messages */
    char *text;               /* the file as read, NUL-terminated (uvmsim html shows it) */
    size_t textlen;
    struct scn_step *steps;
    unsigned nsteps;
    char **procs;             /* process slot names */
    unsigned nprocs;
    unsigned nimages;
    bool has_machine;         /* steps[0] is SOP_MACHINE */
};

/* ---- run-time state shared by the runner, the explainer and the dot writer ---- */

/* What one step did. */
struct scn_result {
    int err;                  /* UVMSIM_OK or the step's error */
    unsigned nfaults;
    bool have_fault;          /* last is the outcome of a fault taken by this step */
    uvmsim_fault_outcome last;
    uint8_t *bytes;           /* read by fetch/load */
    size_t nbytes;
    uvmsim_vaddr_t va;        /* resolved address of the step */
    uint64_t ptp_growth;      /* page-table pages the step added (ram.ptp_pages) */
    struct sbuf info;         /* the result in words */
};

struct scn_runtime {
    const uvmsim_scn *s;
    const uvmsim_scn_opts *o;
    uvmsim_machine *m;
    uvmsim_proc **procs;      /* by slot; NULL when not alive */
    uvmsim_exec_info *exec;   /* by slot */
    bool *has_exec;
    uvmsim_flashdev **devs;   /* by image index */
    unsigned ndevs;
    struct scn_shm { uint64_t key; uvmsim_shmseg *seg; } *shms;   /* live SysV segments */
    unsigned nshms;
    uvmsim_vnode **open;      /* files `read` opened: kept open (page cache and all) to the end */
    unsigned nopen;
    unsigned step;            /* 1-based number of the step running */
    /* explain mode: events of the step running */
    unsigned fault_no;        /* faults narrated in this step */
    unsigned step_no;         /* handler steps narrated in this fault */
    bool in_fault;
    uint64_t fault_ptp0;      /* ram.ptp_pages when the fault being narrated began */
    bool walk_faulted;        /* the last walk found no usable translation (a fault follows) */
    unsigned trace_errors;
    const struct scn_hooks *hooks;  /* a step-by-step writer's callbacks, or NULL */
};

/* Callbacks of a writer that follows a run step by step (uvmsim html).  The run itself
 * is the one `uvmsim run` / `explain` does: the hooks only observe it. */
struct scn_hooks {
    void *arg;
    /* an expect line was checked; why: what was found when it did not hold */
    void (*on_expect)(void *arg, const struct scn_expect *ex, bool ok, const char *why);
    /* a step ran, its expect lines were checked, its messages and narration written;
     * returns a UVMSIM_SCN_* status (not OK: the run stops with it) */
    int (*on_step)(void *arg, struct scn_runtime *rt, const struct scn_step *st, const struct scn_result *res);
};
/* uvmsim_scn_run with hooks (NULL: none). */
int uvmsim_scn_run_hooked(const uvmsim_scn *s, const uvmsim_scn_opts *o, const struct scn_hooks *h);

/* Trace callback (JSON Lines to o->trace, narration in explain mode). */
void uvmsim_scn_on_event(const uvmsim_event *ev, void *arg);
/* A fault outcome as a JSON object. */
void uvmsim_scn_json_outcome(struct sbuf *b, const uvmsim_fault_outcome *o);
/* One event as the JSON object of a --trace line (no newline); ctx_key names the
 * context number (run: "scn_step", replay: "record"). */
void uvmsim_scn_json_event(struct sbuf *b, const uvmsim_event *ev, const char *ctx_key, uint64_t ctx);
/* ---- pictures (scn_dot.c) ---- */

/* The machine's state after a step: the introspection snapshot, the scenario's names of
 * its processes and the physical pages it names.  Owns everything but the names (which
 * point into the scenario). */
struct pgnode;
struct scn_state {
    struct uvmsim_isp_snapshot *snap;
    const char **pnames;      /* by snap->procs index: the scenario's name, or NULL */
    struct pgnode *pages;     /* every page named by a PTE, anon or object, by address */
    uint32_t npages;
    unsigned step;            /* the step after which it was taken (0: before any) */
    const char *backend;      /* pmap backend name (static) */
};
int uvmsim_scn_state_take(struct scn_runtime *rt, struct scn_state *out);
void uvmsim_scn_state_free(struct scn_state *st);

struct scn_dot_opts {
    const char *name;         /* the scenario's name for the title */
    unsigned line;            /* the line of the step (0: none) */
    const struct scn_state *prev;  /* mark what changed since this state (NULL: no marks) */
    const char *idp;          /* prefix of every SVG id (NULL: no ids, no classes) */
    bool legend;              /* append the legend cluster */
    struct sbuf *changes;     /* receives one "MARK<TAB>TEXT" line per change (MARK: new,
                                 changed or freed), or NULL */
};
/* Graphviz text for a state. */
int uvmsim_scn_dot_write(const struct scn_state *cur, const struct scn_dot_opts *o, FILE *out);
/* The legend (a cluster subgraph; marks: also the marks of changes). */
void uvmsim_scn_dot_legend(FILE *out, bool marks, const char *idp);
/* Graphviz text for the machine's state now, with the legend (uvmsim dot). */
int uvmsim_scn_dot(struct scn_runtime *rt, FILE *out);

/* Process slot name (for messages). */
static inline const char *uvmsim_scn_pname(const uvmsim_scn *s, int slot)
{
    return slot >= 0 && (unsigned)slot < s->nprocs ? s->procs[slot] : "?";
}

/* Does the invariant checker run after step `step` (1-based) of `last` under `mode`? */
bool uvmsim_scn_check_due(uvmsim_scn_check mode, unsigned step, unsigned last);

#endif
