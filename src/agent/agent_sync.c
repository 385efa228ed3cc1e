/* agent_sync.c - waiting helpers for the agent's threads (see
 * agent_sync.h).  They decide nothing: callers keep their own conditions
 * and loops. */
#include "agent/agent_sync.h"

#include <poll.h>
#include <stdint.h>
#include <unistd.h>

void agent_sync_poll(int wake_fd, int inotify_fd, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = wake_fd, .events = POLLIN}, {.fd = inotify_fd, .events = POLLIN}};
    if (poll(fds, inotify_fd >= 0 ? 2 : 1, timeout_ms) <= 0)
        return;
    char buf[4096];
    if (fds[0].revents & POLLIN) {
        uint64_t n;
        ssize_t rd = read(wake_fd, &n, sizeof(n));
        (void)rd;
    }
    if (inotify_fd >= 0 && (fds[1].revents & POLLIN))
        while (read(inotify_fd, buf, sizeof(buf)) > 0)
            ;
}
