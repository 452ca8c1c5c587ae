/* The fault-handler matrix's expectations, written by hand as rules: what NetBSD's fault
 * handler does in each case of the matrix (src/cli/mx.h names the dimensions), derived
 * from the case alone — never from running the simulator.
 *
 * Two parts:
 *   uvmsim_mx_layout()  the state a case names: the entry, the amap, and for every page of
 *                       the 8-page region its anon (and that anon's references) and the
 *                       residency of its object page — what the set-up recipes in
 *                       src/cli/mx.c build (the runner checks the machine against this
 *                       before the fault, so a recipe that builds something else is a
 *                       set-up failure, never a silent wrong test);
 *   uvmsim_mx_expect()  the rules R1..R19 (and the fault-op design's F1, the modelling
 *                       choices M1 and M2) walked in the order of NetBSD's uvm_fault_internal:
 *                       uvm_fault_check, uvm_fault_upper_lookup, then uvm_fault_upper or
 *                       uvm_fault_lower (lower look-up, I/O, promote or direct).
 * Each rule cites the function and the condition it follows (NetBSD 7 sys/uvm/uvm_fault.c
 * rev. 1.196 unless said otherwise).  The exceptions to these rules, and the combinations
 * that cannot arise, are in the table tests/matrix/fault-matrix.txt; docs/fault-matrix.md
 * lists both. */
#include <string.h>
#include <stdio.h>
#include "mx.h"

/* ---- the rules ---- */

enum {
    R_EFAULT, R_EACCES, R_WIRED, R_NC_COPY, R_NC_READ, R_WINDOW, R_SEQ, R_UPPER_NBR, R_UPPER_PROMOTE,
    R_UPPER_DIRECT, R_ZERO_FILL, R_LOWER_NBR, R_AOBJ_LOCKED, R_OBJ_PAGE, R_LOWER_PROMOTE, R_SHARED_AMAP,
    R_LOWER_DIRECT, R_EIO, R_ENOMEM, R_FAULTOP, R_NOSLEEP, R_NORIGHTS, R_COUNT
};

