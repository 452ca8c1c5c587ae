/* uvmsim — the command-line tool.
 *
 *   uvmsim run [--json] [--trace FILE] [--pmap NAME] [--step N] [--check WHEN] SCENARIO
 *   uvmsim explain [--pmap NAME] [--step N] [--check WHEN] SCENARIO
 *   uvmsim dot [--step N] [--png FILE] [--pmap NAME] [--check WHEN] SCENARIO
 *   uvmsim html SCENARIO [-o FILE] [--pmap NAME] [--step N] [--check WHEN]
 *   uvmsim matrix [--json|--csv] [--backend NAME] [--only KEY=VALUE ...]
 *   uvmsim replay [--image IMG --program PATH] [--json|--csv] [OPTIONS] [TRACE...]
 *   uvmsim help [COMMAND] | --help | --version
 *
 * Exit status: 0 ok, 1 an expectation or a matrix case failed, 2 usage or input error,
 * 3 simulator error (see uvmsim(1) and docs/cli.md).  Errors go to stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "scn.h"
#include "mx.h"
#include "replay_cmd.h"
#include "tool_opt.h"

static void usage_main(FILE *f)
{
    fprintf(f,
            "usage: uvmsim COMMAND [OPTIONS] ...\n"
            "A simulator of NetBSD UVM virtual memory with execute-in-place from NOR flash.\n"
            "Commands:\n"
            "  run SCENARIO       run a scenario file, one line per step, checking its expect lines\n"
            "  explain SCENARIO   run it and explain every page fault step by step in plain words\n"
            "  dot SCENARIO       draw the state after the last step (or --step N) for Graphviz\n"
            "  html SCENARIO      the scenario as one web page to step through, with pictures\n"
            "  matrix             run the fault-handler test matrix on every pmap backend\n"
            "  replay [TRACE...]  replay Valgrind Lackey traces of a real program through the MMU\n"
            "  help [COMMAND]     this text, or COMMAND's help\n"
            "`uvmsim help COMMAND` (or `uvmsim COMMAND --help`) describes each command;\n"
            "`uvmsim --version` prints the version.  SCENARIO may be - for stdin.\n"
            "Manuals: uvmsim(1), the scenario language uvmsim-scenario(5).\n"
            "Exit status: 0 ok, 1 an expectation or a matrix case failed, 2 usage or input\n"
            "error, 3 simulator error.\n");
}

static void usage_run(FILE *f)
{
    fprintf(f,
            "usage: uvmsim run [--json] [--trace FILE] [--pmap NAME] [--step N] [--check WHEN] SCENARIO\n"
            "Runs SCENARIO (a file, or - for stdin) on a fresh machine: one line per step, then a\n"
            "summary.  Expect lines are checked after their step; a failed one is reported as\n"
            "FILE:LINE: expect failed: ... on stderr.\n"
            "  --json        print each step as a JSON object (JSON Lines), then a summary object\n"
            "  --trace FILE  write every event (faults with their outcome, fault steps, TLB misses,\n"
            "                walks, flushes, I/O, promotions, switches) to FILE as JSON Lines\n"
            "  --pmap NAME   use this pmap backend instead of the machine line's\n"
            "  --step N      stop after step N\n"
            "  --check WHEN  when the invariant checker runs: auto (default: after every step of\n"
            "                the first 1000, then after steps 2^k and the last), step (after every\n"
            "                step), end (after the last), off\n"
            "The summary line names the step the run stopped at and the first failed expectation.\n"
            "Exit status: 0 every expectation held, 1 one failed (or a step failed without an\n"
            "`expect error` line), 2 usage or scenario error, 3 simulator error.\n"
            "See uvmsim(1) and uvmsim-scenario(5).\n");
}

static void usage_explain(FILE *f)
{
    fprintf(f,
            "usage: uvmsim explain [--pmap NAME] [--step N] [--check WHEN] SCENARIO\n"
            "Runs SCENARIO and explains each step; for every page fault it tells the path through\n"
            "the fault handler: the TLB miss and page-table walk, the map entry and its protection,\n"
            "the upper (amap/anon) look-up and reference counts, the lower (object, XIP bmap and\n"
            "device address) look-up, the decision and why, bytes copied and I/O, the pmap_enter\n"
            "and the TLB refill.  After each step's result it lists the step's expect lines in\n"
            "order, each `held` or `FAILED` with what was found.  Options and exit status as for\n"
            "`uvmsim run`.  See uvmsim(1).\n");
}

static void usage_dot(FILE *f)
{
    fprintf(f,
            "usage: uvmsim dot [--step N] [--png FILE] [--pmap NAME] [--check WHEN] SCENARIO\n"
            "Runs SCENARIO (to its end, or to step N) and prints the machine's state as a Graphviz\n"
            "digraph: processes -> map entries -> amaps -> anons -> RAM pages, entries -> objects\n"
            "-> resident pages, and each page-table translation (a PV entry) as a dashed edge to\n"
            "its RAM, NOR (device) or zero page, and a table of the valid TLB entries.  Shared\n"
            "things are filled orange; a legend explains the shapes, colours and edge styles.\n"
            "  --png FILE    render with Graphviz `dot -Tpng` into FILE instead of printing the text\n"
            "                (needs the graphviz package; UVMSIM_DOT names another dot program)\n"
            "Exit status as for `uvmsim run`; 3 also when dot is missing or fails.  See uvmsim(1).\n");
}

static void usage_html(FILE *f)
{
    fprintf(f,
            "usage: uvmsim html SCENARIO [-o FILE] [--pmap NAME] [--step N] [--check WHEN]\n"
            "Runs SCENARIO (a file, or - for stdin) as `uvmsim explain` does and writes it as one\n"
            "self-contained HTML page to step through in a browser.  For every step the page shows\n"
            "the scenario text with the step's line highlighted, the fault class, each expect\n"
            "line's result, the state picture after the step (inline SVG drawn by Graphviz) with\n"
            "what the step changed marked (new, changed and freed anons, amaps, objects, pages,\n"
            "PTEs, reference and PV counts, TLB entries filled or flushed) and listed in words,\n"
            "the explanation of `uvmsim explain`, and the counters (RAM pages by use, faults by\n"
            "class, TLB hits and misses, PV entries, I/O) with their change; a legend explains\n"
            "the picture.  Navigate with the buttons, the left and right arrow keys, or the URL\n"
            "fragment #step=N (a link to one moment).  The page needs no network and no other\n"
            "file: styles, script and pictures are inline.\n"
            "  -o, --output FILE  write the page to FILE (default: standard output); it is written\n"
            "                     to a temporary file beside FILE and renamed when complete, so a\n"
            "                     failed run leaves no partial file\n"
            "  --pmap NAME        use this pmap backend instead of the machine line's\n"
            "  --step N           stop after step N\n"
            "  --check WHEN       when the invariant checker runs, as for `uvmsim run`\n"
            "Needs Graphviz `dot` (the graphviz package; UVMSIM_DOT names another dot program).\n"
            "Exit status: 0 every expectation held, 1 one failed (the page is written and shows\n"
            "it), 2 usage or scenario error (FILE:LINE: message; nothing written), 3 simulator\n"
            "error, Graphviz missing or failing (nothing written).  See uvmsim(1).\n");
}

struct scn_args {
    bool json;
    const char *trace;
    const char *pmap;
    const char *png;
    const char *output;
    unsigned step;
    int check;
    const char *scenario;
};

/* Parse the options of run / explain / dot / html with the shared parser: TOOL_PARSE_OK, or the
 * exit status (0 after --help / --version). */
