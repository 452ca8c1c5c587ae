/* Scenario library: the fault-handler test matrix — the table parser (hand-written
 * expectations with wildcards and exclusions, see tests/matrix/fault-matrix.txt), the
 * case runner (set a state up through the public API, take one fault, observe), and the
 * `uvmsim matrix` subcommand. */
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include "mx.h"
#include "scn.h"
#include "vm/uvm_introspect.h"
#ifdef UVMSIM_HAVE_BUILTIN
#include "uvmsim/builtin.h"
#endif

extern const unsigned char uvmsim_mx_table_text[];
extern const size_t uvmsim_mx_table_text_len;

/* ---- dimensions ---- */

enum { B_ANON_PRIVATE, B_ANON_SHARED, B_FILE_PRIVATE_COPY, B_FILE_SHARED_COPY, B_FILE_PRIVATE_XIP,
       B_FILE_SHARED_XIP, B_XIP_HOLE, B_COPY_HOLE, B_N };
enum { U_NONE, U_ANON1, U_FORKED, U_N };
enum { A_FETCH, A_LOAD, A_STORE };
enum { P_NONE, P_R, P_RW, P_RX, P_N };

static const char *const backing_names[] = {"anon-private", "anon-shared", "file-private-copy", "file-shared-copy",
                                            "file-private-xip", "file-shared-xip", "xip-hole", "copy-hole", NULL};
static const char *const upper_names[] = {"none", "anon1", "forked", NULL};
static const char *const yesno_names[] = {"yes", "no", NULL};
static const char *const access_names[] = {"fetch", "load", "store", NULL};
static const char *const prot_names[] = {"none", "r", "rw", "rx", NULL};
static const char *const *const dim_values[MX_NDIMS] = {backing_names, upper_names, yesno_names, yesno_names,
                                                       access_names, prot_names};
static const char *const dim_names[MX_NDIMS] = {"backing", "upper", "nc", "res", "access", "prot"};
static const uvmsim_prot_t prot_bits[P_N] = {UVMSIM_PROT_NONE, UVMSIM_PROT_READ,
                                            UVMSIM_PROT_READ | UVMSIM_PROT_WRITE,
                                            UVMSIM_PROT_READ | UVMSIM_PROT_EXEC};

unsigned uvmsim_mx_nvalues(int dim)
{
    unsigned n = 0;
    if (dim < 0 || dim >= MX_NDIMS)
        return 0;
    while (dim_values[dim][n])
        n++;
    return n;
}

const char *uvmsim_mx_dim_name(int dim)
{
    return dim >= 0 && dim < MX_NDIMS ? dim_names[dim] : "?";
}

const char *uvmsim_mx_value_name(int dim, int value)
{
    if (value == MX_ANY)
        return "*";
    return dim >= 0 && dim < MX_NDIMS && value >= 0 && (unsigned)value < uvmsim_mx_nvalues(dim) ?
           dim_values[dim][value] : "?";
}

int uvmsim_mx_value_parse(int dim, const char *name)
{
    for (unsigned i = 0; dim >= 0 && dim < MX_NDIMS && i < uvmsim_mx_nvalues(dim); i++)
        if (strcmp(dim_values[dim][i], name) == 0)
            return (int)i;
    return -1;
}

int uvmsim_mx_dim_parse(const char *name)
{
    for (int d = 0; d < MX_NDIMS; d++)
        if (strcmp(dim_names[d], name) == 0)
            return d;
    return -1;
}

/* ---- the table ---- */

struct mx_row {
    uint8_t dim[MX_NDIMS];
    struct uvmsim_mx_outcome out;
    unsigned line;
    unsigned wild;            /* number of `*`: fewer is more specific */
};

