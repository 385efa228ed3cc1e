/* dns_zone.h - answering a DNS query from Cloud Map's DNS namespaces in
 * the store: A/AAAA/SRV/CNAME records of a service's healthy instances
 * with the TTLs of its DnsConfig, MULTIVALUE (up to 8 answers, shuffled)
 * or WEIGHTED (one at random); SRV targets <instance>.<service>.<namespace>
 * answer A/AAAA themselves; NXDOMAIN (with the namespace's SOA) for other
 * names under a namespace.  Names under no namespace are the caller's to
 * forward. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct store;

enum dns_zone_result {
    DNS_ZONE_DROP = -1,   /* not a query: send nothing */
    DNS_ZONE_FORWARD = 0, /* not ours: ask the upstream resolver */
    DNS_ZONE_ANSWERED = 1 /* out holds the answer */
};

/* Answer msg (len bytes) from the namespaces of region into out (cap
 * bytes: DNS_UDP_MAX over UDP, where a longer answer is truncated with
 * TC).  A store failure answers SERVFAIL. */
enum dns_zone_result dns_zone_answer(struct store *st, const char *region, const uint8_t *msg, size_t len, uint8_t *out,
                                     size_t cap, size_t *ret_len);
