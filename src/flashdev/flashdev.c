/* uvmsim — the NOR flash device: an image held in host memory, served two ways.  The
 * block (strategy) path copies whole blocks and is counted and traced like a disk
 * request; the direct-access path only translates a block number to the physical
 * address of the device window, which is registered as a device segment (no vm_page),
 * so XIP pagers can map NOR pages without any copy.  The device knows nothing of files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../machine/machine_internal.h"
#include "flashdev_internal.h"

/* One attached device.  Invariants while linked on m->devs:
 *   size == nblocks * block_size, size > 0, size % page_size == 0;
 *   [base, base + size) is a device segment of m whose backing is mem;
 *   mem holds size bytes owned by the device and never written after creation. */
struct uvmsim_flashdev {
    struct uvmsim_flashdev *next;  /* m->devs list, in creation order */
    struct uvmsim_machine *m;      /* owner */
    char *name;                    /* owned copy */
    size_t block_size;             /* power of two */
    uint64_t nblocks;
    uint64_t size;                 /* bytes */
    paddr_t base;                  /* window base; page aligned */
    bool direct;                   /* direct_access() allowed */
    unsigned holds;                /* mounts / mappings using it; destroy needs 0 */
    uint8_t *mem;                  /* the image */
    uvmsim_flashdev_stats stats;
    struct uvmsim_inject read_fail;  /* injected medium errors (uvmsim_flashdev_fail_reads) */
};

void uvmsim_flashdev_config_init(uvmsim_flashdev_config *cfg)
{
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof(*cfg));
    cfg->name = NULL;
    cfg->block_size = 512;
    cfg->base = 0;
    cfg->direct_access = true;
}

static bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

/* "norN" with the smallest N no other device of m is called, so default names stay
 * unique without a counter in the machine. */
static char *default_name(const struct uvmsim_machine *m)
{
    char buf[32];
    for (unsigned n = 0;; n++) {
        snprintf(buf, sizeof(buf), "nor%u", n);
        const struct uvmsim_flashdev *d = m->devs;
        while (d != NULL && strcmp(d->name, buf) != 0)
            d = d->next;
        if (d == NULL)
            break;
    }
    size_t len = strlen(buf) + 1;
    char *s = malloc(len);
    if (s != NULL)
        memcpy(s, buf, len);
    return s;
}

/* First page-aligned gap of `size` bytes inside the NOR window.  Segments are sorted and
 * page aligned, so walking them once and jumping past each obstacle finds it. */
static int place_default(const struct uvmsim_machine *m, uint64_t size, paddr_t *base)
{
    paddr_t lo = m->cfg.nor_base, hi = m->cfg.nor_base + m->cfg.nor_size;
    paddr_t cand = lo;
    for (unsigned i = 0; i < m->nsegs; i++) {
        const struct vm_physseg *s = &m->segs[i];
        if (s->end <= cand)
            continue;
        if (s->start >= cand && s->start - cand >= size)
            break;
        cand = s->end;
        if (cand >= hi)
            return UVMSIM_ERANGE;
    }
    if (size > hi - cand)
        return UVMSIM_ERANGE;
    *base = cand;
    return UVMSIM_OK;
}

/* A size check shared by the three constructors, before any copy of the contents. */
static int size_ok(struct uvmsim_machine *m, uint64_t size, const char *what)
{
    if (size == 0)
        return uvmsim_machine_fail(m, UVMSIM_EINVAL, "%s is empty: a NOR image needs at least one block", what);
    if (size > m->cfg.nor_size || size > SIZE_MAX)
        return uvmsim_machine_fail(m, UVMSIM_ERANGE, "%s is %llu bytes, larger than the %llu-byte NOR window",
                                   what, (unsigned long long)size, (unsigned long long)m->cfg.nor_size);
    return UVMSIM_OK;
}

/* Validate, place and attach; takes ownership of `mem` (freed on failure).  `what` names
 * the contents for the failure sentences ("image /x.img", "the buffer", ...). */
