/* uvmsim scenario library: the `uvmsim replay` command (replay_cmd.c) — real programs'
 * Lackey traces through the simulated MMU (docs/replay.md).  In the library so the
 * tests can run it in-process, as they run the matrix. */
#ifndef UVMSIM_CLI_REPLAY_CMD_H
#define UVMSIM_CLI_REPLAY_CMD_H

#include <stdio.h>

/* `uvmsim replay ARGS` (argv[0] is "replay"); returns the exit status: 0 ok, 2 usage or
 * input error, 3 simulator error. */
int uvmsim_replay_main(int argc, char **argv, FILE *out, FILE *err);

#endif
