/* uvmsim — replay of real memory traces through the simulated MMU.
 *
 * A replayer drives one process with the memory accesses of a real program, as recorded
 * by Valgrind's Lackey tool (`valgrind --tool=lackey --trace-mem=yes --log-file=FILE
 * PROG ARGS`): every record is an instruction fetch (I), a load (L), a store (S) or a
 * modify (M: a load, then a store) of SIZE bytes at ADDR.  Each becomes CPU accesses of
 * the process, page by page, through the TLB, the page tables and the fault handler, so
 * the machine's counters (faults by class, TLB, RAM, PV, I/O) are what the program
 * would have cost.  The traced program is normally exec'd into the process first, so its
 * text, data and bss are the real ELF mappings; every address outside the mappings
 * (stack, brk heap, mmap areas) is served by anonymous memory the replayer maps on first
 * touch (auto regions).  On a 32-bit MMU, addresses beyond its range are folded into it.
 * docs/replay.md states the rules: the record grammar and its errors, the auto-region
 * policy, the folding rule, and where static-pie programs load.
 *
 * Input comes as Lackey text (uvmsim_replay_feed, or a file attached with
 * uvmsim_replay_open_file: plain or gzip-compressed, "-" for standard input) or as
 * records (uvmsim_replay_record, uvmsim_replay_records).  A malformed record is an error
 * (UVMSIM_EINVAL, message "NAME:LINE: ...") unless the replayer is lenient, which counts
 * and skips it.  Once a replayer has failed, every later call returns the same error. */
#ifndef UVMSIM_REPLAY_H
#define UVMSIM_REPLAY_H

#include "uvmsim/types.h"
#include "uvmsim/error.h"
#include "uvmsim/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvmsim_replayer uvmsim_replayer;

/* Record kinds, as Lackey writes them: "I  ADDR,SIZE", " L ADDR,SIZE", " S ...", " M ...". */
typedef enum uvmsim_rec_kind {
    UVMSIM_REC_I = 0,          /* instruction fetch */
    UVMSIM_REC_L = 1,          /* load */
    UVMSIM_REC_S = 2,          /* store */
    UVMSIM_REC_M = 3,          /* modify: a load of the whole range, then a store */
    UVMSIM_REC_NKINDS
} uvmsim_rec_kind;

/* Largest SIZE a record may have (Lackey's are at most a few hundred bytes). */
#define UVMSIM_REPLAY_MAX_SIZE  (1u << 20)
/* Lines of a trace file must be shorter than this (a line of this many bytes or more,
 * not counting its newline, is an error: "line longer than"). */
#define UVMSIM_REPLAY_MAX_LINE  (1u << 16)
/* Default bytes a decoding thread takes at a time (uvmsim_replay_opts.decode_chunk). */
#define UVMSIM_REPLAY_CHUNK     (256u << 10)
/* Most threads a replayer takes (uvmsim_replay_opts.threads). */
#define UVMSIM_REPLAY_MAX_THREADS 64u
/* Default auto-region granule: 1 MiB, aligned. */
#define UVMSIM_REPLAY_REGION    (1ull << 20)

typedef struct uvmsim_replay_rec {
    uvmsim_vaddr_t addr;
    uint32_t size;             /* 1 .. UVMSIM_REPLAY_MAX_SIZE; addr + size - 1 must not wrap */
    uvmsim_rec_kind kind;
} uvmsim_replay_rec;

/* Called with the outcome of every fault a replayed access takes (the outcome is valid
 * during the call only). */
typedef void (*uvmsim_replay_fault_fn)(const uvmsim_fault_outcome *o, void *arg);

typedef struct uvmsim_replay_opts {
    bool lenient;              /* count and skip malformed records instead of failing */
    uint64_t region_size;      /* auto-region granule, a power of two >= the page size;
                                  0 → UVMSIM_REPLAY_REGION */
    uvmsim_replay_fault_fn on_fault;   /* NULL: none */
    void *fault_arg;
    const char *name;          /* input name for messages; NULL → "<trace>" (a file
                                  attached later names itself) */
    unsigned threads;          /* threads that decode an attached plain file: 0 or 1 the
                                  caller's only; N > 1 adds N - 1 helper threads that
                                  decode ahead while the caller replays (the simulation
                                  stays on the caller's thread; every counter, message and
                                  event is the same whatever N).  uvmsim_replay_threads_auto()
                                  suggests a number for one replayer on this host */
    uint64_t decode_chunk;     /* bytes of the file a thread decodes at a time (threads >
                                  1); 0 → UVMSIM_REPLAY_CHUNK; at most 1 GiB */
} uvmsim_replay_opts;

