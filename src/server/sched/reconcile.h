/* reconcile.h - the service scheduler's one round for one service:
 * compare the service's tasks with what it wants and act (start, stop,
 * advance or fail deployments, record events).  The thread that calls it
 * lives in scheduler.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct store;
struct ecs_service;

/* What a round runs against: the store, the ECS service whose tasks it
 * starts (through the same runtask_place() RunTask uses), the account. */
struct reconcile_env {
    struct store *store;
    struct ecs_service *ecs;
    const char *account;
};

/* One round for service `id` in its own write transaction, committed only
 * when something changed (*ret_changed then true).  A service that is gone
 * or INACTIVE is left alone. */
int reconcile_service(const struct reconcile_env *env, int64_t id, bool *ret_changed, struct error *err);
