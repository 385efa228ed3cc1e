/* service_controller.h - the thread that runs the service scheduler: a
 * round for every live service whenever a write commits (the server's
 * change generation moves) and at least once a second. */
#pragma once

#include "common/error.h"

struct server;
struct service_controller;

int service_controller_start(struct server *srv, struct service_controller **ret, struct error *err);
/* Stop and join the thread; accepts NULL. */
void service_controller_stop(struct service_controller *c);
