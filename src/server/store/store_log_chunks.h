/* store_log_chunks.h - how log events lie in the log_chunks table, and the
 * merge that reads them back in key order.
 *
 * A chunk is a run of one stream's events from one PutLogEvents batch,
 * sorted by timestamp, in one row: `body` is their messages end to end and
 * `meta` each event's timestamp (relative to the chunk's first_ts) and
 * length, as decimal text ("0 5 0 7 12 3"), or NULL for a chunk of one
 * event.  One row per batch slice rather than one per event: storing an
 * event was three b-tree inserts (the table and two indexes) and most of
 * the server's time per shipped line.
 *
 * An event's id is its chunk's id shifted left by LOG_CHUNK_ID_SHIFT plus
 * its index in the chunk as first stored (first_index counts the events
 * retention has trimmed off its front), so ids keep growing in arrival
 * order and an event keeps its id while it lives. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "server/store/store_db.h"
#include "server/store/store_logs.h"

#define LOG_CHUNK_ID_SHIFT 14
#define LOG_CHUNK_EVENTS_MAX 10000 /* < 1 << LOG_CHUNK_ID_SHIFT */
#define LOG_CHUNK_BYTES_MAX (4 << 20)
/* No chunk spans more than this from its first to its last event (a
 * PutLogEvents batch may not either), so a read for events from time t
 * needs only chunks that start after t - LOG_CHUNK_SPAN_MS. */
#define LOG_CHUNK_SPAN_MS 86400000LL

_Static_assert(LOG_CHUNK_EVENTS_MAX < (1 << LOG_CHUNK_ID_SHIFT), "event index must fit below the chunk id");

/* The columns log_chunk_read wants, from log_chunks c joined with
 * log_streams s. */
#define LOG_CHUNK_COLUMNS                                                                                              \
    "c.id, c.first_ts, c.last_ts, c.ingest_ms, c.first_index, c.n, c.meta, c.body, c.stream_id, s.name"

/* How many of ev[0..n) (n >= 1) go in one chunk. */
size_t log_chunk_take(const struct log_event_in *ev, size_t n);
/* Write a chunk of ev[0..n) into meta and body (initialised here; the
 * caller frees them) and bind them to parameters idx (meta, NULL for one
 * event) and idx + 1 (body) of s, which points into them until reset; 0,
 * or -1 out of memory.  body->len is the chunk's `bytes`. */
int log_chunk_bind(db_stmt *s, int idx, const struct log_event_in *ev, size_t n, struct buf *meta, struct buf *body);

/* One chunk read back: its events' timestamps, and their messages as
 * offsets and lengths into body. */
struct log_chunk {
    int64_t id, first_index, ingest_ms, stream_id;
    size_t n;
    size_t size; /* of the allocation */
    int64_t *ts;
    uint32_t *off, *len;
    char *body;
    const char *stream_name;
    /* The merge's cursor: the events it hands out are [begin, end); `at`
     * is the next one (counting down from end - 1 when reading backward). */
    size_t begin, end, at;
};

/* The chunk in the current row of s (selecting LOG_CHUNK_COLUMNS), in one
 * allocation (free() it); NULL with err set if the row is damaged. */
struct log_chunk *log_chunk_read(db_stmt *s, struct error *err);

/* The merge of chunk sources into one stream of events in key order:
 * forward, the events with lo <= ts <= hi after `cut`; backward, those at
 * or before it, newest first.  Each source is a statement whose rows are
 * chunks (LOG_CHUNK_COLUMNS) ordered by (first_ts, id) forward or by
 * (last_ts, id) descending backward.  Chunks whose times overlap are
 * interleaved event by event. */
struct log_merge;
struct log_merge *log_merge_new(struct store_tx *tx, bool forward, int64_t lo, int64_t hi, struct log_cut cut);
/* Add a source, stepping it to its first row; owned sources are finalized
 * by log_merge_free, the others (cached statements) reset.  0 or -1. */
int log_merge_add(struct log_merge *m, db_stmt *s, bool owned, struct error *err);
/* Hold at most about max_open_bytes of open chunks (0: no limit): chunks
 * that overlap in time are open together, up to a megabyte or so each. */
void log_merge_limit(struct log_merge *m, size_t max_open_bytes);
/* The next event: 1 with *ret set (valid until the next call), 0 at the
 * end, 2 when the events after the last one handed out need more open
 * chunks than the limit allows (a new merge from there goes on), -1 on
 * error. */
int log_merge_next(struct log_merge *m, struct log_event_view *ret, struct error *err);
void log_merge_free(struct log_merge *m);
