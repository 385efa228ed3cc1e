/* store_tags.h - tags of any resource, keyed by its ARN. */
#pragma once

#include <jansson.h>

#include "server/store/store.h"

/* Append {key, value} objects for arn to ret_tags (sorted by key). */
int store_tags_get(struct store_tx *tx, const char *arn, json_t *ret_tags, struct error *err);
/* Insert or overwrite each {key, value} of tags. */
int store_tags_put(struct store_tx *tx, const char *arn, json_t *tags, struct error *err);
/* Remove the listed keys (strings). */
int store_tags_remove(struct store_tx *tx, const char *arn, json_t *keys, struct error *err);
/* How many tags arn has. */
int store_tags_count(struct store_tx *tx, const char *arn, int *ret_count, struct error *err);
