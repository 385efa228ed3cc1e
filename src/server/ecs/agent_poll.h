/* agent_poll.h - BerthAgent.PollTasks, the agent's long-poll for its tasks. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

API_ACTION(action_berth_poll_tasks);
