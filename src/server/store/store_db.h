/* store_db.h - the seam between the store's table files and the SQL engine:
 * a statement (db_stmt), binding its parameters, stepping it, reading the
 * columns of its current row, and what the last write changed.
 *
 * The table files (store_*.c) and store_row.c reach the database only
 * through these calls and store_stmt()/store_prepare() in store_internal.h,
 * never through sqlite3_* directly, so that a second backend (PostgreSQL)
 * needs to implement only this surface.  Today the one backend is SQLite:
 * the calls are inline wrappers and cost nothing over calling SQLite.
 * db_stmt is still SQLite's statement type so that table files written
 * against sqlite3_stmt keep compiling; new code names db_stmt. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef sqlite3_stmt db_stmt;

/* db_step() results: a row is current, the statement is done, or it failed
 * (store_fail() then describes why). */
enum { DB_ROW = SQLITE_ROW, DB_DONE = SQLITE_DONE };

static inline int db_step(db_stmt *s) { return sqlite3_step(s); }
/* Rewind s so that it can be stepped again; keeps its bindings. */
static inline void db_reset(db_stmt *s) { sqlite3_reset(s); }
/* Free a statement from store_prepare() (cached ones are the store's). */
static inline void db_finalize(db_stmt *s) { sqlite3_finalize(s); }

/* Parameters are numbered from 1 (?1, ?2, ...). */
static inline void db_bind_int64(db_stmt *s, int idx, int64_t v) { sqlite3_bind_int64(s, idx, v); }
static inline void db_bind_double(db_stmt *s, int idx, double v) { sqlite3_bind_double(s, idx, v); }
static inline void db_bind_null(db_stmt *s, int idx) { sqlite3_bind_null(s, idx); }
/* Bind len bytes of text that stay valid and unchanged until s is reset or
 * rebound (no copy is made). */
static inline void db_bind_text_static(db_stmt *s, int idx, const char *text, size_t len)
{
    sqlite3_bind_text(s, idx, text, (int)len, SQLITE_STATIC);
}
/* Bind a NUL-terminated string the statement takes ownership of (freed with
 * free() once it is no longer needed). */
static inline void db_bind_text_owned(db_stmt *s, int idx, char *text) { sqlite3_bind_text(s, idx, text, -1, free); }

/* Columns of the current row, numbered from 0.  Text is valid until the
 * next step or reset of s; NULL for SQL NULL. */
static inline int64_t db_col_int64(db_stmt *s, int idx) { return sqlite3_column_int64(s, idx); }
static inline int db_col_int(db_stmt *s, int idx) { return sqlite3_column_int(s, idx); }
static inline double db_col_double(db_stmt *s, int idx) { return sqlite3_column_double(s, idx); }
static inline const char *db_col_text(db_stmt *s, int idx) { return (const char *)sqlite3_column_text(s, idx); }
/* Length in bytes of column idx's text (read after db_col_text()). */
static inline size_t db_col_bytes(db_stmt *s, int idx) { return (size_t)sqlite3_column_bytes(s, idx); }
static inline bool db_col_is_null(db_stmt *s, int idx) { return sqlite3_column_type(s, idx) == SQLITE_NULL; }
