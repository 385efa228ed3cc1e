/* as_policies.c - PutScalingPolicy, DescribeScalingPolicies and
 * DeleteScalingPolicy.  A target tracking policy creates and owns two
 * CloudWatch alarms as AWS does: AlarmHigh (3 of 3 one-minute datapoints
 * above the target: scale out) and, unless scale-in is disabled, AlarmLow
 * (15 of 15 below 90% of it: scale in), both named TargetTracking-<resource
 * id>-Alarm{High,Low}-<uuid> and deleted with the policy.  A step scaling
 * policy runs when an alarm the user made names it.  Predictive scaling
 * is refused.  ALBRequestCountPerTarget watches AWS/ApplicationELB
 * RequestCountPerTarget (Sum) of the target group its ResourceLabel names. */
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/autoscaling/autoscaling.h"
#include "server/cloudwatch/cw_alarm.h"
#include "server/store/store_docs.h"

#define POLICIES_PAGE 10
#define TT_PERIOD_S 60
#define TT_HIGH_PERIODS 3
#define TT_LOW_PERIODS 15
#define TT_LOW_FACTOR 0.9

static int not_found_target(json_t *in, struct error *err)
{
    return error_set(err, AS_ERR_NOT_FOUND,
                     "No scalable target registered for service namespace: ecs, resource ID: %s, scalable "
                     "dimension: %s",
                     json_string_value(json_object_get(in, "ResourceId")), AS_DIMENSION);
}

/* The metric part of an alarm for a target tracking configuration. */
/* ALBRequestCountPerTarget: ResourceLabel "app/<lb>/<id>/targetgroup/<tg>/<id>". */
static int alb_alarm(json_t *pre, json_t *alarm, struct error *err)
{
    const char *label = json_string_value(json_object_get(pre, "ResourceLabel"));
    const char *tg = label ? strstr(label, "/targetgroup/") : NULL;
    if (!label || strncmp(label, "app/", 4) != 0 || !tg || tg == label || strchr(tg + 13, '/') == NULL)
        return error_set(err, AS_ERR_VALIDATION,
                         "ALBRequestCountPerTarget needs a ResourceLabel app/<load-balancer-name>/<id>/targetgroup/"
                         "<target-group-name>/<id>.");
    json_object_set_new(alarm, "Namespace", json_string("AWS/ApplicationELB"));
    json_object_set_new(alarm, "MetricName", json_string("RequestCountPerTarget"));
    json_object_set_new(alarm, "Statistic", json_string("Sum"));
    json_object_set_new(alarm, "Dimensions", json_pack("[{s:s, s:s}]", "Name", "TargetGroup", "Value", tg + 1));
    return 0;
}

static int tt_metric(json_t *in, json_t *tt, json_t *alarm, struct error *err)
{
    json_t *pre = json_object_get(tt, "PredefinedMetricSpecification");
    json_t *custom = json_object_get(tt, "CustomizedMetricSpecification");
    if (!pre == !custom)
        return error_set(err, AS_ERR_VALIDATION,
                         "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification is "
                         "required.");
    if (pre) {
        const char *type = json_string_value(json_object_get(pre, "PredefinedMetricType"));
        if (type && strcmp(type, "ALBRequestCountPerTarget") == 0)
            return alb_alarm(pre, alarm, err);
        const char *metric = strcmp(type, "ECSServiceAverageCPUUtilization") == 0      ? "CPUUtilization"
                             : strcmp(type, "ECSServiceAverageMemoryUtilization") == 0 ? "MemoryUtilization"
                                                                                       : NULL;
        if (!metric)
            return error_set(err, AS_ERR_VALIDATION,
                             "berth supports ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization and "
                             "ALBRequestCountPerTarget "
                             "for ECS services, not %.64s.",
                             type);
        const char *id = json_string_value(json_object_get(in, "ResourceId")) + 8, *slash = strchr(id, '/');
        char cluster[256];
        snprintf(cluster, sizeof(cluster), "%.*s", (int)(slash - id), id);
        json_object_set_new(alarm, "Namespace", json_string("AWS/ECS"));
        json_object_set_new(alarm, "MetricName", json_string(metric));
        json_object_set_new(alarm, "Statistic", json_string("Average"));
        json_object_set_new(alarm, "Dimensions",
                            json_pack("[{s:s, s:s}, {s:s, s:s}]", "Name", "ClusterName", "Value", cluster, "Name",
                                      "ServiceName", "Value", slash + 1));
        return 0;
    }
    json_t *metrics = json_object_get(custom, "Metrics");
    if (metrics) {
        json_t *copy = json_deep_copy(metrics);
        size_t i;
        json_t *q;
        json_array_foreach(copy, i, q) {
            json_t *ms = json_object_get(q, "MetricStat");
            if (ms)
                json_object_set_new(ms, "Period", json_integer(TT_PERIOD_S));
        }
        json_object_set_new(alarm, "Metrics", copy);
        return 0;
    }
    static const char *const copied[] = {"MetricName", "Namespace", "Dimensions", "Statistic", "Unit"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++)
        if (json_object_get(custom, copied[i]))
            json_object_set(alarm, copied[i], json_object_get(custom, copied[i]));
    if (!json_object_get(custom, "MetricName") || !json_object_get(custom, "Namespace") ||
        !json_object_get(custom, "Statistic"))
        return error_set(err, AS_ERR_VALIDATION,
                         "CustomizedMetricSpecification needs MetricName, Namespace and Statistic, or Metrics.");
    return 0;
}

