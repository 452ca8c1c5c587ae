/* uvmsim — the VFS layer: the per-machine mount table, vnodes and their per-mount
 * cache (one vnode per referenced inode, so every mapping of a file shares one page
 * cache), path look-up across mounts with symlinks, "." and "..", and the public vnode
 * calls, which check their arguments and hand the work to the ext2 driver (ext2.c).
 *
 * Mount points are pure paths: a mount at "/flash" is found by comparing the canonical
 * path walked so far with the mount table at every step, so it needs no directory
 * "flash" in the filesystem mounted at "/" (nor a mount at "/" at all).  This gives the
 * same answer as a longest-prefix match of the canonical path, but stays right when
 * symlinks or ".." move the walk between mounts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../machine/machine_internal.h"
#include "../flashdev/flashdev_internal.h"
#include "fs_internal.h"

/* ---- per-machine state and error sentences ---- */

/* The sentinel heading m->mounts (created on first use); NULL when create is false and
 * the fs was never used on this machine, or when the host is out of memory. */
static struct uvmsim_mount *table_head(struct uvmsim_machine *m, bool create)
{
    if (m->mounts != NULL || !create)
        return m->mounts;
    struct uvmsim_mount *hd = calloc(1, sizeof(*hd));
    struct uvmsim_fs_state *st = calloc(1, sizeof(*st));
    if (hd == NULL || st == NULL) {
        free(hd);
        free(st);
        return NULL;
    }
    hd->m = m;
    hd->st = st;
    hd->is_head = true;
    m->mounts = hd;
    return hd;
}

static void vfail(struct uvmsim_fs_state *st, const char *fmt, va_list ap)
{
    if (st != NULL)
        vsnprintf(st->last_error, sizeof(st->last_error), fmt, ap);
}

int uvmsim_fs_fail(struct uvmsim_mount *mp, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(mp->st, fmt, ap);
    va_end(ap);
    return err;
}

int uvmsim_fs_failm(struct uvmsim_machine *m, int err, const char *fmt, ...)
{
    struct uvmsim_mount *hd = table_head(m, true);
    va_list ap;
    va_start(ap, fmt);
    vfail(hd ? hd->st : NULL, fmt, ap);
    va_end(ap);
    return err;
}

const char *uvmsim_fs_last_error(const uvmsim_machine *m)
{
    if (m == NULL || m->mounts == NULL)
        return "";
    return m->mounts->st->last_error;
}

void uvmsim_fs_stats_get(const uvmsim_machine *m, uvmsim_fs_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    if (m != NULL && m->mounts != NULL)
        *out = m->mounts->st->stats;
}

/* ---- vnodes ---- */

int uvmsim_fs_vget(struct uvmsim_mount *mp, uint32_t ino, struct uvmsim_vnode **out)
{
    struct uvmsim_vnode **bucket = &mp->vhash[ino & (UVMSIM_FS_VHASH - 1)];
    for (struct uvmsim_vnode *vp = *bucket; vp != NULL; vp = vp->hnext) {
        if (vp->ino == ino) {
            vp->usecount++;
            *out = vp;
            return UVMSIM_OK;
        }
    }
    struct ext2_inode_mem in;
    uvmsim_vtype type;
    int err = uvmsim_ext2_iget(mp, ino, &in, &type);
    if (err)
        return err;
    struct uvmsim_vnode *vp = calloc(1, sizeof(*vp));
    if (vp == NULL)
        return UVMSIM_ENOHOST;
    vp->mp = mp;
    vp->ino = ino;
    vp->usecount = 1;
    vp->type = type;
    vp->in = in;
    vp->data_blocks = -1;
    vp->hnext = *bucket;
    *bucket = vp;
    mp->nvnodes++;
    mp->st->stats.vnodes_live++;
    *out = vp;
    return UVMSIM_OK;
}

static void vnode_free(struct uvmsim_vnode *vp)
{
    struct uvmsim_mount *mp = vp->mp;
    if (vp->vmslot != NULL && vp->vmreclaim != NULL)
        vp->vmreclaim(vp->vmslot);
    struct uvmsim_vnode **pp = &mp->vhash[vp->ino & (UVMSIM_FS_VHASH - 1)];
    while (*pp != vp)
        pp = &(*pp)->hnext;
    *pp = vp->hnext;
    mp->nvnodes--;
    mp->st->stats.vnodes_live--;
    free(vp);
}

void uvmsim_vnode_ref(uvmsim_vnode *vp)
{
    if (vp != NULL)
        vp->usecount++;
}

