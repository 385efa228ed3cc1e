/* store_iam.c - the iam_entities, iam_inline_policies, iam_attachments
 * and iam_group_members tables (see store_iam.h). */
#include "server/store/store_iam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

#define ENTITY_COLUMNS "kind, name, id, path, arn, created_at, description, trust_policy, max_session"

void iam_entity_row_clear(struct iam_entity_row *row)
{
    if (!row)
        return;
    free(row->description);
    free(row->trust_policy);
    memset(row, 0, sizeof(*row));
}

void iam_entity_rows_free(struct iam_entity_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        iam_entity_row_clear(&rows[i]);
    free(rows);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int read_entity(db_stmt *s, void *ret, struct error *err)
{
    struct iam_entity_row *r = ret;
    memset(r, 0, sizeof(*r));
    snprintf(r->kind, sizeof(r->kind), "%s", store_col_text(s, 0));
    snprintf(r->name, sizeof(r->name), "%s", store_col_text(s, 1));
    snprintf(r->id, sizeof(r->id), "%s", store_col_text(s, 2));
    snprintf(r->path, sizeof(r->path), "%s", store_col_text(s, 3));
    snprintf(r->arn, sizeof(r->arn), "%s", store_col_text(s, 4));
    r->created_at = db_col_int64(s, 5);
    r->description = dup_or_null(store_col_text(s, 6));
    r->trust_policy = dup_or_null(store_col_text(s, 7));
    r->max_session = db_col_int64(s, 8);
    return 0;
}

/* Run sql; ERR_NOT_FOUND (what) when it changed no row. */
static int exec_one(struct store_tx *tx, const char *sql, const struct store_arg *args, size_t n, const char *what,
                    struct error *err)
{
    if (store_row_exec(tx, sql, args, n, err) < 0)
        return -1;
    return db_changes(tx) > 0 ? 0 : error_set(err, ERR_NOT_FOUND, "%s", what);
}

int store_iam_entity_insert(struct store_tx *tx, const struct iam_entity_row *row, struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO iam_entities (" ENTITY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                          STORE_ARGS(ARG_TEXT(row->kind), ARG_TEXT(row->name), ARG_TEXT(row->id), ARG_TEXT(row->path),
                                     ARG_TEXT(row->arn), ARG_INT(row->created_at), ARG_TEXT(row->description),
                                     ARG_TEXT(row->trust_policy), ARG_INT(row->max_session)),
                          err);
}

int store_iam_entity_get(struct store_tx *tx, const char *kind, const char *name, struct iam_entity_row *ret_row,
                         struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " ENTITY_COLUMNS " FROM iam_entities WHERE kind = ?1 AND name = ?2",
                                STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(name)), err);
    return store_row_get(tx, s, read_entity, ret_row, "get IAM entity", err);
}

int store_iam_role_set_trust(struct store_tx *tx, const char *name, const char *document, struct error *err)
{
    return exec_one(tx, "UPDATE iam_entities SET trust_policy = ?2 WHERE kind = 'role' AND name = ?1",
                    STORE_ARGS(ARG_TEXT(name), ARG_TEXT(document)), "no such role", err);
}

int store_iam_role_update(struct store_tx *tx, const char *name, const char *description, int64_t max_session,
                          struct error *err)
{
    return exec_one(tx,
                    "UPDATE iam_entities SET description = coalesce(?2, description),"
                    " max_session = CASE WHEN ?3 > 0 THEN ?3 ELSE max_session END WHERE kind = 'role' AND name = ?1",
                    STORE_ARGS(ARG_TEXT(name), ARG_TEXT(description), ARG_INT(max_session)), "no such role", err);
}

int store_iam_entity_delete(struct store_tx *tx, const char *kind, const char *name, struct error *err)
{
    return exec_one(tx, "DELETE FROM iam_entities WHERE kind = ?1 AND name = ?2",
                    STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(name)), "no such entity", err);
}

int store_iam_entity_list(struct store_tx *tx, const char *kind, const char *path_prefix, const char *after, int limit,
                          struct iam_entity_row **ret_rows, size_t *ret_count, bool *ret_more, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT " ENTITY_COLUMNS " FROM iam_entities WHERE kind = ?1"
                                " AND substr(path, 1, length(?2)) = ?2 AND name > ?3 ORDER BY name LIMIT ?4",
                                STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(path_prefix ? path_prefix : "/"),
                                           ARG_TEXT(after ? after : ""), ARG_INT(limit + 1)),
                                err);
    void *rows = NULL;
    if (store_row_collect(tx, s, limit, sizeof(struct iam_entity_row), read_entity, &rows, ret_count, ret_more,
                          "list IAM entities", err) < 0)
        return -1;
    *ret_rows = rows;
    return 0;
}

int store_iam_inline_put(struct store_tx *tx, const char *kind, const char *entity, const char *policy,
                         const char *document, struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO iam_inline_policies (kind, entity, name, document) VALUES (?1, ?2, ?3, ?4)"
                          " ON CONFLICT (kind, entity, name) DO UPDATE SET document = excluded.document",
                          STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(entity), ARG_TEXT(policy), ARG_TEXT(document)), err);
}

static int read_text(db_stmt *s, void *ret, struct error *err)
{
    char *d = strdup(store_col_text(s, 0) ? store_col_text(s, 0) : "");
    if (!d)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *(char **)ret = d;
    return 0;
}

int store_iam_inline_get(struct store_tx *tx, const char *kind, const char *entity, const char *policy,
                         char **ret_document, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT document FROM iam_inline_policies"
                                " WHERE kind = ?1 AND entity = ?2 AND name = ?3",
                                STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(entity), ARG_TEXT(policy)), err);
    return store_row_get(tx, s, read_text, ret_document, "get inline policy", err);
}

