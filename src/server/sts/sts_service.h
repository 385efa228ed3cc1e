/* sts_service.h - the STS service on berth's listener (AWS query
 * protocol): GetCallerIdentity, AssumeRole and GetSessionToken
 * (sts_actions.c); its model and action table (sts_service.c). */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct keyring;

/* The STS service's state (ctx->service). */
struct sts_service {
    struct service_model *model;
    struct keyring *keyring;
};

int sts_service_new(struct sts_service **ret, struct error *err);
void sts_service_free(struct sts_service *s);
struct api_service sts_service_api(struct sts_service *s);

API_ACTION(sts_assume_role);
API_ACTION(sts_get_caller_identity);
API_ACTION(sts_get_session_token);