static int create_owned(struct uvmsim_machine *m, const uvmsim_flashdev_config *cfg,
                        uint8_t *mem, uint64_t size, const char *what, uvmsim_flashdev **out)
{
    uvmsim_flashdev_config def;
    if (cfg == NULL) {
        uvmsim_flashdev_config_init(&def);
        cfg = &def;
    }
    size_t bs = cfg->block_size ? cfg->block_size : 512;
    int err = UVMSIM_OK;
    paddr_t base = 0;
    if (!is_pow2(bs))
        err = uvmsim_machine_fail(m, UVMSIM_EINVAL, "NOR block size %zu is not a power of two", bs);
    else if ((size % bs) || (size & m->page_mask))
        err = uvmsim_machine_fail(m, UVMSIM_EALIGN,
                                  "%s is %llu bytes: a NOR image must be a whole number of %zu-byte blocks "
                                  "and of %zu-byte pages", what, (unsigned long long)size, bs,
                                  (size_t)m->cfg.page_size);
    else if (cfg->base != 0) {   /* size <= nor_size: every caller checked before copying */
        base = cfg->base;
        if (base & m->page_mask)
            err = uvmsim_machine_fail(m, UVMSIM_EALIGN, "NOR base 0x%llx is not page aligned",
                                      (unsigned long long)base);
        else if (base + size < base)
            err = uvmsim_machine_fail(m, UVMSIM_ERANGE, "NOR base 0x%llx + %llu bytes wraps around",
                                      (unsigned long long)base, (unsigned long long)size);
    } else if (place_default(m, size, &base) != UVMSIM_OK) {
        err = uvmsim_machine_fail(m, UVMSIM_ERANGE, "no free %llu-byte range left in the NOR window "
                                  "[0x%llx, 0x%llx) for %s", (unsigned long long)size,
                                  (unsigned long long)m->cfg.nor_base,
                                  (unsigned long long)(m->cfg.nor_base + m->cfg.nor_size), what);
    }
    if (err) {
        free(mem);
        return err;
    }

    struct uvmsim_flashdev *d = calloc(1, sizeof(*d));
    char *name = NULL;
    if (d != NULL) {
        if (cfg->name != NULL && cfg->name[0] != '\0') {
            size_t len = strlen(cfg->name) + 1;
            name = malloc(len);
            if (name != NULL)
                memcpy(name, cfg->name, len);
        } else {
            name = default_name(m);
        }
    }
    if (d == NULL || name == NULL) {
        free(d);
        free(name);
        free(mem);
        return uvmsim_machine_fail(m, UVMSIM_ENOHOST, "out of host memory for the NOR device");
    }
    /* NOR is readable and executable in place; never writable through the bus. */
    err = uvmsim_physload_device(m, base, base + size, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC, mem);
    if (err) {
        free(d);
        free(name);
        free(mem);
        return uvmsim_machine_fail(m, err, "cannot register the NOR window [0x%llx, 0x%llx) of %s: %s",
                                   (unsigned long long)base, (unsigned long long)(base + size), what,
                                   uvmsim_strerror(err));
    }
    d->m = m;
    d->name = name;
    d->block_size = bs;
    d->nblocks = size / bs;
    d->size = size;
    d->base = base;
    d->direct = cfg->direct_access;
    d->mem = mem;
    struct uvmsim_flashdev **tail = &m->devs;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = d;
    *out = d;
    return UVMSIM_OK;
}

int uvmsim_flashdev_create_mem(uvmsim_machine *m, const uvmsim_flashdev_config *cfg,
                               const void *image, size_t size, uvmsim_flashdev **out)
{
    if (out != NULL)
        *out = NULL;
    if (m == NULL || out == NULL || image == NULL)
        return UVMSIM_EINVAL;
    int err = size_ok(m, size, "the image buffer");   /* before copying a huge buffer */
    if (err)
        return err;
    uint8_t *mem = malloc(size);
    if (mem == NULL)
        return uvmsim_machine_fail(m, UVMSIM_ENOHOST, "out of host memory for a %zu-byte image", size);
    memcpy(mem, image, size);
    return create_owned(m, cfg, mem, size, "the image buffer", out);
}

