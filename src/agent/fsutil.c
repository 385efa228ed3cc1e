/* fsutil.c - file helpers for the agent's state directories.
 *
 * rm_rf works with dirfds and AT_SYMLINK_NOFOLLOW and refuses to descend
 * into another file system, so a container directory whose rootfs is still
 * mounted (a bug elsewhere) is never emptied through the mount. */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"

int fsutil_write_file(const char *path, const char *data, size_t len, struct error *err)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return error_set(err, ERR_LIMIT, "path too long: %s", path);
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return error_sys(err, "open %s", tmp);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return error_sys(err, "write %s", tmp);
        }
        off += (size_t)w;
    }
    if (rename(tmp, path) < 0)
        return error_sys(err, "rename %s", path);
    return 0;
}

int fsutil_read_file(const char *path, size_t max, char **ret, size_t *ret_len, struct error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return error_set(err, ERR_NOT_FOUND, "%s does not exist", path);
        return error_sys(err, "open %s", path);
    }
    _cleanup_free_ char *buf = malloc(max + 1);
    if (!buf)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, max + 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return error_sys(err, "read %s", path);
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max)
            return error_set(err, ERR_LIMIT, "%s is larger than %zu bytes", path, max);
    }
    buf[len] = '\0';
    if (ret_len)
        *ret_len = len;
    *ret = TAKE_PTR(buf);
    return 0;
}

int fsutil_mkdir_p(const char *path, unsigned mode, struct error *err)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf))
        return error_set(err, ERR_LIMIT, "bad path length: %s", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return error_sys(err, "mkdir %s", buf);
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return error_sys(err, "mkdir %s", buf);
    return 0;
}

static int rm_at(int dfd, const char *name, dev_t dev, int depth, struct error *err)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : error_sys(err, "stat %s", name);
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
            return error_sys(err, "unlink %s", name);
        return 0;
    }
    if (st.st_dev != dev)
        return error_set(err, ERR_CONFLICT, "%s is a mount point; not removing through it", name);
    if (depth > 256)
        return error_set(err, ERR_LIMIT, "directory tree too deep at %s", name);
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return error_sys(err, "open %s", name);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return error_sys(err, "fdopendir %s", name);
    }
    int r = 0;
    struct dirent *de;
    while (r == 0) {
        de = readdir(d);
        if (!de)
            break;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        r = rm_at(dirfd(d), de->d_name, dev, depth + 1, err);
    }
    closedir(d);
    if (r < 0)
        return r;
    if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return error_sys(err, "rmdir %s", name);
    return 0;
}

int fsutil_rm_rf(const char *path, struct error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : error_sys(err, "stat %s", path);
    return rm_at(AT_FDCWD, path, st.st_dev, 0, err);
}
