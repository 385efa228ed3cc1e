/* service_sched.c - one scheduler round for one service, the way ECS's
 * service scheduler behaves:
 *
 *  - tasks that stopped on their own since the last round count as failures
 *    of their deployment (while it is IN_PROGRESS) and back launches off;
 *  - the circuit breaker fails a deployment once its failures reach the
 *    threshold and, with rollback, redeploys the last COMPLETED definition;
 *  - REPLICA: launch and stop within minimumHealthyPercent/maximumPercent
 *    (deploy_math.c decides the numbers); tasks on draining instances are
 *    replaced like tasks of an old deployment; an UNHEALTHY task past the
 *    grace period is stopped and replaced;
 *  - DAEMON: one task on every ACTIVE instance that meets the constraints;
 *  - once only the primary's healthy tasks run, the deployment is COMPLETED,
 *    the others are dropped and "has reached a steady state." is recorded.
 *
 * It does not wait for anything: each round acts on what the store says and
 * the next round (woken by the commit or the timer) sees the result. */
#include "service_sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "clusters.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "deploy_math.h"
#include "instances.h"
#include "placement.h"
#include "runtask.h"
#include "server.h"
#include "services.h"
#include "store.h"
#include "store_instances.h"
#include "tags.h"
#include "taskdefs.h"
#include "tasks.h"

#define MAX_STRATEGIES 5
#define MAX_CONSTRAINTS 10
#define EVENT_TASKS_LISTED 10 /* task ids named in one "has started/stopped" event */

struct dep {
    json_t *json;    /* borrowed from the service document */
    json_t *taskdef; /* owned; NULL if it can no longer be resolved */
    bool has_health_check;
    bool primary;
};

struct round {
    struct api_ctx *ctx;
    struct service_row *row;
    struct cluster_row cluster;
    json_t *priv; /* the document's "berth" member */
    struct dep *deps;
    size_t ndeps;
    struct dep *primary;
    bool changed;
    bool backed_off; /* launches already pushed back this round */
    json_t *started; /* task ids for the "has started" event */
    json_t *stopped; /* task ids for the "has stopped" event */
};

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static json_int_t jint(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

static void deps_free(struct round *r)
{
    for (size_t i = 0; i < r->ndeps; i++)
        json_decref(r->deps[i].taskdef);
    free(r->deps);
    r->deps = NULL;
    r->ndeps = 0;
    r->primary = NULL;
}

static bool taskdef_has_health_check(json_t *td)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, c)
    {
        if (json_object_get(c, "healthCheck"))
            return true;
    }
    return false;
}

static int deps_load(struct round *r, struct error *err)
{
    deps_free(r);
    json_t *list = json_object_get(r->row->doc, "deployments");
    size_t n = json_array_size(list);
    r->deps = calloc(n ? n : 1, sizeof(*r->deps));
    if (!r->deps)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct dep *d = &r->deps[i];
        d->json = json_array_get(list, i);
        d->primary = strcmp(jstr(d->json, "status"), "PRIMARY") == 0;
        struct error e;
        if (taskdef_resolve(r->ctx, jstr(d->json, "taskDefinition"), false, &d->taskdef, &e) < 0)
            d->taskdef = NULL;
        d->has_health_check = d->taskdef && taskdef_has_health_check(d->taskdef);
        if (d->primary && !r->primary)
            r->primary = d;
    }
    r->ndeps = n;
    return 0;
}

static struct dep *dep_of(struct round *r, const char *started_by)
{
    for (size_t i = 0; i < r->ndeps; i++)
        if (strcmp(jstr(r->deps[i].json, "id"), started_by) == 0)
            return &r->deps[i];
    return NULL;
}

static json_t *dep_json_of(struct round *r, const char *started_by)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(r->row->doc, "deployments"), i, d)
    {
        if (strcmp(jstr(d, "id"), started_by) == 0)
            return d;
    }
    return NULL;
}

static int event(struct round *r, const char *message, struct error *err)
{
    r->changed = true;
    return service_event(r->ctx, r->row, message, err);
}

/* "(task a) (task b)", at most EVENT_TASKS_LISTED of them. */
static void task_list_text(json_t *ids, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if (i == EVENT_TASKS_LISTED)
            break;
        int w = snprintf(buf + used, cap - used, "%s(task %s)", i ? " " : "", json_string_value(v));
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
}

