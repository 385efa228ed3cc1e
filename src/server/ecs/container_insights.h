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
struct store_tx;

/* The period of ECS's one-minute metrics: 60 s, divided by berth server
 * --time-scale (at least 1 s). */
int64_t ecs_metrics_period_ms(int time_scale);

/* Whether a cluster document's settings turn Container Insights on
 * ("enabled" or "enhanced"), and whether they ask for "enhanced". */
bool container_insights_on(json_t *cluster_doc);
bool container_insights_enhanced(json_t *cluster_doc);

/* One point of ECS/ContainerInsights metric `name` with dimensions dims
 * (canonical: [name, value] pairs sorted by name, as the CloudWatch code
 * keys them; NULL is an out-of-memory error). */
int container_insights_put(struct store_tx *tx, const char *region, const char *name, json_t *dims, int64_t at_ms,
                           int64_t now_ms, const char *unit, double v, struct error *err);

/* What a running task's report carries (each member may be NULL):
 * cpu units used, memory MiB, network bytes/second received and sent,
 * storage bytes read and written (cumulative), the bytes its writable
 * layers take, and per container {name, cpuUnits, memoryMiB, netRx,
 * netTx, storageRead, storageWrite}. */
struct ci_sample {
    json_t *cpu, *mem, *net_rx, *net_tx, *storage_read, *storage_write, *ephemeral, *containers;
};

/* Publish a task's sample when the cluster has Container Insights on:
 * CpuUtilized, CpuReserved, MemoryUtilized, MemoryReserved,
 * NetworkRxBytes, NetworkTxBytes, StorageReadBytes, StorageWriteBytes,
 * EphemeralStorageUtilized and EphemeralStorageReserved (when the task
 * has an ephemeralStorage size), RestartCount (containers with a restart
 * policy) by ClusterName, ClusterName +
 * TaskDefinitionFamily and, for a service's task, ClusterName +
 * ServiceName; with "enhanced" also TaskCpuUtilization,
 * TaskMemoryUtilization and TaskEphemeralStorageUtilization, all of them
 * also by ClusterName + ServiceName + TaskId (a service's task) and
 * ClusterName + TaskDefinitionFamily + TaskId, and each container's
 * ContainerCpu/MemoryUtilized, -Reserved, -Utilization, ContainerNetworkRx/
 * TxBytes, ContainerStorageRead/WriteBytes, RestartCount and
 * UnHealthyContainerHealthStatus by ClusterName and by
 * ClusterName + ContainerName + ServiceName or TaskDefinitionFamily, with
 * and without TaskId (s->containers' names are strings: the caller
 * checks). */
int container_insights_task(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *task,
                            int64_t at_ms, const struct ci_sample *s, struct error *err);

/* The counting job: once a period, for each cluster with Container
 * Insights on, ContainerInstanceCount, TaskCount and ServiceCount by
 * ClusterName; DesiredTaskCount, RunningTaskCount, PendingTaskCount,
 * DeploymentCount and TaskSetCount (its task sets: an EXTERNAL
 * deployment controller's) by ClusterName + ServiceName. */
struct container_insights {
    struct store *store;
    int time_scale;
    int64_t last_period_ms; /* the period last counted */
};
usec_t container_insights_interval(int time_scale);
void container_insights_pass(void *arg); /* a background job; arg: struct container_insights */
