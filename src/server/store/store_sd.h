/* store_sd.h - Cloud Map's objects: namespaces, services, instances and
 * operations, each a JSON document keyed by kind, region, parent (a
 * service's namespace id, an instance's service id, else "") and id. */
#pragma once

#include <jansson.h>

#include "server/store/store.h"

#define STORE_SD_NAMESPACE "namespace"
#define STORE_SD_SERVICE "service"
#define STORE_SD_INSTANCE "instance"
#define STORE_SD_OPERATION "operation"

/* The object of kind with id (under parent, or any parent when NULL): 1
 * with a new document, 0 if none, -1. */
int store_sd_get(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *id,
                 json_t **ret_doc, struct error *err);
/* The object of kind named name (under parent, or any when NULL). */
int store_sd_find_name(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *name,
                       json_t **ret_doc, struct error *err);
/* Insert or replace an object. */
int store_sd_put(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *id,
                 const char *name, json_t *doc, struct error *err);
/* Delete an object and the tags of arn (may be NULL). */
int store_sd_delete(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *id,
                    const char *arn, struct error *err);
/* How many objects of kind parent holds. */
int store_sd_count(struct store_tx *tx, const char *kind, const char *region, const char *parent, int64_t *ret_count,
                   struct error *err);

/* Called on each document (borrowed): 0 on, 1 stop, -1. */
typedef int (*store_sd_each_fn)(json_t *doc, void *ud, struct error *err);
/* Walk the objects of kind (under parent, or all when NULL) whose ids sort
 * after `after`, in id order. */
int store_sd_each(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *after,
                  store_sd_each_fn fn, void *ud, struct error *err);