static int flush_task_events(struct round *r, struct error *err)
{
    char list[EVENT_TASKS_LISTED * 48 + 16], msg[sizeof(list) + 64];
    if (json_array_size(r->started)) {
        task_list_text(r->started, list, sizeof(list));
        snprintf(msg, sizeof(msg), "has started %zu tasks: %s.", json_array_size(r->started), list);
        if (event(r, msg, err) < 0)
            return -1;
    }
    if (json_array_size(r->stopped)) {
        task_list_text(r->stopped, list, sizeof(list));
        snprintf(msg, sizeof(msg), "has stopped %zu running tasks: %s.", json_array_size(r->stopped), list);
        if (event(r, msg, err) < 0)
            return -1;
    }
    return 0;
}

static int stop_task(struct round *r, const struct service_task *t, const char *reason, struct error *err)
{
    _cleanup_(task_row_clear) struct task_row row = {0};
    int found = store_task_get_by_id(r->ctx->tx, t->id, &row, err);
    if (found < 0)
        return -1;
    if (found == 0)
        return 0;
    if (task_request_stop(r->ctx, &row, "ServiceSchedulerInitiated", reason, err) < 0)
        return -1;
    json_array_append_new(r->stopped, json_string(t->uuid));
    r->changed = true;
    return 0;
}

/* Push launches back once per round that saw failures: ECS's task launch
 * throttling, so a crashing definition is not restarted in a hot loop. */
static void back_off(struct round *r)
{
    if (r->backed_off)
        return;
    r->backed_off = true;
    json_int_t rounds = jint(r->priv, "failureRounds") + 1;
    json_object_set_new(r->priv, "failureRounds", json_integer(rounds));
    json_object_set_new(r->priv, "nextLaunchAt", json_integer(r->ctx->now + deploy_backoff((int)rounds)));
    json_object_set_new(r->priv, "steady", json_false());
}

/* A failed task of deployment d: count it while d rolls out, and back off. */
static void note_failure(struct round *r, json_t *d)
{
    if (d && strcmp(jstr(d, "rolloutState"), "IN_PROGRESS") == 0) {
        json_object_set_new(d, "failedTasks", json_integer(jint(d, "failedTasks") + 1));
        json_object_set_new(d, "updatedAt", json_real(time_to_epoch_seconds(r->ctx->now)));
    }
    back_off(r);
}

/* Tasks that stopped since the last round without the scheduler asking. */
static int scan_stopped(struct round *r, struct error *err)
{
    usec_t since = jint(r->priv, "scannedUntil");
    _cleanup_free_ struct service_task *tasks = NULL;
    size_t n = 0;
    if (store_service_tasks(r->ctx->tx, r->row->cluster_id, r->row->name, true, since, &tasks, &n, err) < 0)
        return -1;
    usec_t newest = since;
    for (size_t i = 0; i < n; i++) {
        if (tasks[i].stopped_at > newest)
            newest = tasks[i].stopped_at;
        if (strcmp(tasks[i].stop_code, "TaskFailedToStart") == 0 ||
            strcmp(tasks[i].stop_code, "EssentialContainerExited") == 0)
            note_failure(r, dep_json_of(r, tasks[i].started_by));
    }
    if (newest != since)
        json_object_set_new(r->priv, "scannedUntil", json_integer(newest));
    return 0;
}

