/* reporter.h - the agent's outbox: state changes sent to the server in
 * order, retried with backoff while the server is unreachable, never
 * blocking the code that reports them. */
#pragma once

#include <jansson.h>

#include "common/aws_credentials.h"
#include "common/error.h"

struct reporter;

/* A reporter sending to server_url, signing with creds (copied) for region. */
int reporter_start(const char *server_url, const struct aws_credentials *creds, const char *region,
                   struct reporter **ret, struct error *err);
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
