/* store_checkpoint.c - WAL checkpoints on a thread of their own: PASSIVE
 * ones beside the writer when the writer's WAL hook asks, and past
 * STORE_WAL_RESTART_PAGES a restart of the WAL with writers held. */
#include "server/store/store_checkpoint.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/timeutil.h"

/* Four times SQLite's own threshold: a page written again before the
 * checkpoint is copied once (an instance's row, an index's last leaf):
 * RunTask at 5,000 instances wrote 23.6 -> 21.0 KB per task placed.
 * Counted from the WAL's length at the last checkpoint: the hook's
 * `pages` is the whole WAL, which readers keep from starting over, and
 * asking by that alone ran passive checkpoints back to back. */
#define CHECKPOINT_PAGES 4000

struct store_checkpointer {
    struct store_conn *conn;
    struct fifo_lock *write_lock;
    void (*read_gate)(void *ud, bool closed);
    void *ud;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool wanted, stop;
    atomic_int checkpointed; /* the WAL's length when the last checkpoint ran */
};

int store_checkpointer_wal_hook(void *ud, sqlite3 *db, const char *name, int pages)
{
    struct store_checkpointer *ck = ud;
    int base = atomic_load_explicit(&ck->checkpointed, memory_order_relaxed);
    if (pages < base) /* the WAL started over */
        atomic_store_explicit(&ck->checkpointed, base = 0, memory_order_relaxed);
    if (pages - base >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&ck->lock);
        ck->wanted = true;
        pthread_cond_signal(&ck->cond);
        pthread_mutex_unlock(&ck->lock);
    }
    return SQLITE_OK;
}

/* A passive checkpoint copies the WAL only up to what the oldest reader
 * still reads, and SQLite starts the WAL over only once it is all copied
 * and no reader uses it: readers that never stop (10,000 hollow instances
 * polling) let it grow to 3 GB.  Past STORE_WAL_RESTART_PAGES the
 * checkpointer holds writers and new readers back for at most
 * WAL_RESTART_WAIT_MS while the open reads end, then starts it over
 * (RESTART); when one did not, it tries again WAL_RESTART_RETRY_USEC
 * later rather than stall every transaction.  The file keeps its size
 * (SQLite removes it at close): truncating it to nothing cost ~40 ms more
 * with every writer held, each time (RunTask's p99 at 16 clients), and the
 * commits after it grew the file again block by block. */
#define WAL_RESTART_WAIT_MS 100
#define WAL_RESTART_RETRY_USEC (1 * USEC_PER_SEC)

/* The restart's busy handler: the reads it waits for take a millisecond
 * or so, and sqlite3_busy_timeout's handler sleeps 1, 2, 5, 10, 15, 20
 * ms... between its tries, with every writer held meanwhile. */
static int wait_for_readers(void *ud, int tries)
{
    const usec_t *deadline = ud;
    if (time_monotonic() >= *deadline)
        return 0;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000};
    nanosleep(&ts, NULL);
    return 1;
}

static void checkpoint(struct store_checkpointer *ck, usec_t *restart_after)
{
    struct store_conn *c = ck->conn;
    int wal_pages = 0;
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, NULL);
    if (rc == SQLITE_OK)
        atomic_store_explicit(&ck->checkpointed, wal_pages, memory_order_relaxed);
    if (rc == SQLITE_OK && wal_pages >= STORE_WAL_RESTART_PAGES && time_monotonic() >= *restart_after) {
        /* Under write_lock, so that berth's writers queue behind it rather
         * than win every race for SQLite's lock; first in its queue, as
         * what they commit meanwhile is copied with all held. */
        fifo_lock_take_next(ck->write_lock);
        ck->read_gate(ck->ud, true);
        usec_t deadline = time_monotonic() + WAL_RESTART_WAIT_MS * USEC_PER_MSEC;
        sqlite3_busy_handler(c->db, wait_for_readers, &deadline);
        rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
        if (rc == SQLITE_OK)
            atomic_store_explicit(&ck->checkpointed, 0, memory_order_relaxed);
        sqlite3_busy_timeout(c->db, 10000);
        ck->read_gate(ck->ud, false);
        fifo_lock_give(ck->write_lock);
        if (rc == SQLITE_BUSY)
            *restart_after = time_monotonic() + WAL_RESTART_RETRY_USEC;
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_warn("store: checkpoint: %s", sqlite3_errmsg(c->db));
}

static void *checkpointer(void *arg)
{
    struct store_checkpointer *ck = arg;
    usec_t restart_after = 0;
    pthread_mutex_lock(&ck->lock);
    while (!ck->stop) {
        if (!ck->wanted) {
            pthread_cond_wait(&ck->cond, &ck->lock);
            continue;
        }
        ck->wanted = false;
        pthread_mutex_unlock(&ck->lock);
        checkpoint(ck, &restart_after);
        pthread_mutex_lock(&ck->lock);
    }
    pthread_mutex_unlock(&ck->lock);
    return NULL;
}

struct store_checkpointer *store_checkpointer_start(struct store_conn *conn, struct fifo_lock *write_lock,
                                                    void (*read_gate)(void *ud, bool closed), void *ud)
{
    struct store_checkpointer *ck = calloc(1, sizeof(*ck));
    if (!ck)
        return NULL;
    *ck = (struct store_checkpointer){.conn = conn, .write_lock = write_lock, .read_gate = read_gate, .ud = ud};
    pthread_mutex_init(&ck->lock, NULL);
    pthread_cond_init(&ck->cond, NULL);
    if (pthread_create(&ck->thread, NULL, checkpointer, ck) != 0) {
        pthread_mutex_destroy(&ck->lock);
        pthread_cond_destroy(&ck->cond);
        free(ck);
        return NULL;
    }
    return ck;
}

void store_checkpointer_stop(struct store_checkpointer *ck)
{
    if (!ck)
        return;
    pthread_mutex_lock(&ck->lock);
    ck->stop = true;
    pthread_cond_signal(&ck->cond);
    pthread_mutex_unlock(&ck->lock);
    pthread_join(ck->thread, NULL);
    pthread_mutex_destroy(&ck->lock);
    pthread_cond_destroy(&ck->cond);
    free(ck);
}
