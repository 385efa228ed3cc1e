/* task_metrics.c - the metrics sampler (see task_metrics.h).  Per task:
 * CPU used since the last sample in ECS cpu units (1024 = one CPU busy the
 * whole interval) and the memory working set in MiB; the first sample of a
 * task only sets the mark CPU is measured from. */
#include "agent/task/task_metrics.h"

#include <unistd.h>

#include "agent/reporter.h"
#include "agent/runtime/cgroup_usage.h"
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
    if (!prev_at || now <= prev_at || u.cpu_ns < prev_cpu)
        return;
    double cpu_units = (double)(u.cpu_ns - prev_cpu) / 1000.0 / (double)(now - prev_at) * 1024.0;
    json_t *body = json_pack("{s:s, s:s, s:I, s:f, s:f}", "cluster", t->inst->agent->cfg.cluster, "task", t->arn, "at",
                             (json_int_t)(time_now() / 1000), "cpuUnits", cpu_units, "memoryMiB",
                             (double)u.memory_bytes / (1024.0 * 1024.0));
    if (body)
        reporter_send(t->inst->agent->reporter, PROTO_AGENT_TARGET, PROTO_REPORT_METRICS, body);
}

static void *sample_loop(void *arg)
{
    struct runner_env *env = arg;
    usec_t interval = (usec_t)env->agent->cfg.metrics_interval_sec * USEC_PER_SEC;
    usec_t next = time_monotonic() + interval;
    while (!env->metrics_stop) {
        /* Short naps, so that a stop is never kept waiting an interval. */
        if (time_monotonic() < next) {
            usleep(100 * 1000);
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
