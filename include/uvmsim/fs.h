/* uvmsim — vnodes, the mount table and a read-only ext2 driver on a flash device.
 *
 * The filesystem reads metadata (and, for non-XIP mounts, file data) through the
 * device's block strategy interface with a small buffer cache.  It knows nothing of
 * faults: the VM's vnode pagers ask it only for bmap (file block → device block) and
 * reads.  A mount with UVMSIM_MNT_XIP caches the device's base physical address. */
#ifndef UVMSIM_FS_H
#define UVMSIM_FS_H

#include "uvmsim/types.h"
#include "uvmsim/error.h"
#include "uvmsim/flashdev.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvmsim_mount uvmsim_mount;
typedef struct uvmsim_vnode uvmsim_vnode;

enum {
    UVMSIM_MNT_RDONLY = 0x1,   /* always implied: the driver is read-only */
    UVMSIM_MNT_XIP = 0x2,      /* execute in place: needs direct access and block == page */
    UVMSIM_MNT_XIP_FAULTOP = 0x4, /* with XIP: use the dedicated XIP pager whose fault op
                                    enters device pages itself and copy_page fills COW
                                    anons (the tech-kern alternative design), instead of
                                    device pages returned by the vnode pager's get */
    UVMSIM_MNT_SUPERPAGES = 0x8,  /* with XIP: map file ranges with large pages where the
                                    blocks allow, whatever the machine's superpages says */
    UVMSIM_MNT_NOSUPERPAGES = 0x10 /* with XIP: never, whatever the machine says */
};

/* Mount the ext2 filesystem on dev at path (absolute, e.g. "/" or "/flash").
 * XIP mounts fail with UVMSIM_ENOXIP when the device has no direct access or the
 * filesystem block size differs from the page size; the reason is available from
 * uvmsim_fs_last_error(m).  Unsupported features → UVMSIM_ENOTSUP, corrupt → ECORRUPT.
 * The superpage flags need XIP and exclude each other (UVMSIM_EINVAL). */
UVMSIM_API int uvmsim_mount_ext2(uvmsim_machine *m, uvmsim_flashdev *dev, const char *path,
                                 unsigned flags, uvmsim_mount **out);
/* Unmount; UVMSIM_EBUSY while any vnode of the mount is referenced. */
UVMSIM_API int uvmsim_unmount(uvmsim_mount *mp);
/* A sentence explaining the last mount/lookup failure on this machine ("" if none). */
UVMSIM_API const char *uvmsim_fs_last_error(const uvmsim_machine *m);

UVMSIM_API unsigned uvmsim_mount_flags(const uvmsim_mount *mp);
UVMSIM_API size_t uvmsim_mount_block_size(const uvmsim_mount *mp);
UVMSIM_API uvmsim_flashdev *uvmsim_mount_device(const uvmsim_mount *mp);
UVMSIM_API const char *uvmsim_mount_path(const uvmsim_mount *mp);
/* For XIP mounts: the device's base physical address, cached at mount time. */
UVMSIM_API uvmsim_paddr_t uvmsim_mount_xip_base(const uvmsim_mount *mp);

/* Path look-up through the mount table (longest matching mount path), following
 * symlinks.  Returns a referenced vnode: release it with uvmsim_vnode_rele().  The same
 * file always yields the same vnode while it is referenced (so its page cache is shared). */
UVMSIM_API int uvmsim_namei(uvmsim_machine *m, const char *path, uvmsim_vnode **out);
/* As uvmsim_namei, but a symlink in the last component is returned itself (lstat-like),
 * so its target can be read with uvmsim_vnode_readlink(). */
UVMSIM_API int uvmsim_namei_nofollow(uvmsim_machine *m, const char *path, uvmsim_vnode **out);
/* Look-up relative to one mount (path relative to its root). */
UVMSIM_API int uvmsim_mount_lookup(uvmsim_mount *mp, const char *path, uvmsim_vnode **out);
UVMSIM_API void uvmsim_vnode_ref(uvmsim_vnode *vp);
UVMSIM_API void uvmsim_vnode_rele(uvmsim_vnode *vp);

typedef enum uvmsim_vtype {
    UVMSIM_VNON = 0, UVMSIM_VREG, UVMSIM_VDIR, UVMSIM_VLNK, UVMSIM_VOTHER
} uvmsim_vtype;

typedef struct uvmsim_vattr {
    uvmsim_vtype type;
    uint32_t ino;
    uint32_t mode;             /* st_mode bits */
    uint32_t nlink;
    uint64_t size;             /* bytes */
    uint64_t blocks_allocated; /* data blocks actually allocated (holes excluded) */
} uvmsim_vattr;

UVMSIM_API int uvmsim_vnode_getattr(uvmsim_vnode *vp, uvmsim_vattr *out);
UVMSIM_API uvmsim_mount *uvmsim_vnode_mount(const uvmsim_vnode *vp);
/* Read up to len bytes at off; *nread gets the count (short at end of file). */
UVMSIM_API int uvmsim_vnode_read(uvmsim_vnode *vp, uint64_t off, void *buf, size_t len, size_t *nread);
/* File block lbn → filesystem block number (in filesystem-block units from the start of
 * the device); *pbn = 0 means a hole ("unallocated"). */
UVMSIM_API int uvmsim_vnode_bmap(uvmsim_vnode *vp, uint64_t lbn, uint64_t *pbn);
/* Copy up to len bytes of a symlink's target (no NUL added); *outlen gets the count. */
UVMSIM_API int uvmsim_vnode_readlink(uvmsim_vnode *vp, char *buf, size_t len, size_t *outlen);
/* Call fn for each directory entry (name without NUL terminator guarantee: use namelen).
 * fn returns non-zero to stop early. */
typedef int (*uvmsim_dirent_fn)(const char *name, size_t namelen, uint32_t ino,
                                uvmsim_vtype type, void *arg);
UVMSIM_API int uvmsim_vnode_readdir(uvmsim_vnode *vp, uvmsim_dirent_fn fn, void *arg);

typedef struct uvmsim_fs_stats {
    uint64_t bcache_hits, bcache_misses;  /* metadata buffer cache */
    uint64_t block_reads;                 /* strategy requests issued by the fs */
    uint64_t vnodes_live;
} uvmsim_fs_stats;
UVMSIM_API void uvmsim_fs_stats_get(const uvmsim_machine *m, uvmsim_fs_stats *out);

#ifdef __cplusplus
}
#endif
#endif
