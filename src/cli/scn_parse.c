/* Scenario library: the parser.  A scenario is read whole, line by line, into steps with
 * their expect lines; every name, number, option and the order of commands (machine
 * first, a mount needs an image, a process must exist and be alive) is checked here, so
 * a scenario that parses can only fail at run time for reasons of the simulation.
 * Messages are "FILE:LINE: what was expected, got what". */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scn_internal.h"

/* One token: raw text as written (for messages) and its value with quotes removed and
 * escapes decoded (val is NUL-terminated; vlen excludes the NUL, may contain NULs). */
struct tok {
    char *raw;
    char *val;
    size_t vlen;
    bool quoted;
};

struct parser {
    const char *name;
    unsigned line;
    char *err;
    size_t errlen;
    bool failed;
    uvmsim_scn *s;
    const char *base_dir;
    struct tok *t;            /* tokens of the current line */
    unsigned nt, tcap;
    /* per process slot, parse-time life cycle */
    bool *alive;
    bool *execd;
    unsigned *exit_line;
    unsigned slots_cap;
    unsigned nmounts;
    size_t page_size;         /* from the machine line, for messages only */
    uint64_t *shm_keys;       /* SysV segment keys live at this point of the file */
    unsigned nshm, shm_cap;
};

static bool perr(struct parser *P, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool perr(struct parser *P, const char *fmt, ...)
{
    if (P->failed)
        return false;
    P->failed = true;
    int n = snprintf(P->err, P->errlen, "%s:%u: ", P->name, P->line);
    if (n < 0 || (size_t)n >= P->errlen)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->err + n, P->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- lexing ---- */

static void toks_clear(struct parser *P)
{
    for (unsigned i = 0; i < P->nt; i++) {
        free(P->t[i].raw);
        free(P->t[i].val);
    }
    P->nt = 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Split one line into tokens.  *cmd_end receives the length of the line before any
 * comment, for the step's text. */
static bool lex_line(struct parser *P, const char *line, size_t len, size_t *cmd_end)
{
    size_t i = 0;
    *cmd_end = len;
    while (i < len) {
        while (i < len && isspace((unsigned char)line[i]))
            i++;
        if (i >= len)
            break;
        if (line[i] == '#') {
            *cmd_end = i;
            break;
        }
        size_t start = i;
        struct sbuf v = {0};
        bool quoted = false;
        while (i < len && !isspace((unsigned char)line[i])) {
            if (line[i] != '"') {
                uvmsim_sb_putc(&v, line[i++]);
                continue;
            }
            quoted = true;
            i++;
            for (;;) {
                if (i >= len) {
                    uvmsim_sb_free(&v);
                    return perr(P, "unterminated string: expected a closing '\"'");
                }
                char c = line[i++];
                if (c == '"')
                    break;
                if (c != '\\') {
                    uvmsim_sb_putc(&v, c);
                    continue;
                }
                char e = i < len ? line[i++] : '\0';
                switch (e) {
                case 'n': uvmsim_sb_putc(&v, '\n'); break;
                case 't': uvmsim_sb_putc(&v, '\t'); break;
                case 'r': uvmsim_sb_putc(&v, '\r'); break;
                case '0': uvmsim_sb_putc(&v, '\0'); break;
                case '\\': uvmsim_sb_putc(&v, '\\'); break;
                case '"': uvmsim_sb_putc(&v, '"'); break;
                case 'x': {
                    int h1 = i < len ? hexval(line[i]) : -1, h2 = i + 1 < len ? hexval(line[i + 1]) : -1;
                    if (h1 < 0 || h2 < 0) {
                        uvmsim_sb_free(&v);
                        return perr(P, "bad escape in string: expected \\x and two hex digits");
                    }
                    uvmsim_sb_putc(&v, (char)(h1 * 16 + h2));
                    i += 2;
                    break;
                }
                default:
                    uvmsim_sb_free(&v);
                    return perr(P, "unknown escape '\\%c' in string: expected one of \\n \\t \\r \\0 \\\\ \\\" \\xHH",
                                e ? e : ' ');
                }
            }
        }
        if (P->nt == P->tcap) {
            unsigned ncap = P->tcap ? P->tcap * 2 : 16;
            struct tok *nt = realloc(P->t, ncap * sizeof(*nt));
            if (nt == NULL) {
                uvmsim_sb_free(&v);
                return perr(P, "out of host memory");
            }
            P->t = nt;
            P->tcap = ncap;
        }
        struct tok *t = &P->t[P->nt];
        t->raw = strndup(line + start, i - start);
        t->vlen = v.len;
        t->val = v.s ? v.s : strdup("");
        t->quoted = quoted;
        if (t->raw == NULL || t->val == NULL || v.oom) {
            free(t->raw);
            free(t->val);
            return perr(P, "out of host memory");
        }
        P->nt++;
    }
    while (*cmd_end > 0 && isspace((unsigned char)line[*cmd_end - 1]))
        (*cmd_end)--;
    return true;
}

/* ---- values ---- */

/* Decimal (leading zeros too: 010 is ten, not C's octal eight) or 0x hex, with an optional
 * K, M, G or T suffix (powers of 1024). */
static bool parse_u64(const char *txt, uint64_t *out)
{
    if (txt == NULL || !isdigit((unsigned char)txt[0]))
        return false;
    bool hex = txt[0] == '0' && (txt[1] == 'x' || txt[1] == 'X');
    const char *digits = hex ? txt + 2 : txt;
    if (!isxdigit((unsigned char)digits[0]) || digits[0] == '+' || digits[0] == '-')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(digits, &end, hex ? 16 : 10);
    if (errno != 0 || end == digits)
        return false;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10, end++;
    else if (*end == 'M' || *end == 'm')
        shift = 20, end++;
    else if (*end == 'G' || *end == 'g')
        shift = 30, end++;
    else if (*end == 'T' || *end == 't')
        shift = 40, end++;
    if (*end != '\0')
        return false;
    if (shift && (v >> (64 - shift)) != 0)
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

static bool need_num(struct parser *P, const char *what, const char *txt, uint64_t *out)
{
    if (parse_u64(txt, out))
        return true;
    return perr(P, "%s: expected a number (decimal or 0x hex, optional K/M/G/T suffix), got '%s'", what, txt);
}

static bool parse_prot(const char *txt, uvmsim_prot_t *out)
{
    if (strcmp(txt, "none") == 0 || strcmp(txt, "---") == 0 || strcmp(txt, "-") == 0) {
        *out = UVMSIM_PROT_NONE;
        return true;
    }
    uvmsim_prot_t p = 0;
    if (*txt == '\0')
        return false;
    for (const char *c = txt; *c; c++) {
        uvmsim_prot_t bit = *c == 'r' ? UVMSIM_PROT_READ : *c == 'w' ? UVMSIM_PROT_WRITE :
                            *c == 'x' ? UVMSIM_PROT_EXEC : 0;
        if (*c == '-')
            continue;
        if (bit == 0 || (p & bit))
            return false;
        p |= bit;
    }
    *out = p;
    return true;
}

static bool need_prot(struct parser *P, const char *what, const char *txt, uvmsim_prot_t *out)
{
    if (parse_prot(txt, out))
        return true;
    return perr(P, "%s: expected a protection (none, r, rw, rx, rwx or r-x style), got '%s'", what, txt);
}

static bool need_yesno(struct parser *P, const char *what, const char *txt, bool *out)
{
    if (strcmp(txt, "yes") == 0 || strcmp(txt, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(txt, "no") == 0 || strcmp(txt, "false") == 0) {
        *out = false;
        return true;
    }
    return perr(P, "%s: expected yes or no, got '%s'", what, txt);
}

static bool parse_inherit(const char *txt, uvmsim_inherit *out)
{
    static const char *const n[] = {"copy", "share", "none"};
    for (int i = 0; i < 3; i++)
        if (strcmp(txt, n[i]) == 0) {
            *out = (uvmsim_inherit)i;
            return true;
        }
    return false;
}

static bool parse_advice(const char *txt, uvmsim_advice *out)
{
    static const char *const n[] = {"normal", "random", "sequential"};
    for (int i = 0; i < 3; i++)
        if (strcmp(txt, n[i]) == 0) {
            *out = (uvmsim_advice)i;
            return true;
        }
    return false;
}

static bool parse_loc(const char *txt, uvmsim_page_loc *out)
{
    static const uvmsim_page_loc all[] = {UVMSIM_LOC_NONE, UVMSIM_LOC_RAM, UVMSIM_LOC_DEVICE, UVMSIM_LOC_ZERO};
    for (int i = 0; i < 4; i++)
        if (strcmp(txt, uvmsim_page_loc_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

static bool parse_access(const char *txt, uvmsim_access *out)
{
    for (int a = 0; a <= UVMSIM_ACCESS_STORE; a++)
        if (strcmp(txt, uvmsim_scn_access_name((uvmsim_access)a)) == 0) {
            *out = (uvmsim_access)a;
            return true;
        }
    return false;
}

static bool valid_name(const char *n)
{
    if (!isalpha((unsigned char)n[0]) && n[0] != '_')
        return false;
    for (const char *c = n; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
            return false;
    return strlen(n) < 48;
}

/* ---- processes ---- */

static int slot_find(const uvmsim_scn *s, const char *name)
{
    for (unsigned i = 0; i < s->nprocs; i++)
        if (strcmp(s->procs[i], name) == 0)
            return (int)i;
    return -1;
}

static int slot_find_cb(void *arg, const char *name)
{
    struct parser *P = arg;
    int slot = slot_find(P->s, name);
    return slot >= 0 && P->alive[slot] ? slot : -1;
}

static int slot_new(struct parser *P, const char *name)
{
    uvmsim_scn *s = P->s;
    int slot = slot_find(s, name);
    if (slot >= 0)
        return slot;
    if (s->nprocs == P->slots_cap) {
        unsigned ncap = P->slots_cap ? P->slots_cap * 2 : 8;
        char **np = realloc(s->procs, ncap * sizeof(*np));
        if (np)
            s->procs = np;
        bool *na = realloc(P->alive, ncap * sizeof(*na));
        if (na)
            P->alive = na;
        bool *ne = realloc(P->execd, ncap * sizeof(*ne));
        if (ne)
            P->execd = ne;
        unsigned *nl = realloc(P->exit_line, ncap * sizeof(*nl));
        if (nl)
            P->exit_line = nl;
        if (!np || !na || !ne || !nl) {
            perr(P, "out of host memory");
            return -1;
        }
        P->slots_cap = ncap;
    }
    s->procs[s->nprocs] = strdup(name);
    if (s->procs[s->nprocs] == NULL) {
        perr(P, "out of host memory");
        return -1;
    }
    P->alive[s->nprocs] = false;
    P->execd[s->nprocs] = false;
    P->exit_line[s->nprocs] = 0;
    return (int)s->nprocs++;
}

/* A live process named by token i. */
static int need_proc(struct parser *P, const char *cmd, unsigned i)
{
    if (i >= P->nt) {
        perr(P, "%s: expected a process name", cmd);
        return -1;
    }
    const char *n = P->t[i].val;
    int slot = slot_find(P->s, n);
    if (slot < 0) {
        perr(P, "%s: no process named '%s' (create it with spawn or fork first)", cmd, n);
        return -1;
    }
    if (!P->alive[slot]) {
        perr(P, "%s: process '%s' has exited (line %u)", cmd, n, P->exit_line[slot]);
        return -1;
    }
    return slot;
}

/* A name for a process that does not exist (or has exited): spawn and fork. */
static int need_new_proc(struct parser *P, const char *cmd, unsigned i)
{
    if (i >= P->nt) {
        perr(P, "%s: expected a name for the new process", cmd);
        return -1;
    }
    const char *n = P->t[i].val;
    if (!valid_name(n)) {
        perr(P, "%s: expected a process name (a letter, then letters, digits, '_' or '-'), got '%s'", cmd, n);
        return -1;
    }
    int slot = slot_find(P->s, n);
    if (slot >= 0 && P->alive[slot]) {
        perr(P, "%s: process '%s' already exists", cmd, n);
        return -1;
    }
    return slot_new(P, n);
}

/* An address: a number, or @entry/@text/@data/@bss/@stack/@brk with an optional
 * +N / -N, resolved at run time from the process's exec record. */
static bool need_addr(struct parser *P, const char *cmd, unsigned i, int slot, struct scn_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (i >= P->nt)
        return perr(P, "%s: expected an address", cmd);
    const char *txt = P->t[i].val;
    if (txt[0] != '@') {
        if (parse_u64(txt, &a->value))
            return true;
        return perr(P, "%s: expected an address (a number, or @entry, @text, @data, @bss, @stack, @brk), got '%s'",
                    cmd, txt);
    }
    static const struct { const char *n; scn_sym s; } syms[] = {
        {"entry", SYM_ENTRY}, {"text", SYM_TEXT}, {"data", SYM_DATA}, {"bss", SYM_BSS},
        {"stack", SYM_STACK}, {"brk", SYM_BRK}};
    const char *op = strpbrk(txt + 1, "+-");
    size_t nlen = op ? (size_t)(op - txt - 1) : strlen(txt + 1);
    for (size_t k = 0; k < sizeof(syms) / sizeof(syms[0]); k++) {
        if (strlen(syms[k].n) != nlen || strncmp(syms[k].n, txt + 1, nlen) != 0)
            continue;
        a->sym = syms[k].s;
        if (op) {
            a->negative = *op == '-';
            if (!parse_u64(op + 1, &a->value))
                return perr(P, "%s: expected a number after '%c' in '%s'", cmd, *op, txt);
        }
        if (slot >= 0 && !P->execd[slot])
            return perr(P, "%s: '%s' needs a program: process '%s' has not exec'd one", cmd, txt,
                        P->s->procs[slot]);
        return true;
    }
    return perr(P, "%s: unknown address symbol '%s' (expected @entry, @text, @data, @bss, @stack or @brk)", cmd, txt);
}

/* Split token i at '=' into key and value; false when it has none. */
static bool kv(struct parser *P, unsigned i, char *key, size_t keylen, const char **val)
{
    const char *eq = strchr(P->t[i].val, '=');
    if (eq == NULL || (size_t)(eq - P->t[i].val) >= keylen)
        return false;
    memcpy(key, P->t[i].val, (size_t)(eq - P->t[i].val));
    key[eq - P->t[i].val] = '\0';
    *val = eq + 1;
    return true;
}

/* Bytes from tokens [i, nt): strings and byte values. */
static bool need_bytes(struct parser *P, const char *cmd, unsigned i, uint8_t **data, size_t *len)
{
    struct sbuf b = {0};
    if (i >= P->nt)
        return perr(P, "%s: expected bytes: a \"string\" or byte values such as 0x41", cmd);
    for (; i < P->nt; i++) {
        const struct tok *t = &P->t[i];
        if (t->quoted) {
            for (size_t k = 0; k < t->vlen; k++)
                uvmsim_sb_putc(&b, t->val[k]);
            continue;
        }
        uint64_t v;
        if (!parse_u64(t->val, &v) || v > 255) {
            uvmsim_sb_free(&b);
            return perr(P, "%s: expected a \"string\" or a byte value 0..255, got '%s'", cmd, t->raw);
        }
        uvmsim_sb_putc(&b, (char)v);
    }
    if (b.oom || b.len == 0) {
        bool empty = !b.oom;
        uvmsim_sb_free(&b);
        return empty ? perr(P, "%s: expected at least one byte (the string is empty)", cmd)
                     : perr(P, "out of host memory");
    }
    *data = (uint8_t *)b.s;
    *len = b.len;
    return true;
}

static bool no_more(struct parser *P, const char *cmd, unsigned i)
{
    if (i < P->nt)
        return perr(P, "%s: unexpected '%s' at the end of the line", cmd, P->t[i].raw);
    return true;
}

/* ---- commands ---- */

static struct scn_step *new_step(struct parser *P, scn_op op)
{
    uvmsim_scn *s = P->s;
    struct scn_step *ns = realloc(s->steps, (s->nsteps + 1) * sizeof(*ns));
    if (ns == NULL) {
        perr(P, "out of host memory");
        return NULL;
    }
    s->steps = ns;
    struct scn_step *st = &ns[s->nsteps++];
    memset(st, 0, sizeof(*st));
    st->op = op;
    st->line = P->line;
    st->proc = st->proc2 = -1;
    st->image = -1;
    return st;
}

static bool parse_tlb(struct parser *P, const char *val, uvmsim_tlb_config *tlb)
{
    char why[160];
    if (!uvmsim_scn_tlb_parse(val, tlb, why, sizeof(why)))
        return perr(P, "machine: tlb: %s", why);
    return true;
}

static bool backend_list(struct sbuf *b)
{
    const char *const *be = uvmsim_pmap_backends();
    for (int i = 0; be[i]; i++)
        uvmsim_sb_printf(b, "%s%s", i ? ", " : "", be[i]);
    return true;
}

bool uvmsim_scn_backend_exists(const char *name)
{
    const char *const *be = uvmsim_pmap_backends();
    for (int i = 0; name && be[i]; i++)
        if (strcmp(be[i], name) == 0)
            return true;
    return false;
}

static bool cmd_machine(struct parser *P)
{
    if (P->s->nsteps > 0)
        return perr(P, "machine: must be the first command (the machine exists before anything else runs)");
    struct scn_step *st = new_step(P, SOP_MACHINE);
    if (st == NULL)
        return false;
    uvmsim_machine_config_init(&st->cfg);
    P->s->has_machine = true;
    for (unsigned i = 1; i < P->nt; i++) {
        char key[32];
        const char *val;
        uint64_t v;
        if (!kv(P, i, key, sizeof(key), &val))
            return perr(P, "machine: expected KEY=VALUE (ram, page, pmap, tlb, nor, ram-base, nor-base, seed, pv-buckets, share-domains, placement), got '%s'",
                        P->t[i].raw);
        if (strcmp(key, "pmap") == 0) {
            if (!uvmsim_scn_backend_exists(val)) {
                struct sbuf b = {0};
                backend_list(&b);
                perr(P, "machine: pmap: unknown backend '%s' (this build has: %s)", val, uvmsim_sb_str(&b));
                uvmsim_sb_free(&b);
                return false;
            }
            free(st->pmap_name);
            st->pmap_name = strdup(val);
            if (st->pmap_name == NULL)
                return perr(P, "out of host memory");
            st->cfg.pmap = st->pmap_name;
        } else if (strcmp(key, "tlb") == 0) {
            if (!parse_tlb(P, val, &st->cfg.tlb))
                return false;
        } else if (strcmp(key, "share-domains") == 0 || strcmp(key, "placement") == 0) {
            int on = strcmp(val, "on") == 0 ? 1 : strcmp(val, "off") == 0 ? 0 : -1;
            if (on < 0)
                return perr(P, "machine: %s: expected on or off, got '%s'", key, val);
            if (key[0] == 's')
                st->share_domains = on;
            else
                st->placement = on;
        } else {
            char what[48];
            snprintf(what, sizeof(what), "machine: %s", key);
            if (strcmp(key, "ram") == 0) {
                if (!need_num(P, what, val, &st->cfg.ram_size))
                    return false;
            } else if (strcmp(key, "page") == 0) {
                if (!need_num(P, what, val, &v))
                    return false;
                if (v < 512 || (v & (v - 1)) != 0)
                    return perr(P, "machine: page: expected a power of two >= 512, got '%s'", val);
                st->cfg.page_size = (size_t)v;
            } else if (strcmp(key, "nor") == 0) {
                if (!need_num(P, what, val, &st->cfg.nor_size))
                    return false;
            } else if (strcmp(key, "ram-base") == 0) {
                if (!need_num(P, what, val, &st->cfg.ram_base))
                    return false;
            } else if (strcmp(key, "nor-base") == 0) {
                if (!need_num(P, what, val, &st->cfg.nor_base))
                    return false;
            } else if (strcmp(key, "seed") == 0) {
                if (!need_num(P, what, val, &st->cfg.seed))
                    return false;
            } else if (strcmp(key, "pv-buckets") == 0) {
                if (!need_num(P, what, val, &v) || v == 0 || v > (1u << 24))
                    return perr(P, "machine: pv-buckets: expected a number 1..16M, got '%s'", val);
                st->cfg.pv_hash_buckets = (unsigned)v;
            } else {
                return perr(P, "machine: unknown option '%s' (expected ram, page, pmap, tlb, nor, ram-base, nor-base, seed, pv-buckets, share-domains or placement)",
                            key);
            }
        }
    }
    P->page_size = st->cfg.page_size;
    return true;
}

static char *join_path(const char *dir, const char *path)
{
    if (path[0] == '/' || dir == NULL || dir[0] == '\0')
        return strdup(path);
    size_t n = strlen(dir) + strlen(path) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", dir, path);
    return r;
}

static bool cmd_image(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_IMAGE);
    if (st == NULL)
        return false;
    if (P->nt < 2)
        return perr(P, "image: expected 'builtin' or the path of an image file");
    if (!P->t[1].quoted && strcmp(P->t[1].val, "builtin") == 0) {
#ifndef UVMSIM_HAVE_BUILTIN
        return perr(P, "image: this build has no built-in image (uvmsim_builtin was not built); give an image file");
#else
        st->builtin = true;
#endif
    } else {
        st->path = join_path(P->base_dir, P->t[1].val);
        if (st->path == NULL)
            return perr(P, "out of host memory");
    }
    for (unsigned i = 2; i < P->nt; i++) {
        char key[16];
        const char *val;
        uint64_t v;
        if (strcmp(P->t[i].val, "nodirect") == 0) {
            st->nodirect = true;
        } else if (kv(P, i, key, sizeof(key), &val) && strcmp(key, "block") == 0) {
            if (!need_num(P, "image: block", val, &v))
                return false;
            if (v == 0 || (v & (v - 1)) != 0 || v > (1u << 20))
                return perr(P, "image: block: expected a power of two (e.g. 512), got '%s'", val);
            st->block_size = (size_t)v;
        } else {
            return perr(P, "image: expected block=N or nodirect, got '%s'", P->t[i].raw);
        }
    }
    st->image = (int)P->s->nimages++;
    return true;
}

static bool cmd_mount(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_MOUNT);
    if (st == NULL)
        return false;
    if (P->s->nimages == 0)
        return perr(P, "mount: no image to mount (add an 'image builtin' or 'image FILE' line first)");
    if (P->nt < 2)
        return perr(P, "mount: expected xip, copy or xip-faultop");
    const char *k = P->t[1].val;
    if (strcmp(k, "xip") == 0)
        st->mount = MNT_XIP;
    else if (strcmp(k, "copy") == 0)
        st->mount = MNT_COPY;
    else if (strcmp(k, "xip-faultop") == 0)
        st->mount = MNT_XIP_FAULTOP;
    else
        return perr(P, "mount: expected xip, copy or xip-faultop, got '%s'", k);
    const char *path = "/";
    if (P->nt >= 3) {
        path = P->t[2].val;
        if (path[0] != '/')
            return perr(P, "mount: expected an absolute mount point such as / or /flash, got '%s'", path);
    }
    if (!no_more(P, "mount", 3))
        return false;
    st->path = strdup(path);
    if (st->path == NULL)
        return perr(P, "out of host memory");
    st->image = (int)P->s->nimages - 1;
    P->nmounts++;
    return true;
}

static bool cmd_spawn(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_SPAWN);
    if (st == NULL || (st->proc = need_new_proc(P, "spawn", 1)) < 0)
        return false;
    P->alive[st->proc] = true;
    P->execd[st->proc] = false;
    return no_more(P, "spawn", 2);
}

static bool cmd_exec(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_EXEC);
    if (st == NULL || (st->proc = need_proc(P, "exec", 1)) < 0)
        return false;
    if (P->nt < 3)
        return perr(P, "exec: expected the program's path, e.g. /bin/hello");
    if (P->nmounts == 0)
        return perr(P, "exec: no filesystem mounted (add 'image' and 'mount' lines first)");
    st->path = strdup(P->t[2].val);
    if (st->path == NULL)
        return perr(P, "out of host memory");
    P->execd[st->proc] = true;
    return no_more(P, "exec", 3);
}

static bool cmd_fork(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_FORK);
    if (st == NULL || (st->proc = need_proc(P, "fork", 1)) < 0)
        return false;
    if ((st->proc2 = need_new_proc(P, "fork", 2)) < 0)
        return false;
    P->alive[st->proc2] = true;
    P->execd[st->proc2] = P->execd[st->proc];
    return no_more(P, "fork", 3);
}

static bool cmd_exit(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_EXIT);
    if (st == NULL || (st->proc = need_proc(P, "exit", 1)) < 0)
        return false;
    P->alive[st->proc] = false;
    P->exit_line[st->proc] = P->line;
    return no_more(P, "exit", 2);
}

static bool cmd_switch(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_SWITCH);
    if (st == NULL || (st->proc = need_proc(P, "switch", 1)) < 0)
        return false;
    return no_more(P, "switch", 2);
}

static bool cmd_show(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_SHOW);
    if (st == NULL || (st->proc = need_proc(P, "show", 1)) < 0)
        return false;
    return no_more(P, "show", 2);
}

/* pages=N or size=BYTES; returns true when token i was one of them. */
static bool range_opt(struct parser *P, const char *cmd, const char *key, const char *val, struct scn_step *st,
                      bool *ok)
{
    char what[48];
    snprintf(what, sizeof(what), "%s: %s", cmd, key);
    *ok = true;
    if (strcmp(key, "pages") == 0) {
        *ok = need_num(P, what, val, &st->npages);
        if (*ok && st->npages == 0)
            *ok = perr(P, "%s: pages: expected at least 1", cmd);
        st->size = 0;
        return true;
    }
    if (strcmp(key, "size") == 0) {
        *ok = need_num(P, what, val, &st->size);
        if (*ok && st->size == 0)
            *ok = perr(P, "%s: size: expected more than 0 bytes", cmd);
        st->npages = 0;
        return true;
    }
    return false;
}

static bool cmd_map(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_MAP);
    if (st == NULL || (st->proc = need_proc(P, "map", 1)) < 0 || !need_addr(P, "map", 2, st->proc, &st->addr))
        return false;
    st->npages = 1;
    st->prot = UVMSIM_PROT_READ | UVMSIM_PROT_WRITE;
    bool file = false, anon = false, priv = false;
    for (unsigned i = 3; i < P->nt; i++) {
        const char *w = P->t[i].val;
        char key[16];
        const char *val;
        bool ok;
        if (strcmp(w, "private") == 0) {
            priv = true;
        } else if (strcmp(w, "shared") == 0) {
            st->shared = true;
        } else if (strcmp(w, "anon") == 0) {
            anon = true;
        } else if (!kv(P, i, key, sizeof(key), &val)) {
            return perr(P, "map: expected private, shared, anon or KEY=VALUE (pages, size, prot, maxprot, file, offset, inherit, advice), got '%s'",
                        P->t[i].raw);
        } else if (range_opt(P, "map", key, val, st, &ok)) {
            if (!ok)
                return false;
        } else if (strcmp(key, "prot") == 0) {
            if (!need_prot(P, "map: prot", val, &st->prot))
                return false;
        } else if (strcmp(key, "maxprot") == 0) {
            if (!need_prot(P, "map: maxprot", val, &st->maxprot))
                return false;
        } else if (strcmp(key, "file") == 0) {
            if (val[0] != '/')
                return perr(P, "map: file: expected an absolute path inside the mounted image, got '%s'", val);
            free(st->path);
            st->path = strdup(val);
            if (st->path == NULL)
                return perr(P, "out of host memory");
            file = true;
        } else if (strcmp(key, "offset") == 0) {
            if (!need_num(P, "map: offset", val, &st->offset))
                return false;
        } else if (strcmp(key, "inherit") == 0) {
            if (!parse_inherit(val, &st->inherit))
                return perr(P, "map: inherit: expected copy, share or none, got '%s'", val);
            st->inherit_set = true;
        } else if (strcmp(key, "advice") == 0) {
            if (!parse_advice(val, &st->advice))
                return perr(P, "map: advice: expected normal, random or sequential, got '%s'", val);
        } else {
            return perr(P, "map: unknown option '%s' (expected pages, size, prot, maxprot, file, offset, inherit or advice)",
                        key);
        }
    }
    if (priv && st->shared)
        return perr(P, "map: a mapping is either private or shared, not both");
    if (anon && file)
        return perr(P, "map: a mapping is either anon or file=PATH, not both");
    if (file && P->nmounts == 0)
        return perr(P, "map: a file mapping needs a mounted image (add 'image' and 'mount' lines first)");
    if (!file && st->offset)
        return perr(P, "map: offset= only applies to file mappings");
    return true;
}

