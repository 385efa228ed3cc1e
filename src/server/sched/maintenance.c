/* maintenance.c - housekeeping in one background thread: each pass is one
 * write transaction, so it never races the API's own writes. */
#include "server/sched/maintenance.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "server/logs/logs.h"
#include "server/store/store.h"
#include "server/store/store_tasks.h"
#include "server/ecs/taskdefs.h"

#define MAINTENANCE_INTERVAL (5 * USEC_PER_SEC)
/* ECS keeps stopped tasks describable for at least an hour. */
#define STOPPED_TASK_TTL (3600 * USEC_PER_SEC)

struct maintenance {
    struct store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
};

static void pass(struct store *store)
{
    struct error err;
    struct store_tx *tx = NULL;
    if (store_begin(store, true, &tx, &err) < 0) {
        log_warn("maintenance: %s", err.msg);
        return;
    }
    usec_t now = time_now();
    int64_t expired = 0;
    if (store_task_expire(tx, now - STOPPED_TASK_TTL, &expired, &err) < 0 || taskdefs_reap(tx, now, &err) < 0 ||
        logs_apply_retention(tx, now, &err) < 0) {
        log_warn("maintenance: %s", err.msg);
        store_rollback(tx);
        return;
    }
    if (store_commit(tx, &err) < 0) {
        log_warn("maintenance: %s", err.msg);
        return;
    }
    if (expired)
        log_info("maintenance: expired %lld stopped tasks", (long long)expired);
}

static void *loop(void *arg)
{
    struct maintenance *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        usec_t until = time_monotonic() + MAINTENANCE_INTERVAL;
        struct timespec ts = {.tv_sec = until / USEC_PER_SEC, .tv_nsec = (until % USEC_PER_SEC) * 1000};
        pthread_cond_timedwait(&m->cond, &m->lock, &ts);
        if (m->stopping)
            break;
        pthread_mutex_unlock(&m->lock);
        pass(m->store);
        pthread_mutex_lock(&m->lock);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

int maintenance_start(struct store *store, struct maintenance **ret, struct error *err)
{
    struct maintenance *m = calloc(1, sizeof(*m));
    if (!m)
        return error_set(err, ERR_INTERNAL, "out of memory");
    m->store = store;
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&m->thread, NULL, loop, m) != 0) {
        free(m);
        return error_set(err, ERR_SYSTEM, "cannot start the maintenance thread");
    }
    *ret = m;
    return 0;
}

void maintenance_stop(struct maintenance *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    free(m);
}
