/* container_insights.h - CloudWatch Container Insights: namespace
 * ECS/ContainerInsights for the clusters whose containerInsights setting is
 * enabled or enhanced (none for the others). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/http/api.h"

struct cluster_row;
struct task_row;
struct store;

/* The period of ECS's one-minute metrics: 60 s, divided by berth server
 * --time-scale (at least 1 s). */
int64_t ecs_metrics_period_ms(int time_scale);

/* Whether a cluster document's settings turn Container Insights on. */
bool container_insights_on(json_t *cluster_doc);

/* A running task's sample (cpu units used, memory MiB; either may be NULL):
 * CpuUtilized, CpuReserved, MemoryUtilized, MemoryReserved by ClusterName
 * and, for a service's task, by ClusterName + ServiceName, when the
 * cluster has Container Insights on. */
int container_insights_task(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *task,
                            int64_t at_ms, json_t *cpu, json_t *mem, struct error *err);

/* The counting job: once a period, for each cluster with Container
 * Insights on, ContainerInstanceCount, TaskCount and ServiceCount by
 * ClusterName; DesiredTaskCount, RunningTaskCount, PendingTaskCount and
 * DeploymentCount by ClusterName + ServiceName. */
struct container_insights {
    struct store *store;
    int time_scale;
    int64_t last_period_ms; /* the period last counted */
};
usec_t container_insights_interval(int time_scale);
void container_insights_pass(void *arg); /* a background job; arg: struct container_insights */
