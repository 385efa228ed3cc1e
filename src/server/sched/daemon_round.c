/* daemon_round.c - the scheduler's daemon pass (see daemon_round.h).
 *
 * For each daemon, in one transaction: its tasks (startedBy
 * "ecs-daemon/<revision id>", one revision per CreateDaemon/UpdateDaemon)
 * are grouped by instance.  An instance of the daemon's capacity providers
 * with no task gets one of the target revision at once.  An instance still
 * running an older revision is replaced (old task stopped, new one placed)
 * in steps of drainPercent of the instances, the next step waiting until
 * the previous one's tasks run and then bakeTimeInMinutes; the deployment
 * is SUCCESSFUL when every instance runs the target revision and the last
 * bake time has passed.  A daemon DELETE_IN_PROGRESS has all its tasks
 * stopped and its document removed (its revisions and deployments stay).
 *
 * Each instance's daemon task is remembered (the daemon's berth.instances),
 * so that the next pass sees it end: one that failed to start or exited
 * backs the instance's next launch off (1 s doubling to 60 s) and, when it
 * was of the revision being deployed, counts towards the deployment's
 * circuit breaker.  The breaker's threshold, or a CloudWatch alarm of
 * deploymentConfiguration.alarms in ALARM, fails the deployment: it rolls
 * back (ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED)
 * to the last revision that deployed successfully, or is STOPPED when there
 * is none.  daemon_monitor.c holds those rules. */
#include "server/sched/daemon_round.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/task_status.h"
#include "common/timeutil.h"
#include "server/ecs/arn.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/daemons.h"
#include "server/ecs/runtask.h"
#include "server/ecs/tasks.h"
#include "server/sched/daemon_monitor.h"
#include "server/sched/deploy_alarms.h"
#include "server/store/store.h"
#include "server/store/store_clusters.h"
#include "server/store/store_docs.h"
#include "server/store/store_instances.h"
#include "server/store/store_tasks.h"

#define KEY_MAX 600
#define TASKS_MAX 10000
/* A deployment succeeds only once every instance's new task has been
 * RUNNING this long: a task that exits at once (RUNNING for a moment) is
 * then seen failing by the circuit breaker rather than after success. */
#define DAEMON_SETTLE_TIME (10 * USEC_PER_SEC)

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* The store key ("cluster/name/id") of a revision or deployment ARN. */
static bool key_of(const char *s, char *key, size_t cap)
{
    struct arn arn;
    if (!s || !arn_parse(s, &arn) || strlen(arn.resource) >= cap)
        return false;
    snprintf(key, cap, "%s", arn.resource);
    return true;
}

static void started_by(const char *revision_arn, char *buf, size_t cap)
{
    const char *slash = revision_arn ? strrchr(revision_arn, '/') : NULL;
    snprintf(buf, cap, "%s%s", DAEMON_STARTED_BY_PREFIX, slash ? slash + 1 : "");
}

struct daemon_pass {
    struct op_ctx *ctx;
    struct cluster_row cluster;
    json_t *daemon;      /* the daemon document; borrowed */
    json_t *deployment;  /* its latest deployment, or NULL; owned */
    json_t *revision;    /* the target revision, or NULL; owned */
    json_t *by_instance; /* {"<instance id>": {"target": [task], "old": [task]}} of task rows as JSON */
    json_t *records;     /* this pass's {"<instance id>": record} (see instance_record); owned */
    int failures;        /* tasks of the daemon's revision that failed since the last pass */
    bool tripped;        /* the deployment failed in this pass */
    bool changed;
};

static bool is_status(json_t *doc, const char *status)
{
    return doc && jstr(doc, "status") && strcmp(jstr(doc, "status"), status) == 0;
}

/* IN_PROGRESS or ROLLBACK_IN_PROGRESS: instances are being replaced. */
static bool rolling(json_t *dep) { return is_status(dep, "IN_PROGRESS") || is_status(dep, "ROLLBACK_IN_PROGRESS"); }

