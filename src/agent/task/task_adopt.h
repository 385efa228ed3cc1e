/* task_adopt.h - tasks a previous agent left on this host, taken over
 * after a restart. */
#pragma once

#include "agent/task/runner.h"

/* Make and launch a runner for each task record in DATA/tasks/: watch
 * what conmon kept running, report what exited meanwhile, finish what was
 * starting. */
void task_adopt_all(struct runner_env *env, struct agent_instance *inst);
