/* uvmsim_builtin — the built-in flash image: a 4 KiB-block ext2 filesystem made at
 * build time by the real mke2fs from tests/programs (see cmake/builtin.cmake), embedded
 * by bin2c, so examples and the CLI have a real program to exec without any file. */
#include "uvmsim/builtin.h"

/* defined by the generated builtin_image.c */
extern const size_t uvmsim_builtin_image_data_size;
extern const unsigned char uvmsim_builtin_image_data[];

const unsigned char *uvmsim_builtin_image(size_t *len)
{
    if (len != NULL)
        *len = uvmsim_builtin_image_data_size;
    return uvmsim_builtin_image_data_size ? uvmsim_builtin_image_data : NULL;
}

const char *uvmsim_builtin_program(void)
{
    return "/bin/hello";
}