int uvmsim_flashdev_create_file(uvmsim_machine *m, const uvmsim_flashdev_config *cfg,
                                const char *path, uvmsim_flashdev **out)
{
    if (out != NULL)
        *out = NULL;
    if (m == NULL || out == NULL || path == NULL)
        return UVMSIM_EINVAL;
    char what[160];
    snprintf(what, sizeof(what), "image %.140s", path);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        if (e == ENOENT)
            return uvmsim_machine_fail(m, UVMSIM_ENOENT, "image %.200s does not exist", path);
        return uvmsim_machine_fail(m, UVMSIM_EIO, "cannot open image %.200s: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return uvmsim_machine_fail(m, S_ISDIR(st.st_mode) ? UVMSIM_EISDIR : UVMSIM_EIO,
                                   "image %.200s is not a regular file", path);
    }
    uint64_t size = (uint64_t)st.st_size;
    int err = size_ok(m, size, what);
    if (err) {
        fclose(f);
        return err;
    }
    uint8_t *mem = malloc((size_t)size);
    if (mem == NULL) {
        fclose(f);
        return uvmsim_machine_fail(m, UVMSIM_ENOHOST, "out of host memory for %llu bytes of %s",
                                   (unsigned long long)size, what);
    }
    size_t got = fread(mem, 1, (size_t)size, f);
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (got != size) {
        free(mem);
        return uvmsim_machine_fail(m, UVMSIM_EIO, "read %zu of %llu bytes of %s%s%s", got,
                                   (unsigned long long)size, what, rerr ? ": " : "", rerr ? strerror(rerr) : "");
    }
    return create_owned(m, cfg, mem, size, what, out);
}

/* splitmix64: a good bijective mix, so neighbouring words differ in every bit. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void uvmsim_flashdev_pattern_fill(void *buf, size_t size, uint64_t seed)
{
    uint8_t *p = buf;
    if (p == NULL)
        return;
    uint64_t key = mix64(seed);
    for (size_t w = 0; w * 8 < size; w++) {
        uint64_t v = mix64(key ^ (uint64_t)w);
        for (size_t b = 0; b < 8 && w * 8 + b < size; b++)
            p[w * 8 + b] = (uint8_t)(v >> (8 * b));
    }
}

int uvmsim_flashdev_create_pattern(uvmsim_machine *m, const uvmsim_flashdev_config *cfg,
                                   size_t size, uint64_t seed, uvmsim_flashdev **out)
{
    if (out != NULL)
        *out = NULL;
    if (m == NULL || out == NULL)
        return UVMSIM_EINVAL;
    int err = size_ok(m, size, "the pattern");
    if (err)
        return err;
    uint8_t *mem = malloc(size);
    if (mem == NULL)
        return uvmsim_machine_fail(m, UVMSIM_ENOHOST, "out of host memory for a %zu-byte pattern", size);
    uvmsim_flashdev_pattern_fill(mem, size, seed);
    return create_owned(m, cfg, mem, size, "the pattern", out);
}

/* Unlink, unregister the window and free; the caller checked the hold count. */
static void dev_free(uvmsim_flashdev *dev)
{
    struct uvmsim_machine *m = dev->m;
    for (struct uvmsim_flashdev **pp = &m->devs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == dev) {
            *pp = dev->next;
            break;
        }
    }
    (void)uvmsim_physunload_device(m, dev->base);
    free(dev->mem);
    free(dev->name);
    free(dev);
}

int uvmsim_flashdev_destroy(uvmsim_flashdev *dev)
{
    if (dev == NULL)
        return UVMSIM_EINVAL;
    if (dev->holds != 0)
        return UVMSIM_EBUSY;
    dev_free(dev);
    return UVMSIM_OK;
}

/* Machine teardown: mounts and processes are gone by now, so holds no longer matter. */
void uvmsim_flashdev_destroy_all(struct uvmsim_machine *m)
{
    while (m->devs != NULL)
        dev_free(m->devs);
}

void uvmsim_flashdev_hold(uvmsim_flashdev *dev)
{
    if (dev != NULL)
        dev->holds++;
}

void uvmsim_flashdev_drop(uvmsim_flashdev *dev)
{
    if (dev != NULL && dev->holds > 0)
        dev->holds--;
}

unsigned uvmsim_flashdev_holds(const uvmsim_flashdev *dev)
{
    return dev ? dev->holds : 0;
}

