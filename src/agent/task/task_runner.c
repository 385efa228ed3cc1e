/* task_runner.c - one task's life on this host, in its own thread:
 *
 *   pull images -> task cgroup and volumes -> start containers in dependsOn
 *   order -> watch (exits, health, stop requests; restartPolicy restarts,
 *   task_restart.c) -> stop in reverse order
 *   -> report STOPPED -> clean up (runtime state, mounts, cgroups, volumes)
 *
 * This file is the sequence and its decisions; each step is a file beside
 * it (task_images, task_persist, task_host, task_deps, task_container,
 * task_watch, task_stop, task_report).  It waits on events, never on
 * sleeps: an inotify watch on each container's directory sees conmon write
 * the exit file, an eventfd carries stop requests and health changes.
 * State the server must see goes through task_report()
 * (SubmitTaskStateChange).  A runner adopted after an agent restart skips
 * what was already done: containers conmon kept running are watched again,
 * exits that happened meanwhile are reported. */
#include "agent/task/task_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "agent/runtime/container_spec.h"
#include "agent/task/task_container.h"
#include "agent/task/task_deps.h"
#include "agent/task/task_endpoint.h"
#include "agent/task/task_health.h"
#include "agent/task/host_policy.h"
#include "agent/task/task_host.h"
#include "agent/task/task_images.h"
#include "agent/task/task_logs.h"
#include "agent/task/task_persist.h"
#include "agent/task/task_report.h"
#include "agent/task/task_restart.h"
#include "agent/task/task_role_creds.h"
#include "agent/task/task_secrets.h"
#include "agent/task/task_stop.h"
#include "agent/task/task_watch.h"

static double epoch_now(void) { return time_to_epoch_seconds(time_now()); }

static const char *const start_mark_names[MARK_COUNT] = {
    [MARK_RECEIVED] = "received", [MARK_THREAD] = "thread",   [MARK_PERSISTED] = "persist", [MARK_CGROUP] = "cgroup",
    [MARK_NETWORK] = "network",   [MARK_IMAGES] = "images",   [MARK_BUNDLE] = "bundle",     [MARK_CREATED] = "create",
    [MARK_STARTED] = "start",     [MARK_REPORTED] = "report",
};

/* One line with what each step of the start took: the first mark is
 * absolute (CLOCK_MONOTONIC, to line up with other processes' clocks), the
 * rest are milliseconds since the previous mark.  Adopted tasks have none. */
static void log_start_marks(struct task_runner *t)
{
    if (!t->start_marks[MARK_RECEIVED])
        return;
    char line[512];
    size_t len = (size_t)snprintf(line, sizeof(line), "received=%lld", (long long)t->start_marks[MARK_RECEIVED]);
    for (int m = MARK_RECEIVED + 1; m < MARK_COUNT && len < sizeof(line); m++) {
        usec_t step = t->start_marks[m] && t->start_marks[m - 1] ? t->start_marks[m] - t->start_marks[m - 1] : 0;
        len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%.2f", start_mark_names[m],
                                (double)step / USEC_PER_MSEC);
    }
    /* The whole pull, most of it hidden behind the steps before "images". */
    log_info("task %s: start timing (ms): %s pull=%.2f", t->id, line, (double)t->pull_took / USEC_PER_MSEC);
}

static bool should_stop(struct task_runner *t)
{
    pthread_mutex_lock(&t->lock);
    bool stop = t->want_stop || t->shutdown;
    pthread_mutex_unlock(&t->lock);
    return stop;
}

/* Work that runs in a thread of its own beside the runner's next steps and
 * is joined before its result is needed (or, if no thread could start, is
 * done at the join). */
struct beside {
    pthread_t thread;
    bool threaded;
    void *(*fn)(void *);
    void *arg;
};

static void beside_begin(struct beside *b, void *(*fn)(void *), void *arg)
{
    b->fn = fn;
    b->arg = arg;
    b->threaded = pthread_create(&b->thread, NULL, fn, arg) == 0;
}