/* Trip the circuit breaker if the primary deployment failed too often. */
static int check_breaker(struct round *r, struct error *err)
{
    json_t *doc = r->row->doc;
    json_t *breaker = json_object_get(json_object_get(doc, "deploymentConfiguration"), "deploymentCircuitBreaker");
    json_t *p = NULL;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(doc, "deployments"), i, d)
    {
        if (strcmp(jstr(d, "status"), "PRIMARY") == 0)
            p = d;
    }
    if (!p || !json_is_true(json_object_get(breaker, "enable")) ||
        strcmp(jstr(p, "rolloutState"), "IN_PROGRESS") != 0)
        return 0;
    int desired = (int)jint(doc, "desiredCount");
    if (jint(p, "failedTasks") < deploy_breaker_threshold(desired))
        return 0;
    char msg[300];
    json_object_set_new(p, "rolloutState", json_string("FAILED"));
    json_object_set_new(p, "rolloutStateReason", json_string("ECS deployment circuit breaker: tasks failed to start."));
    json_object_set_new(p, "updatedAt", json_real(time_to_epoch_seconds(r->ctx->now)));
    snprintf(msg, sizeof(msg), "deployment %s deployment failed: tasks failed to start.", jstr(p, "id"));
    if (event(r, msg, err) < 0)
        return -1;
    const char *good_td = jstr(r->priv, "lastCompletedTaskDefinition");
    const char *good_id = jstr(r->priv, "lastCompletedDeployment");
    if (!json_is_true(json_object_get(breaker, "rollback")) || !*good_td)
        return 0;
    json_t *dep = service_new_deployment(r->ctx, doc, good_td, err);
    if (!dep)
        return -1;
    snprintf(msg, sizeof(msg), "ECS deployment circuit breaker: rolling back to deploymentId %s.", good_id);
    json_object_set_new(dep, "rolloutStateReason", json_string(msg));
    json_object_set_new(p, "status", json_string("ACTIVE"));
    json_array_insert_new(json_object_get(doc, "deployments"), 0, dep);
    json_object_set_new(doc, "taskDefinition", json_string(good_td));
    json_object_set_new(r->priv, "failureRounds", json_integer(0));
    json_object_set_new(r->priv, "nextLaunchAt", json_integer(0));
    snprintf(msg, sizeof(msg), "rolling back to deployment %s.", good_id);
    return event(r, msg, err);
}

/* The task_spec of the primary deployment's tasks; tags in *ret_tags. */
static int primary_spec(struct round *r, struct task_spec *spec, char *started_by, size_t sb_cap, char *group,
                        size_t g_cap, json_t **ret_tags, struct error *err)
{
    json_t *doc = r->row->doc;
    snprintf(started_by, sb_cap, "%s", jstr(r->primary->json, "id"));
    snprintf(group, g_cap, "service:%s", r->row->name);
    json_t *tags = json_array();
    const char *propagate = jstr(doc, "propagateTags");
    const char *from = NULL;
    if (strcmp(propagate, "SERVICE") == 0)
        from = jstr(doc, "serviceArn");
    else if (strcmp(propagate, "TASK_DEFINITION") == 0)
        from = jstr(r->primary->taskdef, "taskDefinitionArn");
    if (from) {
        json_t *t = tags_list(r->ctx, from, err);
        if (!t) {
            json_decref(tags);
            return -1;
        }
        json_array_extend(tags, t);
        json_decref(t);
    }
    if (json_is_true(json_object_get(doc, "enableECSManagedTags"))) {
        json_array_append_new(tags, json_pack("{s:s, s:s}", "key", "aws:ecs:serviceName", "value", r->row->name));
        json_array_append_new(tags, json_pack("{s:s, s:s}", "key", "aws:ecs:clusterName", "value", r->cluster.name));
    }
    struct task_spec s = {
        .taskdef = r->primary->taskdef,
        .started_by = started_by,
        .group = group,
        .service_name = r->row->name,
        .launch_type = r->row->launch_type,
        .tags = tags,
        .network_configuration = json_object_get(doc, "networkConfiguration"),
        .enable_execute_command = json_is_true(json_object_get(doc, "enableExecuteCommand")),
    };
    *spec = s;
    *ret_tags = tags;
    return 0;
}

