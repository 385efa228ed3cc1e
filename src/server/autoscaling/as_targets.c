/* as_targets.c - RegisterScalableTarget, DescribeScalableTargets,
 * DeregisterScalableTarget and DescribeScalingActivities.  A target is an
 * ECS service's desired count between MinCapacity and MaxCapacity;
 * registering (or changing) the range moves a desired count outside it
 * inside, as an activity says. */
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/autoscaling/autoscaling.h"
#include "server/ecs/service_scale.h"
#include "server/store/store_docs.h"

#define TARGETS_PAGE 50
#define ACTIVITIES_PAGE 50

static json_t *new_target(struct op_ctx *ctx, json_t *in, struct error *err)
{
    char hex[37], arn[256], role[300];
    if (ids_random_hex(hex, 18) < 0) {
        error_set(err, ERR_SYSTEM, "no random bytes for a target id");
        return NULL;
    }
    snprintf(arn, sizeof(arn), "arn:aws:application-autoscaling:%s:%s:scalable-target/%s", ctx->region, ctx->account,
             hex);
    snprintf(role, sizeof(role),
             "arn:aws:iam::%s:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
             "AWSServiceRoleForApplicationAutoScaling_ECSService",
             ctx->account);
    json_t *t =
        json_pack("{s:s, s:O, s:s, s:s, s:f, s:{s:b, s:b, s:b}, s:s}", "ServiceNamespace", AS_NAMESPACE, "ResourceId",
                  json_object_get(in, "ResourceId"), "ScalableDimension", AS_DIMENSION, "RoleARN", role, "CreationTime",
                  time_to_epoch_seconds(ctx->now), "SuspendedState", "DynamicScalingInSuspended", 0,
                  "DynamicScalingOutSuspended", 0, "ScheduledScalingSuspended", 0, "ScalableTargetARN", arn);
    if (!t)
        error_set(err, ERR_INTERNAL, "out of memory");
    return t;
}

int as_clamp_desired(struct op_ctx *ctx, json_t *target, const char *cluster, const char *service, const char *why,
                     struct error *err)
{
    int64_t current, min = json_integer_value(json_object_get(target, "MinCapacity"));
    int64_t max = json_integer_value(json_object_get(target, "MaxCapacity"));
    int r = ecs_service_scale(ctx->tx, ctx->region, cluster, service, -1, ctx->now, &current, err);
    if (r <= 0)
        return r;
    int64_t want = current < min ? min : current > max ? max : current;
    if (want == current)
        return 0;
    if (ecs_service_scale(ctx->tx, ctx->region, cluster, service, want, ctx->now, NULL, err) < 0)
        return -1;
    char desc[96], cause[400], msg[160];
    snprintf(desc, sizeof(desc), "Setting desired count to %lld.", (long long)want);
    if (why)
        snprintf(cause, sizeof(cause), "%s", why);
    else
        snprintf(cause, sizeof(cause), "%s capacity was set to %lld", current < min ? "minimum" : "maximum",
                 (long long)(current < min ? min : max));
    snprintf(msg, sizeof(msg), "Successfully set desired count to %lld. Change successfully fulfilled by ecs.",
             (long long)want);
    return as_activity(ctx->tx, ctx->region, json_string_value(json_object_get(target, "ResourceId")), ctx->now, desc,
                       cause, "Successful", msg, err);
}

static int apply_range(json_t *in, json_t *target, struct error *err)
{
    static const char *const copied[] = {"MinCapacity", "MaxCapacity"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++)
        if (json_object_get(in, copied[i]))
            json_object_set(target, copied[i], json_object_get(in, copied[i]));
    json_t *given = json_object_get(in, "SuspendedState");
    const char *k;
    json_t *v;
    json_object_foreach(given, k, v)
        json_object_set(json_object_get(target, "SuspendedState"), k, v);
    if (!json_object_get(target, "MinCapacity") || !json_object_get(target, "MaxCapacity"))
        return error_set(err, AS_ERR_VALIDATION,
                         "MinCapacity and MaxCapacity are required to register a new scalable target.");
    if (json_integer_value(json_object_get(target, "MinCapacity")) >
        json_integer_value(json_object_get(target, "MaxCapacity")))
        return error_set(err, AS_ERR_VALIDATION, "Minimum capacity cannot be greater than maximum capacity");
    return 0;
}