static void beside_end(struct beside *b)
{
    if (b->threaded)
        pthread_join(b->thread, NULL);
    else if (b->fn)
        b->fn(b->arg);
    b->fn = NULL;
    b->threaded = false;
}

/* One run of the task's thread. */
struct run {
    struct task_runner *t;
    struct task_volumes vols;
    int ino;          /* inotify: the containers' exit files */
    usec_t began;     /* when containers could first start (startTimeout) */
    bool started_all; /* RUNNING was reported */
    char why[1200];   /* why the task stops */
};

enum prepared { PREPARED, PREPARE_FAILED, PREPARE_ENDED };

/* Refuse, before anything of it exists here, a task that asks the host
 * for more than this agent allows: reported STOPPED with the reason. */
static bool refused_by_host_policy(struct run *r)
{
    struct task_runner *t = r->t;
    const struct agent_config *cfg = &t->env->agent->cfg;
    struct host_policy policy = {
        .allow_privileged = cfg->allow_privileged,
        .host_paths = cfg->allow_host_paths,
        .n_host_paths = cfg->n_allow_host_paths,
    };
    struct error err;
    if (host_policy_check(&policy, json_object_get(t->task, "taskDefinition"), &err) == 0)
        return false;
    snprintf(r->why, sizeof(r->why), "CannotStartContainerError: %s", err.msg);
    log_warn("task %s: refused: %s", t->id, err.msg);
    for (size_t i = 0; i < t->nctrs; i++) {
        t->ctrs[i].state = CTR_NOT_STARTED;
        snprintf(t->ctrs[i].reason, sizeof(t->ctrs[i].reason), "%s", r->why);
    }
    task_report(t, TASK_STATUS_STOPPED, r->why, json_pack("{s:f}", "executionStoppedAt", epoch_now()));
    task_stop_cleanup(t);
    return true;
}

/* PENDING, the pull (beside the task record), the host side, ACTIVATING.
 * PREPARE_FAILED: stop with r->why; PREPARE_ENDED: the pull failed, the
 * task is reported STOPPED and cleaned up. */
static enum prepared prepare(struct run *r)
{
    struct task_runner *t = r->t;
    struct error err;
    struct task_images_pull pull = {.t = t};
    struct beside pulling = {0}, syncing = {0};
    if (!t->adopt && refused_by_host_policy(r))
        return PREPARE_ENDED;
    if (!t->adopt) {
        /* Reported before the pull starts: it writes the containers' image
         * digests, which a report reads. */
        task_report(t, TASK_STATUS_PENDING, NULL, json_pack("{s:f}", "pullStartedAt", epoch_now()));
        /* Secrets and registry credentials before the pull, which may need
         * them; one that cannot be read stops the task as a failed pull
         * does. */
        if (task_secrets_resolve(t, pull.why, sizeof(pull.why)) < 0)
            pull.rc = -1;
        else
            beside_begin(&pulling, task_images_pull, &pull);
        /* Before anything of the task exists on this host, so that a
         * restarted agent finds it to adopt (or clean up). */
        if (task_persist_write(t, &err) < 0)
            log_warn("task %s: %s (it will not survive an agent restart)", t->id, err.msg);
        else
            beside_begin(&syncing, task_persist_sync, t);
        runner_mark(t, MARK_PERSISTED);
    }
    bool network_failed = false;
    int prepared = task_host_prepare(t, &r->vols, &network_failed, &err);
    if (!t->adopt) {
        beside_end(&pulling);
        beside_end(&syncing); /* task.json is durable before any container exists */
        runner_mark(t, MARK_IMAGES);
        t->pull_took = pull.took;
        if (pull.rc < 0) {
            snprintf(r->why, sizeof(r->why), "%s", pull.why);
            for (size_t i = 0; i < t->nctrs; i++)
                t->ctrs[i].state = CTR_NOT_STARTED;
            task_report(t, TASK_STATUS_STOPPED, r->why,
                        json_pack("{s:f, s:f}", "pullStoppedAt", epoch_now(), "executionStoppedAt", epoch_now()));
            task_stop_cleanup(t);
            return PREPARE_ENDED;
        }
        task_report(t, TASK_STATUS_ACTIVATING, NULL, json_pack("{s:f}", "pullStoppedAt", epoch_now()));
    }
    if (prepared < 0 && !network_failed) {
        snprintf(r->why, sizeof(r->why), "CannotCreateContainerError: %s", err.msg);
        return PREPARE_FAILED;
    }
    if (prepared < 0) {
        snprintf(r->why, sizeof(r->why), "CannotStartContainerError: network: %s", err.msg);
        for (size_t i = 0; i < t->nctrs; i++)
            if (t->ctrs[i].state == CTR_PENDING)
                snprintf(t->ctrs[i].reason, sizeof(t->ctrs[i].reason), "%s", r->why);
        return PREPARE_FAILED;
    }
    return PREPARED;
}

