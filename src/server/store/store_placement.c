/* store_placement.c - the bulk queries behind a placement snapshot. */
#include "server/store/store_placement.h"

#include <string.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

/* The caller's callback and its data, for the row functions below. */
struct walk {
    union {
        store_instance_fn instance;
        store_attr_fn attr;
        store_port_fn port;
        store_group_fn group;
    } fn;
    void *ud;
};

/* Run sql, whose one parameter is the cluster id, calling row on each row. */
static int walk_cluster(struct store_tx *tx, const char *sql, int64_t cluster_id, store_row_fn row, struct walk *w,
                        const char *what, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, sql, STORE_ARGS(ARG_INT(cluster_id)), err);
    return store_row_each(tx, s, -1, row, w, NULL, what, err);
}

static int instance_row(db_stmt *s, void *ud, struct error *err)
{
    struct walk *w = ud;
    struct instance_row row;
    if (store_instance_read_row(s, &row, err) < 0)
        return -1;
    int r = w->fn.instance(w->ud, &row, err);
    instance_row_clear(&row);
    return r < 0 ? -1 : 0;
}

int store_placement_instances(struct store_tx *tx, int64_t cluster_id, store_instance_fn fn, void *ud,
                              struct error *err)
{
    /* One statement for all rows: a query per instance made the snapshot,
     * and so every RunTask, cost O(instances) statements. */
    struct walk w = {.fn.instance = fn, .ud = ud};
    return walk_cluster(tx,
                        "SELECT " INSTANCE_COLUMNS " FROM container_instances WHERE cluster_id = ?1 "
                        "AND status = 'ACTIVE' ORDER BY id",
                        cluster_id, instance_row, &w, "placement instances", err);
}

static int attr_row(db_stmt *s, void *ud, struct error *err)
{
    struct walk *w = ud;
    int r = w->fn.attr(w->ud, store_col_text(s, 0), store_col_text(s, 1), store_col_text(s, 2), err);
    return r < 0 ? -1 : 0;
}

int store_placement_attrs(struct store_tx *tx, int64_t cluster_id, store_attr_fn fn, void *ud, struct error *err)
{
    struct walk w = {.fn.attr = fn, .ud = ud};
    return walk_cluster(tx,
                        "SELECT target_id, name, value FROM attributes WHERE cluster_id = ?1 "
                        "AND target_type = 'container-instance'",
                        cluster_id, attr_row, &w, "placement attributes", err);
}

static int port_row(db_stmt *s, void *ud, struct error *err)
{
    struct walk *w = ud;
    int r = w->fn.port(w->ud, db_col_int64(s, 0), store_col_text(s, 1), db_col_int(s, 2), err);
    return r < 0 ? -1 : 0;
}

int store_placement_ports(struct store_tx *tx, int64_t cluster_id, store_port_fn fn, void *ud, struct error *err)
{
    struct walk w = {.fn.port = fn, .ud = ud};
    return walk_cluster(tx,
                        "SELECT p.instance_id, p.protocol, p.port FROM instance_ports p "
                        "JOIN container_instances i ON i.id = p.instance_id "
                        "WHERE i.cluster_id = ?1 AND i.status = 'ACTIVE'",
                        cluster_id, port_row, &w, "placement ports", err);
}

static int group_row(db_stmt *s, void *ud, struct error *err)
{
    struct walk *w = ud;
    int r = w->fn.group(w->ud, db_col_int64(s, 0), store_col_text(s, 1), db_col_int(s, 2), err);
    return r < 0 ? -1 : 0;
}

int store_placement_groups(struct store_tx *tx, int64_t cluster_id, store_group_fn fn, void *ud, struct error *err)
{
    struct walk w = {.fn.group = fn, .ud = ud};
    return walk_cluster(tx,
                        "SELECT instance_id, grp, count(*) FROM tasks WHERE cluster_id = ?1 "
                        "AND holds_resources = 1 AND instance_id IS NOT NULL AND grp IS NOT NULL "
                        "GROUP BY instance_id, grp",
                        cluster_id, group_row, &w, "placement groups", err);
}

int store_placement_gen(struct store_tx *tx, int64_t cluster_id, int64_t *ret_gen, struct error *err)
{
    db_stmt *s =
        store_row_stmt(tx, "SELECT gen FROM placement_gen WHERE cluster_id = ?1", STORE_ARGS(ARG_INT(cluster_id)), err);
    if (!s)
        return -1;
    int rc = db_step(s);
    *ret_gen = rc == DB_ROW ? db_col_int64(s, 0) : 0;
    db_reset(s);
    return rc == DB_ROW || rc == DB_DONE ? 0 : store_fail(tx, "placement generation", err);
}
