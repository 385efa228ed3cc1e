/* spawn.c - starting and reaping helper programs.
 *
 * Children get an explicit argv (never a shell), their stdio on the fds the
 * caller names, and keep only the fds listed in keep_fds: everything else we
 * open is O_CLOEXEC.  Waiting is done on a pidfd with poll(), so a deadline
 * costs no polling loop.  This module does not know what it runs; the OCI
 * runtime and conmon specifics live in oci_runtime.c and conmon.c. */
#include "agent/runtime/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"

extern char **environ;

static int pidfd_open_(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* In the child: put fd on target (clearing close-on-exec), or /dev/null. */
static int child_fd(int fd, int target, int flags)
{
    if (fd < 0) {
        fd = open("/dev/null", flags);
        if (fd < 0)
            return -1;
    }
    if (fd == target)
        return fcntl(fd, F_SETFD, 0);
    return dup2(fd, target) < 0 ? -1 : 0;
}

int spawn_start(const struct spawn_opts *o, pid_t *ret_pid, int *ret_pidfd, struct error *err)
{
    /* Block all signals across fork so the child cannot run our handlers
     * before exec; the child restores defaults. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = e;
        return error_sys(err, "fork for %s", o->argv[0]);
    }
    if (pid == 0) {
        for (int s = 1; s < NSIG; s++)
            signal(s, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        /* dup2 order: a source fd may sit on 0..2, so move them high first. */
        int fds[3] = {o->stdin_fd, o->stdout_fd, o->stderr_fd};
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0 && fds[i] <= 2) {
                int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
                if (moved < 0)
                    _exit(127);
                fds[i] = moved;
            }
        if (child_fd(fds[0], 0, O_RDONLY) < 0 || child_fd(fds[1], 1, O_WRONLY) < 0 || child_fd(fds[2], 2, O_WRONLY) < 0)
            _exit(127);
        for (size_t i = 0; i < o->n_keep_fds; i++)
            if (fcntl(o->keep_fds[i], F_SETFD, 0) < 0)
                _exit(127);
        if (o->cwd && chdir(o->cwd) < 0)
            _exit(127);
        if (o->child_setup && o->child_setup(o->child_arg) != 0)
            _exit(127);
        char *const *envp = o->envp ? (char *const *)o->envp : environ;
        execve(o->argv[0], (char *const *)o->argv, envp);
        _exit(127);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    int pidfd = pidfd_open_(pid);
    if (pidfd < 0) {
        int e = errno;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        errno = e;
        return error_sys(err, "pidfd_open");
    }
    *ret_pid = pid;
    *ret_pidfd = pidfd;
    return 0;
}

/* poll()'s timeout until deadline (0: none), rounded up to whole ms. */
static int poll_timeout_ms(usec_t deadline)
{
    if (deadline <= 0)
        return -1;
    usec_t left = deadline - time_monotonic();
    return left > 0 ? (int)((left + 999) / 1000) : 0;
}

int spawn_wait(pid_t pid, int pidfd, usec_t deadline, int *ret_status, struct error *err)
{
    for (;;) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int r = poll(&p, 1, poll_timeout_ms(deadline));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return error_sys(err, "poll pidfd");
        }
        if (r == 0)
            return 1;
        int status = 0;
        pid_t w = waitpid(pid, &status, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return error_sys(err, "waitpid");
        }
        *ret_status = status;
        return 0;
    }
}

