/* Check suite for the fault-handler test matrix (src/cli/mx.c with the hand-written
 * table tests/matrix/fault-matrix.txt): every case of the table is one test per pmap
 * backend, comparing the observed outcome with the row; plus the table parser's rules
 * and error messages, the set-up verification, and the `uvmsim matrix` subcommand. */
#include "cli_util.h"
#include <unistd.h>
#include "mx.h"

static struct uvmsim_mx_table *table;
static const char *const *backends;
static unsigned nbackends;

/* ---- every case on every backend ---- */

START_TEST(test_case)
{
    const struct uvmsim_mx_case *c = &table->cases[(unsigned)_i % table->ncases];
    const char *be = backends[(unsigned)_i / table->ncases];
    struct uvmsim_mx_outcome obs;
    char why[256], cs[128], es[64], os[64];
    uvmsim_mx_case_str(c, cs, sizeof(cs));
    int rc = uvmsim_mx_run_case(c, be, &obs, why, sizeof(why));
    ck_assert_msg(rc == UVMSIM_OK, "%s on %s: %s", cs, be, why);
    uvmsim_mx_outcome_str(&c->expect, es, sizeof(es));
    uvmsim_mx_outcome_str(&obs, os, sizeof(os));
    ck_assert_msg(uvmsim_mx_outcome_eq(&c->expect, &obs), "%s on %s (table line %u): expected %s, observed %s", cs, be,
                  c->line, es, os);
}
END_TEST

/* The built-in table: its size follows from the dimensions and the exclusions (counted
 * by hand: 40 reachable states x 12 access/protection pairs). */
START_TEST(test_table_shape)
{
    ck_assert_uint_eq(table->ncases, 480);
    ck_assert_uint_eq(table->ncases + table->nexcluded, 8 * 3 * 2 * 2 * 3 * 4);
    ck_assert_uint_eq(table->nexcl, 16);
    unsigned sum = 0;
    for (unsigned i = 0; i < table->nexcl; i++) {
        ck_assert_uint_gt(table->excl[i].count, 0);
        ck_assert_uint_gt(strlen(table->excl[i].reason), 20);
        sum += table->excl[i].count;
    }
    ck_assert_uint_eq(sum, table->nexcluded);
    /* every backing appears; each case's row line is a real line */
    unsigned seen[8] = {0};
    for (unsigned k = 0; k < table->ncases; k++) {
        seen[table->cases[k].dim[MX_BACKING]]++;
        ck_assert_uint_gt(table->cases[k].line, 30);
    }
    for (int b = 0; b < 8; b++)
        ck_assert_uint_gt(seen[b], 0);
    /* a hand-picked case: a store to a private XIP file promotes from NOR */
    bool found = false;
    for (unsigned k = 0; k < table->ncases; k++) {
        const struct uvmsim_mx_case *c = &table->cases[k];
        if (c->dim[MX_BACKING] == uvmsim_mx_value_parse(MX_BACKING, "file-private-xip") &&
            c->dim[MX_UPPER] == 0 && c->dim[MX_NC] == 0 && c->dim[MX_ACCESS] == 2 && c->dim[MX_PROT] == 2) {
            ck_assert_int_eq(c->expect.cls, UVMSIM_FAULT_LOWER_PROMOTE);
            ck_assert_uint_eq(c->expect.pages, 1);
            ck_assert_uint_eq(c->expect.copied, MX_PAGE);
            ck_assert_int_eq(c->expect.loc, UVMSIM_LOC_RAM);
            ck_assert(c->expect.writable);
            found = true;
        }
    }
    ck_assert(found);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(uvmsim_mx_dim_name(MX_BACKING), "backing");
    ck_assert_str_eq(uvmsim_mx_dim_name(MX_PROT), "prot");
    ck_assert_str_eq(uvmsim_mx_dim_name(-1), "?");
    ck_assert_str_eq(uvmsim_mx_dim_name(MX_NDIMS), "?");
    ck_assert_int_eq(uvmsim_mx_dim_parse("res"), MX_RES);
    ck_assert_int_eq(uvmsim_mx_dim_parse("colour"), -1);
    ck_assert_uint_eq(uvmsim_mx_nvalues(MX_BACKING), 8);
    ck_assert_uint_eq(uvmsim_mx_nvalues(MX_UPPER), 3);
    ck_assert_uint_eq(uvmsim_mx_nvalues(MX_PROT), 4);
    ck_assert_uint_eq(uvmsim_mx_nvalues(-1), 0);
    ck_assert_str_eq(uvmsim_mx_value_name(MX_UPPER, 2), "forked");
    ck_assert_str_eq(uvmsim_mx_value_name(MX_UPPER, MX_ANY), "*");
    ck_assert_str_eq(uvmsim_mx_value_name(MX_UPPER, 9), "?");
    ck_assert_int_eq(uvmsim_mx_value_parse(MX_ACCESS, "store"), 2);
    ck_assert_int_eq(uvmsim_mx_value_parse(MX_ACCESS, "jump"), -1);
    ck_assert_int_eq(uvmsim_mx_value_parse(-1, "store"), -1);
    struct uvmsim_mx_outcome a = {.cls = UVMSIM_FAULT_ERROR, .err = UVMSIM_EACCES, .loc = UVMSIM_LOC_NONE};
    struct uvmsim_mx_outcome b = a;
    char buf[64];
    uvmsim_mx_outcome_str(&a, buf, sizeof(buf));
    ck_assert_str_eq(buf, "error:EACCES  p0 c0    io0 none ro");
    ck_assert(uvmsim_mx_outcome_eq(&a, &b));
    b.writable = true;
    ck_assert(!uvmsim_mx_outcome_eq(&a, &b));
    struct uvmsim_mx_outcome c = {.cls = UVMSIM_FAULT_LOWER_PROMOTE, .pages = 2, .copied = 4096, .io = 1,
                                  .loc = UVMSIM_LOC_RAM, .writable = true};
    uvmsim_mx_outcome_str(&c, buf, sizeof(buf));
    ck_assert_str_eq(buf, "lower-promote p2 c4096 io1 ram  rw");
    struct uvmsim_mx_case k = {.dim = {6, 1, 0, 0, 1, 3}};
    uvmsim_mx_case_str(&k, buf, sizeof(buf));
    ck_assert_str_eq(buf, "xip-hole anon1 nc=yes res=yes load rx");
}
END_TEST

