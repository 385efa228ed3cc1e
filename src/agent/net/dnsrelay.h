/* dnsrelay.h - the agent's DNS relay: a UDP socket on the bridge's
 * gateway address, port 53, that passes each query from a task to the
 * berth server's DNS responder (server/dns/dns_server.h) and the answer
 * back.  Tasks on every host thus see one view of Cloud Map's namespaces,
 * and the server (which has the store) does all the answering.  Query ids
 * are rewritten so that answers find their task; a query whose answer
 * does not come within LIMIT_DNS_RELAY_TIMEOUT_MS is forgotten (the
 * task's resolver retries).  One thread; UDP only. */
#pragma once

#include <stdint.h>

#include "common/error.h"

struct dns_relay;

/* Listen on addr (host order) port 53 and relay to upstream, "HOST:PORT"
 * (numeric). */
int dnsrelay_start(uint32_t addr, const char *upstream, struct dns_relay **ret, struct error *err);
/* Stop the thread, close the sockets, free; accepts NULL. */
void dnsrelay_stop(struct dns_relay *r);