void uvmsim_vnode_rele(uvmsim_vnode *vp)
{
    if (vp == NULL || vp->usecount == 0)
        return;
    if (--vp->usecount == 0)
        vnode_free(vp);
}

void **uvmsim_vnode_vmslot(uvmsim_vnode *vp)
{
    return vp ? &vp->vmslot : NULL;
}

void uvmsim_vnode_set_vmreclaim(uvmsim_vnode *vp, void (*fn)(void *obj))
{
    if (vp != NULL)
        vp->vmreclaim = fn;
}

uint32_t uvmsim_vnode_ino(const uvmsim_vnode *vp)
{
    return vp ? vp->ino : 0;
}

uvmsim_mount *uvmsim_vnode_mount(const uvmsim_vnode *vp)
{
    return vp ? vp->mp : NULL;
}

int uvmsim_vnode_getattr(uvmsim_vnode *vp, uvmsim_vattr *out)
{
    if (vp == NULL || out == NULL)
        return UVMSIM_EINVAL;
    if (vp->data_blocks < 0) {
        uint64_t n;
        int err = uvmsim_ext2_count_blocks(vp, &n);
        if (err)
            return err;
        vp->data_blocks = (int64_t)n;   /* the medium is read-only: count once */
    }
    memset(out, 0, sizeof(*out));
    out->type = vp->type;
    out->ino = vp->ino;
    out->mode = vp->in.mode;
    out->nlink = vp->in.nlink;
    out->size = vp->in.size;
    out->blocks_allocated = (uint64_t)vp->data_blocks;
    return UVMSIM_OK;
}

/* uvmsim_vnode_read (read(2)) is the vm layer's: src/vm/uvm_vnode.c reads through the page
 * cache on a copy mount (UBC) and from the device window on an XIP mount. */

int uvmsim_vnode_bmap(uvmsim_vnode *vp, uint64_t lbn, uint64_t *pbn)
{
    if (vp == NULL || pbn == NULL)
        return UVMSIM_EINVAL;
    *pbn = 0;
    return uvmsim_ext2_bmap(vp, lbn, pbn);
}

int uvmsim_vnode_readlink(uvmsim_vnode *vp, char *buf, size_t len, size_t *outlen)
{
    if (outlen != NULL)
        *outlen = 0;
    if (vp == NULL || outlen == NULL || (buf == NULL && len > 0))
        return UVMSIM_EINVAL;
    if (vp->type != UVMSIM_VLNK)
        return UVMSIM_EINVAL;
    return uvmsim_ext2_readlink(vp, buf, len, outlen);
}

int uvmsim_vnode_readdir(uvmsim_vnode *vp, uvmsim_dirent_fn fn, void *arg)
{
    if (vp == NULL || fn == NULL)
        return UVMSIM_EINVAL;
    if (vp->type != UVMSIM_VDIR)
        return UVMSIM_ENOTDIR;
    return uvmsim_ext2_readdir(vp, fn, arg);
}

/* ---- mounts ---- */

unsigned uvmsim_mount_flags(const uvmsim_mount *mp)
{
    return mp ? mp->flags : 0;
}

size_t uvmsim_mount_block_size(const uvmsim_mount *mp)
{
    return mp ? mp->fs.bsize : 0;
}

uvmsim_flashdev *uvmsim_mount_device(const uvmsim_mount *mp)
{
    return mp ? mp->dev : NULL;
}

const char *uvmsim_mount_path(const uvmsim_mount *mp)
{
    return mp ? mp->path : NULL;
}

uvmsim_paddr_t uvmsim_mount_xip_base(const uvmsim_mount *mp)
{
    return mp ? mp->xip_base : 0;
}

/* A mount path is absolute and canonical: "/" or "/a/b" without empty, "." or ".."
 * components, so it can be compared byte for byte with the canonical walk path. */
static bool mount_path_ok(const char *path)
{
    size_t len = strlen(path);
    if (len == 0 || len > UVMSIM_FS_PATH_MAX || path[0] != '/')
        return false;
    if (len == 1)
        return true;
    if (path[len - 1] == '/')
        return false;
    const char *c = path + 1;
    while (*c != '\0') {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || n > UVMSIM_FS_NAME_MAX || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += n + (e != NULL);
    }
    return true;
}

