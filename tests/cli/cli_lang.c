/* Check suite for the scenario language (src/cli/scn_parse.c, scn_run.c, scn_keys.c,
 * scn_util.c): every command and option, numbers, strings and comments, every expect
 * form passing and failing, every parse error message with its FILE:LINE, and the run
 * statuses (0 held, 1 failed, 2 input, 3 simulator). */
#include "cli_util.h"
#include <unistd.h>
#include <sys/stat.h>
#include "uvmsim/builtin.h"
#include "scn_internal.h"

/* ---- parse errors: each message, with the line it names ---- */

struct perr_case {
    const char *text;
    const char *want;         /* substring of "t.scn:LINE: message" */
};

static const struct perr_case perr_cases[] = {
    /* lexing */
    {"spawn p\nstore p 0x1000 \"abc\n", "t.scn:2: unterminated string: expected a closing '\"'"},
    {"spawn p\nstore p 0x1000 \"\\x4\"\n", "t.scn:2: bad escape in string: expected \\x and two hex digits"},
    {"spawn p\nstore p 0x1000 \"\\q\"\n", "t.scn:2: unknown escape '\\q' in string: expected one of"},
    {"spawn p\nstore p 0x1000 \"\\", "t.scn:2: unknown escape '\\ ' in string"},
    {"spawn p\n\nfly p\n", "t.scn:3: unknown command 'fly' (expected machine, image, mount, spawn"},
    {"spawn p\nshmat p 9\n", "t.scn:2: shmat: no segment with key 9 (create it with 'shmget 9 size=BYTES' first)"},
    {"shmget 1\n", "t.scn:1: shmget: expected the segment's size: size=BYTES or pages=N"},
    {"shmget 1 pages=2\nshmget 1 pages=2\n", "t.scn:2: shmget: a segment with key 1 exists already"},
    {"shmget 1 pages=2\nshmrm 1\nshmrm 1\n", "t.scn:3: shmrm: no segment with key 1"},
    {"shmget 1 color=2\n", "t.scn:1: shmget: expected size=BYTES or pages=N, got 'color=2'"},
    {"spawn p\nshmget 1 pages=1\nshmat p 1 0x1000 rw\n", "t.scn:3: shmat: "},
    {"read /etc/motd\n", "t.scn:1: read: no filesystem mounted"},
    {"image builtin\nmount copy\nread etc/motd\n", "t.scn:3: read: expected the file's absolute path"},
    {"image builtin\nmount copy\nread /etc/motd 0 0\n", "t.scn:3: read: length: expected 1 to 16M bytes, got '0'"},
    {"spawn p\nwire p 0x1000 prot=r\n", "t.scn:2: wire: unknown option 'prot'"},
    {"spawn p\nmap p 0x1000\nexpect entry p 0x1000 wired=x\n", "t.scn:3: expect entry: wired: expected a number"},
    {"spawn p\nload p 0x1000 \0", "t.scn:2: a NUL byte in the line"},
    {"# only a comment\n\n", "t.scn:2: the scenario has no steps"},
    {"", "t.scn:1: the scenario has no steps"},
    /* numbers, protections, yes/no */
    {"spawn p\nmap p 0x1000 pages=12Q\n", "t.scn:2: map: pages: expected a number (decimal or 0x hex, optional K/M/G/T suffix), got '12Q'"},
    {"spawn p\nmap p 0x1000 pages=0x\n", "t.scn:2: map: pages: expected a number (decimal or 0x hex, optional K/M/G/T suffix), got '0x'"},
    {"spawn p\nmap p 0x1000 pages=0x-4\n", "t.scn:2: map: pages: expected a number (decimal or 0x hex, optional K/M/G/T suffix), got '0x-4'"},
    {"spawn p\nmap p 0x1000 size=0xffffffffffffffffK\n", "t.scn:2: map: size: expected a number"},
    {"spawn p\nmap p 0x1000 size=99999999999999999999\n", "t.scn:2: map: size: expected a number"},
    {"spawn p\nmap p 0x1000 prot=rwz\n", "t.scn:2: map: prot: expected a protection (none, r, rw, rx, rwx or r-x style), got 'rwz'"},
    {"spawn p\nmap p 0x1000 prot=rr\n", "t.scn:2: map: prot: expected a protection"},
    {"spawn p\nmap p 0x1000 prot=\n", "t.scn:2: map: prot: expected a protection (none, r, rw, rx, rwx or r-x style), got ''"},
    {"spawn p\nmap p 0x1000 maxprot=q\n", "t.scn:2: map: maxprot: expected a protection"},
    {"spawn p\nmap p 0x1000\nload p 0x1000\nexpect writable maybe\n", "t.scn:4: expect writable: expected yes or no, got 'maybe'"},
    /* processes */
    {"spawn p\nstore\n", "t.scn:2: store: expected a process name"},
    {"spawn p\nstore q 0x1000 \"a\"\n", "t.scn:2: store: no process named 'q' (create it with spawn or fork first)"},
    {"spawn p\nexit p\nload p 0x1000\n", "t.scn:3: load: process 'p' has exited (line 2)"},
    {"spawn\n", "t.scn:1: spawn: expected a name for the new process"},
    {"spawn 1p\n", "t.scn:1: spawn: expected a process name (a letter, then letters, digits, '_' or '-'), got '1p'"},
    {"spawn p\nspawn p\n", "t.scn:2: spawn: process 'p' already exists"},
    {"spawn p\nfork p p\n", "t.scn:2: fork: process 'p' already exists"},
    {"spawn p\nfork p\n", "t.scn:2: fork: expected a name for the new process"},
    {"spawn p extra\n", "t.scn:1: spawn: unexpected 'extra' at the end of the line"},
    {"spawn p\nexit p now\n", "t.scn:2: exit: unexpected 'now'"},
    {"spawn p\nswitch p p\n", "t.scn:2: switch: unexpected 'p'"},
    {"spawn p\nshow p all\n", "t.scn:2: show: unexpected 'all'"},
    {"spawn p\nfork p c x\n", "t.scn:2: fork: unexpected 'x'"},
    /* addresses */
    {"spawn p\nload p\n", "t.scn:2: load: expected an address"},
    {"spawn p\nload p zz\n", "t.scn:2: load: expected an address (a number, or @entry, @text, @data, @bss, @stack, @brk), got 'zz'"},
    {"spawn p\nload p @entry+zz\n", "t.scn:2: load: expected a number after '+' in '@entry+zz'"},
    {"spawn p\nload p @entry\n", "t.scn:2: load: '@entry' needs a program: process 'p' has not exec'd one"},
    {"spawn p\nload p @foo\n", "t.scn:2: load: unknown address symbol '@foo' (expected @entry, @text, @data, @bss, @stack or @brk)"},
    /* bytes */
    {"spawn p\nstore p 0x1000\n", "t.scn:2: store: expected bytes: a \"string\" or byte values such as 0x41"},
    {"spawn p\nstore p 0x1000 300\n", "t.scn:2: store: expected a \"string\" or a byte value 0..255, got '300'"},
    {"spawn p\nstore p 0x1000 \"\"\n", "t.scn:2: store: expected at least one byte (the string is empty)"},
    /* machine */
    {"machine tlb=0123456789012345678901234567890123456789012345678901234567890123456789\n",
     "t.scn:1: machine: tlb: expected ENTRIES/WAYS/REPL[/split], got"},
    {"machine tlb=abc\n", "t.scn:1: machine: tlb: expected ENTRIES/WAYS/REPL[/split] (e.g. 64/4/lru), got 'abc'"},
    {"machine tlb=1/2/3/4/5\n", "t.scn:1: machine: tlb: expected ENTRIES/WAYS/REPL[/split] (e.g. 64/4/lru)"},
    {"machine tlb=64/128/lru\n", "t.scn:1: machine: tlb: expected WAYS as a number up to ENTRIES or 'full', got '128'"},
    {"machine tlb=64/4/mru\n", "t.scn:1: machine: tlb: expected replacement lru, fifo or random, got 'mru'"},
    {"machine tlb=64/4/lru/both\n", "t.scn:1: machine: tlb: expected split or unified, got 'both'"},
    {"spawn p\nmachine ram=1M\n", "t.scn:2: machine: must be the first command (the machine exists before anything else runs)"},
    {"machine big\n", "t.scn:1: machine: expected KEY=VALUE (ram, page, pmap, tlb, nor, ram-base, nor-base, seed, pv-buckets, share-domains, placement, superpages), got 'big'"},
    {"machine superpages=maybe\n", "t.scn:1: machine: superpages: expected on or off, got 'maybe'"},
    {"machine pmap=nope\n", "t.scn:1: machine: pmap: unknown backend 'nope' (this build has: generic"},
    {"machine page=1000\n", "t.scn:1: machine: page: expected a power of two >= 512, got '1000'"},
    {"machine page=x\n", "t.scn:1: machine: page: expected a number"},
    {"machine pv-buckets=0\n", "t.scn:1: machine: pv-buckets: expected a number 1..16M, got '0'"},
    {"machine colour=red\n", "t.scn:1: machine: unknown option 'colour' (expected ram, page, pmap, tlb, nor, ram-base, nor-base, seed, pv-buckets, share-domains, placement or superpages)"},
    {"machine ram=lots\n", "t.scn:1: machine: ram: expected a number"},
    {"machine nor=lots\n", "t.scn:1: machine: nor: expected a number"},
    {"machine ram-base=x\n", "t.scn:1: machine: ram-base: expected a number"},
    {"machine nor-base=x\n", "t.scn:1: machine: nor-base: expected a number"},
    {"machine seed=x\n", "t.scn:1: machine: seed: expected a number"},
    /* image and mount */
    {"image\n", "t.scn:1: image: expected 'builtin' or the path of an image file"},
    {"image builtin block=3\n", "t.scn:1: image: block: expected a power of two (e.g. 512), got '3'"},
    {"image builtin block=x\n", "t.scn:1: image: block: expected a number"},
    {"image builtin fast\n", "t.scn:1: image: expected block=N or nodirect, got 'fast'"},
    {"mount xip\n", "t.scn:1: mount: no image to mount (add an 'image builtin' or 'image FILE' line first)"},
    {"image builtin\nmount\n", "t.scn:2: mount: expected xip, copy or xip-faultop"},
    {"image builtin\nmount fast\n", "t.scn:2: mount: expected xip, copy or xip-faultop, got 'fast'"},
    {"image builtin\nmount xip flash\n", "t.scn:2: mount: expected an absolute mount point such as / or /flash, got 'flash'"},
    {"image builtin\nmount xip / more\n", "t.scn:2: mount: expected superpages=on|off after the mount point, got 'more'"},
    {"image builtin\nmount xip / superpages=x\n", "t.scn:2: mount: superpages: expected on or off, got 'x'"},
    {"image builtin\nmount copy superpages=on\n", "t.scn:2: mount: superpages: large pages map NOR in place, so they need an xip or xip-faultop mount"},
    /* exec */
    {"spawn p\nexec p\n", "t.scn:2: exec: expected the program's path, e.g. /bin/hello"},
    {"spawn p\nexec p /bin/hello\n", "t.scn:2: exec: no filesystem mounted (add 'image' and 'mount' lines first)"},
    {"image builtin\nmount xip\nspawn p\nexec p /bin/hello now\n", "t.scn:4: exec: unexpected 'now'"},
    /* map */
    {"spawn p\nmap p 0x1000 pages=0\n", "t.scn:2: map: pages: expected at least 1"},
    {"spawn p\nmap p 0x1000 size=0\n", "t.scn:2: map: size: expected more than 0 bytes"},
    {"spawn p\nmap p 0x1000 big\n", "t.scn:2: map: expected private, shared, anon or KEY=VALUE (pages, size, prot, maxprot, file, offset, inherit, advice), got 'big'"},
    {"spawn p\nmap p 0x1000 file=x\n", "t.scn:2: map: file: expected an absolute path inside the mounted image, got 'x'"},
    {"spawn p\nmap p 0x1000 inherit=maybe\n", "t.scn:2: map: inherit: expected copy, share or none, got 'maybe'"},
    {"spawn p\nmap p 0x1000 advice=fast\n", "t.scn:2: map: advice: expected normal, random or sequential, got 'fast'"},
    {"spawn p\nmap p 0x1000 colour=red\n", "t.scn:2: map: unknown option 'colour' (expected pages, size, prot, maxprot, file, offset, inherit or advice)"},
    {"spawn p\nmap p 0x1000 private shared\n", "t.scn:2: map: a mapping is either private or shared, not both"},
    {"image builtin\nmount xip\nspawn p\nmap p 0x1000 anon file=/a\n", "t.scn:4: map: a mapping is either anon or file=PATH, not both"},
    {"spawn p\nmap p 0x1000 file=/a\n", "t.scn:2: map: a file mapping needs a mounted image (add 'image' and 'mount' lines first)"},
    {"spawn p\nmap p 0x1000 offset=4K\n", "t.scn:2: map: offset= only applies to file mappings"},
    {"spawn p\nmap p 0x1000 offset=x\n", "t.scn:2: map: offset: expected a number"},
    /* protect, unmap, inherit, advise */
    {"spawn p\nprotect p 0x1000 rw\n", "t.scn:2: protect: unexpected 'rw' (expected pages=N, size=BYTES or prot=PROT)"},
    {"spawn p\nunmap p 0x1000 all\n", "t.scn:2: unmap: unexpected 'all' (expected pages=N or size=BYTES)"},
    {"spawn p\ninherit p 0x1000 copy share\n", "t.scn:2: inherit: unexpected 'share' (expected pages=N, size=BYTES, or copy, share or none)"},
    {"spawn p\nadvise p 0x1000 random normal\n", "t.scn:2: advise: unexpected 'normal' (expected pages=N, size=BYTES, or normal, random or sequential)"},
    {"spawn p\nunmap p 0x1000 prot=r\n", "t.scn:2: unmap: unknown option 'prot'"},
    {"spawn p\nprotect p 0x1000 pages=1\n", "t.scn:2: protect: expected prot=PROT (none, r, rw, rx, rwx)"},
    {"spawn p\nprotect p 0x1000 prot=q\n", "t.scn:2: protect: prot: expected a protection"},
    {"spawn p\nprotect p 0x1000 pages=0 prot=r\n", "t.scn:2: protect: pages: expected at least 1"},
    {"spawn p\ninherit p 0x1000 pages=1\n", "t.scn:2: inherit: expected copy, share or none"},
    {"spawn p\nadvise p 0x1000\n", "t.scn:2: advise: expected normal, random or sequential"},
    /* accesses and faults */
    {"spawn p\nload p 0x1000 0\n", "t.scn:2: load: length: expected 1 to 16M bytes, got '0'"},
    {"spawn p\nfetch p 0x1000 abc\n", "t.scn:2: fetch: length: expected a number"},
    {"spawn p\nload p 0x1000 4 8\n", "t.scn:2: load: unexpected '8' at the end of the line"},
    {"spawn p\nfault p 0x1000 jump\n", "t.scn:2: fault: expected the access: fetch, load or store, got 'jump'"},
    {"spawn p\nfault p 0x1000\n", "t.scn:2: fault: expected the access: fetch, load or store"},
    {"spawn p\nfault p 0x1000 load now\n", "t.scn:2: fault: unexpected 'now'"},
    /* expect */
    {"expect ok\n", "t.scn:1: expect: no step before this line to check"},
    {"spawn p\nexpect\n", "t.scn:2: expect: expected what to check (ok, error, fault, bytes"},
    {"spawn p\nexpect ok now\n", "t.scn:2: expect ok: unexpected 'now'"},
    {"spawn p\nexpect error\n", "t.scn:2: expect error: expected an error name such as EACCES"},
    {"spawn p\nexpect error EWHAT\n", "t.scn:2: expect error: unknown error name 'EWHAT' (expected one of EINVAL, EALIGN"},
    {"spawn p\nexpect error EINVAL x\n", "t.scn:2: expect error: unexpected 'x'"},
    {"spawn p\nload p 0x1000\nexpect fault\n", "t.scn:3: expect fault: expected a fault class (upper-direct, upper-promote, lower-direct, lower-promote, zero-fill, error) or none"},
    {"spawn p\nload p 0x1000\nexpect fault big\n", "t.scn:3: expect fault: expected a fault class (upper-direct, upper-promote, lower-direct, lower-promote, zero-fill, error) or none, got 'big'"},
    {"spawn p\nload p 0x1000\nexpect fault none x\n", "t.scn:3: expect fault: unexpected 'x'"},
    {"spawn p\nstore p 0x1000 1\nexpect bytes 1\n", "t.scn:3: expect bytes: the step on line 2 is a store, not a load, fetch or read"},
    {"spawn p\nload p 0x1000\nexpect bytes\n", "t.scn:3: expect bytes: expected bytes: a \"string\""},
    {"spawn p\nload p 0x1000\nexpect loc\n", "t.scn:3: expect loc: expected ram, nor, zero or none"},
    {"spawn p\nload p 0x1000\nexpect loc disk\n", "t.scn:3: expect loc: expected ram, nor, zero or none, got 'disk'"},
    {"spawn p\nload p 0x1000\nexpect loc ram x\n", "t.scn:3: expect loc: unexpected 'x'"},
    {"spawn p\nload p 0x1000\nexpect writable\n", "t.scn:3: expect writable: expected yes or no"},
    {"spawn p\nload p 0x1000\nexpect writable yes x\n", "t.scn:3: expect writable: unexpected 'x'"},
    {"spawn p\nload p 0x1000\nexpect prot\n", "t.scn:3: expect prot: expected a protection such as r-x"},
    {"spawn p\nload p 0x1000\nexpect prot q\n", "t.scn:3: expect prot: expected a protection"},
    {"spawn p\nload p 0x1000\nexpect prot r x\n", "t.scn:3: expect prot: unexpected 'x'"},
    {"spawn p\nexpect pv\n", "t.scn:2: expect pv: expected a physical address, or a process and a virtual address"},
    {"spawn p\nexpect pv 0xzz 1\n", "t.scn:2: expect pv: physical address: expected a number"},
    {"spawn p\nexpect pv p\n", "t.scn:2: expect pv: expected an address"},
    {"spawn p\nexpect pv q 0x1000 1\n", "t.scn:2: expect pv: no process named 'q'"},
    {"spawn p\nexpect pv 0x1000\n", "t.scn:2: expect pv: expected a value (optionally after =, !=, <, <=, >, >=)"},
    {"spawn p\nexpect pv 0x1000 >=\n", "t.scn:2: expect pv: expected a value"},
    {"spawn p\nexpect pv 0x1000 1 2\n", "t.scn:2: expect pv: unexpected '2'"},
    {"spawn p\nexpect pv 0x1000 many\n", "t.scn:2: expect pv: expected a number"},
    {"spawn p\nexpect entry p 0x1000\n", "t.scn:2: expect entry: expected at least one PROPERTY=VALUE (prot, maxprot"},
    {"spawn p\nexpect entry p 0x1000 cow\n", "t.scn:2: expect entry: expected PROPERTY=VALUE, got 'cow'"},
    {"spawn p\nexpect entry p 0x1000 colour=red\n", "t.scn:2: expect entry: unknown property 'colour' (expected prot, maxprot, inherit, advice, cow, needs-copy, shared, amap, amap-refs, object, offset, start, end or wired)"},
    {"spawn p\nexpect entry p 0x1000 inherit=maybe\n", "t.scn:2: expect entry: inherit: expected copy, share or none, got 'maybe'"},
    {"spawn p\nexpect entry p 0x1000 advice=fast\n", "t.scn:2: expect entry: advice: expected normal, random or sequential, got 'fast'"},
    {"spawn p\nexpect entry p 0x1000 object=file\n", "t.scn:2: expect entry: object: expected none, anon, vnode, xip-vnode or xip-pager, got 'file'"},
    {"spawn p\nexpect entry p 0x1000 prot=q\n", "t.scn:2: expect entry: prot: expected a protection"},
    {"spawn p\nexpect entry p 0x1000 cow=maybe\n", "t.scn:2: expect entry: cow: expected yes or no, got 'maybe'"},
    {"spawn p\nexpect entry p 0x1000 amap-refs=x\n", "t.scn:2: expect entry: amap-refs: expected a number"},
    {"spawn p\nexpect entry q 0x1000 cow=yes\n", "t.scn:2: expect entry: no process named 'q'"},
    {"spawn p\nexpect mapped p 0x1000\n", "t.scn:2: expect mapped: expected ram, nor, zero or none after the address"},
    {"spawn p\nexpect mapped p 0x1000 ram x\n", "t.scn:2: expect mapped: unexpected 'x'"},
    {"spawn p\nexpect mapped p\n", "t.scn:2: expect mapped: expected an address"},
    {"spawn p\nexpect same-page p 0x1000 p\n", "t.scn:2: expect same-page: expected an address"},
    {"spawn p\nexpect different-page p 0x1000\n", "t.scn:2: expect different-page: expected a process name"},
    {"spawn p\nexpect same-page p 0x1000 p 0x1000 x\n", "t.scn:2: expect same-page: unexpected 'x'"},
    {"spawn p\nexpect colour 1\n", "t.scn:2: expect: unknown check or counter 'colour' (checks: ok, error, fault, bytes"},
    {"spawn p\nexpect ram.colour 1\n", "t.scn:2: expect: unknown check or counter 'ram.colour'"},
    {"spawn p\nexpect q.faults 1\n", "t.scn:2: expect: unknown check or counter 'q.faults'"},
    {"spawn p\nexpect p.colour 1\n", "t.scn:2: expect: unknown check or counter 'p.colour'"},
    {"spawn p\nexpect .faults 1\n", "t.scn:2: expect: unknown check or counter '.faults'"},
    {"spawn p\nexpect pages 1\n", "t.scn:2: expect pages: the step on line 1 is a spawn, which takes no fault (expect pages follows fetch, load, store or fault)"},
    {"spawn p\nexpect fault zero-fill\n", "t.scn:2: expect fault: the step on line 1 is a spawn, which takes no fault"},
    {"spawn p\nexpect ram.used_pages\n", "t.scn:2: expect ram.used_pages: expected a value"},
};
#define NPERR (int)(sizeof(perr_cases) / sizeof(perr_cases[0]))

