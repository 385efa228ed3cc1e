/* scheduler.h - the service scheduler's pass over every live service, run
 * by a background job (background.h) whenever a write commits and at least
 * every SCHEDULER_TICK (backoff deadlines, grace periods, agents that go
 * quiet), resting after a pass as long as it took. */
#pragma once

#include "common/timeutil.h"
#include "server/sched/reconcile.h"

#define SCHEDULER_TICK USEC_PER_SEC

struct changes;

struct scheduler {
    struct reconcile_env env;
    struct changes *changes; /* told when a pass changed anything */
};

/* One pass; arg is a struct scheduler. */
void scheduler_round(void *arg);
