/* Unit tests: task statuses round-trip through their names, in lifecycle
 * order, and anything else is UNKNOWN. */
#include "common/task_status.h"
#include "test.h"

TEST(task_status_names_round_trip_in_order)
{
    const char *order[] = {"PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
                           "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"};
    for (int i = 0; i < 8; i++) {
        CHECK(task_status_parse(order[i]) == (enum task_status)i);
        CHECK_STR(task_status_name((enum task_status)i), order[i]);
    }
    CHECK(task_status_parse("running") == TASK_STATUS_UNKNOWN);
    CHECK(task_status_parse(NULL) == TASK_STATUS_UNKNOWN);
    CHECK_STR(task_status_name(TASK_STATUS_UNKNOWN), "UNKNOWN");
    CHECK(task_status_is("STOPPED", TASK_STATUS_STOPPED));
    CHECK(task_status_is_pending(TASK_STATUS_ACTIVATING) && !task_status_is_pending(TASK_STATUS_RUNNING));
}