static bool tperr(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static bool tperr(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%u: ", name, line);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool parse_dims(char **tok, uint8_t dim[MX_NDIMS], unsigned *wild, const char *name, unsigned line,
                       char *err, size_t errlen)
{
    *wild = 0;
    for (int d = 0; d < MX_NDIMS; d++) {
        if (tok[d] == NULL)
            return tperr(err, errlen, name, line, "expected 6 dimensions (backing upper nc res access prot)");
        if (strcmp(tok[d], "*") == 0) {
            dim[d] = MX_ANY;
            (*wild)++;
            continue;
        }
        int v = uvmsim_mx_value_parse(d, tok[d]);
        if (v < 0) {
            char list[160] = "";
            for (unsigned i = 0; i < uvmsim_mx_nvalues(d); i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", dim_values[d][i]);
            return tperr(err, errlen, name, line, "%s: expected one of %s or *, got '%s'", dim_names[d], list, tok[d]);
        }
        dim[d] = (uint8_t)v;
    }
    return true;
}

static bool parse_outcome(char **tok, struct uvmsim_mx_outcome *o, const char *name, unsigned line, char *err,
                          size_t errlen)
{
    static const char *const what[7] = {"class", "error", "pages", "copied", "io", "loc", "writable"};
    for (int i = 0; i < 7; i++)
        if (tok[i] == NULL)
            return tperr(err, errlen, name, line, "expected 7 outcome fields after '=>' (class error pages copied io loc writable), %s is missing",
                         what[i]);
    if (tok[7] != NULL)
        return tperr(err, errlen, name, line, "unexpected '%s' after the writable field", tok[7]);
    memset(o, 0, sizeof(*o));
    o->cls = uvmsim_fault_class_parse(tok[0]);
    if (o->cls < 0)
        return tperr(err, errlen, name, line, "class: expected upper-direct, upper-promote, lower-direct, lower-promote, zero-fill or error, got '%s'",
                     tok[0]);
    if (strcmp(tok[1], "-") != 0) {
        for (int e = 1; e < UVMSIM_ERR_COUNT; e++)
            if (strcmp(uvmsim_errname(e), tok[1]) == 0)
                o->err = e;
        if (o->err == 0)
            return tperr(err, errlen, name, line, "error: expected - or an error name such as EACCES, got '%s'", tok[1]);
    }
    if ((o->cls == UVMSIM_FAULT_ERROR) != (o->err != 0))
        return tperr(err, errlen, name, line, "class error goes with an error name, other classes with '-'");
    char *end;
    errno = 0;
    unsigned long v = strtoul(tok[2], &end, 10);
    if (*end || errno || v > 64)
        return tperr(err, errlen, name, line, "pages: expected a small number, got '%s'", tok[2]);
    o->pages = (unsigned)v;
    if (strcmp(tok[3], "page") == 0) {
        o->copied = MX_PAGE;
    } else {
        unsigned long long c = strtoull(tok[3], &end, 10);
        if (*end || errno)
            return tperr(err, errlen, name, line, "copied: expected 0, page or a byte count, got '%s'", tok[3]);
        o->copied = c;
    }
    v = strtoul(tok[4], &end, 10);
    if (*end || errno || v > 64)
        return tperr(err, errlen, name, line, "io: expected a small number, got '%s'", tok[4]);
    o->io = (unsigned)v;
    static const uvmsim_page_loc locs[] = {UVMSIM_LOC_NONE, UVMSIM_LOC_RAM, UVMSIM_LOC_DEVICE, UVMSIM_LOC_ZERO};
    bool found = false;
    for (int i = 0; i < 4; i++)
        if (strcmp(tok[5], uvmsim_page_loc_name(locs[i])) == 0) {
            o->loc = locs[i];
            found = true;
        }
    if (!found)
        return tperr(err, errlen, name, line, "loc: expected ram, nor, zero or none, got '%s'", tok[5]);
    if (strcmp(tok[6], "yes") == 0)
        o->writable = true;
    else if (strcmp(tok[6], "no") != 0)
        return tperr(err, errlen, name, line, "writable: expected yes or no, got '%s'", tok[6]);
    return true;
}

static bool dims_match(const uint8_t pat[MX_NDIMS], const uint8_t c[MX_NDIMS])
{
    for (int d = 0; d < MX_NDIMS; d++)
        if (pat[d] != MX_ANY && pat[d] != c[d])
            return false;
    return true;
}

void uvmsim_mx_table_free(struct uvmsim_mx_table *t)
{
    if (t == NULL)
        return;
    for (unsigned i = 0; i < t->nexcl; i++)
        free(t->excl[i].reason);
    free(t->excl);
    free(t->cases);
    free(t);
}

#define MX_MAXTOK 24

static int table_lines(struct uvmsim_mx_table *t, struct mx_row **rows, unsigned *nrows, const char *name,
                       const char *text, size_t len, char *err, size_t errlen)
{
    unsigned line = 0, cap_rows = 0, cap_excl = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *buf = strndup(p, ll);
        p = nl ? nl + 1 : end;
        if (buf == NULL)
            return tperr(err, errlen, name, line, "out of host memory"), -1;
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = '\0';
        char *reason = NULL;
        char *colon = strstr(buf, " : ");
        if (colon) {
            *colon = '\0';
            reason = colon + 3;
            while (isspace((unsigned char)*reason))
                reason++;
        }
        char *tok[MX_MAXTOK + 1] = {0};
        int nt = 0;
        for (char *s = strtok(buf, " \t\r"); s; s = strtok(NULL, " \t\r")) {
            if (nt == MX_MAXTOK) {
                free(buf);
                return tperr(err, errlen, name, line, "too many fields"), -1;
            }
            tok[nt++] = s;
        }
        if (nt == 0) {
            if (reason) {
                free(buf);
                return tperr(err, errlen, name, line, "a ':' reason without an exclude line"), -1;
            }
            free(buf);
            continue;
        }
        bool ok;
        if (strcmp(tok[0], "exclude") == 0) {
            struct uvmsim_mx_exclusion x = {.line = line};
            unsigned wild;
            ok = parse_dims(tok + 1, x.dim, &wild, name, line, err, errlen);
            if (ok && nt != 1 + MX_NDIMS)
                ok = tperr(err, errlen, name, line, "exclude: expected 6 dimensions, then ' : ' and the reason");
            if (ok && (reason == NULL || *reason == '\0'))
                ok = tperr(err, errlen, name, line, "exclude: expected ' : ' and the reason the combination cannot arise");
            if (ok) {
                if (t->nexcl == cap_excl) {
                    cap_excl = cap_excl ? 2 * cap_excl : 16;
                    struct uvmsim_mx_exclusion *ne = realloc(t->excl, cap_excl * sizeof(*ne));
                    if (ne == NULL)
                        ok = tperr(err, errlen, name, line, "out of host memory");
                    else
                        t->excl = ne;
                }
                if (ok && (x.reason = strdup(reason)) == NULL)
                    ok = tperr(err, errlen, name, line, "out of host memory");
                if (ok)
                    t->excl[t->nexcl++] = x;
            }
        } else {
            struct mx_row r = {.line = line};
            ok = reason == NULL || tperr(err, errlen, name, line, "' : reason' only follows an exclude line");
            ok = ok && parse_dims(tok, r.dim, &r.wild, name, line, err, errlen);
            if (ok && (nt < MX_NDIMS + 1 || strcmp(tok[MX_NDIMS], "=>") != 0))
                ok = tperr(err, errlen, name, line, "expected '=>' after the 6 dimensions");
            ok = ok && parse_outcome(tok + MX_NDIMS + 1, &r.out, name, line, err, errlen);
            if (ok) {
                if (*nrows == cap_rows) {
                    cap_rows = cap_rows ? 2 * cap_rows : 64;
                    struct mx_row *nr = realloc(*rows, cap_rows * sizeof(*nr));
                    if (nr == NULL)
                        ok = tperr(err, errlen, name, line, "out of host memory");
                    else
                        *rows = nr;
                }
                if (ok)
                    (*rows)[(*nrows)++] = r;
            }
        }
        free(buf);
        if (!ok)
            return -1;
    }
    return 0;
}

/* Walk the cross product: each combination is excluded (first matching rule) or gets
 * the most specific matching row. */
static int table_cases(struct uvmsim_mx_table *t, const struct mx_row *rows, unsigned nrows, const char *name,
                       char *err, size_t errlen)
{
    unsigned total = 1;
    for (int d = 0; d < MX_NDIMS; d++)
        total *= uvmsim_mx_nvalues(d);
    t->cases = calloc(total, sizeof(*t->cases));
    if (t->cases == NULL)
        return tperr(err, errlen, name, 0, "out of host memory"), -1;
    bool *used = calloc(nrows ? nrows : 1, sizeof(*used));
    if (used == NULL)
        return tperr(err, errlen, name, 0, "out of host memory"), -1;
    int rc = 0;
    for (unsigned k = 0; k < total && rc == 0; k++) {
        uint8_t c[MX_NDIMS];
        unsigned rest = k;
        for (int d = MX_NDIMS - 1; d >= 0; d--) {
            c[d] = (uint8_t)(rest % uvmsim_mx_nvalues(d));
            rest /= uvmsim_mx_nvalues(d);
        }
        bool excluded = false;
        for (unsigned x = 0; x < t->nexcl && !excluded; x++)
            if (dims_match(t->excl[x].dim, c)) {
                t->excl[x].count++;
                excluded = true;
            }
        if (excluded) {
            t->nexcluded++;
            continue;
        }
        int best = -1;
        bool tie = false;
        for (unsigned r = 0; r < nrows; r++) {
            if (!dims_match(rows[r].dim, c))
                continue;
            if (best < 0 || rows[r].wild < rows[best].wild) {
                best = (int)r;
                tie = false;
            } else if (rows[r].wild == rows[best].wild) {
                tie = true;
            }
        }
        struct uvmsim_mx_case cs = {.line = best >= 0 ? rows[best].line : 0};
        memcpy(cs.dim, c, sizeof(c));
        char desc[128];
        uvmsim_mx_case_str(&cs, desc, sizeof(desc));
        if (best < 0) {
            tperr(err, errlen, name, 0, "no row and no exclusion for the case %s", desc);
            rc = -1;
        } else if (tie) {
            tperr(err, errlen, name, rows[best].line, "the case %s matches two rows equally specific (this one and another)", desc);
            rc = -1;
        } else {
            used[best] = true;
            cs.expect = rows[best].out;
            t->cases[t->ncases++] = cs;
        }
    }
    for (unsigned r = 0; r < nrows && rc == 0; r++)
        if (!used[r]) {
            tperr(err, errlen, name, rows[r].line, "this row gives no case its expectation (excluded, or shadowed by more specific rows)");
            rc = -1;
        }
    for (unsigned x = 0; x < t->nexcl && rc == 0; x++)
        if (t->excl[x].count == 0) {
            tperr(err, errlen, name, t->excl[x].line, "this exclusion excludes nothing (earlier ones cover it)");
            rc = -1;
        }
    free(used);
    return rc;
}

int uvmsim_mx_table_parse(const char *name, const char *text, size_t len, struct uvmsim_mx_table **out,
                          char *err, size_t errlen)
{
    *out = NULL;
    struct uvmsim_mx_table *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(err, errlen, "%s: out of host memory", name);
        return -1;
    }
    struct mx_row *rows = NULL;
    unsigned nrows = 0;
    int rc = table_lines(t, &rows, &nrows, name, text, len, err, errlen);
    if (rc == 0)
        rc = table_cases(t, rows, nrows, name, err, errlen);
    free(rows);
    if (rc != 0) {
        uvmsim_mx_table_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

int uvmsim_mx_table_builtin(struct uvmsim_mx_table **out, char *err, size_t errlen)
{
    return uvmsim_mx_table_parse("tests/matrix/fault-matrix.txt", (const char *)uvmsim_mx_table_text,
                                 uvmsim_mx_table_text_len, out, err, errlen);
}

/* ---- outcomes ---- */

bool uvmsim_mx_outcome_eq(const struct uvmsim_mx_outcome *a, const struct uvmsim_mx_outcome *b)
{
    return a->cls == b->cls && a->err == b->err && a->pages == b->pages && a->copied == b->copied &&
           a->io == b->io && a->loc == b->loc && a->writable == b->writable;
}

void uvmsim_mx_outcome_str(const struct uvmsim_mx_outcome *o, char *buf, size_t len)
{
    char cls[32];
    if (o->cls == UVMSIM_FAULT_ERROR)
        snprintf(cls, sizeof(cls), "error:%s", uvmsim_errname(o->err));
    else
        snprintf(cls, sizeof(cls), "%s", uvmsim_fault_class_name((uvmsim_fault_class)o->cls));
    snprintf(buf, len, "%-13s p%u c%-4llu io%u %-4s %s", cls, o->pages, (unsigned long long)o->copied, o->io,
             uvmsim_page_loc_name(o->loc), o->writable ? "rw" : "ro");
}

void uvmsim_mx_case_str(const struct uvmsim_mx_case *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s nc=%s res=%s %s %s", uvmsim_mx_value_name(MX_BACKING, c->dim[MX_BACKING]),
             uvmsim_mx_value_name(MX_UPPER, c->dim[MX_UPPER]), uvmsim_mx_value_name(MX_NC, c->dim[MX_NC]),
             uvmsim_mx_value_name(MX_RES, c->dim[MX_RES]), uvmsim_mx_value_name(MX_ACCESS, c->dim[MX_ACCESS]),
             uvmsim_mx_value_name(MX_PROT, c->dim[MX_PROT]));
}

/* ---- running a case ---- */

#define MX_BASE      0x10000000ull     /* the mapping: 4 pages of /data/sparse or anon memory */
#define MX_NPAGES    4
#define MX_DATA_PAGE 3                 /* /data/sparse: pages 0 and 3 hold data */
#define MX_HOLE_PAGE 1                 /* pages 1 and 2 are holes */
#define MX_NEIGHBOUR 2                 /* touched to create the amap without touching the target */
#define MX_FILE      "/data/sparse"

static bool b_file(int b) { return b != B_ANON_PRIVATE && b != B_ANON_SHARED; }
static bool b_xip(int b) { return b == B_FILE_PRIVATE_XIP || b == B_FILE_SHARED_XIP || b == B_XIP_HOLE; }
static bool b_shared(int b) { return b == B_ANON_SHARED || b == B_FILE_SHARED_COPY || b == B_FILE_SHARED_XIP; }
static bool b_hole(int b) { return b == B_XIP_HOLE || b == B_COPY_HOLE; }

struct mx_run {
    uvmsim_machine *m;
    uvmsim_vnode *vp;
    char *why;
    size_t whylen;
};

static int fail(struct mx_run *r, int err, const char *what)
{
    snprintf(r->why, r->whylen, "set-up: %s: %s", what, uvmsim_strerror(err));
    return err ? err : UVMSIM_ESTATE;
}

static int touch(uvmsim_proc *p, uvmsim_vaddr_t va, uvmsim_access kind)
{
    uint8_t b = 0x5a;
    return uvmsim_access_mem(p, va, kind, &b, 1, NULL, NULL);
}

static int map_file(struct mx_run *r, uvmsim_proc *p, bool shared, uvmsim_prot_t prot)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = MX_BASE;
    a.size = (uint64_t)MX_NPAGES * MX_PAGE;
    a.prot = prot;
    a.flags = UVMSIM_MAP_FIXED | (shared ? UVMSIM_MAP_SHARED : UVMSIM_MAP_PRIVATE);
    a.vnode = r->vp;
    return uvmsim_map(p, &a, NULL);
}

