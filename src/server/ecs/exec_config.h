/* exec_config.h - a cluster's configuration.executeCommandConfiguration:
 * checked when CreateCluster / UpdateCluster set it, and read by
 * ExecuteCommand to decide where a session's output is logged. */
#pragma once

#include <jansson.h>

#include "common/error.h"
#include "common/limits.h"
#include "server/http/api.h"

/* Check the request's `configuration` (may be NULL) as ECS does:
 * logConfiguration only with logging OVERRIDE, OVERRIDE only with one;
 * what berth cannot do (S3, KMS-encrypted log groups) is refused with
 * ERR_INVALID saying so.  kmsKeyId is recorded only. */
int exec_config_check(json_t *configuration, struct error *err);

/* Where an ECS Exec session is logged. */
struct exec_log_target {
    char group[LIMIT_LOGS_NAME + 1]; /* "": not logged */
    char region[64];
};

/* The log group a session on container `name` of the task (task_doc, the
 * stored task with berth's private members) goes to under the cluster's
 * configuration (cluster_doc): logging NONE, nothing; DEFAULT (or none
 * set), the container's awslogs group if it has one; OVERRIDE, the
 * configured cloudWatchLogGroupName.  ret->region is the awslogs-region
 * option or the request's region.  ERR_INVALID when the group does not
 * exist (the session could not be logged). */
int exec_config_log_target(struct op_ctx *ctx, json_t *cluster_doc, json_t *task_doc, const char *name,
                           struct exec_log_target *ret, struct error *err);
