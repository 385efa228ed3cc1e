/* maintenance.c - housekeeping in one background thread: each pass is one
 * write transaction, so it never races the API's own writes.  It sleeps on
 * the change feed, which also tells it when the server stops. */
#include "server/sched/maintenance.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "server/http/changes.h"
#include "server/logs/logs.h"
#include "server/store/store.h"
#include "server/store/store_tasks.h"
#include "server/ecs/taskdefs.h"

#define MAINTENANCE_INTERVAL (5 * USEC_PER_SEC)
/* ECS keeps stopped tasks describable for at least an hour. */
#define STOPPED_TASK_TTL (3600 * USEC_PER_SEC)

struct maintenance {
    struct store *store;
    struct changes *changes;
    pthread_t thread;
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
    for (;;) {
        changes_sleep(m->changes, time_monotonic() + MAINTENANCE_INTERVAL);
        if (changes_stopping(m->changes))
            break;
        pass(m->store);
    }
    return NULL;
}

int maintenance_start(struct store *store, struct changes *changes, struct maintenance **ret, struct error *err)
{
    struct maintenance *m = calloc(1, sizeof(*m));
    if (!m)
        return error_set(err, ERR_INTERNAL, "out of memory");
    m->store = store;
    m->changes = changes;
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
    /* server_stop has stopped the change feed, which ends the loop. */
    pthread_join(m->thread, NULL);
    free(m);
}
