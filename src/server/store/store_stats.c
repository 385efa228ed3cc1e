/* store_stats.c - the Prometheus export's reads (see store_stats.h). */
#include "server/store/store_stats.h"

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

struct cluster_call {
    store_stats_cluster_fn fn;
    void *ud;
};

static int each_cluster(db_stmt *s, void *ud, struct error *err)
{
    const struct cluster_call *c = ud;
    return c->fn(db_col_text(s, 0), db_col_text(s, 1), db_col_int64(s, 2), c->ud, err);
}

int store_stats_clusters_each(struct store_tx *tx, store_stats_cluster_fn fn, void *ud, struct error *err)
{
    struct cluster_call c = {fn, ud};
    db_stmt *s = store_row_stmt(
        tx, "SELECT region, name, id FROM clusters WHERE status = 'ACTIVE' ORDER BY region, name", NULL, 0, err);
    return store_row_each(tx, s, -1, each_cluster, &c, NULL, "list clusters", err);
}

struct latest_call {
    store_stats_latest_fn fn;
    void *ud;
};

static int each_latest(db_stmt *s, void *ud, struct error *err)
{
    const struct latest_call *c = ud;
    struct store_stats_latest m = {
        .region = db_col_text(s, 0),
        .ns = db_col_text(s, 1),
        .name = db_col_text(s, 2),
        .dims = db_col_text(s, 3),
        .at_ms = db_col_int64(s, 4),
        .sum = db_col_double(s, 5),
        .count = db_col_double(s, 6),
    };
    return c->fn(&m, c->ud, err);
}

int store_stats_latest_each(struct store_tx *tx, const char *ns, int64_t since_ms, int limit, store_stats_latest_fn fn,
                            void *ud, struct error *err)
{
    struct latest_call c = {fn, ud};
    /* metric_points_time (metric_id, at_ms) answers the inner max at once. */
    db_stmt *s =
        store_row_stmt(tx,
                       "SELECT m.region, m.namespace, m.name, m.dims, p.at_ms, sum(p.sum), sum(p.count) "
                       "FROM metrics m JOIN metric_points p ON p.metric_id = m.id "
                       "AND p.at_ms = (SELECT max(at_ms) FROM metric_points WHERE metric_id = m.id) "
                       "WHERE m.namespace = ?1 AND m.last_put >= ?2 GROUP BY m.id, p.at_ms ORDER BY m.id LIMIT ?3",
                       STORE_ARGS(ARG_TEXT(ns), ARG_INT(since_ms), ARG_INT(limit)), err);
    return store_row_each(tx, s, -1, each_latest, &c, NULL, "latest metric points", err);
}
