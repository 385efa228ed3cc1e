/* store_logs.c - the log_groups, log_streams, log_events, log_shippers and
 * log_purge tables.
 *
 * Reads walk an index in key order and stop early: GetLogEvents uses
 * (stream_id, ts, rowid), FilterLogEvents (group_id, ts, rowid) or, for a
 * few named streams, a merge of their per-stream walks.  Deletions of whole
 * streams and groups are queued and done in bounded steps by
 * store_logs_expire, so a DeleteLogGroup of millions of events is quick. */
#include "server/store/store_logs.h"

#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/limits.h"
#include "server/store/store_internal.h"

static void copy_text(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s ? s : ""); }

/* ---- groups ---------------------------------------------------------------- */

#define GROUP_COLS "id, name, created_ms, retention_days, class, stored_bytes"

/* Fill *out (a struct log_group_row) from the current row. */
static void group_from(sqlite3_stmt *s, void *out)
{
    struct log_group_row *row = out;
    memset(row, 0, sizeof(*row));
    row->id = sqlite3_column_int64(s, 0);
    copy_text(row->name, sizeof(row->name), store_col_text(s, 1));
    row->created_ms = sqlite3_column_int64(s, 2);
    row->retention_days = sqlite3_column_int(s, 3);
    copy_text(row->log_class, sizeof(row->log_class), store_col_text(s, 4));
    row->stored_bytes = sqlite3_column_int64(s, 5);
}

int store_log_group_get(struct store_tx *tx, const char *region, const char *name, struct log_group_row *ret_row,
                        struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx, "SELECT " GROUP_COLS " FROM log_groups WHERE region = ?1 AND name = ?2", err);
    if (!s)
        return -1;
    store_bind_text(s, 1, region);
    store_bind_text(s, 2, name);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return store_fail(tx, "get log group", err);
    group_from(s, ret_row);
    sqlite3_reset(s);
    return 1;
}

int store_log_group_insert(struct store_tx *tx, const char *region, struct log_group_row *row, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "INSERT INTO log_groups (region, name, created_ms, retention_days, class) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5)",
                                 err);
    if (!s)
        return -1;
    store_bind_text(s, 1, region);
    store_bind_text(s, 2, row->name);
    sqlite3_bind_int64(s, 3, row->created_ms);
    if (row->retention_days > 0)
        sqlite3_bind_int(s, 4, row->retention_days);
    store_bind_text(s, 5, row->log_class);
    if (store_exec_stmt(tx, s, err) < 0)
        return -1;
    row->id = sqlite3_last_insert_rowid(tx->db);
    return 0;
}

static int exec_id(struct store_tx *tx, const char *sql, int64_t id, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx, sql, err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    return store_exec_stmt(tx, s, err);
}

int store_log_group_delete(struct store_tx *tx, const struct log_group_row *row, struct error *err)
{
    if (exec_id(tx, "DELETE FROM log_shippers WHERE stream_id IN (SELECT id FROM log_streams WHERE group_id = ?1)",
                row->id, err) < 0 ||
        exec_id(tx, "DELETE FROM log_streams WHERE group_id = ?1", row->id, err) < 0 ||
        exec_id(tx, "DELETE FROM log_groups WHERE id = ?1", row->id, err) < 0 ||
        exec_id(tx, "INSERT OR IGNORE INTO log_purge (kind, target_id) VALUES ('group', ?1)", row->id, err) < 0)
        return -1;
    return 0;
}

int store_log_group_set_retention(struct store_tx *tx, int64_t group_id, int days, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx, "UPDATE log_groups SET retention_days = ?2 WHERE id = ?1", err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, group_id);
    if (days > 0)
        sqlite3_bind_int(s, 2, days);
    return store_exec_stmt(tx, s, err);
}

/* The least string greater than every string starting with prefix, into
 * buf; false when there is none (prefix is all 0xff bytes). */
static bool prefix_upper(const char *prefix, char *buf, size_t cap)
{
    size_t n = strlen(prefix);
    if (n >= cap)
        return false;
    memcpy(buf, prefix, n + 1);
    while (n > 0) {
        unsigned char c = (unsigned char)buf[n - 1];
        if (c < 0xff) {
            buf[n - 1] = (char)(c + 1);
            buf[n] = '\0';
            return true;
        }
        n--;
    }
    return false;
}

