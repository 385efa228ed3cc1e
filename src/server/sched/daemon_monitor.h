/* daemon_monitor.h - what ends a daemon deployment early: the circuit
 * breaker (daemon tasks of the revision being deployed that keep failing
 * to start or exiting) and deploymentConfiguration.alarms (a CloudWatch
 * alarm in ALARM), and how long an instance waits before its daemon task
 * is launched again after it failed.  Pure: no storage, no JSON; the
 * daemon pass (daemon_round.c) counts and acts. */
#pragma once

#include <stdbool.h>

#include "common/timeutil.h"

/* A daemon task that ran at least this long before it stopped is not
 * counted as failing again: its instance's back-off starts over. */
#define DAEMON_BACKOFF_RESET_AFTER (5 * 60 * USEC_PER_SEC)

/* An instance's consecutive daemon task failures once one more task
 * failed after running `ran` (0: it never ran): failures + 1, or 1 when
 * the task ran long enough to count as having worked. */
int daemon_monitor_failures(int failures, usec_t ran);

/* How long an instance waits before its next launch after `failures`
 * consecutive failures: deploy_backoff()'s 1 s doubling to 60 s. */
usec_t daemon_monitor_backoff(int failures);

/* The circuit breaker's threshold for a daemon on `instances` container
 * instances: as a service's with that desired count (0.5 * instances, at
 * least 3, at most 200). */
int daemon_monitor_threshold(int instances);

/* One deployment as the daemon pass sees it. */
struct daemon_watch {
    bool rolling_back; /* ROLLBACK_IN_PROGRESS (else IN_PROGRESS) */
    int failures;      /* failed tasks of the revision it deploys (rolling back: of the rollback target) */
    int threshold;
    bool alarm;           /* an alarm it watches is in ALARM (not watched while rolling back) */
    bool has_rollback_to; /* an earlier revision that deployed successfully */
};

enum daemon_verdict {
    DAEMON_CARRY_ON,
    DAEMON_ROLL_BACK,       /* failed: ROLLBACK_IN_PROGRESS to the earlier revision */
    DAEMON_STOP,            /* failed with nothing to roll back to: STOPPED */
    DAEMON_ROLLBACK_FAILED, /* the rollback's own tasks failed: ROLLBACK_FAILED */
};

enum daemon_verdict daemon_monitor_verdict(const struct daemon_watch *w);
