/* store.c - SQLite connections, transactions and schema migrations.
 *
 * One database file, WAL journal.  Read transactions borrow a pooled
 * connection; write transactions are serialised by a mutex (so they never
 * spin on SQLITE_BUSY) and all run on one writer connection, whose cache
 * no other connection's commit invalidates.  WAL checkpoints run on a
 * thread of their own.  Resource tables live in store_*.c.
 *
 * Group commit: COMMIT appends the transaction to the WAL without an fsync
 * (synchronous=NORMAL), the write lock goes to the next writer, and
 * store_commit() returns only once an fdatasync of the WAL that began after
 * this COMMIT has finished; one fdatasync covers every transaction
 * committed before it started, so concurrent writers share it instead of
 * queueing one fsync each behind the lock.  A checkpoint never loses them:
 * with synchronous=NORMAL SQLite syncs the WAL before copying it into the
 * database and the database before the WAL is reused.  So a commit is on
 * disk when store_commit() returns, as with synchronous=FULL; the
 * difference is that a reader may see a transaction for the short time
 * between its COMMIT and its fdatasync. */
#include "server/store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "server/store/fifo_lock.h"
#include "server/store/store_checkpoint.h"
#include "server/store/store_pg_leader.h"
#include "server/store/store_pg_listen.h"
#include "server/store/store_schema.h"

struct store {
    char *pg_url;                 /* a PostgreSQL store's; never logged (a password) */
    struct pg_leader *leader;     /* PostgreSQL: store_is_leader's */
    struct pg_listener *listener; /* store_watch_start's */
    /* Bumped when a session is found gone (PostgreSQL restarted): pooled
     * connections opened before are as dead, and are dropped unused. */
    uint64_t conn_gen;
    char *path;
    char *wal_path;
    sqlite3 *owner; /* claim_database's: holds the file's lock */
    pthread_mutex_t pool_lock;
    struct store_conn *idle;
    /* Set (under pool_lock) while the checkpointer starts the WAL over:
     * new read transactions wait on read_gate, so that only the ones
     * already open must end.  One that began while the restart copied the
     * WAL would read from it, and the restart would give up if it were
     * still open when the copy ended. */
    bool restarting;
    pthread_cond_t read_gate;
    /* Writers take their turns in the order they asked (fifo_lock.h). */
    struct fifo_lock write_lock;
    /* Every write transaction runs on this one connection (opened by the
     * first, used only under write_lock).  A connection that sees another
     * connection's commit at BEGIN drops its page cache and, with
     * mmap_size, unmaps and remaps the whole file (munmap, then a page
     * fault per page touched); the writer only ever sees its own commits,
     * so its cache stays warm from one write transaction to the next. */
    struct store_conn *writer;
    /* Checkpoints run on a thread of their own (store_checkpoint.h): SQLite's
     * automatic checkpoint ran inside the COMMIT that crossed its
     * threshold, copying pages and syncing the WAL and the database while
     * every other writer waited for the write lock. */
    struct store_checkpointer *checkpointer;
    struct store_conn *ckpt_conn; /* the thread's own */
    int schema_version;
    /* Group commit: `committed` counts COMMITs (bumped under write_lock),
     * `synced` how many of them an fdatasync has covered. */
    uint64_t committed;
    pthread_mutex_t sync_lock;
    pthread_cond_t sync_cond;
    uint64_t synced;
    bool syncing;
    /* An fdatasync of the WAL failed: the kernel may have dropped the
     * pages it could not write and a later fdatasync succeeds without
     * them, and recovery stops at the first bad WAL frame, losing every
     * later commit too.  No commit is acknowledged after that. */
    bool sync_failed;
};

static void conn_free(struct store_conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ncache; i++) {
        sqlite3_finalize(c->cache[i].stmt.lite);
        pg_stmt_free(c->cache[i].stmt.pg);
    }
    for (size_t i = 0; i < sizeof(c->kept) / sizeof(c->kept[0]); i++)
        sqlite3_finalize(c->kept[i].stmt);
    sqlite3_close_v2(c->db);
    pg_conn_free(c->pg);
    free(c);
}

