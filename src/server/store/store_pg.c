/* store_pg.c - the PostgreSQL backend's connections and statements (see
 * store_pg.h): libpq, text parameters and results, each statement prepared
 * once per connection under a name of its own.  Transactions, pooling and
 * migrations are store.c's and store_pg_store.c's; this file knows one
 * connection at a time. */
#include "server/store/store_pg.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_sql_pg.h"

/* PostgreSQL's type oids for what the store binds (pg_type.h). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_TEXT 25
#define OID_FLOAT8 701
/* Parameters in one statement: SQLite's default limit is far above what
 * the store uses (160 for a batch of log events). */
#define PG_MAX_PARAMS 1024

struct pg_conn {
    PGconn *conn;
    unsigned next_name;
    int64_t changes;
    bool retryable;
    bool lost; /* the session is gone (PostgreSQL restarted, or the network) */
    char error[512];
};

struct pg_stmt {
    struct pg_conn *c;
    char *sql;     /* translated */
    char name[24]; /* prepared as, once prepared */
    bool prepared;
    int nparams;   /* the largest $N in sql */
    char **values; /* nparams, owned; NULL for SQL NULL */
    Oid *types;    /* what was bound: OID_INT8, OID_FLOAT8, OID_TEXT or 0 */
    PGresult *res; /* of the current execution, or NULL */
    int row;       /* current row of res, -1 before the first */
};

static void set_error(struct pg_conn *c, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn);
    /* Sticky until the next BEGIN: the statements a failed one aborts fail
     * with 25P02 after it, and the transaction is still worth rerunning. */
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01")))
        c->retryable = true;
    /* Sticky: a session PostgreSQL ended (class 08, or 57P0x: shut down,
     * crashed, starting up) stays unusable; its owner opens another. */
    if (PQstatus(c->conn) != CONNECTION_OK || (state && (!strncmp(state, "08", 2) || !strncmp(state, "57P0", 4))))
        c->lost = true;
    snprintf(c->error, sizeof(c->error), "%s%s%s", state ? state : "", state ? " " : "", msg && *msg ? msg : "?");
    size_t n = strlen(c->error);
    while (n && (c->error[n - 1] == '\n' || c->error[n - 1] == ' '))
        c->error[--n] = 0;
}

void pg_connect_params(const char *url, const char **keys, const char **values)
{
    /* A host that does not answer fails the connect in PG_CONNECT_TIMEOUT
     * rather than the kernel's minutes; one that vanishes later is noticed
     * by the keepalives (store_pg.h).  The URL comes last: its own
     * settings, if it has any, win. */
    static const char *const k[PG_CONNECT_PARAMS] = {
        "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname",          NULL};
    const char *const v[PG_CONNECT_PARAMS] = {PG_CONNECT_TIMEOUT,
                                              "1",
                                              PG_KEEPALIVE_IDLE,
                                              PG_KEEPALIVE_INTERVAL,
                                              PG_KEEPALIVE_COUNT,
                                              PG_TCP_USER_TIMEOUT_MS,
                                              url,
                                              NULL};
    for (size_t i = 0; i < PG_CONNECT_PARAMS; i++) {
        keys[i] = k[i];
        values[i] = v[i];
    }
}

int pg_conn_open(const char *url, struct pg_conn **ret_conn, struct error *err)
{
    struct pg_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* A URL libpq cannot parse gets a message quoting the offending part,
     * which may be the password: say only that it does not parse. */
    char *parse_err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &parse_err);
    if (!opts) {
        PQfreemem(parse_err);
        free(c);
        return error_set(err, ERR_INVALID, "postgres: the store URL cannot be parsed (libpq's URI form)");
    }
    PQconninfoFree(opts);
    const char *keys[PG_CONNECT_PARAMS], *values[PG_CONNECT_PARAMS];
    pg_connect_params(url, keys, values);
    c->conn = PQconnectdbParams(keys, values, 1);
    if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
        /* Once parsed, libpq's connect errors name the host and user,
         * never the password. */
        const char *why = c->conn ? PQerrorMessage(c->conn) : "out of memory";
        size_t n = strlen(why);
        while (n && (why[n - 1] == '\n' || why[n - 1] == ' '))
            n--;
        error_set(err, ERR_UNAVAILABLE, "postgres: connect: %.*s", (int)n, why);
        pg_conn_free(c);
        return -1;
    }
    *ret_conn = c;
    /* A transaction left idle (its server paused or cut off) ends, with
     * its locks: a new leader's epoch bump waits for no longer than this.
     * PostgreSQL's side of the session probes this server as libpq's side
     * probes PostgreSQL (store_pg.h): a server whose host vanished loses
     * its session, and the leader lock, in ~25 s rather than hours. */
    return pg_conn_exec(c,
                        "SET client_min_messages = warning; SET TIME ZONE 'UTC';"
                        "SET idle_in_transaction_session_timeout = '20s';" PG_SESSION_KEEPALIVES,
                        err) < 0
               ? -1
               : 0;
}

void pg_conn_free(struct pg_conn *c)
{
    if (!c)
        return;
    PQfinish(c->conn);
    free(c);
}