/* Group the desired-RUNNING tasks of each of the daemon's revisions. */
static int load_tasks(struct daemon_pass *p, struct error *err)
{
    const char *target = jstr(p->daemon, "revisionArn");
    size_t i;
    json_t *rev;
    json_array_foreach(json_object_get(p->daemon, "revisions"), i, rev) {
        char sb[128];
        started_by(json_string_value(rev), sb, sizeof(sb));
        struct task_filter f = {.desired_status = "RUNNING", .started_by = sb};
        _cleanup_json_ json_t *uuids = json_array();
        bool more = false;
        if (store_task_list(p->ctx->tx, p->cluster.id, &f, NULL, TASKS_MAX, uuids, &more, err) < 0)
            return -1;
        size_t k;
        json_t *u;
        json_array_foreach(uuids, k, u) {
            _cleanup_(task_row_clear) struct task_row row = {0};
            int r = store_task_get(p->ctx->tx, p->cluster.id, json_string_value(u), &row, err);
            if (r < 0)
                return -1;
            if (r == 0)
                continue;
            char id[32];
            snprintf(id, sizeof(id), "%lld", (long long)row.instance_id);
            json_t *slot = json_object_get(p->by_instance, id);
            if (!slot) {
                slot = json_pack("{s:[], s:[]}", "target", "old");
                json_object_set_new(p->by_instance, id, slot);
            }
            bool is_target = target && strcmp(json_string_value(rev), target) == 0;
            json_array_append_new(json_object_get(slot, is_target ? "target" : "old"),
                                  json_pack("{s:s, s:s, s:O, s:f}", "uuid", row.uuid, "lastStatus", row.last_status,
                                            "revision", rev, "startedAt",
                                            json_number_value(json_object_get(row.doc, "startedAt"))));
        }
    }
    return 0;
}

static int stop_task(struct daemon_pass *p, const char *uuid, const char *reason, struct error *err)
{
    _cleanup_(task_row_clear) struct task_row row = {0};
    int r = store_task_get(p->ctx->tx, p->cluster.id, uuid, &row, err);
    if (r <= 0)
        return r;
    if (task_request_stop(p->ctx, &row, "ServiceSchedulerInitiated", reason, err) < 0)
        return -1;
    p->changed = true;
    return 0;
}

static int stop_all(struct daemon_pass *p, json_t *tasks, const char *reason, struct error *err)
{
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) {
        if (stop_task(p, jstr(t, "uuid"), reason, err) < 0)
            return -1;
    }
    return 0;
}

/* The revision's daemon task definition as the TaskDefinition a task
 * carries. */
static json_t *task_definition(json_t *revision)
{
    json_t *dtd = json_object_get(json_object_get(revision, "berth"), "taskDefinition");
    json_t *td = json_pack("{s:O?, s:O?, s:O?, s:s, s:[s], s:[s]}", "taskDefinitionArn",
                           json_object_get(dtd, "daemonTaskDefinitionArn"), "family", json_object_get(dtd, "family"),
                           "revision", json_object_get(dtd, "revision"), "status", "ACTIVE", "compatibilities", "EC2",
                           "requiresCompatibilities", "EC2");
    static const char *const keys[] = {"containerDefinitions", "volumes",         "cpu", "memory",
                                       "taskRoleArn",          "executionRoleArn"};
    for (size_t i = 0; td && i < ELEMENTSOF(keys); i++)
        if (json_object_get(dtd, keys[i]))
            json_object_set(td, keys[i], json_object_get(dtd, keys[i]));
    return td;
}

static int launch(struct daemon_pass *p, const struct instance_row *inst, const char *provider, json_t *rec,
                  struct error *err)
{
    _cleanup_json_ json_t *td = task_definition(p->revision), *tasks = json_array(), *failures = json_array();
    if (!td || !tasks || !failures)
        return error_set(err, ERR_INTERNAL, "out of memory");
    char sb[128], group[300], expr[128];
    started_by(jstr(p->daemon, "revisionArn"), sb, sizeof(sb));
    snprintf(group, sizeof(group), "daemon:%s", jstr(p->daemon, "daemonName"));
    snprintf(expr, sizeof(expr), "ec2InstanceId == %s", inst->ec2_instance_id);
    json_t *berth = json_object_get(p->revision, "berth");
    bool propagate = jstr(p->revision, "propagateTags") && strcmp(jstr(p->revision, "propagateTags"), "DAEMON") == 0;
    struct task_spec spec = {
        .taskdef = td,
        .started_by = sb,
        .group = group,
        .launch_type = "EC2",
        .tags = propagate && json_array_size(json_object_get(berth, "tags")) ? json_object_get(berth, "tags") : NULL,
        .enable_execute_command = json_is_true(json_object_get(p->revision, "enableExecuteCommand")),
        .capacity_provider = provider,
    };
    struct placement_constraint only = {PLACEMENT_MEMBER_OF, expr};
    if (runtask_place_ids(p->ctx, &p->cluster, &spec, 1, NULL, 0, &only, 1, tasks, failures, err) < 0)
        return -1;
    json_t *task_id = json_array_get(tasks, 0);
    if (task_id) {
        p->changed = true;
        json_object_set(rec, "task", task_id);
        json_object_set(rec, "revision", json_object_get(p->daemon, "revisionArn"));
    } else
        log_info("daemon %s: no task placed on %s: %s", jstr(p->daemon, "daemonName"), inst->ec2_instance_id,
                 jstr(json_array_get(failures, 0), "reason") ? jstr(json_array_get(failures, 0), "reason") : "?");
    return 0;
}

