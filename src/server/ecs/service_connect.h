/* service_connect.h - ECS Service Connect's control plane: a service's
 * serviceConnectConfiguration checked against its task definition, the
 * Cloud Map service ECS creates for each of its services (its tasks are
 * that service's instances, through serviceRegistries' machinery), and the
 * client aliases: each dnsName gets an address in SC_VIP_NET that berth's
 * DNS answers and the Service Connect proxy (service_connect_proxy.c)
 * listens on. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"

struct cluster_row;

/* The aliases' addresses: 169.254.171.1 .. 169.254.171.254, a local route
 * on the server's host (ECS's own task endpoint is 169.254.170.2). */
#define SC_VIP_NET "169.254.171.0/24"
#define SC_VIP_BASE 0xA9FEAB00u
#define SC_VIP_MAX 254
/* The store documents (store_docs.h) of the aliases, keyed by dnsName:
 * {dnsName, vip, ports: {"<port>": {service, cluster, name, discovery,
 * region, idle}}}. */
#define SC_ALIAS_KIND "sc-alias"
/* How long a task that left its Cloud Map services keeps running before
 * its agent is told to stop it: the proxy stops sending it connections
 * once a task that replaces it answers its checks (a pass and a check
 * interval, about 2 s) and those in flight finish. */
#define SC_DRAIN_SECONDS 5

/* CreateService: check in's serviceConnectConfiguration (if any) against
 * taskdef and the cluster's serviceConnectDefaults, create the Cloud Map
 * services and claim the aliases for the service doc (its serviceArn set),
 * and record the result in doc and its deployments.  -1 with ECS's
 * exceptions (InvalidParameterException, NamespaceNotFoundException,
 * UnsupportedFeatureException for what berth does not honour). */
int service_connect_create(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *in, json_t *doc,
                           json_t *taskdef, struct error *err);

/* UpdateService: a new configuration (in's), or the current one against a
 * new task definition (taskdef, NULL when unchanged), as CreateService's;
 * *redeploy is set when it changed.  The Cloud Map services it no longer
 * uses go to berth.retiredRegistries so that tasks leave them. */
int service_connect_update(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *in, json_t *doc,
                           json_t *taskdef, bool *redeploy, struct error *err);

/* Copy the service's Service Connect state into a new deployment dep. */
void service_connect_deployment(json_t *doc, json_t *dep);