/* Drop everything a mount owns.  Referenced vnodes are freed too (forced unmount). */
static void mount_free(struct uvmsim_mount *mp)
{
    for (unsigned i = 0; i < UVMSIM_FS_VHASH; i++) {
        while (mp->vhash[i] != NULL)
            vnode_free(mp->vhash[i]);
    }
    uvmsim_ext2_unmountfs(mp);
    free(mp->path);
    free(mp);
}

int uvmsim_mount_ext2(uvmsim_machine *m, uvmsim_flashdev *dev, const char *path, unsigned flags,
                      uvmsim_mount **out)
{
    if (out != NULL)
        *out = NULL;
    if (m == NULL)
        return UVMSIM_EINVAL;
    struct uvmsim_mount *hd = table_head(m, true);
    if (hd == NULL)
        return UVMSIM_ENOHOST;
    if (dev == NULL || path == NULL || out == NULL)
        return uvmsim_fs_failm(m, UVMSIM_EINVAL, "mount: missing device, path or result pointer");
    if (uvmsim_flashdev_machine(dev) != m)
        return uvmsim_fs_failm(m, UVMSIM_EINVAL, "mount: device %s belongs to another machine",
                               uvmsim_flashdev_name(dev));
    if ((flags & UVMSIM_MNT_XIP_FAULTOP) && !(flags & UVMSIM_MNT_XIP))
        return uvmsim_fs_failm(m, UVMSIM_EINVAL, "mount: the XIP fault-op pager needs the XIP flag too");
    const unsigned known = UVMSIM_MNT_RDONLY | UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP;
    if (flags & ~known)
        return uvmsim_fs_failm(m, UVMSIM_EINVAL, "mount: unknown mount flags 0x%x", flags & ~known);
    if (!mount_path_ok(path))
        return uvmsim_fs_failm(m, UVMSIM_EINVAL,
                               "mount: \"%.64s\" is not a canonical absolute path (\"/\" or \"/a/b\")", path);
    for (struct uvmsim_mount *o = hd->next; o != NULL; o = o->next) {
        if (strcmp(o->path, path) == 0)
            return uvmsim_fs_failm(m, UVMSIM_EBUSY, "mount: %s is already a mount point", path);
        if (o->dev == dev)
            return uvmsim_fs_failm(m, UVMSIM_EBUSY, "mount: device %s is already mounted on %s",
                                   uvmsim_flashdev_name(dev), o->path);
    }

    struct uvmsim_mount *mp = calloc(1, sizeof(*mp));
    size_t plen = strlen(path);
    char *pcopy = malloc(plen + 1);
    if (mp == NULL || pcopy == NULL) {
        free(mp);
        free(pcopy);
        return UVMSIM_ENOHOST;
    }
    memcpy(pcopy, path, plen + 1);
    mp->m = m;
    mp->st = hd->st;
    mp->dev = dev;
    mp->path = pcopy;
    mp->pathlen = plen;
    mp->flags = flags | UVMSIM_MNT_RDONLY;
    mp->dev_bsize = uvmsim_flashdev_block_size(dev);

    int err = uvmsim_ext2_mountfs(mp);
    if (err == UVMSIM_OK && (flags & UVMSIM_MNT_XIP)) {
        if (!uvmsim_flashdev_is_direct(dev))
            err = uvmsim_fs_fail(mp, UVMSIM_ENOXIP,
                                 "%s: XIP mount refused: device %s offers no direct access to its memory", path,
                                 uvmsim_flashdev_name(dev));
        else if (mp->fs.bsize != uvmsim_page_size(m))
            err = uvmsim_fs_fail(mp, UVMSIM_ENOXIP,
                                 "%s: XIP mount refused: the filesystem block size (%u bytes) differs from the page size (%zu bytes)",
                                 path, mp->fs.bsize, uvmsim_page_size(m));
        else
            mp->xip_base = uvmsim_flashdev_base(dev);
    }
    if (err == UVMSIM_OK) {
        struct uvmsim_vnode *root;
        err = uvmsim_fs_vget(mp, EXT2_ROOT_INO, &root);
        if (err == UVMSIM_OK) {
            if (root->type != UVMSIM_VDIR)
                err = uvmsim_fs_fail(mp, UVMSIM_ECORRUPT, "%s: the root inode is not a directory", path);
            uvmsim_vnode_rele(root);
        }
    }
    if (err) {
        mount_free(mp);
        return err;
    }
    uvmsim_flashdev_hold(dev);
    struct uvmsim_mount **tail = &hd->next;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = mp;
    *out = mp;
    return UVMSIM_OK;
}

