/* liveness.h - when each container instance's agent was last heard from.
 *
 * Kept in memory on purpose: a poll every few seconds from thousands of
 * agents must not cost a durable write each (servers sharing a PostgreSQL
 * store exchange them in batches: contact_share.h).  After a server restart every
 * instance gets a full timeout's grace before it counts as disconnected. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/timeutil.h"

struct liveness;

int liveness_new(usec_t timeout, struct liveness **ret);
void liveness_free(struct liveness *l);
/* Record contact from instance id (a store row id) at now. */
void liveness_touch(struct liveness *l, int64_t id, usec_t now);
/* Record that another server sharing the store heard from instance id at
 * seen (contact_share.h): it counts for liveness_connected, but is not
 * this server's own contact to share. */
void liveness_heard_elsewhere(struct liveness *l, int64_t id, usec_t seen);
struct liveness_contact {
    int64_t id;
    usec_t seen;
};
/* This server's own latest contact with each instance heard from after
 * `after`, into *ret (malloc'd, the caller frees it even when 0 is
 * returned); how many. */
size_t liveness_local_since(struct liveness *l, usec_t after, struct liveness_contact **ret);
/* Whether the instance's agent was heard from within the timeout. */
bool liveness_connected(struct liveness *l, int64_t id, usec_t now);
/* What liveness_connected_many read, to tell later whether its answers
 * still hold; zeroed: they never do. */
struct liveness_mark {
    bool valid;
    uint64_t revivals; /* the table's count of revivals when read */
    usec_t until;      /* the first of the connected instances runs out after this */
};
/* liveness_connected for n instances at once (one lock for all, as a
 * placement snapshot asks for every instance of a cluster on each
 * RunTask): ret_connected[k] is set for ids[k], and *ret_mark records
 * when those answers stop holding. */
void liveness_connected_many(struct liveness *l, const int64_t *ids, size_t n, bool *ret_connected, usec_t now,
                             struct liveness_mark *ret_mark);
/* Whether liveness_connected_many's answers behind mark are still the
 * answers at now: no connected one has run out (now <= until) and no
 * instance has been revived since (heard from after its timeout ran out,
 * or for the first time), the only ways an answer changes.  Lets a cached
 * snapshot skip asking for all its instances on every RunTask. */
bool liveness_unchanged(struct liveness *l, const struct liveness_mark *mark, usec_t now);
/* A bulk poll (one agent for many instances) vouches for all of them, but
 * finding them costs O(instances): true when agent_id's instances in the
 * cluster were last touched this way a quarter of the timeout ago or more,
 * or when that touch would run out (less a quarter of the timeout) before
 * `hold` from now, how long this poll may keep the agent before it polls
 * again (the caller then touches each); false when it is still fresh. */
bool liveness_bulk_due(struct liveness *l, int64_t cluster_id, const char *agent_id, usec_t now, usec_t hold);