/* Check that the set-up built the state the case names, from a snapshot of the VM
 * structures: the backing's object kind, needs-copy, the anon at the target page and its
 * reference counts, and the residency of the object's page.  A case whose state is not
 * what it says would test nothing. */
static int verify_state(struct mx_run *r, const uvmsim_proc *p, uvmsim_vaddr_t target, const struct uvmsim_mx_case *c)
{
    int b = c->dim[MX_BACKING], up = c->dim[MX_UPPER];
    bool nc = c->dim[MX_NC] == 0, res = c->dim[MX_RES] == 0;
    struct uvmsim_isp_snapshot *s;
    if (uvmsim_introspect(r->m, &s) != UVMSIM_OK)
        return fail(r, UVMSIM_ENOHOST, "snapshot");
    const char *bad = NULL;
    const struct uvmsim_isp_entry *e = NULL;
    for (uint32_t i = 0; i < s->nprocs; i++) {
        if (s->procs[i].pid != uvmsim_proc_pid(p))
            continue;
        for (uint32_t k = s->procs[i].first_entry; k < s->procs[i].first_entry + s->procs[i].nentries; k++)
            if (s->entries[k].start <= target && target < s->entries[k].end)
                e = &s->entries[k];
    }
    const char *want_kind = !b_file(b) ? NULL : b_xip(b) ? "xip-vnode" : "vnode";
    const char *kind = e && e->object != UVMSIM_ISP_NONE ? s->objects[e->object].kind : NULL;
    const struct uvmsim_isp_anon *an = NULL;
    const struct uvmsim_isp_amap *am = NULL;
    if (e && e->amap != UVMSIM_ISP_NONE) {
        am = &s->amaps[e->amap];
        unsigned slot = e->slotoff + (unsigned)((target - e->start) / MX_PAGE);
        for (uint32_t k = am->first_slot; k < am->first_slot + am->nused; k++)
            if (s->slots[k].slot == slot)
                an = &s->anons[s->slots[k].anon];
    }
    if (e == NULL)
        bad = "no map entry at the target page";
    else if ((kind == NULL) != (want_kind == NULL) || (kind && strcmp(kind, want_kind) != 0))
        bad = "the entry's object is not the backing's kind";
    else if (e->needs_copy != nc)
        bad = "needs-copy is not as the case says";
    else if (up == U_NONE && an != NULL)
        bad = "an anon sits at the target page";
    else if (up == U_ANON1 && (an == NULL || an->refs != 1 || am->refs != 1))
        bad = "the target page has no anon with one reference in an amap of one reference";
    else if (up == U_FORKED && (an == NULL || (nc || b_shared(b) ? am->refs < 2 || an->refs != 1 : an->refs < 2)))
        bad = "the target page's anon is not shared after fork";
    else if (kind == NULL && res)
        bad = "no object below the amap, so no lower page can be resident";
    else if (kind && strcmp(kind, "xip-vnode") != 0 && up == U_NONE) {
        const struct uvmsim_isp_object *o = &s->objects[e->object];
        uint64_t idx = (e->offset + (target - e->start)) / MX_PAGE;
        bool resident = false;
        for (uint32_t k = o->first_page; k < o->first_page + o->nres; k++)
            resident |= s->objpages[k].index == idx;
        if (resident != res)
            bad = "the object's page residency is not as the case says";
    }
    uvmsim_introspect_free(s);
    if (bad) {
        snprintf(r->why, r->whylen, "set-up did not build the case: %s", bad);
        return UVMSIM_ESTATE;
    }
    return UVMSIM_OK;
}

