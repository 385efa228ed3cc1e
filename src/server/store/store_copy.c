/* store_copy.c - `berth store migrate`: a SQLite store's rows copied into
 * an empty PostgreSQL database (see store_copy.h).
 *
 * The source is opened read-only and must be at this berth's schema
 * version (a server started on it once brings it there).  The target gets
 * the same migrations (store_pg_migrate), then, in one transaction, every
 * table's rows with their ids, triggers off (the rows already hold what
 * the triggers keep, such as per-cluster task counts), and each identity
 * column's sequence set past the largest id.  All or nothing: a copy that
 * fails leaves the target's tables empty. */
#include "server/store/store_copy.h"

#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "server/store/store_pg.h"
#include "server/store/store_schema.h"

static void sqlite_closep(sqlite3 **db) { sqlite3_close_v2(*db); }
static void pg_conn_freep(struct pg_conn **c) { pg_conn_free(*c); }
static void sqlite_finalizep(sqlite3_stmt **s) { sqlite3_finalize(*s); }
static void pg_stmt_freep(struct pg_stmt **s) { pg_stmt_free(*s); }

/* The source's tables (json array of names), parents of foreign keys
 * (clusters, metrics) first. */
static int source_tables(sqlite3 *db, json_t *ret, struct error *err)
{
    _cleanup_(sqlite_finalizep) sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                           "ORDER BY name NOT IN ('clusters', 'metrics'), rowid",
                           -1, &s, NULL) != SQLITE_OK)
        return error_set(err, ERR_INTERNAL, "sqlite: %s", sqlite3_errmsg(db));
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(ret, json_string((const char *)sqlite3_column_text(s, 0)));
    return 0;
}

static int source_version(sqlite3 *db, int *ret, struct error *err)
{
    _cleanup_(sqlite_finalizep) sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        if (sqlite3_errcode(db) == SQLITE_BUSY) /* a running server holds the file (store.c's unix-excl) */
            return error_set(err, ERR_CONFLICT, "a berth server is using %s: stop it, then copy",
                             sqlite3_db_filename(db, "main"));
        return error_set(err, ERR_INTERNAL, "sqlite: %s", sqlite3_errmsg(db));
    }
    *ret = sqlite3_column_int(s, 0);
    return 0;
}

/* Refuse a target that holds anything: another application's tables, or
 * berth's with rows (beyond the one-row counters its migrations seed:
 * test_store_migrate.py fails if a migration seeds another table). */
static int target_empty(struct pg_conn *c, json_t *tables, struct error *err)
{
    int64_t n = 0, ours = 0;
    if (pg_conn_query_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()", &n, err) < 0 ||
        pg_conn_query_int(c,
                          "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                          "tablename = 'berth_schema_version'",
                          &ours, err) < 0)
        return -1;
    if (n > 0 && !ours)
        return error_set(err, ERR_CONFLICT,
                         "the target database has %" PRId64 " tables that are not berth's: "
                         "berth store migrate copies into an empty database only",
                         n);
    size_t i;
    json_t *t;
    json_array_foreach(tables, i, t) {
        const char *name = json_string_value(t);
        char sql[200];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) x", name);
        int64_t rows = 0;
        if (!ours || !strcmp(name, "counters") || !strcmp(name, "iam_generation"))
            continue;
        if (pg_conn_query_int(c, sql, &rows, err) < 0)
            return -1;
        if (rows)
            return error_set(err, ERR_CONFLICT,
                             "the target database is not empty (table %s has rows): "
                             "berth store migrate copies into an empty database only",
                             name);
    }
    return 0;
}

/* Bind the current source row's column i to p's parameter i+1. */
static void bind_value(sqlite3_stmt *s, int i, struct pg_stmt *p)
{
    switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: pg_bind_int64(p, i + 1, sqlite3_column_int64(s, i)); break;
    case SQLITE_FLOAT: pg_bind_double(p, i + 1, sqlite3_column_double(s, i)); break;
    case SQLITE_BLOB: { /* bytea's hex input form */
        const unsigned char *b = sqlite3_column_blob(s, i);
        size_t n = (size_t)sqlite3_column_bytes(s, i);
        char *hex = malloc(2 * n + 3);
        if (hex) {
            memcpy(hex, "\\x", 2);
            for (size_t k = 0; k < n; k++)
                snprintf(hex + 2 + 2 * k, 3, "%02x", b[k]);
            hex[2 + 2 * n] = 0;
        }
        pg_bind_text_owned(p, i + 1, hex);
        break;
    }
    case SQLITE_NULL: pg_bind_text(p, i + 1, NULL, 0); break;
    default: pg_bind_text(p, i + 1, (const char *)sqlite3_column_text(s, i), (size_t)sqlite3_column_bytes(s, i));
    }
}

