/* Check suite for uvmsim html (src/cli/scn_html.c) and the change marks of the pictures
 * (src/cli/scn_dot.c against the state before a step):
 *   marks   a run followed step by step (no Graphviz needed): what each step of
 *           cow-fork.scn changed is marked in the dot text and listed in words — new,
 *           changed (with the old value) and freed anons, amaps, pages, PTEs, reference
 *           and PV counts, TLB entries filled, refilled and flushed
 *   page    the HTML page of cow-fork.scn (needs Graphviz; skipped without): every step,
 *           the highlighted lines, the expect results, the counters, the explain text
 *           exactly as `uvmsim explain` prints it, one inline SVG per step, no URL
 *   status  failing expectations and steps still give a page; bad input, a missing or
 *           failing Graphviz give nothing */
#include "cli_util.h"
#include "scn_internal.h"

static void scenario_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/examples/scenarios/%s", UVMSIM_SOURCE_DIR, name);
}

/* ---- marks: follow a run and draw each step against the one before ---- */

struct follow {
    struct scn_state prev;
    bool have_prev;
    char *dot[32];            /* by step number */
    char *changes[32];
};

static int follow_step(void *arg, struct scn_runtime *rt, const struct scn_step *st, const struct scn_result *res)
{
    struct follow *f = arg;
    ck_assert_uint_lt(rt->step, 32);
    struct scn_state cur;
    ck_assert_int_eq(uvmsim_scn_state_take(rt, &cur), UVMSIM_OK);
    char *text = NULL;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    struct sbuf changes = {0};
    char idp[16];
    snprintf(idp, sizeof(idp), "s%u_", rt->step);
    struct scn_dot_opts o = {.name = "t", .line = st->line, .prev = f->have_prev ? &f->prev : NULL, .idp = idp,
                             .changes = &changes};
    ck_assert_int_eq(uvmsim_scn_dot_write(&cur, &o, out), UVMSIM_OK);
    fclose(out);
    f->dot[rt->step] = text;
    f->changes[rt->step] = changes.s ? changes.s : strdup("");
    if (f->have_prev)
        uvmsim_scn_state_free(&f->prev);
    f->prev = cur;
    f->have_prev = true;
    (void)res;
    return UVMSIM_SCN_OK;
}

static void follow_free(struct follow *f)
{
    if (f->have_prev)
        uvmsim_scn_state_free(&f->prev);
    for (int i = 0; i < 32; i++) {
        free(f->dot[i]);
        free(f->changes[i]);
    }
}

static void follow_example(const char *name, struct follow *f)
{
    memset(f, 0, sizeof(*f));
    char path[512], msg[512];
    scenario_path(path, sizeof(path), name);
    uvmsim_scn *s;
    ck_assert_int_eq(uvmsim_scn_load(path, &s, msg, sizeof(msg)), UVMSIM_SCN_OK);
    uvmsim_scn_opts o;
    uvmsim_scn_opts_init(&o);
    char *out = NULL, *err = NULL;
    size_t ol, el;
    o.out = open_memstream(&out, &ol);
    o.err = open_memstream(&err, &el);
    struct scn_hooks h = {.arg = f, .on_step = follow_step};
    ck_assert_int_eq(uvmsim_scn_run_hooked(s, &o, &h), UVMSIM_SCN_OK);
    fclose(o.out);
    fclose(o.err);
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    uvmsim_scn_free(s);
}

/* Every id="..." of a picture is unique. */
static void ids_unique(const char *dot)
{
    unsigned n = 0;
    static char ids[4096][48];
    for (const char *p = strstr(dot, "id=\""); p; p = strstr(p + 4, "id=\"")) {
        const char *q = strchr(p + 4, '"');
        ck_assert_ptr_nonnull(q);
        ck_assert_uint_lt((size_t)(q - p - 4), sizeof(ids[0]));
        ck_assert_uint_lt(n, 4096);
        snprintf(ids[n], sizeof(ids[0]), "%.*s", (int)(q - p - 4), p + 4);
        for (unsigned i = 0; i < n; i++)
            ck_assert_msg(strcmp(ids[i], ids[n]) != 0, "id %s twice in:\n%s", ids[n], dot);
        n++;
    }
    ck_assert_uint_gt(n, 0);
}