static bool all_running(json_t *tasks)
{
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) {
        if (!task_status_is(jstr(t, "lastStatus"), TASK_STATUS_RUNNING))
            return false;
    }
    return json_array_size(tasks) > 0;
}

static int deleting_round(struct daemon_pass *p, const char *key, struct error *err)
{
    const char *id;
    json_t *slot;
    bool any = false;
    json_object_foreach(p->by_instance, id, slot) {
        any = true;
        if (stop_all(p, json_object_get(slot, "target"), "Daemon deleted.", err) < 0 ||
            stop_all(p, json_object_get(slot, "old"), "Daemon deleted.", err) < 0)
            return -1;
    }
    if (any)
        return 0;
    p->changed = true;
    return store_doc_delete(p->ctx->tx, DAEMON_KIND, p->ctx->region, key, err);
}

/* Count a running task of revision on provider into running. */
static void count(json_t *running, const char *revision, const char *provider)
{
    json_t *rev = json_object_get(running, revision);
    if (!rev) {
        rev = json_object();
        json_object_set_new(running, revision, rev);
    }
    json_object_set_new(rev, provider, json_integer(json_integer_value(json_object_get(rev, provider)) + 1));
}

struct step {
    json_t *instances; /* [[instance id, provider]] of the daemon's providers */
    json_t *seen;      /* {"<instance id>": true} */
    json_t *running;   /* {revision ARN: {provider: RUNNING tasks}} */
    int inflight;      /* instances whose target task is not RUNNING yet */
    bool settling;     /* a target task has run less than DAEMON_SETTLE_TIME */
    int outdated;      /* instances running only an older revision */
    int budget;        /* instances one step may replace */
    bool may_replace;
    usec_t bake;
};

static json_t *dep_priv(json_t *dep)
{
    json_t *priv = json_object_get(dep, "berth");
    if (dep && !priv) {
        priv = json_object();
        json_object_set_new(dep, "berth", priv);
    }
    return priv;
}

/* Every instance of the daemon's providers, and how far the roll is. */
static int plan(struct daemon_pass *p, struct step *s, struct error *err)
{
    size_t i;
    json_t *pv, *e;
    json_array_foreach(json_object_get(p->daemon, "capacityProviders"), i, pv) {
        _cleanup_json_ json_t *ids = json_array();
        if (store_instance_ids_by_attr(p->ctx->tx, p->cluster.id, CAPACITY_PROVIDER_ATTRIBUTE, json_string_value(pv),
                                       ids, err) < 0)
            return -1;
        size_t k;
        json_t *id;
        json_array_foreach(ids, k, id) {
            json_array_append_new(s->instances, json_pack("[O, O]", id, pv));
        }
    }
    json_t *conf = json_object_get(p->deployment, "deploymentConfiguration");
    double pct = conf ? json_number_value(json_object_get(conf, "drainPercent")) : DAEMON_DEFAULT_DRAIN_PERCENT;
    int n = (int)json_array_size(s->instances);
    s->budget = (int)floor(n * pct / 100.0);
    if (s->budget < 1)
        s->budget = 1;
    json_array_foreach(s->instances, i, e) {
        char id[32];
        snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_array_get(e, 0)));
        json_object_set_new(s->seen, id, json_true());
        json_t *slot = json_object_get(p->by_instance, id);
        json_t *target = json_object_get(slot, "target");
        if (json_array_size(target) > 0 && !all_running(target))
            s->inflight++;
        /* Its task of the target revision ended: the step waits for the next. */
        json_t *rec = json_object_get(json_object_get(json_object_get(p->daemon, "berth"), "instances"), id);
        if (json_array_size(target) == 0 && json_array_size(json_object_get(slot, "old")) == 0 &&
            jstr(rec, "revision") && strcmp(jstr(rec, "revision"), jstr(p->daemon, "revisionArn")) == 0)
            s->inflight++;
        if (json_array_size(json_object_get(slot, "old")) > 0 && json_array_size(target) == 0)
            s->outdated++;
    }
    /* A step is done when nothing is in flight; then bake before the next. */
    json_t *dpriv = dep_priv(p->deployment);
    /* A rollback goes back without baking: the revision it restores ran. */
    s->bake = is_status(p->deployment, "ROLLBACK_IN_PROGRESS")
                  ? 0
                  : (usec_t)json_integer_value(json_object_get(conf, "bakeTimeInMinutes")) * 60 * USEC_PER_SEC;
    s->may_replace = rolling(p->deployment) && s->inflight == 0;
    if (s->may_replace && s->bake > 0 && json_object_get(dpriv, "stepStarted")) {
        if (!json_object_get(dpriv, "stepDoneAt"))
            json_object_set_new(dpriv, "stepDoneAt", json_integer(p->ctx->now));
        s->may_replace = p->ctx->now - (usec_t)json_integer_value(json_object_get(dpriv, "stepDoneAt")) >= s->bake;
    }
    return 0;
}

