/* oci_runtime.h - driving an OCI runtime binary (runc or crun): start, kill,
 * delete, state, exec, each as one child process with a timeout.  create
 * goes through conmon (conmon.h), which is handed conmon_runtime(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/timeutil.h"

enum oci_runtime_kind { OCI_RUNTIME_RUNC, OCI_RUNTIME_CRUN };

struct oci_runtime {
    enum oci_runtime_kind kind;
    char path[4096];    /* the runtime binary */
    char root[4096];    /* its --root state directory, the same for every call */
    char shim[4096];    /* what conmon runs the runtime through (crun on hybrid hosts; run mode): berth-runtime-shim */
    bool shim_is_berth; /* ... or, without it next to us, our own binary as `berth runtime-shim` */
    bool mask_cgroup2;  /* hide the hybrid cgroup2 mount's controllers (see oci_runtime.c) */
    bool seal;          /* crun: run with its binary sealed, so it need not copy itself (crunshim.h) */
};

int oci_runtime_kind_parse(const char *name, enum oci_runtime_kind *ret);
const char *oci_runtime_kind_name(enum oci_runtime_kind kind);

/* Find the runtime binary and decide whether it needs the cgroup2 mask. */
int oci_runtime_open(struct oci_runtime *rt, enum oci_runtime_kind kind, const char *root, struct error *err);

/* The program and leading arguments conmon should run as its runtime
 * (conmon appends "create --bundle ... ID").  Pointers into rt.  With
 * want_run, where the static shim makes it cheap, the shim runs the
 * runtime's `run --detach` instead, so the container is started too:
 * returns true then, false when the caller must still `start` it. */
#define OCI_RUNTIME_MAX_PREFIX 8
bool oci_runtime_conmon_runtime(const struct oci_runtime *rt, bool want_run, const char **ret_path,
                                const char *args[OCI_RUNTIME_MAX_PREFIX], size_t *ret_n);

int oci_runtime_start(const struct oci_runtime *rt, const char *id, struct error *err);
int oci_runtime_kill(const struct oci_runtime *rt, const char *id, int sig, struct error *err);
/* force: kill a running container first.  A container the runtime does not
 * know is success. */
int oci_runtime_delete(const struct oci_runtime *rt, const char *id, bool force, struct error *err);
/* The runtime's view: status "created", "running", "paused", "stopped";
 * ERR_NOT_FOUND if it does not know id. */
int oci_runtime_state(const struct oci_runtime *rt, const char *id, char *status, size_t cap, pid_t *ret_pid,
                      struct error *err);

/* Run the OCI process described by the file process_path (args, user, env,
 * cwd, capabilities: both runtimes take the same file, so exec behaves the
 * same under each) inside the container.  stdout_fd/stderr_fd receive the
 * output (-1: discarded).  The runtime writes the process's host pid to
 * pidfile.  After timeout (0: none) the process is SIGKILLed and the call
 * fails with ERR_IO and *ret_timed_out true.  *ret_exit is the command's
 * exit code (128+signal when killed). */
int oci_runtime_exec(const struct oci_runtime *rt, const char *id, const char *process_path, usec_t timeout,
                     int stdout_fd, int stderr_fd, const char *pidfile, int *ret_exit, bool *ret_timed_out,
                     struct error *err);

/* Start the same exec without waiting for it (ECS Exec): stdin_fd,
 * stdout_fd and stderr_fd are the runtime's stdio (a terminal's slave for a
 * process file with terminal true: the runtime relays it to the
 * container's own terminal).  The caller reaps *ret_pid (spawn_wait) and
 * closes *ret_pidfd; the command's exit code is the runtime's. */
int oci_runtime_exec_start(const struct oci_runtime *rt, const char *id, const char *process_path, const char *pidfile,
                           int stdin_fd, int stdout_fd, int stderr_fd, pid_t *ret_pid, int *ret_pidfd,
                           struct error *err);