START_TEST(test_marks_cow)
{
    struct follow f;
    follow_example("cow-fork.scn", &f);
    for (int i = 1; i <= 11; i++) {
        ck_assert_ptr_nonnull(f.dot[i]);
        if (i >= 3)              /* from the first mapping on, there are edges */
            dot_well_formed(f.dot[i]);
        ids_unique(f.dot[i]);
        CU_HASNT(f.dot[i], "subgraph cluster_legend");   /* the page shows the legend once */
    }
    /* step 4, the first store: zero-fill makes an amap, an anon, a page, a PTE and a TLB entry */
    const char *c = f.changes[4];
    CU_HAS(c, "new\tnew amap #1: refs 1, 1 of 2 slots used\n");
    CU_HAS(c, "new\tnew anon with RAM page 0x2000 (refs 1)\n");
    CU_HAS(c, "new\tnew PTE of parent: va 0x10000000 maps RAM page 0x2000 rw-\n");
    CU_HAS(c, "new\tRAM page 0x2000 now in use (PV entries: 1)\n");
    CU_HAS(c, "new\tTLB filled: ASID 1 va 0x10000000 maps page 0x2000 rw-\n");
    CU_HAS(c, "changed\tmap entry of parent [0x10000000-0x10002000): rw- private cow with an amap, was rw- private cow needs-copy without an amap\n");
    CU_HAS(f.dot[4], "anon_2000 [label=\"anon\\nrefs 1\", shape=oval, id=\"s4_anon_2000\", color=\"#1a9850\", penwidth=3, class=\"new\"];");
    /* step 5, fork: a new process and entry, the amap's second reference, the parent's
     * PTE write-protected, its TLB entry gone */
    c = f.changes[5];
    CU_HAS(c, "new\tprocess child (pid 2) created\n");
    CU_HAS(c, "new\tnew map entry of child [0x10000000-0x10002000) rw- private cow needs-copy\n");
    CU_HAS(c, "changed\tamap #1: refs 2, was 1\n");
    CU_HAS(c, "changed\tPTE of parent: va 0x10000000 maps RAM page 0x2000 r--, was page 0x2000 rw-\n");
    CU_HAS(c, "freed\tTLB entry flushed: ASID 1 va 0x10000000 (it mapped page 0x2000 rw-)\n");
    CU_HAS(f.dot[5], "amap #1\\nrefs 2 (shared) (was 1)");
    CU_HASNT(f.dot[5], "<td bgcolor=\"#c7e9c0\">");          /* nothing filled */
    CU_HAS(f.dot[5], "<font color=\"grey45\"><s>flushed</s></font>");
    /* step 7, the child's store: upper-promote */
    c = f.changes[7];
    CU_HAS(c, "new\tnew anon with RAM page 0xa000 (refs 1)\n");
    CU_HAS(c, "changed\tanon of page 0x2000: refs 1, was 2\n");
    CU_HAS(c, "changed\tPTE of child: va 0x10000000 maps RAM page 0xa000 rw-, was page 0x2000 r--\n");
    CU_HAS(c, "changed\tRAM page 0x2000: PV entries 1, was 2\n");
    CU_HAS(c, "new\tRAM page 0xa000 now in use (PV entries: 1)\n");
    CU_HAS(c, "changed\tTLB refilled: ASID 2 va 0x10000000 maps page 0xa000 rw-, was page 0x2000 r--\n");
    CU_HASNT(c, "parent (pid 1)");                          /* the parent's side did not move */
    CU_HAS(f.dot[7], "anon_a000 [label=\"anon\\nrefs 1\", shape=oval, id=\"s7_anon_a000\", color=\"#1a9850\", penwidth=3, class=\"new\"];");
    CU_HAS(f.dot[7], "anon_2000 [label=\"anon\\nrefs 1 (was 2)\", shape=oval, id=\"s7_anon_2000\", color=\"#7b3294\", penwidth=3, class=\"changed\"];");
    CU_HAS(f.dot[7], "e2_10000000 -> pg_a000 [label=\"PTE va 0x10000000 rw-\\nwas 0x2000 r--\", style=dashed");
    CU_HAS(f.dot[7], "<td bgcolor=\"#e7d4e8\">refilled</td>");
    /* step 8, a load by the parent: no fault, only the CPU and the TLB change */
    c = f.changes[8];
    CU_HAS(c, "changed\tparent (pid 1) goes on the CPU\n");
    CU_HAS(c, "new\tTLB filled: ASID 1 va 0x10000000 maps page 0x2000 r--\n");
    CU_HASNT(c, "anon");
    /* step 11, exit child: the child's process, amap, anon and page go */
    c = f.changes[11];
    CU_HAS(c, "freed\tprocess child (pid 2) exited: its 1 map entry and their PTEs are gone\n");
    CU_HAS(c, "freed\tamap #2 freed\n");
    CU_HAS(c, "freed\tanon of page 0xa000 freed\n");
    CU_HAS(c, "freed\tRAM page 0xa000 no longer used (no anon, object or PTE names it)\n");
    CU_HAS(f.dot[11], "p2 [label=\"exited\\nchild\\npid 2\", shape=ellipse, id=\"s11_p2\", style=dashed, color=grey55, fontcolor=grey55, class=\"freed\"];");
    CU_HAS(f.dot[11], "pg_a000 [label=\"no longer used\\n0xa000\", shape=box3d, id=\"s11_pg_a000\", style=dashed");
    follow_free(&f);
}
END_TEST

