/* store_stmt.c - prepared statements: the per-connection cache keyed by a
 * literal's address, statements of their own, binding and the statement
 * counters /metrics reads.  Transactions and connections are store.c's. */
#include "server/store/store_internal.h"

#include <stdlib.h>
#include <string.h>

/* A new statement for sql on tx's connection into *ret; persistent: kept
 * for the connection's life. */
static int stmt_new(struct store_tx *tx, const char *sql, bool persistent, db_stmt *ret, struct error *err)
{
    *ret = (db_stmt){0};
    if (tx->pg) {
        ret->pg = pg_stmt_new(tx->pg, sql, err);
        return ret->pg ? 0 : -1;
    }
    if (sqlite3_prepare_v3(tx->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &ret->lite, NULL) != SQLITE_OK)
        return error_set(err, ERR_INTERNAL, "sqlite: prepare: %s", sqlite3_errmsg(tx->db));
    return 0;
}

static void stmt_free(db_stmt *s)
{
    sqlite3_finalize(s->lite);
    pg_stmt_free(s->pg);
}

db_stmt *store_stmt(struct store_tx *tx, const char *sql, struct error *err)
{
    struct store_conn *c = tx->conn;
    for (size_t i = 0; i < c->ncache; i++) {
        if (c->cache[i].sql == sql) {
            db_stmt *s = &c->cache[i].stmt;
            if (s->lite) {
                sqlite3_reset(s->lite);
                sqlite3_clear_bindings(s->lite);
            } else {
                pg_stmt_reset(s->pg);
                pg_stmt_clear_bindings(s->pg);
            }
            return s;
        }
    }
    if (c->ncache == STMT_CACHE) {
        /* Evicting could finalize a statement a caller is still stepping. */
        error_set(err, ERR_INTERNAL, "statement cache full; raise STMT_CACHE");
        return NULL;
    }
    if (stmt_new(tx, sql, true, &c->cache[c->ncache].stmt, err) < 0)
        return NULL;
    c->cache[c->ncache].sql = sql;
    return &c->cache[c->ncache++].stmt;
}

int store_fail(struct store_tx *tx, const char *what, struct error *err)
{
    if (tx->pg)
        return error_set(err, pg_conn_error_kind(tx->pg), "%spostgres: %s: %s",
                         pg_conn_ok(tx->pg) ? "" : "store unavailable: ", what, pg_conn_error(tx->pg));
    return error_set(err, ERR_INTERNAL, "sqlite: %s: %s", what, sqlite3_errmsg(tx->db));
}

int store_exec_stmt(struct store_tx *tx, db_stmt *stmt, struct error *err)
{
    int rc = db_step(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return store_fail(tx, "step", err);
    return 0;
}

void store_bind_text(db_stmt *stmt, int idx, const char *s)
{
    if (stmt->pg)
        pg_bind_text(stmt->pg, idx, s, s ? strlen(s) : 0);
    else if (s)
        sqlite3_bind_text(stmt->lite, idx, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt->lite, idx);
}

const char *store_col_text(db_stmt *stmt, int idx) { return db_col_text(stmt, idx); }

db_stmt *store_prepare(struct store_tx *tx, const char *sql, struct error *err)
{
    db_stmt *s = malloc(sizeof(*s));
    if (!s) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (stmt_new(tx, sql, false, s, err) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

void db_finalize(db_stmt *s)
{
    if (!s)
        return;
    stmt_free(s);
    free(s);
}

long long store_conn_counter(struct store_conn *c, int op, bool reset)
{
    long long total = 0;
    for (size_t i = 0; i < c->ncache; i++)
        if (c->cache[i].stmt.lite)
            total += sqlite3_stmt_status(c->cache[i].stmt.lite, op, reset ? 1 : 0);
    return total;
}
