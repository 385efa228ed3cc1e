/* store_ssm.c - the ssm_parameters and ssm_parameter_versions tables (see
 * store_ssm.h).  Values reach it already sealed; it logs nothing. */
#include "server/store/store_ssm.h"

#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/jsondump.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

int store_ssm_latest(struct store_tx *tx, const char *region, const char *name, int64_t *ret_version, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT version FROM ssm_parameters WHERE region = ?1 AND name = ?2",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name)), err);
    if (!s)
        return -1;
    int rc = db_step(s);
    if (rc == DB_ROW) {
        *ret_version = db_col_int64(s, 0);
        db_reset(s);
        return 1;
    }
    db_reset(s);
    return rc == DB_DONE ? 0 : store_fail(tx, "get parameter", err);
}

/* A row's document (column 0) into *(json_t **)ret_row. */
static int read_doc(db_stmt *s, void *ret_row, struct error *err)
{
    json_t *doc = store_row_doc(s, 0, err);
    if (!doc)
        return -1;
    *(json_t **)ret_row = doc;
    return 0;
}

int store_ssm_version_get(struct store_tx *tx, const char *region, const char *name, int64_t version, json_t **ret_doc,
                          struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT doc FROM ssm_parameter_versions WHERE region = ?1 AND name = ?2 "
                                "AND version = ?3",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name), ARG_INT(version)), err);
    return store_row_get(tx, s, read_doc, ret_doc, "get parameter version", err);
}

int store_ssm_version_put(struct store_tx *tx, const char *region, const char *name, int64_t version, json_t *doc,
                          int64_t keep_from, struct error *err)
{
    _cleanup_free_ char *text = jsondump_utf8(doc, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_row_exec(tx,
                       "INSERT INTO ssm_parameter_versions (region, name, version, doc) VALUES (?1, ?2, ?3, ?4) "
                       "ON CONFLICT (region, name, version) DO UPDATE SET doc = excluded.doc",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name), ARG_INT(version), ARG_TEXT(text)), err) < 0 ||
        store_row_exec(tx,
                       "INSERT INTO ssm_parameters (region, name, version) VALUES (?1, ?2, ?3) "
                       "ON CONFLICT (region, name) DO UPDATE SET version = max(version, excluded.version)",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name), ARG_INT(version)), err) < 0)
        return -1;
    return store_row_exec(tx, "DELETE FROM ssm_parameter_versions WHERE region = ?1 AND name = ?2 AND version < ?3",
                          STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name), ARG_INT(keep_from)), err);
}

/* Append column 0's document to the JSON array ud. */
static int append_doc(db_stmt *s, void *ud, struct error *err)
{
    json_t *doc = store_row_doc(s, 0, err);
    if (!doc)
        return -1;
    if (json_array_append_new(ud, doc) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int store_ssm_versions(struct store_tx *tx, const char *region, const char *name, json_t *ret_list, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT doc FROM ssm_parameter_versions WHERE region = ?1 AND name = ?2 "
                                "ORDER BY version",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name)), err);
    return store_row_each(tx, s, -1, append_doc, ret_list, NULL, "list parameter versions", err);
}

int store_ssm_delete(struct store_tx *tx, const char *region, const char *name, const char *arn, struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM ssm_parameters WHERE region = ?1 AND name = ?2",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name)), err) < 0)
        return -1;
    int gone = db_changes(tx) > 0;
    if (store_row_exec(tx, "DELETE FROM ssm_parameter_versions WHERE region = ?1 AND name = ?2",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name)), err) < 0 ||
        store_row_exec(tx, "DELETE FROM tags WHERE arn = ?1", STORE_ARGS(ARG_TEXT(arn)), err) < 0)
        return -1;
    return gone;
}

struct each_call {
    store_ssm_each_fn fn;
    void *ud;
};

static int each_row(db_stmt *s, void *ud, struct error *err)
{
    struct each_call *call = ud;
    _cleanup_json_ json_t *doc = store_row_doc(s, 1, err);
    if (!doc)
        return -1;
    return call->fn(store_col_text(s, 0), doc, call->ud, err);
}

int store_ssm_each(struct store_tx *tx, const char *region, const char *prefix, const char *after, store_ssm_each_fn fn,
                   void *ud, struct error *err)
{
    struct each_call call = {fn, ud};
    db_stmt *s = store_row_stmt(tx,
                                "SELECT p.name, v.doc FROM ssm_parameters p JOIN ssm_parameter_versions v "
                                "ON v.region = p.region AND v.name = p.name AND v.version = p.version "
                                "WHERE p.region = ?1 AND substr(p.name, 1, length(?2)) = ?2 AND p.name > ?3 "
                                "ORDER BY p.name",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(prefix), ARG_TEXT(after)), err);
    return store_row_each(tx, s, -1, each_row, &call, NULL, "list parameters", err);
}
