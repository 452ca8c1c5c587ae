/* Scenario library: uvmsim html — a scenario as one self-contained page that a student
 * steps through.  Nothing here runs or narrates on its own: the run is the one `uvmsim
 * explain` does (uvmsim_scn_run_hooked in explain mode), whose narration is cut at each
 * step; the expect results come from the runner's checks; after each step the state is
 * drawn by scn_dot.c, which also marks and lists what changed since the step before;
 * the counters are the scenario language's keys (scn_keys.c).  Every picture, the
 * legend first, goes through one `dot -Tsvg` run and is inlined, and so are the styles
 * and the small navigation script: the page needs no network and no other file. */
#include <stdlib.h>
#include <string.h>
#include "scn_internal.h"
#include "vm/uvm_introspect.h"

/* The counters panel: keys of the scenario language (what `expect KEY` names), by group. */
static const struct {
    const char *group, *key;
} counters[] = {
    {"RAM pages", "ram.used_pages"}, {"RAM pages", "ram.free_pages"}, {"RAM pages", "ram.anon_pages"},
    {"RAM pages", "ram.object_pages"}, {"RAM pages", "ram.ptp_pages"}, {"RAM pages", "ram.zero_pages"},
    {"RAM pages", "ram.other_pages"},
    {"Faults", "vm.faults"}, {"Faults", "vm.faults.upper-direct"}, {"Faults", "vm.faults.upper-promote"},
    {"Faults", "vm.faults.lower-direct"}, {"Faults", "vm.faults.lower-promote"}, {"Faults", "vm.faults.zero-fill"},
    {"Faults", "vm.faults.error"}, {"Faults", "vm.bytes_copied"},
    {"TLB", "tlb.hits"}, {"TLB", "tlb.misses"}, {"TLB", "tlb.fills"}, {"TLB", "tlb.evictions"},
    {"TLB", "tlb.single_invalidations"}, {"TLB", "tlb.entries_flushed"},
    {"PV entries", "pmap.pv_entries"}, {"PV entries", "pmap.pv_entries_device"},
    {"I/O", "vm.io_requests"}, {"I/O", "vm.io_bytes"}, {"I/O", "flash.read_requests"}, {"I/O", "flash.read_bytes"},
    {"Live VM objects", "vm.procs_live"}, {"Live VM objects", "vm.anons_live"}, {"Live VM objects", "vm.amaps_live"},
    {"Live VM objects", "vm.objects_live"},
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

struct hx_expect {
    unsigned line;
    char *text;               /* the line as written */
    bool ok;
    char *why;                /* what was found when it did not hold */
};

/* What the page shows of one step.  Invariant: pic >= 0 iff have_counters (both need
 * the machine, which exists after a successful first step). */
struct hx_step {
    const struct scn_step *st;
    unsigned no;              /* 1-based */
    int err;                  /* the step's error (UVMSIM_OK) */
    const char *fault;        /* class of the step's last fault (static), NULL: none */
    unsigned nfaults;
    char *explain;            /* its part of the `uvmsim explain` text */
    char *messages;           /* the FILE:LINE messages it caused */
    char *changes;            /* scn_dot_opts.changes lines */
    struct hx_expect *ex;
    unsigned nex;
    bool have_counters;
    uint64_t val[NCOUNTERS];
    bool have_val[NCOUNTERS];
    int pic;                  /* index of its picture among the SVGs (0 is the legend), -1 none */
};

/* A memory stream and how much of it was handed out already. */
struct hx_stream {
    FILE *f;
    char *buf;
    size_t len, off;
};

struct hx {
    const uvmsim_scn *s;
    struct hx_stream narr;    /* the explain text */
    struct hx_stream msgs;    /* the runner's messages */
    FILE *dots;               /* every picture's dot text, the legend first */
    int npics;                /* graphs written to dots */
    struct hx_step *steps;
    unsigned nsteps, cap;
    struct hx_expect *pend;   /* expect results of the step running */
    unsigned npend, cappend;
    struct scn_state prev;
    bool have_prev;
    bool oom;
};

static bool stream_open(struct hx_stream *s)
{
    memset(s, 0, sizeof(*s));
    s->f = open_memstream(&s->buf, &s->len);
    return s->f != NULL;
}

/* The text written since the last call (a new string, NULL when out of memory). */
static char *stream_take(struct hx_stream *s)
{
    fflush(s->f);
    size_t n = s->len - s->off;
    char *t = malloc(n + 1);
    if (t) {
        memcpy(t, s->buf ? s->buf + s->off : "", n);
        t[n] = '\0';
    }
    s->off = s->len;
    return t;
}

static void stream_close(struct hx_stream *s)
{
    if (s->f)
        fclose(s->f);
    free(s->buf);
    memset(s, 0, sizeof(*s));
}

static void expect_free(struct hx_expect *e)
{
    free(e->text);
    free(e->why);
}

static void on_expect(void *arg, const struct scn_expect *ex, bool ok, const char *why)
{
    struct hx *h = arg;
    if (!uvmsim_scn_grow((void **)&h->pend, h->npend, &h->cappend, sizeof(*h->pend))) {
        h->oom = true;
        return;
    }
    struct hx_expect *e = &h->pend[h->npend++];
    e->line = ex->line;
    e->text = strdup(ex->text);
    e->ok = ok;
    e->why = strdup(ok ? "" : why);
    if (e->text == NULL || e->why == NULL)
        h->oom = true;
}

static int on_step(void *arg, struct scn_runtime *rt, const struct scn_step *st, const struct scn_result *res)
{
    struct hx *h = arg;
    if (!uvmsim_scn_grow((void **)&h->steps, h->nsteps, &h->cap, sizeof(*h->steps)))
        return UVMSIM_SCN_SIMERR;
    struct hx_step *x = &h->steps[h->nsteps++];
    memset(x, 0, sizeof(*x));
    x->st = st;
    x->no = rt->step;
    x->err = res->err;
    x->pic = -1;
    x->ex = h->pend;
    x->nex = h->npend;
    h->pend = NULL;
    h->npend = h->cappend = 0;
    if (res->have_fault) {
        x->fault = uvmsim_fault_class_name(res->last.cls);
        x->nfaults = res->nfaults;
    }
    x->explain = stream_take(&h->narr);
    x->messages = stream_take(&h->msgs);
    if (x->explain == NULL || x->messages == NULL || h->oom)
        return UVMSIM_SCN_SIMERR;
    if (rt->m == NULL)
        return UVMSIM_SCN_OK;

    x->have_counters = true;
    for (size_t i = 0; i < NCOUNTERS; i++) {
        struct scn_key k;
        x->have_val[i] = uvmsim_scn_key_parse(counters[i].key, NULL, NULL, &k) &&
                         uvmsim_scn_key_value(rt, &k, res, &x->val[i]);
    }

    struct scn_state cur;
    if (uvmsim_scn_state_take(rt, &cur) != UVMSIM_OK)
        return UVMSIM_SCN_SIMERR;
    char idp[24];
    snprintf(idp, sizeof(idp), "s%u_", x->no);
    /* the first picture is compared with an empty machine: all it shows is new */
    struct uvmsim_isp_snapshot nothing;
    memset(&nothing, 0, sizeof(nothing));
    struct scn_state empty = {.snap = &nothing, .backend = cur.backend};
    struct sbuf changes = {0};
    struct scn_dot_opts o = {.name = rt->s->name, .line = st->line, .prev = h->have_prev ? &h->prev : &empty,
                             .idp = idp, .changes = &changes};
    uvmsim_scn_dot_write(&cur, &o, h->dots);
    x->pic = h->npics++;
    x->changes = changes.s ? changes.s : strdup("");
    if (h->have_prev)
        uvmsim_scn_state_free(&h->prev);
    h->prev = cur;
    h->have_prev = true;
    return changes.oom || x->changes == NULL ? UVMSIM_SCN_SIMERR : UVMSIM_SCN_OK;
}

static void hx_free(struct hx *h)
{
    for (unsigned i = 0; i < h->nsteps; i++) {
        struct hx_step *x = &h->steps[i];
        free(x->explain);
        free(x->messages);
        free(x->changes);
        for (unsigned k = 0; k < x->nex; k++)
            expect_free(&x->ex[k]);
        free(x->ex);
    }
    free(h->steps);
    for (unsigned k = 0; k < h->npend; k++)
        expect_free(&h->pend[k]);
    free(h->pend);
    if (h->have_prev)
        uvmsim_scn_state_free(&h->prev);
    stream_close(&h->narr);
    stream_close(&h->msgs);
    if (h->dots)
        fclose(h->dots);
}

/* ---- the page ---- */

static void esc_n(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(s[i], out);
        }
    }
}

