/* Check suite for the fault-handler test matrix (src/cli/mx.c with the hand-written rules
 * tests/matrix/mx_rules.c and table tests/matrix/fault-matrix.txt): every case on every
 * pmap backend (a slice under Valgrind), hand-computed spot checks of the rules, the
 * table's shape and parser, the set-up verification, docs/fault-matrix.md kept in step,
 * and the `uvmsim matrix` subcommand. */
#include "cli_util.h"
#include <unistd.h>
#include "mx.h"

static struct uvmsim_mx_table *table;
static const char *const *backends;
static unsigned nbackends;

/* ---- every case on every backend ---- */

#define CHUNK 128u

/* Runs (case, backend) pairs selected with this stride: all of them normally, every 29th
 * under Valgrind (UVMSIM_MEMCHECK) and in the AddressSanitizer build (where a case costs
 * 30 times more: each machine's fresh image and RAM are new host memory to poison), which
 * still visits every backend and backing; the whole matrix runs in the plain build. */
static unsigned stride(void)
{
#ifdef __SANITIZE_ADDRESS__
    return 29;
#else
    return getenv("UVMSIM_MEMCHECK") ? 29 : 1;
#endif
}
static unsigned nselected(void) { return (table->ncases * nbackends + stride() - 1) / stride(); }

START_TEST(test_cases)
{
    unsigned first = (unsigned)_i * CHUNK, n = nselected(), bad = 0;
    char report[2048] = "";
    for (unsigned j = first; j < first + CHUNK && j < n; j++) {
        unsigned g = j * stride();
        const struct uvmsim_mx_case *c = &table->cases[g % table->ncases];
        const char *be = backends[g / table->ncases];
        struct uvmsim_mx_outcome obs;
        char why[256], cs[256], es[96], os[96];
        int rc = uvmsim_mx_run_case(c, be, &obs, why, sizeof(why));
        if (rc == UVMSIM_OK && uvmsim_mx_outcome_eq(&c->expect, &obs))
            continue;
        if (bad++ < 4) {
            uvmsim_mx_case_str(c, cs, sizeof(cs));
            uvmsim_mx_outcome_str(&c->expect, es, sizeof(es));
            if (rc == UVMSIM_OK)
                uvmsim_mx_outcome_str(&obs, os, sizeof(os));
            snprintf(report + strlen(report), sizeof(report) - strlen(report), "\n  %s on %s: expected %s, %s%s %s",
                     cs, be, es, rc == UVMSIM_OK ? "observed " : "", rc == UVMSIM_OK ? os : "set-up failed:", why);
        }
    }
    ck_assert_msg(bad == 0, "%u of the cases %u-%u differ:%s", bad, first, first + CHUNK - 1, report);
}
END_TEST

/* ---- spot checks: expectations computed by hand from NetBSD's code ---- */

/* A case from "KEY=VALUE ..." (unnamed dimensions: design=vnode upper=none amap=none
 * nc=yes res=yes wired=no maxprot=rwx advice=normal inject=none), looked up in the
 * built-in table, so it must be a case the table keeps. */
static const struct uvmsim_mx_case *find_case(const char *spec)
{
    uint8_t d[MX_NDIMS] = {0};
    d[MX_NC] = YN_YES;
    d[MX_RES] = YN_YES;
    char *copy = strdup(spec);
    for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        int dim = uvmsim_mx_dim_parse(tok), v = uvmsim_mx_value_parse(dim, eq + 1);
        ck_assert_msg(dim >= 0 && v >= 0, "bad spec token %s=%s", tok, eq + 1);
        d[dim] = (uint8_t)v;
    }
    free(copy);
    for (unsigned k = 0; k < table->ncases; k++)
        if (memcmp(table->cases[k].dim, d, MX_NDIMS) == 0)
            return &table->cases[k];
    ck_abort_msg("%s is not a case of the table", spec);
    return NULL;
}

