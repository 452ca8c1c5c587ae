/* uvmsim — the read-only ext2 driver: superblock and group descriptor validation,
 * inodes, the classic block map (direct, single, double and triple indirect; 0 = hole),
 * file reads, linear directories and fast/slow symlinks.  Every on-disk value is checked
 * before it is used as an index, a block number or a length, so a corrupt image yields
 * UVMSIM_ECORRUPT (with a sentence for uvmsim_fs_last_error) and never a wild read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_internal.h"

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- superblock ---- */

/* Superblock byte offsets (rev 1 fields from s_first_ino on). */
enum {
    SB_INODES_COUNT = 0, SB_BLOCKS_COUNT = 4, SB_FIRST_DATA_BLOCK = 20, SB_LOG_BLOCK_SIZE = 24,
    SB_BLOCKS_PER_GROUP = 32, SB_INODES_PER_GROUP = 40, SB_MAGIC = 56, SB_REV_LEVEL = 76,
    SB_FIRST_INO = 84, SB_INODE_SIZE = 88, SB_FEATURE_COMPAT = 92, SB_FEATURE_INCOMPAT = 96,
    SB_FEATURE_RO_COMPAT = 100
};

static const struct {
    uint32_t bit;
    const char *name;
} incompat_names[] = {
    {0x0001, "compression"}, {0x0002, "filetype"}, {0x0004, "needs_recovery"},
    {0x0008, "journal_dev"}, {0x0010, "meta_bg"}, {0x0040, "extent"}, {0x0080, "64bit"},
    {0x0100, "mmp"}, {0x0200, "flex_bg"}, {0x0400, "ea_inode"}, {0x1000, "dirdata"},
    {0x2000, "metadata_csum_seed"}, {0x4000, "large_dir"}, {0x8000, "inline_data"},
    {0x10000, "encrypt"}, {0x20000, "casefold"},
};

/* Name the unsupported incompat features in buf, e.g. "extent, flex_bg, 0x80000000". */
static void name_features(uint32_t bits, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned b = 0; b < 32 && used < len; b++) {
        uint32_t bit = 1u << b;
        if (!(bits & bit))
            continue;
        const char *name = NULL;
        for (size_t i = 0; i < sizeof(incompat_names) / sizeof(incompat_names[0]); i++)
            if (incompat_names[i].bit == bit)
                name = incompat_names[i].name;
        int n = name ? snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name)
                     : snprintf(buf + used, len - used, "%s0x%x", used ? ", " : "", bit);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int read_group_descriptors(struct uvmsim_mount *mp)
{
    struct ext2_fs *fs = &mp->fs;
    uint64_t gdt_start = (uint64_t)fs->first_data_block + 1;
    uint64_t gdt_blocks = ((uint64_t)fs->ngroups * EXT2_DESC_SIZE + fs->bsize - 1) / fs->bsize;
    if (gdt_start + gdt_blocks > fs->blocks_count)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                              "%s: the group descriptor table (%llu blocks for %u groups) does not fit in the filesystem",
                              mp->path, (unsigned long long)gdt_blocks, fs->ngroups);
    fs->inode_table = malloc(sizeof(uint32_t) * fs->ngroups);
    if (fs->inode_table == NULL)
        return UVMSIM_ENOHOST;
    uint32_t per_block = fs->bsize / EXT2_DESC_SIZE;
    for (uint32_t g = 0; g < fs->ngroups; g++) {
        const uint8_t *blk;
        int err = uvmsim_fs_bread(mp, gdt_start + g / per_block, &blk);
        if (err)
            return err;
        const uint8_t *d = blk + (size_t)(g % per_block) * EXT2_DESC_SIZE;
        uint32_t it = le32(d + 8);   /* bg_inode_table */
        if (it <= fs->first_data_block || it >= fs->blocks_count ||
            fs->itable_blocks > fs->blocks_count - it)
            return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                                  "%s: group %u's inode table at block %u (%u blocks) lies outside the filesystem (%u blocks)",
                                  mp->path, g, it, fs->itable_blocks, fs->blocks_count);
        fs->inode_table[g] = it;
    }
    return UVMSIM_OK;
}

