/* health.c - container health checks (healthCheck in the definition):
 * a thread per checked container runs the command inside it with
 * runtime_exec at each interval.  `retries` consecutive failures make it
 * UNHEALTHY; failures during startPeriod do not count, a success does.
 * Changes are reported (BerthAgent.ReportHealth) with the task's health:
 * HEALTHY when every essential container that has a check is HEALTHY,
 * UNHEALTHY when one of them is UNHEALTHY, UNKNOWN otherwise.  As in ECS,
 * an image's HEALTHCHECK is not used unless the definition asks. */
#include <string.h>
#include <time.h>

#include "common/proto.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "agent/reporter.h"
#include "agent/task/runner.h"

static const char *health_name(enum ctr_health h)
{
    return h == HEALTH_HEALTHY ? "HEALTHY" : h == HEALTH_UNHEALTHY ? "UNHEALTHY" : "UNKNOWN";
}

/* Sleep until `until` (monotonic) unless the task or container is ending. */
static bool nap(struct runner_ctr *c, usec_t until)
{
    struct task_runner *t = c->task;
    pthread_mutex_lock(&t->lock);
    while (!t->shutdown && c->state == CTR_RUNNING && !t->finished) {
        if (time_monotonic() >= until)
            break;
        struct timespec ts = {.tv_sec = until / USEC_PER_SEC, .tv_nsec = (until % USEC_PER_SEC) * 1000};
        pthread_cond_timedwait(&t->cond, &t->lock, &ts);
    }
    bool go_on = !t->shutdown && c->state == CTR_RUNNING && !t->finished;
    pthread_mutex_unlock(&t->lock);
    return go_on;
}

static void report(struct runner_ctr *c)
{
    struct task_runner *t = c->task;
    int checked = 0, healthy = 0, unhealthy = 0;
    json_t *list = json_array();
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *o = &t->ctrs[i];
        if (!json_object_get(o->def, "healthCheck"))
            continue;
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "containerName", o->name, "healthStatus", health_name(o->health)));
        if (!o->essential)
            continue;
        checked++;
        healthy += o->health == HEALTH_HEALTHY;
        unhealthy += o->health == HEALTH_UNHEALTHY;
    }
    const char *task_health = unhealthy ? "UNHEALTHY" : checked && healthy == checked ? "HEALTHY" : "UNKNOWN";
    snprintf(t->task_health, sizeof(t->task_health), "%s", task_health);
    pthread_mutex_unlock(&t->lock);
    json_t *body = json_pack("{s:s, s:s, s:s, s:o}", "cluster", t->inst->agent->cfg.cluster, "task", t->arn,
                             "healthStatus", task_health, "containers", list);
    reporter_send(t->inst->agent->reporter, PROTO_AGENT_TARGET, PROTO_REPORT_HEALTH, body);
    runner_wake(t);
}

static void *health_loop(void *arg)
{
    struct runner_ctr *c = arg;
    struct task_runner *t = c->task;
    json_t *hc = json_object_get(c->def, "healthCheck");
    json_t *cmd = json_object_get(hc, "command");
    const char *kind = json_string_value(json_array_get(cmd, 0));
    usec_t interval = (json_integer_value(json_object_get(hc, "interval")) ?: 30) * USEC_PER_SEC;
    usec_t timeout = (json_integer_value(json_object_get(hc, "timeout")) ?: 5) * USEC_PER_SEC;
    int retries = (int)(json_integer_value(json_object_get(hc, "retries")) ?: 3);
    usec_t start_period = json_integer_value(json_object_get(hc, "startPeriod")) * USEC_PER_SEC;
    if (!kind || strcmp(kind, "NONE") == 0)
        return NULL;
    const char *argv[64];
    size_t argc = 0;
    if (strcmp(kind, "CMD-SHELL") == 0) {
        argv[argc++] = "/bin/sh";
        argv[argc++] = "-c";
        argv[argc++] = json_string_value(json_array_get(cmd, 1));
    } else {
        for (size_t i = 1; i < json_array_size(cmd) && argc < 63; i++)
            argv[argc++] = json_string_value(json_array_get(cmd, i));
    }
    /* A non-string element anywhere would cut argv short or crash exec. */
    if (argc == 0)
        return NULL;
    for (size_t i = 0; i < argc; i++)
        if (!argv[i])
            return NULL;
    usec_t started = time_monotonic();
    int failures = 0;
    /* Docker runs the first check one interval after start. */
    usec_t next = started + (interval < 5 * USEC_PER_SEC ? interval : 5 * USEC_PER_SEC);
    while (nap(c, next)) {
        usec_t now = time_monotonic();
        next = now + interval;
        int exit_code = -1;
        bool timed_out = false;
        struct error err;
        int r = runtime_exec(&t->env->rt, c->id, argv, argc, timeout, -1, -1, &exit_code, &timed_out, &err);
        bool ok = r == 0 && exit_code == 0;
        enum ctr_health before = c->health, after = before;
        if (ok) {
            failures = 0;
            after = HEALTH_HEALTHY;
        } else if (now - started >= start_period && ++failures >= retries) {
            after = HEALTH_UNHEALTHY;
        }
        if (after != before) {
            pthread_mutex_lock(&t->lock);
            c->health = after;
            pthread_mutex_unlock(&t->lock);
            log_info("task %s: container %s is %s", t->id, c->name, health_name(after));
            report(c);
        }
    }
    return NULL;
}

void health_start(struct runner_ctr *c)
{
    if (!json_object_get(c->def, "healthCheck") || c->health_thread_started)
        return;
    if (pthread_create(&c->health_thread, NULL, health_loop, c) == 0)
        c->health_thread_started = true;
}

void health_stop(struct runner_ctr *c)
{
    if (!c->health_thread_started)
        return;
    pthread_mutex_lock(&c->task->lock);
    pthread_cond_broadcast(&c->task->cond);
    pthread_mutex_unlock(&c->task->lock);
    pthread_join(c->health_thread, NULL);
    c->health_thread_started = false;
}