int uvmsim_unmount(uvmsim_mount *mp)
{
    if (mp == NULL || mp->is_head)
        return UVMSIM_EINVAL;
    if (mp->nvnodes > 0)
        return uvmsim_fs_fail(mp, UVMSIM_EBUSY, "unmount %s: %llu vnode%s still referenced", mp->path,
                              (unsigned long long)mp->nvnodes, mp->nvnodes == 1 ? " is" : "s are");
    struct uvmsim_mount **pp = &mp->m->mounts->next;
    while (*pp != mp)
        pp = &(*pp)->next;
    *pp = mp->next;
    uvmsim_flashdev_drop(mp->dev);
    mount_free(mp);
    return UVMSIM_OK;
}

void uvmsim_fs_unmount_all(struct uvmsim_machine *m)
{
    struct uvmsim_mount *hd = m->mounts;
    if (hd == NULL)
        return;
    while (hd->next != NULL) {
        struct uvmsim_mount *mp = hd->next;
        hd->next = mp->next;
        uvmsim_flashdev_drop(mp->dev);
        mount_free(mp);
    }
    free(hd->st);
    free(hd);
    m->mounts = NULL;
}

/* ---- path look-up ---- */

/* The state of one walk.  Invariant: cwd is the canonical absolute path (no symlinks,
 * ".", ".." or empty components) of the directory reached so far; vp is that directory's
 * referenced vnode, or NULL when cwd exists only as a prefix of a mount path (a
 * "synthetic" directory, e.g. "/" with nothing mounted there).  rem[rpos..remlen) is what
 * is left of the path, with any symlink targets spliced in. */
struct walk {
    struct uvmsim_mount *hd;
    struct uvmsim_vnode *vp;
    char cwd[UVMSIM_FS_PATH_MAX + 1];
    size_t cwdlen;
    char rem[2 * UVMSIM_FS_PATH_MAX + 2];
    size_t rpos, remlen;
    char at[UVMSIM_FS_PATH_MAX + 1];   /* path being resolved when the walk failed */
};

static struct uvmsim_mount *find_mount(const struct walk *w, const char *path, size_t len)
{
    for (struct uvmsim_mount *mp = w->hd->next; mp != NULL; mp = mp->next)
        if (mp->pathlen == len && memcmp(mp->path, path, len) == 0)
            return mp;
    return NULL;
}

/* Does some mount lie below path (a canonical path other than "/")? */
static bool below_mount(const struct walk *w, const char *path, size_t len)
{
    for (struct uvmsim_mount *mp = w->hd->next; mp != NULL; mp = mp->next)
        if (mp->pathlen > len && memcmp(mp->path, path, len) == 0 && mp->path[len] == '/')
            return true;
    return false;
}

static void set_at(struct walk *w, const char *path, size_t len)
{
    if (len > UVMSIM_FS_PATH_MAX)
        len = UVMSIM_FS_PATH_MAX;
    memcpy(w->at, path, len);
    w->at[len] = '\0';
}

/* Restart at "/": the root of the mount on "/", or the synthetic root. */
static int walk_root(struct walk *w)
{
    uvmsim_vnode_rele(w->vp);
    w->vp = NULL;
    w->cwd[0] = '/';
    w->cwd[1] = '\0';
    w->cwdlen = 1;
    struct uvmsim_mount *mp = find_mount(w, "/", 1);
    return mp ? uvmsim_fs_vget(mp, EXT2_ROOT_INO, &w->vp) : UVMSIM_OK;
}

/* Replace the consumed part of rem by s[0..n): rem becomes s + rem[rpos..]. */
static int rem_prepend(struct walk *w, const char *s, size_t n)
{
    size_t tail = w->remlen - w->rpos;
    if (n + tail > 2 * UVMSIM_FS_PATH_MAX)
        return UVMSIM_ENAMETOOLONG;
    memmove(w->rem + n, w->rem + w->rpos, tail);
    memcpy(w->rem, s, n);
    w->rpos = 0;
    w->remlen = n + tail;
    w->rem[w->remlen] = '\0';
    return UVMSIM_OK;
}

