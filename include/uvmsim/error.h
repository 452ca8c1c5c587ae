/* uvmsim — the one error enum shared by every subsystem. */
#ifndef UVMSIM_ERROR_H
#define UVMSIM_ERROR_H

#include "uvmsim/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every API call returns UVMSIM_OK (0) or one of these (never aborts on misuse).
 * The names echo the errno a NetBSD kernel would return for the same condition. */
typedef enum uvmsim_err {
    UVMSIM_OK = 0,
    UVMSIM_EINVAL,      /* bad argument: NULL handle, zero length, bad flag */
    UVMSIM_EALIGN,      /* address or size not aligned as required */
    UVMSIM_EOVERLAP,    /* range overlaps an existing segment or mapping */
    UVMSIM_ERANGE,      /* address outside every segment / outside a device */
    UVMSIM_ENOMEM,      /* simulated RAM exhausted */
    UVMSIM_ENOHOST,     /* host allocation failed */
    UVMSIM_EROFS,       /* write to read-only medium (NOR, read-only mount) */
    UVMSIM_EFAULT,      /* no map entry covers the address */
    UVMSIM_EACCES,      /* access not allowed by the entry's protection */
    UVMSIM_EIO,         /* host I/O failed (image file); a device read failed (injected) */
    UVMSIM_ECORRUPT,    /* corrupt on-disk structure (filesystem image) */
    UVMSIM_ENOTSUP,     /* feature not implemented (ext2 incompat flag, ...) */
    UVMSIM_ENOENT,      /* no such file or directory */
    UVMSIM_ENOTDIR,     /* path component is not a directory */
    UVMSIM_EISDIR,      /* is a directory */
    UVMSIM_ELOOP,       /* too many symlinks / inode loop */
    UVMSIM_ENAMETOOLONG,/* path or name too long */
    UVMSIM_ENOEXEC,     /* not an executable we can load (malformed ELF) */
    UVMSIM_EBUSY,       /* object still in use (unmount with open vnodes) */
    UVMSIM_ENOXIP,      /* XIP mount impossible (no direct access, block != page) */
    UVMSIM_ESRCH,       /* no such process */
    UVMSIM_ELIMIT,      /* a configured limit was reached (ASIDs, processes, ...) */
    UVMSIM_ESTATE,      /* invariant checker found an inconsistency */
    UVMSIM_ERR_COUNT
} uvmsim_err;

/* Human-readable message for an error code; never NULL. */
UVMSIM_API const char *uvmsim_strerror(int err);
/* Short symbolic name ("EFAULT"); never NULL. */
UVMSIM_API const char *uvmsim_errname(int err);

#ifdef __cplusplus
}
#endif
#endif