static bool cmd_range(struct parser *P, scn_op op, const char *cmd)
{
    struct scn_step *st = new_step(P, op);
    if (st == NULL || (st->proc = need_proc(P, cmd, 1)) < 0 || !need_addr(P, cmd, 2, st->proc, &st->addr))
        return false;
    st->npages = 1;
    bool have_prot = false, have_word = false;
    for (unsigned i = 3; i < P->nt; i++) {
        const char *w = P->t[i].val;
        char key[16];
        const char *val;
        bool ok;
        if (op == SOP_INHERIT && !have_word && parse_inherit(w, &st->inherit)) {
            have_word = true;
        } else if (op == SOP_ADVISE && !have_word && parse_advice(w, &st->advice)) {
            have_word = true;
        } else if (!kv(P, i, key, sizeof(key), &val)) {
            return perr(P, "%s: unexpected '%s' (expected %s)", cmd, P->t[i].raw,
                        op == SOP_PROTECT ? "pages=N, size=BYTES or prot=PROT" :
                        op == SOP_INHERIT ? "pages=N, size=BYTES, or copy, share or none" :
                        op == SOP_ADVISE ? "pages=N, size=BYTES, or normal, random or sequential" :
                        "pages=N or size=BYTES");
        } else if (range_opt(P, cmd, key, val, st, &ok)) {
            if (!ok)
                return false;
        } else if (op == SOP_PROTECT && strcmp(key, "prot") == 0) {
            if (!need_prot(P, "protect: prot", val, &st->prot))
                return false;
            have_prot = true;
        } else {
            return perr(P, "%s: unknown option '%s'", cmd, key);
        }
    }
    if (op == SOP_PROTECT && !have_prot)
        return perr(P, "protect: expected prot=PROT (none, r, rw, rx, rwx)");
    if (op == SOP_INHERIT && !have_word)
        return perr(P, "inherit: expected copy, share or none");
    if (op == SOP_ADVISE && !have_word)
        return perr(P, "advise: expected normal, random or sequential");
    return true;
}

