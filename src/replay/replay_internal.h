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

/* ---- decoding ahead (replay_ahead.c) ----
 * A mapped trace file is cut into segments of whole lines: segment k holds the lines that
 * start in [k * chunk, (k + 1) * chunk).  Helper threads and the replayer's own thread
 * decode segments into drecs (the fast decoder of replay_lackey.h: pure, no replayer
 * state), and the replayer takes them in file order, so everything it replays, counts
 * and says is what one thread reading the file would have done (docs/replay.md,
 * "Threads").  A line without a newline inside the first UVMSIM_REPLAY_MAX_LINE bytes
 * after a segment's nominal start is longer than any line accepted: the segment starts
 * there, cutting that line, which the replayer refuses before it reaches the cut. */
#define RP_D_SHIFT 60
#define RP_D_VALUE ((1ull << RP_D_SHIFT) - 1)
enum {
    RP_D_LINES = 4,           /* lines for the careful parser, each ending in a newline */
    RP_D_TAIL = 5             /* bytes after the last newline of a segment: the file's
                                 final line without its newline, or a too-long line cut */
};
/* One decoded item.  A record: a = its address, n = size | kind << RP_D_SHIFT (kind <
 * UVMSIM_REC_NKINDS, 1 <= size <= 9999, no wrap: what rp_fast_line accepts).  Lines:
 * a = their file offset, n = bytes | RP_D_LINES or RP_D_TAIL << RP_D_SHIFT. */
struct rp_drec {
    uint64_t a, n;
};
struct rp_seg {
    uint64_t k;               /* the segment's number */
    uint64_t start, end;      /* its bytes [start, end) of the file */
    struct rp_drec *d;        /* d[0, nd): its lines in order; owned, cap entries */
    size_t nd, cap;
    size_t next;              /* the replayer's: d[next] is the first not replayed yet
                                 (the replayer may shorten a lines item it began) */
    int state;                /* RP_SEG_FREE/BUSY/READY, under the ahead's lock */
};
struct rp_ahead;
/* Start decoding map[0, len) in segments of chunk bytes with `helpers` threads (fewer if
 * the host refuses threads: the caller's thread then decodes what they do not).
 * UVMSIM_ENOHOST when host memory runs out. */
int uvmsim_rp_ahead_start(const unsigned char *map, uint64_t len, uint64_t chunk, unsigned helpers,
                          struct rp_ahead **out);
/* The current segment, decoded: the one after the last released, in file order (waits
 * for a helper, or decodes segments itself meanwhile).  NULL: the file has ended. */
struct rp_seg *uvmsim_rp_ahead_next(struct rp_ahead *a);
/* The current segment is replayed whole: its slot may be decoded into again. */
void uvmsim_rp_ahead_release(struct rp_ahead *a);
/* Stop the helpers, wait for them, free everything.  NULL ok. */
void uvmsim_rp_ahead_stop(struct rp_ahead *a);

#endif