START_TEST(test_parse_error)
{
    const struct perr_case *c = &perr_cases[_i];
    uvmsim_scn *s = (uvmsim_scn *)&s;
    char msg[2048];
    /* the NUL case needs its length: the text runs to the last NUL */
    size_t len = strlen(c->text);
    if (strstr(c->want, "NUL"))
        len += 1;
    int rc = uvmsim_scn_parse("t.scn", c->text, len, NULL, &s, msg, sizeof(msg));
    ck_assert_int_eq(rc, UVMSIM_SCN_INPUT);
    ck_assert_ptr_null(s);
    CU_HAS(msg, c->want);
}
END_TEST

/* A small error buffer truncates, never overflows; NULL text and NULL out are refused. */
START_TEST(test_parse_edge)
{
    uvmsim_scn *s;
    char small[12];
    ck_assert_int_eq(uvmsim_scn_parse("t.scn", "fly\n", 4, NULL, &s, small, sizeof(small)), UVMSIM_SCN_INPUT);
    ck_assert_str_eq(small, "t.scn:1: un");
    char tiny[4];
    ck_assert_int_eq(uvmsim_scn_parse("a-very-long-name.scn", "fly\n", 4, NULL, &s, tiny, sizeof(tiny)), UVMSIM_SCN_INPUT);
    ck_assert_int_eq(uvmsim_scn_parse("t.scn", NULL, 0, NULL, &s, small, sizeof(small)), UVMSIM_SCN_INPUT);
    ck_assert_int_eq(uvmsim_scn_parse("t.scn", "spawn p\n", 8, NULL, NULL, small, sizeof(small)), UVMSIM_SCN_INPUT);
    /* no error buffer at all, and no name */
    ck_assert_int_eq(uvmsim_scn_parse(NULL, "fly\n", 4, NULL, &s, NULL, 0), UVMSIM_SCN_INPUT);
    ck_assert_int_eq(uvmsim_scn_parse(NULL, "spawn p\n", 8, NULL, &s, NULL, 0), UVMSIM_SCN_OK);
    ck_assert_uint_eq(uvmsim_scn_nsteps(s), 1);
    ck_assert_str_eq(uvmsim_scn_pmap(s), "generic");
    uvmsim_scn_free(s);
    uvmsim_scn_free(NULL);
    ck_assert_uint_eq(uvmsim_scn_nsteps(NULL), 0);
    ck_assert_str_eq(uvmsim_scn_pmap(NULL), "generic");
    ck_assert_int_eq(uvmsim_scn_run(NULL, NULL), UVMSIM_SCN_INPUT);
}
END_TEST

