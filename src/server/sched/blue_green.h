/* blue_green.h - the service scheduler's round for a deployment with the
 * BLUE_GREEN strategy (ECS's native blue/green deployments behind an
 * application load balancer).  Called from reconcile.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct round;
struct service_task;

/* Whether the round of r is a blue/green one: the service's strategy is
 * BLUE_GREEN and a new deployment replaces older ones.  A service with a
 * single deployment scales as a rolling one does. */
bool blue_green_applies(struct round *r);
/* One round of the deployment's lifecycle over the service's n tasks:
 * RECONCILE_SERVICE (only when more than one revision was active),
 * PRE_SCALE_UP, SCALE_UP (the new revision's tasks start in the alternate
 * target group and must pass its health checks), TEST_TRAFFIC_SHIFT and
 * PRODUCTION_TRAFFIC_SHIFT (the listener rules' weights move to that
 * group), BAKE_TIME, CLEAN_UP (the old tasks drain and stop), each stage
 * shown as the service deployment's lifecycleStage.  A PAUSE lifecycle
 * hook holds the deployment at its stage until ContinueServiceDeployment
 * (deploy_hooks.h) or its timeout.  A failed deployment sends the
 * production traffic back to the old tasks. */
int blue_green_round(struct round *r, struct service_task *tasks, size_t n, struct error *err);