static bool cmd_protect(struct parser *P) { return cmd_range(P, SOP_PROTECT, "protect"); }
static bool cmd_wire(struct parser *P) { return cmd_range(P, SOP_WIRE, "wire"); }
static bool cmd_unwire(struct parser *P) { return cmd_range(P, SOP_UNWIRE, "unwire"); }
static bool cmd_unmap(struct parser *P) { return cmd_range(P, SOP_UNMAP, "unmap"); }
static bool cmd_inherit(struct parser *P) { return cmd_range(P, SOP_INHERIT, "inherit"); }
static bool cmd_advise(struct parser *P) { return cmd_range(P, SOP_ADVISE, "advise"); }

static bool cmd_read(struct parser *P, scn_op op, const char *cmd)
{
    struct scn_step *st = new_step(P, op);
    if (st == NULL || (st->proc = need_proc(P, cmd, 1)) < 0 || !need_addr(P, cmd, 2, st->proc, &st->addr))
        return false;
    st->size = 1;
    if (P->nt >= 4) {
        char what[32];
        snprintf(what, sizeof(what), "%s: length", cmd);
        if (!need_num(P, what, P->t[3].val, &st->size))
            return false;
        if (st->size == 0 || st->size > (1u << 24))
            return perr(P, "%s: length: expected 1 to 16M bytes, got '%s'", cmd, P->t[3].val);
    }
    return no_more(P, cmd, 4);
}