START_TEST(test_load_file)
{
    uvmsim_scn *s;
    char msg[512];
    ck_assert_int_eq(uvmsim_scn_load("/nonexistent/x.scn", &s, msg, sizeof(msg)), UVMSIM_SCN_INPUT);
    CU_HAS(msg, "/nonexistent/x.scn: cannot open: No such file or directory");
    ck_assert_int_eq(uvmsim_scn_load(NULL, &s, msg, sizeof(msg)), UVMSIM_SCN_INPUT);
    ck_assert_int_eq(uvmsim_scn_load(UVMSIM_SOURCE_DIR, &s, msg, sizeof(msg)), UVMSIM_SCN_INPUT);
    CU_HAS(msg, "cannot read");
    char path[512];
    snprintf(path, sizeof(path), "%s/examples/scenarios/cow-fork.scn", UVMSIM_SOURCE_DIR);
    ck_assert_int_eq(uvmsim_scn_load(path, &s, msg, sizeof(msg)), UVMSIM_SCN_OK);
    ck_assert_uint_gt(uvmsim_scn_nsteps(s), 5);
    uvmsim_scn_free(s);
    /* a parse error names the file as given */
    FILE *f = fopen("cli-bad.scn", "w");
    ck_assert_ptr_nonnull(f);
    fputs("spawn p\n# two\nwhat\n", f);
    fclose(f);
    ck_assert_int_eq(uvmsim_scn_load("cli-bad.scn", &s, msg, sizeof(msg)), UVMSIM_SCN_INPUT);
    CU_HAS(msg, "cli-bad.scn:3: unknown command 'what'");
    unlink("cli-bad.scn");
}
END_TEST

