/* dnsrelay.c - the agent's DNS relay (see dnsrelay.h).
 *
 * One socket faces the tasks (the gateway address, port 53) and one faces
 * the server, connected to its DNS address.  A query goes up with a new
 * id; the slot that id names remembers the task's address and its own id
 * until the answer comes back or the slot is reused after the timeout.
 * Nothing is parsed beyond the 12-byte header. */
#include "agent/net/dnsrelay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/agent_limits.h"
#include "common/log.h"
#include "common/timeutil.h"

#define DNS_HEADER 12

struct relay_slot {
    usec_t at; /* 0: free */
    uint16_t new_id, old_id;
    struct sockaddr_in client;
};

struct dns_relay {
    int down_fd, up_fd, stop_fd;
    pthread_t thread;
    bool started;
    uint16_t next;
    struct relay_slot slots[LIMIT_DNS_RELAY_PENDING];
};

static void from_task(struct dns_relay *r)
{
    uint8_t buf[LIMIT_DNS_RELAY_DATAGRAM];
    struct sockaddr_in client;
    socklen_t len = sizeof(client);
    ssize_t n = recvfrom(r->down_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&client, &len);
    if (n < DNS_HEADER || (buf[2] & 0x80))
        return; /* too short for a header, or a response: never relayed */
    usec_t now = time_monotonic();
    uint16_t id = r->next++;
    struct relay_slot *s = &r->slots[id % LIMIT_DNS_RELAY_PENDING];
    if (s->at && now - s->at < (usec_t)LIMIT_DNS_RELAY_TIMEOUT_MS * 1000)
        return; /* all in flight: the task's resolver asks again */
    *s = (struct relay_slot){.at = now, .new_id = id, .old_id = (uint16_t)(buf[0] << 8 | buf[1]), .client = client};
    buf[0] = (uint8_t)(id >> 8);
    buf[1] = (uint8_t)id;
    if (send(r->up_fd, buf, (size_t)n, MSG_DONTWAIT) < 0)
        s->at = 0;
}

static void from_server(struct dns_relay *r)
{
    uint8_t buf[LIMIT_DNS_RELAY_DATAGRAM];
    ssize_t n = recv(r->up_fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < DNS_HEADER)
        return;
    uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
    struct relay_slot *s = &r->slots[id % LIMIT_DNS_RELAY_PENDING];
    if (!s->at || s->new_id != id)
        return; /* late, or not ours */
    buf[0] = (uint8_t)(s->old_id >> 8);
    buf[1] = (uint8_t)s->old_id;
    (void)sendto(r->down_fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&s->client, sizeof(s->client));
    s->at = 0;
}

static void *relay_main(void *arg)
{
    struct dns_relay *r = arg;
    for (;;) {
        struct pollfd fds[3] = {{.fd = r->stop_fd, .events = POLLIN},
                                {.fd = r->down_fd, .events = POLLIN},
                                {.fd = r->up_fd, .events = POLLIN}};
        if (poll(fds, 3, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents & POLLIN)
            from_task(r);
        if (fds[2].revents & POLLIN)
            from_server(r);
    }
    return NULL;
}

/* The server's address: "HOST:PORT", numeric, IPv4 or [IPv6]. */
static int upstream_socket(const char *upstream, struct error *err)
{
    char host[256];
    const char *colon = strrchr(upstream, ':');
    if (!colon || colon == upstream || (size_t)(colon - upstream) >= sizeof(host))
        return error_set(err, ERR_INVALID, "--dns-server wants HOST:PORT, got '%.200s'", upstream);
    snprintf(host, sizeof(host), "%.*s", (int)(colon - upstream), upstream);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res)
        return error_set(err, ERR_INVALID, "--dns-server: '%.200s' is not a numeric HOST:PORT", upstream);
    int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        error_sys(err, "dns relay: connecting to %.200s", upstream);
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

int dnsrelay_start(uint32_t addr, const char *upstream, struct dns_relay **ret, struct error *err)
{
    struct dns_relay *r = calloc(1, sizeof(*r));
    if (!r)
        return error_set(err, ERR_INTERNAL, "out of memory");
    r->down_fd = r->stop_fd = -1;
    uint16_t seed = 0;
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
        r->next = seed;
    r->up_fd = upstream_socket(upstream, err);
    if (r->up_fd < 0)
        goto fail;
    r->down_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(addr)};
    if (r->down_fd < 0 || bind(r->down_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        error_sys(err, "dns relay: binding port 53 on the bridge");
        goto fail;
    }
    r->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->stop_fd < 0) {
        error_sys(err, "dns relay: eventfd");
        goto fail;
    }
    r->started = pthread_create(&r->thread, NULL, relay_main, r) == 0;
    if (!r->started) {
        error_set(err, ERR_INTERNAL, "dns relay: no thread");
        goto fail;
    }
    *ret = r;
    return 0;
fail:
    dnsrelay_stop(r);
    return -1;
}

void dnsrelay_stop(struct dns_relay *r)
{
    if (!r)
        return;
    uint64_t one = 1;
    if (r->started && write(r->stop_fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
        pthread_join(r->thread, NULL);
    if (r->up_fd >= 0)
        close(r->up_fd);
    if (r->down_fd >= 0)
        close(r->down_fd);
    if (r->stop_fd >= 0)
        close(r->stop_fd);
    free(r);
}
