/* Helpers shared by the tests/cli suites: parse and run a scenario held in a string or
 * a file with the output and messages captured in memory.  Header-only (static
 * functions): every suite is its own executable. */
#ifndef UVMSIM_TESTS_CLI_UTIL_H
#define UVMSIM_TESTS_CLI_UTIL_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define CU_UNUSED __attribute__((unused))

struct cu_run {
    int status;               /* UVMSIM_SCN_* of parse (when it failed) or run */
    char *out, *err;          /* captured text, never NULL after cu_run_*() */
    size_t outlen, errlen;
};

/* Parse `text` as "t.scn" (base_dir for relative image paths, may be NULL) and, when it
 * parses, run it with the given options (out/err are replaced by captures). */
CU_UNUSED static int cu_run_opts(const char *text, const char *base_dir, uvmsim_scn_opts *o, struct cu_run *r)
{
    memset(r, 0, sizeof(*r));
    uvmsim_scn *s = NULL;
    char msg[2048];
    r->status = uvmsim_scn_parse("t.scn", text, strlen(text), base_dir, &s, msg, sizeof(msg));
    if (r->status != UVMSIM_SCN_OK) {
        ck_assert_ptr_null(s);
        r->out = strdup("");
        r->err = strdup(msg);
        return r->status;
    }
    FILE *out = open_memstream(&r->out, &r->outlen);
    FILE *err = open_memstream(&r->err, &r->errlen);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(err);
    o->out = out;
    o->err = err;
    r->status = uvmsim_scn_run(s, o);
    fclose(out);
    fclose(err);
    uvmsim_scn_free(s);
    return r->status;
}

CU_UNUSED static int cu_run_mode(const char *text, uvmsim_scn_mode mode, bool json, struct cu_run *r)
{
    uvmsim_scn_opts o;
    uvmsim_scn_opts_init(&o);
    o.mode = mode;
    o.json = json;
    return cu_run_opts(text, NULL, &o, r);
}

CU_UNUSED static int cu_run(const char *text, struct cu_run *r)
{
    return cu_run_mode(text, UVMSIM_SCN_MODE_RUN, false, r);
}

CU_UNUSED static void cu_free(struct cu_run *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

/* Assert that hay contains needle, showing both when it does not. */
#define CU_HAS(hay, needle) ck_assert_msg(strstr((hay), (needle)) != NULL, \
        "expected to find [%s] in:\n%.2500s", (needle), (hay))
#define CU_HASNT(hay, needle) ck_assert_msg(strstr((hay), (needle)) == NULL, \
        "did not expect [%s] in:\n%.2500s", (needle), (hay))

/* Number of occurrences of needle in hay. */
CU_UNUSED static unsigned cu_count(const char *hay, const char *needle)
{
    unsigned n = 0;
    size_t len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* Run a file of examples/scenarios in the given mode. */
CU_UNUSED static int cu_run_example(const char *name, uvmsim_scn_mode mode, struct cu_run *r)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/examples/scenarios/%s", UVMSIM_SOURCE_DIR, name);
    memset(r, 0, sizeof(*r));
    uvmsim_scn *s = NULL;
    char msg[2048];
    r->status = uvmsim_scn_load(path, &s, msg, sizeof(msg));
    ck_assert_msg(r->status == UVMSIM_SCN_OK, "%s", msg);
    uvmsim_scn_opts o;
    uvmsim_scn_opts_init(&o);
    o.mode = mode;
    FILE *out = open_memstream(&r->out, &r->outlen);
    FILE *err = open_memstream(&r->err, &r->errlen);
    o.out = out;
    o.err = err;
    r->status = uvmsim_scn_run(s, &o);
    fclose(out);
    fclose(err);
    uvmsim_scn_free(s);
    return r->status;
}

/* Work in a scratch directory of this process (the plain and the memcheck run of a suite
 * may run at the same time in the same directory); cu_scratch_leave() removes it. */
#include <sys/stat.h>
#include <unistd.h>
static char cu_scratch[64];
CU_UNUSED static void cu_scratch_enter(const char *suite)
{
    snprintf(cu_scratch, sizeof(cu_scratch), "%s-scratch-%ld", suite, (long)getpid());
    if (mkdir(cu_scratch, 0755) != 0 || chdir(cu_scratch) != 0) {
        perror(cu_scratch);
        exit(EXIT_FAILURE);
    }
}
CU_UNUSED static void cu_scratch_leave(void)
{
    if (chdir("..") == 0)
        rmdir(cu_scratch);
}

/* Every edge's ends are declared nodes; braces balance. */
CU_UNUSED static void dot_well_formed(const char *dot)
{
    ck_assert(strncmp(dot, "digraph uvmsim {\n", 17) == 0);
    ck_assert_uint_eq(cu_count(dot, "{"), cu_count(dot, "}"));
    static char ids[8192][32];
    unsigned nid = 0, nedges = 0;
    /* pass 1: node declarations "ID [" on lines without an edge */
    for (const char *line = dot; *line; ) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), line);
        char id[32];
        if (strstr(buf, " -> ") == NULL && sscanf(buf, " %31[A-Za-z0-9_] [", id) == 1 && strchr(buf, '[') && nid < 8192)
            strcpy(ids[nid++], id);
        line = nl ? nl + 1 : line + len;
    }
    /* pass 2: edges */
    for (const char *line = dot; *line; ) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), line);
        char a[32], b[32];
        if (strstr(buf, " -> ") != NULL) {
            ck_assert_int_eq(sscanf(buf, " %31[A-Za-z0-9_] -> %31[A-Za-z0-9_]", a, b), 2);
            bool fa = false, fb = false;
            for (unsigned i = 0; i < nid; i++) {
                fa |= strcmp(ids[i], a) == 0;
                fb |= strcmp(ids[i], b) == 0;
            }
            ck_assert_msg(fa && fb, "edge %s -> %s names an undeclared node", a, b);
            nedges++;
        }
        line = nl ? nl + 1 : line + len;
    }
    ck_assert_uint_gt(nedges, 0);
}

CU_UNUSED static bool cu_have_backend(const char *name)
{
    return uvmsim_scn_backend_exists(name);
}

#endif