/* The instance's record in this pass (a copy of the last pass's):
 * {"task": uuid of its daemon task, "revision": that task's revision ARN,
 * "failures": consecutive failed tasks, "nextLaunchAt": usec}. */
static json_t *instance_record(struct daemon_pass *p, const char *id)
{
    json_t *last = json_object_get(json_object_get(json_object_get(p->daemon, "berth"), "instances"), id);
    json_t *rec = last ? json_deep_copy(last) : json_object();
    json_object_set_new(p->records, id, rec);
    return rec;
}

static const char *const failure_codes[] = {"TaskFailedToStart", "EssentialContainerExited"};

static bool is_failure(const char *stop_code)
{
    for (size_t i = 0; stop_code && i < ELEMENTSOF(failure_codes); i++)
        if (strcmp(stop_code, failure_codes[i]) == 0)
            return true;
    return false;
}

/* The instance's remembered task, when it has none of the target revision
 * now: if it ended by failing, back the instance off and count it against
 * the deployment when it was of the daemon's revision. */
static int check_ended(struct daemon_pass *p, json_t *rec, json_t *target, struct error *err)
{
    if (json_array_size(target) > 0) {
        json_object_set(rec, "task", json_object_get(json_array_get(target, 0), "uuid"));
        json_object_set(rec, "revision", json_object_get(json_array_get(target, 0), "revision"));
        return 0;
    }
    const char *uuid = jstr(rec, "task");
    if (!uuid)
        return 0;
    _cleanup_(task_row_clear) struct task_row row = {0};
    int r = store_task_get(p->ctx->tx, p->cluster.id, uuid, &row, err);
    if (r < 0)
        return -1;
    if (r > 0 && !task_status_is(row.desired_status, TASK_STATUS_STOPPED))
        return 0; /* of an older revision, still running */
    if (r > 0 && is_failure(jstr(row.doc, "stopCode"))) {
        double started = json_number_value(json_object_get(row.doc, "startedAt"));
        double stopped = json_number_value(json_object_get(row.doc, "stoppedAt"));
        usec_t ran = started > 0 && stopped > started ? (usec_t)((stopped - started) * USEC_PER_SEC) : 0;
        int failures = daemon_monitor_failures((int)json_integer_value(json_object_get(rec, "failures")), ran);
        json_object_set_new(rec, "failures", json_integer(failures));
        json_object_set_new(rec, "nextLaunchAt", json_integer(p->ctx->now + daemon_monitor_backoff(failures)));
        if (jstr(rec, "revision") && strcmp(jstr(rec, "revision"), jstr(p->daemon, "revisionArn")) == 0)
            p->failures++;
        log_info("daemon %s: task %s failed (%s), next launch on its instance in %lld ms",
                 jstr(p->daemon, "daemonName"), uuid, jstr(row.doc, "stopCode"),
                 (long long)(daemon_monitor_backoff(failures) / 1000));
    }
    json_object_del(rec, "task");
    return 0;
}

/* One instance: count what runs, launch where nothing does, replace an
 * older revision while the step allows; *ret_replaced when it did. */
