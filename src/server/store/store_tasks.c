/* store_tasks.c - the tasks table and the change sequence agents poll. */
#include "server/store/store_tasks.h"

#include <string.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

#define TASK_COLUMNS                                                                                                   \
    "id, cluster_id, uuid, instance_id, family, taskdef_arn, started_by, grp, service_name, "                          \
    "launch_type, desired_status, last_status, created_at, stopped_at, seq, res_cpu, res_memory, "                     \
    "holds_resources, client_token, doc"

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

void task_row_clear(struct task_row *row)
{
    if (!row)
        return;
    free(row->taskdef_arn);
    free(row->started_by);
    free(row->group);
    free(row->service_name);
    free(row->client_token);
    json_decref(row->doc);
    memset(row, 0, sizeof(*row));
}

static int read_task(db_stmt *s, void *ret_row, struct error *err)
{
    struct task_row row;
    memset(&row, 0, sizeof(row));
    row.id = db_col_int64(s, 0);
    row.cluster_id = db_col_int64(s, 1);
    snprintf(row.uuid, sizeof(row.uuid), "%s", store_col_text(s, 2));
    row.instance_id = db_col_int64(s, 3);
    snprintf(row.family, sizeof(row.family), "%s", store_col_text(s, 4));
    row.taskdef_arn = dup_or_null(store_col_text(s, 5));
    row.started_by = dup_or_null(store_col_text(s, 6));
    row.group = dup_or_null(store_col_text(s, 7));
    row.service_name = dup_or_null(store_col_text(s, 8));
    snprintf(row.launch_type, sizeof(row.launch_type), "%s", store_col_text(s, 9));
    snprintf(row.desired_status, sizeof(row.desired_status), "%s", store_col_text(s, 10));
    snprintf(row.last_status, sizeof(row.last_status), "%s", store_col_text(s, 11));
    row.created_at = db_col_int64(s, 12);
    row.stopped_at = db_col_int64(s, 13);
    row.seq = db_col_int64(s, 14);
    row.res_cpu = db_col_int64(s, 15);
    row.res_memory = db_col_int64(s, 16);
    row.holds_resources = db_col_int(s, 17) != 0;
    row.client_token = dup_or_null(store_col_text(s, 18));
    row.was_read = true;
    row.was_instance_id = row.instance_id;
    memcpy(row.was_desired_status, row.desired_status, sizeof(row.desired_status));
    row.doc = store_row_doc(s, 19, err);
    if (!row.doc) {
        task_row_clear(&row);
        return error_prefix(err, "task");
    }
    *(struct task_row *)ret_row = row;
    return 0;
}

int store_task_get(struct store_tx *tx, int64_t cluster_id, const char *uuid, struct task_row *ret_row,
                   struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " TASK_COLUMNS " FROM tasks WHERE uuid = ?2 AND cluster_id = ?1",
                                STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(uuid)), err);
    return store_row_get(tx, s, read_task, ret_row, "get task", err);
}

int store_task_get_by_id(struct store_tx *tx, int64_t id, struct task_row *ret_row, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " TASK_COLUMNS " FROM tasks WHERE id = ?1", STORE_ARGS(ARG_INT(id)), err);
    return store_row_get(tx, s, read_task, ret_row, "get task", err);
}

