/* store_placement.h - bulk reads of what placement needs for one cluster:
 * four queries however many instances it has. */
#pragma once

#include <stdint.h>

#include "server/store/store.h"
#include "server/store/store_instances.h"

/* Each callback returns 0 to go on, -1 (with err filled) to stop. */
typedef int (*store_instance_fn)(void *ud, struct instance_row *row, struct error *err);
typedef int (*store_attr_fn)(void *ud, const char *uuid, const char *name, const char *value, struct error *err);
typedef int (*store_port_fn)(void *ud, int64_t instance_id, const char *protocol, int port, struct error *err);
typedef int (*store_group_fn)(void *ud, int64_t instance_id, const char *group, int count, struct error *err);

/* ACTIVE instances of the cluster in id order; the row is lent to fn. */
int store_placement_instances(struct store_tx *tx, int64_t cluster_id, store_instance_fn fn, void *ud,
                              struct error *err);
int store_placement_attrs(struct store_tx *tx, int64_t cluster_id, store_attr_fn fn, void *ud, struct error *err);
int store_placement_ports(struct store_tx *tx, int64_t cluster_id, store_port_fn fn, void *ud, struct error *err);
/* Task groups per instance, counting tasks that hold resources. */
int store_placement_groups(struct store_tx *tx, int64_t cluster_id, store_group_fn fn, void *ud, struct error *err);
/* The cluster's placement generation: bumped (by triggers) in every
 * transaction that changes what the four reads above return. */
int store_placement_gen(struct store_tx *tx, int64_t cluster_id, int64_t *ret_gen, struct error *err);