static void esc(FILE *out, const char *s)
{
    esc_n(out, s, strlen(s));
}

/* The file name without its directories, for the title. */
static const char *base_name(const char *path)
{
    const char *sl = strrchr(path, '/');
    return sl ? sl + 1 : path;
}

static const char page_style[] =
    ":root{--new:#1a9850;--chg:#7b3294;--gone:#8c8c8c;--bad:#c0392b;--cur:#fff0a0}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;background:#f4f5f7}\n"
    "header{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid #ccd;padding:.4em 1em;"
    "display:flex;flex-wrap:wrap;gap:.4em 1.5em;align-items:center}\n"
    "header h1{font-size:1.1em;margin:0}\n"
    "nav button{font:inherit;padding:.15em .9em;cursor:pointer}\n"
    "#now{font-weight:600;display:inline-block;min-width:18em;text-align:center}\n"
    ".hint{color:#777;font-size:.9em}\n"
    ".summary.ok{color:var(--new)}.summary.failed{color:var(--bad)}\n"
    ".layout{display:grid;grid-template-columns:minmax(18em,30em) minmax(0,1fr);gap:1em;padding:1em}\n"
    "aside h2,main h3{font-size:1em;margin:.6em 0 .3em}\n"
    "#src{max-height:62vh;overflow:auto;background:#fff;border:1px solid #ccd;padding:.3em 0;margin:0;"
    "font:12px/1.5 ui-monospace,'DejaVu Sans Mono',monospace}\n"
    ".ln{display:block;padding:0 .5em;white-space:pre-wrap;word-break:break-word}\n"
    ".ln .no{color:#999;display:inline-block;width:2.6em;text-align:right;margin-right:.6em;user-select:none}\n"
    ".ln.cm{color:#6a737d}.ln.st a{color:inherit;text-decoration:none;font-weight:600}\n"
    ".ln.ex.ok::after{content:' \\2714';color:var(--new)}.ln.ex.fail::after{content:' \\2718';color:var(--bad)}\n"
    ".ln.cur{background:var(--cur);box-shadow:inset 4px 0 #d4a800}.ln.exp{background:#fff9d6}\n"
    "section.step{background:#fff;border:1px solid #ccd;padding:.5em 1em 1em;margin-bottom:1em}\n"
    "section.step h2{font-size:1.1em;margin:.2em 0 .4em}\n"
    "section.step h2 code{background:#f3f3f3;padding:0 .3em}\n"
    ".fault b{padding:0 .5em;border-radius:.8em;background:#eef0ff;border:1px solid #99a}\n"
    ".fault.error b{background:#fde;border-color:var(--bad)}\n"
    ".row{display:flex;flex-wrap:wrap;gap:0 1.5em}.row>div{flex:1 1 24em;min-width:0}\n"
    "ul{margin:.2em 0;padding-left:1.3em}ul.changes{max-height:18em;overflow:auto}\n"
    "li.ok{color:var(--new)}li.fail{color:var(--bad)}li.new{color:var(--new)}li.changed{color:var(--chg)}"
    "li.freed{color:var(--gone)}\n"
    "li code{color:#222}\n"
    ".pic{overflow:auto;border:1px solid #e3e3e8;background:#fff;margin:.5em 0}\n"
    ".pic svg{display:block;max-width:100%;height:auto}\n"
    "pre.explain{white-space:pre-wrap;font:12px/1.45 ui-monospace,'DejaVu Sans Mono',monospace;background:#f6f8fa;"
    "padding:.5em;margin:0;overflow:auto}\n"
    "pre.messages{white-space:pre-wrap;color:var(--bad);margin:.3em 0}\n"
    "table.counters{border-collapse:collapse;font-size:12px}\n"
    ".counters td,.counters th{padding:.05em .6em;text-align:right}\n"
    ".counters td:first-child{text-align:left;font-family:ui-monospace,'DejaVu Sans Mono',monospace}\n"
    ".counters th.grp{text-align:left;padding-top:.5em;color:#555}\n"
    ".counters tr.chg td{background:#efe2f0;font-weight:600}\n"
    ".legend .pic{border:0}\n"
    "@media (max-width:60em){.layout{grid-template-columns:1fr}#src{max-height:40vh}}\n";

