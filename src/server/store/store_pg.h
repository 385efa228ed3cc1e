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

/* What a write transaction runs first, before any statement takes its
 * snapshot: the writers of every server on the database then run one at a
 * time, as one server's do, instead of failing each other's serialization
 * checks on the rows every write touches (a cluster's counters, an
 * instance's resources) until their retries run out. */
#define PG_WRITER_LOCK "LOCK TABLE berth_writer IN EXCLUSIVE MODE"

/* Seconds a connect waits for a host that does not answer. */
#define PG_CONNECT_TIMEOUT "5"
/* A database host that vanishes (power off, cable out, a partition) sends
 * no FIN or RST, so a session on it looks open until TCP gives up: hours
 * for an idle socket (the kernel's keepalive default is 2 h), ~15 min of
 * retransmissions for one with a statement unacknowledged.  Keepalive
 * probes after PG_KEEPALIVE_IDLE s idle, PG_KEEPALIVE_COUNT of them
 * PG_KEEPALIVE_INTERVAL s apart, and a PG_TCP_USER_TIMEOUT_MS bound on
 * unacknowledged data end it within ~25 s instead: the statement fails
 * with the session lost (503, reconnect), the listener reconnects.  The
 * same values are set on PostgreSQL's side of each session (tcp_keepalives_*,
 * tcp_user_timeout are per-session settings), so that PostgreSQL ends a
 * vanished server's session, and with it the leader lock, as soon.  A
 * live host answers probes from its kernel however busy PostgreSQL is;
 * unix sockets ignore all of it. */
#define PG_KEEPALIVE_IDLE "10"
#define PG_KEEPALIVE_INTERVAL "5"
#define PG_KEEPALIVE_COUNT "3"
#define PG_TCP_USER_TIMEOUT_MS "25000"
/* PostgreSQL's side of the same, run first in each session. */
#define PG_SESSION_KEEPALIVES                                                                                          \
    "SET tcp_keepalives_idle = " PG_KEEPALIVE_IDLE "; SET tcp_keepalives_interval = " PG_KEEPALIVE_INTERVAL            \
    "; SET tcp_keepalives_count = " PG_KEEPALIVE_COUNT "; SET tcp_user_timeout = " PG_TCP_USER_TIMEOUT_MS
/* Entries pg_connect_params() fills, its NULL terminator included. */
#define PG_CONNECT_PARAMS 8

/* The keywords and values for PQconnectdbParams(keys, values, 1) that
 * every store session connects to url with: connect timeout and TCP
 * keepalives (above) first, then url expanded (its own settings win).
 * keys and values hold PG_CONNECT_PARAMS entries; values[] points into url. */
void pg_connect_params(const char *url, const char **keys, const char **values);

/* Connect to url (a libpq URI or conninfo string).  err never repeats url,
 * which may carry a password; a server that cannot be reached is
 * ERR_UNAVAILABLE. */
int pg_conn_open(const char *url, struct pg_conn **ret_conn, struct error *err);
void pg_conn_free(struct pg_conn *c);
/* Run sql (one statement or a script, no parameters).  A COMMIT that a
 * serialization failure refuses fails with ERR_RETRY. */
int pg_conn_exec(struct pg_conn *c, const char *sql, struct error *err);
/* Run sql, which returns one row of one integer column, into *ret_value. */
int pg_conn_query_int(struct pg_conn *c, const char *sql, int64_t *ret_value, struct error *err);
/* Run sql, whose last statement returns one row of one text column, into
 * ret (cap bytes, NUL-terminated; a longer value is an error). */
int pg_conn_query_text(struct pg_conn *c, const char *sql, char *ret, size_t cap, struct error *err);
/* berth_meta's value for name (lower-case letters and _), set to hex (a
 * lower-case hex string) first if it had none, into ret_hex. */
int pg_meta_claim(struct pg_conn *c, const char *name, const char *hex, char *ret_hex, size_t cap, struct error *err);
/* Whether the connection is still up (a PostgreSQL restart breaks it; the
 * pool then opens a new one).  Once a statement found the session gone,
 * false for good. */
bool pg_conn_ok(struct pg_conn *c);
/* The connection's last error, for store_fail(), and its kind:
 * ERR_UNAVAILABLE when the session is gone, ERR_RETRY after a
 * serialization failure, else ERR_INTERNAL. */
const char *pg_conn_error(struct pg_conn *c);
int pg_conn_error_kind(struct pg_conn *c);
/* Whether a statement since the last BEGIN failed with a serialization
 * failure or deadlock (40001, 40P01): the transaction may succeed if run
 * again.  pg_conn_exec() fails with ERR_RETRY then. */
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

/* On c, a session kept for it: the leader epoch while c holds the leader
 * lock (a session advisory lock), else 0.  held is the epoch c took the
 * lock with earlier (then the session is only checked), or 0: the lock is
 * then tried without waiting and, when taken, berth_leader's epoch is
 * bumped, which fences the previous leader (pg_leader_fence). */
int64_t pg_leader_check(struct pg_conn *c, int64_t held);
/* In the transaction open on c, which is leader work: fail with
 * ERR_CONFLICT unless epoch is still the database's leader epoch, and hold
 * a share lock on it until the transaction ends, so that a new leader's
 * bump waits for this transaction and none begun after it passes. */
int pg_leader_fence(struct pg_conn *c, int64_t epoch, struct error *err);

/* Bring the database c is connected to up to this berth's schema: the
 * same versioned migrations as SQLite (store_schema.c), translated, each
 * in its own transaction, the version kept in berth_schema_version.  Servers
 * starting together take turns (an advisory lock).  *ret_version is the
 * version after. */
int store_pg_migrate(struct pg_conn *c, int *ret_version, struct error *err);