void spawn_kill_reap(pid_t pid, int pidfd)
{
    if (pid <= 0)
        return;
    if (pidfd >= 0)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    else
        kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int spawn_exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

/* What spawn_run keeps of the child's output: the first cap - 1 bytes,
 * NUL-terminated; the rest is dropped. */
struct capture {
    char *out;
    size_t cap, len;
};

static void capture_add(struct capture *c, const char *buf, size_t n)
{
    size_t keep = n;
    if (c->len + keep > c->cap - 1)
        keep = c->cap - 1 - c->len;
    memcpy(c->out + c->len, buf, keep);
    c->len += keep;
    c->out[c->len] = '\0';
}

/* Read the child's output from rd (-1: none) until the child exits: 0 with
 * *ret_status, 1 at the deadline (the child still running), -1 on error
 * (the child killed).  *pipe_open tells whether rd may hold more.  A child
 * that leaves a grandchild holding the pipe (conmon does not, runc exec may)
 * still ends the wait when the child itself exits. */
static int collect(pid_t pid, int pidfd, int rd, usec_t deadline, struct capture *c, bool *pipe_open, int *ret_status,
                   struct error *err)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = *pipe_open ? rd : -1, .events = POLLIN}};
        int r = poll(p, 2, poll_timeout_ms(deadline));
        if (r < 0 && errno != EINTR) {
            int e = errno;
            spawn_kill_reap(pid, pidfd);
            errno = e;
            return error_sys(err, "poll");
        }
        /* A chatty child must not outrun its deadline: check it on every
         * pass, not only when poll times out. */
        if (deadline > 0 && time_monotonic() >= deadline && !(r > 0 && (p[0].revents & POLLIN)))
            return 1;
        if (r <= 0)
            continue;
        if (*pipe_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            char buf[4096];
            ssize_t n = read(rd, buf, sizeof(buf));
            if (n > 0)
                capture_add(c, buf, (size_t)n);
            else if (n == 0 || errno != EINTR)
                *pipe_open = false;
        }
        if (p[0].revents & POLLIN)
            return spawn_wait(pid, pidfd, 0, ret_status, err) < 0 ? -1 : 0;
    }
}

/* Keep what is already buffered in rd without waiting for grandchildren. */
static void drain(int rd, struct capture *c)
{
    fcntl(rd, F_SETFL, O_NONBLOCK);
    char buf[4096];
    for (;;) {
        ssize_t n = read(rd, buf, sizeof(buf));
        if (n <= 0)
            break;
        capture_add(c, buf, (size_t)n);
    }
}

int spawn_run(const struct spawn_opts *o, usec_t timeout, char *out, size_t out_cap, void (*on_timeout)(void *),
              void *userdata, struct spawn_result *ret, struct error *err)
{
    int pipefd[2] = {-1, -1};
    bool capture = out && out_cap > 0 && (o->stdout_fd < 0 || o->stderr_fd < 0);
    if (capture && pipe2(pipefd, O_CLOEXEC) < 0)
        return error_sys(err, "pipe");
    _cleanup_close_ int rd = pipefd[0];
    _cleanup_close_ int wr = pipefd[1];
    struct spawn_opts so = *o;
    if (capture) {
        if (so.stdout_fd < 0)
            so.stdout_fd = wr;
        if (so.stderr_fd < 0)
            so.stderr_fd = wr;
    }
    pid_t pid = -1;
    _cleanup_close_ int pidfd = -1;
    if (spawn_start(&so, &pid, &pidfd, err) < 0)
        return -1;
    if (wr >= 0) {
        close(wr);
        wr = -1;
    }
    struct capture c = {.out = out, .cap = out_cap};
    if (out && out_cap)
        out[0] = '\0';
    usec_t deadline = timeout > 0 ? time_monotonic() + timeout : 0;
    bool pipe_open = rd >= 0;
    int status = 0;
    int r = collect(pid, pidfd, rd, deadline, &c, &pipe_open, &status, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (on_timeout)
            on_timeout(userdata);
        spawn_kill_reap(pid, pidfd);
        ret->status = 0;
        ret->timed_out = true;
        return error_set(err, ERR_IO, "%s timed out after %lld ms", o->argv[0], (long long)(timeout / USEC_PER_MSEC));
    }
    if (pipe_open)
        drain(rd, &c);
    ret->status = status;
    ret->timed_out = false;
    return 0;
}

int spawn_find_program(const char *name, char *buf, size_t cap, struct error *err)
{
    if (strchr(name, '/')) {
        if (access(name, X_OK) < 0)
            return error_sys(err, "%s", name);
        if ((size_t)snprintf(buf, cap, "%s", name) >= cap)
            return error_set(err, ERR_LIMIT, "path too long: %s", name);
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    const char *p = path;
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n > 0) {
            char cand[PATH_MAX];
            if ((size_t)snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, name) < sizeof(cand)) {
                struct stat st;
                if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
                    if ((size_t)snprintf(buf, cap, "%s", cand) >= cap)
                        return error_set(err, ERR_LIMIT, "path too long: %s", cand);
                    return 0;
                }
            }
        }
        p += n;
        if (*p == ':')
            p++;
    }
    return error_set(err, ERR_NOT_FOUND, "%s not found in PATH", name);
}
