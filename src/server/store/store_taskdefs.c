/* store_taskdefs.c - the task_definitions and task_definition_families
 * tables.  The families table only counts revisions (so numbers are never
 * reused); the revisions carry status and timestamps as columns and the
 * rest of the definition as a JSON document. */
#include "server/store/store_taskdefs.h"

#include <string.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

void taskdef_row_clear(struct taskdef_row *row)
{
    if (row)
        store_row_clear(row, row->doc, sizeof(*row));
}

int store_taskdef_next_revision(struct store_tx *tx, const char *region, const char *family, int *ret_revision,
                                struct error *err)
{
    if (store_row_exec(tx,
                       "INSERT INTO task_definition_families (region, family, last_revision) "
                       "VALUES (?1, ?2, 1) ON CONFLICT (region, family) "
                       "DO UPDATE SET last_revision = last_revision + 1",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(family)), err) < 0)
        return -1;
    db_stmt *s =
        store_row_stmt(tx, "SELECT last_revision FROM task_definition_families WHERE region = ?1 AND family = ?2",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(family)), err);
    int64_t revision;
    if (store_row_int64s(tx, s, &revision, 1, "next revision", err) < 0)
        return -1;
    *ret_revision = (int)revision;
    return 0;
}

int store_taskdef_peek_revision(struct store_tx *tx, const char *region, const char *family, int *ret_revision,
                                struct error *err)
{
    /* COALESCE over MAX: one row whether or not the family exists. */
    db_stmt *s = store_row_stmt(tx,
                                "SELECT COALESCE(MAX(last_revision), 0) + 1 FROM task_definition_families "
                                "WHERE region = ?1 AND family = ?2",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(family)), err);
    int64_t revision;
    if (store_row_int64s(tx, s, &revision, 1, "peek revision", err) < 0)
        return -1;
    *ret_revision = (int)revision;
    return 0;
}

int store_taskdef_insert(struct store_tx *tx, const char *region, struct taskdef_row *row, struct error *err)
{
    db_stmt *s =
        store_row_stmt(tx,
                       "INSERT INTO task_definitions (region, family, revision, arn, status, "
                       "registered_at, deregistered_at, delete_requested_at, doc) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(row->family), ARG_INT(row->revision), ARG_TEXT(row->arn),
                                  ARG_TEXT(row->status), ARG_INT(row->registered_at),
                                  ARG_INT_OR_NULL(row->deregistered_at), ARG_INT_OR_NULL(row->delete_requested_at)),
                       err);
    /* Revisions are only ever inserted: a new id, whatever row->id held. */
    int64_t id = 0;
    if (store_row_put_doc(tx, s, row->doc, 9, &id, err) < 0)
        return -1;
    row->id = id;
    return 0;
}

static int read_taskdef(db_stmt *s, void *ret_row, struct error *err)
{
    struct taskdef_row row;
    memset(&row, 0, sizeof(row));
    row.id = db_col_int64(s, 0);
    snprintf(row.family, sizeof(row.family), "%s", store_col_text(s, 1));
    row.revision = db_col_int(s, 2);
    snprintf(row.arn, sizeof(row.arn), "%s", store_col_text(s, 3));
    snprintf(row.status, sizeof(row.status), "%s", store_col_text(s, 4));
    row.registered_at = db_col_int64(s, 5);
    row.deregistered_at = db_col_int64(s, 6);
    row.delete_requested_at = db_col_int64(s, 7);
    row.doc = store_row_doc(s, 8, err);
    if (!row.doc)
        return error_prefix(err, "task definition %s:%d", row.family, row.revision);
    *(struct taskdef_row *)ret_row = row;
    return 0;
}

int store_taskdef_get(struct store_tx *tx, const char *region, const char *family, int revision,
                      struct taskdef_row *ret_row, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                revision > 0 ? "SELECT id, family, revision, arn, status, registered_at, "
                                               "deregistered_at, delete_requested_at, doc FROM task_definitions "
                                               "WHERE region = ?1 AND family = ?2 AND revision = ?3"
                                             : "SELECT id, family, revision, arn, status, registered_at, "
                                               "deregistered_at, delete_requested_at, doc FROM task_definitions "
                                               "WHERE region = ?1 AND family = ?2 AND status = 'ACTIVE' "
                                               "ORDER BY revision DESC LIMIT 1",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(family)), err);
    /* The statement for the latest ACTIVE revision has no ?3. */
    if (s && revision > 0)
        db_bind_int64(s, 3, revision);
    return store_row_get(tx, s, read_taskdef, ret_row, "get task definition", err);
}