/* Navigation: #step=N shows step N (clamped); buttons and arrow keys change the hash, so
 * the browser's back button and links to one moment work. */
static const char page_script[] =
    "(function () {\n"
    "  'use strict';\n"
    "  var steps = document.querySelectorAll('section.step'), n = steps.length, cur = 0;\n"
    "  var prev = document.getElementById('prev'), next = document.getElementById('next');\n"
    "  var now = document.getElementById('now'), src = document.getElementById('src');\n"
    "  function line(l) { return document.getElementById('L' + l); }\n"
    "  function show(k) {\n"
    "    if (!n) return;\n"
    "    k = Math.max(1, Math.min(n, k || 1));\n"
    "    cur = k;\n"
    "    var s = steps[k - 1];\n"
    "    steps.forEach(function (x) { x.hidden = x !== s; });\n"
    "    src.querySelectorAll('.cur, .exp').forEach(function (x) { x.classList.remove('cur', 'exp'); });\n"
    "    (s.dataset.expects || '').split(' ').forEach(function (l) { var x = l && line(l); if (x) x.classList.add('exp'); });\n"
    "    var l = line(s.dataset.line);\n"
    "    if (l) {\n"
    "      l.classList.add('cur');\n"
    "      if (l.offsetTop < src.scrollTop || l.offsetTop + l.offsetHeight > src.scrollTop + src.clientHeight)\n"
    "        src.scrollTop = l.offsetTop - src.clientHeight / 3;\n"
    "    }\n"
    "    now.textContent = 'step ' + k + ' of ' + n + ' \\u00b7 line ' + s.dataset.line +\n"
    "      ' \\u00b7 ' + (s.dataset.fault || 'no fault');\n"
    "    prev.disabled = k === 1;\n"
    "    next.disabled = k === n;\n"
    "  }\n"
    "  function fromHash() { var m = /^#step=(\\d+)$/.exec(location.hash); show(m ? parseInt(m[1], 10) : 1); }\n"
    "  function go(k) { if (k >= 1 && k <= n && k !== cur) location.hash = 'step=' + k; }\n"
    "  prev.addEventListener('click', function () { go(cur - 1); });\n"
    "  next.addEventListener('click', function () { go(cur + 1); });\n"
    "  document.addEventListener('keydown', function (e) {\n"
    "    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;\n"
    "    if (e.key === 'ArrowRight') { go(cur + 1); e.preventDefault(); }\n"
    "    else if (e.key === 'ArrowLeft') { go(cur - 1); e.preventDefault(); }\n"
    "  });\n"
    "  window.addEventListener('hashchange', fromHash);\n"
    "  document.body.classList.add('js');\n"
    "  fromHash();\n"
    "})();\n";

