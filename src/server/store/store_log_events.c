/* store_log_events.c - log events in the log_chunks table: appending a
 * batch, reading one stream's events, and scanning a group's.
 *
 * A batch becomes one row per slice (store_log_chunks.h).  Reads walk an
 * index of chunks in time order and merge their events into key order:
 * GetLogEvents uses (stream_id, first_ts) forward and (stream_id, last_ts)
 * backward, FilterLogEvents (group_id, first_ts) or, for a few named
 * streams, one walk per stream merged.  Groups and streams themselves are
 * store_logs.c's; removing events is store_logs_expire.c's. */
#include "server/store/store_logs.h"

#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "server/store/store_internal.h"
#include "server/store/store_log_chunks.h"
#include "server/store/store_row.h"

/* A GetLogEvents holds at most about this much of a stream at once. */
#define LOG_READ_OPEN_BYTES (16u << 20)

#define CHUNKS_FROM "SELECT " LOG_CHUNK_COLUMNS " FROM log_chunks c JOIN log_streams s ON s.id = c.stream_id "
/* Forward reads: chunks that start by hi and may reach lo. */
#define CHUNKS_FORWARD "AND c.first_ts >= ?2 AND c.first_ts <= ?3 AND c.last_ts >= ?4 ORDER BY c.first_ts, c.id"

