/* store_agent_contacts.h - when each container instance's agent was last
 * heard from, shared between the servers on one PostgreSQL database.  An
 * agent polls one server; the others learn from this table that it is
 * connected (server/ecs/contact_share.h writes and reads it).  A row per
 * instance, only ever moved forward. */
#pragma once

#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

/* Record that instance_id's agent was heard from at seen (wall clock),
 * unless a later contact is recorded already. */
int store_agent_contact_put(struct store_tx *tx, int64_t instance_id, usec_t seen, struct error *err);

/* Drop the contacts from before `before`: instances deregistered (or
 * whose agents went) long ago, so the table does not grow with churn. */
int store_agent_contacts_prune(struct store_tx *tx, usec_t before, struct error *err);

typedef int (*store_contact_fn)(void *ud, int64_t instance_id, usec_t seen, struct error *err);
/* fn for every instance heard from after `after`. */
int store_agent_contacts_since(struct store_tx *tx, usec_t after, store_contact_fn fn, void *ud, struct error *err);
