/* service_scale.c - a service's desiredCount for Application Auto Scaling
 * (see service_scale.h).  The scheduler notices the change on the commit
 * feed and starts or stops tasks as for UpdateService. */
#include "server/ecs/service_scale.h"

#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_clusters.h"
#include "server/store/store_services.h"

static json_t *primary(json_t *doc)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(doc, "deployments"), i, d) {
        if (strcmp(json_string_value(json_object_get(d, "status")), "PRIMARY") == 0)
            return d;
    }
    return NULL;
}

int ecs_service_scale(struct store_tx *tx, const char *region, const char *cluster, const char *service,
                      int64_t desired, usec_t now, int64_t *ret_current, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row c = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    int r = store_cluster_get(tx, region, cluster, &c, err);
    if (r <= 0 || strcmp(c.status, "ACTIVE") != 0)
        return r < 0 ? -1 : 0;
    r = store_service_get(tx, c.id, service, &row, err);
    if (r <= 0 || strcmp(row.status, "ACTIVE") != 0 || strcmp(row.scheduling_strategy, "REPLICA") != 0)
        return r < 0 ? -1 : 0;
    int64_t current = json_integer_value(json_object_get(row.doc, "desiredCount"));
    if (ret_current)
        *ret_current = current;
    if (desired < 0 || desired == current)
        return 1;
    json_object_set_new(row.doc, "desiredCount", json_integer(desired));
    json_t *p = primary(row.doc);
    if (p) {
        json_object_set_new(p, "desiredCount", json_integer(desired));
        json_object_set_new(p, "updatedAt", json_real(time_to_epoch_seconds(now)));
    }
    json_object_set_new(json_object_get(row.doc, "berth"), "steady", json_false());
    return store_service_put(tx, &row, err) < 0 ? -1 : 1;
}