/* Append one element to a growing array; returns a pointer to it. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t elem)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        void *p = realloc(*arr, ncap * elem);
        if (!p)
            return NULL;
        *arr = p;
        *cap = ncap;
    }
    return (char *)*arr + (*n)++ * elem;
}

/* Step a bound list statement that asked for limit + 1 rows: up to limit
 * rows into a new array (each filled by from), and whether more exist.
 * Resets the statement; on failure nothing is returned. */
static int read_page(struct store_tx *tx, sqlite3_stmt *s, int limit, size_t elem, void (*from)(sqlite3_stmt *, void *),
                     const char *what, void **ret_rows, size_t *ret_count, bool *ret_more, struct error *err)
{
    _cleanup_free_ void *rows = NULL;
    size_t n = 0, cap = 0;
    bool more = false;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((int)n == limit) {
            more = true;
            break;
        }
        void *r = grow(&rows, &n, &cap, elem);
        if (!r) {
            sqlite3_reset(s);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
        from(s, r);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(tx, what, err);
    *ret_rows = TAKE_PTR(rows);
    *ret_count = n;
    *ret_more = more;
    return 0;
}

int store_log_group_list(struct store_tx *tx, const char *region, const char *prefix, const char *after, int limit,
                         struct log_group_row **ret_rows, size_t *ret_count, bool *ret_more, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT " GROUP_COLS " FROM log_groups WHERE region = ?1 AND name >= ?2 "
                                 "AND name > ?3 AND (?4 IS NULL OR name < ?4) ORDER BY name LIMIT ?5",
                                 err);
    if (!s)
        return -1;
    char upper[LOG_NAME_MAX + 2];
    bool has_upper = prefix && prefix_upper(prefix, upper, sizeof(upper));
    store_bind_text(s, 1, region);
    store_bind_text(s, 2, prefix ? prefix : "");
    store_bind_text(s, 3, after ? after : "");
    store_bind_text(s, 4, has_upper ? upper : NULL);
    sqlite3_bind_int(s, 5, limit + 1);
    return read_page(tx, s, limit, sizeof(struct log_group_row), group_from, "list log groups", (void **)ret_rows,
                     ret_count, ret_more, err);
}

/* ---- streams --------------------------------------------------------------- */

#define STREAM_COLS "id, group_id, name, created_ms, first_ts, last_ts, last_ingest_ms, stored_bytes, upload_seq"

/* Fill *out (a struct log_stream_row) from the current row. */
static void stream_from(sqlite3_stmt *s, void *out)
{
    struct log_stream_row *row = out;
    memset(row, 0, sizeof(*row));
    row->id = sqlite3_column_int64(s, 0);
    row->group_id = sqlite3_column_int64(s, 1);
    copy_text(row->name, sizeof(row->name), store_col_text(s, 2));
    row->created_ms = sqlite3_column_int64(s, 3);
    row->first_ts = sqlite3_column_int64(s, 4);
    row->last_ts = sqlite3_column_int64(s, 5);
    row->last_ingest_ms = sqlite3_column_int64(s, 6);
    row->stored_bytes = sqlite3_column_int64(s, 7);
    row->upload_seq = sqlite3_column_int64(s, 8);
}

int store_log_stream_get(struct store_tx *tx, int64_t group_id, const char *name, struct log_stream_row *ret_row,
                         struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx, "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND name = ?2", err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, group_id);
    store_bind_text(s, 2, name);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return store_fail(tx, "get log stream", err);
    stream_from(s, ret_row);
    sqlite3_reset(s);
    return 1;
}

int store_log_stream_insert(struct store_tx *tx, struct log_stream_row *row, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx, "INSERT INTO log_streams (group_id, name, created_ms) VALUES (?1, ?2, ?3)", err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, row->group_id);
    store_bind_text(s, 2, row->name);
    sqlite3_bind_int64(s, 3, row->created_ms);
    if (store_exec_stmt(tx, s, err) < 0)
        return -1;
    row->id = sqlite3_last_insert_rowid(tx->db);
    return 0;
}

static int group_add_bytes(struct store_tx *tx, int64_t group_id, int64_t delta, struct error *err)
{
    sqlite3_stmt *s =
        store_stmt(tx, "UPDATE log_groups SET stored_bytes = max(0, stored_bytes + ?2) WHERE id = ?1", err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, group_id);
    sqlite3_bind_int64(s, 2, delta);
    return store_exec_stmt(tx, s, err);
}