int uvmsim_ext2_mountfs(struct uvmsim_mount *mp)
{
    struct ext2_fs *fs = &mp->fs;
    uint8_t sb[EXT2_SUPER_SIZE];
    uint64_t devsize = uvmsim_flashdev_size(mp->dev);
    memset(fs, 0, sizeof(*fs));
    if (devsize < EXT2_SUPER_OFFSET + EXT2_SUPER_SIZE)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: device of %llu bytes is too small to hold an ext2 superblock",
                              mp->path, (unsigned long long)devsize);
    int err = uvmsim_fs_devread_bytes(mp, EXT2_SUPER_OFFSET, EXT2_SUPER_SIZE, sb);
    if (err)
        return uvmsim_fs_fail(mp, err, "%s: reading the superblock failed: %s", mp->path, uvmsim_strerror(err));

    uint32_t magic = le16(sb + SB_MAGIC);
    if (magic != EXT2_MAGIC)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: bad superblock magic 0x%04x (ext2 has 0x%04x)", mp->path,
                              magic, EXT2_MAGIC);
    fs->rev = le32(sb + SB_REV_LEVEL);
    if (fs->rev > 1)
        return uvmsim_fs_fail(mp, UVMSIM_ENOTSUP, "%s: ext2 revision %u is not supported (only 0 and 1 are)",
                              mp->path, fs->rev);
    uint32_t logbs = le32(sb + SB_LOG_BLOCK_SIZE);
    if (logbs > 6)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: absurd block size (log2 %u above 1 KiB)", mp->path, logbs + 10);
    if (logbs > 2)
        return uvmsim_fs_fail(mp, UVMSIM_ENOTSUP, "%s: block size %u KiB is not supported (1, 2 and 4 KiB are)",
                              mp->path, 1u << logbs);
    fs->bsize = 1024u << logbs;
    fs->ptrs = fs->bsize / 4;
    uint64_t p = fs->ptrs;
    fs->max_blocks = EXT2_NDIR_BLOCKS + p + p * p + p * p * p;

    if (fs->rev == 0) {
        /* Revision 0 has fixed inodes and no feature words (those bytes are reserved). */
        fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
    } else {
        fs->inode_size = le16(sb + SB_INODE_SIZE);
        fs->feature_compat = le32(sb + SB_FEATURE_COMPAT);
        fs->feature_incompat = le32(sb + SB_FEATURE_INCOMPAT);
        fs->feature_ro_compat = le32(sb + SB_FEATURE_RO_COMPAT);
        if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || (fs->inode_size & (fs->inode_size - 1)) ||
            fs->inode_size > fs->bsize)
            return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: bad inode size %u", mp->path, fs->inode_size);
        uint32_t unsup = fs->feature_incompat & ~EXT2_FEATURE_INCOMPAT_FILETYPE;
        if (unsup & 0x0004u)
            return uvmsim_fs_fail(mp, UVMSIM_ENOTSUP,
                                  "%s: the journal needs recovery (needs_recovery); this read-only ext2 driver cannot replay it, run e2fsck first",
                                  mp->path);
        if (unsup) {
            char names[200];
            name_features(unsup, names, sizeof(names));
            return uvmsim_fs_fail(mp, UVMSIM_ENOTSUP, "%s: unsupported incompatible feature%s: %s", mp->path,
                                  (unsup & (unsup - 1)) ? "s" : "", names);
        }
        /* Unknown RO_COMPAT features only matter to writers: a read-only driver may go on. */
    }
    fs->filetype = (fs->feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE) != 0;

    fs->inodes_count = le32(sb + SB_INODES_COUNT);
    fs->blocks_count = le32(sb + SB_BLOCKS_COUNT);
    fs->first_data_block = le32(sb + SB_FIRST_DATA_BLOCK);
    fs->blocks_per_group = le32(sb + SB_BLOCKS_PER_GROUP);
    fs->inodes_per_group = le32(sb + SB_INODES_PER_GROUP);
    uint32_t want_first = fs->bsize == 1024 ? 1 : 0;
    if (fs->first_data_block != want_first)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: first data block is %u, expected %u for %u-byte blocks",
                              mp->path, fs->first_data_block, want_first, fs->bsize);
    if (fs->blocks_count <= fs->first_data_block + 1)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: block count %u is too small", mp->path, fs->blocks_count);
    if ((uint64_t)fs->blocks_count * fs->bsize > devsize)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                              "%s: the filesystem claims %u blocks of %u bytes but the device holds only %llu bytes",
                              mp->path, fs->blocks_count, fs->bsize, (unsigned long long)devsize);
    if (fs->blocks_per_group < 8 || fs->blocks_per_group > 8 * fs->bsize)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: bad blocks per group %u", mp->path, fs->blocks_per_group);
    if (fs->inodes_per_group == 0 || fs->inodes_per_group > 8 * fs->bsize)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: bad inodes per group %u", mp->path, fs->inodes_per_group);
    uint64_t ng = ((uint64_t)fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) /
                  fs->blocks_per_group;
    fs->ngroups = (uint32_t)ng;
    if (ng * fs->inodes_per_group != fs->inodes_count || fs->inodes_count < EXT2_GOOD_OLD_FIRST_INO)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                              "%s: inode count %u does not match %u groups of %u inodes", mp->path,
                              fs->inodes_count, fs->ngroups, fs->inodes_per_group);
    fs->itable_blocks = (uint32_t)(((uint64_t)fs->inodes_per_group * fs->inode_size + fs->bsize - 1) / fs->bsize);

    err = uvmsim_fs_bcache_init(mp);
    if (err)
        return err;
    return read_group_descriptors(mp);
}