static int conn_exec(sqlite3 *db, const char *sql, struct error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "sqlite: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* BEGIN, COMMIT and ROLLBACK come with every transaction: prepared once
 * per connection, where sqlite3_exec would parse them each time (~5% of a
 * small write's server time). */
static int conn_exec_kept(struct store_conn *c, const char *sql, struct error *err)
{
    size_t i = 0, n = sizeof(c->kept) / sizeof(c->kept[0]);
    while (i < n && c->kept[i].sql && strcmp(c->kept[i].sql, sql) != 0)
        i++;
    if (i == n)
        return conn_exec(c->db, sql, err);
    if (!c->kept[i].sql) {
        if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->kept[i].stmt, NULL) != SQLITE_OK)
            return error_set(err, ERR_INTERNAL, "sqlite: prepare: %s", sqlite3_errmsg(c->db));
        c->kept[i].sql = sql;
    }
    int rc = sqlite3_step(c->kept[i].stmt);
    sqlite3_reset(c->kept[i].stmt);
    if (rc != SQLITE_DONE)
        return error_set(err, ERR_INTERNAL, "sqlite: %s", sqlite3_errmsg(c->db));
    return 0;
}

/* Run sql (no parameters) on whichever database c holds. */
static int conn_run(struct store_conn *c, const char *sql, struct error *err)
{
    return c->pg ? pg_conn_exec(c->pg, sql, err) : conn_exec_kept(c, sql, err);
}

/* SQLite's memory statistics (on by default) take one process-wide mutex
 * around every allocation of every connection: with 8 request threads it
 * was a tenth of the server's futex calls.  Set before the first open. */
static pthread_once_t sqlite_configured = PTHREAD_ONCE_INIT;
static void sqlite_configure(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

/* One process owns the database: SQLite's "unix-excl" locks the file
 * against other processes once, keeps the WAL index in this process's
 * memory, and takes its connections' read and write locks there instead
 * of by fcntl (three fcntl calls a request, 5% of the server's CPU under
 * the API mix).  A second server on the directory is refused at start
 * (claim_database); operators read the file with the server stopped. */
#define STORE_SQLITE_VFS "unix-excl"

static int conn_open(struct store *st, struct store_conn **ret_conn, struct error *err)
{
    struct store_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->gen = __atomic_load_n(&st->conn_gen, __ATOMIC_ACQUIRE);
    if (st->pg_url) {
        if (pg_conn_open(st->pg_url, &c->pg, err) < 0) {
            conn_free(c);
            return -1;
        }
        *ret_conn = c;
        return 0;
    }
    pthread_once(&sqlite_configured, sqlite_configure);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(st->path, &c->db, flags, STORE_SQLITE_VFS) != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "sqlite: open %s: %s", st->path, c->db ? sqlite3_errmsg(c->db) : "out of memory");
        conn_free(c);
        return -1;
    }
    sqlite3_busy_timeout(c->db, 10000);
    /* WAL lets readers run beside the writer; synchronous=NORMAL leaves the
     * fsync of a commit to store_commit()'s shared fdatasync. */
    if (conn_exec(c->db,
                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                  "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;"
                  /* A commit on another pooled connection empties this one's
                   * page cache; mapped reads then cost no copy or syscall
                   * (preads were ~8% of the server under RunTask load). */
                  "PRAGMA mmap_size=268435456;",
                  err) < 0) {
        conn_free(c);
        return -1;
    }
    *ret_conn = c;
    return 0;
}

/* The first read takes the process's exclusive lock, before any pooled
 * connection (whose PRAGMAs would wait out the busy timeout): another
 * process holding it (a second server on this directory) is refused at
 * once.  The connection stays open, and the lock with it, until close. */
