/* task_engine.c - the real runner (struct runner_ops real_runner): tasks
 * from the long-poll in, one runner thread per task out.  It sets up what
 * runners share (runtime, image store, network), re-adopts tasks after a
 * restart (task_adopt.c), passes stop requests on, and at shutdown joins
 * the runners while their containers keep running (or, for berth up's
 * clean stop, after stopping them; the network then leaves no bridge or
 * nftables table behind).  What a runner does is
 * task_runner.c's. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/proto.h"
#include "common/task_status.h"
#include "common/timeutil.h"
#include "agent/runtime/spawn.h"
#include "agent/task/task_adopt.h"
#include "agent/task/task_endpoint.h"
#include "agent/task/task_exec.h"
#include "agent/task/task_health.h"
#include "agent/task/task_logs.h"
#include "agent/task/task_metrics.h"
#include "agent/task/task_report.h"
#include "agent/task/task_runner.h"

static struct task_runner *find_runner(struct runner_env *env, const char *id)
{
    for (struct task_runner *t = env->runners; t; t = t->next)
        if (strcmp(t->id, id) == 0)
            return t;
    return NULL;
}

/* A runner's end: its thread joined, its health checks and log shippers
 * stopped, and it freed.  Not in env's list any more. */
static void runner_end(struct task_runner *t)
{
    if (t->joinable)
        pthread_join(t->thread, NULL);
    for (size_t i = 0; i < t->nctrs; i++) {
        task_health_stop(&t->ctrs[i]);
        task_logs_detach(&t->ctrs[i]);
    }
    task_runner_free(t);
}

/* Runners whose task the server has STOPPED (so it will not send it as
 * anything else again) and that have finished go: their threads' stacks,
 * eventfds and documents.  Until then a runner marks its task as one this
 * agent has run.  Kept for the agent's life, they were a file descriptor
 * and an 8 MiB stack mapping per task ever run: an agent ran out of
 * descriptors after about a thousand tasks. */
static void reap_finished(struct runner_env *env)
{
    struct task_runner *done = NULL;
    pthread_mutex_lock(&env->lock);
    for (struct task_runner **p = &env->runners; *p;) {
        struct task_runner *t = *p;
        pthread_mutex_lock(&t->lock);
        bool gone = t->finished && t->server_stopped && t->pins == 0;
        pthread_mutex_unlock(&t->lock);
        if (!gone) {
            p = &t->next;
            continue;
        }
        *p = t->next;
        t->next = done;
        done = t;
    }
    pthread_mutex_unlock(&env->lock);
    bool freed = done != NULL;
    while (done) {
        struct task_runner *t = done;
        done = t->next;
        runner_end(t);
    }
    /* Their documents and buffers leave holes glibc keeps: after 200
     * tasks the agent sat 4-5 MB higher without this (BENCHMARKS.md). */
    if (freed)
        malloc_trim(0);
}

static void real_task_changed(struct agent_instance *inst, json_t *task)
{
    struct runner_env *env = inst->agent->runner_state;
    const char *arn = json_string_value(json_object_get(task, "taskArn"));
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    const char *desired = json_string_value(json_object_get(task, "desiredStatus"));
    const char *last = json_string_value(json_object_get(task, "lastStatus"));
    if (!slash || !desired || !last)
        return;
    reap_finished(env);
    /* Under env->lock: a finished runner may be reaped by another poll. */
    pthread_mutex_lock(&env->lock);
    struct task_runner *t = find_runner(env, slash + 1);
    if (t && task_status_is(last, TASK_STATUS_STOPPED))
        t->server_stopped = true; /* it goes once finished, at a later answer's reap */
    if (t && task_status_is(desired, TASK_STATUS_STOPPED)) {
        json_t *deadline = json_object_get(task, PROTO_STOP_DEADLINE);
        pthread_mutex_lock(&t->lock);
        if (json_is_integer(deadline) && json_integer_value(deadline) > 0)
            t->stop_deadline = (usec_t)json_integer_value(deadline) * USEC_PER_SEC;
        t->want_stop = true;
        pthread_mutex_unlock(&t->lock);
        runner_wake(t);
    }
    pthread_mutex_unlock(&env->lock);
    if (t || task_status_is(last, TASK_STATUS_STOPPED))
        return;
    usec_t received = time_monotonic();
    t = task_runner_new(env, inst, task, false);
    if (!t)
        return;
    t->start_marks[MARK_RECEIVED] = received;
    if (t->want_stop) {
        /* Stopped before it ever ran here: nothing to undo. */
        for (size_t i = 0; i < t->nctrs; i++)
            t->ctrs[i].state = CTR_NOT_STARTED;
        task_report(t, TASK_STATUS_STOPPED, "Task stopped before it started", NULL);
        task_runner_free(t);
        return;
    }
    log_info("task %s: starting (%s)", t->id, json_string_value(json_object_get(task, "taskDefinitionArn")));
    task_runner_launch(t);
}

