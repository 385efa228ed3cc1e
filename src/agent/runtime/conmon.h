/* conmon.h - create a container under conmon, which then holds its stdio,
 * writes its log and records its exit code, independently of us. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/timeutil.h"

struct conmon_opts {
    const char *conmon_path;
    const char *id;   /* runtime container id */
    const char *uuid; /* conmon's --cuuid: names the attach socket dir */
    const char *bundle;
    const char *pidfile; /* container pid, written by the runtime */
    const char *conmon_pidfile;
    const char *log_path;    /* k8s-file: "<RFC3339Nano> stdout|stderr F|P text" */
    int64_t log_size_max;    /* <= 0: unbounded */
    const char *persist_dir; /* conmon writes <dir>/exit (and oom) here */
    const char *socket_dir;  /* attach sockets (we do not attach) */
    const char *stderr_path; /* conmon's own diagnostics */
    const char *runtime_path;
    const char *const *runtime_args; /* before "create" */
    size_t n_runtime_args;
};

/* Start conmon, which runs `runtime create` and stays behind as the
 * container's monitor (it double-forks: the process we start exits at once
 * and is reaped here).  Waits up to timeout for the container pid reported
 * on conmon's sync pipe.  The container is created, not started. */
int conmon_create(const struct conmon_opts *o, usec_t timeout, pid_t *ret_pid, struct error *err);
