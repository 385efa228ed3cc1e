/* store_services.c - the services and service_events tables, and the
 * scheduler's query over a service's tasks. */
#include "server/store/store_services.h"

#include <string.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

#define SERVICE_COLUMNS "id, cluster_id, region, name, status, launch_type, scheduling_strategy, created_at, doc"

void service_row_clear(struct service_row *row)
{
    if (row)
        store_row_clear(row, row->doc, sizeof(*row));
}

static int read_service(db_stmt *s, void *ret_row, struct error *err)
{
    struct service_row row;
    memset(&row, 0, sizeof(row));
    row.id = db_col_int64(s, 0);
    row.cluster_id = db_col_int64(s, 1);
    snprintf(row.region, sizeof(row.region), "%s", store_col_text(s, 2));
    snprintf(row.name, sizeof(row.name), "%s", store_col_text(s, 3));
    snprintf(row.status, sizeof(row.status), "%s", store_col_text(s, 4));
    snprintf(row.launch_type, sizeof(row.launch_type), "%s", store_col_text(s, 5));
    snprintf(row.scheduling_strategy, sizeof(row.scheduling_strategy), "%s", store_col_text(s, 6));
    row.created_at = db_col_int64(s, 7);
    row.doc = store_row_doc(s, 8, err);
    if (!row.doc)
        return error_prefix(err, "service %s", row.name);
    *(struct service_row *)ret_row = row;
    return 0;
}

int store_service_get(struct store_tx *tx, int64_t cluster_id, const char *name, struct service_row *ret_row,
                      struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT " SERVICE_COLUMNS " FROM services WHERE cluster_id = ?1 AND name = ?2 "
                                "ORDER BY status = 'INACTIVE', id DESC LIMIT 1",
                                STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(name)), err);
    return store_row_get(tx, s, read_service, ret_row, "get service", err);
}

int store_service_get_by_id(struct store_tx *tx, int64_t id, struct service_row *ret_row, struct error *err)
{
    db_stmt *s =
        store_row_stmt(tx, "SELECT " SERVICE_COLUMNS " FROM services WHERE id = ?1", STORE_ARGS(ARG_INT(id)), err);
    return store_row_get(tx, s, read_service, ret_row, "get service", err);
}

int store_service_put(struct store_tx *tx, struct service_row *row, struct error *err)
{
    db_stmt *s = store_row_stmt(
        tx,
        row->id == 0 ? "INSERT INTO services (cluster_id, region, name, status, launch_type, scheduling_strategy, "
                       "created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                     : "UPDATE services SET status = ?4, doc = ?8 WHERE id = ?9",
        STORE_ARGS(ARG_INT(row->cluster_id), ARG_TEXT(row->region), ARG_TEXT(row->name), ARG_TEXT(row->status),
                   ARG_TEXT(row->launch_type), ARG_TEXT(row->scheduling_strategy), ARG_INT(row->created_at)),
        err);
    return store_row_put_doc(tx, s, row->doc, 8, &row->id, err);
}

int store_service_list(struct store_tx *tx, int64_t cluster_id, const char *launch_type, const char *strategy,
                       const char *after, int limit, json_t *ret_names, bool *ret_more, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT name FROM services WHERE cluster_id = ?1 AND status != 'INACTIVE' "
                                "AND name > ?2 AND (launch_type = ?3 OR ?3 IS NULL) "
                                "AND (scheduling_strategy = ?4 OR ?4 IS NULL) ORDER BY name LIMIT ?5",
                                STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(after ? after : ""), ARG_TEXT(launch_type),
                                           ARG_TEXT(strategy), ARG_INT(limit + 1)),
                                err);
    return store_row_each(tx, s, limit, store_row_append_text, ret_names, ret_more, "list services", err);
}

int store_service_live_ids(struct store_tx *tx, json_t *ret_ids, struct error *err)
{
    db_stmt *s = store_stmt(tx, "SELECT id FROM services WHERE status != 'INACTIVE' ORDER BY id", err);
    return store_row_each(tx, s, -1, store_row_append_int, ret_ids, NULL, "list live services", err);
}

int store_service_counts(struct store_tx *tx, int64_t cluster_id, int64_t *ret_active, int64_t *ret_draining,
                         struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT coalesce(sum(CASE WHEN status = 'ACTIVE' THEN 1 ELSE 0 END), 0), "
                                "coalesce(sum(CASE WHEN status = 'DRAINING' THEN 1 ELSE 0 END), 0) "
                                "FROM services WHERE cluster_id = ?1 AND status != 'INACTIVE'",
                                STORE_ARGS(ARG_INT(cluster_id)), err);
    int64_t counts[2];
    if (store_row_int64s(tx, s, counts, 2, "count services", err) < 0)
        return -1;
    *ret_active = counts[0];
    *ret_draining = counts[1];
    return 0;
}

