/* Scenario library: running Graphviz.  `uvmsim dot --png` and `uvmsim html` hand their
 * dot text to the `dot` program ($UVMSIM_DOT, or `dot` found in PATH) and need a clear
 * message when it is missing or fails; both go through here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "scn_internal.h"

char *uvmsim_scn_find_dot(void)
{
    const char *env = getenv("UVMSIM_DOT");
    if (env && *env)
        return access(env, X_OK) == 0 ? strdup(env) : NULL;
    const char *path = getenv("PATH");
    if (path == NULL)
        return NULL;
    char *copy = strdup(path);
    if (copy == NULL)
        return NULL;
    char *found = NULL, *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
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

void uvmsim_scn_dot_missing(FILE *err, const char *who, const char *hint)
{
    const char *env = getenv("UVMSIM_DOT");
    fprintf(err, "%s: Graphviz 'dot' was not found%s; install the graphviz package (e.g. apt-get install graphviz)%s\n",
            who, env && *env ? " (UVMSIM_DOT does not name an executable)" : " in PATH", hint ? hint : "");
}

int uvmsim_scn_graphviz(FILE *err, const char *who, const char *dot, FILE *in, const char *format,
                        const char *outpath, FILE *out)
{
    char fmt[32];
    snprintf(fmt, sizeof(fmt), "-T%s", format);
    if (fflush(in) != 0 || (out && fflush(out) != 0)) {
        fprintf(err, "%s: cannot write a temporary file: %s\n", who, strerror(errno));
        return UVMSIM_SCN_SIMERR;
    }
    rewind(in);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(err, "%s: cannot start %s: %s\n", who, dot, strerror(errno));
        return UVMSIM_SCN_SIMERR;
    }
    if (pid == 0) {
        if (dup2(fileno(in), STDIN_FILENO) < 0 || (out && dup2(fileno(out), STDOUT_FILENO) < 0))
            _exit(126);
        if (outpath)
            execl(dot, "dot", fmt, "-o", outpath, (char *)NULL);
        else
            execl(dot, "dot", fmt, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(err, "%s: %s %s%s%s failed (exit status %d)\n", who, dot, fmt, outpath ? " -o " : "",
                outpath ? outpath : "", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return UVMSIM_SCN_SIMERR;
    }
    return UVMSIM_SCN_OK;
}