/* ECS's wording for why no instance could take a task. */
static void unplaced_message(json_t *failures, char *buf, size_t cap)
{
    const char *what = NULL, *arn = NULL;
    size_t i;
    json_t *f;
    json_array_foreach(failures, i, f)
    {
        const char *reason = jstr(f, "reason");
        const char *w = NULL;
        if (strcmp(reason, PLACEMENT_REASON_NO_INSTANCES) == 0) {
            snprintf(buf, cap, "was unable to place a task because no container instance met all of its "
                               "requirements. Reason: No Container Instances were found in your cluster. For more "
                               "information, see the Troubleshooting section of the Amazon ECS Developer Guide.");
            return;
        }
        if (strcmp(reason, PLACEMENT_REASON_MEMORY) == 0)
            w = "has insufficient memory available";
        else if (strcmp(reason, PLACEMENT_REASON_CPU) == 0)
            w = "has insufficient CPU units available";
        else if (strcmp(reason, PLACEMENT_REASON_PORTS) == 0)
            w = "is already using a port required by your task";
        else if (strcmp(reason, PLACEMENT_REASON_ATTRIBUTE) == 0)
            w = "is missing an attribute required by your task";
        else if (strcmp(reason, PLACEMENT_REASON_AGENT) == 0)
            w = "has an agent that is not connected";
        else
            w = "does not satisfy the task's placement constraints";
        if (!what) {
            what = w;
            arn = jstr(f, "arn");
        }
    }
    const char *id = arn ? strrchr(arn, '/') : NULL;
    snprintf(buf, cap,
             "was unable to place a task because no container instance met all of its requirements. The closest "
             "matching (container-instance %s) %s. For more information, see the Troubleshooting section of the "
             "Amazon ECS Developer Guide.",
             id ? id + 1 : "unknown", what ? what : "cannot run it");
}

/* Record "unable to place" unless it is already the newest event. */
static int unplaced_event(struct round *r, json_t *failures, struct error *err)
{
    char msg[600], full[900];
    unplaced_message(failures, msg, sizeof(msg));
    snprintf(full, sizeof(full), "(service %s) %s", r->row->name, msg);
    _cleanup_(json_decrefp) json_t *last = json_array();
    if (store_service_events(r->ctx->tx, r->row->id, 1, last, err) < 0)
        return -1;
    if (strcmp(jstr(json_array_get(last, 0), "message"), full) == 0)
        return 0;
    return event(r, msg, err);
}

/* Launch `count` primary tasks; extra constraints narrow the instances. */
static int launch(struct round *r, int count, const struct placement_constraint *extra, size_t nextra,
                  bool record_unplaced, json_t **ret_failures, struct error *err)
{
    struct task_spec spec;
    char started_by[64], group[300];
    _cleanup_(json_decrefp) json_t *tags = NULL;
    if (!r->primary->taskdef)
        return 0; /* the definition vanished: nothing to launch */
    if (primary_spec(r, &spec, started_by, sizeof(started_by), group, sizeof(group), &tags, err) < 0)
        return -1;
    json_t *doc = r->row->doc;
    struct placement_strategy strategies[MAX_STRATEGIES];
    struct placement_constraint constraints[MAX_CONSTRAINTS + 1];
    size_t ns = 0, nc = 0;
    if (runtask_parse_placement(json_object_get(doc, "placementStrategy"), json_object_get(doc, "placementConstraints"),
                                r->primary->taskdef, strategies, &ns, constraints, &nc, err) < 0)
        return -1;
    if (ns == 0 && strcmp(r->row->scheduling_strategy, "REPLICA") == 0) {
        /* ECS's default for replica services: spread over zones, then instances. */
        strategies[0] = (struct placement_strategy){PLACEMENT_SPREAD, "attribute:ecs.availability-zone"};
        strategies[1] = (struct placement_strategy){PLACEMENT_SPREAD, "instanceId"};
        ns = 2;
    }
    for (size_t i = 0; i < nextra && nc < MAX_CONSTRAINTS + 1; i++)
        constraints[nc++] = extra[i];
    _cleanup_(json_decrefp) json_t *placed = json_array();
    json_t *failures = json_array();
    if (runtask_place(r->ctx, &r->cluster, &spec, count, strategies, ns, constraints, nc, placed, failures, err) < 0) {
        json_decref(failures);
        return -1;
    }
    size_t i;
    json_t *t;
    json_array_foreach(placed, i, t)
    {
        const char *arn = jstr(t, "taskArn");
        const char *slash = strrchr(arn, '/');
        json_array_append_new(r->started, json_string(slash ? slash + 1 : arn));
        r->changed = true;
    }
    int rc = 0;
    if (record_unplaced && json_array_size(placed) < (size_t)count)
        rc = unplaced_event(r, failures, err);
    if (ret_failures)
        *ret_failures = failures;
    else
        json_decref(failures);
    return rc;
}

static bool is_running(const struct service_task *t) { return strcmp(t->last_status, "RUNNING") == 0; }

