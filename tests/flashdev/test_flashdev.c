/* Check suite for src/flashdev/flashdev.c: creation from files, buffers and the built-in
 * pattern, every refusal, window placement, the strategy and direct-access paths, use
 * counts and teardown. */
#define _POSIX_C_SOURCE 200809L   /* mkstemp, fdopen, strdup */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "uvmsim/uvmsim.h"
#include "machine/machine_internal.h"
#include "flashdev/flashdev_internal.h"
#include "vmtest.h"

#define KiB 1024u
#define NOR_BASE 0x40000000u

static uvmsim_machine *mk_machine(uint64_t nor_size)
{
    uvmsim_machine_config c;
    uvmsim_machine_config_init(&c);
    c.ram_size = 1u << 20;
    if (nor_size)
        c.nor_size = nor_size;
    uvmsim_machine *m = NULL;
    ck_assert_int_eq(uvmsim_machine_create(&c, &m), UVMSIM_OK);
    return m;
}

/* A heap image with a recognisable byte per offset. */
static uint8_t *mk_image(size_t size, uint8_t salt)
{
    uint8_t *p = malloc(size);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < size; i++)
        p[i] = (uint8_t)((i * 131u) ^ (i >> 9) ^ salt);
    return p;
}

/* Writes an image file in the working directory; caller unlinks and frees the name. */
static char *write_file(const void *data, size_t size)
{
    char *name = strdup("flashdev_img_XXXXXX");
    ck_assert_ptr_nonnull(name);
    int fd = mkstemp(name);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "wb");
    ck_assert_ptr_nonnull(f);
    if (size)
        ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
    return name;
}

static unsigned nsegs_device(uvmsim_machine *m)
{
    unsigned n = 0;
    uvmsim_seg_info si;
    for (unsigned i = 0; i < uvmsim_phys_nsegs(m); i++) {
        ck_assert_int_eq(uvmsim_phys_seg(m, i, &si), UVMSIM_OK);
        n += si.kind == UVMSIM_SEG_DEVICE;
    }
    return n;
}

START_TEST(test_config_init)
{
    uvmsim_flashdev_config c;
    memset(&c, 0xa5, sizeof(c));
    uvmsim_flashdev_config_init(&c);
    ck_assert_ptr_null(c.name);
    ck_assert_uint_eq(c.block_size, 512);
    ck_assert_uint_eq(c.base, 0);
    ck_assert(c.direct_access);
    uvmsim_flashdev_config_init(NULL);   /* must not crash */
}
END_TEST

