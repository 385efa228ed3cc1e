/* store_stats.h - the reads the Prometheus export makes: every ACTIVE
 * cluster, and the latest point of each recently put metric. */
#pragma once

#include <stdint.h>

#include "server/store/store.h"

/* fn(region, name, id, ud) for each ACTIVE cluster of every region. */
typedef int (*store_stats_cluster_fn)(const char *region, const char *name, int64_t id, void *ud, struct error *err);
int store_stats_clusters_each(struct store_tx *tx, store_stats_cluster_fn fn, void *ud, struct error *err);

/* The latest point of a metric: its sum and count (average = sum / count). */
struct store_stats_latest {
    const char *region, *ns, *name, *dims; /* dims: canonical JSON [[name, value], ...] */
    int64_t at_ms;
    double sum, count;
};
typedef int (*store_stats_latest_fn)(const struct store_stats_latest *m, void *ud, struct error *err);
/* For each metric of namespace ns put since since_ms (at most limit of
 * them), its latest point. */
int store_stats_latest_each(struct store_tx *tx, const char *ns, int64_t since_ms, int limit, store_stats_latest_fn fn,
                            void *ud, struct error *err);
