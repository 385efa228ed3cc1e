/* store_logs.c - the log_groups, log_streams and log_shippers tables.
 *
 * Deleting a stream or a group removes its row now and queues its events in
 * log_purge; store_logs_expire.c removes them in bounded steps, so a
 * DeleteLogGroup of millions of events is quick.  Events themselves are
 * store_log_events.c's. */
#include "server/store/store_logs.h"

#include <string.h>

#include "common/cleanup.h"
#include "common/limits.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

static void copy_text(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s ? s : ""); }

/* ---- groups ---------------------------------------------------------------- */

#define GROUP_COLS "id, name, created_ms, retention_days, class, stored_bytes"

/* Fill *ret_row (a struct log_group_row) from the current row. */
static int read_group(db_stmt *s, void *ret_row, struct error *err)
{
    struct log_group_row *row = ret_row;
    memset(row, 0, sizeof(*row));
    row->id = db_col_int64(s, 0);
    copy_text(row->name, sizeof(row->name), store_col_text(s, 1));
    row->created_ms = db_col_int64(s, 2);
    row->retention_days = db_col_int(s, 3);
    copy_text(row->log_class, sizeof(row->log_class), store_col_text(s, 4));
    row->stored_bytes = db_col_int64(s, 5);
    return 0;
}

int store_log_group_get(struct store_tx *tx, const char *region, const char *name, struct log_group_row *ret_row,
                        struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " GROUP_COLS " FROM log_groups WHERE region = ?1 AND name = ?2",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name)), err);
    return store_row_get(tx, s, read_group, ret_row, "get log group", err);
}

int store_log_group_insert(struct store_tx *tx, const char *region, struct log_group_row *row, struct error *err)
{
    if (store_row_exec(tx,
                       "INSERT INTO log_groups (region, name, created_ms, retention_days, class) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(row->name), ARG_INT(row->created_ms),
                                  row->retention_days > 0 ? ARG_INT(row->retention_days) : ARG_NULL,
                                  ARG_TEXT(row->log_class)),
                       err) < 0)
        return -1;
    row->id = db_last_insert_id(tx);
    return 0;
}

/* Run sql, whose one parameter ?1 is an id, for no rows. */
static int exec_id(struct store_tx *tx, const char *sql, int64_t id, struct error *err)
{
    return store_row_exec(tx, sql, STORE_ARGS(ARG_INT(id)), err);
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
    return store_row_exec(tx, "UPDATE log_groups SET retention_days = ?2 WHERE id = ?1",
                          STORE_ARGS(ARG_INT(group_id), days > 0 ? ARG_INT(days) : ARG_NULL), err);
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

int store_log_group_list(struct store_tx *tx, const char *region, const char *prefix, const char *after, int limit,
                         struct log_group_row **ret_rows, size_t *ret_count, bool *ret_more, struct error *err)
{
    char upper[LOG_NAME_MAX + 2];
    bool has_upper = prefix && prefix_upper(prefix, upper, sizeof(upper));
    db_stmt *s =
        store_row_stmt(tx,
                       "SELECT " GROUP_COLS " FROM log_groups WHERE region = ?1 AND name >= ?2 "
                       "AND name > ?3 AND (name < ?4 OR ?4 IS NULL) ORDER BY name LIMIT ?5",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(prefix ? prefix : ""), ARG_TEXT(after ? after : ""),
                                  ARG_TEXT(has_upper ? upper : NULL), ARG_INT(limit + 1)),
                       err);
    return store_row_collect(tx, s, limit, sizeof(struct log_group_row), read_group, (void **)ret_rows, ret_count,
                             ret_more, "list log groups", err);
}

/* ---- streams --------------------------------------------------------------- */

#define STREAM_COLS "id, group_id, name, created_ms, first_ts, last_ts, last_ingest_ms, stored_bytes, upload_seq"

/* Fill *ret_row (a struct log_stream_row) from the current row. */
static int read_stream(db_stmt *s, void *ret_row, struct error *err)
{
    struct log_stream_row *row = ret_row;
    memset(row, 0, sizeof(*row));
    row->id = db_col_int64(s, 0);
    row->group_id = db_col_int64(s, 1);
    copy_text(row->name, sizeof(row->name), store_col_text(s, 2));
    row->created_ms = db_col_int64(s, 3);
    row->first_ts = db_col_int64(s, 4);
    row->last_ts = db_col_int64(s, 5);
    row->last_ingest_ms = db_col_int64(s, 6);
    row->stored_bytes = db_col_int64(s, 7);
    row->upload_seq = db_col_int64(s, 8);
    return 0;
}

int store_log_stream_get(struct store_tx *tx, int64_t group_id, const char *name, struct log_stream_row *ret_row,
                         struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND name = ?2",
                                STORE_ARGS(ARG_INT(group_id), ARG_TEXT(name)), err);
    return store_row_get(tx, s, read_stream, ret_row, "get log stream", err);
}