static bool is_healthy(const struct service_task *t, const struct dep *d)
{
    return is_running(t) && (!d || !d->has_health_check || strcmp(t->health, "HEALTHY") == 0);
}

/* Stop a task that failed its container health checks after the grace period. */
static int check_unhealthy(struct round *r, const struct service_task *t, const struct dep *d, bool *ret_stopped,
                           struct error *err)
{
    *ret_stopped = false;
    usec_t grace = jint(r->row->doc, "healthCheckGracePeriodSeconds") * USEC_PER_SEC;
    if (!d || !d->has_health_check || !is_running(t) || strcmp(t->health, "UNHEALTHY") != 0 ||
        r->ctx->now - t->started_at < grace)
        return 0;
    char msg[200];
    snprintf(msg, sizeof(msg), "(task %s) failed container health checks.", t->uuid);
    if (event(r, msg, err) < 0 || stop_task(r, t, "Task failed container health checks", err) < 0)
        return -1;
    note_failure(r, d->json);
    *ret_stopped = true;
    return 0;
}

/* Stop `n` of the m tasks tasks[idx[]]: not-healthy ones first.  Old
 * deployments' tasks go oldest first.  Scale-in (balance) follows ECS's
 * documented order instead: a task in the Availability Zone with the most of
 * the service's tasks, on the instance with the most of them, newest first. */
static int stop_some(struct round *r, const struct service_task *tasks, const int *idx, const bool *healthy, size_t m,
                     int n, bool balance, const char *reason, struct error *err)
{
    _cleanup_free_ bool *gone = calloc(m + 1, sizeof(bool));
    if (!gone)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (; n > 0; n--) {
        bool any_unhealthy = false;
        for (size_t k = 0; k < m; k++)
            any_unhealthy |= !gone[k] && !healthy[k];
        ssize_t best = -1;
        int best_az = -1, best_inst = -1;
        for (size_t k = 0; k < m; k++) {
            if (gone[k] || (any_unhealthy && healthy[k]))
                continue;
            const struct service_task *t = &tasks[idx[k]];
            int az = 0, inst = 0;
            for (size_t o = 0; balance && o < m; o++) {
                if (gone[o])
                    continue;
                az += strcmp(tasks[idx[o]].az, t->az) == 0;
                inst += tasks[idx[o]].instance_id == t->instance_id;
            }
            bool better;
            if (best < 0)
                better = true;
            else if (!balance)
                better = t->created_at < tasks[idx[best]].created_at;
            else if (az != best_az)
                better = az > best_az;
            else if (inst != best_inst)
                better = inst > best_inst;
            else
                better = t->created_at >= tasks[idx[best]].created_at;
            if (better) {
                best = (ssize_t)k;
                best_az = az;
                best_inst = inst;
            }
        }
        if (best < 0)
            break;
        gone[best] = true;
        const struct service_task *t = &tasks[idx[best]];
        const char *why = reason;
        if (strcmp(t->instance_status, "ACTIVE") != 0)
            why = "Task stopped because its container instance is draining";
        if (stop_task(r, t, why, err) < 0)
            return -1;
    }
    return 0;
}

static int complete_if_steady(struct round *r, bool steady, struct error *err)
{
    json_t *doc = r->row->doc;
    json_t *deps = json_object_get(doc, "deployments");
    /* Drop deployments whose tasks are all gone (ECS shows only live ones). */
    _cleanup_free_ struct service_task *live = NULL;
    size_t n = 0;
    if (store_service_tasks(r->ctx->tx, r->row->cluster_id, r->row->name, false, 0, &live, &n, err) < 0)
        return -1;
    for (size_t i = json_array_size(deps); i-- > 0;) {
        json_t *d = json_array_get(deps, i);
        if (strcmp(jstr(d, "status"), "PRIMARY") == 0)
            continue;
        bool has = false;
        for (size_t k = 0; k < n && !has; k++)
            has = strcmp(live[k].started_by, jstr(d, "id")) == 0;
        if (!has)
            json_array_remove(deps, i);
    }
    if (!steady) {
        json_object_set_new(r->priv, "steady", json_false());
        return 0;
    }
    json_t *p = r->primary ? r->primary->json : NULL;
    if (p && strcmp(jstr(p, "rolloutState"), "IN_PROGRESS") == 0) {
        char msg[120];
        snprintf(msg, sizeof(msg), "ECS deployment %s completed.", jstr(p, "id"));
        json_object_set_new(p, "rolloutState", json_string("COMPLETED"));
        json_object_set_new(p, "rolloutStateReason", json_string(msg));
        json_object_set_new(p, "updatedAt", json_real(time_to_epoch_seconds(r->ctx->now)));
    }
    if (p && strcmp(jstr(p, "rolloutState"), "COMPLETED") == 0) {
        json_object_set(r->priv, "lastCompletedTaskDefinition", json_object_get(p, "taskDefinition"));
        json_object_set(r->priv, "lastCompletedDeployment", json_object_get(p, "id"));
    }
    if (!json_is_true(json_object_get(r->priv, "steady"))) {
        json_object_set_new(r->priv, "steady", json_true());
        json_object_set_new(r->priv, "failureRounds", json_integer(0));
        json_object_set_new(r->priv, "nextLaunchAt", json_integer(0));
        return event(r, "has reached a steady state.", err);
    }
    return 0;
}

