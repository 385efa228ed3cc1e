/* task_metrics.c - the metrics sampler (see task_metrics.h).  Per task:
 * CPU used since the last sample in ECS cpu units (1024 = one CPU busy the
 * whole interval) and the memory working set in MiB; the first sample of a
 * task only sets the mark CPU is measured from.
 *
 * Per running container, and summed for the task: network bytes per second
 * since the last sample (netRx, netTx; whole bytes), read from the host
 * side of the container's veth, whose receive is the container's transmit
 * (bridge: a veth per container; awsvpc: the task's one veth, counted once in the
 * task's sum; host and none networks have no veth, so no network figures),
 * the bytes read from and written to block devices since the
 * container's cgroup was made (storageRead, storageWrite: cumulative, as
 * Container Insights reports them).  Per container also its own cgroup's
 * CPU (cpuUnits, from its second sample on) and memory working set
 * (memoryMiB).  For the task, the disk space its running containers'
 * writable layers (the overlay upper dirs: what they wrote to their root
 * filesystems) take, as du counts it (ephemeralStorageBytes).  A container
 * with a restart policy says how often it restarted (restartCount), one
 * with a health check its status (healthStatus). */
#include "agent/task/task_metrics.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_limits.h"
#include "agent/reporter.h"
#include "agent/runtime/cgroup_usage.h"
#include "agent/runtime/runtime.h"
#include "agent/task/restart_policy.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/timeutil.h"

/* Whether any of the task's containers runs (under t->lock). */
static bool task_running(const struct task_runner *t)
{
    if (t->finished || t->shutdown)
        return false;
    for (size_t i = 0; i < t->nctrs; i++)
        if (t->ctrs[i].state == CTR_RUNNING)
            return true;
    return false;
}

/* One of a veth's counters, or -1. */
static int veth_counter(const char *veth, const char *name, uint64_t *ret)
{
    char path[128];
    _cleanup_free_ char *text = NULL;
    struct error ignore;
    snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", veth, name);
    if (fs_read_file(path, 64, &text, NULL, &ignore) < 0)
        return -1;
    *ret = strtoull(text, NULL, 10);
    return 0;
}

/* What a container's sample needs, copied under the task's lock. */
struct ctr_snap {
    struct runner_ctr *c;
    char id[72];
    char veth[16];
    bool running;
    int restarts;          /* -1: no restart policy */
    enum health_status hs; /* with has_check */
    bool has_check;
};

/* The task's I/O sums over its containers. */
struct io_sums {
    double rx, tx;
    uint64_t rd, wr;
    unsigned long long eph;
    bool net, storage, ephemeral;
};

/* Network rates of one container into o (none on its first sample, after a
 * counter went back, or without a veth); the task's sum counts each veth
 * once (awsvpc containers share one). */
static void sample_ctr_net(struct ctr_snap *snaps, size_t i, usec_t dt, json_t *o, struct io_sums *sum)
{
    struct runner_ctr *c = snaps[i].c;
    uint64_t rx, tx;
    if (!snaps[i].veth[0] || veth_counter(snaps[i].veth, "tx_bytes", &rx) < 0 ||
        veth_counter(snaps[i].veth, "rx_bytes", &tx) < 0) {
        c->net_marked = false;
        return;
    }
    bool rate = c->net_marked && dt > 0 && rx >= c->sampled_rx && tx >= c->sampled_tx;
    double r = rate ? (double)(rx - c->sampled_rx) * 1e6 / (double)dt : 0;
    double w = rate ? (double)(tx - c->sampled_tx) * 1e6 / (double)dt : 0;
    c->sampled_rx = rx;
    c->sampled_tx = tx;
    c->net_marked = true;
    if (!rate)
        return;
    json_object_set_new(o, "netRx", json_integer((json_int_t)llround(r)));
    json_object_set_new(o, "netTx", json_integer((json_int_t)llround(w)));
    for (size_t k = 0; k < i; k++)
        if (snaps[k].running && strcmp(snaps[k].veth, snaps[i].veth) == 0)
            return;
    sum->rx += r;
    sum->tx += w;
    sum->net = true;
}

