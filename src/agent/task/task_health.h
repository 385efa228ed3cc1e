/* task_health.h - a task's health checks: each container's check runs in
 * health.c; this side says when a check must end and, when one changes,
 * reports the task's health to the server. */
#pragma once

#include "agent/task/runner.h"

/* Start health checking a running container (if its definition has one). */
void task_health_start(struct runner_ctr *c);
/* Stop and join a container's health check thread. */
void task_health_stop(struct runner_ctr *c);
