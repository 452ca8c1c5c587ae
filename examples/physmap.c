/* physmap — show a machine's physical address map and check that a NOR device reads the
 * same through its two paths: the block (strategy) interface a filesystem uses and the
 * direct-access window an XIP pager maps.  Also prints the per-page metadata cost of RAM
 * (one vm_page per page) against the device segment (none), the saving the XIP work is
 * about.
 *
 *   physmap [--ram SIZE] [--page-size SIZE] [--block-size SIZE] [--pattern-size SIZE]
 *           [--seed N] [--check N] [--json] [IMAGE]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uvmsim/uvmsim.h"
#include "tool_json.h"
#include "tool_opt.h"

#define RAM_SIZE (16ull << 20)

struct opts {
    const char *image;        /* NULL: the built-in pattern */
    uint64_t ram_size;
    uint64_t page_size;
    uint64_t block_size;
    uint64_t pattern_size;
    uint64_t seed;
    unsigned check;           /* blocks to compare */
    bool json;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: physmap [options] [IMAGE]\n"
            "\n"
            "Build a machine with RAM and a NOR flash device holding IMAGE (a file whose size\n"
            "is a multiple of the block size and of the page size), or a built-in\n"
            "deterministic pattern when no IMAGE is given.  Print the physical map with the\n"
            "per-page metadata each segment costs, then read NOR blocks through the block\n"
            "(strategy) path and through the direct-access physical window and compare them.\n"
            "\n"
            "options:\n"
            "      --ram SIZE          RAM of the machine (default 16M)\n"
            "  -p, --page-size SIZE    machine page size, power of two >= 512 (default 4096)\n"
            "  -b, --block-size SIZE   device block size, power of two (default 512)\n"
            "  -s, --pattern-size SIZE size of the built-in pattern image (default 4M)\n"
            "      --seed N            seed of the built-in pattern (default 1)\n"
            "  -n, --check N           number of blocks to compare, spread over the device\n"
            "                          (default 8; 0 = every block)\n"
            "      --json              one JSON object instead of the table\n"
            "  -h, --help              show this help\n"
            "      --version           show the version\n"
            "\n"
            "SIZE is a number of bytes with an optional K, M or G suffix (binary units).\n"
            "Exit status: 0 all blocks match, 1 a mismatch, 2 usage or input error (a bad\n"
            "option, a missing or ill-sized image, a machine the simulator refuses), 3 a\n"
            "simulator error.  See physmap(1).\n");
}

