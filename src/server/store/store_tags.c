/* store_tags.c - the tags table. */
#include "server/store/store_tags.h"

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

static int tag_row(db_stmt *s, void *list, struct error *err)
{
    json_array_append_new(list, json_pack("{s:s, s:s}", "key", store_col_text(s, 0), "value", store_col_text(s, 1)));
    return 0;
}

int store_tags_get(struct store_tx *tx, const char *arn, json_t *ret_tags, struct error *err)
{
    db_stmt *s =
        store_row_stmt(tx, "SELECT key, value FROM tags WHERE arn = ?1 ORDER BY key", STORE_ARGS(ARG_TEXT(arn)), err);
    return store_row_each(tx, s, -1, tag_row, ret_tags, NULL, "get tags", err);
}

int store_tags_put(struct store_tx *tx, const char *arn, json_t *tags, struct error *err)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *value = json_string_value(json_object_get(t, "value"));
        if (store_row_exec(tx,
                           "INSERT INTO tags (arn, key, value) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
                           STORE_ARGS(ARG_TEXT(arn), ARG_TEXT(json_string_value(json_object_get(t, "key"))),
                                      ARG_TEXT(value ? value : "")),
                           err) < 0)
            return -1;
    }
    return 0;
}

int store_tags_remove(struct store_tx *tx, const char *arn, json_t *keys, struct error *err)
{
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        if (store_row_exec(tx, "DELETE FROM tags WHERE arn = ?1 AND key = ?2",
                           STORE_ARGS(ARG_TEXT(arn), ARG_TEXT(json_string_value(k))), err) < 0)
            return -1;
    }
    return 0;
}

int store_tags_count(struct store_tx *tx, const char *arn, int *ret_count, struct error *err)
{
    db_stmt *s = store_row_stmt(tx, "SELECT count(*) FROM tags WHERE arn = ?1", STORE_ARGS(ARG_TEXT(arn)), err);
    int64_t count;
    if (store_row_int64s(tx, s, &count, 1, "count tags", err) < 0)
        return -1;
    *ret_count = (int)count;
    return 0;
}
