/* store_clusters.h - clusters in the store. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

struct cluster_row {
    int64_t id;
    char name[256];
    char status[16]; /* ACTIVE, INACTIVE */
    usec_t created_at;
    json_t *doc; /* settings, configuration, capacity providers...; owned */
};

/* What DescribeClusters counts; kept true by the tables that hold them. */
struct cluster_counts {
    int64_t registered_instances;
    int64_t running_tasks;
    int64_t pending_tasks;
    int64_t active_services;
    int64_t draining_services;
};

/* Of those, the FARGATE launch type's (DescribeClusters' statistics). */
struct cluster_fargate_counts {
    int64_t running_tasks, pending_tasks, active_services, draining_services;
};
int store_cluster_fargate_counts(struct store_tx *tx, int64_t cluster_id, struct cluster_fargate_counts *ret,
                                 struct error *err);

void cluster_row_clear(struct cluster_row *row);

/* 1 and *ret_row filled when found, 0 when absent, -1 on error. */
int store_cluster_get(struct store_tx *tx, const char *region, const char *name, struct cluster_row *ret_row,
                      struct error *err);
/* Insert (row->id == 0; sets row->id) or update a cluster by id. */
int store_cluster_put(struct store_tx *tx, const char *region, struct cluster_row *row, struct error *err);
/* Names of ACTIVE clusters, and of INACTIVE ones deleted at or after
 * deleted_since (DeleteCluster records it in the doc), after `after` (or
 * from the start), at most limit, sorted; *ret_more is set when more follow. */
int store_cluster_list(struct store_tx *tx, const char *region, usec_t deleted_since, const char *after, int limit,
                       json_t *ret_names, bool *ret_more, struct error *err);
int store_cluster_counts(struct store_tx *tx, int64_t cluster_id, struct cluster_counts *ret_counts, struct error *err);
/* Names of the region's ACTIVE clusters whose capacityProviders name
 * provider (by name or ARN), appended to ret_names. */
int store_cluster_names_with_provider(struct store_tx *tx, const char *region, const char *provider, json_t *ret_names,
                                      struct error *err);