/* A container's own CPU rate and memory into o, from its cgroup
 * <task-id>/<container-id> (no CPU figure on its first sample or after
 * its counter went back). */
static void sample_ctr_usage(struct runner_env *env, const char *cgname, struct runner_ctr *c, usec_t dt, json_t *o)
{
    struct cgroup_usage u;
    struct error err;
    if (cgroup_usage_read(&env->rt.cg, cgname, &u, &err) < 0) {
        c->cpu_marked = false;
        return;
    }
    if (c->cpu_marked && dt > 0 && u.cpu_ns >= c->sampled_cpu_ns)
        json_object_set_new(o, "cpuUnits",
                            json_real((double)(u.cpu_ns - c->sampled_cpu_ns) / 1000.0 / (double)dt * 1024.0));
    c->sampled_cpu_ns = u.cpu_ns;
    c->cpu_marked = true;
    json_object_set_new(o, "memoryMiB", json_real((double)u.memory_bytes / (1024.0 * 1024.0)));
}

/* The disk space a container's writable layer takes, into the task's sum
 * (Container Insights has no container-level figure of it). */
static void sample_ctr_ephemeral(struct runner_env *env, const char *id, struct io_sums *sum)
{
    char upper[PATH_MAX];
    unsigned long long bytes;
    struct error err;
    if (runtime_path(&env->rt, id, "upper", upper, sizeof(upper), &err) < 0 ||
        fs_disk_usage(upper, LIMIT_METRICS_EPHEMERAL_ENTRIES, &bytes, &err) < 0) {
        log_debug("container %s: no ephemeral storage figure: %s", id, err.msg);
        return;
    }
    sum->eph += bytes;
    sum->ephemeral = true;
}

/* The containers' I/O figures into body ("containers" and the task's sums);
 * dt: microseconds since the task's last sample (0: its first). */
static void sample_io(struct runner_env *env, struct task_runner *t, usec_t dt, json_t *body)
{
    struct ctr_snap snaps[LIMIT_METRICS_CONTAINERS];
    size_t n = t->nctrs < LIMIT_METRICS_CONTAINERS ? t->nctrs : LIMIT_METRICS_CONTAINERS;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < n; i++) {
        snaps[i].c = &t->ctrs[i];
        snaps[i].running = t->ctrs[i].state == CTR_RUNNING;
        snprintf(snaps[i].id, sizeof(snaps[i].id), "%s", t->ctrs[i].id);
        snprintf(snaps[i].veth, sizeof(snaps[i].veth), "%s", t->ctrs[i].veth);
        json_t *def = t->ctrs[i].def;
        snaps[i].restarts =
            restart_policy_enabled(json_object_get(def, "restartPolicy")) ? t->ctrs[i].restart_count : -1;
        json_t *cmd = json_object_get(json_object_get(def, "healthCheck"), "command");
        const char *first = json_string_value(json_array_get(cmd, 0));
        snaps[i].has_check = first && strcmp(first, "NONE") != 0;
        snaps[i].hs = t->ctrs[i].health.status;
    }
    pthread_mutex_unlock(&t->lock);
    json_t *ctrs = json_array();
    struct io_sums sum = {0};
    for (size_t i = 0; i < n && ctrs; i++) {
        if (!snaps[i].running) {
            snaps[i].c->net_marked = false;
            snaps[i].c->cpu_marked = false;
            continue;
        }
        json_t *o = json_pack("{s:s}", "name", snaps[i].c->name ? snaps[i].c->name : "");
        if (!o)
            break;
        sample_ctr_net(snaps, i, dt, o, &sum);
        /* Container Insights' RestartCount and UnHealthyContainerHealthStatus. */
        if (snaps[i].restarts >= 0)
            json_object_set_new(o, "restartCount", json_integer(snaps[i].restarts));
        if (snaps[i].has_check)
            json_object_set_new(o, "healthStatus", json_string(health_name(snaps[i].hs)));
        char name[128];
        uint64_t rd, wr;
        struct error err;
        snprintf(name, sizeof(name), "%s/%s", t->id, snaps[i].id);
        sample_ctr_usage(env, name, snaps[i].c, dt, o);
        sample_ctr_ephemeral(env, snaps[i].id, &sum);
        if (cgroup_usage_read_io(&env->rt.cg, name, &rd, &wr, &err) == 0) {
            json_object_set_new(o, "storageRead", json_integer((json_int_t)rd));
            json_object_set_new(o, "storageWrite", json_integer((json_int_t)wr));
            sum.rd += rd;
            sum.wr += wr;
            sum.storage = true;
        }
        json_array_append_new(ctrs, o);
    }
    if (sum.net) {
        json_object_set_new(body, "netRx", json_integer((json_int_t)llround(sum.rx)));
        json_object_set_new(body, "netTx", json_integer((json_int_t)llround(sum.tx)));
    }
    if (sum.storage) {
        json_object_set_new(body, "storageRead", json_integer((json_int_t)sum.rd));
        json_object_set_new(body, "storageWrite", json_integer((json_int_t)sum.wr));
    }
    if (sum.ephemeral)
        json_object_set_new(body, "ephemeralStorageBytes", json_integer((json_int_t)sum.eph));
    if (ctrs && json_array_size(ctrs))
        json_object_set_new(body, "containers", ctrs);
    else
        json_decref(ctrs);
}