static int walk_dotdot(struct walk *w)
{
    if (w->cwdlen == 1)
        return UVMSIM_OK;   /* "/.." is "/" */
    size_t plen = w->cwdlen;
    while (plen > 0 && w->cwd[plen - 1] != '/')
        plen--;
    if (plen > 1)
        plen--;             /* drop the separator, but keep "/" */
    if (w->vp != NULL && w->vp->ino != EXT2_ROOT_INO) {
        /* Inside a filesystem: follow the directory's own ".." entry, like a kernel. */
        uint32_t ino;
        struct uvmsim_vnode *pvp;
        int err = uvmsim_ext2_lookup(w->vp, "..", 2, &ino);
        if (err == UVMSIM_ENOENT)
            err = uvmsim_fs_fail(w->vp->mp, UVMSIM_ECORRUPT, "%s: directory inode %u has no \"..\" entry",
                                 w->vp->mp->path, w->vp->ino);
        if (err == UVMSIM_OK)
            err = uvmsim_fs_vget(w->vp->mp, ino, &pvp);
        if (err)
            return err;
        if (pvp->type != UVMSIM_VDIR) {
            uvmsim_vnode_rele(pvp);
            return uvmsim_fs_fail(w->vp->mp, UVMSIM_ECORRUPT, "%s: \"..\" of directory inode %u is not a directory",
                                  w->vp->mp->path, w->vp->ino);
        }
        uvmsim_vnode_rele(w->vp);
        w->vp = pvp;
        w->cwdlen = plen;
        w->cwd[plen] = '\0';
        return UVMSIM_OK;
    }
    /* At the root of a mount (or in a synthetic directory): the parent belongs to the
     * namespace above, so walk the canonical parent path again from "/". */
    int err = rem_prepend(w, w->cwd, plen);
    if (err)
        return err;
    return walk_root(w);
}

static int walk_run(struct walk *w, bool follow_last)
{
    unsigned links = 0;
    int err;
    for (;;) {
        size_t i = w->rpos;
        while (i < w->remlen && w->rem[i] == '/')
            i++;
        if (i == w->remlen)
            break;
        size_t s = i;
        while (i < w->remlen && w->rem[i] != '/')
            i++;
        size_t clen = i - s, j = i;
        char comp[UVMSIM_FS_NAME_MAX + 1];
        while (j < w->remlen && w->rem[j] == '/')
            j++;
        bool last = j == w->remlen, trailing = last && i < w->remlen;
        set_at(w, w->rem + s, clen);
        if (clen > UVMSIM_FS_NAME_MAX)
            return UVMSIM_ENAMETOOLONG;
        memcpy(comp, w->rem + s, clen);
        comp[clen] = '\0';
        w->rpos = i;
        if (w->vp != NULL && w->vp->type != UVMSIM_VDIR) {
            set_at(w, w->cwd, w->cwdlen);
            return UVMSIM_ENOTDIR;
        }
        if (clen == 1 && comp[0] == '.')
            continue;
        if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
            if ((err = walk_dotdot(w)) != UVMSIM_OK)
                return err;
            continue;
        }

        char np[UVMSIM_FS_PATH_MAX + 1];
        size_t base = w->cwdlen == 1 ? 0 : w->cwdlen;
        if (base + 1 + clen > UVMSIM_FS_PATH_MAX)
            return UVMSIM_ENAMETOOLONG;
        memcpy(np, w->cwd, base);
        np[base] = '/';
        memcpy(np + base + 1, comp, clen + 1);
        size_t nplen = base + 1 + clen;
        set_at(w, np, nplen);

        struct uvmsim_vnode *nvp = NULL;
        struct uvmsim_mount *mnt = find_mount(w, np, nplen);
        if (mnt != NULL) {
            err = uvmsim_fs_vget(mnt, EXT2_ROOT_INO, &nvp);
        } else if (w->vp != NULL) {
            uint32_t ino;
            err = uvmsim_ext2_lookup(w->vp, comp, clen, &ino);
            if (err == UVMSIM_OK)
                err = uvmsim_fs_vget(w->vp->mp, ino, &nvp);
            else if (err == UVMSIM_ENOENT && below_mount(w, np, nplen))
                err = UVMSIM_OK;   /* a synthetic directory on the way to a mount */
        } else {
            err = below_mount(w, np, nplen) ? UVMSIM_OK : UVMSIM_ENOENT;
        }
        if (err)
            return err;

        if (nvp != NULL && nvp->type == UVMSIM_VLNK && (!last || follow_last || trailing)) {
            char target[UVMSIM_FS_PATH_MAX + 1];
            size_t tlen;
            if (++links > UVMSIM_FS_MAXSYMLINKS)
                err = UVMSIM_ELOOP;
            else if (nvp->in.size > UVMSIM_FS_PATH_MAX)
                err = UVMSIM_ENAMETOOLONG;
            else
                err = uvmsim_ext2_readlink(nvp, target, sizeof(target) - 1, &tlen);
            uvmsim_vnode_rele(nvp);
            if (err)
                return err;
            tlen = strnlen(target, tlen);   /* a NUL ends the target, as in a C string */
            if (tlen == 0)
                return UVMSIM_ENOENT;
            if ((err = rem_prepend(w, target, tlen)) != UVMSIM_OK)
                return err;
            if (target[0] == '/' && (err = walk_root(w)) != UVMSIM_OK)
                return err;
            continue;
        }
        uvmsim_vnode_rele(w->vp);
        w->vp = nvp;
        memcpy(w->cwd, np, nplen + 1);
        w->cwdlen = nplen;
        if (trailing && nvp != NULL && nvp->type != UVMSIM_VDIR)
            return UVMSIM_ENOTDIR;
    }
    if (w->vp == NULL) {
        set_at(w, w->cwd, w->cwdlen);
        return UVMSIM_ENOENT;   /* only a prefix of mount paths: no vnode to return */
    }
    return UVMSIM_OK;
}

