/* as_service.c - Application Auto Scaling's model, action table (sorted
 * by name for the dispatcher's binary search) and exception names.
 * Tags and predictive scaling forecasts answer that berth does not
 * implement them. */
#include "server/autoscaling/as_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/autoscaling/as_authz.h"
#include "server/autoscaling/autoscaling.h"
#include "server/http/service_model.h"

/* The embedded model (model.S). */
extern const char berth_model_autoscaling[], berth_model_autoscaling_end[];

static const struct api_action as_actions[] = {
    {"DeleteScalingPolicy", as_delete_scaling_policy, API_WRITE},
    {"DeleteScheduledAction", as_delete_scheduled_action, API_WRITE},
    {"DeregisterScalableTarget", as_deregister_scalable_target, API_WRITE},
    {"DescribeScalableTargets", as_describe_scalable_targets, API_READ},
    {"DescribeScalingActivities", as_describe_scaling_activities, API_READ},
    {"DescribeScalingPolicies", as_describe_scaling_policies, API_READ},
    {"DescribeScheduledActions", as_describe_scheduled_actions, API_READ},
    {"PutScalingPolicy", as_put_scaling_policy, API_WRITE},
    {"PutScheduledAction", as_put_scheduled_action, API_WRITE},
    {"RegisterScalableTarget", as_register_scalable_target, API_WRITE},
};

static const struct api_error as_errors[] = {
    {ERR_INTERNAL, "InternalServiceException", 500},
    {ERR_SYSTEM, "InternalServiceException", 500},
    {ERR_IO, "InternalServiceException", 500},
    {ERR_INVALID, "ValidationException", 400},
    {ERR_LIMIT, "LimitExceededException", 400},
    {API_ERR_UNSUPPORTED_FEATURE, "ValidationException", 400},
    {AS_ERR_VALIDATION, "ValidationException", 400},
    {AS_ERR_NOT_FOUND, "ObjectNotFoundException", 400},
    {AS_ERR_INVALID_NEXT_TOKEN, "InvalidNextTokenException", 400},
};

int autoscaling_service_new(struct autoscaling_service **ret, struct error *err)
{
    struct autoscaling_service *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    s->time_scale = 1;
    /* The size excludes the NUL model.S appends. */
    if (service_model_load(berth_model_autoscaling, (size_t)(berth_model_autoscaling_end - berth_model_autoscaling) - 1,
                           &s->model, err) < 0) {
        free(s);
        return error_prefix(err, "application auto scaling model");
    }
    *ret = s;
    return 0;
}

void autoscaling_service_free(struct autoscaling_service *s)
{
    if (!s)
        return;
    service_model_free(s->model);
    free(s);
}

struct api_service autoscaling_service_api(struct autoscaling_service *s)
{
    size_t nrules;
    const struct authz_rule *rules = as_authz_rules(&nrules);
    return (struct api_service){
        .target_prefix = service_model_target_prefix(s->model),
        .model = s->model,
        .actions = as_actions,
        .nactions = ELEMENTSOF(as_actions),
        .state = s,
        .authz = rules,
        .nauthz = nrules,
        .errors = as_errors,
        .nerrors = ELEMENTSOF(as_errors),
    };
}
