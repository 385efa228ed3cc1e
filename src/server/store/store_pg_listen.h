/* store_pg_listen.h - a session listening for commits made by any server
 * on one PostgreSQL database (LISTEN/NOTIFY), for store.c alone. */
#pragma once

#include <stdbool.h>

#include "common/error.h"

/* The channel every write transaction notifies as it commits. */
#define PG_CHANGES_CHANNEL "berth_changes"

struct pg_listener;

/* Listen on url's database (its own session and thread) and call fn(ud)
 * from that thread after each batch of commits it hears of, and once
 * after each (re)connect, since commits made while no session listened
 * were missed.  url is copied and never logged. */
int pg_listener_start(const char *url, void (*fn)(void *ud), void *ud, struct pg_listener **ret, struct error *err);
/* Stop listening (within LISTEN_POLL_MS) and free l; accepts NULL. */
void pg_listener_stop(struct pg_listener *l);