void uvmsim_ext2_unmountfs(struct uvmsim_mount *mp)
{
    free(mp->fs.inode_table);
    mp->fs.inode_table = NULL;
    uvmsim_fs_bcache_fini(mp);
}

/* ---- inodes ---- */

enum { I_MODE = 0, I_SIZE = 4, I_LINKS = 26, I_BLOCKS = 28, I_FLAGS = 32, I_BLOCK = 40, I_FILE_ACL = 104,
       I_SIZE_HIGH = 108, I_BLOCKS_HI = 116 };

static uvmsim_vtype mode_type(uint32_t mode)
{
    switch (mode & 0xF000u) {
    case 0x8000: return UVMSIM_VREG;
    case 0x4000: return UVMSIM_VDIR;
    case 0xA000: return UVMSIM_VLNK;
    case 0x1000: case 0x2000: case 0x6000: case 0xC000: return UVMSIM_VOTHER;
    default: return UVMSIM_VNON;
    }
}

/* Blocks of file data the inode's i_blocks accounts for, excluding an EA block. */
static uint64_t inode_fs_blocks(const struct uvmsim_mount *mp, const struct ext2_inode_mem *in)
{
    uint64_t per = mp->fs.bsize / 512;
    uint64_t b = in->sectors / per;
    if (in->file_acl != 0 && b > 0)
        b--;
    return b;
}

static bool is_fast_symlink(const struct uvmsim_mount *mp, const struct ext2_inode_mem *in)
{
    return inode_fs_blocks(mp, in) == 0;
}