static bool may_launch(struct round *r)
{
    return r->primary && strcmp(r->row->status, "ACTIVE") == 0 &&
           strcmp(jstr(r->primary->json, "rolloutState"), "FAILED") != 0 &&
           r->ctx->now >= jint(r->priv, "nextLaunchAt");
}

static int replica_round(struct round *r, struct service_task *tasks, size_t n, struct error *err)
{
    json_t *doc = r->row->doc;
    json_t *config = json_object_get(doc, "deploymentConfiguration");
    struct deploy_counts c = {
        .desired = (int)jint(doc, "desiredCount"),
        .min_healthy_percent = (int)jint(config, "minimumHealthyPercent"),
        .max_percent = (int)jint(config, "maximumPercent"),
    };
    _cleanup_free_ int *prim = calloc(n + 1, sizeof(int));
    _cleanup_free_ int *old = calloc(n + 1, sizeof(int));
    _cleanup_free_ bool *prim_h = calloc(n + 1, sizeof(bool));
    _cleanup_free_ bool *old_h = calloc(n + 1, sizeof(bool));
    if (!prim || !old || !prim_h || !old_h)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t np = 0, no = 0;
    for (size_t i = 0; i < n; i++) {
        const struct service_task *t = &tasks[i];
        if (strcmp(t->desired_status, "RUNNING") != 0) {
            c.stopping++;
            continue;
        }
        struct dep *d = dep_of(r, t->started_by);
        bool stopped = false;
        if (check_unhealthy(r, t, d, &stopped, err) < 0)
            return -1;
        if (stopped) {
            c.stopping++;
            continue;
        }
        bool healthy = is_healthy(t, d);
        if (d && d->primary && strcmp(t->instance_status, "ACTIVE") == 0) {
            prim_h[np] = healthy;
            prim[np++] = (int)i;
            c.primary_live++;
            c.primary_healthy += healthy;
        } else {
            old_h[no] = healthy;
            old[no++] = (int)i;
            c.old_live++;
            c.old_healthy += healthy;
        }
    }
    c.can_start = may_launch(r);
    struct deploy_plan plan;
    deploy_plan_round(&c, &plan);
    char reason[120];
    snprintf(reason, sizeof(reason), "Scaling activity initiated by (deployment %s)",
             r->primary ? jstr(r->primary->json, "id") : "");
    if (plan.stop_primary &&
        stop_some(r, tasks, prim, prim_h, np, plan.stop_primary, true, reason, err) < 0)
        return -1;
    if (plan.stop_old && stop_some(r, tasks, old, old_h, no, plan.stop_old, false, reason, err) < 0)
        return -1;
    if (plan.start && launch(r, plan.start, NULL, 0, true, NULL, err) < 0)
        return -1;
    bool acted = plan.start || plan.stop_old || plan.stop_primary || json_array_size(r->stopped);
    return complete_if_steady(r, !acted && deploy_is_steady(&c), err);
}

static bool failure_disqualifies(const char *reason)
{
    return strcmp(reason, PLACEMENT_REASON_MEMBER_OF) == 0 || strcmp(reason, PLACEMENT_REASON_DISTINCT) == 0 ||
           strcmp(reason, PLACEMENT_REASON_ATTRIBUTE) == 0;
}

