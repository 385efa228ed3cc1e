/* store_pg.h - the PostgreSQL backend's connections and statements, for
 * store.c and store_db.h alone (table files use db_stmt).
 *
 * A statement is written in the store's SQLite dialect and translated once
 * (store_sql_pg); it is prepared on its connection the first time it is
 * stepped, with parameter types left to PostgreSQL's inference or, where
 * inference finds none (a parameter SQLite's numbering skips), taken from
 * the values bound.  Parameters and results travel as text. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct pg_conn;
struct pg_stmt;

/* Connect to url (a libpq URI or conninfo string).  err never repeats url,
 * which may carry a password. */
int pg_conn_open(const char *url, struct pg_conn **ret_conn, struct error *err);
void pg_conn_free(struct pg_conn *c);
/* Run sql (one statement or a script, no parameters). */
int pg_conn_exec(struct pg_conn *c, const char *sql, struct error *err);
/* Run sql, which returns one row of one integer column, into *ret_value. */
int pg_conn_query_int(struct pg_conn *c, const char *sql, int64_t *ret_value, struct error *err);
/* Whether the connection is still up (a PostgreSQL restart breaks it; the
 * pool then opens a new one). */
bool pg_conn_ok(struct pg_conn *c);
/* The connection's last error, for store_fail(). */
const char *pg_conn_error(struct pg_conn *c);
/* Whether the last error was a serialization failure or deadlock (40001,
 * 40P01): the transaction may succeed if run again. */
bool pg_conn_retryable(struct pg_conn *c);
/* Rows the last INSERT, UPDATE or DELETE changed; the id its INSERT gave
 * (lastval()). */
int64_t pg_conn_changes(struct pg_conn *c);
int64_t pg_conn_last_insert_id(struct pg_conn *c);

/* A statement for sql on c, translated but not yet prepared; NULL with err
 * filled when sql has no PostgreSQL translation. */
struct pg_stmt *pg_stmt_new(struct pg_conn *c, const char *sql, struct error *err);
void pg_stmt_free(struct pg_stmt *s);
/* SQLITE_ROW, SQLITE_DONE or SQLITE_ERROR (pg_conn_error() says why). */
int pg_stmt_step(struct pg_stmt *s);
void pg_stmt_reset(struct pg_stmt *s);
void pg_stmt_clear_bindings(struct pg_stmt *s);

/* NULL text binds SQL NULL; text is copied. */
void pg_bind_text(struct pg_stmt *s, int idx, const char *text, size_t len);
void pg_bind_text_owned(struct pg_stmt *s, int idx, char *text);
void pg_bind_int64(struct pg_stmt *s, int idx, int64_t v);
void pg_bind_double(struct pg_stmt *s, int idx, double v);

int64_t pg_col_int64(struct pg_stmt *s, int idx);
double pg_col_double(struct pg_stmt *s, int idx);
const char *pg_col_text(struct pg_stmt *s, int idx);
size_t pg_col_bytes(struct pg_stmt *s, int idx);
bool pg_col_is_null(struct pg_stmt *s, int idx);

/* On c, a session kept for it: true while c holds the leader lock (a
 * session advisory lock).  held says c took it earlier (then the session
 * is only checked), else it is tried without waiting. */
bool pg_leader_check(struct pg_conn *c, bool held);

/* Bring the database c is connected to up to this berth's schema: the
 * same versioned migrations as SQLite (store_schema.c), translated, each
 * in its own transaction, the version kept in berth_schema_version.  Servers
 * starting together take turns (an advisory lock).  *ret_version is the
 * version after. */
int store_pg_migrate(struct pg_conn *c, int *ret_version, struct error *err);
