/* reconcile.c - one scheduler round for one service, the way ECS's
 * service scheduler behaves:
 *
 *  - tasks that stopped on their own since the last round count as failures
 *    of their deployment (while it is IN_PROGRESS) and back launches off;
 *  - the circuit breaker fails a deployment once its failures reach the
 *    threshold, and deploymentConfiguration.alarms once a CloudWatch alarm
 *    it names is in ALARM; with rollback, the last COMPLETED definition is
 *    redeployed;
 *  - REPLICA: launch and stop within minimumHealthyPercent/maximumPercent
 *    (deploy_math.c decides the numbers); tasks on draining instances are
 *    replaced like tasks of an old deployment; an UNHEALTHY task past the
 *    grace period is stopped and replaced;
 *  - DAEMON: one task on every ACTIVE instance that meets the constraints;
 *  - once only the primary's healthy tasks run, the deployment is COMPLETED,
 *    the others are dropped and "has reached a steady state." is recorded.
 *
 * This file holds those policies; the actions they take (launching, stopping,
 * events, settling a deployment) are in reconcile_ops.c.  It does not wait
 * for anything: each round acts on what the store says and the next round
 * (woken by the commit or the timer) sees the result. */
#include "server/sched/reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/api.h"
#include "common/cleanup.h"
#include "common/task_status.h"
#include "server/sched/deploy_alarms.h"
#include "server/sched/blue_green.h"
#include "server/sched/deploy_math.h"
#include "server/sched/taskset_round.h"
#include "server/ecs/task_sets.h"
#include "server/ecs/instances.h"
#include "server/placement/placement.h"
#include "server/sched/reconcile_ops.h"
#include "server/ecs/service_history.h"
#include "server/ecs/service_load_balancers.h"
#include "server/ecs/services.h"
#include "server/ecs/task_protection.h"
#include "server/store/store.h"
#include "server/store/store_instances.h"

#define REASON_DRAINING "Task stopped because its container instance is draining"
#define REASON_DELETED "Service deleted: scaling activity initiated by the service scheduler"

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
            reconcile_ops_note_failure(r, reconcile_ops_dep_json(r, tasks[i].started_by));
    }
    if (newest != since)
        json_object_set_new(r->priv, "scannedUntil", json_integer(newest));
    return 0;
}

/* Fail the primary deployment p: rolloutState FAILED with `reason`, the
 * event "deployment ID deployment failed: <what>." and, when `rollback`
 * asks and a deployment completed before, a new deployment of the last
 * COMPLETED definition ("<who>: rolling back to deploymentId ID."). */
static int fail_primary(struct round *r, json_t *p, const char *who, const char *reason, const char *what,
                        bool rollback, struct error *err)
{
    json_t *doc = r->row->doc;
    char msg[400];
    json_object_set_new(p, "rolloutState", json_string("FAILED"));
    json_object_set_new(p, "rolloutStateReason", json_string(reason));
    json_object_set_new(p, "updatedAt", json_real(time_to_epoch_seconds(r->ctx->now)));
    snprintf(msg, sizeof(msg), "deployment %s deployment failed: %s.", jstr(p, "id"), what);
    if (reconcile_ops_event(r, msg, err) < 0)
        return -1;
    const char *good_td = jstr(r->priv, "lastCompletedTaskDefinition");
    const char *good_id = jstr(r->priv, "lastCompletedDeployment");
    /* A rollback that fails in its turn stays FAILED: rolling back to the
     * same definition again would only start the same failing tasks over
     * and over, the backoff reset each time. */
    bool is_rollback = strcmp(jstr(r->priv, "rollbackDeployment"), jstr(p, "id")) == 0;
    if (!rollback || !*good_td || is_rollback)
        return 0;
    json_t *dep = service_new_deployment(r->ctx, doc, good_td, err);
    if (!dep)
        return -1;
    snprintf(msg, sizeof(msg), "%s: rolling back to deploymentId %s.", who, good_id);
    json_object_set_new(dep, "rolloutStateReason", json_string(msg));
    json_object_set(r->priv, "rollbackDeployment", json_object_get(dep, "id"));
    if (service_history_rollback(r->ctx, r->row, jstr(p, "id"), jstr(dep, "id"), good_id, msg, err) < 0) {
        json_decref(dep);
        return -1;
    }
    json_object_set_new(p, "status", json_string("ACTIVE"));
    json_array_insert_new(json_object_get(doc, "deployments"), 0, dep);
    json_object_set_new(doc, "taskDefinition", json_string(good_td));
    json_object_set_new(r->priv, "failureRounds", json_integer(0));
    json_object_set_new(r->priv, "nextLaunchAt", json_integer(0));
    snprintf(msg, sizeof(msg), "rolling back to deployment %s.", good_id);
    return reconcile_ops_event(r, msg, err);
}

