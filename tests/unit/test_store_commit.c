/* Unit tests: group commit.  Writers on several threads commit at once;
 * each store_commit() must return only after an fdatasync that covers its
 * own COMMIT, and the writers must share those syncs. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/store/store.h"
#include "server/store/store_internal.h"
#include "test.h"

/* fdatasync as the store calls it: the real one, or EIO while a test says
 * so (as when a disk fails to write the pages). */
static int fail_syncs;

int fdatasync(int fd)
{
    if (__atomic_load_n(&fail_syncs, __ATOMIC_ACQUIRE)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}

#define WRITERS 6
#define COMMITS_EACH 40

struct writer {
    struct store *st;
    int early; /* commits that returned before a sync covered them */
    int failed;
};

static void *write_many(void *arg)
{
    struct writer *w = arg;
    for (int i = 0; i < COMMITS_EACH; i++) {
        struct error err;
        struct store_tx *tx = NULL;
        if (store_begin(w->st, true, &tx, &err) < 0) {
            w->failed++;
            continue;
        }
        db_stmt *s = store_stmt(tx, "UPDATE counters SET value = value + 1 WHERE name = 'task_seq'", &err);
        if (!s || db_step(s) != DB_DONE) {
            w->failed++;
            store_rollback(tx);
            continue;
        }
        db_reset(s);
        /* Every commit numbered so far, ours included once it commits. */
        unsigned long long before, synced;
        store_commit_counts(w->st, &before, &synced);
        if (store_commit(tx, &err) < 0) {
            w->failed++;
            continue;
        }
        unsigned long long after;
        store_commit_counts(w->st, &after, &synced);
        if (synced < before + 1)
            w->early++;
    }
    return NULL;
}

/* The store's files and its directory. */
static void remove_store_dir(const char *dir)
{
    static const char *const files[] = {"berth.db", "berth.db-wal", "berth.db-shm"};
    char path[128];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

TEST(store_group_commit_durable_before_return)
{
    char dir[] = "/tmp/berth-commit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct error err;
    struct store *st = NULL;
    CHECK(store_open(dir, &st, &err) == 0);
    struct writer w[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (struct writer){.st = st};
        CHECK(pthread_create(&th[i], NULL, write_many, &w[i]) == 0);
    }
    int early = 0, failed = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        early += w[i].early;
        failed += w[i].failed;
    }
    CHECK(failed == 0);
    CHECK(early == 0);
    unsigned long long committed, synced;
    store_commit_counts(st, &committed, &synced);
    CHECK(committed == WRITERS * COMMITS_EACH);
    CHECK(synced == committed);
    /* Every increment is there. */
    struct store_tx *tx = NULL;
    CHECK(store_begin(st, false, &tx, &err) == 0);
    db_stmt *s = store_stmt(tx, "SELECT value FROM counters WHERE name = 'task_seq'", &err);
    CHECK(s && db_step(s) == DB_ROW && db_col_int64(s, 0) == WRITERS * COMMITS_EACH);
    db_reset(s);
    store_rollback(tx);
    store_close(st);
    remove_store_dir(dir);
}

static int bump_and_commit(struct store *st)
{
    struct error err;
    struct store_tx *tx = NULL;
    if (store_begin(st, true, &tx, &err) < 0)
        return -2;
    db_stmt *s = store_stmt(tx, "UPDATE counters SET value = value + 1 WHERE name = 'task_seq'", &err);
    if (!s || db_step(s) != DB_DONE) {
        store_rollback(tx);
        return -2;
    }
    db_reset(s);
    return store_commit(tx, &err);
}

/* After a failed fdatasync the kernel may have dropped the WAL pages it
 * could not write, so a later fdatasync that succeeds proves nothing about
 * them, and SQLite's recovery stops at the first bad frame, losing the
 * commits after it as well: no later commit may be acknowledged. */
TEST(store_commit_fails_after_a_failed_sync)
{
    char dir[] = "/tmp/berth-commit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct error err;
    struct store *st = NULL;
    CHECK(store_open(dir, &st, &err) == 0);
    CHECK(bump_and_commit(st) == 0);
    __atomic_store_n(&fail_syncs, 1, __ATOMIC_RELEASE);
    CHECK(bump_and_commit(st) == -1);
    __atomic_store_n(&fail_syncs, 0, __ATOMIC_RELEASE);
    CHECK(bump_and_commit(st) == -1);
    store_close(st);
    remove_store_dir(dir);
}

static long file_size(const char *dir, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* A table whose rows of 3,900 random bytes each take about a WAL page. */
static void make_blob_table(int *failures_, struct store *st)
{
    struct error err;
    struct store_tx *tx = NULL;
    CHECK(store_begin(st, true, &tx, &err) == 0);
    db_stmt *s = store_prepare(tx, "CREATE TABLE ckpt_test (b BLOB)", &err);
    CHECK(s && db_step(s) == DB_DONE);
    db_finalize(s);
    CHECK(store_commit(tx, &err) == 0);
}

/* One commit of `rows` such rows. */
static void write_blob_rows(int *failures_, struct store *st, int rows)
{
    struct error err;
    struct store_tx *tx = NULL;
    CHECK(store_begin(st, true, &tx, &err) == 0);
    db_stmt *s = store_stmt(tx,
                            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) "
                            "INSERT INTO ckpt_test SELECT randomblob(3900) FROM n",
                            &err);
    if (s)
        db_bind_int64(s, 1, rows);
    CHECK(s && db_step(s) == DB_DONE);
    if (s)
        db_reset(s);
    CHECK(store_commit(tx, &err) == 0);
}

/* Checkpoints run on the store's own thread, not in the writer's COMMIT:
 * the WAL must still be copied into the database as it grows (before the
 * store is closed, which checkpoints anyway), or it would grow for ever. */
TEST(store_checkpoints_beside_the_writer)
{
    char dir[] = "/tmp/berth-commit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct error err;
    struct store *st = NULL;
    CHECK(store_open(dir, &st, &err) == 0);
    long db0 = file_size(dir, "berth.db");
    make_blob_table(failures_, st);
    /* 12,000 pages of 4 KiB in 240 commits: three times the threshold. */
    for (int i = 0; i < 240; i++)
        write_blob_rows(failures_, st, 50);
    /* The thread runs when asked; give it up to 30 s on a busy host. */
    long db1 = file_size(dir, "berth.db");
    for (int k = 0; k < 300 && db1 < db0 + 16000000; k++) {
        usleep(100 * 1000);
        db1 = file_size(dir, "berth.db");
    }
    CHECK(db1 >= db0 + 16000000);
    store_close(st);
    remove_store_dir(dir);
}

struct reader {
    struct store *st;
    int stop;
    long reads;
};

static void *read_on(void *arg)
{
    struct reader *r = arg;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        struct error err;
        struct store_tx *tx = NULL;
        if (store_begin(r->st, false, &tx, &err) < 0)
            continue;
        db_stmt *s = store_stmt(tx, "SELECT max(rowid) FROM ckpt_test", &err);
        if (s && db_step(s) == DB_ROW)
            r->reads++;
        if (s)
            db_reset(s);
        store_rollback(tx);
    }
    return NULL;
}