/* One SVG of dot's output, cut down for inlining: from `<svg` to `</svg>`, without the
 * namespace declarations (an HTML parser puts <svg> in the SVG namespace by itself), so
 * the page names no URL at all. */
static void put_svg(FILE *out, const char *svg, size_t n)
{
    static const char *const drop[] = {" xmlns=\"http://www.w3.org/2000/svg\"",
                                       " xmlns:xlink=\"http://www.w3.org/1999/xlink\""};
    const char *p = svg, *end = svg + n;
    while (p < end) {
        const char *next = end;
        size_t which = 0;
        for (size_t i = 0; i < 2; i++) {
            const char *f = strstr(p, drop[i]);
            if (f && f < next) {
                next = f;
                which = i;
            }
        }
        fwrite(p, 1, (size_t)(next - p), out);
        if (next == end)
            break;
        p = next + strlen(drop[which]);
    }
}

/* Split dot's concatenated output into its SVG documents: starts[i], lens[i]. */
static int split_svgs(char *all, const char **starts, size_t *lens, int max)
{
    int n = 0;
    char *p = all;
    for (;;) {
        char *a = strstr(p, "<svg");
        if (a == NULL)
            break;
        char *b = strstr(a, "</svg>");
        if (b == NULL)
            break;
        b += 6;
        if (n < max) {
            starts[n] = a;
            lens[n] = (size_t)(b - a);
        }
        n++;
        p = b;
    }
    return n;
}

