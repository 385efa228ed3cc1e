/* dns_server.h - berth's DNS responder: UDP and TCP on one configured
 * address, answering Cloud Map's DNS namespaces from the store
 * (dns_zone.c) and forwarding every other name to the host's resolvers
 * (the nameservers of resolv.conf), each forwarded query bounded in time
 * (DNS_FORWARD_TIMEOUT_MS, then SERVFAIL) and in number
 * (DNS_FORWARD_PENDING_MAX at once).  Two threads: one for UDP, one for
 * TCP (one connection at a time, each bounded by DNS_TCP_TIMEOUT_MS per
 * query).  Agents relay their tasks' queries here (agent/net/dnsrelay.c). */
#pragma once

#include <stdint.h>

#include "common/error.h"

struct store;
struct dns_server;

/* Listen on host:port (numeric; port 0 picks one) and answer for region.
 * resolv_conf names the upstream resolvers (NULL: /etc/resolv.conf); a
 * file without nameservers leaves forwarded names REFUSED. */
int dns_server_start(struct store *st, const char *region, const char *host, uint16_t port, const char *resolv_conf,
                     struct dns_server **ret, struct error *err);
/* The bound port (UDP and TCP share it). */
uint16_t dns_server_port(const struct dns_server *d);
/* Stop both threads and free; accepts NULL. */
void dns_server_stop(struct dns_server *d);