int store_log_stream_delete(struct store_tx *tx, const struct log_stream_row *row, struct error *err)
{
    if (exec_id(tx, "DELETE FROM log_shippers WHERE stream_id = ?1", row->id, err) < 0 ||
        exec_id(tx, "DELETE FROM log_streams WHERE id = ?1", row->id, err) < 0 ||
        exec_id(tx, "INSERT OR IGNORE INTO log_purge (kind, target_id) VALUES ('stream', ?1)", row->id, err) < 0)
        return -1;
    return group_add_bytes(tx, row->group_id, -row->stored_bytes, err);
}

int store_log_stream_list(struct store_tx *tx, const struct log_stream_query *q, struct log_stream_row **ret_rows,
                          size_t *ret_count, bool *ret_more, struct error *err)
{
    sqlite3_stmt *s;
    /* One statement per order, so each walks its index in order and stops at
     * the limit. */
    if (q->order == LOG_ORDER_NAME && !q->descending)
        s = store_stmt(tx,
                       "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND name >= ?2 "
                       "AND (?3 IS NULL OR name < ?3) AND name > ?4 ORDER BY name LIMIT ?6",
                       err);
    else if (q->order == LOG_ORDER_NAME)
        s = store_stmt(tx,
                       "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND name >= ?2 "
                       "AND (?3 IS NULL OR name < ?3) AND (?4 IS NULL OR name < ?4) "
                       "ORDER BY name DESC LIMIT ?6",
                       err);
    else if (!q->descending)
        s = store_stmt(tx,
                       "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND last_ts >= ?5 "
                       "AND (last_ts > ?5 OR name > ?4) ORDER BY last_ts, name LIMIT ?6",
                       err);
    else
        s = store_stmt(tx,
                       "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND last_ts <= ?5 "
                       "AND (last_ts < ?5 OR ?4 IS NULL OR name < ?4) "
                       "ORDER BY last_ts DESC, name DESC LIMIT ?6",
                       err);
    if (!s)
        return -1;
    char upper[LOG_NAME_MAX + 2];
    bool has_upper = q->prefix && prefix_upper(q->prefix, upper, sizeof(upper));
    sqlite3_bind_int64(s, 1, q->group_id);
    store_bind_text(s, 2, q->prefix ? q->prefix : "");
    store_bind_text(s, 3, has_upper ? upper : NULL);
    if (q->has_after)
        store_bind_text(s, 4, q->after_name);
    else if (!q->descending)
        store_bind_text(s, 4, "");
    int64_t lt = q->has_after ? q->after_last_ts : (q->descending ? INT64_MAX : INT64_MIN);
    sqlite3_bind_int64(s, 5, lt);
    sqlite3_bind_int(s, 6, q->limit + 1);
    return read_page(tx, s, q->limit, sizeof(struct log_stream_row), stream_from, "list log streams", (void **)ret_rows,
                     ret_count, ret_more, err);
}

/* ---- events ---------------------------------------------------------------- */

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
        sqlite3_stmt *s = store_stmt(tx, rows == 1 ? EVENTS_INSERT EVENT_ROW : EVENTS_INSERT_MANY, err);
        if (!s)
            return -1;
        for (size_t r = 0; r < rows; r++, i++) {
            int col = (int)r * 5;
            sqlite3_bind_int64(s, col + 1, stream->id);
            sqlite3_bind_int64(s, col + 2, stream->group_id);
            sqlite3_bind_int64(s, col + 3, ev[i].ts);
            sqlite3_bind_int64(s, col + 4, ingest_ms);
            sqlite3_bind_text(s, col + 5, ev[i].message, (int)ev[i].len, SQLITE_STATIC);
            bytes += (int64_t)ev[i].len;
        }
        if (sqlite3_step(s) != SQLITE_DONE)
            return store_fail(tx, "insert log events", err);
    }
    int64_t first = ev[0].ts, last = ev[n - 1].ts;
    sqlite3_stmt *u = store_stmt(tx,
                                 "UPDATE log_streams SET "
                                 "first_ts = CASE WHEN first_ts = 0 OR ?2 < first_ts THEN ?2 ELSE first_ts END, "
                                 "last_ts = max(last_ts, ?3), last_ingest_ms = ?4, "
                                 "stored_bytes = stored_bytes + ?5, upload_seq = upload_seq + 1 WHERE id = ?1",
                                 err);
    if (!u)
        return -1;
    sqlite3_bind_int64(u, 1, stream->id);
    sqlite3_bind_int64(u, 2, first);
    sqlite3_bind_int64(u, 3, last);
    sqlite3_bind_int64(u, 4, ingest_ms);
    sqlite3_bind_int64(u, 5, bytes);
    if (store_exec_stmt(tx, u, err) < 0 || group_add_bytes(tx, stream->group_id, bytes, err) < 0)
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