static int claim_database(struct store *st, struct error *err)
{
    pthread_once(&sqlite_configured, sqlite_configure);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(st->path, &st->owner, flags, STORE_SQLITE_VFS);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(st->owner, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return error_set(err, ERR_CONFLICT,
                         "%s is in use by another process (a berth server on the same data directory?)", st->path);
    if (rc != SQLITE_OK)
        return error_set(err, ERR_INTERNAL, "sqlite: open %s: %s", st->path,
                         st->owner ? sqlite3_errmsg(st->owner) : "out of memory");
    return 0;
}

static int migrate(struct store *st, struct store_conn *c, struct error *err)
{
    sqlite3_stmt *stmt = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
        return error_set(err, ERR_INTERNAL, "sqlite: %s", sqlite3_errmsg(c->db));
    if (sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);

    size_t n = 0;
    const char *const *migrations = store_schema_migrations(&n);
    if ((size_t)version > n)
        return error_set(err, ERR_INVALID, "database schema version %d is newer than this berth (%zu)", version, n);
    for (size_t i = (size_t)version; i < n; i++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version=%zu;", i + 1);
        if (conn_exec(c->db, "BEGIN IMMEDIATE", err) < 0)
            return -1;
        if (conn_exec(c->db, migrations[i], err) < 0 || conn_exec(c->db, bump, err) < 0) {
            conn_exec(c->db, "ROLLBACK", NULL);
            return error_prefix(err, "migration %zu", i + 1);
        }
        if (conn_exec(c->db, "COMMIT", err) < 0)
            return -1;
        log_info("store: applied schema migration %zu", i + 1);
    }
    st->schema_version = (int)n;
    return 0;
}

/* Set only with write_lock held, so a reader inside a write transaction
 * never waits at the gate. */
static void read_gate_set(void *ud, bool closed)
{
    struct store *st = ud;
    pthread_mutex_lock(&st->pool_lock);
    st->restarting = closed;
    if (!closed)
        pthread_cond_broadcast(&st->read_gate);
    pthread_mutex_unlock(&st->pool_lock);
}

/* A pooled (reader's) connection.  Readers read without the map: a reader
 * that sees another connection's commit at BEGIN (every poll under load)
 * unmaps the whole file and faults each page back in; its page cache is
 * empty either way, and a pread per page costs less than the munmap (a TLB
 * shootdown across the server's threads) and the faults. */
static int reader_open(struct store *st, struct store_conn **ret_conn, struct error *err)
{
    struct store_conn *c = NULL;
    if (conn_open(st, &c, err) < 0)
        return -1;
    if (c->db && conn_exec(c->db, "PRAGMA mmap_size=0;", err) < 0) {
        conn_free(c);
        return -1;
    }
    *ret_conn = c;
    return 0;
}

/* The writer's connection: checkpoints go to the checkpoint thread when
 * it runs (else SQLite's automatic checkpoint stays on). */
static int writer_open(struct store *st, struct error *err)
{
    if (conn_open(st, &st->writer, err) < 0)
        return -1;
    if (st->checkpointer)
        sqlite3_wal_hook(st->writer->db, store_checkpointer_wal_hook, st->checkpointer);
    return 0;
}

int store_open(const char *dir, struct store **ret_store, struct error *err)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return error_sys(err, "mkdir %s", dir);
    struct store *st = calloc(1, sizeof(*st));
    if (!st)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (asprintf(&st->path, "%s/berth.db", dir) < 0) {
        free(st);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    if (asprintf(&st->wal_path, "%s-wal", st->path) < 0) {
        free(st->path);
        free(st);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    pthread_mutex_init(&st->pool_lock, NULL);
    pthread_cond_init(&st->read_gate, NULL);
    fifo_lock_init(&st->write_lock);
    pthread_mutex_init(&st->sync_lock, NULL);
    pthread_cond_init(&st->sync_cond, NULL);
    struct store_conn *c = NULL;
    if (claim_database(st, err) < 0 || reader_open(st, &c, err) < 0 || migrate(st, c, err) < 0) {
        conn_free(c);
        store_close(st);
        return -1;
    }
    st->idle = c;
    struct error ckpt_err = {0};
    if (conn_open(st, &st->ckpt_conn, &ckpt_err) == 0)
        st->checkpointer = store_checkpointer_start(st->ckpt_conn, &st->write_lock, read_gate_set, st);
    if (!st->checkpointer)
        log_warn("store: no checkpoint thread (%s); the writer checkpoints as it commits",
                 st->ckpt_conn ? "could not start it" : ckpt_err.msg);
    *ret_store = st;
    return 0;
}

int store_open_postgres(const char *url, struct store **ret_store, struct error *err)
{
    struct store *st = calloc(1, sizeof(*st));
    if (!st)
        return error_set(err, ERR_INTERNAL, "out of memory");
    st->pg_url = strdup(url);
    st->path = strdup("postgres");
    st->leader = st->pg_url ? pg_leader_new(url) : NULL;
    if (!st->pg_url || !st->path || !st->leader) {
        free(st->pg_url);
        free(st->path);
        pg_leader_free(st->leader);
        free(st);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    pthread_mutex_init(&st->pool_lock, NULL);
    pthread_cond_init(&st->read_gate, NULL);
    fifo_lock_init(&st->write_lock);
    pthread_mutex_init(&st->sync_lock, NULL);
    pthread_cond_init(&st->sync_cond, NULL);
    struct store_conn *c = NULL;
    if (conn_open(st, &c, err) < 0 || store_pg_migrate(c->pg, &st->schema_version, err) < 0) {
        conn_free(c);
        store_close(st);
        return -1;
    }
    st->idle = c;
    *ret_store = st;
    return 0;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    pg_listener_stop(st->listener);
    store_checkpointer_stop(st->checkpointer);
    conn_free(st->ckpt_conn);
    while (st->idle) {
        struct store_conn *c = st->idle;
        st->idle = c->next;
        conn_free(c);
    }
    conn_free(st->writer);
    sqlite3_close_v2(st->owner);
    pthread_mutex_destroy(&st->pool_lock);
    pthread_cond_destroy(&st->read_gate);
    fifo_lock_destroy(&st->write_lock);
    pthread_mutex_destroy(&st->sync_lock);
    pthread_cond_destroy(&st->sync_cond);
    free(st->wal_path);
    free(st->path);
    if (st->pg_url) {
        pg_leader_free(st->leader);
        explicit_bzero(st->pg_url, strlen(st->pg_url));
    }
    free(st->pg_url);
    free(st);
}

int store_schema_version(struct store *st) { return st->schema_version; }

bool store_is_leader(struct store *st) { return !st->pg_url || pg_leader_is(st->leader); }

int store_begin_leader(struct store *st, struct store_tx **ret_tx, struct error *err)
{
    struct store_tx *tx = NULL;
    if (store_begin(st, true, &tx, err) < 0)
        return -1;
    if (st->pg_url && pg_leader_fence_tx(st->leader, tx->pg, err) < 0) {
        store_rollback(tx);
        return -1;
    }
    *ret_tx = tx;
    return 0;
}

/* Whether c's session is gone, or went with a restart another found. */
static bool conn_stale(struct store *st, struct store_conn *c)
{
    return c->pg && (!pg_conn_ok(c->pg) || c->gen != __atomic_load_n(&st->conn_gen, __ATOMIC_ACQUIRE));
}

/* c's session was found gone: so are the others opened before it. */
static void conn_lost(struct store *st, struct store_conn *c)
{
    uint64_t gen = c->gen;
    if (__atomic_compare_exchange_n(&st->conn_gen, &gen, gen + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        log_warn("store: the PostgreSQL session was lost; reconnecting");
}

static int pool_get(struct store *st, struct store_conn **ret_conn, struct error *err)
{
    struct store_conn *c = NULL;
    for (;;) {
        pthread_mutex_lock(&st->pool_lock);
        while (st->restarting)
            pthread_cond_wait(&st->read_gate, &st->pool_lock);
        c = st->idle;
        if (c)
            st->idle = c->next;
        pthread_mutex_unlock(&st->pool_lock);
        if (!c || !conn_stale(st, c))
            break;
        conn_free(c);
    }
    if (c) {
        c->next = NULL;
        *ret_conn = c;
        return 0;
    }
    return reader_open(st, ret_conn, err);
}

static void pool_put(struct store *st, struct store_conn *c)
{
    pthread_mutex_lock(&st->pool_lock);
    c->next = st->idle;
    st->idle = c;
    pthread_mutex_unlock(&st->pool_lock);
}

/* Give tx's connection back (the writer's lock, or to the pool); a
 * connection whose session is gone is closed instead. */
static void conn_release(struct store_tx *tx)
{
    struct store *st = tx->st;
    bool lost = tx->pg && !pg_conn_ok(tx->pg);
    if (lost)
        conn_lost(st, tx->conn);
    if (tx->write) {
        if (lost) {
            conn_free(st->writer);
            st->writer = NULL;
        }
        fifo_lock_give(&st->write_lock);
    } else if (lost) {
        conn_free(tx->conn);
    } else {
        pool_put(st, tx->conn);
    }
}

static int tx_begin(struct store *st, bool write, bool retried, struct store_tx **ret_tx, struct error *err)
{
    struct store_tx *tx = calloc(1, sizeof(*tx));
    if (!tx)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (write) {
        fifo_lock_take(&st->write_lock);
        if (st->writer && conn_stale(st, st->writer)) {
            conn_free(st->writer); /* the database went away: a new session */
            st->writer = NULL;
        }
        if (!st->writer && writer_open(st, err) < 0) {
            fifo_lock_give(&st->write_lock);
            free(tx);
            return -1;
        }
        tx->conn = st->writer;
    } else if (pool_get(st, &tx->conn, err) < 0) {
        free(tx);
        return -1;
    }
    tx->st = st;
    tx->db = tx->conn->db;
    tx->pg = tx->conn->pg;
    tx->write = write;
    /* PostgreSQL: writers serializable and serialised (in this process, as
     * with SQLite, and across servers by PG_WRITER_LOCK), readers on one
     * snapshot. */
    const char *begin = tx->pg ? (write ? "BEGIN ISOLATION LEVEL SERIALIZABLE; " PG_WRITER_LOCK
                                        : "BEGIN ISOLATION LEVEL REPEATABLE READ")
                               : (write ? "BEGIN IMMEDIATE" : "BEGIN");
    if (conn_run(tx->conn, begin, err) < 0) {
        bool lost = tx->pg && !pg_conn_ok(tx->pg);
        conn_release(tx);
        free(tx);
        /* A session a PostgreSQL restart ended is found so by the first
         * statement sent on it: begin again on a new one, once. */
        return lost && !retried ? tx_begin(st, write, true, ret_tx, err) : -1;
    }
    *ret_tx = tx;
    return 0;
}

int store_begin(struct store *st, bool write, struct store_tx **ret_tx, struct error *err)
{
    return tx_begin(st, write, false, ret_tx, err);
}

struct store_tx_hook {
    struct store_tx_hook *next;
    store_tx_end_fn fn;
    void *ud;
};

int store_tx_on_end(struct store_tx *tx, store_tx_end_fn fn, void *ud, struct error *err)
{
    struct store_tx_hook *h = malloc(sizeof(*h));
    if (!h)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *h = (struct store_tx_hook){.next = tx->hooks, .fn = fn, .ud = ud};
    tx->hooks = h;
    return 0;
}

/* Hooks run before the write lock is released, so the next writer finds
 * what they keep (a placement snapshot put back after a later writer has
 * begun would be a cache miss for it); they must be quick. */
static void tx_release(struct store_tx *tx, bool committed)
{
    struct store_tx_hook *h = tx->hooks;
    while (h) {
        struct store_tx_hook *next = h->next;
        h->fn(h->ud, committed);
        free(h);
        h = next;
    }
    conn_release(tx);
    free(tx);
}

/* fdatasync the WAL, opened by name: SQLite owns its descriptors, and the
 * file keeps its inode while any connection is open.  Without a WAL there
 * is nothing unsynced (a checkpoint synced the database and removed it).
 * *ret_sync_failed says the fdatasync itself failed (pages may be lost);
 * an open that fails (no fds left: EMFILE) lost nothing, and a later sync
 * covers the same commits. */
static int sync_wal(struct store *st, bool *ret_sync_failed, struct error *err)
{
    *ret_sync_failed = false;
    int fd = open(st->wal_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : error_sys(err, "open %s", st->wal_path);
    int r = fdatasync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    *ret_sync_failed = r < 0;
    return r < 0 ? error_sys(err, "fdatasync %s", st->wal_path) : 0;
}

/* Return once an fdatasync that began after COMMIT number `ticket` has
 * finished.  The first waiter syncs for everyone committed so far; the
 * others wait for it (and sync again only if their COMMIT came later). */
static int wait_durable(struct store *st, uint64_t ticket, struct error *err)
{
    int r = 0;
    pthread_mutex_lock(&st->sync_lock);
    while (st->synced < ticket && r == 0) {
        if (st->sync_failed) {
            r = error_set(err, ERR_SYSTEM, "an fdatasync of %s failed earlier; no write is durable until a restart",
                          st->wal_path);
            break;
        }
        if (st->syncing) {
            pthread_cond_wait(&st->sync_cond, &st->sync_lock);
            continue;
        }
        st->syncing = true;
        uint64_t covers = __atomic_load_n(&st->committed, __ATOMIC_ACQUIRE);
        pthread_mutex_unlock(&st->sync_lock);
        bool sync_failed = false;
        r = sync_wal(st, &sync_failed, err);
        pthread_mutex_lock(&st->sync_lock);
        st->syncing = false;
        if (r == 0 && covers > st->synced)
            st->synced = covers;
        if (sync_failed)
            st->sync_failed = true;
        pthread_cond_broadcast(&st->sync_cond);
    }
    pthread_mutex_unlock(&st->sync_lock);
    return r;
}

void store_commit_counts(struct store *st, unsigned long long *ret_committed, unsigned long long *ret_synced)
{
    pthread_mutex_lock(&st->sync_lock);
    *ret_synced = st->synced;
    pthread_mutex_unlock(&st->sync_lock);
    *ret_committed = __atomic_load_n(&st->committed, __ATOMIC_ACQUIRE);
}

int store_shared_value(struct store *st, const char *name, const char *hex, char *ret_hex, size_t cap,
                       struct error *err)
{
    if (!st->pg_url) {
        if (strlen(hex) >= cap)
            return error_set(err, ERR_LIMIT, "a shared value longer than %zu bytes", cap);
        memcpy(ret_hex, hex, strlen(hex) + 1);
        return 0;
    }
    struct store_conn *c = NULL;
    if (pool_get(st, &c, err) < 0)
        return -1;
    int r = pg_meta_claim(c->pg, name, hex, ret_hex, cap, err);
    pool_put(st, c);
    return r;
}

int store_watch_start(struct store *st, void (*fn)(void *ud), void *ud, struct error *err)
{
    return st->pg_url ? pg_listener_start(st->pg_url, fn, ud, &st->listener, err) : 0;
}

int store_commit(struct store_tx *tx, struct error *err)
{
    /* PostgreSQL: other servers hear of a write through its notification,
     * delivered once the COMMIT sent with it has succeeded. */
    const char *commit = tx->pg && tx->write ? "NOTIFY " PG_CHANGES_CHANNEL "; COMMIT" : "COMMIT";
    if (conn_run(tx->conn, commit, err) < 0) {
        /* The session went with the COMMIT sent: whether PostgreSQL
         * committed it is not known here. */
        if (tx->pg && !pg_conn_ok(tx->pg))
            error_set(err, ERR_UNAVAILABLE,
                      "store unavailable: the PostgreSQL session was lost during COMMIT; the request may or may "
                      "not have taken effect");
        conn_run(tx->conn, "ROLLBACK", NULL);
        tx_release(tx, false);
        return -1;
    }
    struct store *st = tx->st;
    bool write = tx->write;
    if (st->pg_url) {
        /* PostgreSQL's COMMIT returns once the commit is durable. */
        if (write) {
            uint64_t n = __atomic_add_fetch(&st->committed, 1, __ATOMIC_RELEASE);
            pthread_mutex_lock(&st->sync_lock);
            st->synced = n > st->synced ? n : st->synced;
            pthread_mutex_unlock(&st->sync_lock);
        }
        tx_release(tx, true);
        return 0;
    }
    /* Numbered under the write lock, after COMMIT: every lower number's
     * frames are in the WAL by the time a sync reads `committed`. */
    uint64_t ticket = write ? __atomic_add_fetch(&st->committed, 1, __ATOMIC_RELEASE) : 0;
    tx_release(tx, true);
    return write ? wait_durable(st, ticket, err) : 0;
}

void store_rollback(struct store_tx *tx)
{
    if (!tx)
        return;
    conn_run(tx->conn, "ROLLBACK", NULL);
    tx_release(tx, false);
}

bool store_tx_is_write(const struct store_tx *tx) { return tx->write; }

bool store_tx_conflicted(const struct store_tx *tx) { return tx->pg && pg_conn_retryable(tx->pg); }

bool store_tx_lost(const struct store_tx *tx) { return tx->pg && !pg_conn_ok(tx->pg); }

static long long stmt_counter(struct store *st, int op, bool reset)
{
    long long total = 0;
    /* write_lock before pool_lock, the order a read begun inside a write
     * transaction takes them in. */
    fifo_lock_take(&st->write_lock);
    pthread_mutex_lock(&st->pool_lock);
    for (struct store_conn *c = st->idle; c; c = c->next)
        total += store_conn_counter(c, op, reset);
    if (st->writer)
        total += store_conn_counter(st->writer, op, reset);
    pthread_mutex_unlock(&st->pool_lock);
    fifo_lock_give(&st->write_lock);
    return total;
}

long long store_fullscan_steps(struct store *st, bool reset)
{
    return stmt_counter(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, reset);
}

long long store_vm_steps(struct store *st, bool reset) { return stmt_counter(st, SQLITE_STMTSTATUS_VM_STEP, reset); }
