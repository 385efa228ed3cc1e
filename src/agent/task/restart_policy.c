/* restart_policy.c - the restart decision (see restart_policy.h), in the
 * order ECS's agent takes it: a policy that is off, a task that is
 * stopping, an ignored exit code, then the attempt period.  The period
 * counts from the container's last (re)start, so a container restarts at
 * most once a period and one that fails sooner stays stopped. */
#include "agent/task/restart_policy.h"

bool restart_policy_enabled(const json_t *policy) { return json_is_true(json_object_get(policy, "enabled")); }

static bool exit_code_ignored(const json_t *policy, int exit_code)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(policy, "ignoredExitCodes"), i, v) {
        if (json_is_integer(v) && json_integer_value(v) == exit_code)
            return true;
    }
    return false;
}

enum restart_verdict restart_policy_decide(const json_t *policy, int exit_code, usec_t ran_for, bool stopping,
                                           int time_scale)
{
    if (!restart_policy_enabled(policy))
        return RESTART_DISABLED;
    if (stopping)
        return RESTART_STOPPING;
    if (exit_code_ignored(policy, exit_code))
        return RESTART_IGNORED;
    json_t *p = json_object_get(policy, "restartAttemptPeriod");
    json_int_t period = json_is_integer(p) ? json_integer_value(p) : RESTART_POLICY_DEFAULT_PERIOD;
    usec_t need = (usec_t)period * USEC_PER_SEC / (usec_t)(time_scale > 1 ? time_scale : 1);
    return ran_for < need ? RESTART_TOO_SOON : RESTART_YES;
}

const char *restart_verdict_name(enum restart_verdict v)
{
    static const char *const names[] = {
        [RESTART_YES] = "restarting it",
        [RESTART_DISABLED] = "no restart policy",
        [RESTART_IGNORED] = "not restarted: its exit code is ignored",
        [RESTART_TOO_SOON] = "not restarted: it ran less than its restartAttemptPeriod",
        [RESTART_STOPPING] = "not restarted: the task is stopping",
    };
    return (size_t)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}