/* protect-down: entries split and PTEs removed show as removed, with ghosts. */
START_TEST(test_marks_removed)
{
    struct follow f;
    follow_example("protect-down.scn", &f);
    bool removed_pte = false, changed_prot = false;
    for (int i = 1; i < 32 && f.dot[i]; i++) {
        if (strstr(f.dot[i], " -> "))
            dot_well_formed(f.dot[i]);
        if (strstr(f.changes[i], "freed\tPTE of ")) {
            removed_pte = true;
            CU_HAS(f.dot[i], "[label=\"removed PTE va 0x");
        }
        if (strstr(f.changes[i], "changed\tmap entry of ") && strstr(f.changes[i], ", was r"))
            changed_prot = true;
    }
    ck_assert_msg(removed_pte, "protect none should remove a PTE in protect-down.scn");
    ck_assert(changed_prot);
    follow_free(&f);
}
END_TEST

/* ---- the page ---- */

static bool have_dot(void)
{
    char *d = uvmsim_scn_find_dot();
    free(d);
    return d != NULL;
}

/* Render an example (or text) as a page; *err gets the messages. */
static int page_of(const char *name, const char *text, const char *dot, char **page, char **err)
{
    uvmsim_scn *s;
    char msg[512];
    if (name) {
        char path[512];
        scenario_path(path, sizeof(path), name);
        ck_assert_int_eq(uvmsim_scn_load(path, &s, msg, sizeof(msg)), UVMSIM_SCN_OK);
    } else {
        ck_assert_int_eq(uvmsim_scn_parse("t.scn", text, strlen(text), NULL, &s, msg, sizeof(msg)), UVMSIM_SCN_OK);
    }
    size_t pl, el;
    FILE *out = open_memstream(page, &pl);
    uvmsim_scn_html_opts o;
    uvmsim_scn_html_opts_init(&o);
    o.err = open_memstream(err, &el);
    o.dot = dot;
    int rc = uvmsim_scn_html(s, &o, out);
    fclose(out);
    fclose(o.err);
    uvmsim_scn_free(s);
    return rc;
}

/* The text of section step-N (from its tag to its end). */
static char *section(const char *page, unsigned n)
{
    char tag[64];
    snprintf(tag, sizeof(tag), "<section class=\"step\" id=\"step-%u\"", n);
    const char *a = strstr(page, tag);
    ck_assert_msg(a != NULL, "no %s", tag);
    const char *b = strstr(a, "</section>");
    ck_assert_ptr_nonnull(b);
    return strndup(a, (size_t)(b - a));
}

/* s with &, <, >, " escaped as the page escapes text. */
static char *html_escaped(const char *s)
{
    struct sbuf b = {0};
    for (; *s; s++) {
        switch (*s) {
        case '&': uvmsim_sb_printf(&b, "&amp;"); break;
        case '<': uvmsim_sb_printf(&b, "&lt;"); break;
        case '>': uvmsim_sb_printf(&b, "&gt;"); break;
        case '"': uvmsim_sb_printf(&b, "&quot;"); break;
        default: uvmsim_sb_putc(&b, *s);
        }
    }
    return b.s;
}

