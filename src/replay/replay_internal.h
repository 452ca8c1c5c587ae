/* Internal to libuvmsim: the replayer (replay.c) and the trace files it reads
 * (replay_file.c).  See include/uvmsim/replay.h and docs/replay.md. */
#ifndef UVMSIM_REPLAY_INTERNAL_H
#define UVMSIM_REPLAY_INTERNAL_H

#include "uvmsim/replay.h"
#include "../vm/uvm_vm.h"

/* ---- trace files (replay_file.c) ----
 * A buffered reader of a plain or gzip-compressed file, or of standard input.
 * Invariants: buf[pos, len) holds bytes read and not yet consumed; eof is set once the
 * source has no more bytes (then buf[pos, len) is the last of them). */
struct rp_file {
    char *name;               /* the path as given ("-" reads stdin, named "<stdin>") */
    int fd;                   /* plain regular file: read() on it; -1 otherwise */
    void *gz;                 /* gzFile for gzip files and for standard input (zlib reads
                                 plain text through transparently) */
    char *buf;                /* owned, cap bytes; or a window into map */
    size_t cap, pos, len;     /* with map: cap as for read(), the window's limit */
    char *map;                /* plain regular file mapped whole (NULL: read()) */
    size_t map_len;
    bool eof;
    uint64_t total;           /* bytes of the file (0: unknown) */
    uint64_t consumed;        /* bytes of the file read so far (compressed for gzip) */
};

/* Open path; on failure *msg says why and the return value is a uvmsim_err. */
int uvmsim_rp_file_open(const char *path, struct rp_file **out, char *msg, size_t msglen);
void uvmsim_rp_file_close(struct rp_file *f);
/* Move the unconsumed bytes to the front and read more behind them (at least one byte,
 * or eof).  UVMSIM_EIO with msg on a read or decompression error. */
int uvmsim_rp_file_fill(struct rp_file *f, char *msg, size_t msglen);

#endif
