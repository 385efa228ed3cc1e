/* netpool.c - subnets, the task address pool, port ranges and the dynamic
 * host port choice.  Pure: no I/O (the "is this port busy" question is a
 * callback the caller answers). */
#include "agent/net/netpool.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int netpool_parse_addr(const char *s, uint32_t *ret)
{
    struct in_addr a;
    if (!s || inet_pton(AF_INET, s, &a) != 1)
        return -1;
    *ret = ntohl(a.s_addr);
    return 0;
}

void netpool_format(uint32_t addr, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
}

int netpool_parse_cidr(const char *s, struct netpool_cidr *ret, struct error *err)
{
    char addr[32];
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash || (size_t)(slash - s) >= sizeof(addr))
        return error_set(err, ERR_INVALID, "subnet %.64s: want A.B.C.D/N", s ? s : "(null)");
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    char *end = NULL;
    long prefix = strtol(slash + 1, &end, 10);
    uint32_t net;
    if (netpool_parse_addr(addr, &net) < 0 || end == slash + 1 || *end)
        return error_set(err, ERR_INVALID, "subnet %.64s: want A.B.C.D/N", s);
    if (prefix < LIMIT_NET_MIN_PREFIX || prefix > 29)
        return error_set(err, ERR_INVALID, "subnet %.64s: the prefix must be /%d to /29", s, LIMIT_NET_MIN_PREFIX);
    uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;
    if (net & ~mask)
        return error_set(err, ERR_INVALID, "subnet %.64s has host bits set", s);
    ret->net = net;
    ret->prefix = (int)prefix;
    return 0;
}

static uint32_t pool_size(const struct netpool *p) { return 1u << (32 - p->cidr.prefix); }

void netpool_init(struct netpool *p, const struct netpool_cidr *cidr)
{
    memset(p, 0, sizeof(*p));
    p->cidr = *cidr;
    uint32_t n = pool_size(p);
    /* network, gateway and broadcast are never handed out */
    p->used[0] |= 3;
    p->used[(n - 1) / 8] |= (uint8_t)(1u << ((n - 1) % 8));
}

uint32_t netpool_gateway(const struct netpool *p) { return p->cidr.net + 1; }

int netpool_alloc(struct netpool *p, uint32_t *ret_addr, struct error *err)
{
    uint32_t n = pool_size(p);
    for (uint32_t i = 0; i < n; i++) {
        if (p->used[i / 8] & (1u << (i % 8)))
            continue;
        p->used[i / 8] |= (uint8_t)(1u << (i % 8));
        *ret_addr = p->cidr.net + i;
        return 0;
    }
    return error_set(err, ERR_LIMIT, "no free address in the task subnet");
}

bool netpool_take(struct netpool *p, uint32_t addr)
{
    uint32_t i = addr - p->cidr.net;
    if (addr < p->cidr.net || i >= pool_size(p) || (p->used[i / 8] & (1u << (i % 8))))
        return false;
    p->used[i / 8] |= (uint8_t)(1u << (i % 8));
    return true;
}

void netpool_release(struct netpool *p, uint32_t addr)
{
    uint32_t i = addr - p->cidr.net;
    if (addr < p->cidr.net + 2 || i >= pool_size(p) - 1)
        return;
    p->used[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

static int parse_port(const char *s, const char **ret_end)
{
    char *end = NULL;
    if (*s < '0' || *s > '9')
        return -1;
    long v = strtol(s, &end, 10);
    if (v < 1 || v > 65535)
        return -1;
    *ret_end = end;
    return (int)v;
}

int netpool_parse_port_range(const char *s, int *ret_lo, int *ret_hi, struct error *err)
{
    const char *end = s;
    int lo = s ? parse_port(s, &end) : -1, hi = lo;
    if (lo > 0 && *end == '-')
        hi = parse_port(end + 1, &end);
    if (lo < 0 || hi < 0 || *end || hi < lo)
        return error_set(err, ERR_INVALID, "port range %.32s: want PORT or LOW-HIGH within 1-65535", s ? s : "(null)");
    *ret_lo = lo;
    *ret_hi = hi;
    return 0;
}

int netpool_pick_port(int lo, int hi, int start, bool (*busy)(int port, void *data), void *data, int *ret_port,
                      struct error *err)
{
    if (lo < 1 || hi > 65535 || hi < lo)
        return error_set(err, ERR_INVALID, "bad port range %d-%d", lo, hi);
    int n = hi - lo + 1;
    if (start < lo || start > hi)
        start = lo;
    for (int k = 0; k < n; k++) {
        int port = lo + (start - lo + k) % n;
        if (!busy(port, data)) {
            *ret_port = port;
            return 0;
        }
    }
    return error_set(err, ERR_LIMIT, "no free host port in %d-%d", lo, hi);
}
