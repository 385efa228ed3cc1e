/* store_metric_rollup.c - CloudWatch downsampling (see
 * store_metric_rollup.h).
 *
 * A tier's window [done, cutoff) is rolled up in three statements: the
 * buckets holding more than one point, or a point off the bucket's start,
 * are inserted as one row each under a negative time (-1 - bucket start:
 * no point has one), the rows they replace are deleted, and the new rows
 * get their time back.  Buckets already rolled up (one row at their
 * start) are left alone, so that a coarser tier reading what a finer one
 * wrote does no needless work.  metric_rollups remembers each tier's
 * done; a first pass starts at the oldest point. */
#include "server/store/store_metric_rollup.h"

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

static int read_i64(db_stmt *s, void *ret, struct error *err)
{
    (void)err;
    *(int64_t *)ret = db_col_int64(s, 0);
    return 0;
}

/* Where the tier's next window starts: done_ms, else the oldest point; 0
 * when there is nothing to roll up. */
static int window_start(struct store_tx *tx, int tier, int64_t bucket, int64_t *ret, struct error *err)
{
    int64_t v = 0;
    db_stmt *s =
        store_row_stmt(tx, "SELECT done_ms FROM metric_rollups WHERE tier = ?1", STORE_ARGS(ARG_INT(tier)), err);
    int r = store_row_get(tx, s, read_i64, &v, "metric rollup state", err);
    if (r < 0)
        return -1;
    if (r == 0) {
        s = store_stmt(tx, "SELECT coalesce(min(at_ms), 0) FROM metric_points WHERE at_ms >= 0", err);
        if (store_row_int64s(tx, s, &v, 1, "oldest metric point", err) < 0)
            return -1;
        v -= v % bucket;
    }
    *ret = v;
    return 0;
}

static int rollup_window(struct store_tx *tx, int64_t lo, int64_t hi, int64_t bucket, int64_t *ret_rows,
                         struct error *err)
{
    if (store_row_exec(tx,
                       "INSERT INTO metric_points (metric_id, at_ms, unit, count, sum, min, max) "
                       "SELECT metric_id, -1 - (at_ms - at_ms % ?3), unit, sum(count), sum(sum), min(min), max(max) "
                       "FROM metric_points WHERE at_ms >= ?1 AND at_ms < ?2 "
                       "GROUP BY metric_id, at_ms - at_ms % ?3, unit "
                       "HAVING count(*) > 1 OR min(at_ms) % ?3 != 0",
                       STORE_ARGS(ARG_INT(lo), ARG_INT(hi), ARG_INT(bucket)), err) < 0)
        return -1;
    if (store_row_exec(tx,
                       "DELETE FROM metric_points WHERE at_ms >= ?1 AND at_ms < ?2 AND EXISTS "
                       "(SELECT 1 FROM metric_points n WHERE n.metric_id = metric_points.metric_id "
                       "AND n.at_ms = -1 - (metric_points.at_ms - metric_points.at_ms % ?3) "
                       "AND n.unit = metric_points.unit)",
                       STORE_ARGS(ARG_INT(lo), ARG_INT(hi), ARG_INT(bucket)), err) < 0)
        return -1;
    *ret_rows += db_changes(tx);
    return store_row_exec(tx, "UPDATE metric_points SET at_ms = -1 - at_ms WHERE at_ms < ?1", STORE_ARGS(ARG_INT(0)),
                          err);
}

int store_metrics_rollup(struct store_tx *tx, const struct store_rollup_tier *tiers, size_t n, int64_t now_ms,
                         int64_t span_ms, int64_t *ret_rows, struct error *err)
{
    int64_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        const struct store_rollup_tier *t = &tiers[i];
        int64_t cutoff = now_ms - t->age_ms, lo;
        cutoff -= cutoff % t->bucket_ms;
        if (window_start(tx, t->tier, t->bucket_ms, &lo, err) < 0)
            return -1;
        if (lo >= cutoff)
            continue;
        int64_t hi = cutoff - lo > span_ms ? lo + span_ms - span_ms % t->bucket_ms : cutoff;
        if (hi <= lo)
            hi = lo + t->bucket_ms;
        if (rollup_window(tx, lo, hi, t->bucket_ms, &rows, err) < 0 ||
            store_row_exec(tx,
                           "INSERT INTO metric_rollups (tier, done_ms) VALUES (?1, ?2) "
                           "ON CONFLICT (tier) DO UPDATE SET done_ms = excluded.done_ms",
                           STORE_ARGS(ARG_INT(t->tier), ARG_INT(hi)), err) < 0)
            return -1;
    }
    *ret_rows = rows;
    return 0;
}