int store_taskdef_update_status(struct store_tx *tx, const struct taskdef_row *row, struct error *err)
{
    return store_row_exec(tx,
                          "UPDATE task_definitions SET status = ?2, deregistered_at = ?3, "
                          "delete_requested_at = ?4 WHERE id = ?1",
                          STORE_ARGS(ARG_INT(row->id), ARG_TEXT(row->status), ARG_INT_OR_NULL(row->deregistered_at),
                                     ARG_INT_OR_NULL(row->delete_requested_at)),
                          err);
}

/* Each ARN listed moves the cursor past its revision. */
struct arn_walk {
    json_t *arns;
    struct taskdef_cursor *cursor;
};

static int arn_row(db_stmt *s, void *ud, struct error *err)
{
    struct arn_walk *w = ud;
    json_array_append_new(w->arns, json_string(store_col_text(s, 2)));
    w->cursor->set = true;
    snprintf(w->cursor->family, sizeof(w->cursor->family), "%s", store_col_text(s, 0));
    w->cursor->revision = db_col_int(s, 1);
    return 0;
}

int store_taskdef_list(struct store_tx *tx, const char *region, const char *family, const char *status, bool desc,
                       struct taskdef_cursor *cursor, int limit, json_t *ret_arns, bool *ret_more, struct error *err)
{
    /* Two statements because ORDER BY direction cannot be a parameter.
     * ?5 IS NULL means "from the start". */
    db_stmt *s = store_row_stmt(tx,
                                desc ? "SELECT family, revision, arn FROM task_definitions "
                                       "WHERE region = ?1 AND status = ?2 AND (family = ?3 OR ?3 IS NULL) "
                                       "AND (family < ?5 OR (family = ?5 AND revision < ?6) OR ?5 IS NULL) "
                                       "ORDER BY family DESC, revision DESC LIMIT ?4"
                                     : "SELECT family, revision, arn FROM task_definitions "
                                       "WHERE region = ?1 AND status = ?2 AND (family = ?3 OR ?3 IS NULL) "
                                       "AND (family > ?5 OR (family = ?5 AND revision > ?6) OR ?5 IS NULL) "
                                       "ORDER BY family ASC, revision ASC LIMIT ?4",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(status), ARG_TEXT(family), ARG_INT(limit + 1),
                                           ARG_TEXT(cursor->set ? cursor->family : NULL), ARG_INT(cursor->revision)),
                                err);
    struct arn_walk w = {ret_arns, cursor};
    return store_row_each(tx, s, limit, arn_row, &w, ret_more, "list task definitions", err);
}

/* 1 when a family has an ACTIVE revision, else 0 (a comparison is an
 * integer in SQLite but a boolean in PostgreSQL; CASE is an integer in both). */
#define FAMILY_ACTIVE "max(CASE WHEN status = 'ACTIVE' THEN 1 ELSE 0 END)"

int store_taskdef_families(struct store_tx *tx, const char *region, const char *prefix, const char *status,
                           const char *after, int limit, json_t *ret_names, bool *ret_more, struct error *err)
{
    /* substr() rather than LIKE: '_' is a LIKE wildcard and a family
     * character. */
    db_stmt *s = store_row_stmt(tx,
                                "SELECT family, " FAMILY_ACTIVE " FROM task_definitions "
                                "WHERE region = ?1 AND (substr(family, 1, length(?2)) = ?2 OR ?2 IS NULL) "
                                "AND family > ?4 GROUP BY family "
                                "HAVING ?3 = 'ALL' OR (?3 = 'ACTIVE' AND " FAMILY_ACTIVE " = 1) "
                                "OR (?3 = 'INACTIVE' AND " FAMILY_ACTIVE " = 0) "
                                "ORDER BY family LIMIT ?5",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(prefix), ARG_TEXT(status),
                                           ARG_TEXT(after ? after : ""), ARG_INT(limit + 1)),
                                err);
    return store_row_each(tx, s, limit, store_row_append_text, ret_names, ret_more, "list task definition families",
                          err);
}

int store_taskdef_reap(struct store_tx *tx, int *ret_count, struct error *err)
{
    if (store_row_exec(tx,
                       "DELETE FROM tags WHERE arn IN "
                       "(SELECT arn FROM task_definitions WHERE status = 'DELETE_IN_PROGRESS')",
                       NULL, 0, err) < 0 ||
        store_row_exec(tx, "DELETE FROM task_definitions WHERE status = 'DELETE_IN_PROGRESS'", NULL, 0, err) < 0)
        return -1;
    *ret_count = db_changes(tx);
    return 0;
}
