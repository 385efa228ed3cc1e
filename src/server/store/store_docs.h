/* store_docs.h - JSON documents of the services that keep their state as
 * documents keyed by (kind, region, id): CloudWatch's alarms, Application
 * Auto Scaling's targets and policies; and their append-only histories
 * (alarm history, scaling activities), each entry keyed by (kind, region,
 * parent) and ordered by time and insertion. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "server/store/store.h"

/* The document of kind with id: 1 with a new reference, 0 if none, -1. */
int store_doc_get(struct store_tx *tx, const char *kind, const char *region, const char *id, json_t **ret_doc,
                  struct error *err);
/* Insert or replace a document. */
int store_doc_put(struct store_tx *tx, const char *kind, const char *region, const char *id, json_t *doc,
                  struct error *err);
/* Delete a document (none is fine). */
int store_doc_delete(struct store_tx *tx, const char *kind, const char *region, const char *id, struct error *err);

/* Called on each document (borrowed) with its region: 0 on, 1 stop, -1. */
typedef int (*store_doc_fn)(const char *region, json_t *doc, void *ud, struct error *err);
/* The documents of kind in region (NULL: every region) whose ids sort
 * after `after` and start with prefix (NULL: any), in id order. */
int store_doc_each(struct store_tx *tx, const char *kind, const char *region, const char *after, const char *prefix,
                   store_doc_fn fn, void *ud, struct error *err);

/* Append a history entry at at_ms under parent; keep only the newest
 * `keep` of that parent. */
int store_doc_event_add(struct store_tx *tx, const char *kind, const char *region, const char *parent, int64_t at_ms,
                        json_t *doc, int keep, struct error *err);
/* Each entry of kind under parent (NULL: any), newest first, whose
 * sequence number is below before_seq (0: no bound), with its sequence
 * number; 0 on, 1 stop, -1. */
typedef int (*store_doc_event_fn)(int64_t seq, json_t *doc, void *ud, struct error *err);
int store_doc_events(struct store_tx *tx, const char *kind, const char *region, const char *parent, int64_t before_seq,
                     store_doc_event_fn fn, void *ud, struct error *err);
/* Delete every entry under parent. */
int store_doc_events_delete(struct store_tx *tx, const char *kind, const char *region, const char *parent,
                            struct error *err);