/* ---- SysV shared memory: shmget KEY size=|pages=, shmat NAME KEY [ADDR] [ro], shmrm KEY ---- */

static int shm_key_index(struct parser *P, uint64_t key)
{
    for (unsigned i = 0; i < P->nshm; i++)
        if (P->shm_keys[i] == key)
            return (int)i;
    return -1;
}

static bool need_shm_key(struct parser *P, const char *cmd, unsigned i, bool live, uint64_t *key)
{
    char what[32];
    snprintf(what, sizeof(what), "%s: key", cmd);
    if (P->nt <= i)
        return perr(P, "%s: expected the segment's key (a number)", cmd);
    if (!need_num(P, what, P->t[i].val, key))
        return false;
    if (live && shm_key_index(P, *key) < 0)
        return perr(P, "%s: no segment with key %llu (create it with 'shmget %llu size=BYTES' first)", cmd,
                    (unsigned long long)*key, (unsigned long long)*key);
    if (!live && shm_key_index(P, *key) >= 0)
        return perr(P, "%s: a segment with key %llu exists already", cmd, (unsigned long long)*key);
    return true;
}

static bool cmd_shmget(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_SHMGET);
    if (st == NULL || !need_shm_key(P, "shmget", 1, false, &st->key))
        return false;
    bool have = false;
    for (unsigned i = 2; i < P->nt; i++) {
        char key[16];
        const char *val;
        bool ok;
        if (!kv(P, i, key, sizeof(key), &val) || !range_opt(P, "shmget", key, val, st, &ok))
            return perr(P, "shmget: expected size=BYTES or pages=N, got '%s'", P->t[i].raw);
        if (!ok)
            return false;
        have = true;
    }
    if (!have)
        return perr(P, "shmget: expected the segment's size: size=BYTES or pages=N");
    if (P->nshm == P->shm_cap) {
        unsigned ncap = P->shm_cap ? P->shm_cap * 2 : 8;
        uint64_t *nk = realloc(P->shm_keys, ncap * sizeof(*nk));
        if (nk == NULL)
            return perr(P, "out of host memory");
        P->shm_keys = nk;
        P->shm_cap = ncap;
    }
    P->shm_keys[P->nshm++] = st->key;
    return true;
}