static int case_body(struct mx_run *r, const struct uvmsim_mx_case *c, struct uvmsim_mx_outcome *obs)
{
    int b = c->dim[MX_BACKING], up = c->dim[MX_UPPER];
    bool nc = c->dim[MX_NC] == 0, res = c->dim[MX_RES] == 0;
    uvmsim_prot_t target_prot = prot_bits[c->dim[MX_PROT]];
    uvmsim_access access = (uvmsim_access)c->dim[MX_ACCESS];
    uvmsim_machine *m = r->m;
    int err;
    if (b_file(b)) {
#ifdef UVMSIM_HAVE_BUILTIN
        size_t len = 0;
        const unsigned char *img = uvmsim_builtin_image(&len);
        uvmsim_flashdev *dev;
        uvmsim_mount *mp;
        if (img == NULL)
            return fail(r, UVMSIM_ENOTSUP, "this build has no built-in image");
        if ((err = uvmsim_flashdev_create_mem(m, NULL, img, len, &dev)) != UVMSIM_OK)
            return fail(r, err, "attach the built-in image");
        if ((err = uvmsim_mount_ext2(m, dev, "/", b_xip(b) ? UVMSIM_MNT_XIP : 0, &mp)) != UVMSIM_OK)
            return fail(r, err, "mount");
        if ((err = uvmsim_namei(m, MX_FILE, &r->vp)) != UVMSIM_OK)
            return fail(r, err, "look up " MX_FILE);
#else
        return fail(r, UVMSIM_ENOTSUP, "this build has no built-in image");
#endif
    }
    unsigned tpage = b_hole(b) ? MX_HOLE_PAGE : b_file(b) ? MX_DATA_PAGE : 1;
    uvmsim_vaddr_t target = MX_BASE + (uvmsim_vaddr_t)tpage * MX_PAGE;
    uvmsim_vaddr_t neighbour = MX_BASE + (uvmsim_vaddr_t)MX_NEIGHBOUR * MX_PAGE;
    uvmsim_proc *p, *child = NULL, *helper;
    if ((err = uvmsim_proc_create(m, &p)) != UVMSIM_OK)
        return fail(r, err, "create the process");

    /* a resident page-cache page that this process has never mapped: another process
     * maps the file and reads the page */
    if (res && b_file(b) && !b_xip(b)) {
        if ((err = uvmsim_proc_create(m, &helper)) != UVMSIM_OK)
            return fail(r, err, "create the helper");
        if ((err = map_file(r, helper, false, UVMSIM_PROT_READ)) != UVMSIM_OK)
            return fail(r, err, "map the file in the helper");
        if ((err = touch(helper, target, UVMSIM_ACCESS_LOAD)) != UVMSIM_OK)
            return fail(r, err, "helper reads the target page");
    }

    /* the mapping; a shared file mapping is made with its final protection (there is no
     * state to build, and a writable one is the EACCES case) */
    bool shared_file = b_file(b) && b_shared(b);
    uvmsim_prot_t setup_prot = shared_file ? target_prot : UVMSIM_PROT_READ | UVMSIM_PROT_WRITE;
    if (b_file(b)) {
        err = map_file(r, p, b_shared(b), setup_prot);
    } else {
        uvmsim_map_args a;
        uvmsim_map_args_init(&a);
        a.addr = MX_BASE;
        a.size = (uint64_t)MX_NPAGES * MX_PAGE;
        a.prot = setup_prot;
        a.flags = UVMSIM_MAP_FIXED | (b_shared(b) ? UVMSIM_MAP_SHARED : UVMSIM_MAP_PRIVATE);
        err = uvmsim_map(p, &a, NULL);
    }
    if (err) {
        /* refused at map time: that is the case's outcome */
        memset(obs, 0, sizeof(*obs));
        obs->cls = UVMSIM_FAULT_ERROR;
        obs->err = err;
        obs->loc = UVMSIM_LOC_NONE;
        return UVMSIM_OK;
    }

    /* the upper layer and needs-copy (private mappings) */
    if (!b_shared(b)) {
        if (up == U_NONE && !nc && (err = touch(p, neighbour, UVMSIM_ACCESS_STORE)) != UVMSIM_OK)
            return fail(r, err, "store to the neighbour page (creates the amap)");
        if (up != U_NONE && (err = touch(p, target, UVMSIM_ACCESS_STORE)) != UVMSIM_OK)
            return fail(r, err, "store to the target page (creates its anon)");
        if (up == U_ANON1 && nc) {
            /* fork, then the child exits: needs-copy stays, the amap is ours again */
            if ((err = uvmsim_proc_fork(p, &child)) != UVMSIM_OK)
                return fail(r, err, "fork");
            uvmsim_proc_exit(child);
        }
        if (up == U_FORKED) {
            if ((err = uvmsim_proc_fork(p, &child)) != UVMSIM_OK)
                return fail(r, err, "fork");
            /* a store elsewhere copies the amap: the anon now has two references */
            if (!nc && (err = touch(p, neighbour, UVMSIM_ACCESS_STORE)) != UVMSIM_OK)
                return fail(r, err, "store to the neighbour page after fork");
        }
    } else if (b == B_ANON_SHARED) {
        /* the shared amap: an anon of our own, then shared with a child (SHARE) */
        if (up != U_NONE && (err = touch(p, target, UVMSIM_ACCESS_STORE)) != UVMSIM_OK)
            return fail(r, err, "store to the target page (creates its anon)");
        if (up == U_FORKED && (err = uvmsim_proc_fork(p, &child)) != UVMSIM_OK)
            return fail(r, err, "fork");
    }
    if (setup_prot != target_prot && (err = uvmsim_protect(p, MX_BASE, (uint64_t)MX_NPAGES * MX_PAGE, target_prot)))
        return fail(r, err, "protect to the case's protection");

    if ((err = verify_state(r, p, target, c)) != UVMSIM_OK)
        return err;

    /* the fault */
    uvmsim_ram_stats r0, r1;
    uvmsim_fault_outcome o;
    uvmsim_ram_stats_get(m, &r0);
    err = uvmsim_fault(p, target, access, &o);
    uvmsim_ram_stats_get(m, &r1);
    memset(obs, 0, sizeof(*obs));
    obs->cls = o.cls;
    obs->err = o.error;
    uint64_t ptp = r1.ptp_pages > r0.ptp_pages ? r1.ptp_pages - r0.ptp_pages : 0;
    obs->pages = o.pages_allocated > ptp ? (unsigned)(o.pages_allocated - ptp) : 0;
    obs->copied = o.bytes_copied;
    obs->io = o.io_requests;
    obs->loc = o.loc;
    obs->writable = (o.prot_entered & UVMSIM_PROT_WRITE) != 0;
    if (err != o.error)
        return fail(r, UVMSIM_ESTATE, "uvmsim_fault's return differs from its outcome record");
    char msg[256];
    if (uvmsim_check(m, msg, sizeof(msg)) != UVMSIM_OK) {
        snprintf(r->why, r->whylen, "invariant broken after the fault: %s", msg);
        return UVMSIM_ESTATE;
    }
    return UVMSIM_OK;
}