static const struct {
    const char *spec, *want;
} spots[] = {
    /* uvm_fault_lower: promote = cow_now && COW; the window (3 behind, 4 ahead) maps the
     * other 7 NOR and zero pages read-only (MASK(entry), PG_RDONLY) */
    {"backing=file-private-xip access=store prot=rw", "lower-promote p1 c4096 io0 ram  rw n7w0 -"},
    /* Thomas's pager answers EROFS before entering anything */
    {"backing=file-private-xip design=faultop access=store prot=rw", "lower-promote p1 c4096 io0 ram  rw n0w0 -"},
    /* needs-copy read with an object: the NOR page itself, read-only */
    {"backing=file-private-xip design=faultop access=load prot=rw", "lower-direct  p0 c0    io0 nor  ro n7w0 -"},
    /* a share-inherited amap: promotion removes every mapping of the zero page (the
     * sharer's and this fault's hole neighbours 1, 2, 5, 7); left: O's anon (ours,
     * writable) and the NOR page 3 */
    {"backing=xip-hole amap=shared nc=no access=store prot=rwx", "lower-promote p1 c4096 io0 ram  rw n2w1 gone"},
    {"backing=xip-hole design=faultop amap=shared nc=no access=store prot=rwx", "lower-promote p1 c4096 io0 ram  rw n1w1 kept"},
    /* a medium error on a copy mount: page 5 (cached) was entered, then the get failed */
    {"backing=file-private-copy res=no inject=eio access=load prot=rwx", "error:EIO     p0 c0    io0 none ro n1w0 -"},
    {"backing=file-private-copy res=no inject=enomem access=load prot=rwx", "error:ENOMEM  p0 c0    io0 none ro n1w0 -"},
    /* RAM exhausted: an XIP read needs no page at all */
    {"backing=file-private-xip inject=enomem access=load prot=rwx", "lower-direct  p0 c0    io0 nor  ro n7w0 -"},
    /* uao_get PGO_LOCKED allocates the window: 6 new neighbours + the target; O was resident */
    {"backing=sysv-shm nc=no res=no maxprot=rw access=store prot=rw", "lower-direct  p7 c0    io0 ram  rw n7w7 -"},
    {"backing=sysv-shm nc=no res=no maxprot=rw inject=enomem access=store prot=rw", "error:ENOMEM  p0 c0    io0 none ro n1w1 -"},
    /* an_ref > 1: read-only, upper neighbours O (2 refs, read-only) and P (ours, writable) */
    {"backing=anon-private upper=forked amap=own nc=no res=no access=load prot=rw", "upper-direct  p0 c0    io0 ram  ro n2w1 -"},
    /* needs-copy and a store: amap_copy gives every anon one more reference; sequential:
     * only O ahead, read-only */
    {"backing=anon-private upper=forked amap=cow res=no advice=sequential access=store prot=rw",
     "upper-promote p1 c4096 io0 ram  rw n1w0 -"},
    /* wired: every page an anon of one reference; prot r enters them all read-only */
    {"backing=file-private-copy upper=anon1 amap=own nc=no wired=yes access=load prot=r", "upper-direct  p0 c0    io0 ram  ro n7w0 -"},
    {"backing=unmapped nc=no res=no access=load prot=rw", "error:EFAULT  p0 c0    io0 none ro n0w0 -"},
    {"backing=file-shared-xip nc=no maxprot=rx access=load prot=rw", "error:EACCES  p0 c0    io0 none ro n0w0 -"},
    {"backing=anon-shared upper=forked amap=shared nc=no res=no access=store prot=rw", "upper-direct  p0 c0    io0 ram  rw n1w1 -"},
    /* a shared mapping of an XIP hole: the zero page, never writable, and the window 1-7 */
    {"backing=xip-hole-shared nc=no maxprot=rx access=load prot=r", "lower-direct  p0 c0    io0 zero ro n6w0 -"},
    /* write-only: the read-only neighbours would have no rights (M2) */
    {"backing=file-private-xip access=store prot=w", "lower-promote p1 c4096 io0 ram  rw n0w0 -"},
};
#define NSPOTS (int)(sizeof(spots) / sizeof(spots[0]))

START_TEST(test_spot)
{
    const struct uvmsim_mx_case *c = find_case(spots[_i].spec);
    char es[96];
    uvmsim_mx_outcome_str(&c->expect, es, sizeof(es));
    ck_assert_msg(strcmp(es, spots[_i].want) == 0, "%s: the rules say '%s', by hand '%s'", spots[_i].spec, es,
                  spots[_i].want);
}
END_TEST

/* ---- the table ---- */

static unsigned count_cases(const char *spec)
{
    uint32_t set[MX_NDIMS] = {0};
    char *copy = strdup(spec);
    for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        *eq = '\0';
        int dim = uvmsim_mx_dim_parse(tok);
        set[dim] |= 1u << uvmsim_mx_value_parse(dim, eq + 1);
    }
    free(copy);
    unsigned n = 0;
    for (unsigned k = 0; k < table->ncases; k++) {
        bool m = true;
        for (int d = 0; d < MX_NDIMS && m; d++)
            m = !set[d] || (set[d] & (1u << table->cases[k].dim[d]));
        n += m;
    }
    return n;
}

/* The built-in table: its size, and the size of some parts counted by hand from the
 * states docs/fault-matrix.md lists. */