static bool cmd_shmat(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_SHMAT);
    if (st == NULL || (st->proc = need_proc(P, "shmat", 1)) < 0 || !need_shm_key(P, "shmat", 2, true, &st->key))
        return false;
    unsigned i = 3;
    if (i < P->nt && strcmp(P->t[i].val, "ro") != 0) {
        if (!need_addr(P, "shmat", i, st->proc, &st->addr))
            return false;
        i++;
    }
    if (i < P->nt && strcmp(P->t[i].val, "ro") == 0) {
        st->rdonly = true;
        i++;
    }
    return no_more(P, "shmat", i);
}

static bool cmd_shmrm(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_SHMRM);
    if (st == NULL || !need_shm_key(P, "shmrm", 1, true, &st->key))
        return false;
    int k = shm_key_index(P, st->key);
    P->shm_keys[k] = P->shm_keys[--P->nshm];
    return no_more(P, "shmrm", 2);
}

/* read PATH [OFFSET [LEN]]: read(2) of a file, no process involved. */
static bool cmd_readfile(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_READ);
    if (st == NULL)
        return false;
    if (P->nt < 2 || P->t[1].val[0] != '/')
        return perr(P, "read: expected the file's absolute path, e.g. /etc/motd");
    if (P->nmounts == 0)
        return perr(P, "read: no filesystem mounted (add 'image' and 'mount' lines first)");
    st->path = strdup(P->t[1].val);
    if (st->path == NULL)
        return perr(P, "out of host memory");
    st->size = 1;
    if (P->nt >= 3 && !need_num(P, "read: offset", P->t[2].val, &st->offset))
        return false;
    if (P->nt >= 4) {
        if (!need_num(P, "read: length", P->t[3].val, &st->size))
            return false;
        if (st->size == 0 || st->size > (1u << 24))
            return perr(P, "read: length: expected 1 to 16M bytes, got '%s'", P->t[3].val);
    }
    return no_more(P, "read", 4);
}

