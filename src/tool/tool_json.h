/* uvmsim programs' JSON output: a tiny streaming writer so every --json is valid JSON
 * (commas, escapes, nesting) without each program printing braces by hand.  Numbers that
 * are addresses are written as hex strings ("0x1000") so no JSON reader loses bits.
 *
 *   struct tool_json j;
 *   tj_begin(&j, stdout);            // opens the top-level object
 *   tj_u64(&j, "records", n);
 *   tj_obj(&j, "tlb"); tj_u64(&j, "hits", h); tj_end(&j);
 *   tj_finish(&j);                   // closes it, newline */
#ifndef UVMSIM_TOOL_JSON_H
#define UVMSIM_TOOL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TJ_MAX_DEPTH 16

struct tool_json {
    FILE *f;
    int depth;                      /* open containers; 0 after tj_finish */
    bool first[TJ_MAX_DEPTH];       /* nothing written yet in container [depth-1] */
    bool array[TJ_MAX_DEPTH];       /* container [depth-1] is an array (values have no key) */
};

void tj_begin(struct tool_json *j, FILE *f);
void tj_finish(struct tool_json *j);
/* Open an object / array as member `key` (NULL inside an array); close with tj_end. */
void tj_obj(struct tool_json *j, const char *key);
void tj_arr(struct tool_json *j, const char *key);
void tj_end(struct tool_json *j);
void tj_str(struct tool_json *j, const char *key, const char *val);   /* NULL: null */
void tj_u64(struct tool_json *j, const char *key, uint64_t val);
void tj_i64(struct tool_json *j, const char *key, int64_t val);
void tj_f64(struct tool_json *j, const char *key, double val);        /* %.6g; NaN/inf: null */
void tj_bool(struct tool_json *j, const char *key, bool val);
void tj_hex(struct tool_json *j, const char *key, uint64_t val);      /* "0x..." */
/* A JSON string literal of s (quotes and escapes) on f. */
void tj_write_string(FILE *f, const char *s);

#endif
