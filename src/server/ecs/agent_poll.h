/* agent_poll.h - BerthAgent.PollTasks, the agent's long-poll for its tasks. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

int action_berth_poll_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