static bool cmd_fetch(struct parser *P) { return cmd_read(P, SOP_FETCH, "fetch"); }
static bool cmd_load(struct parser *P) { return cmd_read(P, SOP_LOAD, "load"); }

static bool cmd_store(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_STORE);
    if (st == NULL || (st->proc = need_proc(P, "store", 1)) < 0 || !need_addr(P, "store", 2, st->proc, &st->addr))
        return false;
    return need_bytes(P, "store", 3, &st->data, &st->datalen);
}

static bool cmd_fault(struct parser *P)
{
    struct scn_step *st = new_step(P, SOP_FAULT);
    if (st == NULL || (st->proc = need_proc(P, "fault", 1)) < 0 || !need_addr(P, "fault", 2, st->proc, &st->addr))
        return false;
    if (P->nt < 4 || !parse_access(P->t[3].val, &st->access))
        return perr(P, "fault: expected the access: fetch, load or store%s%s%s", P->nt >= 4 ? ", got '" : "",
                    P->nt >= 4 ? P->t[3].raw : "", P->nt >= 4 ? "'" : "");
    return no_more(P, "fault", 4);
}

/* ---- expect ---- */

static bool parse_cmp(const char *txt, scn_cmp *out)
{
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    if (strcmp(txt, "=") == 0) {
        *out = CMP_EQ;
        return true;
    }
    for (int i = 0; i < 6; i++)
        if (strcmp(txt, ops[i]) == 0) {
            *out = (scn_cmp)i;
            return true;
        }
    return false;
}

/* [OP] VALUE from token i. */
static bool need_cmp_value(struct parser *P, const char *what, unsigned i, scn_cmp *cmp, uint64_t *value)
{
    *cmp = CMP_EQ;
    if (i < P->nt && parse_cmp(P->t[i].val, cmp))
        i++;
    if (i >= P->nt)
        return perr(P, "%s: expected a value (optionally after =, !=, <, <=, >, >=)", what);
    if (!need_num(P, what, P->t[i].val, value))
        return false;
    return no_more(P, what, i + 1);
}

static bool is_access_step(const struct scn_step *st)
{
    return st->op == SOP_FETCH || st->op == SOP_LOAD || st->op == SOP_STORE || st->op == SOP_FAULT;
}

static const char *op_name(scn_op op)
{
    static const char *const n[] = {"machine", "image", "mount", "spawn", "exec", "fork", "exit", "switch",
                                    "map", "protect", "unmap", "inherit", "advise", "fetch", "load", "store",
                                    "fault", "show", "wire", "unwire", "shmget", "shmat", "shmrm", "read"};
    return n[op];
}

static bool parse_entry_checks(struct parser *P, struct scn_expect *ex, unsigned i)
{
    if (i >= P->nt)
        return perr(P, "expect entry: expected at least one PROPERTY=VALUE (prot, maxprot, inherit, advice, cow, needs-copy, shared, amap, amap-refs, object, offset, start, end, wired)");
    ex->checks = calloc(P->nt - i, sizeof(*ex->checks));
    if (ex->checks == NULL)
        return perr(P, "out of host memory");
    for (; i < P->nt; i++) {
        char key[16];
        const char *val;
        struct scn_echeck *c = &ex->checks[ex->nchecks];
        bool b;
        if (!kv(P, i, key, sizeof(key), &val))
            return perr(P, "expect entry: expected PROPERTY=VALUE, got '%s'", P->t[i].raw);
        static const struct { const char *n; scn_eprop p; int type; } props[] = {
            {"prot", EP_PROT, 0}, {"maxprot", EP_MAXPROT, 0}, {"inherit", EP_INHERIT, 1},
            {"advice", EP_ADVICE, 2}, {"cow", EP_COW, 3}, {"needs-copy", EP_NEEDS_COPY, 3},
            {"shared", EP_SHARED, 3}, {"amap", EP_AMAP, 3}, {"amap-refs", EP_AMAP_REFS, 4},
            {"object", EP_OBJECT, 5}, {"offset", EP_OFFSET, 4}, {"start", EP_START, 4}, {"end", EP_END, 4},
            {"wired", EP_WIRED, 4}};
        int k = -1;
        for (int j = 0; j < (int)(sizeof(props) / sizeof(props[0])); j++)
            if (strcmp(props[j].n, key) == 0)
                k = j;
        if (k < 0)
            return perr(P, "expect entry: unknown property '%s' (expected prot, maxprot, inherit, advice, cow, needs-copy, shared, amap, amap-refs, object, offset, start, end or wired)",
                        key);
        c->prop = props[k].p;
        char what[48];
        snprintf(what, sizeof(what), "expect entry: %s", key);
        switch (props[k].type) {
        case 0: {
            uvmsim_prot_t pr;
            if (!need_prot(P, what, val, &pr))
                return false;
            c->value = pr;
            break;
        }
        case 1: {
            uvmsim_inherit in;
            if (!parse_inherit(val, &in))
                return perr(P, "%s: expected copy, share or none, got '%s'", what, val);
            c->value = in;
            break;
        }
        case 2: {
            uvmsim_advice ad;
            if (!parse_advice(val, &ad))
                return perr(P, "%s: expected normal, random or sequential, got '%s'", what, val);
            c->value = ad;
            break;
        }
        case 3:
            if (!need_yesno(P, what, val, &b))
                return false;
            c->value = b;
            break;
        case 4:
            if (!need_num(P, what, val, &c->value))
                return false;
            break;
        default:
            if (strcmp(val, "none") && strcmp(val, "anon") && strcmp(val, "vnode") && strcmp(val, "xip-vnode") &&
                strcmp(val, "xip-pager"))
                return perr(P, "%s: expected none, anon, vnode, xip-vnode or xip-pager, got '%s'", what, val);
            c->str = strdup(val);
            if (c->str == NULL)
                return perr(P, "out of host memory");
            break;
        }
        ex->nchecks++;
    }
    return true;
}

