/* store_secrets.c - the secrets and secret_versions tables (see
 * store_secrets.h).  Values reach it already sealed; it logs nothing. */
#include "server/store/store_secrets.h"

#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/jsondump.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

/* A row's document (column 0) into *(json_t **)ret_row. */
static int read_doc(db_stmt *s, void *ret_row, struct error *err)
{
    json_t *doc = store_row_doc(s, 0, err);
    if (!doc)
        return -1;
    *(json_t **)ret_row = doc;
    return 0;
}

int store_secret_find(struct store_tx *tx, const char *region, const char *name, json_t **ret_doc, struct error *err)
{
    /* A partial ARN is the full one less "-" and 6 characters. */
    db_stmt *s = store_row_stmt(tx,
                                "SELECT doc FROM secrets WHERE region = ?1 AND (name = ?2 OR arn = ?2 OR "
                                "(length(arn) = length(?2) + 7 AND substr(arn, 1, length(?2) + 1) = ?2 || '-')) "
                                "ORDER BY name = ?2 DESC, arn = ?2 DESC LIMIT 1",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name)), err);
    return store_row_get(tx, s, read_doc, ret_doc, "find secret", err);
}

int store_secret_put(struct store_tx *tx, const char *region, const char *name, const char *arn, usec_t purge_at,
                     json_t *doc, struct error *err)
{
    _cleanup_free_ char *text = jsondump_utf8(doc, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_row_exec(
        tx,
        "INSERT INTO secrets (arn, region, name, purge_at, doc) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (arn)"
        " DO UPDATE SET region = excluded.region, name = excluded.name, purge_at = excluded.purge_at, doc = "
        "excluded.doc",
        STORE_ARGS(ARG_TEXT(arn), ARG_TEXT(region), ARG_TEXT(name), ARG_INT_OR_NULL(purge_at), ARG_TEXT(text)), err);
}

int store_secret_delete(struct store_tx *tx, const char *arn, struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM secret_versions WHERE arn = ?1", STORE_ARGS(ARG_TEXT(arn)), err) < 0 ||
        store_row_exec(tx, "DELETE FROM tags WHERE arn = ?1", STORE_ARGS(ARG_TEXT(arn)), err) < 0)
        return -1;
    return store_row_exec(tx, "DELETE FROM secrets WHERE arn = ?1", STORE_ARGS(ARG_TEXT(arn)), err);
}

int store_secret_purge(struct store_tx *tx, usec_t now, int64_t *ret_count, struct error *err)
{
    _cleanup_json_ json_t *arns = json_array();
    if (!arns)
        return error_set(err, ERR_INTERNAL, "out of memory");
    db_stmt *s = store_row_stmt(tx, "SELECT arn FROM secrets WHERE purge_at IS NOT NULL AND purge_at <= ?1",
                                STORE_ARGS(ARG_INT(now)), err);
    if (store_row_each(tx, s, -1, store_row_append_text, arns, NULL, "secrets to purge", err) < 0)
        return -1;
    size_t i;
    json_t *arn;
    json_array_foreach(arns, i, arn) {
        if (store_secret_delete(tx, json_string_value(arn), err) < 0)
            return -1;
    }
    *ret_count = (int64_t)json_array_size(arns);
    return 0;
}

struct each_call {
    store_secret_each_fn fn;
    void *ud;
};

static int each_row(db_stmt *s, void *ud, struct error *err)
{
    struct each_call *call = ud;
    _cleanup_json_ json_t *doc = store_row_doc(s, 0, err);
    if (!doc)
        return -1;
    return call->fn(doc, call->ud, err);
}

int store_secret_each(struct store_tx *tx, const char *region, const char *after, store_secret_each_fn fn, void *ud,
                      struct error *err)
{
    struct each_call call = {fn, ud};
    db_stmt *s = store_row_stmt(tx, "SELECT doc FROM secrets WHERE region = ?1 AND name > ?2 ORDER BY name",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(after)), err);
    return store_row_each(tx, s, -1, each_row, &call, NULL, "list secrets", err);
}

int store_secret_version_get(struct store_tx *tx, const char *arn, const char *version_id, json_t **ret_doc,
                             struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT doc FROM secret_versions WHERE arn = ?1 AND version_id = ?2",
                                STORE_ARGS(ARG_TEXT(arn), ARG_TEXT(version_id)), err);
    return store_row_get(tx, s, read_doc, ret_doc, "get secret version", err);
}

int store_secret_version_put(struct store_tx *tx, const char *arn, const char *version_id, usec_t created_at,
                             json_t *doc, struct error *err)
{
    _cleanup_free_ char *text = jsondump_utf8(doc, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_row_exec(
        tx,
        "INSERT INTO secret_versions (arn, version_id, created_at, doc) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (arn, version_id) DO UPDATE SET created_at = excluded.created_at, doc = excluded.doc",
        STORE_ARGS(ARG_TEXT(arn), ARG_TEXT(version_id), ARG_INT(created_at), ARG_TEXT(text)), err);
}

int store_secret_version_delete(struct store_tx *tx, const char *arn, const char *version_id, struct error *err)
{
    return store_row_exec(tx, "DELETE FROM secret_versions WHERE arn = ?1 AND version_id = ?2",
                          STORE_ARGS(ARG_TEXT(arn), ARG_TEXT(version_id)), err);
}

static int append_doc(db_stmt *s, void *ud, struct error *err)
{
    json_t *doc = store_row_doc(s, 0, err);
    if (!doc)
        return -1;
    if (json_array_append_new(ud, doc) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int store_secret_versions(struct store_tx *tx, const char *arn, json_t *ret_list, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT doc FROM secret_versions WHERE arn = ?1 ORDER BY created_at, version_id",
                                STORE_ARGS(ARG_TEXT(arn)), err);
    return store_row_each(tx, s, -1, append_doc, ret_list, NULL, "list secret versions", err);
}
