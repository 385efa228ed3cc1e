/* store_pg_schema.c - the store's migrations applied to PostgreSQL (see
 * store_pg_migrate in store_pg.h).  The migrations are store_schema.c's,
 * in SQLite's dialect, through store_sql_pg(); nothing here is specific to
 * a table. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "server/store/store_pg.h"
#include "server/store/store_schema.h"
#include "server/store/store_sql_pg.h"

/* The advisory lock migrations hold: "berth" in ASCII, one per database. */
#define MIGRATE_LOCK "1650815604"

static int apply(struct pg_conn *c, size_t i, const char *migration, struct error *err)
{
    _cleanup_free_ char *sql = NULL;
    if (store_sql_pg(migration, &sql, err) < 0)
        return error_prefix(err, "migration %zu", i + 1);
    char bump[96];
    snprintf(bump, sizeof(bump), "UPDATE berth_schema_version SET version = %zu", i + 1);
    if (pg_conn_exec(c, "BEGIN", err) < 0)
        return -1;
    if (pg_conn_exec(c, sql, err) < 0 || pg_conn_exec(c, bump, err) < 0 || pg_conn_exec(c, "COMMIT", err) < 0) {
        pg_conn_exec(c, "ROLLBACK", NULL);
        return error_prefix(err, "migration %zu", i + 1);
    }
    log_info("store: applied schema migration %zu (postgres)", i + 1);
    return 0;
}

static int migrate_locked(struct pg_conn *c, int *ret_version, struct error *err)
{
    if (pg_conn_exec(c,
                     "CREATE TABLE IF NOT EXISTS berth_schema_version (version INTEGER NOT NULL);"
                     "INSERT INTO berth_schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM berth_schema_version);"
                     /* The leader's fencing token (pg_leader_check). */
                     "CREATE TABLE IF NOT EXISTS berth_leader (id INTEGER PRIMARY KEY, epoch BIGINT NOT NULL);"
                     "INSERT INTO berth_leader VALUES (1, 0) ON CONFLICT (id) DO NOTHING;"
                     /* What servers sharing the database must agree on. */
                     "CREATE TABLE IF NOT EXISTS berth_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
                     /* Never holds a row: write transactions lock it (PG_WRITER_LOCK). */
                     "CREATE TABLE IF NOT EXISTS berth_writer (id INTEGER PRIMARY KEY)",
                     err) < 0 ||
        pg_conn_exec(c, store_sql_pg_prelude, err) < 0)
        return -1;
    int64_t version = 0;
    if (pg_conn_query_int(c, "SELECT version FROM berth_schema_version", &version, err) < 0)
        return -1;
    size_t n = 0;
    const char *const *migrations = store_schema_migrations(&n);
    if (version < 0 || (uint64_t)version > n)
        return error_set(err, ERR_INVALID, "database schema version %" PRId64 " is newer than this berth (%zu)",
                         version, n);
    for (size_t i = (size_t)version; i < n; i++)
        if (apply(c, i, migrations[i], err) < 0)
            return -1;
    *ret_version = (int)n;
    return 0;
}

/* The leader's advisory lock: "leader" in ASCII. */
#define LEADER_LOCK "1818585446"

int64_t pg_leader_check(struct pg_conn *c, int64_t held)
{
    int64_t v = 0;
    if (held)
        return pg_conn_query_int(c,
                                 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
                                 "pid = pg_backend_pid() AND objid = " LEADER_LOCK,
                                 &v, NULL) == 0 &&
                       v > 0
                   ? held
                   : 0;
    if (pg_conn_query_int(c, "SELECT pg_try_advisory_lock(" LEADER_LOCK ")::int", &v, NULL) < 0 || v != 1)
        return 0;
    /* A new leader: a new epoch.  The UPDATE waits for the rounds of the
     * previous leader that are under way (pg_leader_fence's FOR SHARE),
     * and any it begins later find the epoch moved on. */
    int64_t epoch = 0;
    if (pg_conn_query_int(c, "UPDATE berth_leader SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch", &epoch, NULL) <
            0 ||
        epoch < 1) {
        pg_conn_exec(c, "SELECT pg_advisory_unlock(" LEADER_LOCK ")", NULL);
        return 0;
    }
    return epoch;
}

int pg_leader_fence(struct pg_conn *c, int64_t epoch, struct error *err)
{
    int64_t now = 0;
    if (pg_conn_query_int(c, "SELECT epoch FROM berth_leader WHERE id = 1 FOR SHARE", &now, err) < 0)
        return error_prefix(err, "leader epoch");
    if (epoch < 1 || now != epoch)
        return error_set(err, ERR_CONFLICT,
                         "this server no longer leads (leader epoch %" PRId64 " in the database, %" PRId64
                         " here): its leader work stops",
                         now, epoch);
    return 0;
}

int store_pg_migrate(struct pg_conn *c, int *ret_version, struct error *err)
{
    if (pg_conn_exec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", err) < 0)
        return -1;
    int r = migrate_locked(c, ret_version, err);
    pg_conn_exec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", NULL);
    return r;
}

int pg_meta_claim(struct pg_conn *c, const char *name, const char *hex, char *ret_hex, size_t cap, struct error *err)
{
    if (strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name) || strspn(hex, "0123456789abcdef") != strlen(hex) ||
        strlen(hex) >= cap)
        return error_set(err, ERR_INTERNAL, "berth_meta takes a lower-case name and a hex value");
    _cleanup_free_ char *sql = NULL;
    if (asprintf(&sql,
                 "INSERT INTO berth_meta VALUES ('%s', '%s') ON CONFLICT (name) DO NOTHING;"
                 "SELECT value FROM berth_meta WHERE name = '%s'",
                 name, hex, name) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return pg_conn_query_text(c, sql, ret_hex, cap, err);
}
