/* store_metrics.h - CloudWatch's metrics and their points.  A metric is
 * (region, namespace, name, dimensions), the dimensions as a canonical
 * JSON text the caller builds (sorted by name); a point is a statistic set
 * (count, sum, min, max) at a time in milliseconds, with its unit. */
#pragma once

#include <stdint.h>

#include "server/store/store.h"

/* The id of the metric, created if new; its last_put becomes now_ms. */
int store_metric_touch(struct store_tx *tx, const char *region, const char *ns, const char *name, const char *dims,
                       int64_t now_ms, int64_t *ret_id, struct error *err);
/* The id of the metric: 1 with *ret_id, 0 when there is none, -1. */
int store_metric_find(struct store_tx *tx, const char *region, const char *ns, const char *name, const char *dims,
                      int64_t *ret_id, struct error *err);

struct store_metric_point {
    int64_t at_ms;
    const char *unit; /* valid during the callback */
    double count, sum, min, max;
};
int store_metric_point_add(struct store_tx *tx, int64_t metric_id, const struct store_metric_point *p,
                           struct error *err);
/* Called on each point in time order: 0 to go on, 1 to stop, -1. */
typedef int (*store_metric_point_fn)(const struct store_metric_point *p, void *ud, struct error *err);
/* The points of metric_id with from_ms <= at_ms < to_ms. */
int store_metric_points(struct store_tx *tx, int64_t metric_id, int64_t from_ms, int64_t to_ms,
                        store_metric_point_fn fn, void *ud, struct error *err);

/* Called on each metric (strings valid during the callback). */
typedef int (*store_metric_fn)(int64_t id, const char *ns, const char *name, const char *dims, void *ud,
                               struct error *err);
/* The metrics of region with id > after_id, in id order, whose namespace
 * and name are ns and name (NULL: any) and that had a point put at or after
 * active_since_ms. */
int store_metrics_each(struct store_tx *tx, const char *region, const char *ns, const char *name, int64_t after_id,
                       int64_t active_since_ms, store_metric_fn fn, void *ud, struct error *err);

/* Delete points older than before_ms and the metrics left without any. */
int store_metrics_purge(struct store_tx *tx, int64_t before_ms, int64_t *ret_count, struct error *err);
