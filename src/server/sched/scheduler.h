/* scheduler.h - the thread that runs the service scheduler: a round for
 * every live service whenever a write commits (the change feed moves) and
 * at least once a second. */
#pragma once

#include "common/error.h"
#include "server/sched/reconcile.h"

struct changes;
struct scheduler;

/* Start the thread; env is copied.  It ends when the change feed stops. */
int scheduler_start(const struct reconcile_env *env, struct changes *changes, struct scheduler **ret,
                    struct error *err);
/* Join the thread (after changes_stop); accepts NULL. */
void scheduler_stop(struct scheduler *c);
