/* store_keys.c - the access_keys table. */
#include "server/store/store_keys.h"

#include <stdio.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

#define KEY_COLUMNS "access_key_id, principal_arn, sealed_secret, status, created_at, session_token_sha256, expires_at"

static void copy_text(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s ? s : ""); }

static int read_key(db_stmt *s, void *ret, struct error *err)
{
    struct access_key_row *r = ret;
    copy_text(r->access_key_id, sizeof(r->access_key_id), store_col_text(s, 0));
    copy_text(r->principal_arn, sizeof(r->principal_arn), store_col_text(s, 1));
    copy_text(r->sealed_secret, sizeof(r->sealed_secret), store_col_text(s, 2));
    copy_text(r->status, sizeof(r->status), store_col_text(s, 3));
    r->created_at = db_col_int64(s, 4);
    copy_text(r->session_token_sha256, sizeof(r->session_token_sha256), store_col_text(s, 5));
    r->expires_at = db_col_int64(s, 6);
    return 0;
}

int store_key_put(struct store_tx *tx, const struct access_key_row *row, struct error *err)
{
    return store_row_exec(tx, "INSERT INTO access_keys (" KEY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                          STORE_ARGS(ARG_TEXT(row->access_key_id), ARG_TEXT(row->principal_arn),
                                     ARG_TEXT(row->sealed_secret), ARG_TEXT(row->status), ARG_INT(row->created_at),
                                     ARG_TEXT(row->session_token_sha256[0] ? row->session_token_sha256 : NULL),
                                     ARG_INT(row->expires_at)),
                          err);
}

int store_key_get(struct store_tx *tx, const char *access_key_id, struct access_key_row *ret, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " KEY_COLUMNS " FROM access_keys WHERE access_key_id = ?1",
                                STORE_ARGS(ARG_TEXT(access_key_id)), err);
    return store_row_get(tx, s, read_key, ret, "get key", err);
}

static int changed_one(struct store_tx *tx, const char *access_key_id, struct error *err)
{
    if (db_changes(tx) == 0)
        return error_set(err, ERR_NOT_FOUND, "The Access Key with id %.128s cannot be found.", access_key_id);
    return 0;
}

int store_key_set_status(struct store_tx *tx, const char *access_key_id, const char *status, struct error *err)
{
    if (store_row_exec(tx, "UPDATE access_keys SET status = ?2 WHERE access_key_id = ?1",
                       STORE_ARGS(ARG_TEXT(access_key_id), ARG_TEXT(status)), err) < 0)
        return -1;
    return changed_one(tx, access_key_id, err);
}

int store_key_delete(struct store_tx *tx, const char *access_key_id, struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM access_keys WHERE access_key_id = ?1", STORE_ARGS(ARG_TEXT(access_key_id)),
                       err) < 0)
        return -1;
    return changed_one(tx, access_key_id, err);
}

static int collect(struct store_tx *tx, db_stmt *s, struct access_key_row **ret_rows, size_t *ret_count,
                   struct error *err)
{
    void *rows = NULL;
    if (store_row_collect(tx, s, -1, sizeof(struct access_key_row), read_key, &rows, ret_count, NULL, "list keys",
                          err) < 0)
        return -1;
    *ret_rows = rows;
    return 0;
}

int store_keys_list(struct store_tx *tx, struct access_key_row **ret_rows, size_t *ret_count, struct error *err)
{
    return collect(tx, store_stmt(tx, "SELECT " KEY_COLUMNS " FROM access_keys ORDER BY created_at", err), ret_rows,
                   ret_count, err);
}

int store_keys_list_by_principal(struct store_tx *tx, const char *principal_arn, struct access_key_row **ret_rows,
                                 size_t *ret_count, struct error *err)
{
    db_stmt *s =
        store_row_stmt(tx, "SELECT " KEY_COLUMNS " FROM access_keys WHERE principal_arn = ?1 ORDER BY created_at",
                       STORE_ARGS(ARG_TEXT(principal_arn)), err);
    return collect(tx, s, ret_rows, ret_count, err);
}

int store_keys_expire(struct store_tx *tx, int64_t before, int64_t *ret_count, struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM access_keys WHERE expires_at > 0 AND expires_at < ?1",
                       STORE_ARGS(ARG_INT(before)), err) < 0)
        return -1;
    *ret_count = db_changes(tx);
    return 0;
}