int uvmsim_ext2_iget(struct uvmsim_mount *mp, uint32_t ino, struct ext2_inode_mem *out, uvmsim_vtype *type)
{
    struct ext2_fs *fs = &mp->fs;
    if (ino == 0 || ino > fs->inodes_count)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: inode number %u out of range 1..%u", mp->path, ino,
                              fs->inodes_count);
    uint32_t g = (ino - 1) / fs->inodes_per_group;
    uint64_t off = (uint64_t)((ino - 1) % fs->inodes_per_group) * fs->inode_size;
    const uint8_t *blk;
    int err = uvmsim_fs_bread(mp, (uint64_t)fs->inode_table[g] + off / fs->bsize, &blk);
    if (err)
        return err;
    const uint8_t *r = blk + off % fs->bsize;
    struct ext2_inode_mem in;
    memset(&in, 0, sizeof(in));
    in.mode = le16(r + I_MODE);
    in.nlink = le16(r + I_LINKS);
    in.flags = le32(r + I_FLAGS);
    in.file_acl = le32(r + I_FILE_ACL);
    in.size = le32(r + I_SIZE);
    in.sectors = le32(r + I_BLOCKS);
    memcpy(in.iblock, r + I_BLOCK, sizeof(in.iblock));
    if (fs->feature_ro_compat & EXT4_FEATURE_RO_COMPAT_HUGE_FILE) {
        in.sectors |= (uint64_t)le16(r + I_BLOCKS_HI) << 32;
        if (in.flags & EXT4_HUGE_FILE_FL)   /* counted in fs blocks, not sectors */
            in.sectors *= fs->bsize / 512;
    }
    uvmsim_vtype t = mode_type(in.mode);
    if (t == UVMSIM_VNON)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: inode %u has an invalid mode 0%o", mp->path, ino, in.mode);
    if (in.nlink == 0)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: inode %u is referenced but has no links (deleted)",
                              mp->path, ino);
    if (in.flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL))
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                              "%s: inode %u uses extents or inline data, which the superblock does not announce",
                              mp->path, ino);
    if (t == UVMSIM_VREG && fs->rev >= 1)
        in.size |= (uint64_t)le32(r + I_SIZE_HIGH) << 32;
    uint64_t nblocks = in.size / fs->bsize + (in.size % fs->bsize != 0);
    if (nblocks > fs->max_blocks)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                              "%s: inode %u's size %llu exceeds what the block map can address", mp->path, ino,
                              (unsigned long long)in.size);
    if (t == UVMSIM_VDIR && (in.size % fs->bsize != 0 || nblocks > fs->blocks_count))
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: directory inode %u has a bad size %llu", mp->path, ino,
                              (unsigned long long)in.size);
    if (t == UVMSIM_VLNK) {
        bool fast = is_fast_symlink(mp, &in);
        if ((fast && in.size > EXT2_FAST_LINK_MAX) || (!fast && in.size >= fs->bsize))
            return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: symlink inode %u has a bad length %llu", mp->path, ino,
                                  (unsigned long long)in.size);
    }
    *out = in;
    *type = t;
    return UVMSIM_OK;
}

/* ---- block map ---- */

/* A block pointer read from disk: 0 is a hole, anything else must lie inside the fs. */
static int check_ptr(struct uvmsim_vnode *vp, uint32_t b, const char *what)
{
    struct uvmsim_mount *mp = vp->mp;
    if (b != 0 && (b < mp->fs.first_data_block || b >= mp->fs.blocks_count))
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: inode %u has %s block %u outside the filesystem (%u blocks)",
                              mp->path, vp->ino, what, b, mp->fs.blocks_count);
    return UVMSIM_OK;
}

static bool has_block_map(const struct uvmsim_vnode *vp)
{
    return vp->type == UVMSIM_VREG || vp->type == UVMSIM_VDIR ||
           (vp->type == UVMSIM_VLNK && !is_fast_symlink(vp->mp, &vp->in));
}

int uvmsim_ext2_bmap(struct uvmsim_vnode *vp, uint64_t lbn, uint64_t *pbn)
{
    struct uvmsim_mount *mp = vp->mp;
    uint64_t p = mp->fs.ptrs;
    int err;
    if (!has_block_map(vp))
        return UVMSIM_EINVAL;
    if (lbn >= mp->fs.max_blocks)
        return UVMSIM_ERANGE;
    uint32_t b;
    unsigned levels;
    if (lbn < EXT2_NDIR_BLOCKS) {
        b = le32(vp->in.iblock + 4 * lbn);
        levels = 0;
    } else if ((lbn -= EXT2_NDIR_BLOCKS) < p) {
        b = le32(vp->in.iblock + 4 * EXT2_IND_BLOCK);
        levels = 1;
    } else if ((lbn -= p) < p * p) {
        b = le32(vp->in.iblock + 4 * EXT2_DIND_BLOCK);
        levels = 2;
    } else {
        lbn -= p * p;
        b = le32(vp->in.iblock + 4 * EXT2_TIND_BLOCK);
        levels = 3;
    }
    /* Walk down: at each level the index is the next base-p digit of lbn. */
    while (levels > 0) {
        if ((err = check_ptr(vp, b, "an indirect")) != UVMSIM_OK)
            return err;
        if (b == 0) {
            *pbn = 0;
            return UVMSIM_OK;
        }
        const uint8_t *blk;
        if ((err = uvmsim_fs_bread(mp, b, &blk)) != UVMSIM_OK)
            return err;
        uint64_t div = 1;
        for (unsigned l = 1; l < levels; l++)
            div *= p;
        b = le32(blk + 4 * ((lbn / div) % p));
        levels--;
    }
    if ((err = check_ptr(vp, b, "a data")) != UVMSIM_OK)
        return err;
    *pbn = b;
    return UVMSIM_OK;
}

