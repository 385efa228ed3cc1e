/* store_account_settings.c - the account_settings table (see
 * store_account_settings.h). */
#include "server/store/store_account_settings.h"

#include <stdio.h>

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

int store_account_setting_put(struct store_tx *tx, const char *region, const char *principal, const char *name,
                              const char *value, struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO account_settings (region, principal, name, value) VALUES (?1, ?2, ?3, ?4)"
                          " ON CONFLICT (region, principal, name) DO UPDATE SET value = excluded.value",
                          STORE_ARGS(ARG_TEXT(region), ARG_TEXT(principal), ARG_TEXT(name), ARG_TEXT(value)), err);
}

struct value_buf {
    char *buf;
    size_t cap;
};

static int read_value(db_stmt *s, void *ret, struct error *err)
{
    struct value_buf *v = ret;
    snprintf(v->buf, v->cap, "%s", store_col_text(s, 0));
    return 0;
}

int store_account_setting_get(struct store_tx *tx, const char *region, const char *principal, const char *name,
                              char *buf, size_t cap, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT value FROM account_settings WHERE region = ?1 AND principal = ?2 AND"
                                " name = ?3",
                                STORE_ARGS(ARG_TEXT(region), ARG_TEXT(principal), ARG_TEXT(name)), err);
    struct value_buf v = {buf, cap};
    return store_row_get(tx, s, read_value, &v, "get account setting", err);
}

int store_account_setting_delete(struct store_tx *tx, const char *region, const char *principal, const char *name,
                                 struct error *err)
{
    if (store_row_exec(tx, "DELETE FROM account_settings WHERE region = ?1 AND principal = ?2 AND name = ?3",
                       STORE_ARGS(ARG_TEXT(region), ARG_TEXT(principal), ARG_TEXT(name)), err) < 0)
        return -1;
    return db_changes(tx) > 0 ? 1 : 0;
}