static void sample_task(struct runner_env *env, struct task_runner *t)
{
    pthread_mutex_lock(&t->lock);
    bool running = task_running(t);
    pthread_mutex_unlock(&t->lock);
    if (!running) {
        t->sampled_at = 0;
        return;
    }
    struct cgroup_usage u;
    struct error err;
    usec_t now = time_monotonic();
    if (cgroup_usage_read(&env->rt.cg, t->id, &u, &err) < 0) {
        log_debug("task %s: no metrics sample: %s", t->id, err.msg);
        return;
    }
    usec_t prev_at = t->sampled_at;
    uint64_t prev_cpu = t->sampled_cpu_ns;
    t->sampled_at = now;
    t->sampled_cpu_ns = u.cpu_ns;
    bool rate = prev_at && now > prev_at && u.cpu_ns >= prev_cpu;
    double cpu_units = rate ? (double)(u.cpu_ns - prev_cpu) / 1000.0 / (double)(now - prev_at) * 1024.0 : 0;
    json_t *body = json_pack("{s:s, s:s, s:I, s:f, s:f}", "cluster", t->inst->agent->cfg.cluster, "task", t->arn, "at",
                             (json_int_t)(time_now() / 1000), "cpuUnits", cpu_units, "memoryMiB",
                             (double)u.memory_bytes / (1024.0 * 1024.0));
    if (!body)
        return;
    /* The first sample only sets the marks rates are measured from. */
    sample_io(env, t, rate ? now - prev_at : 0, body);
    if (rate)
        reporter_send(t->inst->agent->reporter, PROTO_AGENT_TARGET, PROTO_REPORT_METRICS, body);
    else
        json_decref(body);
}

static void *sample_loop(void *arg)
{
    struct runner_env *env = arg;
    usec_t interval = (usec_t)env->agent->cfg.metrics_interval_sec * USEC_PER_SEC;
    usec_t next = time_monotonic() + interval;
    while (!env->metrics_stop) {
        /* Short naps, so that a stop is never kept waiting an interval, and
         * the last one ends on time: rates divide by the time between samples. */
        usec_t now = time_monotonic();
        if (now < next) {
            usleep((useconds_t)(next - now < 100 * 1000 ? next - now : 100 * 1000));
            continue;
        }
        next += interval;
        pthread_mutex_lock(&env->lock);
        for (struct task_runner *t = env->runners; t; t = t->next)
            sample_task(env, t);
        pthread_mutex_unlock(&env->lock);
    }
    return NULL;
}

int task_metrics_start(struct runner_env *env, struct error *err)
{
    if (env->agent->cfg.metrics_interval_sec <= 0)
        return 0;
    if (pthread_create(&env->metrics_thread, NULL, sample_loop, env) != 0)
        return error_set(err, ERR_SYSTEM, "cannot start the metrics sampler");
    env->metrics_started = true;
    return 0;
}

void task_metrics_stop(struct runner_env *env)
{
    if (!env->metrics_started)
        return;
    env->metrics_stop = true;
    pthread_join(env->metrics_thread, NULL);
    env->metrics_started = false;
}
