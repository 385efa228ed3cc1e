/* clusters.h - ECS clusters: the actions and how other resources name one. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"
#include "server/store/store_clusters.h"

/* Resolve the `cluster` member of a request (a name, an ARN, or absent for
 * "default") to an ACTIVE cluster.  With create_default, a missing "default"
 * cluster is created, as ECS does on first use.  Fails with
 * ClusterNotFoundException otherwise.  The caller clears *ret_row. */
int cluster_resolve(struct op_ctx *ctx, json_t *value, bool create_default, struct cluster_row *ret_row,
                    struct error *err);
/* The cluster that the ARN resource "<cluster>/<rest>" (of a task, service
 * or container instance) begins with, resolved as cluster_resolve does;
 * *ret_rest points past the slash.  ERR_INVALID "The ARN provided is
 * invalid." without a slash.  The caller clears *ret_row. */
int cluster_resolve_arn_prefix(struct op_ctx *ctx, const char *resource, struct cluster_row *ret_row,
                               const char **ret_rest, struct error *err);
/* The cluster's ARN into buf. */
void cluster_arn(const struct op_ctx *ctx, const char *name, char *buf, size_t cap);
/* For tagging: 0 if the ARN names an ACTIVE cluster. */
struct arn;
int clusters_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err);

API_ACTION(action_create_cluster);
API_ACTION(action_delete_cluster);
API_ACTION(action_describe_clusters);
API_ACTION(action_list_clusters);
API_ACTION(action_update_cluster);
API_ACTION(action_update_cluster_settings);
API_ACTION(action_put_cluster_capacity_providers);
