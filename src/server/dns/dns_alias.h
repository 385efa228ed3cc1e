/* dns_alias.h - Service Connect's client aliases in berth's DNS: each
 * alias dnsName (server/ecs/service_connect.h) answers A with the address
 * the Service Connect proxy listens on for it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "server/dns/dns_packet.h"

struct store_tx;

/* The TTL of an alias's answer: the address never changes while the alias
 * exists, but a removed alias should leave caches soon. */
#define DNS_ALIAS_TTL 5

/* When q names an alias of region: its answer into out (cap bytes) and 1;
 * 0 when it names none; -1 on a store error. */
int dns_alias_answer(struct store_tx *tx, const char *region, const struct dns_query *q, const uint8_t *msg,
                     uint8_t *out, size_t cap, size_t *ret_len, struct error *err);
