/* tasks.h - ECS tasks: creation on an instance, the state agents report,
 * stopping, describing and listing. */
#pragma once

#include "common/proto.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/http/api.h"
#include "server/store/store_clusters.h"
#include "server/store/store_instances.h"
#include "server/store/store_tasks.h"

#define TASK_MAX_PORTS 64
/* The instance attribute naming the agent that registered it; PollTasks
 * with agentId answers for all of that agent's instances (agent.h has the
 * same name: server and agent share no headers). */

/* What one task reserves on an instance. */
struct task_needs {
    int64_t cpu;
    int64_t memory;
    uint16_t tcp[TASK_MAX_PORTS];
    size_t ntcp;
    uint16_t udp[TASK_MAX_PORTS];
    size_t nudp;
};

/* How a task comes to be: RunTask, StartTask or a service. */
struct task_spec {
    json_t *taskdef;   /* TaskDefinition shape */
    json_t *overrides; /* TaskOverride or NULL */
    const char *started_by;
    const char *group;
    const char *service_name;
    const char *launch_type;
    const char *client_token;
    json_t *tags; /* to attach, already validated, or NULL */
    json_t *network_configuration;
    bool enable_execute_command;
};

void task_arn(const struct op_ctx *ctx, const char *cluster, const char *uuid, char *buf, size_t cap);
int task_resolve(struct op_ctx *ctx, const struct cluster_row *cluster, const char *ref, struct task_row *ret_row,
                 struct error *err);
json_t *task_json(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *row, bool with_tags,
                  struct error *err);
/* Check overrides against the definition and compute what a task reserves. */
int task_needs_compute(json_t *taskdef, json_t *overrides, struct task_needs *ret_needs, struct error *err);
/* Why a task does not fit an instance ("RESOURCE:CPU"...), or NULL if it does. */
const char *task_misfit(struct op_ctx *ctx, const struct instance_row *inst, const struct task_needs *needs,
                        struct error *err, int *ret_error);
/* Create a task on inst, reserving its needs there. */
int task_create(struct op_ctx *ctx, const struct cluster_row *cluster, const struct instance_row *inst,
                const struct task_spec *spec, const struct task_needs *needs, struct task_row *ret_row,
                struct error *err);
/* Set desiredStatus STOPPED with a stop code and reason. */
int task_request_stop(struct op_ctx *ctx, struct task_row *row, const char *stop_code, const char *reason,
                      struct error *err);

int action_start_task(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_stop_task(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_describe_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_list_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_submit_task_state_change(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_submit_container_state_change(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_berth_poll_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_berth_report_health(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_berth_report_attachments(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
/* ECS's rules for networkConfiguration against the task definition's
 * networkMode: required for awsvpc (1-16 subnets, at most 5 security
 * groups), refused for the other modes. */
int tasks_check_network_configuration(json_t *taskdef, json_t *network_configuration, struct error *err);
/* Fill a task_spec from the members RunTask and StartTask share. group_buf
 * holds the default group ("family:NAME"). */
int tasks_spec_from_request(struct op_ctx *ctx, json_t *in, json_t *taskdef, struct task_spec *ret_spec,
                            char *group_buf, size_t group_cap, struct error *err);
struct arn;
int tasks_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err);
