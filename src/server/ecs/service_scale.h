/* service_scale.h - a REPLICA service's desiredCount as Application Auto
 * Scaling reads and sets it (what UpdateService's desiredCount does, with
 * no other change). */
#pragma once

#include <stdint.h>

#include "common/error.h"
#include "common/timeutil.h"

struct store_tx;

/* The ACTIVE REPLICA service `service` of cluster `cluster` in region:
 * its desiredCount into *ret_current (may be NULL) and, when desired >= 0
 * and differs, desiredCount set to desired (now: the deployment's
 * updatedAt).  1 done, 0 when there is no such service, -1. */
int ecs_service_scale(struct store_tx *tx, const char *region, const char *cluster, const char *service,
                      int64_t desired, usec_t now, int64_t *ret_current, struct error *err);
