/* ecs_limits.h - bounds particular to ECS requests and the agent protocol. */
#pragma once

#include "common/limits.h"

/* ECS's documented limit for a task definition's JSON. */
#define LIMIT_TASKDEF_BYTES (64u * 1024)

/* Tasks one bulk PollTasks (agentId: all of a hollow agent's instances)
 * returns; the agent asks again from the last seq for the rest. */
#define POLL_BULK_MAX_TASKS 1000