static const struct uvmsim_mx_rule rules[R_COUNT] = {
    [R_EFAULT] = {"R1", "no map entry covers the address: EFAULT, nothing done",
                  "uvm_fault_check: uvmfault_lookup() fails -> EFAULT"},
    [R_EACCES] = {"R2", "the access needs a right the entry's protection lacks (fetch x, load r, store w): "
                        "EACCES before anything is looked at",
                  "uvm_fault_check: (check_prot & access_type) != access_type -> EACCES; check_prot is "
                  "entry->protection (max_protection only with UVM_FAULT_MAXPROT, i.e. uvm_fault_wire)"},
    [R_WIRED] = {"R3", "a fault on a wired entry asks for the entry's whole protection and resolves "
                       "copy-on-write whenever the protection has write",
                 "uvm_fault_check: VM_MAPENT_ISWIRED -> wire_mapping; access_type = enter_prot; "
                 "cow_now = (check_prot & VM_PROT_WRITE)"},
    [R_NC_COPY] = {"R4", "needs-copy and a write, or no object: the amap is copied now; with other "
                         "references the copy takes one on every anon, with ours alone the flag is cleared",
                   "uvm_fault_check: UVM_ET_ISNEEDSCOPY && (cow_now || uvm_obj == NULL) -> uvmfault_amapcopy "
                   "-> amap_copy (am_ref == 1: clear needs-copy; else copy, an_ref++ per anon)"},
    [R_NC_READ] = {"R5", "needs-copy, a read and an object: keep sharing, enter nothing writable",
                   "uvm_fault_check: UVM_ET_ISNEEDSCOPY, else branch: enter_prot &= ~VM_PROT_WRITE"},
    [R_WINDOW] = {"R6", "the fault-ahead window from the entry's advice: normal 3 behind and 4 ahead, "
                        "random none, clipped to the entry (a wired entry too)",
                  "uvm_fault_check: uvmadvice[] = {NORMAL 3,4; RANDOM 0,0; SEQUENTIAL 8,7}, MIN() with the "
                  "entry's bounds; narrow only for UVM_FAULT_WIRE"},
    [R_SEQ] = {"R7", "sequential advice: the pages behind are deactivated and forgotten, 7 ahead remain",
               "uvm_fault_check: MADV_SEQUENTIAL && nback: uvmfault_anonflush, pgo_put(PGO_DEACTIVATE), "
               "startva += nback, centeridx = 0"},
    [R_UPPER_NBR] = {"R8", "every unmapped window page with an anon is entered, without write when the "
                           "anon has more than one reference",
                     "uvm_fault_upper_lookup -> uvm_fault_upper_neighbor(readonly = anon->an_ref > 1): "
                     "enter_prot & ~VM_PROT_WRITE"},
    [R_UPPER_PROMOTE] = {"R9", "a write to an anon with more than one reference: a new anon with a copy "
                               "(one page, a page copied), entered with the entry's rights",
                         "uvm_fault_upper: cow_now && anon->an_ref > 1 -> uvm_fault_upper_promote -> "
                         "uvmfault_promote(oanon)"},
    [R_UPPER_DIRECT] = {"R10", "otherwise the anon itself (no page), writable only with one reference",
                        "uvm_fault_upper_direct: anon->an_ref > 1 -> enter_prot &= ~VM_PROT_WRITE"},
    [R_ZERO_FILL] = {"R11", "no anon and no object: a zeroed anon (one page, nothing copied), entered with "
                            "the entry's rights",
                     "uvm_fault_lower: uobj == NULL -> promote, uobjpage = PGO_DONTCARE -> uvmfault_promote "
                     "(UVM_PGA_ZERO)"},
    [R_LOWER_NBR] = {"R12", "the object's resident pages of the window (unmapped, no anon) are entered: "
                            "without write on a copy-on-write entry; NOR pages and the zero page never writable",
                     "uvm_fault_lower_lookup: pgo_get(PGO_LOCKED) -> uvm_fault_lower_neighbor: readonly "
                     "(PG_RDONLY) ? enter_prot & ~VM_PROT_WRITE : enter_prot & MASK(entry)"},
    [R_AOBJ_LOCKED] = {"R13", "the anonymous-object pager's locked get allocates a zeroed page for every "
                              "window page not resident",
                       "uvm_aobj.c uao_get: PGO_LOCKED, ptmp == NULL && uao_find_swslot() == 0 -> "
                       "uao_pagealloc(UVM_PGA_ZERO)"},
    [R_OBJ_PAGE] = {"R14", "the object's page: resident, nothing to do; else on a copy mount one page-cache "
                           "page read by one block request (a hole: zeroed, no I/O); on XIP the NOR page (a "
                           "hole: the shared zero page), no page, no I/O",
                    "uvm_fault_lower_io -> pgo_get(PGO_SYNCIO): genfs_getpages; the XIP vnode pager answers "
                    "the device page (XIP paper, device pages; holes: the zero page)"},
    [R_LOWER_PROMOTE] = {"R15", "a write to a copy-on-write entry: a new anon with a copy of the object's "
                                "page (one more page, a page copied), entered with the entry's rights",
                         "uvm_fault_lower: promote = cow_now && UVM_ET_ISCOPYONWRITE(entry) -> "
                         "uvm_fault_lower_promote -> uvmfault_promote(uobjpage)"},
    [R_SHARED_AMAP] = {"R16", "promoting into a shared amap removes every mapping of the object's page, so "
                              "the sharers fault and find the new anon (for an XIP hole that is the shared "
                              "zero page: this fault's hole neighbours go too)",
                       "uvm_fault_lower_promote: amap_flags(amap) & AMAP_SHARED -> "
                       "pmap_page_protect(uobjpage, VM_PROT_NONE)"},
    [R_LOWER_DIRECT] = {"R17", "otherwise the object's page itself: without write on a copy-on-write "
                               "entry; NOR pages and the zero page never writable",
                        "uvm_fault_lower_direct: UVM_ET_ISCOPYONWRITE -> enter_prot &= ~VM_PROT_WRITE; "
                        "uvm_fault_lower_enter: PG_RDONLY -> enter_prot & ~VM_PROT_WRITE"},
    [R_EIO] = {"R18", "the pager's block read fails: the fault returns EIO, the page it allocated is "
                      "freed, the neighbours entered before stay",
               "uvm_fault_lower_io: pgo_get error -> return error; genfs_getpages frees its pages on error"},
    [R_ENOMEM] = {"R19", "an allocation the fault needs fails with RAM exhausted: ENOMEM, nothing entered "
                         "at the address, the neighbours entered before stay",
                  "uvmfault_promote: pg == NULL && !uvm_reclaimable() -> ENOMEM"},
    [R_FAULTOP] = {"F1", "Thomas's fault-op pager: a copy-on-write fault is answered EROFS before anything "
                         "is entered (no lower neighbours) and promoted through pgo_copy_page; otherwise the "
                         "pager enters the device page and the window itself",
                   "tech-kern \"XIP (Rev. 2)\" (shared/seeds/003): pgo_fault returns EROFS for a COW fault, "
                   "UVM promotes with pgo_copy_page; docs/xip.md"},
    [R_NOSLEEP] = {"M1", "modelling choice: where a NetBSD pager sleeps for a page (genfs_getpages, uao_get: "
                         "uvm_wait) the simulator, which has no page daemon, fails with ENOMEM as R19; a "
                         "locked get that cannot allocate leaves the page out",
                   "uvm_aobj.c uao_get: PGO_LOCKED allocation failure is not fatal; PGO_SYNCIO: "
                   "uvm_wait(\"uao_getpage\"); docs/fault-matrix.md"},
    [R_NORIGHTS] = {"M2", "modelling choice: a neighbour whose rights come to none (a write-only entry's "
                          "read-only neighbours) is not entered: a mapping without rights is no mapping",
                    "uvm_fault_upper_neighbor / uvm_fault_lower_neighbor call pmap_enter(VM_PROT_NONE) and "
                    "ignore its failure (PMAP_CANFAIL); what that enters is the MD pmap's business (x86 "
                    "cannot express no access); the simulator's pmap_enter refuses VM_PROT_NONE"},
};

