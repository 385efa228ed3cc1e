/* task_metrics.h - BerthAgent.ReportMetrics: a task's cgroup sample
 * published as ECS's AWS/ECS CloudWatch metrics. */
#pragma once

#include "server/http/api.h"

API_ACTION(action_berth_report_metrics);
