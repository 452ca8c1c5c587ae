/* uvmsim — NOR flash device: block (strategy) I/O plus a direct-access physical window.
 *
 * A NOR device serves two masters, as in the XIP paper §4.4: the filesystem reads its
 * metadata (and the non-XIP pager its data) through the block interface, and the XIP
 * pager maps its pages directly by physical address.  The device knows nothing of files. */
#ifndef UVMSIM_FLASHDEV_H
#define UVMSIM_FLASHDEV_H

#include "uvmsim/types.h"
#include "uvmsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvmsim_flashdev uvmsim_flashdev;

typedef struct uvmsim_flashdev_config {
    const char *name;         /* for reports (copied); NULL or "": "norN", the first N
                                 not taken on this machine */
    size_t block_size;        /* strategy block size, power of two; default 512 */
    uvmsim_paddr_t base;      /* physical base; 0 = the machine's nor_base */
    bool direct_access;       /* false: the driver offers block I/O only — the window is
                                 still on the bus, but uvmsim_flashdev_direct_access()
                                 answers UVMSIM_ENOXIP, so XIP mounts are refused */
} uvmsim_flashdev_config;

UVMSIM_API void uvmsim_flashdev_config_init(uvmsim_flashdev_config *cfg);

/* Create a device from an image file / a caller's buffer (copied), attach its window to
 * the machine's physical address space and register its device segment.  The image size
 * must be a non-zero multiple of block_size and of the page size, and fit the window.
 * The machine owns the device: it is destroyed with the machine, or earlier by
 * uvmsim_flashdev_destroy().
 *
 * Placement: cfg->base != 0 puts the window there (page aligned, else UVMSIM_EALIGN;
 * overlapping any segment → UVMSIM_EOVERLAP).  cfg->base == 0 puts it at the first
 * page-aligned gap inside the machine's NOR window [nor_base, nor_base + nor_size), so
 * several default devices sit one after the other (no room left → UVMSIM_ERANGE).
 * Errors: NULL machine/out, block_size not a power of two, size 0 → UVMSIM_EINVAL;
 * size not a multiple of block_size or of the page size → UVMSIM_EALIGN; size larger
 * than nor_size → UVMSIM_ERANGE; image file unreadable → UVMSIM_EIO; host allocation →
 * UVMSIM_ENOHOST.  On error *out is NULL and nothing is registered. */
UVMSIM_API int uvmsim_flashdev_create_file(uvmsim_machine *m, const uvmsim_flashdev_config *cfg,
                                           const char *path, uvmsim_flashdev **out);
UVMSIM_API int uvmsim_flashdev_create_mem(uvmsim_machine *m, const uvmsim_flashdev_config *cfg,
                                          const void *image, size_t size, uvmsim_flashdev **out);
/* A device holding the deterministic pattern of uvmsim_flashdev_pattern_fill(): for
 * demos and tests that need a NOR image without a file. */
UVMSIM_API int uvmsim_flashdev_create_pattern(uvmsim_machine *m, const uvmsim_flashdev_config *cfg,
                                              size_t size, uint64_t seed, uvmsim_flashdev **out);
/* Fill buf with the pattern: each 8-byte little-endian word at byte offset o holds a
 * hash of (seed, o / 8), so any block can be checked independently.  size need not be a
 * multiple of 8. */
UVMSIM_API void uvmsim_flashdev_pattern_fill(void *buf, size_t size, uint64_t seed);

/* Detach and free.  Fails with UVMSIM_EBUSY while a mount or mapping uses it. */
UVMSIM_API int uvmsim_flashdev_destroy(uvmsim_flashdev *dev);

UVMSIM_API const char *uvmsim_flashdev_name(const uvmsim_flashdev *dev);
UVMSIM_API size_t uvmsim_flashdev_block_size(const uvmsim_flashdev *dev);
UVMSIM_API uint64_t uvmsim_flashdev_nblocks(const uvmsim_flashdev *dev);
UVMSIM_API uint64_t uvmsim_flashdev_size(const uvmsim_flashdev *dev);
UVMSIM_API bool uvmsim_flashdev_is_direct(const uvmsim_flashdev *dev);

/* Block interface (the d_strategy analogue): read nblks blocks starting at blkno into buf.
 * Counted as one request of nblks*block_size bytes and traced as one UVMSIM_EV_IO event
 * (a = blkno, b = nblks, pa = the first block's physical address).
 * NULL dev/buf or nblks == 0 → UVMSIM_EINVAL; out of range → UVMSIM_ERANGE (counted in
 * failed_requests). */
UVMSIM_API int uvmsim_flashdev_strategy(uvmsim_flashdev *dev, uint64_t blkno, uint64_t nblks, void *buf);
/* Fault injection: a medium error on purpose.  After `skip` more successful block reads
 * (strategy calls), the next `count` fail with UVMSIM_EIO, counted in failed_requests
 * and not in read_requests; nothing is copied into the caller's buffer.  Whoever reads
 * through the device sees it: the copy-mount pager's getpages (the fault fails with
 * UVMSIM_EIO, as uvm_fault_lower_io returns the pager's error), read(2), the filesystem's
 * metadata reads.  The XIP paths read no blocks, so they never see it.  count
 * UVMSIM_INJECT_FOREVER (machine.h) fails every read until the plan is replaced; (0, 0)
 * clears it.  UVMSIM_EINVAL for NULL. */
UVMSIM_API int uvmsim_flashdev_fail_reads(uvmsim_flashdev *dev, uint64_t skip, uint64_t count);
/* Writes are refused with UVMSIM_EROFS (counted in failed_requests): NOR is a read-only
 * medium at run time. */
UVMSIM_API int uvmsim_flashdev_write(uvmsim_flashdev *dev, uint64_t blkno, uint64_t nblks, const void *buf);

/* Direct access (Linux direct_access()): block number → physical address.
 * UVMSIM_ENOXIP when the device has no direct access, UVMSIM_ERANGE past the end. */
UVMSIM_API int uvmsim_flashdev_direct_access(const uvmsim_flashdev *dev, uint64_t blkno, uvmsim_paddr_t *pa);
/* Base physical address of the window (NetBSD caches this at mount time); 0 for NULL. */
UVMSIM_API uvmsim_paddr_t uvmsim_flashdev_base(const uvmsim_flashdev *dev);

typedef struct uvmsim_flashdev_stats {
    uint64_t read_requests;   /* strategy calls that succeeded */
    uint64_t read_blocks;
    uint64_t read_bytes;
    uint64_t failed_requests; /* out of range / write attempts / injected read errors */
} uvmsim_flashdev_stats;
UVMSIM_API void uvmsim_flashdev_stats_get(const uvmsim_flashdev *dev, uvmsim_flashdev_stats *out);

#ifdef __cplusplus
}
#endif
#endif
