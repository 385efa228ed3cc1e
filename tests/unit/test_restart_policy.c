/* Unit tests: the container restart policy's decision (restart_policy.c):
 * off, ignored exit codes, the attempt period (default and scaled), a
 * stopping task. */
#include <jansson.h>

#include "agent/task/restart_policy.h"
#include "common/cleanup.h"
#include "test.h"

#define S(n) ((usec_t)(n)*USEC_PER_SEC)

TEST(restart_policy_decides_as_ecs)
{
    _cleanup_json_ json_t *on = json_loads("{\"enabled\": true, \"ignoredExitCodes\": [0, 3], "
                                           "\"restartAttemptPeriod\": 60}",
                                           0, NULL);
    _cleanup_json_ json_t *off = json_loads("{\"enabled\": false}", 0, NULL);
    _cleanup_json_ json_t *dflt = json_loads("{\"enabled\": true}", 0, NULL);
    CHECK(restart_policy_decide(NULL, 1, S(1000), false, 1) == RESTART_DISABLED);
    CHECK(restart_policy_decide(off, 1, S(1000), false, 1) == RESTART_DISABLED);
    CHECK(restart_policy_decide(on, 1, S(60), false, 1) == RESTART_YES);
    CHECK(restart_policy_decide(on, 137, S(61), false, 1) == RESTART_YES);
    CHECK(restart_policy_decide(on, 0, S(600), false, 1) == RESTART_IGNORED);
    CHECK(restart_policy_decide(on, 3, S(600), false, 1) == RESTART_IGNORED);
    CHECK(restart_policy_decide(on, 1, S(59), false, 1) == RESTART_TOO_SOON);
    CHECK(restart_policy_decide(on, 1, S(600), true, 1) == RESTART_STOPPING);
    /* 300 s unless the policy says otherwise. */
    CHECK(restart_policy_decide(dflt, 0, S(299), false, 1) == RESTART_TOO_SOON);
    CHECK(restart_policy_decide(dflt, 0, S(300), false, 1) == RESTART_YES);
    /* --time-scale 60: a 60 s period is one second. */
    CHECK(restart_policy_decide(on, 1, S(1), false, 60) == RESTART_YES);
    CHECK(restart_policy_decide(on, 1, S(1) - 1, false, 60) == RESTART_TOO_SOON);
    CHECK(restart_policy_enabled(on) && !restart_policy_enabled(off) && !restart_policy_enabled(NULL));
}
