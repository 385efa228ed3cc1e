/* task_create.h - from a request to a task on a container instance: the
 * task_spec, what a task reserves, whether it fits an instance, and
 * creating it there.  Choosing instances is runtask.h's job. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/http/api.h"
#include "server/store/store_clusters.h"
#include "server/store/store_instances.h"
#include "server/store/store_tasks.h"

#define TASK_MAX_PORTS 64

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
    const char *capacity_provider; /* the provider whose pool runs it, or NULL */
    const char *platform_version;  /* FARGATE's concrete platform version, else NULL */
};

/* Check overrides against the definition and compute what a task reserves. */
int task_needs_compute(json_t *taskdef, json_t *overrides, struct task_needs *ret_needs, struct error *err);
/* Why a task does not fit an instance ("RESOURCE:CPU"...), or NULL if it
 * does; *ret_error is -1 (err set) when the store failed. */
const char *task_misfit(struct op_ctx *ctx, const struct instance_row *inst, const struct task_needs *needs,
                        struct error *err, int *ret_error);
/* Where a new task goes. */
struct task_host {
    const struct instance_row *inst;
    const char *az; /* its availability zone when the caller knows it (NULL: looked up) */
    /* The caller adds the task's cpu, memory and pending count to the
     * instance's row itself, once for all the tasks it places there (one
     * UPDATE of the row, and its triggers, per instance, not per task). */
    bool caller_adjusts;
};

/* Create a task on host->inst, reserving its needs there. */
int task_create(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_host *host,
                const struct task_spec *spec, const struct task_needs *needs, struct task_row *ret_row,
                struct error *err);
/* ECS's rules for networkConfiguration against the task definition's
 * networkMode: required for awsvpc (1-16 subnets, at most 5 security
 * groups), refused for the other modes. */
int task_check_network_configuration(json_t *taskdef, json_t *network_configuration, struct error *err);
/* Fill a task_spec from the members RunTask and StartTask share. group_buf
 * holds the default group ("family:NAME"). */
int task_spec_from_request(struct op_ctx *ctx, json_t *in, json_t *taskdef, struct task_spec *ret_spec, char *group_buf,
                           size_t group_cap, struct error *err);
