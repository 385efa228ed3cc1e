/* haproxy_proc.c - one HAProxy master-worker process (see haproxy_proc.h).
 *
 * Factored out of the load balancers' proxy so that Service Connect's
 * proxy starts, checks, stops and talks to HAProxy the same way. */
#include "server/elbv2/haproxy_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"

pid_t haproxy_spawn(const char *haproxy, const char *logdir, const char *const *args, size_t nargs)
{
    char logpath[1200];
    snprintf(logpath, sizeof(logpath), "%s/haproxy.log", logdir);
    const char *argv[12] = {haproxy};
    for (size_t i = 0; i < nargs && i + 2 < ELEMENTSOF(argv); i++)
        argv[i + 1] = args[i];
    int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = logfd >= 0 && nullfd >= 0 ? fork() : -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(nullfd, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execv(haproxy, (char *const *)argv);
        _exit(127);
    }
    if (logfd >= 0)
        close(logfd);
    if (nullfd >= 0)
        close(nullfd);
    return pid;
}

int haproxy_check(const char *haproxy, const char *logdir, const char *cfgpath)
{
    const char *args[] = {"-c", "-q", "-f", cfgpath};
    pid_t pid = haproxy_spawn(haproxy, logdir, args, ELEMENTSOF(args));
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

void haproxy_stop(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        for (int i = 0; i < 100; i++) {
            pid_t r = waitpid(*pid, NULL, WNOHANG);
            if (r == *pid || (r < 0 && errno != EINTR))
                break;
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            if (i == 99) {
                kill(*pid, SIGKILL);
                waitpid(*pid, NULL, 0);
            }
        }
    }
    *pid = 0;
}

bool haproxy_exited(pid_t *pid, int *ret_status)
{
    int status = 0;
    if (*pid <= 0 || waitpid(*pid, &status, WNOHANG) != *pid)
        return false;
    *pid = 0;
    *ret_status = status;
    return true;
}

int haproxy_command(const char *abns, const char *cmd, struct buf *ret)
{
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    /* HAProxy 2.6 binds abns@ names zero-padded to the full length. */
    snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "%s", abns);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -1;
    if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
        return -1;
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : 0;
        if (buf_append(ret, chunk, (size_t)n) < 0)
            return -1;
    }
}
