/* physmap — show a machine's physical address map and check that a NOR device reads the
 * same through its two paths: the block (strategy) interface a filesystem uses and the
 * direct-access window an XIP pager maps.  Also prints the per-page metadata cost of RAM
 * (one vm_page per page) against the device segment (none), the saving the XIP work is
 * about.
 *
 *   physmap [--page-size N] [--block-size N] [--pattern-size N] [--seed N] [--check N] [IMAGE]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uvmsim/uvmsim.h"

#define RAM_SIZE (16ull << 20)

struct opts {
    const char *image;        /* NULL: the built-in pattern */
    size_t page_size;
    size_t block_size;
    size_t pattern_size;
    uint64_t seed;
    unsigned check;           /* blocks to compare */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: physmap [options] [IMAGE]\n"
            "\n"
            "Build a machine with 16 MiB of RAM and a NOR flash device holding IMAGE (a file\n"
            "whose size is a multiple of the block size and of the page size), or a\n"
            "built-in deterministic pattern when no IMAGE is given.  Print the physical map\n"
            "with the per-page metadata each segment costs, then read NOR blocks through\n"
            "the block (strategy) path and through the direct-access physical window and\n"
            "compare them.  Exit status: 0 all blocks match, 1 a mismatch, 2 an error.\n"
            "\n"
            "options:\n"
            "  -p, --page-size N     machine page size, power of two >= 512 (default 4096)\n"
            "  -b, --block-size N    device block size in bytes, power of two (default 512)\n"
            "  -s, --pattern-size N  size of the built-in pattern image (default 4194304)\n"
            "      --seed N          seed of the built-in pattern (default 1)\n"
            "  -n, --check N         number of blocks to compare, spread over the device\n"
            "                        (default 8; 0 = every block)\n"
            "  -h, --help            show this help\n"
            "\n"
            "Sizes accept a K or M suffix (binary units).\n");
}

/* Parse a byte count with an optional K/M suffix; false on junk or overflow. */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (s == NULL || *s == '\0' || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s)
        return false;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10, end++;
    else if (*end == 'M' || *end == 'm')
        shift = 20, end++;
    if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

/* 0: parsed; 1: help shown; 2: usage error (message printed). */
static int parse_args(int argc, char **argv, struct opts *o)
{
    o->image = NULL;
    o->page_size = 4096;
    o->block_size = 512;
    o->pattern_size = 4u << 20;
    o->seed = 1;
    o->check = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
        uint64_t v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "-p") || !strcmp(a, "--page-size") ||
                   !strcmp(a, "-b") || !strcmp(a, "--block-size") || !strcmp(a, "-s") ||
                   !strcmp(a, "--pattern-size") || !strcmp(a, "--seed") || !strcmp(a, "-n") ||
                   !strcmp(a, "--check")) {
            if (!parse_size(val, &v)) {
                fprintf(stderr, "physmap: %s needs a number, got '%s'\n", a, val ? val : "(nothing)");
                return 2;
            }
            i++;
            if (a[1] == 'p' || !strcmp(a, "--page-size"))
                o->page_size = (size_t)v;
            else if (a[1] == 'b' || !strcmp(a, "--block-size"))
                o->block_size = (size_t)v;
            else if (a[1] == 's' || !strcmp(a, "--pattern-size"))
                o->pattern_size = (size_t)v;
            else if (!strcmp(a, "--seed"))
                o->seed = v;
            else
                o->check = v > 0xffffffffu ? 0xffffffffu : (unsigned)v;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "physmap: unknown option '%s' (try --help)\n", a);
            return 2;
        } else if (o->image == NULL) {
            o->image = a;
        } else {
            fprintf(stderr, "physmap: more than one image given ('%s', '%s')\n", o->image, a);
            return 2;
        }
    }
    return 0;
}

static void fmt_size(uint64_t bytes, char *buf, size_t len)
{
    if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0)
        snprintf(buf, len, "%" PRIu64 " MiB", bytes >> 20);
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf(buf, len, "%" PRIu64 " KiB", bytes >> 10);
    else
        snprintf(buf, len, "%" PRIu64 " B", bytes);
}

static void print_map(const uvmsim_machine *m)
{
    uvmsim_metadata_report mr;
    uvmsim_metadata_report_get(m, &mr);
    printf("physical map (page size %zu, sizeof(struct vm_page) = %zu bytes)\n",
           uvmsim_page_size(m), mr.vm_page_size);
    printf("  %-3s %-6s %-18s %-18s %9s %8s %14s %7s\n", "seg", "kind", "start", "end", "size",
           "pages", "metadata", "of seg");
    unsigned n = uvmsim_phys_nsegs(m);
    for (unsigned i = 0; i < n; i++) {
        uvmsim_seg_info si;
        if (uvmsim_phys_seg(m, i, &si) != UVMSIM_OK)
            continue;
        char sz[32];
        uint64_t bytes = si.end - si.start;
        fmt_size(bytes, sz, sizeof(sz));
        printf("  %-3u %-6s 0x%016" PRIx64 " 0x%016" PRIx64 " %9s %8" PRIu64 " %12zu B %6.2f%%\n", i,
               si.kind == UVMSIM_SEG_RAM ? "RAM" : "DEVICE", si.start, si.end, sz, si.npages,
               si.metadata_bytes, 100.0 * (double)si.metadata_bytes / (double)bytes);
    }
    printf("metadata: RAM %" PRIu64 " pages -> %zu bytes; device %" PRIu64 " pages -> %zu bytes\n",
           mr.ram_pages, mr.ram_metadata_bytes, mr.device_pages, mr.device_metadata_bytes);
    printf("device pages as managed pages would cost %" PRIu64 " bytes more\n",
           mr.device_pages * (uint64_t)mr.vm_page_size);
}