int store_iam_inline_delete(struct store_tx *tx, const char *kind, const char *entity, const char *policy,
                            struct error *err)
{
    return exec_one(tx, "DELETE FROM iam_inline_policies WHERE kind = ?1 AND entity = ?2 AND name = ?3",
                    STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(entity), ARG_TEXT(policy)), "no such inline policy", err);
}

int store_iam_inline_names(struct store_tx *tx, const char *kind, const char *entity, const char *after, int limit,
                           json_t *names, bool *ret_more, struct error *err)
{
    db_stmt *s = store_row_stmt(
        tx,
        "SELECT name FROM iam_inline_policies WHERE kind = ?1 AND entity = ?2"
        " AND name > ?3 ORDER BY name LIMIT ?4",
        STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(entity), ARG_TEXT(after ? after : ""), ARG_INT(limit < 0 ? -1 : limit + 1)),
        err);
    return store_row_each(tx, s, limit, store_row_append_text, names, ret_more, "list inline policies", err);
}

int store_iam_inline_documents(struct store_tx *tx, const char *kind, const char *entity, json_t *docs,
                               struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT document FROM iam_inline_policies WHERE kind = ?1 AND entity = ?2",
                                STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(entity)), err);
    return store_row_each(tx, s, -1, store_row_append_text, docs, NULL, "inline policy documents", err);
}

int store_iam_attach(struct store_tx *tx, const char *kind, const char *entity, const char *policy_arn,
                     struct error *err)
{
    if (store_row_exec(tx, "INSERT OR IGNORE INTO iam_attachments (kind, entity, policy_arn) VALUES (?1, ?2, ?3)",
                       STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(entity), ARG_TEXT(policy_arn)), err) < 0)
        return -1;
    return db_changes(tx) > 0 ? 1 : 0;
}

int store_iam_detach(struct store_tx *tx, const char *kind, const char *entity, const char *policy_arn,
                     struct error *err)
{
    return exec_one(tx, "DELETE FROM iam_attachments WHERE kind = ?1 AND entity = ?2 AND policy_arn = ?3",
                    STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(entity), ARG_TEXT(policy_arn)), "not attached", err);
}

int store_iam_attached(struct store_tx *tx, const char *kind, const char *entity, const char *after, int limit,
                       json_t *arns, bool *ret_more, struct error *err)
{
    db_stmt *s = store_row_stmt(
        tx,
        "SELECT policy_arn FROM iam_attachments WHERE kind = ?1 AND entity = ?2"
        " AND policy_arn > ?3 ORDER BY policy_arn LIMIT ?4",
        STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(entity), ARG_TEXT(after ? after : ""), ARG_INT(limit < 0 ? -1 : limit + 1)),
        err);
    return store_row_each(tx, s, limit, store_row_append_text, arns, ret_more, "list attached policies", err);
}

static int append_pair(db_stmt *s, void *list, struct error *err)
{
    json_array_append_new(list, json_pack("[s, s]", store_col_text(s, 0), store_col_text(s, 1)));
    return 0;
}

int store_iam_policy_entities(struct store_tx *tx, const char *policy_arn, json_t *pairs, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT kind, entity FROM iam_attachments WHERE policy_arn = ?1 ORDER BY 1, 2",
                                STORE_ARGS(ARG_TEXT(policy_arn)), err);
    return store_row_each(tx, s, -1, append_pair, pairs, NULL, "policy entities", err);
}

int store_iam_attachment_count(struct store_tx *tx, const char *policy_arn, int64_t *ret_count, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT count(*) FROM iam_attachments WHERE policy_arn = ?1",
                                STORE_ARGS(ARG_TEXT(policy_arn)), err);
    return store_row_int64s(tx, s, ret_count, 1, "count attachments", err);
}

int store_iam_member_add(struct store_tx *tx, const char *group, const char *user, struct error *err)
{
    if (store_row_exec(tx, "INSERT OR IGNORE INTO iam_group_members (group_name, user_name) VALUES (?1, ?2)",
                       STORE_ARGS(ARG_TEXT(group), ARG_TEXT(user)), err) < 0)
        return -1;
    return db_changes(tx) > 0 ? 1 : 0;
}

int store_iam_member_remove(struct store_tx *tx, const char *group, const char *user, struct error *err)
{
    return exec_one(tx, "DELETE FROM iam_group_members WHERE group_name = ?1 AND user_name = ?2",
                    STORE_ARGS(ARG_TEXT(group), ARG_TEXT(user)), "not a member", err);
}

int store_iam_group_users(struct store_tx *tx, const char *group, json_t *names, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT user_name FROM iam_group_members WHERE group_name = ?1 ORDER BY 1",
                                STORE_ARGS(ARG_TEXT(group)), err);
    return store_row_each(tx, s, -1, store_row_append_text, names, NULL, "group members", err);
}

int store_iam_user_groups(struct store_tx *tx, const char *user, json_t *names, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT group_name FROM iam_group_members WHERE user_name = ?1 ORDER BY 1",
                                STORE_ARGS(ARG_TEXT(user)), err);
    return store_row_each(tx, s, -1, store_row_append_text, names, NULL, "groups of a user", err);
}

int store_iam_generation(struct store_tx *tx, int64_t *ret, struct error *err)
{
    return store_row_int64s(tx, store_stmt(tx, "SELECT n FROM iam_generation", err), ret, 1, "IAM generation", err);
}
