/* task_protection.h - task scale-in protection: ECS's UpdateTaskProtection
 * and GetTaskProtection, berth's agent call behind the task endpoint's
 * $ECS_AGENT_URI/task-protection/v1/state, and the question the service
 * scheduler asks before it stops a task for scale-in or a deployment. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/timeutil.h"
#include "server/http/api.h"

/* ECS's bounds and default for expiresInMinutes. */
#define TASK_PROTECTION_MIN_MINUTES 1
#define TASK_PROTECTION_MAX_MINUTES 2880
#define TASK_PROTECTION_DEFAULT_MINUTES 120

/* Whether a task whose protection runs until until_ms (epoch milliseconds)
 * is protected at `now`. */
bool task_protection_active(int64_t until_ms, usec_t now);

API_ACTION(action_update_task_protection);
API_ACTION(action_get_task_protection);
/* BerthAgent.TaskProtection {cluster, task, protectionEnabled?,
 * expiresInMinutes?}: the agent asks for one of its own tasks (the task
 * endpoint's GET without protectionEnabled, PUT with it); the answer is
 * UpdateTaskProtection's. */
API_ACTION(action_berth_task_protection);
