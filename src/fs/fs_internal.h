/* Internal to libuvmsim: the filesystem's structures shared between its files (mount
 * table and vnodes in vfs.c, the buffer cache in fs_bcache.c, the ext2 driver in ext2.c)
 * and the two accessors the VM's vnode pagers use. */
#ifndef UVMSIM_FS_INTERNAL_H
#define UVMSIM_FS_INTERNAL_H

#include <stdarg.h>
#include "uvmsim/fs.h"

struct uvmsim_machine;

/* ---- for the VM ---- */

/* The pager slot of a vnode: a void * the VM owns (it attaches its uvm_object here; the
 * object holds a vnode reference while mappings use it, and its page cache stays with the
 * vnode).  The fs never reads or writes it, except that it starts out NULL. */
void **uvmsim_vnode_vmslot(uvmsim_vnode *vp);
/* Called with the slot's value when the vnode is freed (VOP_RECLAIM): the VM frees the
 * object and its page cache there. */
void uvmsim_vnode_set_vmreclaim(uvmsim_vnode *vp, void (*fn)(void *obj));

/* Inode number of a vnode (0 for NULL). */
uint32_t uvmsim_vnode_ino(const uvmsim_vnode *vp);

/* ---- limits ---- */
#define UVMSIM_FS_PATH_MAX 1024    /* bytes of a path, without the NUL */
#define UVMSIM_FS_NAME_MAX 255     /* bytes of one component */
#define UVMSIM_FS_MAXSYMLINKS 32   /* symlinks followed by one look-up (NetBSD MAXSYMLINKS) */
#define UVMSIM_FS_BCACHE_NBUF 32   /* metadata buffers per mount */
#define UVMSIM_FS_VHASH 64         /* vnode hash buckets per mount (power of two) */

/* ---- ext2 on-disk constants ---- */
#define EXT2_SUPER_OFFSET 1024
#define EXT2_SUPER_SIZE 1024
#define EXT2_MAGIC 0xEF53
#define EXT2_ROOT_INO 2
#define EXT2_NDIR_BLOCKS 12
#define EXT2_IND_BLOCK 12
#define EXT2_DIND_BLOCK 13
#define EXT2_TIND_BLOCK 14
#define EXT2_N_BLOCKS 15
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO 11
#define EXT2_DESC_SIZE 32
#define EXT2_FAST_LINK_MAX 59      /* longest target stored in i_block (60 bytes, NUL) */

#define EXT2_FEATURE_INCOMPAT_FILETYPE 0x0002u
/* Inode flags the driver must refuse: the map in i_block is not a block map. */
#define EXT4_HUGE_FILE_FL 0x00040000u
#define EXT4_EXTENTS_FL 0x00080000u
#define EXT4_INLINE_DATA_FL 0x10000000u
#define EXT4_FEATURE_RO_COMPAT_HUGE_FILE 0x0008u

/* The superblock fields the driver uses, decoded and validated at mount.
 * Invariants after a successful mount: bsize in {1024, 2048, 4096}, bsize == 1024 << log;
 * blocks_count * bsize <= device size; ngroups * inodes_per_group == inodes_count;
 * every inode_table[g] .. + itable_blocks lies inside [first_data_block, blocks_count). */
struct ext2_fs {
    uint32_t rev;                  /* 0 (original) or 1 (dynamic) */
    uint32_t inodes_count, blocks_count, first_data_block;
    uint32_t blocks_per_group, inodes_per_group;
    uint32_t inode_size;           /* 128 for rev 0 */
    uint32_t feature_compat, feature_incompat, feature_ro_compat; /* 0 for rev 0 */
    uint32_t bsize;                /* bytes per fs block */
    uint32_t ptrs;                 /* block pointers per indirect block: bsize / 4 */
    uint32_t ngroups;
    uint32_t itable_blocks;        /* blocks of one group's inode table */
    uint32_t *inode_table;         /* [ngroups]: first block of each group's inode table */
    uint64_t max_blocks;           /* blocks addressable through i_block: 12+p+p^2+p^3 */
    bool filetype;                 /* dirents carry a type byte (8-bit name_len) */
};

/* In-core copy of an on-disk inode (the parts the driver uses). */
struct ext2_inode_mem {
    uint32_t mode;
    uint32_t nlink;
    uint32_t flags;
    uint32_t file_acl;
    uint64_t size;                 /* i_size (| i_size_high << 32 for regular files) */
    uint64_t sectors;              /* i_blocks in 512-byte units */
    uint8_t iblock[4 * EXT2_N_BLOCKS]; /* raw i_block: pointers, or a fast symlink's text */
};

/* One metadata buffer.  lru == 0 means empty; otherwise data holds fs block blkno. */
struct fs_buf {
    uint64_t blkno;
    uint64_t lru;                  /* value of the cache's tick at last use */
    uint8_t *data;                 /* bsize bytes inside the cache's arena */
};

/* Fixed-size LRU cache of metadata blocks (superblock area, group descriptors, inode
 * tables, indirect blocks, directories, slow symlinks).  File data bypasses it. */
struct fs_bcache {
    struct fs_buf bufs[UVMSIM_FS_BCACHE_NBUF];
    uint8_t *arena;                /* NBUF * bsize bytes */
    uint64_t tick;                 /* strictly increasing use counter */
};