static int parse_scn_args(const char *cmd, int argc, char **argv, struct scn_args *a, void (*usage)(FILE *))
{
    memset(a, 0, sizeof(*a));
    bool is_run = strcmp(cmd, "run") == 0, is_dot = strcmp(cmd, "dot") == 0, is_html = strcmp(cmd, "html") == 0;
    int pmap = -1;
    struct tool_opt opts[6];
    unsigned n = 0;
    opts[n++] = (struct tool_opt){"pmap", 0, TOOL_CHOICE, &pmap, 0, 0, uvmsim_pmap_backends(), NULL};
    opts[n++] = (struct tool_opt){"step", 0, TOOL_UINT, &a->step, 1, 1000000, NULL, NULL};
    opts[n++] = (struct tool_opt){"check", 0, TOOL_CHOICE, &a->check, 0, 0, uvmsim_scn_check_names, NULL};
    if (is_run) {
        opts[n++] = (struct tool_opt){"json", 0, TOOL_FLAG, &a->json, 0, 0, NULL, NULL};
        opts[n++] = (struct tool_opt){"trace", 0, TOOL_STR, &a->trace, 0, 0, NULL, NULL};
    }
    if (is_dot)
        opts[n++] = (struct tool_opt){"png", 0, TOOL_STR, &a->png, 0, 0, NULL, NULL};
    if (is_html)
        opts[n++] = (struct tool_opt){"output", 'o', TOOL_STR, &a->output, 0, 0, NULL, NULL};
    char prog[32];
    snprintf(prog, sizeof(prog), "uvmsim %s", cmd);
    const struct tool_cmd c = {prog, usage, opts, n, &a->scenario, 1, 1, "SCENARIO, a file or - for stdin"};
    unsigned npos;
    int rc = tool_parse(&c, argc, argv, &npos);
    if (pmap >= 0)
        a->pmap = uvmsim_pmap_backends()[pmap];
    if (rc == TOOL_PARSE_OK && a->output && *a->output == '\0') {
        fprintf(stderr, "%s: --output: expected a file name, got ''\n", prog);
        return TOOL_EXIT_USAGE;
    }
    return rc;
}

