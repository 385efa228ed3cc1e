/* store_db.h - the seam between the store's table files and the SQL engine:
 * a statement (db_stmt), binding its parameters, stepping it, reading the
 * columns of its current row, and what the last write changed.
 *
 * The table files (store_*.c) and store_row.c reach the database only
 * through these calls and store_stmt()/store_prepare() in store_internal.h,
 * never through sqlite3_* or PQ* directly.  Two backends: SQLite (the
 * default) and PostgreSQL (store_pg.c).  A statement holds one of the two;
 * each call tests which once and, for SQLite, is an inline wrapper that
 * costs a predictable branch over calling SQLite. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "server/store/store_pg.h"

typedef struct db_stmt {
    sqlite3_stmt *lite; /* the SQLite statement, or NULL */
    struct pg_stmt *pg; /* else the PostgreSQL one */
} db_stmt;

/* db_step() results: a row is current, the statement is done, or it failed
 * (store_fail() then describes why). */
enum { DB_ROW = SQLITE_ROW, DB_DONE = SQLITE_DONE };

static inline int db_step(db_stmt *s) { return s->lite ? sqlite3_step(s->lite) : pg_stmt_step(s->pg); }
/* Rewind s so that it can be stepped again; keeps its bindings. */
static inline void db_reset(db_stmt *s)
{
    if (s->lite)
        sqlite3_reset(s->lite);
    else
        pg_stmt_reset(s->pg);
}
/* Free a statement from store_prepare() (cached ones are the store's). */
void db_finalize(db_stmt *s);

/* Parameters are numbered from 1 (?1, ?2, ...). */
static inline void db_bind_int64(db_stmt *s, int idx, int64_t v)
{
    if (s->lite)
        sqlite3_bind_int64(s->lite, idx, v);
    else
        pg_bind_int64(s->pg, idx, v);
}
static inline void db_bind_double(db_stmt *s, int idx, double v)
{
    if (s->lite)
        sqlite3_bind_double(s->lite, idx, v);
    else
        pg_bind_double(s->pg, idx, v);
}
static inline void db_bind_null(db_stmt *s, int idx)
{
    if (s->lite)
        sqlite3_bind_null(s->lite, idx);
    else
        pg_bind_text(s->pg, idx, NULL, 0);
}
/* Bind len bytes of text that stay valid and unchanged until s is reset or
 * rebound (SQLite makes no copy). */
static inline void db_bind_text_static(db_stmt *s, int idx, const char *text, size_t len)
{
    if (s->lite)
        sqlite3_bind_text(s->lite, idx, text, (int)len, SQLITE_STATIC);
    else
        pg_bind_text(s->pg, idx, text, len);
}
/* Bind a NUL-terminated string the statement takes ownership of (freed with
 * free() once it is no longer needed). */
static inline void db_bind_text_owned(db_stmt *s, int idx, char *text)
{
    if (s->lite)
        sqlite3_bind_text(s->lite, idx, text, -1, free);
    else
        pg_bind_text_owned(s->pg, idx, text);
}

/* Columns of the current row, numbered from 0.  Text is valid until the
 * next step or reset of s; NULL for SQL NULL. */
static inline int64_t db_col_int64(db_stmt *s, int idx)
{
    return s->lite ? sqlite3_column_int64(s->lite, idx) : pg_col_int64(s->pg, idx);
}
static inline int db_col_int(db_stmt *s, int idx) { return (int)db_col_int64(s, idx); }
static inline double db_col_double(db_stmt *s, int idx)
{
    return s->lite ? sqlite3_column_double(s->lite, idx) : pg_col_double(s->pg, idx);
}
static inline const char *db_col_text(db_stmt *s, int idx)
{
    return s->lite ? (const char *)sqlite3_column_text(s->lite, idx) : pg_col_text(s->pg, idx);
}
/* Length in bytes of column idx's text (read after db_col_text()). */
static inline size_t db_col_bytes(db_stmt *s, int idx)
{
    return s->lite ? (size_t)sqlite3_column_bytes(s->lite, idx) : pg_col_bytes(s->pg, idx);
}
static inline bool db_col_is_null(db_stmt *s, int idx)
{
    return s->lite ? sqlite3_column_type(s->lite, idx) == SQLITE_NULL : pg_col_is_null(s->pg, idx);
}
