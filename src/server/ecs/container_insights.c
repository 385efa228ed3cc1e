/* container_insights.c - ECS/ContainerInsights metrics (see
 * container_insights.h).
 *
 * Usage (CpuUtilized, MemoryUtilized and what the tasks reserve) arrives
 * with each task's report, one point per report: a period's Average is
 * then the mean per task, as Container Insights' per-task figures are.
 * Counts are gauges taken once a period by a background pass; the task
 * figures are published by container_insights_task.c. */
#include "server/ecs/container_insights.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "server/store/store.h"
#include "server/store/store_clusters.h"
#include "server/store/store_insights.h"
#include "server/store/store_metrics.h"
#include "server/store/store_services.h"
#include "server/store/store_tasks.h"

#define CI_NAMESPACE "ECS/ContainerInsights"
#define CI_SERVICES_MAX 5000

int64_t ecs_metrics_period_ms(int time_scale)
{
    int64_t p = 60000 / (time_scale > 1 ? time_scale : 1);
    return p < 1000 ? 1000 : p;
}

usec_t container_insights_interval(int time_scale) { return (usec_t)ecs_metrics_period_ms(time_scale) * 1000 / 2; }

/* The cluster's containerInsights value, or NULL. */
static const char *insights_setting(json_t *cluster_doc)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(cluster_doc, "settings"), i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *value = json_string_value(json_object_get(s, "value"));
        if (name && value && strcmp(name, "containerInsights") == 0)
            return value;
    }
    return NULL;
}

bool container_insights_on(json_t *cluster_doc)
{
    const char *v = insights_setting(cluster_doc);
    return v && (strcmp(v, "enabled") == 0 || strcmp(v, "enhanced") == 0);
}

bool container_insights_enhanced(json_t *cluster_doc)
{
    const char *v = insights_setting(cluster_doc);
    return v && strcmp(v, "enhanced") == 0;
}

int container_insights_put(struct store_tx *tx, const char *region, const char *name, json_t *dims, int64_t at_ms,
                           int64_t now_ms, const char *unit, double v, struct error *err)
{
    _cleanup_free_ char *text = dims ? json_dumps(dims, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int64_t id;
    struct store_metric_point p = {.at_ms = at_ms, .unit = unit, .count = 1, .sum = v, .min = v, .max = v};
    if (store_metric_touch(tx, region, CI_NAMESPACE, name, text, now_ms, &id, err) < 0)
        return -1;
    return store_metric_point_add(tx, id, &p, err);
}

/* One point of `name` by ClusterName (service NULL) or ClusterName +
 * ServiceName. */
static int put(struct store_tx *tx, const char *region, const char *name, const char *cluster, const char *service,
               int64_t at_ms, int64_t now_ms, const char *unit, double v, struct error *err)
{
    _cleanup_json_ json_t *dims = service ? json_pack("[[ss][ss]]", "ClusterName", cluster, "ServiceName", service)
                                          : json_pack("[[ss]]", "ClusterName", cluster);
    return container_insights_put(tx, region, name, dims, at_ms, now_ms, unit, v, err);
}

struct service_tally {
    int64_t running, pending;
};

static int tally(void *ud, const char *started_by, const char *last_status, int64_t n, struct error *err)
{
    struct service_tally *t = ud;
    (void)started_by;
    (void)err;
    if (strcmp(last_status, "RUNNING") == 0)
        t->running += n;
    else if (strcmp(last_status, "PROVISIONING") == 0 || strcmp(last_status, "PENDING") == 0 ||
             strcmp(last_status, "ACTIVATING") == 0)
        t->pending += n;
    return 0;
}

struct pass {
    struct store_tx *tx;
    int64_t at_ms, now_ms;
};

static int count_service(struct pass *p, int64_t cluster_id, const char *region, const char *cluster, const char *name,
                         struct error *err)
{
    _cleanup_(service_row_clear) struct service_row row = {0};
    struct service_tally t = {0};
    int r = store_service_get(p->tx, cluster_id, name, &row, err);
    if (r <= 0)
        return r;
    if (store_service_status_counts(p->tx, cluster_id, name, tally, &t, err) < 0)
        return -1;
    double desired = (double)json_integer_value(json_object_get(row.doc, "desiredCount"));
    double deployments = (double)json_array_size(json_object_get(row.doc, "deployments"));
    double task_sets = (double)json_array_size(json_object_get(row.doc, "taskSets"));
    const struct {
        const char *name;
        double v;
    } m[] = {{"DesiredTaskCount", desired},
             {"RunningTaskCount", (double)t.running},
             {"PendingTaskCount", (double)t.pending},
             {"DeploymentCount", deployments},
             {"TaskSetCount", task_sets}};
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (put(p->tx, region, m[i].name, cluster, name, p->at_ms, p->now_ms, "Count", m[i].v, err) < 0)
            return -1;
    return 0;
}

static int count_cluster(int64_t id, const char *region, const char *name, json_t *doc, void *ud, struct error *err)
{
    struct pass *p = ud;
    struct cluster_counts c;
    if (!container_insights_on(doc))
        return 0;
    if (store_cluster_counts(p->tx, id, &c, err) < 0)
        return -1;
    if (put(p->tx, region, "ContainerInstanceCount", name, NULL, p->at_ms, p->now_ms, "Count",
            (double)c.registered_instances, err) < 0 ||
        put(p->tx, region, "TaskCount", name, NULL, p->at_ms, p->now_ms, "Count", (double)c.running_tasks, err) < 0 ||
        put(p->tx, region, "ServiceCount", name, NULL, p->at_ms, p->now_ms, "Count", (double)c.active_services, err) <
            0)
        return -1;
    _cleanup_json_ json_t *names = json_array();
    if (!names)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_service_list(p->tx, id, NULL, NULL, NULL, CI_SERVICES_MAX, names, NULL, err) < 0)
        return -1;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        if (count_service(p, id, region, name, json_string_value(n), err) < 0)
            return -1;
    }
    return 0;
}

void container_insights_pass(void *arg)
{
    struct container_insights *ci = arg;
    int64_t now_ms = (int64_t)(time_now() / 1000), period = ecs_metrics_period_ms(ci->time_scale);
    int64_t at = now_ms - now_ms % period;
    if (at == ci->last_period_ms)
        return;
    struct error err;
    struct store_tx *tx = NULL;
    if (store_begin_leader(ci->store, &tx, &err) < 0) {
        log_warn("container insights: %s", err.msg);
        return;
    }
    struct pass p = {tx, at, now_ms};
    if (store_insights_clusters(tx, count_cluster, &p, &err) < 0) {
        log_warn("container insights: %s", err.msg);
        store_rollback(tx);
        return;
    }
    if (store_commit(tx, &err) < 0) {
        log_warn("container insights: %s", err.msg);
        return;
    }
    ci->last_period_ms = at;
}
