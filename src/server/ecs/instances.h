/* instances.h - container instances: registration by agents (or tools),
 * describe/list/drain, attributes, and how other modules name one. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"
#include "server/store/store_clusters.h"
#include "server/store/store_instances.h"

/* ECS reserves these host ports on every instance. */
extern const int instances_reserved_ports[5];

/* Resolve a container instance ARN or id within cluster. */
int instance_resolve(struct op_ctx *ctx, const struct cluster_row *cluster, const char *ref,
                     struct instance_row *ret_row, struct error *err);
void instance_arn(const struct op_ctx *ctx, const char *cluster, const char *uuid, char *buf, size_t cap);
/* The ContainerInstance shape. */
json_t *instance_json(struct op_ctx *ctx, const struct cluster_row *cluster, const struct instance_row *row,
                      bool with_tags, struct error *err);
struct arn;
int instances_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err);

API_ACTION(action_register_container_instance);
API_ACTION(action_deregister_container_instance);
API_ACTION(action_describe_container_instances);
API_ACTION(action_list_container_instances);
API_ACTION(action_update_container_instances_state);
API_ACTION(action_put_attributes);
API_ACTION(action_delete_attributes);
API_ACTION(action_list_attributes);
API_ACTION(action_discover_poll_endpoint);
