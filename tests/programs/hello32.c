/* hello32 — a 32-bit (i386) static program without a C library, built with
 * `-m32 -nostdlib -ffreestanding` so it needs no 32-bit libc (gcc-multilib): it talks to
 * the kernel with int $0x80.  Loaded by the exec tests as the 32-bit ELF case. */

static const char msg[] = "hello from a 32-bit static program\n";
static int counter = 41;            /* .data */
static char scratch[10000];         /* .bss, a few pages */

static long sys3(long nr, long a, long b, long c)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

void _start(void)
{
    scratch[sizeof scratch - 1] = 1;
    counter++;
    long n = sys3(4 /* write */, 1, (long)msg, sizeof msg - 1);
    int status = (n == (long)(sizeof msg - 1) && counter == 42 && scratch[0] == 0) ? 0 : 1;
    sys3(1 /* exit */, status, 0, 0);
    for (;;)
        ;
}
