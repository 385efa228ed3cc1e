/* store_reg_tokens.c - the registration_tokens table. */
#include "server/store/store_reg_tokens.h"

#include <stdio.h>
#include <string.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

#define TOKEN_COLUMNS                                                                                                  \
    "token_id, cluster_id, token_hash, created_by, created_at, expires_at, revoked_at, last_used_at, region"

static int read_token(db_stmt *s, void *ret, struct error *err)
{
    struct reg_token_row *r = ret;
    memset(r, 0, sizeof(*r));
    snprintf(r->token_id, sizeof(r->token_id), "%s", store_col_text(s, 0));
    r->cluster_id = db_col_int64(s, 1);
    snprintf(r->token_hash, sizeof(r->token_hash), "%s", store_col_text(s, 2));
    snprintf(r->created_by, sizeof(r->created_by), "%s", store_col_text(s, 3));
    r->created_at = db_col_int64(s, 4);
    r->expires_at = db_col_int64(s, 5);
    r->revoked_at = db_col_int64(s, 6);
    r->last_used_at = db_col_int64(s, 7);
    snprintf(r->region, sizeof(r->region), "%s", store_col_text(s, 8));
    return 0;
}

int store_reg_token_put(struct store_tx *tx, const struct reg_token_row *row, struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO registration_tokens (token_id, cluster_id, token_hash, created_by, created_at,"
                          " expires_at, region) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                          STORE_ARGS(ARG_TEXT(row->token_id), ARG_INT(row->cluster_id), ARG_TEXT(row->token_hash),
                                     ARG_TEXT(row->created_by), ARG_INT(row->created_at), ARG_INT(row->expires_at),
                                     ARG_TEXT(row->region)),
                          err);
}

int store_reg_token_get(struct store_tx *tx, const char *token_id, struct reg_token_row *ret_row, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT " TOKEN_COLUMNS " FROM registration_tokens WHERE token_id = ?1",
                                STORE_ARGS(ARG_TEXT(token_id)), err);
    return store_row_get(tx, s, read_token, ret_row, "get registration token", err);
}

int store_reg_tokens_list(struct store_tx *tx, int64_t cluster_id, const char *after, int limit,
                          struct reg_token_row **ret_rows, size_t *ret_count, bool *ret_more, struct error *err)
{
    /* Ordered by id within the cluster: ids are random, so "oldest first"
     * is by creation time with the id breaking ties, and the page cursor
     * is a token id. */
    db_stmt *s = store_row_stmt(tx,
                                "SELECT " TOKEN_COLUMNS " FROM registration_tokens WHERE cluster_id = ?1 AND ("
                                "(created_at, token_id) > (SELECT created_at, token_id FROM registration_tokens WHERE "
                                "token_id = ?2) OR ?2 IS NULL)"
                                " ORDER BY created_at, token_id LIMIT ?3",
                                STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(after), ARG_INT((int64_t)limit + 1)), err);
    void *rows = NULL;
    if (store_row_collect(tx, s, limit, sizeof(struct reg_token_row), read_token, &rows, ret_count, ret_more,
                          "list registration tokens", err) < 0)
        return -1;
    *ret_rows = rows;
    return 0;
}

int store_reg_token_revoke(struct store_tx *tx, int64_t cluster_id, const char *token_id, usec_t at, struct error *err)
{
    if (store_row_exec(tx,
                       "UPDATE registration_tokens SET revoked_at = coalesce(revoked_at, ?3)"
                       " WHERE cluster_id = ?1 AND token_id = ?2",
                       STORE_ARGS(ARG_INT(cluster_id), ARG_TEXT(token_id), ARG_INT(at)), err) < 0)
        return -1;
    return db_changes(tx) > 0 ? 1 : 0;
}

int store_reg_token_used(struct store_tx *tx, const char *token_id, usec_t at, struct error *err)
{
    return store_row_exec(tx, "UPDATE registration_tokens SET last_used_at = ?2 WHERE token_id = ?1",
                          STORE_ARGS(ARG_TEXT(token_id), ARG_INT(at)), err);
}
