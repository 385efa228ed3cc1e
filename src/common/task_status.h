/* task_status.h - the lifecycle statuses of ECS tasks and containers, as an
 * enum in lifecycle order, with the one string table that converts them at
 * the JSON edge (lastStatus, desiredStatus in the API and the agent
 * protocol).  Code compares enums; only parsing and printing see strings. */
#pragma once

#include <stdbool.h>

enum task_status {
    TASK_STATUS_UNKNOWN = -1, /* not a status ECS defines */
    TASK_STATUS_PROVISIONING = 0,
    TASK_STATUS_PENDING,
    TASK_STATUS_ACTIVATING,
    TASK_STATUS_RUNNING,
    TASK_STATUS_DEACTIVATING,
    TASK_STATUS_STOPPING,
    TASK_STATUS_DEPROVISIONING,
    TASK_STATUS_STOPPED,
};

/* "RUNNING" -> TASK_STATUS_RUNNING; NULL or anything else -> UNKNOWN. */
enum task_status task_status_parse(const char *s);
/* TASK_STATUS_RUNNING -> "RUNNING"; UNKNOWN -> "UNKNOWN". */
const char *task_status_name(enum task_status s);

/* Whether the status string s is `want`: for rows that keep the string. */
static inline bool task_status_is(const char *s, enum task_status want) { return task_status_parse(s) == want; }
/* Before RUNNING: counted as pending by instances and services. */
static inline bool task_status_is_pending(enum task_status s)
{
    return s >= TASK_STATUS_PROVISIONING && s < TASK_STATUS_RUNNING;
}
