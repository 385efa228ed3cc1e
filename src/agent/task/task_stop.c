/* task_stop.c - stopping a task's containers and cleaning up after it
 * (see task_stop.h).  Failures are logged and the rest still done: a stop
 * must not leave the task half removed.  Reporting STOPPED is the
 * runner's. */
#include "agent/task/task_stop.h"

#include <stdio.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "agent/task/task_health.h"
#include "agent/task/task_logs.h"

#define DEFAULT_STOP_TIMEOUT (30 * USEC_PER_SEC)

/* The container's stopTimeout, cut to the task's deadline if it has one
 * (a Spot interruption: SIGKILL when the warning runs out). */
static usec_t stop_timeout(struct task_runner *t, struct runner_ctr *c)
{
    json_t *st = json_object_get(c->def, "stopTimeout");
    usec_t timeout = st ? (usec_t)json_integer_value(st) * USEC_PER_SEC : DEFAULT_STOP_TIMEOUT;
    pthread_mutex_lock(&t->lock);
    usec_t deadline = t->stop_deadline;
    pthread_mutex_unlock(&t->lock);
    return deadline && deadline < timeout ? deadline : timeout;
}

void task_stop_containers(struct task_runner *t)
{
    /* Reverse of start order, so dependencies outlive their dependents. */
    for (size_t k = t->nctrs; k-- > 0;) {
        struct runner_ctr *c = &t->ctrs[k];
        if (c->state != CTR_RUNNING)
            continue;
        struct runtime_status st;
        struct error err;
        if (runtime_stop(&t->env->rt, c->id, stop_timeout(t, c), &st, &err) < 0) {
            log_warn("task %s: stopping %s: %s", t->id, c->name, err.msg);
            continue;
        }
        pthread_mutex_lock(&t->lock);
        c->state = CTR_EXITED;
        c->exit_code = st.exit_code;
        c->oom = st.oom_killed;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        task_health_stop(c);
    }
}

void task_stop_cleanup(struct task_runner *t)
{
    char dir[4200], logs[4200];
    struct error err;
    runner_dir(t, dir, sizeof(dir));
    snprintf(logs, sizeof(logs), "%s/logs/%s", t->env->agent->cfg.data_dir, t->id);
    fs_mkdir_p(logs, 0755, &err);
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        task_health_stop(c);
        /* Ship the last lines, keep the output: berth logs reads it after
         * the task is gone. */
        task_logs_finish(t, c, logs);
        if (runtime_delete(&t->env->rt, c->id, &err) < 0 && err.kind != ERR_NOT_FOUND)
            log_warn("task %s: removing %s: %s", t->id, c->name, err.msg);
    }
    if (cgroups_task_remove(&t->env->rt.cg, t->id, &err) < 0)
        log_warn("task %s: %s", t->id, err.msg);
    network_task_teardown(t->env->net, t->net);
    t->net = NULL;
    if (fs_rmtree(dir, &err) < 0)
        log_warn("task %s: %s", t->id, err.msg);
}
