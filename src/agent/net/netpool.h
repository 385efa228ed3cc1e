/* netpool.h - the pure arithmetic of task networking: IPv4 subnets and the
 * address pool carved from one, port range strings, and choosing a dynamic
 * host port.  No sockets, no netlink: unit-tested. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "agent/agent_limits.h"

/* An IPv4 network, host byte order. */
struct netpool_cidr {
    uint32_t net;
    int prefix;
};

/* "172.31.200.0/24" -> cidr.  The prefix must be LIMIT_NET_MIN_PREFIX..29
 * and the address the network's first (no host bits). */
int netpool_parse_cidr(const char *s, struct netpool_cidr *ret, struct error *err);
/* Dotted quad of a host-order address into buf (at least 16 bytes). */
void netpool_format(uint32_t addr, char *buf, size_t cap);
/* Dotted quad -> host-order address. */
int netpool_parse_addr(const char *s, uint32_t *ret);

/* Addresses of a subnet: .1 is the bridge (gateway), the rest are handed to
 * tasks lowest first; network and broadcast are never used. */
struct netpool {
    struct netpool_cidr cidr;
    uint8_t used[(1u << (32 - LIMIT_NET_MIN_PREFIX)) / 8];
};

void netpool_init(struct netpool *p, const struct netpool_cidr *cidr);
uint32_t netpool_gateway(const struct netpool *p);
/* The lowest free address; ERR_LIMIT when the pool is exhausted. */
int netpool_alloc(struct netpool *p, uint32_t *ret_addr, struct error *err);
/* Mark an address in use (adoption after a restart); false if outside the
 * pool or already taken. */
bool netpool_take(struct netpool *p, uint32_t addr);
void netpool_release(struct netpool *p, uint32_t addr);

/* "8000" or "8000-8010" (ECS containerPortRange) -> [lo, hi], 1..65535. */
int netpool_parse_port_range(const char *s, int *ret_lo, int *ret_hi, struct error *err);

/* The first port in [lo, hi], scanning from `start` and wrapping, for which
 * busy(port, data) is false; ERR_LIMIT if there is none. */
int netpool_pick_port(int lo, int hi, int start, bool (*busy)(int port, void *data), void *data, int *ret_port,
                      struct error *err);
