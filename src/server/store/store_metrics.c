/* store_metrics.c - the metrics and metric_points tables (see
 * store_metrics.h). */
#include "server/store/store_metrics.h"

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

static int read_id(db_stmt *s, void *ret_row, struct error *err)
{
    (void)err;
    *(int64_t *)ret_row = db_col_int64(s, 0);
    return 0;
}

int store_metric_touch(struct store_tx *tx, const char *region, const char *ns, const char *name, const char *dims,
                       int64_t now_ms, int64_t *ret_id, struct error *err)
{
    db_stmt *s = store_row_stmt(
        tx,
        "INSERT INTO metrics (region, namespace, name, dims, last_put) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (region, namespace, name, dims) "
        "DO UPDATE SET last_put = max(last_put, excluded.last_put) RETURNING id",
        STORE_ARGS(ARG_TEXT(region), ARG_TEXT(ns), ARG_TEXT(name), ARG_TEXT(dims), ARG_INT(now_ms)), err);
    int r = store_row_get(tx, s, read_id, ret_id, "put metric", err);
    if (r == 0)
        return error_set(err, ERR_INTERNAL, "put metric: no id");
    return r < 0 ? -1 : 0;
}

int store_metric_find(struct store_tx *tx, const char *region, const char *ns, const char *name, const char *dims,
                      int64_t *ret_id, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT id FROM metrics WHERE region = ?1 AND namespace = ?2 AND name = ?3 "
                                "AND dims = ?4",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(ns), ARG_TEXT(name), ARG_TEXT(dims)), err);
    return store_row_get(tx, s, read_id, ret_id, "find metric", err);
}

int store_metric_point_add(struct store_tx *tx, int64_t metric_id, const struct store_metric_point *p,
                           struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO metric_points (metric_id, at_ms, unit, count, sum, min, max) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                          STORE_ARGS(ARG_INT(metric_id), ARG_INT(p->at_ms), ARG_TEXT(p->unit), ARG_REAL(p->count),
                                     ARG_REAL(p->sum), ARG_REAL(p->min), ARG_REAL(p->max)),
                          err);
}

struct point_call {
    store_metric_point_fn fn;
    void *ud;
};

static int each_point(db_stmt *s, void *ud, struct error *err)
{
    const struct point_call *c = ud;
    struct store_metric_point p = {
        .at_ms = db_col_int64(s, 0),
        .unit = db_col_text(s, 1),
        .count = db_col_double(s, 2),
        .sum = db_col_double(s, 3),
        .min = db_col_double(s, 4),
        .max = db_col_double(s, 5),
    };
    if (!p.unit)
        p.unit = "None";
    return c->fn(&p, c->ud, err);
}

int store_metric_points(struct store_tx *tx, int64_t metric_id, int64_t from_ms, int64_t to_ms,
                        store_metric_point_fn fn, void *ud, struct error *err)
{
    struct point_call c = {fn, ud};
    db_stmt *s = store_row_stmt(tx,
                                "SELECT at_ms, unit, count, sum, min, max FROM metric_points "
                                "WHERE metric_id = ?1 AND at_ms >= ?2 AND at_ms < ?3 ORDER BY at_ms",
                                STORE_ARGS(ARG_INT(metric_id), ARG_INT(from_ms), ARG_INT(to_ms)), err);
    return store_row_each(tx, s, -1, each_point, &c, NULL, "metric points", err);
}

struct metric_call {
    store_metric_fn fn;
    void *ud;
};

static int each_metric(db_stmt *s, void *ud, struct error *err)
{
    const struct metric_call *c = ud;
    return c->fn(db_col_int64(s, 0), db_col_text(s, 1), db_col_text(s, 2), db_col_text(s, 3), c->ud, err);
}

int store_metrics_each(struct store_tx *tx, const char *region, const char *ns, const char *name, int64_t after_id,
                       int64_t active_since_ms, store_metric_fn fn, void *ud, struct error *err)
{
    struct metric_call c = {fn, ud};
    db_stmt *s = store_row_stmt(
        tx,
        "SELECT id, namespace, name, dims FROM metrics WHERE region = ?1 "
        "AND (namespace = ?2 OR ?2 IS NULL) AND (name = ?3 OR ?3 IS NULL) "
        "AND id > ?4 AND last_put >= ?5 ORDER BY id",
        STORE_ARGS(ARG_TEXT(region), ARG_TEXT(ns), ARG_TEXT(name), ARG_INT(after_id), ARG_INT(active_since_ms)), err);
    return store_row_each(tx, s, -1, each_metric, &c, NULL, "list metrics", err);
}

int store_metrics_purge(struct store_tx *tx, int64_t before_ms, int64_t *ret_count, struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM metric_points WHERE at_ms < ?1", STORE_ARGS(ARG_INT(before_ms)), err) < 0)
        return -1;
    *ret_count = db_changes(tx);
    return store_row_exec(tx,
                          "DELETE FROM metrics WHERE last_put < ?1 AND NOT EXISTS "
                          "(SELECT 1 FROM metric_points WHERE metric_id = metrics.id)",
                          STORE_ARGS(ARG_INT(before_ms)), err);
}
