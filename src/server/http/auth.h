/* auth.h - who sent a request: its SigV4 signature (Authorization header,
 * or the presigned query form) checked against the account's access keys,
 * within 15 minutes of the server's clock.  It answers with AWS's error
 * kinds (MissingAuthenticationToken, IncompleteSignature,
 * UnrecognizedClient, InvalidSignature, ExpiredToken); it knows nothing of what the
 * caller may then do. */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "server/http/api.h"

/* The identity a request proved. */
struct auth_result {
    char access_key[129];
    char principal[256]; /* arn:aws:iam::<account>:root, ... */
    char region[33];     /* the credential scope's */
    char service[33];    /* the credential scope's: "ecs", "logs", "iam", "sts"... */
    bool temporary;      /* signed with temporary credentials (a session token) */
};

/* Check req's signature at wall-clock time now; 0 and *ret filled, or -1
 * with err (an API_ERR_* authentication kind). */
int auth_check(const struct api_request *req, const struct api_keys *keys, usec_t now, struct auth_result *ret,
               struct error *err);
