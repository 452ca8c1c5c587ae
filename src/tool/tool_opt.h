/* uvmsim programs' shared command line: one strict parser for every executable (the uvmsim
 * tool and its subcommands, the examples, the benchmark), so they all accept the same
 * forms and refuse the same junk with the same exit codes.  Not part of libuvmsim.
 *
 * Accepted: `--name VALUE`, `--name=VALUE`, `-x VALUE` (short aliases), `--` ends the
 * options.  Numbers are decimal digits or 0x hex, nothing else: `1x`, `1e9`, ` 5`, `-1`,
 * `+5`, `16G` (where no size is meant) and values outside the option's range are usage
 * errors naming the option and the value.  Sizes are numbers with an optional binary
 * suffix K, M, G, T (KiB, MiB, ... and KB ... are the same).  A choice names its valid
 * values when given another.  An option is given once (a later value replaces an earlier
 * one), except a TOOL_STRS option, which collects every value.  --help and --version are
 * built in. */
#ifndef UVMSIM_TOOL_OPT_H
#define UVMSIM_TOOL_OPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit status of every uvmsim program. */
enum {
    TOOL_EXIT_OK = 0,       /* done, every expectation held */
    TOOL_EXIT_FAILED = 1,   /* an expectation or comparison failed */
    TOOL_EXIT_USAGE = 2,    /* usage or input error */
    TOOL_EXIT_SIMERR = 3    /* simulator error */
};

typedef enum tool_kind {
    TOOL_FLAG,      /* bool *: set true, takes no value */
    TOOL_UINT,      /* unsigned *: a number in [min, max] */
    TOOL_U64,       /* uint64_t *: a number in [min, max] */
    TOOL_SIZE,      /* uint64_t *: a size (K/M/G/T suffix allowed) in [min, max] */
    TOOL_STR,       /* const char **: any text (a path, a list parsed by the program) */
    TOOL_CHOICE,    /* int *: index of the value in choices */
    TOOL_STRS       /* struct tool_strs *: every value, in order (the option may repeat) */
} tool_kind;

/* Where a repeatable option's values go: the caller provides items[0..cap-1] (argc
 * entries are always enough); given more than cap times is a usage error. */
struct tool_strs {
    const char **items;
    unsigned n, cap;
};

struct tool_opt {
    const char *name;               /* long name, without "--" */
    char short_name;                /* 0: none */
    tool_kind kind;
    void *dest;
    uint64_t min, max;              /* numbers and sizes */
    const char *const *choices;     /* TOOL_CHOICE: NULL-terminated */
    bool *seen;                     /* optional: set when the option was given */
};

struct tool_cmd {
    const char *prog;               /* "physmap", "uvmsim run": prefixes every message */
    void (*usage)(FILE *f);         /* the --help text */
    const struct tool_opt *opts;
    unsigned nopts;
    const char **pos;               /* positional arguments land here, in order */
    unsigned min_pos, max_pos;      /* how many are required / allowed */
    const char *pos_name;           /* "SCENARIO", "[IMAGE [PROGRAM]]": for the messages */
};

/* Parse argv[1..argc-1].  Returns TOOL_PARSE_OK with *npos positional arguments stored,
 * TOOL_PARSE_DONE when --help or --version printed what was asked (exit 0), or
 * TOOL_EXIT_USAGE after a message on stderr naming the option and the value, and a line
 * "PROG: try PROG --help". */
enum { TOOL_PARSE_OK = -1, TOOL_PARSE_DONE = 0 };
int tool_parse(const struct tool_cmd *c, int argc, char **argv, unsigned *npos);

/* The number rules above on one text (for list items); false after a usage message
 * "PROG: OPT: 'TEXT' ..." on stderr. */
bool tool_parse_u64(const char *prog, const char *opt, const char *text, uint64_t min, uint64_t max,
                    uint64_t *out);
bool tool_parse_size(const char *prog, const char *opt, const char *text, uint64_t min, uint64_t max,
                     uint64_t *out);
/* The index of text in choices, or -1 after a message listing the valid values. */
int tool_parse_choice(const char *prog, const char *opt, const char *text, const char *const *choices);
/* A comma-separated list of numbers in [min, max] into out[0..cap-1]; false after a
 * message (a bad item, an empty item, more than cap items). */
bool tool_parse_u64_list(const char *prog, const char *opt, const char *text, uint64_t min, uint64_t max,
                         uint64_t *out, unsigned cap, unsigned *n);

/* "PROG (uvmsim) VERSION" on stdout, the CMake project version. */
void tool_print_version(const char *prog);

/* Write everything buffered to stdout; a failure to do so (a full disk, a closed pipe) is
 * reported and turns an otherwise good exit status into TOOL_EXIT_SIMERR. */
int tool_finish(const char *prog, int status);

#endif