/* TOOL_PARSE_OK: parsed; otherwise the exit status (0 after --help/--version). */
static int parse_args(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    o->ram_size = RAM_SIZE;
    o->page_size = 4096;
    o->block_size = 512;
    o->pattern_size = 4u << 20;
    o->seed = 1;
    o->check = 8;
    const struct tool_opt opts[] = {
        {"ram", 0, TOOL_SIZE, &o->ram_size, 4096, 1ull << 40, NULL, NULL},
        {"page-size", 'p', TOOL_SIZE, &o->page_size, 512, 1u << 20, NULL, NULL},
        {"block-size", 'b', TOOL_SIZE, &o->block_size, 1, 1u << 20, NULL, NULL},
        {"pattern-size", 's', TOOL_SIZE, &o->pattern_size, 1, 1ull << 32, NULL, NULL},
        {"seed", 0, TOOL_U64, &o->seed, 0, UINT64_MAX, NULL, NULL},
        {"check", 'n', TOOL_UINT, &o->check, 0, UINT32_MAX, NULL, NULL},
        {"json", 0, TOOL_FLAG, &o->json, 0, 0, NULL, NULL},
    };
    const struct tool_cmd cmd = {"physmap", usage, opts, sizeof(opts) / sizeof(opts[0]), &o->image, 0, 1, "[IMAGE]"};
    unsigned npos;
    return tool_parse(&cmd, argc, argv, &npos);
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

static void json_map(struct tool_json *j, const uvmsim_machine *m)
{
    uvmsim_metadata_report mr;
    uvmsim_metadata_report_get(m, &mr);
    tj_arr(j, "segments");
    unsigned n = uvmsim_phys_nsegs(m);
    for (unsigned i = 0; i < n; i++) {
        uvmsim_seg_info si;
        if (uvmsim_phys_seg(m, i, &si) != UVMSIM_OK)
            continue;
        tj_obj(j, NULL);
        tj_str(j, "kind", si.kind == UVMSIM_SEG_RAM ? "ram" : "device");
        tj_hex(j, "start", si.start);
        tj_hex(j, "end", si.end);
        tj_u64(j, "bytes", si.end - si.start);
        tj_u64(j, "pages", si.npages);
        tj_u64(j, "metadata_bytes", si.metadata_bytes);
        tj_f64(j, "metadata_percent", 100.0 * (double)si.metadata_bytes / (double)(si.end - si.start));
        tj_end(j);
    }
    tj_end(j);
    tj_obj(j, "metadata");
    tj_u64(j, "vm_page_size", mr.vm_page_size);
    tj_u64(j, "ram_pages", mr.ram_pages);
    tj_u64(j, "ram_metadata_bytes", mr.ram_metadata_bytes);
    tj_u64(j, "device_pages", mr.device_pages);
    tj_u64(j, "device_metadata_bytes", mr.device_metadata_bytes);
    tj_u64(j, "device_as_managed_bytes", mr.device_pages * (uint64_t)mr.vm_page_size);
    tj_end(j);
}

/* The blocks to compare: first, last and evenly spread ones in between. */
static uint64_t pick_block(uint64_t nblocks, unsigned k, unsigned count)
{
    if (count <= 1)
        return 0;
    return (uint64_t)((double)k * (double)(nblocks - 1) / (double)(count - 1));
}

/* Compare `want` blocks through both paths (table rows unless json); the tallies in
 * *ok / *bad.  Returns TOOL_EXIT_OK or TOOL_EXIT_SIMERR (a path failed). */
static int compare_paths(uvmsim_machine *m, uvmsim_flashdev *dev, unsigned want, bool json,
                         unsigned *ok, unsigned *bad)
{
    uint64_t nblocks = uvmsim_flashdev_nblocks(dev);
    size_t bs = uvmsim_flashdev_block_size(dev);
    unsigned count = (want == 0 || want > nblocks) ? (unsigned)nblocks : want;
    *ok = *bad = 0;
    uint8_t *via_io = malloc(bs), *via_win = malloc(bs);
    if (via_io == NULL || via_win == NULL) {
        free(via_io);
        free(via_win);
        fprintf(stderr, "physmap: out of host memory\n");
        return TOOL_EXIT_SIMERR;
    }
    if (!json)
        printf("reading %u of %" PRIu64 " blocks through strategy and through the window:\n", count, nblocks);
    int rc = TOOL_EXIT_OK;
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
            rc = TOOL_EXIT_SIMERR;
            break;
        }
        bool same = memcmp(via_io, via_win, bs) == 0;
        uint64_t head = 0;   /* first 8 bytes as a little-endian word, as the pattern defines */
        for (size_t i = 0; i < 8 && i < bs; i++)
            head |= (uint64_t)via_win[i] << (8 * i);
        if (!json)
            printf("  block %-8" PRIu64 " pa 0x%010" PRIx64 "  word0 %016" PRIx64 "  %s\n", b, pa,
                   head, same ? "OK" : "MISMATCH");
        if (same)
            (*ok)++;
        else
            (*bad)++;
    }
    free(via_io);
    free(via_win);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    int pr = parse_args(argc, argv, &o);
    if (pr != TOOL_PARSE_OK)
        return pr;

    uvmsim_machine_config mc;
    uvmsim_machine_config_init(&mc);
    mc.ram_size = o.ram_size;
    mc.page_size = (size_t)o.page_size;
    char why[256];
    if (uvmsim_machine_config_explain(&mc, why, sizeof(why)) != UVMSIM_OK) {
        fprintf(stderr, "physmap: cannot create the machine: %s\n", why);
        return TOOL_EXIT_USAGE;
    }
    uvmsim_machine *m;
    int err = uvmsim_machine_create(&mc, &m);
    if (err != UVMSIM_OK) {
        fprintf(stderr, "physmap: cannot create the machine: %s [%s]\n", uvmsim_strerror(err), uvmsim_errname(err));
        return TOOL_EXIT_SIMERR;
    }

    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    fc.block_size = (size_t)o.block_size;
    uvmsim_flashdev *dev;
    if (o.image != NULL)
        err = uvmsim_flashdev_create_file(m, &fc, o.image, &dev);
    else
        err = uvmsim_flashdev_create_pattern(m, &fc, (size_t)o.pattern_size, o.seed, &dev);
    if (err != UVMSIM_OK) {
        fprintf(stderr, "physmap: cannot attach NOR device from %s: %s [%s]\n",
                o.image ? o.image : "the built-in pattern", uvmsim_last_error(m), uvmsim_errname(err));
        uvmsim_machine_destroy(m);
        return err == UVMSIM_ENOHOST ? TOOL_EXIT_SIMERR : TOOL_EXIT_USAGE;
    }

    struct tool_json j;
    if (o.json) {
        tj_begin(&j, stdout);
        tj_obj(&j, "machine");
        tj_u64(&j, "ram_bytes", o.ram_size);
        tj_u64(&j, "page_size", uvmsim_page_size(m));
        tj_end(&j);
        tj_obj(&j, "device");
        tj_str(&j, "name", uvmsim_flashdev_name(dev));
        tj_str(&j, "source", o.image ? o.image : "pattern");
        if (o.image == NULL)
            tj_u64(&j, "seed", o.seed);
        tj_u64(&j, "bytes", uvmsim_flashdev_size(dev));
        tj_u64(&j, "block_size", uvmsim_flashdev_block_size(dev));
        tj_u64(&j, "blocks", uvmsim_flashdev_nblocks(dev));
        tj_hex(&j, "base", uvmsim_flashdev_base(dev));
        tj_end(&j);
        json_map(&j, m);
    } else {
        char sz[32];
        fmt_size(uvmsim_flashdev_size(dev), sz, sizeof(sz));
        char ram[32];
        fmt_size(o.ram_size, ram, sizeof(ram));
        printf("machine: %s RAM; NOR device %s: %s from %s", ram, uvmsim_flashdev_name(dev), sz,
               o.image ? o.image : "the built-in pattern");
        if (o.image == NULL)
            printf(" (seed %" PRIu64 ")", o.seed);
        printf(", %" PRIu64 " blocks of %zu bytes at 0x%" PRIx64 "\n\n", uvmsim_flashdev_nblocks(dev),
               uvmsim_flashdev_block_size(dev), uvmsim_flashdev_base(dev));
        print_map(m);
        printf("\n");
    }
    unsigned ok, bad;
    int rc = compare_paths(m, dev, o.check, o.json, &ok, &bad);
    uvmsim_flashdev_stats st;
    uvmsim_flashdev_stats_get(dev, &st);
    if (o.json) {
        tj_obj(&j, "strategy");
        tj_u64(&j, "requests", st.read_requests);
        tj_u64(&j, "blocks", st.read_blocks);
        tj_u64(&j, "bytes", st.read_bytes);
        tj_end(&j);
        tj_obj(&j, "compare");
        tj_u64(&j, "ok", ok);
        tj_u64(&j, "mismatch", bad);
        tj_bool(&j, "complete", rc == TOOL_EXIT_OK);
        tj_end(&j);
        tj_finish(&j);
    } else if (rc == TOOL_EXIT_OK) {
        printf("strategy: %" PRIu64 " requests, %" PRIu64 " blocks, %" PRIu64 " bytes\n", st.read_requests,
               st.read_blocks, st.read_bytes);
        printf("%u blocks OK, %u MISMATCH\n", ok, bad);
    }
    uvmsim_machine_destroy(m);
    if (rc == TOOL_EXIT_OK && bad)
        rc = TOOL_EXIT_FAILED;
    return tool_finish("physmap", rc);
}
