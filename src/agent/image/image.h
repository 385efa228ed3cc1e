/* image.h - what the rest of the agent calls: pull an image into the store,
 * then get the lower directories for its overlay mount and its run
 * configuration merged with a container definition. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "agent/image/digest.h"
#include "agent/image/imgconfig.h"
#include "agent/image/imgstore.h"
#include "agent/image/registry.h"

struct image_platform {
    char os[32];
    char arch[32];
    char variant[32]; /* "" matches any */
};

/* "os/arch[/variant]". */
int image_platform_parse(const char *s, struct image_platform *ret_platform, struct error *err);
/* linux and this machine's architecture in OCI terms (amd64, arm64, ...). */
void image_platform_default(struct image_platform *ret_platform);

enum image_event {
    IMAGE_EV_RESOLVED,      /* digest: the manifest chosen; total: layer count */
    IMAGE_EV_BLOB_CACHED,   /* digest, total: a layer blob already stored */
    IMAGE_EV_BLOB_PROGRESS, /* digest, done, total: bytes downloaded so far */
    IMAGE_EV_BLOB_DONE,     /* digest, total: downloaded and verified */
    IMAGE_EV_LAYER_CACHED,  /* digest: a layer already unpacked */
    IMAGE_EV_LAYER_DONE,    /* digest: unpacked */
};

struct image_progress {
    enum image_event event;
    const char *digest;
    size_t index; /* layer index, 0 = bottom */
    uint64_t done, total;
};

struct image_pull_opts {
    struct registry_opts registry;
    struct image_platform platform;
    void (*progress)(void *ud, const struct image_progress *p); /* may be NULL */
    void *progress_ud;
};

struct image_pulled {
    char reference[LIMIT_IMAGE_REF + 96]; /* normalised */
    char digest[DIGEST_STR_LEN + 1];      /* what the reference resolved to */
    char manifest[DIGEST_STR_LEN + 1];    /* the platform's manifest */
    char config[DIGEST_STR_LEN + 1];      /* the image id */
};

/* Pull reference into the store: manifests, config and layer blobs are
 * fetched unless stored, verified, and each layer is unpacked once.  Safe to
 * run concurrently in threads and processes; a pull that was killed resumes
 * its downloads.  A reference by digest whose content is stored needs no
 * registry.  Errors (see registry.h for kinds) name the image. */
int image_pull(struct imgstore *s, const char *reference, const struct image_pull_opts *opts,
               struct image_pulled *ret_pulled, struct error *err);

/* The unpacked layers of a pulled image, top layer first, as overlayfs's
 * lowerdir= wants them.  Free with image_dirs_free. */
int image_lower_dirs(struct imgstore *s, const char *reference, char ***ret_dirs, size_t *ret_n, struct error *err);
void image_dirs_free(char **dirs, size_t n);

/* The image's config merged with a container definition (NULL: the image's
 * own), see imgconfig_merge. */
int image_config(struct imgstore *s, const char *reference, const json_t *container, struct imgconfig **ret_config,
                 struct error *err);

/* The store's record for reference (normalised first).  ERR_NOT_FOUND when
 * it was never pulled. */
int image_record(struct imgstore *s, const char *reference, json_t **ret_record, struct error *err);
