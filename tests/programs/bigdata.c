/* bigdata — a static program with a large initialised .data (8 pages of non-zero
 * words, so no page of it is a filesystem hole) and a 64 KiB .bss.  The XIP tests
 * store into every data page and check that each store promotes exactly that page,
 * and that .bss and the tail of the last data page read as zeros. */
#include <stdio.h>

#define R4(x) (x), (x) + 1, (x) + 2, (x) + 3
#define R16(x) R4(x), R4((x) + 4), R4((x) + 8), R4((x) + 12)
#define R64(x) R16(x), R16((x) + 16), R16((x) + 32), R16((x) + 48)
#define R256(x) R64(x), R64((x) + 64), R64((x) + 128), R64((x) + 192)
#define R1024(x) R256(x), R256((x) + 256), R256((x) + 512), R256((x) + 768)
#define R4096(x) R1024(x), R1024((x) + 1024), R1024((x) + 2048), R1024((x) + 3072)

/* table[i] == i + 1: 8192 words = 32 KiB = 8 pages of 4 KiB */
unsigned table[8192] = {R4096(1u), R4096(4097u)};
/* 64 KiB of zero-fill */
unsigned char scratch[64 * 1024];

int main(void)
{
    unsigned long sum = 0;
    for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) {
        sum += table[i];
        scratch[i % sizeof scratch] ^= (unsigned char)table[i];
    }
    unsigned long want = 8192ul * 8193ul / 2;
    printf("bigdata: sum %lu (%s)\n", sum, sum == want ? "ok" : "WRONG");
    return sum == want ? 0 : 1;
}
