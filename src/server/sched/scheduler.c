/* scheduler.c - runs reconcile_service() for each live service,
 * woken by committed writes (the change feed) or by a one-second timer
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
#include "server/http/changes.h"
#include "server/sched/reconcile.h"
#include "server/store/store.h"
#include "server/store/store_services.h"

#define CONTROLLER_TICK USEC_PER_SEC

struct scheduler {
    struct reconcile_env env;
    struct changes *changes;
    pthread_t thread;
};

static void run_all(struct scheduler *c)
{
    struct error err;
    struct store_tx *tx = NULL;
    json_t *ids = json_array();
    if (store_begin(c->env.store, false, &tx, &err) < 0 || store_service_live_ids(tx, ids, &err) < 0) {
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
        if (reconcile_service(&c->env, json_integer_value(v), &changed, &err) < 0)
            log_warn("service scheduler: %s", err.msg);
        any |= changed;
    }
    json_decref(ids);
    /* Agents long-poll on the generation: they must see new and stopped tasks. */
    if (any)
        changes_notify(c->changes);
}

static void *loop(void *arg)
{
    struct scheduler *c = arg;
    uint64_t seen = 0;
    while (!changes_stopping(c->changes)) {
        seen = changes_wait(c->changes, seen, time_monotonic() + CONTROLLER_TICK);
        if (changes_stopping(c->changes))
            break;
        usec_t began = time_monotonic();
        run_all(c);
        /* Our own commits moved the generation; a change made by others
         * during the round moved it too and gets another round, but not
         * before as long again has passed: a service of tens of thousands
         * of tasks makes rounds cost tens of ms, and back to back under a
         * stream of agent reports they would take a core from the API. */
        changes_sleep(c->changes, time_monotonic() + (time_monotonic() - began));
    }
    return NULL;
}

int scheduler_start(const struct reconcile_env *env, struct changes *changes, struct scheduler **ret, struct error *err)
{
    struct scheduler *c = calloc(1, sizeof(*c));
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->env = *env;
    c->changes = changes;
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
    /* server_stop has stopped the change feed, which ends the loop. */
    pthread_join(c->thread, NULL);
    free(c);
}
