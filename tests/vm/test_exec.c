/* Check suite for src/vm/uvm_exec.c: exec of the real static programs of the built-in
 * image (64-bit glibc hello and bigdata, the 32-bit hello32) and of hand-built ELF32 and
 * ELF64 files, on every mount kind; the address space it builds (segments, protections,
 * bytes through the MMU, zeroed tails and .bss, the stack); and every refusal: malformed
 * programs fail with UVMSIM_ENOEXEC leaving the caller's address space untouched, a
 * failure while building leaves an empty one. */
#include "exec_testutil.h"
#include "vm/uvm_vm.h"
#include "pmap_sim/pmap_impl.h"

static char dir[256], img[300];

/* ---- hand-built ELF files ---- */

struct hl {
    uint32_t type, flags;
    uint64_t off, vaddr, filesz, memsz;
};

struct hspec {
    int cls;                 /* ELFCLASS32 / ELFCLASS64 */
    uint16_t etype, machine, phentsize, phnum;   /* 0: computed */
    bool phnum_zero;         /* e_phnum = 0 */
    uint64_t entry, phoff;   /* phoff 0: right after the ELF header */
    size_t file_len;
    const struct hl *l;
    unsigned n;
};

#define SEED 9

/* Write the file: pattern bytes everywhere, then the headers on top. */
static void mk_elf(const char *path, const struct hspec *s)
{
    uint8_t *b = calloc(1, s->file_len);
    XT_REQ(b != NULL);
    for (size_t i = 0; i < s->file_len; i++)
        b[i] = fsu_pat(i, SEED);
    bool c32 = s->cls == ELFCLASS32;
    size_t ehsize = c32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
    size_t phsize = c32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
    uint64_t phoff = s->phoff ? s->phoff : ehsize;
    uint16_t phnum = s->phnum_zero ? 0 : s->phnum ? s->phnum : (uint16_t)s->n;
    uint16_t phent = s->phentsize ? s->phentsize : (uint16_t)phsize;
    uint8_t ident[EI_NIDENT] = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, (uint8_t)s->cls, ELFDATA2LSB, EV_CURRENT};
    if (c32) {
        Elf32_Ehdr eh = {0};
        memcpy(eh.e_ident, ident, EI_NIDENT);
        eh.e_type = s->etype ? s->etype : ET_EXEC;
        eh.e_machine = s->machine ? s->machine : EM_386;
        eh.e_version = EV_CURRENT;
        eh.e_entry = (Elf32_Addr)s->entry;
        eh.e_phoff = (Elf32_Off)phoff;
        eh.e_shoff = (Elf32_Off)(s->file_len - 40);   /* a section table the loader ignores */
        eh.e_ehsize = (uint16_t)ehsize;
        eh.e_phentsize = phent;
        eh.e_phnum = phnum;
        eh.e_shentsize = sizeof(Elf32_Shdr);
        eh.e_shnum = 1;
        XT_REQ(s->file_len >= ehsize);
        memcpy(b, &eh, ehsize);
        for (unsigned i = 0; i < s->n && phoff >= ehsize && phoff + (i + 1) * phsize <= s->file_len; i++) {
            Elf32_Phdr ph = {.p_type = s->l[i].type, .p_flags = s->l[i].flags, .p_offset = (Elf32_Off)s->l[i].off,
                             .p_vaddr = (Elf32_Addr)s->l[i].vaddr, .p_paddr = (Elf32_Addr)s->l[i].vaddr,
                             .p_filesz = (Elf32_Word)s->l[i].filesz, .p_memsz = (Elf32_Word)s->l[i].memsz,
                             .p_align = PG};
            memcpy(b + phoff + i * phsize, &ph, phsize);
        }
    } else {
        Elf64_Ehdr eh = {0};
        memcpy(eh.e_ident, ident, EI_NIDENT);
        eh.e_type = s->etype ? s->etype : ET_EXEC;
        eh.e_machine = s->machine ? s->machine : EM_X86_64;
        eh.e_version = EV_CURRENT;
        eh.e_entry = s->entry;
        eh.e_phoff = phoff;
        eh.e_shoff = s->file_len - 64;   /* a section table the loader ignores */
        eh.e_ehsize = (uint16_t)ehsize;
        eh.e_phentsize = phent;
        eh.e_phnum = phnum;
        eh.e_shentsize = sizeof(Elf64_Shdr);
        eh.e_shnum = 1;
        XT_REQ(s->file_len >= ehsize);
        memcpy(b, &eh, ehsize);
        for (unsigned i = 0; i < s->n && phoff >= ehsize && phoff + (i + 1) * phsize <= s->file_len; i++) {
            Elf64_Phdr ph = {.p_type = s->l[i].type, .p_flags = s->l[i].flags, .p_offset = s->l[i].off,
                             .p_vaddr = s->l[i].vaddr, .p_paddr = s->l[i].vaddr,
                             .p_filesz = s->l[i].filesz, .p_memsz = s->l[i].memsz, .p_align = PG};
            memcpy(b + phoff + i * phsize, &ph, phsize);
        }
    }
    FILE *f = fopen(path, "wb");
    XT_REQ(f != NULL);
    XT_REQ(fwrite(b, 1, s->file_len, f) == s->file_len);
    XT_REQ(fclose(f) == 0);
    XT_REQ(chmod(path, 0755) == 0);
    free(b);
}

/* mk_elf, then one byte of the file changed. */
static void poked(const char *path, const struct hspec *s, long off, int byte)
{
    mk_elf(path, s);
    FILE *f = fopen(path, "r+b");
    XT_REQ(f && fseek(f, off, SEEK_SET) == 0 && fputc(byte, f) == byte && fclose(f) == 0);
}

