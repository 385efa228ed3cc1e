/* registry_auth.h - parsing a registry's WWW-Authenticate challenge
 * ("Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
 * scope="repository:library/busybox:pull"" or "Basic realm=..."). */
#pragma once

#include "common/error.h"

struct registry_challenge {
    char scheme[16]; /* "bearer" or "basic", lower case */
    char realm[1024];
    char service[256];
    char scope[1024];
    char error[64]; /* "insufficient_scope", "invalid_token", ... */
};

/* Parse one challenge.  Unknown parameters are ignored; quoted values may
 * hold commas and backslash escapes.  ERR_INVALID when the header is
 * malformed or a value does not fit. */
int registry_auth_parse(const char *header, struct registry_challenge *ret_challenge, struct error *err);
