/* store_iam_policies.c - the iam_policies and iam_policy_versions tables:
 * customer managed policies and their versions (see store_iam.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/store_iam.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

#define POLICY_COLUMNS "arn, name, id, path, description, default_version, next_version, created_at, updated_at"

static int read_policy(db_stmt *s, void *ret, struct error *err)
{
    struct iam_policy_row *r = ret;
    memset(r, 0, sizeof(*r));
    snprintf(r->arn, sizeof(r->arn), "%s", store_col_text(s, 0));
    snprintf(r->name, sizeof(r->name), "%s", store_col_text(s, 1));
    snprintf(r->id, sizeof(r->id), "%s", store_col_text(s, 2));
    snprintf(r->path, sizeof(r->path), "%s", store_col_text(s, 3));
    snprintf(r->description, sizeof(r->description), "%s", store_col_text(s, 4) ? store_col_text(s, 4) : "");
    snprintf(r->default_version, sizeof(r->default_version), "%s", store_col_text(s, 5));
    r->next_version = db_col_int64(s, 6);
    r->created_at = db_col_int64(s, 7);
    r->updated_at = db_col_int64(s, 8);
    return 0;
}

int store_iam_policy_insert(struct store_tx *tx, const struct iam_policy_row *row, struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO iam_policies (" POLICY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                          STORE_ARGS(ARG_TEXT(row->arn), ARG_TEXT(row->name), ARG_TEXT(row->id), ARG_TEXT(row->path),
                                     ARG_TEXT(row->description), ARG_TEXT(row->default_version),
                                     ARG_INT(row->next_version), ARG_INT(row->created_at), ARG_INT(row->updated_at)),
                          err);
}

int store_iam_policy_get(struct store_tx *tx, const char *arn, struct iam_policy_row *ret_row, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " POLICY_COLUMNS " FROM iam_policies WHERE arn = ?1",
                                STORE_ARGS(ARG_TEXT(arn)), err);
    return store_row_get(tx, s, read_policy, ret_row, "get policy", err);
}

static int read_nothing(db_stmt *s, void *ret, struct error *err) { return 0; }

int store_iam_policy_name_taken(struct store_tx *tx, const char *name, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT 1 FROM iam_policies WHERE name = ?1", STORE_ARGS(ARG_TEXT(name)), err);
    return store_row_get(tx, s, read_nothing, NULL, "policy name", err);
}

int store_iam_policy_update(struct store_tx *tx, const struct iam_policy_row *row, struct error *err)
{
    return store_row_exec(tx,
                          "UPDATE iam_policies SET default_version = ?2, next_version = ?3, updated_at = ?4"
                          " WHERE arn = ?1",
                          STORE_ARGS(ARG_TEXT(row->arn), ARG_TEXT(row->default_version), ARG_INT(row->next_version),
                                     ARG_INT(row->updated_at)),
                          err);
}

int store_iam_policy_delete(struct store_tx *tx, const char *arn, struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM iam_policy_versions WHERE policy_arn = ?1", STORE_ARGS(ARG_TEXT(arn)), err) < 0)
        return -1;
    return store_row_exec(tx, "DELETE FROM iam_policies WHERE arn = ?1", STORE_ARGS(ARG_TEXT(arn)), err);
}

int store_iam_policy_list(struct store_tx *tx, const char *path_prefix, bool only_attached, const char *after,
                          int limit, struct iam_policy_row **ret_rows, size_t *ret_count, bool *ret_more,
                          struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT " POLICY_COLUMNS
                                " FROM iam_policies p WHERE substr(path, 1, length(?1)) = ?1 AND name > ?2"
                                " AND (?3 = 0 OR EXISTS (SELECT 1 FROM iam_attachments a WHERE a.policy_arn = p.arn))"
                                " ORDER BY name LIMIT ?4",
                                STORE_ARGS(ARG_TEXT(path_prefix ? path_prefix : "/"), ARG_TEXT(after ? after : ""),
                                           ARG_INT(only_attached), ARG_INT(limit + 1)),
                                err);
    void *rows = NULL;
    if (store_row_collect(tx, s, limit, sizeof(struct iam_policy_row), read_policy, &rows, ret_count, ret_more,
                          "list policies", err) < 0)
        return -1;
    *ret_rows = rows;
    return 0;
}

int store_iam_version_insert(struct store_tx *tx, const char *arn, const char *version, const char *document,
                             int64_t created_at, struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO iam_policy_versions (policy_arn, version_id, document, created_at)"
                          " VALUES (?1, ?2, ?3, ?4)",
                          STORE_ARGS(ARG_TEXT(arn), ARG_TEXT(version), ARG_TEXT(document), ARG_INT(created_at)), err);
}

struct version_read {
    char *document;
    int64_t created_at;
};

static int read_version(db_stmt *s, void *ret, struct error *err)
{
    struct version_read *v = ret;
    v->document = strdup(store_col_text(s, 0) ? store_col_text(s, 0) : "");
    v->created_at = db_col_int64(s, 1);
    return v->document ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

int store_iam_version_get(struct store_tx *tx, const char *arn, const char *version, char **ret_document,
                          int64_t *ret_created_at, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT document, created_at FROM iam_policy_versions"
                                " WHERE policy_arn = ?1 AND version_id = ?2",
                                STORE_ARGS(ARG_TEXT(arn), ARG_TEXT(version)), err);
    struct version_read v = {0};
    int r = store_row_get(tx, s, read_version, &v, "get policy version", err);
    if (r == 1) {
        *ret_document = v.document;
        if (ret_created_at)
            *ret_created_at = v.created_at;
    }
    return r;
}

int store_iam_version_delete(struct store_tx *tx, const char *arn, const char *version, struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM iam_policy_versions WHERE policy_arn = ?1 AND version_id = ?2",
                       STORE_ARGS(ARG_TEXT(arn), ARG_TEXT(version)), err) < 0)
        return -1;
    return db_changes(tx) > 0 ? 0 : error_set(err, ERR_NOT_FOUND, "no such policy version");
}

static int append_version(db_stmt *s, void *list, struct error *err)
{
    json_array_append_new(
        list, json_pack("{s:s, s:I}", "VersionId", store_col_text(s, 0), "CreateDate", (json_int_t)db_col_int64(s, 1)));
    return 0;
}

int store_iam_versions(struct store_tx *tx, const char *arn, json_t *ret_list, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT version_id, created_at FROM iam_policy_versions WHERE policy_arn = ?1"
                                " ORDER BY CAST(substr(version_id, 2) AS INTEGER) DESC",
                                STORE_ARGS(ARG_TEXT(arn)), err);
    return store_row_each(tx, s, -1, append_version, ret_list, NULL, "list policy versions", err);
}