int store_service_event_add(struct store_tx *tx, int64_t service_id, const char *uuid, usec_t at, const char *message,
                            int keep, struct error *err)
{
    if (store_row_exec(tx, "INSERT INTO service_events (service_id, uuid, created_at, message) VALUES (?1, ?2, ?3, ?4)",
                       STORE_ARGS(ARG_INT(service_id), ARG_TEXT(uuid), ARG_INT(at), ARG_TEXT(message)), err) < 0)
        return -1;
    return store_row_exec(tx,
                          "DELETE FROM service_events WHERE service_id = ?1 AND id <= (SELECT id FROM service_events "
                          "WHERE service_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
                          STORE_ARGS(ARG_INT(service_id), ARG_INT(keep)), err);
}

static int event_row(db_stmt *s, void *list, struct error *err)
{
    json_array_append_new(list, json_pack("{s:s, s:f, s:s}", "id", store_col_text(s, 0), "createdAt",
                                          time_to_epoch_seconds(db_col_int64(s, 1)), "message", store_col_text(s, 2)));
    return 0;
}

int store_service_events(struct store_tx *tx, int64_t service_id, int limit, json_t *ret_list, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT uuid, created_at, message FROM service_events WHERE service_id = ?1 "
                                "ORDER BY id DESC LIMIT ?2",
                                STORE_ARGS(ARG_INT(service_id), ARG_INT(limit)), err);
    return store_row_each(tx, s, -1, event_row, ret_list, NULL, "list service events", err);
}

static usec_t col_epoch(db_stmt *s, int idx)
{
    if (db_col_is_null(s, idx))
        return 0;
    return time_from_epoch_seconds(db_col_double(s, idx));
}

/* A text column that may be NULL, or `absent`. */
static const char *col_text_or(db_stmt *s, int idx, const char *absent)
{
    const char *v = store_col_text(s, idx);
    return v ? v : absent;
}

static int read_service_task(db_stmt *s, void *ret_task, struct error *err)
{
    struct service_task *t = ret_task;
    memset(t, 0, sizeof(*t));
    t->id = db_col_int64(s, 0);
    snprintf(t->uuid, sizeof(t->uuid), "%s", store_col_text(s, 1));
    snprintf(t->started_by, sizeof(t->started_by), "%s", col_text_or(s, 2, ""));
    snprintf(t->desired_status, sizeof(t->desired_status), "%s", store_col_text(s, 3));
    snprintf(t->last_status, sizeof(t->last_status), "%s", store_col_text(s, 4));
    snprintf(t->health, sizeof(t->health), "%s", col_text_or(s, 5, "UNKNOWN"));
    snprintf(t->stop_code, sizeof(t->stop_code), "%s", col_text_or(s, 6, ""));
    snprintf(t->instance_status, sizeof(t->instance_status), "%s", col_text_or(s, 7, ""));
    t->instance_id = db_col_int64(s, 8);
    t->created_at = db_col_int64(s, 9);
    t->started_at = col_epoch(s, 10);
    t->stopped_at = db_col_int64(s, 11);
    snprintf(t->az, sizeof(t->az), "%s", col_text_or(s, 12, ""));
    t->protected_until_ms = db_col_int64(s, 13);
    return 0;
}

struct count_walk {
    store_status_count_fn fn;
    void *ud;
};

static int count_row(db_stmt *s, void *ud, struct error *err)
{
    struct count_walk *w = ud;
    return w->fn(w->ud, store_col_text(s, 0), store_col_text(s, 1), db_col_int64(s, 2), err) < 0 ? -1 : 0;
}

int store_service_status_counts(struct store_tx *tx, int64_t cluster_id, const char *service, store_status_count_fn fn,
                                void *ud, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT started_by, last_status, n FROM service_task_counts "
                                "WHERE cluster_id = ?1 AND service_name = ?2 AND n > 0",
                                STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(service)), err);
    struct count_walk w = {fn, ud};
    return store_row_each(tx, s, -1, count_row, &w, NULL, "service task counts", err);
}

int store_service_tasks(struct store_tx *tx, int64_t cluster_id, const char *service, bool stopped,
                        usec_t stopped_after, struct service_task **ret_tasks, size_t *ret_n, struct error *err)
{
    db_stmt *s = store_row_stmt(
        tx,
        "SELECT t.id, t.uuid, t.started_by, t.desired_status, t.last_status, "
        "json_extract(t.doc, '$.healthStatus'), json_extract(t.doc, '$.stopCode'), ci.status, t.instance_id, "
        "t.created_at, json_extract(t.doc, '$.startedAt'), t.stopped_at, json_extract(t.doc, '$.availabilityZone'), "
        "json_extract(t.doc, '$.berth.protectedUntilMs') "
        "FROM tasks t "
        "LEFT JOIN container_instances ci ON ci.id = t.instance_id "
        "WHERE t.cluster_id = ?1 AND t.service_name = ?2 AND "
        "((?3 = 0 AND t.last_status != 'STOPPED') OR (?3 = 1 AND t.stopped_at > ?4)) ORDER BY t.id",
        STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(service), ARG_INT(stopped ? 1 : 0), ARG_INT(stopped_after)), err);
    return store_row_collect(tx, s, -1, sizeof(struct service_task), read_service_task, (void **)ret_tasks, ret_n, NULL,
                             "list service tasks", err);
}
