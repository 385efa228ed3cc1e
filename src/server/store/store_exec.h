/* store_exec.h - ECS Exec sessions waiting for their task's agent, in the
 * store so that a group of servers on one PostgreSQL can reach the agent
 * wherever it polls (see server/ecs/exec_sessions.h).  A row is what the
 * agent's PollTasks answer carries for the session, tokens included: the
 * database is as trusted as the server.  Rows are never updated; expired
 * ones are dropped when a new one is written. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

/* Record doc (borrowed) for instance_id's agent until expires_at (wall
 * clock), and drop the rows expired at now. */
int store_exec_put(struct store_tx *tx, int64_t instance_id, usec_t expires_at, usec_t now, json_t *doc,
                   struct error *err);
/* Append to out the documents for instance_id after sequence number
 * `after` that are not expired at now (at most limit, oldest first);
 * *ret_max is raised to the last one's sequence number. */
int store_exec_list(struct store_tx *tx, int64_t instance_id, int64_t after, usec_t now, int limit, json_t *out,
                    int64_t *ret_max, struct error *err);
