/* reconcile_ops.c - the actions of a service scheduler round (see
 * reconcile_ops.h): deployments and their definitions, starting tasks through
 * the placement engine with the service's strategies and tags, stopping
 * tasks, container health, failure counting with launch backoff, events in
 * ECS's wording, and settling a deployment once steady.  Which tasks to start
 * or stop is decided by the policies in reconcile.c. */
#include "server/sched/reconcile_ops.h"

#include "server/ecs/service_load_balancers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/task_status.h"
#include "server/sched/deploy_math.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/fargate.h"
#include "server/ecs/runtask.h"
#include "server/ecs/services.h"
#include "server/store/store_tasks.h"
#include "server/http/tags.h"
#include "server/ecs/taskdefs.h"
#include "server/ecs/tasks.h"

#define MAX_STRATEGIES 5
#define MAX_CONSTRAINTS 10
#define EVENT_TASKS_LISTED 10 /* task ids named in one "has started/stopped" event */

void reconcile_ops_free(struct round *r)
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
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, c) {
        if (json_object_get(c, "healthCheck"))
            return true;
    }
    return false;
}

/* Append the entries of list (deployments, or an EXTERNAL service's task
 * sets: never primary here) to r->deps. */
static void load_list(struct round *r, json_t *list, bool task_sets)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        struct dep *d = &r->deps[r->ndeps++];
        d->json = json_array_get(list, i);
        d->primary = !task_sets && strcmp(jstr(d->json, "status"), "PRIMARY") == 0;
        struct error e;
        if (taskdef_resolve(r->ctx, jstr(d->json, "taskDefinition"), false, &d->taskdef, &e) < 0)
            d->taskdef = NULL;
        d->has_health_check = d->taskdef && taskdef_has_health_check(d->taskdef);
        if (d->primary && !r->primary)
            r->primary = d;
    }
}

int reconcile_ops_load_deployments(struct round *r, struct error *err)
{
    reconcile_ops_free(r);
    json_t *list = json_object_get(r->row->doc, "deployments");
    json_t *sets = json_object_get(r->row->doc, "taskSets");
    size_t n = json_array_size(list) + json_array_size(sets);
    r->deps = calloc(n ? n : 1, sizeof(*r->deps));
    if (!r->deps)
        return error_set(err, ERR_INTERNAL, "out of memory");
    r->ndeps = 0;
    load_list(r, list, false);
    load_list(r, sets, true);
    return 0;
}

struct dep *reconcile_ops_dep(struct round *r, const char *started_by)
{
    for (size_t i = 0; i < r->ndeps; i++)
        if (strcmp(jstr(r->deps[i].json, "id"), started_by) == 0)
            return &r->deps[i];
    return NULL;
}

json_t *reconcile_ops_dep_json(struct round *r, const char *started_by)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(r->row->doc, "deployments"), i, d) {
        if (strcmp(jstr(d, "id"), started_by) == 0)
            return d;
    }
    return NULL;
}

int reconcile_ops_event(struct round *r, const char *message, struct error *err)
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
    json_array_foreach(ids, i, v) {
        if (i == EVENT_TASKS_LISTED)
            break;
        int w = snprintf(buf + used, cap - used, "%s(task %s)", i ? " " : "", json_string_value(v));
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
}

int reconcile_ops_flush_events(struct round *r, struct error *err)
{
    char list[EVENT_TASKS_LISTED * 48 + 16], msg[sizeof(list) + 64];
    if (json_array_size(r->started)) {
        task_list_text(r->started, list, sizeof(list));
        snprintf(msg, sizeof(msg), "has started %zu tasks: %s.", json_array_size(r->started), list);
        if (reconcile_ops_event(r, msg, err) < 0)
            return -1;
    }
    if (json_array_size(r->stopped)) {
        task_list_text(r->stopped, list, sizeof(list));
        snprintf(msg, sizeof(msg), "has stopped %zu running tasks: %s.", json_array_size(r->stopped), list);
        if (reconcile_ops_event(r, msg, err) < 0)
            return -1;
    }
    return 0;
}

