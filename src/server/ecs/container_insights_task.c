/* container_insights_task.c - a running task's ECS/ContainerInsights
 * figures, from the agent's report (see container_insights.h).
 *
 * One point per report: a period's Average is then the mean per task, as
 * Container Insights' per-task figures are.  Network figures are bytes per
 * second over the agent's last interval; tasks in host or none network
 * mode have no veth, so none.  Storage figures are the bytes read and
 * written since the container started, cumulative as Container Insights
 * reports them.  Ephemeral storage is what the containers' writable layers
 * take on disk, against the task's ephemeralStorage size (no size, no
 * reserved figure nor percentage), in gigabytes of 10^9 bytes.
 * RestartCount is the restarts so far of the task's containers that have a
 * restart policy (none without one).
 * "enhanced" adds the TaskId dimension sets of AWS's enhanced
 * observability, the Task*Utilization percentages and the container-level
 * metrics, among them each container's RestartCount and, for a container
 * with a health check, UnHealthyContainerHealthStatus (1 while it is
 * UNHEALTHY, else 0); AWS lists ContainerNetworkRx/TxBytes and ContainerCpuUtilization
 * without ContainerName, but a container's figure without its name cannot
 * be told from its neighbours', so berth keys them as the other
 * Container* metrics. */
#include "server/ecs/container_insights.h"

#include <stdlib.h>
#include <string.h>

#include "server/store/store_clusters.h"
#include "server/store/store_tasks.h"

#define CI_DIMSETS_MAX 5
#define GIB 1073741824.0
#define GB 1e9

static void sets_free(json_t **sets, size_t n)
{
    for (size_t k = 0; k < n; k++)
        json_decref(sets[k]);
}

/* The dimension sets of a task's figures (container NULL; the TaskId sets
 * alone when enhanced, the others otherwise) or of a container's, as AWS's
 * enhanced observability names them: [ClusterName],
 * [ClusterName, ServiceName] (a service's task), [ClusterName,
 * TaskDefinitionFamily], and with TaskId; a container's add ContainerName
 * to each but the first. */
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
        sets[n++] = json_pack("[[ss][ss]]", "ClusterName", c, "TaskDefinitionFamily", fam);
    } else if (!container) {
        if (svc)
            sets[n++] = json_pack("[[ss][ss][ss]]", "ClusterName", c, "ServiceName", svc, "TaskId", id);
        sets[n++] = json_pack("[[ss][ss][ss]]", "ClusterName", c, "TaskDefinitionFamily", fam, "TaskId", id);
    } else {
        sets[n++] = json_pack("[[ss]]", "ClusterName", c);
        if (svc) {
            sets[n++] = json_pack("[[ss][ss][ss]]", "ClusterName", c, "ContainerName", container, "ServiceName", svc);
            sets[n++] = json_pack("[[ss][ss][ss][ss]]", "ClusterName", c, "ContainerName", container, "ServiceName",
                                  svc, "TaskId", id);
        }
        sets[n++] =
            json_pack("[[ss][ss][ss]]", "ClusterName", c, "ContainerName", container, "TaskDefinitionFamily", fam);
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

/* used as a percentage of reserved; absent without both. */
static struct ci_figure percent(const char *name, json_t *used, double reserved)
{
    struct ci_figure f = {name, "Percent", used != NULL && reserved > 0, 0};
    if (f.present)
        f.v = 100.0 * json_number_value(used) / reserved;
    return f;
}

/* The task's ephemeral storage size in GiB (its task definition's or
 * Fargate's default, as the task shows it), or 0. */
static double ephemeral_gib(const struct task_row *task)
{
    json_t *size = json_object_get(json_object_get(task->doc, "ephemeralStorage"), "sizeInGiB");
    return json_is_integer(size) && json_integer_value(size) > 0 ? (double)json_integer_value(size) : 0;
}

/* What a container reserves: its own cpu and memory (the hard limit, else
 * the soft one, as the task's reservation counts them) from the task's
 * containers, else the task's, which its containers share. */
static void container_reserved(const struct task_row *task, const char *name, double *ret_cpu, double *ret_mem)
{
    size_t i;
    json_t *c;
    long long cpu = 0, mem = 0;
    json_array_foreach(json_object_get(task->doc, "containers"), i, c) {
        const char *cname = json_string_value(json_object_get(c, "name"));
        if (!cname || strcmp(cname, name) != 0)
            continue;
        const char *v = json_string_value(json_object_get(c, "cpu"));
        cpu = v ? strtoll(v, NULL, 10) : 0;
        v = json_string_value(json_object_get(c, "memory"));
        if (!v)
            v = json_string_value(json_object_get(c, "memoryReservation"));
        mem = v ? strtoll(v, NULL, 10) : 0;
        break;
    }
    *ret_cpu = cpu > 0 ? (double)cpu : (double)task->res_cpu;
    *ret_mem = mem > 0 ? (double)mem : (double)task->res_memory;
}

static int put_container(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *task, json_t *c,
                         int64_t at_ms, struct error *err)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *hs = json_string_value(json_object_get(c, "healthStatus"));
    json_t *cpu = json_object_get(c, "cpuUnits"), *mem = json_object_get(c, "memoryMiB");
    double rcpu, rmem;
    container_reserved(task, name, &rcpu, &rmem);
    const struct ci_figure cf[] = {
        FIG("ContainerCpuUtilized", "None", cpu),
        {"ContainerCpuReserved", "None", cpu != NULL, rcpu},
        percent("ContainerCpuUtilization", cpu, rcpu),
        FIG("ContainerMemoryUtilized", "Megabytes", mem),
        {"ContainerMemoryReserved", "Megabytes", mem != NULL, rmem},
        percent("ContainerMemoryUtilization", mem, rmem),
        FIG("ContainerNetworkRxBytes", "Bytes/Second", json_object_get(c, "netRx")),
        FIG("ContainerNetworkTxBytes", "Bytes/Second", json_object_get(c, "netTx")),
        FIG("ContainerStorageReadBytes", "Bytes", json_object_get(c, "storageRead")),
        FIG("ContainerStorageWriteBytes", "Bytes", json_object_get(c, "storageWrite")),
        {"UnHealthyContainerHealthStatus", "Count", hs != NULL, hs && strcmp(hs, "UNHEALTHY") == 0 ? 1 : 0},
    };
    if (put_level(ctx, cluster, task, true, name, cf, sizeof(cf) / sizeof(cf[0]), at_ms, err) < 0)
        return -1;
    /* RestartCount by ClusterName alone is the tasks' (their sums): a
     * container's goes by the sets that name it. */
    const struct ci_figure rc = FIG("RestartCount", "Count", json_object_get(c, "restartCount"));
    json_t *sets[CI_DIMSETS_MAX] = {0};
    size_t n = 0;
    if (!rc.present)
        return 0;
    if (dimsets(cluster, task, true, name, sets, &n, err) < 0)
        return -1;
    json_decref(sets[0]);
    return put_figures(ctx, sets + 1, n - 1, &rc, 1, at_ms, err);
}

