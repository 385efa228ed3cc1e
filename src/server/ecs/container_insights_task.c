/* container_insights_task.c - a running task's ECS/ContainerInsights
 * figures, from the agent's report (see container_insights.h).
 *
 * One point per report: a period's Average is then the mean per task, as
 * Container Insights' per-task figures are.  Network figures are bytes per
 * second over the agent's last interval; tasks in host or none network
 * mode have no veth, so none.  Storage figures are the bytes read and
 * written since the container started, cumulative as Container Insights
 * reports them.  "enhanced" adds the TaskId dimension sets of AWS's
 * enhanced observability and the container-level network and storage
 * metrics; AWS lists ContainerNetworkRx/TxBytes without ContainerName, but
 * a container's figure without its name cannot be told from its
 * neighbours', so berth keys them as the other Container* metrics. */
#include "server/ecs/container_insights.h"

#include "server/store/store_clusters.h"
#include "server/store/store_tasks.h"

#define CI_DIMSETS_MAX 2

static void sets_free(json_t **sets, size_t n)
{
    for (size_t k = 0; k < n; k++)
        json_decref(sets[k]);
}

/* The dimension sets of a task's figures (container NULL; the TaskId sets
 * only when enhanced) or of a container's, from base: [ClusterName] and,
 * for a service's task, [ClusterName, ServiceName]. */
static int dimsets(const struct cluster_row *cluster, const struct task_row *task, bool enhanced, const char *container,
                   json_t **sets, size_t *ret_n, struct error *err)
{
    const char *c = cluster->name, *id = task->uuid, *fam = task->family;
    const char *svc = task->service_name && task->service_name[0] ? task->service_name : NULL;
    size_t n = 0;
    if (!container && !enhanced) {
        sets[n++] = json_pack("[[ss]]", "ClusterName", c);
        if (svc)
            sets[n++] = json_pack("[[ss][ss]]", "ClusterName", c, "ServiceName", svc);
    } else if (!container) {
        if (svc)
            sets[n++] = json_pack("[[ss][ss][ss]]", "ClusterName", c, "ServiceName", svc, "TaskId", id);
        sets[n++] = json_pack("[[ss][ss][ss]]", "ClusterName", c, "TaskDefinitionFamily", fam, "TaskId", id);
    } else {
        if (svc)
            sets[n++] = json_pack("[[ss][ss][ss][ss]]", "ClusterName", c, "ContainerName", container, "ServiceName",
                                  svc, "TaskId", id);
        sets[n++] = json_pack("[[ss][ss][ss][ss]]", "ClusterName", c, "ContainerName", container,
                              "TaskDefinitionFamily", fam, "TaskId", id);
    }
    *ret_n = n;
    for (size_t i = 0; i < n; i++)
        if (!sets[i]) {
            sets_free(sets, n);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
    return 0;
}

struct ci_figure {
    const char *name, *unit;
    bool present;
    double v;
};

/* Each figure present by each dimension set; frees the sets. */
static int put_figures(struct op_ctx *ctx, json_t **sets, size_t nsets, const struct ci_figure *f, size_t nf,
                       int64_t at_ms, struct error *err)
{
    int64_t now_ms = (int64_t)(ctx->now / 1000);
    int r = 0;
    for (size_t i = 0; i < nf && r == 0; i++)
        for (size_t k = 0; k < nsets && r == 0 && f[i].present; k++)
            r = container_insights_put(ctx->tx, ctx->region, f[i].name, sets[k], at_ms, now_ms, f[i].unit, f[i].v, err);
    sets_free(sets, nsets);
    return r;
}

/* The figures of a task (container NULL) or of a container by its sets. */
static int put_level(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *task, bool enhanced,
                     const char *container, const struct ci_figure *f, size_t nf, int64_t at_ms, struct error *err)
{
    json_t *sets[CI_DIMSETS_MAX] = {0};
    size_t n = 0;
    if (dimsets(cluster, task, enhanced, container, sets, &n, err) < 0)
        return -1;
    return put_figures(ctx, sets, n, f, nf, at_ms, err);
}

#define FIG(name, unit, j)                                                                                             \
    {                                                                                                                  \
        name, unit, (j) != NULL, json_number_value(j)                                                                  \
    }

int container_insights_task(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *task,
                            int64_t at_ms, const struct ci_sample *s, struct error *err)
{
    if (!container_insights_on(cluster->doc))
        return 0;
    const struct ci_figure f[] = {
        FIG("CpuUtilized", "None", s->cpu),
        {"CpuReserved", "None", s->cpu != NULL, (double)task->res_cpu},
        FIG("MemoryUtilized", "Megabytes", s->mem),
        {"MemoryReserved", "Megabytes", s->mem != NULL, (double)task->res_memory},
        FIG("NetworkRxBytes", "Bytes/Second", s->net_rx),
        FIG("NetworkTxBytes", "Bytes/Second", s->net_tx),
        FIG("StorageReadBytes", "Bytes", s->storage_read),
        FIG("StorageWriteBytes", "Bytes", s->storage_write),
    };
    size_t nf = sizeof(f) / sizeof(f[0]);
    if (put_level(ctx, cluster, task, false, NULL, f, nf, at_ms, err) < 0)
        return -1;
    if (!container_insights_enhanced(cluster->doc))
        return 0;
    if (put_level(ctx, cluster, task, true, NULL, f, nf, at_ms, err) < 0)
        return -1;
    size_t i;
    json_t *c;
    json_array_foreach(s->containers, i, c) {
        const struct ci_figure cf[] = {
            FIG("ContainerNetworkRxBytes", "Bytes/Second", json_object_get(c, "netRx")),
            FIG("ContainerNetworkTxBytes", "Bytes/Second", json_object_get(c, "netTx")),
            FIG("ContainerStorageReadBytes", "Bytes", json_object_get(c, "storageRead")),
            FIG("ContainerStorageWriteBytes", "Bytes", json_object_get(c, "storageWrite")),
        };
        const char *name = json_string_value(json_object_get(c, "name"));
        if (put_level(ctx, cluster, task, true, name, cf, sizeof(cf) / sizeof(cf[0]), at_ms, err) < 0)
            return -1;
    }
    return 0;
}