/* State of one block count: data blocks found, and indirect blocks read so far.  A
 * real file cannot use more indirect blocks than the filesystem has, so that bound stops
 * a corrupt map (say, every TIND slot pointing at the same valid block) from turning one
 * getattr into millions of reads. */
struct count_ctx {
    uint64_t data, indirect;
};

/* Count non-zero data pointers for logical blocks [base, base + span) of a subtree rooted
 * at block b of the given depth (0 = b is a data block), clipped to [0, limit). */
static int count_tree(struct uvmsim_vnode *vp, uint32_t b, unsigned depth, uint64_t base, uint64_t span,
                      uint64_t limit, struct count_ctx *cc)
{
    int err;
    if (base >= limit || b == 0)
        return UVMSIM_OK;
    if ((err = check_ptr(vp, b, depth ? "an indirect" : "a data")) != UVMSIM_OK)
        return err;
    if (depth == 0) {
        cc->data++;
        return UVMSIM_OK;
    }
    struct uvmsim_mount *mp = vp->mp;
    if (++cc->indirect > mp->fs.blocks_count)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                              "%s: inode %u's block map uses more indirect blocks than the filesystem has",
                              mp->path, vp->ino);
    uint64_t p = mp->fs.ptrs;
    uint64_t sub = span / p;
    /* Copy the pointers: the recursion reuses the buffer cache. */
    uint32_t *ptrs = malloc(sizeof(uint32_t) * p);
    if (ptrs == NULL)
        return UVMSIM_ENOHOST;
    const uint8_t *blk;
    if ((err = uvmsim_fs_bread(mp, b, &blk)) == UVMSIM_OK) {
        for (uint64_t i = 0; i < p; i++)
            ptrs[i] = le32(blk + 4 * i);
        for (uint64_t i = 0; i < p && err == UVMSIM_OK; i++)
            err = count_tree(vp, ptrs[i], depth - 1, base + i * sub, sub, limit, cc);
    }
    free(ptrs);
    return err;
}

int uvmsim_ext2_count_blocks(struct uvmsim_vnode *vp, uint64_t *count)
{
    uint64_t bsize = vp->mp->fs.bsize, p = vp->mp->fs.ptrs;
    uint64_t limit = vp->in.size / bsize + (vp->in.size % bsize != 0);
    struct count_ctx cc = {0, 0};
    int err = UVMSIM_OK;
    *count = 0;
    if (!has_block_map(vp))
        return UVMSIM_OK;
    for (unsigned i = 0; i < EXT2_NDIR_BLOCKS && err == UVMSIM_OK; i++)
        err = count_tree(vp, le32(vp->in.iblock + 4 * i), 0, i, 1, limit, &cc);
    uint64_t base = EXT2_NDIR_BLOCKS, span = p;
    for (unsigned d = 1; d <= 3 && err == UVMSIM_OK; d++) {
        err = count_tree(vp, le32(vp->in.iblock + 4 * (EXT2_IND_BLOCK + d - 1)), d, base, span, limit, &cc);
        base += span;
        span *= p;
    }
    if (err == UVMSIM_OK)
        *count = cc.data;
    return err;
}

/* ---- file data ---- */

