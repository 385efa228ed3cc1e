/* store_sd.c - the sd_objects table (see store_sd.h). */
#include "server/store/store_sd.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "common/jsondump.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

static int read_doc(db_stmt *s, void *ret_row, struct error *err)
{
    json_t *doc = store_row_doc(s, 0, err);
    if (!doc)
        return -1;
    *(json_t **)ret_row = doc;
    return 0;
}

int store_sd_get(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *id,
                 json_t **ret_doc, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT doc FROM sd_objects WHERE kind = ?1 AND region = ?2 AND id = ?4 "
                                "AND (parent = ?3 OR ?3 IS NULL) LIMIT 1",
                                STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent), ARG_TEXT(id)), err);
    return store_row_get(tx, s, read_doc, ret_doc, "get cloud map object", err);
}

int store_sd_find_name(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *name,
                       json_t **ret_doc, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT doc FROM sd_objects WHERE kind = ?1 AND region = ?2 AND name = ?4 "
                                "AND (parent = ?3 OR ?3 IS NULL) ORDER BY id LIMIT 1",
                                STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent), ARG_TEXT(name)), err);
    return store_row_get(tx, s, read_doc, ret_doc, "find cloud map object", err);
}

int store_sd_put(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *id,
                 const char *name, json_t *doc, struct error *err)
{
    _cleanup_free_ char *text = jsondump_utf8(doc, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_row_exec(
        tx,
        "INSERT INTO sd_objects (kind, region, parent, id, name, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT (kind, region, parent, id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
        STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent), ARG_TEXT(id), ARG_TEXT(name), ARG_TEXT(text)),
        err);
}

int store_sd_delete(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *id,
                    const char *arn, struct error *err)
{
    if (arn && store_row_exec(tx, "DELETE FROM tags WHERE arn = ?1", STORE_ARGS(ARG_TEXT(arn)), err) < 0)
        return -1;
    return store_row_exec(tx, "DELETE FROM sd_objects WHERE kind = ?1 AND region = ?2 AND parent = ?3 AND id = ?4",
                          STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent), ARG_TEXT(id)), err);
}

int store_sd_count(struct store_tx *tx, const char *kind, const char *region, const char *parent, int64_t *ret_count,
                   struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT count(*) FROM sd_objects WHERE kind = ?1 AND region = ?2 AND parent = ?3",
                                STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent)), err);
    return store_row_int64s(tx, s, ret_count, 1, "count cloud map objects", err);
}

struct each_call {
    store_sd_each_fn fn;
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

int store_sd_each(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *after,
                  store_sd_each_fn fn, void *ud, struct error *err)
{
    struct each_call call = {fn, ud};
    db_stmt *s = store_row_stmt(
        tx,
        "SELECT doc FROM sd_objects WHERE kind = ?1 AND region = ?2 "
        "AND (parent = ?3 OR ?3 IS NULL) AND id > ?4 ORDER BY id",
        STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent), ARG_TEXT(after ? after : "")), err);
    return store_row_each(tx, s, -1, each_row, &call, NULL, "list cloud map objects", err);
}