/* Render the dot text in `in` to a PNG with Graphviz. */
static int render_png(FILE *in, const char *png)
{
    char *dot = uvmsim_scn_find_dot();
    if (dot == NULL) {
        uvmsim_scn_dot_missing(stderr, "uvmsim dot", " or drop --png to print the dot text");
        return UVMSIM_SCN_SIMERR;
    }
    int rc = uvmsim_scn_graphviz(stderr, "uvmsim dot", dot, in, "png", png, NULL);
    free(dot);
    return rc;
}

/* Load the scenario the arguments name and check --step against it. */
static int load_scenario(const char *cmd, const struct scn_args *a, uvmsim_scn **s)
{
    char msg[1024];
    if (uvmsim_scn_load(a->scenario, s, msg, sizeof(msg)) != UVMSIM_SCN_OK) {
        fprintf(stderr, "%s\n", msg);
        return UVMSIM_SCN_INPUT;
    }
    if (a->step > uvmsim_scn_nsteps(*s)) {
        fprintf(stderr, "uvmsim %s: --step %u: the scenario has %u steps\n", cmd, a->step, uvmsim_scn_nsteps(*s));
        uvmsim_scn_free(*s);
        *s = NULL;
        return UVMSIM_SCN_INPUT;
    }
    return UVMSIM_SCN_OK;
}

