/* store_log_events.c - the log_events table: appending a batch, reading one
 * stream's events, and scanning a group's.
 *
 * Reads walk an index in key order and stop early: GetLogEvents uses
 * (stream_id, ts, rowid), FilterLogEvents (group_id, ts, rowid) or, for a
 * few named streams, a merge of their per-stream walks.  Groups and streams
 * themselves are store_logs.c's; removing events is store_logs_expire.c's. */
#include "server/store/store_logs.h"

#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

/* Rows per INSERT statement: one statement per event spent a tenth of a
 * 10,000-event batch in statement overhead (step, reset, bindings). */
#define EVENTS_PER_INSERT 32
#define EVENT_ROW "(?, ?, ?, ?, ?)"
#define ROWS4 EVENT_ROW ", " EVENT_ROW ", " EVENT_ROW ", " EVENT_ROW
#define ROWS16 ROWS4 ", " ROWS4 ", " ROWS4 ", " ROWS4
#define EVENTS_INSERT "INSERT INTO log_events (stream_id, group_id, ts, ingest_ms, message) VALUES "
#define EVENTS_INSERT_MANY EVENTS_INSERT ROWS16 ", " ROWS16
_Static_assert(sizeof(EVENTS_INSERT_MANY) ==
                   sizeof(EVENTS_INSERT) + EVENTS_PER_INSERT * (sizeof(EVENT_ROW ", ") - 1) - 2,
               "EVENTS_INSERT_MANY must hold EVENTS_PER_INSERT rows");

