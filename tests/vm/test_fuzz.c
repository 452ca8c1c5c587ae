/* Invariant fuzzing of the whole VM on real files: random map (anonymous and file,
 * private and shared, any protection and advice), unmap, protect, inherit, advise, fork,
 * exit, exec, wire/unwire, SysV segments, read(2) and CPU accesses, on copy, XIP and XIP-fault-op mounts of the built-in image,
 * with plenty of RAM and with so little that faults run out.  After every step the
 * invariant checker must pass (it recomputes every reference count and checks that every
 * PTE maps the right page with no right it may not have), and every call must answer one
 * of the codes its contract allows.  test_random.c checks bytes against a model; this
 * suite reaches the paths that model leaves out (files, exec, ENOMEM).
 *   UVMSIM_SEED=N UVMSIM_STEPS=S ./build/tests/test_fuzz   for longer runs */
#include "exec_testutil.h"

#define WIN 40
#define MAXP 8
#define BASE 0x10000000ull

struct fz {
    uint64_t rng;
    uvmsim_machine *m;
    uvmsim_vnode *files[2];
    uvmsim_proc *procs[MAXP];
    int nprocs;
    uvmsim_shmseg *seg;           /* a SysV segment not yet removed, or NULL */
};

static uint64_t fz_rnd(struct fz *z)
{
    z->rng ^= z->rng << 13;
    z->rng ^= z->rng >> 7;
    z->rng ^= z->rng << 17;
    return z->rng;
}
static unsigned fz_rn(struct fz *z, unsigned n) { return (unsigned)(fz_rnd(z) % n); }

/* The codes each operation may answer on well-formed arguments. */
static bool allowed(int err, const int *ok, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (err == ok[i])
            return true;
    return false;
}
#define ALLOW(err, ...) do { static const int _ok[] = {__VA_ARGS__}; \
        ck_assert_msg(allowed((err), _ok, sizeof _ok / sizeof _ok[0]), "step %u: unexpected %s", step, \
                      uvmsim_errname(err)); } while (0)

static void fz_map(struct fz *z, uvmsim_proc *p, uvmsim_vaddr_t va, unsigned len, bool file, unsigned step)
{
    uvmsim_map_args a;
    uvmsim_map_args_init(&a);
    a.addr = va;
    a.size = (uint64_t)len * PG;
    a.prot = fz_rn(z, 8);
    a.flags = (fz_rn(z, 3) == 0 ? UVMSIM_MAP_SHARED : 0) | UVMSIM_MAP_FIXED;
    a.advice = (uvmsim_advice)fz_rn(z, 3);
    if (file) {
        a.vnode = z->files[fz_rn(z, 2)];
        a.offset = (uvmsim_off_t)fz_rn(z, 12) * PG;
    }
    int err = uvmsim_map(p, &a, NULL);
    ALLOW(err, UVMSIM_OK, UVMSIM_EOVERLAP, UVMSIM_EACCES);
}

