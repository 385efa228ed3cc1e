/* store_instances.c - the container_instances, attributes and
 * instance_ports tables. */
#include "server/store/store_instances.h"

#include <string.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

void instance_row_clear(struct instance_row *row)
{
    if (row)
        store_row_clear(row, row->doc, sizeof(*row));
}

int store_instance_read_row(db_stmt *s, void *ret_row, struct error *err)
{
    struct instance_row row;
    memset(&row, 0, sizeof(row));
    row.id = db_col_int64(s, 0);
    row.cluster_id = db_col_int64(s, 1);
    snprintf(row.uuid, sizeof(row.uuid), "%s", store_col_text(s, 2));
    snprintf(row.ec2_instance_id, sizeof(row.ec2_instance_id), "%s", store_col_text(s, 3));
    snprintf(row.status, sizeof(row.status), "%s", store_col_text(s, 4));
    row.registered_at = db_col_int64(s, 5);
    row.version = db_col_int64(s, 6);
    row.reg_cpu = db_col_int64(s, 7);
    row.reg_memory = db_col_int64(s, 8);
    row.used_cpu = db_col_int64(s, 9);
    row.used_memory = db_col_int64(s, 10);
    row.running_count = db_col_int(s, 11);
    row.pending_count = db_col_int(s, 12);
    row.doc = store_row_doc(s, 13, err);
    if (!row.doc)
        return error_prefix(err, "container instance %s", row.uuid);
    *(struct instance_row *)ret_row = row;
    return 0;
}

int store_instance_get(struct store_tx *tx, int64_t cluster_id, const char *uuid, struct instance_row *ret_row,
                       struct error *err)
{
    db_stmt *s =
        store_row_stmt(tx, "SELECT " INSTANCE_COLUMNS " FROM container_instances WHERE cluster_id = ?1 AND uuid = ?2",
                       STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(uuid)), err);
    return store_row_get(tx, s, store_instance_read_row, ret_row, "get container instance", err);
}

int store_instance_get_by_id(struct store_tx *tx, int64_t id, struct instance_row *ret_row, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " INSTANCE_COLUMNS " FROM container_instances WHERE id = ?1",
                                STORE_ARGS(ARG_INT(id)), err);
    return store_row_get(tx, s, store_instance_read_row, ret_row, "get container instance", err);
}

int store_instance_put(struct store_tx *tx, struct instance_row *row, struct error *err)
{
    db_stmt *s = store_row_stmt(
        tx,
        row->id == 0 ? "INSERT INTO container_instances (cluster_id, uuid, ec2_instance_id, status, registered_at, "
                       "version, reg_cpu, reg_memory, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                     : "UPDATE container_instances SET ec2_instance_id = ?3, status = ?4, registered_at = ?5, "
                       "version = ?6, reg_cpu = ?7, reg_memory = ?8, doc = ?9 WHERE id = ?10",
        STORE_ARGS(ARG_INT(row->cluster_id), ARG_TEXT(row->uuid), ARG_TEXT(row->ec2_instance_id), ARG_TEXT(row->status),
                   ARG_INT(row->registered_at), ARG_INT(row->version), ARG_INT(row->reg_cpu), ARG_INT(row->reg_memory)),
        err);
    return store_row_put_doc(tx, s, row->doc, 9, &row->id, err);
}

int store_instance_adjust(struct store_tx *tx, int64_t id, int64_t cpu, int64_t memory, int running, int pending,
                          struct error *err)
{
    return store_row_exec(tx,
                          "UPDATE container_instances SET used_cpu = used_cpu + ?2, "
                          "used_memory = used_memory + ?3, running_count = running_count + ?4, "
                          "pending_count = pending_count + ?5, version = version + 1 WHERE id = ?1",
                          STORE_ARGS(ARG_INT(id), ARG_INT(cpu), ARG_INT(memory), ARG_INT(running), ARG_INT(pending)),
                          err);
}

