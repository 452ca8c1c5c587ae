/* Scenario library: text helpers — growing strings and arrays, JSON string escaping,
 * byte strings shown the way a scenario writes them, protection and access names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scn_internal.h"

static bool sb_reserve(struct sbuf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap : 128;
    while (ncap < b->len + more + 1)
        ncap *= 2;
    char *ns = realloc(b->s, ncap);
    if (ns == NULL) {
        b->oom = true;
        return false;
    }
    b->s = ns;
    b->cap = ncap;
    return true;
}

void uvmsim_sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !sb_reserve(b, (size_t)n))
        return;
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void uvmsim_sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    uvmsim_sb_vprintf(b, fmt, ap);
    va_end(ap);
}

void uvmsim_sb_putc(struct sbuf *b, char c)
{
    if (!sb_reserve(b, 1))
        return;
    b->s[b->len++] = c;
    b->s[b->len] = '\0';
}

void uvmsim_sb_json_str(struct sbuf *b, const char *s)
{
    uvmsim_sb_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': uvmsim_sb_printf(b, "\\\""); break;
        case '\\': uvmsim_sb_printf(b, "\\\\"); break;
        case '\n': uvmsim_sb_printf(b, "\\n"); break;
        case '\t': uvmsim_sb_printf(b, "\\t"); break;
        case '\r': uvmsim_sb_printf(b, "\\r"); break;
        default:
            if (*p < 0x20)
                uvmsim_sb_printf(b, "\\u%04x", *p);
            else
                uvmsim_sb_putc(b, (char)*p);
        }
    }
    uvmsim_sb_putc(b, '"');
}

void uvmsim_sb_bytes(struct sbuf *b, const uint8_t *p, size_t n)
{
    bool printable = true;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            printable = false;
    if (printable) {
        /* long text reads are summarised too: the first 64 bytes and the count */
        size_t show = n > 64 ? 64 : n;
        uvmsim_sb_putc(b, '"');
        for (size_t i = 0; i < show; i++) {
            if (p[i] == '"' || p[i] == '\\')
                uvmsim_sb_putc(b, '\\');
            uvmsim_sb_putc(b, (char)p[i]);
        }
        uvmsim_sb_putc(b, '"');
        if (show < n)
            uvmsim_sb_printf(b, " ... (%zu bytes)", n);
        return;
    }
    /* long binary reads are summarised: the first 16 bytes and the count */
    size_t show = n > 16 ? 16 : n;
    for (size_t i = 0; i < show; i++)
        uvmsim_sb_printf(b, "%s0x%02x", i ? " " : "", p[i]);
    if (show < n)
        uvmsim_sb_printf(b, " ... (%zu bytes)", n);
}

bool uvmsim_scn_grow(void **arr, unsigned n, unsigned *cap, size_t elem)
{
    if (n < *cap)
        return true;
    unsigned ncap = *cap ? *cap * 2 : 8;
    void *na = realloc(*arr, (size_t)ncap * elem);
    if (na == NULL)
        return false;
    *arr = na;
    *cap = ncap;
    return true;
}

void uvmsim_sb_free(struct sbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof(*b));
}

const char *uvmsim_scn_prot_str(uvmsim_prot_t p, char buf[4])
{
    buf[0] = (p & UVMSIM_PROT_READ) ? 'r' : '-';
    buf[1] = (p & UVMSIM_PROT_WRITE) ? 'w' : '-';
    buf[2] = (p & UVMSIM_PROT_EXEC) ? 'x' : '-';
    buf[3] = '\0';
    return buf;
}

const char *uvmsim_scn_access_name(uvmsim_access a)
{
    switch (a) {
    case UVMSIM_ACCESS_FETCH: return "fetch";
    case UVMSIM_ACCESS_LOAD: return "load";
    default: return "store";
    }
}

const char *uvmsim_scn_brief(const char *text, char *buf, size_t len)
{
    size_t n = strlen(text);
    if (n < len)
        return text;
    /* room for the suffix: " ... (" + 20 digits + " bytes)" + NUL */
    size_t keep = len > 40 ? len - 40 : 0;
    snprintf(buf, len, "%.*s ... (%zu bytes)", (int)keep, text, n);
    return buf;
}

/* A TLB dimension: decimal digits only. */
static bool tlb_num(const char *s, uint64_t *out)
{
    if (s == NULL || *s == '\0' || strlen(s) > 6)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static bool tlb_fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool tlb_fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return false;
}

bool uvmsim_scn_tlb_parse(const char *val, uvmsim_tlb_config *tlb, char *why, size_t whylen)
{
    if (strcmp(val, "off") == 0 || strcmp(val, "none") == 0) {
        tlb->entries = 0;
        return true;
    }
    char buf[64];
    if (strlen(val) >= sizeof(buf))
        return tlb_fail(why, whylen, "expected ENTRIES/WAYS/REPL[/split], got '%s'", val);
    strcpy(buf, val);
    char *parts[5] = {0};
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok && n < 5; tok = strtok_r(NULL, "/", &save))
        parts[n++] = tok;
    uint64_t entries, ways = 0;
    if (n < 1 || n > 4 || !tlb_num(parts[0], &entries) || entries > 65536)
        return tlb_fail(why, whylen, "expected ENTRIES/WAYS/REPL[/split] (e.g. 64/4/lru), got '%s'", val);
    tlb->entries = (unsigned)entries;
    if (n >= 2 && strcmp(parts[1], "full") != 0 && (!tlb_num(parts[1], &ways) || ways > entries))
        return tlb_fail(why, whylen, "expected WAYS as a number up to ENTRIES or 'full', got '%s'", parts[1]);
    tlb->ways = (unsigned)ways;
    if (n >= 3) {
        if (strcmp(parts[2], "lru") == 0)
            tlb->repl = UVMSIM_TLB_LRU;
        else if (strcmp(parts[2], "fifo") == 0)
            tlb->repl = UVMSIM_TLB_FIFO;
        else if (strcmp(parts[2], "random") == 0)
            tlb->repl = UVMSIM_TLB_RANDOM;
        else
            return tlb_fail(why, whylen, "expected replacement lru, fifo or random, got '%s'", parts[2]);
    }
    if (n == 4) {
        if (strcmp(parts[3], "split") == 0)
            tlb->split = true;
        else if (strcmp(parts[3], "unified") == 0)
            tlb->split = false;
        else
            return tlb_fail(why, whylen, "expected split or unified, got '%s'", parts[3]);
    }
    return true;
}