static int cmd_scenario(const char *cmd, uvmsim_scn_mode mode, int argc, char **argv, void (*usage)(FILE *))
{
    struct scn_args a;
    int rc = parse_scn_args(cmd, argc, argv, &a, usage);
    if (rc != TOOL_PARSE_OK)
        return rc;
    uvmsim_scn *s;
    if (load_scenario(cmd, &a, &s) != UVMSIM_SCN_OK)
        return UVMSIM_SCN_INPUT;
    uvmsim_scn_opts o;
    uvmsim_scn_opts_init(&o);
    o.mode = mode;
    o.json = a.json;
    o.pmap = a.pmap;
    o.last_step = a.step;
    o.check = (uvmsim_scn_check)a.check;
    FILE *trace = NULL, *tmp = NULL;
    if (a.trace) {
        trace = fopen(a.trace, "w");
        if (trace == NULL) {
            fprintf(stderr, "uvmsim %s: --trace %s: cannot open: %s\n", cmd, a.trace, strerror(errno));
            uvmsim_scn_free(s);
            return UVMSIM_SCN_INPUT;
        }
        o.trace = trace;
    }
    if (a.png) {
        tmp = tmpfile();
        if (tmp == NULL) {
            fprintf(stderr, "uvmsim dot: cannot create a temporary file: %s\n", strerror(errno));
            uvmsim_scn_free(s);
            return UVMSIM_SCN_SIMERR;
        }
        o.out = tmp;
    }
    rc = uvmsim_scn_run(s, &o);
    if (trace && fclose(trace) != 0 && rc == UVMSIM_SCN_OK) {
        fprintf(stderr, "uvmsim %s: --trace %s: write error\n", cmd, a.trace);
        rc = UVMSIM_SCN_SIMERR;
    }
    if (tmp) {
        if (rc == UVMSIM_SCN_OK || rc == UVMSIM_SCN_FAILED) {
            int r2 = render_png(tmp, a.png);
            if (r2 != UVMSIM_SCN_OK)
                rc = r2;
        }
        fclose(tmp);
    }
    uvmsim_scn_free(s);
    if (fflush(stdout) != 0 && rc == UVMSIM_SCN_OK)
        rc = UVMSIM_SCN_SIMERR;
    return rc;
}

/* Copy what `in` holds (rewound) to `out`; false on a read or write error. */
static bool copy_file(FILE *in, FILE *out)
{
    char buf[8192];
    size_t n;
    rewind(in);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            return false;
    return !ferror(in);
}

/* uvmsim html: the library writes the page into a temporary file — beside FILE for -o,
 * so that the rename which publishes it is atomic — only when the run went through;
 * otherwise the temporary file is removed and FILE (or stdout) is left untouched. */
static int cmd_html(int argc, char **argv)
{
    struct scn_args a;
    int rc = parse_scn_args("html", argc, argv, &a, usage_html);
    if (rc != TOOL_PARSE_OK)
        return rc;
    uvmsim_scn *s;
    if (load_scenario("html", &a, &s) != UVMSIM_SCN_OK)
        return UVMSIM_SCN_INPUT;
    bool to_file = a.output && strcmp(a.output, "-") != 0;
    char *tmpname = NULL;
    FILE *out = NULL;
    if (to_file) {
        size_t n = strlen(a.output) + 16;
        tmpname = malloc(n);
        int fd = -1;
        if (tmpname) {
            snprintf(tmpname, n, "%s.tmp-XXXXXX", a.output);
            fd = mkstemp(tmpname);
        }
        if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
            fprintf(stderr, "uvmsim html: --output %s: cannot create a file there: %s\n", a.output, strerror(errno));
            if (fd >= 0) {
                close(fd);
                unlink(tmpname);
            }
            free(tmpname);
            uvmsim_scn_free(s);
            return UVMSIM_SCN_INPUT;
        }
        mode_t um = umask(0);   /* mkstemp made it 0600; a page is as readable as any new file */
        umask(um);
        if (fchmod(fd, 0666 & ~um) != 0) {
            /* not fatal: the page is still the user's */
        }
    } else if ((out = tmpfile()) == NULL) {
        fprintf(stderr, "uvmsim html: cannot create a temporary file: %s\n", strerror(errno));
        uvmsim_scn_free(s);
        return UVMSIM_SCN_SIMERR;
    }
    uvmsim_scn_html_opts o;
    uvmsim_scn_html_opts_init(&o);
    o.pmap = a.pmap;
    o.last_step = a.step;
    o.check = (uvmsim_scn_check)a.check;
    rc = uvmsim_scn_html(s, &o, out);
    uvmsim_scn_free(s);
    bool written = rc == UVMSIM_SCN_OK || rc == UVMSIM_SCN_FAILED;
    if (written && !to_file && (!copy_file(out, stdout) || fflush(stdout) != 0)) {
        fprintf(stderr, "uvmsim html: cannot write the page to standard output\n");
        rc = UVMSIM_SCN_SIMERR;
    }
    if (fclose(out) != 0 && written && to_file) {
        fprintf(stderr, "uvmsim html: --output %s: write error: %s\n", a.output, strerror(errno));
        rc = UVMSIM_SCN_SIMERR;
        written = false;
    }
    if (to_file) {
        if (written && rc != UVMSIM_SCN_SIMERR && rename(tmpname, a.output) != 0) {
            fprintf(stderr, "uvmsim html: --output %s: cannot replace it: %s\n", a.output, strerror(errno));
            rc = UVMSIM_SCN_SIMERR;
        }
        if (!written || rc == UVMSIM_SCN_SIMERR)
            unlink(tmpname);
        free(tmpname);
    }
    return rc;
}