START_TEST(test_table_shape)
{
    ck_assert_uint_ge(table->ncases, 2000);
    ck_assert_uint_eq(table->ncases + table->nexcluded, table->ncombinations);
    ck_assert_uint_eq(table->ncombinations, 11ull * 2 * 3 * 4 * 2 * 2 * 2 * 4 * 3 * 3 * 3 * 8);
    uint64_t sum = 0;
    for (unsigned i = 0; i < table->nexcl; i++) {
        ck_assert_uint_gt(table->excl[i].count, 0);
        ck_assert_uint_gt(strlen(table->excl[i].reason), 30);
        sum += table->excl[i].count;
    }
    ck_assert_uint_eq(sum, table->nexcluded);
    ck_assert_uint_eq(table->nrows, 2);
    /* no entry: 8 protections x 3 accesses, and the 3 accesses once more with RAM
     * exhausted (prot = maxprot = rwx) */
    ck_assert_uint_eq(count_cases("backing=unmapped"), 24 + 3);
    /* private anonymous memory: 11 upper-layer states x (8 protections under rwx + 4 under
     * rx) x 3 accesses x 3 advices */
    ck_assert_uint_eq(count_cases("backing=anon-private wired=no inject=none"), 11 * 12 * 3 * 3);
    /* a shared copy-mount file: resident or not x 8 protections x 3 x 3 */
    ck_assert_uint_eq(count_cases("backing=file-shared-copy wired=no inject=none"), 2 * 8 * 3 * 3);
    /* RAM exhausted on an XIP hole: 11 states x 2 designs under rwx, 1 x 2 under rx;
     * prot = maxprot; 3 accesses */
    ck_assert_uint_eq(count_cases("backing=xip-hole inject=enomem"), (22 + 2) * 3);
    /* wired SysV segments: resident x (rw: 4 protections, r: 2) x 3 x 3 */
    ck_assert_uint_eq(count_cases("backing=sysv-shm wired=yes"), (4 + 2) * 3 * 3);
    /* every value of every dimension is in some case, every rule gives some case */
    for (int d = 0; d < MX_NDIMS; d++)
        for (unsigned v = 0; v < uvmsim_mx_nvalues(d); v++) {
            char spec[64];
            snprintf(spec, sizeof(spec), "%s=%s", uvmsim_mx_dim_name(d), uvmsim_mx_value_name(d, (int)v));
            ck_assert_msg(count_cases(spec) > 0, "no case has %s", spec);
        }
    unsigned nrules;
    uvmsim_mx_rules(&nrules);
    uint64_t all = 0;
    for (unsigned k = 0; k < table->ncases; k++)
        all |= table->cases[k].rules;
    ck_assert_uint_eq(all, (1ull << nrules) - 1);
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

struct mx_out {
    int rc;
    char *out, *err;
    size_t ol, el;
};

static int mx_main(struct mx_out *r, int argc, const char **argv)
{
    FILE *o = open_memstream(&r->out, &r->ol), *e = open_memstream(&r->err, &r->el);
    r->rc = uvmsim_mx_main(argc, (char **)argv, o, e);
    fclose(o);
    fclose(e);
    return r->rc;
}

static void mx_free(struct mx_out *r)
{
    free(r->out);
    free(r->err);
}

#define MX(r, ...) mx_main((r), (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                           (const char *[]){__VA_ARGS__})

/* docs/fault-matrix.md shows the rules, the exclusions and the table exactly as they are. */
START_TEST(test_doc_in_step)
{
    char *doc = slurp(UVMSIM_SOURCE_DIR "/docs/fault-matrix.md");
    char *tbl = slurp(UVMSIM_SOURCE_DIR "/tests/matrix/fault-matrix.txt");
    struct mx_out r;
    ck_assert_int_eq(MX(&r, "matrix", "--rules"), 0);
    ck_assert_msg(strstr(doc, r.out) != NULL, "docs/fault-matrix.md does not hold `uvmsim matrix --rules` as printed");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--excluded"), 0);
    ck_assert_msg(strstr(doc, r.out) != NULL, "docs/fault-matrix.md does not hold `uvmsim matrix --excluded` as printed");
    mx_free(&r);
    ck_assert_msg(strstr(doc, tbl) != NULL, "docs/fault-matrix.md does not hold tests/matrix/fault-matrix.txt");
    free(doc);
    free(tbl);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(uvmsim_mx_dim_name(MX_BACKING), "backing");
    ck_assert_str_eq(uvmsim_mx_dim_name(MX_DESIGN), "design");
    ck_assert_str_eq(uvmsim_mx_dim_name(MX_PROT), "prot");
    ck_assert_str_eq(uvmsim_mx_dim_name(-1), "?");
    ck_assert_str_eq(uvmsim_mx_dim_name(MX_NDIMS), "?");
    ck_assert_int_eq(uvmsim_mx_dim_parse("wired"), MX_WIRED);
    ck_assert_int_eq(uvmsim_mx_dim_parse("colour"), -1);
    ck_assert_uint_eq(uvmsim_mx_nvalues(MX_BACKING), 11);
    ck_assert_uint_eq(uvmsim_mx_nvalues(MX_AMAP), 4);
    ck_assert_uint_eq(uvmsim_mx_nvalues(MX_PROT), 8);
    ck_assert_uint_eq(uvmsim_mx_nvalues(-1), 0);
    ck_assert_str_eq(uvmsim_mx_value_name(MX_UPPER, U_FORKED), "forked");
    ck_assert_str_eq(uvmsim_mx_value_name(MX_UPPER, 9), "?");
    ck_assert_str_eq(uvmsim_mx_value_name(MX_INJECT, INJ_ENOMEM), "enomem");
    ck_assert_int_eq(uvmsim_mx_value_parse(MX_ACCESS, "store"), A_STORE);
    ck_assert_int_eq(uvmsim_mx_value_parse(MX_PROT, "wx"), P_WX);
    ck_assert_int_eq(uvmsim_mx_value_parse(MX_ACCESS, "jump"), -1);
    ck_assert_int_eq(uvmsim_mx_value_parse(-1, "store"), -1);
    ck_assert_uint_eq(uvmsim_mx_prot_bits(P_WX), UVMSIM_PROT_WRITE | UVMSIM_PROT_EXEC);
    ck_assert_uint_eq(uvmsim_mx_prot_bits(99), UVMSIM_PROT_NONE);
    ck_assert_uint_eq(uvmsim_mx_maxprot_bits(MP_RX), UVMSIM_PROT_READ | UVMSIM_PROT_EXEC);
    ck_assert_uint_eq(uvmsim_mx_maxprot_bits(-1), UVMSIM_PROT_NONE);
    ck_assert_str_eq(uvmsim_mx_sharer_name(SH_GONE), "gone");
    ck_assert_str_eq(uvmsim_mx_sharer_name(7), "?");
    struct uvmsim_mx_outcome a = {.cls = UVMSIM_FAULT_ERROR, .err = UVMSIM_EACCES, .loc = UVMSIM_LOC_NONE};
    struct uvmsim_mx_outcome b = a;
    char buf[128];
    uvmsim_mx_outcome_str(&a, buf, sizeof(buf));
    ck_assert_str_eq(buf, "error:EACCES  p0 c0    io0 none ro n0w0 -");
    ck_assert(uvmsim_mx_outcome_eq(&a, &b));
    b.nbrw = 1;
    ck_assert(!uvmsim_mx_outcome_eq(&a, &b));
    b = a;
    b.broken = true;
    ck_assert(!uvmsim_mx_outcome_eq(&a, &b));
    uvmsim_mx_outcome_str(&b, buf, sizeof(buf));
    ck_assert_str_eq(buf, "error:EACCES  p0 c0    io0 none ro n0w0 - BROKEN");
    struct uvmsim_mx_outcome c = {.cls = UVMSIM_FAULT_LOWER_PROMOTE, .pages = 2, .copied = 4096, .io = 1,
                                  .loc = UVMSIM_LOC_RAM, .writable = true, .nbr = 3, .nbrw = 1, .sharer = SH_GONE};
    uvmsim_mx_outcome_str(&c, buf, sizeof(buf));
    ck_assert_str_eq(buf, "lower-promote p2 c4096 io1 ram  rw n3w1 gone");
    struct uvmsim_mx_case k = {.dim = {B_XIP_HOLE, D_FAULTOP, U_ANON1, AM_OWN, YN_YES, YN_YES, W_NO, MP_RX,
                                       ADV_SEQUENTIAL, INJ_EIO, A_LOAD, P_RX}};
    uvmsim_mx_case_str(&k, buf, sizeof(buf));
    ck_assert_str_eq(buf, "xip-hole faultop anon1 amap=own nc=yes res=yes wired=no maxprot=rx sequential inject=eio load rx");
    unsigned n;
    const struct uvmsim_mx_rule *rl = uvmsim_mx_rules(&n);
    ck_assert_uint_ge(n, 19);
    ck_assert_str_eq(rl[0].id, "R1");
    uvmsim_mx_rules_str((1ull << 0) | (1ull << 15), buf, sizeof(buf));
    ck_assert_str_eq(buf, "R1+R16");
    uvmsim_mx_rules_str(0, buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
}
END_TEST

/* ---- the table parser ---- */

struct tbl_err {
    const char *text;
    const char *want;
};

static const struct tbl_err tbl_errs[] = {
    {"backing=unmapped => pages=1 a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m\n",
     "t.txt:1: too many fields"},
    {"   : a reason alone\n", "t.txt:1: a ':' reason without an exclude line"},
    {"\nbacking=unmapped => pages=1 : why\n", "t.txt:2: ' : reason' only follows an exclude line"},
    {"exclude backing=foo : r\n", "t.txt:1: backing: expected one of anon-private, anon-shared, file-private-copy, file-shared-copy, file-private-xip, file-shared-xip, xip-hole, copy-hole, xip-hole-shared, sysv-shm, unmapped or *, got 'foo'"},
    {"exclude colour=red : r\n", "t.txt:1: unknown dimension 'colour' (one of backing, design, upper, amap, nc, res, wired, maxprot, advice, inject, access, prot)"},
    {"exclude backing : r\n", "t.txt:1: expected KEY=VALUE[,VALUE...], got 'backing'"},
    {"exclude prot= : r\n", "t.txt:1: expected KEY=VALUE[,VALUE...], got 'prot='"},
    {"exclude prot=r prot=w : r\n", "t.txt:1: prot is named twice"},
    {"exclude : r\n", "t.txt:1: exclude: expected at least one KEY=VALUE"},
    {"exclude prot=r\n", "t.txt:1: exclude: expected ' : ' and the reason the combination is left out"},
    {"exclude prot=r :   \n", "t.txt:1: exclude: expected ' : ' and the reason"},
    {"prot=r pages=1\n", "t.txt:1: expected 'exclude ...' or a row 'KEY=VALUE ... => FIELD=VALUE ...'"},
    {"prot=r =>\n", "t.txt:1: expected at least one FIELD=VALUE after '=>'"},
    {"prot=r => colour=1\n", "t.txt:1: unknown outcome field 'colour' (one of class, error, pages, copied, io, loc, writable, nbr, nbrw, sharer)"},
    {"prot=r => pages\n", "t.txt:1: expected FIELD=VALUE after '=>', got 'pages'"},
    {"prot=r => pages=1 pages=2\n", "t.txt:1: pages is given twice"},
    {"prot=r => class=big error=-\n", "t.txt:1: class: expected upper-direct, upper-promote, lower-direct, lower-promote, zero-fill or error, got 'big'"},
    {"prot=r => class=error error=EWHAT\n", "t.txt:1: error: expected - or an error name such as EACCES, got 'EWHAT'"},
    {"prot=r => class=error\n", "t.txt:1: class and error go together"},
    {"prot=r => class=error error=-\n", "t.txt:1: class=error goes with an error name, other classes with error=-"},
    {"prot=r => class=zero-fill error=EIO\n", "t.txt:1: class=error goes with an error name"},
    {"prot=r => pages=x\n", "t.txt:1: pages: expected a small number, got 'x'"},
    {"prot=r => pages=99\n", "t.txt:1: pages: expected a small number, got '99'"},
    {"prot=r => pages=-1\n", "t.txt:1: pages: expected a small number, got '-1'"},
    {"prot=r => copied=lots\n", "t.txt:1: copied: expected 0, page or a byte count, got 'lots'"},
    {"prot=r => io=x\n", "t.txt:1: io: expected a small number, got 'x'"},
    {"prot=r => loc=disk\n", "t.txt:1: loc: expected ram, nor, zero or none, got 'disk'"},
    {"prot=r => writable=maybe\n", "t.txt:1: writable: expected yes or no, got 'maybe'"},
    {"prot=r => nbr=9\n", "t.txt:1: nbr: expected a number of pages (0-8), got '9'"},
    {"prot=r => sharer=lost\n", "t.txt:1: sharer: expected -, kept or gone, got 'lost'"},
    {"backing=unmapped => pages=3\nbacking=unmapped => io=3\n",
     "t.txt:1: the case unmapped vnode none amap=none nc=yes res=yes wired=no maxprot=rwx normal inject=none fetch none matches two rows equally specific"},
    {"exclude backing=* : all\nprot=r => pages=1\n", "t.txt:2: this row gives no case its expectation"},
    {"exclude backing=* : all\nexclude backing=anon-private : again\n", "t.txt:2: this exclusion excludes nothing"},
};
#define NTBL (int)(sizeof(tbl_errs) / sizeof(tbl_errs[0]))

START_TEST(test_table_error)
{
    struct uvmsim_mx_table *t = (struct uvmsim_mx_table *)&t;
    char msg[512];
    ck_assert_int_eq(uvmsim_mx_table_parse("t.txt", tbl_errs[_i].text, strlen(tbl_errs[_i].text), &t, msg, sizeof(msg)), -1);
    ck_assert_ptr_null(t);
    CU_HAS(msg, tbl_errs[_i].want);
}
END_TEST

/* Everything left out but private anonymous memory, fresh, unwired, rwx, random advice,
 * nothing injected: 24 cases (3 accesses x 8 protections). */
#define ONLY_FRESH_ANON \
    "exclude backing=anon-shared,file-private-copy,file-shared-copy,file-private-xip,file-shared-xip,xip-hole,copy-hole,xip-hole-shared,sysv-shm,unmapped : t\n" \
    "exclude design=faultop : t\nexclude upper=anon1,forked : t\nexclude amap=own,cow,shared : t\nexclude nc=no : t\n" \
    "exclude res=yes : t\nexclude wired=yes : t\nexclude maxprot=rx,rw,r : t\nexclude advice=normal,sequential : t\n" \
    "exclude inject=eio,enomem : t\n"

/* Charging, row specificity and the rule that an exception must be one. */
START_TEST(test_table_rules)
{
    struct uvmsim_mx_table *t;
    char msg[512];
    const char *text = ONLY_FRESH_ANON
                       "access=store => pages=7   # the 8 stores: the rules give 1 (zero-fill) or 0 (EACCES)\n"
                       "access=store prot=rw => pages=5 copied=page\n";
    ck_assert_int_eq(uvmsim_mx_table_parse("t.txt", text, strlen(text), &t, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(t->ncases, 24);
    ck_assert_uint_eq(t->nexcluded, t->ncombinations - 24);
    ck_assert_uint_eq(t->nrows, 2);
    ck_assert_uint_eq(t->nexcl, 10);
    ck_assert_uint_eq(t->excl[0].count, 10ull * 2 * 3 * 4 * 2 * 2 * 2 * 4 * 3 * 3 * 3 * 8);
    unsigned differ = 0, overridden = 0;
    for (unsigned k = 0; k < t->ncases; k++) {
        const struct uvmsim_mx_case *c = &t->cases[k];
        uvmsim_prot_t prot = uvmsim_mx_prot_bits(c->dim[MX_PROT]);
        if (c->dim[MX_ACCESS] == A_STORE && c->dim[MX_PROT] == P_RW) {
            ck_assert_uint_eq(c->line, 12);
            ck_assert_uint_eq(c->expect.pages, 5);
            ck_assert_uint_eq(c->expect.copied, MX_PAGE);
            ck_assert_int_eq(c->expect.cls, UVMSIM_FAULT_ZERO_FILL);      /* from the rules */
        } else if (c->dim[MX_ACCESS] == A_STORE) {
            ck_assert_uint_eq(c->line, 11);
            ck_assert_uint_eq(c->expect.pages, 7);
            ck_assert_int_eq(c->expect.cls, prot & UVMSIM_PROT_WRITE ? UVMSIM_FAULT_ZERO_FILL : UVMSIM_FAULT_ERROR);
        } else {
            ck_assert_uint_eq(c->line, 0);
        }
        overridden += c->line != 0;
        /* run them: the overridden ones differ from what the simulator does */
        struct uvmsim_mx_outcome obs;
        char why[256];
        ck_assert_int_eq(uvmsim_mx_run_case(c, "generic", &obs, why, sizeof(why)), UVMSIM_OK);
        differ += !uvmsim_mx_outcome_eq(&c->expect, &obs);
    }
    ck_assert_uint_eq(overridden, 8);
    ck_assert_uint_eq(differ, 8);
    uvmsim_mx_table_free(t);
    uvmsim_mx_table_free(NULL);
    /* a row that says what the rules say is no exception */
    text = ONLY_FRESH_ANON "access=load prot=none => class=error error=EACCES\n";
    ck_assert_int_eq(uvmsim_mx_table_parse("t.txt", text, strlen(text), &t, msg, sizeof(msg)), -1);
    CU_HAS(msg, "t.txt:11: this row only restates the rules (an exception must differ from them)");
    /* `*` names a dimension (more specific than leaving it out) */
    text = ONLY_FRESH_ANON "access=load => pages=3\naccess=load prot=* => pages=4\n";
    ck_assert_int_eq(uvmsim_mx_table_parse("t.txt", text, strlen(text), &t, msg, sizeof(msg)), -1);
    CU_HAS(msg, "t.txt:11: this row gives no case its expectation");
}
END_TEST

/* A case whose state cannot be built (excluded in the real table) is caught by the
 * set-up verification instead of testing something else; a bad backend fails the set-up. */
START_TEST(test_setup_verified)
{
    struct uvmsim_mx_outcome obs;
    char why[256];
    struct uvmsim_mx_case c = {.dim = {B_FILE_SHARED_COPY, D_VNODE, U_ANON1, AM_OWN, YN_NO, YN_YES, W_NO, MP_RX,
                                       ADV_NORMAL, INJ_NONE, A_LOAD, P_R}};
    ck_assert_int_eq(uvmsim_mx_run_case(&c, "generic", &obs, why, sizeof(why)), UVMSIM_ESTATE);
    CU_HAS(why, "set-up did not build the case: the amap's references are not as the case says");
    c.dim[MX_BACKING] = B_ANON_SHARED;
    c.dim[MX_NC] = YN_YES;
    c.dim[MX_MAXPROT] = MP_RWX;
    ck_assert_int_eq(uvmsim_mx_run_case(&c, "generic", &obs, why, sizeof(why)), UVMSIM_ESTATE);
    CU_HAS(why, "set-up did not build the case: needs-copy is not as the case says");
    /* wiring with write promotes every page: a wired fresh private file mapping is not */
    struct uvmsim_mx_case w = {.dim = {B_FILE_PRIVATE_XIP, D_VNODE, U_NONE, AM_NONE, YN_YES, YN_YES, W_YES, MP_RWX,
                                       ADV_NORMAL, INJ_NONE, A_LOAD, P_R}};
    ck_assert_int_eq(uvmsim_mx_run_case(&w, "generic", &obs, why, sizeof(why)), UVMSIM_ESTATE);
    CU_HAS(why, "set-up did not build the case: needs-copy is not as the case says");
    c = *find_case("backing=file-private-copy res=no access=load prot=r");
    ck_assert_int_eq(uvmsim_mx_run_case(&c, "generic", &obs, why, sizeof(why)), UVMSIM_OK);
    ck_assert_uint_eq(obs.io, 1);
    ck_assert_int_ne(uvmsim_mx_run_case(&c, "nope", &obs, why, sizeof(why)), UVMSIM_OK);
    CU_HAS(why, "set-up: create the machine:");
}
END_TEST

/* ---- uvmsim matrix ---- */

START_TEST(test_cmd_text)
{
    struct mx_out r;
    ck_assert_int_eq(MX(&r, "matrix", "--backend", "generic", "--only", "backing=xip-hole", "--only", "design=faultop",
                        "--only", "upper=none", "--only", "amap=shared", "--only", "access=store", "--only", "prot=rwx",
                        "--only", "advice=normal", "--only", "inject=none"), 0);
    CU_HAS(r.out, "BACKEND  BACKING           DESIGN  UPPER  AMAP   NC  RES WIRED MAXP ADVICE     INJECT ACCESS PROT | EXPECTED");
    CU_HAS(r.out, "generic  xip-hole          faultop none   shared no  yes no    rwx  normal     none   store  rwx  | "
                  "lower-promote p1 c4096 io0 ram  rw n1w1 kept | lower-promote p1 c4096 io0 ram  rw n1w1 kept | ok\n");
    char want[160];
    snprintf(want, sizeof(want), "matrix: 1 run (%u cases, 1 backend), 1 as expected, 0 differ, 0 set-up failures; %llu combinations excluded",
             table->ncases, (unsigned long long)table->nexcluded);
    CU_HAS(r.out, want);
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--backend", "fass", "--only", "wired=yes", "--only", "backing=sysv-shm"), 0);
    CU_HAS(r.out, "matrix: 54 runs");     /* (4 + 2 protections) x 3 accesses x 3 advices */
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--excluded"), 0);
    CU_HAS(r.out, "         : the fault-op pager (Thomas's design) exists on XIP mounts only\n");
    snprintf(want, sizeof(want), "%llu combinations excluded, %u cases (of %llu combinations)\n",
             (unsigned long long)table->nexcluded, table->ncases, (unsigned long long)table->ncombinations);
    CU_HAS(r.out, want);
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--rules"), 0);
    CU_HAS(r.out, "R16  promoting into a shared amap removes every mapping of the object's page");
    CU_HAS(r.out, "     [uvm_fault_lower_promote: amap_flags(amap) & AMAP_SHARED -> pmap_page_protect(uobjpage, VM_PROT_NONE)]\n");
    CU_HAS(r.out, "M2   modelling choice");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--help"), 0);
    CU_HAS(r.out, "usage: uvmsim matrix");
    CU_HAS(r.out, "KEYs: backing design upper amap nc res wired\n                    maxprot advice inject access prot class");
    CU_HAS(r.out, "Exit status: 0 every case as expected, 1 a case differs");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--version"), 0);
    CU_HAS(r.out, "uvmsim matrix (uvmsim) ");
    mx_free(&r);
    /* no case left by the filters: said, and nothing to fail */
    ck_assert_int_eq(MX(&r, "matrix", "--only", "backing=anon-shared", "--only", "nc=yes"), 0);
    CU_HAS(r.err, "no case matches the --only filters");
    mx_free(&r);
}
END_TEST

START_TEST(test_cmd_json_csv)
{
    struct mx_out r;
    ck_assert_int_eq(MX(&r, "matrix", "--json", "--backend", "generic", "--only", "backing=file-shared-copy",
                        "--only", "prot=rw", "--only", "access=load", "--only", "res=no", "--only", "advice=random",
                        "--only", "wired=no"), 0);
    CU_HAS(r.out, "{\"backend\":\"generic\",\"backing\":\"file-shared-copy\",\"design\":\"vnode\",\"upper\":\"none\","
                  "\"amap\":\"none\",\"nc\":\"no\",\"res\":\"no\",\"wired\":\"no\",\"maxprot\":\"rx\",\"advice\":\"random\","
                  "\"inject\":\"none\",\"access\":\"load\",\"prot\":\"rw\",\"expected\":{\"class\":\"error\",\"error\":\"EACCES\","
                  "\"pages\":0,\"copied\":0,\"io\":0,\"loc\":\"none\",\"writable\":false,\"nbr\":0,\"nbrw\":0,\"sharer\":\"-\","
                  "\"invariants\":\"ok\"},\"observed\":{\"class\":\"error\",\"error\":\"EACCES\"");
    CU_HAS(r.out, "\"result\":\"ok\",\"rules\":\"\",\"table_line\":");   /* the row says it all */
    char want[200];
    snprintf(want, sizeof(want), "{\"summary\":true,\"cases\":%u,\"backends\":1,\"runs\":1,\"ok\":1,\"differ\":0,"
             "\"setup_failed\":0,\"excluded\":%llu}", table->ncases, (unsigned long long)table->nexcluded);
    CU_HAS(r.out, want);
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--csv", "--backend", "armv5", "--only", "backing=anon-private", "--only", "amap=none",
                        "--only", "maxprot=rwx", "--only", "advice=random", "--only", "wired=no", "--only", "access=store",
                        "--only", "prot=rw,r"), 0);
    CU_HAS(r.out, "backend,backing,design,upper,amap,nc,res,wired,maxprot,advice,inject,access,prot,exp_class,exp_error,"
                  "exp_pages,exp_copied,exp_io,exp_loc,exp_writable,exp_nbr,exp_nbrw,exp_sharer,exp_invariants,obs_class,"
                  "obs_error,obs_pages,obs_copied,obs_io,obs_loc,obs_writable,obs_nbr,obs_nbrw,obs_sharer,obs_invariants,"
                  "result,rules,table_line\n");
    CU_HAS(r.out, "armv5,anon-private,vnode,none,none,yes,no,no,rwx,random,none,store,rw,zero-fill,,1,0,0,ram,yes,0,0,-,ok,"
                  "zero-fill,,1,0,0,ram,yes,0,0,-,ok,ok,R4+R6+R11,0\n");
    CU_HAS(r.out, "armv5,anon-private,vnode,none,none,yes,no,no,rwx,random,none,store,r,error,EACCES,0,0,0,none,no,0,0,-,ok,"
                  "error,EACCES,0,0,0,none,no,0,0,-,ok,ok,R2,0\n");
    ck_assert_uint_eq(cu_count(r.out, "\n"), 3);
    mx_free(&r);
}
END_TEST

/* A table that states a wrong outcome: the row DIFFERS and the status is 1, in every
 * format. */
START_TEST(test_cmd_differs)
{
    FILE *f = fopen("cli-wrong.txt", "w");
    ck_assert_ptr_nonnull(f);
    fputs(ONLY_FRESH_ANON "access=store prot=rw => class=upper-direct error=- pages=0\n", f);
    fclose(f);
    struct mx_out r;
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-wrong.txt", "--backend", "generic", "--only", "access=store",
                        "--only", "prot=rw"), 1);
    CU_HAS(r.out, "| upper-direct  p0 c0    io0 ram  rw n0w0 -    | zero-fill     p1 c0    io0 ram  rw n0w0 -    "
                  "| DIFFERS (rules R4+R6+R11, table line 11)");
    CU_HAS(r.out, "0 as expected, 1 differ");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-wrong.txt", "--backend", "generic", "--json"), 1);
    CU_HAS(r.out, "\"result\":\"DIFFERS\",\"rules\":\"R4+R6+R11\",\"table_line\":11}");
    CU_HAS(r.out, "\"runs\":24,\"ok\":23,\"differ\":1,");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-wrong.txt", "--backend", "generic", "--csv"), 1);
    CU_HAS(r.out, ",DIFFERS,R4+R6+R11,11\n");
    mx_free(&r);
    unlink("cli-wrong.txt");
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-wrong.txt"), 2);
    CU_HAS(r.err, "uvmsim matrix: cli-wrong.txt: cannot read: No such file or directory");
    mx_free(&r);
    f = fopen("cli-bad.txt", "w");
    fputs("prot=r => nonsense\n", f);
    fclose(f);
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-bad.txt"), 2);
    CU_HAS(r.err, "cli-bad.txt:1: expected FIELD=VALUE after '=>', got 'nonsense'");
    mx_free(&r);
    unlink("cli-bad.txt");
}
END_TEST

