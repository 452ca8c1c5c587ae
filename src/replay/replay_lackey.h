/* Internal to libuvmsim: the fast decoder of Lackey's own line shapes, shared by the
 * replayer's loop (replay.c) and the threads that decode a trace file ahead of it
 * (replay_ahead.c).  Pure functions of the bytes: no replayer state.
 * ---- the fast parser (Lackey's own shapes) ----
 * x86-64 and 32-bit x86 with SSE2 (little-endian loads); elsewhere every line goes to
 * the careful parser. */
#ifndef UVMSIM_REPLAY_LACKEY_H
#define UVMSIM_REPLAY_LACKEY_H

#include <stdint.h>
#include <string.h>
#include "uvmsim/replay.h"

#if defined(__SSE2__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define RP_FAST_PARSE 1
#include <emmintrin.h>

/* Bytes the fast parser may read from the start of a block of 64 (the block, and 32
 * past the start of the last line that ends in it). */
#define RP_LOOKAHEAD 96

/* Bit i set: p[i] is a newline, for i < 64. */
static inline uint64_t rp_nl_mask(const unsigned char *p)
{
    const __m128i nl = _mm_set1_epi8('\n');
    uint64_t m0 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), nl));
    uint64_t m1 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), nl));
    uint64_t m2 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), nl));
    uint64_t m3 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), nl));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}

/* The four prefixes Lackey writes, by their second byte & 7 (' ' 0, 'S' 3, 'L' 4, 'M'
 * 5): the three bytes as a little-endian word, and the record kind + 1 above them.
 * Other slots are 0, which three bytes loaded from slot 0's index never are. */
static const uint32_t rp_prefix[8] = {
    [0] = 0x202049u | (UVMSIM_REC_I + 1u) << 24, [4] = 0x204c20u | (UVMSIM_REC_L + 1u) << 24,
    [3] = 0x205320u | (UVMSIM_REC_S + 1u) << 24, [5] = 0x204d20u | (UVMSIM_REC_M + 1u) << 24,
};
/* The classes a line may have after its prefix, 16 bytes from 16 - (address digits):
 * 1 hex digit (the address), 4 the comma, 2 decimal digit (the size, 4 at most), 0
 * nothing (past the size). */
static const uint8_t rp_shape[40] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 2, 2, 2, 2,
};

/* Per byte of x: *dg all ones where it is a decimal digit, *lw where it is one of 'a'
 * to 'f' (both by one signed compare of the byte moved to the bottom of the range). */
static inline __attribute__((always_inline)) void rp_hex_classes(__m128i x, __m128i *dg, __m128i *lw)
{
    *dg = _mm_cmpgt_epi8(_mm_set1_epi8(-118), _mm_add_epi8(x, _mm_set1_epi8((char)(0x80 - '0'))));
    *lw = _mm_cmpgt_epi8(_mm_set1_epi8(-122), _mm_add_epi8(x, _mm_set1_epi8((char)(0x80 - 'a'))));
}

/* The value of x's first nd (1 to 16) bytes, lower-case hex digits (lw from
 * rp_hex_classes): nibbles, paired into bytes, the first digit most significant. */
static inline __attribute__((always_inline)) uint64_t rp_hex_value(__m128i x, __m128i lw, unsigned nd)
{
    __m128i nib = _mm_add_epi8(_mm_and_si128(x, _mm_set1_epi8(0x0f)), _mm_and_si128(lw, _mm_set1_epi8(9)));
    __m128i pairs = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(nib, 4), _mm_srli_epi16(nib, 8)), _mm_set1_epi16(0xff));
    uint64_t v;
    _mm_storel_epi64((__m128i *)&v, _mm_packus_epi16(pairs, pairs));
    return __builtin_bswap64(v) >> (4u * (16u - nd));
}

/* The line [p, e) (*e its newline; p[0, 32) readable) when it has Lackey's own shape:
 * "I  ", " L ", " S " or " M ", 1 to 13 lower-case hex digits, a comma, 1 to 4 decimal
 * digits (not all zeros), and nothing else, in 18 bytes at most.  Returns the kind + 1
 * with *addr and *size, or 0: a line for the careful parser, which accepts every line
 * this one does with the same values (and decides the rest).  No wrap is possible:
 * the address is below 2^52 and the size below 10^4. */
