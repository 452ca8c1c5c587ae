/* uvmsim fuzz harnesses: the helpers they share (see fuzz.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

void fz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: fuzz finding: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

uvmsim_machine *fz_machine(size_t page_size, uint64_t ram, const char *pmap)
{
    uvmsim_machine_config cfg;
    uvmsim_machine *m = NULL;
    uvmsim_machine_config_init(&cfg);
    cfg.page_size = page_size;
    cfg.ram_size = ram;
    cfg.pmap = pmap;
    int err = uvmsim_machine_create(&cfg, &m);
    if (err == UVMSIM_ENOHOST)
        return NULL;
    FZ_ASSERT(err == UVMSIM_OK, "machine (page %zu, ram %llu, %s): %s", page_size, (unsigned long long)ram,
              pmap ? pmap : "generic", uvmsim_strerror(err));
    return m;
}

void fz_check(uvmsim_machine *m, const char *when)
{
    char msg[512];
    int err = uvmsim_check(m, msg, sizeof msg);
    FZ_ASSERT(err == UVMSIM_OK, "invariant broken %s: %s", when, msg);
}

uvmsim_flashdev *fz_flashdev(uvmsim_machine *m, const uint8_t *data, size_t size, size_t devsize,
                             size_t block_size)
{
    uint8_t *img = calloc(1, devsize);
    if (img == NULL)
        return NULL;
    memcpy(img, data, size < devsize ? size : devsize);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev *dev = NULL;
    uvmsim_flashdev_config_init(&fc);
    if (block_size)
        fc.block_size = block_size;
    int err = uvmsim_flashdev_create_mem(m, &fc, img, devsize, &dev);
    free(img);
    if (err == UVMSIM_ENOHOST)
        return NULL;
    FZ_ASSERT(err == UVMSIM_OK, "flash device of %zu bytes: %s", devsize, uvmsim_strerror(err));
    return dev;
}
