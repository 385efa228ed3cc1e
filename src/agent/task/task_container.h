/* task_container.h - starting one container of a task: image config,
 * OCI spec, /etc files, then the runtime (runtime_run). */
#pragma once

#include "agent/task/runner.h"
#include "agent/task/task_volumes.h"

/* Create and start c (its image pulled, the task's host side ready).  On
 * failure nothing of it is left in the runtime.  Marks MARK_CREATED and
 * MARK_STARTED as it gets there. */
int task_container_start(struct task_runner *t, struct runner_ctr *c, const struct task_volumes *vols,
                         struct error *err);
