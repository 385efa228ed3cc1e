/* service_counts.c - live task counts of a service (see service_counts.h),
 * read from the tasks whenever a service, a deployment or a task set is
 * shown, so they are never stale. */
#include "server/ecs/service_counts.h"

#include "common/task_status.h"

static int add_live_count(void *ud, const char *started_by, const char *last_status, int64_t n, struct error *err)
{
    json_t *counts = ud;
    enum task_status status = task_status_parse(last_status);
    bool running = status == TASK_STATUS_RUNNING;
    if (!running && !task_status_is_pending(status))
        return 0; /* DEACTIVATING, STOPPING, STOPPED...: neither */
    json_t *c = json_object_get(counts, started_by);
    if (!c) {
        c = json_pack("{s:i, s:i}", "running", 0, "pending", 0);
        if (!c || json_object_set_new(counts, started_by, c) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
    }
    const char *key = running ? "running" : "pending";
    json_object_set_new(c, key, json_integer(json_integer_value(json_object_get(c, key)) + n));
    return 0;
}

int service_counts_live(struct op_ctx *ctx, const struct service_row *row, json_t *ret_counts, struct error *err)
{
    return store_service_status_counts(ctx->tx, row->cluster_id, row->name, add_live_count, ret_counts, err);
}
