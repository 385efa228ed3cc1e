/* spawn.h - start helper programs (conmon, runc, crun) with an explicit argv,
 * wait for them on a pidfd with a deadline, and capture bounded output. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/timeutil.h"

struct spawn_opts {
    const char *const *argv; /* argv[0] is an absolute path; NULL-terminated */
    const char *const *envp; /* NULL: inherit ours */
    int stdin_fd;            /* -1: /dev/null */
    int stdout_fd;           /* -1: /dev/null (spawn_run: captured) */
    int stderr_fd;           /* -1: /dev/null (spawn_run: captured) */
    const char *cwd;         /* NULL: ours */
    const int *keep_fds;     /* fds the child inherits at the same number */
    size_t n_keep_fds;
    /* Runs in the child between fork and exec; must be async-signal-safe.
     * Returns 0, or an errno value that makes the child exit with 127. */
    int (*child_setup)(const void *arg);
    const void *child_arg;
};

/* Fork and exec.  On success *ret_pid is the child and *ret_pidfd a pidfd
 * for it (O_CLOEXEC) that the caller closes; the caller must reap the child
 * (spawn_wait). */
int spawn_start(const struct spawn_opts *o, pid_t *ret_pid, int *ret_pidfd, struct error *err);

/* Wait until the child exits or `deadline` (time_monotonic(); 0 = never)
 * passes.  Returns 0 with the waitpid status, 1 on timeout (child not
 * reaped), -1 on error. */
int spawn_wait(pid_t pid, int pidfd, usec_t deadline, int *ret_status, struct error *err);

/* Kill (SIGKILL) and reap a child we started; for error paths. */
void spawn_kill_reap(pid_t pid, int pidfd);

/* Exit code of a waitpid status the way shells report it (128+signal). */
int spawn_exit_code(int status);

/* Run to completion with a timeout.  Output the child writes to stdout and
 * stderr (where the opts leave them at -1) is collected into out (NUL
 * terminated, at most out_cap-1 bytes kept; the rest is drained and
 * dropped).  On timeout, on_timeout (if set) runs, then the child is killed
 * and the call fails with ERR_IO and *ret_timed_out true. */
struct spawn_result {
    int status; /* waitpid status */
    bool timed_out;
};
int spawn_run(const struct spawn_opts *o, usec_t timeout, char *out, size_t out_cap, void (*on_timeout)(void *),
              void *userdata, struct spawn_result *ret, struct error *err);

/* Find an executable: an absolute path is checked, a bare name is looked up
 * in $PATH (or a default PATH). */
int spawn_find_program(const char *name, char *buf, size_t cap, struct error *err);
