/* uvmsim — trace files for the replayer: a large buffer filled through zlib from a gzip
 * file (told by its magic bytes, not its name) and from standard input (zlib passes
 * plain text through unchanged, so a pipe may carry either), or by read() from a plain
 * file.  The replayer consumes whole lines from the buffer; the partial line at its end
 * moves to the front before the next fill.
 *
 * A plain regular file is mapped instead (mmap): the replayer reads the page cache in
 * place, with no copy.  The windows it is handed are still exactly those read() would
 * have filled (same sizes, same partial-line carry-over), so every message, the
 * long-line rule and the progress figures do not depend on how the file was read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "replay_internal.h"

/* Bytes read per fill: large enough that read() and the refill cost nothing per line. */
#define RP_CHUNK (1u << 20)

void uvmsim_rp_file_close(struct rp_file *f)
{
    if (f == NULL)
        return;
    if (f->gz != NULL)
        gzclose_r(f->gz);       /* closes the descriptor too (a dup for stdin) */
    else if (f->fd >= 0)
        close(f->fd);
    if (f->map != NULL)
        munmap(f->map, f->map_len);
    else
        free(f->buf);
    free(f->name);
    free(f);
}

int uvmsim_rp_file_open(const char *path, struct rp_file **out, char *msg, size_t msglen)
{
    *out = NULL;
    struct rp_file *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        snprintf(msg, msglen, "%s: out of host memory", path);
        return UVMSIM_ENOHOST;
    }
    f->fd = -1;
    bool is_stdin = strcmp(path, "-") == 0;
    f->name = strdup(is_stdin ? "<stdin>" : path);
    f->cap = RP_CHUNK + UVMSIM_REPLAY_MAX_LINE;
    f->buf = malloc(f->cap);
    if (f->name == NULL || f->buf == NULL) {
        uvmsim_rp_file_close(f);
        snprintf(msg, msglen, "%s: out of host memory", path);
        return UVMSIM_ENOHOST;
    }
    int fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(msg, msglen, "%s: cannot open: %s", is_stdin ? "<stdin>" : path, strerror(e));
        uvmsim_rp_file_close(f);
        return e == ENOENT ? UVMSIM_ENOENT : UVMSIM_EIO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        snprintf(msg, msglen, "%s: %s", f->name, strerror(errno));
        close(fd);
        uvmsim_rp_file_close(f);
        return UVMSIM_EIO;
    }
    if (S_ISDIR(sb.st_mode)) {
        snprintf(msg, msglen, "%s: is a directory", f->name);
        close(fd);
        uvmsim_rp_file_close(f);
        return UVMSIM_EISDIR;
    }
    bool regular = S_ISREG(sb.st_mode);
    if (regular)
        f->total = (uint64_t)sb.st_size;
    unsigned char magic[2] = {0, 0};
    bool gzip = !regular || (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
    if (!gzip) {
        f->fd = fd;
        /* Map it whole when the address space allows (a 32-bit host and a huge file
         * may not): read() from then on only if that fails. */
        if (sb.st_size > 0 && (uint64_t)sb.st_size <= SIZE_MAX) {
            void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (map != MAP_FAILED) {
                (void)madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
                free(f->buf);
                f->map = map;
                f->map_len = (size_t)sb.st_size;
                f->buf = map;
            }
        }
        *out = f;
        return UVMSIM_OK;
    }
    f->gz = gzdopen(fd, "rb");
    if (f->gz == NULL) {
        close(fd);
        snprintf(msg, msglen, "%s: cannot start the gzip reader", f->name);
        uvmsim_rp_file_close(f);
        return UVMSIM_ENOHOST;
    }
    gzbuffer(f->gz, RP_CHUNK);
    *out = f;
    return UVMSIM_OK;
}

int uvmsim_rp_file_fill(struct rp_file *f, char *msg, size_t msglen)
{
    if (f->eof)
        return UVMSIM_OK;
    if (f->map != NULL) {
        /* the window moves up to the unconsumed bytes and grows by what a read() of
         * the same size would have returned */
        f->buf += f->pos;
        f->len -= f->pos;
        f->pos = 0;
        size_t room = f->cap - f->len, left = f->map_len - (size_t)(f->buf + f->len - f->map);
        if (room > RP_CHUNK)
            room = RP_CHUNK;
        size_t n = room < left ? room : left;
        f->len += n;
        f->consumed += n;
        if (n == 0)
            f->eof = true;
        return UVMSIM_OK;
    }
    if (f->pos > 0) {
        memmove(f->buf, f->buf + f->pos, f->len - f->pos);
        f->len -= f->pos;
        f->pos = 0;
    }
    size_t room = f->cap - f->len;
    if (room > RP_CHUNK)
        room = RP_CHUNK;
    for (;;) {
        if (f->gz != NULL) {
            int n = gzread(f->gz, f->buf + f->len, (unsigned)room);
            if (n < 0) {
                int zerr;
                const char *zmsg = gzerror(f->gz, &zerr);
                snprintf(msg, msglen, "%s: %s", f->name,
                         zerr == Z_ERRNO ? strerror(errno) : zmsg ? zmsg : "gzip read error");
                return UVMSIM_EIO;
            }
            f->len += (size_t)n;
            z_off_t off = gzoffset(f->gz);
            if (off >= 0)
                f->consumed = (uint64_t)off;
            if (n == 0) {
                /* a truncated gzip stream ends without its trailer: say so */
                int zerr;
                gzerror(f->gz, &zerr);
                if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
                    snprintf(msg, msglen, "%s: gzip read error", f->name);
                    return UVMSIM_EIO;
                }
                if (zerr == Z_BUF_ERROR) {
                    snprintf(msg, msglen, "%s: the gzip stream ends early (truncated file?)", f->name);
                    return UVMSIM_EIO;
                }
                f->eof = true;
            }
            return UVMSIM_OK;
        }
        ssize_t n = read(f->fd, f->buf + f->len, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(msg, msglen, "%s: read error: %s", f->name, strerror(errno));
            return UVMSIM_EIO;
        }
        f->len += (size_t)n;
        f->consumed += (uint64_t)n;
        if (n == 0)
            f->eof = true;
        return UVMSIM_OK;
    }
}
