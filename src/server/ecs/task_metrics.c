/* task_metrics.c - BerthAgent.ReportMetrics {cluster, task, at, cpuUnits,
 * memoryMiB, netRx, netTx, storageRead, storageWrite, ephemeralStorageBytes,
 * containers}: what a running task used over the agent's last sampling
 * interval (cpu units,
 * 1024 a CPU; memory in MiB, the working set; network, storage and the
 * containers' own figures go to Container Insights alone),
 * published in namespace AWS/ECS as ECS computes it:
 *   CPUUtilization, MemoryUtilization = used / reserved by the task (its
 *   task-level cpu and memory, else its containers'), in percent, by
 *   ClusterName and, for a service's task, by ClusterName + ServiceName;
 *   CPUReservation, MemoryReservation = reserved by tasks / registered on
 *   the cluster's instances, in percent, by ClusterName.
 * ECS/ContainerInsights' usage figures come along (container_insights.c).
 * One point per report; GetMetricStatistics' Average over a minute is then
 * the mean over the cluster's (or service's) task samples, which is ECS's
 * ratio of sums when the tasks reserve alike.  An instance principal may
 * report only on its own tasks (agent_identity.c). */
#include "server/ecs/task_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/agent_identity.h"
#include "server/ecs/container_insights.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/tasks.h"
#include "server/store/store_clusters.h"
#include "server/store/store_instances.h"
#include "server/store/store_metrics.h"
#include "server/store/store_tasks.h"

#define ECS_NAMESPACE "AWS/ECS"
/* Samples may be late (an agent that could not reach the server) but not
 * older than an hour, nor from the future. */
#define REPORT_MAX_AGE_MS (3600LL * 1000)
/* Containers one report may list (ECS allows ten per task definition). */
#define REPORT_CONTAINERS_MAX 16

/* One Percent point of AWS/ECS metric `name` with the given dimensions
 * (service NULL: ClusterName alone). */
