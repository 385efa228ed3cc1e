/* as_scale.c - scaling: the evaluation thread's job (alarms evaluated in
 * one write transaction, then the scheduler woken when a desired count
 * changed) and the policies alarms invoke.
 *
 * Target tracking: AlarmHigh in ALARM sets the desired count to
 * ceil(current * metric / target) (at least one more), AlarmLow in ALARM
 * to the same formula when that is fewer; scale-out waits out
 * ScaleOutCooldown after a scale-out, scale-in waits out ScaleInCooldown
 * after any scaling.  Step scaling: the step whose bounds hold the
 * metric's distance from the alarm's threshold, adjusted as
 * AdjustmentType says, then Cooldown.  Always within MinCapacity and
 * MaxCapacity, never while the direction is suspended; each change is a
 * scaling activity worded as AWS words it.  Scheduled actions that are due
 * run after the alarms (as_scheduled.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "server/autoscaling/autoscaling.h"
#include "server/cloudwatch/cw_alarm.h"
#include "server/ecs/service_scale.h"
#include "server/http/changes.h"
#include "server/store/store_docs.h"

struct tick {
    struct autoscaling_service *s;
    usec_t now;
    bool scaled;
};

struct find {
    const char *arn;
    json_t *found;
};

static int find_policy(const char *region, json_t *doc, void *ud, struct error *err)
{
    (void)region;
    (void)err;
    struct find *f = ud;
    if (strcmp(json_string_value(json_object_get(doc, "PolicyARN")), f->arn) != 0)
        return 0;
    f->found = json_incref(doc);
    return 1;
}

static int64_t berth_ms(json_t *doc, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(doc, "berth"), key));
}

static void set_berth_ms(json_t *doc, const char *key, int64_t ms)
{
    if (!json_object_get(doc, "berth"))
        json_object_set_new(doc, "berth", json_object());
    json_object_set_new(json_object_get(doc, "berth"), key, json_integer(ms));
}

static int64_t cooldown_ms(struct tick *t, json_t *v)
{
    int64_t s = v ? json_integer_value(v) : AS_DEFAULT_COOLDOWN_S;
    return s * 1000 / (t->s->time_scale > 0 ? t->s->time_scale : 1);
}

/* Target tracking: the desired count, or -1 for no change. */
static int64_t tt_desired(struct tick *t, const struct cw_alarm_action *a, json_t *policy, json_t *target, int64_t cur)
{
    json_t *tt = json_object_get(policy, "TargetTrackingScalingPolicyConfiguration");
    double goal = json_number_value(json_object_get(tt, "TargetValue"));
    int64_t now_ms = (int64_t)(t->now / 1000);
    if (strcmp(a->state, "ALARM") != 0 || !a->has_value || goal <= 0)
        return -1;
    double want = ceil((double)cur * a->value / goal);
    if (strstr(a->alarm, "-AlarmHigh-")) {
        if (berth_ms(target, "out_ms") + cooldown_ms(t, json_object_get(tt, "ScaleOutCooldown")) > now_ms)
            return -1;
        return want > (double)cur ? (int64_t)fmin(want, 1e9) : cur + 1;
    }
    int64_t last =
        berth_ms(target, "out_ms") > berth_ms(target, "in_ms") ? berth_ms(target, "out_ms") : berth_ms(target, "in_ms");
    if (json_is_true(json_object_get(tt, "DisableScaleIn")) ||
        last + cooldown_ms(t, json_object_get(tt, "ScaleInCooldown")) > now_ms)
        return -1;
    return want < (double)cur ? (int64_t)want : -1;
}

/* Step scaling: the desired count, or -1 for no change. */
static int64_t step_desired(struct tick *t, const struct cw_alarm_action *a, json_t *policy, int64_t cur)
{
    json_t *step = json_object_get(policy, "StepScalingPolicyConfiguration");
    if (!a->has_value ||
        berth_ms(policy, "last_ms") + cooldown_ms(t, json_object_get(step, "Cooldown")) > (int64_t)(t->now / 1000))
        return -1;
    double delta = a->value - a->threshold;
    size_t i;
    json_t *s, *hit = NULL;
    json_array_foreach(json_object_get(step, "StepAdjustments"), i, s) {
        json_t *lo = json_object_get(s, "MetricIntervalLowerBound"),
               *hi = json_object_get(s, "MetricIntervalUpperBound");
        if ((!lo || delta >= json_number_value(lo)) && (!hi || delta < json_number_value(hi)))
            hit = s;
    }
    if (!hit)
        return -1;
    int64_t adj = json_integer_value(json_object_get(hit, "ScalingAdjustment"));
    const char *type = json_string_value(json_object_get(step, "AdjustmentType"));
    if (strcmp(type, "ExactCapacity") == 0)
        return adj;
    if (strcmp(type, "ChangeInCapacity") == 0)
        return cur + adj;
    double change = (double)cur * (double)adj / 100.0;
    int64_t n = (int64_t)change; /* toward zero, as AWS rounds a percentage */
    if (n == 0 && adj != 0)
        n = adj > 0 ? 1 : -1;
    int64_t least = json_integer_value(json_object_get(step, "MinAdjustmentMagnitude"));
    if (least && llabs(n) < least)
        n = n > 0 ? least : -least;
    return cur + n;
}