/* ---- the language, bullet by bullet ---- */

/* machine: every option; the step line describes the machine made */
START_TEST(test_machine_line)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run("machine ram=2M page=8K pmap=generic tlb=32/full/fifo/split nor=32M seed=7 pv-buckets=64 "
                            "ram-base=0x100000 nor-base=0x40000000\n"
                            "spawn p\nmap p 0x10000 pages=1\nstore p 0x10000 1\nexpect data_pages 1\n"
                            "expect ram.total_pages 256\nexpect pmap.pv_hash_buckets 64\n", &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "1: machine ram=2M page=8K");
    CU_HAS(r.out, "=> 2 MiB RAM at 0x100000, 8192-byte pages, pmap generic, TLB 32 entries fully associative fifo split I/D");
    CU_HAS(r.out, "ok: 4 steps, 3 expectations held");
    cu_free(&r);
    ck_assert_int_eq(cu_run("machine tlb=off ram=640K\nspawn p\n", &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "640 KiB RAM at 0x0");
    CU_HAS(r.out, "no TLB (tlb=0: every access walks the page tables)");
    cu_free(&r);
    ck_assert_int_eq(cu_run("machine tlb=16/4/random/unified\nspawn p\n", &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "TLB 16 entries set-associative random unified (4 ways)");
    cu_free(&r);
    /* no machine line: the defaults */
    ck_assert_int_eq(cu_run("spawn p\nexpect ram.total_pages 4096\n", &r), UVMSIM_SCN_OK);
    cu_free(&r);
    /* a configuration the simulator refuses: input error, status 2 */
    ck_assert_int_eq(cu_run("machine ram=1000\nspawn p\n", &r), UVMSIM_SCN_INPUT);
    CU_HAS(r.err, "t.scn:1: machine: invalid configuration: cannot create the machine:");
    CU_HASNT(r.out, "2: spawn");
    cu_free(&r);
}
END_TEST

/* numbers: decimal (leading zeros too), 0x hex, K/M/G/T suffixes; comments anywhere; blank lines */
START_TEST(test_numbers_comments)
{
    struct cu_run r;
    const char *t =
        "# a comment line\n"
        "\n"
        "machine ram=0x400000   # 4 MiB in hex\n"
        "spawn p  # trailing comment\n"
        "map p 256M size=8K\n"
        "expect entry p 0x10000000 start=268435456 end=0x10002000\n"
        "map p 0x20000000 size=1M\n"
        "expect entry p 0x200ff000 end=0x20100000\n"
        "store p 0x10000fff \"#not a comment\"   # crosses a page\n"
        "expect faults 2\n"
        "load p 0x10000fff 14\n"
        "expect bytes \"#not a comment\"\n"
        "expect ram.total_pages 1K\n"
        "expect ram.total_pages < 1G\n"
        "expect ram.total_pages < 0x1g\n"
        "expect ram.total_pages < 1T\n"
        "expect ram.total_pages 01024\n"     /* a leading zero is still decimal */
        "expect ram.total_pages 0x0400\n";
    ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "5: store p 0x10000fff \"#not a comment\" => p store 14 bytes at 0x10000fff: 2 faults, the last zero-fill");
    cu_free(&r);
}
END_TEST

/* strings: escapes become bytes; byte values; mixing them */
START_TEST(test_bytes)
{
    struct cu_run r;
    const char *t =
        "spawn p\nmap p 0x10000 pages=1\n"
        "store p 0x10000 \"a\\tb\\n\\\\\\\"\\x41\\0z\" 0x42 66 \"!\\r\"\n"
        "load p 0x10000 13\n"
        "expect bytes 0x61 9 0x62 10 \"\\\\\\\"A\" 0 \"z\" 0x42 0x42 \"!\" 13\n"
        "expect bytes \"a\"       # a prefix is enough\n";
    ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "read 0x61 0x09 0x62 0x0a 0x5c 0x22 0x41 0x00 0x7a 0x42 0x42 0x21 0x0d");
    cu_free(&r);
    /* printable reads print as strings, escaped; long binary ones are summarised */
    ck_assert_int_eq(cu_run("spawn p\nmap p 0x10000 pages=1\nstore p 0x10000 \"q\\\"\\\\\"\nload p 0x10000 3\n"
                            "load p 0x10000 40\n", &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "read \"q\\\"\\\\\"");
    CU_HAS(r.out, "... (40 bytes)");
    cu_free(&r);
}
END_TEST

/* spawn, fork, exit, switch, show: the process life cycle */
START_TEST(test_processes)
{
    struct cu_run r;
    const char *t =
        "spawn a\nexpect vm.procs_live 1\n"
        "map a 0x10000 pages=2 prot=rw\nstore a 0x10000 \"A\"\n"
        "fork a b\nexpect vm.forks 1\nexpect vm.procs_live 2\n"
        "switch b\nexpect pmap.activations >= 2\n"
        "show b\n"
        "fork b c\n"
        "exit b\nexpect vm.procs_live 2\nexpect vm.exits 1\n"
        "spawn b\n"                          /* a name can be used again after exit */
        "expect vm.procs_live 3\n"
        "load c 0x10000 1\nexpect bytes \"A\"\n"
        "expect a.faults 1\nexpect c.faults 1\nexpect b.faults 0\n";
    ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "1: spawn a => a is pid 1");
    CU_HAS(r.out, "4: fork a b => b is pid 2, a child of a (pid 1)");
    CU_HAS(r.out, "5: switch b => b (pid 2) is on the CPU");
    CU_HAS(r.out, "6: show b => b (pid 2): 1 map entry\n      [0x10000-0x12000) rw- private cow needs-copy amap(slot 0, refs 2) anon inherit copy advice normal");
    CU_HAS(r.out, "8: exit b => b (pid 2) exited");
    CU_HAS(r.out, "9: spawn b => b is pid 4");
    cu_free(&r);
    /* a process's counters cannot be read once it has exited */
    ck_assert_int_eq(cu_run("spawn a\nspawn b\nexpect a.faults 0\n", &r), UVMSIM_SCN_OK);
    cu_free(&r);
}
END_TEST

/* map: anonymous private/shared, address, pages/size, prot, maxprot, inherit, advice;
 * protect, unmap, inherit, advise */
