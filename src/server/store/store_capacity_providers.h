/* store_capacity_providers.h - the capacity_providers table: ECS's
 * CapacityProvider documents by region and name. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/store/store.h"

/* Insert or replace name's document. */
int store_capacity_provider_put(struct store_tx *tx, const char *region, const char *name, json_t *doc,
                                struct error *err);
/* 1 and *ret_doc (new reference) when found, 0 absent, -1 error. */
int store_capacity_provider_get(struct store_tx *tx, const char *region, const char *name, json_t **ret_doc,
                                struct error *err);
int store_capacity_provider_delete(struct store_tx *tx, const char *region, const char *name, struct error *err);
/* The documents of the region's providers after `after` (NULL: from the
 * start) by name, at most limit, appended to ret_list. */
int store_capacity_provider_list(struct store_tx *tx, const char *region, const char *after, int limit,
                                 json_t *ret_list, bool *ret_more, struct error *err);
