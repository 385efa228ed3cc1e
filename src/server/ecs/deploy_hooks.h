/* deploy_hooks.h - deployment lifecycle hooks
 * (deploymentConfiguration.lifecycleHooks) as berth runs them: PAUSE hooks
 * only (berth has no AWS Lambda to invoke), and ContinueServiceDeployment,
 * which resumes or rolls back a deployment paused at one.  The scheduler
 * pauses (sched/blue_green.c); this module checks the configuration and
 * answers the API. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

/* Default and bounds of timeoutConfiguration (the API reference's). */
#define DEPLOY_HOOK_TIMEOUT_DEFAULT_MINUTES 1440

/* deploymentConfiguration.lifecycleHooks (hooks may be NULL): each hook
 * of targetType PAUSE (AWS_LAMBDA, also the default, is refused), no
 * hookTargetArn, at least one stage, no stage paused twice.  -1 with
 * InvalidParameterException. */
int deploy_hooks_check(json_t *hooks, struct error *err);

API_ACTION(action_continue_service_deployment);
