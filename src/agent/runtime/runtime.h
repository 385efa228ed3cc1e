/* runtime.h - container lifecycle on one host: create (bundle + overlay
 * root + conmon + runtime create), start, signal, stop, wait, exec, status,
 * delete, and listing what a data directory holds so a restarted agent
 * re-adopts containers conmon kept running.
 *
 * State directory layout (DATA is the agent's data directory):
 *   DATA/runtime/runc, DATA/runtime/crun   the runtimes' --root
 *   DATA/sock/                             conmon attach socket links
 *   DATA/containers/ID/                    the OCI bundle and our records:
 *       berth.json     runtime, cgroupsPath, stop signal (written at create)
 *       config.json    rootfs/ (overlay mount)  upper/ work/
 *       hosts resolv.conf hostname             bind-mounted into /etc
 *       ctr.log        conmon's k8s-file log   conmon.err  conmon's stderr
 *       pid conmon.pid exit oom                written by the runtime/conmon
 * Cgroups: see cgroups.h.  Nothing else on the host is touched. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/runtime/bundle.h"
#include "agent/runtime/cgroups.h"
#include "common/error.h"
#include "agent/agent_limits.h"
#include "common/timeutil.h"
#include "agent/runtime/etcfiles.h"
#include "agent/runtime/oci_runtime.h"
#include "agent/runtime/seccomp_cache.h"

struct runtime {
    char data_dir[2048];
    char conmon[4096];
    struct oci_runtime rt[2]; /* indexed by enum oci_runtime_kind */
    bool have[2];
    struct cgroups cg;
    struct seccomp_cache seccomp; /* crun's compiled profiles (seccomp_cache.h) */
};

/* Open (creating) a data directory.  cgroup_parent: top-level cgroup name
 * (NULL: "berth").  Fails if conmon or neither runtime is installed. */
int runtime_open(struct runtime *r, const char *data_dir, const char *cgroup_parent, struct error *err);
/* What runtime_open (also a failed one) holds besides the directory. */
void runtime_close(struct runtime *r);

struct runtime_run_opts {
    enum oci_runtime_kind runtime;
    const char *const *lower; /* rootfs layers, top first */
    size_t n_lower;
    const char *task_id;             /* cgroup <parent>/<task_id>/<id>; must exist (cgroups_task_create) */
    const char *stop_signal;         /* "SIGTERM", "TERM", "15"; NULL: SIGTERM */
    const struct etcfiles_opts *etc; /* NULL: the image's own /etc files */
    int64_t log_size_max;            /* <= 0: unbounded */
    usec_t *ret_bundle_ready;        /* may be NULL: set to the monotonic time the bundle was written */
    usec_t *ret_created;             /* may be NULL: ... and when conmon's runtime call returned */
};

/* Create and start container id (the runtime id; [A-Za-z0-9_.-], at most
 * LIMIT_CTR_ID) from spec: mounts its root, writes its bundle and has conmon
 * run the runtime: `run --detach` through the shim, or `create` and then
 * `start` where only berth itself could be the shim (oci_runtime.h).  The
 * spec's user is resolved in the mounted root; cgroups_path and the /etc
 * files are filled in here.  On failure nothing is left behind.  *ret_pid
 * (may be NULL) is the container's init pid. */
int runtime_run(struct runtime *r, const char *id, const struct ctr_spec *spec, const struct runtime_run_opts *o,
                pid_t *ret_pid, struct error *err);

enum runtime_state {
    RUNTIME_CREATED,
    RUNTIME_RUNNING,
    RUNTIME_EXITED,
    RUNTIME_LOST, /* conmon is gone without recording an exit (host reboot, kill -9 of conmon) */
};
const char *runtime_state_name(enum runtime_state s);

struct runtime_status {
    enum runtime_state state;
    pid_t pid;        /* container init pid while created/running */
    int exit_code;    /* when exited: 0-255, 128+signal when killed */
    bool oom_killed;  /* the kernel OOM-killed a process in its cgroup */
    usec_t exited_at; /* wall clock, from the exit file's mtime; 0 if unknown */
    enum oci_runtime_kind runtime;
    char cgroups_path[256];
};

/* What the state directory and the live processes say about id.  Cheap: no
 * runtime child process. */
int runtime_status(struct runtime *r, const char *id, struct runtime_status *ret, struct error *err);

/* Wait until id has exited or deadline (time_monotonic(); 0 = forever).
 * Returns 0 with *ret filled, 1 on timeout, -1 on error.  Uses inotify on
 * the exit file conmon writes. */
int runtime_wait(struct runtime *r, const char *id, usec_t deadline, struct runtime_status *ret, struct error *err);

/* Send sig to the container's init.  Exited already is success. */
int runtime_kill(struct runtime *r, const char *id, int sig, struct error *err);

/* The container's stop signal, then SIGKILL after timeout; waits for the
 * exit and fills *ret (may be NULL). */
int runtime_stop(struct runtime *r, const char *id, usec_t timeout, struct runtime_status *ret, struct error *err);

/* Run argv in the running container (its user, env, cwd), output to
 * stdout_fd/stderr_fd (-1: discarded), killed after timeout (0: none).
 * *ret_exit is the exit code; a timeout is ERR_IO with *ret_timed_out. */
int runtime_exec(struct runtime *r, const char *id, const char *const *argv, size_t argc, usec_t timeout, int stdout_fd,
                 int stderr_fd, int *ret_exit, bool *ret_timed_out, struct error *err);

/* An exec's files, made by runtime_exec_prepare: the runtime to call, the
 * OCI process file (the container's process with argv, terminal as asked)
 * and where the runtime writes the process's host pid. */
struct runtime_exec_files {
    const struct oci_runtime *oc;
    char procfile[PATH_MAX];
    char pidfile[PATH_MAX];
};
/* Check that id runs and write its exec files; ERR_CONFLICT when it does
 * not run.  Remove them with runtime_exec_cleanup once the exec ended. */
int runtime_exec_prepare(struct runtime *r, const char *id, const char *const *argv, size_t argc, bool terminal,
                         struct runtime_exec_files *ret, struct error *err);
void runtime_exec_cleanup(struct runtime_exec_files *f);

/* Remove id: SIGKILL if still running, runtime delete, cgroup, overlay
 * mount, directories.  Read runtime_status first for the exit code and OOM
 * flag: they go with the container.  Missing is ERR_NOT_FOUND. */
int runtime_delete(struct runtime *r, const char *id, struct error *err);

/* Ids of the containers in the data directory (adoption after a restart:
 * then runtime_status/runtime_wait each).  *ret is an array of *ret_n
 * strings; free with runtime_list_free. */
int runtime_list(struct runtime *r, char ***ret, size_t *ret_n, struct error *err);
void runtime_list_free(char **ids, size_t n);

/* Path of a file in the container's directory (ctr.log for logs). */
int runtime_path(const struct runtime *r, const char *id, const char *name, char *buf, size_t cap, struct error *err);

/* "SIGTERM", "TERM" or "15" -> signal number; -1 if unknown. */
int runtime_parse_signal(const char *s);

bool runtime_id_valid(const char *id);