enum attempt { ATTEMPT_SKIPPED, ATTEMPT_WAITING, ATTEMPT_STARTED, ATTEMPT_STOP };

/* Start c if its dependencies hold.  ATTEMPT_STOP: the task must stop
 * (r->why says why). */
static enum attempt try_start(struct run *r, struct runner_ctr *c)
{
    struct task_runner *t = r->t;
    struct error err;
    enum task_dep d = task_deps_state(t, c, r->why, sizeof(r->why));
    if (d == TASK_DEP_FAILED) {
        c->state = CTR_NOT_STARTED;
        snprintf(c->reason, sizeof(c->reason), "%s", r->why);
        if (c->essential)
            return ATTEMPT_STOP;
        r->why[0] = '\0';
        return ATTEMPT_SKIPPED;
    }
    if (d == TASK_DEP_WAIT) {
        json_t *st = json_object_get(c->def, "startTimeout");
        usec_t limit = st ? json_integer_value(st) * USEC_PER_SEC : 0;
        if (limit && time_monotonic() - r->began > limit) {
            c->state = CTR_NOT_STARTED;
            snprintf(r->why, sizeof(r->why), "Container %s dependencies were not resolved within its startTimeout",
                     c->name);
            snprintf(c->reason, sizeof(c->reason), "%s", r->why);
            return ATTEMPT_STOP;
        }
        return ATTEMPT_WAITING;
    }
    if (task_container_start(t, c, &r->vols, &err) < 0) {
        c->state = CTR_NOT_STARTED;
        snprintf(c->reason, sizeof(c->reason), "CannotStartContainerError: %s", err.msg);
        snprintf(r->why, sizeof(r->why), "%s", c->reason);
        log_warn("task %s: container %s: %s", t->id, c->name, err.msg);
        return c->essential ? ATTEMPT_STOP : ATTEMPT_SKIPPED;
    }
    pthread_mutex_lock(&t->lock);
    c->state = CTR_RUNNING;
    c->started_at = time_now();
    pthread_mutex_unlock(&t->lock);
    task_watch_add(t, r->ino, c);
    task_logs_start(t, c);
    task_health_start(c);
    log_info("task %s: container %s running", t->id, c->name);
    return ATTEMPT_STARTED;
}

/* Start what can start, then report.  Returns true when the task must
 * stop; *ret_timeout is how long to wait for the next event. */