/* The blocks to compare: first, last and evenly spread ones in between. */
static uint64_t pick_block(uint64_t nblocks, unsigned k, unsigned count)
{
    if (count <= 1)
        return 0;
    return (uint64_t)((double)k * (double)(nblocks - 1) / (double)(count - 1));
}

static int compare_paths(uvmsim_machine *m, uvmsim_flashdev *dev, unsigned want)
{
    uint64_t nblocks = uvmsim_flashdev_nblocks(dev);
    size_t bs = uvmsim_flashdev_block_size(dev);
    unsigned count = (want == 0 || want > nblocks) ? (unsigned)nblocks : want;
    uint8_t *via_io = malloc(bs), *via_win = malloc(bs);
    if (via_io == NULL || via_win == NULL) {
        free(via_io);
        free(via_win);
        fprintf(stderr, "physmap: out of host memory\n");
        return 2;
    }
    printf("reading %u of %" PRIu64 " blocks through strategy and through the window:\n", count, nblocks);
    unsigned ok = 0, bad = 0;
    int rc = 0;
    uint64_t prev = UINT64_MAX;
    for (unsigned k = 0; k < count; k++) {
        uint64_t b = pick_block(nblocks, k, count);
        if (b == prev)
            continue;
        prev = b;
        uvmsim_paddr_t pa;
        int err = uvmsim_flashdev_direct_access(dev, b, &pa);
        if (err == UVMSIM_OK)
            err = uvmsim_flashdev_strategy(dev, b, 1, via_io);
        if (err == UVMSIM_OK)
            err = uvmsim_phys_read(m, pa, via_win, bs);
        if (err != UVMSIM_OK) {
            fprintf(stderr, "physmap: block %" PRIu64 ": %s (%s)\n", b, uvmsim_strerror(err),
                    uvmsim_errname(err));
            rc = 2;
            break;
        }
        bool same = memcmp(via_io, via_win, bs) == 0;
        uint64_t head = 0;   /* first 8 bytes as a little-endian word, as the pattern defines */
        for (size_t i = 0; i < 8 && i < bs; i++)
            head |= (uint64_t)via_win[i] << (8 * i);
        printf("  block %-8" PRIu64 " pa 0x%010" PRIx64 "  word0 %016" PRIx64 "  %s\n", b, pa,
               head, same ? "OK" : "MISMATCH");
        if (same)
            ok++;
        else
            bad++;
    }
    free(via_io);
    free(via_win);
    if (rc)
        return rc;
    uvmsim_flashdev_stats st;
    uvmsim_flashdev_stats_get(dev, &st);
    printf("strategy: %" PRIu64 " requests, %" PRIu64 " blocks, %" PRIu64 " bytes\n", st.read_requests,
           st.read_blocks, st.read_bytes);
    printf("%u blocks OK, %u MISMATCH\n", ok, bad);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    int pr = parse_args(argc, argv, &o);
    if (pr == 1)
        return 0;
    if (pr != 0)
        return 2;

    uvmsim_machine_config mc;
    uvmsim_machine_config_init(&mc);
    mc.ram_size = RAM_SIZE;
    mc.page_size = o.page_size;
    uvmsim_machine *m;
    int err = uvmsim_machine_create(&mc, &m);
    if (err != UVMSIM_OK) {
        fprintf(stderr, "physmap: cannot create machine with page size %zu: %s [%s]\n", o.page_size,
                uvmsim_strerror(err), uvmsim_errname(err));
        return 2;
    }

    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    fc.block_size = o.block_size;
    uvmsim_flashdev *dev;
    if (o.image != NULL)
        err = uvmsim_flashdev_create_file(m, &fc, o.image, &dev);
    else
        err = uvmsim_flashdev_create_pattern(m, &fc, o.pattern_size, o.seed, &dev);
    if (err != UVMSIM_OK) {
        fprintf(stderr, "physmap: cannot attach NOR device from %s: %s [%s]\n",
                o.image ? o.image : "the built-in pattern", uvmsim_last_error(m), uvmsim_errname(err));
        uvmsim_machine_destroy(m);
        return 2;
    }

    char sz[32];
    fmt_size(uvmsim_flashdev_size(dev), sz, sizeof(sz));
    printf("machine: 16 MiB RAM; NOR device %s: %s from %s", uvmsim_flashdev_name(dev), sz,
           o.image ? o.image : "the built-in pattern");
    if (o.image == NULL)
        printf(" (seed %" PRIu64 ")", o.seed);
    printf(", %" PRIu64 " blocks of %zu bytes at 0x%" PRIx64 "\n\n", uvmsim_flashdev_nblocks(dev),
           uvmsim_flashdev_block_size(dev), uvmsim_flashdev_base(dev));
    print_map(m);
    printf("\n");
    int rc = compare_paths(m, dev, o.check);
    uvmsim_machine_destroy(m);
    return rc;
}
