/* sigv4_parse.h - AWS Signature Version 4: parsing the Authorization header.
 *
 * "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ecs/aws4_request,
 *  SignedHeaders=host;x-amz-date, Signature=<64 hex>".  The signature it
 * should carry is computed by common/sigv4.c and checked by auth.c. */
#pragma once

#include "common/error.h"

struct sigv4_auth {
    char access_key[129];
    char date[9]; /* YYYYMMDD */
    char region[33];
    char service[33];
    char signed_headers[1024];
    char signature[65];
};

/* Parse an Authorization header value.  Returns 0 and fills *ret_auth, or -1
 * with ERR_INVALID naming what is wrong. */
int sigv4_parse_authorization(const char *header, struct sigv4_auth *ret_auth, struct error *err);
/* Parse a credential "AKID/YYYYMMDD/region/service/aws4_request" (n bytes)
 * into a's access_key, date, region and service. */
int sigv4_parse_credential(const char *v, size_t n, struct sigv4_auth *a, struct error *err);
