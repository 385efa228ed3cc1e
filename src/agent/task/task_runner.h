/* task_runner.h - a task runner's life: made from the task the server
 * sent (or found on disk), run in a thread of its own, freed once joined. */
#pragma once

#include "agent/task/runner.h"

/* A runner for `task` (referenced, not copied) with its containers in
 * PENDING; adopt: found on disk after an agent restart.  NULL when the
 * task is malformed (no task id, a container without a name) or memory
 * ran out. */
struct task_runner *task_runner_new(struct runner_env *env, struct agent_instance *inst, json_t *task, bool adopt);

/* Add t to env's runners and start its thread, which drives the task to
 * its end (or until the agent shuts down).  Joined and freed by the
 * engine at shutdown. */
void task_runner_launch(struct task_runner *t);

/* Free a runner whose thread is joined or never ran. */
void task_runner_free(struct task_runner *t);
