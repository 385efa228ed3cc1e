/* store_insights.h - what Container Insights reads across the store: every
 * ACTIVE cluster of every region with its settings. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "common/error.h"

struct store_tx;

/* Called on each cluster: doc is the cluster's document (borrowed). */
typedef int (*store_insights_cluster_fn)(int64_t id, const char *region, const char *name, json_t *doc, void *ud,
                                         struct error *err);
/* Every ACTIVE cluster, by id; fn returns 0 to go on, 1 to stop, -1. */
int store_insights_clusters(struct store_tx *tx, store_insights_cluster_fn fn, void *ud, struct error *err);