static void write_source(FILE *out, const struct hx *h)
{
    const uvmsim_scn *s = h->s;
    fprintf(out, "<pre id=\"src\">");
    const char *p = s->text, *end = s->text + s->textlen;
    for (unsigned ln = 1; p < end; ln++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int step = -1;
        for (unsigned i = 0; i < s->nsteps && step < 0; i++)
            if (s->steps[i].line == ln)
                step = (int)i + 1;
        const struct hx_expect *ex = NULL;
        for (unsigned i = 0; i < h->nsteps && !ex; i++)
            for (unsigned k = 0; k < h->steps[i].nex && !ex; k++)
                if (h->steps[i].ex[k].line == ln)
                    ex = &h->steps[i].ex[k];
        size_t lead = 0;
        while (lead < len && (p[lead] == ' ' || p[lead] == '\t'))
            lead++;
        const char *cls = step > 0 ? " st" : ex ? (ex->ok ? " ex ok" : " ex fail") :
                          lead < len && p[lead] == '#' ? " cm" : "";
        fprintf(out, "<span class=\"ln%s\" id=\"L%u\"><span class=\"no\">%u</span>", cls, ln, ln);
        if (step > 0 && (unsigned)step <= h->nsteps) {
            fprintf(out, "<a href=\"#step=%d\">", step);
            esc_n(out, p, len);
            fprintf(out, "</a>");
        } else {
            esc_n(out, p, len);
        }
        fprintf(out, "</span>");
        p = nl ? nl + 1 : end;
    }
    fprintf(out, "</pre>\n");
}

