/* task_logs.h - the task runner's hooks into a container's log driver
 * (logship.h) and the container's kept output. */
#pragma once

#include "agent/task/runner.h"

/* Check the container's logConfiguration options before it starts. */
int task_logs_check(struct runner_ctr *c, struct error *err);
/* Start the container's log driver (after it started, or was adopted). */
void task_logs_start(struct task_runner *t, struct runner_ctr *c);
/* Stop it without draining (agent shutdown: the next agent resumes). */
void task_logs_detach(struct runner_ctr *c);
/* Ship what its log still holds, then stop it (the container has exited). */
void task_logs_drain(struct runner_ctr *c);
/* Drain and stop it (if not done yet), then move conmon's log into logs_dir (or discard it
 * for the "none" driver).  Before the container is deleted. */
void task_logs_finish(struct task_runner *t, struct runner_ctr *c, const char *logs_dir);
/* Append file src to dst (made if missing): a restarted container's
 * earlier output, kept as DATA/logs/<task-id>/<container>.log. */
void task_logs_append(const char *src, const char *dst);
