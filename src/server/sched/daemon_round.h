/* daemon_round.h - the scheduler's pass over ECS daemons (ecs/daemons.h):
 * one task of the daemon's revision on every container instance of its
 * capacity providers, rolled by its deployment, stopped when it is deleted. */
#pragma once

#include <stdbool.h>

#include "server/sched/reconcile.h"

/* One round for every daemon, each in its own write transaction (as the
 * leader); *ret_changed is true when any committed. */
int daemon_round_all(const struct reconcile_env *env, bool *ret_changed, struct error *err);