START_TEST(test_create_mem_basics)
{
    uvmsim_machine *m = mk_machine(0);
    uint8_t *img = mk_image(64 * KiB, 7);
    uvmsim_flashdev *d = NULL;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, 64 * KiB, &d), UVMSIM_OK);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(uvmsim_flashdev_name(d), "nor0");
    ck_assert_uint_eq(uvmsim_flashdev_block_size(d), 512);
    ck_assert_uint_eq(uvmsim_flashdev_nblocks(d), 128);
    ck_assert_uint_eq(uvmsim_flashdev_size(d), 64 * KiB);
    ck_assert(uvmsim_flashdev_is_direct(d));
    ck_assert_uint_eq(uvmsim_flashdev_base(d), NOR_BASE);
    ck_assert_ptr_eq(uvmsim_flashdev_machine(d), m);

    /* The window is a device segment: no per-page metadata, read+exec only. */
    uvmsim_seg_info si;
    ck_assert_int_eq(uvmsim_phys_find(m, NOR_BASE + 100, &si), UVMSIM_OK);
    ck_assert_int_eq(si.kind, UVMSIM_SEG_DEVICE);
    ck_assert_uint_eq(si.start, NOR_BASE);
    ck_assert_uint_eq(si.end, NOR_BASE + 64 * KiB);
    ck_assert_uint_eq(si.npages, 16);
    ck_assert_uint_eq(si.metadata_bytes, 0);
    ck_assert_uint_eq(si.prot, UVMSIM_PROT_READ | UVMSIM_PROT_EXEC);
    uvmsim_metadata_report mr;
    uvmsim_metadata_report_get(m, &mr);
    ck_assert_uint_eq(mr.device_pages, 16);
    ck_assert_uint_eq(mr.device_metadata_bytes, 0);

    /* The image was copied: the caller's buffer may change or go away. */
    uint8_t first = img[0];
    img[0] ^= 0xff;
    const uint8_t *bytes = uvmsim_flashdev_bytes(d, 0, 64 * KiB);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_uint_eq(bytes[0], first);
    img[0] = first;
    ck_assert_int_eq(memcmp(bytes, img, 64 * KiB), 0);
    ck_assert_ptr_null(uvmsim_flashdev_bytes(d, 64 * KiB, 1));
    ck_assert_ptr_null(uvmsim_flashdev_bytes(d, 1, 64 * KiB));
    ck_assert_ptr_nonnull(uvmsim_flashdev_bytes(d, 64 * KiB - 1, 1));
    ck_assert_ptr_null(uvmsim_flashdev_bytes(NULL, 0, 1));
    free(img);

    /* A block-size-0 config means the default. */
    uvmsim_flashdev_config c;
    uvmsim_flashdev_config_init(&c);
    c.block_size = 0;
    c.name = "second";
    uint8_t page[4096] = {1};
    uvmsim_flashdev *d2;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &c, page, sizeof(page), &d2), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_block_size(d2), 512);
    ck_assert_str_eq(uvmsim_flashdev_name(d2), "second");
    ck_assert_uint_eq(uvmsim_flashdev_base(d2), NOR_BASE + 64 * KiB);

    ck_assert_int_eq(uvmsim_flashdev_destroy(d), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_find(m, NOR_BASE, &si), UVMSIM_ERANGE);
    ck_assert_uint_eq(nsegs_device(m), 1);
    ck_assert_int_eq(uvmsim_flashdev_destroy(d2), UVMSIM_OK);
    ck_assert_uint_eq(nsegs_device(m), 0);
    ck_assert_ptr_null(m->devs);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_create_mem_errors)
{
    uvmsim_machine *m = mk_machine(64 * KiB);
    uint8_t *img = mk_image(128 * KiB, 1);
    uvmsim_flashdev_config c;
    uvmsim_flashdev *d = (uvmsim_flashdev *)&c;   /* must be reset to NULL on error */

    ck_assert_int_eq(uvmsim_flashdev_create_mem(NULL, NULL, img, 4096, &d), UVMSIM_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, NULL, 4096, &d), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, 4096, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, 0, &d), UVMSIM_EINVAL);
    /* A multiple of the block size but not of the page size. */
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, 4096 + 512, &d), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, 100, &d), UVMSIM_EALIGN);
    /* A multiple of the page size but not of the block size. */
    uvmsim_flashdev_config_init(&c);
    c.block_size = 16 * KiB;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &c, img, 8 * KiB, &d), UVMSIM_EALIGN);
    ck_assert_ptr_null(d);
    /* Block size not a power of two. */
    c.block_size = 3000;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &c, img, 12 * KiB, &d), UVMSIM_EINVAL);
    /* Larger than the window. */
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, 128 * KiB, &d), UVMSIM_ERANGE);
    ck_assert_ptr_null(d);
    /* Explicit base: unaligned, overlapping RAM, overflowing the address space. */
    uvmsim_flashdev_config_init(&c);
    c.base = NOR_BASE + 100;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &c, img, 4096, &d), UVMSIM_EALIGN);
    c.base = 4096;   /* inside RAM [0, 1 MiB) */
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &c, img, 4096, &d), UVMSIM_EOVERLAP);
    c.base = UINT64_MAX - 4095;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, &c, img, 8192, &d), UVMSIM_ERANGE);
    ck_assert_ptr_null(d);
    ck_assert_uint_eq(nsegs_device(m), 0);
    ck_assert_ptr_null(m->devs);
    free(img);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_create_file)
{
    uvmsim_machine *m = mk_machine(64 * KiB);
    uint8_t *img = mk_image(32 * KiB, 3);
    char *ok = write_file(img, 32 * KiB);
    char *empty = write_file(img, 0);
    char *odd = write_file(img, 4096 + 512);
    uint8_t *big = mk_image(128 * KiB, 4);
    char *large = write_file(big, 128 * KiB);
    free(big);

    uvmsim_flashdev_config c;
    uvmsim_flashdev_config_init(&c);
    c.block_size = 4096;
    c.name = "file";
    uvmsim_flashdev *d = NULL;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &c, ok, &d), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_size(d), 32 * KiB);
    ck_assert_uint_eq(uvmsim_flashdev_nblocks(d), 8);
    uint8_t buf[4096];
    for (uint64_t b = 0; b < 8; b++) {
        ck_assert_int_eq(uvmsim_flashdev_strategy(d, b, 1, buf), UVMSIM_OK);
        ck_assert_int_eq(memcmp(buf, img + b * 4096, 4096), 0);
    }
    ck_assert_int_eq(uvmsim_flashdev_destroy(d), UVMSIM_OK);

    d = (uvmsim_flashdev *)&c;
    /* Every refusal says why in uvmsim_last_error(): the path, the size, the rule. */
    ck_assert_str_eq(uvmsim_last_error(m), "");
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &c, "/nonexistent/uvmsim/none.img", &d), UVMSIM_ENOENT);
    ck_assert_str_eq(uvmsim_last_error(m), "image /nonexistent/uvmsim/none.img does not exist");
    ck_assert_ptr_null(d);
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &c, ".", &d), UVMSIM_EISDIR);   /* a directory */
    ck_assert_str_eq(uvmsim_last_error(m), "image . is not a regular file");
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &c, empty, &d), UVMSIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(uvmsim_last_error(m), "is empty: a NOR image needs at least one block"));
    c.block_size = 512;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &c, odd, &d), UVMSIM_EALIGN);
    char want[512];
    snprintf(want, sizeof(want), "image %s is %llu bytes: a NOR image must be a whole number of 512-byte blocks "
             "and of 4096-byte pages", odd, 4096ull + 512);
    ck_assert_str_eq(uvmsim_last_error(m), want);
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &c, large, &d), UVMSIM_ERANGE);
    ck_assert_ptr_nonnull(strstr(uvmsim_last_error(m), "is 131072 bytes, larger than the 65536-byte NOR window"));
    ck_assert_int_eq(uvmsim_flashdev_create_file(NULL, &c, ok, &d), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &c, NULL, &d), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &c, ok, NULL), UVMSIM_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_ptr_null(m->devs);

    char *names[] = {ok, empty, odd, large};
    for (int i = 0; i < 4; i++) {
        unlink(names[i]);
        free(names[i]);
    }
    free(img);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_placement)
{
    /* A 64 KiB window holds four 16 KiB devices, one after the other. */
    uvmsim_machine *m = mk_machine(64 * KiB);
    uvmsim_flashdev *d[4], *x = NULL;
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 16 * KiB, i, &d[i]), UVMSIM_OK);
        ck_assert_uint_eq(uvmsim_flashdev_base(d[i]), NOR_BASE + i * 16 * KiB);
        char want[8];
        snprintf(want, sizeof(want), "nor%u", i);
        ck_assert_str_eq(uvmsim_flashdev_name(d[i]), want);
    }
    ck_assert_uint_eq(nsegs_device(m), 4);
    /* Full window. */
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 4096, 9, &x), UVMSIM_ERANGE);
    ck_assert_ptr_null(x);
    /* Free the second: a device that fits reuses the gap (and its name), a bigger one does not. */
    ck_assert_int_eq(uvmsim_flashdev_destroy(d[1]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 32 * KiB, 9, &x), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 8 * KiB, 9, &x), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_base(x), NOR_BASE + 16 * KiB);
    ck_assert_str_eq(uvmsim_flashdev_name(x), "nor1");
    uvmsim_flashdev *y;
    /* Room only at the very end of the window, and too little of it. */
    ck_assert_int_eq(uvmsim_flashdev_destroy(d[3]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 24 * KiB, 9, &y), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 16 * KiB, 3, &d[3]), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_base(d[3]), NOR_BASE + 48 * KiB);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 8 * KiB, 9, &y), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_base(y), NOR_BASE + 24 * KiB);
    ck_assert_str_eq(uvmsim_flashdev_name(y), "nor4");

    /* Explicit bases: over another device → EOVERLAP; outside the window is allowed. */
    uvmsim_flashdev_config c;
    uvmsim_flashdev_config_init(&c);
    c.base = NOR_BASE + 48 * KiB;
    uvmsim_flashdev *z;
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, &c, 4096, 1, &z), UVMSIM_EOVERLAP);
    c.base = NOR_BASE - 8 * KiB;   /* straddles the start of d[0] */
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, &c, 16 * KiB, 1, &z), UVMSIM_EOVERLAP);
    c.base = 0x80000000u;
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, &c, 16 * KiB, 1, &z), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_base(z), 0x80000000u);
    uvmsim_seg_info si;
    ck_assert_int_eq(uvmsim_phys_find(m, 0x80000000u + 16 * KiB - 1, &si), UVMSIM_OK);
    ck_assert_int_eq(si.kind, UVMSIM_SEG_DEVICE);
    ck_assert_uint_eq(nsegs_device(m), 6);
    /* The machine destroys what is left, including held devices. */
    uvmsim_flashdev_hold(z);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_default_base_skips_explicit)
{
    /* A device placed explicitly inside the window is stepped over by default placement,
     * and the gap before it is used once something fits. */
    uvmsim_machine_config mc;
    uvmsim_machine_config_init(&mc);
    mc.ram_size = 1u << 20;
    mc.nor_size = 64 * KiB;
    mc.nor_base = 0x100000;
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(&mc, &m), UVMSIM_OK);
    uvmsim_flashdev_config c;
    uvmsim_flashdev_config_init(&c);
    c.base = 0x100000 + 8 * KiB;
    uvmsim_flashdev *a, *b, *e;
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, &c, 8 * KiB, 1, &a), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 16 * KiB, 2, &b), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_base(b), 0x100000 + 16 * KiB);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 8 * KiB, 3, &e), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_base(e), 0x100000);
    uvmsim_machine_destroy(m);
}
END_TEST