static bool cmd_expect(struct parser *P)
{
    uvmsim_scn *s = P->s;
    if (s->nsteps == 0)
        return perr(P, "expect: no step before this line to check");
    struct scn_step *st = &s->steps[s->nsteps - 1];
    struct scn_expect *nex = realloc(st->ex, (st->nex + 1) * sizeof(*nex));
    if (nex == NULL)
        return perr(P, "out of host memory");
    st->ex = nex;
    struct scn_expect *ex = &nex[st->nex++];
    memset(ex, 0, sizeof(*ex));
    ex->line = P->line;
    ex->proc = ex->proc2 = -1;
    if (P->nt < 2)
        return perr(P, "expect: expected what to check (ok, error, fault, bytes, loc, writable, prot, pv, entry, mapped, same-page, different-page, or a counter)");
    const char *what = P->t[1].val;
    bool needs_access = false;
    if (strcmp(what, "ok") == 0) {
        ex->kind = EX_OK;
        return no_more(P, "expect ok", 2);
    }
    if (strcmp(what, "error") == 0) {
        ex->kind = EX_ERROR;
        if (P->nt < 3)
            return perr(P, "expect error: expected an error name such as EACCES");
        for (int e = 1; e < UVMSIM_ERR_COUNT; e++)
            if (strcmp(uvmsim_errname(e), P->t[2].val) == 0)
                ex->err = e;
        if (ex->err == 0) {
            struct sbuf b = {0};
            for (int e = 1; e < UVMSIM_ERR_COUNT; e++)
                uvmsim_sb_printf(&b, "%s%s", e > 1 ? ", " : "", uvmsim_errname(e));
            perr(P, "expect error: unknown error name '%s' (expected one of %s)", P->t[2].val, uvmsim_sb_str(&b));
            uvmsim_sb_free(&b);
            return false;
        }
        return no_more(P, "expect error", 3);
    }
    if (strcmp(what, "fault") == 0) {
        ex->kind = EX_FAULT;
        needs_access = true;
        if (P->nt < 3)
            return perr(P, "expect fault: expected a fault class (upper-direct, upper-promote, lower-direct, lower-promote, zero-fill, error) or none");
        ex->cls = strcmp(P->t[2].val, "none") == 0 ? -1 : uvmsim_fault_class_parse(P->t[2].val);
        if (ex->cls == -1 && strcmp(P->t[2].val, "none") != 0)
            return perr(P, "expect fault: expected a fault class (upper-direct, upper-promote, lower-direct, lower-promote, zero-fill, error) or none, got '%s'",
                        P->t[2].val);
        if (!no_more(P, "expect fault", 3))
            return false;
    } else if (strcmp(what, "bytes") == 0) {
        ex->kind = EX_BYTES;
        if (st->op != SOP_LOAD && st->op != SOP_FETCH && st->op != SOP_READ)
            return perr(P, "expect bytes: the step on line %u is a %s, not a load, fetch or read", st->line, op_name(st->op));
        if (!need_bytes(P, "expect bytes", 2, &ex->data, &ex->datalen))
            return false;
    } else if (strcmp(what, "loc") == 0) {
        ex->kind = EX_LOC;
        needs_access = true;
        if (P->nt < 3 || !parse_loc(P->t[2].val, &ex->loc))
            return perr(P, "expect loc: expected ram, nor, zero or none%s%s%s", P->nt >= 3 ? ", got '" : "",
                        P->nt >= 3 ? P->t[2].raw : "", P->nt >= 3 ? "'" : "");
        if (!no_more(P, "expect loc", 3))
            return false;
    } else if (strcmp(what, "writable") == 0) {
        ex->kind = EX_WRITABLE;
        needs_access = true;
        if (P->nt < 3)
            return perr(P, "expect writable: expected yes or no");
        if (!need_yesno(P, "expect writable", P->t[2].val, &ex->flag) || !no_more(P, "expect writable", 3))
            return false;
    } else if (strcmp(what, "prot") == 0) {
        ex->kind = EX_PROT;
        needs_access = true;
        if (P->nt < 3)
            return perr(P, "expect prot: expected a protection such as r-x");
        if (!need_prot(P, "expect prot", P->t[2].val, &ex->prot) || !no_more(P, "expect prot", 3))
            return false;
    } else if (strcmp(what, "pv") == 0) {
        ex->kind = EX_PV;
        unsigned i = 2;
        if (i < P->nt && !isdigit((unsigned char)P->t[i].val[0])) {
            if ((ex->proc = need_proc(P, "expect pv", i)) < 0 || !need_addr(P, "expect pv", i + 1, ex->proc, &ex->addr))
                return false;
            i += 2;
        } else if (i >= P->nt || !need_num(P, "expect pv: physical address", P->t[i].val, &ex->pa)) {
            return P->failed ? false : perr(P, "expect pv: expected a physical address, or a process and a virtual address");
        } else {
            i++;
        }
        return need_cmp_value(P, "expect pv", i, &ex->cmp, &ex->value);
    } else if (strcmp(what, "entry") == 0) {
        ex->kind = EX_ENTRY;
        if ((ex->proc = need_proc(P, "expect entry", 2)) < 0 || !need_addr(P, "expect entry", 3, ex->proc, &ex->addr))
            return false;
        return parse_entry_checks(P, ex, 4);
    } else if (strcmp(what, "mapped") == 0) {
        ex->kind = EX_MAPPED;
        if ((ex->proc = need_proc(P, "expect mapped", 2)) < 0 || !need_addr(P, "expect mapped", 3, ex->proc, &ex->addr))
            return false;
        if (P->nt < 5 || !parse_loc(P->t[4].val, &ex->loc))
            return perr(P, "expect mapped: expected ram, nor, zero or none after the address");
        return no_more(P, "expect mapped", 5);
    } else if (strcmp(what, "same-page") == 0 || strcmp(what, "different-page") == 0) {
        ex->kind = EX_SAME;
        ex->flag = what[0] == 's';
        const char *w = ex->flag ? "expect same-page" : "expect different-page";
        if ((ex->proc = need_proc(P, w, 2)) < 0 || !need_addr(P, w, 3, ex->proc, &ex->addr) ||
            (ex->proc2 = need_proc(P, w, 4)) < 0 || !need_addr(P, w, 5, ex->proc2, &ex->addr2))
            return false;
        return no_more(P, w, 6);
    } else {
        ex->kind = EX_NUM;
        if (!uvmsim_scn_key_parse(what, slot_find_cb, P, &ex->key)) {
            struct sbuf b = {0};
            uvmsim_scn_key_list(&b);
            perr(P, "expect: unknown check or counter '%s' (checks: ok, error, fault, bytes, loc, writable, prot, pv, entry, mapped, same-page, different-page; counters: %s)",
                 what, uvmsim_sb_str(&b));
            uvmsim_sb_free(&b);
            return false;
        }
        if (ex->key.src == SRC_STEP && !is_access_step(st))
            return perr(P, "expect %s: the step on line %u is a %s, which takes no fault (expect %s follows fetch, load, store or fault)",
                        what, st->line, op_name(st->op), what);
        char w[64];
        snprintf(w, sizeof(w), "expect %s", what);
        return need_cmp_value(P, w, 2, &ex->cmp, &ex->value);
    }
    if (needs_access && !is_access_step(st))
        return perr(P, "expect %s: the step on line %u is a %s, which takes no fault (expect %s follows fetch, load, store or fault)",
                    what, st->line, op_name(st->op), what);
    return true;
}

