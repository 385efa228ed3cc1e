/* test_fsutil.c - fs_disk_usage: what a tree takes on disk, as du counts
 * it, its bound on entries and a missing path. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "test.h"

/* path/name with n bytes of data written (not a hole). */
static int write_bytes(const char *dir, const char *name, size_t n)
{
    char path[PATH_MAX], block[4096];
    memset(block, 'x', sizeof(block));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    for (size_t done = 0; done < n; done += sizeof(block))
        if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
            close(fd);
            return -1;
        }
    return close(fd);
}

TEST(fs_disk_usage_counts_a_tree)
{
    char dir[] = "/tmp/berth-du-XXXXXX", sub[PATH_MAX], link[PATH_MAX];
    struct error err;
    unsigned long long empty = 0, full = 0, bytes = 0;
    CHECK(mkdtemp(dir) != NULL);
    CHECK(fs_disk_usage(dir, 100, &empty, &err) == 0);
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    CHECK(mkdir(sub, 0700) == 0);
    CHECK(write_bytes(dir, "a", 1024 * 1024) == 0);
    CHECK(write_bytes(sub, "b", 512 * 1024) == 0);
    /* A symlink to a big file is not followed. */
    snprintf(link, sizeof(link), "%s/big", dir);
    CHECK(symlink("/proc/kcore", link) == 0);
    CHECK(fs_disk_usage(dir, 100, &full, &err) == 0);
    CHECK(full - empty >= 1536ull * 1024);
    CHECK(full - empty < 1536ull * 1024 + 64 * 1024);
    /* Five entries (the dir, sub, a, b, big): four is too few. */
    CHECK(fs_disk_usage(dir, 4, &bytes, &err) < 0 && err.kind == ERR_LIMIT);
    CHECK(fs_disk_usage(dir, 5, &bytes, &err) == 0 && bytes == full);
    CHECK(fs_rmtree(dir, &err) == 0);
    CHECK(fs_disk_usage(dir, 100, &bytes, &err) < 0 && err.kind == ERR_NOT_FOUND);
}