struct io_log {
    unsigned n;
    uvmsim_event last;
    char text[128];
    char step[32];
};

static void io_cb(const uvmsim_event *ev, void *arg)
{
    struct io_log *l = arg;
    l->n++;
    l->last = *ev;
    snprintf(l->text, sizeof(l->text), "%s", ev->text ? ev->text : "");
    snprintf(l->step, sizeof(l->step), "%s", ev->step ? ev->step : "");
}

START_TEST(test_strategy)
{
    uvmsim_machine *m = mk_machine(0);
    uint8_t *img = mk_image(64 * KiB, 9);
    uvmsim_flashdev *d;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, 64 * KiB, &d), UVMSIM_OK);
    struct io_log log;
    memset(&log, 0, sizeof(log));
    uvmsim_trace_set(m, io_cb, &log);

    uint8_t buf[8192];
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 3, 4, buf), UVMSIM_OK);
    ck_assert_int_eq(memcmp(buf, img + 3 * 512, 4 * 512), 0);
    ck_assert_uint_eq(log.n, 1);
    ck_assert_int_eq(log.last.type, UVMSIM_EV_IO);
    ck_assert_uint_eq(log.last.a, 3);
    ck_assert_uint_eq(log.last.b, 4);
    ck_assert_uint_eq(log.last.pa, NOR_BASE + 3 * 512);
    ck_assert_uint_eq(log.last.seq, 1);
    ck_assert_int_eq(log.last.pid, -1);   /* no process on the CPU */
    ck_assert_str_eq(log.step, "strategy");
    ck_assert_str_eq(log.text, "nor0: read 4 blocks at block 3 (2048 bytes)");
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 127, 1, buf), UVMSIM_OK);   /* last block */
    ck_assert_int_eq(memcmp(buf, img + 127 * 512, 512), 0);
    ck_assert_str_eq(log.text, "nor0: read 1 block at block 127 (512 bytes)");
    ck_assert_uint_eq(log.last.seq, 2);

    uvmsim_flashdev_stats st;
    uvmsim_flashdev_stats_get(d, &st);
    ck_assert_uint_eq(st.read_requests, 2);
    ck_assert_uint_eq(st.read_blocks, 5);
    ck_assert_uint_eq(st.read_bytes, 5 * 512);
    ck_assert_uint_eq(st.failed_requests, 0);

    /* Refusals: nothing read, nothing traced; range errors counted as failed. */
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 128, 1, buf), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 120, 9, buf), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 1, UINT64_MAX, buf), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, UINT64_MAX, 1, buf), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 0, 0, buf), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 0, 1, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_strategy(NULL, 0, 1, buf), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_write(d, 0, 1, buf), UVMSIM_EROFS);
    ck_assert_int_eq(uvmsim_flashdev_write(NULL, 0, 1, buf), UVMSIM_EINVAL);
    ck_assert_uint_eq(log.n, 2);
    uvmsim_flashdev_stats_get(d, &st);
    ck_assert_uint_eq(st.read_requests, 2);
    ck_assert_uint_eq(st.read_blocks, 5);
    ck_assert_uint_eq(st.failed_requests, 5);
    /* The device is unchanged by the refused write. */
    ck_assert_int_eq(memcmp(uvmsim_flashdev_bytes(d, 0, 512), img, 512), 0);

    /* Without a trace callback the read still counts. */
    uvmsim_trace_set(m, NULL, NULL);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 0, 16, buf), UVMSIM_OK);
    ck_assert_int_eq(memcmp(buf, img, 8192), 0);
    ck_assert_uint_eq(log.n, 2);
    uvmsim_flashdev_stats_get(d, &st);
    ck_assert_uint_eq(st.read_requests, 3);
    ck_assert_uint_eq(st.read_blocks, 21);
    ck_assert_uint_eq(st.read_bytes, 21 * 512);
    free(img);
    uvmsim_machine_destroy(m);
}
END_TEST