UVMSIM_API void uvmsim_replay_opts_init(uvmsim_replay_opts *o);
/* Threads worth giving one replayer of a large file here: 2 when the host has at least two
 * CPUs online, else 1 (decoding ahead pays when a core is free for it). */
UVMSIM_API unsigned uvmsim_replay_threads_auto(void);

/* A replayer for process p (which keeps its address space: exec the traced program into
 * it first).  The replayer must be closed before p exits. */
UVMSIM_API int uvmsim_replay_open(uvmsim_proc *p, const uvmsim_replay_opts *o, uvmsim_replayer **out);
/* Close the replayer and any file attached (the process and its mappings stay).  NULL ok. */
UVMSIM_API void uvmsim_replay_close(uvmsim_replayer *r);
UVMSIM_API uvmsim_proc *uvmsim_replay_proc(const uvmsim_replayer *r);

/* Replay one record / n records. */
UVMSIM_API int uvmsim_replay_record(uvmsim_replayer *r, uvmsim_rec_kind kind, uvmsim_vaddr_t addr,
                                    uint64_t size);
UVMSIM_API int uvmsim_replay_records(uvmsim_replayer *r, const uvmsim_replay_rec *recs, size_t n);

/* Replay Lackey text: the complete lines of text[0, len) (with last, the final line too,
 * newline or not), stopping after max_records records (0: no limit).  *used (NULL ok)
 * gets the bytes consumed, always whole lines: hand the rest in again with more text. */
UVMSIM_API int uvmsim_replay_feed(uvmsim_replayer *r, const char *text, size_t len, uint64_t max_records,
                                  bool last, size_t *used);

/* Attach a trace file ("-": standard input).  A gzip file (by its magic bytes) is read
 * through zlib.  The file's name is then the NAME of messages. */
UVMSIM_API int uvmsim_replay_open_file(uvmsim_replayer *r, const char *path);
/* Replay up to max_records records (0: all) from the attached file; *done (NULL ok) is
 * set when the file has ended. */
UVMSIM_API int uvmsim_replay_run(uvmsim_replayer *r, uint64_t max_records, bool *done);
/* Bytes of the attached file read so far and its size (0 when unknown: a pipe); for a
 * gzip file both are compressed bytes. */
UVMSIM_API void uvmsim_replay_progress(const uvmsim_replayer *r, uint64_t *bytes_read, uint64_t *bytes_total);

/* The message of the last failure ("NAME:LINE: ..." for input errors); "" if none. */
UVMSIM_API const char *uvmsim_replay_error(const uvmsim_replayer *r);

typedef struct uvmsim_replay_stats {
    uint64_t records;          /* records replayed (I + L + S + M) */
    uint64_t by_kind[UVMSIM_REC_NKINDS];
    uint64_t lines;            /* lines of text read */
    uint64_t skipped_lines;    /* lines that are not records (Valgrind's ==PID== text...) */
    uint64_t malformed;        /* malformed records skipped (lenient) */
    uint64_t accesses;         /* page accesses after splitting (an M counts two per page) */
    uint64_t split_records;    /* records that crossed a page boundary */
    uint64_t faults;           /* faults taken by replayed accesses */
    uint64_t auto_regions;     /* auto regions now (adjacent auto mappings count as one) */
    uint64_t auto_maps;        /* mappings the auto-region policy made */
    uint64_t auto_bytes;       /* bytes those mappings covered when made */
    uint64_t auto_exec;        /* auto mappings made executable by a fetch */
    uint64_t folded;           /* accesses folded into a 32-bit MMU's range */
} uvmsim_replay_stats;

UVMSIM_API void uvmsim_replay_stats_get(const uvmsim_replayer *r, uvmsim_replay_stats *out);

/* The folding rule in force for p's machine: addresses >= *limit are folded to
 * addr & (*limit - 1); *limit == 0 means no folding (the MMU covers the user space). */
UVMSIM_API void uvmsim_replay_fold_limit(const uvmsim_replayer *r, uint64_t *limit);

#ifdef __cplusplus
}
#endif
#endif
