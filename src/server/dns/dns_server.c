/* dns_server.c - the DNS responder's sockets and threads (see
 * dns_server.h).  The UDP thread never blocks on an upstream: a forwarded
 * query gets its own connected socket in a small table polled with the
 * listener, and an upstream that stays silent past the deadline gets the
 * client a SERVFAIL.  What it answers itself it answers inline. */
#include "server/dns/dns_server.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "server/dns/dns_packet.h"
#include "server/dns/dns_zone.h"

/* A forwarded datagram may be larger than a plain answer (EDNS). */
#define DNS_FORWARD_BUF 4096

struct pending {
    int fd; /* -1: free */
    usec_t deadline;
    struct sockaddr_storage client;
    socklen_t client_len;
    uint8_t query[DNS_UDP_MAX];
    size_t query_len;
};

struct dns_server {
    struct store *store;
    char region[64];
    int udp_fd, tcp_fd, stop_fd;
    struct sockaddr_storage upstream[DNS_UPSTREAMS_MAX];
    socklen_t upstream_len[DNS_UPSTREAMS_MAX];
    int n_upstream;
    uint16_t port;
    pthread_t udp_thread, tcp_thread;
    bool udp_started, tcp_started;
    struct pending pending[DNS_FORWARD_PENDING_MAX];
};

/* ---- upstreams ------------------------------------------------------------ */

static int numeric_addr(const char *host, uint16_t port, int socktype, struct sockaddr_storage *ret, socklen_t *ret_len)
{
    char service[8];
    snprintf(service, sizeof(service), "%u", port);
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = socktype}, *res = NULL;
    if (getaddrinfo(host, service, &hints, &res) != 0 || !res)
        return -1;
    memcpy(ret, res->ai_addr, res->ai_addrlen);
    *ret_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void read_upstreams(struct dns_server *d, const char *path)
{
    _cleanup_free_ char *text = NULL;
    struct error err;
    if (fs_read_file(path ? path : "/etc/resolv.conf", DNS_RESOLV_CONF_MAX, &text, NULL, &err) < 0) {
        log_warn("dns: %s: forwarded names are refused", err.msg);
        return;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && d->n_upstream < DNS_UPSTREAMS_MAX;
         line = strtok_r(NULL, "\n", &save)) {
        char addr[64];
        if (sscanf(line, " nameserver %63s", addr) != 1)
            continue;
        char *pct = strchr(addr, '%'); /* a zone index: not numeric for getaddrinfo */
        if (pct)
            *pct = '\0';
        int i = d->n_upstream;
        if (numeric_addr(addr, 53, SOCK_DGRAM, &d->upstream[i], &d->upstream_len[i]) == 0)
            d->n_upstream++;
    }
}

/* ---- UDP -------------------------------------------------------------------- */

static void pending_answer_error(struct dns_server *d, struct pending *p, int rcode)
{
    struct dns_query q;
    uint8_t out[DNS_UDP_MAX];
    if (dns_query_parse(p->query, p->query_len, &q) == 0) {
        size_t n = dns_error_answer(out, sizeof(out), &q, p->query, rcode);
        if (n)
            (void)sendto(d->udp_fd, out, n, MSG_DONTWAIT, (struct sockaddr *)&p->client, p->client_len);
    }
}

static void pending_close(struct pending *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

/* Send the query on to the first upstream, or answer REFUSED/SERVFAIL. */
static void forward_start(struct dns_server *d, const uint8_t *msg, size_t len, struct sockaddr_storage *client,
                          socklen_t client_len)
{
    struct pending *p = NULL;
    for (size_t i = 0; i < DNS_FORWARD_PENDING_MAX && !p; i++)
        if (d->pending[i].fd < 0)
            p = &d->pending[i];
    struct pending tmp = {.fd = -1};
    struct pending *use = p ? p : &tmp;
    use->client = *client;
    use->client_len = client_len;
    use->query_len = len < sizeof(use->query) ? len : sizeof(use->query);
    memcpy(use->query, msg, use->query_len);
    if (!p || d->n_upstream == 0) {
        pending_answer_error(d, use, d->n_upstream == 0 ? DNS_RCODE_REFUSED : DNS_RCODE_SERVFAIL);
        return;
    }
    p->fd = socket(d->upstream[0].ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&d->upstream[0], d->upstream_len[0]) < 0 ||
        send(p->fd, msg, len, 0) < 0) {
        pending_answer_error(d, p, DNS_RCODE_SERVFAIL);
        pending_close(p);
        return;
    }
    p->deadline = time_monotonic() + (usec_t)DNS_FORWARD_TIMEOUT_MS * 1000;
}

