/* sigv4.h - computing the AWS Signature Version 4 of a request: the one a
 * client sends, or the one a server expects (header form and presigned
 * query form).  Pure: the caller supplies the request's parts and the
 * secret; which secret belongs to an access key, clock skew and the error a
 * protocol answers with are the caller's business. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

/* The request as signed.  `header` returns a header's value by its
 * lower-case name (repeated headers joined with ","), or NULL. */
struct sigv4_request {
    const char *method;
    const char *path;  /* as sent, e.g. "/" */
    const char *query; /* as sent, without '?'; NULL or "" for none */
    const char *(*header)(void *cookie, const char *lname);
    void *cookie;
    const char *payload_hash; /* hex sha256 of the body, or UNSIGNED-PAYLOAD */
};

/* The canonical request (appended to out): method, canonical URI, query
 * and headers, the signed header list and the payload hash.  In presigned
 * form (presigned: true) X-Amz-Signature is left out of the query. */
int sigv4_canonical_request(const struct sigv4_request *r, const char *signed_headers, bool presigned, struct buf *out,
                            struct error *err);

/* The hex signature (65 bytes with the NUL) for the request, signed at
 * amz_date ("YYYYMMDDTHHMMSSZ") with the scope date/region/service. */
int sigv4_signature(const struct sigv4_request *r, const char *signed_headers, bool presigned, const char *secret,
                    const char *amz_date, const char *date, const char *region, const char *service, char out[65],
                    struct error *err);

/* RFC 3986 encoding as SigV4 wants it (appended to out): unreserved bytes
 * as they are, every other byte %XX in upper case; '/' kept if keep_slash. */
int sigv4_uri_encode(struct buf *out, const char *s, size_t n, bool keep_slash);

/* Hex sha256 of len bytes (65 bytes with the NUL). */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Whether two hex signatures are equal, in time that does not depend on
 * where they differ. */
bool sigv4_signature_equal(const char *a, const char *b);
