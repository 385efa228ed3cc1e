/* liveness.h - when each container instance's agent was last heard from.
 *
 * Kept in memory on purpose: a poll every few seconds from thousands of
 * agents must not cost a durable write each.  After a server restart every
 * instance gets a full timeout's grace before it counts as disconnected. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"

struct liveness;

int liveness_new(usec_t timeout, struct liveness **ret);
void liveness_free(struct liveness *l);
/* Record contact from instance id (a store row id) at now. */
void liveness_touch(struct liveness *l, int64_t id, usec_t now);
/* Whether the instance's agent was heard from within the timeout. */
bool liveness_connected(struct liveness *l, int64_t id, usec_t now);
/* A bulk poll (one agent for many instances) vouches for all of them, but
 * finding them costs O(instances): true when agent_id's instances in the
 * cluster were last touched this way a quarter of the timeout ago or more,
 * or when that touch would run out (less a quarter of the timeout) before
 * `hold` from now, how long this poll may keep the agent before it polls
 * again (the caller then touches each); false when it is still fresh. */
bool liveness_bulk_due(struct liveness *l, int64_t cluster_id, const char *agent_id, usec_t now, usec_t hold);
