/* store_services.c - the services and service_events tables, and the
 * scheduler's query over a service's tasks. */
#include "server/store/store_services.h"

#include <stdlib.h>
#include <string.h>

#include "server/store/store_internal.h"

#define SERVICE_COLUMNS "id, cluster_id, region, name, status, launch_type, scheduling_strategy, created_at, doc"

void service_row_clear(struct service_row *row)
{
    if (!row)
        return;
    json_decref(row->doc);
    memset(row, 0, sizeof(*row));
}

static int get_one(struct store_tx *tx, sqlite3_stmt *s, struct service_row *ret_row, struct error *err)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return store_fail(tx, "get service", err);
    struct service_row row;
    memset(&row, 0, sizeof(row));
    row.id = sqlite3_column_int64(s, 0);
    row.cluster_id = sqlite3_column_int64(s, 1);
    snprintf(row.region, sizeof(row.region), "%s", store_col_text(s, 2));
    snprintf(row.name, sizeof(row.name), "%s", store_col_text(s, 3));
    snprintf(row.status, sizeof(row.status), "%s", store_col_text(s, 4));
    snprintf(row.launch_type, sizeof(row.launch_type), "%s", store_col_text(s, 5));
    snprintf(row.scheduling_strategy, sizeof(row.scheduling_strategy), "%s", store_col_text(s, 6));
    row.created_at = sqlite3_column_int64(s, 7);
    json_error_t jerr;
    row.doc = json_loads(store_col_text(s, 8), 0, &jerr);
    sqlite3_reset(s);
    if (!row.doc)
        return error_set(err, ERR_INTERNAL, "service %s: corrupt document: %s", row.name, jerr.text);
    *ret_row = row;
    return 1;
}

int store_service_get(struct store_tx *tx, int64_t cluster_id, const char *name, struct service_row *ret_row,
                      struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT " SERVICE_COLUMNS " FROM services WHERE cluster_id = ?1 AND name = ?2 "
                                 "ORDER BY status = 'INACTIVE', id DESC LIMIT 1",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    store_bind_text(s, 2, name);
    return get_one(tx, s, ret_row, err);
}

int store_service_get_by_id(struct store_tx *tx, int64_t id, struct service_row *ret_row, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx, "SELECT " SERVICE_COLUMNS " FROM services WHERE id = ?1", err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    return get_one(tx, s, ret_row, err);
}

int store_service_put(struct store_tx *tx, struct service_row *row, struct error *err)
{
    char *doc = json_dumps(row->doc, JSON_COMPACT);
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    sqlite3_stmt *s;
    if (row->id == 0)
        s = store_stmt(tx,
                       "INSERT INTO services (cluster_id, region, name, status, launch_type, scheduling_strategy, "
                       "created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                       err);
    else
        s = store_stmt(tx, "UPDATE services SET status = ?4, doc = ?8 WHERE id = ?9", err);
    if (!s) {
        free(doc);
        return -1;
    }
    sqlite3_bind_int64(s, 1, row->cluster_id);
    store_bind_text(s, 2, row->region);
    store_bind_text(s, 3, row->name);
    store_bind_text(s, 4, row->status);
    store_bind_text(s, 5, row->launch_type);
    store_bind_text(s, 6, row->scheduling_strategy);
    sqlite3_bind_int64(s, 7, row->created_at);
    sqlite3_bind_text(s, 8, doc, -1, free);
    if (row->id)
        sqlite3_bind_int64(s, 9, row->id);
    if (store_exec_stmt(tx, s, err) < 0)
        return -1;
    if (row->id == 0)
        row->id = sqlite3_last_insert_rowid(tx->db);
    return 0;
}

int store_service_list(struct store_tx *tx, int64_t cluster_id, const char *launch_type, const char *strategy,
                       const char *after, int limit, json_t *ret_names, bool *ret_more, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT name FROM services WHERE cluster_id = ?1 AND status != 'INACTIVE' "
                                 "AND name > ?2 AND (?3 IS NULL OR launch_type = ?3) "
                                 "AND (?4 IS NULL OR scheduling_strategy = ?4) ORDER BY name LIMIT ?5",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    store_bind_text(s, 2, after ? after : "");
    store_bind_text(s, 3, launch_type);
    store_bind_text(s, 4, strategy);
    sqlite3_bind_int(s, 5, limit + 1);
    int n = 0, rc;
    *ret_more = false;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == limit) {
            *ret_more = true;
            break;
        }
        json_array_append_new(ret_names, json_string(store_col_text(s, 0)));
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(tx, "list services", err);
    sqlite3_reset(s);
    return 0;
}

int store_service_live_ids(struct store_tx *tx, json_t *ret_ids, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx, "SELECT id FROM services WHERE status != 'INACTIVE' ORDER BY id", err);
    if (!s)
        return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        json_array_append_new(ret_ids, json_integer(sqlite3_column_int64(s, 0)));
    if (rc != SQLITE_DONE)
        return store_fail(tx, "list live services", err);
    sqlite3_reset(s);
    return 0;
}

int store_service_counts(struct store_tx *tx, int64_t cluster_id, int64_t *ret_active, int64_t *ret_draining,
                         struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT coalesce(sum(status = 'ACTIVE'), 0), coalesce(sum(status = 'DRAINING'), 0) "
                                 "FROM services WHERE cluster_id = ?1 AND status != 'INACTIVE'",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    if (sqlite3_step(s) != SQLITE_ROW)
        return store_fail(tx, "count services", err);
    *ret_active = sqlite3_column_int64(s, 0);
    *ret_draining = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return 0;
}