struct uvmsim_machine *uvmsim_flashdev_machine(const uvmsim_flashdev *dev)
{
    return dev ? dev->m : NULL;
}

const uint8_t *uvmsim_flashdev_bytes(const uvmsim_flashdev *dev, uint64_t off, size_t len)
{
    if (dev == NULL || off > dev->size || len > dev->size - off)
        return NULL;
    return dev->mem + off;
}

const char *uvmsim_flashdev_name(const uvmsim_flashdev *dev)
{
    return dev ? dev->name : "";
}

size_t uvmsim_flashdev_block_size(const uvmsim_flashdev *dev)
{
    return dev ? dev->block_size : 0;
}

uint64_t uvmsim_flashdev_nblocks(const uvmsim_flashdev *dev)
{
    return dev ? dev->nblocks : 0;
}

uint64_t uvmsim_flashdev_size(const uvmsim_flashdev *dev)
{
    return dev ? dev->size : 0;
}

bool uvmsim_flashdev_is_direct(const uvmsim_flashdev *dev)
{
    return dev ? dev->direct : false;
}

uvmsim_paddr_t uvmsim_flashdev_base(const uvmsim_flashdev *dev)
{
    return dev ? dev->base : 0;
}

int uvmsim_flashdev_strategy(uvmsim_flashdev *dev, uint64_t blkno, uint64_t nblks, void *buf)
{
    if (dev == NULL || buf == NULL || nblks == 0)
        return UVMSIM_EINVAL;
    if (blkno >= dev->nblocks || nblks > dev->nblocks - blkno) {
        dev->stats.failed_requests++;
        return UVMSIM_ERANGE;
    }
    if (uvmsim_inject_fire(&dev->read_fail)) {
        dev->stats.failed_requests++;
        return UVMSIM_EIO;
    }
    uint64_t off = blkno * dev->block_size;
    uint64_t len = nblks * dev->block_size;
    memcpy(buf, dev->mem + off, (size_t)len);
    dev->stats.read_requests++;
    dev->stats.read_blocks += nblks;
    dev->stats.read_bytes += len;
    if (uvmsim_tracing(dev->m)) {
        char text[128];
        snprintf(text, sizeof(text), "%s: read %llu block%s at block %llu (%llu bytes)",
                 dev->name, (unsigned long long)nblks, nblks == 1 ? "" : "s",
                 (unsigned long long)blkno, (unsigned long long)len);
        uvmsim_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = UVMSIM_EV_IO;
        ev.pid = 0;   /* uvmsim_emit fills in the current process */
        ev.pa = dev->base + off;
        ev.step = "strategy";
        ev.text = text;
        ev.a = blkno;
        ev.b = nblks;
        uvmsim_emit(dev->m, &ev);
    }
    return UVMSIM_OK;
}

int uvmsim_flashdev_fail_reads(uvmsim_flashdev *dev, uint64_t skip, uint64_t count)
{
    if (dev == NULL)
        return UVMSIM_EINVAL;
    uvmsim_inject_plan(&dev->read_fail, skip, count);
    return UVMSIM_OK;
}

int uvmsim_flashdev_write(uvmsim_flashdev *dev, uint64_t blkno, uint64_t nblks, const void *buf)
{
    if (dev == NULL)
        return UVMSIM_EINVAL;
    (void)blkno;
    (void)nblks;
    (void)buf;
    dev->stats.failed_requests++;
    return UVMSIM_EROFS;
}

int uvmsim_flashdev_direct_access(const uvmsim_flashdev *dev, uint64_t blkno, uvmsim_paddr_t *pa)
{
    if (dev == NULL || pa == NULL)
        return UVMSIM_EINVAL;
    if (!dev->direct)
        return UVMSIM_ENOXIP;
    if (blkno >= dev->nblocks)
        return UVMSIM_ERANGE;
    *pa = dev->base + blkno * dev->block_size;
    return UVMSIM_OK;
}

void uvmsim_flashdev_stats_get(const uvmsim_flashdev *dev, uvmsim_flashdev_stats *out)
{
    if (out == NULL)
        return;
    if (dev == NULL) {
        memset(out, 0, sizeof(*out));
        return;
    }
    *out = dev->stats;
}
