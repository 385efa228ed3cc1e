/* contact_share.c - agent contacts exchanged through the store (see
 * contact_share.h). */
#include "server/ecs/contact_share.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "server/store/store_agent_contacts.h"

/* Contacts are re-sent this far back: a poll's touch is stamped with its
 * request's start, which may precede a pass that runs before it lands. */
#define CONTACT_SHARE_OVERLAP USEC_PER_SEC

usec_t contact_share_interval(usec_t agent_timeout)
{
    /* A long-polling agent is touched once a poll (20 s) and counts as
     * connected for the timeout (30 s) after: what the others learn late
     * eats into those 10 s, so passes come often (a write only when this
     * server heard from an agent since the last). */
    usec_t i = agent_timeout / 16;
    return i < USEC_PER_SEC / 4 ? USEC_PER_SEC / 4 : i > USEC_PER_SEC ? USEC_PER_SEC : i;
}

static int heard(void *ud, int64_t instance_id, usec_t seen, struct error *err)
{
    liveness_heard_elsewhere(ud, instance_id, seen);
    return 0;
}

void contact_share_pass(void *arg)
{
    struct contact_share *c = arg;
    usec_t now = time_now();
    _cleanup_free_ struct liveness_contact *own = NULL;
    size_t n = liveness_local_since(c->liveness, c->shared, &own);
    struct error err;
    struct store_tx *tx = NULL;
    int r = store_begin(c->store, n > 0, &tx, &err);
    for (size_t i = 0; r == 0 && i < n; i++)
        r = store_agent_contact_put(tx, own[i].id, own[i].seen, &err);
    /* Contacts past twice the timeout are no news to anyone (the margin
     * for the servers' clocks). */
    if (r == 0 && n > 0)
        r = store_agent_contacts_prune(tx, now - 2 * c->timeout, &err);
    if (r == 0)
        r = store_agent_contacts_since(tx, now - c->timeout, heard, c->liveness, &err);
    if (r == 0 && n > 0)
        r = store_commit(tx, &err);
    else
        store_rollback(tx);
    if (r < 0) {
        log_warn("agent contacts: %s", err.msg);
        return; /* the next pass sends these again */
    }
    c->shared = now - CONTACT_SHARE_OVERLAP;
}