/* Readers that never stop (agents polling) keep SQLite from starting the
 * WAL over after a passive checkpoint; past STORE_WAL_RESTART_PAGES the
 * checkpointer must start it over anyway, or it grows with every write. */
TEST(store_wal_stays_bounded_under_readers_that_never_stop)
{
    char dir[] = "/tmp/berth-walgrow-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct error err;
    struct store *st = NULL;
    CHECK(store_open(dir, &st, &err) == 0);
    make_blob_table(failures_, st);
    struct reader readers[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        readers[i] = (struct reader){.st = st};
        CHECK(pthread_create(&th[i], NULL, read_on, &readers[i]) == 0);
    }
    /* Three times the limit, 400 pages a commit, while they read. */
    long most = 0;
    for (int i = 0; i < 3 * STORE_WAL_RESTART_PAGES / 400; i++) {
        write_blob_rows(failures_, st, 400);
        long wal = file_size(dir, "berth.db-wal");
        if (wal > most)
            most = wal;
    }
    for (int i = 0; i < 3; i++) {
        __atomic_store_n(&readers[i].stop, 1, __ATOMIC_RELEASE);
        pthread_join(th[i], NULL);
        CHECK(readers[i].reads > 0);
    }
    /* Started over by the time it is twice the limit (a restart may have
     * to wait for the next commit's request); the file keeps the size it
     * reached, so its size is the most the WAL ever held. */
    CHECK(most < 2L * STORE_WAL_RESTART_PAGES * 4096);
    store_close(st);
    remove_store_dir(dir);
}