/* uvmsim_flashdev_fail_reads: skip, then count reads fail with EIO — not traced, not
 * read, the caller's buffer untouched, counted as failed; out-of-range requests are
 * refused before the plan is consulted; forever until cleared. */
START_TEST(test_inject_reads)
{
    uvmsim_machine *m = mk_machine(0);
    uint8_t *img = mk_image(64 * KiB, 4);
    uvmsim_flashdev *d;
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, 64 * KiB, &d), UVMSIM_OK);
    struct io_log log;
    memset(&log, 0, sizeof(log));
    uvmsim_trace_set(m, io_cb, &log);
    uint8_t buf[512];
    ck_assert_int_eq(uvmsim_flashdev_fail_reads(NULL, 0, 1), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_fail_reads(d, 1, 2), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 5, 1, buf), UVMSIM_OK);       /* skipped */
    ck_assert_int_eq(memcmp(buf, img + 5 * 512, 512), 0);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 500, 1, buf), UVMSIM_ERANGE); /* refused first */
    memset(buf, 0xcc, sizeof(buf));
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 6, 1, buf), UVMSIM_EIO);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 7, 1, buf), UVMSIM_EIO);
    for (size_t i = 0; i < sizeof(buf); i++)
        ck_assert_uint_eq(buf[i], 0xcc);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 8, 1, buf), UVMSIM_OK);       /* spent */
    ck_assert_int_eq(memcmp(buf, img + 8 * 512, 512), 0);
    ck_assert_uint_eq(log.n, 2);
    uvmsim_flashdev_stats st;
    uvmsim_flashdev_stats_get(d, &st);
    ck_assert_uint_eq(st.read_requests, 2);
    ck_assert_uint_eq(st.read_blocks, 2);
    ck_assert_uint_eq(st.failed_requests, 3);
    ck_assert_int_eq(uvmsim_flashdev_fail_reads(d, 0, UVMSIM_INJECT_FOREVER), UVMSIM_OK);
    for (unsigned i = 0; i < 10; i++)
        ck_assert_int_eq(uvmsim_flashdev_strategy(d, i, 1, buf), UVMSIM_EIO);
    ck_assert_int_eq(uvmsim_flashdev_fail_reads(d, 3, 0), UVMSIM_OK);          /* cleared */
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 0, 1, buf), UVMSIM_OK);
    uvmsim_flashdev_stats_get(d, &st);
    ck_assert_uint_eq(st.read_requests, 3);
    ck_assert_uint_eq(st.failed_requests, 13);
    free(img);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_direct_access)
{
    uvmsim_machine *m = mk_machine(0);
    uvmsim_flashdev_config c;
    uvmsim_flashdev_config_init(&c);
    c.block_size = 4096;
    uvmsim_flashdev *d;
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, &c, 256 * KiB, 42, &d), UVMSIM_OK);
    uint8_t via_io[4096], via_phys[4096];
    for (uint64_t b = 0; b < 64; b += 7) {
        uvmsim_paddr_t pa = 0;
        ck_assert_int_eq(uvmsim_flashdev_direct_access(d, b, &pa), UVMSIM_OK);
        ck_assert_uint_eq(pa, NOR_BASE + b * 4096);
        ck_assert_int_eq(uvmsim_flashdev_strategy(d, b, 1, via_io), UVMSIM_OK);
        ck_assert_int_eq(uvmsim_phys_read(m, pa, via_phys, sizeof(via_phys)), UVMSIM_OK);
        ck_assert_int_eq(memcmp(via_io, via_phys, 4096), 0);
    }
    uvmsim_paddr_t pa = 0;
    ck_assert_int_eq(uvmsim_flashdev_direct_access(d, 63, &pa), UVMSIM_OK);
    ck_assert_uint_eq(pa, NOR_BASE + 63 * 4096);
    ck_assert_int_eq(uvmsim_flashdev_direct_access(d, 64, &pa), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_flashdev_direct_access(d, 0, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_direct_access(NULL, 0, &pa), UVMSIM_EINVAL);
    /* The window is read-only on the bus too. */
    ck_assert_int_eq(uvmsim_phys_write(m, NOR_BASE, via_io, 16), UVMSIM_EROFS);
    ck_assert_int_eq(uvmsim_phys_zero(m, NOR_BASE, 16), UVMSIM_EROFS);
    /* ... but can be copied from, into RAM (what a COW promotion does). */
    uvmsim_paddr_t ram;
    ck_assert_int_eq(uvmsim_ram_alloc(m, true, &ram), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_copy(m, ram, NOR_BASE + 4096, 4096), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_read(m, ram, via_phys, 4096), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 1, 1, via_io), UVMSIM_OK);
    ck_assert_int_eq(memcmp(via_io, via_phys, 4096), 0);
    /* Reading past the window's end fails. */
    ck_assert_int_eq(uvmsim_phys_read(m, NOR_BASE + 256 * KiB - 8, via_phys, 16), UVMSIM_ERANGE);

    /* A block-only device: still attached, but no direct access. */
    c.direct_access = false;
    c.block_size = 512;
    uvmsim_flashdev *nd;
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, &c, 8 * KiB, 1, &nd), UVMSIM_OK);
    ck_assert(!uvmsim_flashdev_is_direct(nd));
    pa = 12345;
    ck_assert_int_eq(uvmsim_flashdev_direct_access(nd, 0, &pa), UVMSIM_ENOXIP);
    ck_assert_uint_eq(pa, 12345);
    ck_assert_int_eq(uvmsim_flashdev_strategy(nd, 15, 1, via_io), UVMSIM_OK);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_pattern)
{
    uint8_t a[1000], b[1000], c[1000];
    uvmsim_flashdev_pattern_fill(a, sizeof(a), 5);
    uvmsim_flashdev_pattern_fill(b, sizeof(b), 5);
    uvmsim_flashdev_pattern_fill(c, sizeof(c), 6);
    ck_assert_int_eq(memcmp(a, b, sizeof(a)), 0);
    ck_assert_int_ne(memcmp(a, c, sizeof(a)), 0);
    /* A short fill is a prefix of a longer one (size need not be a multiple of 8). */
    memset(b, 0, sizeof(b));
    uvmsim_flashdev_pattern_fill(b, 13, 5);
    ck_assert_int_eq(memcmp(a, b, 13), 0);
    ck_assert_uint_eq(b[13], 0);
    /* Words differ from their neighbours (not a constant fill). */
    ck_assert_int_ne(memcmp(a, a + 8, 8), 0);
    uvmsim_flashdev_pattern_fill(NULL, 10, 1);   /* ignored */

    uvmsim_machine *m = mk_machine(64 * KiB);
    uvmsim_flashdev *d = NULL;
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 8 * KiB, 5, &d), UVMSIM_OK);
    ck_assert_int_eq(memcmp(uvmsim_flashdev_bytes(d, 0, 1000), a, 1000), 0);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 0, 5, &d), UVMSIM_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 128 * KiB, 5, &d), UVMSIM_ERANGE);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 1000, 5, &d), UVMSIM_EALIGN);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(NULL, NULL, 4096, 5, &d), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 4096, 5, NULL), UVMSIM_EINVAL);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_hold_busy)
{
    uvmsim_machine *m = mk_machine(0);
    uvmsim_flashdev *d;
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, NULL, 8 * KiB, 1, &d), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_holds(d), 0);
    uvmsim_flashdev_hold(d);
    uvmsim_flashdev_hold(d);
    ck_assert_uint_eq(uvmsim_flashdev_holds(d), 2);
    ck_assert_int_eq(uvmsim_flashdev_destroy(d), UVMSIM_EBUSY);
    uvmsim_flashdev_drop(d);
    ck_assert_int_eq(uvmsim_flashdev_destroy(d), UVMSIM_EBUSY);
    /* Still attached and usable after a refused destroy. */
    uint8_t buf[512];
    ck_assert_int_eq(uvmsim_flashdev_strategy(d, 0, 1, buf), UVMSIM_OK);
    ck_assert_uint_eq(nsegs_device(m), 1);
    uvmsim_flashdev_drop(d);
    uvmsim_flashdev_drop(d);   /* below zero: ignored */
    ck_assert_uint_eq(uvmsim_flashdev_holds(d), 0);
    ck_assert_int_eq(uvmsim_flashdev_destroy(d), UVMSIM_OK);
    ck_assert_uint_eq(nsegs_device(m), 0);
    ck_assert_int_eq(uvmsim_flashdev_destroy(NULL), UVMSIM_EINVAL);
    uvmsim_flashdev_hold(NULL);
    uvmsim_flashdev_drop(NULL);
    ck_assert_uint_eq(uvmsim_flashdev_holds(NULL), 0);
    uvmsim_machine_destroy(m);
}
END_TEST