const struct uvmsim_mx_rule *uvmsim_mx_rules(unsigned *n)
{
    if (n)
        *n = R_COUNT;
    return rules;
}

void uvmsim_mx_rules_str(uint64_t set, char *buf, size_t len)
{
    size_t at = 0;
    if (len)
        buf[0] = '\0';
    for (unsigned r = 0; r < R_COUNT; r++) {
        if (!(set & (1ull << r)))
            continue;
        int n = snprintf(buf + at, at < len ? len - at : 0, "%s%s", at ? "+" : "", rules[r].id);
        if (n > 0)
            at += (size_t)n;
    }
}

/* ---- the layout ---- */

/* The region maps pages 0-7 of /data/sparse (file backings): pages 0 and 3 hold data,
 * the others are holes.  The fault is at page 3 (data; anonymous memory and SysV
 * segments too) or page 4 (a hole).  The set-up touches page 6 ("O") to make the amap
 * and its first anon, page 7 ("P") after a fork to copy the amap; on a copy mount a
 * helper process reads page 5 ("R") and, when res=yes, the target, so the page cache
 * holds them; on a SysV segment a second attacher touches O and, when res=yes, the
 * target. */
#define PG_R 5
#define PG_O 6
#define PG_P 7

static bool data_page(unsigned i) { return i == 0 || i == 3; }
static bool b_private(int b)
{
    return b == B_ANON_PRIVATE || b == B_FILE_PRIVATE_COPY || b == B_FILE_PRIVATE_XIP || b == B_XIP_HOLE ||
           b == B_COPY_HOLE;
}
static bool b_xip(int b) { return b == B_FILE_PRIVATE_XIP || b == B_FILE_SHARED_XIP || b == B_XIP_HOLE || b == B_XIP_HOLE_SHARED; }
static bool b_copy(int b) { return b == B_FILE_PRIVATE_COPY || b == B_FILE_SHARED_COPY || b == B_COPY_HOLE; }
static bool b_hole(int b) { return b == B_XIP_HOLE || b == B_COPY_HOLE || b == B_XIP_HOLE_SHARED; }