/* Copy one table's rows; *ret_rows counts them. */
static int copy_table(sqlite3 *db, struct pg_conn *c, const char *table, int64_t *ret_rows, struct error *err)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
    _cleanup_(sqlite_finalizep) sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return error_set(err, ERR_INTERNAL, "sqlite: %s: %s", table, sqlite3_errmsg(db));
    int ncol = sqlite3_column_count(s);
    _cleanup_buf_ struct buf ins;
    buf_init(&ins, 64 * 1024);
    buf_printf(&ins, "INSERT INTO %s (", table);
    for (int i = 0; i < ncol; i++)
        buf_printf(&ins, "%s%s", i ? ", " : "", sqlite3_column_name(s, i));
    buf_printf(&ins, ") VALUES (");
    for (int i = 0; i < ncol; i++)
        buf_printf(&ins, "%s?%d", i ? ", " : "", i + 1);
    buf_printf(&ins, ")");
    if (ins.failed)
        return error_set(err, ERR_LIMIT, "%s: too many columns", table);
    _cleanup_(pg_stmt_freep) struct pg_stmt *p = pg_stmt_new(c, ins.data, err);
    if (!p)
        return error_prefix(err, "%s", table);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        pg_stmt_reset(p);
        pg_stmt_clear_bindings(p);
        for (int i = 0; i < ncol; i++)
            bind_value(s, i, p);
        if (pg_stmt_step(p) == SQLITE_ERROR)
            return error_set(err, ERR_INTERNAL, "postgres: %s: %s", table, pg_conn_error(c));
        (*ret_rows)++;
    }
    if (rc != SQLITE_DONE)
        return error_set(err, ERR_INTERNAL, "sqlite: %s: %s", table, sqlite3_errmsg(db));
    return 0;
}

/* Each identity column's sequence past the largest id copied. */
static const char reset_identities[] =
    "DO $$ DECLARE r record; BEGIN"
    " FOR r IN SELECT table_name, column_name FROM information_schema.columns"
    "  WHERE table_schema = current_schema() AND is_identity = 'YES' LOOP"
    "  EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), COALESCE(max(%I), 0) + 1, false) FROM %I',"
    "   r.table_name, r.column_name, r.column_name, r.table_name);"
    " END LOOP; END $$";

static int copy_all(sqlite3 *db, struct pg_conn *c, json_t *tables, struct store_copy_stats *st, struct error *err)
{
    size_t i;
    json_t *t;
    _cleanup_buf_ struct buf sql;
    buf_init(&sql, 64 * 1024);
    buf_printf(&sql, "TRUNCATE ");
    json_array_foreach(tables, i, t)
        buf_printf(&sql, "%s%s", i ? ", " : "", json_string_value(t));
    if (sql.failed || pg_conn_exec(c, "BEGIN", err) < 0 || pg_conn_exec(c, sql.data, err) < 0)
        return sql.failed ? error_set(err, ERR_LIMIT, "too many tables") : -1;
    json_array_foreach(tables, i, t) {
        char alter[160];
        snprintf(alter, sizeof(alter), "ALTER TABLE %s DISABLE TRIGGER USER", json_string_value(t));
        if (pg_conn_exec(c, alter, err) < 0 || copy_table(db, c, json_string_value(t), &st->rows, err) < 0)
            goto fail;
        snprintf(alter, sizeof(alter), "ALTER TABLE %s ENABLE TRIGGER USER", json_string_value(t));
        if (pg_conn_exec(c, alter, err) < 0)
            goto fail;
        st->tables++;
    }
    if (pg_conn_exec(c, reset_identities, err) < 0 || pg_conn_exec(c, "COMMIT", err) < 0)
        goto fail;
    return 0;
fail:
    pg_conn_exec(c, "ROLLBACK", NULL);
    return -1;
}

int store_copy_sqlite_to_pg(const char *sqlite_dir, const char *pg_url, struct store_copy_stats *ret, struct error *err)
{
    char path[4200];
    if ((size_t)snprintf(path, sizeof(path), "%s/berth.db", sqlite_dir) >= sizeof(path))
        return error_set(err, ERR_LIMIT, "the SQLite directory's path is too long");
    _cleanup_(sqlite_closep) sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return error_set(err, ERR_NOT_FOUND, "sqlite: open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    size_t n = 0;
    store_schema_migrations(&n);
    int version = 0;
    if (source_version(db, &version, err) < 0)
        return -1;
    if (version != (int)n)
        return error_set(err, ERR_INVALID,
                         "%s is at schema version %d, this berth at %zu: start this berth's server on it once "
                         "(it migrates), then copy",
                         path, version, n);
    _cleanup_(json_decrefp) json_t *tables = json_array();
    _cleanup_(pg_conn_freep) struct pg_conn *c = NULL;
    if (!tables || source_tables(db, tables, err) < 0 || pg_conn_open(pg_url, &c, err) < 0 ||
        target_empty(c, tables, err) < 0)
        return -1;
    int pg_version = 0;
    if (store_pg_migrate(c, &pg_version, err) < 0 || target_empty(c, tables, err) < 0)
        return -1;
    struct store_copy_stats st = {0};
    if (copy_all(db, c, tables, &st, err) < 0)
        return -1;
    *ret = st;
    return 0;
}