static void view_from(sqlite3_stmt *s, struct log_event_view *v)
{
    v->id = sqlite3_column_int64(s, 0);
    v->ts = sqlite3_column_int64(s, 1);
    v->ingest_ms = sqlite3_column_int64(s, 2);
    v->message = (const char *)sqlite3_column_text(s, 3);
    v->len = (size_t)sqlite3_column_bytes(s, 3);
    if (!v->message)
        v->message = "";
}

int store_log_events_read(struct store_tx *tx, int64_t stream_id, struct log_cut cut, bool forward, int64_t start_ts,
                          int64_t end_ts, int limit, log_event_fn fn, void *arg, struct error *err)
{
    sqlite3_stmt *s;
    int64_t lo = start_ts, hi = end_ts - 1;
    if (forward) {
        s = store_stmt(tx,
                       "SELECT id, ts, ingest_ms, message FROM log_events WHERE stream_id = ?1 "
                       "AND ts >= ?2 AND ts <= ?3 AND (ts > ?4 OR id > ?5) ORDER BY ts, id LIMIT ?6",
                       err);
        if (cut.ts > lo)
            lo = cut.ts;
    } else {
        s = store_stmt(tx,
                       "SELECT id, ts, ingest_ms, message FROM log_events WHERE stream_id = ?1 "
                       "AND ts >= ?2 AND ts <= ?3 AND (ts < ?4 OR id <= ?5) ORDER BY ts DESC, id DESC LIMIT ?6",
                       err);
        if (cut.ts < hi)
            hi = cut.ts;
    }
    if (!s)
        return -1;
    if (lo > hi)
        return 0;
    sqlite3_bind_int64(s, 1, stream_id);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    sqlite3_bind_int64(s, 4, cut.ts);
    sqlite3_bind_int64(s, 5, cut.id);
    sqlite3_bind_int(s, 6, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct log_event_view v = {.stream_name = NULL};
        view_from(s, &v);
        int r = fn(&v, arg, err);
        if (r < 0) {
            sqlite3_reset(s);
            return -1;
        }
        if (r > 0)
            break;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(tx, "read log events", err);
    return 0;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* One stream's walk in a merge. */
struct merge_src {
    sqlite3_stmt *stmt;
    char name[LOG_NAME_MAX + 1];
    bool live; /* stmt holds a current row */
};

static int merge_step(struct store_tx *tx, struct merge_src *m, struct error *err)
{
    int rc = sqlite3_step(m->stmt);
    m->live = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(tx, "scan log events", err);
    return 0;
}

static bool key_less(sqlite3_stmt *a, sqlite3_stmt *b)
{
    int64_t ta = sqlite3_column_int64(a, 1), tb = sqlite3_column_int64(b, 1);
    if (ta != tb)
        return ta < tb;
    return sqlite3_column_int64(a, 0) < sqlite3_column_int64(b, 0);
}

static void merge_free(struct merge_src *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++)
        sqlite3_finalize(m[i].stmt);
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
        if (sqlite3_prepare_v2(tx->db,
                               "SELECT e.id, e.ts, e.ingest_ms, e.message, s.name FROM log_events e "
                               "JOIN log_streams s ON s.id = e.stream_id WHERE e.stream_id = ?1 "
                               "AND e.ts >= ?2 AND e.ts <= ?3 AND (e.ts > ?4 OR e.id > ?5) ORDER BY e.ts, e.id",
                               -1, &m[i].stmt, NULL) != SQLITE_OK) {
            store_fail(tx, "prepare merge", err);
            goto out;
        }
        sqlite3_bind_int64(m[i].stmt, 1, stream_ids[i]);
        sqlite3_bind_int64(m[i].stmt, 2, lo);
        sqlite3_bind_int64(m[i].stmt, 3, hi);
        sqlite3_bind_int64(m[i].stmt, 4, cut.ts);
        sqlite3_bind_int64(m[i].stmt, 5, cut.id);
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
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT e.id, e.ts, e.ingest_ms, e.message, s.name, e.stream_id "
                                 "FROM log_events e JOIN log_streams s ON s.id = e.stream_id "
                                 "WHERE e.group_id = ?1 AND e.ts >= ?2 AND e.ts <= ?3 "
                                 "AND (e.ts > ?4 OR e.id > ?5) ORDER BY e.ts, e.id",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, group_id);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    sqlite3_bind_int64(s, 4, cut.ts);
    sqlite3_bind_int64(s, 5, cut.id);
    int64_t scanned = 0;
    bool exhausted = false;
    int rc;
    for (;;) {
        if (scanned >= max_scan) {
            rc = SQLITE_DONE;
            break;
        }
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
            exhausted = rc == SQLITE_DONE;
            break;
        }
        struct log_event_view v;
        view_from(s, &v);
        v.stream_name = store_col_text(s, 4);
        int64_t sid = sqlite3_column_int64(s, 5);
        scanned++;
        if (stream_ids && !bsearch(&sid, stream_ids, nstreams, sizeof(*stream_ids), id_cmp)) {
            last = (struct log_cut){v.ts, v.id};
            continue;
        }
        int r = fn(&v, arg, err);
        if (r < 0) {
            sqlite3_reset(s);
            return -1;
        }
        if (r > 0)
            break;
        last = (struct log_cut){v.ts, v.id};
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(tx, "scan log events", err);
    *ret_last = last;
    *ret_exhausted = exhausted;
    return 0;
}