API_ACTION(as_register_scalable_target)
{
    char cluster[256], service[256], id[700];
    if (as_check_resource(in, cluster, service, err) < 0)
        return -1;
    if (json_array_size(json_object_get(in, "Tags")) || json_object_size(json_object_get(in, "Tags")))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth does not implement tags on scalable targets.");
    int found = ecs_service_scale(ctx->tx, ctx->region, cluster, service, -1, ctx->now, NULL, err);
    if (found < 0)
        return -1;
    if (found == 0)
        return error_set(err, AS_ERR_VALIDATION, "ECS service doesn't exist: %s",
                         json_string_value(json_object_get(in, "ResourceId")));
    as_doc_id(in, NULL, id, sizeof(id));
    _cleanup_json_ json_t *target = NULL;
    if (store_doc_get(ctx->tx, AS_TARGET, ctx->region, id, &target, err) < 0)
        return -1;
    if (!target && !(target = new_target(ctx, in, err)))
        return -1;
    if (apply_range(in, target, err) < 0 || store_doc_put(ctx->tx, AS_TARGET, ctx->region, id, target, err) < 0 ||
        as_clamp_desired(ctx, target, cluster, service, NULL, err) < 0)
        return -1;
    json_object_set(out, "ScalableTargetARN", json_object_get(target, "ScalableTargetARN"));
    return 0;
}

struct listing {
    json_t *in, *all;
};

static bool matches(json_t *in, json_t *doc, const void *ud)
{
    (void)ud;
    json_t *ids = json_object_get(in, "ResourceIds");
    const char *dim = json_string_value(json_object_get(in, "ScalableDimension"));
    if (dim && strcmp(dim, json_string_value(json_object_get(doc, "ScalableDimension"))) != 0)
        return false;
    if (!ids)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        if (json_equal(v, json_object_get(doc, "ResourceId")))
            return true;
    }
    return false;
}

API_ACTION(as_describe_scalable_targets)
{
    return as_describe(ctx, in, AS_TARGET, matches, NULL, TARGETS_PAGE, "ScalableTargets", out, err);
}

API_ACTION(as_deregister_scalable_target)
{
    (void)out;
    char cluster[256], service[256], id[700];
    if (as_check_resource(in, cluster, service, err) < 0)
        return -1;
    as_doc_id(in, NULL, id, sizeof(id));
    _cleanup_json_ json_t *target = NULL;
    int r = store_doc_get(ctx->tx, AS_TARGET, ctx->region, id, &target, err);
    if (r <= 0)
        return r < 0 ? -1
                     : error_set(err, AS_ERR_NOT_FOUND,
                                 "No scalable target registered for service namespace: ecs, "
                                 "resource ID: %s, scalable dimension: %s",
                                 json_string_value(json_object_get(in, "ResourceId")), AS_DIMENSION);
    if (as_policies_delete_all(ctx, in, err) < 0 || as_scheduled_delete_all(ctx, in, err) < 0)
        return -1;
    return store_doc_delete(ctx->tx, AS_TARGET, ctx->region, id, err);
}

static int add_activity(int64_t seq, json_t *doc, void *ud, struct error *err)
{
    (void)seq;
    struct listing *l = ud;
    if (!matches(l->in, doc, NULL))
        return 0;
    if (json_array_append(l->all, doc) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

API_ACTION(as_describe_scaling_activities)
{
    char cluster[256], service[256];
    if (as_check_resource(in, cluster, service, err) < 0)
        return -1;
    if (json_is_true(json_object_get(in, "IncludeNotScaledActivities")))
        return error_set(err, AS_ERR_VALIDATION,
                         "berth does not record not-scaled activities: IncludeNotScaledActivities must be false.");
    _cleanup_json_ json_t *all = json_array();
    struct listing l = {in, all};
    if (!all)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_doc_events(ctx->tx, AS_ACTIVITY, ctx->region, json_string_value(json_object_get(in, "ResourceId")), 0,
                         add_activity, &l, err) < 0)
        return -1;
    return as_page(in, all, ACTIVITIES_PAGE, "ScalingActivities", out, err);
}
