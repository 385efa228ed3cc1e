/* store_instances.h - container instances and attributes in the store. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

struct instance_row {
    int64_t id;
    int64_t cluster_id;
    char uuid[33];
    char ec2_instance_id[64];
    char status[16]; /* ACTIVE, DRAINING, INACTIVE */
    usec_t registered_at;
    int64_t version;
    int64_t reg_cpu, reg_memory;
    int64_t used_cpu, used_memory; /* reserved by running and pending tasks */
    int running_count, pending_count;
    json_t *doc; /* registeredResources, versionInfo, statusReason, ...; owned */
};

void instance_row_clear(struct instance_row *row);

/* By uuid within a cluster: 1 found, 0 absent, -1 error. */
int store_instance_get(struct store_tx *tx, int64_t cluster_id, const char *uuid, struct instance_row *ret_row,
                       struct error *err);
/* By row id (any cluster). */
int store_instance_get_by_id(struct store_tx *tx, int64_t id, struct instance_row *ret_row, struct error *err);
/* Insert (row->id == 0; sets it) or update everything but the counters. */
int store_instance_put(struct store_tx *tx, struct instance_row *row, struct error *err);
/* Add to an instance's reservations and task counts (negative to release). */
int store_instance_adjust(struct store_tx *tx, int64_t id, int64_t cpu, int64_t memory, int running, int pending,
                          struct error *err);
/* uuids of a cluster's instances with the given status (NULL: ACTIVE and
 * DRAINING) after `after`, at most limit (limit < 0: all), sorted. */
int store_instance_list(struct store_tx *tx, int64_t cluster_id, const char *status, const char *after, int limit,
                        json_t *ret_uuids, bool *ret_more, struct error *err);
/* Instances registered in a cluster (ACTIVE or DRAINING). */
int store_instance_count(struct store_tx *tx, int64_t cluster_id, int64_t *ret_count, struct error *err);

/* Registered and reserved cpu units and memory MiB, summed over the
 * cluster's ACTIVE and DRAINING instances: ret[4] = {reg_cpu, used_cpu,
 * reg_memory, used_memory}. */
int store_instance_totals(struct store_tx *tx, int64_t cluster_id, int64_t ret[4], struct error *err);

/* Ids of the cluster's instances (not INACTIVE) carrying attribute name = value. */
int store_instance_ids_by_attr(struct store_tx *tx, int64_t cluster_id, const char *name, const char *value,
                               json_t *ret_ids, struct error *err);

/* Host ports reserved on an instance: ret_ports gets "port" strings of the
 * protocol ("tcp"/"udp"). */
int store_instance_ports(struct store_tx *tx, int64_t instance_id, const char *protocol, json_t *ret_ports,
                         struct error *err);
/* Reserve a host port for a task; 0, or 1 when it is already taken. */
int store_port_reserve(struct store_tx *tx, int64_t instance_id, const char *protocol, int port, int64_t task_id,
                       struct error *err);
int store_ports_release_task(struct store_tx *tx, int64_t task_id, struct error *err);

/* Task groups on an instance with their counts (tasks holding resources),
 * as [{group, count}] objects. */
int store_instance_groups(struct store_tx *tx, int64_t instance_id, json_t *ret_list, struct error *err);

/* Attributes (target_type "container-instance", target_id the instance uuid). */
int store_attrs_get(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                    json_t *ret_list, struct error *err);
/* One attribute's value into buf (cap bytes, cut to fit; "" when it has
 * none): 1, 0 when the target has no such attribute (buf ""), or -1. */
int store_attr_value(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                     const char *name, char *buf, size_t cap, struct error *err);
int store_attrs_put(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                    const char *name, const char *value, struct error *err);
/* 1 if an attribute was removed, 0 if there was none. */
int store_attrs_delete(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                       const char *name, struct error *err);
int store_attrs_delete_target(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *target_id,
                              struct error *err);
/* Attributes matching name/value (either may be NULL) as {targetId, name,
 * value} objects, paged by "targetId\tname". */
int store_attrs_list(struct store_tx *tx, int64_t cluster_id, const char *target_type, const char *name,
                     const char *value, const char *after, int limit, json_t *ret_list, bool *ret_more,
                     struct error *err);
