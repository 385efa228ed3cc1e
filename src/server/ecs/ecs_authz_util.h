/* ecs_authz_util.h - what ECS's authorisation rules (ecs_authz.c) share:
 * ARNs from what requests name, resources with their tags, task
 * definitions, iam:PassRole and the condition keys several actions take. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "server/http/api.h"

#define ECS_AUTHZ_ARN_MAX 1280
/* iam:PassedToService for the roles a task is given. */
#define ECS_AUTHZ_TASKS_SERVICE "ecs-tasks.amazonaws.com"

/* The cluster name a `cluster` member gives (a name or an ARN; absent:
 * "default"). */
const char *ecs_authz_cluster_name(json_t *value);
/* The ARN of the cluster `value` names, into buf. */
void ecs_authz_cluster_arn(const struct op_ctx *ctx, json_t *value, char *buf, size_t cap);
/* The ARN of a resource of type ("task", "service", "container-instance")
 * that ref (an ARN, an id or a name) names in cluster; false if ref is NULL
 * or the ARN does not fit. */
bool ecs_authz_arn_in_cluster(const struct op_ctx *ctx, const char *cluster, const char *type, const char *ref,
                              char *buf, size_t cap);
/* The action acts on arn: a resource with its tags from the store. */
int ecs_authz_named(struct op_ctx *ctx, struct authz_req *req, const char *arn, struct error *err);
/* ecs_authz_named on what ref names in cluster. */
int ecs_authz_named_in_cluster(struct op_ctx *ctx, struct authz_req *req, const char *cluster, const char *type,
                               const char *ref, struct error *err);
/* The task definition ref names (a family: its latest ACTIVE revision;
 * family:revision; an ARN) as a resource with its tags; *ret_doc (when
 * non-NULL) its document, or NULL when it does not exist. */
int ecs_authz_taskdef(struct op_ctx *ctx, struct authz_req *req, const char *ref, json_t **ret_doc, struct error *err);
/* ecs:task-definition: the ARN of the task definition ref names. */
int ecs_authz_taskdef_key(struct op_ctx *ctx, struct authz_req *req, const char *ref, struct error *err);
/* RegisterTaskDefinition's resource: the revision it will create. */
int ecs_authz_new_taskdef(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err);
/* RegisterTaskDefinition's keys: ecs:privileged, ecs:compute-compatibility,
 * ecs:task-cpu, ecs:task-memory and berth's host keys
 * (ecs_authz_taskdef.c). */
void ecs_authz_taskdef_keys(struct authz_req *req, json_t *in);
/* iam:PassRole on role (nothing when NULL) for service. */
void ecs_authz_pass_role(struct authz_req *req, const char *role, const char *service);
/* name = "true"/"false" when value is a JSON boolean. */
void ecs_authz_bool_key(struct authz_req *req, const char *name, json_t *value);
/* ecs:capacity-provider: the ARNs of the providers named in list
 * ([names]) or strategy ([{capacityProvider}]). */
void ecs_authz_capacity_providers(const struct op_ctx *ctx, struct authz_req *req, json_t *list, json_t *strategy);
/* ecs:subnet and ecs:auto-assign-public-ip from a networkConfiguration. */
void ecs_authz_network_keys(struct authz_req *req, json_t *network);
