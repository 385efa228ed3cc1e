/* http_accept.c - accepting connections (see http_accept.h).
 *
 * At fd exhaustion (EMFILE, ENFILE) a connection waiting in the backlog
 * cannot be accepted, so poll() would report it again and again.  A spare
 * fd is kept open for that moment: it is closed, the waiting connection is
 * accepted and closed at once (the client sees its connection refused, not
 * a hang), and the spare is opened again.  Warnings about it are one line
 * a second at most, with a count. */
#include "server/http/http_accept.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timeutil.h"

struct http_accept {
    int listen_fd;
    int stop_fd; /* eventfd: readable once stopping */
    int spare_fd;
    struct MHD_Daemon *daemon;
    pthread_t thread;
    struct log_ratelimit refused_log;
};

int http_accept_listen(const struct sockaddr *addr, socklen_t addrlen, int *ret_fd, uint16_t *ret_port,
                       struct error *err)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return error_sys(err, "socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, addr, addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
        int r = error_sys(err, "bind/listen");
        close(fd);
        return r;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    uint16_t port = 0;
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
        port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                 : ((struct sockaddr_in *)&bound)->sin_port);
    *ret_fd = fd;
    *ret_port = port;
    return 0;
}

/* Out of fds: refuse the connection at the head of the backlog. */
static void refuse_one(struct http_accept *a, int accept_errno)
{
    if (a->spare_fd >= 0) {
        close(a->spare_fd);
        int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            close(fd);
        a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    unsigned long held_back = 0;
    if (log_ratelimit_pass(&a->refused_log, USEC_PER_SEC, &held_back))
        log_warn("http: out of file descriptors (%s): refusing connections (%lu more since the last line)",
                 accept_errno == EMFILE ? "process limit" : "system limit", held_back);
    /* No spare to make room with: wait for fds rather than spin. */
    if (a->spare_fd < 0) {
        struct pollfd p = {.fd = a->stop_fd, .events = POLLIN};
        poll(&p, 1, 100);
    }
}

static void *accept_main(void *arg)
{
    struct http_accept *a = arg;
    struct pollfd pfd[2] = {{.fd = a->listen_fd, .events = POLLIN}, {.fd = a->stop_fd, .events = POLLIN}};
    for (;;) {
        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            break;
        if (pfd[1].revents)
            break;
        if (!(pfd[0].revents & POLLIN))
            continue;
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        int fd = accept4(a->listen_fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
        if (fd >= 0) {
            /* Over a limit, libmicrohttpd closes it (and says so). */
            MHD_add_connection(a->daemon, fd, (struct sockaddr *)&peer, plen);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE) {
            refuse_one(a, errno);
        } else if (errno == ENOBUFS || errno == ENOMEM) {
            struct pollfd p = {.fd = a->stop_fd, .events = POLLIN};
            poll(&p, 1, 100);
        }
        /* EAGAIN, ECONNABORTED, EINTR, ...: the next poll() tells. */
    }
    return NULL;
}

int http_accept_start(int listen_fd, struct MHD_Daemon *daemon, struct http_accept **ret_accept, struct error *err)
{
    struct http_accept *a = calloc(1, sizeof(*a));
    if (!a) {
        close(listen_fd);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    a->listen_fd = listen_fd;
    a->daemon = daemon;
    a->refused_log = (struct log_ratelimit)LOG_RATELIMIT_INIT;
    a->stop_fd = eventfd(0, EFD_CLOEXEC);
    a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (a->stop_fd < 0 || pthread_create(&a->thread, NULL, accept_main, a) != 0) {
        int r = error_set(err, ERR_SYSTEM, "cannot start the accept thread");
        if (a->stop_fd >= 0)
            close(a->stop_fd);
        if (a->spare_fd >= 0)
            close(a->spare_fd);
        close(listen_fd);
        free(a);
        return r;
    }
    *ret_accept = a;
    return 0;
}

void http_accept_stop(struct http_accept *a)
{
    if (!a)
        return;
    uint64_t one = 1;
    if (write(a->stop_fd, &one, sizeof(one)) < 0)
        log_warn("http: cannot wake the accept thread");
    pthread_join(a->thread, NULL);
    close(a->stop_fd);
    if (a->spare_fd >= 0)
        close(a->spare_fd);
    close(a->listen_fd);
    free(a);
}
