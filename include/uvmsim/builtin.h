/* uvmsim — the built-in flash image (library uvmsim_builtin, linked by the examples and
 * the CLI; not part of libuvmsim).
 *
 * A 4 KiB-block ext2 image made at build time with the real mke2fs, holding:
 *   /bin/hello    static non-PIE x86-64 (host) program, the default program
 *   /bin/hi       symlink to hello
 *   /bin/bigdata  static program with 8 pages of initialised .data and 64 KiB of .bss
 *   /bin/hello32  32-bit static program (when the compiler can build it)
 *   /data/sparse  15 pages + 100 bytes; data in pages 0, 3 and 15, holes elsewhere
 *   /etc/motd     a line of text
 * Feed it to uvmsim_flashdev_create_mem(), then uvmsim_mount_ext2(). */
#ifndef UVMSIM_BUILTIN_H
#define UVMSIM_BUILTIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UVMSIM_BUILTIN_BLOCK_SIZE 4096u

/* The image bytes (static storage, never freed) and their count; NULL and 0 when the
 * build had no mke2fs (configured with -DUVMSIM_BUILTIN_IMAGE=OFF). */
const unsigned char *uvmsim_builtin_image(size_t *len);
/* Path of the default program inside the image: "/bin/hello". */
const char *uvmsim_builtin_program(void);

#ifdef __cplusplus
}
#endif
#endif
