/* uvmsim fuzz harnesses: a minimal ext2 writer (see fz_mkfs_one_file in fuzz.h).
 *
 * Layout, in 4 KiB blocks: 0 boot block and superblock (at byte 1024), 1 the group
 * descriptor, 2 the inode table (32 inodes of 128 bytes), 3 the root directory, 4 the
 * file's indirect block, 5.. the file's data.  Only what a reader needs is written:
 * no bitmaps (this driver is read-only and never reads them), no lost+found. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

#define BS 4096u
#define NINODES 32u
#define PROG_INO 12u
#define B_GDT 1u
#define B_ITABLE 2u
#define B_ROOT 3u
#define B_IND 4u
#define B_DATA 5u

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }

/* A directory record at p; returns its length. */
static uint32_t dirent(uint8_t *p, uint32_t ino, uint32_t reclen, const char *name, uint8_t type)
{
    size_t n = strlen(name);
    put32(p, ino);
    put16(p + 4, reclen);
    p[6] = (uint8_t)n;
    p[7] = type;
    memcpy(p + 8, name, n);
    return reclen;
}

static uint8_t *inode(uint8_t *img, uint32_t ino)
{
    return img + B_ITABLE * BS + (ino - 1) * 128u;
}

uint8_t *fz_mkfs_one_file(const uint8_t *data, size_t size, unsigned mode, size_t *img_size)
{
    if (size > FZ_MKFS_MAX)
        return NULL;
    uint32_t nblk = (uint32_t)((size + BS - 1) / BS);
    uint32_t blocks = B_DATA + nblk;
    uint8_t *img = calloc(blocks, BS);
    if (img == NULL)
        return NULL;
    uint8_t *sb = img + 1024;
    put32(sb + 0, NINODES);           /* s_inodes_count */
    put32(sb + 4, blocks);            /* s_blocks_count */
    put32(sb + 20, 0);                /* s_first_data_block */
    put32(sb + 24, 2);                /* s_log_block_size: 4 KiB */
    put32(sb + 32, 8 * BS);           /* s_blocks_per_group */
    put32(sb + 36, 8 * BS);           /* s_frags_per_group */
    put32(sb + 40, NINODES);          /* s_inodes_per_group */
    put16(sb + 56, 0xEF53);           /* s_magic */
    put16(sb + 58, 1);                /* s_state: clean */
    put32(sb + 76, 1);                /* s_rev_level */
    put32(sb + 84, 11);               /* s_first_ino */
    put16(sb + 88, 128);              /* s_inode_size */
    put32(sb + 96, 0x0002);           /* s_feature_incompat: filetype */
    put32(img + B_GDT * BS + 8, B_ITABLE);   /* bg_inode_table */

    uint8_t *root = inode(img, 2);
    put16(root + 0, 040755);
    put32(root + 4, BS);
    put16(root + 26, 2);
    put32(root + 28, BS / 512);
    put32(root + 40, B_ROOT);
    uint8_t *d = img + B_ROOT * BS;
    d += dirent(d, 2, 12, ".", 2);
    d += dirent(d, 2, 12, "..", 2);
    dirent(d, PROG_INO, BS - 24, "prog", 1);

    uint8_t *f = inode(img, PROG_INO);
    put16(f + 0, 0100000 | (mode & 07777));
    put32(f + 4, (uint32_t)size);
    put16(f + 26, 1);
    put32(f + 28, (nblk + (nblk > 12)) * (BS / 512));
    for (uint32_t i = 0; i < nblk; i++) {
        if (i < 12)
            put32(f + 40 + 4 * i, B_DATA + i);
        else
            put32(img + B_IND * BS + 4 * (i - 12), B_DATA + i);
    }
    if (nblk > 12)
        put32(f + 40 + 4 * 12, B_IND);
    if (size > 0)
        memcpy(img + B_DATA * BS, data, size);
    *img_size = (size_t)blocks * BS;
    return img;
}
