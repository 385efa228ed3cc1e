/* overlay.c - mounting a container's overlayfs root with mount(2).
 *
 * mount(2) passes options in one page: "lowerdir=A:B:...,upperdir=U,
 * workdir=W" must fit in 4095 bytes, which an image with many layers under a
 * deep state directory can exceed.  When it does not fit we use the new
 * mount API instead (fsopen/fsconfig), adding lower layers one at a time
 * with "lowerdir+" (Linux 6.8+), which has no total length limit; each path
 * must still be shorter than PATH_MAX.  Kernels older than 6.8 therefore
 * cannot mount more than a page worth of lower paths: keep the image store
 * path short there.  Paths containing ',' or ':' are refused (mount(2) would
 * split them; overlayfs escaping is not worth supporting). */
#include "agent/runtime/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "agent/agent_limits.h"

static bool path_ok(const char *p) { return p && p[0] == '/' && !strpbrk(p, ",:") && strlen(p) < PATH_MAX; }

static int mount_new_api(const char *const *lower, size_t n_lower, const char *upper, const char *work,
                         const char *target, struct error *err)
{
    _cleanup_close_ int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
    if (fs < 0)
        return error_sys(err, "fsopen overlay");
    for (size_t i = 0; i < n_lower; i++)
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir+", lower[i], 0) < 0)
            return error_sys(err, "overlay: add lower layer %s (a kernel before 6.8 cannot take this many layers)",
                             lower[i]);
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
        syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
        return error_sys(err, "overlay: set upper/work dir");
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return error_sys(err, "overlay: create");
    _cleanup_close_ int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
    if (mnt < 0)
        return error_sys(err, "fsmount overlay");
    if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return error_sys(err, "move_mount overlay to %s", target);
    return 0;
}

int overlay_mount(const char *const *lower, size_t n_lower, const char *upper, const char *work, const char *target,
                  struct error *err)
{
    if (n_lower == 0)
        return error_set(err, ERR_INVALID, "a root filesystem needs at least one layer");
    if (n_lower > LIMIT_OVERLAY_LAYERS)
        return error_set(err, ERR_LIMIT, "%zu layers; overlayfs takes at most %d", n_lower, LIMIT_OVERLAY_LAYERS);
    for (size_t i = 0; i < n_lower; i++)
        if (!path_ok(lower[i]))
            return error_set(err, ERR_INVALID, "layer path \"%s\" must be absolute without ',' or ':'", lower[i]);
    if (!path_ok(upper) || !path_ok(work))
        return error_set(err, ERR_INVALID, "upper/work paths must be absolute without ',' or ':'");

    char opts[4096];
    size_t len = 0;
    bool fits = true;
    int n = snprintf(opts, sizeof(opts), "lowerdir=");
    len = (size_t)n;
    for (size_t i = 0; i < n_lower && fits; i++) {
        n = snprintf(opts + len, sizeof(opts) - len, "%s%s", i ? ":" : "", lower[i]);
        if (n < 0 || (size_t)n >= sizeof(opts) - len)
            fits = false;
        else
            len += (size_t)n;
    }
    if (fits) {
        n = snprintf(opts + len, sizeof(opts) - len, ",upperdir=%s,workdir=%s", upper, work);
        fits = n >= 0 && (size_t)n < sizeof(opts) - len;
    }
    if (!fits)
        return mount_new_api(lower, n_lower, upper, work, target, err);
    if (mount("overlay", target, "overlay", 0, opts) < 0)
        return error_sys(err, "mount overlay on %s", target);
    return 0;
}

int overlay_is_mounted(const char *target)
{
    char parent[PATH_MAX];
    if ((size_t)snprintf(parent, sizeof(parent), "%s/..", target) >= sizeof(parent))
        return 0;
    struct stat a, b;
    if (stat(target, &a) < 0 || stat(parent, &b) < 0)
        return 0;
    return a.st_dev != b.st_dev;
}

int overlay_unmount(const char *target, struct error *err)
{
    if (!overlay_is_mounted(target))
        return 0;
    /* MNT_DETACH: a process that still has a file open in the rootfs (a
     * health check being torn down) must not make removal fail; the mount
     * disappears from every path at once and is freed when released. */
    if (umount2(target, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return error_sys(err, "unmount %s", target);
    return 0;
}