bool pg_conn_ok(struct pg_conn *c) { return !c->lost && PQstatus(c->conn) == CONNECTION_OK; }
const char *pg_conn_error(struct pg_conn *c) { return c->error; }
int pg_conn_error_kind(struct pg_conn *c)
{
    return c->lost ? ERR_UNAVAILABLE : c->retryable ? ERR_RETRY : ERR_INTERNAL;
}
bool pg_conn_retryable(struct pg_conn *c) { return c->retryable; }
int64_t pg_conn_changes(struct pg_conn *c) { return c->changes; }

int pg_conn_exec(struct pg_conn *c, const char *sql, struct error *err)
{
    if (!strncmp(sql, "BEGIN", 5))
        c->retryable = false;
    PGresult *res = PQexec(c->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        set_error(c, res);
        PQclear(res);
        return error_set(err, pg_conn_error_kind(c), "%spostgres: %s", c->lost ? "store unavailable: " : "", c->error);
    }
    /* COMMIT of a transaction a failed statement aborted succeeds as a
     * ROLLBACK: nothing was kept, and the caller must not say otherwise. */
    size_t n = strlen(sql);
    bool rolled_back = n >= 6 && !strcmp(sql + n - 6, "COMMIT") && !strcmp(PQcmdStatus(res), "ROLLBACK");
    PQclear(res);
    if (rolled_back) {
        snprintf(c->error, sizeof(c->error), "the transaction was aborted by an earlier error; nothing was committed");
        /* That error may have been a serialization failure a caller let
         * pass (best-effort work): the whole transaction runs again. */
        return error_set(err, pg_conn_error_kind(c), "postgres: %s", c->error);
    }
    return 0;
}

int pg_conn_query_int(struct pg_conn *c, const char *sql, int64_t *ret_value, struct error *err)
{
    PGresult *res = PQexec(c->conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 1) {
        set_error(c, res);
        PQclear(res);
        return error_set(err, ERR_INTERNAL, "postgres: %s", c->error);
    }
    *ret_value = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

int pg_conn_query_text(struct pg_conn *c, const char *sql, char *ret, size_t cap, struct error *err)
{
    PGresult *res = PQexec(c->conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 1) {
        set_error(c, res);
        PQclear(res);
        return error_set(err, ERR_INTERNAL, "postgres: %s", c->error);
    }
    int n = snprintf(ret, cap, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return n < 0 || (size_t)n >= cap ? error_set(err, ERR_LIMIT, "postgres: a value longer than %zu bytes", cap) : 0;
}

int64_t pg_conn_last_insert_id(struct pg_conn *c)
{
    PGresult *res = PQexec(c->conn, "SELECT lastval()");
    int64_t id = 0;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else
        set_error(c, res);
    PQclear(res);
    return id;
}

/* The largest $N outside quotes in sql. */
static int max_param(const char *sql)
{
    int max = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            for (p++; *p && *p != q; p++)
                ;
            if (!*p)
                break;
        } else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
            long n = strtol(p + 1, NULL, 10);
            if (n > max && n <= PG_MAX_PARAMS)
                max = (int)n;
        }
    }
    return max;
}

struct pg_stmt *pg_stmt_new(struct pg_conn *c, const char *sql, struct error *err)
{
    _cleanup_free_ char *pg = NULL;
    if (store_sql_pg(sql, &pg, err) < 0)
        return NULL;
    struct pg_stmt *s = calloc(1, sizeof(*s));
    if (!s) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    s->c = c;
    s->sql = TAKE_PTR(pg);
    s->nparams = max_param(s->sql);
    s->row = -1;
    if (s->nparams) {
        s->values = calloc((size_t)s->nparams, sizeof(*s->values));
        s->types = calloc((size_t)s->nparams, sizeof(*s->types));
        if (!s->values || !s->types) {
            pg_stmt_free(s);
            error_set(err, ERR_INTERNAL, "out of memory");
            return NULL;
        }
    }
    return s;
}

void pg_stmt_clear_bindings(struct pg_stmt *s)
{
    for (int i = 0; i < s->nparams; i++) {
        free(s->values[i]);
        s->values[i] = NULL;
        s->types[i] = 0;
    }
}

void pg_stmt_free(struct pg_stmt *s)
{
    if (!s)
        return;
    PQclear(s->res);
    if (s->values)
        pg_stmt_clear_bindings(s);
    if (s->prepared && s->c && s->c->conn) {
        char dealloc[48];
        snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", s->name);
        PQclear(PQexec(s->c->conn, dealloc));
    }
    free(s->values);
    free(s->types);
    free(s->sql);
    free(s);
}

void pg_stmt_reset(struct pg_stmt *s)
{
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
}

static void bind(struct pg_stmt *s, int idx, char *value, Oid type)
{
    if (idx < 1 || idx > s->nparams) {
        free(value); /* a parameter the SQL does not use */
        return;
    }
    free(s->values[idx - 1]);
    s->values[idx - 1] = value;
    s->types[idx - 1] = value ? type : 0;
}

void pg_bind_text(struct pg_stmt *s, int idx, const char *text, size_t len)
{
    bind(s, idx, text ? strndup(text, len) : NULL, OID_TEXT);
}

