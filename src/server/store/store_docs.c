/* store_docs.c - the docs and doc_events tables (see store_docs.h). */
#include "server/store/store_docs.h"

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

int store_doc_get(struct store_tx *tx, const char *kind, const char *region, const char *id, json_t **ret_doc,
                  struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT doc FROM docs WHERE kind = ?1 AND region = ?2 AND id = ?3",
                                STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(id)), err);
    return store_row_get(tx, s, read_doc, ret_doc, "get document", err);
}

int store_doc_put(struct store_tx *tx, const char *kind, const char *region, const char *id, json_t *doc,
                  struct error *err)
{
    _cleanup_free_ char *text = jsondump_utf8(doc, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_row_exec(tx,
                          "INSERT INTO docs (kind, region, id, doc) VALUES (?1, ?2, ?3, ?4)"
                          " ON CONFLICT (kind, region, id) DO UPDATE SET doc = excluded.doc",
                          STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(id), ARG_TEXT(text)), err);
}

int store_doc_delete(struct store_tx *tx, const char *kind, const char *region, const char *id, struct error *err)
{
    return store_row_exec(tx, "DELETE FROM docs WHERE kind = ?1 AND region = ?2 AND id = ?3",
                          STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(id)), err);
}

struct each_call {
    store_doc_fn fn;
    void *ud;
};

static int each_row(db_stmt *s, void *ud, struct error *err)
{
    struct each_call *call = ud;
    _cleanup_json_ json_t *doc = store_row_doc(s, 1, err);
    if (!doc)
        return -1;
    return call->fn(db_col_text(s, 0), doc, call->ud, err);
}

int store_doc_each(struct store_tx *tx, const char *kind, const char *region, const char *after, const char *prefix,
                   store_doc_fn fn, void *ud, struct error *err)
{
    struct each_call call = {fn, ud};
    /* substr, not LIKE: a prefix may hold % and _. */
    db_stmt *s = store_row_stmt(
        tx,
        "SELECT region, doc FROM docs WHERE kind = ?1 AND (region = ?2 OR ?2 IS NULL) "
        "AND id > ?3 AND (substr(id, 1, length(?4)) = ?4 OR ?4 IS NULL) "
        "ORDER BY region, id",
        STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(after ? after : ""), ARG_TEXT(prefix)), err);
    return store_row_each(tx, s, -1, each_row, &call, NULL, "list documents", err);
}

int store_doc_event_add(struct store_tx *tx, const char *kind, const char *region, const char *parent, int64_t at_ms,
                        json_t *doc, int keep, struct error *err)
{
    _cleanup_free_ char *text = jsondump_utf8(doc, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_row_exec(tx, "INSERT INTO doc_events (kind, region, parent, at_ms, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                       STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent), ARG_INT(at_ms), ARG_TEXT(text)),
                       err) < 0)
        return -1;
    return store_row_exec(tx,
                          "DELETE FROM doc_events WHERE kind = ?1 AND region = ?2 AND parent = ?3 AND seq NOT IN "
                          "(SELECT seq FROM doc_events WHERE kind = ?1 AND region = ?2 AND parent = ?3 "
                          "ORDER BY seq DESC LIMIT ?4)",
                          STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent), ARG_INT(keep)), err);
}

struct event_call {
    store_doc_event_fn fn;
    void *ud;
};

static int event_row(db_stmt *s, void *ud, struct error *err)
{
    struct event_call *call = ud;
    _cleanup_json_ json_t *doc = store_row_doc(s, 1, err);
    if (!doc)
        return -1;
    return call->fn(db_col_int64(s, 0), doc, call->ud, err);
}

int store_doc_events(struct store_tx *tx, const char *kind, const char *region, const char *parent, int64_t before_seq,
                     store_doc_event_fn fn, void *ud, struct error *err)
{
    struct event_call call = {fn, ud};
    db_stmt *s =
        store_row_stmt(tx,
                       "SELECT seq, doc FROM doc_events WHERE kind = ?1 AND region = ?2 "
                       "AND (parent = ?3 OR ?3 IS NULL) AND (?4 = 0 OR seq < ?4) ORDER BY seq DESC",
                       STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent), ARG_INT(before_seq)), err);
    return store_row_each(tx, s, -1, event_row, &call, NULL, "list history", err);
}

int store_doc_events_delete(struct store_tx *tx, const char *kind, const char *region, const char *parent,
                            struct error *err)
{
    return store_row_exec(tx, "DELETE FROM doc_events WHERE kind = ?1 AND region = ?2 AND parent = ?3",
                          STORE_ARGS(ARG_TEXT(kind), ARG_TEXT(region), ARG_TEXT(parent)), err);
}