int store_task_put(struct store_tx *tx, struct task_row *row, struct error *err)
{
    static const char insert[] =
        "INSERT INTO tasks (cluster_id, uuid, instance_id, family, taskdef_arn, started_by, grp, service_name, "
        "launch_type, desired_status, last_status, created_at, stopped_at, seq, res_cpu, res_memory, "
        "holds_resources, client_token, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
        "?14, ?15, ?16, ?17, ?18, ?19)";
    static const char update_all[] = "UPDATE tasks SET instance_id = ?3, desired_status = ?10, last_status = ?11, "
                                     "stopped_at = ?13, seq = ?14, res_cpu = ?15, res_memory = ?16, "
                                     "holds_resources = ?17, doc = ?19 WHERE id = ?20";
    /* An agent's report: the placement and the desired status stay. */
    static const char update_status[] = "UPDATE tasks SET last_status = ?11, stopped_at = ?13, seq = ?14, "
                                        "res_cpu = ?15, res_memory = ?16, holds_resources = ?17, doc = ?19 "
                                        "WHERE id = ?20";
    bool placed_as_read = row->was_read && row->was_instance_id == row->instance_id &&
                          strcmp(row->was_desired_status, row->desired_status) == 0;
    const char *sql = row->id == 0 ? insert : update_all;
    if (row->id != 0 && placed_as_read)
        sql = update_status;
    db_stmt *s = store_row_stmt(
        tx, sql,
        STORE_ARGS(ARG_INT(row->cluster_id), ARG_TEXT(row->uuid), ARG_INT_OR_NULL(row->instance_id),
                   ARG_TEXT(row->family), ARG_TEXT(row->taskdef_arn), ARG_TEXT(row->started_by), ARG_TEXT(row->group),
                   ARG_TEXT(row->service_name), ARG_TEXT(row->launch_type), ARG_TEXT(row->desired_status),
                   ARG_TEXT(row->last_status), ARG_INT(row->created_at), ARG_INT_OR_NULL(row->stopped_at),
                   ARG_INT(row->seq), ARG_INT(row->res_cpu), ARG_INT(row->res_memory),
                   ARG_INT(row->holds_resources ? 1 : 0), ARG_TEXT(row->client_token)),
        err);
    if (store_row_put_doc(tx, s, row->doc, 19, &row->id, err) < 0)
        return -1;
    row->was_read = true; /* what the table now holds */
    row->was_instance_id = row->instance_id;
    memcpy(row->was_desired_status, row->desired_status, sizeof(row->desired_status));
    return 0;
}

int store_task_next_seq(struct store_tx *tx, int64_t *ret_seq, struct error *err)
{
    db_stmt *s = store_stmt(tx, "UPDATE counters SET value = value + 1 WHERE name = 'task_seq' RETURNING value", err);
    return store_row_int64s(tx, s, ret_seq, 1, "next sequence", err);
}

int store_task_current_seq(struct store_tx *tx, int64_t *ret_seq, struct error *err)
{
    db_stmt *s = store_stmt(tx, "SELECT value FROM counters WHERE name = 'task_seq'", err);
    return store_row_int64s(tx, s, ret_seq, 1, "current sequence", err);
}

/* One statement per leading filter, so the index that matches it drives the
 * walk; the other filters are checked on the rows it yields.  Object-like
 * macros and literals only: tests/integration/store_sql.py joins them into
 * the statements PostgreSQL must accept. */
#define LIST_TASKS_SELECT "SELECT uuid FROM tasks "
#define LIST_TASKS_STATUS "WHERE cluster_id = ?1 AND desired_status = ?2 "
#define LIST_TASKS_REST                                                                                                \
    " AND uuid > ?3 AND (?4 = 0 OR instance_id = ?4) AND (family = ?5 OR ?5 IS NULL) "                                 \
    "AND (started_by = ?6 OR ?6 IS NULL) AND (service_name = ?7 OR ?7 IS NULL) "                                       \
    "AND (launch_type = ?8 OR ?8 IS NULL) ORDER BY uuid LIMIT ?9"

int store_task_list(struct store_tx *tx, int64_t cluster_id, const struct task_filter *f, const char *after, int limit,
                    json_t *ret_uuids, bool *ret_more, struct error *err)
{
    const char *sql;
    if (f->instance_id) /* all the instance's tasks, sorted by uuid (schema: why) */
        sql =
            LIST_TASKS_SELECT "INDEXED BY tasks_instance_seq " LIST_TASKS_STATUS "AND instance_id = ?4" LIST_TASKS_REST;
    else if (f->service_name)
        sql = LIST_TASKS_SELECT LIST_TASKS_STATUS "AND service_name = ?7" LIST_TASKS_REST;
    else if (f->family)
        sql = LIST_TASKS_SELECT LIST_TASKS_STATUS "AND family = ?5" LIST_TASKS_REST;
    else if (f->started_by)
        sql = LIST_TASKS_SELECT LIST_TASKS_STATUS "AND started_by = ?6" LIST_TASKS_REST;
    else
        sql = LIST_TASKS_SELECT LIST_TASKS_STATUS LIST_TASKS_REST;
    db_stmt *s =
        store_row_stmt(tx, sql,
                       STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(f->desired_status), ARG_TEXT(after ? after : ""),
                                  ARG_INT(f->instance_id), ARG_TEXT(f->family), ARG_TEXT(f->started_by),
                                  ARG_TEXT(f->service_name), ARG_TEXT(f->launch_type), ARG_INT(limit + 1)),
                       err);
    return store_row_each(tx, s, limit, store_row_append_text, ret_uuids, ret_more, "list tasks", err);
}

