/* store_internal.h - what the store_*.c files share: the connection inside a
 * transaction and a per-connection cache of prepared statements.  Nothing
 * outside the store includes this. */
#pragma once

#include <stdint.h>

#include "server/store/store.h"
#include "server/store/store_db.h"

/* A WAL this long (4 KiB pages: 64 MiB) is started over by a checkpoint
 * that waits for readers (store_checkpoint.c; the unit tests write past
 * it). */
#define STORE_WAL_RESTART_PAGES 16384

/* Distinct SQL strings in berth are a fixed, small set. */
#define STMT_CACHE 256

/* A database session: SQLite or PostgreSQL, and its statements. */
struct store_conn {
    sqlite3 *db;
    struct pg_conn *pg; /* instead of db, with a PostgreSQL store */
    struct {
        const char *sql;
        db_stmt stmt;
    } cache[STMT_CACHE];
    size_t ncache;
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } kept[4];    /* BEGIN, COMMIT, ROLLBACK: store.c's conn_exec_kept */
    uint64_t gen; /* the store's conn_gen when opened */
    struct store_conn *next;
};

/* Sum of one sqlite3_stmt_status counter over c's cached statements
 * (reset: zero them). */
long long store_conn_counter(struct store_conn *c, int op, bool reset);

struct store_tx {
    struct store *st;
    struct store_conn *conn;
    sqlite3 *db;        /* store.c's and store_db.h's alone */
    struct pg_conn *pg; /* likewise, instead of db with a PostgreSQL store */
    bool write;
    struct store_tx_hook *hooks; /* run once the transaction has ended */
};

/* A prepared, reset statement for sql (which must be a string literal: the
 * cache is keyed by its address).  Owned by the connection; do not finalize. */
db_stmt *store_stmt(struct store_tx *tx, const char *sql, struct error *err);
/* A statement of its own for sql, for a caller that steps several at once
 * (the cache holds one per SQL string); free it with db_finalize().  NULL
 * with err filled. */
db_stmt *store_prepare(struct store_tx *tx, const char *sql, struct error *err);
/* Fill err from the connection's last error and return -1. */
int store_fail(struct store_tx *tx, const char *what, struct error *err);
/* Run a statement that returns no rows; returns 0 or -1. */
int store_exec_stmt(struct store_tx *tx, db_stmt *stmt, struct error *err);

/* Rows changed by tx's last INSERT, UPDATE or DELETE. */
static inline int64_t db_changes(struct store_tx *tx)
{
    return tx->db ? sqlite3_changes(tx->db) : pg_conn_changes(tx->pg);
}
/* The id (INTEGER PRIMARY KEY) of the row tx's last INSERT added. */
static inline int64_t db_last_insert_id(struct store_tx *tx)
{
    return tx->db ? sqlite3_last_insert_rowid(tx->db) : pg_conn_last_insert_id(tx->pg);
}

/* Bind helpers that accept NULL strings as SQL NULL. */
void store_bind_text(db_stmt *stmt, int idx, const char *s);
const char *store_col_text(db_stmt *stmt, int idx);

/* container_instances columns in the order store_instance_read_row wants. */
#define INSTANCE_COLUMNS                                                                                               \
    "id, cluster_id, uuid, ec2_instance_id, status, registered_at, version, reg_cpu, reg_memory, "                     \
    "used_cpu, used_memory, running_count, pending_count, doc"
/* Read the current row of a statement selecting INSTANCE_COLUMNS into
 * *ret_row, a struct instance_row (a store_row_read_fn). */
int store_instance_read_row(db_stmt *s, void *ret_row, struct error *err);

/* Add delta (negative to remove) to a log group's stored bytes, never going
 * below 0: store_logs.c, store_log_events.c and store_logs_expire.c keep
 * the count in step with the events they add and remove. */
int store_log_group_add_bytes(struct store_tx *tx, int64_t group_id, int64_t delta, struct error *err);
