/* Scenario library: the fault-handler test matrix — the dimensions, the table parser
 * (exclusions and exception rows over the hand-written rules of tests/matrix/mx_rules.c;
 * see tests/matrix/fault-matrix.txt), the case runner (set a state up through the public
 * API, check it against the rules' layout, take one fault, observe), and the
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

static const char *const backing_names[] = {"anon-private", "anon-shared", "file-private-copy", "file-shared-copy",
                                            "file-private-xip", "file-shared-xip", "xip-hole", "copy-hole",
                                            "xip-hole-shared", "sysv-shm", "unmapped", NULL};
static const char *const design_names[] = {"vnode", "faultop", NULL};
static const char *const upper_names[] = {"none", "anon1", "forked", NULL};
static const char *const amap_names[] = {"none", "own", "cow", "shared", NULL};
static const char *const yesno_names[] = {"yes", "no", NULL};
static const char *const wired_names[] = {"no", "yes", NULL};
static const char *const maxprot_names[] = {"rwx", "rx", "rw", "r", NULL};
static const char *const advice_names[] = {"normal", "random", "sequential", NULL};
static const char *const inject_names[] = {"none", "eio", "enomem", NULL};
static const char *const access_names[] = {"fetch", "load", "store", NULL};
static const char *const prot_names[] = {"none", "r", "w", "x", "rw", "rx", "wx", "rwx", NULL};
static const char *const *const dim_values[MX_NDIMS] = {
    backing_names, design_names, upper_names, amap_names, yesno_names, yesno_names, wired_names,
    maxprot_names, advice_names, inject_names, access_names, prot_names};
static const char *const dim_names[MX_NDIMS] = {"backing", "design", "upper", "amap", "nc", "res", "wired",
                                               "maxprot", "advice", "inject", "access", "prot"};

#define R_ UVMSIM_PROT_READ
#define W_ UVMSIM_PROT_WRITE
#define X_ UVMSIM_PROT_EXEC
static const uvmsim_prot_t prot_bits[P_N] = {UVMSIM_PROT_NONE, R_, W_, X_, R_ | W_, R_ | X_, W_ | X_, R_ | W_ | X_};
static const uvmsim_prot_t maxprot_bits[] = {R_ | W_ | X_, R_ | X_, R_ | W_, R_};

uvmsim_prot_t uvmsim_mx_prot_bits(int prot)
{
    return prot >= 0 && prot < P_N ? prot_bits[prot] : UVMSIM_PROT_NONE;
}

uvmsim_prot_t uvmsim_mx_maxprot_bits(int maxprot)
{
    return maxprot >= 0 && maxprot <= MP_R ? maxprot_bits[maxprot] : UVMSIM_PROT_NONE;
}

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

static const char *const sharer_names[] = {"-", "kept", "gone"};

const char *uvmsim_mx_sharer_name(int sharer)
{
    return sharer >= SH_NONE && sharer <= SH_GONE ? sharer_names[sharer] : "?";
}

/* ---- the table ----
 *
 * Line forms (after `#` comments are stripped):
 *   exclude KEY=V[,V...] ... : reason
 *   KEY=V[,V...] ... => FIELD=VALUE ...
 * A dimension not named matches every value.  An exclusion leaves the combinations it
 * matches out (the first exclusion in file order that matches is charged with them); a
 * row is an exception to the rules: its fields replace the rules' for the cases it
 * matches (the row naming most dimensions wins; two equally specific rows matching one
 * case are an error). */

enum { F_CLASS, F_ERROR, F_PAGES, F_COPIED, F_IO, F_LOC, F_WRITABLE, F_NBR, F_NBRW, F_SHARER, F_N };
static const char *const field_names[F_N] = {"class", "error", "pages", "copied", "io", "loc", "writable",
                                             "nbr", "nbrw", "sharer"};

