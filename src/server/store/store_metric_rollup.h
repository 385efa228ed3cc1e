/* store_metric_rollup.h - CloudWatch's retention by resolution: points
 * are rolled up into coarser statistic sets as they age, as CloudWatch
 * keeps them. */
#pragma once

#include <stdint.h>

#include "server/store/store.h"

/* One tier: points older than age_ms become one statistic set per
 * bucket_ms, metric and unit (count and sum added, min and max kept). */
struct store_rollup_tier {
    int tier; /* its key in the metric_rollups table */
    int64_t age_ms, bucket_ms;
};

/* Roll up, for each tier, the points that aged into it since the last
 * call, at most span_ms of them per tier (the rest on the next calls).
 * *ret_rows gets how many points were replaced.  0 or -1. */
int store_metrics_rollup(struct store_tx *tx, const struct store_rollup_tier *tiers, size_t n, int64_t now_ms,
                         int64_t span_ms, int64_t *ret_rows, struct error *err);
