/* store_ssm.h - SSM Parameter Store's tables: a parameter's newest version
 * number, and each version as a JSON document (type, description, key id,
 * labels, dates; a SecureString's value sealed by the caller).  The store
 * sees documents, never a plaintext it would have to protect. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "server/store/store.h"

/* The newest version of name: 1 with *ret_version set, 0 if there is no such
 * parameter, -1 on error. */
int store_ssm_latest(struct store_tx *tx, const char *region, const char *name, int64_t *ret_version,
                     struct error *err);
/* Version `version` of name as a new document: 1, 0 if none, -1. */
int store_ssm_version_get(struct store_tx *tx, const char *region, const char *name, int64_t version, json_t **ret_doc,
                          struct error *err);
/* Store version `version` of name (insert or replace) and, when it is newer
 * than the newest, make it the newest; versions older than keep_from go. */
int store_ssm_version_put(struct store_tx *tx, const char *region, const char *name, int64_t version, json_t *doc,
                          int64_t keep_from, struct error *err);
/* Append each version's document of name to ret_list, oldest first. */
int store_ssm_versions(struct store_tx *tx, const char *region, const char *name, json_t *ret_list, struct error *err);
/* Delete name, its versions and the tags of arn; 1, 0 if there was none. */
int store_ssm_delete(struct store_tx *tx, const char *region, const char *name, const char *arn, struct error *err);

/* Called on each parameter (name, newest version's document, borrowed):
 * 0 to go on, 1 to stop, -1 on error. */
typedef int (*store_ssm_each_fn)(const char *name, json_t *doc, void *ud, struct error *err);
/* Walk the parameters whose names start with prefix and sort after
 * `after` ("" for all), in name order. */
int store_ssm_each(struct store_tx *tx, const char *region, const char *prefix, const char *after, store_ssm_each_fn fn,
                   void *ud, struct error *err);
