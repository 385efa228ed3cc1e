/* task_persist.h - the task record (DATA/tasks/<task-id>/task.json) a
 * restarted agent adopts the task from. */
#pragma once

#include "agent/task/runner.h"

/* Write the record: the task, its instance, the endpoint's ids and the
 * containers' restart counts (rewritten at each restart).  Written to the page cache, which a crashed agent's
 * successor sees; made durable by task_persist_sync. */
int task_persist_write(struct task_runner *t, struct error *err);

/* fsync task.json, its directory and the tasks directory, so that the
 * record survives a power cut once a container exists.  A thread's body
 * (arg: the struct task_runner); failures are logged. */
void *task_persist_sync(void *arg);