int uvmsim_ext2_read(struct uvmsim_vnode *vp, uint64_t off, void *buf, size_t len, size_t *nread)
{
    struct uvmsim_mount *mp = vp->mp;
    uint64_t bsize = mp->fs.bsize;
    uint8_t *out = buf;
    size_t done = 0;
    int err;
    *nread = 0;
    if (off >= vp->in.size)
        return UVMSIM_OK;
    if (len > vp->in.size - off)
        len = (size_t)(vp->in.size - off);
    while (done < len) {
        uint64_t pos = off + done;
        uint64_t lbn = pos / bsize, boff = pos % bsize;
        size_t left = len - done;
        uint64_t pbn;
        if ((err = uvmsim_ext2_bmap(vp, lbn, &pbn)) != UVMSIM_OK)
            return err;
        if (boff == 0 && left >= bsize) {
            /* Whole blocks: gather a run of physically contiguous blocks (or of holes)
             * into one strategy request straight into the caller's buffer. */
            uint64_t run = 1, max = left / bsize;
            while (run < max) {
                uint64_t next;
                if ((err = uvmsim_ext2_bmap(vp, lbn + run, &next)) != UVMSIM_OK)
                    return err;
                if (pbn == 0 ? next != 0 : next != pbn + run)
                    break;
                run++;
            }
            if (pbn == 0)
                memset(out + done, 0, (size_t)(run * bsize));
            else if ((err = uvmsim_fs_devread(mp, pbn, run, out + done)) != UVMSIM_OK)
                return err;
            done += (size_t)(run * bsize);
        } else {
            size_t n = (size_t)(bsize - boff) < left ? (size_t)(bsize - boff) : left;
            if (pbn == 0) {
                memset(out + done, 0, n);
            } else {
                /* Partial block: through the mount's data buffer, not the metadata cache. */
                if ((err = uvmsim_fs_devread(mp, pbn, 1, mp->blkbuf)) != UVMSIM_OK)
                    return err;
                memcpy(out + done, mp->blkbuf + boff, n);
            }
            done += n;
        }
        *nread = done;
    }
    return UVMSIM_OK;
}

/* ---- directories ---- */

/* Parsed directory record. */
struct dirent_rec {
    uint32_t ino;
    const char *name;
    size_t namelen;
    uvmsim_vtype type;
};

static uvmsim_vtype dirent_type(unsigned ft)
{
    switch (ft) {
    case 1: return UVMSIM_VREG;
    case 2: return UVMSIM_VDIR;
    case 7: return UVMSIM_VLNK;
    case 3: case 4: case 5: case 6: return UVMSIM_VOTHER;
    default: return UVMSIM_VNON;   /* unknown (no filetype feature, or type 0) */
    }
}

/* Parse the record at *off of directory block blk; advance *off.  Sets rec->ino = 0
 * for unused records. */
static int parse_dirent(struct uvmsim_vnode *dvp, const uint8_t *blk, uint64_t lblk, uint32_t *off,
                        struct dirent_rec *rec)
{
    struct uvmsim_mount *mp = dvp->mp;
    uint32_t bsize = mp->fs.bsize, o = *off;
    if (bsize - o < 8)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: directory inode %u block %llu: record at %u overruns the block",
                              mp->path, dvp->ino, (unsigned long long)lblk, o);
    const uint8_t *r = blk + o;
    uint32_t ino = le32(r), reclen = le16(r + 4);
    uint32_t namelen = mp->fs.filetype ? r[6] : le16(r + 6);
    if (reclen < 8 || reclen % 4 != 0 || reclen > bsize - o)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                              "%s: directory inode %u block %llu: bad record length %u at offset %u", mp->path,
                              dvp->ino, (unsigned long long)lblk, reclen, o);
    if (namelen > reclen - 8 || namelen > UVMSIM_FS_NAME_MAX)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                              "%s: directory inode %u block %llu: name length %u does not fit record length %u at offset %u",
                              mp->path, dvp->ino, (unsigned long long)lblk, namelen, reclen, o);
    if (ino != 0 && (ino > mp->fs.inodes_count || namelen == 0))
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT,
                              "%s: directory inode %u block %llu: entry at offset %u names inode %u (of %u) with name length %u",
                              mp->path, dvp->ino, (unsigned long long)lblk, o, ino, mp->fs.inodes_count, namelen);
    rec->ino = ino;
    rec->name = (const char *)r + 8;
    rec->namelen = namelen;
    rec->type = mp->fs.filetype ? dirent_type(r[7]) : UVMSIM_VNON;
    *off = o + reclen;
    return UVMSIM_OK;
}

