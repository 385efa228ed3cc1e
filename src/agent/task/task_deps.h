/* task_deps.h - whether a container's dependsOn conditions hold. */
#pragma once

#include "agent/task/runner.h"

enum task_dep { TASK_DEP_WAIT, TASK_DEP_MET, TASK_DEP_FAILED };

/* START, COMPLETE, SUCCESS and HEALTHY, over the task's other containers.
 * TASK_DEP_FAILED (one can never hold) writes why into why[cap]. */
enum task_dep task_deps_state(struct task_runner *t, struct runner_ctr *c, char *why, size_t cap);
