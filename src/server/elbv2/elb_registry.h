/* elb_registry.h - what ECS asks of ELB for a service's loadBalancers:
 * keep a task's endpoint registered in a target group (elb_targets.c),
 * and, for blue/green deployments, read and shift the weights of a
 * listener rule's forward action (elb_rules.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"

/* Register (want) or deregister target (id, port) of the group tg_arn, in
 * the caller's transaction; address is where the proxy reaches it.  A
 * deregistered target drains for the group's delay: *ret_drain_until is
 * when it ends (epoch seconds; 0 when it left at once or was not there).
 * A group deleted meanwhile is skipped (0). */
int elb_registry_set(struct op_ctx *ctx, const char *tg_arn, const char *id, long port, const char *address, bool want,
                     double *ret_drain_until, struct error *err);

/* Whether a listener or rule of a load balancer forwards to tg_arn (false
 * also when it cannot be read). */
bool elb_target_group_has_lb(struct op_ctx *ctx, const char *tg_arn, struct error *err);

/* The target groups the forward action of rule_arn (a rule or a listener's
 * default rule) names, in a new array; NULL with InvalidParameter when the
 * rule cannot be found or does not forward. */
json_t *elb_registry_rule_groups(struct op_ctx *ctx, const char *rule_arn, struct error *err);
/* Shift all the traffic of rule_arn's forward action to tg_arn: its weight
 * becomes 1, every other group's 0 (the groups stay named, so the proxy
 * keeps checking their targets' health).  1 when the rule changed, 0 when
 * it already sent everything there; -1 when the rule is gone or does not
 * name tg_arn. */
int elb_registry_shift(struct op_ctx *ctx, const char *rule_arn, const char *tg_arn, struct error *err);
/* Split rule_arn's traffic: permille (0 to 1000) of it to to_tg, the rest
 * to from_tg (NULL: none), every other group 0, with the smallest weights
 * in that ratio (ELB weights are 0 to 999).  Returns as
 * elb_registry_shift(), which is the split of 1000 to tg_arn. */
int elb_registry_split(struct op_ctx *ctx, const char *rule_arn, const char *from_tg, const char *to_tg, int permille,
                       struct error *err);