int reconcile_ops_stop_task(struct round *r, const struct service_task *t, const char *reason, struct error *err)
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
void reconcile_ops_note_failure(struct round *r, json_t *d)
{
    if (d && strcmp(jstr(d, "rolloutState"), "IN_PROGRESS") == 0) {
        json_object_set_new(d, "failedTasks", json_integer(jint(d, "failedTasks") + 1));
        json_object_set_new(d, "updatedAt", json_real(time_to_epoch_seconds(r->ctx->now)));
    }
    back_off(r);
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
        .launch_type = r->task_set ? jstr(r->task_set, "launchType") : r->row->launch_type,
        .platform_version = strcmp(r->row->launch_type, "FARGATE") == 0 ? FARGATE_PLATFORM_VERSION : NULL,
        .tags = tags,
        .network_configuration = json_object_get(r->task_set ? r->task_set : doc, "networkConfiguration"),
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
    char attr_what[400];
    size_t i;
    json_t *f;
    json_array_foreach(failures, i, f) {
        const char *reason = jstr(f, "reason");
        const char *w = NULL;
        if (placement_reason_is(reason, PLACEMENT_REASON_NO_INSTANCES)) {
            snprintf(buf, cap,
                     "was unable to place a task because no container instance met all of its "
                     "requirements. Reason: No Container Instances were found in your cluster. For more "
                     "information, see the Troubleshooting section of the Amazon ECS Developer Guide.");
            return;
        }
        if (placement_reason_is(reason, PLACEMENT_REASON_MEMORY))
            w = "has insufficient memory available";
        else if (placement_reason_is(reason, PLACEMENT_REASON_CPU))
            w = "has insufficient CPU units available";
        else if (placement_reason_is(reason, PLACEMENT_REASON_PORTS))
            w = "is already using a port required by your task";
        else if (placement_reason_is(reason, PLACEMENT_REASON_ATTRIBUTE) && !what) {
            /* ECS's sentence, and which attribute (RunTask's reason has it) */
            const char *name = strstr(reason, ": missing ");
            snprintf(attr_what, sizeof(attr_what), "is missing an attribute required by your task%s%s%s",
                     name ? " (" : "", name ? name + 10 : "", name ? ")" : "");
            w = attr_what;
        } else if (placement_reason_is(reason, PLACEMENT_REASON_ATTRIBUTE))
            w = "is missing an attribute required by your task";
        else if (placement_reason_is(reason, PLACEMENT_REASON_AGENT))
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
int reconcile_ops_unplaced_event(struct round *r, json_t *failures, struct error *err)
{
    char msg[600], full[900];
    unplaced_message(failures, msg, sizeof(msg));
    snprintf(full, sizeof(full), "(service %s) %s", r->row->name, msg);
    _cleanup_(json_decrefp) json_t *last = json_array();
    if (store_service_events(r->ctx->tx, r->row->id, 1, last, err) < 0)
        return -1;
    if (strcmp(jstr(json_array_get(last, 0), "message"), full) == 0)
        return 0;
    return reconcile_ops_event(r, msg, err);
}

/* How many of the service's live tasks run on each provider of its
 * strategy, into have[]. */
static int provider_counts(struct round *r, json_t *strategy, int *have, struct error *err)
{
    _cleanup_free_ struct service_task *tasks = NULL;
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(strategy); i++)
        have[i] = 0;
    if (store_service_tasks(r->ctx->tx, r->row->cluster_id, r->row->name, false, 0, &tasks, &n, err) < 0)
        return -1;
    for (size_t k = 0; k < n; k++) {
        if (!task_status_is(tasks[k].desired_status, TASK_STATUS_RUNNING))
            continue;
        _cleanup_(task_row_clear) struct task_row t = {0};
        int found = store_task_get(r->ctx->tx, r->row->cluster_id, tasks[k].uuid, &t, err);
        if (found < 0)
            return -1;
        const char *cp = found ? jstr(t.doc, "capacityProviderName") : "";
        for (size_t i = 0; i < json_array_size(strategy); i++)
            if (strcmp(cp, jstr(json_array_get(strategy, i), "capacityProvider")) == 0)
                have[i]++;
    }
    return 0;
}

/* Place count tasks: over the service's capacity provider strategy, each
 * provider's share on its pool (the live tasks and these following the
 * strategy's split together), else as the constraints say. */
static int place(struct round *r, struct task_spec *spec, int count, const struct placement_strategy *strategies,
                 size_t ns, struct placement_constraint *constraints, size_t nc, json_t *placed, json_t *failures,
                 struct error *err)
{
    json_t *strategy = json_object_get(r->row->doc, "capacityProviderStrategy");
    if (json_array_size(strategy) == 0)
        return runtask_place_ids(r->ctx, &r->cluster, spec, count, strategies, ns, constraints, nc, placed, failures,
                                 err);
    int have[CAPACITY_STRATEGY_MAX], add[CAPACITY_STRATEGY_MAX];
    if (provider_counts(r, strategy, have, err) < 0)
        return -1;
    if (capacity_strategy_top_up(strategy, have, count, add) < 0)
        return error_set(err, ERR_INTERNAL, "service %s: a capacity provider strategy of %zu items", r->row->name,
                         json_array_size(strategy));
    for (size_t i = 0; i < json_array_size(strategy); i++) {
        if (add[i] == 0)
            continue;
        char expr[400];
        spec->capacity_provider = jstr(json_array_get(strategy, i), "capacityProvider");
        snprintf(expr, sizeof(expr), "attribute:%s == %s", CAPACITY_PROVIDER_ATTRIBUTE, spec->capacity_provider);
        constraints[nc] = (struct placement_constraint){PLACEMENT_MEMBER_OF, expr};
        /* FARGATE's and FARGATE_SPOT's pool is the --fargate agents: the launch type says so. */
        bool fargate = capacity_provider_is_fargate(spec->capacity_provider);
        if (fargate) {
            spec->launch_type = "FARGATE";
            spec->platform_version = FARGATE_PLATFORM_VERSION;
        }
        if (runtask_place_ids(r->ctx, &r->cluster, spec, add[i], strategies, ns, constraints, nc + !fargate, placed,
                              failures, err) < 0)
            return -1;
    }
    return 0;
}

/* Launch `count` primary tasks; extra constraints narrow the instances. */
int reconcile_ops_launch(struct round *r, int count, const struct placement_constraint *extra, size_t nextra,
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
    struct placement_constraint constraints[MAX_CONSTRAINTS + 2];
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
    if (place(r, &spec, count, strategies, ns, constraints, nc, placed, failures, err) < 0) {
        json_decref(failures);
        return -1;
    }
    size_t i;
    json_t *t;
    json_array_foreach(placed, i, t) {
        json_array_append(r->started, t);
        r->changed = true;
    }
    int rc = 0;
    if (record_unplaced && json_array_size(placed) < (size_t)count)
        rc = reconcile_ops_unplaced_event(r, failures, err);
    if (ret_failures)
        *ret_failures = failures;
    else
        json_decref(failures);
    return rc;
}

static bool is_running(const struct service_task *t) { return task_status_is(t->last_status, TASK_STATUS_RUNNING); }

bool reconcile_ops_is_healthy(const struct service_task *t, const struct dep *d)
{
    return is_running(t) && (!d || !d->has_health_check || strcmp(t->health, "HEALTHY") == 0);
}

/* Stop a task that failed its container health checks after the grace period. */
int reconcile_ops_check_unhealthy(struct round *r, const struct service_task *t, const struct dep *d, bool *ret_stopped,
                                  struct error *err)
{
    *ret_stopped = false;
    usec_t grace = jint(r->row->doc, "healthCheckGracePeriodSeconds") * USEC_PER_SEC;
    if (!d || !d->has_health_check || !is_running(t) || strcmp(t->health, "UNHEALTHY") != 0 ||
        r->ctx->now - t->started_at < grace)
        return 0;
    char msg[200];
    snprintf(msg, sizeof(msg), "(task %s) failed container health checks.", t->uuid);
    if (reconcile_ops_event(r, msg, err) < 0 ||
        reconcile_ops_stop_task(r, t, "Task failed container health checks", err) < 0)
        return -1;
    reconcile_ops_note_failure(r, d->json);
    *ret_stopped = true;
    return 0;
}

int reconcile_ops_elb_gate(struct round *r, const struct service_task *t, bool *healthy, struct error *err)
{
    if (json_array_size(json_object_get(r->row->doc, "loadBalancers")) == 0)
        return 0;
    return service_load_balancers_healthy(r->ctx, t->id, healthy, err);
}

/* Stop a task whose target a load balancer's health checks find unhealthy
 * after the grace period, as ECS does ("failed ELB health checks"). */
int reconcile_ops_check_elb_unhealthy(struct round *r, const struct service_task *t, bool *ret_stopped,
                                      struct error *err)
{
    *ret_stopped = false;
    usec_t grace = jint(r->row->doc, "healthCheckGracePeriodSeconds") * USEC_PER_SEC;
    if (json_array_size(json_object_get(r->row->doc, "loadBalancers")) == 0 || !is_running(t) ||
        r->ctx->now - t->started_at < grace)
        return 0;
    char tg[512];
    bool unhealthy = false;
    if (service_load_balancers_unhealthy(r->ctx, t->id, tg, sizeof(tg), &unhealthy, err) < 0)
        return -1;
    if (!unhealthy)
        return 0;
    char msg[700];
    snprintf(msg, sizeof(msg), "(task %s) failed ELB health checks in (target-group %s)", t->uuid, tg);
    if (reconcile_ops_event(r, msg, err) < 0 || reconcile_ops_stop_task(r, t, "Task failed ELB health checks", err) < 0)
        return -1;
    reconcile_ops_note_failure(r, reconcile_ops_dep_json(r, t->started_by));
    *ret_stopped = true;
    return 0;
}

int reconcile_ops_complete(struct round *r, bool steady, struct error *err)
{
    json_t *doc = r->row->doc;
    json_t *deps = json_object_get(doc, "deployments");
    /* Drop deployments whose tasks are all gone (ECS shows only live ones).
     * The service's tasks are read only when there is one that may go: with
     * the primary alone, reading them back after launching 50,000 took a
     * tenth of the round. */
    _cleanup_free_ struct service_task *live = NULL;
    size_t n = 0;
    bool others = false;
    for (size_t i = 0; i < json_array_size(deps); i++)
        others |= strcmp(jstr(json_array_get(deps, i), "status"), "PRIMARY") != 0;
    if (others && store_service_tasks(r->ctx->tx, r->row->cluster_id, r->row->name, false, 0, &live, &n, err) < 0)
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
        return reconcile_ops_event(r, "has reached a steady state.", err);
    }
    return 0;
}

