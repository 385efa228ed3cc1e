/* placement_snapshot.h - a cluster's ACTIVE instances, loaded from the store
 * into the placement engine's structs for one placement decision. */
#pragma once

#include "api.h"
#include "placement.h"
#include "store_clusters.h"
#include "store_instances.h"

struct snap_instance;

struct placement_snapshot {
    struct snap_instance *items; /* by instance id */
    size_t n;
    struct placement_instance *instances; /* n entries, for placement_place */
    struct snap_chunk *strings;           /* attribute and group strings, freed at once */
};

int snapshot_load(struct api_ctx *ctx, const struct cluster_row *cluster, struct placement_snapshot *ret,
                  struct error *err);
void snapshot_free(struct placement_snapshot *s);
/* The instance row behind instances[i]. */
const struct instance_row *snapshot_row(const struct placement_snapshot *s, size_t i);
