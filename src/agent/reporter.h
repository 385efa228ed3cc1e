/* reporter.h - the agent's outbox: state changes sent to the server in
 * order, retried with backoff while the server is unreachable, never
 * blocking the code that reports them. */
#pragma once

#include <jansson.h>

#include "common/error.h"

struct reporter;

int reporter_start(const char *server_url, struct reporter **ret, struct error *err);
/* Start the deadline of reporter_stop without waiting, so several
 * reporters drain at once; a later reporter_stop keeps this deadline. */
void reporter_stop_begin(struct reporter *r, int timeout_ms);
/* Send what is queued (up to timeout_ms), then stop the thread and free. */
void reporter_stop(struct reporter *r, int timeout_ms);
/* Queue an action ("SubmitTaskStateChange", ...) for the given target
 * prefix; takes ownership of body. */
void reporter_send(struct reporter *r, const char *target_prefix, const char *action, json_t *body);
/* Entries waiting (for tests and logs). */
size_t reporter_pending(struct reporter *r);