/* One of the policy's alarms: high (scale out) or low (scale in). */
static int tt_alarm(struct op_ctx *ctx, json_t *in, json_t *policy, bool high, json_t *alarms, struct error *err)
{
    json_t *tt = json_object_get(in, "TargetTrackingScalingPolicyConfiguration");
    const char *arn = json_string_value(json_object_get(policy, "PolicyARN"));
    char uuid[37], name[600], desc[700], alarm_arn[800];
    if (ids_uuid(uuid) < 0)
        return error_set(err, ERR_SYSTEM, "no random bytes for an alarm name");
    snprintf(name, sizeof(name), "TargetTracking-%s-Alarm%s-%s", json_string_value(json_object_get(in, "ResourceId")),
             high ? "High" : "Low", uuid);
    snprintf(desc, sizeof(desc), "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy %s.", arn);
    double target = json_number_value(json_object_get(tt, "TargetValue"));
    int periods = high ? TT_HIGH_PERIODS : TT_LOW_PERIODS;
    _cleanup_json_ json_t *alarm = json_pack(
        "{s:s, s:s, s:[s], s:i, s:i, s:f, s:s}", "AlarmName", name, "AlarmDescription", desc, "AlarmActions", arn,
        "EvaluationPeriods", periods, "DatapointsToAlarm", periods, "Threshold", high ? target : target * TT_LOW_FACTOR,
        "ComparisonOperator", high ? "GreaterThanThreshold" : "LessThanThreshold");
    if (!alarm)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (tt_metric(in, tt, alarm, err) < 0)
        return -1;
    if (!json_object_get(alarm, "Metrics"))
        json_object_set_new(alarm, "Period", json_integer(TT_PERIOD_S));
    if (cw_alarm_put(ctx, alarm, err) < 0)
        return error_prefix(err, "the policy's alarm");
    cw_alarm_arn(ctx, name, alarm_arn, sizeof(alarm_arn));
    json_array_append_new(alarms, json_pack("{s:s, s:s}", "AlarmName", name, "AlarmARN", alarm_arn));
    return 0;
}

static int delete_alarms(struct op_ctx *ctx, json_t *policy, struct error *err)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(policy, "Alarms"), i, a) {
        if (cw_alarm_delete(ctx, json_string_value(json_object_get(a, "AlarmName")), err) < 0)
            return -1;
    }
    return 0;
}