static inline __attribute__((always_inline)) unsigned rp_fast_line(const unsigned char *p, const unsigned char *e,
                                                                   uint64_t *addr, uint64_t *size)
{
    uint32_t w;
    memcpy(&w, p, 4);
    w &= 0xffffffu;
    uint32_t pre = rp_prefix[(w >> 8) & 7u];
    unsigned len = (unsigned)(e - p) - 3u;          /* the newline's index in x */
    /* x: the 16 bytes after the prefix; each byte's classes against those its place
     * wants once the comma is found */
    __m128i x = _mm_loadu_si128((const __m128i *)(p + 3)), dg, lw;
    rp_hex_classes(x, &dg, &lw);
    __m128i cm = _mm_cmpeq_epi8(x, _mm_set1_epi8(','));
    unsigned comma = (unsigned)_mm_movemask_epi8(cm);
    unsigned nd = (unsigned)__builtin_ctz(comma | 0x10000u);   /* address digits (16: no comma) */
    __m128i cls = _mm_or_si128(_mm_or_si128(_mm_and_si128(dg, _mm_set1_epi8(3)), _mm_and_si128(lw, _mm_set1_epi8(1))),
                               _mm_and_si128(cm, _mm_set1_epi8(4)));
    __m128i want = _mm_loadu_si128((const __m128i *)(rp_shape + 16 - nd));
    unsigned bad = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(cls, want), _mm_setzero_si128()));
    bad &= (1u << (len & 15u)) - 1u;
    if (((((pre ^ w) & 0xffffffu) | bad) != 0) | (len - 3u > 12u) | (nd - 1u > len - 3u))
        return 0;
    *addr = rp_hex_value(x, lw, nd);
    /* the size: one digit mostly (Lackey's sizes are 1, 2, 4 and 8 mostly); else its 2
     * to 4 digits to the top of a word (leading zeros below), paired */
    unsigned ns = len - nd - 1u;
    uint32_t s;
    if (__builtin_expect(ns == 1, 1)) {
        s = p[4 + nd] & 0x0fu;
    } else {
        memcpy(&s, p + 4 + nd, 4);
        s = (s << (8u * (4u - ns))) & 0x0f0f0f0fu;
        s = (s * 10u + (s >> 8)) & 0x00ff00ffu;
        s = (s * 100u + (s >> 16)) & 0xffffu;
    }
    *size = s;
    return s != 0 ? pre >> 24 : 0;
}

/* The commonest shape alone: rp_fast_line's lines whose size is one digit (Lackey's
 * sizes are 1, 2, 4 and 8 mostly), nearly every line of a real trace.  The comma's place
 * then follows from the newline's (no search for it), and "every byte before it is a hex
 * digit" is one count of the leading hex digits, so this takes about half the work of
 * the general check.  Returns what rp_fast_line returns for these lines, 0 for every
 * other line (which rp_fast_line then decides). */
static inline __attribute__((always_inline)) unsigned rp_fast_line_1(const unsigned char *p, const unsigned char *e,
                                                                     uint64_t *addr, uint64_t *size)
{
    uint32_t w;
    memcpy(&w, p, 4);
    uint32_t pre = rp_prefix[(w >> 8) & 7u];
    unsigned len = (unsigned)(e - p);
    unsigned nd = len - 5u;                         /* address digits if the shape fits */
    /* the comma and the size digit, the last two bytes of the line: read within p[0,
     * 16) whatever the length (a length that does not fit fails on nd below) */
    uint16_t t;
    memcpy(&t, p + ((len - 2u) & 15u), 2);
    unsigned sd = (unsigned)(t >> 8) - '1';         /* the size - 1 if a digit 1 to 9 */
    __m128i x = _mm_loadu_si128((const __m128i *)(p + 3)), dg, lw;
    rp_hex_classes(x, &dg, &lw);
    unsigned hex = (unsigned)_mm_movemask_epi8(_mm_or_si128(dg, lw));
    unsigned first = (unsigned)__builtin_ctz(~hex);  /* leading hex digits (16 at most) */
    /* the prefix's three bytes (the kind's byte shifted out), the comma, the digits */
    if (((((pre ^ w) << 8) | ((t & 0xffu) ^ ',')) != 0) | (first != nd) | (sd > 8u) | (nd - 1u > 12u))
        return 0;
    *addr = rp_hex_value(x, lw, nd);
    *size = sd + 1u;
    return pre >> 24;
}
#else
#define RP_FAST_PARSE 0
#endif

#endif
