/* task_stop.h - the end of a task on this host: its containers stopped,
 * then everything it left removed. */
#pragma once

#include "agent/task/runner.h"

/* Stop the running containers in reverse definition order (each with its
 * stopSignal, then SIGKILL after its stopTimeout). */
void task_stop_containers(struct task_runner *t);

/* Remove what the task left: log drivers drained and container output
 * kept in DATA/logs/<task-id>/, runtime state, the task cgroup, the
 * network and the task's directory (its record and task-scoped volumes). */
void task_stop_cleanup(struct task_runner *t);
