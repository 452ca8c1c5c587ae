/* Internal to libuvmsim: what the filesystem and the VM need from a flash device beyond
 * the public API — a use count that keeps the device alive while mounted or mapped, and
 * the machine the device belongs to. */
#ifndef UVMSIM_FLASHDEV_INTERNAL_H
#define UVMSIM_FLASHDEV_INTERNAL_H

#include "uvmsim/flashdev.h"

struct uvmsim_machine;

/* Take / release a use.  While the count is non-zero uvmsim_flashdev_destroy() fails
 * with UVMSIM_EBUSY (machine teardown destroys the device regardless).  Dropping a
 * device that is not held is ignored.  NULL is ignored. */
void uvmsim_flashdev_hold(uvmsim_flashdev *dev);
void uvmsim_flashdev_drop(uvmsim_flashdev *dev);
/* Current use count (tests and the invariant checker). */
unsigned uvmsim_flashdev_holds(const uvmsim_flashdev *dev);

/* The machine that owns the device (NULL for NULL). */
struct uvmsim_machine *uvmsim_flashdev_machine(const uvmsim_flashdev *dev);

/* Host pointer to the device's bytes [off, off+len), NULL when out of range.  For the
 * invariant checker and tests; pagers go through the strategy routine or the physical
 * window, never through this. */
const uint8_t *uvmsim_flashdev_bytes(const uvmsim_flashdev *dev, uint64_t off, size_t len);

#endif