static int instance_round(struct daemon_pass *p, struct step *s, json_t *e, bool *ret_replaced, struct error *err)
{
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_array_get(e, 0)));
    const char *provider = json_string_value(json_array_get(e, 1));
    json_t *slot = json_object_get(p->by_instance, id);
    json_t *target = json_object_get(slot, "target"), *old = json_object_get(slot, "old");
    *ret_replaced = false;
    json_t *rec = instance_record(p, id);
    if (!rec || check_ended(p, rec, target, err) < 0)
        return rec ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    _cleanup_(instance_row_clear) struct instance_row inst = {0};
    int r = store_instance_get_by_id(p->ctx->tx, json_integer_value(json_array_get(e, 0)), &inst, err);
    if (r <= 0)
        return r;
    /* One task per instance: extra ones of the target revision go. */
    for (size_t k = json_array_size(target); k > 1; k--)
        if (stop_task(p, jstr(json_array_get(target, k - 1), "uuid"), "Duplicate daemon task.", err) < 0)
            return -1;
    json_t *t;
    size_t k;
    json_array_foreach(target, k, t) {
        if (k == 0 && task_status_is(jstr(t, "lastStatus"), TASK_STATUS_RUNNING)) {
            count(s->running, jstr(t, "revision"), provider);
            double since = time_to_epoch_seconds(p->ctx->now) - json_number_value(json_object_get(t, "startedAt"));
            s->settling |= since * USEC_PER_SEC < DAEMON_SETTLE_TIME;
        }
    }
    json_array_foreach(old, k, t) {
        if (task_status_is(jstr(t, "lastStatus"), TASK_STATUS_RUNNING))
            count(s->running, jstr(t, "revision"), provider);
    }
    if (json_array_size(target) > 0)
        return all_running(target) ? stop_all(p, old, "Replaced by a newer daemon revision.", err) : 0;
    if (strcmp(inst.status, "ACTIVE") != 0 || !p->revision)
        return 0;
    /* Backing off after failed tasks: the old task (if any) keeps running. */
    if (p->ctx->now < (usec_t)json_integer_value(json_object_get(rec, "nextLaunchAt")))
        return 0;
    if (json_array_size(old) == 0)
        return launch(p, &inst, provider, rec, err);
    if (!s->may_replace)
        return 0;
    *ret_replaced = true;
    if (stop_all(p, old, "Replaced by a newer daemon revision.", err) < 0)
        return -1;
    return launch(p, &inst, provider, rec, err);
}

static json_t *daemon_priv(json_t *daemon)
{
    json_t *priv = json_object_get(daemon, "berth");
    if (!priv) {
        priv = json_object();
        json_object_set_new(daemon, "berth", priv);
    }
    return priv;
}

/* The deployment's view: instances running its target revision; once every
 * instance runs the daemon's revision (the target, or the rollback's) and
 * the bake time has passed, SUCCESSFUL (ROLLBACK_SUCCESSFUL), and that
 * revision is the one a later failed deployment rolls back to. */
static void deployment_progress(struct daemon_pass *p, struct step *s)
{
    json_t *dep = p->deployment;
    json_t *td = json_object_get(dep, "targetDaemonRevision");
    json_t *trev = json_object_get(s->running, jstr(td, "arn"));
    json_t *cur = json_object_get(s->running, jstr(p->daemon, "revisionArn"));
    json_t *cps = json_array();
    json_int_t total = 0, current = 0;
    size_t i;
    json_t *pv, *src;
    json_array_foreach(json_object_get(p->daemon, "capacityProviders"), i, pv) {
        json_int_t n = json_integer_value(json_object_get(trev, json_string_value(pv)));
        _cleanup_free_ char *parn = arn_format(p->ctx, "capacity-provider", json_string_value(pv));
        json_array_append_new(cps, json_pack("{s:s, s:I, s:i}", "arn", parn ? parn : "", "runningInstanceCount", n,
                                             "drainingInstanceCount", 0));
        total += n;
        current += json_integer_value(json_object_get(cur, json_string_value(pv)));
    }
    json_object_set_new(td, "capacityProviders", cps);
    json_object_set_new(td, "totalRunningInstanceCount", json_integer(total));
    json_object_set_new(td, "totalDrainingInstanceCount", json_integer(s->inflight));
    json_array_foreach(json_object_get(dep, "sourceDaemonRevisions"), i, src) {
        json_int_t n = 0;
        const char *pn;
        json_t *c;
        json_object_foreach(json_object_get(s->running, jstr(src, "arn")), pn, c) {
            n += json_integer_value(c);
        }
        json_object_set_new(src, "totalRunningInstanceCount", json_integer(n));
    }
    bool done = is_status(dep, "SUCCESSFUL") || is_status(dep, "ROLLBACK_SUCCESSFUL");
    if (done)
        json_object_set(daemon_priv(p->daemon), "stableRevision", json_object_get(p->daemon, "revisionArn"));
    if (!rolling(dep) || p->tripped || current != (json_int_t)json_array_size(s->instances) || s->outdated ||
        s->inflight || s->settling || !p->revision)
        return;
    json_t *dpriv = dep_priv(dep);
    if (s->bake > 0) {
        if (!json_object_get(dpriv, "stepDoneAt"))
            json_object_set_new(dpriv, "stepDoneAt", json_integer(p->ctx->now));
        if (p->ctx->now - (usec_t)json_integer_value(json_object_get(dpriv, "stepDoneAt")) < s->bake)
            return;
    }
    bool back = is_status(dep, "ROLLBACK_IN_PROGRESS");
    json_object_set_new(dep, "status", json_string(back ? "ROLLBACK_SUCCESSFUL" : "SUCCESSFUL"));
    if (back)
        json_object_set_new(dep, "statusReason",
                            json_sprintf("%s Rolled back to %s.", jstr(json_object_get(dep, "rollback"), "reason"),
                                         jstr(p->daemon, "revisionArn")));
    json_object_set_new(dep, "finishedAt", json_real(time_to_epoch_seconds(p->ctx->now)));
    daemons_monitors_done(dep);
    json_object_set(daemon_priv(p->daemon), "stableRevision", json_object_get(p->daemon, "revisionArn"));
}