/* ---- driver ---- */

static const struct {
    const char *name;
    bool (*fn)(struct parser *P);
} commands[] = {
    {"machine", cmd_machine}, {"image", cmd_image}, {"mount", cmd_mount}, {"spawn", cmd_spawn},
    {"exec", cmd_exec}, {"fork", cmd_fork}, {"exit", cmd_exit}, {"switch", cmd_switch},
    {"map", cmd_map}, {"protect", cmd_protect}, {"unmap", cmd_unmap}, {"inherit", cmd_inherit},
    {"advise", cmd_advise}, {"fetch", cmd_fetch}, {"load", cmd_load}, {"store", cmd_store},
    {"fault", cmd_fault}, {"show", cmd_show}, {"expect", cmd_expect},
    {"wire", cmd_wire}, {"unwire", cmd_unwire}, {"shmget", cmd_shmget}, {"shmat", cmd_shmat},
    {"shmrm", cmd_shmrm}, {"read", cmd_readfile},
};

static bool parse_line(struct parser *P, const char *line, size_t len)
{
    size_t cmd_end;
    toks_clear(P);
    if (!lex_line(P, line, len, &cmd_end))
        return false;
    if (P->nt == 0)
        return true;
    const char *w = P->t[0].val;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, w) != 0)
            continue;
        unsigned before = P->s->nsteps;
        bool ok = commands[i].fn(P);
        /* the command's text, for step lines and messages */
        const char *start = line;
        while (start < line + cmd_end && isspace((unsigned char)*start))
            start++;
        char *copy = strndup(start, (size_t)(line + cmd_end - start));
        if (copy == NULL)
            return perr(P, "out of host memory");
        if (commands[i].fn == cmd_expect && P->s->nsteps > 0) {
            struct scn_step *st = &P->s->steps[P->s->nsteps - 1];
            if (st->nex > 0 && st->ex[st->nex - 1].text == NULL && st->ex[st->nex - 1].line == P->line) {
                st->ex[st->nex - 1].text = copy;
                copy = NULL;
            }
        } else if (P->s->nsteps > before) {
            P->s->steps[P->s->nsteps - 1].text = copy;
            copy = NULL;
        }
        free(copy);
        return ok;
    }
    return perr(P, "unknown command '%s' (expected machine, image, mount, spawn, exec, fork, exit, switch, map, protect, unmap, inherit, advise, wire, unwire, shmget, shmat, shmrm, read, fetch, load, store, fault, show or expect)",
                P->t[0].raw);
}

int uvmsim_scn_parse(const char *name, const char *text, size_t len, const char *base_dir,
                     uvmsim_scn **out, char *err, size_t errlen)
{
    char dummy[1];             /* messages go nowhere when the caller gives no buffer */
    struct parser P;
    memset(&P, 0, sizeof(P));
    P.name = name ? name : "<scenario>";
    P.err = err && errlen ? err : dummy;
    P.errlen = err && errlen ? errlen : sizeof(dummy);
    P.err[0] = '\0';
    P.base_dir = base_dir;
    if (out)
        *out = NULL;
    if (text == NULL || out == NULL) {
        P.line = 0;
        perr(&P, "no scenario text");
        return UVMSIM_SCN_INPUT;
    }
    P.s = calloc(1, sizeof(*P.s));
    if (P.s == NULL || (P.s->name = strdup(P.name)) == NULL || (P.s->text = malloc(len + 1)) == NULL) {
        if (P.s)
            free(P.s->name);
        free(P.s);
        perr(&P, "out of host memory");
        return UVMSIM_SCN_INPUT;
    }
    memcpy(P.s->text, text, len);
    P.s->text[len] = '\0';
    P.s->textlen = len;
    const char *p = text, *end = text + len;
    while (p < end && !P.failed) {
        P.line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (memchr(p, '\0', ll) != NULL)
            perr(&P, "a NUL byte in the line: this is not a text file");
        else
            parse_line(&P, p, ll);
        p = nl ? nl + 1 : end;
    }
    toks_clear(&P);
    free(P.t);
    free(P.alive);
    free(P.shm_keys);
    free(P.execd);
    free(P.exit_line);
    if (!P.failed && P.s->nsteps == 0) {
        P.line = P.line ? P.line : 1;
        perr(&P, "the scenario has no steps (expected commands such as spawn, map, store)");
    }
    if (P.failed) {
        uvmsim_scn_free(P.s);
        return UVMSIM_SCN_INPUT;
    }
    *out = P.s;
    return UVMSIM_SCN_OK;
}

int uvmsim_scn_load(const char *path, uvmsim_scn **out, char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    bool is_stdin = path && strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : (path ? fopen(path, "rb") : NULL);
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path ? path : "(null)", strerror(errno));
        return UVMSIM_SCN_INPUT;
    }
    struct sbuf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        for (size_t i = 0; i < n; i++)
            uvmsim_sb_putc(&b, chunk[i]);
    bool rerr = ferror(f) != 0;
    if (!is_stdin)
        fclose(f);
    if (rerr || b.oom) {
        snprintf(err, errlen, "%s: cannot read: %s", is_stdin ? "<stdin>" : path, rerr ? strerror(errno) : "out of memory");
        uvmsim_sb_free(&b);
        return UVMSIM_SCN_INPUT;
    }
    /* relative image paths are relative to the scenario file */
    char *dir = NULL;
    if (!is_stdin) {
        const char *slash = strrchr(path, '/');
        dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    }
    int rc = uvmsim_scn_parse(is_stdin ? "<stdin>" : path, b.s ? b.s : "", b.len, dir, out, err, errlen);
    free(dir);
    uvmsim_sb_free(&b);
    return rc;
}

void uvmsim_scn_free(uvmsim_scn *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < s->nsteps; i++) {
        struct scn_step *st = &s->steps[i];
        free(st->text);
        free(st->path);
        free(st->data);
        free(st->pmap_name);
        for (unsigned k = 0; k < st->nex; k++) {
            free(st->ex[k].text);
            free(st->ex[k].data);
            for (unsigned c = 0; c < st->ex[k].nchecks; c++)
                free(st->ex[k].checks[c].str);
            free(st->ex[k].checks);
        }
        free(st->ex);
    }
    free(s->steps);
    for (unsigned i = 0; i < s->nprocs; i++)
        free(s->procs[i]);
    free(s->procs);
    free(s->name);
    free(s->text);
    free(s);
}

unsigned uvmsim_scn_nsteps(const uvmsim_scn *s)
{
    return s ? s->nsteps : 0;
}

const char *uvmsim_scn_pmap(const uvmsim_scn *s)
{
    if (s && s->has_machine && s->steps[0].cfg.pmap)
        return s->steps[0].cfg.pmap;
    return "generic";
}
