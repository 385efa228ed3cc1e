/* store_capacity_providers.c - the capacity_providers table (see
 * store_capacity_providers.h). */
#include "server/store/store_capacity_providers.h"

#include "common/cleanup.h"
#include "common/jsondump.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

int store_capacity_provider_put(struct store_tx *tx, const char *region, const char *name, json_t *doc,
                                struct error *err)
{
    _cleanup_free_ char *text = jsondump_utf8(doc, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_row_exec(tx,
                          "INSERT INTO capacity_providers (region, name, doc) VALUES (?1, ?2, ?3)"
                          " ON CONFLICT (region, name) DO UPDATE SET doc = excluded.doc",
                          STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name), ARG_TEXT(text)), err);
}

static int read_doc(db_stmt *s, void *ret, struct error *err)
{
    json_t *doc = store_row_doc(s, 0, err);
    if (!doc)
        return -1;
    *(json_t **)ret = doc;
    return 0;
}

int store_capacity_provider_get(struct store_tx *tx, const char *region, const char *name, json_t **ret_doc,
                                struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT doc FROM capacity_providers WHERE region = ?1 AND name = ?2",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name)), err);
    return store_row_get(tx, s, read_doc, ret_doc, "get capacity provider", err);
}

int store_capacity_provider_delete(struct store_tx *tx, const char *region, const char *name, struct error *err)
{
    return store_row_exec(tx, "DELETE FROM capacity_providers WHERE region = ?1 AND name = ?2",
                          STORE_ARGS(ARG_TEXT(region), ARG_TEXT(name)), err);
}

static int append_doc(db_stmt *s, void *list, struct error *err)
{
    json_t *doc = store_row_doc(s, 0, err);
    if (!doc)
        return -1;
    json_array_append_new(list, doc);
    return 0;
}

int store_capacity_provider_list(struct store_tx *tx, const char *region, const char *after, int limit,
                                 json_t *ret_list, bool *ret_more, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT doc FROM capacity_providers WHERE region = ?1 AND (name > ?2 OR"
                                " ?2 IS NULL) ORDER BY name LIMIT ?3",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(after), ARG_INT((int64_t)limit + 1)), err);
    return store_row_each(tx, s, limit, append_doc, ret_list, ret_more, "list capacity providers", err);
}