int store_instance_list(struct store_tx *tx, int64_t cluster_id, const char *status, const char *after, int limit,
                        json_t *ret_uuids, bool *ret_more, struct error *err)
{
    /* Without a status, ?2 is left unbound (NULL): that statement has none. */
    db_stmt *s = store_row_stmt(tx,
                                status ? "SELECT uuid FROM container_instances WHERE cluster_id = ?1 "
                                         "AND status = ?2 AND uuid > ?3 ORDER BY uuid LIMIT ?4"
                                       : "SELECT uuid FROM container_instances WHERE cluster_id = ?1 "
                                         "AND status IN ('ACTIVE', 'DRAINING') AND uuid > ?3 ORDER BY uuid LIMIT ?4",
                                STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(status), ARG_TEXT(after ? after : ""),
                                           ARG_INT(limit < 0 ? -1 : limit + 1)),
                                err);
    return store_row_each(tx, s, limit, store_row_append_text, ret_uuids, ret_more, "list container instances", err);
}

int store_instance_count(struct store_tx *tx, int64_t cluster_id, int64_t *ret_count, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT coalesce(sum(n), 0) FROM cluster_instance_counts WHERE cluster_id = ?1 "
                                "AND status IN ('ACTIVE', 'DRAINING')",
                                STORE_ARGS(ARG_INT(cluster_id)), err);
    return store_row_int64s(tx, s, ret_count, 1, "count container instances", err);
}

int store_instance_totals(struct store_tx *tx, int64_t cluster_id, int64_t ret[4], struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT coalesce(sum(reg_cpu), 0), coalesce(sum(used_cpu), 0), "
                                "coalesce(sum(reg_memory), 0), coalesce(sum(used_memory), 0) "
                                "FROM container_instances WHERE cluster_id = ?1 "
                                "AND status IN ('ACTIVE', 'DRAINING')",
                                STORE_ARGS(ARG_INT(cluster_id)), err);
    return store_row_int64s(tx, s, ret, 4, "sum container instances", err);
}

int store_instance_ids_by_attr(struct store_tx *tx, int64_t cluster_id, const char *name, const char *value,
                               json_t *ret_ids, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                /* CROSS JOIN pins the order: the agent's attribute rows
                                      * first, so the cost is its instances, not the cluster's. */
                                "SELECT i.id FROM attributes a CROSS JOIN container_instances i "
                                "ON i.uuid = a.target_id "
                                "WHERE a.cluster_id = ?1 AND a.target_type = 'container-instance' "
                                "AND a.name = ?2 AND a.value = ?3 AND i.status != 'INACTIVE'",
                                STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(name), ARG_TEXT(value)), err);
    return store_row_each(tx, s, -1, store_row_append_int, ret_ids, NULL, "instances by attribute", err);
}

/* A reserved port, as the string the callers list it as. */
static int port_json(db_stmt *s, void *list, struct error *err)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%d", db_col_int(s, 0));
    json_array_append_new(list, json_string(buf));
    return 0;
}

int store_instance_ports(struct store_tx *tx, int64_t instance_id, const char *protocol, json_t *ret_ports,
                         struct error *err)
{
    db_stmt *s =
        store_row_stmt(tx, "SELECT port FROM instance_ports WHERE instance_id = ?1 AND protocol = ?2 ORDER BY port",
                       STORE_ARGS(ARG_INT(instance_id), ARG_TEXT(protocol)), err);
    return store_row_each(tx, s, -1, port_json, ret_ports, NULL, "list ports", err);
}

int store_port_reserve(struct store_tx *tx, int64_t instance_id, const char *protocol, int port, int64_t task_id,
                       struct error *err)
{
    if (store_row_exec(tx,
                       "INSERT OR IGNORE INTO instance_ports (instance_id, protocol, port, task_id) "
                       "VALUES (?1, ?2, ?3, ?4)",
                       STORE_ARGS(ARG_INT(instance_id), ARG_TEXT(protocol), ARG_INT(port), ARG_INT(task_id)), err) < 0)
        return -1;
    return db_changes(tx) == 1 ? 0 : 1;
}

int store_ports_release_task(struct store_tx *tx, int64_t task_id, struct error *err)
{
    return store_row_exec(tx, "DELETE FROM instance_ports WHERE task_id = ?1", STORE_ARGS(ARG_INT(task_id)), err);
}

/* Complete the attribute object a from the columns (name, value) at col and
 * append it to list; an attribute without a value has no "value" member. */
static int attr_append(json_t *list, json_t *a, db_stmt *s, int col)
{
    json_object_set_new(a, "name", json_string(store_col_text(s, col)));
    if (!db_col_is_null(s, col + 1))
        json_object_set_new(a, "value", json_string(store_col_text(s, col + 1)));
    json_array_append_new(list, a);
    return 0;
}