static void write_counters(FILE *out, const struct hx_step *x, const struct hx_step *before)
{
    fprintf(out, "<table class=\"counters\"><tr><th>counter</th><th>value</th><th>this step</th></tr>\n");
    const char *group = NULL;
    for (size_t i = 0; i < NCOUNTERS; i++) {
        if (!x->have_val[i])
            continue;
        if (group == NULL || strcmp(group, counters[i].group) != 0) {
            group = counters[i].group;
            fprintf(out, "<tr><th class=\"grp\" colspan=\"3\">%s</th></tr>\n", group);
        }
        uint64_t was = before && before->have_val[i] ? before->val[i] : 0;
        bool chg = x->val[i] != was;
        fprintf(out, "<tr%s data-key=\"%s\"><td>%s</td><td>%llu</td><td>", chg ? " class=\"chg\"" : "",
                counters[i].key, counters[i].key, (unsigned long long)x->val[i]);
        if (chg)
            fprintf(out, x->val[i] > was ? "+%llu" : "&minus;%llu",
                    (unsigned long long)(x->val[i] > was ? x->val[i] - was : was - x->val[i]));
        fprintf(out, "</td></tr>\n");
    }
    fprintf(out, "</table>\n");
}

static void write_changes(FILE *out, const char *changes)
{
    if (*changes == '\0') {
        fprintf(out, "<p>Nothing in the picture changed.</p>\n");
        return;
    }
    fprintf(out, "<ul class=\"changes\">\n");
    for (const char *p = changes; *p; ) {
        const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
        if (nl == NULL)
            nl = p + strlen(p);
        if (tab && tab < nl) {
            fprintf(out, "<li class=\"%.*s\">", (int)(tab - p), p);
            esc_n(out, tab + 1, (size_t)(nl - tab - 1));
            fprintf(out, "</li>\n");
        }
        p = *nl ? nl + 1 : nl;
    }
    fprintf(out, "</ul>\n");
}

static void write_step(FILE *out, const struct hx *h, unsigned i, const char **svg, const size_t *svglen)
{
    const struct hx_step *x = &h->steps[i], *before = NULL;
    for (unsigned k = i; k-- > 0 && !before; )
        if (h->steps[k].have_counters)
            before = &h->steps[k];
    fprintf(out, "<section class=\"step\" id=\"step-%u\" data-step=\"%u\" data-line=\"%u\" data-expects=\"", x->no,
            x->no, x->st->line);
    for (unsigned k = 0; k < x->nex; k++)
        fprintf(out, "%s%u", k ? " " : "", x->ex[k].line);
    fprintf(out, "\"");
    if (x->fault)
        fprintf(out, " data-fault=\"%s\"", x->fault);
    fprintf(out, ">\n<h2>Step %u <small>(line %u)</small>: <code>", x->no, x->st->line);
    esc(out, x->st->text);
    fprintf(out, "</code></h2>\n");
    if (x->fault)
        fprintf(out, "<p class=\"fault%s\">Fault class: <b class=\"fclass\">%s</b>%s</p>\n",
                strcmp(x->fault, "error") == 0 ? " error" : "", x->fault,
                x->nfaults > 1 ? " (the last of several faults)" : "");
    else
        fprintf(out, "<p class=\"fault none\">No page fault in this step.</p>\n");
    if (x->err)
        fprintf(out, "<p class=\"fault error\">The step failed: <b>%s</b> (%s)</p>\n", uvmsim_errname(x->err),
                uvmsim_strerror(x->err));
    if (x->messages[0]) {
        fprintf(out, "<pre class=\"messages\">");
        esc(out, x->messages);
        fprintf(out, "</pre>\n");
    }
    fprintf(out, "<div class=\"row\">\n<div class=\"expects\"><h3>Expectations</h3>\n");
    if (x->nex == 0)
        fprintf(out, "<p>None for this step.</p>\n");
    else
        fprintf(out, "<ul>\n");
    for (unsigned k = 0; k < x->nex; k++) {
        const struct hx_expect *e = &x->ex[k];
        fprintf(out, "<li class=\"%s\" data-line=\"%u\">%s <code>", e->ok ? "ok" : "fail", e->line,
                e->ok ? "&#x2714; held:" : "&#x2718; failed:");
        esc(out, e->text);
        fprintf(out, "</code>");
        if (!e->ok) {
            fprintf(out, " &mdash; found: ");
            esc(out, e->why);
        }
        fprintf(out, " <small>(line %u)</small></li>\n", e->line);
    }
    if (x->nex)
        fprintf(out, "</ul>\n");
    fprintf(out, "</div>\n<div class=\"changed\"><h3>What this step changed</h3>\n");
    if (x->pic >= 0)
        write_changes(out, x->changes);
    else
        fprintf(out, "<p>No machine yet: nothing to draw.</p>\n");
    fprintf(out, "</div>\n</div>\n");
    if (x->pic >= 0) {
        fprintf(out, "<h3>The state after this step</h3>\n<div class=\"pic\">");
        put_svg(out, svg[x->pic + 1], svglen[x->pic + 1]);
        fprintf(out, "</div>\n");
    }
    fprintf(out, "<div class=\"row\">\n<div><h3>Explanation</h3>\n<pre class=\"explain\">");
    esc(out, x->explain);
    fprintf(out, "</pre></div>\n");
    if (x->have_counters) {
        fprintf(out, "<div><h3>Counters after this step</h3>\n");
        write_counters(out, x, before);
        fprintf(out, "</div>\n");
    }
    fprintf(out, "</div>\n</section>\n");
}

