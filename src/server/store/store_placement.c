/* store_placement.c - the bulk queries behind a placement snapshot. */
#include "server/store/store_placement.h"

#include <string.h>

#include "server/store/store_internal.h"

int store_placement_instances(struct store_tx *tx, int64_t cluster_id, store_instance_fn fn, void *ud,
                              struct error *err)
{
    /* One statement for all rows: a query per instance made the snapshot,
     * and so every RunTask, cost O(instances) statements. */
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT " INSTANCE_COLUMNS " FROM container_instances WHERE cluster_id = ?1 "
                                 "AND status = 'ACTIVE' ORDER BY id",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct instance_row row;
        if (store_instance_read_row(s, &row, err) < 0) {
            sqlite3_reset(s);
            return -1;
        }
        int r = fn(ud, &row, err);
        instance_row_clear(&row);
        if (r < 0) {
            sqlite3_reset(s);
            return -1;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : store_fail(tx, "placement instances", err);
}

int store_placement_attrs(struct store_tx *tx, int64_t cluster_id, store_attr_fn fn, void *ud, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT target_id, name, value FROM attributes WHERE cluster_id = ?1 "
                                 "AND target_type = 'container-instance'",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (fn(ud, store_col_text(s, 0), store_col_text(s, 1), store_col_text(s, 2), err) < 0) {
            sqlite3_reset(s);
            return -1;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : store_fail(tx, "placement attributes", err);
}

int store_placement_ports(struct store_tx *tx, int64_t cluster_id, store_port_fn fn, void *ud, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT p.instance_id, p.protocol, p.port FROM instance_ports p "
                                 "JOIN container_instances i ON i.id = p.instance_id "
                                 "WHERE i.cluster_id = ?1 AND i.status = 'ACTIVE'",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (fn(ud, sqlite3_column_int64(s, 0), store_col_text(s, 1), sqlite3_column_int(s, 2), err) < 0) {
            sqlite3_reset(s);
            return -1;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : store_fail(tx, "placement ports", err);
}

int store_placement_groups(struct store_tx *tx, int64_t cluster_id, store_group_fn fn, void *ud, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT instance_id, grp, count(*) FROM tasks WHERE cluster_id = ?1 "
                                 "AND holds_resources = 1 AND instance_id IS NOT NULL AND grp IS NOT NULL "
                                 "GROUP BY instance_id, grp",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (fn(ud, sqlite3_column_int64(s, 0), store_col_text(s, 1), sqlite3_column_int(s, 2), err) < 0) {
            sqlite3_reset(s);
            return -1;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : store_fail(tx, "placement groups", err);
}

int store_placement_gen(struct store_tx *tx, int64_t cluster_id, int64_t *ret_gen, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx, "SELECT gen FROM placement_gen WHERE cluster_id = ?1", err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    int rc = sqlite3_step(s);
    *ret_gen = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(tx, "placement generation", err);
}