int store_service_event_add(struct store_tx *tx, int64_t service_id, const char *uuid, usec_t at, const char *message,
                            int keep, struct error *err)
{
    sqlite3_stmt *s = store_stmt(
        tx, "INSERT INTO service_events (service_id, uuid, created_at, message) VALUES (?1, ?2, ?3, ?4)", err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, service_id);
    store_bind_text(s, 2, uuid);
    sqlite3_bind_int64(s, 3, at);
    store_bind_text(s, 4, message);
    if (store_exec_stmt(tx, s, err) < 0)
        return -1;
    s = store_stmt(tx,
                   "DELETE FROM service_events WHERE service_id = ?1 AND id <= (SELECT id FROM service_events "
                   "WHERE service_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
                   err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, service_id);
    sqlite3_bind_int(s, 2, keep);
    return store_exec_stmt(tx, s, err);
}

int store_service_events(struct store_tx *tx, int64_t service_id, int limit, json_t *ret_list, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT uuid, created_at, message FROM service_events WHERE service_id = ?1 "
                                 "ORDER BY id DESC LIMIT ?2",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, service_id);
    sqlite3_bind_int(s, 2, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        json_array_append_new(ret_list, json_pack("{s:s, s:f, s:s}", "id", store_col_text(s, 0), "createdAt",
                                                  time_to_epoch_seconds(sqlite3_column_int64(s, 1)), "message",
                                                  store_col_text(s, 2)));
    if (rc != SQLITE_DONE)
        return store_fail(tx, "list service events", err);
    sqlite3_reset(s);
    return 0;
}

static usec_t col_epoch(sqlite3_stmt *s, int idx)
{
    if (sqlite3_column_type(s, idx) == SQLITE_NULL)
        return 0;
    return time_from_epoch_seconds(sqlite3_column_double(s, idx));
}

int store_service_status_counts(struct store_tx *tx, int64_t cluster_id, const char *service, store_status_count_fn fn,
                                void *ud, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT started_by, last_status, n FROM service_task_counts "
                                 "WHERE cluster_id = ?1 AND service_name = ?2 AND n > 0",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    store_bind_text(s, 2, service);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (fn(ud, store_col_text(s, 0), store_col_text(s, 1), sqlite3_column_int64(s, 2), err) < 0) {
            sqlite3_reset(s);
            return -1;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : store_fail(tx, "service task counts", err);
}

int store_service_tasks(struct store_tx *tx, int64_t cluster_id, const char *service, bool stopped,
                        usec_t stopped_after, struct service_task **ret_tasks, size_t *ret_n, struct error *err)
{
    sqlite3_stmt *s = store_stmt(
        tx,
        "SELECT t.id, t.uuid, t.started_by, t.desired_status, t.last_status, "
        "json_extract(t.doc, '$.healthStatus'), json_extract(t.doc, '$.stopCode'), ci.status, t.instance_id, "
        "t.created_at, json_extract(t.doc, '$.startedAt'), t.stopped_at, json_extract(t.doc, '$.availabilityZone') "
        "FROM tasks t "
        "LEFT JOIN container_instances ci ON ci.id = t.instance_id "
        "WHERE t.cluster_id = ?1 AND t.service_name = ?2 AND "
        "((?3 = 0 AND t.last_status != 'STOPPED') OR (?3 = 1 AND t.stopped_at > ?4)) ORDER BY t.id",
        err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, cluster_id);
    store_bind_text(s, 2, service);
    sqlite3_bind_int(s, 3, stopped ? 1 : 0);
    sqlite3_bind_int64(s, 4, stopped_after);
    struct service_task *list = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct service_task *grown = realloc(list, ncap * sizeof(*list));
            if (!grown) {
                free(list);
                sqlite3_reset(s);
                return error_set(err, ERR_INTERNAL, "out of memory");
            }
            list = grown;
            cap = ncap;
        }
        struct service_task *t = &list[n++];
        memset(t, 0, sizeof(*t));
        t->id = sqlite3_column_int64(s, 0);
        snprintf(t->uuid, sizeof(t->uuid), "%s", store_col_text(s, 1));
        snprintf(t->started_by, sizeof(t->started_by), "%s", store_col_text(s, 2) ? store_col_text(s, 2) : "");
        snprintf(t->desired_status, sizeof(t->desired_status), "%s", store_col_text(s, 3));
        snprintf(t->last_status, sizeof(t->last_status), "%s", store_col_text(s, 4));
        snprintf(t->health, sizeof(t->health), "%s", store_col_text(s, 5) ? store_col_text(s, 5) : "UNKNOWN");
        snprintf(t->stop_code, sizeof(t->stop_code), "%s", store_col_text(s, 6) ? store_col_text(s, 6) : "");
        snprintf(t->instance_status, sizeof(t->instance_status), "%s",
                 store_col_text(s, 7) ? store_col_text(s, 7) : "");
        t->instance_id = sqlite3_column_int64(s, 8);
        t->created_at = sqlite3_column_int64(s, 9);
        t->started_at = col_epoch(s, 10);
        t->stopped_at = sqlite3_column_int64(s, 11);
        snprintf(t->az, sizeof(t->az), "%s", store_col_text(s, 12) ? store_col_text(s, 12) : "");
    }
    if (rc != SQLITE_DONE) {
        free(list);
        return store_fail(tx, "list service tasks", err);
    }
    sqlite3_reset(s);
    *ret_tasks = list;
    *ret_n = n;
    return 0;
}