struct mx_row {
    uint32_t set[MX_NDIMS];            /* 0: any value */
    unsigned nset;                     /* dimensions named: more is more specific */
    struct uvmsim_mx_outcome out;
    unsigned fields;                   /* bit F_*: the fields the row gives */
    unsigned line;
    bool used, differs;
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

static void list_into(char *list, size_t len, const char *const *names, unsigned n)
{
    list[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        snprintf(list + strlen(list), len - strlen(list), "%s%s", i ? ", " : "", names[i]);
}

/* One KEY=V[,V...] token into set[]. */
static bool parse_dim_token(char *tok, uint32_t set[MX_NDIMS], unsigned *nset, const char *name, unsigned line,
                            char *err, size_t errlen)
{
    char *eq = strchr(tok, '=');
    if (eq == NULL || eq == tok || eq[1] == '\0')
        return tperr(err, errlen, name, line, "expected KEY=VALUE[,VALUE...], got '%s'", tok);
    *eq = '\0';
    int d = uvmsim_mx_dim_parse(tok);
    if (d < 0) {
        char list[256];
        list_into(list, sizeof(list), dim_names, MX_NDIMS);
        return tperr(err, errlen, name, line, "unknown dimension '%s' (one of %s)", tok, list);
    }
    if (set[d] != 0)
        return tperr(err, errlen, name, line, "%s is named twice", tok);
    if (strcmp(eq + 1, "*") == 0) {
        set[d] = (1u << uvmsim_mx_nvalues(d)) - 1;
        (*nset)++;
        return true;
    }
    for (char *v = eq + 1, *comma; v; v = comma ? comma + 1 : NULL) {
        comma = strchr(v, ',');
        if (comma)
            *comma = '\0';
        int x = uvmsim_mx_value_parse(d, v);
        if (x < 0) {
            char list[256];
            list_into(list, sizeof(list), dim_values[d], uvmsim_mx_nvalues(d));
            return tperr(err, errlen, name, line, "%s: expected one of %s or *, got '%s'", dim_names[d], list, v);
        }
        set[d] |= 1u << x;
    }
    (*nset)++;
    return true;
}

static bool parse_number(const char *v, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (!isdigit((unsigned char)*v) || *end || errno || x > max)
        return false;
    *out = (unsigned)x;
    return true;
}

/* One FIELD=VALUE token of a row's outcome. */
static bool parse_field_token(char *tok, struct mx_row *r, const char *name, unsigned line, char *err,
                              size_t errlen)
{
    char *eq = strchr(tok, '=');
    if (eq == NULL || eq == tok || eq[1] == '\0')
        return tperr(err, errlen, name, line, "expected FIELD=VALUE after '=>', got '%s'", tok);
    *eq = '\0';
    const char *v = eq + 1;
    int f = -1;
    for (int i = 0; i < F_N; i++)
        if (strcmp(field_names[i], tok) == 0)
            f = i;
    if (f < 0) {
        char list[256];
        list_into(list, sizeof(list), field_names, F_N);
        return tperr(err, errlen, name, line, "unknown outcome field '%s' (one of %s)", tok, list);
    }
    if (r->fields & (1u << f))
        return tperr(err, errlen, name, line, "%s is given twice", tok);
    r->fields |= 1u << f;
    struct uvmsim_mx_outcome *o = &r->out;
    bool ok = true;
    switch (f) {
    case F_CLASS:
        ok = (o->cls = uvmsim_fault_class_parse(v)) >= 0;
        break;
    case F_ERROR:
        o->err = 0;
        if (strcmp(v, "-") != 0) {
            for (int e = 1; e < UVMSIM_ERR_COUNT; e++)
                if (strcmp(uvmsim_errname(e), v) == 0)
                    o->err = e;
            ok = o->err != 0;
        }
        break;
    case F_PAGES:
        ok = parse_number(v, 64, &o->pages);
        break;
    case F_COPIED: {
        unsigned c = 0;
        ok = strcmp(v, "page") == 0 || parse_number(v, 1u << 30, &c);
        o->copied = strcmp(v, "page") == 0 ? MX_PAGE : c;
        break;
    }
    case F_IO:
        ok = parse_number(v, 64, &o->io);
        break;
    case F_LOC: {
        static const uvmsim_page_loc locs[] = {UVMSIM_LOC_NONE, UVMSIM_LOC_RAM, UVMSIM_LOC_DEVICE, UVMSIM_LOC_ZERO};
        ok = false;
        for (int i = 0; i < 4; i++)
            if (strcmp(v, uvmsim_page_loc_name(locs[i])) == 0) {
                o->loc = locs[i];
                ok = true;
            }
        break;
    }
    case F_WRITABLE:
        ok = strcmp(v, "yes") == 0 || strcmp(v, "no") == 0;
        o->writable = strcmp(v, "yes") == 0;
        break;
    case F_NBR:
        ok = parse_number(v, MX_NPAGES, &o->nbr);
        break;
    case F_NBRW:
        ok = parse_number(v, MX_NPAGES, &o->nbrw);
        break;
    case F_SHARER:
        ok = false;
        for (int s = SH_NONE; s <= SH_GONE; s++)
            if (strcmp(v, sharer_names[s]) == 0) {
                o->sharer = s;
                ok = true;
            }
        break;
    }
    if (!ok) {
        static const char *const want[F_N] = {
            "upper-direct, upper-promote, lower-direct, lower-promote, zero-fill or error",
            "- or an error name such as EACCES", "a small number", "0, page or a byte count", "a small number",
            "ram, nor, zero or none", "yes or no", "a number of pages (0-8)", "a number of pages (0-8)",
            "-, kept or gone"};
        return tperr(err, errlen, name, line, "%s: expected %s, got '%s'", tok, want[f], v);
    }
    return true;
}

static bool set_match(const uint32_t set[MX_NDIMS], const uint8_t c[MX_NDIMS])
{
    for (int d = 0; d < MX_NDIMS; d++)
        if (set[d] && !(set[d] & (1u << c[d])))
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

#define MX_MAXTOK 40

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
        bool ok = true;
        if (nt == 0) {
            if (reason)
                ok = tperr(err, errlen, name, line, "a ':' reason without an exclude line");
        } else if (strcmp(tok[0], "exclude") == 0) {
            struct uvmsim_mx_exclusion x = {.line = line};
            unsigned nset = 0;
            for (int i = 1; ok && i < nt; i++)
                ok = parse_dim_token(tok[i], x.set, &nset, name, line, err, errlen);
            if (ok && nset == 0)
                ok = tperr(err, errlen, name, line, "exclude: expected at least one KEY=VALUE");
            if (ok && (reason == NULL || *reason == '\0'))
                ok = tperr(err, errlen, name, line, "exclude: expected ' : ' and the reason the combination is left out");
            if (ok && t->nexcl == cap_excl) {
                cap_excl = cap_excl ? 2 * cap_excl : 32;
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
        } else {
            struct mx_row r = {.line = line};
            int arrow = -1;
            for (int i = 0; i < nt && arrow < 0; i++)
                if (strcmp(tok[i], "=>") == 0)
                    arrow = i;
            if (reason)
                ok = tperr(err, errlen, name, line, "' : reason' only follows an exclude line");
            else if (arrow < 0)
                ok = tperr(err, errlen, name, line, "expected 'exclude ...' or a row 'KEY=VALUE ... => FIELD=VALUE ...'");
            for (int i = 0; ok && i < arrow; i++)
                ok = parse_dim_token(tok[i], r.set, &r.nset, name, line, err, errlen);
            for (int i = arrow + 1; ok && i < nt; i++)
                ok = parse_field_token(tok[i], &r, name, line, err, errlen);
            if (ok && r.fields == 0)
                ok = tperr(err, errlen, name, line, "expected at least one FIELD=VALUE after '=>'");
            if (ok && ((r.fields >> F_CLASS) & 1) != ((r.fields >> F_ERROR) & 1))
                ok = tperr(err, errlen, name, line, "class and error go together");
            if (ok && (r.fields & (1u << F_CLASS)) && (r.out.cls == UVMSIM_FAULT_ERROR) != (r.out.err != 0))
                ok = tperr(err, errlen, name, line, "class=error goes with an error name, other classes with error=-");
            if (ok && *nrows == cap_rows) {
                cap_rows = cap_rows ? 2 * cap_rows : 16;
                struct mx_row *nr = realloc(*rows, cap_rows * sizeof(*nr));
                if (nr == NULL)
                    ok = tperr(err, errlen, name, line, "out of host memory");
                else
                    *rows = nr;
            }
            if (ok)
                (*rows)[(*nrows)++] = r;
        }
        free(buf);
        if (!ok)
            return -1;
    }
    return 0;
}

static void row_apply(const struct mx_row *r, struct uvmsim_mx_outcome *o)
{
    const struct uvmsim_mx_outcome *v = &r->out;
#define TAKE(f, field) if (r->fields & (1u << (f))) o->field = v->field
    TAKE(F_CLASS, cls);
    TAKE(F_ERROR, err);
    TAKE(F_PAGES, pages);
    TAKE(F_COPIED, copied);
    TAKE(F_IO, io);
    TAKE(F_LOC, loc);
    TAKE(F_WRITABLE, writable);
    TAKE(F_NBR, nbr);
    TAKE(F_NBRW, nbrw);
    TAKE(F_SHARER, sharer);
#undef TAKE
}

/* The walk over the cross product, pruned: at a node (a prefix of dimension values) the
 * first exclusion in file order that can still match decides — when it names no later
 * dimension it matches the whole subtree, which is charged to it and skipped; otherwise
 * the walk goes on, so every combination is charged to the first exclusion matching it. */
struct walk {
    struct uvmsim_mx_table *t;
    struct mx_row *rows;
    unsigned nrows;
    const char *name;
    char *err;
    size_t errlen;
    unsigned cap;
    int rc;
};

static int last_dim(const uint32_t set[MX_NDIMS])
{
    int last = -1;
    for (int d = 0; d < MX_NDIMS; d++)
        if (set[d])
            last = d;
    return last;
}

static void walk_leaf(struct walk *w, const uint8_t c[MX_NDIMS])
{
    struct uvmsim_mx_case cs = {.line = 0};
    memcpy(cs.dim, c, MX_NDIMS);
    uvmsim_mx_expect(c, &cs.expect, &cs.rules);
    int best = -1;
    bool tie = false;
    for (unsigned r = 0; r < w->nrows; r++) {
        if (!set_match(w->rows[r].set, c))
            continue;
        if (best < 0 || w->rows[r].nset > w->rows[best].nset) {
            best = (int)r;
            tie = false;
        } else if (w->rows[r].nset == w->rows[best].nset) {
            tie = true;
        }
    }
    if (best >= 0) {
        char desc[256];
        uvmsim_mx_case_str(&cs, desc, sizeof(desc));
        if (tie) {
            tperr(w->err, w->errlen, w->name, w->rows[best].line,
                  "the case %s matches two rows equally specific (this one and another)", desc);
            w->rc = -1;
            return;
        }
        struct uvmsim_mx_outcome before = cs.expect;
        row_apply(&w->rows[best], &cs.expect);
        if (w->rows[best].fields == (1u << F_N) - 1)
            cs.rules = 0;                             /* the row says everything */
        w->rows[best].used = true;
        w->rows[best].differs |= !uvmsim_mx_outcome_eq(&before, &cs.expect);
        cs.line = w->rows[best].line;
    }
    if (w->t->ncases == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 1024;
        struct uvmsim_mx_case *nc = realloc(w->t->cases, w->cap * sizeof(*nc));
        if (nc == NULL) {
            tperr(w->err, w->errlen, w->name, 0, "out of host memory");
            w->rc = -1;
            return;
        }
        w->t->cases = nc;
    }
    w->t->cases[w->t->ncases++] = cs;
}

static void walk(struct walk *w, int d, uint8_t c[MX_NDIMS])
{
    struct uvmsim_mx_table *t = w->t;
    for (unsigned x = 0; x < t->nexcl; x++) {
        bool possible = true;
        for (int k = 0; k < d && possible; k++)
            possible = !t->excl[x].set[k] || (t->excl[x].set[k] & (1u << c[k]));
        if (!possible)
            continue;
        if (last_dim(t->excl[x].set) < d) {
            uint64_t n = 1;
            for (int k = d; k < MX_NDIMS; k++)
                n *= uvmsim_mx_nvalues(k);
            t->excl[x].count += n;
            t->nexcluded += n;
            return;
        }
        break;
    }
    if (d == MX_NDIMS) {
        walk_leaf(w, c);
        return;
    }
    for (unsigned v = 0; v < uvmsim_mx_nvalues(d) && w->rc == 0; v++) {
        c[d] = (uint8_t)v;
        walk(w, d + 1, c);
    }
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
    if (rc == 0) {
        struct walk w = {.t = t, .rows = rows, .nrows = nrows, .name = name, .err = err, .errlen = errlen};
        uint8_t c[MX_NDIMS] = {0};
        t->ncombinations = 1;
        for (int d = 0; d < MX_NDIMS; d++)
            t->ncombinations *= uvmsim_mx_nvalues(d);
        walk(&w, 0, c);
        rc = w.rc;
        t->nrows = nrows;
    }
    for (unsigned r = 0; r < nrows && rc == 0; r++) {
        if (!rows[r].used)
            rc = tperr(err, errlen, name, rows[r].line,
                       "this row gives no case its expectation (excluded, or shadowed by more specific rows)") ? 0 : -1;
        else if (!rows[r].differs)
            rc = tperr(err, errlen, name, rows[r].line,
                       "this row only restates the rules (an exception must differ from them)") ? 0 : -1;
    }
    for (unsigned x = 0; x < t->nexcl && rc == 0; x++)
        if (t->excl[x].count == 0)
            rc = tperr(err, errlen, name, t->excl[x].line, "this exclusion excludes nothing (earlier ones cover it)") ? 0 : -1;
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
           a->io == b->io && a->loc == b->loc && a->writable == b->writable && a->nbr == b->nbr &&
           a->nbrw == b->nbrw && a->sharer == b->sharer && a->broken == b->broken;
}

void uvmsim_mx_outcome_str(const struct uvmsim_mx_outcome *o, char *buf, size_t len)
{
    char cls[32];
    if (o->cls == UVMSIM_FAULT_ERROR)
        snprintf(cls, sizeof(cls), "error:%s", uvmsim_errname(o->err));
    else
        snprintf(cls, sizeof(cls), "%s", uvmsim_fault_class_name((uvmsim_fault_class)o->cls));
    snprintf(buf, len, "%-13s p%u c%-4llu io%u %-4s %s n%uw%u %s%s", cls, o->pages, (unsigned long long)o->copied,
             o->io, uvmsim_page_loc_name(o->loc), o->writable ? "rw" : "ro", o->nbr, o->nbrw,
             uvmsim_mx_sharer_name(o->sharer), o->broken ? " BROKEN" : "");
}

void uvmsim_mx_case_str(const struct uvmsim_mx_case *c, char *buf, size_t len)
{
    const uint8_t *d = c->dim;
    snprintf(buf, len, "%s %s %s amap=%s nc=%s res=%s wired=%s maxprot=%s %s inject=%s %s %s",
             uvmsim_mx_value_name(MX_BACKING, d[MX_BACKING]), uvmsim_mx_value_name(MX_DESIGN, d[MX_DESIGN]),
             uvmsim_mx_value_name(MX_UPPER, d[MX_UPPER]), uvmsim_mx_value_name(MX_AMAP, d[MX_AMAP]),
             uvmsim_mx_value_name(MX_NC, d[MX_NC]), uvmsim_mx_value_name(MX_RES, d[MX_RES]),
             uvmsim_mx_value_name(MX_WIRED, d[MX_WIRED]), uvmsim_mx_value_name(MX_MAXPROT, d[MX_MAXPROT]),
             uvmsim_mx_value_name(MX_ADVICE, d[MX_ADVICE]), uvmsim_mx_value_name(MX_INJECT, d[MX_INJECT]),
             uvmsim_mx_value_name(MX_ACCESS, d[MX_ACCESS]), uvmsim_mx_value_name(MX_PROT, d[MX_PROT]));
}

/* ---- running a case ---- */

#define MX_BASE   0x10000000ull        /* the region: 8 pages of /data/sparse, anon memory or a segment */
#define MX_FILE   "/data/sparse"       /* pages 0 and 3 hold data, 1, 2 and 4-14 are holes */
#define MX_PG_R   5                    /* read by the helper (copy mounts) */
#define MX_PG_O   6                    /* touched first: the amap and its first anon */
#define MX_PG_P   7                    /* touched after fork: the amap copy */

/* A shared mapping of a file (from the layout: a device below, not copy-on-write). */
static bool shared_file(const struct uvmsim_mx_layout *L) { return L->device && !L->cow; }

struct mx_run {
    uvmsim_machine *m;
    uvmsim_flashdev *dev;
    uvmsim_vnode *vp;
    uvmsim_shmseg *seg;
    uvmsim_proc *p, *child;
    uvmsim_prot_t setup_prot;          /* the protection the state is built with */
    char *why;
    size_t whylen;
};

static int fail(struct mx_run *r, int err, const char *what)
{
    snprintf(r->why, r->whylen, "set-up: %s: %s", what, uvmsim_strerror(err));
    return err ? err : UVMSIM_ESTATE;
}

static uvmsim_vaddr_t pva(unsigned page) { return MX_BASE + (uvmsim_vaddr_t)page * MX_PAGE; }

static int touch_as(uvmsim_proc *p, unsigned page, uvmsim_access kind)
{
    uint8_t b = 0x5a;
    return uvmsim_access_mem(p, pva(page), kind, &b, 1, NULL, NULL);
}

/* A store when the set-up protection allows it, else a load (anonymous memory fills its
 * slot on a read too). */
static int touch(struct mx_run *r, uvmsim_proc *p, unsigned page)
{
    return touch_as(p, page, (r->setup_prot & UVMSIM_PROT_WRITE) ? UVMSIM_ACCESS_STORE : UVMSIM_ACCESS_LOAD);
}

static int map_region(struct mx_run *r, uvmsim_proc *p, bool shared, uvmsim_prot_t prot, uvmsim_prot_t maxprot,
                      bool inherit_set, uvmsim_inherit inh)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = MX_BASE;
    a.size = (uint64_t)MX_NPAGES * MX_PAGE;
    a.prot = prot;
    a.maxprot = maxprot;
    a.flags = UVMSIM_MAP_FIXED | (shared ? UVMSIM_MAP_SHARED : UVMSIM_MAP_PRIVATE);
    a.inherit = inh;
    a.inherit_set = inherit_set;
    a.advice = UVMSIM_ADV_RANDOM;      /* the case's advice is set once the state is built */
    a.vnode = r->vp;
    return uvmsim_map(p, &a, NULL);
}

static const uvmsim_advice mx_advice[] = {[ADV_NORMAL] = UVMSIM_ADV_NORMAL, [ADV_RANDOM] = UVMSIM_ADV_RANDOM,
                                          [ADV_SEQUENTIAL] = UVMSIM_ADV_SEQUENTIAL};

/* Check the state the set-up built against the layout the rules assume, from a snapshot
 * of the VM structures: the entry (object kind, copy-on-write, needs-copy, protections,
 * advice, wiring, bounds), the amap (references, shared), every page of the region (its
 * anon and that anon's references, its object page's residency, nothing mapped by this
 * process), and the sharer's mapping of the target. */
static int verify_state(struct mx_run *r, const struct uvmsim_mx_layout *L)
{
    uvmsim_vaddr_t target = pva(L->target);
    struct uvmsim_isp_snapshot *s;
    if (uvmsim_introspect(r->m, &s) != UVMSIM_OK)
        return fail(r, UVMSIM_ENOHOST, "snapshot");
    const char *bad = NULL;
    const struct uvmsim_isp_entry *e = NULL;
    for (uint32_t i = 0; i < s->nprocs; i++) {
        if (s->procs[i].pid != uvmsim_proc_pid(r->p))
            continue;
        for (uint32_t k = s->procs[i].first_entry; k < s->procs[i].first_entry + s->procs[i].nentries; k++)
            if (s->entries[k].start <= target && target < s->entries[k].end)
                e = &s->entries[k];
    }
    static const char *const kinds[] = {[MX_OBJ_VNODE] = "vnode", [MX_OBJ_XIP] = "xip-vnode", [MX_OBJ_AOBJ] = "anon"};
    const char *want_kind = L->obj == MX_OBJ_NONE ? NULL : L->faultop ? "xip-pager" : kinds[L->obj];
    const char *kind = e && e->object != UVMSIM_ISP_NONE ? s->objects[e->object].kind : NULL;
    const struct uvmsim_isp_amap *am = e && e->amap != UVMSIM_ISP_NONE ? &s->amaps[e->amap] : NULL;
    uvmsim_entry_info info;
    if (!L->mapped) {
        if (e != NULL)
            bad = "an entry covers the target page";
        else if (uvmsim_introspect_extract(r->p, target, NULL, NULL))
            bad = "the target page is mapped";
    } else if (e == NULL) {
        bad = "no map entry at the target page";
    } else if (e->start != MX_BASE || e->end != pva(MX_NPAGES)) {
        bad = "the entry does not cover exactly the region";
    } else if ((kind == NULL) != (want_kind == NULL) || (kind && strcmp(kind, want_kind) != 0)) {
        bad = "the entry's object is not the backing's kind";
    } else if (e->copy_on_write != L->cow) {
        bad = "copy-on-write is not as the case says";
    } else if (e->needs_copy != L->nc) {
        bad = "needs-copy is not as the case says";
    } else if (e->prot != L->prot || e->maxprot != L->maxprot) {
        bad = "the protection or the maximum protection is not as the case says";
    } else if (e->advice != mx_advice[L->advice]) {
        bad = "the advice is not as the case says";
    } else if (uvmsim_map_lookup(r->p, target, &info) != UVMSIM_OK || (info.wired_count > 0) != L->wired) {
        bad = "the wiring is not as the case says";
    } else if ((am ? am->refs : 0) != L->amap_refs || (am != NULL && am->shared != L->amap_shared)) {
        bad = "the amap's references are not as the case says";
    }
    for (unsigned i = 0; bad == NULL && L->mapped && i < MX_NPAGES; i++) {
        const struct uvmsim_isp_anon *an = NULL;
        if (am) {
            unsigned slot = e->slotoff + i;
            for (uint32_t k = am->first_slot; k < am->first_slot + am->nused; k++)
                if (s->slots[k].slot == slot)
                    an = &s->anons[s->slots[k].anon];
        }
        if ((an ? an->refs : 0) != L->pg[i].anon_refs)
            bad = i == L->target ? "the anon at the target page is not as the case says" :
                  "an anon of the region is not as the layout says";
        else if (uvmsim_introspect_extract(r->p, pva(i), NULL, NULL))
            bad = "a page of the region is mapped before the fault";
        if (bad || kind == NULL || L->obj == MX_OBJ_XIP)
            continue;
        const struct uvmsim_isp_object *o = &s->objects[e->object];
        uint64_t idx = e->offset / MX_PAGE + i;
        bool resident = false;
        for (uint32_t k = o->first_page; k < o->first_page + o->nres; k++)
            resident |= s->objpages[k].index == idx;
        if (resident != L->pg[i].resident)
            bad = i == L->target ? "the object's page at the target is not resident as the case says" :
                  "an object page of the region is not resident as the layout says";
    }
    if (bad == NULL && L->sharer != (r->child != NULL && uvmsim_introspect_extract(r->child, target, NULL, NULL)))
        bad = "the sharer's mapping of the target is not as the case says";
    uvmsim_introspect_free(s);
    if (bad) {
        snprintf(r->why, r->whylen, "set-up did not build the case: %s", bad);
        return UVMSIM_ESTATE;
    }
    return UVMSIM_OK;
}

static int attach_image(struct mx_run *r, const struct uvmsim_mx_layout *L)
{
#ifdef UVMSIM_HAVE_BUILTIN
    size_t len = 0;
    const unsigned char *img = uvmsim_builtin_image(&len);
    uvmsim_mount *mp;
    int err;
    if (img == NULL)
        return fail(r, UVMSIM_ENOTSUP, "this build has no built-in image");
    if ((err = uvmsim_flashdev_create_mem(r->m, NULL, img, len, &r->dev)) != UVMSIM_OK)
        return fail(r, err, "attach the built-in image");
    unsigned fl = L->obj == MX_OBJ_XIP ? UVMSIM_MNT_XIP | (L->faultop ? UVMSIM_MNT_XIP_FAULTOP : 0) : 0;
    if ((err = uvmsim_mount_ext2(r->m, r->dev, "/", fl, &mp)) != UVMSIM_OK)
        return fail(r, err, "mount");
    if ((err = uvmsim_namei(r->m, MX_FILE, &r->vp)) != UVMSIM_OK)
        return fail(r, err, "look up " MX_FILE);
    return UVMSIM_OK;
#else
    (void)L;
    return fail(r, UVMSIM_ENOTSUP, "this build has no built-in image");
#endif
}

/* The helpers that make object pages resident without this process mapping them: on a
 * copy mount a process reads R (and the target when res=yes) through a private mapping;
 * on a SysV segment a second attacher touches O (and the target). */
static int residency_helpers(struct mx_run *r, const struct uvmsim_mx_layout *L, bool res)
{
    uvmsim_proc *h;
    int err;
    if (L->obj != MX_OBJ_VNODE && L->obj != MX_OBJ_AOBJ)
        return UVMSIM_OK;
    if ((err = uvmsim_proc_create(r->m, &h)) != UVMSIM_OK)
        return fail(r, err, "create the helper");
    if (L->obj == MX_OBJ_VNODE) {
        if ((err = map_region(r, h, false, UVMSIM_PROT_READ, 0, false, UVMSIM_INHERIT_COPY)) != UVMSIM_OK)
            return fail(r, err, "map the file in the helper");
        if ((err = touch_as(h, MX_PG_R, UVMSIM_ACCESS_LOAD)) != UVMSIM_OK)
            return fail(r, err, "helper reads page 5");
        if (res && (err = touch_as(h, L->target, UVMSIM_ACCESS_LOAD)) != UVMSIM_OK)
            return fail(r, err, "helper reads the target page");
        return UVMSIM_OK;
    }
    if ((err = uvmsim_shm_attach(h, r->seg, MX_BASE, false, NULL)) != UVMSIM_OK)
        return fail(r, err, "attach the segment in the helper");
    if ((err = touch_as(h, MX_PG_O, UVMSIM_ACCESS_STORE)) != UVMSIM_OK)
        return fail(r, err, "helper stores to page 6");
    if (res && (err = touch_as(h, L->target, UVMSIM_ACCESS_STORE)) != UVMSIM_OK)
        return fail(r, err, "helper stores to the target page");
    return UVMSIM_OK;
}

static int do_fork(struct mx_run *r)
{
    int err = uvmsim_proc_fork(r->p, &r->child);
    return err ? fail(r, err, "fork") : UVMSIM_OK;
}

/* The upper layer, the amap and needs-copy of an unwired entry (see uvmsim_mx_layout). */
static int build_upper(struct mx_run *r, const struct uvmsim_mx_case *c, const struct uvmsim_mx_layout *L)
{
    int b = c->dim[MX_BACKING], up = c->dim[MX_UPPER], am = c->dim[MX_AMAP];
    unsigned t = L->target;
    int err;
    if (b == B_ANON_SHARED) {
        if ((err = touch(r, r->p, MX_PG_O)) != UVMSIM_OK)
            return fail(r, err, "touch page 6");
        if (up != U_NONE && (err = touch(r, r->p, t)) != UVMSIM_OK)
            return fail(r, err, "touch the target page");
        return up == U_FORKED || am == AM_SHARED ? do_fork(r) : UVMSIM_OK;
    }
    if (!L->cow || am == AM_NONE)
        return UVMSIM_OK;
    if ((err = touch(r, r->p, MX_PG_O)) != UVMSIM_OK)
        return fail(r, err, "touch page 6 (makes the amap)");
    if (up != U_NONE && (err = touch(r, r->p, t)) != UVMSIM_OK)
        return fail(r, err, "touch the target page (makes its anon)");
    if (am == AM_OWN && up != U_FORKED) {
        if (!L->nc)
            return UVMSIM_OK;
        /* fork, the child exits: needs-copy stays, the amap is ours again */
        if ((err = do_fork(r)) != UVMSIM_OK)
            return err;
        uvmsim_proc_exit(r->child);
        r->child = NULL;
        return UVMSIM_OK;
    }
    if ((err = do_fork(r)) != UVMSIM_OK)
        return err;
    if (am == AM_OWN && !L->nc && (err = touch(r, r->p, MX_PG_P)) != UVMSIM_OK)
        return fail(r, err, "touch page 7 after fork (copies the amap)");
    if (am == AM_OWN && L->nc && (err = touch(r, r->child, MX_PG_P)) != UVMSIM_OK)
        return fail(r, err, "the child touches page 7 (copies its amap)");
    if (L->sharer && (err = touch_as(r->child, t, UVMSIM_ACCESS_LOAD)) != UVMSIM_OK)
        return fail(r, err, "the child reads the target page");
    return UVMSIM_OK;
}

static int case_body(struct mx_run *r, const struct uvmsim_mx_case *c, struct uvmsim_mx_outcome *obs)
{
    const uint8_t *d = c->dim;
    int b = d[MX_BACKING];
    struct uvmsim_mx_layout L;
    uvmsim_mx_layout(d, &L);
    uvmsim_machine *m = r->m;
    int err;
    if (L.device && (err = attach_image(r, &L)) != UVMSIM_OK)
        return err;
    if (b == B_SYSV_SHM && (err = uvmsim_shm_create(m, (uint64_t)MX_NPAGES * MX_PAGE, &r->seg)) != UVMSIM_OK)
        return fail(r, err, "create the segment");
    if ((err = uvmsim_proc_create(m, &r->p)) != UVMSIM_OK)
        return fail(r, err, "create the process");
    if (d[MX_INJECT] == INJ_ENOMEM) {
        /* a guard page right after the region, touched now, so that the page tables the
         * region needs exist before RAM runs out: the fault's allocations are its data
         * pages only, on every backend */
        uvmsim_map_args a;
        uvmsim_map_args_init(&a);
        a.addr = pva(MX_NPAGES);
        a.size = MX_PAGE;
        a.flags = UVMSIM_MAP_FIXED;
        if ((err = uvmsim_map(r->p, &a, NULL)) != UVMSIM_OK || (err = touch_as(r->p, MX_NPAGES, UVMSIM_ACCESS_STORE)))
            return fail(r, err, "map and touch the guard page");
    }
    if ((err = residency_helpers(r, &L, d[MX_RES] == YN_YES)) != UVMSIM_OK)
        return err;

    /* the mapping, built with write when the maximum protection has it */
    uvmsim_prot_t prot = uvmsim_mx_prot_bits(d[MX_PROT]);
    r->setup_prot = (L.maxprot & UVMSIM_PROT_WRITE) ? UVMSIM_PROT_READ | UVMSIM_PROT_WRITE : UVMSIM_PROT_READ;
    if (b == B_SYSV_SHM) {
        err = uvmsim_shm_attach(r->p, r->seg, MX_BASE, !(L.maxprot & UVMSIM_PROT_WRITE), NULL);
    } else if (b == B_UNMAPPED) {
        err = map_region(r, r->p, false, r->setup_prot, 0, false, UVMSIM_INHERIT_COPY);
        if (err == UVMSIM_OK)
            err = uvmsim_unmap(r->p, pva(L.target), MX_PAGE);
    } else if (shared_file(&L) && (prot & UVMSIM_PROT_WRITE)) {
        /* a shared writable mapping of a file on the read-only medium: refused at map
         * time, and that refusal is the case's outcome */
        err = map_region(r, r->p, true, prot, 0, false, UVMSIM_INHERIT_SHARE);
        if (err) {
            memset(obs, 0, sizeof(*obs));
            obs->cls = UVMSIM_FAULT_ERROR;
            obs->err = err;
            obs->loc = UVMSIM_LOC_NONE;
            return UVMSIM_OK;
        }
        return fail(r, UVMSIM_ESTATE, "a shared writable mapping of the read-only file was accepted");
    } else {
        bool shared = b == B_ANON_SHARED || shared_file(&L);
        bool share = d[MX_AMAP] == AM_SHARED;
        bool copy = b == B_ANON_SHARED && d[MX_UPPER] == U_FORKED && d[MX_AMAP] == AM_OWN;
        err = map_region(r, r->p, shared, r->setup_prot, shared_file(&L) ? 0 : L.maxprot, share || copy,
                         share ? UVMSIM_INHERIT_SHARE : UVMSIM_INHERIT_COPY);
    }
    if (err)
        return fail(r, err, "map the region");

    if (L.wired && L.mapped) {
        if ((err = uvmsim_wire(r->p, MX_BASE, (uint64_t)MX_NPAGES * MX_PAGE)) != UVMSIM_OK)
            return fail(r, err, "wire the region");
        if (d[MX_UPPER] == U_FORKED && (err = do_fork(r)) != UVMSIM_OK)
            return err;
        if (L.sharer && (err = touch_as(r->child, L.target, UVMSIM_ACCESS_LOAD)) != UVMSIM_OK)
            return fail(r, err, "the child reads the target page");
    } else if (L.mapped && (err = build_upper(r, c, &L)) != UVMSIM_OK) {
        return err;
    }

    /* the case's advice and protection; the detour through none unmaps every page of
     * the region, so the fault finds them all unmapped and maps its window afresh */
    uint64_t size = (uint64_t)MX_NPAGES * MX_PAGE;
    if ((err = uvmsim_advise(r->p, MX_BASE, size, mx_advice[d[MX_ADVICE]])) != UVMSIM_OK && L.mapped)
        return fail(r, err, "advise");
    if ((err = uvmsim_protect(r->p, MX_BASE, size, UVMSIM_PROT_NONE)) != UVMSIM_OK)
        return fail(r, err, "protect to none");
    if (prot != UVMSIM_PROT_NONE && (err = uvmsim_protect(r->p, MX_BASE, size, prot)) != UVMSIM_OK)
        return fail(r, err, "protect to the case's protection");

    if ((err = verify_state(r, &L)) != UVMSIM_OK)
        return err;

    /* the fault, with the failure the case injects */
    uvmsim_paddr_t child_pa0 = 0, child_pa1 = 0;
    if (L.sharer)
        uvmsim_introspect_extract(r->child, pva(L.target), &child_pa0, NULL);
    if (d[MX_INJECT] == INJ_EIO && r->dev)
        uvmsim_flashdev_fail_reads(r->dev, 0, UVMSIM_INJECT_FOREVER);
    if (d[MX_INJECT] == INJ_ENOMEM)
        uvmsim_ram_fail_next(m, 0, UVMSIM_INJECT_FOREVER);
    uvmsim_ram_stats r0, r1;
    uvmsim_fault_outcome o;
    uvmsim_ram_stats_get(m, &r0);
    err = uvmsim_fault(r->p, pva(L.target), (uvmsim_access)d[MX_ACCESS], &o);
    uvmsim_ram_stats_get(m, &r1);
    uvmsim_ram_fail_next(m, 0, 0);
    if (r->dev)
        uvmsim_flashdev_fail_reads(r->dev, 0, 0);

    memset(obs, 0, sizeof(*obs));
    obs->cls = o.cls;
    obs->err = o.error;
    uint64_t ptp = r1.ptp_pages > r0.ptp_pages ? r1.ptp_pages - r0.ptp_pages : 0;
    int64_t grown = (int64_t)r1.used_pages - (int64_t)r0.used_pages - (int64_t)ptp;
    obs->pages = grown > 0 ? (unsigned)grown : 0;
    obs->copied = o.bytes_copied;
    obs->io = o.io_requests;
    obs->loc = o.loc;
    obs->writable = (o.prot_entered & UVMSIM_PROT_WRITE) != 0;
    if (err != o.error)
        return fail(r, UVMSIM_ESTATE, "uvmsim_fault's return differs from its outcome record");
    uvmsim_paddr_t pa;
    uvmsim_prot_t pprot;
    bool mapped = uvmsim_introspect_extract(r->p, pva(L.target), &pa, &pprot);
    if (err == UVMSIM_OK && (!mapped || pa != o.pa || pprot != o.prot_entered)) {
        snprintf(r->why, r->whylen, "the page tables do not hold what the outcome record says was entered");
        return UVMSIM_ESTATE;
    }
    for (unsigned i = 0; i < MX_NPAGES; i++) {
        if (i == L.target || !uvmsim_introspect_extract(r->p, pva(i), NULL, &pprot))
            continue;
        obs->nbr++;
        obs->nbrw += (pprot & UVMSIM_PROT_WRITE) != 0;
    }
    obs->sharer = SH_NONE;
    if (L.sharer)
        obs->sharer = uvmsim_introspect_extract(r->child, pva(L.target), &child_pa1, NULL) &&
                      child_pa1 == child_pa0 ? SH_KEPT : SH_GONE;
    char msg[256];
    if (uvmsim_check(m, msg, sizeof(msg)) != UVMSIM_OK) {
        obs->broken = true;
        snprintf(r->why, r->whylen, "invariant broken after the fault: %s", msg);
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
    if (r.seg)
        uvmsim_shm_remove(r.seg);
    uvmsim_machine_destroy(r.m);
    return err;
}

/* ---- uvmsim matrix ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: uvmsim matrix [--json | --csv] [--backend NAME]... [--only KEY=VALUE[,VALUE...]]...\n"
            "                     [--table FILE] [--excluded | --rules]\n"
            "Runs the fault-handler test matrix: every case the hand-written rules and table\n"
            "(built in; a copy of the table is installed with the documentation as\n"
            "fault-matrix.txt) describe, on every pmap backend, one row per case with the\n"
            "expected and the observed outcome.\n"
            "  --json            one JSON object per row, then a summary object\n"
            "  --csv             comma-separated values with a header line\n"
            "  --backend NAME    run on this backend only (repeatable; default: all of them)\n"
            "  --only KEY=VALUE  keep the cases whose KEY is one of the VALUEs (repeatable: all\n"
            "                    must hold).  KEYs: backing design upper amap nc res wired\n"
            "                    maxprot advice inject access prot class\n"
            "  --table FILE      use this table instead of the built-in one\n"
            "  --excluded        list the combinations left out and why, then exit\n"
            "  --rules           list the rules with the NetBSD code each follows, then exit\n"
            "Outcome columns: class (or error:NAME), pN data pages allocated, cN bytes copied,\n"
            "ioN block requests, where the page lives (ram, nor, zero, none), rw or ro, nNwM\n"
            "neighbours mapped (M of them writable), the sharer's mapping (-, kept, gone);\n"
            "BROKEN: the invariant checker failed after the fault.\n"
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
    fprintf(out, ",\"pages\":%u,\"copied\":%llu,\"io\":%u,\"loc\":\"%s\",\"writable\":%s,\"nbr\":%u,\"nbrw\":%u,"
                 "\"sharer\":\"%s\",\"invariants\":\"%s\"}", o->pages, (unsigned long long)o->copied, o->io,
            uvmsim_page_loc_name(o->loc), o->writable ? "true" : "false", o->nbr, o->nbrw,
            uvmsim_mx_sharer_name(o->sharer), o->broken ? "broken" : "ok");
}

static void csv_outcome(FILE *out, const struct uvmsim_mx_outcome *o)
{
    fprintf(out, "%s,%s,%u,%llu,%u,%s,%s,%u,%u,%s,%s", uvmsim_fault_class_name((uvmsim_fault_class)o->cls),
            o->err ? uvmsim_errname(o->err) : "", o->pages, (unsigned long long)o->copied, o->io,
            uvmsim_page_loc_name(o->loc), o->writable ? "yes" : "no", o->nbr, o->nbrw, uvmsim_mx_sharer_name(o->sharer),
            o->broken ? "broken" : "ok");
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

/* The dimensions as the text table shows them: name, column width. */
static const int col_width[MX_NDIMS] = {17, 7, 6, 6, 3, 3, 5, 4, 10, 6, 6, 4};
static const char *const col_head[MX_NDIMS] = {"BACKING", "DESIGN", "UPPER", "AMAP", "NC", "RES", "WIRED", "MAXP",
                                              "ADVICE", "INJECT", "ACCESS", "PROT"};

static void print_excluded(FILE *out, const struct uvmsim_mx_table *t)
{
    for (unsigned x = 0; x < t->nexcl; x++) {
        const struct uvmsim_mx_exclusion *e = &t->excl[x];
        char pat[512] = "";
        for (int d = 0; d < MX_NDIMS; d++) {
            if (!e->set[d])
                continue;
            snprintf(pat + strlen(pat), sizeof(pat) - strlen(pat), "%s%s=", pat[0] ? " " : "", dim_names[d]);
            bool first = true;
            for (unsigned v = 0; v < uvmsim_mx_nvalues(d); v++)
                if (e->set[d] & (1u << v)) {
                    snprintf(pat + strlen(pat), sizeof(pat) - strlen(pat), "%s%s", first ? "" : ",", dim_values[d][v]);
                    first = false;
                }
        }
        fprintf(out, "%7llu  %s\n         : %s\n", (unsigned long long)e->count, pat, e->reason);
    }
    fprintf(out, "%llu combinations excluded, %u cases (of %llu combinations)\n", (unsigned long long)t->nexcluded,
            t->ncases, (unsigned long long)t->ncombinations);
}

static void print_rules(FILE *out)
{
    unsigned n;
    const struct uvmsim_mx_rule *rl = uvmsim_mx_rules(&n);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "%-4s %s\n     [%s]\n", rl[i].id, rl[i].what, rl[i].cite);
}

int uvmsim_mx_main(int argc, char **argv, FILE *out, FILE *err)
{
    bool json = false, csv = false, excluded = false, rules = false;
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
        } else if (strcmp(a, "--rules") == 0) {
            rules = true;
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
    if (excluded && rules) {
        fprintf(err, "uvmsim matrix: --excluded and --rules exclude each other\n");
        return 2;
    }
    if (rules) {
        print_rules(out);
        return 0;
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
        print_excluded(out, t);
        uvmsim_mx_table_free(t);
        return 0;
    }
    if (nbackends == 0) {
        const char *const *all = uvmsim_pmap_backends();
        for (unsigned i = 0; all[i] && nbackends < 16; i++)
            backends[nbackends++] = all[i];
    }
    if (csv) {
        fprintf(out, "backend");
        for (int d = 0; d < MX_NDIMS; d++)
            fprintf(out, ",%s", dim_names[d]);
        fprintf(out, ",exp_class,exp_error,exp_pages,exp_copied,exp_io,exp_loc,exp_writable,exp_nbr,exp_nbrw,exp_sharer,"
                     "exp_invariants,obs_class,obs_error,obs_pages,obs_copied,obs_io,obs_loc,obs_writable,obs_nbr,obs_nbrw,"
                     "obs_sharer,obs_invariants,result,rules,table_line\n");
    } else if (!json) {
        fprintf(out, "%-8s", "BACKEND");
        for (int d = 0; d < MX_NDIMS; d++)
            fprintf(out, " %-*s", col_width[d], col_head[d]);
        fprintf(out, " | %-44s | %-44s | %s\n", "EXPECTED", "OBSERVED", "RESULT");
    }
    unsigned runs = 0, ok = 0, differ = 0, setup = 0;
    for (unsigned bi = 0; bi < nbackends; bi++) {
        for (unsigned k = 0; k < t->ncases; k++) {
            const struct uvmsim_mx_case *c = &t->cases[k];
            if (!filter_ok(filters, nfilters, c))
                continue;
            struct uvmsim_mx_outcome obs;
            char why[256], rl[160];
            memset(&obs, 0, sizeof(obs));
            int rc = uvmsim_mx_run_case(c, backends[bi], &obs, why, sizeof(why));
            bool same = rc == UVMSIM_OK && uvmsim_mx_outcome_eq(&c->expect, &obs);
            runs++;
            ok += same;
            differ += rc == UVMSIM_OK && !same;
            setup += rc != UVMSIM_OK;
            const char *result = same ? "ok" : rc == UVMSIM_OK ? "DIFFERS" : "SETUP-FAILED";
            uvmsim_mx_rules_str(c->rules, rl, sizeof(rl));
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
                fprintf(out, ",\"result\":\"%s\",\"rules\":\"%s\",\"table_line\":%u", result, rl, c->line);
                if (why[0])
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
                    fprintf(out, ",,,,,,,,,,");
                fprintf(out, ",%s,%s,%u\n", result, rl, c->line);
            } else {
                char es[80], os[80];
                uvmsim_mx_outcome_str(&c->expect, es, sizeof(es));
                if (rc == UVMSIM_OK)
                    uvmsim_mx_outcome_str(&obs, os, sizeof(os));
                else
                    snprintf(os, sizeof(os), "(not run)");
                fprintf(out, "%-8s", backends[bi]);
                for (int d = 0; d < MX_NDIMS; d++)
                    fprintf(out, " %-*s", col_width[d], uvmsim_mx_value_name(d, c->dim[d]));
                fprintf(out, " | %-44s | %-44s | %s", es, os, result);
                if (!same) {
                    fprintf(out, " (rules %s", rl);
                    if (c->line)
                        fprintf(out, ", table line %u", c->line);
                    fprintf(out, "%s%s)", why[0] ? "; " : "", why);
                }
                fprintf(out, "\n");
            }
        }
    }
    if (json)
        fprintf(out, "{\"summary\":true,\"cases\":%u,\"backends\":%u,\"runs\":%u,\"ok\":%u,\"differ\":%u,\"setup_failed\":%u,"
                     "\"excluded\":%llu}\n",
                t->ncases, nbackends, runs, ok, differ, setup, (unsigned long long)t->nexcluded);
    else if (!csv)
        fprintf(out, "matrix: %u run%s (%u cases, %u backend%s), %u as expected, %u differ, %u set-up failure%s; "
                     "%llu combinations excluded\n",
                runs, runs == 1 ? "" : "s", t->ncases, nbackends, nbackends == 1 ? "" : "s", ok, differ, setup,
                setup == 1 ? "" : "s", (unsigned long long)t->nexcluded);
    if (runs == 0)
        fprintf(err, "uvmsim matrix: no case matches the --only filters\n");
    uvmsim_mx_table_free(t);
    return differ || setup ? 1 : 0;
}
