/* taskset_round.h - the service scheduler's round for a service with the
 * EXTERNAL deployment controller: its task sets instead of deployments. */
#pragma once

#include "server/sched/reconcile_ops.h"

/* Keep each task set of r's service at its computedDesiredCount (scale
 * percent of desiredCount, rounded up; 0 once DRAINING), set its
 * stabilityStatus, drop DRAINING task sets whose tasks are gone, and stop
 * tasks that belong to no task set.  tasks: the service's tasks not STOPPED. */
int taskset_round(struct round *r, struct service_task *tasks, size_t n, struct error *err);