/* Roll the daemon back to revision `to` (its task definition and capacity
 * providers): the deployment goes ROLLBACK_IN_PROGRESS, and the instances'
 * back-offs, earned by the failed revision, are forgotten.  0 when `to` is
 * gone (the caller stops the deployment instead), 1 when rolling back. */
static int roll_back(struct daemon_pass *p, const char *to, const char *reason, struct error *err)
{
    char key[KEY_MAX];
    _cleanup_json_ json_t *rev = NULL;
    if (!key_of(to, key, sizeof(key)))
        return 0;
    int r = store_doc_get(p->ctx->tx, DAEMON_KIND_REVISION, p->ctx->region, key, &rev, err);
    if (r <= 0)
        return r;
    json_t *names = json_object_get(json_object_get(rev, "berth"), "capacityProviders");
    _cleanup_json_ json_t *arns = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        char *parn = arn_format(p->ctx, "capacity-provider", json_string_value(n));
        json_array_append_new(arns, parn ? json_string(parn) : json_string(""));
        free(parn);
    }
    json_t *dep = p->deployment;
    json_object_set_new(dep, "status", json_string("ROLLBACK_IN_PROGRESS"));
    json_object_set_new(dep, "statusReason", json_sprintf("%s Rolling back to %s.", reason, to));
    json_object_set_new(dep, "rollback",
                        json_pack("{s:s, s:f, s:s, s:O}", "reason", reason, "startedAt",
                                  time_to_epoch_seconds(p->ctx->now), "rollbackTargetDaemonRevisionArn", to,
                                  "rollbackCapacityProviders", arns));
    json_object_del(dep_priv(dep), "stepStarted");
    json_object_del(dep_priv(dep), "stepDoneAt");
    json_object_set_new(p->daemon, "revisionArn", json_string(to));
    if (names)
        json_object_set(p->daemon, "capacityProviders", names);
    json_object_set(p->daemon, "capacityProviderArns", arns);
    const char *id;
    json_t *rec;
    json_object_foreach(p->records, id, rec) {
        json_object_del(rec, "failures");
        json_object_del(rec, "nextLaunchAt");
    }
    log_info("daemon %s: %s Rolling back to %s.", jstr(p->daemon, "daemonName"), reason, to);
    return 1;
}

/* The deployment's circuit breaker and alarms: count this pass's failed
 * tasks, read the alarms, and fail the deployment when daemon_monitor.c
 * says so. */