START_TEST(test_mappings)
{
    struct cu_run r;
    const char *t =
        "spawn p\n"
        "map p 0x10000000 pages=4 prot=rw shared anon inherit=share advice=sequential\n"
        "expect entry p 0x10000000 shared=yes cow=no needs-copy=no amap=yes amap-refs=1 object=none inherit=share advice=sequential prot=rw- maxprot=rwx\n"
        "store p 0x10000000 \"s\"\n"
        "expect fault zero-fill\n"
        "map p 0x20000000 size=16K prot=rx maxprot=rx private\n"
        "expect entry p 0x20003000 prot=rx maxprot=rx cow=yes needs-copy=yes object=none inherit=copy advice=normal\n"
        "fetch p 0x20000000 4\nexpect fault zero-fill\nexpect bytes 0 0 0 0\nexpect prot r-x\nexpect writable no\n"
        "map p 0 pages=1\n"                      /* anywhere: first fit */
        "expect entry p 0x10004000 start=0x10004000\n"
        "inherit p 0x20000000 pages=2 none\n"
        "expect entry p 0x20000000 inherit=none end=0x20002000\n"
        "advise p 0x20002000 size=8K random\n"
        "expect entry p 0x20002000 advice=random\n"
        "protect p 0x20000000 pages=4 prot=r\n"
        "expect entry p 0x20001000 prot=r--\n"
        "unmap p 0x20001000 pages=1\n"
        "expect mapped p 0x20001000 none\n"
        "fork p c\n"
        "load c 0x10000000 1\nexpect bytes \"s\"\n"  /* share-inherited: the child sees it */
        "load c 0x20000000 1\nexpect error EFAULT\n" /* inherit none: not in the child */
        "store c 0x10000000 \"t\"\nload p 0x10000000 1\nexpect bytes \"t\"\n"
        "expect same-page p 0x10000000 c 0x10000000\n"
        "unmap p 0x10000000 pages=4\n"
        "load p 0x10000000 1\nexpect error EFAULT\nexpect fault error\nexpect loc none\n";
    ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "2: map p 0x10000000 pages=4 prot=rw shared anon inherit=share advice=sequential => p: [0x10000000-0x10004000) rw- shared amap(slot 0, refs 1) anon inherit share advice sequential");
    CU_HAS(r.out, "map p 0 pages=1 => p: [0x10004000-0x10005000)");
    CU_HAS(r.out, "inherit p 0x20000000 pages=2 none => p: [0x20000000-0x20002000) inherit none;");
    CU_HAS(r.out, "advise p 0x20002000 size=8K random => p: [0x20002000-0x20004000) advice random;");
    CU_HAS(r.out, "protect p 0x20000000 pages=4 prot=r => p: [0x20000000-0x20004000) now r--;");
    CU_HAS(r.out, "unmap p 0x20001000 pages=1 => p: [0x20001000-0x20002000) unmapped;");
    cu_free(&r);
    /* refusals are step errors the scenario can expect */
    ck_assert_int_eq(cu_run("spawn p\nmap p 0x10000 pages=1\nmap p 0x10000 pages=1\nexpect error EOVERLAP\n"
                            "map p 0x10001 pages=1\nexpect error EALIGN\n"
                            "protect p 0x50000 pages=1 prot=r\nexpect ok\n"
                            "unmap p 0x10001 pages=1\nexpect error EALIGN\n"
                            "inherit p 0x10001 pages=1 copy\nexpect error EALIGN\n"
                            "advise p 0x10001 pages=1 normal\nexpect error EALIGN\n", &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "map refused: address or size not aligned");
    CU_HAS(r.out, "refused: ");
    cu_free(&r);
}
END_TEST

/* fault: the handler without the CPU; a fault outcome with its numbers */
START_TEST(test_fault_command)
{
    struct cu_run r;
    const char *t =
        "spawn p\nmap p 0x10000 pages=1 prot=rw\n"
        "fault p 0x10000 store\nexpect fault zero-fill\nexpect faults 1\nexpect pages >= 1\nexpect data_pages 1\n"
        "expect copied 0\nexpect io 0\nexpect io_bytes 0\nexpect neighbours 0\nexpect anon_refs 1\nexpect amap_refs 1\n"
        "expect loc ram\nexpect writable yes\nexpect prot rw\n"
        "fault p 0x10000 fetch\nexpect error EACCES\nexpect fault error\nexpect loc none\n"
        "fault p 0x90000 load\nexpect error EFAULT\n";
    ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "3: fault p 0x10000 store => p fault handler, store at 0x10000: zero-fill: ram page");
    CU_HAS(r.out, "4: fault p 0x10000 fetch => p fault handler, fetch at 0x10000: fault error EACCES");
    cu_free(&r);
}
END_TEST

/* comparison operators of counters */
START_TEST(test_compare_ops)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run("spawn p\nmap p 0x10000 pages=1\nstore p 0x10000 1\n"
                            "expect ram.anon_pages = 1\nexpect ram.anon_pages == 1\nexpect ram.anon_pages != 2\n"
                            "expect ram.anon_pages < 2\nexpect ram.anon_pages <= 1\nexpect ram.anon_pages > 0\n"
                            "expect ram.anon_pages >= 1\n"
                            "expect vm.faults 1\nexpect vm.faults.zero-fill 1\nexpect vm.faults.upper-direct 0\n"
                            "expect tlb.misses >= 1\nexpect dtlb.misses >= 1\nexpect itlb.misses 0\nexpect fs.vnodes_live 0\n"
                            "expect flash.read_requests 0\nexpect pmap.pv_entries 1\n", &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "ok: 3 steps, 16 expectations held");
    cu_free(&r);
    /* every operator can fail, and says what it found */
    static const char *const failing[] = {"= 2", "== 2", "!= 1", "< 1", "<= 0", "> 1", ">= 2"};
    for (unsigned i = 0; i < 7; i++) {
        char t[256];
        snprintf(t, sizeof(t), "spawn p\nmap p 0x10000 pages=1\nstore p 0x10000 1\nexpect ram.anon_pages %s\n", failing[i]);
        ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_FAILED);
        CU_HAS(r.err, "t.scn:4: expect failed: expect ram.anon_pages ");
        CU_HAS(r.err, "the value is 1, wanted ");
        cu_free(&r);
    }
}
END_TEST

/* Each expect form, failing: the message says what was found; the run goes on and
 * ends with status 1. */
struct xfail_case {
    const char *text;
    const char *want;
};

