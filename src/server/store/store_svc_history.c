/* store_svc_history.c - the service_history table (see
 * store_svc_history.h).  It stores documents; what they say is ECS's
 * business (src/server/ecs/service_history.c). */
#include "server/store/store_svc_history.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

#define HISTORY_COLUMNS "arn, service_id, kind, ecs_id, status, created_at, doc"

void svc_history_row_clear(struct svc_history_row *row)
{
    if (row)
        store_row_clear(row, row->doc, sizeof(*row));
}

static int read_history(db_stmt *s, void *ret_row, struct error *err)
{
    struct svc_history_row row;
    memset(&row, 0, sizeof(row));
    snprintf(row.arn, sizeof(row.arn), "%s", store_col_text(s, 0));
    row.service_id = db_col_int64(s, 1);
    snprintf(row.kind, sizeof(row.kind), "%s", store_col_text(s, 2));
    snprintf(row.ecs_id, sizeof(row.ecs_id), "%s", store_col_text(s, 3));
    snprintf(row.status, sizeof(row.status), "%s", store_col_text(s, 4));
    row.created_at = db_col_int64(s, 5);
    row.doc = store_row_doc(s, 6, err);
    if (!row.doc)
        return error_prefix(err, "service history %s", row.arn);
    *(struct svc_history_row *)ret_row = row;
    return 0;
}

int store_svc_history_put(struct store_tx *tx, const struct svc_history_row *row, struct error *err)
{
    _cleanup_free_ char *text = json_dumps(row->doc, JSON_COMPACT);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_row_exec(tx,
                          "INSERT INTO service_history (arn, service_id, kind, ecs_id, status, created_at, doc)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (arn) DO UPDATE SET"
                          " service_id = excluded.service_id, kind = excluded.kind, ecs_id = excluded.ecs_id,"
                          " status = excluded.status, created_at = excluded.created_at, doc = excluded.doc",
                          STORE_ARGS(ARG_TEXT(row->arn), ARG_INT(row->service_id), ARG_TEXT(row->kind),
                                     ARG_TEXT(row->ecs_id), ARG_TEXT(row->status), ARG_INT(row->created_at),
                                     ARG_TEXT(text)),
                          err);
}

int store_svc_history_get(struct store_tx *tx, const char *arn, struct svc_history_row *ret_row, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " HISTORY_COLUMNS " FROM service_history WHERE arn = ?1",
                                STORE_ARGS(ARG_TEXT(arn)), err);
    return store_row_get(tx, s, read_history, ret_row, "get service history", err);
}

int store_svc_history_by_ecs_id(struct store_tx *tx, int64_t service_id, const char *ecs_id,
                                struct svc_history_row *ret_row, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT " HISTORY_COLUMNS " FROM service_history WHERE service_id = ?1 AND"
                                " kind = 'deployment' AND ecs_id = ?2 ORDER BY created_at DESC LIMIT 1",
                                STORE_ARGS(ARG_INT(service_id), ARG_TEXT(ecs_id)), err);
    return store_row_get(tx, s, read_history, ret_row, "get service deployment", err);
}

int store_svc_history_list(struct store_tx *tx, int64_t service_id, const char *after, json_t *statuses,
                           usec_t created_after, usec_t created_before, int limit, struct svc_history_row **ret_rows,
                           size_t *ret_count, bool *ret_more, struct error *err)
{
    _cleanup_free_ char *wanted = json_array_size(statuses) > 0 ? json_dumps(statuses, JSON_COMPACT) : NULL;
    db_stmt *s = store_row_stmt(
        tx,
        "SELECT " HISTORY_COLUMNS " FROM service_history h WHERE service_id = ?1 AND kind = 'deployment'"
        " AND ((created_at, arn) < (SELECT created_at, arn FROM service_history WHERE arn = ?2) OR ?2 IS NULL)"
        " AND (status IN (SELECT value FROM json_each(?3)) OR ?3 IS NULL)"
        " AND (created_at >= ?4 OR ?4 IS NULL) AND (created_at <= ?5 OR ?5 IS NULL)"
        " ORDER BY created_at DESC, arn DESC LIMIT ?6",
        STORE_ARGS(ARG_INT(service_id), ARG_TEXT(after), ARG_TEXT(wanted), ARG_INT_OR_NULL(created_after),
                   ARG_INT_OR_NULL(created_before), ARG_INT((int64_t)limit + 1)),
        err);
    void *rows = NULL;
    if (store_row_collect(tx, s, limit, sizeof(struct svc_history_row), read_history, &rows, ret_count, ret_more,
                          "list service deployments", err) < 0)
        return -1;
    *ret_rows = rows;
    return 0;
}
