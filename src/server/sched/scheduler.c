/* scheduler.c - one scheduler pass: reconcile_service() for each live
 * service.  Each service's round is its own write transaction, so the API is
 * never blocked for long.  It knows nothing of what a round does, nor of the
 * thread that calls it (background.c, on the cadence scheduler.h names). */
#include "server/sched/scheduler.h"

#include <stdbool.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "server/http/changes.h"
#include "server/sched/daemon_round.h"
#include "server/sched/reconcile.h"
#include "server/stats/server_stats.h"
#include "server/store/store.h"
#include "server/store/store_services.h"

void scheduler_round(void *arg)
{
    const struct scheduler *c = arg;
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
    /* Daemons (ecs/daemons.h) after services, each in its own transaction. */
    bool daemons_changed = false;
    if (daemon_round_all(&c->env, &daemons_changed, &err) < 0)
        log_warn("daemon scheduler: %s", err.msg);
    any |= daemons_changed;
    server_stats_add(STAT_SCHEDULER_PASSES, 1);
    /* Agents long-poll on the generation: they must see new and stopped tasks. */
    if (any)
        changes_notify(c->changes);
}
