/* fsutil.c - file helpers shared by the server, the agent and the CLI. */
#include "common/fsutil.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/ids.h"

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Write through a unique temporary file in the same directory and rename it
 * over dir/name; with durable, fsync the file and then the directory. */
static int write_replace(const char *dir, const char *name, const char *content, size_t len, bool durable, mode_t mode,
                         struct error *err)
{
    char tmp[4200], dst[4200];
    char rnd[17];
    /* Unique per writer, so threads and processes writing the same file
     * (two pulls storing one manifest) never share a temp file. */
    if (ids_random_hex(rnd, 8) < 0)
        return error_sys(err, "getrandom");
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%d.%s", dir, name, (int)getpid(), rnd) >= sizeof(tmp) ||
        (size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= sizeof(dst))
        return error_set(err, ERR_LIMIT, "path too long: %s/%s", dir, name);
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return error_sys(err, "open %s", tmp);
    if (write_all(fd, content, len) < 0 || (durable && fsync(fd) < 0)) {
        error_sys(err, "write %s", tmp);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, dst) < 0) {
        error_sys(err, "rename %s", dst);
        unlink(tmp);
        return -1;
    }
    if (durable) {
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
            fsync(dfd);
    }
    return 0;
}

int fs_write_atomic(const char *dir, const char *name, const char *content, size_t len, struct error *err)
{
    return write_replace(dir, name, content, len, true, 0644, err);
}

void fs_remove_stale_temps(const char *dir, const char *name)
{
    char prefix[300];
    if ((size_t)snprintf(prefix, sizeof(prefix), ".%s.tmp.", name) >= sizeof(prefix))
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
}

int fs_write_private(const char *dir, const char *name, const char *content, size_t len, struct error *err)
{
    return write_replace(dir, name, content, len, true, 0600, err);
}

int fs_replace_file(const char *path, const char *content, size_t len, struct error *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        return write_replace(".", path, content, len, false, 0644, err);
    size_t n = (size_t)(slash - path);
    if (n >= sizeof(dir))
        return error_set(err, ERR_LIMIT, "path too long: %s", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return write_replace(n ? dir : "/", slash + 1, content, len, false, 0644, err);
}

int fs_read_fd(int fd, const char *name, size_t limit, char **ret_data, size_t *ret_len, struct error *err)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, limit);
    char chunk[4096];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return error_sys(err, "read %s", name);
        }
        if (r == 0)
            break;
        if (buf_append(&b, chunk, (size_t)r) < 0)
            break;
    }
    if (b.too_large)
        return error_set(err, ERR_LIMIT, "%s is larger than %zu bytes", name, limit);
    char *data = buf_steal(&b, ret_len);
    if (!data)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *ret_data = data;
    return 0;
}

int fs_read_file(const char *path, size_t limit, char **ret_data, size_t *ret_len, struct error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return error_set(err, ERR_NOT_FOUND, "%s does not exist", path);
        return error_sys(err, "open %s", path);
    }
    return fs_read_fd(fd, path, limit, ret_data, ret_len, err);
}

int fs_mkdir_p(const char *path, unsigned mode, struct error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
        return error_set(err, ERR_INVALID, "path too long: %s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
            return error_sys(err, "mkdir %s", tmp);
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        return error_sys(err, "mkdir %s", tmp);
    return 0;
}

static int fsync_path(const char *path, int flags, struct error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0)
        return error_sys(err, "open %s", path);
    if (fsync(fd) < 0)
        return error_sys(err, "fsync %s", path);
    return 0;
}

int fs_fsync_dir(const char *dir, struct error *err) { return fsync_path(dir, O_DIRECTORY, err); }

int fs_fsync_file(const char *path, struct error *err) { return fsync_path(path, 0, err); }

static int rmtree_at(int parent, const char *name, dev_t dev, int depth, struct error *err)
{
    if (depth > 4096)
        return error_set(err, ERR_LIMIT, "directory tree too deep");
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : error_sys(err, "stat %s", name);
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
            return error_sys(err, "unlink %s", name);
        return 0;
    }
    /* A container root still mounted below (a bug elsewhere) must never be
     * emptied through the mount. */
    if (st.st_dev != dev)
        return error_set(err, ERR_CONFLICT, "%s is a mount point; not removing through it", name);
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return error_sys(err, "open %s", name);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return error_sys(err, "opendir %s", name);
    }
    int rc = 0;
    for (struct dirent *de = readdir(d); rc == 0 && de; de = readdir(d)) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rc = rmtree_at(dirfd(d), de->d_name, dev, depth + 1, err);
    }
    closedir(d);
    if (rc < 0)
        return -1;
    if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return error_sys(err, "rmdir %s", name);
    return 0;
}

int fs_rmtree(const char *path, struct error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : error_sys(err, "stat %s", path);
    return rmtree_at(AT_FDCWD, path, st.st_dev, 0, err);
}

struct du_walk {
    dev_t dev;
    size_t entries, max_entries;
    unsigned long long bytes;
};

static int du_at(int parent, const char *name, struct du_walk *w, int depth, struct error *err)
{
    if (depth > 4096)
        return error_set(err, ERR_LIMIT, "directory tree too deep");
    if (++w->entries > w->max_entries)
        return error_set(err, ERR_LIMIT, "more than %zu entries", w->max_entries);
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT && depth > 0 ? 0 : error_sys(err, "stat %s", name);
    w->bytes += (unsigned long long)st.st_blocks * 512;
    if (!S_ISDIR(st.st_mode) || st.st_dev != w->dev)
        return 0;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : error_sys(err, "open %s", name);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return error_sys(err, "opendir %s", name);
    }
    int rc = 0;
    for (struct dirent *de = readdir(d); rc == 0 && de; de = readdir(d)) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rc = du_at(dirfd(d), de->d_name, w, depth + 1, err);
    }
    closedir(d);
    return rc;
}

int fs_disk_usage(const char *path, size_t max_entries, unsigned long long *ret_bytes, struct error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? error_set(err, ERR_NOT_FOUND, "%s does not exist", path)
                               : error_sys(err, "stat %s", path);
    struct du_walk w = {.dev = st.st_dev, .max_entries = max_entries};
    if (du_at(AT_FDCWD, path, &w, 0, err) < 0)
        return -1;
    *ret_bytes = w.bytes;
    return 0;
}