static int check_steps(json_t *step, struct error *err)
{
    json_t *adjs = json_object_get(step, "StepAdjustments");
    if (!json_object_get(step, "AdjustmentType") || json_array_size(adjs) == 0)
        return error_set(err, AS_ERR_VALIDATION,
                         "StepScalingPolicyConfiguration needs an AdjustmentType and StepAdjustments.");
    size_t i, j, open_low = 0, open_high = 0;
    json_t *a, *b;
    json_array_foreach(adjs, i, a) {
        json_t *lo = json_object_get(a, "MetricIntervalLowerBound"),
               *hi = json_object_get(a, "MetricIntervalUpperBound");
        open_low += !lo;
        open_high += !hi;
        if (lo && hi && json_number_value(lo) >= json_number_value(hi))
            return error_set(err, AS_ERR_VALIDATION, "The upper bound of a step must be greater than its lower bound.");
        json_array_foreach(adjs, j, b) {
            json_t *lo2 = json_object_get(b, "MetricIntervalLowerBound");
            json_t *hi2 = json_object_get(b, "MetricIntervalUpperBound");
            bool apart = (hi && lo2 && json_number_value(hi) <= json_number_value(lo2)) ||
                         (hi2 && lo && json_number_value(hi2) <= json_number_value(lo));
            if (j != i && !apart)
                return error_set(err, AS_ERR_VALIDATION, "Step adjustments may not overlap.");
        }
    }
    if (open_low > 1 || open_high > 1)
        return error_set(err, AS_ERR_VALIDATION,
                         "At most one step may have a null lower bound and at most one a null upper bound.");
    return 0;
}

static int check_policy(json_t *in, const char *type, struct error *err)
{
    json_t *step = json_object_get(in, "StepScalingPolicyConfiguration");
    json_t *tt = json_object_get(in, "TargetTrackingScalingPolicyConfiguration");
    if (strcmp(type, "PredictiveScaling") == 0 || json_object_get(in, "PredictiveScalingPolicyConfiguration"))
        return error_set(err, AS_ERR_VALIDATION, "berth does not implement predictive scaling.");
    if (strcmp(type, "StepScaling") == 0) {
        if (!step || tt)
            return error_set(err, AS_ERR_VALIDATION,
                             "A StepScaling policy takes a StepScalingPolicyConfiguration (and no "
                             "TargetTrackingScalingPolicyConfiguration).");
        return check_steps(step, err);
    }
    if (strcmp(type, "TargetTrackingScaling") != 0)
        return error_set(err, AS_ERR_VALIDATION, "Unsupported policy type %.64s.", type);
    if (!tt || step)
        return error_set(err, AS_ERR_VALIDATION,
                         "A TargetTrackingScaling policy takes a TargetTrackingScalingPolicyConfiguration (and no "
                         "StepScalingPolicyConfiguration).");
    return 0;
}

static json_t *new_policy(struct op_ctx *ctx, json_t *in, const char *type, json_t *old, struct error *err)
{
    char uuid[37], arn[1200];
    const char *name = json_string_value(json_object_get(in, "PolicyName"));
    if (ids_uuid(uuid) < 0) {
        error_set(err, ERR_SYSTEM, "no random bytes for a policy id");
        return NULL;
    }
    snprintf(arn, sizeof(arn), "arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/ecs/%s:policyName/%s", ctx->region,
             ctx->account, uuid, json_string_value(json_object_get(in, "ResourceId")), name);
    json_t *arn_v = old ? json_incref(json_object_get(old, "PolicyARN")) : json_string(arn);
    json_t *created =
        old ? json_incref(json_object_get(old, "CreationTime")) : json_real(time_to_epoch_seconds(ctx->now));
    json_t *p =
        json_pack("{s:o, s:s, s:s, s:O, s:s, s:s, s:O*, s:O*, s:[], s:o}", "PolicyARN", arn_v, "PolicyName", name,
                  "ServiceNamespace", AS_NAMESPACE, "ResourceId", json_object_get(in, "ResourceId"),
                  "ScalableDimension", AS_DIMENSION, "PolicyType", type, "StepScalingPolicyConfiguration",
                  json_object_get(in, "StepScalingPolicyConfiguration"), "TargetTrackingScalingPolicyConfiguration",
                  json_object_get(in, "TargetTrackingScalingPolicyConfiguration"), "Alarms", "CreationTime", created);
    if (!p)
        error_set(err, ERR_INTERNAL, "out of memory");
    return p;
}

