/* imgref.h - image references, parsed and normalised as Docker does:
 * "busybox" is docker.io/library/busybox:latest, "localhost:5000/a/b@sha256:..."
 * names a registry with a port and a digest. */
#pragma once

#include <stddef.h>

#include "common/error.h"
#include "agent/agent_limits.h"
#include "agent/image/digest.h"

struct imgref {
    char domain[LIMIT_IMAGE_NAME + 1]; /* "docker.io", "127.0.0.1:5000" */
    char path[LIMIT_IMAGE_NAME + 1];   /* "library/busybox" */
    char tag[LIMIT_IMAGE_TAG + 1];     /* "" only when a digest is given */
    char digest[DIGEST_STR_LEN + 1];   /* "" or "sha256:<hex>" */
};

/* Parse and normalise s.  Errors (ERR_INVALID) say what is wrong, e.g.
 * "invalid reference format: repository name must be lowercase". */
int imgref_parse(const char *s, struct imgref *ret_ref, struct error *err);
/* The host to speak the distribution API to: registry-1.docker.io for
 * Docker Hub, the domain otherwise. */
const char *imgref_api_host(const struct imgref *ref);
/* "domain/path[:tag][@digest]" (the canonical reference) into buf. */
void imgref_string(const struct imgref *ref, char *buf, size_t cap);
/* "domain/path" into buf. */
void imgref_name(const struct imgref *ref, char *buf, size_t cap);
/* The tag or digest to ask the registry for: the digest when there is one. */
const char *imgref_reference(const struct imgref *ref);