static void real_exec_session(struct agent_instance *inst, json_t *session)
{
    task_exec_start(inst->agent->runner_state, session);
}

static int real_init(struct agent *a, struct error *err)
{
    struct runner_env *env = calloc(1, sizeof(*env));
    if (!env)
        return error_set(err, ERR_INTERNAL, "out of memory");
    env->agent = a;
    pthread_mutex_init(&env->lock, NULL);
    pthread_cond_init(&env->exec_idle, NULL);
    a->runner_state = env;
    if (oci_runtime_kind_parse(a->cfg.runtime, &env->kind) < 0)
        return error_set(err, ERR_INVALID, "unknown runtime %s", a->cfg.runtime);
    if (runtime_open(&env->rt, a->cfg.data_dir, NULL, err) < 0 || imgstore_open(a->cfg.data_dir, &env->images, err) < 0)
        return -1;
    if (!env->rt.have[env->kind])
        return error_set(err, ERR_INVALID, "runtime %s is not installed", a->cfg.runtime);
    struct error ignore;
    if (spawn_find_program("catatonit", env->init_path, sizeof(env->init_path), &ignore) < 0 &&
        spawn_find_program("tini-static", env->init_path, sizeof(env->init_path), &ignore) < 0 &&
        spawn_find_program("tini", env->init_path, sizeof(env->init_path), &ignore) < 0)
        env->init_path[0] = '\0';
    env->insecure = a->cfg.insecure;
    env->n_insecure = a->cfg.n_insecure;
    struct net_config nc = {.data_dir = a->cfg.data_dir,
                            .bridge = a->cfg.bridge,
                            .task_subnet = a->cfg.task_subnet,
                            .dns_server = a->cfg.dns_server};
    if (network_open(&nc, &env->net, err) < 0)
        return -1;
    /* Before adoption: adopted tasks' containers may ask it at once. */
    if (task_endpoint_start(env, err) < 0)
        return -1;
    task_adopt_all(env, &a->instances[0]);
    network_reconcile(env->net);
    return task_metrics_start(env, err);
}

static void real_shutdown(struct agent *a)
{
    struct runner_env *env = a->runner_state;
    if (!env)
        return;
    task_metrics_stop(env);
    /* It reads the runners, which are freed below. */
    task_endpoint_stop(env);
    task_exec_stop_all(env);
    bool stop_tasks = a->cfg.stop_tasks_at_exit;
    if (stop_tasks && env->runners)
        log_info("agent: stopping every task before exiting");
    for (struct task_runner *t = env->runners; t; t = t->next) {
        pthread_mutex_lock(&t->lock);
        t->shutdown = true;
        if (stop_tasks) /* stopped and cleaned up as a StopTask would */
            t->want_stop = true;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        runner_wake(t);
    }
    while (env->runners) {
        struct task_runner *t = env->runners;
        env->runners = t->next;
        runner_end(t);
    }
    imgstore_free(env->images);
    network_close(env->net);
    runtime_close(&env->rt);
    pthread_cond_destroy(&env->exec_idle);
    pthread_mutex_destroy(&env->lock);
    free(env);
    a->runner_state = NULL;
}

const struct runner_ops real_runner = {
    .name = "real",
    .init = real_init,
    .task_changed = real_task_changed,
    .exec_session = real_exec_session,
    .shutdown = real_shutdown,
};
