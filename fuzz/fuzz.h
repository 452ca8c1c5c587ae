/* uvmsim fuzz harnesses: what they share.
 *
 * Each harness (fuzz_<name>.c) defines LLVMFuzzerTestOneInput() for one untrusted input
 * of the library: scenario text, an ext2 image, an ELF program.  Built with clang's
 * libFuzzer (-DUVMSIM_FUZZ=ON) it is a coverage-guided fuzzer; built by any compiler
 * without it, fuzz_main.c supplies main() and the same harness runs each file it is given
 * once (the seed corpus as a regression test, a crash input under Valgrind).
 *
 * Rules every harness keeps: no global mutable state (each input gets fresh machines,
 * so inputs never influence one another and a crash reproduces from its input alone);
 * every call must answer a defined uvmsim_err; an answer the harness can check against
 * another path (read() against the MMU, one mount against another, one backend against
 * another) that differs is a finding, reported with fz_fail() (abort: libFuzzer saves
 * the input). */
#ifndef UVMSIM_FUZZ_H
#define UVMSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include "uvmsim/uvmsim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a finding and abort. */
_Noreturn void fz_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define FZ_FAIL(...) fz_fail(__FILE__, __LINE__, __VA_ARGS__)
#define FZ_ASSERT(cond, ...) do { if (!(cond)) fz_fail(__FILE__, __LINE__, "assertion '" #cond "' failed: " __VA_ARGS__); } while (0)

/* err must be one of the uvmsim_err codes. */
#define FZ_CODE(err, what) FZ_ASSERT((err) >= 0 && (err) < UVMSIM_ERR_COUNT, "%s returned %d", (what), (int)(err))

/* A machine with the given page size, RAM (bytes) and pmap backend; NULL only when the
 * host is out of memory (the configuration is always valid). */
uvmsim_machine *fz_machine(size_t page_size, uint64_t ram, const char *pmap);

/* The invariant checker must pass. */
void fz_check(uvmsim_machine *m, const char *when);

/* A flash device with strategy blocks of block_size bytes (0: the default) holding
 * `size` bytes of `data` followed by zeros up to `devsize` (a multiple of the page size
 * and of block_size), attached to m; NULL when the host is out of memory. */
uvmsim_flashdev *fz_flashdev(uvmsim_machine *m, const uint8_t *data, size_t size, size_t devsize,
                             size_t block_size);

/* An ext2 image (4 KiB blocks, one group, revision 1 with the filetype feature) whose
 * root directory holds one regular file, /prog, with the given bytes and mode bits
 * (e.g. 0755); at most FZ_MKFS_MAX bytes (12 direct blocks and one indirect block).
 * Written here rather than by mke2fs so a harness needs no tool and no file: the image
 * is a container, the input is the file.  Returns the malloc'd image and its size
 * (a multiple of 4096), or NULL when the host is out of memory or size is too large. */
#define FZ_MKFS_MAX ((size_t)(12 + 1024) * 4096)
uint8_t *fz_mkfs_one_file(const uint8_t *data, size_t size, unsigned mode, size_t *img_size);

#endif