int store_task_changed_since(struct store_tx *tx, int64_t instance_id, int64_t since, int limit, json_t *ret_ids,
                             struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT id FROM tasks WHERE instance_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                                STORE_ARGS(ARG_INT(instance_id), ARG_INT(since), ARG_INT(limit)), err);
    return store_row_each(tx, s, -1, store_row_append_int, ret_ids, NULL, "list tasks", err);
}

int store_task_changed_since_agent(struct store_tx *tx, int64_t cluster_id, const char *agent_attr,
                                   const char *agent_id, int64_t since, int limit, json_t *ret_ids, struct error *err)
{
    /* Walks tasks_cluster_seq in seq order (it carries instance_id, so the
     * task rows are not read); the attribute lookup per row is an index
     * probe, so tasks of other agents cost one probe each. */
    db_stmt *s = store_row_stmt(
        tx,
        /* CROSS JOIN pins the order: walk the changes, probe their instance. */
        "SELECT t.id FROM tasks t INDEXED BY tasks_cluster_seq "
        "CROSS JOIN container_instances i ON i.id = t.instance_id "
        "WHERE t.cluster_id = ?1 AND t.seq > ?2 AND EXISTS (SELECT 1 FROM attributes a "
        "WHERE a.cluster_id = ?1 AND a.target_type = 'container-instance' "
        "AND a.name = ?3 AND a.value = ?4 AND a.target_id = i.uuid) "
        "ORDER BY t.seq LIMIT ?5",
        STORE_ARGS(ARG_INT(cluster_id), ARG_INT(since), ARG_TEXT(agent_attr), ARG_TEXT(agent_id), ARG_INT(limit)), err);
    return store_row_each(tx, s, -1, store_row_append_int, ret_ids, NULL, "list tasks", err);
}

int store_task_by_token(struct store_tx *tx, int64_t cluster_id, const char *token, json_t *ret_ids, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT id FROM tasks WHERE cluster_id = ?1 AND client_token = ?2 ORDER BY id",
                                STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(token)), err);
    return store_row_each(tx, s, -1, store_row_append_int, ret_ids, NULL, "list tasks", err);
}

int store_task_counts(struct store_tx *tx, int64_t cluster_id, int64_t *ret_running, int64_t *ret_pending,
                      struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                /* Counters kept by triggers (schema): a few rows per
                                  * cluster, however many tasks it has. */
                                "SELECT coalesce(sum(CASE WHEN last_status = 'RUNNING' THEN n END), 0), "
                                "coalesce(sum(CASE WHEN last_status NOT IN ('RUNNING', 'STOPPED') THEN n END), 0) "
                                "FROM cluster_task_counts WHERE cluster_id = ?1",
                                STORE_ARGS(ARG_INT(cluster_id)), err);
    int64_t counts[2];
    if (store_row_int64s(tx, s, counts, 2, "count tasks", err) < 0)
        return -1;
    *ret_running = counts[0];
    *ret_pending = counts[1];
    return 0;
}

int store_task_expire(struct store_tx *tx, usec_t before, int64_t *ret_count, struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM tasks WHERE stopped_at IS NOT NULL AND stopped_at < ?1",
                       STORE_ARGS(ARG_INT(before)), err) < 0)
        return -1;
    *ret_count = db_changes(tx);
    return 0;
}