static const struct xfail_case xfail_cases[] = {
    {"spawn p\nmap p 0x10000\nload p 0x20000\nexpect error EFAULT\nexpect ok\n", "t.scn:5: expect failed: expect ok: the step failed with EFAULT"},
    {"spawn p\nexpect error EINVAL\n", "t.scn:2: expect failed: expect error EINVAL: the step succeeded"},
    {"spawn p\nmap p 0x10000\nload p 0x20000\nexpect error EACCES\n", "t.scn:4: expect failed: expect error EACCES: the step failed with EFAULT instead"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nexpect fault none\n", "t.scn:4: expect failed: expect fault none: the step took 1 fault, the last zero-fill"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nload p 0x10000\nexpect fault zero-fill\n", "t.scn:5: expect failed: expect fault zero-fill: the step took no fault"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nexpect fault upper-direct\n", "t.scn:4: expect failed: expect fault upper-direct: the last fault was zero-fill"},
    {"spawn p\nmap p 0x10000 prot=r\nstore p 0x10000 1\nexpect error EACCES\nexpect fault zero-fill\n", "t.scn:5: expect failed: expect fault zero-fill: the last fault was error (EACCES)"},
    {"spawn p\nmap p 0x10000\nload p 0x20000\nexpect error EFAULT\nexpect bytes 0\n", "t.scn:5: expect failed: expect bytes 0: nothing was read: the step failed with EFAULT"},
    {"spawn p\nmap p 0x10000\nload p 0x10000 2\nexpect bytes \"ab\"\n", "t.scn:4: expect failed: expect bytes \"ab\": read 0x00 0x00"},
    {"spawn p\nmap p 0x10000\nload p 0x10000 1\nexpect bytes 0 0\n", "t.scn:4: expect failed: expect bytes 0 0: read 0x00"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nload p 0x10000\nexpect loc ram\n", "t.scn:5: expect failed: expect loc ram: the step took no fault"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nexpect loc nor\n", "t.scn:4: expect failed: expect loc nor: the page is in ram"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nexpect writable no\n", "t.scn:4: expect failed: expect writable no: the page was entered rw-"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nexpect prot r\n", "t.scn:4: expect failed: expect prot r: the page was entered rw-, not r--"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nload p 0x10000\nexpect pages 1\n", "t.scn:5: expect failed: expect pages 1: the step took no fault"},
    {"spawn p\nspawn q\nexit p\nexpect q.faults 1\n", "t.scn:4: expect failed: expect q.faults 1: the value is 0, wanted == 1"},
    {"spawn p\nmap p 0x10000\nexpect pv p 0x10000 1\n", "t.scn:3: expect failed: expect pv p 0x10000 1: p has nothing mapped at 0x10000"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nexpect pv p 0x10000 2\n", "t.scn:4: expect failed: expect pv p 0x10000 2: page 0x"},
    {"spawn p\nexpect pv 0x0 >= 1\n", "t.scn:2: expect failed: expect pv 0x0 >= 1: page 0x0 has 0 PV entries, wanted >= 1"},
    {"spawn p\nexpect entry p 0x10000 cow=yes\n", "t.scn:2: expect failed: expect entry p 0x10000 cow=yes: p has no map entry at 0x10000"},
    {"spawn p\nmap p 0x10000\nexpect entry p 0x10000 prot=r maxprot=r cow=no needs-copy=no shared=yes amap=yes amap-refs=3 object=vnode inherit=none advice=random start=0 end=0\n",
     "prot is rw-, not r--; maxprot is rwx, not r--; cow is yes; needs-copy is yes; shared is no; amap is no; amap-refs is 0 (0x0), not 3; object is none, not vnode; inherit is 0 (0x0), not 2; advice is 0 (0x0), not 1; start is 65536 (0x10000), not 0; end is 69632 (0x11000), not 0"},
    {"spawn p\nmap p 0x10000\nexpect mapped p 0x10000 ram\n", "t.scn:3: expect failed: expect mapped p 0x10000 ram: it maps none"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nexpect mapped p 0x10000 zero\n", "expect mapped p 0x10000 zero: it maps ram page 0x"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nexpect mapped p @entry zero\n", "t.scn:4: expect mapped: '@entry' needs a program"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nspawn q\nmap q 0x10000\nload q 0x10000\nexpect same-page p 0x10000 q 0x10000\n",
     "t.scn:7: expect failed: expect same-page p 0x10000 q 0x10000: they map pages 0x"},
    {"spawn p\nmap p 0x10000\nload p 0x10000\nexpect different-page p 0x10000 p 0x10000\n",
     "t.scn:4: expect failed: expect different-page p 0x10000 p 0x10000: both map page 0x"},
    {"spawn p\nspawn q\nexpect same-page p 0x10000 q 0x10000\n", "t.scn:3: expect failed: expect same-page p 0x10000 q 0x10000: p has nothing mapped at 0x10000"},
};
#define NXFAIL (int)(sizeof(xfail_cases) / sizeof(xfail_cases[0]))

START_TEST(test_expect_fails)
{
    const struct xfail_case *c = &xfail_cases[_i];
    struct cu_run r;
    int rc = cu_run(c->text, &r);
    if (strstr(c->want, "needs a program")) {
        ck_assert_int_eq(rc, UVMSIM_SCN_INPUT);   /* caught by the parser */
    } else {
        ck_assert_int_eq(rc, UVMSIM_SCN_FAILED);
        CU_HAS(r.out, "FAILED: 1 of ");
    }
    CU_HAS(r.err, c->want);
    cu_free(&r);
}
END_TEST

/* A step failing without `expect error` stops the run (status 1); with a matching
 * expect it is just a result. */
START_TEST(test_step_failure)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run("spawn p\nmap p 0x10000 prot=r\nstore p 0x10000 \"x\"\nload p 0x10000 1\n", &r), UVMSIM_SCN_FAILED);
    CU_HAS(r.err, "t.scn:3: step failed: store p 0x10000 \"x\": EACCES (access not permitted by protection)");
    CU_HAS(r.out, "3: store p 0x10000 \"x\" => p store 1 byte at 0x10000: 1 fault, fault error EACCES");
    CU_HASNT(r.out, "4: load");
    cu_free(&r);
    ck_assert_int_eq(cu_run("spawn p\nmap p 0x10000 prot=r\nstore p 0x10000 \"x\"\nexpect error EACCES\nload p 0x10000 1\n", &r),
                     UVMSIM_SCN_OK);
    CU_HAS(r.out, "4: load p 0x10000 1 =>");
    cu_free(&r);
    /* an access error that is not a fault (the length runs off the address space) */
    ck_assert_int_eq(cu_run("spawn p\nload p 0xffffffffffffffff 2\nexpect error ERANGE\n", &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "no fault (the TLB or the page tables allowed it); error ERANGE");
    cu_free(&r);
    /* an expect line after a failed expectation does not hide the failure */
    ck_assert_int_eq(cu_run("spawn p\nexpect vm.procs_live 2\nexpect vm.procs_live 1\nspawn q\n", &r), UVMSIM_SCN_FAILED);
    CU_HAS(r.out, "FAILED: 1 of 2 expectations failed");
    CU_HAS(r.out, "2: spawn q");
    cu_free(&r);
}
END_TEST

/* Found by fuzzing: a failing step or expectation named its whole line on standard
 * error (a 16 MiB store line made 16 MiB of stderr), and a long printable read its whole
 * text in the result.  Messages now cut the line and give its length. */
START_TEST(test_long_lines_cut)
{
    enum { N = 1 << 20 };
    struct cu_run r;
    char *t = malloc(N + 200);
    ck_assert_ptr_nonnull(t);
    int n = snprintf(t, 200, "spawn p\nmap p 0x10000 prot=r\nstore p 0x10000 \"");
    memset(t + n, 'a', N);
    snprintf(t + n + N, 200, "\"\n");
    size_t linelen = strlen("store p 0x10000 \"") + N + 1;
    ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_FAILED);
    ck_assert_uint_lt(strlen(r.err), 400);
    CU_HAS(r.err, "t.scn:3: step failed: store p 0x10000 \"aaaa");
    char want[120];
    snprintf(want, sizeof want, "aaa ... (%zu bytes): EACCES (access not permitted by protection)", linelen);
    CU_HAS(r.err, want);
    cu_free(&r);
    /* an expect line as long */
    n = snprintf(t, 200, "spawn p\nmap p 0x10000 pages=512\nload p 0x10000 2M\nexpect bytes \"");
    memset(t + n, 'b', N);
    snprintf(t + n + N, 200, "\"\n");
    ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_FAILED);
    ck_assert_uint_lt(strlen(r.err), 600);
    CU_HAS(r.err, "t.scn:4: expect failed: expect bytes \"bbbb");
    CU_HAS(r.err, " bytes): read 0x00 0x00");
    cu_free(&r);
    /* a long printable read is summarised in the result like a binary one */
    ck_assert_int_eq(cu_run("spawn p\nmap p 0x10000 pages=2\nstore p 0x10000 \"0123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789\"\nload p 0x10000 80\n", &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "read \"0123456789012345678901234567890123456789012345678901234567890123\" ... (80 bytes)");
    cu_free(&r);
    free(t);
}
END_TEST

/* The run options: last step, backend override, unknown backend. */
START_TEST(test_run_options)
{
    struct cu_run r;
    uvmsim_scn_opts o;
    uvmsim_scn_opts_init(&o);
    o.last_step = 2;
    ck_assert_int_eq(cu_run_opts("spawn p\nspawn q\nspawn r\nexpect vm.procs_live 9\n", NULL, &o, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "ok: 2 steps, 0 expectations held");
    cu_free(&r);
    const char *const *be = uvmsim_pmap_backends();
    for (int i = 0; be[i]; i++) {
        uvmsim_scn_opts_init(&o);
        o.pmap = be[i];
        ck_assert_int_eq(cu_run_opts("machine pmap=generic\nspawn p\nmap p 0x10000\nstore p 0x10000 1\nexpect fault zero-fill\n",
                                     NULL, &o, &r), UVMSIM_SCN_OK);
        char want[64];
        snprintf(want, sizeof(want), "pmap %s,", be[i]);
        CU_HAS(r.out, want);
        cu_free(&r);
        uvmsim_scn_opts_init(&o);
        o.pmap = be[i];
        ck_assert_int_eq(cu_run_opts("spawn p\n", NULL, &o, &r), UVMSIM_SCN_OK);
        cu_free(&r);
    }
    uvmsim_scn_opts_init(&o);
    o.pmap = "nope";
    ck_assert_int_eq(cu_run_opts("spawn p\n", NULL, &o, &r), UVMSIM_SCN_INPUT);
    CU_HAS(r.err, "uvmsim: unknown pmap backend 'nope'");
    cu_free(&r);
    ck_assert(!uvmsim_scn_backend_exists(NULL));
    ck_assert(uvmsim_scn_backend_exists("generic"));
}
END_TEST

/* JSON Lines: a step object per step with its fault outcome and expects, then a summary. */
START_TEST(test_json_output)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run_mode("spawn p\nmap p 0x10000 pages=1\nstore p 0x10000 \"hi\\n\"\nexpect fault zero-fill\n"
                                 "load p 0x10000 2\nexpect bytes \"hi\"\nexpect fault none\n"
                                 "load p 0x90000 1\nexpect error EFAULT\nexpect loc ram\n",
                                 UVMSIM_SCN_MODE_RUN, true, &r), UVMSIM_SCN_FAILED);
    CU_HAS(r.out, "{\"step\":1,\"line\":1,\"command\":\"spawn p\",\"ok\":true,\"error\":null,\"result\":\"p is pid 1\",\"expects\":[]}\n");
    CU_HAS(r.out, "{\"step\":3,\"line\":3,\"command\":\"store p 0x10000 \\\"hi\\\\n\\\"\",\"ok\":true,\"error\":null,");
    CU_HAS(r.out, "\"process\":\"p\",\"va\":\"0x10000\",\"faults\":1,\"fault\":{\"pid\":1,\"va\":\"0x10000\",\"access\":\"store\",\"class\":\"zero-fill\",\"error\":null,");
    CU_HAS(r.out, "\"loc\":\"ram\",\"prot\":\"rw-\",");
    CU_HAS(r.out, "\"expects\":[{\"line\":4,\"expect\":\"expect fault zero-fill\",\"ok\":true}]}");
    CU_HAS(r.out, "\"bytes\":\"6869\"");
    CU_HAS(r.out, "\"fault\":null");
    CU_HAS(r.out, "\"ok\":false,\"error\":\"EFAULT\"");
    CU_HAS(r.out, "\"class\":\"error\",\"error\":\"EFAULT\"");
    CU_HAS(r.out, "{\"line\":10,\"expect\":\"expect loc ram\",\"ok\":false,\"found\":\"the page is in none\"}");
    CU_HAS(r.out, "{\"result\":\"failed\",\"steps\":5,\"expects\":5,\"failed\":1,\"status\":1}\n");
    ck_assert_uint_eq(cu_count(r.out, "\n"), 6);
    cu_free(&r);
}
END_TEST