START_TEST(test_page_cow)
{
    if (!have_dot()) {
        printf("SKIP page: Graphviz dot is not installed\n");
        return;
    }
    char *page, *err;
    ck_assert_int_eq(page_of("cow-fork.scn", NULL, NULL, &page, &err), UVMSIM_SCN_OK);
    ck_assert_str_eq(err, "");
    ck_assert(strncmp(page, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0);
    CU_HAS(page, "</script>\n</body>\n</html>\n");
    /* self-contained: no URL, no external resource of any kind */
    CU_HASNT(page, "http://");
    CU_HASNT(page, "https://");
    CU_HASNT(page, " src=");
    CU_HASNT(page, "<link");
    CU_HASNT(page, "url(");
    CU_HASNT(page, "@import");
    CU_HASNT(page, "<?xml");
    /* every step, each with its picture; the legend once */
    char path[512], msg[512];
    scenario_path(path, sizeof(path), "cow-fork.scn");
    uvmsim_scn *s;
    ck_assert_int_eq(uvmsim_scn_load(path, &s, msg, sizeof(msg)), UVMSIM_SCN_OK);
    unsigned n = uvmsim_scn_nsteps(s);
    ck_assert_uint_eq(n, 11);
    ck_assert_uint_eq(cu_count(page, "<section class=\"step\""), n);
    ck_assert_uint_eq(cu_count(page, "<svg"), n + 1);
    ck_assert_uint_eq(cu_count(page, "</svg>"), n + 1);
    CU_HAS(page, "<g id=\"lg_legend\" class=\"cluster\">");
    for (unsigned i = 1; i <= n; i++) {
        char *sec = section(page, i);
        char want[160];
        /* the section names its line; the listing highlights it as a step and links it */
        snprintf(want, sizeof(want), "data-step=\"%u\" data-line=\"%u\"", i, s->steps[i - 1].line);
        CU_HAS(sec, want);
        snprintf(want, sizeof(want), "<span class=\"ln st\" id=\"L%u\"><span class=\"no\">%u</span><a href=\"#step=%u\">",
                 s->steps[i - 1].line, s->steps[i - 1].line, i);
        CU_HAS(page, want);
        snprintf(want, sizeof(want), "s%u_graph\" class=\"graph\"", i);
        CU_HAS(sec, want);
        CU_HAS(sec, "<table class=\"counters\">");
        CU_HAS(sec, "<pre class=\"explain\">Step ");
        free(sec);
    }
    /* the expect lines: each held, marked in the listing and listed in its step */
    ck_assert_uint_eq(cu_count(page, "<li class=\"ok\" data-line="), 28);
    CU_HASNT(page, "<li class=\"fail\"");
    CU_HAS(page, "<span class=\"ln ex ok\" id=\"L38\"><span class=\"no\">38</span>expect fault upper-promote");
    CU_HAS(page, "<p class=\"summary ok\">ok: 11 steps, 28 expectations held</p>");
    /* step 7: the child's store */
    char *sec = section(page, 7);
    CU_HAS(sec, "data-line=\"37\" data-expects=\"38 39 40 41 42 43 44\" data-fault=\"upper-promote\"");
    CU_HAS(sec, "Fault class: <b class=\"fclass\">upper-promote</b>");
    CU_HAS(sec, "<li class=\"ok\" data-line=\"38\">&#x2714; held: <code>expect fault upper-promote</code>");
    CU_HAS(sec, "<li class=\"new\">new anon with RAM page 0xa000 (refs 1)</li>");
    CU_HAS(sec, "<li class=\"changed\">anon of page 0x2000: refs 1, was 2</li>");
    CU_HAS(sec, "<g id=\"s7_anon_a000\" class=\"node new\">");
    CU_HAS(sec, "<g id=\"s7_anon_2000\" class=\"node changed\">");
    CU_HAS(sec, "<tr class=\"chg\" data-key=\"vm.faults.upper-promote\"><td>vm.faults.upper-promote</td><td>1</td><td>+1</td></tr>");
    CU_HAS(sec, "<tr class=\"chg\" data-key=\"ram.anon_pages\"><td>ram.anon_pages</td><td>2</td><td>+1</td></tr>");
    CU_HAS(sec, "<tr data-key=\"vm.faults.zero-fill\"><td>vm.faults.zero-fill</td><td>1</td><td></td></tr>");
    CU_HAS(sec, "<tr data-key=\"pmap.pv_entries\">");
    CU_HAS(sec, "data-key=\"tlb.misses\"");
    CU_HAS(sec, "data-key=\"vm.io_requests\"");
    /* one source of truth: the explanation is exactly what `uvmsim explain` prints */
    struct cu_run r;
    ck_assert_int_eq(cu_run_example("cow-fork.scn", UVMSIM_SCN_MODE_EXPLAIN, &r), UVMSIM_SCN_OK);
    char *a = strstr(r.out, "Step 7 (line 37)"), *b = strstr(r.out, "Step 8 (line 46)");
    ck_assert(a && b);
    *b = '\0';
    char *esc = html_escaped(a);
    char *want = malloc(strlen(esc) + 64);
    sprintf(want, "<pre class=\"explain\">%s</pre>", esc);
    CU_HAS(sec, want);
    free(want);
    free(esc);
    cu_free(&r);
    free(sec);
    /* steps without a fault say so */
    sec = section(page, 5);
    CU_HAS(sec, "No page fault in this step.");
    CU_HASNT(sec, "data-fault=");
    free(sec);
    uvmsim_scn_free(s);
    free(page);
    free(err);
}
END_TEST

START_TEST(test_page_status)
{
    if (!have_dot()) {
        printf("SKIP page status: Graphviz dot is not installed\n");
        return;
    }
    char *page, *err;
    /* a failed expectation: the page is written and shows it */
    ck_assert_int_eq(page_of(NULL, "spawn p\nmap p 0x10000\nload p 0x10000\nexpect fault upper-direct\nexpect ok\n",
                             NULL, &page, &err), UVMSIM_SCN_FAILED);
    CU_HAS(err, "t.scn:4: expect failed: expect fault upper-direct: the last fault was zero-fill");
    CU_HAS(page, "<li class=\"fail\" data-line=\"4\">&#x2718; failed: <code>expect fault upper-direct</code> &mdash; found: the last fault was zero-fill");
    CU_HAS(page, "<li class=\"ok\" data-line=\"5\">");
    CU_HAS(page, "<span class=\"ln ex fail\" id=\"L4\">");
    CU_HAS(page, "<p class=\"summary failed\">FAILED: 1 of 2 expectations failed, the first at line 4 after step 3</p>");
    CU_HAS(page, "<pre class=\"messages\">t.scn:4: expect failed:");
    free(page);
    free(err);
    /* a step that fails unannounced ends the run; the page has the steps that ran */
    ck_assert_int_eq(page_of(NULL, "spawn p\nload p 0x10000\nmap p 0x10000\n", NULL, &page, &err), UVMSIM_SCN_FAILED);
    CU_HAS(err, "t.scn:2: step failed: load p 0x10000: EFAULT");
    ck_assert_uint_eq(cu_count(page, "<section class=\"step\""), 2);
    CU_HAS(page, "The step failed: <b>EFAULT</b>");
    CU_HAS(page, "Fault class: <b class=\"fclass\">error</b>");
    CU_HAS(page, "<span class=\"ln st\" id=\"L3\"><span class=\"no\">3</span>map p 0x10000</span>");   /* not run: no link */
    free(page);
    free(err);
    /* a machine the simulator refuses: input error, nothing written */
    ck_assert_int_eq(page_of(NULL, "machine ram=1000\nspawn p\n", NULL, &page, &err), UVMSIM_SCN_INPUT);
    CU_HAS(err, "t.scn:1: machine: invalid configuration");
    ck_assert_str_eq(page, "");
    free(page);
    free(err);
    /* Graphviz failing: simulator/tool error, nothing written */
    ck_assert_int_eq(page_of("cow-fork.scn", NULL, "/bin/false", &page, &err), UVMSIM_SCN_SIMERR);
    CU_HAS(err, "uvmsim html: /bin/false -Tsvg failed (exit status 1)");
    ck_assert_str_eq(page, "");
    free(page);
    free(err);
}
END_TEST

START_TEST(test_page_no_dot)
{
    /* no Graphviz at all (UVMSIM_DOT names nothing): exit status 3 and how to get it */
    char *old = getenv("UVMSIM_DOT") ? strdup(getenv("UVMSIM_DOT")) : NULL;
    setenv("UVMSIM_DOT", "/no/such/dot", 1);
    char *page, *err;
    ck_assert_int_eq(page_of("cow-fork.scn", NULL, NULL, &page, &err), UVMSIM_SCN_SIMERR);
    CU_HAS(err, "uvmsim html: Graphviz 'dot' was not found (UVMSIM_DOT does not name an executable); install the graphviz package");
    ck_assert_str_eq(page, "");
    free(page);
    free(err);
    if (old)
        setenv("UVMSIM_DOT", old, 1);
    else
        unsetenv("UVMSIM_DOT");
    free(old);
    /* no scenario */
    FILE *null = fopen("/dev/null", "w");
    uvmsim_scn_html_opts o;
    uvmsim_scn_html_opts_init(&o);
    o.err = null;
    ck_assert_int_eq(uvmsim_scn_html(NULL, &o, null), UVMSIM_SCN_INPUT);
    fclose(null);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli-html");
    TCase *tc = tcase_create("marks");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_marks_cow);
    tcase_add_test(tc, test_marks_removed);
    suite_add_tcase(s, tc);
    tc = tcase_create("page");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_page_cow);
    tcase_add_test(tc, test_page_status);
    tcase_add_test(tc, test_page_no_dot);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