static int append_chunk(struct store_tx *tx, const struct log_stream_row *stream, const struct log_event_in *ev,
                        size_t n, int64_t ingest_ms, int64_t *bytes, struct error *err)
{
    _cleanup_buf_ struct buf meta = {0};
    _cleanup_buf_ struct buf body = {0};
    db_stmt *s = store_stmt(tx,
                            "INSERT INTO log_chunks (stream_id, group_id, first_ts, last_ts, ingest_ms, n, bytes, "
                            "meta, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                            err);
    if (!s)
        return -1;
    if (log_chunk_bind(s, 8, ev, n, &meta, &body) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    db_bind_int64(s, 1, stream->id);
    db_bind_int64(s, 2, stream->group_id);
    db_bind_int64(s, 3, ev[0].ts);
    db_bind_int64(s, 4, ev[n - 1].ts);
    db_bind_int64(s, 5, ingest_ms);
    db_bind_int64(s, 6, (int64_t)n);
    db_bind_int64(s, 7, (int64_t)body.len);
    int rc = db_step(s);
    db_reset(s); /* it points into meta and body */
    if (rc != DB_DONE)
        return store_fail(tx, "insert log events", err);
    *bytes += (int64_t)body.len;
    return 0;
}

int store_log_events_append(struct store_tx *tx, struct log_stream_row *stream, const struct log_event_in *ev, size_t n,
                            int64_t ingest_ms, struct error *err)
{
    if (n == 0)
        return 0;
    int64_t bytes = 0;
    for (size_t i = 0; i < n;) {
        size_t k = log_chunk_take(ev + i, n - i);
        if (append_chunk(tx, stream, ev + i, k, ingest_ms, &bytes, err) < 0)
            return -1;
        i += k;
    }
    int64_t first = ev[0].ts, last = ev[n - 1].ts;
    if (store_row_exec(
            tx,
            "UPDATE log_streams SET "
            "first_ts = CASE WHEN first_ts = 0 OR ?2 < first_ts THEN ?2 ELSE first_ts END, "
            "last_ts = max(last_ts, ?3), last_ingest_ms = ?4, "
            "stored_bytes = stored_bytes + ?5, upload_seq = upload_seq + 1 WHERE id = ?1",
            STORE_ARGS(ARG_INT(stream->id), ARG_INT(first), ARG_INT(last), ARG_INT(ingest_ms), ARG_INT(bytes)),
            err) < 0 ||
        store_log_group_add_bytes(tx, stream->group_id, bytes, err) < 0)
        return -1;
    if (stream->first_ts == 0 || first < stream->first_ts)
        stream->first_ts = first;
    if (last > stream->last_ts)
        stream->last_ts = last;
    stream->last_ingest_ms = ingest_ms;
    stream->stored_bytes += bytes;
    stream->upload_seq++;
    return 0;
}

static int64_t sat_add(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }
static int64_t sat_sub(int64_t a, int64_t b) { return a < INT64_MIN + b ? INT64_MIN : a - b; }

int store_log_events_read(struct store_tx *tx, int64_t stream_id, struct log_cut cut, bool forward, int64_t start_ts,
                          int64_t end_ts, int limit, log_event_fn fn, void *arg, struct error *err)
{
    int64_t lo = start_ts, hi = end_ts - 1;
    if (forward && cut.ts > lo)
        lo = cut.ts;
    if (!forward && cut.ts < hi)
        hi = cut.ts;
    if (lo > hi || limit <= 0)
        return 0;
    db_stmt *s = forward ? store_row_stmt(tx, CHUNKS_FROM "WHERE c.stream_id = ?1 " CHUNKS_FORWARD,
                                          STORE_ARGS(ARG_INT(stream_id), ARG_INT(sat_sub(lo, LOG_CHUNK_SPAN_MS)),
                                                     ARG_INT(hi), ARG_INT(lo)),
                                          err)
                         : store_row_stmt(tx,
                                          CHUNKS_FROM "WHERE c.stream_id = ?1 AND c.last_ts >= ?2 AND c.last_ts <= ?3 "
                                                      "AND c.first_ts <= ?4 ORDER BY c.last_ts DESC, c.id DESC",
                                          STORE_ARGS(ARG_INT(stream_id), ARG_INT(lo),
                                                     ARG_INT(sat_add(hi, LOG_CHUNK_SPAN_MS)), ARG_INT(hi)),
                                          err);
    if (!s)
        return -1;
    struct log_merge *m = log_merge_new(tx, forward, lo, hi, cut);
    if (!m) {
        db_reset(s);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    /* Batches sent with overlapping times (any SDK may) are read together. */
    log_merge_limit(m, LOG_READ_OPEN_BYTES);
    int ret = log_merge_add(m, s, false, err);
    for (int taken = 0; ret == 0 && taken < limit; taken++) {
        struct log_event_view v;
        int r = log_merge_next(m, &v, err);
        if (r != 1) {
            ret = r < 0 ? -1 : 0; /* 2: fewer events, the caller's token goes on from the last */
            break;
        }
        r = fn(&v, arg, err);
        if (r != 0) {
            ret = r < 0 ? -1 : 0;
            break;
        }
    }
    log_merge_free(m);
    return ret;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The scan's sources: one walk per named stream (so a small stream in a
 * huge group costs only its own events), or the group's. */
static int scan_sources(struct store_tx *tx, struct log_merge *m, int64_t group_id, const int64_t *stream_ids,
                        size_t nstreams, int64_t lo, int64_t hi, struct error *err)
{
    if (!stream_ids || nstreams > LIMIT_LOGS_MERGE_STREAMS) {
        db_stmt *s = store_row_stmt(
            tx, CHUNKS_FROM "WHERE c.group_id = ?1 " CHUNKS_FORWARD,
            STORE_ARGS(ARG_INT(group_id), ARG_INT(sat_sub(lo, LOG_CHUNK_SPAN_MS)), ARG_INT(hi), ARG_INT(lo)), err);
        return s ? log_merge_add(m, s, false, err) : -1;
    }
    for (size_t i = 0; i < nstreams; i++) {
        /* Each walk needs its own statement, so these are not cached. */
        db_stmt *s = store_prepare(tx, CHUNKS_FROM "WHERE c.stream_id = ?1 " CHUNKS_FORWARD, err);
        if (!s)
            return error_prefix(err, "merge log events");
        db_bind_int64(s, 1, stream_ids[i]);
        db_bind_int64(s, 2, sat_sub(lo, LOG_CHUNK_SPAN_MS));
        db_bind_int64(s, 3, hi);
        db_bind_int64(s, 4, lo);
        if (log_merge_add(m, s, true, err) < 0)
            return -1;
    }
    return 0;
}

int store_log_events_scan(struct store_tx *tx, int64_t group_id, const int64_t *stream_ids, size_t nstreams,
                          struct log_cut cut, int64_t start_ts, int64_t end_ts, int64_t max_scan, size_t max_open_bytes,
                          log_event_fn fn, void *arg, struct log_cut *ret_last, bool *ret_exhausted, struct error *err)
{
    int64_t lo = start_ts > cut.ts ? start_ts : cut.ts, hi = end_ts;
    struct log_cut last = cut;
    *ret_last = last;
    *ret_exhausted = true;
    if (lo > hi)
        return 0;
    struct log_merge *m = log_merge_new(tx, true, lo, hi, cut);
    if (!m)
        return error_set(err, ERR_INTERNAL, "out of memory");
    bool filter = stream_ids && nstreams > LIMIT_LOGS_MERGE_STREAMS;
    bool exhausted = false;
    log_merge_limit(m, max_open_bytes);
    int ret = scan_sources(tx, m, group_id, stream_ids, nstreams, lo, hi, err);
    for (int64_t scanned = 0; ret == 0 && scanned < max_scan; scanned++) {
        struct log_event_view v;
        int r = log_merge_next(m, &v, err);
        if (r != 1) {
            ret = r < 0 ? -1 : 0; /* 2: the budget is spent; the caller resumes after `last` */
            exhausted = r == 0;
            break;
        }
        if (filter && !bsearch(&v.stream_id, stream_ids, nstreams, sizeof(*stream_ids), id_cmp)) {
            last = (struct log_cut){v.ts, v.id};
            continue;
        }
        r = fn(&v, arg, err);
        if (r != 0) {
            ret = r < 0 ? -1 : 0;
            break;
        }
        last = (struct log_cut){v.ts, v.id};
    }
    log_merge_free(m);
    if (ret < 0)
        return -1;
    *ret_last = last;
    *ret_exhausted = exhausted;
    return 0;
}