int store_log_stream_insert(struct store_tx *tx, struct log_stream_row *row, struct error *err)
{
    if (store_row_exec(tx, "INSERT INTO log_streams (group_id, name, created_ms) VALUES (?1, ?2, ?3)",
                       STORE_ARGS(ARG_INT(row->group_id), ARG_TEXT(row->name), ARG_INT(row->created_ms)), err) < 0)
        return -1;
    row->id = db_last_insert_id(tx);
    return 0;
}

int store_log_group_add_bytes(struct store_tx *tx, int64_t group_id, int64_t delta, struct error *err)
{
    return store_row_exec(tx, "UPDATE log_groups SET stored_bytes = max(0, stored_bytes + ?2) WHERE id = ?1",
                          STORE_ARGS(ARG_INT(group_id), ARG_INT(delta)), err);
}

int store_log_stream_delete(struct store_tx *tx, const struct log_stream_row *row, struct error *err)
{
    if (exec_id(tx, "DELETE FROM log_shippers WHERE stream_id = ?1", row->id, err) < 0 ||
        exec_id(tx, "DELETE FROM log_streams WHERE id = ?1", row->id, err) < 0 ||
        exec_id(tx, "INSERT OR IGNORE INTO log_purge (kind, target_id) VALUES ('stream', ?1)", row->id, err) < 0)
        return -1;
    return store_log_group_add_bytes(tx, row->group_id, -row->stored_bytes, err);
}

int store_log_stream_list(struct store_tx *tx, const struct log_stream_query *q, struct log_stream_row **ret_rows,
                          size_t *ret_count, bool *ret_more, struct error *err)
{
    /* One statement per order, so each walks its index in order and stops at
     * the limit. */
    const char *sql;
    if (q->order == LOG_ORDER_NAME && !q->descending)
        sql = "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND name >= ?2 "
              "AND (name < ?3 OR ?3 IS NULL) AND name > ?4 ORDER BY name LIMIT ?6";
    else if (q->order == LOG_ORDER_NAME)
        sql = "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND name >= ?2 "
              "AND (name < ?3 OR ?3 IS NULL) AND (name < ?4 OR ?4 IS NULL) "
              "ORDER BY name DESC LIMIT ?6";
    else if (!q->descending)
        sql = "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND last_ts >= ?5 "
              "AND (last_ts > ?5 OR name > ?4) ORDER BY last_ts, name LIMIT ?6";
    else
        sql = "SELECT " STREAM_COLS " FROM log_streams WHERE group_id = ?1 AND last_ts <= ?5 "
              "AND (last_ts < ?5 OR name < ?4 OR ?4 IS NULL) "
              "ORDER BY last_ts DESC, name DESC LIMIT ?6";
    char upper[LOG_NAME_MAX + 2];
    bool has_upper = q->prefix && prefix_upper(q->prefix, upper, sizeof(upper));
    /* From the start, an ascending walk begins after "" and a descending one
     * has no bound (?4 NULL). */
    const char *after = q->has_after ? q->after_name : q->descending ? NULL : "";
    int64_t lt = q->has_after ? q->after_last_ts : (q->descending ? INT64_MAX : INT64_MIN);
    db_stmt *s = store_row_stmt(tx, sql,
                                STORE_ARGS(ARG_INT(q->group_id), ARG_TEXT(q->prefix ? q->prefix : ""),
                                           ARG_TEXT(has_upper ? upper : NULL), ARG_TEXT(after), ARG_INT(lt),
                                           ARG_INT(q->limit + 1)),
                                err);
    return store_row_collect(tx, s, q->limit, sizeof(struct log_stream_row), read_stream, (void **)ret_rows, ret_count,
                             ret_more, "list log streams", err);
}

/* ---- shippers -------------------------------------------------------------- */

static int read_offset(db_stmt *s, void *ret_offset, struct error *err)
{
    *(int64_t *)ret_offset = db_col_int64(s, 0);
    return 0;
}

int store_log_shipper_get(struct store_tx *tx, int64_t stream_id, const char *shipper, int64_t *ret_offset,
                          struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT last_offset FROM log_shippers WHERE stream_id = ?1 AND shipper = ?2",
                                STORE_ARGS(ARG_INT(stream_id), ARG_TEXT(shipper)), err);
    return store_row_get(tx, s, read_offset, ret_offset, "get log shipper", err);
}

int store_log_shipper_put(struct store_tx *tx, int64_t stream_id, const char *shipper, int64_t offset,
                          struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO log_shippers (stream_id, shipper, last_offset) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT (stream_id, shipper) DO UPDATE SET last_offset = excluded.last_offset",
                          STORE_ARGS(ARG_INT(stream_id), ARG_TEXT(shipper), ARG_INT(offset)), err);
}
