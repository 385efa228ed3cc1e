/* service_counts.h - a service's running and pending tasks, counted per
 * deployment or task set (the startedBy its tasks carry). */
#pragma once

#include <jansson.h>

#include "server/http/api.h"
#include "server/store/store_services.h"

/* Fill ret_counts (an object) with {startedBy: {"running": N, "pending": M}}
 * for row's tasks that are RUNNING or not yet running; stopping and stopped
 * tasks count as neither. */
int service_counts_live(struct op_ctx *ctx, const struct service_row *row, json_t *ret_counts, struct error *err);
