/* uvmsim — error codes to names and messages. */
#include "uvmsim/error.h"

static const struct {
    const char *name;
    const char *msg;
} errtab[UVMSIM_ERR_COUNT] = {
    [UVMSIM_OK] = {"OK", "success"},
    [UVMSIM_EINVAL] = {"EINVAL", "invalid argument"},
    [UVMSIM_EALIGN] = {"EALIGN", "address or size not aligned"},
    [UVMSIM_EOVERLAP] = {"EOVERLAP", "range overlaps an existing one"},
    [UVMSIM_ERANGE] = {"ERANGE", "address out of range"},
    [UVMSIM_ENOMEM] = {"ENOMEM", "simulated RAM exhausted"},
    [UVMSIM_ENOHOST] = {"ENOHOST", "host memory allocation failed"},
    [UVMSIM_EROFS] = {"EROFS", "read-only medium"},
    [UVMSIM_EFAULT] = {"EFAULT", "no mapping at address"},
    [UVMSIM_EACCES] = {"EACCES", "access not permitted by protection"},
    [UVMSIM_EIO] = {"EIO", "host I/O error"},
    [UVMSIM_ECORRUPT] = {"ECORRUPT", "corrupt filesystem or image structure"},
    [UVMSIM_ENOTSUP] = {"ENOTSUP", "unsupported feature"},
    [UVMSIM_ENOENT] = {"ENOENT", "no such file or directory"},
    [UVMSIM_ENOTDIR] = {"ENOTDIR", "not a directory"},
    [UVMSIM_EISDIR] = {"EISDIR", "is a directory"},
    [UVMSIM_ELOOP] = {"ELOOP", "too many levels of symbolic links or an inode loop"},
    [UVMSIM_ENAMETOOLONG] = {"ENAMETOOLONG", "name too long"},
    [UVMSIM_ENOEXEC] = {"ENOEXEC", "not a loadable executable"},
    [UVMSIM_EBUSY] = {"EBUSY", "resource busy"},
    [UVMSIM_ENOXIP] = {"ENOXIP", "execute-in-place not possible on this device or filesystem"},
    [UVMSIM_ESRCH] = {"ESRCH", "no such process"},
    [UVMSIM_ELIMIT] = {"ELIMIT", "configured limit reached"},
    [UVMSIM_ESTATE] = {"ESTATE", "simulator invariant violated"},
};

const char *uvmsim_strerror(int err)
{
    if (err < 0 || err >= UVMSIM_ERR_COUNT || errtab[err].msg == NULL)
        return "unknown error";
    return errtab[err].msg;
}

const char *uvmsim_errname(int err)
{
    if (err < 0 || err >= UVMSIM_ERR_COUNT || errtab[err].name == NULL)
        return "EUNKNOWN";
    return errtab[err].name;
}
