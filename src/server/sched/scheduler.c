/* scheduler.c - runs reconcile_service() for each live service,
 * woken by committed API writes (srv->generation) or by a one-second timer
 * (backoff deadlines, grace periods, agents that go quiet).  Each service's
 * round is its own write transaction, so the API is never blocked for long.
 * It knows nothing of what a round does. */
#include "server/sched/scheduler.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "server/server.h"
#include "server/sched/reconcile.h"
#include "server/store/store.h"
#include "server/store/store_services.h"

#define CONTROLLER_TICK USEC_PER_SEC

struct scheduler {
    struct server *srv;
    pthread_t thread;
};

static void run_all(struct server *srv)
{
    struct error err;
    struct store_tx *tx = NULL;
    json_t *ids = json_array();
    if (store_begin(srv->store, false, &tx, &err) < 0 || store_service_live_ids(tx, ids, &err) < 0) {
        log_warn("service scheduler: %s", err.msg);
        store_rollback(tx);
        json_decref(ids);
        return;
    }
    store_rollback(tx);
    bool any = false;
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        bool changed = false;
        if (reconcile_service(srv, json_integer_value(v), &changed, &err) < 0)
            log_warn("service scheduler: %s", err.msg);
        any |= changed;
    }
    json_decref(ids);
    /* Agents long-poll on the generation: they must see new and stopped tasks. */
    if (any)
        server_notify_change(srv);
}

static void *loop(void *arg)
{
    struct scheduler *c = arg;
    struct server *srv = c->srv;
    uint64_t seen = 0;
    pthread_mutex_lock(&srv->change_lock);
    while (!srv->stopping) {
        usec_t until = time_monotonic() + CONTROLLER_TICK;
        struct timespec ts = {.tv_sec = until / USEC_PER_SEC, .tv_nsec = (until % USEC_PER_SEC) * 1000};
        while (srv->generation == seen && !srv->stopping) {
            if (pthread_cond_timedwait(&srv->change_cond, &srv->change_lock, &ts) != 0)
                break; /* the tick */
        }
        if (srv->stopping)
            break;
        seen = srv->generation;
        pthread_mutex_unlock(&srv->change_lock);
        usec_t began = time_monotonic();
        run_all(srv);
        usec_t took = time_monotonic() - began;
        pthread_mutex_lock(&srv->change_lock);
        /* Our own commits moved the generation; a change made by others
         * during the round moved it too and gets another round, but not
         * before as long again has passed: a service of tens of thousands
         * of tasks makes rounds cost tens of ms, and back to back under a
         * stream of agent reports they would take a core from the API. */
        usec_t rest_until = time_monotonic() + took;
        struct timespec rest = {.tv_sec = rest_until / USEC_PER_SEC, .tv_nsec = (rest_until % USEC_PER_SEC) * 1000};
        while (!srv->stopping && pthread_cond_timedwait(&srv->change_cond, &srv->change_lock, &rest) == 0)
            ;
    }
    pthread_mutex_unlock(&srv->change_lock);
    return NULL;
}

int scheduler_start(struct server *srv, struct scheduler **ret, struct error *err)
{
    struct scheduler *c = calloc(1, sizeof(*c));
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->srv = srv;
    if (pthread_create(&c->thread, NULL, loop, c) != 0) {
        free(c);
        return error_set(err, ERR_SYSTEM, "cannot start the service scheduler thread");
    }
    *ret = c;
    return 0;
}

void scheduler_stop(struct scheduler *c)
{
    if (!c)
        return;
    /* server_stop has set srv->stopping and broadcast change_cond. */
    pthread_join(c->thread, NULL);
    free(c);
}