void uvmsim_mx_layout(const uint8_t d[MX_NDIMS], struct uvmsim_mx_layout *L)
{
    int b = d[MX_BACKING], up = d[MX_UPPER], am = d[MX_AMAP];
    memset(L, 0, sizeof(*L));
    L->mapped = b != B_UNMAPPED;
    L->cow = b_private(b);
    L->obj = b == B_ANON_PRIVATE || b == B_ANON_SHARED || b == B_UNMAPPED ? MX_OBJ_NONE :
             b == B_SYSV_SHM ? MX_OBJ_AOBJ : b_xip(b) ? MX_OBJ_XIP : MX_OBJ_VNODE;
    L->faultop = b_xip(b) && d[MX_DESIGN] == D_FAULTOP;
    L->device = b_xip(b) || b_copy(b);
    L->nc = d[MX_NC] == YN_YES;
    L->amap_refs = am == AM_NONE ? 0 : am == AM_OWN ? 1 : 2;
    L->amap_shared = am == AM_SHARED;
    L->prot = uvmsim_mx_prot_bits(d[MX_PROT]);
    L->maxprot = uvmsim_mx_maxprot_bits(d[MX_MAXPROT]);
    L->wired = d[MX_WIRED] == W_YES;
    L->advice = d[MX_ADVICE];
    L->target = b_hole(b) ? 4 : 3;
    unsigned t = L->target;
    for (unsigned i = 0; i < MX_NPAGES; i++) {
        if (L->obj == MX_OBJ_XIP) {
            L->pg[i].resident = true;                 /* NOR, or the zero page for a hole */
            L->pg[i].loc = data_page(i) ? UVMSIM_LOC_DEVICE : UVMSIM_LOC_ZERO;
        } else if (L->obj != MX_OBJ_NONE) {
            L->pg[i].loc = UVMSIM_LOC_RAM;
        }
    }
    bool res = d[MX_RES] == YN_YES;
    if (L->obj == MX_OBJ_VNODE) {
        L->pg[PG_R].resident = true;                  /* the helper read it */
        L->pg[t].resident |= res;
    }
    if (L->obj == MX_OBJ_AOBJ) {
        L->pg[PG_O].resident = true;                  /* the second attacher touched it */
        L->pg[t].resident |= res;
    }
    /* a child reads the target after a share-inherited fork (object-backed private
     * mappings: anonymous memory has nothing below to read without filling the slot) */
    L->sharer = L->cow && L->obj != MX_OBJ_NONE && am == AM_SHARED;
    if (L->sharer && L->obj == MX_OBJ_VNODE)
        L->pg[t].resident = true;

    if (L->wired) {
        /* wired at the end of the set-up from a fresh mapping: a wire fault with write
         * in the maximum protection, or on memory with no object, makes every page an
         * anon of one reference (promoted or zero-filled); otherwise every object page
         * is brought in (uvm_fault_wire over the entry) */
        if (L->obj == MX_OBJ_NONE || (L->cow && (L->maxprot & UVMSIM_PROT_WRITE))) {
            for (unsigned i = 0; i < MX_NPAGES; i++) {
                L->pg[i].anon_refs = 1;
                L->pg[i].resident |= L->obj == MX_OBJ_VNODE;
            }
        } else {
            for (unsigned i = 0; i < MX_NPAGES; i++)
                L->pg[i].resident |= L->obj != MX_OBJ_NONE;
        }
        return;
    }
    if (b == B_ANON_SHARED) {
        L->pg[PG_O].anon_refs = 1;                    /* touched: zero-filled in the shared amap */
        if (up != U_NONE)
            L->pg[t].anon_refs = 1;
        if (up == U_FORKED && am == AM_OWN)           /* inherit copy: the child got a copy */
            L->pg[t].anon_refs = L->pg[PG_O].anon_refs = 2;
        return;
    }
    if (!L->cow || am == AM_NONE)
        return;
    /* private mappings with an amap: O was touched first (the amap's first anon) */
    L->pg[PG_O].anon_refs = 1;
    if (up != U_NONE)
        L->pg[t].anon_refs = 1;
    if (up == U_FORKED && am == AM_OWN) {
        /* after the fork someone touched P: the amap was copied, every anon of it gained
         * a reference; when it was this process, P is its own new anon */
        L->pg[t].anon_refs = L->pg[PG_O].anon_refs = 2;
        if (!L->nc)
            L->pg[PG_P].anon_refs = 1;
        if (L->obj == MX_OBJ_VNODE)
            L->pg[PG_P].resident = true;              /* P was promoted from the object */
    }
    if (L->obj == MX_OBJ_VNODE) {
        /* stores through the lower layer brought the object's pages in */
        L->pg[PG_O].resident = true;
        if (up != U_NONE)
            L->pg[t].resident = true;
    }
}

