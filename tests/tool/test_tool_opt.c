/* Check suite for src/tool/tool_opt.c, the command line every uvmsim program shares:
 * the number, size, choice and list rules (table-driven), and the option loop (long and
 * short forms, --name=value, missing values, unknown options, positionals, --help and
 * --version), each refusal with its message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tool_opt.h"
#include "vmtest.h"

/* Run fn with stderr captured into buf. */
struct capture {
    FILE *tmp;
    int saved;
};
static void cap_begin(struct capture *c)
{
    fflush(stderr);
    c->tmp = tmpfile();
    ck_assert_ptr_nonnull(c->tmp);
    c->saved = dup(2);
    dup2(fileno(c->tmp), 2);
}
static void cap_end(struct capture *c, char *buf, size_t len)
{
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    rewind(c->tmp);
    size_t n = fread(buf, 1, len - 1, c->tmp);
    buf[n] = '\0';
    fclose(c->tmp);
}

static const struct {
    const char *text;
    uint64_t min, max;
    bool ok;
    uint64_t value;
    const char *msg;   /* part of the message when refused */
} u64_cases[] = {
    {"5", 0, 10, true, 5, NULL},
    {"0", 0, 10, true, 0, NULL},
    {"0x10", 0, 100, true, 16, NULL},
    {"0XfF", 0, 1000, true, 255, NULL},
    {"18446744073709551615", 0, UINT64_MAX, true, UINT64_MAX, NULL},
    {"1x", 1, 64, false, 0, "prog: --procs: '1x' is not a number (a whole number from 1 to 64)"},
    {"1e9", 1, UINT64_MAX, false, 0, "'1e9' is not a number"},
    {"16G", 1, UINT64_MAX, false, 0, "'16G' is not a number"},
    {" 5", 0, 10, false, 0, "' 5' is not a number"},
    {"5 ", 0, 10, false, 0, "'5 ' is not a number"},
    {"-1", 0, 10, false, 0, "'-1' is not a number"},
    {"+5", 0, 10, false, 0, "'+5' is not a number"},
    {"", 0, 10, false, 0, "'' is not a number"},
    {"0x", 0, 10, false, 0, "'0x' is not a number"},
    {"18446744073709551616", 0, UINT64_MAX, false, 0, "is not a number"},
    {"0", 1, 64, false, 0, "prog: --procs: '0' is out of range (1 to 64)"},
    {"65", 1, 64, false, 0, "'65' is out of range (1 to 64)"},
};

START_TEST(test_numbers)
{
    for (size_t i = 0; i < sizeof(u64_cases) / sizeof(u64_cases[0]); i++) {
        uint64_t v = 12345;
        char err[512];
        struct capture c;
        cap_begin(&c);
        bool ok = tool_parse_u64("prog", "--procs", u64_cases[i].text, u64_cases[i].min, u64_cases[i].max, &v);
        cap_end(&c, err, sizeof(err));
        ck_assert_msg(ok == u64_cases[i].ok, "'%s': ok %d", u64_cases[i].text, ok);
        if (ok) {
            ck_assert_uint_eq(v, u64_cases[i].value);
            ck_assert_str_eq(err, "");
        } else {
            ck_assert_uint_eq(v, 12345);   /* untouched */
            ck_assert_msg(strstr(err, u64_cases[i].msg) != NULL, "'%s': message '%s'", u64_cases[i].text, err);
        }
    }
}
END_TEST

static const struct {
    const char *text;
    bool ok;
    uint64_t value;
} size_cases[] = {
    {"4096", true, 4096}, {"4K", true, 4096}, {"4k", true, 4096}, {"4KiB", true, 4096},
    {"4KB", true, 4096}, {"16M", true, 16u << 20}, {"16G", true, 16ull << 30}, {"1T", true, 1ull << 40},
    {"512B", true, 512}, {"0x1000", true, 4096},
    {"4Ki", false, 0}, {"4 K", false, 0}, {"3x", false, 0}, {"16E", false, 0}, {"K", false, 0},
    {"-4K", false, 0}, {"17179869184G", false, 0}, {"1.5M", false, 0},
};