/* DAEMON: one primary task per ACTIVE instance that meets the constraints. */
static int daemon_round(struct round *r, struct service_task *tasks, size_t n, struct error *err)
{
    _cleanup_(json_decrefp) json_t *uuids = json_array();
    bool more = false;
    if (store_instance_list(r->ctx->tx, r->cluster.id, "ACTIVE", NULL, -1, uuids, &more, err) < 0)
        return -1;
    char reason[120];
    snprintf(reason, sizeof(reason), "Scaling activity initiated by (deployment %s)",
             r->primary ? jstr(r->primary->json, "id") : "");
    int eligible = 0, healthy_primary = 0, busy = 0;
    bool acted = false;
    /* Tasks on instances that are no longer ACTIVE go. */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tasks[i].desired_status, "RUNNING") == 0 && strcmp(tasks[i].instance_status, "ACTIVE") != 0) {
            if (stop_task(r, &tasks[i], "Task stopped because its container instance is draining", err) < 0)
                return -1;
            acted = true;
        }
    }
    size_t i;
    json_t *u;
    json_array_foreach(uuids, i, u)
    {
        _cleanup_(instance_row_clear) struct instance_row inst = {0};
        int found = store_instance_get(r->ctx->tx, r->cluster.id, json_string_value(u), &inst, err);
        if (found < 0)
            return -1;
        if (found == 0)
            continue;
        bool has_primary = false, has_any = false, primary_ok = false;
        for (size_t k = 0; k < n; k++) {
            const struct service_task *t = &tasks[k];
            if (t->instance_id != inst.id)
                continue;
            has_any = true;
            if (strcmp(t->desired_status, "RUNNING") != 0)
                continue;
            struct dep *d = dep_of(r, t->started_by);
            bool stopped = false;
            if (check_unhealthy(r, t, d, &stopped, err) < 0)
                return -1;
            if (stopped) {
                acted = true;
                continue;
            }
            if (d && d->primary && !has_primary) {
                has_primary = true;
                primary_ok = is_healthy(t, d);
                continue;
            }
            /* An old deployment's task (or a duplicate): maximumPercent 100
             * means it goes before its replacement starts. */
            if (stop_task(r, t, reason, err) < 0)
                return -1;
            acted = true;
        }
        if (has_any) {
            eligible++;
            healthy_primary += primary_ok;
            busy += !primary_ok;
            continue;
        }
        if (!may_launch(r)) {
            eligible++; /* assume it qualifies; it is retried after the backoff */
            busy++;
            continue;
        }
        char expr[128];
        snprintf(expr, sizeof(expr), "ec2InstanceId == %s", inst.ec2_instance_id);
        struct placement_constraint only = {PLACEMENT_MEMBER_OF, expr};
        json_t *failures = NULL;
        size_t before = json_array_size(r->started);
        if (launch(r, 1, &only, 1, false, &failures, err) < 0)
            return -1;
        bool placed = json_array_size(r->started) > before;
        bool qualifies = placed;
        if (!placed) {
            char iarn[600];
            instance_arn(r->ctx, r->cluster.name, inst.uuid, iarn, sizeof(iarn));
            size_t k;
            json_t *f;
            json_array_foreach(failures, k, f)
            {
                if (strcmp(jstr(f, "arn"), iarn) == 0 && !failure_disqualifies(jstr(f, "reason")))
                    qualifies = true;
            }
            if (qualifies && unplaced_event(r, failures, err) < 0) {
                json_decref(failures);
                return -1;
            }
        }
        json_decref(failures);
        if (qualifies) {
            eligible++;
            busy++;
            acted |= placed;
        }
    }
    json_t *doc = r->row->doc;
    if (jint(doc, "desiredCount") != eligible) {
        json_object_set_new(doc, "desiredCount", json_integer(eligible));
        if (r->primary)
            json_object_set_new(r->primary->json, "desiredCount", json_integer(eligible));
    }
    bool steady = !acted && busy == 0 && healthy_primary == eligible;
    for (size_t k = 0; k < n && steady; k++)
        steady = strcmp(tasks[k].desired_status, "RUNNING") == 0;
    return complete_if_steady(r, steady, err);
}

