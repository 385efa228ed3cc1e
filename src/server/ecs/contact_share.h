/* contact_share.h - servers on one PostgreSQL database tell each other
 * which agents they hear from.  An agent long-polls one server (its first
 * URL that answers); without this the others counted its instances as
 * disconnected once their start's grace ran out, and RunTask through them
 * failed with AGENT for every instance.  Each pass writes this server's own
 * contacts since the last pass to the store (store_agent_contacts.h) and
 * reads everyone's recent ones into the liveness table. */
#pragma once

#include "common/timeutil.h"
#include "server/ecs/liveness.h"
#include "server/store/store.h"

struct contact_share {
    struct store *store;
    struct liveness *liveness;
    usec_t timeout; /* the agent timeout: contacts older than this are no news */
    usec_t shared;  /* own contacts up to this were written (less a margin) */
};

/* The pass's cadence for an agent timeout (at most a second): a contact
 * reaches the other servers within two passes. */
usec_t contact_share_interval(usec_t agent_timeout);
/* One pass (a background job: arg is a struct contact_share). */
void contact_share_pass(void *arg);
