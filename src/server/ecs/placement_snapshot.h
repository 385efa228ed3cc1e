/* placement_snapshot.h - a cluster's ACTIVE instances, loaded from the store
 * into the placement engine's structs, reused across placements while the
 * cluster's placement generation says nothing they hold has changed. */
#pragma once

#include "server/ecs/liveness.h"
#include "server/http/api.h"
#include "server/placement/placement.h"
#include "server/store/store_clusters.h"
#include "server/store/store_instances.h"

struct snap_instance;

struct placement_snapshot {
    struct snap_instance *items; /* by instance id */
    size_t n;
    struct placement_instance *instances; /* n entries, for placement_place */
    uint32_t *id_rank;                    /* n entries: each one's place in uuid order */
    struct snap_chunk *strings;           /* attribute and group strings, freed at once */
    struct liveness_mark live;            /* when instances[].q.agent_connected was read */
};

/* The cluster's ACTIVE instances as of this transaction: the cached
 * snapshot when the cluster's placement generation is unchanged, else a
 * fresh load.  The caller owns *ret until snapshot_release(). */
int snapshot_acquire(struct op_ctx *ctx, const struct cluster_row *cluster, struct placement_snapshot **ret,
                     struct error *err);
/* Record that a task with t's needs was placed on instances[i] (and
 * written to the store): what a fresh load would now read. */
int snapshot_placed(struct placement_snapshot *s, size_t i, const struct placement_task *t, struct error *err);
/* Done placing: after this transaction's writes.  The snapshot is cached,
 * stamped with the generation they produced, if the transaction commits,
 * and freed if not. */
void snapshot_release(struct op_ctx *ctx, const struct cluster_row *cluster, struct placement_snapshot *s);
void snapshot_free(struct placement_snapshot *s);
/* The instance row behind instances[i] (without its document). */
const struct instance_row *snapshot_row(const struct placement_snapshot *s, size_t i);
