/* placement_cache.h - the last placement snapshot of each cluster, kept
 * between RunTasks so that one costs O(tasks placed), not O(instances).
 *
 * An entry is valid for one placement generation (store_placement_gen);
 * a snapshot is taken out for the length of one transaction and put back
 * only when that transaction commits, stamped with the generation its
 * writes produced, so the cache never holds what the database does not. */
#pragma once

#include <stdint.h>

struct placement_cache;
struct placement_snapshot;

struct placement_cache *placement_cache_new(void);
void placement_cache_free(struct placement_cache *c);

/* The cluster's snapshot if it was stamped with gen (the caller owns it
 * until it puts it back), else NULL; a stale entry is dropped. */
struct placement_snapshot *placement_cache_take(struct placement_cache *c, int64_t cluster_id, int64_t gen);
/* Keep snap for the cluster at gen, unless a newer one is there already;
 * takes ownership either way. */
void placement_cache_put(struct placement_cache *c, int64_t cluster_id, int64_t gen, struct placement_snapshot *snap);