/* ---- the expectations ---- */

static uvmsim_prot_t access_right(int a)
{
    return a == A_FETCH ? UVMSIM_PROT_EXEC : a == A_LOAD ? UVMSIM_PROT_READ : UVMSIM_PROT_WRITE;
}

static void fail(struct uvmsim_mx_outcome *o, int err)
{
    o->cls = UVMSIM_FAULT_ERROR;
    o->err = err;
    o->pages = 0;
    o->copied = 0;
    o->io = 0;
    o->loc = UVMSIM_LOC_NONE;
    o->writable = false;
}

void uvmsim_mx_expect(const uint8_t d[MX_NDIMS], struct uvmsim_mx_outcome *o, uint64_t *applied)
{
    struct uvmsim_mx_layout L;
    uint64_t R = 0;
#define RULE(r) (R |= 1ull << (r))
    uvmsim_mx_layout(d, &L);
    memset(o, 0, sizeof(*o));
    o->loc = UVMSIM_LOC_NONE;
    o->sharer = L.sharer ? SH_KEPT : SH_NONE;
    bool enomem = d[MX_INJECT] == INJ_ENOMEM, eio = d[MX_INJECT] == INJ_EIO;
    const unsigned t = L.target;
    struct uvmsim_mx_page pg[MX_NPAGES];
    memcpy(pg, L.pg, sizeof(pg));

    /* uvm_fault_check */
    if (!L.mapped) {
        RULE(R_EFAULT);
        fail(o, UVMSIM_EFAULT);
        goto out;
    }
    if (!(L.prot & access_right(d[MX_ACCESS]))) {
        RULE(R_EACCES);
        fail(o, UVMSIM_EACCES);
        goto out;
    }
    bool cow_now;
    if (L.wired) {
        RULE(R_WIRED);
        cow_now = (L.prot & UVMSIM_PROT_WRITE) != 0;
    } else {
        cow_now = d[MX_ACCESS] == A_STORE;
    }
    uvmsim_prot_t enter = L.prot;
    if (L.nc) {
        if (cow_now || L.obj == MX_OBJ_NONE) {
            RULE(R_NC_COPY);
            if (L.amap_refs > 1)
                for (unsigned i = 0; i < MX_NPAGES; i++)
                    if (pg[i].anon_refs)
                        pg[i].anon_refs++;
        } else {
            RULE(R_NC_READ);
            enter &= ~UVMSIM_PROT_WRITE;
        }
    }
    unsigned lo = t, hi = t;                          /* the window [lo, hi] */
    RULE(R_WINDOW);
    if (L.advice == ADV_NORMAL) {
        lo = t >= 3 ? t - 3 : 0;
        hi = t + 4 < MX_NPAGES ? t + 4 : MX_NPAGES - 1;
    } else if (L.advice == ADV_SEQUENTIAL) {
        RULE(R_SEQ);
        hi = t + 7 < MX_NPAGES ? t + 7 : MX_NPAGES - 1;
    }

    /* uvm_fault_upper_lookup: the anons of the window */
    for (unsigned i = lo; i <= hi; i++) {
        if (i == t || pg[i].anon_refs == 0)
            continue;
        RULE(R_UPPER_NBR);
        uvmsim_prot_t rights = pg[i].anon_refs > 1 ? enter & ~UVMSIM_PROT_WRITE : enter;
        if (rights == UVMSIM_PROT_NONE) {
            RULE(R_NORIGHTS);
            continue;
        }
        o->nbr++;
        o->nbrw += (rights & UVMSIM_PROT_WRITE) != 0;
    }

    /* uvm_fault_upper */
    if (pg[t].anon_refs) {
        if (cow_now && pg[t].anon_refs > 1) {
            RULE(R_UPPER_PROMOTE);
            if (enomem) {
                RULE(R_ENOMEM);
                fail(o, UVMSIM_ENOMEM);
                goto out;
            }
            o->cls = UVMSIM_FAULT_UPPER_PROMOTE;
            o->pages = 1;
            o->copied = MX_PAGE;
            o->writable = (enter & UVMSIM_PROT_WRITE) != 0;
        } else {
            RULE(R_UPPER_DIRECT);
            o->cls = UVMSIM_FAULT_UPPER_DIRECT;
            o->writable = (enter & UVMSIM_PROT_WRITE) && pg[t].anon_refs == 1;
        }
        o->loc = UVMSIM_LOC_RAM;
        goto out;
    }

    /* uvm_fault_lower */
    if (L.obj == MX_OBJ_NONE) {
        RULE(R_ZERO_FILL);
        if (enomem) {
            RULE(R_ENOMEM);
            fail(o, UVMSIM_ENOMEM);
            goto out;
        }
        o->cls = UVMSIM_FAULT_ZERO_FILL;
        o->pages = 1;
        o->loc = UVMSIM_LOC_RAM;
        o->writable = (enter & UVMSIM_PROT_WRITE) != 0;
        goto out;
    }
    bool promote = cow_now && L.cow;
    uvmsim_prot_t mask = L.cow ? (uvmsim_prot_t)~UVMSIM_PROT_WRITE : UVMSIM_PROT_ALL;
    unsigned pages = 0, hole_nbrs = 0;
    if (L.faultop && promote) {
        RULE(R_FAULTOP);                              /* EROFS before the window */
    } else {
        if (L.faultop)
            RULE(R_FAULTOP);
        for (unsigned i = lo; i <= hi; i++) {
            if (i == t || pg[i].anon_refs)
                continue;
            if (L.obj == MX_OBJ_AOBJ && !pg[i].resident) {
                RULE(R_AOBJ_LOCKED);
                if (enomem) {
                    RULE(R_NOSLEEP);
                    continue;
                }
                pages++;
                pg[i].resident = true;
            }
            if (!pg[i].resident)
                continue;
            RULE(R_LOWER_NBR);
            uvmsim_prot_t rights = enter & mask;
            if (pg[i].loc != UVMSIM_LOC_RAM)
                rights &= ~UVMSIM_PROT_WRITE;         /* NOR and the zero page: PG_RDONLY */
            if (rights == UVMSIM_PROT_NONE) {
                RULE(R_NORIGHTS);
                continue;
            }
            o->nbr++;
            o->nbrw += (rights & UVMSIM_PROT_WRITE) != 0;
            hole_nbrs += pg[i].loc == UVMSIM_LOC_ZERO;
        }
    }
    /* the object's page at the target */
    RULE(R_OBJ_PAGE);
    if (!pg[t].resident) {
        if (L.obj == MX_OBJ_AOBJ)
            RULE(R_AOBJ_LOCKED);
        if (enomem) {
            RULE(R_ENOMEM);
            RULE(R_NOSLEEP);
            fail(o, UVMSIM_ENOMEM);
            goto out;
        }
        if (L.obj == MX_OBJ_VNODE && data_page(t)) {
            if (eio) {
                RULE(R_EIO);
                fail(o, UVMSIM_EIO);
                goto out;
            }
            o->io = 1;
        }
        pages++;
    }
    if (promote) {
        RULE(R_LOWER_PROMOTE);
        if (enomem) {
            RULE(R_ENOMEM);
            fail(o, UVMSIM_ENOMEM);
            o->pages = pages;
            goto out;
        }
        if (L.amap_shared) {
            RULE(R_SHARED_AMAP);
            o->sharer = L.sharer ? SH_GONE : SH_NONE;
            if (pg[t].loc == UVMSIM_LOC_ZERO)
                o->nbr -= hole_nbrs;                  /* they mapped the same zero page */
        }
        o->cls = UVMSIM_FAULT_LOWER_PROMOTE;
        o->pages = pages + 1;
        o->copied = MX_PAGE;
        o->loc = UVMSIM_LOC_RAM;
        o->writable = (enter & UVMSIM_PROT_WRITE) != 0;
        goto out;
    }
    RULE(R_LOWER_DIRECT);
    o->cls = UVMSIM_FAULT_LOWER_DIRECT;
    o->pages = pages;
    o->loc = pg[t].loc;
    o->writable = pg[t].loc == UVMSIM_LOC_RAM && (enter & mask & UVMSIM_PROT_WRITE);
out:
    if (applied)
        *applied = R;
#undef RULE
}
