/* store_exec.c - the exec_sessions table (see store_exec.h). */
#include "server/store/store_exec.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "common/jsondump.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

int store_exec_put(struct store_tx *tx, int64_t instance_id, usec_t expires_at, usec_t now, json_t *doc,
                   struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM exec_sessions WHERE expires_at <= ?1", STORE_ARGS(ARG_INT(now)), err) < 0)
        return -1;
    _cleanup_free_ char *text = jsondump_utf8(doc, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_row_exec(tx, "INSERT INTO exec_sessions (instance_id, expires_at, doc) VALUES (?1, ?2, ?3)",
                          STORE_ARGS(ARG_INT(instance_id), ARG_INT(expires_at), ARG_TEXT(text)), err);
}

struct list_ctx {
    json_t *out;
    int64_t *max;
};

static int list_row(db_stmt *s, void *ud, struct error *err)
{
    struct list_ctx *l = ud;
    int64_t seq = db_col_int64(s, 0);
    json_t *doc = store_row_doc(s, 1, err);
    if (!doc)
        return error_prefix(err, "exec session %lld", (long long)seq);
    json_array_append_new(l->out, doc);
    if (seq > *l->max)
        *l->max = seq;
    return 0;
}

int store_exec_list(struct store_tx *tx, int64_t instance_id, int64_t after, usec_t now, int limit, json_t *out,
                    int64_t *ret_max, struct error *err)
{
    db_stmt *s =
        store_row_stmt(tx,
                       "SELECT seq, doc FROM exec_sessions WHERE instance_id = ?1 AND seq > ?2"
                       " AND expires_at > ?3 ORDER BY seq LIMIT ?4",
                       STORE_ARGS(ARG_INT(instance_id), ARG_INT(after), ARG_INT(now), ARG_INT(limit + 1)), err);
    struct list_ctx l = {out, ret_max};
    return store_row_each(tx, s, limit, list_row, &l, NULL, "list exec sessions", err);
}