START_TEST(test_sizes)
{
    for (size_t i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
        uint64_t v = 7;
        char err[512];
        struct capture c;
        cap_begin(&c);
        bool ok = tool_parse_size("prog", "--ram", size_cases[i].text, 1, UINT64_MAX, &v);
        cap_end(&c, err, sizeof(err));
        ck_assert_msg(ok == size_cases[i].ok, "'%s': ok %d (%s)", size_cases[i].text, ok, err);
        if (ok)
            ck_assert_uint_eq(v, size_cases[i].value);
        else
            ck_assert_msg(strstr(err, "prog: --ram: '") != NULL, "'%s': %s", size_cases[i].text, err);
    }
    char err[256];
    struct capture c;
    uint64_t v;
    cap_begin(&c);
    ck_assert(!tool_parse_size("prog", "--ram", "2G", 4096, 1ull << 30, &v));
    cap_end(&c, err, sizeof(err));
    ck_assert_str_eq(err, "prog: --ram: '2G' is out of range (4096 to 1073741824)\n");
}
END_TEST

START_TEST(test_choices_and_lists)
{
    static const char *const backends[] = {"generic", "armv5", "fass", NULL};
    char err[256];
    struct capture c;
    ck_assert_int_eq(tool_parse_choice("p", "--pmap", "fass", backends), 2);
    cap_begin(&c);
    ck_assert_int_eq(tool_parse_choice("p", "--pmap", "x86", backends), -1);
    cap_end(&c, err, sizeof(err));
    ck_assert_str_eq(err, "p: --pmap: no 'x86' (valid: generic armv5 fass)\n");

    uint64_t v[4];
    unsigned n;
    ck_assert(tool_parse_u64_list("p", "--procs", "2,8,15", 1, 64, v, 4, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(v[0], 2);
    ck_assert_uint_eq(v[2], 15);
    static const char *const bad[] = {"", "2,", ",2", "2,,3", "1,x", "1,2,3,4,5", "0", "2,65"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cap_begin(&c);
        bool ok = tool_parse_u64_list("p", "--procs", bad[i], 1, 64, v, 4, &n);
        cap_end(&c, err, sizeof(err));
        ck_assert_msg(!ok && strncmp(err, "p: --procs: ", 12) == 0, "'%s': %s", bad[i], err);
    }
}
END_TEST

static void no_usage(FILE *f) { fputs("usage: t\n", f); }

struct parsed {
    bool json;
    unsigned procs;
    uint64_t ram;
    const char *out;
    int pmap;
    bool procs_seen;
    const char *pos[2];
    unsigned npos;
    const char *progs_v[2];
    struct tool_strs progs;
    char err[512];
};

static int run_parse(struct parsed *p, int argc, char **argv)
{
    static const char *const backends[] = {"generic", "armv5", "fass", NULL};
    memset(p, 0, sizeof(*p));
    p->procs = 4;
    p->pmap = -1;
    p->progs.items = p->progs_v;
    p->progs.cap = 2;
    const struct tool_opt opts[] = {
        {"json", 0, TOOL_FLAG, &p->json, 0, 0, NULL, NULL},
        {"procs", 'n', TOOL_UINT, &p->procs, 1, 64, NULL, &p->procs_seen},
        {"ram", 0, TOOL_SIZE, &p->ram, 4096, 1ull << 40, NULL, NULL},
        {"output", 'o', TOOL_STR, &p->out, 0, 0, NULL, NULL},
        {"pmap", 0, TOOL_CHOICE, &p->pmap, 0, 0, backends, NULL},
        {"program", 0, TOOL_STRS, &p->progs, 0, 0, NULL, NULL},
    };
    const struct tool_cmd cmd = {"t", no_usage, opts, 6, p->pos, 1, 2, "SCENARIO"};
    struct capture c;
    cap_begin(&c);
    int rc = tool_parse(&cmd, argc, argv, &p->npos);
    cap_end(&c, p->err, sizeof(p->err));
    return rc;
}

START_TEST(test_option_loop)
{
    struct parsed p;
    char *a1[] = {"t", "--json", "--procs", "8", "--ram=16M", "-o", "x.out", "--pmap", "fass", "s.scn", NULL};
    ck_assert_int_eq(run_parse(&p, 10, a1), TOOL_PARSE_OK);
    ck_assert(p.json);
    ck_assert_uint_eq(p.procs, 8);
    ck_assert(p.procs_seen);
    ck_assert_uint_eq(p.ram, 16u << 20);
    ck_assert_str_eq(p.out, "x.out");
    ck_assert_int_eq(p.pmap, 2);
    ck_assert_uint_eq(p.npos, 1);
    ck_assert_str_eq(p.pos[0], "s.scn");

    char *a2[] = {"t", "-n", "2", "-", "--", "--json", NULL};   /* "-" and after "--" are positionals */
    ck_assert_int_eq(run_parse(&p, 6, a2), TOOL_PARSE_OK);
    ck_assert(!p.json);
    ck_assert_uint_eq(p.npos, 2);
    ck_assert_str_eq(p.pos[0], "-");
    ck_assert_str_eq(p.pos[1], "--json");
    ck_assert_uint_eq(p.procs, 2);
    ck_assert_uint_eq(p.progs.n, 0);

    /* a repeatable option keeps every value, in order; a plain one keeps the last */
    char *a3[] = {"t", "--program", "/bin/ls", "-o", "a", "--program=/bin/sh", "-o", "b", "s", NULL};
    ck_assert_int_eq(run_parse(&p, 9, a3), TOOL_PARSE_OK);
    ck_assert_uint_eq(p.progs.n, 2);
    ck_assert_str_eq(p.progs.items[0], "/bin/ls");
    ck_assert_str_eq(p.progs.items[1], "/bin/sh");
    ck_assert_str_eq(p.out, "b");

    static const struct {
        char *argv[5];
        const char *msg;
    } bad[] = {
        {{"t", "--procs", "1x", "s", NULL}, "t: --procs: '1x' is not a number"},
        {{"t", "--procs=16G", "s", NULL}, "t: --procs: '16G' is not a number"},
        {{"t", "--procs", NULL}, "t: --procs needs a value"},
        {{"t", "--json=yes", "s", NULL}, "t: --json takes no value (got 'yes')"},
        {{"t", "--frob", "s", NULL}, "t: unknown option '--frob'"},
        {{"t", "-x", "s", NULL}, "t: unknown option '-x'"},
        {{"t", "--pmap", "x86", "s", NULL}, "t: --pmap: no 'x86' (valid: generic armv5 fass)"},
        {{"t", "--ram", "1K", "s", NULL}, "t: --ram: '1K' is out of range (4096 to 1099511627776)"},
        {{"t", NULL}, "t: missing argument (arguments: SCENARIO)"},
        {{"t", "a", "b", "c", NULL}, "t: unexpected argument 'c' (arguments: SCENARIO)"},
        {{"t", "--jso", "s", NULL}, "t: unknown option '--jso'"},
        {{"t", "--program", "a", "--program", NULL}, "t: --program needs a value"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int argc = 0;
        while (bad[i].argv[argc])
            argc++;
        ck_assert_int_eq(run_parse(&p, argc, (char **)bad[i].argv), TOOL_EXIT_USAGE);
        ck_assert_msg(strstr(p.err, bad[i].msg) != NULL, "case %zu: '%s'", i, p.err);
        ck_assert_msg(strstr(p.err, "t: try t --help\n") != NULL, "case %zu: '%s'", i, p.err);
    }
    char *a4[] = {"t", "--program", "a", "--program", "b", "--program", "c", "s", NULL};
    ck_assert_int_eq(run_parse(&p, 8, a4), TOOL_EXIT_USAGE);
    ck_assert_msg(strstr(p.err, "t: --program: given more than 2 times\n") != NULL, "'%s'", p.err);
}
END_TEST

START_TEST(test_help_and_version)
{
    struct parsed p;
    char *h[] = {"t", "--procs", "3", "--help", NULL};
    char *v[] = {"t", "--version", NULL};
    fflush(stdout);
    int saved = dup(1);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), 1);
    ck_assert_int_eq(run_parse(&p, 4, h), TOOL_PARSE_DONE);
    ck_assert_int_eq(run_parse(&p, 2, v), TOOL_PARSE_DONE);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    char out[256] = {0};
    ck_assert_uint_gt(fread(out, 1, sizeof(out) - 1, tmp), 0);
    fclose(tmp);
    char want[128];
    snprintf(want, sizeof(want), "usage: t\nt (uvmsim) %s\n", uvmsim_version());
    ck_assert_str_eq(out, want);
    ck_assert_str_eq(uvmsim_version(), UVMSIM_TEST_VERSION);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_opt");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_choices_and_lists);
    tcase_add_test(tc, test_option_loop);
    tcase_add_test(tc, test_help_and_version);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
