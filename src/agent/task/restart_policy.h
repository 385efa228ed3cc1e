/* restart_policy.h - ECS's container restart policy as a decision: given a
 * container definition's restartPolicy, how its container exited and how
 * long it ran, whether the agent restarts it in place.  Pure: the restart
 * itself is task_restart.c's. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/timeutil.h"

/* ECS's default restartAttemptPeriod, in seconds. */
#define RESTART_POLICY_DEFAULT_PERIOD 300

enum restart_verdict {
    RESTART_YES,
    RESTART_DISABLED, /* no restartPolicy, or enabled false */
    RESTART_IGNORED,  /* the exit code is one of ignoredExitCodes */
    RESTART_TOO_SOON, /* it ran less than restartAttemptPeriod since it (re)started */
    RESTART_STOPPING, /* the task is stopping */
};

/* Whether restartPolicy `policy` (the container definition's member; NULL
 * is none) restarts a container that exited with exit_code after running
 * ran_for (from its last start, or restart, to its exit).  time_scale (at
 * least 1; berth agent --time-scale) divides restartAttemptPeriod, for
 * tests. */
enum restart_verdict restart_policy_decide(const json_t *policy, int exit_code, usec_t ran_for, bool stopping,
                                           int time_scale);

/* Whether the policy is there and enabled (the metadata endpoint shows
 * RestartCount for such containers only). */
bool restart_policy_enabled(const json_t *policy);

/* What a verdict means, for the agent's log line. */
const char *restart_verdict_name(enum restart_verdict v);