/* Trip the circuit breaker if the primary deployment failed too often, or
 * fail it when one of the CloudWatch alarms it watches is in ALARM (a
 * rollback deployment is not failed by alarms: it is the way back). */
static int check_breaker(struct round *r, struct error *err)
{
    json_t *doc = r->row->doc;
    json_t *config = json_object_get(doc, "deploymentConfiguration");
    json_t *breaker = json_object_get(config, "deploymentCircuitBreaker");
    json_t *alarms = json_object_get(config, "alarms");
    json_t *p = NULL;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(doc, "deployments"), i, d) {
        if (strcmp(jstr(d, "status"), "PRIMARY") == 0)
            p = d;
    }
    if (!p || strcmp(jstr(p, "rolloutState"), "IN_PROGRESS") != 0)
        return 0;
    /* A blue/green PAUSE hook that timed out with the action ROLLBACK. */
    json_t *bg = json_object_get(r->priv, "bg");
    if (json_is_true(json_object_get(bg, "rollbackRequested")) && strcmp(jstr(bg, "deployment"), jstr(p, "id")) == 0) {
        json_object_del(bg, "rollbackRequested");
        return fail_primary(r, p, "ECS deployment lifecycle hook",
                            "ECS deployment lifecycle hook: a PAUSE hook timed out.", "lifecycle hook timed out", true,
                            err);
    }
    int desired = (int)jint(doc, "desiredCount");
    if (json_is_true(json_object_get(breaker, "enable")) && jint(p, "failedTasks") >= deploy_breaker_threshold(desired))
        return fail_primary(r, p, "ECS deployment circuit breaker",
                            "ECS deployment circuit breaker: tasks failed to start.", "tasks failed to start",
                            json_is_true(json_object_get(breaker, "rollback")), err);
    if (strcmp(jstr(r->priv, "rollbackDeployment"), jstr(p, "id")) == 0)
        return 0;
    char name[256];
    int firing = deploy_alarms_firing(r->ctx, alarms, name, sizeof(name), err);
    if (firing <= 0)
        return firing;
    char reason[400];
    snprintf(reason, sizeof(reason), "ECS deployment alarms: CloudWatch alarm %s is in ALARM state.", name);
    return fail_primary(r, p, "ECS deployment alarms", reason, "alarm detected",
                        json_is_true(json_object_get(alarms, "rollback")), err);
}

/* Stop `n` of the m tasks tasks[idx[]]: not-healthy ones first.  Old
 * deployments' tasks go oldest first.  Scale-in (balance) follows ECS's
 * documented order instead: a task in the Availability Zone with the most of
 * the service's tasks, on the instance with the most of them, newest first.
 * A task with scale-in protection is never chosen (it still counts where it
 * runs); the next round looks again, once its protection ends. */
