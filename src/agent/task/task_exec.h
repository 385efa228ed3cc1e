/* task_exec.h - ECS Exec on the agent: a session the server handed over
 * in a PollTasks answer (execSessions) runs its command in the task's
 * container and carries its stdio over a WebSocket to the server.
 *
 * The frames between the agent and `berth exec` are PROTO_EXEC_* (common/proto.h). */
#pragma once

#include <jansson.h>

#include "agent/task/runner.h"

/* Start session (one member of execSessions) in a thread of its own;
 * refused (logged) past LIMIT_EXEC_RUNNING. */
void task_exec_start(struct runner_env *env, json_t *session);
/* At shutdown: end the running sessions' commands and wait for them. */
void task_exec_stop_all(struct runner_env *env);