static int attr_row(db_stmt *s, void *list, struct error *err) { return attr_append(list, json_object(), s, 0); }

static int target_attr_row(db_stmt *s, void *list, struct error *err)
{
    return attr_append(list, json_pack("{s:s}", "targetId", store_col_text(s, 0)), s, 1);
}

/* Parameters ?1 to ?3 of every attributes statement: the target's key. */
#define TARGET_ARGS(cluster_id, type, id) ARG_INT(cluster_id), ARG_TEXT(type), ARG_TEXT(id)

int store_attrs_get(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                    json_t *ret_list, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT name, value FROM attributes WHERE cluster_id = ?1 AND target_type = ?2 "
                                "AND target_id = ?3 ORDER BY name",
                                STORE_ARGS(TARGET_ARGS(cluster_id, target_type, target_id)), err);
    return store_row_each(tx, s, -1, attr_row, ret_list, NULL, "get attributes", err);
}

struct attr_value {
    char *buf;
    size_t cap;
};

static int attr_value_row(db_stmt *s, void *ret, struct error *err)
{
    struct attr_value *v = ret;
    snprintf(v->buf, v->cap, "%s", db_col_is_null(s, 0) ? "" : store_col_text(s, 0));
    return 0;
}

int store_attr_value(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                     const char *name, char *buf, size_t cap, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT value FROM attributes WHERE cluster_id = ?1 AND target_type = ?2 "
                                "AND target_id = ?3 AND name = ?4",
                                STORE_ARGS(TARGET_ARGS(cluster_id, target_type, target_id), ARG_TEXT(name)), err);
    struct attr_value v = {.buf = buf, .cap = cap};
    buf[0] = '\0';
    return store_row_get(tx, s, attr_value_row, &v, "get attribute", err);
}

int store_attrs_put(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                    const char *name, const char *value, struct error *err)
{
    return store_row_exec(
        tx,
        "INSERT INTO attributes (cluster_id, target_type, target_id, name, value) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (cluster_id, target_type, target_id, name) DO UPDATE SET value = excluded.value",
        STORE_ARGS(TARGET_ARGS(cluster_id, target_type, target_id), ARG_TEXT(name), ARG_TEXT(value)), err);
}

int store_attrs_delete(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                       const char *name, struct error *err)
{
    if (store_row_exec(tx,
                       "DELETE FROM attributes WHERE cluster_id = ?1 AND target_type = ?2 "
                       "AND target_id = ?3 AND name = ?4",
                       STORE_ARGS(TARGET_ARGS(cluster_id, target_type, target_id), ARG_TEXT(name)), err) < 0)
        return -1;
    return db_changes(tx) > 0 ? 1 : 0;
}

int store_attrs_delete_target(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                              struct error *err)
{
    return store_row_exec(tx, "DELETE FROM attributes WHERE cluster_id = ?1 AND target_type = ?2 AND target_id = ?3",
                          STORE_ARGS(TARGET_ARGS(cluster_id, target_type, target_id)), err);
}

int store_attrs_list(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *name,
                     const char *value, const char *after, int limit, json_t *ret_list, bool *ret_more,
                     struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT target_id, name, value FROM attributes WHERE cluster_id = ?1 "
                                "AND target_type = ?2 AND (name = ?3 OR ?3 IS NULL) AND (value = ?4 OR ?4 IS NULL) "
                                "AND (target_id || char(9) || name) > ?5 ORDER BY target_id, name LIMIT ?6",
                                STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(target_type), ARG_TEXT(name), ARG_TEXT(value),
                                           ARG_TEXT(after ? after : ""), ARG_INT(limit + 1)),
                                err);
    return store_row_each(tx, s, limit, target_attr_row, ret_list, ret_more, "list attributes", err);
}

static int group_row(db_stmt *s, void *list, struct error *err)
{
    json_array_append_new(list, json_pack("{s:s, s:i}", "group", store_col_text(s, 0), "count", db_col_int(s, 1)));
    return 0;
}

int store_instance_groups(struct store_tx *tx, int64_t instance_id, json_t *ret_list, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT grp, count(*) FROM tasks WHERE instance_id = ?1 AND holds_resources = 1 "
                                "AND grp IS NOT NULL GROUP BY grp",
                                STORE_ARGS(ARG_INT(instance_id)), err);
    return store_row_each(tx, s, -1, group_row, ret_list, NULL, "instance groups", err);
}
