/* task_health.c - the task side of health checks (health.c runs them).
 * A container's check goes on while the container runs, the task is not
 * finished and the agent is not stopping.  A change is reported
 * (BerthAgent.ReportHealth) with the task's health: HEALTHY when every
 * essential container that has a check is HEALTHY, UNHEALTHY when one of
 * them is UNHEALTHY, UNKNOWN otherwise; the runner is woken, as a
 * dependsOn HEALTHY may now hold. */
#include "agent/task/task_health.h"

#include "common/log.h"
#include "common/proto.h"
#include "agent/reporter.h"

/* Under t->lock (health.c holds it). */
static bool ctr_alive(void *ctx)
{
    struct runner_ctr *c = ctx;
    struct task_runner *t = c->task;
    return !t->shutdown && c->state == CTR_RUNNING && !c->restart_due && !t->finished;
}

static void report(struct task_runner *t)
{
    int checked = 0, healthy = 0, unhealthy = 0;
    json_t *list = json_array();
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *o = &t->ctrs[i];
        if (!json_object_get(o->def, "healthCheck"))
            continue;
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "containerName", o->name, "healthStatus", health_name(o->health.status)));
        if (!o->essential)
            continue;
        checked++;
        healthy += o->health.status == HEALTH_HEALTHY;
        unhealthy += o->health.status == HEALTH_UNHEALTHY;
    }
    t->health = unhealthy ? HEALTH_UNHEALTHY : checked && healthy == checked ? HEALTH_HEALTHY : HEALTH_UNKNOWN;
    const char *task_health = health_name(t->health);
    pthread_mutex_unlock(&t->lock);
    json_t *body = json_pack("{s:s, s:s, s:s, s:o}", "cluster", t->inst->agent->cfg.cluster, "task", t->arn,
                             "healthStatus", task_health, "containers", list);
    reporter_send(t->inst->agent->reporter, PROTO_AGENT_TARGET, PROTO_REPORT_HEALTH, body);
    runner_wake(t);
}

/* From the check thread, the only writer of the status. */
static void ctr_changed(void *ctx)
{
    struct runner_ctr *c = ctx;
    log_info("task %s: container %s is %s", c->task->id, c->name, health_name(c->health.status));
    report(c->task);
}

void task_health_start(struct runner_ctr *c)
{
    struct task_runner *t = c->task;
    struct health *h = &c->health;
    if (h->started)
        return;
    h->rt = &t->env->rt;
    h->ctr_id = c->id;
    h->check = json_object_get(c->def, "healthCheck");
    h->lock = &t->lock;
    h->cond = &t->cond;
    h->alive = ctr_alive;
    h->changed = ctr_changed;
    h->ctx = c;
    health_start(h);
}

void task_health_stop(struct runner_ctr *c) { health_stop(&c->health); }
