/* deploy_math.h - the arithmetic of ECS rolling deployments: the bounds that
 * minimumHealthyPercent and maximumPercent put on a service's tasks, the
 * circuit breaker's failure threshold, the task launch backoff, and how many
 * tasks one scheduler round starts and stops.  Pure: no storage, no JSON. */
#pragma once

#include <stdbool.h>

#include "common/timeutil.h"

/* The fewest healthy tasks a deployment may leave running:
 * ceil(desired * percent / 100), as ECS rounds it up. */
int deploy_min_healthy(int desired, int percent);
/* The most tasks (running, pending and stopping) a deployment may have:
 * floor(desired * percent / 100), as ECS rounds it down, never below
 * `desired` when percent >= 100. */
int deploy_max_tasks(int desired, int percent);
/* Failed tasks that trip the circuit breaker: 0.5 * desired, at least 3 and
 * at most 200 (ECS's documented bounds). */
int deploy_breaker_threshold(int desired);
/* How long to wait before launching again after `rounds` consecutive rounds
 * that ended in failed tasks: 0 for none, then 1 s doubling to 60 s. */
usec_t deploy_backoff(int rounds);

/* A service's tasks as one scheduler round sees them.  "Live" tasks are
 * wanted RUNNING; "old" ones belong to an earlier deployment or sit on a
 * draining instance and must eventually go. */
struct deploy_counts {
    int desired;
    int min_healthy_percent;
    int max_percent;
    int primary_live;
    int primary_healthy;
    int old_live;
    int old_healthy;
    int stopping;   /* asked to stop, not yet STOPPED: still occupy capacity */
    bool can_start; /* the primary deployment may launch (not FAILED, not backing off) */
};

struct deploy_plan {
    int start;        /* primary tasks to launch */
    int stop_primary; /* primary tasks beyond desired (scale-in) */
    int stop_old;     /* old tasks to stop, the not-healthy ones first */
};

void deploy_plan_round(const struct deploy_counts *c, struct deploy_plan *ret_plan);
/* Steady: the primary has exactly `desired` healthy tasks and nothing else runs. */
bool deploy_is_steady(const struct deploy_counts *c);
