/* task_report.h - what a task runner tells the server about its task's
 * status: SubmitTaskStateChange with every container's state. */
#pragma once

#include <jansson.h>

#include "common/task_status.h"
#include "agent/task/runner.h"

/* Queue the task's status (reason may be NULL) with its containers'
 * states; extra (owned, may be NULL) adds members such as pullStartedAt. */
void task_report(struct task_runner *t, enum task_status status, const char *reason, json_t *extra);
