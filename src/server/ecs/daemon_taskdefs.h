/* daemon_taskdefs.h - ECS's daemon task definitions: Register, Describe,
 * List and DeleteDaemonTaskDefinition.  They are recorded, revisioned and
 * described as ECS does; no daemon runs one, because ECS Managed Daemons
 * run only on Managed Instances capacity providers, which berth does not
 * provide (CreateDaemon and the rest of the Daemon API are refused). */
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

API_ACTION(action_register_daemon_task_definition);
API_ACTION(action_describe_daemon_task_definition);
API_ACTION(action_list_daemon_task_definitions);
API_ACTION(action_delete_daemon_task_definition);
