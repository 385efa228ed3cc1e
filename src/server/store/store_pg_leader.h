/* store_pg_leader.h - which of several servers on one PostgreSQL database
 * leads (store_is_leader and store_begin_leader in store.h), for store.c
 * alone. */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "server/store/store_pg.h"

struct pg_leader;

/* A leader election on url's database (url is copied and never logged);
 * NULL when out of memory. */
struct pg_leader *pg_leader_new(const char *url);
/* Free l, ending its session (and with it the lock); accepts NULL. */
void pg_leader_free(struct pg_leader *l);
/* Whether this server leads: the session holding the lock is checked (or
 * opened, and the lock tried); a session gone is a lock gone. */
bool pg_leader_is(struct pg_leader *l);
/* In the write transaction open on c, fence leader work (pg_leader_fence):
 * on ERR_CONFLICT (another server leads now) this server gives the lock
 * up, to lead again only under a new epoch. */
int pg_leader_fence_tx(struct pg_leader *l, struct pg_conn *c, struct error *err);