START_TEST(test_cmd_usage_errors)
{
    struct mx_out r;
    ck_assert_int_eq(MX(&r, "matrix", "--frobnicate"), 2);
    CU_HAS(r.err, "uvmsim matrix: unknown argument '--frobnicate' (try uvmsim matrix --help)");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--backend"), 2);
    CU_HAS(r.err, "uvmsim matrix: --backend needs a value");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--backend", "nope"), 2);
    CU_HAS(r.err, "uvmsim matrix: --backend: no 'nope' (valid: generic armv5 fass)");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--json", "--csv"), 2);
    CU_HAS(r.err, "--json and --csv exclude each other");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--excluded", "--rules"), 2);
    CU_HAS(r.err, "--excluded and --rules exclude each other");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--only", "backing"), 2);
    CU_HAS(r.err, "--only: expected KEY=VALUE, got 'backing'");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--only", "colour=red"), 2);
    CU_HAS(r.err, "--only: unknown key 'colour' (valid: backing design upper amap nc res wired maxprot advice inject access prot class)");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--only", "design=fast"), 2);
    CU_HAS(r.err, "--only: 'fast' is not a value of design (valid: vnode faultop)");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--only", "wired=maybe"), 2);
    CU_HAS(r.err, "--only: 'maybe' is not a value of wired (valid: no yes)");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--only", "class=big"), 2);
    CU_HAS(r.err, "--only: 'big' is not a value of class (valid: upper-direct upper-promote lower-direct lower-promote zero-fill error)");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--only", "access="), 2);
    CU_HAS(r.err, "--only: expected at least one value for access");
    mx_free(&r);
    const char *many[40] = {"matrix"};
    int n = 1;
    for (int i = 0; i < 17; i++) {
        many[n++] = "--only";
        many[n++] = "access=load";
    }
    ck_assert_int_eq(mx_main(&r, n, many), 2);
    CU_HAS(r.err, "too many --only options");
    mx_free(&r);
    n = 1;
    for (int i = 0; i < 17; i++) {
        many[n++] = "--backend";
        many[n++] = "generic";
    }
    ck_assert_int_eq(mx_main(&r, n, many), 2);
    CU_HAS(r.err, "too many --backend options");
    mx_free(&r);
}
END_TEST

