/* services.h - ECS services: the API actions (CreateService, UpdateService,
 * DeleteService, DescribeServices, ListServices) and what the service
 * scheduler shares with them (ARNs, deployments, events).  Keeping services
 * at their desired state is reconcile.c's job. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"
#include "server/store/store_services.h"

/* ECS keeps the 100 newest events of a service. */
#define SERVICE_EVENTS_KEPT 100

struct arn;

void service_arn(const struct op_ctx *ctx, const char *cluster, const char *name, char *buf, size_t cap);
/* A new PRIMARY, IN_PROGRESS deployment of taskdef_arn for the service in
 * doc (new reference), with an "ecs-svc/<19 digits>" id. */
json_t *service_new_deployment(const struct op_ctx *ctx, json_t *doc, const char *taskdef_arn, struct error *err);
/* Record an event "(service NAME) <message>". */
int service_event(struct op_ctx *ctx, const struct service_row *row, const char *message, struct error *err);
/* The service in[member] names (a name or an ARN) in in.cluster, with its
 * cluster; ClusterNotFoundException / ServiceNotFoundException. */
struct cluster_row;
int service_resolve(struct op_ctx *ctx, json_t *in, const char *member, struct cluster_row *ret_cluster,
                    struct service_row *ret_row, struct error *err);
/* For tagging: 0 if the ARN names a service that is not INACTIVE. */
int services_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err);

API_ACTION(action_create_service);
API_ACTION(action_update_service);
API_ACTION(action_delete_service);
API_ACTION(action_describe_services);
API_ACTION(action_list_services);
/* service_namespaces.c */
API_ACTION(action_list_services_by_namespace);

/* ECS's own error kinds (NamespaceNotFoundException...). */
#include "server/ecs/ecs_errors.h"
