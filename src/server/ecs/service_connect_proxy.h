/* service_connect_proxy.h - Service Connect's data plane: one HAProxy
 * (master-worker) beside the server, listening on each client alias's
 * address (SC_VIP_NET, a local route on the server's host) and port, and
 * forwarding TCP to the Cloud Map instances of the service that answers
 * the alias: its RUNNING, healthy tasks.  A failed connection is retried
 * on another task (retries 3, redispatch).  The listeners are its
 * configuration file, rewritten and reloaded gracefully (SIGUSR2) only
 * when the set of aliases changes; the tasks are its servers, added,
 * re-addressed, disabled and deleted through the runtime API (the stats
 * socket) without a reload.
 *
 * Runs as a background job on the change feed; HAProxy is the server's
 * child and ends with it. */
#pragma once

#include "common/error.h"
#include "common/timeutil.h"

#define SC_PROXY_INTERVAL (1 * USEC_PER_SEC)

struct store;
struct sc_proxy;

/* A data plane keeping its files under dir (created on first use),
 * running haproxy (the program's path) and ip (iproute2's, for the local
 * route).  No process starts before the first alias. */
int sc_proxy_new(struct store *store, const char *dir, const char *haproxy, struct sc_proxy **ret, struct error *err);
/* Stop HAProxy (waiting for it), remove the local route; accepts NULL. */
void sc_proxy_free(struct sc_proxy *p);
/* One pass (for background_start; arg: the proxy). */
void sc_proxy_run(void *arg);