static int dir_block(struct uvmsim_vnode *dvp, uint64_t lblk, const uint8_t **blk)
{
    uint64_t pbn;
    int err = uvmsim_ext2_bmap(dvp, lblk, &pbn);
    if (err)
        return err;
    if (pbn == 0)
        return uvmsim_fs_fail(dvp->mp, UVMSIM_ECORRUPT, "%s: directory inode %u has a hole at block %llu",
                              dvp->mp->path, dvp->ino, (unsigned long long)lblk);
    return uvmsim_fs_bread(dvp->mp, pbn, blk);
}

int uvmsim_ext2_lookup(struct uvmsim_vnode *dvp, const char *name, size_t namelen, uint32_t *ino)
{
    uint64_t nblk = dvp->in.size / dvp->mp->fs.bsize;
    for (uint64_t lb = 0; lb < nblk; lb++) {
        const uint8_t *blk;
        int err = dir_block(dvp, lb, &blk);
        if (err)
            return err;
        /* No other bcache call until this block is scanned, so blk stays valid. */
        uint32_t off = 0;
        while (off < dvp->mp->fs.bsize) {
            struct dirent_rec rec;
            if ((err = parse_dirent(dvp, blk, lb, &off, &rec)) != UVMSIM_OK)
                return err;
            if (rec.ino != 0 && rec.namelen == namelen && memcmp(rec.name, name, namelen) == 0) {
                *ino = rec.ino;
                return UVMSIM_OK;
            }
        }
    }
    return UVMSIM_ENOENT;
}

int uvmsim_ext2_readdir(struct uvmsim_vnode *dvp, uvmsim_dirent_fn fn, void *arg)
{
    uint32_t bsize = dvp->mp->fs.bsize;
    uint64_t nblk = dvp->in.size / bsize;
    /* The callback may look names up (and so reuse the buffer cache): work on a copy. */
    uint8_t *copy = malloc(bsize);
    int err = UVMSIM_OK;
    if (copy == NULL)
        return UVMSIM_ENOHOST;
    for (uint64_t lb = 0; lb < nblk && err == UVMSIM_OK; lb++) {
        const uint8_t *blk;
        if ((err = dir_block(dvp, lb, &blk)) != UVMSIM_OK)
            break;
        memcpy(copy, blk, bsize);
        uint32_t off = 0;
        while (off < bsize) {
            struct dirent_rec rec;
            if ((err = parse_dirent(dvp, copy, lb, &off, &rec)) != UVMSIM_OK)
                break;
            if (rec.ino != 0 && fn(rec.name, rec.namelen, rec.ino, rec.type, arg) != 0) {
                free(copy);
                return UVMSIM_OK;
            }
        }
    }
    free(copy);
    return err;
}

/* ---- symlinks ---- */

int uvmsim_ext2_readlink(struct uvmsim_vnode *vp, char *buf, size_t len, size_t *outlen)
{
    size_t size = (size_t)vp->in.size;   /* < bsize, checked at iget */
    size_t n = size < len ? size : len;
    *outlen = 0;
    if (is_fast_symlink(vp->mp, &vp->in)) {
        memcpy(buf, vp->in.iblock, n);
    } else if (n > 0) {
        uint64_t pbn;
        const uint8_t *blk;
        int err = uvmsim_ext2_bmap(vp, 0, &pbn);
        if (err)
            return err;
        if (pbn == 0)
            return uvmsim_fs_fail(vp->mp, UVMSIM_ECORRUPT, "%s: symlink inode %u has no data block", vp->mp->path,
                                  vp->ino);
        if ((err = uvmsim_fs_bread(vp->mp, pbn, &blk)) != UVMSIM_OK)
            return err;
        memcpy(buf, blk, n);
    }
    *outlen = n;
    return UVMSIM_OK;
}