/* Copy the first len bytes of src (0: all) to dst, with the given mode. */
static void copy_prefix(const char *src, const char *dst, size_t len, mode_t mode)
{
    size_t n;
    uint8_t *b = fsu_slurp(src, &n);
    XT_REQ(b != NULL);
    if (len == 0 || len > n)
        len = n;
    FILE *f = fopen(dst, "wb");
    XT_REQ(f != NULL);
    XT_REQ(fwrite(b, 1, len, f) == len);
    XT_REQ(fclose(f) == 0);
    XT_REQ(chmod(dst, mode) == 0);
    free(b);
}

#define RX (PF_R | PF_X)
#define RW (PF_R | PF_W)

/* good64: text 0x400000 (3 pages, file 0..0x2345), data 0x603100 (file 0x3100..+0x1234,
 * memory to 0x608100): file pages [0x603000, 0x605000), anon [0x605000, 0x609000). */
static const struct hl good64_l[] = {
    {PT_LOAD, RX, 0, 0x400000, 0x2345, 0x2345},
    {PT_LOAD, RW, 0x3100, 0x603100, 0x1234, 0x5000},
};
/* good32: text, a read-only segment with zero-fill (memsz > filesz without write), data. */
static const struct hl good32_l[] = {
    {PT_LOAD, RX, 0, 0x08048000, 0x1800, 0x1800},
    {PT_LOAD, PF_R, 0x2000, 0x0804a000, 0x100, 0x1800},
    {PT_LOAD, RW, 0x2200, 0x0804c200, 0x300, 0x4000},
};

struct bad {
    const char *name;
    int err;
};
static const struct bad bads[] = {
    {"notelf", UVMSIM_ENOEXEC}, {"tiny", UVMSIM_ENOEXEC}, {"truncehdr", UVMSIM_ENOEXEC},
    {"truncehdr32", UVMSIM_ENOEXEC}, {"truncph", UVMSIM_ENOEXEC}, {"badclass", UVMSIM_ENOEXEC},
    {"badmagic", UVMSIM_ENOEXEC}, {"pastend", UVMSIM_ENOEXEC}, {"filewrap", UVMSIM_ENOEXEC},
    {"overlap", UVMSIM_ENOEXEC}, {"misalign", UVMSIM_ENOEXEC}, {"noload", UVMSIM_ENOEXEC},
    {"memsz_lt_filesz", UVMSIM_ENOEXEC}, {"absurd", UVMSIM_ENOEXEC}, {"absurdsum", UVMSIM_ENOEXEC},
    {"phnum0", UVMSIM_ENOEXEC}, {"phnumxnum", UVMSIM_ENOEXEC}, {"phnumhuge", UVMSIM_ENOEXEC}, {"phentsize", UVMSIM_ENOEXEC},
    {"phoffinside", UVMSIM_ENOEXEC}, {"phfar", UVMSIM_ENOEXEC}, {"dyn", UVMSIM_ENOEXEC},
    {"pie_wrap", UVMSIM_ENOEXEC},
    {"rel", UVMSIM_ENOEXEC}, {"interp", UVMSIM_ENOEXEC}, {"page0", UVMSIM_ENOEXEC},
    {"kernelva", UVMSIM_ENOEXEC}, {"wrap", UVMSIM_ENOEXEC}, {"many", UVMSIM_ENOEXEC},
    {"stackclash", UVMSIM_ENOEXEC}, {"high32", UVMSIM_ENOEXEC}, {"data0", UVMSIM_ENOEXEC},
    {"flipped", UVMSIM_ENOEXEC}, {"version0", UVMSIM_ENOEXEC}, {"noexec", UVMSIM_EACCES}, {"dir", UVMSIM_EACCES},
    {"missing", UVMSIM_ENOENT},
};
#define NBADS (sizeof bads / sizeof bads[0])

