/* uvmsim programs' shared command line (tool_opt.h): strict numbers, sizes, choices and
 * one option loop, so every executable refuses the same junk the same way. */
#include <stdio.h>
#include <string.h>
#include "tool_opt.h"
#include "uvmsim/uvmsim.h"

/* Digits only (or 0x and hex digits): no sign, no blanks, no exponent, no suffix. */
static bool digits(const char *s, uint64_t *out, const char **end)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    uint64_t v = 0;
    const char *p = s;
    for (;; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return false;   /* overflow */
        v = v * base + d;
    }
    if (p == s)
        return false;
    *out = v;
    *end = p;
    return true;
}

static bool range_ok(const char *prog, const char *opt, const char *text, uint64_t v, uint64_t min, uint64_t max)
{
    if (v >= min && v <= max)
        return true;
    fprintf(stderr, "%s: %s: '%s' is out of range (%llu to %llu)\n", prog, opt, text,
            (unsigned long long)min, (unsigned long long)max);
    return false;
}

bool tool_parse_u64(const char *prog, const char *opt, const char *text, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    uint64_t v;
    const char *end;
    if (text == NULL || !digits(text, &v, &end) || *end != '\0') {
        fprintf(stderr, "%s: %s: '%s' is not a number (a whole number from %llu to %llu)\n", prog, opt,
                text ? text : "", (unsigned long long)min, (unsigned long long)max);
        return false;
    }
    if (!range_ok(prog, opt, text, v, min, max))
        return false;
    *out = v;
    return true;
}

bool tool_parse_size(const char *prog, const char *opt, const char *text, uint64_t min, uint64_t max,
                     uint64_t *out)
{
    uint64_t v;
    const char *end;
    if (text == NULL || !digits(text, &v, &end))
        goto bad;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: break;
    }
    if (shift) {
        end++;
        if (end[0] == 'i' && end[1] == 'B')
            end += 2;
        else if (end[0] == 'B')
            end++;
    } else if (end[0] == 'B') {
        end++;
    }
    if (*end != '\0')
        goto bad;
    if (shift && v > (UINT64_MAX >> shift)) {
        fprintf(stderr, "%s: %s: '%s' is too large\n", prog, opt, text);
        return false;
    }
    v <<= shift;
    if (!range_ok(prog, opt, text, v, min, max))
        return false;
    *out = v;
    return true;
bad:
    fprintf(stderr, "%s: %s: '%s' is not a size (a whole number of bytes, optionally with K, M, G or T)\n",
            prog, opt, text ? text : "");
    return false;
}

int tool_parse_choice(const char *prog, const char *opt, const char *text, const char *const *choices)
{
    for (int i = 0; choices[i] != NULL; i++)
        if (text != NULL && strcmp(text, choices[i]) == 0)
            return i;
    fprintf(stderr, "%s: %s: no '%s' (valid:", prog, opt, text ? text : "");
    for (int i = 0; choices[i] != NULL; i++)
        fprintf(stderr, " %s", choices[i]);
    fprintf(stderr, ")\n");
    return -1;
}

bool tool_parse_u64_list(const char *prog, const char *opt, const char *text, uint64_t min, uint64_t max,
                         uint64_t *out, unsigned cap, unsigned *n)
{
    *n = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[32];
        if (len == 0 || len >= sizeof(item)) {
            fprintf(stderr, "%s: %s: '%s' is not a comma-separated list of numbers\n", prog, opt, text);
            return false;
        }
        if (*n == cap) {
            fprintf(stderr, "%s: %s: more than %u items in '%s'\n", prog, opt, cap, text);
            return false;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (!tool_parse_u64(prog, opt, item, min, max, &out[*n]))
            return false;
        (*n)++;
        if (comma == NULL)
            return true;
        p = comma + 1;
    }
}

void tool_print_version(const char *prog)
{
    printf("%s (uvmsim) %s\n", prog, uvmsim_version());
}

int tool_finish(const char *prog, int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: cannot write the output\n", prog);
        return status == TOOL_EXIT_OK ? TOOL_EXIT_SIMERR : status;
    }
    return status;
}

