/* task_metrics.h - the agent's metrics sampler: a thread that reads each
 * running task's cgroup every metrics_interval_sec and reports what it
 * used (BerthAgent.ReportMetrics, batched with the other reports). */
#pragma once

#include "agent/task/runner.h"

/* Start the sampler (nothing when the interval is 0); 0 or -1. */
int task_metrics_start(struct runner_env *env, struct error *err);
/* Stop and join it; before the runners are freed. */
void task_metrics_stop(struct runner_env *env);