START_TEST(test_null_getters)
{
    ck_assert_str_eq(uvmsim_flashdev_name(NULL), "");
    ck_assert_uint_eq(uvmsim_flashdev_block_size(NULL), 0);
    ck_assert_uint_eq(uvmsim_flashdev_nblocks(NULL), 0);
    ck_assert_uint_eq(uvmsim_flashdev_size(NULL), 0);
    ck_assert(!uvmsim_flashdev_is_direct(NULL));
    ck_assert_uint_eq(uvmsim_flashdev_base(NULL), 0);
    ck_assert_ptr_null(uvmsim_flashdev_machine(NULL));
    uvmsim_flashdev_stats st;
    memset(&st, 0xff, sizeof(st));
    uvmsim_flashdev_stats_get(NULL, &st);
    ck_assert_uint_eq(st.read_requests, 0);
    ck_assert_uint_eq(st.failed_requests, 0);
    uvmsim_flashdev_stats_get(NULL, NULL);
}
END_TEST

START_TEST(test_two_machines)
{
    uvmsim_machine *m1 = mk_machine(0), *m2 = mk_machine(0);
    uvmsim_flashdev *d1, *d2;
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m1, NULL, 16 * KiB, 1, &d1), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m2, NULL, 16 * KiB, 2, &d2), UVMSIM_OK);
    /* Same default base and name in each machine: nothing is shared. */
    ck_assert_uint_eq(uvmsim_flashdev_base(d1), uvmsim_flashdev_base(d2));
    ck_assert_str_eq(uvmsim_flashdev_name(d1), uvmsim_flashdev_name(d2));
    ck_assert_ptr_eq(uvmsim_flashdev_machine(d1), m1);
    ck_assert_ptr_eq(uvmsim_flashdev_machine(d2), m2);
    uint8_t a[1024], b[512];
    ck_assert_int_eq(uvmsim_phys_read(m1, NOR_BASE, a, 512), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_phys_read(m2, NOR_BASE, b, 512), UVMSIM_OK);
    ck_assert_int_ne(memcmp(a, b, 512), 0);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d1, 0, 2, a), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d1, 0, 1, a), UVMSIM_OK);
    uvmsim_flashdev_stats s1, s2;
    uvmsim_flashdev_stats_get(d1, &s1);
    uvmsim_flashdev_stats_get(d2, &s2);
    ck_assert_uint_eq(s1.read_requests, 2);
    ck_assert_uint_eq(s2.read_requests, 0);
    /* Destroying one machine leaves the other's device intact. */
    uvmsim_machine_destroy(m1);
    ck_assert_int_eq(uvmsim_flashdev_strategy(d2, 31, 1, b), UVMSIM_OK);
    uint8_t want[512];
    uint8_t whole[16 * 1024];
    uvmsim_flashdev_pattern_fill(whole, sizeof(whole), 2);
    memcpy(want, whole + 31 * 512, 512);
    ck_assert_int_eq(memcmp(b, want, 512), 0);
    uvmsim_machine_destroy(m2);
}
END_TEST

