/* maintenance.c - one housekeeping pass: one write transaction, so it never
 * races the API's own writes.  A background job (background.c) runs it every
 * MAINTENANCE_INTERVAL. */
#include "server/sched/maintenance.h"

#include <stdbool.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "server/logs/logs.h"
#include "server/store/store.h"
#include "server/store/store_keys.h"
#include "server/store/store_metric_rollup.h"
#include "server/store/store_metrics.h"
#include "server/store/store_secrets.h"
#include "server/store/store_tasks.h"
#include "server/ecs/daemon_taskdefs.h"
#include "server/ecs/taskdefs.h"

/* ECS keeps stopped tasks describable for at least an hour. */
#define STOPPED_TASK_TTL (3600 * USEC_PER_SEC)
/* Expired temporary credentials answer ExpiredToken for a day, then go. */
#define EXPIRED_KEY_TTL (24 * 3600 * USEC_PER_SEC)
/* CloudWatch's retention: points finer than a minute for 3 hours, then
 * 1-minute statistic sets for 15 days, 5-minute ones for 63 days and
 * 1-hour ones for 455 days (15 months), then nothing. */
#define DAY_MS (24LL * 3600 * 1000)
#define METRIC_RETENTION_MS (455 * DAY_MS)
static const struct store_rollup_tier metric_tiers[] = {
    {1, 3LL * 3600 * 1000, 60 * 1000},
    {2, 15 * DAY_MS, 300 * 1000},
    {3, 63 * DAY_MS, 3600 * 1000},
};
/* At most this much of each tier per pass (a server that was down a
 * while catches up over several passes). */
#define METRIC_ROLLUP_SPAN_MS (6LL * 3600 * 1000)

void maintenance_pass(void *arg)
{
    struct store *store = arg;
    struct error err;
    struct store_tx *tx = NULL;
    if (store_begin_leader(store, &tx, &err) < 0) {
        log_warn("maintenance: %s", err.msg);
        return;
    }
    usec_t now = time_now();
    int64_t expired = 0, keys = 0, secrets = 0, points = 0, rolled = 0;
    if (store_task_expire(tx, now - STOPPED_TASK_TTL, &expired, &err) < 0 || taskdefs_reap(tx, now, &err) < 0 ||
        daemon_taskdefs_reap(tx, now, &err) < 0 || logs_apply_retention(tx, now, &err) < 0 ||
        store_keys_expire(tx, now - EXPIRED_KEY_TTL, &keys, &err) < 0 ||
        store_secret_purge(tx, now, &secrets, &err) < 0 ||
        store_metrics_purge(tx, (int64_t)(now / 1000) - METRIC_RETENTION_MS, &points, &err) < 0 ||
        store_metrics_rollup(tx, metric_tiers, sizeof(metric_tiers) / sizeof(metric_tiers[0]), (int64_t)(now / 1000),
                             METRIC_ROLLUP_SPAN_MS, &rolled, &err) < 0) {
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
    if (secrets)
        log_info("maintenance: purged %lld secrets past their recovery window", (long long)secrets);
}