/* ---- shippers -------------------------------------------------------------- */

int store_log_shipper_get(struct store_tx *tx, int64_t stream_id, const char *shipper, int64_t *ret_offset,
                          struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx, "SELECT last_offset FROM log_shippers WHERE stream_id = ?1 AND shipper = ?2", err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, stream_id);
    store_bind_text(s, 2, shipper);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return store_fail(tx, "get log shipper", err);
    *ret_offset = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 1;
}

int store_log_shipper_put(struct store_tx *tx, int64_t stream_id, const char *shipper, int64_t offset,
                          struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "INSERT OR REPLACE INTO log_shippers (stream_id, shipper, last_offset) "
                                 "VALUES (?1, ?2, ?3)",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, stream_id);
    store_bind_text(s, 2, shipper);
    sqlite3_bind_int64(s, 3, offset);
    return store_exec_stmt(tx, s, err);
}

/* ---- housekeeping ---------------------------------------------------------- */

struct stream_bytes {
    int64_t stream_id;
    int64_t bytes;
};

/* Collect up to budget event ids (and per-stream bytes) from a select whose
 * columns are (id, stream_id, message), then delete them. */
static int delete_collected(struct store_tx *tx, sqlite3_stmt *sel, int64_t budget, struct stream_bytes **ret_sb,
                            size_t *ret_nsb, int64_t *ret_deleted, struct error *err)
{
    _cleanup_free_ int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    struct stream_bytes *sb = *ret_sb;
    size_t nsb = *ret_nsb, sbcap = nsb;
    while ((int64_t)n < budget) {
        int rc = sqlite3_step(sel);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            sqlite3_reset(sel);
            *ret_sb = sb;
            *ret_nsb = nsb;
            return store_fail(tx, "collect log events", err);
        }
        int64_t *slot = grow((void **)&ids, &n, &cap, sizeof(*ids));
        if (!slot) {
            sqlite3_reset(sel);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
        *slot = sqlite3_column_int64(sel, 0);
        int64_t sid = sqlite3_column_int64(sel, 1);
        int64_t bytes = sqlite3_column_bytes(sel, 2);
        size_t k = 0;
        while (k < nsb && sb[k].stream_id != sid)
            k++;
        if (k == nsb) {
            struct stream_bytes *e = grow((void **)&sb, &nsb, &sbcap, sizeof(*sb));
            if (!e) {
                sqlite3_reset(sel);
                *ret_sb = sb;
                return error_set(err, ERR_INTERNAL, "out of memory");
            }
            *e = (struct stream_bytes){sid, 0};
        }
        sb[k].bytes += bytes;
    }
    sqlite3_reset(sel);
    *ret_sb = sb;
    *ret_nsb = nsb;
    for (size_t i = 0; i < n; i++)
        if (exec_id(tx, "DELETE FROM log_events WHERE id = ?1", ids[i], err) < 0)
            return -1;
    *ret_deleted = (int64_t)n;
    return 0;
}