START_TEST(test_small_pages)
{
    /* 512-byte pages: a single-block, single-page image is the smallest legal one. */
    uvmsim_machine_config mc;
    uvmsim_machine_config_init(&mc);
    mc.page_size = 512;
    mc.ram_size = 64 * KiB;
    uvmsim_machine *m;
    ck_assert_int_eq(uvmsim_machine_create(&mc, &m), UVMSIM_OK);
    uvmsim_flashdev *d;
    uint8_t img[512];
    memset(img, 0x5a, sizeof(img));
    ck_assert_int_eq(uvmsim_flashdev_create_mem(m, NULL, img, 512, &d), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_flashdev_nblocks(d), 1);
    uvmsim_seg_info si;
    ck_assert_int_eq(uvmsim_phys_find(m, NOR_BASE, &si), UVMSIM_OK);
    ck_assert_uint_eq(si.npages, 1);
    /* Large erase-block-sized blocks over small pages. */
    uvmsim_flashdev_config c;
    uvmsim_flashdev_config_init(&c);
    c.block_size = 64 * KiB;
    uvmsim_flashdev *e;
    ck_assert_int_eq(uvmsim_flashdev_create_pattern(m, &c, 128 * KiB, 3, &e), UVMSIM_OK);
    uvmsim_paddr_t pa;
    ck_assert_int_eq(uvmsim_flashdev_direct_access(e, 1, &pa), UVMSIM_OK);
    ck_assert_uint_eq(pa, uvmsim_flashdev_base(e) + 64 * KiB);
    ck_assert_uint_eq(uvmsim_flashdev_base(e), NOR_BASE + 512);
    uvmsim_machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("flashdev");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_config_init);
    tcase_add_test(tc, test_create_mem_basics);
    tcase_add_test(tc, test_create_mem_errors);
    tcase_add_test(tc, test_create_file);
    tcase_add_test(tc, test_placement);
    tcase_add_test(tc, test_default_base_skips_explicit);
    tcase_add_test(tc, test_strategy);
    tcase_add_test(tc, test_inject_reads);
    tcase_add_test(tc, test_direct_access);
    tcase_add_test(tc, test_pattern);
    tcase_add_test(tc, test_hold_busy);
    tcase_add_test(tc, test_null_getters);
    tcase_add_test(tc, test_two_machines);
    tcase_add_test(tc, test_small_pages);
    suite_add_tcase(s, tc);
    return vt_run(s);
}
