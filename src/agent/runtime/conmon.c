/* conmon.c - conmon as the container monitor.
 *
 * We speak conmon's API version 1: it reports on the fd named by
 * _OCI_SYNCPIPE one JSON line, {"data": PID} once `runtime create` worked or
 * {"data": -1, "message": "..."} when it failed.  conmon keeps that pipe
 * open until the container exits, so we stop reading after the first line.
 * The exit code is not read from the pipe: conmon writes it to
 * <persist-dir>/exit, which survives our restarts (runtime.c waits on it
 * with inotify).  Starting the created container is runtime.c's job. */
#include "agent/runtime/conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "agent/runtime/spawn.h"

extern char **environ;

#define MAX_ARGS 64

/* Read one line (or until EOF) from fd by deadline. */
static int read_sync(int fd, usec_t deadline, char *buf, size_t cap, struct error *err)
{
    size_t len = 0;
    buf[0] = '\0';
    for (;;) {
        usec_t left = deadline - time_monotonic();
        if (left <= 0)
            return error_set(err, ERR_IO, "conmon did not report the container pid in time");
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)((left + 999) / 1000));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return error_sys(err, "poll conmon sync pipe");
        }
        if (r == 0)
            continue;
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return error_sys(err, "read conmon sync pipe");
        }
        len += (size_t)n;
        buf[len] = '\0';
        if (n == 0 || strchr(buf, '\n'))
            return 0;
        if (len == cap - 1)
            return error_set(err, ERR_LIMIT, "conmon sync message longer than %zu bytes", cap - 1);
    }
}

/* conmon's command line; the strings it points to live here too. */
struct conmon_argv {
    const char *v[MAX_ARGS];
    char logarg[4200], sizearg[32];
};

static int build_argv(const struct conmon_opts *o, struct conmon_argv *a, struct error *err)
{
    snprintf(a->logarg, sizeof(a->logarg), "k8s-file:%s", o->log_path);
    const struct {
        const char *flag, *value;
    } opts[] = {
        {"--api-version", "1"},
        {"--cid", o->id},
        {"--cuuid", o->uuid},
        {"--name", o->id},
        {"--runtime", o->runtime_path},
        {"--bundle", o->bundle},
        {"--container-pidfile", o->pidfile},
        {"--conmon-pidfile", o->conmon_pidfile},
        {"--log-path", a->logarg},
        {"--persist-dir", o->persist_dir},
        {"--socket-dir-path", o->socket_dir},
    };
    size_t n = 0;
    a->v[n++] = o->conmon_path;
    for (size_t i = 0; i < ELEMENTSOF(opts); i++) {
        a->v[n++] = opts[i].flag;
        a->v[n++] = opts[i].value;
    }
    if (o->log_size_max > 0) {
        snprintf(a->sizearg, sizeof(a->sizearg), "%lld", (long long)o->log_size_max);
        a->v[n++] = "--log-size-max";
        a->v[n++] = a->sizearg;
    }
    if (o->n_runtime_args > (MAX_ARGS - n - 1) / 2)
        return error_set(err, ERR_INTERNAL, "too many runtime arguments");
    for (size_t i = 0; i < o->n_runtime_args; i++) {
        a->v[n++] = "--runtime-arg";
        a->v[n++] = o->runtime_args[i];
    }
    a->v[n] = NULL;
    return 0;
}

static bool locale_var(const char *kv)
{
    return strncmp(kv, "LANG=", 5) == 0 || strncmp(kv, "LANGUAGE=", 9) == 0 || strncmp(kv, "LC_", 3) == 0;
}

/* Our environment, without _OCI_* variables, plus syncenv
 * ("_OCI_SYNCPIPE=FD"); NULL when out of memory.  Free the array only.
 * The C locale: conmon's setlocale would otherwise read a dozen locale
 * files at every container's start (~0.5-1 ms), for messages nobody
 * reads translated. */
