/* agent_register.h - how a berth agent joins: BerthAgent_20261122.
 * RegisterContainerInstance, ECS's RegisterContainerInstance plus two
 * things ECS's own agent gets from EC2 instead:
 *
 *   in:  the members of ECS's RegisterContainerInstanceRequest, plus
 *        registrationToken (a cluster registration token; the request may
 *        then come unsigned)
 *   out: {containerInstance, credentials?: {accessKeyId, secretAccessKey}}
 *
 * Who may register: a token holder (a new instance of the token's cluster),
 * root or an IAM identity allowed ecs:RegisterContainerInstance on the
 * cluster (a new instance, or any instance again), or an instance
 * principal (itself again, by its containerInstanceArn).  A new
 * registration, or one by root or an IAM identity, gets fresh credentials
 * whose principal is the instance's ARN, replacing any it had; an instance
 * re-registering itself keeps the ones it signs with. */
#pragma once

#include "server/http/api.h"

API_ACTION(action_berth_register_container_instance);

/* 0 if the caller may perform action ("ecs:CreateRegistrationToken") on
 * resource: root, or an identity whose policies allow it; never an
 * instance principal or an unsigned caller.  Else -1 with
 * AccessDeniedException. */
int agent_register_authorize(struct op_ctx *ctx, const char *action, const char *resource, struct error *err);

/* Delete every access key issued to the instance instance_arn (it was
 * deregistered): its agent can no longer sign. */
int agent_register_forget(struct op_ctx *ctx, const char *instance_arn, struct error *err);