static int stop_some(struct round *r, const struct service_task *tasks, const int *idx, const bool *healthy, size_t m,
                     int n, bool balance, const char *reason, struct error *err)
{
    _cleanup_free_ bool *gone = calloc(m + 1, sizeof(bool));
    _cleanup_free_ bool *kept = calloc(m + 1, sizeof(bool));
    if (!gone || !kept)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t k = 0; k < m; k++)
        kept[k] = task_protection_active(tasks[idx[k]].protected_until_ms, r->ctx->now);
    for (; n > 0; n--) {
        bool any_unhealthy = false;
        for (size_t k = 0; k < m; k++)
            any_unhealthy |= !gone[k] && !kept[k] && !healthy[k];
        ssize_t best = -1;
        int best_az = -1, best_inst = -1;
        for (size_t k = 0; k < m; k++) {
            if (gone[k] || kept[k] || (any_unhealthy && healthy[k]))
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
            why = REASON_DRAINING;
        if (reconcile_ops_stop_task(r, t, why, err) < 0)
            return -1;
    }
    return 0;
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
        struct dep *d = NULL;
        bool stopped_now = false;
        int kept = reconcile_ops_task_kept(r, t, &d, &stopped_now, err);
        if (kept < 0)
            return -1;
        if (!kept) {
            c.stopping++;
            continue;
        }
        bool healthy = reconcile_ops_is_healthy(t, d);
        if (healthy && reconcile_ops_elb_gate(r, t, &healthy, err) < 0)
            return -1;
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
    c.can_start = reconcile_ops_may_launch(r);
    struct deploy_plan plan;
    deploy_plan_round(&c, &plan);
    char reason[120];
    snprintf(reason, sizeof(reason), "Scaling activity initiated by (deployment %s)",
             r->primary ? jstr(r->primary->json, "id") : "");
    if (plan.stop_primary && stop_some(r, tasks, prim, prim_h, np, plan.stop_primary, true, reason, err) < 0)
        return -1;
    if (plan.stop_old && stop_some(r, tasks, old, old_h, no, plan.stop_old, false, reason, err) < 0)
        return -1;
    if (plan.start && reconcile_ops_launch(r, plan.start, NULL, 0, true, NULL, err) < 0)
        return -1;
    bool acted = plan.start || plan.stop_old || plan.stop_primary || json_array_size(r->stopped);
    return reconcile_ops_complete(r, !acted && deploy_is_steady(&c), err);
}

static bool failure_disqualifies(const char *reason)
{
    return placement_reason_is(reason, PLACEMENT_REASON_MEMBER_OF) ||
           placement_reason_is(reason, PLACEMENT_REASON_DISTINCT) ||
           placement_reason_is(reason, PLACEMENT_REASON_ATTRIBUTE);
}

/* What one instance holds of a DAEMON service. */
struct daemon_slot {
    bool has_any;    /* some task of the service is on it */
    bool primary_ok; /* its primary deployment's task is healthy */
};

/* Keep one primary task on the instance: an UNHEALTHY one is stopped (and
 * replaced later), as is an old deployment's task or a duplicate. */
static int daemon_keep_one(struct round *r, const struct service_task *tasks, size_t n, int64_t instance_id,
                           const char *reason, struct daemon_slot *ret_slot, bool *acted, struct error *err)
{
    struct daemon_slot slot = {0};
    bool has_primary = false;
    for (size_t k = 0; k < n; k++) {
        const struct service_task *t = &tasks[k];
        if (t->instance_id != instance_id)
            continue;
        slot.has_any = true;
        struct dep *d = NULL;
        bool stopped_now = false;
        int kept = reconcile_ops_task_kept(r, t, &d, &stopped_now, err);
        if (kept < 0)
            return -1;
        *acted |= stopped_now;
        if (!kept)
            continue;
        if (d && d->primary && !has_primary) {
            has_primary = true;
            slot.primary_ok = reconcile_ops_is_healthy(t, d);
            if (slot.primary_ok && reconcile_ops_elb_gate(r, t, &slot.primary_ok, err) < 0)
                return -1;
            continue;
        }
        /* An old deployment's task (or a duplicate): maximumPercent 100
         * means it goes before its replacement starts. */
        if (reconcile_ops_stop_task(r, t, reason, err) < 0)
            return -1;
        *acted = true;
    }
    *ret_slot = slot;
    return 0;
}

/* Start the service's task on an instance that has none.  The instance
 * counts toward the desired count (*ret_qualifies) when the task was placed
 * (*ret_placed) or failed for want of resources, not when the constraints
 * exclude it. */