static void forward_reply(struct dns_server *d, struct pending *p)
{
    uint8_t buf[DNS_FORWARD_BUF];
    ssize_t n = recv(p->fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    /* Only the answer to our own query id: anything else is dropped. */
    if (n >= DNS_HEADER_LEN && memcmp(buf, p->query, 2) == 0)
        (void)sendto(d->udp_fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&p->client, p->client_len);
    else
        pending_answer_error(d, p, DNS_RCODE_SERVFAIL);
    pending_close(p);
}

static void udp_query(struct dns_server *d)
{
    uint8_t in[DNS_FORWARD_BUF], out[DNS_UDP_MAX];
    struct sockaddr_storage client;
    socklen_t client_len = sizeof(client);
    ssize_t n = recvfrom(d->udp_fd, in, sizeof(in), MSG_DONTWAIT, (struct sockaddr *)&client, &client_len);
    if (n <= 0)
        return;
    size_t out_len = 0;
    switch (dns_zone_answer(d->store, d->region, in, (size_t)n, out, sizeof(out), &out_len)) {
    case DNS_ZONE_ANSWERED:
        (void)sendto(d->udp_fd, out, out_len, MSG_DONTWAIT, (struct sockaddr *)&client, client_len);
        break;
    case DNS_ZONE_FORWARD: forward_start(d, in, (size_t)n, &client, client_len); break;
    case DNS_ZONE_DROP: break;
    }
}

static void *udp_main(void *arg)
{
    struct dns_server *d = arg;
    for (;;) {
        struct pollfd fds[2 + DNS_FORWARD_PENDING_MAX];
        struct pending *of[2 + DNS_FORWARD_PENDING_MAX];
        nfds_t nfds = 0;
        fds[nfds++] = (struct pollfd){.fd = d->stop_fd, .events = POLLIN};
        fds[nfds++] = (struct pollfd){.fd = d->udp_fd, .events = POLLIN};
        usec_t now = time_monotonic(), next = now + 60 * USEC_PER_SEC;
        for (size_t i = 0; i < DNS_FORWARD_PENDING_MAX; i++) {
            struct pending *p = &d->pending[i];
            if (p->fd < 0)
                continue;
            if (p->deadline <= now) {
                pending_answer_error(d, p, DNS_RCODE_SERVFAIL);
                pending_close(p);
                continue;
            }
            next = p->deadline < next ? p->deadline : next;
            of[nfds] = p;
            fds[nfds++] = (struct pollfd){.fd = p->fd, .events = POLLIN};
        }
        int r = poll(fds, nfds, (int)((next - now) / 1000) + 1);
        if (r < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents & POLLIN)
            udp_query(d);
        for (nfds_t i = 2; i < nfds; i++)
            if (fds[i].revents)
                forward_reply(d, of[i]);
    }
    return NULL;
}

/* ---- TCP -------------------------------------------------------------------- */

static int read_exact(int fd, uint8_t *buf, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t r = recv(fd, buf + off, n - off, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)r;
    }
    return 0;
}

/* A forwarded query over TCP: asked of the upstream over UDP, blocking
 * for at most the forwarding timeout. */
static size_t forward_blocking(struct dns_server *d, const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    struct dns_query q;
    if (dns_query_parse(msg, len, &q) != 0)
        return 0;
    if (d->n_upstream == 0)
        return dns_error_answer(out, cap, &q, msg, DNS_RCODE_REFUSED);
    _cleanup_close_ int fd = socket(d->upstream[0].ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {DNS_FORWARD_TIMEOUT_MS / 1000, (DNS_FORWARD_TIMEOUT_MS % 1000) * 1000};
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
        connect(fd, (struct sockaddr *)&d->upstream[0], d->upstream_len[0]) == 0 && send(fd, msg, len, 0) >= 0) {
        ssize_t n = recv(fd, out, cap, 0);
        if (n >= DNS_HEADER_LEN && memcmp(out, msg, 2) == 0)
            return (size_t)n;
    }
    return dns_error_answer(out, cap, &q, msg, DNS_RCODE_SERVFAIL);
}

static void tcp_client(struct dns_server *d, int fd, uint8_t *in, uint8_t *out)
{
    struct timeval tv = {DNS_TCP_TIMEOUT_MS / 1000, (DNS_TCP_TIMEOUT_MS % 1000) * 1000};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    for (int k = 0; k < DNS_TCP_QUERIES_MAX; k++) {
        uint8_t hdr[2];
        if (read_exact(fd, hdr, 2) < 0)
            return;
        size_t len = (size_t)(hdr[0] << 8 | hdr[1]);
        if (len == 0 || read_exact(fd, in, len) < 0)
            return;
        size_t n = 0;
        enum dns_zone_result r = dns_zone_answer(d->store, d->region, in, len, out + 2, DNS_TCP_MAX - 2, &n);
        if (r == DNS_ZONE_FORWARD)
            n = forward_blocking(d, in, len, out + 2, DNS_TCP_MAX - 2);
        if (r == DNS_ZONE_DROP || n == 0)
            return;
        out[0] = (uint8_t)(n >> 8);
        out[1] = (uint8_t)n;
        if (send(fd, out, n + 2, MSG_NOSIGNAL) != (ssize_t)(n + 2))
            return;
    }
}