/* ---- the table parser ---- */

struct tbl_err {
    const char *text;
    const char *want;
};

#define ROW_OK "=> zero-fill - 1 0 0 ram no"
static const struct tbl_err tbl_errs[] = {
    {"* * * * * * => a b c d e f g h i j k l m n o p q r s t u v w x y z\n", "t.txt:1: too many fields"},
    {"   : a reason alone\n", "t.txt:1: a ':' reason without an exclude line"},
    {"\n* * * * load r " ROW_OK " : why\n", "t.txt:2: ' : reason' only follows an exclude line"},
    {"exclude foo * * * * * : r\n", "t.txt:1: backing: expected one of anon-private, anon-shared, file-private-copy, file-shared-copy, file-private-xip, file-shared-xip, xip-hole, copy-hole or *, got 'foo'"},
    {"exclude * * * * * * extra : r\n", "t.txt:1: exclude: expected 6 dimensions, then ' : ' and the reason"},
    {"exclude * * : r\n", "t.txt:1: expected 6 dimensions (backing upper nc res access prot)"},
    {"exclude * * * * * *\n", "t.txt:1: exclude: expected ' : ' and the reason the combination cannot arise"},
    {"exclude * * * * * * :   \n", "t.txt:1: exclude: expected ' : ' and the reason"},
    {"* * * * load r zero-fill - 1 0 0 ram no\n", "t.txt:1: expected '=>' after the 6 dimensions"},
    {"* * * * load r\n", "t.txt:1: expected '=>' after the 6 dimensions"},
    {"* * * * jump r " ROW_OK "\n", "t.txt:1: access: expected one of fetch, load, store or *, got 'jump'"},
    {"* * * * load r => zero-fill - 1\n", "t.txt:1: expected 7 outcome fields after '=>' (class error pages copied io loc writable), copied is missing"},
    {"* * * * load r " ROW_OK " x\n", "t.txt:1: unexpected 'x' after the writable field"},
    {"* * * * load r => big - 1 0 0 ram no\n", "t.txt:1: class: expected upper-direct, upper-promote, lower-direct, lower-promote, zero-fill or error, got 'big'"},
    {"* * * * load r => error EWHAT 0 0 0 none no\n", "t.txt:1: error: expected - or an error name such as EACCES, got 'EWHAT'"},
    {"* * * * load r => error - 0 0 0 none no\n", "t.txt:1: class error goes with an error name, other classes with '-'"},
    {"* * * * load r => zero-fill EACCES 0 0 0 none no\n", "t.txt:1: class error goes with an error name"},
    {"* * * * load r => zero-fill - x 0 0 ram no\n", "t.txt:1: pages: expected a small number, got 'x'"},
    {"* * * * load r => zero-fill - 99 0 0 ram no\n", "t.txt:1: pages: expected a small number, got '99'"},
    {"* * * * load r => zero-fill - 1 lots 0 ram no\n", "t.txt:1: copied: expected 0, page or a byte count, got 'lots'"},
    {"* * * * load r => zero-fill - 1 0 x ram no\n", "t.txt:1: io: expected a small number, got 'x'"},
    {"* * * * load r => zero-fill - 1 0 0 disk no\n", "t.txt:1: loc: expected ram, nor, zero or none, got 'disk'"},
    {"* * * * load r => zero-fill - 1 0 0 ram maybe\n", "t.txt:1: writable: expected yes or no, got 'maybe'"},
    {"anon-private none yes no load r " ROW_OK "\n", "t.txt:0: no row and no exclusion for the case anon-private none nc=yes res=yes fetch none"},
    {"* * * * * * " ROW_OK "\n* * * * * * " ROW_OK "\n", "t.txt:1: the case anon-private none nc=yes res=yes fetch none matches two rows equally specific"},
    {"exclude * * * * * * : all\n* * * * load r " ROW_OK "\n", "t.txt:2: this row gives no case its expectation"},
    {"exclude * * * * * * : all\nexclude anon-private * * * * * : again\n", "t.txt:2: this exclusion excludes nothing"},
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

/* Specificity: a row with fewer wildcards wins; exclusions come first; comments and
 * "page" as a byte count. */
START_TEST(test_table_rules)
{
    const char *text =
        "# everything is excluded but anon-private none nc=yes res=no\n"
        "exclude anon-shared * * * * * : a\nexclude file-private-copy * * * * * : a\nexclude file-shared-copy * * * * * : a\n"
        "exclude file-private-xip * * * * * : a\nexclude file-shared-xip * * * * * : a\nexclude xip-hole * * * * * : a\n"
        "exclude copy-hole * * * * * : a\nexclude anon-private anon1 * * * * : a\nexclude anon-private forked * * * * : a\n"
        "exclude anon-private none no * * * : a\nexclude anon-private none yes yes * * : a\n"
        "* * * * * * => error EACCES 0 0 0 none no   # the general rule\n"
        "anon-private * * * store rw => zero-fill - 1 page 0 ram yes\n";
    struct uvmsim_mx_table *t;
    char msg[512];
    ck_assert_int_eq(uvmsim_mx_table_parse("t.txt", text, strlen(text), &t, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(t->ncases, 12);
    ck_assert_uint_eq(t->nexcluded, 8 * 3 * 2 * 2 * 3 * 4 - 12);
    unsigned zero = 0;
    for (unsigned k = 0; k < t->ncases; k++) {
        if (t->cases[k].expect.cls == UVMSIM_FAULT_ZERO_FILL) {
            zero++;
            ck_assert_uint_eq(t->cases[k].expect.copied, MX_PAGE);
            ck_assert_uint_eq(t->cases[k].line, 14);
        } else {
            ck_assert_uint_eq(t->cases[k].line, 13);
        }
    }
    ck_assert_uint_eq(zero, 1);
    /* run this little table's cases: the general rule is wrong for the allowed
     * accesses, and the runner says so */
    unsigned differ = 0;
    for (unsigned k = 0; k < t->ncases; k++) {
        struct uvmsim_mx_outcome obs;
        char why[256];
        ck_assert_int_eq(uvmsim_mx_run_case(&t->cases[k], "generic", &obs, why, sizeof(why)), UVMSIM_OK);
        differ += !uvmsim_mx_outcome_eq(&t->cases[k].expect, &obs);
    }
    ck_assert_uint_eq(differ, 5);   /* store rw (copied is 0, not a page) + the 4 allowed reads */
    uvmsim_mx_table_free(t);
    uvmsim_mx_table_free(NULL);
}
END_TEST

/* A case whose state cannot be built (it is excluded in the real table) is caught by
 * the set-up verification instead of testing something else; a bad backend fails the
 * set-up. */
START_TEST(test_setup_verified)
{
    struct uvmsim_mx_outcome obs;
    char why[256];
    struct uvmsim_mx_case c = {.dim = {3, 1, 1, 0, 1, 1}};   /* file-shared-copy anon1 nc=no res=yes load r */
    ck_assert_int_eq(uvmsim_mx_run_case(&c, "generic", &obs, why, sizeof(why)), UVMSIM_ESTATE);
    CU_HAS(why, "set-up did not build the case: the target page has no anon with one reference");
    c = (struct uvmsim_mx_case){.dim = {1, 0, 1, 0, 1, 2}};  /* anon-shared none res=yes: no object */
    ck_assert_int_eq(uvmsim_mx_run_case(&c, "generic", &obs, why, sizeof(why)), UVMSIM_ESTATE);
    CU_HAS(why, "no object below the amap, so no lower page can be resident");
    c = (struct uvmsim_mx_case){.dim = {1, 0, 0, 0, 1, 2}};  /* anon-shared none nc=yes */
    ck_assert_int_eq(uvmsim_mx_run_case(&c, "generic", &obs, why, sizeof(why)), UVMSIM_ESTATE);
    CU_HAS(why, "needs-copy is not as the case says");
    c = (struct uvmsim_mx_case){.dim = {2, 1, 1, 1, 1, 2}};  /* file-private-copy anon1 res=no: the promote made it resident */
    ck_assert_int_eq(uvmsim_mx_run_case(&c, "generic", &obs, why, sizeof(why)), UVMSIM_OK);
    c = (struct uvmsim_mx_case){.dim = {3, 0, 1, 0, 1, 1}};  /* file-shared-copy none res=yes load r */
    ck_assert_int_eq(uvmsim_mx_run_case(&c, "generic", &obs, why, sizeof(why)), UVMSIM_OK);
    ck_assert_uint_eq(obs.pages, 0);
    c = (struct uvmsim_mx_case){.dim = {0, 0, 0, 1, 1, 2}};
    ck_assert_int_ne(uvmsim_mx_run_case(&c, "nope", &obs, why, sizeof(why)), UVMSIM_OK);
    CU_HAS(why, "set-up: create the machine:");
}
END_TEST

/* ---- uvmsim matrix ---- */

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

START_TEST(test_cmd_text)
{
    struct mx_out r;
    ck_assert_int_eq(MX(&r, "matrix", "--only", "backing=xip-hole", "--only", "upper=none", "--only", "access=store,load",
                        "--only", "prot=rw", "--backend", "generic"), 0);
    CU_HAS(r.out, "BACKEND  BACKING           UPPER  NC  RES ACCESS PROT | EXPECTED");
    CU_HAS(r.out, "generic  xip-hole          none   yes yes store  rw   | lower-promote p1 c4096 io0 ram  rw | lower-promote p1 c4096 io0 ram  rw | ok");
    CU_HAS(r.out, "generic  xip-hole          none   no  yes load   rw   | lower-direct  p0 c0    io0 zero ro | lower-direct  p0 c0    io0 zero ro | ok");
    CU_HAS(r.out, "matrix: 4 runs (480 cases in the table, 1 backend), 4 as expected, 0 differ, 0 set-up failures; 672 combinations excluded");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--only", "class=upper-promote"), 0);
    char want[128];
    snprintf(want, sizeof(want), "matrix: %u runs", 10 * nbackends);   /* 5 private backings x 2 forked states */
    CU_HAS(r.out, want);
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--excluded"), 0);
    CU_HAS(r.out, "anon-shared       *      no  yes *     *      36 combinations: shared anonymous memory is a shared amap with no object below it");
    CU_HAS(r.out, "672 combinations excluded, 480 cases");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--help"), 0);
    CU_HAS(r.out, "usage: uvmsim matrix");
    CU_HAS(r.out, "Exit status: 0 every case as expected, 1 a case differs");
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
                        "--only", "prot=rw", "--only", "access=load", "--only", "res=no"), 0);
    CU_HAS(r.out, "{\"backend\":\"generic\",\"backing\":\"file-shared-copy\",\"upper\":\"none\",\"nc\":\"no\",\"res\":\"no\","
                  "\"access\":\"load\",\"prot\":\"rw\",\"expected\":{\"class\":\"error\",\"error\":\"EACCES\",\"pages\":0,"
                  "\"copied\":0,\"io\":0,\"loc\":\"none\",\"writable\":false},\"observed\":{\"class\":\"error\",\"error\":\"EACCES\"");
    CU_HAS(r.out, "\"result\":\"ok\",\"table_line\":");
    CU_HAS(r.out, "{\"summary\":true,\"cases\":480,\"backends\":1,\"runs\":1,\"ok\":1,\"differ\":0,\"setup_failed\":0,\"excluded\":672}");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--csv", "--backend", "generic", "--only", "backing=anon-private", "--only", "upper=none",
                        "--only", "nc=yes", "--only", "access=store", "--only", "prot=rw,r"), 0);
    CU_HAS(r.out, "backend,backing,upper,nc,res,access,prot,exp_class,exp_error,exp_pages,exp_copied,exp_io,exp_loc,exp_writable,"
                  "obs_class,obs_error,obs_pages,obs_copied,obs_io,obs_loc,obs_writable,result,table_line\n");
    CU_HAS(r.out, "generic,anon-private,none,yes,no,store,rw,zero-fill,,1,0,0,ram,yes,zero-fill,,1,0,0,ram,yes,ok,");
    CU_HAS(r.out, "generic,anon-private,none,yes,no,store,r,error,EACCES,0,0,0,none,no,error,EACCES,0,0,0,none,no,ok,");
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
    fputs("exclude anon-shared * * * * * : a\nexclude file-private-copy * * * * * : a\nexclude file-shared-copy * * * * * : a\n"
          "exclude file-private-xip * * * * * : a\nexclude file-shared-xip * * * * * : a\nexclude xip-hole * * * * * : a\n"
          "exclude copy-hole * * * * * : a\nexclude anon-private anon1 * * * * : a\nexclude anon-private forked * * * * : a\n"
          "exclude anon-private none no * * * : a\nexclude anon-private none yes yes * * : a\n"
          "exclude anon-private none yes no fetch * : a\nexclude anon-private none yes no load * : a\n"
          "exclude anon-private none yes no store none : a\nexclude anon-private none yes no store r : a\n"
          "exclude anon-private none yes no store rx : a\n"
          "anon-private none yes no store rw => upper-direct - 0 0 0 ram yes\n", f);
    fclose(f);
    struct mx_out r;
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-wrong.txt", "--backend", "generic"), 1);
    CU_HAS(r.out, "| upper-direct  p0 c0    io0 ram  rw | zero-fill     p1 c0    io0 ram  rw | DIFFERS (table line 17)");
    CU_HAS(r.out, "0 as expected, 1 differ");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-wrong.txt", "--backend", "generic", "--json"), 1);
    CU_HAS(r.out, "\"result\":\"DIFFERS\",\"table_line\":17}");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-wrong.txt", "--backend", "generic", "--csv"), 1);
    CU_HAS(r.out, ",DIFFERS,17\n");
    mx_free(&r);
    unlink("cli-wrong.txt");
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-wrong.txt"), 2);
    CU_HAS(r.err, "uvmsim matrix: cli-wrong.txt: cannot read: No such file or directory");
    mx_free(&r);
    f = fopen("cli-bad.txt", "w");
    fputs("* * * * load r => nonsense\n", f);
    fclose(f);
    ck_assert_int_eq(MX(&r, "matrix", "--table", "cli-bad.txt"), 2);
    CU_HAS(r.err, "cli-bad.txt:1: expected 7 outcome fields");
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
    ck_assert_int_eq(MX(&r, "matrix", "--only", "backing"), 2);
    CU_HAS(r.err, "--only: expected KEY=VALUE, got 'backing'");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--only", "colour=red"), 2);
    CU_HAS(r.err, "--only: unknown key 'colour' (valid: backing upper nc res access prot class)");
    mx_free(&r);
    ck_assert_int_eq(MX(&r, "matrix", "--only", "access=jump"), 2);
    CU_HAS(r.err, "--only: 'jump' is not a value of access (valid: fetch load store)");
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
    tcase_add_loop_test(tc, test_case, 0, (int)(table->ncases * nbackends));
    suite_add_tcase(s, tc);
    tc = tcase_create("table");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_table_shape);
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