/* Store one option's value; false after a message. */
static bool take(const struct tool_cmd *c, const struct tool_opt *o, const char *shown, const char *val)
{
    uint64_t v;
    switch (o->kind) {
    case TOOL_FLAG:
        *(bool *)o->dest = true;
        break;
    case TOOL_UINT:
        if (!tool_parse_u64(c->prog, shown, val, o->min, o->max > UINT32_MAX ? UINT32_MAX : o->max, &v))
            return false;
        *(unsigned *)o->dest = (unsigned)v;
        break;
    case TOOL_U64:
        if (!tool_parse_u64(c->prog, shown, val, o->min, o->max, &v))
            return false;
        *(uint64_t *)o->dest = v;
        break;
    case TOOL_SIZE:
        if (!tool_parse_size(c->prog, shown, val, o->min, o->max, &v))
            return false;
        *(uint64_t *)o->dest = v;
        break;
    case TOOL_STR:
        *(const char **)o->dest = val;
        break;
    case TOOL_CHOICE: {
        int i = tool_parse_choice(c->prog, shown, val, o->choices);
        if (i < 0)
            return false;
        *(int *)o->dest = i;
        break;
    }
    case TOOL_STRS: {
        struct tool_strs *l = o->dest;
        if (l->n == l->cap) {
            fprintf(stderr, "%s: %s: given more than %u times\n", c->prog, shown, l->cap);
            return false;
        }
        l->items[l->n++] = val;
        break;
    }
    }
    if (o->seen)
        *o->seen = true;
    return true;
}

static int usage_error(const struct tool_cmd *c)
{
    fprintf(stderr, "%s: try %s --help\n", c->prog, c->prog);
    return TOOL_EXIT_USAGE;
}

int tool_parse(const struct tool_cmd *c, int argc, char **argv, unsigned *npos)
{
    unsigned np = 0;
    bool options_done = false;
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') {   /* "-" is a positional (stdin) */
            if (np == c->max_pos) {
                if (c->max_pos)
                    fprintf(stderr, "%s: unexpected argument '%s' (arguments: %s)\n", c->prog, a, c->pos_name);
                else
                    fprintf(stderr, "%s: unexpected argument '%s' (this command takes none)\n", c->prog, a);
                return usage_error(c);
            }
            c->pos[np++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            c->usage(stdout);
            return TOOL_PARSE_DONE;
        }
        if (strcmp(a, "--version") == 0) {
            tool_print_version(c->prog);
            return TOOL_PARSE_DONE;
        }
        const struct tool_opt *o = NULL;
        const char *inline_val = NULL;
        char shown[64];
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            for (unsigned k = 0; k < c->nopts && o == NULL; k++)
                if (strlen(c->opts[k].name) == len && strncmp(c->opts[k].name, name, len) == 0)
                    o = &c->opts[k];
            if (eq)
                inline_val = eq + 1;
        } else if (a[2] == '\0') {
            for (unsigned k = 0; k < c->nopts && o == NULL; k++)
                if (c->opts[k].short_name == a[1])
                    o = &c->opts[k];
        }
        if (o == NULL) {
            fprintf(stderr, "%s: unknown option '%s'\n", c->prog, a);
            return usage_error(c);
        }
        snprintf(shown, sizeof(shown), "--%s", o->name);
        const char *val = NULL;
        if (o->kind == TOOL_FLAG) {
            if (inline_val) {
                fprintf(stderr, "%s: %s takes no value (got '%s')\n", c->prog, shown, inline_val);
                return usage_error(c);
            }
        } else if (inline_val) {
            val = inline_val;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "%s: %s needs a value\n", c->prog, shown);
            return usage_error(c);
        }
        if (!take(c, o, shown, val))
            return usage_error(c);
    }
    if (np < c->min_pos) {
        fprintf(stderr, "%s: missing argument (arguments: %s)\n", c->prog, c->pos_name);
        return usage_error(c);
    }
    *npos = np;
    return TOOL_PARSE_OK;
}
