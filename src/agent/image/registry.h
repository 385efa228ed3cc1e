/* registry.h - a client of the OCI distribution API (Docker registry v2):
 * manifests and blobs of one repository, with Bearer-token or Basic auth.
 *
 * Errors name the image and the reason; kinds are ERR_NOT_FOUND,
 * ERR_UNAUTHORIZED, ERR_DIGEST, ERR_LIMIT, ERR_IO (network or an unexpected
 * registry answer), so the agent can report CannotPullContainerError. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "agent/image/digest.h"
#include "agent/image/imgref.h"

/* Media types a manifest request accepts, in the order we list them. */
#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

struct registry_opts {
    /* "HOST:PORT" (or HOST) entries spoken to over plain HTTP; loopback
     * registries always are. */
    const char *const *insecure;
    size_t n_insecure;
    /* Basic credentials (repositoryCredentials), or NULL. */
    const char *username;
    const char *password;
};

struct registry;

struct registry_manifest {
    char *body; /* NUL-terminated; owned */
    size_t len;
    char media_type[128];
    char digest[DIGEST_STR_LEN + 1]; /* computed over body */
};

/* Receives a blob's bytes.  restart() is called when the registry ignored a
 * Range request and sends the blob from its first byte again. */
struct registry_sink {
    int (*write)(void *ud, const void *buf, size_t len, struct error *err);
    int (*restart)(void *ud, struct error *err);
    void *ud;
};

/* A session with the registry of ref for ref's repository.  opts and the
 * strings it points to must outlive the session.  Several threads may use
 * one session at once. */
int registry_open(const struct imgref *ref, const struct registry_opts *opts, struct registry **ret_registry,
                  struct error *err);
void registry_free(struct registry *r);
void registry_freep(struct registry **r);

/* GET /v2/<name>/manifests/<reference>.  A digest reference is verified
 * against the body; for a tag the computed digest is returned (and checked
 * against Docker-Content-Digest when the registry sends one).  Bodies over
 * LIMIT_IMAGE_MANIFEST are refused.  On success *ret_manifest owns the body. */
int registry_get_manifest(struct registry *r, const char *reference, struct registry_manifest *ret_manifest,
                          struct error *err);
void registry_manifest_clear(struct registry_manifest *m);

/* GET /v2/<name>/blobs/<digest> from byte offset (Range) into sink,
 * following redirects.  Verifying the bytes is the caller's job: it knows
 * what it resumed from. */
int registry_get_blob(struct registry *r, const char *digest, uint64_t offset, const struct registry_sink *sink,
                      struct error *err);

/* Whether host ("HOST[:PORT]") is spoken to over plain HTTP. */
bool registry_host_insecure(const char *host, const struct registry_opts *opts);