/* Record the change: the activity, the cooldown clocks. */
static int scaled(struct store_tx *tx, struct tick *t, const struct cw_alarm_action *a, json_t *policy, json_t *target,
                  int64_t cur, int64_t want, struct error *err)
{
    char desc[96], cause[1500], msg[160];
    snprintf(desc, sizeof(desc), "Setting desired count to %lld.", (long long)want);
    snprintf(cause, sizeof(cause), "monitor alarm %s in state %s triggered policy %s", a->alarm, a->state,
             json_string_value(json_object_get(policy, "PolicyName")));
    snprintf(msg, sizeof(msg), "Successfully set desired count to %lld. Change successfully fulfilled by ecs.",
             (long long)want);
    const char *resource = json_string_value(json_object_get(target, "ResourceId"));
    if (as_activity(tx, a->region, resource, t->now, desc, cause, "Successful", msg, err) < 0)
        return -1;
    int64_t now_ms = (int64_t)(t->now / 1000);
    set_berth_ms(target, want > cur ? "out_ms" : "in_ms", now_ms);
    set_berth_ms(policy, "last_ms", now_ms);
    return 0;
}

int as_alarm_action(struct store_tx *tx, const struct cw_alarm_action *a, void *ud, struct error *err)
{
    struct tick *t = ud;
    struct find f = {a->arn, NULL};
    if (store_doc_each(tx, AS_POLICY, a->region, NULL, NULL, find_policy, &f, err) < 0)
        return -1;
    _cleanup_json_ json_t *policy = f.found, *target = NULL;
    if (!policy)
        return error_set(err, AS_ERR_NOT_FOUND, "No scaling policy %s.", a->arn);
    char tid[700], pid[1000], cluster[256], service[256];
    as_doc_id(policy, NULL, tid, sizeof(tid));
    as_doc_id(policy, json_string_value(json_object_get(policy, "PolicyName")), pid, sizeof(pid));
    int r = store_doc_get(tx, AS_TARGET, a->region, tid, &target, err);
    if (r <= 0 || as_check_resource(policy, cluster, service, err) < 0)
        return r < 0 ? -1 : error_set(err, AS_ERR_NOT_FOUND, "No scalable target for %s.", tid);
    int64_t cur;
    r = ecs_service_scale(tx, a->region, cluster, service, -1, t->now, &cur, err);
    if (r <= 0)
        return r < 0 ? -1 : error_set(err, AS_ERR_VALIDATION, "ECS service doesn't exist: %s", tid);
    bool tt = strcmp(json_string_value(json_object_get(policy, "PolicyType")), "TargetTrackingScaling") == 0;
    int64_t want = tt ? tt_desired(t, a, policy, target, cur) : step_desired(t, a, policy, cur);
    if (want < 0)
        return 0;
    json_t *susp = json_object_get(target, "SuspendedState");
    int64_t min = json_integer_value(json_object_get(target, "MinCapacity"));
    int64_t max = json_integer_value(json_object_get(target, "MaxCapacity"));
    want = want < min ? min : want > max ? max : want;
    if (want == cur || (want > cur && json_is_true(json_object_get(susp, "DynamicScalingOutSuspended"))) ||
        (want < cur && json_is_true(json_object_get(susp, "DynamicScalingInSuspended"))))
        return 0;
    if (ecs_service_scale(tx, a->region, cluster, service, want, t->now, NULL, err) < 0)
        return -1;
    if (scaled(tx, t, a, policy, target, cur, want, err) < 0)
        return -1;
    t->scaled = true;
    if (store_doc_put(tx, AS_TARGET, a->region, tid, target, err) < 0)
        return -1;
    return store_doc_put(tx, AS_POLICY, a->region, pid, policy, err);
}

void autoscaling_tick(void *arg)
{
    struct autoscaling_service *s = arg;
    struct tick t = {s, time_now(), false};
    struct store_tx *tx = NULL;
    struct error err;
    if (store_begin_leader(s->store, &tx, &err) < 0) {
        log_warn("alarms: %s", err.msg);
        return;
    }
    struct op_ctx ctx = {.tx = tx, .service = s, .account = s->account, .now = t.now, .action = "ScheduledAction"};
    if (cw_alarms_evaluate(tx, s->account, (int64_t)(t.now / 1000), s->time_scale, as_alarm_action, &t, &err) < 0 ||
        as_scheduled_run(&ctx, s->time_scale, &t.scaled, &err) < 0) {
        log_warn("alarms: %s", err.msg);
        store_rollback(tx);
        return;
    }
    if (store_commit(tx, &err) < 0) {
        log_warn("alarms: %s", err.msg);
        return;
    }
    if (t.scaled)
        changes_notify(s->changes);
}
