/* Helpers shared by test_exec.c and test_xip.c: the images and programs the build made
 * (cmake/builtin.cmake passes their paths), a machine with a flash device and a mount,
 * the program file as the host sees it (libelf), and reading a range through the MMU.
 * Header-only (static functions): each test file is its own executable. */
#ifndef UVMSIM_TESTS_EXEC_TESTUTIL_H
#define UVMSIM_TESTS_EXEC_TESTUTIL_H

#include "../fs/fs_testutil.h"
#include <gelf.h>
#include <libelf.h>
#include "vmtest.h"
#include "uvmsim/fs.h"
#include "uvmsim/exec.h"

#ifndef UVMSIM_BUILTIN_IMG
#error "cmake/builtin.cmake defines UVMSIM_BUILTIN_IMG and friends for this test"
#endif

#define PG 4096u

enum xt_mode { XT_COPY = 0, XT_XIP = 1, XT_XIPOP = 2, XT_NMODES = 3 };
FSU_UNUSED static const unsigned xt_mode_flags[XT_NMODES] = {
    0, UVMSIM_MNT_XIP, UVMSIM_MNT_XIP | UVMSIM_MNT_XIP_FAULTOP};
FSU_UNUSED static const char *const xt_mode_name[XT_NMODES] = {"copy", "xip", "xip-faultop"};

/* Set-up outside any test: fail loudly and exit. */
#define XT_REQ(c) do { if (!(c)) { fprintf(stderr, "set-up failed: %s\n", #c); exit(1); } } while (0)

/* A machine, one flash device with an image, one mount at "/". */
struct xt_rig {
    uvmsim_machine *m;
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
};

FSU_UNUSED static void xt_rig_up(struct xt_rig *r, const char *image, unsigned mflags, const char *backend)
{
    r->m = vt_machine(0, backend);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    int err = uvmsim_flashdev_create_file(r->m, &fc, image, &r->dev);
    ck_assert_msg(err == UVMSIM_OK, "flashdev %s: %s", image, uvmsim_strerror(err));
    err = uvmsim_mount_ext2(r->m, r->dev, "/", mflags, &r->mp);
    ck_assert_msg(err == UVMSIM_OK, "mount %s: %s (%s)", image, uvmsim_strerror(err), uvmsim_fs_last_error(r->m));
}

/* A program file as the host sees it. */
struct xt_prog {
    uint8_t *bytes;
    size_t len;
    unsigned nloads;
    GElf_Phdr loads[UVMSIM_EXEC_MAX_LOADS];
    uint64_t entry;
    unsigned elf_class;
};

FSU_UNUSED static void xt_prog_load(struct xt_prog *pr, const char *path)
{
    memset(pr, 0, sizeof(*pr));
    pr->bytes = fsu_slurp(path, &pr->len);
    ck_assert_msg(pr->bytes != NULL, "cannot read %s", path);
    ck_assert(elf_version(EV_CURRENT) != EV_NONE);
    Elf *e = elf_memory((char *)pr->bytes, pr->len);
    ck_assert_ptr_nonnull(e);
    GElf_Ehdr eh;
    ck_assert_ptr_nonnull(gelf_getehdr(e, &eh));
    pr->entry = eh.e_entry;
    pr->elf_class = gelf_getclass(e) == ELFCLASS32 ? 32 : 64;
    /* a static PIE is where exec puts it: every address moved up by the load base */
    uint64_t bias = eh.e_type == ET_DYN ? UVMSIM_EXEC_PIE_BASE : 0;
    pr->entry += bias;
    size_t n = 0;
    ck_assert_int_eq(elf_getphdrnum(e, &n), 0);
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        ck_assert_ptr_nonnull(gelf_getphdr(e, (int)i, &ph));
        if (ph.p_type == PT_LOAD && ph.p_memsz > 0) {
            ph.p_vaddr += bias;
            ck_assert_uint_lt(pr->nloads, UVMSIM_EXEC_MAX_LOADS);
            pr->loads[pr->nloads++] = ph;
        }
    }
    elf_end(e);
}

FSU_UNUSED static void xt_prog_free(struct xt_prog *pr)
{
    free(pr->bytes);
    pr->bytes = NULL;
}

/* The byte a process must see at va of load l's file mapping: the file's byte (zero past
 * end of file), except past p_filesz of a segment that goes on in memory (zeroed). */
FSU_UNUSED static uint8_t xt_expect(const struct xt_prog *pr, const GElf_Phdr *l, uint64_t va)
{
    if (va >= l->p_vaddr + l->p_filesz && l->p_memsz > l->p_filesz)
        return 0;
    uint64_t off = (l->p_offset & ~(uint64_t)(PG - 1)) + (va - (l->p_vaddr & ~(uint64_t)(PG - 1)));
    return off < pr->len ? pr->bytes[off] : 0;
}

/* The whole page at va (page aligned) of load l's file mapping, as xt_expect says. */
FSU_UNUSED static void xt_expect_page(const struct xt_prog *pr, const GElf_Phdr *l, uint64_t va, uint8_t *out)
{
    uint64_t off = (l->p_offset & ~(uint64_t)(PG - 1)) + (va - (l->p_vaddr & ~(uint64_t)(PG - 1)));
    size_t n = off >= pr->len ? 0 : pr->len - off < PG ? (size_t)(pr->len - off) : PG;
    memset(out, 0, PG);
    if (n)
        memcpy(out, pr->bytes + off, n);
    uint64_t zero_from = l->p_vaddr + l->p_filesz;
    if (l->p_memsz > l->p_filesz && zero_from < va + PG)
        memset(out + (zero_from > va ? zero_from - va : 0), 0, (size_t)(va + PG - (zero_from > va ? zero_from : va)));
}

/* Fail with the first differing byte of a page. */
#define XT_PAGE_EQ(got, want, va, what) do { \
        if (memcmp((got), (want), PG) != 0) \
            for (unsigned _b = 0; _b < PG; _b++) \
                ck_assert_msg((got)[_b] == (want)[_b], "%s byte at 0x%llx: 0x%02x, file says 0x%02x", (what), \
                              (unsigned long long)((va) + _b), (got)[_b], (want)[_b]); \
    } while (0)

FSU_UNUSED static uvmsim_prot_t xt_prot(const GElf_Phdr *l)
{
    return ((l->p_flags & PF_R) ? UVMSIM_PROT_READ : 0) | ((l->p_flags & PF_W) ? UVMSIM_PROT_WRITE : 0) |
           ((l->p_flags & PF_X) ? UVMSIM_PROT_EXEC : 0);
}

/* The exec segment of the given kind starting at va, or NULL. */
FSU_UNUSED static const uvmsim_exec_seg *xt_seg_at(const uvmsim_exec_info *ei, uvmsim_vaddr_t va,
                                                   uvmsim_exec_seg_kind kind)
{
    for (unsigned i = 0; i < ei->nsegs; i++)
        if (ei->segs[i].va == va && ei->segs[i].kind == kind)
            return &ei->segs[i];
    return NULL;
}

/* Are the allocated RAM pages (anon and object) as before? */
#define XT_RAM_SAME(a, b) do { ck_assert_uint_eq((a).anon_pages, (b).anon_pages); \
        ck_assert_uint_eq((a).object_pages, (b).object_pages); } while (0)

#endif
