/* task_credentials.h - BerthAgent.GetTaskCredentials: temporary credentials
 * for a task's execution role, to the agent running the task. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

API_ACTION(action_berth_get_task_credentials);