int uvmsim_mx_run_case(const struct uvmsim_mx_case *c, const char *backend, struct uvmsim_mx_outcome *obs,
                       char *why, size_t whylen)
{
    struct mx_run r = {.why = why, .whylen = whylen};
    if (whylen)
        why[0] = '\0';
    uvmsim_machine_config cfg;
    uvmsim_machine_config_init(&cfg);
    cfg.page_size = MX_PAGE;
    cfg.ram_size = 1u << 20;
    cfg.pmap = backend;
    int err = uvmsim_machine_create(&cfg, &r.m);
    if (err)
        return fail(&r, err, "create the machine");
    err = case_body(&r, c, obs);
    if (r.vp)
        uvmsim_vnode_rele(r.vp);
    uvmsim_machine_destroy(r.m);
    return err;
}

/* ---- uvmsim matrix ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: uvmsim matrix [--json | --csv] [--backend NAME]... [--only KEY=VALUE[,VALUE...]]...\n"
            "                     [--table FILE] [--excluded]\n"
            "Runs the fault-handler test matrix: every case of the hand-written table (built\n"
            "in; a copy is installed with the documentation as fault-matrix.txt) on every pmap\n"
            "backend, one row per case with the expected and the observed outcome.\n"
            "  --json            one JSON object per row, then a summary object\n"
            "  --csv             comma-separated values with a header line\n"
            "  --backend NAME    run on this backend only (repeatable; default: all of them)\n"
            "  --only KEY=VALUE  keep the cases whose KEY is one of the VALUEs (repeatable: all\n"
            "                    must hold).  KEYs: backing upper nc res access prot class\n"
            "  --table FILE      use this table instead of the built-in one\n"
            "  --excluded        list the combinations left out and why, then exit\n"
            "Outcome columns: class (or error:NAME), pN pages allocated for data, cN bytes\n"
            "copied, ioN block requests, where the page lives (ram, nor, zero, none), rw or ro.\n"
            "Exit status: 0 every case as expected, 1 a case differs or could not be set up,\n"
            "2 usage or table error, 3 simulator error.  See uvmsim(1).\n");
}

struct mx_filter {
    int key;                  /* dimension, or MX_NDIMS for the expected class */
    uint32_t mask;            /* accepted values */
};

