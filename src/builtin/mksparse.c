/* mksparse — build tool: write the sparse data file of the built-in image.
 *
 *   mksparse PATH
 *
 * 15 pages and 100 bytes (4 KiB pages): pages 0 and 3 hold data, page 15 holds 100 bytes,
 * every other page is a hole (never written, so the host file and mke2fs -d leave those
 * blocks unallocated).  Byte i of data page k is (k * 31 + i * 7 + 1) | 1, never zero. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096

static int put_page(int fd, unsigned k, size_t len)
{
    unsigned char buf[PAGE];
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)((k * 31u + i * 7u + 1u) | 1u);
    return pwrite(fd, buf, len, (off_t)k * PAGE) == (ssize_t)len ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mksparse PATH\n");
        return 2;
    }
    unlink(argv[1]);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    if (put_page(fd, 0, PAGE) || put_page(fd, 3, PAGE) || put_page(fd, 15, 100) || close(fd)) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