/* JSON strings escape tabs and control bytes of the scenario text. */
START_TEST(test_json_escapes)
{
    struct cu_run r;
    ck_assert_int_eq(cu_run_mode("spawn\tp\nmap p 0x10000\nstore p 0x10000 \"\x01\"\n", UVMSIM_SCN_MODE_RUN, true, &r),
                     UVMSIM_SCN_OK);
    CU_HAS(r.out, "\"command\":\"spawn\\tp\"");
    CU_HAS(r.out, "\"command\":\"store p 0x10000 \\\"\\u0001\\\"\"");
    cu_free(&r);
}
END_TEST

/* The JSON Lines trace: every event type a run produces, with the fault outcome. */
START_TEST(test_trace_output)
{
    struct cu_run r;
    char *tr = NULL;
    size_t trlen = 0;
    FILE *t = open_memstream(&tr, &trlen);
    uvmsim_scn_opts o;
    uvmsim_scn_opts_init(&o);
    o.trace = t;
    ck_assert_int_eq(cu_run_opts("image builtin\nmount copy\nspawn p\nmap p 0x10000 pages=2 prot=rw private file=/etc/motd\n"
                                 "load p 0x10000 4\nstore p 0x10000 \"x\"\nspawn q\nswitch q\nfork p c\n", NULL, &o, &r),
                     UVMSIM_SCN_OK);
    fclose(t);
    CU_HAS(tr, "\"type\":\"fault-step\"");
    CU_HAS(tr, "\"step\":\"check\"");
    CU_HAS(tr, "\"step\":\"upper-lookup\"");
    CU_HAS(tr, "\"step\":\"lower-lookup\"");
    CU_HAS(tr, "\"step\":\"lower\"");
    CU_HAS(tr, "\"step\":\"enter\"");
    CU_HAS(tr, "\"type\":\"fault\"");
    CU_HAS(tr, "\"fault\":{\"pid\":1,\"va\":\"0x10000\",\"access\":\"load\",\"class\":\"lower-direct\"");
    CU_HAS(tr, "\"type\":\"tlb-miss\"");
    CU_HAS(tr, "\"type\":\"walk\"");
    CU_HAS(tr, "\"type\":\"io\"");
    CU_HAS(tr, "\"type\":\"promote\"");
    CU_HAS(tr, "\"type\":\"switch\"");
    CU_HAS(tr, "\"type\":\"tlb-inval\"");
    CU_HAS(tr, "\"scn_step\":5");
    /* one JSON object per line */
    for (char *line = tr; *line; ) {
        ck_assert_int_eq(line[0], '{');
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        ck_assert_int_eq(nl[-1], '}');
        line = nl + 1;
    }
    free(tr);
    cu_free(&r);
    /* a trace that cannot be written is a simulator error */
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        setvbuf(full, NULL, _IONBF, 0);
        uvmsim_scn_opts_init(&o);
        o.trace = full;
        ck_assert_int_eq(cu_run_opts("spawn p\nmap p 0x10000\nload p 0x10000\n", NULL, &o, &r), UVMSIM_SCN_SIMERR);
        CU_HAS(r.err, "uvmsim: cannot write the trace");
        cu_free(&r);
        fclose(full);
    }
}
END_TEST

/* ---- images, mounts, files, exec ---- */

/* image builtin and image FILE (relative to the scenario), block size, nodirect; mount
 * xip, copy and xip-faultop at a path; file mappings private and shared, offset. */
START_TEST(test_images_mounts)
{
    size_t len;
    const unsigned char *img = uvmsim_builtin_image(&len);
    ck_assert_ptr_nonnull(img);
    mkdir("cli-work", 0755);
    FILE *f = fopen("cli-work/flash.img", "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(img, 1, len, f), len);
    fclose(f);
    struct cu_run r;
    uvmsim_scn_opts o;
    uvmsim_scn_opts_init(&o);
    const char *t =
        "image flash.img block=4K\n"
        "mount xip /x\n"
        "image builtin nodirect\n"
        "mount xip /y\nexpect error ENOXIP\n"
        "mount copy /y\n"
        "image builtin\n"
        "mount xip-faultop /z\n"
        "expect flash.read_requests > 0\nexpect fs.vnodes_live 0\n"
        "spawn p\n"
        "map p 0x10000000 pages=2 prot=r shared file=/x/data/sparse offset=12K\n"
        "expect entry p 0x10000000 object=xip-vnode shared=yes maxprot=r-x offset=12K\n"
        "load p 0x10000000 1\nexpect fault lower-direct\nexpect loc nor\nexpect writable no\nexpect io 0\n"
        "map p 0x20000000 pages=1 prot=r private file=/y/etc/motd\n"
        "load p 0x20000000 1\nexpect loc ram\nexpect io 1\nexpect data_pages 1\n"
        "map p 0x30000000 pages=1 prot=rw private file=/z/data/sparse\n"
        "expect entry p 0x30000000 object=xip-pager\n"
        "load p 0x30000000 1\nexpect loc nor\nstore p 0x30000000 1\nexpect fault lower-promote\nexpect copied 4K\n"
        "map p 0x40000000 pages=1 prot=rw shared file=/x/etc/motd\nexpect error EACCES\n"
        "map p 0x40000000 pages=1 file=/x/nonexistent\nexpect error ENOENT\n";
    ck_assert_msg(cu_run_opts(t, "cli-work", &o, &r) == UVMSIM_SCN_OK, "%s%s", r.out, r.err);
    CU_HAS(r.out, "1: image flash.img block=4K => nor0: 4 MiB cli-work/flash.img at 0x40000000, 4096-byte blocks, direct access");
    CU_HAS(r.out, "2: mount xip /x => nor0 mounted on /x (xip), 4096-byte blocks, XIP base 0x40000000");
    CU_HAS(r.out, "image builtin nodirect => nor1: 4 MiB built-in image at 0x40400000, 512-byte blocks, block access only");
    CU_HAS(r.out, "mount xip /y => cannot mount nor1 on /y (xip): execute-in-place not possible on this device or filesystem: /y: XIP mount refused: device nor1 offers no direct access");
    CU_HAS(r.out, "mount copy /y => nor1 mounted on /y (copy)");
    CU_HAS(r.out, "mount xip-faultop /z => nor2 mounted on /z (xip-faultop)");
    CU_HAS(r.out, "map refused: access not permitted by protection");
    CU_HAS(r.out, "cannot map /x/nonexistent: no such file or directory");
    cu_free(&r);
    /* a missing image file: the step fails, naming the path and saying it does not exist */
    ck_assert_int_eq(cu_run_opts("image missing.img\nexpect error ENOENT\nimage missing.img\n", "cli-work", &o, &r),
                     UVMSIM_SCN_FAILED);
    CU_HAS(r.out, "cannot attach cli-work/missing.img: image cli-work/missing.img does not exist");
    CU_HAS(r.err, "t.scn:3: step failed: image missing.img: ENOENT");
    cu_free(&r);
    /* an image of the wrong size names the size and the rule */
    FILE *odd = fopen("cli-work/odd.img", "w");
    ck_assert_ptr_nonnull(odd);
    fputs("5000 bytes would be more, but any size that is no whole page will do", odd);
    fclose(odd);
    ck_assert_int_eq(cu_run_opts("image odd.img\nexpect error EALIGN\n", "cli-work", &o, &r), UVMSIM_SCN_OK);
    CU_HAS(r.out, "cannot attach cli-work/odd.img: image cli-work/odd.img is 68 bytes: a NOR image must be a "
                  "whole number of 512-byte blocks and of 4096-byte pages");
    unlink("cli-work/odd.img");
    cu_free(&r);
    /* absolute image paths are taken as they are */
    char t2[600];
    snprintf(t2, sizeof(t2), "image %s/cli-work/flash.img\nmount copy\n", getcwd((char[512]){0}, 512));
    ck_assert_int_eq(cu_run_opts(t2, "elsewhere", &o, &r), UVMSIM_SCN_OK);
    cu_free(&r);
    unlink("cli-work/flash.img");
    rmdir("cli-work");
}
END_TEST

/* exec and the address symbols */
START_TEST(test_exec_symbols)
{
    struct cu_run r;
    const char *t =
        "image builtin\nmount xip\n"
        "spawn p\nexec p /bin/hello\n"
        "expect entry p @entry object=xip-vnode prot=rx\n"
        "expect entry p @text prot=rx\n"
        "expect entry p @data prot=rw object=xip-vnode\n"
        "expect entry p @bss object=none\n"
        "expect entry p @stack object=none prot=rw\n"
        "expect entry p @brk-4K prot=rw\n"
        "fetch p @entry 4\nexpect loc nor\n"
        "store p @stack \"s\"\nexpect fault zero-fill\n"
        "load p @stack+0 1\nexpect bytes \"s\"\n"
        "fork p c\nload c @stack 1\nexpect bytes \"s\"\n"
        "spawn q\nexec q /etc/motd\nexpect error EACCES\n"
        "expect pv q @entry 1\nexpect entry q @text cow=yes\nexpect mapped q @data ram\n"
        "load q @entry 1\n";
    ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_FAILED);
    CU_HAS(r.out, "4: exec p /bin/hello => p (pid 1) runs /bin/hello: entry 0x");
    CU_HAS(r.out, "exec q /etc/motd => exec /etc/motd failed: access not permitted by protection: no execute permission");
    CU_HAS(r.out, "load q @entry 1 => process q has no program (exec one first)");
    CU_HAS(r.err, "expect failed: expect pv q @entry 1: process q has no program (exec one first)");
    CU_HAS(r.err, "expect failed: expect entry q @text cow=yes: process q has no program");
    CU_HAS(r.err, "expect failed: expect mapped q @data ram: process q has no program");
    CU_HAS(r.err, "step failed: load q @entry 1: EINVAL");
    cu_free(&r);
}
END_TEST