int container_insights_task(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *task,
                            int64_t at_ms, const struct ci_sample *s, struct error *err)
{
    if (!container_insights_on(cluster->doc))
        return 0;
    double eph_gib = ephemeral_gib(task);
    /* The task's restarts: its containers' with a restart policy. */
    bool restarts_known = false;
    double restarts = 0;
    size_t i;
    json_t *c;
    json_array_foreach(s->containers, i, c) {
        json_t *n = json_object_get(c, "restartCount");
        restarts_known |= n != NULL;
        restarts += json_number_value(n);
    }
    double eph_used = json_number_value(s->ephemeral);
    const struct ci_figure f[] = {
        FIG("CpuUtilized", "None", s->cpu),
        {"CpuReserved", "None", s->cpu != NULL, (double)task->res_cpu},
        FIG("MemoryUtilized", "Megabytes", s->mem),
        {"MemoryReserved", "Megabytes", s->mem != NULL, (double)task->res_memory},
        FIG("NetworkRxBytes", "Bytes/Second", s->net_rx),
        FIG("NetworkTxBytes", "Bytes/Second", s->net_tx),
        FIG("StorageReadBytes", "Bytes", s->storage_read),
        FIG("StorageWriteBytes", "Bytes", s->storage_write),
        {"EphemeralStorageUtilized", "Gigabytes", s->ephemeral != NULL, eph_used / GB},
        {"EphemeralStorageReserved", "Gigabytes", s->ephemeral != NULL && eph_gib > 0, eph_gib * GIB / GB},
        {"RestartCount", "Count", restarts_known, restarts},
        /* enhanced only, from here */
        percent("TaskCpuUtilization", s->cpu, (double)task->res_cpu),
        percent("TaskMemoryUtilization", s->mem, (double)task->res_memory),
        {"TaskEphemeralStorageUtilization", "Percent", s->ephemeral != NULL && eph_gib > 0,
         eph_gib > 0 ? 100.0 * eph_used / (eph_gib * GIB) : 0},
    };
    size_t nf = sizeof(f) / sizeof(f[0]), nstd = nf - 3;
    bool enhanced = container_insights_enhanced(cluster->doc);
    if (put_level(ctx, cluster, task, false, NULL, f, enhanced ? nf : nstd, at_ms, err) < 0)
        return -1;
    if (!enhanced)
        return 0;
    if (put_level(ctx, cluster, task, true, NULL, f, nf, at_ms, err) < 0)
        return -1;
    json_array_foreach(s->containers, i, c) {
        if (put_container(ctx, cluster, task, c, at_ms, err) < 0)
            return -1;
    }
    return 0;
}