static bool filter_ok(const struct mx_filter *f, unsigned nf, const struct uvmsim_mx_case *c)
{
    for (unsigned i = 0; i < nf; i++) {
        unsigned v = f[i].key == MX_NDIMS ? (unsigned)c->expect.cls : c->dim[f[i].key];
        if (!(f[i].mask & (1u << v)))
            return false;
    }
    return true;
}

static void json_outcome(FILE *out, const struct uvmsim_mx_outcome *o)
{
    fprintf(out, "{\"class\":\"%s\",\"error\":", uvmsim_fault_class_name((uvmsim_fault_class)o->cls));
    if (o->err)
        fprintf(out, "\"%s\"", uvmsim_errname(o->err));
    else
        fprintf(out, "null");
    fprintf(out, ",\"pages\":%u,\"copied\":%llu,\"io\":%u,\"loc\":\"%s\",\"writable\":%s}", o->pages,
            (unsigned long long)o->copied, o->io, uvmsim_page_loc_name(o->loc), o->writable ? "true" : "false");
}

static void csv_outcome(FILE *out, const struct uvmsim_mx_outcome *o)
{
    fprintf(out, "%s,%s,%u,%llu,%u,%s,%s", uvmsim_fault_class_name((uvmsim_fault_class)o->cls),
            o->err ? uvmsim_errname(o->err) : "", o->pages, (unsigned long long)o->copied, o->io,
            uvmsim_page_loc_name(o->loc), o->writable ? "yes" : "no");
}

