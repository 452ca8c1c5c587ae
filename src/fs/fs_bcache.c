/* uvmsim — the filesystem's path to its device: whole-block reads through the device
 * strategy routine (fs blocks may be larger or smaller than device blocks) and a small
 * fixed-size LRU buffer cache for metadata blocks, with hit/miss counters. */
#include <stdlib.h>
#include <string.h>
#include "fs_internal.h"

int uvmsim_fs_devread(struct uvmsim_mount *mp, uint64_t blkno, uint64_t n, void *buf)
{
    uint64_t bsize = mp->fs.bsize;
    uint64_t dbs = mp->dev_bsize;
    uint8_t *out = buf;
    int err;
    if (n == 0)
        return UVMSIM_OK;
    if (blkno >= mp->fs.blocks_count || n > mp->fs.blocks_count - blkno)
        return uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: block %llu+%llu lies past the end of the filesystem (%u blocks)",
                              mp->path, (unsigned long long)blkno, (unsigned long long)n,
                              mp->fs.blocks_count);
    if (dbs <= bsize) {
        /* Both are powers of two, so a fs block is a whole number of device blocks. */
        uint64_t ratio = bsize / dbs;
        mp->st->stats.block_reads++;
        err = uvmsim_flashdev_strategy(mp->dev, blkno * ratio, n * ratio, out);
        if (err)
            return uvmsim_fs_fail(mp, err, "%s: device read of block %llu failed: %s", mp->path,
                                  (unsigned long long)blkno, uvmsim_strerror(err));
        return UVMSIM_OK;
    }
    /* Device blocks larger than fs blocks: read each covering device block. */
    for (uint64_t i = 0; i < n; i++) {
        uint64_t byte = (blkno + i) * bsize;
        mp->st->stats.block_reads++;
        err = uvmsim_flashdev_strategy(mp->dev, byte / dbs, 1, mp->scratch);
        if (err)
            return uvmsim_fs_fail(mp, err, "%s: device read of block %llu failed: %s", mp->path,
                                  (unsigned long long)(blkno + i), uvmsim_strerror(err));
        memcpy(out + i * bsize, mp->scratch + byte % dbs, bsize);
    }
    return UVMSIM_OK;
}

int uvmsim_fs_devread_bytes(struct uvmsim_mount *mp, uint64_t off, size_t len, void *buf)
{
    uint64_t dbs = mp->dev_bsize;
    uint64_t first = off / dbs;
    uint64_t last = (off + len + dbs - 1) / dbs;
    uint64_t devsize = uvmsim_flashdev_size(mp->dev);
    if (len == 0)
        return UVMSIM_OK;
    if (off > devsize || len > devsize - off)
        return UVMSIM_ERANGE;
    uint8_t *tmp = malloc((size_t)((last - first) * dbs));
    if (tmp == NULL)
        return UVMSIM_ENOHOST;
    mp->st->stats.block_reads++;
    int err = uvmsim_flashdev_strategy(mp->dev, first, last - first, tmp);
    if (err == UVMSIM_OK)
        memcpy(buf, tmp + (off - first * dbs), len);
    free(tmp);
    return err;
}

int uvmsim_fs_bcache_init(struct uvmsim_mount *mp)
{
    struct fs_bcache *bc = &mp->bc;
    memset(bc, 0, sizeof(*bc));
    bc->arena = malloc((size_t)UVMSIM_FS_BCACHE_NBUF * mp->fs.bsize);
    mp->scratch = malloc(mp->dev_bsize);
    mp->blkbuf = malloc(mp->fs.bsize);
    if (bc->arena == NULL || mp->scratch == NULL || mp->blkbuf == NULL) {
        uvmsim_fs_bcache_fini(mp);
        return UVMSIM_ENOHOST;
    }
    for (unsigned i = 0; i < UVMSIM_FS_BCACHE_NBUF; i++)
        bc->bufs[i].data = bc->arena + (size_t)i * mp->fs.bsize;
    return UVMSIM_OK;
}

void uvmsim_fs_bcache_fini(struct uvmsim_mount *mp)
{
    free(mp->bc.arena);
    free(mp->scratch);
    free(mp->blkbuf);
    mp->scratch = mp->blkbuf = NULL;
    memset(&mp->bc, 0, sizeof(mp->bc));
}

int uvmsim_fs_bread(struct uvmsim_mount *mp, uint64_t blkno, const uint8_t **data)
{
    struct fs_bcache *bc = &mp->bc;
    struct fs_buf *victim = &bc->bufs[0];
    /* A linear scan is the right tool for a few dozen buffers. */
    for (unsigned i = 0; i < UVMSIM_FS_BCACHE_NBUF; i++) {
        struct fs_buf *b = &bc->bufs[i];
        if (b->lru != 0 && b->blkno == blkno) {
            b->lru = ++bc->tick;
            mp->st->stats.bcache_hits++;
            *data = b->data;
            return UVMSIM_OK;
        }
        if (b->lru < victim->lru)
            victim = b;
    }
    mp->st->stats.bcache_misses++;
    victim->lru = 0;   /* empty until the read succeeds */
    int err = uvmsim_fs_devread(mp, blkno, 1, victim->data);
    if (err)
        return err;
    victim->blkno = blkno;
    victim->lru = ++bc->tick;
    *data = victim->data;
    return UVMSIM_OK;
}
