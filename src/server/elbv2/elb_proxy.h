/* elb_proxy.h - the load balancers' data plane: one HAProxy (master-worker)
 * per load balancer, listening on the load balancer's loopback address
 * and its listeners' ports, with a configuration generated from the store
 * (elb_haproxy.c) and reloaded gracefully when it changes; its health
 * checks are read back through its stats socket for DescribeTargetHealth.
 *
 * Runs as a background job on the change feed; the HAProxy processes are
 * the server's children and end with it. */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "common/timeutil.h"

/* How often health checks are read back (and configurations compared). */
#define ELB_PROXY_INTERVAL (1 * USEC_PER_SEC)

struct store;
struct secret_box;
struct elb_proxy;

/* A target's health as DescribeTargetHealth spells it. */
struct elb_target_health {
    char state[16];  /* initial, healthy, unhealthy, ... */
    char reason[48]; /* Target.ResponseCodeMismatch, ... ("" when healthy) */
    char description[160];
};

/* A data plane keeping its files under dir (created), running haproxy
 * (the program's path); box opens the HTTPS listeners' private keys.  No
 * process starts before the first run. */
int elb_proxy_new(struct store *store, const struct secret_box *box, const char *dir, const char *haproxy,
                  struct elb_proxy **ret, struct error *err);
/* Stop every HAProxy (waiting for them to exit) and free; accepts NULL. */
void elb_proxy_free(struct elb_proxy *p);
/* One pass: bring the HAProxy processes in line with the store, then
 * read their health checks.  For background_start (arg: the proxy). */
void elb_proxy_run(void *arg);
/* The health of server ("Id:Port") of the target group tg_arn as the
 * proxy last saw it: 1 with *ret filled, 0 when no check has reported
 * (ret untouched). Thread-safe. */
int elb_proxy_health(struct elb_proxy *p, const char *tg_arn, const char *server, struct elb_target_health *ret);
/* Whether a proxy has reported on the target group tg_arn's servers. */
bool elb_proxy_serves(struct elb_proxy *p, const char *tg_arn);
/* Whether the HAProxy serving the listener or rule arn has loaded a
 * configuration whose forward action sends all its traffic to the target
 * group tg_arn: a configuration counts once a new worker answers on the
 * stats socket after the reload, so a caller that changed a rule's
 * weights knows when requests follow them.  True when there is no data
 * plane (HAProxy missing).  Thread-safe. */
bool elb_proxy_forwards(struct elb_proxy *p, const char *arn, const char *tg_arn);
/* As elb_proxy_forwards(), for a configuration that sends permille (of
 * 1000) of the requests to tg_arn (a LINEAR or CANARY step). */
bool elb_proxy_splits(struct elb_proxy *p, const char *arn, const char *tg_arn, int permille);