static int watch_deployment(struct daemon_pass *p, struct step *s, struct error *err)
{
    json_t *dep = p->deployment;
    if (!rolling(dep))
        return 0;
    bool back = is_status(dep, "ROLLBACK_IN_PROGRESS");
    json_t *cb = json_object_get(dep, "circuitBreaker");
    if (!cb) { /* a deployment recorded before berth had the breaker */
        cb = json_pack("{s:s, s:i}", "status", "MONITORING", "failureCount", 0);
        json_object_set_new(dep, "circuitBreaker", cb);
    }
    json_t *dpriv = dep_priv(dep);
    int threshold = daemon_monitor_threshold((int)json_array_size(s->instances));
    int failures;
    if (back) {
        failures = (int)json_integer_value(json_object_get(dpriv, "rollbackFailures")) + p->failures;
        if (p->failures)
            json_object_set_new(dpriv, "rollbackFailures", json_integer(failures));
    } else {
        failures = (int)json_integer_value(json_object_get(cb, "failureCount")) + p->failures;
        json_object_set_new(cb, "failureCount", json_integer(failures));
        json_object_set_new(cb, "threshold", json_integer(threshold));
    }
    char alarm[256] = "";
    int firing = 0;
    if (!back) {
        json_t *config = json_object_get(json_object_get(dep, "deploymentConfiguration"), "alarms");
        firing = deploy_alarms_firing(p->ctx, config, alarm, sizeof(alarm), err);
        if (firing < 0)
            return -1;
    }
    const char *stable = jstr(json_object_get(p->daemon, "berth"), "stableRevision");
    bool can_go_back = stable && strcmp(stable, jstr(p->daemon, "revisionArn")) != 0;
    struct daemon_watch w = {back, failures, threshold, firing > 0, can_go_back};
    enum daemon_verdict v = daemon_monitor_verdict(&w);
    if (v == DAEMON_CARRY_ON)
        return 0;
    p->tripped = true;
    double now = time_to_epoch_seconds(p->ctx->now);
    if (v == DAEMON_ROLLBACK_FAILED) {
        json_object_set_new(dep, "status", json_string("ROLLBACK_FAILED"));
        json_object_set_new(dep, "statusReason",
                            json_string("ECS deployment circuit breaker: the daemon tasks of the rollback revision "
                                        "failed to start."));
        json_object_set_new(cb, "status", json_string("TRIGGERED"));
        json_object_set_new(dep, "finishedAt", json_real(now));
        daemons_monitors_done(dep);
        return 0;
    }
    char reason[400];
    if (failures >= threshold) {
        snprintf(reason, sizeof(reason), "ECS deployment circuit breaker: daemon tasks failed to start.");
        json_object_set_new(cb, "status", json_string("TRIGGERED"));
    } else {
        snprintf(reason, sizeof(reason), "ECS deployment alarms: CloudWatch alarm %s is in ALARM state.", alarm);
    }
    if (firing > 0) {
        json_t *alarms = json_object_get(dep, "alarms");
        json_object_set_new(alarms, "status", json_string("TRIGGERED"));
        json_object_set_new(alarms, "triggeredAlarmNames", json_pack("[s]", alarm));
    }
    int r = v == DAEMON_ROLL_BACK ? roll_back(p, stable, reason, err) : 0;
    if (r != 0)
        return r < 0 ? -1 : 0;
    json_object_set_new(dep, "status", json_string("STOPPED"));
    json_object_set_new(
        dep, "statusReason",
        json_sprintf("%s No earlier daemon revision deployed successfully: nothing to roll back to.", reason));
    json_object_set_new(dep, "stoppedAt", json_real(now));
    daemons_monitors_done(dep);
    return 0;
}

static int active_round(struct daemon_pass *p, struct error *err)
{
    _cleanup_json_ json_t *running = json_object(), *seen = json_object(), *instances = json_array();
    struct step s = {.instances = instances, .seen = seen, .running = running};
    if (plan(p, &s, err) < 0)
        return -1;
    int replaced = 0;
    size_t i;
    json_t *e;
    json_array_foreach(instances, i, e) {
        bool did = false;
        if (instance_round(p, &s, e, &did, err) < 0)
            return -1;
        replaced += did;
        if (replaced >= s.budget)
            s.may_replace = false;
    }
    if (replaced > 0) {
        json_object_set_new(dep_priv(p->deployment), "stepStarted", json_true());
        json_object_del(dep_priv(p->deployment), "stepDoneAt");
    }
    /* Tasks on instances no longer of the daemon's providers. */
    const char *id;
    json_t *slot;
    json_object_foreach(p->by_instance, id, slot) {
        if (json_object_get(seen, id))
            continue;
        if (stop_all(p, json_object_get(slot, "target"), "Instance left the daemon's capacity providers.", err) < 0 ||
            stop_all(p, json_object_get(slot, "old"), "Instance left the daemon's capacity providers.", err) < 0)
            return -1;
    }
    json_t *priv = daemon_priv(p->daemon);
    json_object_set(priv, "running", running);
    json_object_set(priv, "instances", p->records);
    if (p->deployment && watch_deployment(p, &s, err) < 0)
        return -1;
    if (p->deployment)
        deployment_progress(p, &s);
    return 0;
}

