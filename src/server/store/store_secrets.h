/* store_secrets.h - Secrets Manager's tables: a secret as a JSON document
 * (name, ARN, description, key id, dates) with the time a deleted secret is
 * purged, and its versions as documents (stages, the value sealed by the
 * caller).  The store never sees a plaintext. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

/* The secret whose name is `name`, whose ARN is `name`, or whose ARN
 * without its 6-character suffix is `name` (a partial ARN): 1 with a new
 * document, 0 if none, -1. */
int store_secret_find(struct store_tx *tx, const char *region, const char *name, json_t **ret_doc, struct error *err);
/* Insert or replace the secret arn (doc holds Name and ARN); purge_at is
 * when a deleted secret goes (0: it is not deleted). */
int store_secret_put(struct store_tx *tx, const char *region, const char *name, const char *arn, usec_t purge_at,
                     json_t *doc, struct error *err);
/* Delete the secret arn with its versions and tags. */
int store_secret_delete(struct store_tx *tx, const char *arn, struct error *err);
/* Delete the secrets whose recovery window ended before now; *ret_count. */
int store_secret_purge(struct store_tx *tx, usec_t now, int64_t *ret_count, struct error *err);

/* Called on each secret (its document, borrowed): 0 on, 1 stop, -1. */
typedef int (*store_secret_each_fn)(json_t *doc, void *ud, struct error *err);
/* Walk the region's secrets whose names sort after `after`, in name order. */
int store_secret_each(struct store_tx *tx, const char *region, const char *after, store_secret_each_fn fn, void *ud,
                      struct error *err);

/* A version of arn by id: 1 with a new document, 0, -1. */
int store_secret_version_get(struct store_tx *tx, const char *arn, const char *version_id, json_t **ret_doc,
                             struct error *err);
/* Insert or replace a version (doc holds VersionId, VersionStages...). */
int store_secret_version_put(struct store_tx *tx, const char *arn, const char *version_id, usec_t created_at,
                             json_t *doc, struct error *err);
int store_secret_version_delete(struct store_tx *tx, const char *arn, const char *version_id, struct error *err);
/* Append each version's document of arn to ret_list, oldest first. */
int store_secret_versions(struct store_tx *tx, const char *arn, json_t *ret_list, struct error *err);
