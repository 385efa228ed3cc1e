/* store_keys.c - the access_keys table. */
#include "server/store/store_keys.h"

#include <stdio.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

static void copy_text(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s ? s : ""); }

static int read_key(sqlite3_stmt *s, void *ret, struct error *err)
{
    struct access_key_row *r = ret;
    copy_text(r->access_key_id, sizeof(r->access_key_id), store_col_text(s, 0));
    copy_text(r->principal_arn, sizeof(r->principal_arn), store_col_text(s, 1));
    copy_text(r->sealed_secret, sizeof(r->sealed_secret), store_col_text(s, 2));
    copy_text(r->status, sizeof(r->status), store_col_text(s, 3));
    r->created_at = sqlite3_column_int64(s, 4);
    return 0;
}

int store_key_put(struct store_tx *tx, const struct access_key_row *row, struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO access_keys (access_key_id, principal_arn, sealed_secret, status, created_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5)",
                          STORE_ARGS(ARG_TEXT(row->access_key_id), ARG_TEXT(row->principal_arn),
                                     ARG_TEXT(row->sealed_secret), ARG_TEXT(row->status), ARG_INT(row->created_at)),
                          err);
}

int store_keys_list(struct store_tx *tx, struct access_key_row **ret_rows, size_t *ret_count, struct error *err)
{
    sqlite3_stmt *s = store_stmt(tx,
                                 "SELECT access_key_id, principal_arn, sealed_secret, status, created_at"
                                 " FROM access_keys ORDER BY created_at",
                                 err);
    void *rows = NULL;
    if (store_row_collect(tx, s, -1, sizeof(struct access_key_row), read_key, &rows, ret_count, NULL, "list keys",
                          err) < 0)
        return -1;
    *ret_rows = rows;
    return 0;
}
