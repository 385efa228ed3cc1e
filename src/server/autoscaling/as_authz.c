/* as_authz.c - what each Application Auto Scaling action asks of IAM:
 * application-autoscaling:<Action> on "*" (berth names no scalable-target
 * resources in policies yet). */
#include "server/autoscaling/as_authz.h"

#include "common/cleanup.h"
#include "server/http/authz.h"

/* Sorted by name as as_service.c's table. */
static const struct authz_rule as_rules[] = {
    {"DeleteScalingPolicy", "application-autoscaling:DeleteScalingPolicy", NULL, NULL, false},
    {"DeleteScheduledAction", "application-autoscaling:DeleteScheduledAction", NULL, NULL, false},
    {"DeregisterScalableTarget", "application-autoscaling:DeregisterScalableTarget", NULL, NULL, false},
    {"DescribeScalableTargets", "application-autoscaling:DescribeScalableTargets", NULL, NULL, false},
    {"DescribeScalingActivities", "application-autoscaling:DescribeScalingActivities", NULL, NULL, false},
    {"DescribeScalingPolicies", "application-autoscaling:DescribeScalingPolicies", NULL, NULL, false},
    {"DescribeScheduledActions", "application-autoscaling:DescribeScheduledActions", NULL, NULL, false},
    {"PutScalingPolicy", "application-autoscaling:PutScalingPolicy", NULL, NULL, false},
    {"PutScheduledAction", "application-autoscaling:PutScheduledAction", NULL, NULL, false},
    {"RegisterScalableTarget", "application-autoscaling:RegisterScalableTarget", NULL, NULL, false},
};

const struct authz_rule *as_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(as_rules);
    return as_rules;
}