bool reconcile_ops_may_launch(struct round *r)
{
    return r->primary && strcmp(r->row->status, "ACTIVE") == 0 &&
           strcmp(jstr(r->primary->json, "rolloutState"), "FAILED") != 0 &&
           r->ctx->now >= jint(r->priv, "nextLaunchAt");
}

/* A stopping task whose load balancer drain has ended goes to its agent;
 * the round commits that write even when nothing else changed. */
int reconcile_ops_release_drained(struct round *r, const struct service_task *t, struct error *err)
{
    int rc = service_load_balancers_release(r->ctx, t->id, err);
    if (rc < 0)
        return -1;
    if (rc > 0)
        r->changed = true;
    return 0;
}

/* Whether the round still counts task t as one of the service's: 1 and its
 * deployment in *ret_dep if so; 0 if it is stopping, asked before or now
 * (*ret_stopped_now: UNHEALTHY past the grace period). */
int reconcile_ops_task_kept(struct round *r, const struct service_task *t, struct dep **ret_dep, bool *ret_stopped_now,
                            struct error *err)
{
    *ret_stopped_now = false;
    if (!task_status_is(t->desired_status, TASK_STATUS_RUNNING))
        return reconcile_ops_release_drained(r, t, err);
    struct dep *d = reconcile_ops_dep(r, t->started_by);
    if (reconcile_ops_check_unhealthy(r, t, d, ret_stopped_now, err) < 0)
        return -1;
    if (!*ret_stopped_now && reconcile_ops_check_elb_unhealthy(r, t, ret_stopped_now, err) < 0)
        return -1;
    if (*ret_stopped_now)
        return 0;
    *ret_dep = d;
    return 1;
}