static void write_page(FILE *out, const struct hx *h, const char *summary, int status, const char **svg,
                       const size_t *svglen)
{
    const uvmsim_scn *s = h->s;
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<meta name=\"generator\" content=\"uvmsim html\">\n<title>");
    esc(out, base_name(s->name));
    fprintf(out, " &mdash; uvmsim lesson</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", page_style);
    esc(out, base_name(s->name));
    fprintf(out, " <small>&mdash; %u step%s, pmap %s</small></h1>\n<nav><button id=\"prev\" type=\"button\">"
                 "&#x25C0; previous</button> <span id=\"now\">all %u steps</span> <button id=\"next\" type=\"button\">"
                 "next &#x25B6;</button> <span class=\"hint\">(or the &larr; &rarr; keys)</span></nav>\n",
            h->nsteps, h->nsteps == 1 ? "" : "s", h->have_prev ? h->prev.backend : "?", h->nsteps);
    fprintf(out, "<p class=\"summary %s\">", status == UVMSIM_SCN_OK ? "ok" : "failed");
    size_t sl = strlen(summary);
    esc_n(out, summary, sl && summary[sl - 1] == '\n' ? sl - 1 : sl);
    fprintf(out, "</p>\n</header>\n<div class=\"layout\">\n<aside>\n<h2>The scenario</h2>\n");
    write_source(out, h);
    fprintf(out, "<div class=\"legend\"><h2>Legend</h2>\n<div class=\"pic\">");
    put_svg(out, svg[0], svglen[0]);
    fprintf(out, "</div>\n<p>Dashed blue edges are page-table entries; each is one PV entry of the page it "
                 "points to. Marks show what the step changed: green new, purple changed (with the old value), "
                 "grey dashed freed or removed.</p>\n</div>\n</aside>\n<main>\n");
    for (unsigned i = 0; i < h->nsteps; i++)
        write_step(out, h, i, svg, svglen);
    fprintf(out, "</main>\n</div>\n<script>\n%s</script>\n</body>\n</html>\n", page_script);
}

void uvmsim_scn_html_opts_init(uvmsim_scn_html_opts *o)
{
    memset(o, 0, sizeof(*o));
}

/* The legend picture: its own small graph, drawn by the same code as every picture's. */
static void write_legend_graph(FILE *dots)
{
    fprintf(dots, "digraph legend {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10, shape=box];\n"
                  "  edge [fontname=\"Helvetica\", fontsize=9];\n  id=\"lg_graph\";\n");
    uvmsim_scn_dot_legend(dots, true, "lg_");
    fprintf(dots, "}\n");
}

