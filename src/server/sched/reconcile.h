/* reconcile.h - the service scheduler's one round for one service:
 * compare the service's tasks with what it wants and act (start, stop,
 * advance or fail deployments, record events).  The thread that calls it
 * lives in scheduler.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct server;

/* One round for service `id` in its own write transaction, committed only
 * when something changed (*ret_changed then true).  A service that is gone
 * or INACTIVE is left alone. */
int reconcile_service(struct server *srv, int64_t id, bool *ret_changed, struct error *err);
