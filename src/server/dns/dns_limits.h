/* dns_limits.h - every bound of berth's DNS responder in one place. */
#pragma once

/* A name in presentation form (RFC 1035: 255 octets on the wire). */
#define DNS_NAME_MAX 256
/* An answer over UDP without EDNS (RFC 1035 4.2.1); a TCP answer's cap. */
#define DNS_UDP_MAX 512
#define DNS_TCP_MAX 65535
/* Compression pointers followed while reading one name. */
#define DNS_POINTERS_MAX 16
/* Answers to a MULTIVALUE query, as Route 53 gives. */
#define DNS_MULTIVALUE_MAX 8
/* Instances of one service read for one query. */
#define DNS_INSTANCES_MAX 1000
/* Queries forwarded upstream at once, and how long each may take. */
#define DNS_FORWARD_PENDING_MAX 64
#define DNS_FORWARD_TIMEOUT_MS 2000
/* Upstream resolvers taken from resolv.conf, and its size. */
#define DNS_UPSTREAMS_MAX 3
#define DNS_RESOLV_CONF_MAX 65536
/* A TCP client: how long one query may take to arrive, and queries on one
 * connection. */
#define DNS_TCP_TIMEOUT_MS 2000
#define DNS_TCP_QUERIES_MAX 16