static bool start_pending(struct run *r, int *ret_timeout)
{
    struct task_runner *t = r->t;
    bool waiting = false, started_some = false;
    *ret_timeout = -1;
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        if (c->state != CTR_PENDING)
            continue;
        enum attempt a = try_start(r, c);
        if (a == ATTEMPT_STOP)
            return true;
        if (a == ATTEMPT_WAITING) {
            waiting = true;
            *ret_timeout = 500; /* re-check the startTimeout */
        }
        if (a != ATTEMPT_STARTED)
            continue;
        started_some = true;
        i = (size_t)-1; /* a start may satisfy another's START dependency */
        if (task_watch_refresh(t, NULL)) {
            snprintf(r->why, sizeof(r->why), "Essential container in task exited");
            return true;
        }
    }
    /* One report for what this pass started: the server's RUNNING need not
     * queue behind an ACTIVATING it would overwrite at once. */
    if (!waiting && !r->started_all) {
        r->started_all = true;
        task_report(t, TASK_STATUS_RUNNING, NULL, NULL);
        runner_mark(t, MARK_REPORTED);
        log_start_marks(t);
    } else if (started_some) {
        task_report(t, r->started_all ? TASK_STATUS_RUNNING : TASK_STATUS_ACTIVATING, NULL, NULL);
    }
    return false;
}

enum pass { PASS_AGAIN, PASS_STOP, PASS_SHUTDOWN };

/* One pass of the watch loop: stop when asked or when an essential
 * container exits; else start what can start and wait for an event. */
static enum pass watch_pass(struct run *r)
{
    struct task_runner *t = r->t;
    if (should_stop(t)) {
        pthread_mutex_lock(&t->lock);
        bool shutdown = t->shutdown && !t->want_stop;
        pthread_mutex_unlock(&t->lock);
        if (shutdown)
            return PASS_SHUTDOWN; /* containers keep running; a restarted agent adopts them */
        if (!r->why[0] && t->shutdown)
            snprintf(r->why, sizeof(r->why), "Task stopped because its agent was shut down");
        else if (!r->why[0])
            snprintf(r->why, sizeof(r->why), "Task stopped by the scheduler");
        return PASS_STOP;
    }
    bool changed = false;
    if (task_watch_refresh(t, &changed)) {
        snprintf(r->why, sizeof(r->why), "Essential container in task exited");
        return PASS_STOP;
    }
    if (task_restart_due(t, &r->vols, r->ino, r->why, sizeof(r->why)))
        return PASS_STOP; /* an essential container exited and could not start again */
    if (changed)          /* a non-essential container exited: say so now */
        task_report(t, r->started_all ? TASK_STATUS_RUNNING : TASK_STATUS_ACTIVATING, NULL, NULL);
    int timeout;
    if (start_pending(r, &timeout))
        return PASS_STOP;
    if (!task_restart_pending(t)) /* an exit seen while starting others is restarted at once */
        task_watch_wait(t, r->ino, timeout);
    return PASS_AGAIN;
}

static void stop_task(struct run *r)
{
    struct task_runner *t = r->t;
    /* A stop nobody asked for is a failure: logged at warn, with its reason. */
    log_msg(t->want_stop ? LOG_INFO : LOG_WARN, "task %s: stopping: %s", t->id, r->why);
    task_report(t, TASK_STATUS_DEACTIVATING, NULL, NULL);
    task_stop_containers(t);
    for (size_t i = 0; i < t->nctrs; i++)
        if (t->ctrs[i].state == CTR_PENDING)
            t->ctrs[i].state = CTR_NOT_STARTED;
    for (size_t i = 0; i < t->nctrs; i++)
        task_logs_drain(&t->ctrs[i]); /* STOPPED means the last lines are shipped */
    task_report(t, TASK_STATUS_STOPPED, r->why, json_pack("{s:f}", "executionStoppedAt", epoch_now()));
    task_stop_cleanup(t);
}

static void run_freep(struct run **rp)
{
    if (*rp)
        task_volumes_release(&(*rp)->vols);
    free(*rp);
}

static void run(struct task_runner *t)
{
    _cleanup_close_ int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    _cleanup_(run_freep) struct run *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    r->t = t;
    r->ino = ino;
    runner_mark(t, MARK_THREAD);
    enum prepared p = prepare(r);
    if (p == PREPARE_ENDED)
        return;
    if (p == PREPARED) {
        for (size_t i = 0; i < t->nctrs; i++)
            if (t->ctrs[i].state == CTR_RUNNING)
                task_watch_add(t, ino, &t->ctrs[i]);
        r->began = time_monotonic();
        enum pass pass;
        do
            pass = watch_pass(r);
        while (pass == PASS_AGAIN);
        if (pass == PASS_SHUTDOWN)
            return;
    }
    stop_task(r);
}

