/* uvmsim — the command-line tool.
 *
 *   uvmsim run [--json] [--trace FILE] [--pmap NAME] [--step N] [--check WHEN] SCENARIO
 *   uvmsim explain [--pmap NAME] [--step N] [--check WHEN] SCENARIO
 *   uvmsim dot [--step N] [--png FILE] [--pmap NAME] [--check WHEN] SCENARIO
 *   uvmsim matrix [--json|--csv] [--backend NAME] [--only KEY=VALUE ...]
 *   uvmsim help [COMMAND] | --help | --version
 *
 * Exit status: 0 ok, 1 an expectation or a matrix case failed, 2 usage or input error,
 * 3 simulator error (see uvmsim(1) and docs/cli.md).  Errors go to stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "scn.h"
#include "mx.h"
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
            "  matrix             run the fault-handler test matrix on every pmap backend\n"
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
            "its RAM, NOR (device) or zero page.  Shared things are filled orange.\n"
            "  --png FILE    render with Graphviz `dot -Tpng` into FILE instead of printing the text\n"
            "                (needs the graphviz package; UVMSIM_DOT names another dot program)\n"
            "Exit status as for `uvmsim run`; 3 also when dot is missing or fails.  See uvmsim(1).\n");
}

struct scn_args {
    bool json;
    const char *trace;
    const char *pmap;
    const char *png;
    unsigned step;
    int check;
    const char *scenario;
};

/* Parse the options of run / explain / dot with the shared parser: TOOL_PARSE_OK, or the
 * exit status (0 after --help / --version). */
static int parse_scn_args(const char *cmd, int argc, char **argv, struct scn_args *a, void (*usage)(FILE *))
{
    memset(a, 0, sizeof(*a));
    bool is_run = strcmp(cmd, "run") == 0, is_dot = strcmp(cmd, "dot") == 0;
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
    char prog[32];
    snprintf(prog, sizeof(prog), "uvmsim %s", cmd);
    const struct tool_cmd c = {prog, usage, opts, n, &a->scenario, 1, 1, "SCENARIO, a file or - for stdin"};
    unsigned npos;
    int rc = tool_parse(&c, argc, argv, &npos);
    if (pmap >= 0)
        a->pmap = uvmsim_pmap_backends()[pmap];
    return rc;
}

/* The Graphviz program: $UVMSIM_DOT, or `dot` found in PATH; NULL when there is none. */
static char *find_dot(void)
{
    const char *env = getenv("UVMSIM_DOT");
    if (env && *env)
        return access(env, X_OK) == 0 ? strdup(env) : NULL;
    const char *path = getenv("PATH");
    if (path == NULL)
        return NULL;
    char *copy = strdup(path);
    char *found = NULL;
    for (char *dir = strtok(copy, ":"); dir && !found; dir = strtok(NULL, ":")) {
        size_t n = strlen(dir) + 5;
        char *cand = malloc(n);
        if (cand == NULL)
            break;
        snprintf(cand, n, "%s/dot", *dir ? dir : ".");
        struct stat sb;
        if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0)
            found = cand;
        else
            free(cand);
    }
    free(copy);
    return found;
}

/* Render the dot text in `in` (rewound) to a PNG with Graphviz. */
static int render_png(FILE *in, const char *png)
{
    char *dot = find_dot();
    if (dot == NULL) {
        const char *env = getenv("UVMSIM_DOT");
        fprintf(stderr, "uvmsim dot: Graphviz 'dot' was not found%s; install the graphviz package "
                        "(e.g. apt-get install graphviz) or drop --png to print the dot text\n",
                env && *env ? " (UVMSIM_DOT does not name an executable)" : " in PATH");
        return UVMSIM_SCN_SIMERR;
    }
    fflush(in);
    rewind(in);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "uvmsim dot: cannot start %s: %s\n", dot, strerror(errno));
        free(dot);
        return UVMSIM_SCN_SIMERR;
    }
    if (pid == 0) {
        if (dup2(fileno(in), STDIN_FILENO) < 0)
            _exit(126);
        execl(dot, "dot", "-Tpng", "-o", png, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "uvmsim dot: %s -Tpng -o %s failed (exit status %d)\n", dot, png,
                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        free(dot);
        return UVMSIM_SCN_SIMERR;
    }
    free(dot);
    return UVMSIM_SCN_OK;
}

static int cmd_scenario(const char *cmd, uvmsim_scn_mode mode, int argc, char **argv, void (*usage)(FILE *))
{
    struct scn_args a;
    int rc = parse_scn_args(cmd, argc, argv, &a, usage);
    if (rc != TOOL_PARSE_OK)
        return rc;
    uvmsim_scn *s;
    char msg[1024];
    if (uvmsim_scn_load(a.scenario, &s, msg, sizeof(msg)) != UVMSIM_SCN_OK) {
        fprintf(stderr, "%s\n", msg);
        return UVMSIM_SCN_INPUT;
    }
    if (a.step > uvmsim_scn_nsteps(s)) {
        fprintf(stderr, "uvmsim %s: --step %u: the scenario has %u steps\n", cmd, a.step, uvmsim_scn_nsteps(s));
        uvmsim_scn_free(s);
        return UVMSIM_SCN_INPUT;
    }
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
    {"matrix", usage_matrix},
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
    else if (strcmp(cmd, "matrix") == 0)
        rc = uvmsim_mx_main(argc - 1, argv + 1, stdout, stderr);
    else {
        unknown_command(cmd);
        return UVMSIM_SCN_INPUT;
    }
    return tool_finish("uvmsim", rc);
}
