/* daemon_taskdefs.h - ECS's daemon task definitions: Register, Describe,
 * List and DeleteDaemonTaskDefinition.  They are recorded, revisioned and
 * described as ECS does; daemons (daemons.h) run them. */
#pragma once

#include "common/timeutil.h"
#include "server/http/api.h"

/* ECS limits (LimitExceededException past the total). */
#define DAEMON_TASKDEFS_MAX 5000
#define DAEMON_TASKDEF_CONTAINERS_MAX 10

struct arn;
/* 0 when the daemon task definition an ARN names exists, else -1 and err
 * (tagging). */
int daemon_taskdefs_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err);

/* How long a deleted definition shows DELETE_IN_PROGRESS. */
#define DAEMON_TASKDEF_DELETE_DELAY (60 * USEC_PER_SEC)
/* Definitions DELETE_IN_PROGRESS for DAEMON_TASKDEF_DELETE_DELAY become
 * DELETED: the maintenance pass's step, in its transaction. */
struct store_tx;
int daemon_taskdefs_reap(struct store_tx *tx, usec_t now, struct error *err);

/* The ACTIVE daemon task definition a reference (family, family:revision
 * or ARN) names: 1 with a new reference, 0 none, -1. */
int daemon_taskdefs_get_active(struct op_ctx *ctx, const char *ref, json_t **ret_doc, struct error *err);

API_ACTION(action_register_daemon_task_definition);
API_ACTION(action_describe_daemon_task_definition);
API_ACTION(action_list_daemon_task_definitions);
API_ACTION(action_delete_daemon_task_definition);
