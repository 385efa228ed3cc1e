/* store_row.c - binding, stepping, reading and writing rows for the
 * store's table files (see store_row.h).  It holds no SQL of its own: the
 * table files pass theirs, and know what a row means. */
#include "server/store/store_row.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/jsondump.h"
#include "server/store/jsonload.h"

db_stmt *store_row_stmt(struct store_tx *tx, const char *sql, const struct store_arg *args, size_t n, struct error *err)
{
    db_stmt *s = store_stmt(tx, sql, err);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int idx = (int)i + 1;
        switch (args[i].type) {
        case STORE_ARG_NULL: db_bind_null(s, idx); break;
        case STORE_ARG_INT: db_bind_int64(s, idx, args[i].i); break;
        case STORE_ARG_TEXT: store_bind_text(s, idx, args[i].text); break;
        case STORE_ARG_REAL: db_bind_double(s, idx, args[i].d); break;
        }
    }
    return s;
}

int store_row_exec(struct store_tx *tx, const char *sql, const struct store_arg *args, size_t n, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, sql, args, n, err);
    if (!s)
        return -1;
    return store_exec_stmt(tx, s, err);
}

int store_row_get(struct store_tx *tx, db_stmt *s, store_row_read_fn read, void *ret_row, const char *what,
                  struct error *err)
{
    if (!s)
        return -1;
    int rc = db_step(s);
    if (rc == DB_DONE)
        return 0;
    if (rc != DB_ROW)
        return store_fail(tx, what, err);
    int r = read(s, ret_row, err);
    db_reset(s);
    return r < 0 ? -1 : 1;
}

int store_row_each(struct store_tx *tx, db_stmt *s, int limit, store_row_fn fn, void *ud, bool *ret_more,
                   const char *what, struct error *err)
{
    if (!s)
        return -1;
    int n = 0, rc;
    bool more = false;
    while ((rc = db_step(s)) == DB_ROW) {
        if (limit >= 0 && n == limit) {
            more = true;
            break;
        }
        int r = fn(s, ud, err);
        if (r < 0) {
            db_reset(s);
            return -1;
        }
        if (r > 0)
            break;
        n++;
    }
    if (rc != DB_ROW && rc != DB_DONE) {
        store_fail(tx, what, err);
        db_reset(s);
        return -1;
    }
    db_reset(s);
    if (ret_more)
        *ret_more = more;
    return 0;
}

int store_row_append_text(db_stmt *s, void *list, struct error *err)
{
    json_array_append_new(list, json_string(store_col_text(s, 0)));
    return 0;
}

int store_row_append_int(db_stmt *s, void *list, struct error *err)
{
    json_array_append_new(list, json_integer(db_col_int64(s, 0)));
    return 0;
}

struct collect {
    void *rows;
    size_t n, cap, elem;
    store_row_read_fn read;
};

static int collect_row(db_stmt *s, void *ud, struct error *err)
{
    struct collect *c = ud;
    if (array_reserve(&c->rows, &c->cap, c->n + 1, c->elem) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (c->read(s, (char *)c->rows + c->n * c->elem, err) < 0)
        return -1;
    c->n++;
    return 0;
}

int store_row_collect(struct store_tx *tx, db_stmt *s, int limit, size_t elem, store_row_read_fn read, void **ret_rows,
                      size_t *ret_count, bool *ret_more, const char *what, struct error *err)
{
    struct collect c = {.elem = elem, .read = read};
    if (store_row_each(tx, s, limit, collect_row, &c, ret_more, what, err) < 0) {
        free(c.rows);
        return -1;
    }
    *ret_rows = c.rows;
    *ret_count = c.n;
    return 0;
}

int store_row_int64s(struct store_tx *tx, db_stmt *s, int64_t *ret, size_t n, const char *what, struct error *err)
{
    if (!s)
        return -1;
    if (db_step(s) != DB_ROW) {
        store_fail(tx, what, err);
        db_reset(s);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        ret[i] = db_col_int64(s, (int)i);
    db_reset(s);
    return 0;
}

void store_row_clear(void *row, json_t *doc, size_t size)
{
    json_decref(doc);
    memset(row, 0, size);
}

json_t *store_row_doc(db_stmt *s, int idx, struct error *err)
{
    const char *text = store_col_text(s, idx);
    size_t pos = 0;
    json_t *doc = jsonload(text, strlen(text), &pos);
    if (!doc)
        error_set(err, ERR_INTERNAL, "corrupt document (at byte %zu, or out of memory)", pos);
    return doc;
}

int store_row_put_doc(struct store_tx *tx, db_stmt *s, json_t *doc, int doc_idx, int64_t *id, struct error *err)
{
    if (!s)
        return -1;
    char *text = jsondump_utf8(doc, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    db_bind_text_owned(s, doc_idx, text);
    if (*id)
        db_bind_int64(s, doc_idx + 1, *id);
    if (store_exec_stmt(tx, s, err) < 0)
        return -1;
    if (*id == 0)
        *id = db_last_insert_id(tx);
    return 0;
}
