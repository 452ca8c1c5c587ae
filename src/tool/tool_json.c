/* uvmsim programs' JSON output (tool_json.h): a streaming writer that places the commas
 * and escapes, so a program only says what it has. */
#include <math.h>
#include "tool_json.h"

void tj_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* The separator and key before a value in the current container. */
static void member(struct tool_json *j, const char *key)
{
    if (j->depth == 0)
        return;
    int d = j->depth - 1;
    if (!j->first[d])
        fputs(", ", j->f);
    j->first[d] = false;
    if (!j->array[d] && key != NULL) {
        tj_write_string(j->f, key);
        fputs(": ", j->f);
    }
}

static void open_container(struct tool_json *j, const char *key, bool array)
{
    member(j, key);
    fputc(array ? '[' : '{', j->f);
    if (j->depth < TJ_MAX_DEPTH) {
        j->first[j->depth] = true;
        j->array[j->depth] = array;
    }
    j->depth++;
}

void tj_begin(struct tool_json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    open_container(j, NULL, false);
}

void tj_finish(struct tool_json *j)
{
    while (j->depth > 0)
        tj_end(j);
    fputc('\n', j->f);
}

void tj_obj(struct tool_json *j, const char *key) { open_container(j, key, false); }
void tj_arr(struct tool_json *j, const char *key) { open_container(j, key, true); }

void tj_end(struct tool_json *j)
{
    if (j->depth == 0)
        return;
    j->depth--;
    fputc(j->depth < TJ_MAX_DEPTH && j->array[j->depth] ? ']' : '}', j->f);
}

void tj_str(struct tool_json *j, const char *key, const char *val)
{
    member(j, key);
    if (val == NULL)
        fputs("null", j->f);
    else
        tj_write_string(j->f, val);
}

void tj_u64(struct tool_json *j, const char *key, uint64_t val)
{
    member(j, key);
    fprintf(j->f, "%llu", (unsigned long long)val);
}

void tj_i64(struct tool_json *j, const char *key, int64_t val)
{
    member(j, key);
    fprintf(j->f, "%lld", (long long)val);
}

void tj_f64(struct tool_json *j, const char *key, double val)
{
    member(j, key);
    if (isfinite(val))
        fprintf(j->f, "%.6g", val);
    else
        fputs("null", j->f);
}

void tj_bool(struct tool_json *j, const char *key, bool val)
{
    member(j, key);
    fputs(val ? "true" : "false", j->f);
}

void tj_hex(struct tool_json *j, const char *key, uint64_t val)
{
    member(j, key);
    fprintf(j->f, "\"0x%llx\"", (unsigned long long)val);
}
