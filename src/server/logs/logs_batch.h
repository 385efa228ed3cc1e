/* logs_batch.h - a PutLogEvents batch checked against CloudWatch's rules
 * (1-10,000 events, at most 1,048,576 bytes counting 26 per event, each
 * message 1-262,118 bytes with a timestamp >= 0, in chronological order,
 * spanning at most 24 hours), from a jansson array or read in place from
 * the request's JSON text (BerthAgent's, op_ctx.raw). */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"
#include "server/store/store_logs.h"

/* A checked batch: events point into `events` (json) or `text` (raw). */
struct logs_batch {
    struct log_event_in *ev;
    size_t n;
    char *text; /* the decoded messages of a raw batch */
};

/* The batch in the JSON array `events`, which must outlive it. */
int logs_batch_from_json(json_t *events, struct logs_batch *ret, struct error *err);
/* The batch in the JSON text of an array (checked well-formed by the
 * dispatcher; read again with the same care). */
int logs_batch_from_text(const char *text, size_t len, struct logs_batch *ret, struct error *err);
void logs_batch_free(struct logs_batch *b);