/* Per-machine fs state.  Lives in the sentinel record at the head of m->mounts (see
 * vfs.c) so the fs needs no field of its own in struct uvmsim_machine. */
struct uvmsim_fs_state {
    char last_error[256];          /* "" until a mount or look-up fails */
    uvmsim_fs_stats stats;
};

/* A vnode: one in-core inode of one mount.
 * Invariants: usecount > 0 while the vnode is on its mount's hash chain; a vnode with
 * usecount 0 is freed at once (no free list), so "same inode → same vnode" holds for
 * exactly as long as somebody references it; type matches in.mode. */
struct uvmsim_vnode {
    struct uvmsim_mount *mp;
    struct uvmsim_vnode *hnext;    /* hash chain of mp->vhash[ino % UVMSIM_FS_VHASH] */
    uint32_t ino;
    uint32_t usecount;
    uvmsim_vtype type;
    struct ext2_inode_mem in;
    int64_t data_blocks;           /* allocated data blocks inside i_size; -1 = not counted yet */
    void *vmslot;                  /* owned by the VM (uvmsim_vnode_vmslot) */
    void (*vmreclaim)(void *obj);  /* frees vmslot's object when the vnode goes */
};

/* A mount, or the table's sentinel head.  m->mounts points at the sentinel (is_head,
 * allocated on the fs's first use of the machine, freed by uvmsim_fs_unmount_all); real
 * mounts follow it on the next chain.  Every record's st points at the sentinel's state. */
struct uvmsim_mount {
    struct uvmsim_mount *next;
    struct uvmsim_machine *m;
    struct uvmsim_fs_state *st;
    bool is_head;
    /* real mounts only: */
    uvmsim_flashdev *dev;          /* held (uvmsim_flashdev_hold) while mounted */
    char *path;                    /* normalised absolute path, owned */
    size_t pathlen;
    unsigned flags;                /* UVMSIM_MNT_*, RDONLY always set */
    uvmsim_paddr_t xip_base;       /* device base, cached at mount (XIP mounts) */
    size_t dev_bsize;              /* the device's strategy block size */
    uint8_t *scratch;              /* dev_bsize bytes: device blocks larger than fs blocks */
    uint8_t *blkbuf;               /* bsize bytes: partial-block file reads */
    struct ext2_fs fs;
    struct fs_bcache bc;
    uint64_t nvnodes;              /* vnodes on the hash (all referenced) */
    struct uvmsim_vnode *vhash[UVMSIM_FS_VHASH];
};

/* ---- vfs.c ---- */
/* Record a sentence for uvmsim_fs_last_error() and return err. */
int uvmsim_fs_fail(struct uvmsim_mount *mp, int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int uvmsim_fs_failm(struct uvmsim_machine *m, int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Referenced vnode for inode ino of mp, loading the inode on a cache miss. */
int uvmsim_fs_vget(struct uvmsim_mount *mp, uint32_t ino, struct uvmsim_vnode **out);

/* ---- fs_bcache.c ---- */
int uvmsim_fs_bcache_init(struct uvmsim_mount *mp);
void uvmsim_fs_bcache_fini(struct uvmsim_mount *mp);
/* Metadata block blkno (< blocks_count).  *data stays valid until the next bcache call
 * on this mount: callers copy what they need before asking for another block. */
int uvmsim_fs_bread(struct uvmsim_mount *mp, uint64_t blkno, const uint8_t **data);
/* Read n whole fs blocks from blkno into buf through the device strategy routine. */
int uvmsim_fs_devread(struct uvmsim_mount *mp, uint64_t blkno, uint64_t n, void *buf);
/* Read len bytes at byte offset off of the device (used before the block size is known). */
int uvmsim_fs_devread_bytes(struct uvmsim_mount *mp, uint64_t off, size_t len, void *buf);

/* ---- ext2.c ---- */
/* Read and validate the superblock and group descriptors; applies nothing else. */
int uvmsim_ext2_mountfs(struct uvmsim_mount *mp);
void uvmsim_ext2_unmountfs(struct uvmsim_mount *mp);
int uvmsim_ext2_iget(struct uvmsim_mount *mp, uint32_t ino, struct ext2_inode_mem *out,
                     uvmsim_vtype *type);
int uvmsim_ext2_bmap(struct uvmsim_vnode *vp, uint64_t lbn, uint64_t *pbn);
int uvmsim_ext2_read(struct uvmsim_vnode *vp, uint64_t off, void *buf, size_t len, size_t *nread);
/* Directory entry name → inode number; UVMSIM_ENOENT when absent. */
int uvmsim_ext2_lookup(struct uvmsim_vnode *dvp, const char *name, size_t namelen, uint32_t *ino);
int uvmsim_ext2_readdir(struct uvmsim_vnode *dvp, uvmsim_dirent_fn fn, void *arg);
int uvmsim_ext2_readlink(struct uvmsim_vnode *vp, char *buf, size_t len, size_t *outlen);
/* Count of allocated data blocks inside i_size (walks the indirect tree). */
int uvmsim_ext2_count_blocks(struct uvmsim_vnode *vp, uint64_t *count);

#endif
