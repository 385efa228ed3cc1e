/* taskdefs.h - ECS task definitions: registration with ECS's validation,
 * revisions, describe/list/deregister/delete, and how other resources (tasks,
 * services) name one. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"
#include "common/timeutil.h"

struct arn;
struct store_tx;

/* For tagging: 0 if the ARN names a task definition revision that exists
 * (in any status) in this region and account. */
int taskdefs_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err);

/* Resolve a task definition reference as RunTask, CreateService and
 * UpdateService take it: a family (its latest ACTIVE revision), family:revision
 * or a full ARN.  With active_only, a revision that is not ACTIVE is refused
 * ("TaskDefinition is inactive").  On success *ret_taskdef is the full
 * TaskDefinition JSON, as DescribeTaskDefinition returns it (new reference).
 * Errors are ClientException: "TaskDefinition not found." and the like. */
int taskdef_resolve(struct op_ctx *ctx, const char *ref, bool active_only, json_t **ret_taskdef, struct error *err);

/* Remove the revisions that DeleteTaskDefinitions left DELETE_IN_PROGRESS,
 * with their tags.  ECS keeps such a revision until no task or service uses
 * it; berth's server maintenance loop calls this periodically, in a write
 * transaction.  Until tasks and services exist nothing can hold a revision,
 * so every DELETE_IN_PROGRESS revision goes.  `now` is for a future grace
 * period.  Family revision counters are kept: numbers are never reused. */
int taskdefs_reap(struct store_tx *tx, usec_t now, struct error *err);

API_ACTION(action_delete_task_definitions);
API_ACTION(action_deregister_task_definition);
API_ACTION(action_describe_task_definition);
API_ACTION(action_list_task_definition_families);
API_ACTION(action_list_task_definitions);
API_ACTION(action_register_task_definition);