static int daemon_round_one(const struct reconcile_env *env, const char *region, const char *key, bool *ret_changed,
                            struct error *err)
{
    struct store_tx *tx = NULL;
    if (store_begin_leader(env->store, &tx, err) < 0)
        return -1;
    struct op_ctx ctx = {
        .tx = tx,
        .service = env->ecs,
        .action = "DaemonScheduler",
        .region = region,
        .account = env->account,
        .caller = "",
        .now = time_now(),
        .request_id = "daemon-scheduler",
    };
    _cleanup_json_ json_t *daemon = NULL, *by_instance = json_object(), *records = json_object();
    struct daemon_pass p = {.ctx = &ctx, .by_instance = by_instance, .records = records};
    char cluster[256], dkey[KEY_MAX], rkey[KEY_MAX];
    snprintf(cluster, sizeof(cluster), "%.*s", (int)strcspn(key, "/"), key);
    int rc = store_doc_get(tx, DAEMON_KIND, region, key, &daemon, err);
    if (rc > 0)
        rc = store_cluster_get(tx, region, cluster, &p.cluster, err);
    p.daemon = daemon;
    if (rc > 0 && key_of(jstr(daemon, "deploymentArn"), dkey, sizeof(dkey)))
        rc = store_doc_get(tx, DAEMON_KIND_DEPLOYMENT, region, dkey, &p.deployment, err) < 0 ? -1 : 1;
    if (rc > 0 && key_of(jstr(daemon, "revisionArn"), rkey, sizeof(rkey)))
        rc = store_doc_get(tx, DAEMON_KIND_REVISION, region, rkey, &p.revision, err) < 0 ? -1 : 1;
    _cleanup_json_ json_t *before = rc > 0 ? json_deep_copy(daemon) : NULL;
    _cleanup_json_ json_t *dep_before = p.deployment ? json_deep_copy(p.deployment) : NULL;
    if (rc > 0)
        rc = load_tasks(&p, err) < 0 ? -1 : 1;
    if (rc > 0) {
        bool deleting = strcmp(jstr(daemon, "status"), "DELETE_IN_PROGRESS") == 0;
        rc = (deleting ? deleting_round(&p, key, err) : active_round(&p, err)) < 0 ? -1 : 1;
        if (rc > 0 && !deleting && !json_equal(before, daemon)) {
            p.changed = true;
            rc = store_doc_put(tx, DAEMON_KIND, region, key, daemon, err) < 0 ? -1 : 1;
        }
        if (rc > 0 && p.deployment && !json_equal(dep_before, p.deployment)) {
            p.changed = true;
            rc = store_doc_put(tx, DAEMON_KIND_DEPLOYMENT, region, dkey, p.deployment, err) < 0 ? -1 : 1;
        }
    }
    cluster_row_clear(&p.cluster);
    json_decref(p.deployment);
    json_decref(p.revision);
    if (rc <= 0 || !p.changed) {
        store_rollback(tx);
        return rc < 0 ? error_prefix(err, "daemon %s", key) : 0;
    }
    if (store_commit(tx, err) < 0)
        return -1;
    *ret_changed = true;
    return 0;
}

static int collect_key(const char *region, json_t *doc, void *ud, struct error *err)
{
    char key[KEY_MAX];
    snprintf(key, sizeof(key), "%s/%s", jstr(doc, "cluster"), jstr(doc, "daemonName"));
    if (json_array_append_new(ud, json_pack("[s, s]", region, key)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int daemon_round_all(const struct reconcile_env *env, bool *ret_changed, struct error *err)
{
    _cleanup_json_ json_t *keys = json_array();
    struct store_tx *tx = NULL;
    if (store_begin(env->store, false, &tx, err) < 0)
        return -1;
    int rc = store_doc_each(tx, DAEMON_KIND, NULL, NULL, NULL, collect_key, keys, err);
    store_rollback(tx);
    if (rc < 0)
        return -1;
    size_t i;
    json_t *e;
    json_array_foreach(keys, i, e) {
        bool changed = false;
        if (daemon_round_one(env, json_string_value(json_array_get(e, 0)), json_string_value(json_array_get(e, 1)),
                             &changed, err) < 0)
            log_warn("daemon scheduler: %s", err->msg);
        *ret_changed |= changed;
    }
    return 0;
}