static int put_percent(struct op_ctx *ctx, const char *name, const char *cluster, const char *service, int64_t at_ms,
                       double value, struct error *err)
{
    /* Canonical dimensions, sorted by name, as the CloudWatch service keys them. */
    _cleanup_json_ json_t *dims = service ? json_pack("[[ss][ss]]", "ClusterName", cluster, "ServiceName", service)
                                          : json_pack("[[ss]]", "ClusterName", cluster);
    _cleanup_free_ char *text = dims ? json_dumps(dims, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int64_t id;
    struct store_metric_point p = {
        .at_ms = at_ms, .unit = "Percent", .count = 1, .sum = value, .min = value, .max = value};
    if (store_metric_touch(ctx->tx, ctx->region, ECS_NAMESPACE, name, text, (int64_t)(ctx->now / 1000), &id, err) < 0)
        return -1;
    return store_metric_point_add(ctx->tx, id, &p, err);
}

/* A utilisation by cluster and, for a service's task, by service too. */
static int put_utilisation(struct op_ctx *ctx, const char *name, const struct cluster_row *cluster,
                           const struct task_row *task, int64_t at_ms, double used, int64_t reserved, struct error *err)
{
    if (reserved <= 0 || used < 0)
        return 0;
    double pct = 100.0 * used / (double)reserved;
    if (put_percent(ctx, name, cluster->name, NULL, at_ms, pct, err) < 0)
        return -1;
    return task->service_name && task->service_name[0]
               ? put_percent(ctx, name, cluster->name, task->service_name, at_ms, pct, err)
               : 0;
}

static int put_reservation(struct op_ctx *ctx, const struct cluster_row *cluster, int64_t at_ms, struct error *err)
{
    int64_t t[4];
    if (store_instance_totals(ctx->tx, cluster->id, t, err) < 0)
        return -1;
    if (t[0] > 0 && put_percent(ctx, "CPUReservation", cluster->name, NULL, at_ms, 100.0 * t[1] / t[0], err) < 0)
        return -1;
    if (t[2] > 0 && put_percent(ctx, "MemoryReservation", cluster->name, NULL, at_ms, 100.0 * t[3] / t[2], err) < 0)
        return -1;
    return 0;
}

static bool number_ok(json_t *v) { return !v || (json_is_number(v) && isfinite(json_number_value(v))); }

/* A count or rate: absent, or a finite number not below zero. */
static bool amount_ok(json_t *v) { return number_ok(v) && (!v || json_number_value(v) >= 0); }

/* The I/O figures of a report: netRx, netTx (bytes/s), storageRead,
 * storageWrite, ephemeralStorageBytes (bytes), and containers [{name,
 * netRx, netTx, storageRead, storageWrite, cpuUnits, memoryMiB,
 * restartCount, healthStatus}]. */
static int read_io(json_t *in, struct ci_sample *s, struct error *err)
{
    s->net_rx = json_object_get(in, "netRx");
    s->net_tx = json_object_get(in, "netTx");
    s->storage_read = json_object_get(in, "storageRead");
    s->storage_write = json_object_get(in, "storageWrite");
    s->ephemeral = json_object_get(in, "ephemeralStorageBytes");
    s->containers = json_object_get(in, "containers");
    if (!amount_ok(s->net_rx) || !amount_ok(s->net_tx) || !amount_ok(s->storage_read) || !amount_ok(s->storage_write) ||
        !amount_ok(s->ephemeral))
        return error_set(err, ERR_INVALID, "Invalid metrics report: network and storage figures are numbers >= 0.");
    if (s->containers && (!json_is_array(s->containers) || json_array_size(s->containers) > REPORT_CONTAINERS_MAX))
        return error_set(err, ERR_INVALID, "Invalid metrics report: containers is an array of at most %d.",
                         REPORT_CONTAINERS_MAX);
    size_t i;
    json_t *c;
    json_array_foreach(s->containers, i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        if (!name || !name[0] || strlen(name) > 255 || !amount_ok(json_object_get(c, "netRx")) ||
            !amount_ok(json_object_get(c, "netTx")) || !amount_ok(json_object_get(c, "storageRead")) ||
            !amount_ok(json_object_get(c, "storageWrite")) || !amount_ok(json_object_get(c, "cpuUnits")) ||
            !amount_ok(json_object_get(c, "memoryMiB")) || !amount_ok(json_object_get(c, "restartCount")))
            return error_set(err, ERR_INVALID,
                             "Invalid metrics report: a container has a name and figures that are numbers >= 0.");
        json_t *hs = json_object_get(c, "healthStatus");
        if (hs && !json_is_string(hs))
            return error_set(err, ERR_INVALID, "Invalid metrics report: a container's healthStatus is a string.");
    }
    return 0;
}

int action_berth_report_metrics(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (!json_is_object(in))
        return error_set(err, ERR_INVALID, "A metrics report must be an object.");
    json_t *cpu = json_object_get(in, "cpuUnits"), *mem = json_object_get(in, "memoryMiB");
    json_t *at = json_object_get(in, "at");
    int64_t now_ms = (int64_t)(ctx->now / 1000), at_ms = at ? json_integer_value(at) : now_ms;
    struct ci_sample io = {.cpu = cpu, .mem = mem};
    if (!number_ok(cpu) || !number_ok(mem) || (at && !json_is_integer(at)))
        return error_set(err, ERR_INVALID, "Invalid metrics report: cpuUnits and memoryMiB are numbers, at ms.");
    if (read_io(in, &io, err) < 0)
        return -1;
    if (at_ms > now_ms || at_ms < now_ms - REPORT_MAX_AGE_MS)
        at_ms = now_ms;
    /* One-minute points (a minute divided by --time-scale, so that scaled
     * alarm periods find their data). */
    const struct ecs_service *ecs = ctx->service;
    int64_t period = ecs_metrics_period_ms(ecs ? ecs->time_scale : 1);
    at_ms -= at_ms % period;
    if (task_resolve_request(ctx, in, &cluster, &task, err) < 0 ||
        agent_identity_allow_task(ctx, &cluster, &task, err) < 0)
        return -1;
    if ((cpu && put_utilisation(ctx, "CPUUtilization", &cluster, &task, at_ms, json_number_value(cpu), task.res_cpu,
                                err) < 0) ||
        (mem && put_utilisation(ctx, "MemoryUtilization", &cluster, &task, at_ms, json_number_value(mem),
                                task.res_memory, err) < 0) ||
        put_reservation(ctx, &cluster, at_ms, err) < 0 ||
        container_insights_task(ctx, &cluster, &task, at_ms, &io, err) < 0)
        return -1;
    json_object_set_new(out, "acknowledgment", json_string("ACK"));
    return 0;
}