int uvmsim_scn_html(const uvmsim_scn *s, const uvmsim_scn_html_opts *opts, FILE *out)
{
    uvmsim_scn_html_opts defaults;
    if (opts == NULL) {
        uvmsim_scn_html_opts_init(&defaults);
        opts = &defaults;
    }
    FILE *err = opts->err ? opts->err : stderr;
    if (s == NULL) {
        fprintf(err, "uvmsim: no scenario\n");
        return UVMSIM_SCN_INPUT;
    }
    char *dot = opts->dot ? strdup(opts->dot) : uvmsim_scn_find_dot();
    if (dot == NULL) {
        if (opts->dot)
            fprintf(err, "uvmsim html: out of host memory\n");
        else
            uvmsim_scn_dot_missing(err, "uvmsim html", ": every step's picture is drawn by it");
        return UVMSIM_SCN_SIMERR;
    }
    struct hx h;
    memset(&h, 0, sizeof(h));
    h.s = s;
    h.dots = tmpfile();
    FILE *svgf = tmpfile();
    if (!stream_open(&h.narr) || !stream_open(&h.msgs) || h.dots == NULL || svgf == NULL) {
        fprintf(err, "uvmsim html: cannot create a temporary file\n");
        hx_free(&h);
        if (svgf)
            fclose(svgf);
        free(dot);
        return UVMSIM_SCN_SIMERR;
    }
    write_legend_graph(h.dots);

    uvmsim_scn_opts ro;
    uvmsim_scn_opts_init(&ro);
    ro.mode = UVMSIM_SCN_MODE_EXPLAIN;
    ro.out = h.narr.f;
    ro.err = h.msgs.f;
    ro.last_step = opts->last_step;
    ro.pmap = opts->pmap;
    ro.check = opts->check;
    struct scn_hooks hooks = {.arg = &h, .on_expect = on_expect, .on_step = on_step};
    int status = uvmsim_scn_run_hooked(s, &ro, &hooks);
    /* the messages are those of `uvmsim run`: the user sees them as usual */
    for (unsigned i = 0; i < h.nsteps; i++)
        fputs(h.steps[i].messages, err);
    char *msgs = stream_take(&h.msgs);
    if (msgs)
        fputs(msgs, err);
    free(msgs);
    char *summary = stream_take(&h.narr);
    if (summary == NULL && status != UVMSIM_SCN_INPUT)
        status = UVMSIM_SCN_SIMERR;
    if (status == UVMSIM_SCN_OK || status == UVMSIM_SCN_FAILED) {
        int g = uvmsim_scn_graphviz(err, "uvmsim html", dot, h.dots, "svg", NULL, svgf);
        if (g != UVMSIM_SCN_OK)
            status = g;
    }
    if (status == UVMSIM_SCN_OK || status == UVMSIM_SCN_FAILED) {
        struct sbuf all = {0};
        char chunk[8192];
        size_t n;
        rewind(svgf);
        while ((n = fread(chunk, 1, sizeof(chunk), svgf)) > 0)
            for (size_t i = 0; i < n; i++)
                uvmsim_sb_putc(&all, chunk[i]);
        const char **svg = calloc((size_t)h.npics + 1, sizeof(*svg));
        size_t *svglen = calloc((size_t)h.npics + 1, sizeof(*svglen));
        int got = all.s && svg && svglen ? split_svgs(all.s, svg, svglen, h.npics + 1) : -1;
        if (all.oom || got < 0) {
            fprintf(err, "uvmsim html: out of host memory\n");
            status = UVMSIM_SCN_SIMERR;
        } else if (got != h.npics + 1) {
            fprintf(err, "uvmsim html: %s drew %d pictures for %d graphs\n", dot, got, h.npics + 1);
            status = UVMSIM_SCN_SIMERR;
        } else {
            write_page(out, &h, summary, status, svg, svglen);
        }
        free(svg);
        free(svglen);
        uvmsim_sb_free(&all);
    }
    free(summary);
    fclose(svgf);
    hx_free(&h);
    free(dot);
    return status;
}
