/* store_row.h - the mechanics every store table repeats: bind a statement's
 * parameters, step it for one row, for a page of rows or for a few
 * counters, read a row's JSON document, write a row that carries one.
 *
 * The table files (store_clusters.c, store_tasks.c, ...) keep what is theirs:
 * the SQL, the columns and the struct a row is read into.  This module knows
 * no table.  Internal to the store, like store_internal.h. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/store/store_internal.h"

/* One value for a statement parameter.  Built with the ARG_* macros, listed
 * with STORE_ARGS, so that a call names its values in parameter order and
 * the compiler checks their types. */
struct store_arg {
    enum { STORE_ARG_NULL, STORE_ARG_INT, STORE_ARG_TEXT, STORE_ARG_REAL } type;
    int64_t i;
    double d;
    const char *text; /* NULL binds SQL NULL */
};
#define ARG_NULL ((struct store_arg){.type = STORE_ARG_NULL})
#define ARG_INT(v) ((struct store_arg){.type = STORE_ARG_INT, .i = (v)})
#define ARG_TEXT(v) ((struct store_arg){.type = STORE_ARG_TEXT, .text = (v)})
#define ARG_REAL(v) ((struct store_arg){.type = STORE_ARG_REAL, .d = (v)})
/* An optional id or time, where 0 means none and is stored as NULL. */
#define ARG_INT_OR_NULL(v) ((v) ? ARG_INT(v) : ARG_NULL)
/* The array and count arguments of store_row_stmt and store_row_exec. */
#define STORE_ARGS(...)                                                                                                \
    (const struct store_arg[]){__VA_ARGS__}, sizeof((const struct store_arg[]){__VA_ARGS__}) / sizeof(struct store_arg)

/* The cached statement for sql (a string literal, as for store_stmt) with
 * args[i] bound to parameter ?i+1; NULL with err filled. */
db_stmt *store_row_stmt(struct store_tx *tx, const char *sql, const struct store_arg *args, size_t n,
                        struct error *err);
/* Run sql with args for no rows; 0 or -1. */
int store_row_exec(struct store_tx *tx, const char *sql, const struct store_arg *args, size_t n, struct error *err);

/* The functions below step a statement store_stmt or store_row_stmt gave;
 * given NULL (that call failed and filled err) they return -1. */

/* Reads the current row of a statement into *ret_row, a table's row struct;
 * 0, or -1 with err filled (nothing then to free in *ret_row). */
typedef int (*store_row_read_fn)(db_stmt *s, void *ret_row, struct error *err);

/* Step s for at most one row: 1 with *ret_row filled by read, 0 when there
 * is no row, -1 on error (`what` names the query in the message).  Resets s
 * when it found a row. */
int store_row_get(struct store_tx *tx, db_stmt *s, store_row_read_fn read, void *ret_row, const char *what,
                  struct error *err);

/* Called on each row: 0 to go on, 1 to stop there, -1 on error (err filled). */
typedef int (*store_row_fn)(db_stmt *s, void *ud, struct error *err);

/* Step s through its rows, calling fn(s, ud) on each.  With limit >= 0 the
 * statement asked for limit + 1 rows: fn sees at most limit of them, and
 * *ret_more (when not NULL) says whether another followed.  Resets s; 0 or
 * -1. */
int store_row_each(struct store_tx *tx, db_stmt *s, int limit, store_row_fn fn, void *ud, bool *ret_more,
                   const char *what, struct error *err);
/* store_row_fn's that append column 0 to the JSON array ud, as a string or
 * as an integer. */
int store_row_append_text(db_stmt *s, void *list, struct error *err);
int store_row_append_int(db_stmt *s, void *list, struct error *err);

/* store_row_each into a new malloc'd array of elem-byte rows, each filled by
 * read: *ret_rows (NULL when there are none), *ret_count and *ret_more (may
 * be NULL) are set only on success. */
int store_row_collect(struct store_tx *tx, db_stmt *s, int limit, size_t elem, store_row_read_fn read, void **ret_rows,
                      size_t *ret_count, bool *ret_more, const char *what, struct error *err);

/* Step s, which yields exactly one row (an aggregate, a counter), and read
 * its first n columns as integers into ret[]. */
int store_row_int64s(struct store_tx *tx, db_stmt *s, int64_t *ret, size_t n, const char *what, struct error *err);

/* Write a row that carries a JSON document: s is the row's INSERT (when *id
 * is 0) or UPDATE statement with its columns bound; the document goes to
 * parameter doc_idx and, for an update, the id to doc_idx + 1.  Sets *id
 * after an insert. */
int store_row_put_doc(struct store_tx *tx, db_stmt *s, json_t *doc, int doc_idx, int64_t *id, struct error *err);

/* Release the document of a row struct of `size` bytes and zero it, for
 * the tables' *_row_clear. */
void store_row_clear(void *row, json_t *doc, size_t size);

/* The JSON document in column idx, owned by the caller; NULL with err set to
 * "corrupt document: ..." (callers prefix which row it was). */
json_t *store_row_doc(db_stmt *s, int idx, struct error *err);
