/* hello — the default program of the built-in image (/bin/hello).
 *
 * A static, non-PIE host program: the simulator never runs it, it maps it (exec) and
 * touches its pages.  The build links it with `gcc -static -no-pie -O1`, so it keeps the
 * default link address (0x400000 on x86-64, below 32 MiB as FASS PID relocation wants)
 * and a C library's worth of text.  A CTest test runs it natively to show it is real. */
#include <stdio.h>
#include <string.h>

/* A little initialised data and some .bss so every kind of segment exists. */
static char greeting[64] = "hello, world";
static unsigned counts[256];

int main(int argc, char **argv)
{
    const char *who = argc > 1 ? argv[1] : NULL;
    for (const char *c = greeting; *c; c++)
        counts[(unsigned char)*c]++;
    if (who != NULL)
        snprintf(greeting, sizeof greeting, "hello, %s", who);
    printf("%s (%u letters l)\n", greeting, counts['l']);
    return strlen(greeting) > 0 ? 0 : 1;
}