static const char **build_envp(const char *syncenv)
{
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    const char **envp = calloc(nenv + 3, sizeof(*envp));
    if (!envp)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++)
        if (strncmp(environ[i], "_OCI_", 5) != 0 && !locale_var(environ[i]))
            envp[k++] = environ[i];
    envp[k++] = "LC_ALL=C";
    envp[k++] = syncenv;
    envp[k] = NULL;
    return envp;
}

/* Start conmon and wait, until deadline, for it to detach (it forks the
 * monitor and exits).  Our copy of the sync pipe's write end, *sync_w, is
 * closed once conmon has it. */
static int spawn_detached(const struct conmon_opts *o, const char **argv, const char **envp, int *sync_w,
                          usec_t timeout, usec_t *ret_deadline, struct error *err)
{
    _cleanup_close_ int errfd = open(o->stderr_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (errfd < 0)
        return error_sys(err, "open %s", o->stderr_path);
    /* conmon writes some files (an "oom" marker) relative to its working
     * directory: keep them in the bundle. */
    struct spawn_opts so = {.argv = argv,
                            .envp = envp,
                            .stdin_fd = -1,
                            .stdout_fd = errfd,
                            .stderr_fd = errfd,
                            .cwd = o->bundle,
                            .keep_fds = sync_w,
                            .n_keep_fds = 1};
    pid_t pid;
    _cleanup_close_ int pidfd = -1;
    if (spawn_start(&so, &pid, &pidfd, err) < 0)
        return error_prefix(err, "start conmon");
    close(*sync_w);
    *sync_w = -1;

    usec_t deadline = time_monotonic() + timeout;
    *ret_deadline = deadline;
    int status = 0;
    int r = spawn_wait(pid, pidfd, deadline, &status, err);
    if (r != 0) {
        spawn_kill_reap(pid, pidfd);
        return r < 0 ? -1 : error_set(err, ERR_IO, "conmon did not detach in time");
    }
    if (spawn_exit_code(status) != 0)
        return error_set(err, ERR_IO, "conmon exited with %d (see %s)", spawn_exit_code(status), o->stderr_path);
    return 0;
}

/* The container's pid from conmon's sync message, or why create failed. */
static int parse_sync(const char *msg, const struct conmon_opts *o, pid_t *ret_pid, struct error *err)
{
    json_error_t jerr;
    _cleanup_json_ json_t *j = json_loads(msg, JSON_DISABLE_EOF_CHECK, &jerr);
    json_int_t data = -1;
    const char *message = NULL;
    if (!j || json_unpack(j, "{s:I, s?s}", "data", &data, "message", &message) < 0)
        return error_set(err, ERR_IO, "conmon: no container pid reported (see %s)", o->stderr_path);
    if (data <= 0)
        return error_set(err, ERR_IO, "create failed: %.800s", message ? message : "unknown error");
    *ret_pid = (pid_t)data;
    return 0;
}

int conmon_create(const struct conmon_opts *o, usec_t timeout, pid_t *ret_pid, struct error *err)
{
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) < 0)
        return error_sys(err, "pipe");
    _cleanup_close_ int sync_r = sync[0];
    _cleanup_close_ int sync_w = sync[1];

    struct conmon_argv argv;
    if (build_argv(o, &argv, err) < 0)
        return -1;
    char syncenv[64];
    snprintf(syncenv, sizeof(syncenv), "_OCI_SYNCPIPE=%d", sync_w);
    _cleanup_free_ const char **envp = build_envp(syncenv);
    if (!envp)
        return error_set(err, ERR_INTERNAL, "out of memory");

    usec_t deadline = 0;
    if (spawn_detached(o, argv.v, envp, &sync_w, timeout, &deadline, err) < 0)
        return -1;
    char msg[LIMIT_CONMON_SYNC];
    if (read_sync(sync_r, deadline, msg, sizeof(msg), err) < 0)
        return -1;
    return parse_sync(msg, o, ret_pid, err);
}