static void fz_run(uint64_t seed, unsigned steps, unsigned mode, const char *backend, uint64_t ram)
{
    struct fz z;
    memset(&z, 0, sizeof z);
    z.rng = seed * 2654435761u + 7;
    z.m = vt_machine(ram, backend);
    uvmsim_flashdev *dev;
    uvmsim_mount *mp;
    uvmsim_flashdev_config fc;
    uvmsim_flashdev_config_init(&fc);
    ck_assert_int_eq(uvmsim_flashdev_create_file(z.m, &fc, UVMSIM_BUILTIN_IMG, &dev), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_mount_ext2(z.m, dev, "/", xt_mode_flags[mode], &mp), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_namei(z.m, "/data/sparse", &z.files[0]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_namei(z.m, "/bin/bigdata", &z.files[1]), UVMSIM_OK);
    ck_assert_int_eq(uvmsim_proc_create(z.m, &z.procs[0]), UVMSIM_OK);
    z.nprocs = 1;
    for (unsigned step = 0; step < steps; step++) {
        uvmsim_proc *p = z.procs[fz_rn(&z, (unsigned)z.nprocs)];
        unsigned op = fz_rn(&z, 100), s = fz_rn(&z, WIN), len = 1 + fz_rn(&z, 6);
        if (s + len > WIN)
            len = WIN - s;
        uvmsim_vaddr_t va = BASE + (uvmsim_vaddr_t)s * PG;
        uint64_t size = (uint64_t)len * PG;
        int err;
        if (op < 10) {
            fz_map(&z, p, va, len, false, step);
        } else if (op < 14) {
            fz_map(&z, p, va, len, true, step);
        } else if (op < 15) {
            if (fz_rn(&z, 10) == 0) {
                err = uvmsim_exec(p, "/bin/bigdata", NULL);
                ALLOW(err, UVMSIM_OK, UVMSIM_ENOMEM);
            }
        } else if (op < 18) {
            ALLOW(uvmsim_unmap(p, va, size), UVMSIM_OK);
        } else if (op < 25) {
            ALLOW(uvmsim_protect(p, va, size, fz_rn(&z, 8)), UVMSIM_OK, UVMSIM_EACCES);
        } else if (op < 30) {
            ALLOW(uvmsim_inherit_set(p, va, size, (uvmsim_inherit)fz_rn(&z, 3)), UVMSIM_OK);
        } else if (op < 32) {
            ALLOW(uvmsim_advise(p, va, size, (uvmsim_advice)fz_rn(&z, 3)), UVMSIM_OK);
        } else if (op < 38) {
            if (z.nprocs < MAXP) {
                err = uvmsim_proc_fork(p, &z.procs[z.nprocs]);
                ALLOW(err, UVMSIM_OK, UVMSIM_ENOMEM);
                if (err == UVMSIM_OK)
                    z.nprocs++;
            }
        } else if (op < 42) {
            if (z.nprocs > 1) {
                int k = (int)fz_rn(&z, (unsigned)z.nprocs);
                uvmsim_proc_exit(z.procs[k]);
                z.procs[k] = z.procs[--z.nprocs];
            }
        } else if (op < 45) {
            if (fz_rn(&z, 2))
                ALLOW(uvmsim_wire(p, va, size), UVMSIM_OK, UVMSIM_EINVAL, UVMSIM_EFAULT, UVMSIM_ENOMEM);
            else
                ALLOW(uvmsim_unwire(p, va, size), UVMSIM_OK, UVMSIM_EINVAL, UVMSIM_EFAULT);
        } else if (op < 46) {
            if (z.seg == NULL) {
                ALLOW(uvmsim_shm_create(z.m, size, &z.seg), UVMSIM_OK);
            } else if (fz_rn(&z, 3) == 0) {
                ALLOW(uvmsim_shm_remove(z.seg), UVMSIM_OK);
                z.seg = NULL;
            } else {
                ALLOW(uvmsim_shm_attach(p, z.seg, va, fz_rn(&z, 2), NULL), UVMSIM_OK, UVMSIM_EOVERLAP);
            }
        } else if (op < 47) {
            uint8_t buf[2 * PG];
            size_t got;
            err = uvmsim_vnode_read(z.files[fz_rn(&z, 2)], fz_rn(&z, 24) * 1000, buf, 1 + fz_rn(&z, sizeof buf), &got);
            ALLOW(err, UVMSIM_OK, UVMSIM_ENOMEM);
        } else {
            uint8_t buf[3 * PG];
            size_t n = fz_rn(&z, 10) == 0 ? sizeof buf : 1;
            buf[0] = (uint8_t)fz_rnd(&z);
            err = uvmsim_access_mem(p, va + fz_rn(&z, PG), (uvmsim_access)fz_rn(&z, 3), buf, n, NULL, NULL);
            /* ESTATE would mean the handler entered less than the access needs */
            ALLOW(err, UVMSIM_OK, UVMSIM_EFAULT, UVMSIM_EACCES, UVMSIM_ENOMEM);
        }
        char msg[512];
        err = uvmsim_check(z.m, msg, sizeof msg);
        ck_assert_msg(err == UVMSIM_OK, "seed %llu %s %s ram %llu step %u op %u: %s", (unsigned long long)seed,
                      backend, xt_mode_name[mode], (unsigned long long)ram, step, op, msg);
    }
    uvmsim_vnode_rele(z.files[0]);
    uvmsim_vnode_rele(z.files[1]);
    if (z.seg)
        uvmsim_shm_remove(z.seg);
    for (int k = 0; k < z.nprocs; k++)
        uvmsim_proc_exit(z.procs[k]);
    uvmsim_ram_stats rs;
    uvmsim_ram_stats_get(z.m, &rs);
    ck_assert_uint_eq(rs.used_pages, 1);   /* only the zero page is left */
    uvmsim_machine_destroy(z.m);
}


/* Loop index → (backend, mount mode, RAM size). */
START_TEST(test_fuzz)
{
    if (UVMSIM_NO_IMAGES)
        return;
    const char *e = getenv("UVMSIM_STEPS");
    unsigned steps = e ? (unsigned)strtoul(e, NULL, 10) : (getenv("UVMSIM_MEMCHECK") ? 250 : 2500);
    e = getenv("UVMSIM_SEED");
    uint64_t seed = e ? strtoull(e, NULL, 10) : (uint64_t)_i + 1;
    int backend = _i / 6, mode = (_i / 2) % 3;
    uint64_t ram = (_i % 2) ? 256 * 1024 : 0;   /* 64 pages: faults run out of RAM */
    fz_run(seed, steps, (unsigned)mode, vt_backends()[backend], ram);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vm-fuzz");
    TCase *tc = tcase_create("invariants");
    tcase_set_timeout(tc, 900);
    tcase_add_loop_test(tc, test_fuzz, 0, 6 * vt_nbackends());
    suite_add_tcase(s, tc);
    return vt_run(s);
}