/* The summary line names where a run stopped and where expectations first failed; explain
 * lists every expect line with its result, in order, after the step's result. */
START_TEST(test_summary_and_explain_expects)
{
    struct cu_run r;
    const char *t = "spawn p\n"
                    "map p 0x10000000 pages=1 prot=r private anon\n"
                    "load p 0x10000000 1\nexpect fault upper-direct\nexpect copied 4K\n"
                    "store p 0x10000000 1\n"
                    "load p 0x10000000 1\n";
    ck_assert_int_eq(cu_run(t, &r), UVMSIM_SCN_FAILED);
    CU_HAS(r.out, "FAILED: stopped at step 4 of 5 (line 6: store p 0x10000000 1); 2 of 2 expectations failed"
                  ", the first at line 4 after step 3\n");
    cu_free(&r);
    ck_assert_int_eq(cu_run_mode(t, UVMSIM_SCN_MODE_EXPLAIN, false, &r), UVMSIM_SCN_FAILED);
    const char *res = strstr(r.out, "  Result: p load 1 byte");
    const char *e1 = strstr(r.out, "  Line 4: expect fault upper-direct: FAILED: ");
    const char *e2 = strstr(r.out, "  Line 5: expect copied 4K: FAILED: ");
    ck_assert_msg(res && e1 && e2 && res < e1 && e1 < e2, "%s", r.out);
    cu_free(&r);
    /* held lines say so; a long failing step is cut in the summary */
    char big[1024];
    snprintf(big, sizeof(big), "spawn p\nmap p 0x10000000 pages=1 prot=r private anon\n"
             "load p 0x10000000 1\nexpect fault lower-direct\nexpect writable no\nstore p 0x10000000 \"%0200d\"\n", 7);
    ck_assert_int_eq(cu_run_mode(big, UVMSIM_SCN_MODE_EXPLAIN, false, &r), UVMSIM_SCN_FAILED);
    CU_HAS(r.out, "  Line 5: expect writable no: held\n");
    CU_HAS(r.out, "(line 6: store p 0x10000000 \"0000000000000000000000000000000000000...); ");
    cu_free(&r);
}
END_TEST

/* --check: every step, the end only, never, or auto (every step up to 1000, then powers of
 * two and the last). */
START_TEST(test_check_modes)
{
    static const struct {
        uvmsim_scn_check mode;
        unsigned step, last;
        bool due;
    } cases[] = {
        {UVMSIM_SCN_CHECK_STEP, 1, 5, true}, {UVMSIM_SCN_CHECK_STEP, 4, 5, true},
        {UVMSIM_SCN_CHECK_END, 4, 5, false}, {UVMSIM_SCN_CHECK_END, 5, 5, true},
        {UVMSIM_SCN_CHECK_OFF, 5, 5, false}, {UVMSIM_SCN_CHECK_OFF, 1, 1, false},
        {UVMSIM_SCN_CHECK_AUTO, 1, 100000, true}, {UVMSIM_SCN_CHECK_AUTO, 1000, 100000, true},
        {UVMSIM_SCN_CHECK_AUTO, 1001, 100000, false}, {UVMSIM_SCN_CHECK_AUTO, 1024, 100000, true},
        {UVMSIM_SCN_CHECK_AUTO, 1025, 100000, false}, {UVMSIM_SCN_CHECK_AUTO, 65536, 100000, true},
        {UVMSIM_SCN_CHECK_AUTO, 99999, 100000, false}, {UVMSIM_SCN_CHECK_AUTO, 100000, 100000, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(uvmsim_scn_check_due(cases[i].mode, cases[i].step, cases[i].last) == cases[i].due,
                      "case %zu", i);
    unsigned n = 0;
    for (unsigned k = 1; k <= 100000; k++)
        n += uvmsim_scn_check_due(UVMSIM_SCN_CHECK_AUTO, k, 100000);
    ck_assert_uint_eq(n, 1000 + 7 + 1);   /* 1..1000, 1024..65536, 100000 */
    ck_assert_str_eq(uvmsim_scn_check_names[UVMSIM_SCN_CHECK_END], "end");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli-lang");
    TCase *tc = tcase_create("parse-errors");
    tcase_add_loop_test(tc, test_parse_error, 0, NPERR);
    tcase_add_test(tc, test_parse_edge);
    tcase_add_test(tc, test_load_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("language");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_machine_line);
    tcase_add_test(tc, test_numbers_comments);
    tcase_add_test(tc, test_bytes);
    tcase_add_test(tc, test_processes);
    tcase_add_test(tc, test_mappings);
    tcase_add_test(tc, test_fault_command);
    tcase_add_test(tc, test_compare_ops);
    tcase_add_loop_test(tc, test_expect_fails, 0, NXFAIL);
    tcase_add_test(tc, test_step_failure);
    tcase_add_test(tc, test_long_lines_cut);
    tcase_add_test(tc, test_run_options);
    tcase_add_test(tc, test_json_output);
    tcase_add_test(tc, test_json_escapes);
    tcase_add_test(tc, test_trace_output);
    tcase_add_test(tc, test_images_mounts);
    tcase_add_test(tc, test_exec_symbols);
    tcase_add_test(tc, test_summary_and_explain_expects);
    tcase_add_test(tc, test_check_modes);
    suite_add_tcase(s, tc);
    cu_scratch_enter("cli_lang");
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    cu_scratch_leave();
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
