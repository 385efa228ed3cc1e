/* store_logs.h - CloudWatch Logs groups, streams and events in the store:
 * groups, streams and shippers in store_logs.c, events in
 * store_log_events.c, housekeeping in store_logs_expire.c.
 *
 * All times are milliseconds since the epoch (the Logs API's unit).  Events
 * are ordered by their key (timestamp, id): id is assigned at insert and
 * grows, so events with equal timestamps keep their arrival order.  They
 * are stored a batch slice to a row (store_log_chunks.h). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/limits.h"
#include "server/store/store.h"

#define LOG_NAME_MAX LIMIT_LOGS_NAME

struct log_group_row {
    int64_t id;
    char name[LOG_NAME_MAX + 1];
    int64_t created_ms;
    int retention_days; /* 0: never expire */
    char log_class[24];
    int64_t stored_bytes;
};

struct log_stream_row {
    int64_t id;
    int64_t group_id;
    char name[LOG_NAME_MAX + 1];
    int64_t created_ms;
    int64_t first_ts;       /* 0: no events yet */
    int64_t last_ts;        /* 0: no events yet */
    int64_t last_ingest_ms; /* 0: no events yet */
    int64_t stored_bytes;
    int64_t upload_seq; /* counts accepted PutLogEvents calls */
};

/* A position between events: the cut after key (ts, id).  {0, 0} is before
 * every event; {INT64_MAX, INT64_MAX} after every event. */
struct log_cut {
    int64_t ts;
    int64_t id;
};

/* One event handed to a reader callback; pointers valid during the call. */
struct log_event_view {
    int64_t id;
    int64_t ts;
    int64_t ingest_ms;
    const char *message;
    size_t len;
    const char *stream_name;
    int64_t stream_id;
};

/* A reader callback returns 0 to go on, 1 to stop (the event was not taken),
 * or -1 on error (with err filled). */
typedef int (*log_event_fn)(const struct log_event_view *ev, void *arg, struct error *err);

struct log_event_in {
    int64_t ts;
    const char *message;
    size_t len;
};

/* ---- groups ---- */
/* 1 with *ret_row filled, 0 when absent, -1 on error. */
int store_log_group_get(struct store_tx *tx, const char *region, const char *name, struct log_group_row *ret_row,
                        struct error *err);
/* Insert; sets row->id.  The caller has checked the name is free. */
int store_log_group_insert(struct store_tx *tx, const char *region, struct log_group_row *row, struct error *err);
/* Remove the group and its streams now; queue its events for purging. */
int store_log_group_delete(struct store_tx *tx, const struct log_group_row *row, struct error *err);
int store_log_group_set_retention(struct store_tx *tx, int64_t group_id, int days, struct error *err);
/* Groups of region whose names start with prefix (NULL: all) and sort after
 * `after` (NULL: from the start), at most limit, by name; *ret_more is set
 * when more follow.  Rows are appended to ret_rows (malloc'd array). */
int store_log_group_list(struct store_tx *tx, const char *region, const char *prefix, const char *after, int limit,
                         struct log_group_row **ret_rows, size_t *ret_count, bool *ret_more, struct error *err);

/* ---- streams ---- */
int store_log_stream_get(struct store_tx *tx, int64_t group_id, const char *name, struct log_stream_row *ret_row,
                         struct error *err);
int store_log_stream_insert(struct store_tx *tx, struct log_stream_row *row, struct error *err);
/* Remove the stream now (and its bytes from the group); queue its events. */
int store_log_stream_delete(struct store_tx *tx, const struct log_stream_row *row, struct error *err);

enum log_stream_order { LOG_ORDER_NAME, LOG_ORDER_LAST_EVENT };
struct log_stream_query {
    int64_t group_id;
    const char *prefix; /* name prefix, or NULL */
    enum log_stream_order order;
    bool descending;
    /* Resume after this stream (exclusive); has_after false: from the start. */
    bool has_after;
    const char *after_name;
    int64_t after_last_ts;
    int limit;
};
int store_log_stream_list(struct store_tx *tx, const struct log_stream_query *q, struct log_stream_row **ret_rows,
                          size_t *ret_count, bool *ret_more, struct error *err);

/* ---- events ---- */
/* Append n events (sorted by ts) to the stream and update the stream's and
 * group's counters; ingest_ms is their ingestion time.  Updates *stream. */
int store_log_events_append(struct store_tx *tx, struct log_stream_row *stream, const struct log_event_in *ev, size_t n,
                            int64_t ingest_ms, struct error *err);

/* Events of one stream with start_ts <= ts < end_ts, beyond `cut`:
 * forward (ascending keys after the cut) or backward (descending keys at or
 * before it).  fn sees at most `limit` events, fewer when going on would
 * hold more than 16 MB of overlapping batches at once (the next call goes
 * on from the last it saw). */
int store_log_events_read(struct store_tx *tx, int64_t stream_id, struct log_cut cut, bool forward, int64_t start_ts,
                          int64_t end_ts, int limit, log_event_fn fn, void *arg, struct error *err);

/* Events of a group with start_ts <= ts <= end_ts after `cut`, ascending by
 * key across streams.  With stream_ids (sorted, n > 0) only those streams'
 * events are seen; with NULL, every stream's.  Stops after max_scan events
 * examined, or when going on would hold more than about max_open_bytes
 * of stored events (0: no limit; streams written at the same time overlap
 * and their overlapping slices are read together): *ret_last is then the
 * key of the last one examined, and *ret_exhausted false. */
int store_log_events_scan(struct store_tx *tx, int64_t group_id, const int64_t *stream_ids, size_t nstreams,
                          struct log_cut cut, int64_t start_ts, int64_t end_ts, int64_t max_scan, size_t max_open_bytes,
                          log_event_fn fn, void *arg, struct log_cut *ret_last, bool *ret_exhausted, struct error *err);

/* ---- shippers: idempotent uploads (berth extension) ---- */
/* 1 with *ret_offset when the shipper has uploaded to the stream, 0 if not. */
int store_log_shipper_get(struct store_tx *tx, int64_t stream_id, const char *shipper, int64_t *ret_offset,
                          struct error *err);
int store_log_shipper_put(struct store_tx *tx, int64_t stream_id, const char *shipper, int64_t offset,
                          struct error *err);

/* ---- housekeeping ---- */
/* Delete about budget events (whole chunks, the last one may pass it)
 * older than their group's retention (now_ms - days), and events of
 * deleted streams and groups.  *ret_deleted counts the events removed. */
int store_logs_expire(struct store_tx *tx, int64_t now_ms, int64_t budget, int64_t *ret_deleted, struct error *err);