static int daemon_launch(struct round *r, const struct instance_row *inst, bool *ret_qualifies, bool *ret_placed,
                         struct error *err)
{
    char expr[128];
    snprintf(expr, sizeof(expr), "ec2InstanceId == %s", inst->ec2_instance_id);
    struct placement_constraint only = {PLACEMENT_MEMBER_OF, expr};
    _cleanup_json_ json_t *failures = NULL;
    size_t before = json_array_size(r->started);
    if (reconcile_ops_launch(r, 1, &only, 1, false, &failures, err) < 0)
        return -1;
    bool placed = json_array_size(r->started) > before;
    bool qualifies = placed;
    if (!placed) {
        char iarn[600];
        instance_arn(r->ctx, r->cluster.name, inst->uuid, iarn, sizeof(iarn));
        size_t k;
        json_t *f;
        json_array_foreach(failures, k, f) {
            if (strcmp(jstr(f, "arn"), iarn) == 0 && !failure_disqualifies(jstr(f, "reason")))
                qualifies = true;
        }
        if (qualifies && reconcile_ops_unplaced_event(r, failures, err) < 0)
            return -1;
    }
    *ret_qualifies = qualifies;
    *ret_placed = placed;
    return 0;
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
        if (task_status_is(tasks[i].desired_status, TASK_STATUS_RUNNING) &&
            strcmp(tasks[i].instance_status, "ACTIVE") != 0) {
            if (reconcile_ops_stop_task(r, &tasks[i], REASON_DRAINING, err) < 0)
                return -1;
            acted = true;
        }
    }
    size_t i;
    json_t *u;
    json_array_foreach(uuids, i, u) {
        _cleanup_(instance_row_clear) struct instance_row inst = {0};
        int found = store_instance_get(r->ctx->tx, r->cluster.id, json_string_value(u), &inst, err);
        if (found < 0)
            return -1;
        if (found == 0)
            continue;
        struct daemon_slot slot;
        if (daemon_keep_one(r, tasks, n, inst.id, reason, &slot, &acted, err) < 0)
            return -1;
        if (slot.has_any) {
            eligible++;
            healthy_primary += slot.primary_ok;
            busy += !slot.primary_ok;
            continue;
        }
        if (!reconcile_ops_may_launch(r)) {
            eligible++; /* assume it qualifies; it is retried after the backoff */
            busy++;
            continue;
        }
        bool qualifies = false, placed = false;
        if (daemon_launch(r, &inst, &qualifies, &placed, err) < 0)
            return -1;
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
        steady = task_status_is(tasks[k].desired_status, TASK_STATUS_RUNNING);
    return reconcile_ops_complete(r, steady, err);
}

/* DRAINING (deleted) service: stop everything, then become INACTIVE. */
static int draining_round(struct round *r, struct service_task *tasks, size_t n, struct error *err)
{
    size_t live = 0;
    for (size_t i = 0; i < n; i++) {
        live++;
        if (task_status_is(tasks[i].desired_status, TASK_STATUS_RUNNING)) {
            if (reconcile_ops_stop_task(r, &tasks[i], REASON_DELETED, err) < 0)
                return -1;
        } else if (reconcile_ops_release_drained(r, &tasks[i], err) < 0) {
            return -1;
        }
    }
    if (live == 0) {
        snprintf(r->row->status, sizeof(r->row->status), "INACTIVE");
        json_object_set_new(r->row->doc, "deployments", json_array());
        if (json_object_get(r->row->doc, "taskSets"))
            json_object_set_new(r->row->doc, "taskSets", json_array());
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
    if (reconcile_ops_load_deployments(r, err) < 0)
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
    else if (task_sets_external(r->row->doc))
        rc = taskset_round(r, tasks, n, err);
    else if (blue_green_applies(r))
        rc = blue_green_round(r, tasks, n, err);
    else
        rc = replica_round(r, tasks, n, err);
    if (rc < 0)
        return -1;
    return reconcile_ops_flush_events(r, err);
}

int reconcile_service(const struct reconcile_env *env, int64_t id, bool *ret_changed, struct error *err)
{
    struct store_tx *tx = NULL;
    *ret_changed = false;
    if (store_begin_leader(env->store, &tx, err) < 0)
        return -1;
    _cleanup_(service_row_clear) struct service_row row = {0};
    int found = store_service_get_by_id(tx, id, &row, err);
    if (found <= 0 || strcmp(row.status, "INACTIVE") == 0) {
        store_rollback(tx);
        return found < 0 ? -1 : 0;
    }
    /* The scheduler acts as the service: the same operation context a
     * request gets, with the ECS service's state. */
    struct op_ctx ctx = {
        .tx = tx,
        .service = env->ecs,
        .action = "ServiceScheduler",
        .region = row.region,
        .account = env->account,
        .caller = "",
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
    reconcile_ops_free(&r);
    cluster_row_clear(&r.cluster);
    json_decref(r.started);
    json_decref(r.stopped);
    if (rc < 0) {
        store_rollback(tx);
        return error_prefix(err, "service %s", row.name);
    }
    bool doc_changed = !json_equal(before, row.doc) || strcmp(status_before, row.status) != 0;
    if (doc_changed && (store_service_put(tx, &row, err) < 0 || service_history_sync(&ctx, &row, err) < 0)) {
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