int store_log_events_append(struct store_tx *tx, struct log_stream_row *stream, const struct log_event_in *ev, size_t n,
                            int64_t ingest_ms, struct error *err)
{
    if (n == 0)
        return 0;
    int64_t bytes = 0;
    for (size_t i = 0; i < n;) {
        size_t rows = n - i >= EVENTS_PER_INSERT ? EVENTS_PER_INSERT : 1;
        /* The cached statement is reset by store_stmt on each lookup. */
        db_stmt *s = store_stmt(tx, rows == 1 ? EVENTS_INSERT EVENT_ROW : EVENTS_INSERT_MANY, err);
        if (!s)
            return -1;
        for (size_t r = 0; r < rows; r++, i++) {
            int col = (int)r * 5;
            db_bind_int64(s, col + 1, stream->id);
            db_bind_int64(s, col + 2, stream->group_id);
            db_bind_int64(s, col + 3, ev[i].ts);
            db_bind_int64(s, col + 4, ingest_ms);
            db_bind_text_static(s, col + 5, ev[i].message, ev[i].len);
            bytes += (int64_t)ev[i].len;
        }
        if (db_step(s) != DB_DONE)
            return store_fail(tx, "insert log events", err);
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

static void view_from(db_stmt *s, struct log_event_view *v)
{
    v->id = db_col_int64(s, 0);
    v->ts = db_col_int64(s, 1);
    v->ingest_ms = db_col_int64(s, 2);
    v->message = db_col_text(s, 3);
    v->len = db_col_bytes(s, 3);
    if (!v->message)
        v->message = "";
}

/* The reader's callback, for event_row. */
struct event_walk {
    log_event_fn fn;
    void *arg;
};

static int event_row(db_stmt *s, void *ud, struct error *err)
{
    struct event_walk *w = ud;
    struct log_event_view v = {.stream_name = NULL};
    view_from(s, &v);
    return w->fn(&v, w->arg, err);
}

int store_log_events_read(struct store_tx *tx, int64_t stream_id, struct log_cut cut, bool forward, int64_t start_ts,
                          int64_t end_ts, int limit, log_event_fn fn, void *arg, struct error *err)
{
    int64_t lo = start_ts, hi = end_ts - 1;
    if (forward && cut.ts > lo)
        lo = cut.ts;
    if (!forward && cut.ts < hi)
        hi = cut.ts;
    db_stmt *s = store_row_stmt(
        tx,
        forward ? "SELECT id, ts, ingest_ms, message FROM log_events WHERE stream_id = ?1 "
                  "AND ts >= ?2 AND ts <= ?3 AND (ts > ?4 OR id > ?5) ORDER BY ts, id LIMIT ?6"
                : "SELECT id, ts, ingest_ms, message FROM log_events WHERE stream_id = ?1 "
                  "AND ts >= ?2 AND ts <= ?3 AND (ts < ?4 OR id <= ?5) ORDER BY ts DESC, id DESC LIMIT ?6",
        STORE_ARGS(ARG_INT(stream_id), ARG_INT(lo), ARG_INT(hi), ARG_INT(cut.ts), ARG_INT(cut.id), ARG_INT(limit)),
        err);
    if (!s)
        return -1;
    if (lo > hi)
        return 0;
    struct event_walk w = {fn, arg};
    return store_row_each(tx, s, -1, event_row, &w, NULL, "read log events", err);
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* One stream's walk in a merge. */
struct merge_src {
    db_stmt *stmt;
    char name[LOG_NAME_MAX + 1];
    bool live; /* stmt holds a current row */
};

static int merge_step(struct store_tx *tx, struct merge_src *m, struct error *err)
{
    int rc = db_step(m->stmt);
    m->live = rc == DB_ROW;
    if (rc != DB_ROW && rc != DB_DONE)
        return store_fail(tx, "scan log events", err);
    return 0;
}

static bool key_less(db_stmt *a, db_stmt *b)
{
    int64_t ta = db_col_int64(a, 1), tb = db_col_int64(b, 1);
    if (ta != tb)
        return ta < tb;
    return db_col_int64(a, 0) < db_col_int64(b, 0);
}

static void merge_free(struct merge_src *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++)
        db_finalize(m[i].stmt);
    free(m);
}

/* The merge of a few streams' ordered walks: each uses the stream index, so
 * a small stream in a huge group costs only its own events. */
static int scan_merge(struct store_tx *tx, const int64_t *stream_ids, size_t n, struct log_cut cut, int64_t lo,
                      int64_t hi, int64_t max_scan, log_event_fn fn, void *arg, struct log_cut *last, bool *exhausted,
                      struct error *err)
{
    struct merge_src *m = calloc(n, sizeof(*m));
    if (!m)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int ret = -1;
    size_t live = 0;
    for (size_t i = 0; i < n; i++) {
        /* Each walk needs its own statement, so these are not cached. */
        m[i].stmt = store_prepare(tx,
                                  "SELECT e.id, e.ts, e.ingest_ms, e.message, s.name FROM log_events e "
                                  "JOIN log_streams s ON s.id = e.stream_id WHERE e.stream_id = ?1 "
                                  "AND e.ts >= ?2 AND e.ts <= ?3 AND (e.ts > ?4 OR e.id > ?5) ORDER BY e.ts, e.id",
                                  err);
        if (!m[i].stmt) {
            error_prefix(err, "merge log events");
            goto out;
        }
        db_bind_int64(m[i].stmt, 1, stream_ids[i]);
        db_bind_int64(m[i].stmt, 2, lo);
        db_bind_int64(m[i].stmt, 3, hi);
        db_bind_int64(m[i].stmt, 4, cut.ts);
        db_bind_int64(m[i].stmt, 5, cut.id);
        if (merge_step(tx, &m[i], err) < 0)
            goto out;
        live += m[i].live;
    }
    int64_t scanned = 0;
    *exhausted = false;
    while (live > 0) {
        if (scanned >= max_scan) {
            ret = 0;
            goto out;
        }
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (m[i].live && (best == n || key_less(m[i].stmt, m[best].stmt)))
                best = i;
        struct log_event_view v;
        view_from(m[best].stmt, &v);
        v.stream_name = store_col_text(m[best].stmt, 4);
        int r = fn(&v, arg, err);
        if (r < 0)
            goto out;
        if (r > 0) {
            ret = 0;
            goto out;
        }
        *last = (struct log_cut){v.ts, v.id};
        scanned++;
        if (merge_step(tx, &m[best], err) < 0)
            goto out;
        if (!m[best].live)
            live--;
    }
    *exhausted = true;
    ret = 0;
out:
    merge_free(m, n);
    return ret;
}

int store_log_events_scan(struct store_tx *tx, int64_t group_id, const int64_t *stream_ids, size_t nstreams,
                          struct log_cut cut, int64_t start_ts, int64_t end_ts, int64_t max_scan, log_event_fn fn,
                          void *arg, struct log_cut *ret_last, bool *ret_exhausted, struct error *err)
{
    int64_t lo = start_ts > cut.ts ? start_ts : cut.ts, hi = end_ts;
    struct log_cut last = cut;
    if (lo > hi) {
        *ret_last = last;
        *ret_exhausted = true;
        return 0;
    }
    if (stream_ids && nstreams <= LIMIT_LOGS_MERGE_STREAMS) {
        bool exhausted = false;
        if (scan_merge(tx, stream_ids, nstreams, cut, lo, hi, max_scan, fn, arg, &last, &exhausted, err) < 0)
            return -1;
        *ret_last = last;
        *ret_exhausted = exhausted;
        return 0;
    }
    db_stmt *s =
        store_row_stmt(tx,
                       "SELECT e.id, e.ts, e.ingest_ms, e.message, s.name, e.stream_id "
                       "FROM log_events e JOIN log_streams s ON s.id = e.stream_id "
                       "WHERE e.group_id = ?1 AND e.ts >= ?2 AND e.ts <= ?3 "
                       "AND (e.ts > ?4 OR e.id > ?5) ORDER BY e.ts, e.id",
                       STORE_ARGS(ARG_INT(group_id), ARG_INT(lo), ARG_INT(hi), ARG_INT(cut.ts), ARG_INT(cut.id)), err);
    if (!s)
        return -1;
    int64_t scanned = 0;
    bool exhausted = false;
    int rc;
    for (;;) {
        if (scanned >= max_scan) {
            rc = DB_DONE;
            break;
        }
        rc = db_step(s);
        if (rc != DB_ROW) {
            exhausted = rc == DB_DONE;
            break;
        }
        struct log_event_view v;
        view_from(s, &v);
        v.stream_name = store_col_text(s, 4);
        int64_t sid = db_col_int64(s, 5);
        scanned++;
        if (stream_ids && !bsearch(&sid, stream_ids, nstreams, sizeof(*stream_ids), id_cmp)) {
            last = (struct log_cut){v.ts, v.id};
            continue;
        }
        int r = fn(&v, arg, err);
        if (r < 0) {
            db_reset(s);
            return -1;
        }
        if (r > 0)
            break;
        last = (struct log_cut){v.ts, v.id};
    }
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_fail(tx, "scan log events", err);
    *ret_last = last;
    *ret_exhausted = exhausted;
    return 0;
}
