/* task_restart.c - restarting a container in place (see task_restart.h).
 *
 * The decision is restart_policy.c's; the time a container ran is from its
 * last (re)start to its exit as conmon recorded it, so an exit that
 * happened while the agent was down is judged as if it had been up.  A
 * restart is a new runtime container under the same runtime id: the old
 * one is deleted first (its overlay mount, cgroup and conmon go with it),
 * so restarting leaves nothing behind however often it happens.  The
 * container's network namespace and address belong to the task and stay.
 * Its writable layer is new, as if the task had started it again. */
#include "agent/task/task_restart.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "agent/logs/logship.h"
#include "agent/task/restart_policy.h"
#include "agent/task/task_container.h"
#include "agent/task/task_health.h"
#include "agent/task/task_logs.h"
#include "agent/task/task_persist.h"
#include "agent/task/task_secrets.h"
#include "agent/task/task_watch.h"

bool task_restart_wanted(struct task_runner *t, struct runner_ctr *c, const struct runtime_status *st)
{
    json_t *policy = json_object_get(c->def, "restartPolicy");
    if (!restart_policy_enabled(policy))
        return false;
    int code = st->state == RUNTIME_LOST ? 137 : st->exit_code;
    usec_t exited = st->exited_at ? st->exited_at : time_now();
    usec_t ran = c->started_at && exited > c->started_at ? exited - c->started_at : 0;
    pthread_mutex_lock(&t->lock);
    bool stopping = t->want_stop || t->shutdown;
    enum restart_verdict v = restart_policy_decide(policy, code, ran, stopping, t->env->agent->cfg.time_scale);
    if (v == RESTART_YES) {
        c->restart_due = true;
        c->exit_code = code;
    }
    pthread_mutex_unlock(&t->lock);
    log_info("task %s: container %s exited with %d after %.0f s: %s", t->id, c->name, code, (double)ran / USEC_PER_SEC,
             restart_verdict_name(v));
    return v == RESTART_YES;
}

bool task_restart_pending(struct task_runner *t)
{
    for (size_t i = 0; i < t->nctrs; i++)
        if (t->ctrs[i].restart_due)
            return true;
    return false;
}

/* Append the container's output so far to what the task keeps of it. */
static void keep_output(struct task_runner *t, struct runner_ctr *c)
{
    char src[4300], dir[4200], dst[4400];
    struct error err;
    if (!logship_keeps_local(c->def) || runtime_path(&t->env->rt, c->id, "ctr.log", src, sizeof(src), &err) < 0)
        return;
    snprintf(dir, sizeof(dir), "%s/logs/%s", t->env->agent->cfg.data_dir, t->id);
    snprintf(dst, sizeof(dst), "%s/%s.log", dir, c->name);
    if (fs_mkdir_p(dir, 0755, &err) == 0)
        task_logs_append(src, dst);
}

/* -1 with err (and the container removed) when it cannot start again. */
static int restart_one(struct task_runner *t, struct runner_ctr *c, const struct task_volumes *vols, int ino,
                       struct error *err)
{
    task_health_stop(c);
    task_logs_drain(c);
    keep_output(t, c);
    if (runtime_delete(&t->env->rt, c->id, err) < 0 && err->kind != ERR_NOT_FOUND)
        return -1;
    char why[600];
    if (task_secrets_resolve_env(t, c, why, sizeof(why)) < 0)
        return error_set(err, ERR_IO, "%s", why);
    /* Counted before the start, so that the new container finds its
     * restart in the metadata endpoint from its first instruction on. */
    pthread_mutex_lock(&t->lock);
    c->restart_count++;
    pthread_mutex_unlock(&t->lock);
    if (task_container_start(t, c, vols, err) < 0) {
        pthread_mutex_lock(&t->lock);
        c->restart_count--;
        pthread_mutex_unlock(&t->lock);
        return -1;
    }
    pthread_mutex_lock(&t->lock);
    c->restart_due = false;
    c->started_at = time_now();
    c->health.status = HEALTH_UNKNOWN;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    struct error perr;
    if (task_persist_write(t, &perr) < 0)
        log_warn("task %s: %s (its restart count may not survive an agent restart)", t->id, perr.msg);
    else
        task_persist_sync(t);
    task_watch_add(t, ino, c);
    task_logs_start(t, c);
    task_health_start(c);
    log_info("task %s: container %s restarted (%d so far)", t->id, c->name, c->restart_count);
    return 0;
}

bool task_restart_due(struct task_runner *t, const struct task_volumes *vols, int ino, char *why, size_t cap)
{
    bool stop = false;
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        if (!c->restart_due)
            continue;
        struct error err;
        if (restart_one(t, c, vols, ino, &err) == 0)
            continue;
        log_warn("task %s: container %s did not restart: %s", t->id, c->name, err.msg);
        pthread_mutex_lock(&t->lock);
        c->restart_due = false;
        c->state = CTR_EXITED;
        snprintf(c->reason, sizeof(c->reason), "CannotStartContainerError: %s", err.msg);
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        if (c->essential && !stop) {
            snprintf(why, cap, "Essential container in task exited");
            stop = true;
        }
    }
    return stop;
}
