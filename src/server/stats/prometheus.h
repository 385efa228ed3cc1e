/* prometheus.h - GET /metrics in the Prometheus text format (0.0.4):
 * berth's own counters (server_stats.h), each ACTIVE cluster's counts as
 * DescribeClusters gives them, the latest value of every AWS/ECS and
 * ECS/ContainerInsights series berth publishes, and the process's own.
 *
 * Secure by default: a bearer token, generated on first start into
 * DATA/metrics.token (0600), must come with each scrape, unless the server
 * was started with --metrics-auth none. */
#pragma once

#include <stdbool.h>

#include "common/buf.h"
#include "common/error.h"
#include "server/store/store.h"

struct prometheus;

/* token_dir: where metrics.token is kept (read, or made); NULL: no auth. */
int prometheus_new(struct store *store, const char *token_dir, struct prometheus **ret, struct error *err);
void prometheus_free(struct prometheus *p);

/* Whether an Authorization header value lets its sender scrape. */
bool prometheus_authorized(const struct prometheus *p, const char *authorization);

/* GET /metrics (an http_get_fn, ud the struct prometheus): 401 without
 * the token, 500 when the store cannot be read, else the exposition. */
void prometheus_serve(void *ud, const char *authorization, unsigned *ret_status, const char **ret_type,
                      struct buf *out);

/* The exposition into out (a fresh buf). */
int prometheus_render(struct prometheus *p, struct buf *out, struct error *err);