static int parse_only(const char *arg, struct mx_filter *f, FILE *err)
{
    const char *eq = strchr(arg, '=');
    char key[16];
    if (eq == NULL || (size_t)(eq - arg) >= sizeof(key)) {
        fprintf(err, "uvmsim matrix: --only: expected KEY=VALUE, got '%s'\n", arg);
        return -1;
    }
    memcpy(key, arg, (size_t)(eq - arg));
    key[eq - arg] = '\0';
    f->key = strcmp(key, "class") == 0 ? MX_NDIMS : uvmsim_mx_dim_parse(key);
    if (f->key < 0) {
        fprintf(err, "uvmsim matrix: --only: unknown key '%s' (valid:", key);
        for (int d = 0; d < MX_NDIMS; d++)
            fprintf(err, " %s", uvmsim_mx_dim_name(d));
        fprintf(err, " class)\n");
        return -1;
    }
    f->mask = 0;
    char *vals = strdup(eq + 1);
    if (vals == NULL)
        return -1;
    int rc = 0;
    for (char *v = strtok(vals, ","); v && rc == 0; v = strtok(NULL, ",")) {
        int idx = f->key == MX_NDIMS ? uvmsim_fault_class_parse(v) : uvmsim_mx_value_parse(f->key, v);
        if (idx < 0) {
            fprintf(err, "uvmsim matrix: --only: '%s' is not a value of %s (valid:", v, key);
            if (f->key == MX_NDIMS) {
                for (int c = 0; c < UVMSIM_FAULT_NCLASSES; c++)
                    fprintf(err, " %s", uvmsim_fault_class_name((uvmsim_fault_class)c));
            } else {
                for (unsigned k = 0; k < uvmsim_mx_nvalues(f->key); k++)
                    fprintf(err, " %s", uvmsim_mx_value_name(f->key, (int)k));
            }
            fprintf(err, ")\n");
            rc = -1;
        } else {
            f->mask |= 1u << idx;
        }
    }
    free(vals);
    if (rc == 0 && f->mask == 0) {
        fprintf(err, "uvmsim matrix: --only: expected at least one value for %s\n", key);
        rc = -1;
    }
    return rc;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, 4096, f);
        n += got;
    } while (got > 0);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int uvmsim_mx_main(int argc, char **argv, FILE *out, FILE *err)
{
    bool json = false, csv = false, excluded = false;
    const char *table_path = NULL;
    const char *backends[16];
    unsigned nbackends = 0;
    struct mx_filter filters[16];
    unsigned nfilters = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(out);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            fprintf(out, "uvmsim matrix (uvmsim) %s\n", uvmsim_version());
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--csv") == 0) {
            csv = true;
        } else if (strcmp(a, "--excluded") == 0) {
            excluded = true;
        } else if (strcmp(a, "--backend") == 0 || strcmp(a, "--only") == 0 || strcmp(a, "--table") == 0) {
            if (i + 1 >= argc) {
                fprintf(err, "uvmsim matrix: %s needs a value (try --help)\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (strcmp(a, "--table") == 0) {
                table_path = v;
            } else if (strcmp(a, "--backend") == 0) {
                if (!uvmsim_scn_backend_exists(v)) {
                    fprintf(err, "uvmsim matrix: --backend: no '%s' (valid:", v);
                    for (const char *const *b = uvmsim_pmap_backends(); *b; b++)
                        fprintf(err, " %s", *b);
                    fprintf(err, ")\n");
                    return 2;
                }
                if (nbackends == 16) {
                    fprintf(err, "uvmsim matrix: too many --backend options\n");
                    return 2;
                }
                backends[nbackends++] = v;
            } else {
                if (nfilters == 16) {
                    fprintf(err, "uvmsim matrix: too many --only options\n");
                    return 2;
                }
                if (parse_only(v, &filters[nfilters], err) != 0)
                    return 2;
                nfilters++;
            }
        } else {
            fprintf(err, "uvmsim matrix: unknown argument '%s' (try uvmsim matrix --help)\n", a);
            return 2;
        }
    }
    if (json && csv) {
        fprintf(err, "uvmsim matrix: --json and --csv exclude each other\n");
        return 2;
    }
    struct uvmsim_mx_table *t;
    char msg[512];
    if (table_path) {
        size_t len = 0;
        char *text = read_file(table_path, &len);
        if (text == NULL) {
            fprintf(err, "uvmsim matrix: %s: cannot read: %s\n", table_path, strerror(errno));
            return 2;
        }
        int rc = uvmsim_mx_table_parse(table_path, text, len, &t, msg, sizeof(msg));
        free(text);
        if (rc != 0) {
            fprintf(err, "%s\n", msg);
            return 2;
        }
    } else if (uvmsim_mx_table_builtin(&t, msg, sizeof(msg)) != 0) {
        fprintf(err, "%s\n", msg);
        return 3;
    }
    if (excluded) {
        for (unsigned x = 0; x < t->nexcl; x++) {
            const struct uvmsim_mx_exclusion *e = &t->excl[x];
            fprintf(out, "%-17s %-6s %-3s %-3s %-5s %-4s %4u combinations: %s\n",
                    uvmsim_mx_value_name(MX_BACKING, e->dim[MX_BACKING]), uvmsim_mx_value_name(MX_UPPER, e->dim[MX_UPPER]),
                    uvmsim_mx_value_name(MX_NC, e->dim[MX_NC]), uvmsim_mx_value_name(MX_RES, e->dim[MX_RES]),
                    uvmsim_mx_value_name(MX_ACCESS, e->dim[MX_ACCESS]), uvmsim_mx_value_name(MX_PROT, e->dim[MX_PROT]),
                    e->count, e->reason);
        }
        fprintf(out, "%u combinations excluded, %u cases\n", t->nexcluded, t->ncases);
        uvmsim_mx_table_free(t);
        return 0;
    }
    if (nbackends == 0) {
        const char *const *all = uvmsim_pmap_backends();
        for (unsigned i = 0; all[i] && nbackends < 16; i++)
            backends[nbackends++] = all[i];
    }
    if (csv)
        fprintf(out, "backend,backing,upper,nc,res,access,prot,exp_class,exp_error,exp_pages,exp_copied,exp_io,exp_loc,exp_writable,"
                     "obs_class,obs_error,obs_pages,obs_copied,obs_io,obs_loc,obs_writable,result,table_line\n");
    else if (!json)
        fprintf(out, "%-8s %-17s %-6s %-3s %-3s %-6s %-4s | %-34s | %-34s | %s\n", "BACKEND", "BACKING", "UPPER", "NC",
                "RES", "ACCESS", "PROT", "EXPECTED", "OBSERVED", "RESULT");
    unsigned runs = 0, ok = 0, differ = 0, setup = 0;
    for (unsigned bi = 0; bi < nbackends; bi++) {
        for (unsigned k = 0; k < t->ncases; k++) {
            const struct uvmsim_mx_case *c = &t->cases[k];
            if (!filter_ok(filters, nfilters, c))
                continue;
            struct uvmsim_mx_outcome obs;
            char why[256];
            memset(&obs, 0, sizeof(obs));
            int rc = uvmsim_mx_run_case(c, backends[bi], &obs, why, sizeof(why));
            bool same = rc == UVMSIM_OK && uvmsim_mx_outcome_eq(&c->expect, &obs);
            runs++;
            ok += same;
            differ += rc == UVMSIM_OK && !same;
            setup += rc != UVMSIM_OK;
            const char *result = same ? "ok" : rc == UVMSIM_OK ? "DIFFERS" : "SETUP-FAILED";
            if (json) {
                fprintf(out, "{\"backend\":\"%s\"", backends[bi]);
                for (int d = 0; d < MX_NDIMS; d++)
                    fprintf(out, ",\"%s\":\"%s\"", uvmsim_mx_dim_name(d), uvmsim_mx_value_name(d, c->dim[d]));
                fprintf(out, ",\"expected\":");
                json_outcome(out, &c->expect);
                fprintf(out, ",\"observed\":");
                if (rc == UVMSIM_OK)
                    json_outcome(out, &obs);
                else
                    fprintf(out, "null");
                fprintf(out, ",\"result\":\"%s\",\"table_line\":%u", result, c->line);
                if (rc != UVMSIM_OK)
                    fprintf(out, ",\"why\":\"%s\"", why);
                fprintf(out, "}\n");
            } else if (csv) {
                fprintf(out, "%s", backends[bi]);
                for (int d = 0; d < MX_NDIMS; d++)
                    fprintf(out, ",%s", uvmsim_mx_value_name(d, c->dim[d]));
                fprintf(out, ",");
                csv_outcome(out, &c->expect);
                fprintf(out, ",");
                if (rc == UVMSIM_OK)
                    csv_outcome(out, &obs);
                else
                    fprintf(out, ",,,,,,");
                fprintf(out, ",%s,%u\n", result, c->line);
            } else {
                char es[64], os[64];
                uvmsim_mx_outcome_str(&c->expect, es, sizeof(es));
                if (rc == UVMSIM_OK)
                    uvmsim_mx_outcome_str(&obs, os, sizeof(os));
                else
                    snprintf(os, sizeof(os), "(not run)");
                fprintf(out, "%-8s %-17s %-6s %-3s %-3s %-6s %-4s | %-34s | %-34s | %s", backends[bi],
                        uvmsim_mx_value_name(MX_BACKING, c->dim[MX_BACKING]), uvmsim_mx_value_name(MX_UPPER, c->dim[MX_UPPER]),
                        uvmsim_mx_value_name(MX_NC, c->dim[MX_NC]), uvmsim_mx_value_name(MX_RES, c->dim[MX_RES]),
                        uvmsim_mx_value_name(MX_ACCESS, c->dim[MX_ACCESS]), uvmsim_mx_value_name(MX_PROT, c->dim[MX_PROT]),
                        es, os, result);
                if (!same)
                    fprintf(out, " (table line %u%s%s)", c->line, rc ? "; " : "", rc ? why : "");
                fprintf(out, "\n");
            }
        }
    }
    if (json)
        fprintf(out, "{\"summary\":true,\"cases\":%u,\"backends\":%u,\"runs\":%u,\"ok\":%u,\"differ\":%u,\"setup_failed\":%u,\"excluded\":%u}\n",
                t->ncases, nbackends, runs, ok, differ, setup, t->nexcluded);
    else if (!csv)
        fprintf(out, "matrix: %u run%s (%u cases in the table, %u backend%s), %u as expected, %u differ, %u set-up failure%s; %u combinations excluded\n",
                runs, runs == 1 ? "" : "s", t->ncases, nbackends, nbackends == 1 ? "" : "s", ok, differ, setup,
                setup == 1 ? "" : "s", t->nexcluded);
    if (runs == 0)
        fprintf(err, "uvmsim matrix: no case matches the --only filters\n");
    uvmsim_mx_table_free(t);
    return differ || setup ? 1 : 0;
}
