/* netns.c - network namespace files (see netns.h).  The kernel keeps a
 * namespace alive while a process is in it or a bind mount of its nsfs file
 * exists; the bind mount under DATA/netns is what lets a restarted agent find
 * (and remove) namespaces it created. */
#include "agent/net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

struct ns_job {
    const char *path;
    int (*fn)(void *arg, struct error *err);
    void *arg;
    int ns_fd; /* join this one; -1: create a new one and mount it on path */
    int rc;
    struct error err;
};

static void *ns_thread(void *p)
{
    struct ns_job *j = p;
    j->rc = -1;
    if (j->ns_fd >= 0) {
        if (setns(j->ns_fd, CLONE_NEWNET) < 0) {
            error_sys(&j->err, "setns %s", j->path);
            return NULL;
        }
        j->rc = j->fn(j->arg, &j->err);
        return NULL;
    }
    if (unshare(CLONE_NEWNET) < 0) {
        error_sys(&j->err, "unshare(CLONE_NEWNET)");
        return NULL;
    }
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
    if (mount(self, j->path, NULL, MS_BIND, NULL) < 0) {
        error_sys(&j->err, "bind-mounting the namespace on %s", j->path);
        return NULL;
    }
    j->rc = j->fn ? j->fn(j->arg, &j->err) : 0;
    if (j->rc < 0)
        umount2(j->path, MNT_DETACH);
    return NULL;
}

/* The thread exits afterwards, so its namespace change dies with it. */
static int run_job(struct ns_job *j, struct error *err)
{
    pthread_t th;
    int e = pthread_create(&th, NULL, ns_thread, j);
    if (e != 0) {
        errno = e;
        return error_sys(err, "pthread_create");
    }
    pthread_join(th, NULL);
    if (j->rc < 0) {
        *err = j->err;
        return -1;
    }
    return 0;
}

int netns_create(const char *path, int (*fn)(void *arg, struct error *err), void *arg, struct error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0)
        return error_sys(err, "creating %s", path);
    struct ns_job j = {.path = path, .fn = fn, .arg = arg, .ns_fd = -1};
    if (run_job(&j, err) < 0) {
        unlink(path);
        return -1;
    }
    return 0;
}

int netns_remove(const char *path, struct error *err)
{
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return error_sys(err, "unmounting %s", path);
    if (unlink(path) < 0 && errno != ENOENT)
        return error_sys(err, "removing %s", path);
    return 0;
}

int netns_run(const char *path, int (*fn)(void *arg, struct error *err), void *arg, struct error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_sys(err, "opening %s", path);
    struct ns_job j = {.path = path, .fn = fn, .arg = arg, .ns_fd = fd};
    return run_job(&j, err);
}
