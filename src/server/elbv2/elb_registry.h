/* elb_registry.h - what ECS asks of ELB for a service's loadBalancers:
 * keep a task's endpoint registered in a target group (elb_targets.c). */
#pragma once

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