static void *tcp_main(void *arg)
{
    struct dns_server *d = arg;
    _cleanup_free_ uint8_t *in = malloc(DNS_TCP_MAX), *out = malloc(DNS_TCP_MAX);
    if (!in || !out)
        return NULL;
    for (;;) {
        struct pollfd fds[2] = {{.fd = d->stop_fd, .events = POLLIN}, {.fd = d->tcp_fd, .events = POLLIN}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (!(fds[1].revents & POLLIN))
            continue;
        _cleanup_close_ int fd = accept4(d->tcp_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            tcp_client(d, fd, in, out);
    }
    return NULL;
}

/* ---- life ------------------------------------------------------------------- */

static int bind_socket(int type, const struct sockaddr_storage *addr, socklen_t len, struct error *err)
{
    int fd = socket(addr->ss_family, type | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        return error_sys(err, "dns: socket");
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)addr, len) < 0 || (type == SOCK_STREAM && listen(fd, 64) < 0)) {
        error_sys(err, "dns: binding %s", type == SOCK_STREAM ? "TCP" : "UDP");
        close(fd);
        return -1;
    }
    return fd;
}

/* UDP and TCP on the same port. With port 0 the kernel picks UDP's, and
 * TCP may already use that number (an outgoing connection's ephemeral
 * port): then try another, a bounded number of times. */
static int open_sockets(struct dns_server *d, const char *host, uint16_t port, struct error *err)
{
    struct sockaddr_storage addr;
    socklen_t len;
    if (numeric_addr(host, port, SOCK_DGRAM, &addr, &len) < 0)
        return error_set(err, ERR_INVALID, "dns: %s is not a numeric address", host);
    for (int attempt = 0;; attempt++) {
        d->udp_fd = bind_socket(SOCK_DGRAM, &addr, len, err);
        if (d->udp_fd < 0)
            return -1;
        struct sockaddr_storage bound;
        socklen_t blen = sizeof(bound);
        if (getsockname(d->udp_fd, (struct sockaddr *)&bound, &blen) < 0)
            return error_sys(err, "dns: getsockname");
        d->port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                   : ((struct sockaddr_in6 *)&bound)->sin6_port);
        struct sockaddr_storage tcp_addr = addr;
        if (bound.ss_family == AF_INET)
            ((struct sockaddr_in *)&tcp_addr)->sin_port = htons(d->port);
        else
            ((struct sockaddr_in6 *)&tcp_addr)->sin6_port = htons(d->port);
        d->tcp_fd = bind_socket(SOCK_STREAM, &tcp_addr, len, err);
        if (d->tcp_fd >= 0)
            return 0;
        if (port != 0 || !err || err->sys_errno != EADDRINUSE || attempt == 15)
            return -1;
        close(d->udp_fd);
        d->udp_fd = -1;
    }
}

int dns_server_start(struct store *st, const char *region, const char *host, uint16_t port, const char *resolv_conf,
                     struct dns_server **ret, struct error *err)
{
    struct dns_server *d = calloc(1, sizeof(*d));
    if (!d)
        return error_set(err, ERR_INTERNAL, "out of memory");
    d->store = st;
    snprintf(d->region, sizeof(d->region), "%s", region);
    d->udp_fd = d->tcp_fd = -1;
    for (size_t i = 0; i < DNS_FORWARD_PENDING_MAX; i++)
        d->pending[i].fd = -1;
    d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->stop_fd < 0) {
        error_sys(err, "dns: eventfd");
        dns_server_stop(d);
        return -1;
    }
    read_upstreams(d, resolv_conf);
    if (open_sockets(d, host, port, err) < 0) {
        dns_server_stop(d);
        return -1;
    }
    d->udp_started = pthread_create(&d->udp_thread, NULL, udp_main, d) == 0;
    d->tcp_started = d->udp_started && pthread_create(&d->tcp_thread, NULL, tcp_main, d) == 0;
    if (!d->tcp_started) {
        dns_server_stop(d);
        return error_set(err, ERR_INTERNAL, "dns: no thread");
    }
    *ret = d;
    return 0;
}

uint16_t dns_server_port(const struct dns_server *d) { return d->port; }

void dns_server_stop(struct dns_server *d)
{
    if (!d)
        return;
    uint64_t one = 1;
    if (d->stop_fd >= 0 && write(d->stop_fd, &one, sizeof(one)) < 0)
        log_warn("dns: cannot signal the threads to stop");
    if (d->udp_started)
        pthread_join(d->udp_thread, NULL);
    if (d->tcp_started)
        pthread_join(d->tcp_thread, NULL);
    for (size_t i = 0; i < DNS_FORWARD_PENDING_MAX; i++)
        pending_close(&d->pending[i]);
    if (d->udp_fd >= 0)
        close(d->udp_fd);
    if (d->tcp_fd >= 0)
        close(d->tcp_fd);
    if (d->stop_fd >= 0)
        close(d->stop_fd);
    free(d);
}
