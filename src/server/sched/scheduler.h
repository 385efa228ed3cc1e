/* scheduler.h - the thread that runs the service scheduler: a
 * round for every live service whenever a write commits (the server's
 * change generation moves) and at least once a second. */
#pragma once

#include "common/error.h"

struct server;
struct scheduler;

int scheduler_start(struct server *srv, struct scheduler **ret, struct error *err);
/* Stop and join the thread; accepts NULL. */
void scheduler_stop(struct scheduler *c);
