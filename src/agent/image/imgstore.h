/* imgstore.h - the agent's content-addressed image store under
 * DATA/images/:
 *
 *   blobs/sha256/<hex>   verified manifests, configs and layer blobs
 *   tmp/<hex>.partial    downloads in progress (resumable)
 *   layers/<chainhex>/   unpacked layers, named by OCI chain id
 *   refs/<hex>.json      one record per image reference (hex = sha256 of it)
 *   locks/               flock files: per blob, per layer, and store.lock
 *
 * Pulls hold store.lock shared; removal and gc hold it exclusive, so they
 * never sweep a blob a pull is about to reference. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "agent/image/digest.h"

struct imgstore;

/* Open (creating) the store under data_dir/images.  data_dir is resolved
 * to a path without symlinks, since the unpacker refuses to write through
 * any. */
int imgstore_open(const char *data_dir, struct imgstore **ret_store, struct error *err);
void imgstore_free(struct imgstore *s);
void imgstore_freep(struct imgstore **s);
const char *imgstore_root(const struct imgstore *s);

/* Paths of a blob (by digest), its partial download and an unpacked layer
 * (by chain id digest). */
void imgstore_blob_path(const struct imgstore *s, const char *digest, char *buf, size_t cap);
void imgstore_partial_path(const struct imgstore *s, const char *digest, char *buf, size_t cap);
void imgstore_layer_path(const struct imgstore *s, const char *chain_id, char *buf, size_t cap);
bool imgstore_has_blob(const struct imgstore *s, const char *digest);
bool imgstore_has_layer(const struct imgstore *s, const char *chain_id);

/* Store a small blob already in memory (a manifest), checking its digest. */
int imgstore_put_blob(struct imgstore *s, const char *digest, const void *buf, size_t len, struct error *err);
/* Read a stored blob of at most limit bytes. */
int imgstore_read_blob(struct imgstore *s, const char *digest, size_t limit, char **ret_buf, size_t *ret_len,
                       struct error *err);

/* Take an exclusive flock on locks/<kind>-<hex>.lock (blocking); the lock is
 * released by closing *ret_fd.  Works across threads and processes. */
int imgstore_lock(struct imgstore *s, const char *kind, const char *digest, int *ret_fd, struct error *err);
/* The store-wide lock: shared for pulls, exclusive for rm and gc. */
int imgstore_lock_store(struct imgstore *s, bool exclusive, int *ret_fd, struct error *err);

/* Reference records are JSON objects with at least "reference"; written
 * atomically.  get returns ERR_NOT_FOUND for an unknown reference. */
int imgstore_ref_put(struct imgstore *s, json_t *record, struct error *err);
int imgstore_ref_get(struct imgstore *s, const char *reference, json_t **ret_record, struct error *err);
/* All records, as a JSON array sorted by reference. */
int imgstore_ref_list(struct imgstore *s, json_t **ret_records, struct error *err);
/* Forget a reference and delete content no other reference uses. */
int imgstore_ref_remove(struct imgstore *s, const char *reference, struct error *err);

struct imgstore_gc_result {
    size_t resource_refs_removed;
    size_t blobs_removed;
    size_t layers_removed;
    uint64_t bytes_freed; /* of blobs */
};

/* Remove every reference not named in in_use (by reference or digest)
 * whose last pull is older than now - older_than, then all content no
 * remaining reference uses, and partial downloads older than older_than. */
int imgstore_gc(struct imgstore *s, const char *const *in_use, size_t n_in_use, usec_t older_than,
                struct imgstore_gc_result *ret_result, struct error *err);