static int expire_retention(struct store_tx *tx, int64_t now_ms, int64_t *budget, int64_t *deleted, struct error *err)
{
    sqlite3_stmt *g =
        store_stmt(tx, "SELECT id, retention_days FROM log_groups WHERE retention_days IS NOT NULL ORDER BY id", err);
    if (!g)
        return -1;
    _cleanup_free_ struct {
        int64_t id;
        int64_t cutoff;
    } *groups = NULL;
    size_t ng = 0, gcap = 0;
    int rc;
    while ((rc = sqlite3_step(g)) == SQLITE_ROW) {
        __typeof__(groups) e = grow((void **)&groups, &ng, &gcap, sizeof(*groups));
        if (!e) {
            sqlite3_reset(g);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
        e->id = sqlite3_column_int64(g, 0);
        e->cutoff = now_ms - sqlite3_column_int64(g, 1) * 86400000LL;
    }
    sqlite3_reset(g);
    if (rc != SQLITE_DONE)
        return store_fail(tx, "list retention groups", err);
    for (size_t i = 0; i<ng && * budget> 0; i++) {
        sqlite3_stmt *s = store_stmt(tx,
                                     "SELECT id, stream_id, message FROM log_events "
                                     "WHERE group_id = ?1 AND ts < ?2 ORDER BY ts LIMIT ?3",
                                     err);
        if (!s)
            return -1;
        sqlite3_bind_int64(s, 1, groups[i].id);
        sqlite3_bind_int64(s, 2, groups[i].cutoff);
        sqlite3_bind_int64(s, 3, *budget);
        _cleanup_free_ struct stream_bytes *sb = NULL;
        size_t nsb = 0;
        int64_t n = 0;
        int r = delete_collected(tx, s, *budget, &sb, &nsb, &n, err);
        if (r < 0)
            return -1;
        int64_t total = 0;
        for (size_t k = 0; k < nsb; k++) {
            sqlite3_stmt *u = store_stmt(tx,
                                         "UPDATE log_streams SET stored_bytes = max(0, stored_bytes - ?2), "
                                         "first_ts = coalesce((SELECT min(ts) FROM log_events "
                                         "WHERE stream_id = ?1), 0) WHERE id = ?1",
                                         err);
            if (!u)
                return -1;
            sqlite3_bind_int64(u, 1, sb[k].stream_id);
            sqlite3_bind_int64(u, 2, sb[k].bytes);
            if (store_exec_stmt(tx, u, err) < 0)
                return -1;
            total += sb[k].bytes;
        }
        if (total && group_add_bytes(tx, groups[i].id, -total, err) < 0)
            return -1;
        *budget -= n;
        *deleted += n;
    }
    return 0;
}

static int purge_deleted(struct store_tx *tx, int64_t *budget, int64_t *deleted, struct error *err)
{
    while (*budget > 0) {
        sqlite3_stmt *q = store_stmt(tx, "SELECT kind, target_id FROM log_purge LIMIT 1", err);
        if (!q)
            return -1;
        int rc = sqlite3_step(q);
        if (rc == SQLITE_DONE)
            return 0;
        if (rc != SQLITE_ROW)
            return store_fail(tx, "list log purge", err);
        bool group = strcmp(store_col_text(q, 0), "group") == 0;
        int64_t target = sqlite3_column_int64(q, 1);
        sqlite3_reset(q);
        sqlite3_stmt *s = group ? store_stmt(tx,
                                             "SELECT id, stream_id, '' FROM log_events WHERE group_id = ?1 "
                                             "LIMIT ?2",
                                             err)
                                : store_stmt(tx,
                                             "SELECT id, stream_id, '' FROM log_events WHERE stream_id = ?1 "
                                             "LIMIT ?2",
                                             err);
        if (!s)
            return -1;
        sqlite3_bind_int64(s, 1, target);
        sqlite3_bind_int64(s, 2, *budget);
        _cleanup_free_ struct stream_bytes *sb = NULL;
        size_t nsb = 0;
        int64_t n = 0;
        int64_t want = *budget;
        if (delete_collected(tx, s, want, &sb, &nsb, &n, err) < 0)
            return -1;
        *budget -= n;
        *deleted += n;
        if (n < want) {
            sqlite3_stmt *d = store_stmt(tx, "DELETE FROM log_purge WHERE kind = ?1 AND target_id = ?2", err);
            if (!d)
                return -1;
            store_bind_text(d, 1, group ? "group" : "stream");
            sqlite3_bind_int64(d, 2, target);
            if (store_exec_stmt(tx, d, err) < 0)
                return -1;
        }
    }
    return 0;
}

int store_logs_expire(struct store_tx *tx, int64_t now_ms, int64_t budget, int64_t *ret_deleted, struct error *err)
{
    int64_t deleted = 0;
    if (expire_retention(tx, now_ms, &budget, &deleted, err) < 0 || purge_deleted(tx, &budget, &deleted, err) < 0)
        return -1;
    *ret_deleted = deleted;
    return 0;
}
