/* store_row.h - the mechanics every store table repeats: step a statement
 * for one row, for a page of rows or for a few counters; read a row's JSON
 * document; write a row that carries one.
 *
 * The table files (store_clusters.c, store_tasks.c, ...) keep what is theirs:
 * the SQL, the columns and the struct a row is read into.  This module knows
 * no table.  Internal to the store, like store_internal.h. */
#pragma once

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/store/store_internal.h"

/* Reads the current row of a statement into *ret_row, a table's row struct;
 * 0, or -1 with err filled (nothing then to free in *ret_row). */
typedef int (*store_row_read_fn)(sqlite3_stmt *s, void *ret_row, struct error *err);

/* Step a bound statement for at most one row: 1 with *ret_row filled by
 * read, 0 when there is no row, -1 on error (`what` names the query in the
 * message).  Resets s when it found a row. */
int store_row_get(struct store_tx *tx, sqlite3_stmt *s, store_row_read_fn read, void *ret_row, const char *what,
                  struct error *err);
/* store_row_get of `sql`, whose only parameter ?1 is a row id. */
int store_row_get_by_id(struct store_tx *tx, const char *sql, int64_t id, store_row_read_fn read, void *ret_row,
                        const char *what, struct error *err);

/* Called on each row: 0 to go on, 1 to stop there, -1 on error (err filled). */
typedef int (*store_row_fn)(sqlite3_stmt *s, void *ud, struct error *err);

/* Step a bound statement through its rows, calling fn(s, ud) on each.  With
 * limit >= 0 the statement asked for limit + 1 rows: fn sees at most limit
 * of them, and *ret_more (when not NULL) says whether another followed.
 * Resets s; 0 or -1. */
int store_row_each(struct store_tx *tx, sqlite3_stmt *s, int limit, store_row_fn fn, void *ud, bool *ret_more,
                   const char *what, struct error *err);
/* store_row_fn's that append column 0 to the JSON array ud, as a string or
 * as an integer. */
int store_row_append_text(sqlite3_stmt *s, void *list, struct error *err);
int store_row_append_int(sqlite3_stmt *s, void *list, struct error *err);

/* store_row_each into a new malloc'd array of elem-byte rows, each filled by
 * read: *ret_rows (NULL when there are none), *ret_count and *ret_more (may
 * be NULL) are set only on success. */
int store_row_collect(struct store_tx *tx, sqlite3_stmt *s, int limit, size_t elem, store_row_read_fn read,
                      void **ret_rows, size_t *ret_count, bool *ret_more, const char *what, struct error *err);

/* Step a bound statement that yields exactly one row (an aggregate, a
 * counter) and read its first n columns as integers into ret[]. */
int store_row_int64s(struct store_tx *tx, sqlite3_stmt *s, int64_t *ret, size_t n, const char *what, struct error *err);

/* Run sql, whose one parameter ?1 is an id, for no rows; 0 or -1. */
int store_row_exec_id(struct store_tx *tx, const char *sql, int64_t id, struct error *err);

/* The JSON document in column idx, owned by the caller; NULL with err set to
 * "corrupt document: ..." (callers prefix which row it was). */
json_t *store_row_doc(sqlite3_stmt *s, int idx, struct error *err);

/* A row that carries a JSON document is written in two steps:
 * store_row_put_stmt picks the INSERT (id 0) or the UPDATE statement, the
 * caller binds its columns, and store_row_put_doc binds the document at
 * parameter doc_idx (and, for an update, the id at doc_idx + 1), runs it and
 * sets *id after an insert. */
sqlite3_stmt *store_row_put_stmt(struct store_tx *tx, int64_t id, const char *insert_sql, const char *update_sql,
                                 struct error *err);
int store_row_put_doc(struct store_tx *tx, sqlite3_stmt *s, json_t *doc, int doc_idx, int64_t *id, struct error *err);
