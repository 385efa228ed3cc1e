/* aws_credentials.h - finding the credentials and region a client signs
 * with, the way the AWS CLI and SDKs do: the environment, else a profile of
 * the shared credentials file.  No signing here (common/sigv4.h), no
 * config file (~/.aws/config), no role assumption or instance metadata. */
#pragma once

#include <stddef.h>

#include "common/error.h"
#include "common/limits.h"

struct aws_credentials {
    char access_key_id[LIMIT_AWS_ACCESS_KEY_ID + 1];
    char secret_access_key[LIMIT_AWS_SECRET_KEY + 1];
    char session_token[LIMIT_AWS_SESSION_TOKEN + 1]; /* "" for none */
};

/* The credentials of the process: AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) if AWS_ACCESS_KEY_ID is set,
 * else profile AWS_PROFILE (default "default") of the file
 * AWS_SHARED_CREDENTIALS_FILE (default $HOME/.aws/credentials).  Fails with
 * ERR_NOT_FOUND, naming what was looked at, when there are none;
 * ERR_INVALID when they are incomplete (a key id without a secret);
 * ERR_LIMIT when a value or the file is too long.  *ret is set only on
 * success. */
int aws_credentials_resolve(struct aws_credentials *ret, struct error *err);

/* The credentials of one profile ("[profile]", keys aws_access_key_id,
 * aws_secret_access_key, aws_session_token) of a shared credentials file;
 * errors as aws_credentials_resolve, naming path and profile.  Lines
 * starting with '#' or ';' are comments; spaces around names, '=' and
 * values are ignored, as is the case of key names. */
int aws_credentials_from_file(const char *path, const char *profile, struct aws_credentials *ret, struct error *err);

/* Wipe the secret parts (before the memory is freed or reused). */
void aws_credentials_clear(struct aws_credentials *c);

/* The region to sign for: explicit if non-empty, else AWS_REGION, else
 * AWS_DEFAULT_REGION, else "us-east-1".  The string returned is explicit,
 * the environment's or a literal: copy it before changing the environment. */
const char *aws_region_resolve(const char *explicit_region);