void pg_bind_text_owned(struct pg_stmt *s, int idx, char *text) { bind(s, idx, text, OID_TEXT); }

void pg_bind_int64(struct pg_stmt *s, int idx, int64_t v)
{
    char *t = NULL;
    if (asprintf(&t, "%" PRId64, v) < 0)
        t = NULL;
    bind(s, idx, t, OID_INT8);
}

void pg_bind_double(struct pg_stmt *s, int idx, double v)
{
    char *t = NULL;
    if (asprintf(&t, "%.17g", v) < 0)
        t = NULL;
    bind(s, idx, t, OID_FLOAT8);
}

/* The parameter a 42P18 error ("could not determine data type of
 * parameter $N") names, or 0. */
static int undetermined_param(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *p = msg ? strstr(msg, "parameter $") : NULL;
    if (!state || strcmp(state, "42P18") != 0 || !p)
        return 0;
    return (int)strtol(p + 11, NULL, 10);
}

/* Prepare s under a savepoint (a failed PREPARE would abort the
 * transaction) with every parameter's type left to PostgreSQL's inference;
 * one it cannot infer (a parameter no clause uses: SQLite's numbering
 * skips it) takes the type of the value bound to it, text for NULL. */
static int prepare(struct pg_stmt *s)
{
    struct pg_conn *c = s->c;
    snprintf(s->name, sizeof(s->name), "b%u", ++c->next_name);
    PGresult *res = PQexec(c->conn, "SAVEPOINT berth_prepare");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        set_error(c, NULL);
        return -1;
    }
    _cleanup_free_ Oid *types = s->nparams ? calloc((size_t)s->nparams, sizeof(*types)) : NULL;
    res = PQprepare(c->conn, s->name, s->sql, s->nparams, types);
    for (int tries = 0; types && tries < s->nparams; tries++) {
        int n = undetermined_param(res);
        if (n < 1 || n > s->nparams || types[n - 1])
            break;
        types[n - 1] = s->types[n - 1] ? s->types[n - 1] : OID_TEXT;
        PQclear(res);
        PQclear(PQexec(c->conn, "ROLLBACK TO SAVEPOINT berth_prepare"));
        res = PQprepare(c->conn, s->name, s->sql, s->nparams, types);
    }
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        set_error(c, res);
        PQclear(res);
        PQclear(PQexec(c->conn, "ROLLBACK TO SAVEPOINT berth_prepare"));
        return -1;
    }
    PQclear(res);
    PQclear(PQexec(c->conn, "RELEASE SAVEPOINT berth_prepare"));
    s->prepared = true;
    return 0;
}

int pg_stmt_step(struct pg_stmt *s)
{
    if (s->res) {
        s->row++;
        return s->row < PQntuples(s->res) ? SQLITE_ROW : SQLITE_DONE;
    }
    if (!s->prepared && prepare(s) < 0)
        return SQLITE_ERROR;
    PGresult *res = PQexecPrepared(s->c->conn, s->name, s->nparams, (const char *const *)s->values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        set_error(s->c, res);
        PQclear(res);
        return SQLITE_ERROR;
    }
    const char *cmd = PQcmdStatus(res);
    if (!strncmp(cmd, "INSERT", 6) || !strncmp(cmd, "UPDATE", 6) || !strncmp(cmd, "DELETE", 6))
        s->c->changes = strtoll(PQcmdTuples(res), NULL, 10);
    s->res = res;
    s->row = 0;
    return PQntuples(res) > 0 ? SQLITE_ROW : SQLITE_DONE;
}

static bool has_value(struct pg_stmt *s, int idx)
{
    return s->res && s->row >= 0 && s->row < PQntuples(s->res) && idx >= 0 && idx < PQnfields(s->res) &&
           !PQgetisnull(s->res, s->row, idx);
}

bool pg_col_is_null(struct pg_stmt *s, int idx) { return !has_value(s, idx); }

const char *pg_col_text(struct pg_stmt *s, int idx)
{
    return has_value(s, idx) ? PQgetvalue(s->res, s->row, idx) : NULL;
}

size_t pg_col_bytes(struct pg_stmt *s, int idx)
{
    return has_value(s, idx) ? (size_t)PQgetlength(s->res, s->row, idx) : 0;
}

/* A boolean result (a comparison selected as a value) reads as 1 or 0, as
 * SQLite's would. */
int64_t pg_col_int64(struct pg_stmt *s, int idx)
{
    if (!has_value(s, idx))
        return 0;
    const char *v = PQgetvalue(s->res, s->row, idx);
    if (PQftype(s->res, idx) == OID_BOOL)
        return v[0] == 't';
    if (strchr(v, '.') || strchr(v, 'e'))
        return (int64_t)strtod(v, NULL);
    return strtoll(v, NULL, 10);
}

double pg_col_double(struct pg_stmt *s, int idx)
{
    if (!has_value(s, idx))
        return 0;
    const char *v = PQgetvalue(s->res, s->row, idx);
    if (PQftype(s->res, idx) == OID_BOOL)
        return v[0] == 't';
    return strtod(v, NULL);
}
