/* fsutil.c - durable writes and careful deletes.  Deleting walks with
 * openat(O_NOFOLLOW) so a symlink inside an unpacked layer can never make
 * us delete outside it. */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/ids.h"

int fsutil_mkdir_p(const char *path, struct error *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf))
        return error_set(err, ERR_INVALID, "path too long: %s", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return error_sys(err, "mkdir %s", buf);
        *p = saved;
        if (saved == '\0')
            break;
    }
    return 0;
}

int fsutil_fsync_dir(const char *dir, struct error *err)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return error_sys(err, "open %s", dir);
    if (fsync(fd) < 0)
        return error_sys(err, "fsync %s", dir);
    return 0;
}

int fsutil_write_atomic(const char *dir, const char *name, const void *buf, size_t len, struct error *err)
{
    char rnd[17], tmp[4200], dst[4200];
    if (ids_random_hex(rnd, 8) < 0)
        return error_sys(err, "getrandom");
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-%s", dir, name, rnd);
    snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return error_sys(err, "open %s", tmp);
    const char *p = buf;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            error_sys(err, "write %s", tmp);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) < 0 || rename(tmp, dst) < 0) {
        error_sys(err, "commit %s", dst);
        unlink(tmp);
        return -1;
    }
    return fsutil_fsync_dir(dir, err);
}

int fsutil_read_file(const char *path, size_t limit, char **ret_buf, size_t *ret_len, struct error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return error_set(err, ERR_NOT_FOUND, "%s does not exist", path);
        return error_sys(err, "open %s", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return error_sys(err, "stat %s", path);
    if (!S_ISREG(st.st_mode))
        return error_set(err, ERR_INVALID, "%s is not a regular file", path);
    if ((size_t)st.st_size > limit)
        return error_set(err, ERR_LIMIT, "%s is larger than %zu bytes", path, limit);
    _cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t off = 0;
    while (off < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return error_sys(err, "read %s", path);
        if (r == 0)
            break;
        off += (size_t)r;
    }
    buf[off] = '\0';
    *ret_len = off;
    *ret_buf = TAKE_PTR(buf);
    return 0;
}

static int rmtree_at(int parent, const char *name, int depth, struct error *err)
{
    if (depth > 4096)
        return error_set(err, ERR_LIMIT, "directory tree too deep");
    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return error_sys(err, "unlink %s", name);
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return error_sys(err, "open %s", name);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return error_sys(err, "opendir %s", name);
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rc = rmtree_at(dirfd(d), de->d_name, depth + 1, err);
    }
    closedir(d);
    if (rc < 0)
        return -1;
    if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return error_sys(err, "rmdir %s", name);
    return 0;
}

int fsutil_rmtree(const char *path, struct error *err)
{
    return rmtree_at(AT_FDCWD, path, 0, err);
}
