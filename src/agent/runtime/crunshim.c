/* crunshim.c - the cgroup2 mask crun needs on hybrid hosts, and the exec
 * wrapper conmon runs the runtime through (crun for the mask; either
 * runtime to create and start in one call).  Kept to libc so that the wrapper can
 * be a tiny static binary: conmon execs it once per container create, and
 * berth itself takes ~8 ms just to load its shared libraries. */
#include "agent/runtime/crunshim.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define HYBRID_CONTROLLERS "/sys/fs/cgroup/unified/cgroup.controllers"

int crunshim_enter(bool mask_cgroup2, const char *seal_path)
{
    if (unshare(CLONE_NEWNS) < 0)
        return errno;
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return errno;
    if (mask_cgroup2 && mount("/dev/null", HYBRID_CONTROLLERS, NULL, MS_BIND, NULL) < 0)
        return errno;
    /* What crun would otherwise do itself, plus a second exec and load of
     * its libraries (~4 ms): its binary read-only under it, so that a
     * container cannot overwrite it through /proc/PID/exe (CVE-2019-5736);
     * with CRUNSHIM_CLONED_ENV set crun then trusts it as is. */
    if (seal_path && (mount(seal_path, seal_path, NULL, MS_BIND, NULL) < 0 ||
                      mount(NULL, seal_path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0))
        return errno;
    return 0;
}

/* conmon's "create" made "run --detach": the runtime starts the
 * container as it creates it, one runtime process instead of two. */
static int exec_run_detached(char **argv)
{
    char *v[64]; /* conmon passes ~12 */
    size_t n = 0;
    while (argv[n])
        n++;
    if (n + 2 > sizeof(v) / sizeof(v[0])) {
        fprintf(stderr, "berth-runtime-shim: too many arguments\n");
        return 2;
    }
    size_t k = 0;
    bool done = false;
    for (size_t i = 0; i < n; i++) {
        if (!done && strcmp(argv[i], "create") == 0) {
            v[k++] = "run";
            v[k++] = "--detach";
            done = true;
        } else {
            v[k++] = argv[i];
        }
    }
    v[k] = NULL;
    if (!done) {
        fprintf(stderr, "berth-runtime-shim: --run-detached without a create command\n");
        return 2;
    }
    execv(v[0], v);
    fprintf(stderr, "berth-runtime-shim: exec %s: %s\n", v[0], strerror(errno));
    return 127;
}

int crunshim_main(int argc, char **argv)
{
    bool mask = false, seal = false, run_detached = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--mask-cgroup2") == 0)
            mask = true;
        else if (strcmp(argv[i], "--seal-binary") == 0)
            seal = true;
        else if (strcmp(argv[i], "--run-detached") == 0)
            run_detached = true;
        else
            break;
    }
    if (i >= argc || argv[i][0] != '/') {
        fprintf(stderr, "usage: berth-runtime-shim [--mask-cgroup2] [--seal-binary] [--run-detached] "
                        "/ABSOLUTE/RUNTIME [ARGS...]\n");
        return 2;
    }
    if (mask || seal) {
        int e = crunshim_enter(mask, seal ? argv[i] : NULL);
        if (e != 0) {
            fprintf(stderr, "berth-runtime-shim: cannot set up the runtime's mount namespace: %s\n", strerror(e));
            return 125;
        }
        if (seal && setenv(CRUNSHIM_CLONED_NAME, "1", 1) != 0)
            return 125;
    }
    if (run_detached)
        return exec_run_detached(argv + i);
    execv(argv[i], argv + i);
    fprintf(stderr, "berth-runtime-shim: exec %s: %s\n", argv[i], strerror(errno));
    return 127;
}