/* Look path up from start (the root of that mount, at its mount path) or, when start is
 * NULL, from "/" of the machine's namespace. */
static int namei_common(struct uvmsim_machine *m, struct uvmsim_mount *start, const char *path, bool follow,
                        uvmsim_vnode **out)
{
    if (out != NULL)
        *out = NULL;
    if (m == NULL || path == NULL || out == NULL)
        return UVMSIM_EINVAL;
    struct uvmsim_mount *hd = table_head(m, true);
    if (hd == NULL)
        return UVMSIM_ENOHOST;
    size_t len = strlen(path);
    if (len > UVMSIM_FS_PATH_MAX)
        return uvmsim_fs_failm(m, UVMSIM_ENAMETOOLONG, "lookup: path of %zu bytes exceeds %d", len,
                               UVMSIM_FS_PATH_MAX);
    if (start == NULL && path[0] != '/')
        return uvmsim_fs_failm(m, UVMSIM_EINVAL, "lookup of \"%.64s\": the path must be absolute", path);
    if (len == 0)
        return uvmsim_fs_failm(m, UVMSIM_ENOENT, "lookup: empty path");
    /* (malloc, not calloc: the buffers are large and every field is set below) */
    struct walk *w = malloc(sizeof(*w));
    if (w == NULL)
        return UVMSIM_ENOHOST;
    w->hd = hd;
    w->vp = NULL;
    w->rpos = 0;
    w->at[0] = '\0';
    memcpy(w->rem, path, len + 1);
    w->remlen = len;
    int err;
    if (start == NULL) {
        err = walk_root(w);
    } else {
        memcpy(w->cwd, start->path, start->pathlen + 1);
        w->cwdlen = start->pathlen;
        err = uvmsim_fs_vget(start, EXT2_ROOT_INO, &w->vp);
    }
    if (err == UVMSIM_OK)
        err = walk_run(w, follow);
    if (err == UVMSIM_OK) {
        *out = w->vp;
    } else {
        uvmsim_vnode_rele(w->vp);
        /* Driver errors (corruption, I/O) already left a more precise sentence. */
        if (err == UVMSIM_ENOENT || err == UVMSIM_ENOTDIR || err == UVMSIM_ELOOP || err == UVMSIM_ENAMETOOLONG)
            uvmsim_fs_failm(m, err, "lookup of \"%.200s\" failed at \"%.200s\": %s", path, w->at,
                            err == UVMSIM_ENOENT    ? "no such file or directory"
                            : err == UVMSIM_ENOTDIR ? "not a directory"
                            : err == UVMSIM_ELOOP   ? "too many symbolic links (more than 32)"
                                                    : "name too long");
    }
    free(w);
    return err;
}

int uvmsim_namei(uvmsim_machine *m, const char *path, uvmsim_vnode **out)
{
    return namei_common(m, NULL, path, true, out);
}

int uvmsim_namei_nofollow(uvmsim_machine *m, const char *path, uvmsim_vnode **out)
{
    return namei_common(m, NULL, path, false, out);
}

int uvmsim_mount_lookup(uvmsim_mount *mp, const char *path, uvmsim_vnode **out)
{
    if (out != NULL)
        *out = NULL;
    if (mp == NULL || mp->is_head)
        return UVMSIM_EINVAL;
    return namei_common(mp->m, mp, path, true, out);
}