int main(void)
{
    char msg[512];
    if (uvmsim_mx_table_builtin(&table, msg, sizeof(msg)) != 0) {
        fprintf(stderr, "%s\n", msg);
        return EXIT_FAILURE;
    }
    backends = uvmsim_pmap_backends();
    while (backends[nbackends])
        nbackends++;
    Suite *s = suite_create("cli-matrix");
    TCase *tc = tcase_create("cases");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_cases, 0, (int)((nselected() + CHUNK - 1) / CHUNK));
    suite_add_tcase(s, tc);
    tc = tcase_create("rules");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_spot, 0, NSPOTS);
    tcase_add_test(tc, test_table_shape);
    tcase_add_test(tc, test_doc_in_step);
    tcase_add_test(tc, test_names);
    tcase_add_loop_test(tc, test_table_error, 0, NTBL);
    tcase_add_test(tc, test_table_rules);
    tcase_add_test(tc, test_setup_verified);
    suite_add_tcase(s, tc);
    tc = tcase_create("command");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_cmd_text);
    tcase_add_test(tc, test_cmd_json_csv);
    tcase_add_test(tc, test_cmd_differs);
    tcase_add_test(tc, test_cmd_usage_errors);
    suite_add_tcase(s, tc);
    cu_scratch_enter("cli_matrix");
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    cu_scratch_leave();
    uvmsim_mx_table_free(table);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