static void *runner_main(void *arg)
{
    struct task_runner *t = arg;
    run(t);
    pthread_mutex_lock(&t->lock);
    t->finished = true; /* the endpoint answers no more for it */
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    task_role_creds_forget(t);
    return NULL;
}

void task_runner_free(struct task_runner *t)
{
    for (size_t i = 0; i < t->nctrs; i++) {
        json_decref(t->ctrs[i].def);
        task_secrets_forget(&t->ctrs[i]);
    }
    free(t->ctrs);
    task_role_creds_forget(t);
    pthread_mutex_destroy(&t->creds_lock);
    json_decref(t->task);
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t);
}

/* The container definition `name` with its containerOverrides applied. */
static json_t *ctr_def(json_t *task, json_t *def, const char *name)
{
    json_t *overrides = json_object_get(json_object_get(task, "overrides"), "containerOverrides");
    json_t *ov = NULL;
    size_t k;
    json_t *o;
    json_array_foreach(overrides, k, o) {
        const char *oname = json_string_value(json_object_get(o, "name"));
        if (name && oname && strcmp(oname, name) == 0)
            ov = o;
    }
    return container_spec_apply_override(def, ov);
}

struct task_runner *task_runner_new(struct runner_env *env, struct agent_instance *inst, json_t *task, bool adopt)
{
    const char *arn = json_string_value(json_object_get(task, "taskArn"));
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    if (!slash || strlen(slash + 1) != 32)
        return NULL;
    struct task_runner *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->env = env;
    t->inst = inst;
    t->adopt = adopt;
    t->task = json_incref(task);
    snprintf(t->id, sizeof(t->id), "%s", slash + 1);
    snprintf(t->arn, sizeof(t->arn), "%s", arn);
    t->health = HEALTH_UNKNOWN;
    t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_init(&t->creds_lock, NULL);
    time_cond_init_monotonic(&t->cond);
    json_t *defs = json_object_get(json_object_get(task, "taskDefinition"), "containerDefinitions");
    t->nctrs = json_array_size(defs);
    t->ctrs = calloc(t->nctrs ? t->nctrs : 1, sizeof(*t->ctrs));
    if (!t->ctrs || t->wake_fd < 0) {
        task_runner_free(t);
        return NULL;
    }
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        json_t *def = json_array_get(defs, i);
        const char *name = json_string_value(json_object_get(def, "name"));
        /* Every lookup, report and log line keys on the name. */
        if (!name) {
            task_runner_free(t);
            return NULL;
        }
        c->task = t;
        c->def = ctr_def(task, def, name);
        c->name = json_string_value(json_object_get(c->def, "name"));
        json_t *ess = json_object_get(c->def, "essential");
        c->essential = !ess || json_is_true(ess);
        snprintf(c->id, sizeof(c->id), "%s-%zu", t->id, i);
        c->state = CTR_PENDING;
    }
    t->want_stop = task_status_is(json_string_value(json_object_get(task, "desiredStatus")), TASK_STATUS_STOPPED);
    struct error err;
    if (task_endpoint_assign(t, &err) < 0) { /* an adopted task's come from task.json */
        log_error("task %s: %s", t->id, err.msg);
        task_runner_free(t);
        return NULL;
    }
    return t;
}

void task_runner_launch(struct task_runner *t)
{
    struct runner_env *env = t->env;
    pthread_mutex_lock(&env->lock);
    t->next = env->runners;
    env->runners = t;
    pthread_mutex_unlock(&env->lock);
    if (pthread_create(&t->thread, NULL, runner_main, t) != 0) {
        log_error("task %s: cannot start its thread", t->id);
        pthread_mutex_lock(&t->lock);
        t->finished = true;
        pthread_mutex_unlock(&t->lock);
        return;
    }
    t->joinable = true;
}