/* DRAINING (deleted) service: stop everything, then become INACTIVE. */
static int draining_round(struct round *r, struct service_task *tasks, size_t n, struct error *err)
{
    size_t live = 0;
    for (size_t i = 0; i < n; i++) {
        live++;
        if (strcmp(tasks[i].desired_status, "RUNNING") == 0 &&
            stop_task(r, &tasks[i], "Service deleted: scaling activity initiated by the service scheduler", err) < 0)
            return -1;
    }
    if (live == 0) {
        snprintf(r->row->status, sizeof(r->row->status), "INACTIVE");
        json_object_set_new(r->row->doc, "deployments", json_array());
        r->changed = true;
    }
    return 0;
}

static int cluster_of(struct round *r, struct error *err)
{
    const char *carn = jstr(r->row->doc, "clusterArn");
    const char *slash = strrchr(carn, '/');
    int found = store_cluster_get(r->ctx->tx, r->row->region, slash ? slash + 1 : carn, &r->cluster, err);
    if (found < 0)
        return -1;
    if (found == 0)
        return error_set(err, ERR_INTERNAL, "service %s: its cluster is gone", r->row->name);
    return 0;
}

static int reconcile(struct round *r, struct error *err)
{
    if (!json_is_object(r->priv)) {
        r->priv = json_object();
        json_object_set_new(r->row->doc, "berth", r->priv);
    }
    if (cluster_of(r, err) < 0 || scan_stopped(r, err) < 0)
        return -1;
    if (strcmp(r->row->status, "ACTIVE") == 0 && check_breaker(r, err) < 0)
        return -1;
    if (deps_load(r, err) < 0)
        return -1;
    _cleanup_free_ struct service_task *tasks = NULL;
    size_t n = 0;
    if (store_service_tasks(r->ctx->tx, r->row->cluster_id, r->row->name, false, 0, &tasks, &n, err) < 0)
        return -1;
    int rc;
    if (strcmp(r->row->status, "DRAINING") == 0)
        rc = draining_round(r, tasks, n, err);
    else if (strcmp(r->row->scheduling_strategy, "DAEMON") == 0)
        rc = daemon_round(r, tasks, n, err);
    else
        rc = replica_round(r, tasks, n, err);
    if (rc < 0)
        return -1;
    return flush_task_events(r, err);
}

int service_sched_round(struct server *srv, int64_t id, bool *ret_changed, struct error *err)
{
    struct store_tx *tx = NULL;
    *ret_changed = false;
    if (store_begin(srv->store, true, &tx, err) < 0)
        return -1;
    _cleanup_(service_row_clear) struct service_row row = {0};
    int found = store_service_get_by_id(tx, id, &row, err);
    if (found <= 0 || strcmp(row.status, "INACTIVE") == 0) {
        store_rollback(tx);
        return found < 0 ? -1 : 0;
    }
    struct api_ctx ctx = {
        .srv = srv,
        .tx = tx,
        .action = "ServiceScheduler",
        .region = row.region,
        .account = srv->cfg.account_id,
        .now = time_now(),
        .request_id = "service-scheduler",
    };
    _cleanup_(json_decrefp) json_t *before = json_deep_copy(row.doc);
    char status_before[16];
    snprintf(status_before, sizeof(status_before), "%s", row.status);
    struct round r = {
        .ctx = &ctx,
        .row = &row,
        .priv = json_object_get(row.doc, "berth"),
        .started = json_array(),
        .stopped = json_array(),
    };
    int rc = reconcile(&r, err);
    deps_free(&r);
    cluster_row_clear(&r.cluster);
    json_decref(r.started);
    json_decref(r.stopped);
    if (rc < 0) {
        store_rollback(tx);
        return error_prefix(err, "service %s", row.name);
    }
    bool doc_changed = !json_equal(before, row.doc) || strcmp(status_before, row.status) != 0;
    if (doc_changed && store_service_put(tx, &row, err) < 0) {
        store_rollback(tx);
        return -1;
    }
    if (!doc_changed && !r.changed) {
        store_rollback(tx);
        return 0;
    }
    if (store_commit(tx, err) < 0)
        return -1;
    *ret_changed = true;
    return 0;
}