struct command {
    const char *name;
    void (*usage)(FILE *f);
};

static void usage_matrix(FILE *f)
{
    char *argv[] = {"matrix", "--help", NULL};
    fflush(f);
    uvmsim_mx_main(2, argv, f, stderr);
}

static void usage_replay(FILE *f)
{
    char *argv[] = {"replay", "--help", NULL};
    fflush(f);
    uvmsim_replay_main(2, argv, f, stderr);
}

static void usage_help(FILE *f)
{
    fprintf(f, "usage: uvmsim help [COMMAND]\n"
               "Prints the list of commands, or COMMAND's own help (as `uvmsim COMMAND --help`).\n"
               "See uvmsim(1).\n");
}

static const struct command commands[] = {
    {"run", usage_run},
    {"explain", usage_explain},
    {"dot", usage_dot},
    {"html", usage_html},
    {"matrix", usage_matrix},
    {"replay", usage_replay},
    {"help", usage_help},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void unknown_command(const char *cmd)
{
    fprintf(stderr, "uvmsim: unknown command '%s' (valid:", cmd);
    for (unsigned i = 0; i < NCOMMANDS; i++)
        fprintf(stderr, " %s", commands[i].name);
    fprintf(stderr, "); try uvmsim --help\n");
}

int main(int argc, char **argv)
{
    /* Whole lines on stdout, so a message on stderr never lands in the middle of one
     * when both go to the same file or terminal. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        usage_main(stderr);
        return UVMSIM_SCN_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage_main(stdout);
        return tool_finish("uvmsim", 0);
    }
    if (strcmp(cmd, "--version") == 0) {
        tool_print_version("uvmsim");
        return tool_finish("uvmsim", 0);
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc == 2) {
            usage_main(stdout);
            return tool_finish("uvmsim", 0);
        }
        if (argc > 3) {
            fprintf(stderr, "uvmsim help: one command at a time; try uvmsim help\n");
            return UVMSIM_SCN_INPUT;
        }
        if (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
            usage_help(stdout);
            return tool_finish("uvmsim", 0);
        }
        for (unsigned i = 0; i < NCOMMANDS; i++) {
            if (strcmp(argv[2], commands[i].name) == 0) {
                commands[i].usage(stdout);
                return tool_finish("uvmsim", 0);
            }
        }
        unknown_command(argv[2]);
        return UVMSIM_SCN_INPUT;
    }
    int rc;
    if (strcmp(cmd, "run") == 0)
        rc = cmd_scenario("run", UVMSIM_SCN_MODE_RUN, argc - 1, argv + 1, usage_run);
    else if (strcmp(cmd, "explain") == 0)
        rc = cmd_scenario("explain", UVMSIM_SCN_MODE_EXPLAIN, argc - 1, argv + 1, usage_explain);
    else if (strcmp(cmd, "dot") == 0)
        rc = cmd_scenario("dot", UVMSIM_SCN_MODE_DOT, argc - 1, argv + 1, usage_dot);
    else if (strcmp(cmd, "html") == 0)
        rc = cmd_html(argc - 1, argv + 1);
    else if (strcmp(cmd, "matrix") == 0)
        rc = uvmsim_mx_main(argc - 1, argv + 1, stdout, stderr);
    else if (strcmp(cmd, "replay") == 0)
        rc = uvmsim_replay_main(argc - 1, argv + 1, stdout, stderr);
    else {
        unknown_command(cmd);
        return UVMSIM_SCN_INPUT;
    }
    return tool_finish("uvmsim", rc);
}
