/* A program outside the project that uses the installed library: create a machine,
 * attach a NOR device and print what it sees. */
#include <stdio.h>
#include <uvmsim/uvmsim.h>

int main(void)
{
    uvmsim_machine *m;
    int err = uvmsim_machine_create(NULL, &m);
    if (err != UVMSIM_OK) {
        fprintf(stderr, "consumer: %s\n", uvmsim_strerror(err));
        return 1;
    }
    uvmsim_flashdev *dev;
    err = uvmsim_flashdev_create_pattern(m, NULL, 64 * 1024, 1, &dev);
    if (err == UVMSIM_OK)
        err = uvmsim_flashdev_write(dev, 0, 1, "x");
    printf("consumer: writing NOR: %s (%s)\n", uvmsim_strerror(err), uvmsim_errname(err));
    printf("consumer: %u segments, page size %zu\n", uvmsim_phys_nsegs(m), uvmsim_page_size(m));
    uvmsim_machine_destroy(m);
    return err == UVMSIM_EROFS ? 0 : 1;
}