API_ACTION(as_put_scaling_policy)
{
    char cluster[256], service[256], tid[700], pid[1000];
    const char *type = json_string_value(json_object_get(in, "PolicyType")) ?: "StepScaling";
    if (as_check_resource(in, cluster, service, err) < 0 || check_policy(in, type, err) < 0)
        return -1;
    as_doc_id(in, NULL, tid, sizeof(tid));
    as_doc_id(in, json_string_value(json_object_get(in, "PolicyName")), pid, sizeof(pid));
    _cleanup_json_ json_t *target = NULL, *old = NULL;
    int r = store_doc_get(ctx->tx, AS_TARGET, ctx->region, tid, &target, err);
    if (r <= 0)
        return r < 0 ? -1 : not_found_target(in, err);
    if (store_doc_get(ctx->tx, AS_POLICY, ctx->region, pid, &old, err) < 0)
        return -1;
    if (old && delete_alarms(ctx, old, err) < 0)
        return -1;
    _cleanup_json_ json_t *policy = new_policy(ctx, in, type, old, err);
    if (!policy)
        return -1;
    json_t *alarms = json_object_get(policy, "Alarms");
    if (strcmp(type, "TargetTrackingScaling") == 0) {
        bool no_in = json_is_true(
            json_object_get(json_object_get(in, "TargetTrackingScalingPolicyConfiguration"), "DisableScaleIn"));
        if (tt_alarm(ctx, in, policy, true, alarms, err) < 0 ||
            (!no_in && tt_alarm(ctx, in, policy, false, alarms, err) < 0))
            return -1;
    }
    if (store_doc_put(ctx->tx, AS_POLICY, ctx->region, pid, policy, err) < 0)
        return -1;
    json_object_set(out, "PolicyARN", json_object_get(policy, "PolicyARN"));
    if (strcmp(type, "TargetTrackingScaling") == 0)
        json_object_set(out, "Alarms", alarms);
    return 0;
}

API_ACTION(as_describe_scaling_policies)
{
    static const char *const keys[2] = {"PolicyNames", "PolicyName"};
    return as_describe(ctx, in, AS_POLICY, as_match_named, keys, POLICIES_PAGE, "ScalingPolicies", out, err);
}

API_ACTION(as_delete_scaling_policy)
{
    (void)out;
    char cluster[256], service[256], pid[1000];
    if (as_check_resource(in, cluster, service, err) < 0)
        return -1;
    as_doc_id(in, json_string_value(json_object_get(in, "PolicyName")), pid, sizeof(pid));
    _cleanup_json_ json_t *policy = NULL;
    int r = store_doc_get(ctx->tx, AS_POLICY, ctx->region, pid, &policy, err);
    if (r <= 0)
        return r < 0 ? -1
                     : error_set(err, AS_ERR_NOT_FOUND,
                                 "No scaling policy found for service namespace: ecs, resource ID: %s, scalable "
                                 "dimension: %s, policy name: %s",
                                 json_string_value(json_object_get(in, "ResourceId")), AS_DIMENSION,
                                 json_string_value(json_object_get(in, "PolicyName")));
    if (delete_alarms(ctx, policy, err) < 0)
        return -1;
    return store_doc_delete(ctx->tx, AS_POLICY, ctx->region, pid, err);
}

static int collect(const char *region, json_t *doc, void *ud, struct error *err)
{
    (void)region;
    if (json_array_append(ud, doc) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int as_policies_delete_all(struct op_ctx *ctx, json_t *in, struct error *err)
{
    char prefix[700];
    as_doc_id(in, NULL, prefix, sizeof(prefix));
    snprintf(prefix + strlen(prefix), sizeof(prefix) - strlen(prefix), "|");
    _cleanup_json_ json_t *all = json_array();
    if (!all)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_doc_each(ctx->tx, AS_POLICY, ctx->region, NULL, prefix, collect, all, err) < 0)
        return -1;
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p) {
        char pid[1000];
        as_doc_id(p, json_string_value(json_object_get(p, "PolicyName")), pid, sizeof(pid));
        if (delete_alarms(ctx, p, err) < 0 || store_doc_delete(ctx->tx, AS_POLICY, ctx->region, pid, err) < 0)
            return -1;
    }
    return 0;
}
