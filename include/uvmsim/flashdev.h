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
    const char *name;         /* for reports; default "nor0" */
    size_t block_size;        /* strategy block size, power of two; default 512 */
    uvmsim_paddr_t base;      /* physical base; 0 = the machine's nor_base */
    bool direct_access;       /* false: block I/O only (XIP mounts are then refused) */
} uvmsim_flashdev_config;

UVMSIM_API void uvmsim_flashdev_config_init(uvmsim_flashdev_config *cfg);

/* Create a device from an image file / a caller's buffer (copied), attach its window to
 * the machine's physical address space and register its device segment.  The image size
 * must be a non-zero multiple of block_size and of the page size, and fit the window.
 * The machine owns the device: it is destroyed with the machine, or earlier by
 * uvmsim_flashdev_destroy(). */
UVMSIM_API int uvmsim_flashdev_create_file(uvmsim_machine *m, const uvmsim_flashdev_config *cfg,
                                           const char *path, uvmsim_flashdev **out);
UVMSIM_API int uvmsim_flashdev_create_mem(uvmsim_machine *m, const uvmsim_flashdev_config *cfg,
                                          const void *image, size_t size, uvmsim_flashdev **out);
/* Detach and free.  Fails with UVMSIM_EBUSY while a mount or mapping uses it. */
UVMSIM_API int uvmsim_flashdev_destroy(uvmsim_flashdev *dev);

UVMSIM_API const char *uvmsim_flashdev_name(const uvmsim_flashdev *dev);
UVMSIM_API size_t uvmsim_flashdev_block_size(const uvmsim_flashdev *dev);
UVMSIM_API uint64_t uvmsim_flashdev_nblocks(const uvmsim_flashdev *dev);
UVMSIM_API uint64_t uvmsim_flashdev_size(const uvmsim_flashdev *dev);
UVMSIM_API bool uvmsim_flashdev_is_direct(const uvmsim_flashdev *dev);

/* Block interface (the d_strategy analogue): read nblks blocks starting at blkno into buf.
 * Counted as one request of nblks*block_size bytes.  Out-of-range → UVMSIM_ERANGE. */
UVMSIM_API int uvmsim_flashdev_strategy(uvmsim_flashdev *dev, uint64_t blkno, uint64_t nblks, void *buf);
/* Writes are refused: NOR is a read-only medium at run time. */
UVMSIM_API int uvmsim_flashdev_write(uvmsim_flashdev *dev, uint64_t blkno, uint64_t nblks, const void *buf);

/* Direct access (Linux direct_access()): block number → physical address.
 * UVMSIM_ENOXIP when the device has no direct access, UVMSIM_ERANGE past the end. */
UVMSIM_API int uvmsim_flashdev_direct_access(const uvmsim_flashdev *dev, uint64_t blkno, uvmsim_paddr_t *pa);
/* Base physical address of the window (NetBSD caches this at mount time). */
UVMSIM_API uvmsim_paddr_t uvmsim_flashdev_base(const uvmsim_flashdev *dev);

typedef struct uvmsim_flashdev_stats {
    uint64_t read_requests;   /* strategy calls that succeeded */
    uint64_t read_blocks;
    uint64_t read_bytes;
    uint64_t failed_requests; /* out of range / write attempts */
} uvmsim_flashdev_stats;
UVMSIM_API void uvmsim_flashdev_stats_get(const uvmsim_flashdev *dev, uvmsim_flashdev_stats *out);

#ifdef __cplusplus
}
#endif
#endif