static void build_image(void)
{
    char src[300], p[400], err[1024];
    snprintf(dir, sizeof dir, "exec-test-%d", (int)getpid());
    fsu_rmtree(dir);
    XT_REQ(mkdir(dir, 0755) == 0);
    snprintf(src, sizeof src, "%s/src", dir);
    XT_REQ(mkdir(src, 0755) == 0);
#define F(name) fsu_path(p, sizeof p, "%s/%s", src, name)
    struct hspec g64 = {.cls = ELFCLASS64, .entry = 0x400100, .file_len = 0x4400, .l = good64_l, .n = 2};
    struct hspec g32 = {.cls = ELFCLASS32, .entry = 0x08048080, .file_len = 0x2500, .l = good32_l, .n = 3};
    mk_elf(F("good64"), &g64);
    mk_elf(F("good32"), &g32);
    /* a static PIE (ET_DYN, no PT_INTERP) linked at 0: text [0, 0x2345), data 0x203100 */
    struct hl pie_l[] = {{PT_LOAD, RX, 0, 0, 0x2345, 0x2345}, {PT_LOAD, RW, 0x3100, 0x203100, 0x1234, 0x5000}};
    struct hspec pie = {.cls = ELFCLASS64, .etype = ET_DYN, .entry = 0x100, .file_len = 0x4400, .l = pie_l, .n = 2};
    mk_elf(F("pie64"), &pie);
    /* program header table beyond the first page: the loader reads further */
    struct hl far_l[] = {{PT_LOAD, RX, 0, 0x400000, 0x3000, 0x3000}};
    struct hspec far = {.cls = ELFCLASS64, .entry = 0x400000, .phoff = 0x2000, .file_len = 0x3000, .l = far_l, .n = 1};
    mk_elf(F("farphdr"), &far);
    XT_REQ(fsu_write_str(F("notelf"), "#!/bin/sh\necho hello\n") == 0 && chmod(p, 0755) == 0);
    XT_REQ(fsu_write_str(F("tiny"), "\177ELF\002\001") == 0 && chmod(p, 0755) == 0);
    char g64p[400], g32p[400];
    fsu_path(g64p, sizeof g64p, "%s/good64", src);
    fsu_path(g32p, sizeof g32p, "%s/good32", src);
    copy_prefix(g64p, F("truncehdr"), 40, 0755);
    copy_prefix(g32p, F("truncehdr32"), 40, 0755);
    copy_prefix(g64p, F("truncph"), 100, 0755);
    copy_prefix(g64p, F("noexec"), 0, 0644);
    struct hspec s;
    s = g64; s.cls = ELFCLASS64;
    {   /* class byte corrupted after writing */
        mk_elf(F("badclass"), &s);
        FILE *f = fopen(p, "r+b");
        XT_REQ(f && fseek(f, EI_CLASS, SEEK_SET) == 0 && fputc(7, f) == 7 && fclose(f) == 0);
        mk_elf(F("badmagic"), &s);
        f = fopen(p, "r+b");
        XT_REQ(f && fseek(f, 1, SEEK_SET) == 0 && fputc('X', f) == 'X' && fclose(f) == 0);
    }
    /* found by fuzzing (docs/fuzz.md): one header byte changed after writing */
    poked(F("data0"), &g64, EI_DATA, ELFDATANONE);
    poked(F("flipped"), &g64, EI_DATA, ELFDATA2MSB);    /* a little-endian file marked big-endian */
    poked(F("version0"), &g64, EI_VERSION, EV_NONE);
    {   /* a 32-bit program whose data segment ends above 4 GiB */
        struct hl h[] = {good32_l[0], {PT_LOAD, RW, 0x2200, 0xfffff200, 0x100, 0x10000}};
        struct hspec hs = g32;
        hs.l = h;
        hs.n = 2;
        mk_elf(F("high32"), &hs);
    }
    struct hl l[20];
    memcpy(l, good64_l, sizeof good64_l);
    s.l = l;
#define BAD(name, ...) do { memcpy(l, good64_l, sizeof good64_l); s = g64; s.l = l; __VA_ARGS__; mk_elf(F(name), &s); } while (0)
    BAD("pastend", l[1].filesz = 0x1500);
    BAD("filewrap", l[1].off = 0xfffffffffffff100ull; l[1].vaddr = 0x603100);
    BAD("overlap", l[1].off = 0x2100; l[1].vaddr = 0x402100);
    BAD("misalign", l[1].vaddr = 0x603108);
    BAD("noload", l[0].type = PT_NULL; l[1].type = PT_NOTE);
    BAD("memsz_lt_filesz", l[1].memsz = 0x1000);
    BAD("absurd", l[1].memsz = 1ull << 40);
    BAD("absurdsum", l[0].memsz = 0x30000000; l[1].vaddr = 0x40603100; l[1].memsz = 0x30000000);
    BAD("phnum0", s.phnum_zero = true);
    BAD("phnumxnum", s.phnum = PN_XNUM);
    BAD("phnumhuge", s.phnum = 1000);
    BAD("phentsize", s.phentsize = 48);
    BAD("phoffinside", s.phoff = 8);
    BAD("phfar", s.phoff = 0x11000; s.file_len = 0x12000);
    /* a PIE that wants an interpreter is a dynamically linked program */
    BAD("dyn", s.etype = ET_DYN; l[2] = (struct hl){PT_INTERP, PF_R, 0x200, 0x400200, 0x1c, 0x1c}; s.n = 3);
    /* a static PIE whose data would wrap around the address space once moved up */
    BAD("pie_wrap", s.etype = ET_DYN; l[1].vaddr = 0xffffffffffffe100ull);
    BAD("rel", s.etype = ET_REL);
    BAD("interp", l[2] = (struct hl){PT_INTERP, PF_R, 0x200, 0x400200, 0x1c, 0x1c}; s.n = 3);
    BAD("page0", l[0].vaddr = 0);
    BAD("kernelva", l[1].vaddr = 0xffff800000003100ull);
    BAD("wrap", l[1].vaddr = 0xfffffffffffff100ull; l[1].memsz = 0x2000; l[1].filesz = 0x100);
    BAD("many", for (unsigned i = 0; i < 17; i++) l[i] = (struct hl){PT_LOAD, PF_R, 0x100, 0x1000100 + i * 0x10000ull, 0x10, 0x10};
        s.n = 17);
    BAD("stackclash", l[1].vaddr = UVMSIM_EXEC_STACK_TOP64 - 0x1000 + 0x100);
    /* valid, but its data lies above 4 GiB: only for an MMU with more address bits */
    BAD("high64", l[1].vaddr = 0x100003100ull);
#undef BAD
    XT_REQ(mkdir(F("dir"), 0755) == 0);
    /* the real programs too, for exec from a small image of our own */
    copy_prefix(UVMSIM_PROGRAMS_DIR "/hello", F("hello"), 0, 0755);
    if (access(UVMSIM_PROGRAMS_DIR "/hellopie", R_OK) == 0)
        copy_prefix(UVMSIM_PROGRAMS_DIR "/hellopie", F("hellopie"), 0, 0755);
#undef F
    snprintf(img, sizeof img, "%s/exec.img", dir);
    if (!fsu_mkimage(src, img, 4096, 1, "4M", err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

static void cleanup(void) { fsu_rmtree(dir); }

static void rig_mine(struct xt_rig *r, int mode)
{
    xt_rig_up(r, img, xt_mode_flags[mode], NULL);
}

/* Read [va, va+len) through the MMU as loads. */
static void mmu_read(uvmsim_proc *p, uvmsim_vaddr_t va, void *buf, size_t len)
{
    int err = uvmsim_access_mem(p, va, UVMSIM_ACCESS_LOAD, buf, len, NULL, NULL);
    ck_assert_msg(err == UVMSIM_OK, "load at 0x%llx: %s", (unsigned long long)va, uvmsim_strerror(err));
}

/* Every PT_LOAD of the host file shows up as planned and reads back right. */
static void check_image(uvmsim_proc *p, const uvmsim_exec_info *ei, const struct xt_prog *pr)
{
    uvmsim_machine *m = uvmsim_proc_machine(p);
    ck_assert_uint_eq(ei->elf_class, pr->elf_class);
    ck_assert_uint_eq(ei->entry, pr->entry);
    ck_assert_uint_eq(ei->nloads, pr->nloads);
    ck_assert_uint_eq(ei->file_size, pr->len);
    ck_assert_str_eq(ei->error, "");
    uint64_t text = 0, data = 0, bss = 0, brk = 0;
    unsigned nsegs = 1, zero_tails = 0;
    uint8_t *buf = malloc(PG), *want = malloc(PG);
    for (unsigned i = 0; i < pr->nloads; i++) {
        const GElf_Phdr *l = &pr->loads[i];
        uint64_t start = l->p_vaddr & ~(uint64_t)(PG - 1);
        uint64_t fend = (l->p_vaddr + l->p_filesz + PG - 1) & ~(uint64_t)(PG - 1);
        uint64_t mend = (l->p_vaddr + l->p_memsz + PG - 1) & ~(uint64_t)(PG - 1);
        uvmsim_prot_t prot = xt_prot(l);
        brk = mend > brk ? mend : brk;
        if (l->p_filesz > 0) {
            const uvmsim_exec_seg *s = xt_seg_at(ei, start, UVMSIM_EXEC_SEG_FILE);
            ck_assert_msg(s != NULL, "no file segment at 0x%llx", (unsigned long long)start);
            ck_assert_uint_eq(s->size, fend - start);
            ck_assert_uint_eq(s->prot, prot);
            ck_assert_uint_eq(s->offset, l->p_offset & ~(uint64_t)(PG - 1));
            nsegs++;
            text += (prot & UVMSIM_PROT_EXEC) ? (fend - start) / PG : 0;
            data += (prot & UVMSIM_PROT_WRITE) ? (fend - start) / PG : 0;
            uvmsim_entry_info en;
            ck_assert_int_eq(uvmsim_map_lookup(p, start, &en), UVMSIM_OK);
            ck_assert_uint_eq(en.start, start);
            ck_assert_uint_eq(en.end, fend);
            ck_assert_uint_eq(en.prot, prot);
            ck_assert(en.copy_on_write && !en.shared && en.has_object);
            ck_assert_uint_eq(en.offset, s->offset);
            if (l->p_memsz > l->p_filesz && ((l->p_vaddr + l->p_filesz) & (PG - 1)))
                zero_tails++;
            for (uint64_t va = start; va < fend; va += PG) {
                mmu_read(p, va, buf, PG);
                xt_expect_page(pr, l, va, want);
                XT_PAGE_EQ(buf, want, va, "image");
            }
        }
        uint64_t astart = l->p_filesz > 0 ? fend : start;
        if (mend > astart) {
            const uvmsim_exec_seg *s = xt_seg_at(ei, astart, UVMSIM_EXEC_SEG_ANON);
            ck_assert_msg(s != NULL, "no anon segment at 0x%llx", (unsigned long long)astart);
            ck_assert_uint_eq(s->size, mend - astart);
            ck_assert_uint_eq(s->prot, prot);
            nsegs++;
            bss += (mend - astart) / PG;
            uvmsim_entry_info en;
            ck_assert_int_eq(uvmsim_map_lookup(p, astart, &en), UVMSIM_OK);
            ck_assert(!en.has_object);
            /* only the first and last pages: the middle is the same zero-fill */
            for (uint64_t va = astart; va < mend; va += (mend - astart > PG ? mend - astart - PG : PG)) {
                mmu_read(p, va, buf, PG);
                for (unsigned b = 0; b < PG; b++)
                    ck_assert_msg(buf[b] == 0, "bss byte at 0x%llx", (unsigned long long)(va + b));
            }
        }
    }
    free(buf);
    free(want);
    const uvmsim_exec_seg *st = xt_seg_at(ei, ei->stack_base, UVMSIM_EXEC_SEG_STACK);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(st->phdr, -1);
    ck_assert_uint_eq(st->size, ei->stack_top - ei->stack_base);
    ck_assert_uint_eq(ei->stack_top, pr->elf_class == 32 ? UVMSIM_EXEC_STACK_TOP32 : UVMSIM_EXEC_STACK_TOP64);
    ck_assert_uint_eq(st->size, UVMSIM_EXEC_STACK_SIZE);
    ck_assert_uint_eq(ei->nsegs, nsegs);
    ck_assert_uint_eq(uvmsim_map_nentries(p), nsegs);
    for (unsigned i = 1; i < ei->nsegs; i++)
        ck_assert_uint_lt(ei->segs[i - 1].va, ei->segs[i].va);
    ck_assert_uint_eq(ei->text_pages, text);
    ck_assert_uint_eq(ei->data_pages, data);
    ck_assert_uint_eq(ei->bss_pages, bss);
    ck_assert_uint_eq(ei->brk, brk);
    ck_assert_uint_eq(ei->promotions, zero_tails);
    ck_assert_uint_gt(ei->header_bytes, 0);
    uvmsim_exec_info kept;
    ck_assert_int_eq(uvmsim_exec_info_get(p, &kept), UVMSIM_OK);
    ck_assert_mem_eq(&kept, ei, sizeof kept);
    VT_CHECK(m);
}

static void exec_and_check(struct xt_rig *r, const char *path, const char *host)
{
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r->m, &p), UVMSIM_OK);
    uvmsim_exec_info ei;
    int err = uvmsim_exec(p, path, &ei);
    ck_assert_msg(err == UVMSIM_OK, "exec %s: %s (%s)", path, uvmsim_strerror(err), ei.error);
    struct xt_prog pr;
    xt_prog_load(&pr, host);
    check_image(p, &ei, &pr);
    xt_prog_free(&pr);
    uvmsim_proc_exit(p);
    VT_CHECK(r->m);
}

/* The hand-built programs on every mount kind: 64-bit, 32-bit (with a read-only segment
 * that has zero-fill: opened for the zeroing store and closed again), far program headers. */
START_TEST(test_exec_handbuilt)
{
    struct xt_rig r;
    rig_mine(&r, _i);
    char host[400];
    exec_and_check(&r, "/good64", fsu_path(host, sizeof host, "%s/src/good64", dir));
    exec_and_check(&r, "/good32", fsu_path(host, sizeof host, "%s/src/good32", dir));
    exec_and_check(&r, "/farphdr", fsu_path(host, sizeof host, "%s/src/farphdr", dir));

    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_exec_info ei;
    ck_assert_int_eq(uvmsim_exec(p, "/good32", &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.elf_class, 32);
    ck_assert_uint_eq(ei.elf_machine, EM_386);
    ck_assert_uint_eq(ei.promotions, 2);
    ck_assert_uint_eq(ei.bytes_zeroed, (PG - 0x100) + (PG - 0x500));
    ck_assert_uint_eq(ei.stack_base, UVMSIM_EXEC_STACK_TOP32 - UVMSIM_EXEC_STACK_SIZE);
    /* the read-only segment is read-only again, with its zeroed page */
    uvmsim_entry_info en;
    ck_assert_int_eq(uvmsim_map_lookup(p, 0x0804a000, &en), UVMSIM_OK);
    ck_assert_uint_eq(en.prot, UVMSIM_PROT_READ);
    ck_assert_uint_eq(en.end, 0x0804b000);
    uint8_t v = 1;
    ck_assert_int_eq(vt_store(p, 0x0804a200, 0, NULL, NULL), UVMSIM_EACCES);
    ck_assert_int_eq(vt_load(p, 0x0804a200, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(vt_load(p, 0x0804a0ff, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, fsu_pat(0x20ff, SEED));
    /* text executes, does not take stores; data does not execute */
    ck_assert_int_eq(uvmsim_access_mem(p, 0x08048080, UVMSIM_ACCESS_FETCH, &v, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(vt_store(p, 0x08048080, 1, NULL, NULL), UVMSIM_EACCES);
    ck_assert_int_eq(uvmsim_access_mem(p, 0x0804c200, UVMSIM_ACCESS_FETCH, &v, 1, NULL, NULL), UVMSIM_EACCES);
    /* the stack is there and zero-fill */
    uvmsim_fault_outcome o;
    ck_assert_int_eq(vt_store(p, UVMSIM_EXEC_STACK_TOP32 - 8, 7, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ZERO_FILL);
    ck_assert_int_eq(vt_load(p, UVMSIM_EXEC_STACK_TOP32, &v, NULL, NULL), UVMSIM_EFAULT);
    VT_CHECK(r.m);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* A static PIE loads at UVMSIM_EXEC_PIE_BASE (or the base the options give): every
 * segment and the entry point move up by it, the bytes are the file's. */
START_TEST(test_exec_static_pie)
{
    struct xt_rig r;
    rig_mine(&r, _i);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_exec_info ei;
    int err = uvmsim_exec(p, "/pie64", &ei);
    ck_assert_msg(err == UVMSIM_OK, "%s (%s)", uvmsim_strerror(err), ei.error);
    const uint64_t B = UVMSIM_EXEC_PIE_BASE;
    ck_assert_uint_eq(ei.load_base, B);
    ck_assert_uint_eq(ei.entry, B + 0x100);
    const uvmsim_exec_seg *t = xt_seg_at(&ei, B, UVMSIM_EXEC_SEG_FILE);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->size, 3 * PG);
    ck_assert_ptr_nonnull(xt_seg_at(&ei, B + 0x203000, UVMSIM_EXEC_SEG_FILE));
    ck_assert_uint_eq(ei.brk, B + 0x209000);
    uint8_t v;
    ck_assert_int_eq(uvmsim_access_mem(p, B + 0x2344, UVMSIM_ACCESS_FETCH, &v, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, fsu_pat(0x2344, SEED));
    ck_assert_int_eq(vt_load(p, B + 0x203100 + 0x1233, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, fsu_pat(0x3100 + 0x1233, SEED));
    ck_assert_int_eq(vt_load(p, B + 0x203100 + 0x1234, &v, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(v, 0);   /* zeroed past p_filesz */
    ck_assert_int_eq(vt_load(p, 0x100, &v, NULL, NULL), UVMSIM_EFAULT);   /* nothing at the link address */
    /* a base of one's own; a misaligned one is refused before anything changes */
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(r.m, "/pie64", &vp), UVMSIM_OK);
    uvmsim_exec_opts o;
    uvmsim_exec_opts_init(&o);
    ck_assert_uint_eq(o.load_base, 0);
    o.load_base = 0x5000000;
    ck_assert_int_eq(uvmsim_exec_vnode(p, vp, &o, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.load_base, 0x5000000);
    ck_assert_uint_eq(ei.entry, 0x5000100);
    ck_assert_ptr_nonnull(xt_seg_at(&ei, 0x5000000, UVMSIM_EXEC_SEG_FILE));
    unsigned nent = uvmsim_map_nentries(p);
    o.load_base = 0x5000800;
    ck_assert_int_eq(uvmsim_exec_vnode(p, vp, &o, &ei), UVMSIM_EALIGN);
    ck_assert_str_ne(ei.error, "");
    ck_assert_uint_eq(uvmsim_map_nentries(p), nent);
    /* the base does not move an ET_EXEC program */
    uvmsim_vnode *vg;
    ck_assert_int_eq(uvmsim_namei(r.m, "/good64", &vg), UVMSIM_OK);
    o.load_base = 0x5000000;
    ck_assert_int_eq(uvmsim_exec_vnode(p, vg, &o, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.load_base, 0);
    ck_assert_uint_eq(ei.entry, 0x400100);
    uvmsim_vnode_rele(vg);
    uvmsim_vnode_rele(vp);
    /* a real one (hello linked -static-pie), compared with the file at its base */
    if (access(UVMSIM_PROGRAMS_DIR "/hellopie", R_OK) == 0)
        exec_and_check(&r, "/hellopie", UVMSIM_PROGRAMS_DIR "/hellopie");
    else
        fprintf(stderr, "test_exec: no hellopie (the compiler cannot link -static-pie): real static PIE not tested\n");
    VT_CHECK(r.m);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* The real programs of the built-in image: glibc hello, bigdata and the 32-bit hello32. */
START_TEST(test_exec_real_programs)
{
    struct xt_rig r;
    xt_rig_up(&r, UVMSIM_BUILTIN_IMG, xt_mode_flags[_i], NULL);
    exec_and_check(&r, "/bin/hello", UVMSIM_PROGRAMS_DIR "/hello");
    exec_and_check(&r, "/bin/hi", UVMSIM_PROGRAMS_DIR "/hello");     /* symlink */
    exec_and_check(&r, "/bin/bigdata", UVMSIM_PROGRAMS_DIR "/bigdata");
    if (access(UVMSIM_PROGRAMS_DIR "/hello32", R_OK) == 0)
        exec_and_check(&r, "/bin/hello32", UVMSIM_PROGRAMS_DIR "/hello32");

    /* data files are not programs */
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_exec_info ei;
    ck_assert_int_eq(uvmsim_exec(p, "/data/sparse", &ei), UVMSIM_EACCES);
    ck_assert_str_ne(ei.error, "");
    ck_assert_int_eq(uvmsim_exec(p, "/bin", &ei), UVMSIM_EACCES);
    ck_assert_uint_eq(uvmsim_map_nentries(p), 0);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* Every malformed program is refused before anything is touched: a process keeps its
 * mapping and data, an empty one stays empty. */
START_TEST(test_exec_malformed)
{
    struct xt_rig r;
    rig_mine(&r, _i);
    uvmsim_proc *busy, *empty;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &busy), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_create(r.m, &empty), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(busy, 0x10000000, 4 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    ck_assert_int_eq(vt_store(busy, va + PG + 5, 0xab, NULL, NULL), UVMSIM_OK);
    for (size_t i = 0; i < NBADS; i++) {
        char path[64];
        snprintf(path, sizeof path, "/%s", bads[i].name);
        uvmsim_exec_info ei;
        uvmsim_ram_stats r0, r1;
        uvmsim_ram_stats_get(r.m, &r0);
        int err = uvmsim_exec(busy, path, &ei);
        ck_assert_msg(err == bads[i].err, "%s: %s (%s), wanted %s", bads[i].name, uvmsim_errname(err), ei.error,
                      uvmsim_errname(bads[i].err));
        ck_assert_msg(ei.error[0] != '\0', "%s: no reason given", bads[i].name);
        if (_i == 0 && getenv("XT_VERBOSE"))
            fprintf(stderr, "%-16s %-8s %s\n", bads[i].name, uvmsim_errname(err), ei.error);
        ck_assert_uint_eq(uvmsim_map_nentries(busy), 1);
        uint8_t v = 0;
        ck_assert_int_eq(vt_load(busy, va + PG + 5, &v, NULL, NULL), UVMSIM_OK);
        ck_assert_uint_eq(v, 0xab);
        ck_assert_int_eq(uvmsim_exec(empty, path, NULL), bads[i].err);
        ck_assert_uint_eq(uvmsim_map_nentries(empty), 0);
        uvmsim_ram_stats_get(r.m, &r1);
        XT_RAM_SAME(r0, r1);
        uvmsim_exec_info kept;
        ck_assert_int_eq(uvmsim_exec_info_get(busy, &kept), UVMSIM_ENOENT);
        VT_CHECK(r.m);
    }
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* exec replaces an address space, and again; the old image's pages are freed. */
START_TEST(test_exec_replaces)
{
    struct xt_rig r;
    rig_mine(&r, _i);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_vaddr_t va = vt_map_anon(p, 0x10000000, 4 * PG, UVMSIM_PROT_READ | UVMSIM_PROT_WRITE, false);
    ck_assert_int_eq(vt_store(p, va, 1, NULL, NULL), UVMSIM_OK);
    uvmsim_ram_stats r0, r1, r2;
    uvmsim_ram_stats_get(r.m, &r0);
    uvmsim_exec_info a, b;
    ck_assert_int_eq(uvmsim_exec(p, "/good64", &a), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_map_lookup(p, va, &(uvmsim_entry_info){0}), UVMSIM_EFAULT);
    ck_assert_uint_eq(uvmsim_map_nentries(p), a.nsegs);
    uvmsim_ram_stats_get(r.m, &r1);
    /* the anon page of the old mapping went, the promoted tail page came */
    ck_assert_uint_eq(r1.anon_pages, r0.anon_pages - 1 + a.promotions);
    ck_assert_int_eq(uvmsim_exec(p, "/hello", &b), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_map_lookup(p, 0x603000, &(uvmsim_entry_info){0}), UVMSIM_EFAULT);
    uvmsim_ram_stats_get(r.m, &r2);
    ck_assert_uint_eq(r2.anon_pages, r0.anon_pages - 1 + b.promotions);
    ck_assert_uint_eq(b.promotions, 1);
    /* the copy mount's page cache holds the page exec's header read brought in (read()
     * goes through the page cache, UBC) and the new program's zeroed page's source */
    if (_i == XT_COPY)
        ck_assert_uint_eq(r2.object_pages, 2);
    else
        ck_assert_uint_eq(r2.object_pages, 0);
    VT_CHECK(r.m);
    /* a fork child has the image but no record of its own */
    uvmsim_proc *c;
    ck_assert_int_eq(uvmsim_proc_fork(p, &c), UVMSIM_OK);
    uvmsim_exec_info ci;
    ck_assert_int_eq(uvmsim_exec_info_get(c, &ci), UVMSIM_ENOENT);
    ck_assert_int_eq(uvmsim_exec_info_get(p, &ci), UVMSIM_OK);
    ck_assert_uint_eq(ci.entry, b.entry);
    uint8_t x, y;
    ck_assert_int_eq(uvmsim_access_mem(c, b.entry, UVMSIM_ACCESS_FETCH, &x, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_access_mem(p, b.entry, UVMSIM_ACCESS_FETCH, &y, 1, NULL, NULL), UVMSIM_OK);
    ck_assert_uint_eq(x, y);
    VT_CHECK(r.m);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* A failure past the point of no return (no RAM for the zeroing promotion) leaves an
 * empty address space, and exec works again once RAM is back. */
START_TEST(test_exec_enomem)
{
    struct xt_rig r;
    rig_mine(&r, _i);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    vt_map_anon(p, 0x10000000, PG, UVMSIM_PROT_READ, false);
    /* keep the program's header page in the page cache (a copy mount's read() goes
     * through it, and it stays while the vnode is held): the headers can be read with
     * no RAM left, so exec gets past its point of no return */
    uvmsim_vnode *vp;
    uint8_t hdr[64];
    size_t got;
    ck_assert_int_eq(uvmsim_namei(r.m, "/good64", &vp), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_vnode_read(vp, 0, hdr, sizeof hdr, &got), UVMSIM_OK);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(r.m, &rs);
    uint64_t n = rs.free_pages;
    uvmsim_paddr_t *pages = malloc(n * sizeof(*pages));
    for (uint64_t i = 0; i < n; i++)
        ck_assert_int_eq(uvmsim_ram_alloc(r.m, false, &pages[i]), UVMSIM_OK);
    uvmsim_exec_info ei;
    int err = uvmsim_exec(p, "/good64", &ei);
    ck_assert_int_eq(err, UVMSIM_ENOMEM);
    ck_assert_ptr_nonnull(strstr(ei.error, "zeroing"));
    ck_assert_uint_eq(uvmsim_map_nentries(p), 0);
    ck_assert_int_eq(uvmsim_exec_info_get(p, &ei), UVMSIM_ENOENT);
    VT_CHECK(r.m);
    for (uint64_t i = 0; i < n; i++)
        ck_assert_int_eq(uvmsim_ram_free(r.m, pages[i]), UVMSIM_OK);
    free(pages);
    ck_assert_int_eq(uvmsim_exec(p, "/good64", &ei), UVMSIM_OK);
    ck_assert_uint_eq(uvmsim_map_nentries(p), ei.nsegs);
    VT_CHECK(r.m);
    uvmsim_vnode_rele(vp);
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* The MMU's address range bounds the image: a 64-bit program on a backend with 32-bit
 * virtual addresses gets the 32-bit stack, and a segment above 4 GiB is refused there. */
START_TEST(test_exec_mmu_range)
{
    const char *bname = vt_backends()[_i];
    uvmsim_machine *m = vt_machine(0, bname);
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    ck_assert_int_eq(uvmsim_flashdev_create_file(m, &fc, img, &dev), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_mount_ext2(m, dev, "/", UVMSIM_MNT_XIP, &mp), UVMSIM_OK);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(m, &p), UVMSIM_OK);
    uvmsim_exec_info ei;
    ck_assert_int_eq(uvmsim_exec(p, "/good64", &ei), UVMSIM_OK);
    bool narrow = m->pmm->va_end <= (1ull << 32);
    ck_assert_uint_eq(ei.stack_top, narrow ? UVMSIM_EXEC_STACK_TOP32 : UVMSIM_EXEC_STACK_TOP64);
    uvmsim_fault_outcome o;
    ck_assert_int_eq(vt_store(p, ei.stack_top - 1, 1, &o, NULL), UVMSIM_OK);
    ck_assert_int_eq(o.cls, UVMSIM_FAULT_ZERO_FILL);
    int err = uvmsim_exec(p, "/high64", &ei);
    if (narrow) {
        ck_assert_int_eq(err, UVMSIM_ENOEXEC);
        ck_assert_ptr_nonnull(strstr(ei.error, "outside the user address space"));
    } else {
        ck_assert_int_eq(err, UVMSIM_OK);
        ck_assert_int_eq(vt_store(p, 0x100003100ull, 1, &o, NULL), UVMSIM_OK);
        ck_assert_int_eq(o.cls, UVMSIM_FAULT_LOWER_PROMOTE);
    }
    /* a 32-bit program's user range ends at 4 GiB on every backend, whatever its MMU */
    err = uvmsim_exec(p, "/high32", &ei);
    ck_assert_msg(err == UVMSIM_ENOEXEC, "%s: high32: %s (%s)", bname, uvmsim_errname(err), ei.error);
    ck_assert_msg(strstr(ei.error, "outside the user address space") && strstr(ei.error, "32-bit program"),
                  "%s: high32: %s", bname, ei.error);
    VT_CHECK(m);
    uvmsim_machine_destroy(m);
}
END_TEST

/* Refusals say what is wrong with the file (found by fuzzing: libelf's "no error", a
 * byte-order mistake reported as an unknown e_type). */
START_TEST(test_exec_reasons)
{
    static const struct {
        const char *path, *want;
    } cases[] = {
        {"/data0", "unknown ELF byte order EI_DATA 0 (1 is little-endian, 2 big-endian)"},
        {"/flipped", "e_type 512 is 2 in the other byte order: the header says big-endian (EI_DATA 2) but its "
                     "fields are little-endian"},
        {"/version0", "unknown ELF version EI_VERSION 0 (only 1 exists)"},
        {"/rel", "not an executable: e_type 1 (ET_REL, a relocatable object: link it first)"},
        {"/badclass", "unknown ELF class 7"},
    };
    struct xt_rig r;
    rig_mine(&r, XT_COPY);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uvmsim_exec_info ei;
        ck_assert_int_eq(uvmsim_exec(p, cases[i].path, &ei), UVMSIM_ENOEXEC);
        ck_assert_str_eq(ei.error, cases[i].want);
    }
    uvmsim_machine_destroy(r.m);
}
END_TEST

/* Options, argument checks, names. */
START_TEST(test_exec_opts_and_args)
{
    struct xt_rig r;
    rig_mine(&r, XT_XIP);
    uvmsim_proc *p;
    ck_assert_int_eq(uvmsim_proc_create(r.m, &p), UVMSIM_OK);
    uvmsim_vnode *vp;
    ck_assert_int_eq(uvmsim_namei(r.m, "/good64", &vp), UVMSIM_OK);
    uvmsim_exec_opts o;
    uvmsim_exec_opts_init(&o);
    ck_assert_uint_eq(o.stack_size, 0);
    ck_assert_uint_eq(o.stack_top, 0);
    uvmsim_exec_info ei;
    o.stack_size = 16 * PG;
    o.stack_top = 0x50000000;
    ck_assert_int_eq(uvmsim_exec_vnode(p, vp, &o, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.stack_base, 0x50000000 - 16 * PG);
    ck_assert_ptr_nonnull(xt_seg_at(&ei, 0x50000000 - 16 * PG, UVMSIM_EXEC_SEG_STACK));
    unsigned nent = uvmsim_map_nentries(p);
    /* bad stacks are refused before anything changes */
    o.stack_size = 1000;
    ck_assert_int_eq(uvmsim_exec_vnode(p, vp, &o, &ei), UVMSIM_EALIGN);
    o.stack_size = 16 * PG;
    o.stack_top = 0x50000001;
    ck_assert_int_eq(uvmsim_exec_vnode(p, vp, &o, &ei), UVMSIM_EALIGN);
    o.stack_top = 8 * PG;
    ck_assert_int_eq(uvmsim_exec_vnode(p, vp, &o, &ei), UVMSIM_ERANGE);
    o.stack_top = 1ull << 50;
    ck_assert_int_eq(uvmsim_exec_vnode(p, vp, &o, &ei), UVMSIM_ERANGE);
    o.stack_top = 0x604000;   /* the stack would cover the data segment */
    ck_assert_int_eq(uvmsim_exec_vnode(p, vp, &o, &ei), UVMSIM_ENOEXEC);
    ck_assert_uint_eq(uvmsim_map_nentries(p), nent);
    ck_assert_int_eq(uvmsim_exec_info_get(p, &ei), UVMSIM_OK);
    ck_assert_uint_eq(ei.stack_top, 0x50000000);
    /* NULLs */
    ck_assert_int_eq(uvmsim_exec(NULL, "/good64", &ei), UVMSIM_EINVAL);
    ck_assert_str_ne(ei.error, "");
    ck_assert_int_eq(uvmsim_exec(p, NULL, &ei), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_exec(p, NULL, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_exec_vnode(p, NULL, NULL, &ei), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_exec_vnode(NULL, vp, NULL, NULL), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_exec_info_get(NULL, &ei), UVMSIM_EINVAL);
    ck_assert_int_eq(uvmsim_exec_info_get(p, NULL), UVMSIM_EINVAL);
    uvmsim_exec_opts_init(NULL);
    ck_assert_str_eq(uvmsim_exec_seg_kind_name(UVMSIM_EXEC_SEG_FILE), "file");
    ck_assert_str_eq(uvmsim_exec_seg_kind_name(UVMSIM_EXEC_SEG_ANON), "anon");
    ck_assert_str_eq(uvmsim_exec_seg_kind_name(UVMSIM_EXEC_SEG_STACK), "stack");
    ck_assert_str_eq(uvmsim_exec_seg_kind_name((uvmsim_exec_seg_kind)9), "unknown");
    /* the vnode is still the caller's */
    uvmsim_vattr va;
    ck_assert_int_eq(uvmsim_vnode_getattr(vp, &va), UVMSIM_OK);
    uvmsim_vnode_rele(vp);
    ck_assert_int_eq(uvmsim_exec(p, "/nowhere/x", &ei), UVMSIM_ENOENT);
    ck_assert_str_ne(ei.error, "");
    VT_CHECK(r.m);
    uvmsim_machine_destroy(r.m);
}
END_TEST

int main(void)
{
    if (UVMSIM_NO_IMAGES) {
        printf("test_exec: built with UVMSIM_BUILTIN_IMAGE=OFF: no programs or images, nothing tested\n");
        return 0;
    }
    build_image();
    Suite *s = suite_create("exec");
    TCase *tc = tcase_create("exec");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_exec_handbuilt, 0, XT_NMODES);
    tcase_add_loop_test(tc, test_exec_real_programs, 0, XT_NMODES);
    tcase_add_loop_test(tc, test_exec_static_pie, 0, XT_NMODES);
    tcase_add_loop_test(tc, test_exec_malformed, 0, XT_NMODES);
    tcase_add_loop_test(tc, test_exec_replaces, 0, XT_NMODES);
    tcase_add_loop_test(tc, test_exec_enomem, 0, XT_NMODES);
    tcase_add_test(tc, test_exec_opts_and_args);
    tcase_add_test(tc, test_exec_reasons);
    int nb = 0;
    while (vt_backends()[nb])
        nb++;
    tcase_add_loop_test(tc, test_exec_mmu_range, 0, nb);
    suite_add_tcase(s, tc);
    int rc = vt_run(s);
    cleanup();
    return rc;
}
