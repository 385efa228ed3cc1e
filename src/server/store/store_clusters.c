/* store_clusters.c - the clusters table. */
#include "server/store/store_clusters.h"

#include <string.h>

#include "server/store/store_instances.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"
#include "server/store/store_services.h"
#include "server/store/store_tasks.h"

void cluster_row_clear(struct cluster_row *row)
{
    if (row)
        store_row_clear(row, row->doc, sizeof(*row));
}

static int read_cluster(db_stmt *s, void *ret_row, struct error *err)
{
    struct cluster_row row;
    memset(&row, 0, sizeof(row));
    row.id = db_col_int64(s, 0);
    snprintf(row.name, sizeof(row.name), "%s", store_col_text(s, 1));
    snprintf(row.status, sizeof(row.status), "%s", store_col_text(s, 2));
    row.created_at = db_col_int64(s, 3);
    row.doc = store_row_doc(s, 4, err);
    if (!row.doc)
        return error_prefix(err, "cluster %s", row.name);
    *(struct cluster_row *)ret_row = row;
    return 0;
}

int store_cluster_get(struct store_tx *tx, const char *region, const char *name, struct cluster_row *ret_row,
                      struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT id, name, status, created_at, doc FROM clusters "
                                "WHERE region = ?1 AND name = ?2",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name)), err);
    return store_row_get(tx, s, read_cluster, ret_row, "get cluster", err);
}

int store_cluster_put(struct store_tx *tx, const char *region, struct cluster_row *row, struct error *err)
{
    db_stmt *s = store_row_stmt(
        tx,
        row->id == 0 ? "INSERT INTO clusters (region, name, status, created_at, doc) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)"
                     : "UPDATE clusters SET status = ?3, doc = ?5 WHERE id = ?6",
        STORE_ARGS(ARG_TEXT(region), ARG_TEXT(row->name), ARG_TEXT(row->status), ARG_INT(row->created_at)), err);
    return store_row_put_doc(tx, s, row->doc, 5, &row->id, err);
}

int store_cluster_list(struct store_tx *tx, const char *region, usec_t deleted_since, const char *after, int limit,
                       json_t *ret_names, bool *ret_more, struct error *err)
{
    db_stmt *s = store_row_stmt(
        tx,
        "SELECT name FROM clusters WHERE region = ?1 AND (status = 'ACTIVE' OR (status = 'INACTIVE' AND "
        "CAST(json_extract(doc, '$.berth.deletedAt') AS BIGINT) >= ?4)) AND name > ?2 ORDER BY name LIMIT ?3",
        STORE_ARGS(ARG_TEXT(region), ARG_TEXT(after ? after : ""), ARG_INT(limit + 1), ARG_INT(deleted_since)), err);
    return store_row_each(tx, s, limit, store_row_append_text, ret_names, ret_more, "list clusters", err);
}

int store_cluster_counts(struct store_tx *tx, int64_t cluster_id, struct cluster_counts *ret_counts, struct error *err)
{
    memset(ret_counts, 0, sizeof(*ret_counts));
    if (store_instance_count(tx, cluster_id, &ret_counts->registered_instances, err) < 0)
        return -1;
    if (store_service_counts(tx, cluster_id, &ret_counts->active_services, &ret_counts->draining_services, err) < 0)
        return -1;
    return store_task_counts(tx, cluster_id, &ret_counts->running_tasks, &ret_counts->pending_tasks, err);
}

int store_cluster_names_with_provider(struct store_tx *tx, const char *region, const char *provider, json_t *ret_names,
                                      struct error *err)
{
    /* capacityProviders holds names or ARNs ("...:capacity-provider/NAME"). */
    db_stmt *s = store_row_stmt(tx,
                                "SELECT name FROM clusters c WHERE region = ?1 AND status = 'ACTIVE' AND EXISTS"
                                " (SELECT 1 FROM json_each(c.doc, '$.capacityProviders') p WHERE p.value = ?2"
                                " OR p.value LIKE '%:capacity-provider/' || ?2) ORDER BY name",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(provider)), err);
    return store_row_each(tx, s, -1, store_row_append_text, ret_names, NULL, "clusters with a capacity provider", err);
}

int store_cluster_fargate_counts(struct store_tx *tx, int64_t cluster_id, struct cluster_fargate_counts *ret,
                                 struct error *err)
{
    db_stmt *s = store_row_stmt(
        tx,
        "SELECT (SELECT count(*) FROM tasks WHERE cluster_id = ?1 AND launch_type = 'FARGATE' AND"
        "  last_status = 'RUNNING'),"
        " (SELECT count(*) FROM tasks WHERE cluster_id = ?1 AND launch_type = 'FARGATE' AND"
        "  last_status NOT IN ('RUNNING', 'STOPPED')),"
        " (SELECT count(*) FROM services WHERE cluster_id = ?1 AND launch_type = 'FARGATE' AND status = 'ACTIVE'),"
        " (SELECT count(*) FROM services WHERE cluster_id = ?1 AND launch_type = 'FARGATE' AND status = 'DRAINING')",
        STORE_ARGS(ARG_INT(cluster_id)), err);
    int64_t c[4];
    if (store_row_int64s(tx, s, c, 4, "count Fargate tasks and services", err) < 0)
        return -1;
    *ret = (struct cluster_fargate_counts){c[0], c[1], c[2], c[3]};
    return 0;
}
