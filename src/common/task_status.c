/* task_status.c - task status names (see task_status.h). */
#include "common/task_status.h"

#include <string.h>

#include "common/cleanup.h"

static const char *const names[] = {
    [TASK_STATUS_PROVISIONING] = "PROVISIONING",     [TASK_STATUS_PENDING] = "PENDING",
    [TASK_STATUS_ACTIVATING] = "ACTIVATING",         [TASK_STATUS_RUNNING] = "RUNNING",
    [TASK_STATUS_DEACTIVATING] = "DEACTIVATING",     [TASK_STATUS_STOPPING] = "STOPPING",
    [TASK_STATUS_DEPROVISIONING] = "DEPROVISIONING", [TASK_STATUS_STOPPED] = "STOPPED",
};

enum task_status task_status_parse(const char *s)
{
    if (!s)
        return TASK_STATUS_UNKNOWN;
    for (size_t i = 0; i < ELEMENTSOF(names); i++)
        if (strcmp(names[i], s) == 0)
            return (enum task_status)i;
    return TASK_STATUS_UNKNOWN;
}

const char *task_status_name(enum task_status s)
{
    if (s < 0 || (size_t)s >= ELEMENTSOF(names))
        return "UNKNOWN";
    return names[s];
}
