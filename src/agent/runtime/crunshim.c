/* crunshim.c - the cgroup2 mask crun needs on hybrid hosts, and the exec
 * wrapper conmon runs crun through.  Kept to libc so that the wrapper can
 * be a tiny static binary: conmon execs it once per container create, and
 * berth itself takes ~8 ms just to load its shared libraries. */
#include "agent/runtime/crunshim.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define HYBRID_CONTROLLERS "/sys/fs/cgroup/unified/cgroup.controllers"

int crunshim_mask_cgroup2(void)
{
    if (unshare(CLONE_NEWNS) < 0)
        return errno;
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return errno;
    if (mount("/dev/null", HYBRID_CONTROLLERS, NULL, MS_BIND, NULL) < 0)
        return errno;
    return 0;
}

int crunshim_main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] != '/') {
        fprintf(stderr, "usage: berth-runtime-shim /ABSOLUTE/RUNTIME [ARGS...]\n");
        return 2;
    }
    int e = crunshim_mask_cgroup2();
    if (e != 0) {
        fprintf(stderr, "berth-runtime-shim: cannot mask cgroup2 controllers: %s\n", strerror(e));
        return 125;
    }
    execv(argv[1], argv + 1);
    fprintf(stderr, "berth-runtime-shim: exec %s: %s\n", argv[1], strerror(errno));
    return 127;
}
